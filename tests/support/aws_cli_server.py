"""The AWS CLI for test set-up, loaded once: one Python process per test binary runs
each command through awscli's own driver, so a set-up call costs milliseconds instead
of an interpreter start and the CLI's imports (about a second each).

Protocol: one JSON request per stdin line, {"args": [...], "env": {...}}, answered by
one JSON line on stdout, {"rc": N, "stdout": "...", "stderr": "..."}. Each command
runs with exactly the environment it was given, as a separate `aws` process would."""
import contextlib
import io
import json
import os
import sys

try:
    from awscli.clidriver import create_clidriver
except ImportError as err:  # the Rust side falls back to one process per call
    print(json.dumps({"unavailable": str(err)}), flush=True)
    sys.exit(0)

# Importing awscli points botocore at the CLI's own data (AWS_DATA_PATH): kept for
# every command, as the `aws` script's own import would set it.
SET_BY_IMPORT = {name: os.environ[name] for name in ("AWS_DATA_PATH",) if name in os.environ}
answers = sys.stdout
print(json.dumps({"ready": True}), file=answers, flush=True)
for line in sys.stdin:
    request = json.loads(line)
    os.environ.clear()
    os.environ.update(SET_BY_IMPORT)
    os.environ.update(request["env"])
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = create_clidriver().main(request["args"])
        except SystemExit as exit_:
            rc = exit_.code if isinstance(exit_.code, int) else 1
        except Exception as failure:  # noqa: BLE001 - reported to the test, not hidden
            print(f"aws_cli_server: {failure!r}", file=err)
            rc = 255
    out.flush()
    answer = {
        "rc": rc or 0,
        "stdout": out.buffer.getvalue().decode("utf-8", "replace"),
        "stderr": err.getvalue(),
    }
    print(json.dumps(answer), file=answers, flush=True)
