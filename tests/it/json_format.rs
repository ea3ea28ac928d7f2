//! `--format json` pipes: for every step of the command table, stdout is exactly one JSON
//! document when the step succeeds and empty when it fails (the ❌/💡/🔧 report and all
//! progress go to stderr); the telemetry steps answer one JSON document either way.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{bin_dir, np_env, text, MotoServer};
use lambda_scope::commands;
use serde_json::{json, Value};

const FUNCTION: &str = "7-automation-development-tools";
const REGION: &str = "us-east-2";

/// The steps whose stdout is the response body whatever happens.
const TELEMETRY: &[&str] = &["read-logs", "read-metrics", "list-instances"];

fn run(step: &str, args: &[&str], env: &[(String, String)], cwd: &Path) -> Output {
    Command::new(bin_dir().join(step))
        .args(args)
        .arg("--format")
        .arg("json")
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", cwd)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap()
}

/// stdout parsed as exactly one JSON document (whitespace around it allowed).
fn one_document(step: &str, stdout: &str) -> Value {
    let mut documents = serde_json::Deserializer::from_str(stdout).into_iter::<Value>();
    let first = documents
        .next()
        .unwrap_or_else(|| panic!("{step}: stdout holds no JSON document: {stdout:?}"))
        .unwrap_or_else(|err| panic!("{step}: stdout is not JSON ({err}): {stdout:?}"));
    assert!(
        documents.next().is_none(),
        "{step}: stdout holds more than one document: {stdout:?}"
    );
    first
}

/// The contract for one run; returns whether the step succeeded.
fn check(step: &str, output: &Output) -> bool {
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    if TELEMETRY.contains(&step) || output.status.success() {
        one_document(step, &stdout);
    } else {
        assert!(
            stdout.trim().is_empty(),
            "{step} failed and printed on stdout (the report belongs on stderr): {stdout:?}"
        );
        assert!(
            stderr.contains('❌'),
            "{step}: no report on stderr: {stderr}"
        );
    }
    output.status.success()
}

#[test]
fn without_a_context_every_step_reports_on_stderr_and_stdout_stays_json_or_empty() {
    let dir = tempfile::tempdir().unwrap();
    // No CONTEXT, no AWS endpoint that answers: steps fail early or answer an error shape.
    let env = vec![
        ("AWS_REGION".to_string(), REGION.to_string()),
        ("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:9".into()),
        ("AWS_ACCESS_KEY_ID".into(), "AKIAEXAMPLE000000000".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "not-a-real-secret".into()),
        ("AWS_MAX_ATTEMPTS".into(), "1".into()),
        ("SCOPE_CREDENTIALS_CACHE_DIR".into(), "off".into()),
        ("NP_CLI".into(), "/nonexistent/np".into()),
        ("ALIAS_STRATEGY".into(), "initial".into()),
    ];
    let mut failed = 0;
    for step in commands::steps() {
        if !check(step.name, &run(step.name, &[], &env, dir.path())) {
            failed += 1;
        }
    }
    assert!(failed >= 10, "the failure paths were exercised: {failed}");
}

#[test]
fn steps_that_succeed_print_their_outputs_alone_on_stdout() {
    let moto = MotoServer::start();
    let role = moto.create_role("np-lambda-json");
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("code.zip");
    crate::common::write_zip(&zip, "exports.handler = async () => 'v0';");
    moto.create_zip_function(FUNCTION, REGION, &role, &zip, &[]);
    let context = crate::common::context_fixture("deployment-initial-zip.json");
    let mut env = moto.aws_env();
    env.extend(np_env(dir.path(), json!([])));
    env.extend([
        ("SCOPE_CREDENTIALS_CACHE_DIR".to_string(), "off".to_string()),
        ("CONTEXT".into(), context.to_string()),
        (
            "NP_OUTPUT_DIR".into(),
            dir.path().join("out").display().to_string(),
        ),
        ("LAMBDA_FUNCTION_NAME".into(), FUNCTION.into()),
        ("DEPLOYMENT_ID".into(), "8".into()),
        ("PACKAGE_TYPE".into(), "Zip".into()),
        ("AWS_REGION".into(), REGION.into()),
    ]);
    // (step, arguments, extra environment, an output the document must hold)
    type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (
            "assume-role",
            &[],
            &[("ASSUME_ROLE_ARN", &role)],
            "ASSUME_ROLE_ARN",
        ),
        ("fetch-scope-config", &[], &[], "AWS_REGION"),
        ("build-scope-context", &[], &[], "LAMBDA_FUNCTION_NAME"),
        ("build-deployment-context", &[], &[], "DEPLOYMENT_ID"),
        ("ensure-ecr-pull-policy", &[], &[], "ECR_PULL_POLICY"),
        ("publish-version", &[], &[], "LAMBDA_GREEN_VERSION"),
        ("diagnose", &["--list"], &[], ""),
    ];
    for (step, args, extra, key) in cases {
        let mut env = env.clone();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let output = run(step, args, &env, dir.path());
        assert!(
            check(step, &output),
            "{step} failed: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        let document = one_document(step, &text(&output.stdout));
        if !key.is_empty() {
            assert!(
                document.get(key).is_some(),
                "{step}: no {key} in {document}"
            );
        }
        assert!(
            !text(&output.stdout).contains("✅") && !text(&output.stdout).contains("ℹ️"),
            "{step}: progress on stdout"
        );
    }
}
