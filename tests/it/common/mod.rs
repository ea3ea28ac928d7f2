//! Shared test harness: a real moto server on a free 127.0.0.1 port (one per test,
//! so tests stay independent), the fixture-driven `np` stand-in, and helpers to run
//! the real step shims under bash with a controlled environment.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The repository root (where `steps/`, `workflows/` and `Cargo.toml` live).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A folder laid out as the package's `bin/linux-<arch>/`: the `lambda-scope` binary cargo
/// built for this test run and a link per command of its table, so steps run by their
/// names (argv[0]) exactly as in the package. Made once; safe when tests race for it.
pub fn bin_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let exe = PathBuf::from(env!("CARGO_BIN_EXE_lambda-scope"));
        let dir = exe.parent().unwrap().join("lambda-scope-links");
        std::fs::create_dir_all(&dir).unwrap();
        let names = std::iter::once(lambda_scope::commands::BINARY).chain(
            lambda_scope::commands::COMMANDS
                .iter()
                .map(|command| command.name),
        );
        for name in names {
            match std::os::unix::fs::symlink(&exe, dir.join(name)) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(err) => panic!("could not link {name} in {}: {err}", dir.display()),
            }
        }
        dir
    })
    .clone()
}

/// The `np` stand-in script.
pub fn np_standin() -> PathBuf {
    repo_root().join("tests/support/np")
}

/// Finds moto_server: `$MOTO_SERVER`, the repo's `.venv`, then PATH.
fn moto_server_command() -> PathBuf {
    if let Ok(path) = std::env::var("MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let venv = repo_root().join(".venv/bin/moto_server");
    if venv.exists() {
        return venv;
    }
    which("moto_server").unwrap_or_else(|| {
        panic!("moto_server not found: run .ci/run once (it installs moto[server] into .venv) or set MOTO_SERVER")
    })
}

pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A moto server for one test. [`MotoServer::start`] leases one from this binary's
/// pool of idle servers, reset to an empty account with an empty recording (starting one
/// costs about a second); a server started with extra environment is the test's own and
/// is killed when dropped.
pub struct MotoServer {
    child: Option<Child>,
    pub port: u16,
    /// moto's request recording (every request with headers and body), one JSON line each.
    recording: tempfile::NamedTempFile,
    /// Goes back to the pool when dropped (started with moto's default settings).
    pooled: bool,
    /// `XDG_CACHE_HOME` of the steps the test runs: a leased server keeps its port, so
    /// the default credentials cache (keyed by the endpoint) must not outlive the lease.
    cache_home: tempfile::TempDir,
}

/// Idle servers with moto's default settings, kept for the next test.
static IDLE_SERVERS: std::sync::Mutex<Vec<MotoServer>> = std::sync::Mutex::new(Vec::new());

impl MotoServer {
    /// A server with moto's default settings, reset: the pool's, else a new one.
    pub fn start() -> MotoServer {
        let idle = IDLE_SERVERS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        if let Some(mut server) = idle {
            if server.reset() {
                server.cache_home = tempfile::tempdir().expect("cache home");
                return server;
            }
            // Gone or broken: stopped, not pooled again.
            server.pooled = false;
        }
        let mut server = Self::spawn(&[]);
        server.pooled = true;
        server
    }

    /// Starts moto with extra environment (e.g. `INITIAL_NO_AUTH_ACTION_COUNT`): a
    /// private server, never shared.
    pub fn start_with_env(env: &[(&str, &str)]) -> MotoServer {
        Self::spawn(env)
    }

    fn spawn(env: &[(&str, &str)]) -> MotoServer {
        let port = free_port();
        let recording = tempfile::NamedTempFile::new().expect("recording file");
        // Under a shell that stops moto when its stdin closes: when the test binary
        // exits, pooled servers (never dropped) stop with it.
        let mut command = Command::new("sh");
        command
            .args([
                "-c",
                "\"$0\" \"$@\" & moto=$!; read -r _; kill $moto; wait $moto",
            ])
            .arg(moto_server_command())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ENABLE_RECORDING", "True")
            .env("MOTO_RECORDER_FILEPATH", recording.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().expect("start moto_server");
        let server = MotoServer {
            child: Some(child),
            port,
            recording,
            pooled: false,
            cache_home: tempfile::tempdir().expect("cache home"),
        };
        server.wait_ready();
        server
    }

    /// Empties every moto backend, then the recording; false when the server is gone.
    fn reset(&mut self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
        let request = format!(
            "POST /moto-api/reset HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        if !answer.starts_with("HTTP/1.1 200") && !answer.starts_with("HTTP/1.0 200") {
            return false;
        }
        // moto appends each request to the file it opens anew: truncating starts afresh.
        self.recording.as_file().set_len(0).is_ok()
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!(
            "moto_server did not listen on port {} within 20 s",
            self.port
        );
    }

    /// Environment for a process that should talk to this server with the
    /// emulator's base (agent) credentials.
    pub fn aws_env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL".into(), self.endpoint()),
            ("AWS_ACCESS_KEY_ID".into(), "AKIAAGENTBASE0000000".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "agent-base-secret".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_DEFAULT_REGION".into(), "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            (
                "XDG_CACHE_HOME".into(),
                self.cache_home.path().display().to_string(),
            ),
        ]
    }

    /// Every request moto received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        std::fs::read_to_string(self.recording.path())
            .unwrap_or_default()
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(RecordedRequest::parse)
            .collect()
    }

    /// The recorded requests for one API action (e.g. `AssumeRole`).
    pub fn calls(&self, action: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|request| request.action.as_deref() == Some(action))
            .collect()
    }

    /// The roles AssumeRole was asked for, after the first `skip` calls.
    pub fn assumed_role_arns(&self, skip: usize) -> Vec<Option<String>> {
        self.calls("AssumeRole")
            .iter()
            .skip(skip)
            .map(|call| call.form("RoleArn"))
            .collect()
    }

    /// Runs the AWS CLI against this server (set-up only; the product never uses it).
    pub fn aws(&self, args: &[&str]) -> serde_json::Value {
        let mut args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        args.extend(["--output".to_string(), "json".to_string()]);
        let mut env = vec![
            (
                "PATH".to_string(),
                std::env::var("PATH").unwrap_or_default(),
            ),
            (
                "HOME".to_string(),
                std::env::var("HOME").unwrap_or_default(),
            ),
        ];
        env.extend(self.aws_env());
        let (success, stdout, stderr) = aws_cli_run(&args, &env);
        assert!(success, "aws {args:?} failed: {stderr}");
        let text = stdout;
        if text.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).expect("aws cli printed JSON")
        }
    }

    /// Creates a Node.js Zip function `name` in `region`, running as `role`, from the
    /// zip at `zip` (see [`write_zip`]); `extra` arguments go to `create-function`.
    pub fn create_zip_function(
        &self,
        name: &str,
        region: &str,
        role: &str,
        zip: &Path,
        extra: &[&str],
    ) {
        let code = format!("fileb://{}", zip.display());
        let mut args = vec![
            "lambda",
            "create-function",
            "--function-name",
            name,
            "--runtime",
            "nodejs22.x",
            "--handler",
            "index.handler",
            "--role",
            role,
            "--zip-file",
            &code,
            "--region",
            region,
        ];
        args.extend_from_slice(extra);
        self.aws(&args);
    }

    /// Puts a single-architecture image manifest in ECR repository `repository` under
    /// `tag` (`extra`: more CLI arguments, e.g. a region) and returns its digest.
    pub fn put_image(&self, repository: &str, tag: &str, extra: &[&str]) -> String {
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,
                       "digest": format!("sha256:{}", "b".repeat(64))},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 32654,
                        "digest": format!("sha256:{}", "c".repeat(64))}]
        })
        .to_string();
        let mut args = vec![
            "ecr",
            "put-image",
            "--repository-name",
            repository,
            "--image-tag",
            tag,
            "--image-manifest",
            &manifest,
        ];
        args.extend_from_slice(extra);
        let pushed = self.aws(&args);
        pushed["image"]["imageId"]["imageDigest"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Runs a boto3 set-up script (`tests/support/<script>`) against this server, with
    /// `args`, and returns the JSON it prints: one process for many resources.
    pub fn boto3(&self, script: &str, args: &[&str]) -> serde_json::Value {
        let beside_moto = moto_server_command().with_file_name("python3");
        let python = if beside_moto.exists() {
            beside_moto
        } else {
            PathBuf::from("python3")
        };
        let output = Command::new(python)
            .arg(repo_root().join("tests/support").join(script))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.aws_env())
            .output()
            .expect("run python3");
        assert!(
            output.status.success(),
            "{script} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("the script printed JSON")
    }

    /// Creates an IAM role that anyone may assume and returns its ARN.
    pub fn create_role(&self, name: &str) -> String {
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
        let created = self.aws(&[
            "iam",
            "create-role",
            "--role-name",
            name,
            "--assume-role-policy-document",
            trust,
        ]);
        created["Role"]["Arn"].as_str().unwrap().to_string()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if self.pooled && matches!(child.try_wait(), Ok(None)) {
            let server = MotoServer {
                child: Some(child),
                port: self.port,
                recording: std::mem::replace(
                    &mut self.recording,
                    tempfile::NamedTempFile::new().expect("recording file"),
                ),
                pooled: true,
                cache_home: std::mem::replace(
                    &mut self.cache_home,
                    tempfile::tempdir().expect("cache home"),
                ),
            };
            IDLE_SERVERS
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(server);
            return;
        }
        // Closing its stdin makes the shell stop moto.
        drop(child.stdin.take());
        let _ = child.wait();
    }
}

/// The CLI server of this test binary (see `tests/support/aws_cli_server.py`), or
/// `None` when its Python has no awscli module (then each call is its own process).
struct CliServer {
    child: Child,
    answers: std::io::BufReader<std::process::ChildStdout>,
}

static CLI_SERVER: std::sync::Mutex<Option<Option<CliServer>>> = std::sync::Mutex::new(None);

fn start_cli_server() -> Option<CliServer> {
    use std::io::BufRead;
    // One process per call, as before the server (for comparing or debugging).
    if std::env::var_os("TEST_AWS_CLI_PER_CALL").is_some() {
        return None;
    }
    let cli = aws_cli();
    // The interpreter the `aws` script runs on: the venv's beside it, else python3.
    let python = cli
        .parent()
        .map(|dir| dir.join("python3"))
        .filter(|python| python.is_file())
        .unwrap_or_else(|| PathBuf::from("python3"));
    let mut child = Command::new(python)
        .arg(repo_root().join("tests/support/aws_cli_server.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .ok()?;
    let mut answers = std::io::BufReader::new(child.stdout.take()?);
    let mut first = String::new();
    answers.read_line(&mut first).ok()?;
    let hello: serde_json::Value = serde_json::from_str(&first).ok()?;
    if hello["ready"] != true {
        let _ = child.wait();
        return None;
    }
    Some(CliServer { child, answers })
}

/// Runs one AWS CLI command with exactly `env`: (succeeded, stdout, stderr).
pub fn aws_cli_run(args: &[String], env: &[(String, String)]) -> (bool, String, String) {
    use std::io::{BufRead, Write};
    let mut server = CLI_SERVER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if server.is_none() {
        *server = Some(start_cli_server());
    }
    if let Some(Some(cli)) = server.as_mut() {
        let env: serde_json::Map<String, serde_json::Value> = env
            .iter()
            .map(|(key, value)| (key.clone(), serde_json::Value::from(value.as_str())))
            .collect();
        let request = serde_json::json!({"args": args, "env": env});
        let stdin = cli.child.stdin.as_mut().expect("the CLI server's stdin");
        writeln!(stdin, "{request}").expect("write to the CLI server");
        stdin.flush().expect("write to the CLI server");
        let mut line = String::new();
        cli.answers
            .read_line(&mut line)
            .expect("read the CLI server");
        let answer: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("the CLI server stopped: {line:?}"));
        return (
            answer["rc"] == 0,
            answer["stdout"].as_str().unwrap_or_default().to_string(),
            answer["stderr"].as_str().unwrap_or_default().to_string(),
        );
    }
    drop(server);
    let output = Command::new(aws_cli())
        .args(args)
        .env_clear()
        .envs(env.iter().cloned())
        .output()
        .expect("run aws cli");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The AWS CLI for test set-up: `$AWS_CLI`, the repo's `.venv`, then PATH.
pub fn aws_cli() -> PathBuf {
    if let Ok(path) = std::env::var("AWS_CLI") {
        return PathBuf::from(path);
    }
    let venv = repo_root().join(".venv/bin/aws");
    if venv.exists() {
        return venv;
    }
    which("aws").expect("aws CLI not found: run .ci/run once (it installs awscli into .venv)")
}

/// Writes a zip holding one `index.js` with `source` (Python's zipfile, so the
/// project needs no zip crate).
pub fn write_zip(path: &Path, source: &str) {
    let made = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], 'w'); z.writestr('index.js', sys.argv[2]); z.close()",
        ])
        .arg(path)
        .arg(source)
        .status()
        .expect("run python3");
    assert!(made.success(), "could not write {}", path.display());
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// A built context from `tests/fixtures/contexts` (`scope-public-image.json`, …).
pub fn context_fixture(name: &str) -> serde_json::Value {
    let path = repo_root().join("tests/fixtures/contexts").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs `scope-workflow run <workflow> --service-path <repo> --strict [extra]` with
/// exactly `env` (plus PATH and HOME), the way the agent runs a shipped workflow.
pub fn run_workflow_strict(workflow: &Path, extra: &[&str], env: &[(String, String)]) -> Output {
    Command::new(bin_dir().join("scope-workflow"))
        .arg("run")
        .arg(workflow)
        .arg("--service-path")
        .arg(repo_root())
        .arg("--strict")
        .args(extra)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("run scope-workflow")
}

/// Runs the command `name` of [`bin_dir`] with `args` and only PATH, HOME and `env` in
/// its environment.
pub fn run_command(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(bin_dir().join(name))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|err| panic!("run {name}: {err}"))
}

/// The settings of a step run for scope `scope_id`: the package's commands, a private
/// credentials cache in `dir/cache`, `role` to assume, a context naming the scope, the
/// scope's state bucket and its output dir.
pub fn scope_step_settings(
    dir: &Path,
    role: &str,
    scope_id: &str,
    state_bucket: &str,
    output_dir: &Path,
) -> Vec<(String, String)> {
    let context = serde_json::json!({"scope": {
        "id": scope_id,
        "nrn": format!("organization=1:account=2:namespace=3:application=4:scope={scope_id}"),
    }});
    [
        ("SCOPE_BIN_DIR", bin_dir().display().to_string()),
        (
            "SCOPE_CREDENTIALS_CACHE_DIR",
            dir.join("cache").display().to_string(),
        ),
        ("ASSUME_ROLE_ARN", role.to_string()),
        ("CONTEXT", context.to_string()),
        ("SCOPE_ID", scope_id.to_string()),
        ("TOFU_STATE_BUCKET", state_bucket.to_string()),
        ("OUTPUT_DIR", output_dir.display().to_string()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_string(), value))
    .collect()
}

/// Writes `dir/workflow.yaml`: one `command` step, `show`, running `command` with the
/// step `configuration` given (none when empty); the workflow's path as text.
pub fn write_one_step_workflow(
    dir: &Path,
    configuration: &[(&str, &str)],
    command: &str,
) -> String {
    let mut yaml = String::from("steps:\n  - name: show\n    type: command\n");
    if !configuration.is_empty() {
        yaml.push_str("    configuration:\n");
        for (key, value) in configuration {
            // A JSON string is a YAML double-quoted scalar.
            yaml.push_str(&format!("      {key}: {}\n", serde_json::json!(value)));
        }
    }
    // YAML single quotes: the command as written, a quote doubled.
    yaml.push_str(&format!("    command: '{}'\n", command.replace('\'', "''")));
    let workflow = dir.join("workflow.yaml");
    std::fs::write(&workflow, yaml).unwrap();
    workflow.display().to_string()
}

/// Runs `script` in a fresh `bash` with exactly `env` (plus PATH and HOME), the way
/// the engine runs a step: nothing of the test process's environment leaks in.
pub fn bash(script: &str, env: &[(String, String)], cwd: &Path) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("run bash")
}

/// How a sourced step ended: its exit code, everything it printed, and (on success)
/// the shell's environment afterwards.
pub struct SourcedStep {
    pub code: i32,
    pub log: String,
    pub outputs: std::collections::HashMap<String, String>,
}

/// Sources `steps/<step> <args>` in a clean bash with exactly `env`, as the engine
/// does, and reads back the environment the shell has afterwards.
pub fn source_step(step: &str, args: &str, env: &[(String, String)], dir: &Path) -> SourcedStep {
    let env_file = dir.join("env.out");
    let _ = std::fs::remove_file(&env_file);
    let script = format!(
        "source '{}/steps/{step}' {args} || exit $?; env -0 > '{}'",
        repo_root().display(),
        env_file.display()
    );
    let output = bash(&script, env, dir);
    let outputs = std::fs::read(&env_file)
        .map(|bytes| {
            String::from_utf8(bytes)
                .unwrap()
                .split('\0')
                .filter_map(|entry| entry.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    SourcedStep {
        code: output.status.code().unwrap_or(-1),
        log: text(&output.stdout) + &text(&output.stderr),
        outputs,
    }
}

/// Writes `rules` as the np stand-in's fixture file in `dir` and returns the env
/// that points NP_CLI at the stand-in (with a call log in `dir/np-calls.jsonl`).
pub fn np_env(dir: &Path, rules: serde_json::Value) -> Vec<(String, String)> {
    let fixtures = dir.join("np-fixtures.json");
    std::fs::write(&fixtures, serde_json::to_string_pretty(&rules).unwrap()).unwrap();
    vec![
        ("NP_CLI".into(), np_standin().display().to_string()),
        ("NP_FIXTURES".into(), fixtures.display().to_string()),
        (
            "NP_CALL_LOG".into(),
            dir.join("np-calls.jsonl").display().to_string(),
        ),
    ]
}

/// The np calls the stand-in received, each as its argument list.
pub fn np_calls(dir: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir.join("np-calls.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The merged workflow `scope-workflow run --dry-run` printed, and its step names.
pub fn dry_run_workflow(yaml: &str) -> (serde_json::Value, Vec<String>) {
    let merged: serde_json::Value =
        serde_saphyr::from_str_with_options(yaml, serde_saphyr::options! { strict_booleans: true })
            .unwrap_or_else(|err| panic!("--dry-run printed no workflow ({err}):\n{yaml}"));
    let names = merged["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("no steps in:\n{yaml}"))
        .iter()
        .map(|step| step["name"].as_str().unwrap().to_string())
        .collect();
    (merged, names)
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One request as moto recorded it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub url: String,
    /// `Action=` of query-protocol services, or the `X-Amz-Target` operation.
    pub action: Option<String>,
    /// The access key id that signed the request.
    pub access_key_id: Option<String>,
    /// The User-Agent header.
    pub user_agent: Option<String>,
    /// The raw body as text.
    pub body: String,
    /// The body parsed as a form (query-protocol services); empty for JSON/REST bodies.
    pub form: Vec<(String, String)>,
}

impl RecordedRequest {
    fn parse(line: &str) -> RecordedRequest {
        let entry: serde_json::Value = serde_json::from_str(line).expect("recording line is JSON");
        let raw_body = entry["body"].as_str().unwrap_or_default();
        let body_bytes = if entry["body_encoded"].as_bool() == Some(true) {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(raw_body)
                .unwrap_or_default()
        } else {
            raw_body.as_bytes().to_vec()
        };
        let headers = &entry["headers"];
        let header = |name: &str| {
            headers.as_object().and_then(|map| {
                map.iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
                    .and_then(|(_, value)| value.as_str().map(str::to_string))
            })
        };
        let form: Vec<(String, String)> =
            form_urlencoded::parse(&body_bytes).into_owned().collect();
        let body = String::from_utf8_lossy(&body_bytes).into_owned();
        let action = form
            .iter()
            .find(|(key, _)| key == "Action")
            .map(|(_, value)| value.clone())
            .or_else(|| {
                header("X-Amz-Target").and_then(|t| t.rsplit('.').next().map(str::to_string))
            });
        let access_key_id = header("Authorization").and_then(|auth| {
            auth.split("Credential=")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .map(str::to_string)
        });
        RecordedRequest {
            method: entry["method"].as_str().unwrap_or_default().to_string(),
            url: entry["url"].as_str().unwrap_or_default().to_string(),
            action,
            access_key_id,
            user_agent: header("User-Agent"),
            body,
            form,
        }
    }

    /// The value of a form field of a query-protocol request (`Action=...&Name=value`).
    pub fn form(&self, name: &str) -> Option<String> {
        self.form
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    }
}
