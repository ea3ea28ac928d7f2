//! The custom action workflows (concurrency, invoke) through the runner in `--strict` mode against
//! moto: assume_role, the scope context, then adjust-concurrency on the scope's function
//! (reserved concurrency set, removed, and a bad value rejected before any call).

use crate::common::{bin_dir, np_env, repo_root, text, MotoServer};
use serde_json::{json, Value};

const FUNCTION: &str = "7-automation-development-tools";

fn context(concurrency: Value) -> String {
    let mut ctx = crate::common::context_fixture("scope-public-image.json");
    ctx["parameters"] = json!({"concurrency": concurrency});
    ctx.to_string()
}

fn run_workflow(name: &str, env: &[(String, String)]) -> (bool, String) {
    let output = crate::common::run_workflow_strict(
        &repo_root().join("workflows/scope").join(name),
        &[],
        env,
    );
    (
        output.status.success(),
        text(&output.stdout) + &text(&output.stderr),
    )
}

#[test]
fn reserved_concurrency_is_set_removed_and_validated() {
    let moto = MotoServer::start();
    let role = moto.create_role("np-lambda-scope");
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("code.zip");
    let made = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], 'w'); z.writestr('index.js', ''); z.close()",
        ])
        .arg(&zip)
        .status()
        .unwrap();
    assert!(made.success());
    moto.aws(&[
        "lambda",
        "create-function",
        "--region",
        "us-east-2",
        "--function-name",
        FUNCTION,
        "--runtime",
        "nodejs20.x",
        "--handler",
        "index.handler",
        "--role",
        &role,
        "--zip-file",
        &format!("fileb://{}", zip.display()),
    ]);
    let base: Vec<(String, String)> = {
        let mut env = moto.aws_env();
        env.extend(np_env(dir.path(), json!([])));
        env.push(("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()));
        env.push((
            "NP_OUTPUT_DIR".into(),
            dir.path().join("np").display().to_string(),
        ));
        env.push((
            "SCOPE_CREDENTIALS_CACHE_DIR".into(),
            dir.path().join("cache").display().to_string(),
        ));
        env.push(("ASSUME_ROLE_ARN".into(), role.clone()));
        env
    };
    let with = |concurrency: Value| {
        let mut env = base.clone();
        env.push(("CONTEXT".into(), context(concurrency)));
        env
    };
    let reserved = || {
        moto.aws(&[
            "lambda",
            "get-function-concurrency",
            "--region",
            "us-east-2",
            "--function-name",
            FUNCTION,
        ])
    };

    let (ok, log) = run_workflow("adjust_reserved_concurrency.yaml", &with(json!(25)));
    assert!(ok, "{log}");
    assert!(
        log.contains(&format!("reserved concurrency of {FUNCTION} set to 25")),
        "{log}"
    );
    assert_eq!(reserved()["ReservedConcurrentExecutions"], 25);
    // The call went to the provider's region, signed by the assumed role.
    let puts: Vec<_> = moto
        .requests()
        .into_iter()
        .filter(|r| {
            r.method == "PUT"
                && r.url
                    .contains(&format!("/functions/{FUNCTION}/concurrency"))
        })
        .collect();
    assert_eq!(puts.len(), 1);
    assert_ne!(
        puts[0].access_key_id.as_deref(),
        Some("AKIAAGENTBASE0000000")
    );

    let (ok, log) = run_workflow("adjust_reserved_concurrency.yaml", &with(json!("none")));
    assert!(ok, "{log}");
    assert!(log.contains("removed"), "{log}");
    assert!(reserved()
        .get("ReservedConcurrentExecutions")
        .is_none_or(Value::is_null));

    let (ok, log) = run_workflow("adjust_reserved_concurrency.yaml", &with(json!("-3")));
    assert!(!ok, "{log}");
    assert!(
        log.contains("❌ the concurrency '-3' is not a whole number"),
        "{log}"
    );
    let puts_after = moto
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.url.contains("/concurrency"))
        .count();
    assert_eq!(puts_after, 1, "a rejected value made no call");
}

#[test]
fn provisioned_concurrency_workflow_is_valid_in_strict_mode() {
    let output = std::process::Command::new(crate::common::bin_dir().join("scope-workflow"))
        .arg("run")
        .arg(repo_root().join("workflows/scope/adjust_provisioned_concurrency.yaml"))
        .arg("--service-path")
        .arg(repo_root())
        .arg("--dry-run")
        .output()
        .unwrap();
    let printed = text(&output.stdout);
    assert!(output.status.success(), "{printed}{}", text(&output.stderr));
    assert!(
        printed.contains("CONCURRENCY_KIND: provisioned"),
        "{printed}"
    );
    let assume = printed.find("name: assume_role").unwrap();
    let adjust = printed
        .find("name: adjust_provisioned_concurrency")
        .unwrap();
    assert!(assume < adjust, "assume_role runs first");
}

/// A stand-in for Lambda's Invoke API (moto would need Docker to run the function):
/// answers `POST /2015-03-31/functions/<name>/invocations` with the payload it got,
/// marks payloads containing "boom" as an Unhandled function error, and records each
/// request path and body, one JSON line each.
const LAMBDA_STAND_IN: &str = r#"
import http.server, json, sys
log = open(sys.argv[1], 'a')
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0)).decode()
        log.write(json.dumps({'path': self.path, 'body': body}) + '\n'); log.flush()
        answer = json.dumps({'echo': json.loads(body or '{}')}).encode()
        self.send_response(200)
        if 'boom' in body:
            self.send_header('X-Amz-Function-Error', 'Unhandled')
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

struct StandIn(std::process::Child);

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn invoke_prints_the_answer_and_fails_on_a_function_error() {
    use std::io::BufRead;
    let moto = MotoServer::start();
    let role = moto.create_role("np-lambda-scope");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("invocations.jsonl");
    let mut child = std::process::Command::new("python3")
        .args(["-c", LAMBDA_STAND_IN])
        .arg(&log)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let _stand_in = StandIn(child);
    let mut env = moto.aws_env();
    env.extend(np_env(dir.path(), json!([])));
    env.push(("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()));
    env.push((
        "NP_OUTPUT_DIR".into(),
        dir.path().join("np").display().to_string(),
    ));
    env.push((
        "SCOPE_CREDENTIALS_CACHE_DIR".into(),
        dir.path().join("cache").display().to_string(),
    ));
    env.push(("ASSUME_ROLE_ARN".into(), role));
    env.push((
        "AWS_ENDPOINT_URL_LAMBDA".into(),
        format!("http://127.0.0.1:{}", port.trim()),
    ));
    let with_payload = |payload: Value| {
        let mut env = env.clone();
        let mut ctx = crate::common::context_fixture("scope-public-image.json");
        ctx["parameters"] = json!({"payload": payload});
        env.push(("CONTEXT".into(), ctx.to_string()));
        env
    };

    let (ok, out) = run_workflow("invoke.yaml", &with_payload(json!({"ping": true})));
    assert!(ok, "{out}");
    assert!(out.contains("status: 200"), "{out}");
    assert!(
        out.contains(r#"response: {"echo": {"ping": true}}"#),
        "{out}"
    );
    let calls: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(calls.len(), 1);
    assert!(
        calls[0]["path"].as_str().unwrap().starts_with(&format!(
            "/2015-03-31/functions/{FUNCTION}/invocations?Qualifier=main"
        )),
        "{calls:?}"
    );
    assert_eq!(calls[0]["body"], r#"{"ping":true}"#);

    let (ok, out) = run_workflow("invoke.yaml", &with_payload(json!({"boom": 1})));
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("❌ {FUNCTION}:main returned an error (Unhandled)")),
        "{out}"
    );

    let (ok, out) = run_workflow("invoke.yaml", &with_payload(json!("{not json")));
    assert!(!ok, "{out}");
    assert!(
        out.contains("❌ the invocation payload is not valid JSON"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 2);
}
