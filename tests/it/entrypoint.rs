//! The channel `entrypoint` end to end: real notifications (tests/fixtures/notifications)
//! routed to fixture workflows in a temporary service path, run by the local runner, and
//! under the agent's path through an `np` that records its calls and runs `--script`.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{bash, bin_dir, repo_root, text};
use serde_json::Value;

/// Every action of the routing table: fixture → workflow (relative to the service path).
const TABLE: &[(&str, &str)] = &[
    ("create-scope", "workflows/scope/create.yaml"),
    ("update-scope", "workflows/scope/update.yaml"),
    ("delete-scope", "workflows/scope/delete.yaml"),
    ("diagnose-scope", "workflows/scope/diagnose.yaml"),
    ("invoke", "workflows/scope/invoke.yaml"),
    (
        "adjust-provisioned-concurrency",
        "workflows/scope/adjust_provisioned_concurrency.yaml",
    ),
    (
        "adjust-reserved-concurrency",
        "workflows/scope/adjust_reserved_concurrency.yaml",
    ),
    ("start-initial", "workflows/deployment/initial.yaml"),
    ("start-blue-green", "workflows/deployment/blue_green.yaml"),
    ("switch-traffic", "workflows/deployment/switch_traffic.yaml"),
    ("rollback-deployment", "workflows/deployment/rollback.yaml"),
    ("finalize-blue-green", "workflows/deployment/finalize.yaml"),
    ("delete-deployment", "workflows/deployment/delete.yaml"),
    ("diagnose-deployment", "workflows/deployment/diagnose.yaml"),
    ("log-read", "workflows/log/log.yaml"),
    ("metric-list", "workflows/metric/list.yaml"),
    ("metric-data", "workflows/metric/metric.yaml"),
    ("instance-data", "workflows/instance/list.yaml"),
];

/// NP_ACTION_CONTEXT as the channel sends it: the fixture JSON wrapped in single quotes.
fn action_context(fixture: &str) -> String {
    let path = repo_root().join(format!("tests/fixtures/notifications/{fixture}.json"));
    let json = std::fs::read_to_string(&path).unwrap();
    format!("'{json}'")
}

fn is_telemetry(relative: &str) -> bool {
    ["workflows/log/", "workflows/metric/", "workflows/instance/"]
        .iter()
        .any(|prefix| relative.starts_with(prefix))
}

/// A service path with one fixture workflow per table entry; each prints which
/// workflow ran, the scope id and the action from CONTEXT (telemetry: as JSON on stdout,
/// progress on stderr).
fn service_path(dir: &Path) -> PathBuf {
    let root = dir.join("service");
    for (_, relative) in TABLE {
        write_workflow(&root, relative, &format!("ran {relative}"));
    }
    root
}

fn write_workflow(root: &Path, relative: &str, marker: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let script = path.with_extension("sh");
    let body = if is_telemetry(relative) {
        format!("printf '{{\"marker\":\"%s\",\"scope\":\"%s\"}}\\n' '{marker}' \"$SCOPE_ID\"\n")
    } else {
        format!("echo \"MARKER {marker} scope=$SCOPE_ID\"\nprintf '%s' \"$CONTEXT\" > \"$NP_OUTPUT_DIR/context.json\"\n")
    };
    std::fs::write(&script, body).unwrap();
    let config = if is_telemetry(relative) {
        "configuration:\n  SCOPE_LOG_STREAM: stderr\n"
    } else {
        ""
    };
    std::fs::write(
        &path,
        format!(
            "{config}steps:\n  - name: answer\n    type: script\n    file: \"{}\"\n",
            script.display()
        ),
    )
    .unwrap();
}

fn entrypoint(args: &str, env: &[(String, String)]) -> Output {
    let script = format!("exec \"{}/entrypoint\" {args}", repo_root().display());
    bash(&script, env, &repo_root())
}

fn local_env(fixture: &str, out: &Path) -> Vec<(String, String)> {
    vec![
        ("NP_ACTION_CONTEXT".into(), action_context(fixture)),
        ("SCOPE_WORKFLOW_RUNNER".into(), "local".into()),
        ("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()),
        ("NP_OUTPUT_DIR".into(), out.display().to_string()),
    ]
}

#[test]
fn every_action_of_the_table_runs_its_workflow_locally() {
    let dir = tempfile::tempdir().unwrap();
    let service = service_path(dir.path());
    for (fixture, relative) in TABLE {
        let out = dir.path().join(format!("out-{fixture}"));
        let output = entrypoint(
            &format!("--service-path={}", service.display()),
            &local_env(fixture, &out),
        );
        let stdout = text(&output.stdout);
        let stderr = text(&output.stderr);
        assert!(output.status.success(), "{fixture}: {stdout}\n{stderr}");
        if is_telemetry(relative) {
            // stdout is the response: exactly one JSON document, no progress text.
            let response: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|err| {
                panic!("{fixture}: stdout is not one JSON document ({err}): {stdout:?}")
            });
            assert_eq!(response["marker"], format!("ran {relative}"), "{fixture}");
            assert_eq!(
                response["scope"], "415005828",
                "{fixture}: scope from .arguments"
            );
            assert!(
                stderr.contains("✅ answer"),
                "{fixture}: progress on stderr: {stderr}"
            );
        } else {
            assert!(
                stdout.contains(&format!("MARKER ran {relative} scope=415005828")),
                "{fixture} should run {relative}: {stdout}\n{stderr}"
            );
            assert!(stdout.contains("Notification action:"), "{stdout}");
            // CONTEXT is the .notification object, with the scope id filled in.
            let context: Value =
                serde_json::from_str(&std::fs::read_to_string(out.join("context.json")).unwrap())
                    .unwrap();
            let slug = fixture.to_string();
            assert_eq!(context["slug"], Value::String(slug), "{fixture}");
            assert_eq!(context["parameters"]["scope_id"], "415005828", "{fixture}");
        }
    }
}

#[test]
fn an_unknown_action_names_the_action_and_the_workflows_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    let service = service_path(dir.path());
    let context = action_context("invoke").replace("\"invoke\"", "\"make-coffee\"");
    let mut env = local_env("invoke", dir.path());
    env[0].1 = context;
    let output = entrypoint(&format!("--service-path={}", service.display()), &env);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("❌ no workflow for action 'service:action:custom' (slug 'make-coffee'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("workflows/scope/make_coffee.yaml not found"),
        "{stderr}"
    );
    assert!(
        stderr.contains("adjust_provisioned_concurrency, adjust_reserved_concurrency, create, delete, diagnose, invoke, update"),
        "{stderr}"
    );
    assert!(!text(&output.stdout).contains("MARKER"));

    // A deployment action outside the table is refused the same way.
    let context = action_context("start-initial").replace("\"start-initial\"", "\"start-canary\"");
    env[0].1 = context;
    let output = entrypoint(&format!("--service-path={}", service.display()), &env);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown deployment action"), "{stderr}");
    assert!(stderr.contains("slug 'start-canary'"), "{stderr}");
    assert!(
        stderr
            .contains("blue_green, delete, diagnose, finalize, initial, rollback, switch_traffic"),
        "{stderr}"
    );
}

#[test]
fn a_missing_or_malformed_action_context_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let service = service_path(dir.path());
    let mut env = local_env("invoke", dir.path());
    env.remove(0);
    let output = entrypoint(&format!("--service-path={}", service.display()), &env);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stdout).contains("❌ NP_ACTION_CONTEXT is not set"));
    env.push(("NP_ACTION_CONTEXT".into(), "'{not json'".into()));
    let output = entrypoint(&format!("--service-path={}", service.display()), &env);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("❌ NP_ACTION_CONTEXT is not valid JSON"));
    let output = entrypoint("--bogus", &local_env("invoke", dir.path()));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("--bogus"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn overrides_paths_layer_on_the_workflow_and_may_add_workflows() {
    let dir = tempfile::tempdir().unwrap();
    let service = service_path(dir.path());
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    // first: an extra step after `answer` in create; second: a workflow only it has.
    std::fs::create_dir_all(first.join("workflows/scope")).unwrap();
    std::fs::write(
        first.join("workflows/scope/create.yaml"),
        "steps:\n  - name: tag_it\n    after: answer\n    type: command\n    command: echo OVERRIDE-FIRST\n",
    )
    .unwrap();
    std::fs::create_dir_all(second.join("workflows/scope")).unwrap();
    std::fs::write(
        second.join("workflows/scope/create.yaml"),
        "steps:\n  - name: tag_it\n    command: echo OVERRIDE-SECOND\n",
    )
    .unwrap();
    write_workflow(
        &second,
        "workflows/scope/warm_up.yaml",
        "warm up from overrides",
    );

    let args = format!(
        "--service-path={} --overrides-path={},{}",
        service.display(),
        first.display(),
        second.display()
    );
    let output = entrypoint(&args, &local_env("create-scope", dir.path()));
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    let marker = stdout
        .find("MARKER ran workflows/scope/create.yaml")
        .expect(&stdout);
    let layered = stdout.find("OVERRIDE-SECOND").expect(&stdout);
    assert!(marker < layered, "{stdout}");
    assert!(
        !stdout.contains("OVERRIDE-FIRST"),
        "the last layer wins: {stdout}"
    );

    let context = action_context("invoke").replace("\"invoke\"", "\"warm-up\"");
    let mut env = local_env("invoke", dir.path());
    env[0].1 = context;
    let output = entrypoint(&args, &env);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("MARKER warm up from overrides"), "{stdout}");
}

/// An `np` that records each call (arguments separated by \x1f, one call a line) and, like
/// the agent, runs the `--script` of `np service-action exec`.
const FAKE_NP: &str = r#"#!/usr/bin/env bash
{ printf '%s\x1f' "$@"; printf '\n'; } >> "$NP_LOG"
if [ "$1 $2" = "service-action exec" ]; then
  for arg in "$@"; do
    case $arg in --script=*) exec bash "${arg#--script=}" ;; esac
  done
fi
"#;

fn np_log(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            line.trim_end_matches('\x1f')
                .split('\x1f')
                .map(str::to_string)
                .collect()
        })
        .collect()
}

#[test]
fn under_the_agent_it_calls_np_like_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let service = service_path(dir.path());
    let overrides = dir.path().join("ovr");
    std::fs::create_dir_all(overrides.join("workflows/deployment")).unwrap();
    std::fs::write(
        overrides.join("workflows/deployment/initial.yaml"),
        "steps: []\n",
    )
    .unwrap();
    let np = dir.path().join("np");
    std::fs::write(&np, FAKE_NP).unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&np)
        .status()
        .unwrap();
    let entry = repo_root().join("entrypoint").display().to_string();
    let args = format!(
        "--service-path={} --overrides-path={}",
        service.display(),
        overrides.display()
    );
    let cases: &[(&str, &[&str])] = &[
        ("start-initial", &["--build-context", "--include-secrets"]),
        ("update-scope", &["--build-context", "--include-secrets"]),
        ("log-read", &["--no-output"]),
    ];
    for (fixture, flags) in cases {
        let log = dir.path().join(format!("np-{fixture}.log"));
        let env = vec![
            ("NP_ACTION_CONTEXT".into(), action_context(fixture)),
            ("NP_CLI".into(), np.display().to_string()),
            ("NP_LOG".into(), log.display().to_string()),
            ("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()),
        ];
        let output = entrypoint(&args, &env);
        assert!(
            output.status.success(),
            "{}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        let calls = np_log(&log);
        let relative = TABLE.iter().find(|(f, _)| f == fixture).unwrap().1;
        let workflow = service.join(relative).display().to_string();
        let mut exec: Vec<String> = vec!["service".into(), "workflow".into(), "exec".into()];
        if *fixture == "log-read" {
            exec.extend(["--no-output".into(), "--workflow".into(), workflow]);
            assert_eq!(calls, vec![exec], "telemetry runs the workflow directly");
            continue;
        }
        exec.extend(["--workflow".into(), workflow]);
        exec.extend(flags.iter().map(|f| f.to_string()));
        if *fixture == "start-initial" {
            exec.extend([
                "--overrides".into(),
                overrides
                    .join("workflows/deployment/initial.yaml")
                    .display()
                    .to_string(),
            ]);
        }
        let service_action: Vec<String> =
            ["service-action", "exec", "--live-output", "--live-report"]
                .iter()
                .map(|s| s.to_string())
                .chain([format!("--script={entry}")])
                .collect();
        assert_eq!(calls, vec![service_action, exec], "{fixture}");
        assert!(text(&output.stdout).contains("Notification action:"));
    }
}

/// The reference scope's channel command, `<repo>/lambda/entrypoint
/// --service-path=<repo>/lambda`, keeps working on this repository: the service path is
/// mapped to the repository root, the other arguments pass on.
#[test]
fn the_reference_channel_command_runs_with_the_repository_root() {
    let dir = tempfile::tempdir().unwrap();
    let service = service_path(dir.path());
    let compat = repo_root().join("lambda/entrypoint").display().to_string();
    for suffix in ["lambda", "lambda/"] {
        let out = dir.path().join(format!("out-{}", suffix.len()));
        let script = format!(
            "exec \"{compat}\" --service-path={}/{suffix}",
            service.display()
        );
        let output = bash(&script, &local_env("create-scope", &out), &repo_root());
        let stdout = text(&output.stdout);
        assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
        assert!(
            stdout.contains("MARKER ran workflows/scope/create.yaml scope=415005828"),
            "{stdout}"
        );
    }

    // Under the agent, with the command exactly as the reference's channel has it and an
    // overrides repository in the documented layout.
    let root = repo_root().display().to_string();
    let overrides = dir.path().join("ovr");
    let documented = overrides.join("scope/workflows/create.yaml");
    std::fs::create_dir_all(documented.parent().unwrap()).unwrap();
    std::fs::write(&documented, "steps: []\n").unwrap();
    let np = dir.path().join("np");
    std::fs::write(&np, FAKE_NP).unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&np)
        .status()
        .unwrap();
    let log = dir.path().join("np.log");
    let env = vec![
        ("NP_ACTION_CONTEXT".into(), action_context("create-scope")),
        ("NP_CLI".into(), np.display().to_string()),
        ("NP_LOG".into(), log.display().to_string()),
        ("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()),
    ];
    let script = format!(
        "exec \"{compat}\" --service-path={root}/lambda --overrides-path={}",
        overrides.display()
    );
    let output = bash(&script, &env, dir.path());
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let exec: Vec<String> = [
        "service",
        "workflow",
        "exec",
        "--workflow",
        &format!("{root}/workflows/scope/create.yaml"),
        "--build-context",
        "--include-secrets",
        "--overrides",
        &documented.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let service_action: Vec<String> = [
        "service-action",
        "exec",
        "--live-output",
        "--live-report",
        &format!("--script={root}/entrypoint"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(np_log(&log), vec![service_action, exec]);
}
