//! wait-provisioned-concurrency through its real shim under bash. moto server has no
//! provisioned-concurrency API (it answers 404 to every such request), so a small
//! stand-in for that one API (GetProvisionedConcurrencyConfig) answers with a scripted
//! sequence of statuses; the step reaches it through AWS_ENDPOINT_URL_LAMBDA.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use crate::common::{bash, bin_dir, repo_root, text};
use serde_json::{json, Value};

const FUNCTION: &str = "7-automation-development-tools";

/// Answers the n-th request with `answer(n)` = (status, error type, body); records paths.
struct StandIn {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl StandIn {
    fn start(
        answer: impl Fn(usize) -> (u16, Option<&'static str>, Value) + Send + 'static,
    ) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':') {
                        if name.eq_ignore_ascii_case("content-length") {
                            length = value.trim().parse().unwrap();
                        }
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let parts: Vec<&str> = request_line.split_whitespace().collect();
                log.lock()
                    .unwrap()
                    .push(format!("{} {}", parts[0], parts[1]));
                let (status, kind, body) = answer(n);
                let body = body.to_string();
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                if let Some(kind) = kind {
                    head.push_str(&format!("x-amzn-errortype: {kind}\r\n"));
                }
                let _ = stream.write_all(format!("{head}\r\n{body}").as_bytes());
            }
        });
        StandIn { port, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn status(value: &str, reason: Option<&str>) -> (u16, Option<&'static str>, Value) {
    let mut body = json!({
        "RequestedProvisionedConcurrentExecutions": 2,
        "AllocatedProvisionedConcurrentExecutions": if value == "READY" { 2 } else { 0 },
        "AvailableProvisionedConcurrentExecutions": 0,
        "Status": value,
    });
    if let Some(reason) = reason {
        body["StatusReason"] = json!(reason);
    }
    (200, None, body)
}

fn provisioned_context(kind: &str) -> Value {
    json!({"scope": {"id": 7, "capabilities": {"provisioned_concurrency": {"type": kind, "value": 2}}}})
}

/// Runs the shim; returns (exit code, log, PROVISIONED_CONCURRENCY_STATUS or None).
fn run(
    stand_in: &StandIn,
    context: &Value,
    extra: &[(&str, &str)],
) -> (i32, String, Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("status");
    let script = format!(
        "source '{}/steps/wait-provisioned-concurrency' || exit $?; printf '%s' \"$PROVISIONED_CONCURRENCY_STATUS\" > '{}'",
        repo_root().display(),
        out.display()
    );
    let mut env: Vec<(String, String)> = [
        ("SCOPE_BIN_DIR", bin_dir().display().to_string()),
        (
            "AWS_ENDPOINT_URL_LAMBDA",
            format!("http://127.0.0.1:{}", stand_in.port),
        ),
        ("AWS_ACCESS_KEY_ID", "ASIATEST000000000000".into()),
        ("AWS_SECRET_ACCESS_KEY", "test-secret".into()),
        ("AWS_REGION", "us-east-2".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("CONTEXT", context.to_string()),
        ("LAMBDA_FUNCTION_NAME", FUNCTION.into()),
        ("PROVISIONED_CONCURRENCY_POLL_INTERVAL", "0.05".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (key, value) in extra {
        env.retain(|(k, _)| k != key);
        env.push((key.to_string(), value.to_string()));
    }
    let output = bash(&script, &env, dir.path());
    (
        output.status.code().unwrap_or(-1),
        text(&output.stdout) + &text(&output.stderr),
        std::fs::read_to_string(&out).ok(),
    )
}

fn path() -> String {
    format!("GET /2019-09-30/functions/{FUNCTION}/provisioned-concurrency?Qualifier=main")
}

#[test]
fn waits_through_in_progress_until_ready() {
    let lambda = StandIn::start(|n| {
        if n < 2 {
            status("IN_PROGRESS", None)
        } else {
            status("READY", None)
        }
    });
    let (code, log, result) = run(&lambda, &provisioned_context("provisioned"), &[]);
    assert_eq!(code, 0, "{log}");
    assert_eq!(result.as_deref(), Some("READY"));
    assert_eq!(lambda.seen(), vec![path(), path(), path()]);
    assert!(
        log.contains("IN_PROGRESS (requested 2, allocated 0)"),
        "{log}"
    );
    assert_eq!(
        log.matches("IN_PROGRESS").count(),
        1,
        "a status is logged once: {log}"
    );
}

#[test]
fn failed_allocation_reports_the_reason() {
    let lambda = StandIn::start(|n| {
        if n == 0 {
            status("IN_PROGRESS", None)
        } else {
            status(
                "FAILED",
                Some("FUNCTION_ERROR_INIT_FAILURE: init code threw"),
            )
        }
    });
    let (code, log, result) = run(&lambda, &provisioned_context("provisioned"), &[]);
    assert_eq!(code, 1, "{log}");
    assert!(result.is_none());
    for part in [
        "❌",
        "💡",
        "🔧",
        "FUNCTION_ERROR_INIT_FAILURE: init code threw",
        "the alias routes to it",
    ] {
        assert!(log.contains(part), "{part} in {log}");
    }
}

#[test]
fn scopes_without_provisioned_concurrency_make_no_call() {
    let lambda = StandIn::start(|_| status("READY", None));
    let (code, log, result) = run(&lambda, &provisioned_context("unprovisioned"), &[]);
    assert_eq!(code, 0, "{log}");
    assert_eq!(result.as_deref(), Some("skipped"));
    assert!(lambda.seen().is_empty());
}

#[test]
fn an_alias_without_a_configuration_is_skipped() {
    let lambda = StandIn::start(|_| {
        (
            404,
            Some("ProvisionedConcurrencyConfigNotFoundException"),
            json!({"Type": "User", "message": "No Provisioned Concurrency Config found for this function"}),
        )
    });
    let (code, log, result) = run(&lambda, &provisioned_context("provisioned"), &[]);
    assert_eq!(code, 0, "{log}");
    assert_eq!(result.as_deref(), Some("skipped"));
    assert_eq!(lambda.seen().len(), 1);
}

#[test]
fn the_wait_is_bounded() {
    let lambda = StandIn::start(|_| status("IN_PROGRESS", None));
    let started = std::time::Instant::now();
    let (code, log, _) = run(
        &lambda,
        &provisioned_context("provisioned"),
        &[
            ("PROVISIONED_CONCURRENCY_MAX_WAIT_SECONDS", "1"),
            ("PROVISIONED_CONCURRENCY_POLL_INTERVAL", "0.2"),
        ],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(code, 1, "{log}");
    for part in [
        "❌",
        "not READY after 1 s",
        "PROVISIONED_CONCURRENCY_MAX_WAIT_SECONDS",
        "🔧",
    ] {
        assert!(log.contains(part), "{part} in {log}");
    }
    assert!(lambda.seen().len() >= 3, "{:?}", lambda.seen());
}
