//! The custom concurrency action workflows through the runner in `--strict` mode against
//! moto: assume_role, the scope context, then adjust-concurrency on the scope's function
//! (reserved concurrency set, removed, and a bad value rejected before any call).

mod common;

use common::{bin_dir, np_env, repo_root, text, MotoServer};
use serde_json::{json, Value};

const FUNCTION: &str = "7-automation-development-tools";

fn context(concurrency: Value) -> String {
    let path = repo_root().join("tests/fixtures/contexts/scope-public-image.json");
    let mut ctx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    ctx["parameters"] = json!({"concurrency": concurrency});
    ctx.to_string()
}

fn run_workflow(name: &str, env: &[(String, String)]) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_scope-workflow"))
        .arg("run")
        .arg(repo_root().join("workflows/scope").join(name))
        .arg("--service-path")
        .arg(repo_root())
        .arg("--strict")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
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
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_scope-workflow"))
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
    let assume = printed.find("assume_role").unwrap();
    let adjust = printed.find("adjust_concurrency").unwrap();
    assert!(assume < adjust, "assume_role runs first");
}
