//! Every AWS call is bounded: against an endpoint that accepts connections and never
//! answers, each AWS-calling step ends within AWS_CALL_TIMEOUT_SECONDS × AWS_MAX_ATTEMPTS
//! (plus process start) with a ❌/💡/🔧 report, instead of hanging; settings out of range
//! are refused before any call.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{bin_dir, text};
use serde_json::json;

const FUNCTION: &str = "7-automation-development-tools";
const IMAGE: &str = "123456789012.dkr.ecr.us-east-2.amazonaws.com/shop/api:v1";
const CALL_TIMEOUT_SECONDS: u64 = 1;
const ATTEMPTS: u64 = 2;

/// A port that accepts every connection and never writes a byte.
fn black_hole() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            // Read what the client sends so it never sees a reset; never answer.
            let mut reader = stream.try_clone().unwrap();
            std::thread::spawn(move || {
                let mut sink = [0u8; 4096];
                while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
            });
            held.push(stream);
        }
    });
    port
}

struct Ended {
    code: Option<i32>,
    log: String,
    took: Duration,
}

/// Runs a step with `env`; kills it (and fails the test) if it is still running after
/// `hang`.
fn run(step: &str, port: u16, env: &[(&str, String)], hang: Duration) -> Ended {
    let out = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut child = Command::new(bin_dir().join(step))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", out.path())
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_ACCESS_KEY_ID", "AKIAAGENTBASE0000000")
        .env("AWS_SECRET_ACCESS_KEY", "agent-base-secret")
        .env("AWS_REGION", "us-east-2")
        .env("AWS_CALL_TIMEOUT_SECONDS", CALL_TIMEOUT_SECONDS.to_string())
        .env("AWS_MAX_ATTEMPTS", ATTEMPTS.to_string())
        .env("ASSUME_ROLE_MAX_ATTEMPTS", ATTEMPTS.to_string())
        .env("SCOPE_CREDENTIALS_CACHE_DIR", "off")
        .env("NP_CLI", "/nonexistent/np")
        .env("NP_OUTPUT_DIR", out.path())
        .env("OUTPUT_DIR", out.path())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > hang {
            child.kill().unwrap();
            let _ = child.wait();
            panic!(
                "{step} was still running after {hang:?} against an endpoint that never answers"
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    Ended {
        code: output.status.code(),
        log: text(&output.stdout) + &text(&output.stderr),
        took: started.elapsed(),
    }
}

fn scope_context() -> String {
    crate::common::context_fixture("scope-public-image.json").to_string()
}

fn deployment_context() -> String {
    crate::common::context_fixture("deployment-initial-zip.json").to_string()
}

fn telemetry_context(action: &str) -> String {
    json!({"action": action, "arguments": {"scope_id": "7", "metric": "lambda.invocations"}})
        .to_string()
}

#[test]
fn every_aws_calling_step_fails_within_its_bounds_against_an_endpoint_that_never_answers() {
    let port = black_hole();
    let function = ("LAMBDA_FUNCTION_NAME", FUNCTION.to_string());
    // (step, what it needs to reach its first AWS call)
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "assume-role",
            vec![("ASSUME_ROLE_ARN", "arn:aws:iam::123456789012:role/np-lambda-x".into())],
        ),
        ("build-deployment-context", vec![("CONTEXT", deployment_context())]),
        (
            "ensure-ecr-pull-policy",
            vec![("IMAGE_URI", IMAGE.into()), ("PACKAGE_TYPE", "Image".into())],
        ),
        (
            "update-function-code",
            vec![function.clone(), ("PACKAGE_TYPE", "Image".into()), ("IMAGE_URI", IMAGE.into())],
        ),
        (
            "update-function-configuration",
            vec![function.clone(), ("CONTEXT", deployment_context()), ("PACKAGE_TYPE", "Zip".into())],
        ),
        ("publish-version", vec![function.clone(), ("DEPLOYMENT_ID", "8".into())]),
        (
            "update-alias",
            vec![
                function.clone(),
                ("ALIAS_STRATEGY", "initial".into()),
                ("LAMBDA_GREEN_VERSION", "3".into()),
                ("DEPLOYMENT_ID", "8".into()),
            ],
        ),
        (
            "wait-provisioned-concurrency",
            vec![
                function.clone(),
                (
                    "CONTEXT",
                    json!({"scope": {"capabilities": {"provisioned_concurrency": {"type": "provisioned", "value": 2}}}})
                        .to_string(),
                ),
            ],
        ),
        (
            "resolve-placeholder-image",
            vec![("PACKAGE_TYPE", "Image".into()), ("PLACEHOLDER_IMAGE_URI", IMAGE.into())],
        ),
        (
            "adjust-concurrency",
            vec![function.clone(), ("CONCURRENCY_KIND", "reserved".into()), ("CONCURRENCY", "5".into())],
        ),
        ("invoke-function", vec![function.clone(), ("INVOKE_PAYLOAD", "{}".into())]),
        ("delete-scope-secrets", vec![("SCOPE_ID", "7".into())]),
        ("read-logs", vec![("CONTEXT", telemetry_context("log:read"))]),
        ("read-metrics", vec![("CONTEXT", telemetry_context("metric:data"))]),
        ("list-instances", vec![("CONTEXT", telemetry_context("instance:data"))]),
    ];
    // One call's bound, plus process start and the SDK's backoff between attempts.
    let bound = Duration::from_secs(CALL_TIMEOUT_SECONDS * ATTEMPTS + 3);
    for (step, env) in &cases {
        let ended = run(step, port, env, Duration::from_secs(30));
        assert_ne!(
            ended.code,
            Some(0),
            "{step} succeeded against a black hole:\n{}",
            ended.log
        );
        assert!(
            ended.log.contains('❌') && ended.log.contains('🔧'),
            "{step}: no ❌/🔧 report:\n{}",
            ended.log
        );
        assert!(
            ended.took <= bound,
            "{step} took {:?} (bound {bound:?}):\n{}",
            ended.took,
            ended.log
        );
    }
}

#[test]
fn steps_that_make_many_lookups_end_too() {
    let port = black_hole();
    // compose-tofu looks up every resource it declares (each failed lookup is a warning:
    // tofu then creates as usual); diagnose runs its checks concurrently.
    let compose = run(
        "compose-tofu",
        port,
        &[
            ("TOFU_ACTION", "apply".into()),
            ("VISIBILITY", "public".into()),
            ("SCOPE_ID", "7".into()),
            ("LAMBDA_FUNCTION_NAME", FUNCTION.into()),
            ("PACKAGE_TYPE", "Zip".into()),
            ("LAMBDA_FILENAME", "placeholder.zip".into()),
            (
                "SERVICE_PATH",
                crate::common::repo_root().display().to_string(),
            ),
            ("CONTEXT", scope_context()),
            (
                "IAM_PERMISSIONS_BOUNDARY",
                "arn:aws:iam::123456789012:policy/np-lambda-boundary".into(),
            ),
        ],
        Duration::from_secs(60),
    );
    assert!(compose.log.contains("⚠️"), "{}", compose.log);
    assert!(
        compose.took < Duration::from_secs(20),
        "compose-tofu took {:?}",
        compose.took
    );

    let diagnose = run(
        "diagnose",
        port,
        &[
            ("LAMBDA_FUNCTION_NAME", FUNCTION.into()),
            ("CONTEXT", scope_context()),
            ("DIAGNOSE_CHECK_TIMEOUT", "5".into()),
        ],
        Duration::from_secs(60),
    );
    // Each check that could not reach AWS says so (⚠️ cannot check), with the fix.
    assert!(
        diagnose.log.contains("cannot check")
            && diagnose.log.contains("timed out")
            && diagnose.log.contains('🔧'),
        "{}",
        diagnose.log
    );
    assert!(
        diagnose.took < Duration::from_secs(20),
        "diagnose took {:?}",
        diagnose.took
    );
}

#[test]
fn call_bounds_out_of_range_are_refused_before_any_call() {
    let port = black_hole();
    for (name, value) in [
        ("AWS_MAX_ATTEMPTS", "0"),
        ("AWS_MAX_ATTEMPTS", "11"),
        ("AWS_CALL_TIMEOUT_SECONDS", "0"),
        ("AWS_CALL_TIMEOUT_SECONDS", "ten"),
        ("ASSUME_ROLE_MAX_ATTEMPTS", "50"),
    ] {
        let ended = run(
            "assume-role",
            port,
            &[
                (
                    "ASSUME_ROLE_ARN",
                    "arn:aws:iam::123456789012:role/np-lambda-x".into(),
                ),
                (name, value.into()),
            ],
            Duration::from_secs(30),
        );
        assert_eq!(ended.code, Some(2), "{name}={value}: {}", ended.log);
        assert!(
            ended.log.contains(&format!("❌ {name} is")),
            "{name}={value}: {}",
            ended.log
        );
        assert!(
            ended.took < Duration::from_secs(2),
            "{name}={value} made a call first"
        );
    }
}
