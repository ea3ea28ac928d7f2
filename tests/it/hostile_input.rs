//! What a crafted or incomplete action cannot do: a custom slug cannot pick a file outside
//! the workflows, an id cannot move a folder out of NP_OUTPUT_DIR, and a step that changes
//! AWS does nothing at all when the context it derives its settings from is missing.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{bash, bin_dir, repo_root, text, MotoServer};
use serde_json::{json, Value};

const FUNCTION: &str = "7-automation-development-tools";
const REGION: &str = "us-east-2";

/// A step by its link name, with an empty environment but PATH.
fn clean_step(name: &str) -> Command {
    let mut command = Command::new(bin_dir().join(name));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap());
    command
}

/// An executable `<dir>/<name>` running `body` under sh: a program a step calls, that
/// records what it was given.
fn fake_program(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

fn notification(slug: &str, scope_id: &str) -> String {
    let mut fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("tests/fixtures/notifications/invoke.json"))
            .unwrap(),
    )
    .unwrap();
    fixture["notification"]["slug"] = json!(slug);
    fixture["notification"]["parameters"]["scope_id"] = json!(scope_id);
    format!("'{fixture}'")
}

fn entrypoint(action_context: &str, out: &Path) -> Output {
    let script = format!("exec \"{}/entrypoint\"", repo_root().display());
    bash(
        &script,
        &[
            ("NP_ACTION_CONTEXT".into(), action_context.into()),
            ("SCOPE_WORKFLOW_RUNNER".into(), "local".into()),
            ("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()),
            ("NP_OUTPUT_DIR".into(), out.display().to_string()),
        ],
        &repo_root(),
    )
}

#[test]
fn a_custom_slug_with_a_path_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Any folder on the machine, holding a workflow that leaves a mark when it runs.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let marker = dir.path().join("ran");
    std::fs::write(
        elsewhere.join("x.yaml"),
        format!(
            "steps:\n  - name: mark\n    type: command\n    command: touch {}\n",
            marker.display()
        ),
    )
    .unwrap();
    let escape = format!(
        "{}{}/x",
        "../".repeat(16),
        elsewhere.display().to_string().trim_start_matches('/')
    );
    for slug in [
        escape.as_str(),
        elsewhere.join("x").to_str().unwrap(),
        "a/b",
        "..",
    ] {
        let output = entrypoint(&notification(slug, "415005828"), &dir.path().join("out"));
        let log = text(&output.stdout) + &text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{slug}: {log}");
        assert!(log.contains("❌ the action slug"), "{slug}: {log}");
        assert!(log.contains("🔧"), "{log}");
        assert!(
            !marker.exists(),
            "{slug}: the workflow outside workflows/ ran"
        );
    }
}

#[test]
fn ids_with_paths_are_refused_where_they_enter() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // In the notification.
    let output = entrypoint(&notification("invoke", "../../victim"), &out);
    let log = text(&output.stdout) + &text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{log}");
    assert!(
        log.contains("scope id") && log.contains("not a valid id"),
        "{log}"
    );

    // In a built context: OUTPUT_DIR would leave NP_OUTPUT_DIR (compose-tofu clears *.tf there).
    let mut context = crate::common::context_fixture("scope-public-image.json");
    context["scope"]["id"] = json!("../../victim");
    let output = clean_step("build-scope-context")
        .env("CONTEXT", context.to_string())
        .env("NP_OUTPUT_DIR", &out)
        .output()
        .unwrap();
    let log = text(&output.stdout) + &text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{log}");
    assert!(
        log.contains("❌ the scope id in .scope.id is not a valid id"),
        "{log}"
    );
    assert!(!dir.path().join("victim").exists() && !out.join("output").exists());

    let mut context = crate::common::context_fixture("deployment-initial-zip.json");
    context["deployment"]["id"] = json!("8/../../x");
    let output = clean_step("build-deployment-context")
        .env("CONTEXT", context.to_string())
        .env("NP_OUTPUT_DIR", &out)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let log = text(&output.stdout) + &text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{log}");
    assert!(log.contains("the deployment id in .deployment.id"), "{log}");
}

/// A request that changes something (REST writes, or query/JSON actions that are not reads).
fn is_write(request: &crate::common::RecordedRequest) -> bool {
    match request.action.as_deref() {
        Some(action) => !["Get", "List", "Describe", "AssumeRole"]
            .iter()
            .any(|read| action.starts_with(read)),
        None => request.method != "GET" && request.method != "HEAD",
    }
}

#[test]
fn a_step_that_changes_aws_changes_nothing_without_its_context() {
    let moto = MotoServer::start();
    let role = moto.create_role("np-lambda-hostile");
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("code.zip");
    crate::common::write_zip(&zip, "exports.handler = async () => 'v0';");
    moto.create_zip_function(
        FUNCTION,
        REGION,
        &role,
        &zip,
        &[
            "--memory-size",
            "1024",
            "--environment",
            "Variables={KEEP=me}",
        ],
    );
    let before = moto.aws(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        FUNCTION,
        "--region",
        REGION,
    ]);
    // What the operator's settings and the earlier steps' names would give; the context
    // the settings come from is missing.
    let mut env = moto.aws_env();
    env.extend([
        ("AWS_REGION".to_string(), REGION.to_string()),
        ("LAMBDA_FUNCTION_NAME".into(), FUNCTION.into()),
        ("PACKAGE_TYPE".into(), "Zip".into()),
        ("SCOPE_CREDENTIALS_CACHE_DIR".into(), "off".into()),
    ]);
    for context in [None, Some("{}")] {
        for (step, jq) in [
            ("update-function-configuration", ".scope.capabilities"),
            ("invoke-function", ".parameters"),
        ] {
            let first = moto.requests().len();
            let mut command = clean_step(step);
            command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            if let Some(context) = context {
                command.env("CONTEXT", context);
            }
            let output = command.output().unwrap();
            let log = text(&output.stdout) + &text(&output.stderr);
            assert!(
                !output.status.success(),
                "{step} with CONTEXT {context:?} succeeded: {log}"
            );
            assert!(log.contains('❌') && log.contains(jq), "{step}: {log}");
            let writes: Vec<_> = moto
                .requests()
                .into_iter()
                .skip(first)
                .filter(is_write)
                .map(|r| format!("{} {}", r.method, r.url))
                .collect();
            assert!(
                writes.is_empty(),
                "{step} changed AWS without a context: {writes:?}"
            );
        }
    }
    let after = moto.aws(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        FUNCTION,
        "--region",
        REGION,
    ]);
    assert_eq!(after["MemorySize"], before["MemorySize"]);
    assert_eq!(after["Environment"], before["Environment"]);
    assert_eq!(after["Environment"]["Variables"]["KEEP"], "me");
}

#[test]
fn compose_tofu_composes_nothing_to_apply_without_the_scope_capabilities() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let root = repo_root();
    let env = [
        ("TOFU_ACTION", "apply"),
        ("VISIBILITY", "event-driven"),
        ("SCOPE_ID", "7"),
        ("LAMBDA_FUNCTION_NAME", FUNCTION),
        ("PACKAGE_TYPE", "Zip"),
        ("LAMBDA_FILENAME", "placeholder.zip"),
        ("AWS_REGION", REGION),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ("AWS_MAX_ATTEMPTS", "1"),
        ("SERVICE_PATH", root.to_str().unwrap()),
        (
            "IAM_PERMISSIONS_BOUNDARY",
            "arn:aws:iam::123456789012:policy/np-lambda-boundary",
        ),
    ];
    for context in [None, Some("{}")] {
        let mut command = clean_step("compose-tofu");
        command.env("OUTPUT_DIR", &out).envs(env);
        if let Some(context) = context {
            command.env("CONTEXT", context);
        }
        let output = command.output().unwrap();
        let log = text(&output.stdout) + &text(&output.stderr);
        assert!(!output.status.success(), "{context:?}: {log}");
        assert!(
            log.contains("❌ CONTEXT has no .scope.capabilities"),
            "{log}"
        );
        assert!(!out.join("tofu").exists(), "something was composed: {log}");
    }
}

#[test]
fn np_never_sees_the_aws_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("np-env");
    let np = fake_program(
        dir.path(),
        "np",
        &format!("env > {}\necho '{{\"id\": 1}}'", seen.display()),
    );
    // generate-domain records the domain with `np scope patch`.
    let output = clean_step("generate-domain")
        .env("NP_CLI", &np)
        .env("VISIBILITY", "public")
        .env("SCOPE_ID", "7")
        .env("NAMESPACE_SLUG", "prod")
        .env("APPLICATION_SLUG", "shop")
        .env("SCOPE_SLUG", "api")
        .env("HOSTED_PUBLIC_ZONE_NAME", "example.com")
        .env("AWS_ACCESS_KEY_ID", "ASIAEXAMPLEKEY000000")
        .env("AWS_SECRET_ACCESS_KEY", "s3cr3t-role-secret")
        .env("AWS_SESSION_TOKEN", "s3cr3t-session-token")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stdout));
    let env = std::fs::read_to_string(&seen).expect("np ran");
    assert!(
        env.contains("SCOPE_ID=7") || env.contains("NP_CLI="),
        "np got an environment: {env}"
    );
    for secret in [
        "ASIAEXAMPLEKEY000000",
        "s3cr3t-role-secret",
        "s3cr3t-session-token",
    ] {
        assert!(!env.contains(secret), "np saw {secret}");
    }
}

#[test]
fn tofu_never_sees_the_platform_key_or_the_context() {
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("tofu-env");
    let tofu = fake_program(
        dir.path(),
        "tofu",
        &format!("env >> {}\nexit 1", seen.display()),
    );
    let work = dir.path().join("tofu-work");
    std::fs::create_dir_all(&work).unwrap();
    let output = clean_step("run-tofu")
        .env("TOFU_BIN", &tofu)
        .env("TOFU_ACTION", "apply")
        .env("SCOPE_ID", "7")
        .env("TOFU_STATE_BUCKET", "state")
        .env("AWS_REGION", REGION)
        .env("TOFU_WORKING_DIR", &work)
        .env("NP_API_KEY", "np-api-key-secret")
        .env(
            "CONTEXT",
            r#"{"parameters":{"results":[{"variable":"DB","values":[{"value":"param-secret"}]}]}}"#,
        )
        .env(
            "NP_ACTION_CONTEXT",
            "'{\"notification\":{\"id\":\"param-secret\"}}'",
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    let env = std::fs::read_to_string(&seen).expect("tofu ran");
    assert!(env.contains("TF_IN_AUTOMATION=1"), "{env}");
    for secret in ["np-api-key-secret", "param-secret"] {
        assert!(!env.contains(secret), "tofu saw {secret}");
    }
}
