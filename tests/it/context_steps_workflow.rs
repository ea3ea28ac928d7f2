//! The context steps inside workflows, through the project's runner in `--strict`
//! mode (only declared outputs travel): fetch-scope-config then build-scope-context;
//! and assume_role, fetch-scope-config, build-deployment-context against moto server,
//! where the version lookup uses the assumed role and the provider's region.

use std::collections::HashMap;
use std::path::Path;
use std::process::Output;

use serde_json::{json, Value};

use crate::common::context_fixture as fixture;

fn run_workflow(workflow: &str, env: Vec<(String, String)>) -> Output {
    let file = crate::common::repo_root()
        .join("tests/fixtures/context_steps")
        .join(workflow);
    crate::common::run_workflow_strict(&file, &[], &env)
}

fn recorded(path: &Path) -> HashMap<String, String> {
    String::from_utf8(std::fs::read(path).unwrap())
        .unwrap()
        .split('\0')
        .filter_map(|entry| entry.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn base_env(dir: &Path, context: &Value) -> Vec<(String, String)> {
    let mut env = crate::common::np_env(dir, json!([]));
    env.extend([
        (
            "SCOPE_BIN_DIR".to_string(),
            crate::common::bin_dir().display().to_string(),
        ),
        ("CONTEXT".into(), context.to_string()),
        (
            "NP_OUTPUT_DIR".into(),
            dir.join("out").display().to_string(),
        ),
        (
            "RECORD_FILE".into(),
            dir.join("record.env").display().to_string(),
        ),
    ]);
    env
}

#[test]
fn scope_context_workflow_in_strict_mode() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_workflow(
        "scope.yaml",
        base_env(dir.path(), &fixture("scope-public-image.json")),
    );
    let log = crate::common::text(&output.stdout) + &crate::common::text(&output.stderr);
    assert!(output.status.success(), "{log}");
    let seen = recorded(&dir.path().join("record.env"));
    assert_eq!(seen["AWS_REGION"], "us-east-2");
    assert_eq!(seen["VPC_ID"], "vpc-0a1b2c3d");
    assert_eq!(seen["TOFU_STATE_BUCKET"], "acme-tofu-state");
    assert_eq!(
        seen["LAMBDA_FUNCTION_NAME"],
        "7-automation-development-tools"
    );
    assert_eq!(seen["VISIBILITY"], "public");
    assert_eq!(seen["PACKAGE_TYPE"], "Image");
    assert_eq!(
        seen["OUTPUT_DIR"],
        dir.path().join("out/output/7").display().to_string()
    );
    assert!(crate::common::np_calls(dir.path()).is_empty());
}

#[test]
fn deployment_context_workflow_after_assume_role() {
    let moto = crate::common::MotoServer::start();
    let role = moto.create_role("np-lambda-context");
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("code.zip");
    crate::common::write_zip(&zip, "");
    let function = "7-automation-development-tools";
    // The provider's region (us-east-2) is where the function lives.
    let region = ["--region", "us-east-2"];
    moto.create_zip_function(function, "us-east-2", &role, &zip, &[]);
    for (index, description) in ["5", "9"].iter().enumerate() {
        let variables = format!("Variables={{N={index}}}");
        moto.aws(
            &[
                &[
                    "lambda",
                    "update-function-configuration",
                    "--function-name",
                    function,
                    "--environment",
                    &variables,
                ][..],
                &region,
            ]
            .concat(),
        );
        moto.aws(
            &[
                &[
                    "lambda",
                    "publish-version",
                    "--function-name",
                    function,
                    "--description",
                    description,
                ][..],
                &region,
            ]
            .concat(),
        );
    }

    let mut env = base_env(dir.path(), &fixture("deployment-blue-green-image.json"));
    env.extend(moto.aws_env());
    env.extend([
        ("ASSUME_ROLE_ARN".to_string(), role),
        ("SCOPE_CREDENTIALS_CACHE_DIR".into(), "off".into()),
    ]);
    let output = run_workflow("deployment.yaml", env);
    let log = crate::common::text(&output.stdout) + &crate::common::text(&output.stderr);
    assert!(output.status.success(), "{log}");
    let seen = recorded(&dir.path().join("record.env"));
    assert_eq!(seen["AWS_REGION"], "us-east-2");
    assert_eq!(seen["LAMBDA_GREEN_VERSION"], "2", "{log}");
    assert_eq!(seen["LAMBDA_BLUE_VERSION"], "1");
    assert_eq!(seen["DESIRED_TRAFFIC"], "25");
    assert_eq!(seen["IS_BLUE_GREEN"], "true");
    assert_ne!(
        seen["AWS_ACCESS_KEY_ID"], "AKIAAGENTBASE0000000",
        "later steps run as the assumed role"
    );
    assert!(!log.contains("agent-base-secret"));
}
