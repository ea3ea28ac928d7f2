//! The point of the runner, end to end against moto server: a workflow whose first step
//! is our assume_role step, and whose later steps — a shell step running
//! `aws sts get-caller-identity` and a Rust step — both act as the assumed role.

use crate::common::{aws_cli, bin_dir, np_env, repo_root, text, MotoServer};
use serde_json::{json, Value};

const BASE_KEY: &str = "AKIAAGENTBASE0000000";

#[test]
fn every_step_after_assume_role_acts_as_the_assumed_role() {
    let moto = MotoServer::start();
    let role = moto.create_role("np-lambda-runner");
    let second = moto.create_role("np-lambda-second");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let context = json!({"scope": {"id": "4242", "nrn": "organization=1:account=2:namespace=3:application=4:scope=4242"}});
    let mut env = moto.aws_env();
    env.extend(np_env(dir.path(), json!([])));
    env.extend([
        ("SCOPE_BIN_DIR".to_string(), bin_dir().display().to_string()),
        ("SCOPE_CREDENTIALS_CACHE_DIR".into(), "off".into()),
        ("ASSUME_ROLE_ARN".into(), role.clone()),
        ("SECOND_ROLE_ARN".into(), second.clone()),
        ("AWS_CLI".into(), aws_cli().display().to_string()),
        ("CONTEXT".into(), context.to_string()),
        ("NP_OUTPUT_DIR".into(), out.display().to_string()),
    ]);
    let workflow = repo_root().join("tests/fixtures/runner/e2e/workflow.yaml");
    let output = crate::common::run_workflow_strict(&workflow, &[], &env);
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    for step in ["assume_role", "caller_identity", "rust_step"] {
        assert!(stdout.contains(&format!("✅ {step} (")), "{step}: {stdout}");
    }

    // The shell step: the AWS CLI saw the assumed role, not the agent.
    let identity: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("identity.json")).unwrap()).unwrap();
    assert_eq!(
        identity["Arn"],
        "arn:aws:sts::123456789012:assumed-role/np-lambda-runner/np-lambda-4242"
    );

    // STS saw who signed what: the agent assumed the first role; the CLI and the Rust
    // step both signed with the first role's temporary key.
    let assume = moto.calls("AssumeRole");
    assert_eq!(assume.len(), 2, "{assume:?}");
    assert_eq!(assume[0].access_key_id.as_deref(), Some(BASE_KEY));
    assert_eq!(assume[0].form("RoleArn"), Some(role));
    let role_key = assume[1].access_key_id.clone().expect("signed");
    assert_ne!(
        role_key, BASE_KEY,
        "the Rust step must not use the agent's credentials"
    );
    assert_eq!(assume[1].form("RoleArn"), Some(second));
    assert_eq!(
        assume[1].form("RoleSessionName").as_deref(),
        Some("rust-step")
    );
    let caller = moto.calls("GetCallerIdentity");
    assert_eq!(caller.len(), 1);
    assert_eq!(caller[0].access_key_id.as_deref(), Some(role_key.as_str()));

    // Credentials travel between steps, never through the output.
    assert!(!stdout.contains("AWS_SECRET_ACCESS_KEY="), "{stdout}");
    assert!(!stdout.contains("SessionToken"), "{stdout}");
}
