//! run-tofu end to end: the real shim under bash after assume-role, the real
//! tofu / terraform CLI, and moto server as the S3 state backend and STS. The module
//! uses only built-in resources (the AWS provider cannot be downloaded here); its
//! local-exec asks STS who is calling, proving tofu acted as the assumed role.

use std::path::Path;

use crate::common::{bash, repo_root, text, MotoServer};
use crate::support::terraform::TofuCli;
use serde_json::{json, Value};

const SCOPE_ID: &str = "7001";
const BUCKET: &str = "np-scope-state";

/// A test-only root module: one terraform_data whose create and destroy provisioners
/// record the caller identity, and the outputs the step hands on.
fn write_module(dir: &Path, aws_cli: &Path) {
    let main_tf = format!(
        r#"terraform {{
  backend "s3" {{}}
}}

variable "function_name" {{
  type = string
}}

resource "terraform_data" "function" {{
  input = var.function_name

  provisioner "local-exec" {{
    command = "'{aws}' sts get-caller-identity --output json > '${{path.module}}/created-by.json'"
  }}

  provisioner "local-exec" {{
    when    = destroy
    command = "'{aws}' sts get-caller-identity --output json > '${{path.module}}/destroyed-by.json'"
  }}
}}

output "lambda_function_arn" {{
  value = "arn:aws:lambda:us-east-1:123456789012:function:${{terraform_data.function.output}}"
}}

output "lambda_current_version" {{
  value = 1
}}
"#,
        aws = aws_cli.display()
    );
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("main.tf"), main_tf).unwrap();
    std::fs::write(
        dir.join("tofu.tfvars.json"),
        json!({"function_name": "s7001-app-main"}).to_string(),
    )
    .unwrap();
}

struct Setup {
    moto: MotoServer,
    _dir: tempfile::TempDir,
    output_dir: std::path::PathBuf,
    env: Vec<(String, String)>,
    _cli: TofuCli,
}

fn setup() -> Setup {
    let moto = MotoServer::start();
    moto.aws(&["s3api", "create-bucket", "--bucket", BUCKET]);
    let role = moto.create_role("np-lambda-runner");
    let dir = tempfile::tempdir().unwrap();
    let output_dir = dir.path().join("output").join(SCOPE_ID);
    write_module(&output_dir.join("tofu"), &crate::common::aws_cli());
    let cli = TofuCli::find();
    let mut env = moto.aws_env();
    env.extend(cli.env());
    env.extend(crate::common::scope_step_settings(
        dir.path(),
        &role,
        SCOPE_ID,
        BUCKET,
        &output_dir,
    ));
    Setup {
        moto,
        _dir: dir,
        output_dir,
        env,
        _cli: cli,
    }
}

/// assume-role then run-tofu, as a workflow runs them; prints the outputs last.
const ASSUME_THEN_TOFU: &str = r#"
source steps/assume-role || exit $?
source steps/run-tofu; rc=$?
printf 'OUTPUTS {"arn":"%s","version":"%s","rule":"%s"}\n' "$LAMBDA_FUNCTION_ARN" "$LAMBDA_CURRENT_VERSION" "${ALB_RULE_ARN-unset}"
exit $rc
"#;

fn run(setup: &Setup, action: &str) -> (i32, String, Value) {
    let mut env = setup.env.clone();
    env.push(("TOFU_ACTION".into(), action.into()));
    let output = bash(ASSUME_THEN_TOFU, &env, &repo_root());
    let stdout = text(&output.stdout);
    let outputs = stdout
        .lines()
        .find_map(|line| line.strip_prefix("OUTPUTS "))
        .map(|line| serde_json::from_str(line).unwrap())
        .unwrap_or(Value::Null);
    (
        output.status.code().unwrap_or(-1),
        format!("{stdout}\n--- stderr ---\n{}", text(&output.stderr)),
        outputs,
    )
}

fn state_object(moto: &MotoServer) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    let key = format!("lambda/{SCOPE_ID}/terraform.tfstate");
    moto.aws(&[
        "s3api",
        "get-object",
        "--bucket",
        BUCKET,
        "--key",
        &key,
        file.to_str().unwrap(),
    ]);
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

fn caller_arn(file: &Path) -> String {
    let identity: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    identity["Arn"].as_str().unwrap().to_string()
}

#[test]
fn apply_then_destroy_as_the_assumed_role_with_state_in_s3() {
    let setup = setup();
    let module_dir = setup.output_dir.join("tofu");

    let (code, log, outputs) = run(&setup, "apply");
    assert_eq!(code, 0, "{log}");
    // init, then apply, with tofu's own lines on the progress stream.
    assert!(log.contains("Initializing the backend"), "{log}");
    assert!(log.contains("Apply complete!"), "{log}");
    assert_eq!(
        outputs["arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:s7001-app-main"
    );
    assert_eq!(outputs["version"], "1");
    // An output the module does not define is emitted empty (workflows declare it).
    assert_eq!(outputs["rule"], "");

    // The provisioner ran with the assumed role's credentials.
    let created_by = caller_arn(&module_dir.join("created-by.json"));
    assert!(
        created_by.contains(":assumed-role/np-lambda-runner/"),
        "{created_by}"
    );

    // State lives in the bucket under the scope's key and holds the resource.
    let state = state_object(&setup.moto);
    let resources = state["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 1, "{state}");
    assert_eq!(resources[0]["type"], "terraform_data");
    // Every state write was signed by the assumed role, never the agent's base key.
    let state_puts: Vec<_> = setup
        .moto
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.url.contains("terraform.tfstate"))
        .collect();
    assert!(!state_puts.is_empty());
    for put in &state_puts {
        assert!(
            put.url.contains(&format!("/{BUCKET}/lambda/{SCOPE_ID}/")),
            "path-style key: {}",
            put.url
        );
        assert_ne!(put.access_key_id.as_deref(), Some("AKIAAGENTBASE0000000"));
        assert!(put.access_key_id.is_some());
    }
    // The lock file was used (written, then removed).
    assert!(setup
        .moto
        .requests()
        .iter()
        .any(|r| r.method == "PUT" && r.url.contains("terraform.tfstate.tflock")));

    let (code, log, _) = run(&setup, "destroy");
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("Destroy complete!"), "{log}");
    let destroyed_by = caller_arn(&module_dir.join("destroyed-by.json"));
    assert!(destroyed_by.contains(":assumed-role/np-lambda-runner/"));
    let state = state_object(&setup.moto);
    assert_eq!(
        state["resources"].as_array().map(Vec::len),
        Some(0),
        "{state}"
    );
}

#[test]
fn tofu_errors_on_stderr_reach_the_progress_stream() {
    let setup = setup();
    // A provisioner that fails: tofu prints the error on stderr.
    std::fs::write(
        setup.output_dir.join("tofu/fail.tf"),
        r#"resource "terraform_data" "broken" {
  provisioner "local-exec" {
    command = "echo the-placeholder-failed >&2; exit 3"
  }
}
"#,
    )
    .unwrap();
    let mut env = setup.env.clone();
    env.push(("TOFU_ACTION".into(), "apply".into()));
    let output = bash(
        "source steps/assume-role || exit $?\nsource steps/run-tofu",
        &env,
        &repo_root(),
    );
    let stdout = text(&output.stdout);
    assert_ne!(output.status.code(), Some(0));
    assert!(stdout.contains("local-exec provisioner error"), "{stdout}");
    assert!(stdout.contains("the-placeholder-failed"), "{stdout}");
    assert!(stdout.contains("❌ tofu apply failed"), "{stdout}");
    assert!(stdout.contains("🔧"), "{stdout}");
}

#[test]
fn missing_settings_and_binary_are_reported_before_tofu_runs() {
    let setup = setup();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("TOFU_ACTION", "plan")], "TOFU_ACTION is 'plan'"),
        (
            &[("TOFU_ACTION", "apply"), ("TOFU_STATE_BUCKET", "")],
            "TOFU_STATE_BUCKET is not set",
        ),
        (
            &[("TOFU_ACTION", "apply"), ("TOFU_BIN", "/nowhere/tofu")],
            "TOFU_BIN names '/nowhere/tofu'",
        ),
    ];
    for (extra, expected) in cases {
        let mut env = setup.env.clone();
        env.retain(|(key, _)| !extra.iter().any(|(k, _)| k == key));
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let output = bash("source steps/run-tofu", &env, &repo_root());
        let stdout = text(&output.stdout);
        assert_eq!(output.status.code(), Some(2), "{stdout}");
        assert!(stdout.contains(&format!("❌ {expected}")), "{stdout}");
        assert!(stdout.contains("🔧"), "{stdout}");
    }
    // Nothing reached the state bucket.
    assert!(!setup
        .moto
        .requests()
        .iter()
        .any(|r| r.url.contains("terraform.tfstate")));
}

/// The main alias as moto reports it: (version, additional version weights).
#[test]
fn a_tofu_older_than_1_10_is_refused_before_init_with_both_versions_named() {
    let setup = setup();
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls");
    let old = dir.path().join("tofu");
    // Alpine's opentofu package: too old for the backend's use_lockfile.
    std::fs::write(
        &old,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\n[ \"$1\" = version ] && echo 'OpenTofu v1.8.3' && echo 'on linux_amd64'\nexit 0\n",
            calls.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&old, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut env = setup.env.clone();
    env.retain(|(key, _)| key != "TOFU_BIN" && key != "TOFU_ACTION");
    env.push(("TOFU_BIN".into(), old.display().to_string()));
    env.push(("TOFU_ACTION".into(), "apply".into()));
    let output = bash("source steps/run-tofu", &env, &repo_root());
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains(
            "❌ OpenTofu 1.8.3 is too old: this scope needs OpenTofu or Terraform 1.10.0 or later"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("💡 ") && stdout.contains("🔧 "), "{stdout}");
    // Only `version` ran: no init, nothing in the state bucket.
    assert_eq!(std::fs::read_to_string(&calls).unwrap(), "version\n");
}

fn main_alias(moto: &MotoServer) -> (String, Value) {
    let alias = moto.aws(&[
        "lambda",
        "get-alias",
        "--function-name",
        "s7001-app-main",
        "--name",
        "main",
    ]);
    (
        alias["FunctionVersion"].as_str().unwrap().to_string(),
        alias["RoutingConfig"]["AdditionalVersionWeights"].clone(),
    )
}

#[test]
fn apply_moves_a_lagging_main_alias_to_the_newest_version_but_not_a_weighted_one() {
    let setup = setup();
    let moto = &setup.moto;
    // The function the module's ARN output names: versions 1 and 2, alias main on 1.
    let exec_role = moto.create_role("s7001-exec");
    let zip = setup.output_dir.join("code.zip");
    let zipped = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').writestr('index.js', 'exports.handler = async () => 1;')",
            zip.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(zipped.success());
    let function = ["--function-name", "s7001-app-main"];
    let code = format!("fileb://{}", zip.display());
    moto.aws(
        &[
            &["lambda", "create-function", "--runtime", "nodejs22.x"][..],
            &[
                "--handler",
                "index.handler",
                "--role",
                &exec_role,
                "--zip-file",
                &code,
            ],
            &function,
        ]
        .concat(),
    );
    moto.aws(&[&["lambda", "publish-version"][..], &function].concat());
    moto.aws(
        &[
            &["lambda", "update-function-configuration", "--timeout", "10"][..],
            &function,
        ]
        .concat(),
    );
    moto.aws(&[&["lambda", "publish-version"][..], &function].concat());
    moto.aws(
        &[
            &[
                "lambda",
                "create-alias",
                "--name",
                "main",
                "--function-version",
                "1",
            ][..],
            &function,
        ]
        .concat(),
    );

    let (code, log, outputs) = run(&setup, "apply");
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("alias main moved from version 1 to the newest version 2"),
        "{log}"
    );
    assert_eq!(main_alias(moto).0, "2");
    assert_eq!(outputs["version"], "2", "the output follows the alias");
    // The move was made with the assumed role's credentials.
    let updates: Vec<_> = moto
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.url.contains("/functions/s7001-app-main/aliases/main"))
        .collect();
    assert_eq!(updates.len(), 1, "one UpdateAlias");
    assert_ne!(
        updates[0].access_key_id.as_deref(),
        Some("AKIAAGENTBASE0000000")
    );

    // A blue/green in progress: 1 primary, 30% on 2. The apply leaves it alone.
    moto.aws(
        &[
            &[
                "lambda",
                "update-alias",
                "--name",
                "main",
                "--function-version",
                "1",
                "--routing-config",
                r#"{"AdditionalVersionWeights":{"2":0.3}}"#,
            ][..],
            &function,
        ]
        .concat(),
    );
    let (code, log, _) = run(&setup, "apply");
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains(
            "routes traffic to versions 1 and 2 (a blue/green is in progress): left as it is"
        ),
        "{log}"
    );
    let (version, weights) = main_alias(moto);
    assert_eq!(version, "1");
    assert_eq!(weights, json!({"2": 0.3}));

    // Blue/green scopes never have their alias touched by run-tofu.
    moto.aws(
        &[
            &[
                "lambda",
                "update-alias",
                "--name",
                "main",
                "--function-version",
                "1",
                "--routing-config",
                r#"{"AdditionalVersionWeights":{}}"#,
            ][..],
            &function,
        ]
        .concat(),
    );
    let mut blue_green = setup.env.clone();
    blue_green.push(("IS_BLUE_GREEN".into(), "true".into()));
    blue_green.push(("TOFU_ACTION".into(), "apply".into()));
    let output = bash(ASSUME_THEN_TOFU, &blue_green, &repo_root());
    let log = text(&output.stdout);
    assert!(output.status.success(), "{log}");
    assert!(
        log.contains("blue/green scope: the main alias is left to deployments"),
        "{log}"
    );
    assert_eq!(main_alias(moto).0, "1");

    // A deployment published version 3 (its id as description) and has not switched
    // the alias yet (a blue/green at 0 %): a scope update leaves that to the deployment.
    moto.aws(
        &[
            &["lambda", "update-function-configuration", "--timeout", "20"][..],
            &function,
        ]
        .concat(),
    );
    moto.aws(
        &[
            &["lambda", "publish-version", "--description", "d-9"][..],
            &function,
        ]
        .concat(),
    );
    let (code, log, _) = run(&setup, "apply");
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("the newest version 3 belongs to deployment d-9"),
        "{log}"
    );
    assert_eq!(main_alias(moto).0, "1");
}

/// The import blocks compose-tofu writes and the imports run-tofu makes before a destroy,
/// run by the real binary against built-in resources (terraform_data can be imported).
#[test]
fn resources_missing_from_the_state_are_adopted_on_apply_and_before_destroy() {
    use lambda_scope::tofu::imports::{import_blocks, Import, FOUND_FILE, IMPORTS_FILE};
    let setup = setup();
    let module_dir = setup.output_dir.join("tofu");
    std::fs::write(
        module_dir.join("adopted.tf"),
        r#"locals {
  counted_enabled = true
  off_enabled     = false
}

resource "terraform_data" "adopted" {}

resource "terraform_data" "counted" {
  count = local.counted_enabled ? 1 : 0
}

resource "terraform_data" "off" {
  count = local.off_enabled ? 1 : 0
}
"#,
    )
    .unwrap();
    let import = |to: &str, id: &str, when: Option<&str>| Import {
        to: to.into(),
        id: id.into(),
        when: when.map(str::to_string),
    };
    let found = vec![
        import("terraform_data.adopted", "made-by-hand", None),
        import(
            "terraform_data.counted",
            "counted-by-hand",
            Some("local.counted_enabled"),
        ),
        // Its count is 0: the guarded block imports nothing, and apply still succeeds.
        import("terraform_data.off", "never", Some("local.off_enabled")),
    ];
    std::fs::write(module_dir.join(IMPORTS_FILE), import_blocks(&found)).unwrap();

    let (code, log, _) = run(&setup, "apply");
    assert_eq!(code, 0, "{log}");
    let ids = |state: &Value| -> Vec<String> {
        let mut ids: Vec<String> = state["resources"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|resource| {
                resource["instances"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |instance| {
                        format!(
                            "{}{}={}",
                            resource["name"].as_str().unwrap(),
                            instance["index_key"]
                                .as_i64()
                                .map(|i| format!("[{i}]"))
                                .unwrap_or_default(),
                            instance["attributes"]["id"].as_str().unwrap()
                        )
                    })
            })
            .filter(|entry| !entry.starts_with("function="))
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(&state_object(&setup.moto)),
        vec!["adopted=made-by-hand", "counted[0]=counted-by-hand"]
    );

    // Before a destroy, what the state already holds is not imported again; the one the
    // configuration does not declare cannot be, and is reported as left in AWS.
    std::fs::remove_file(module_dir.join(IMPORTS_FILE)).unwrap();
    std::fs::write(
        module_dir.join(FOUND_FILE),
        serde_json::to_string(&found).unwrap(),
    )
    .unwrap();
    let (code, log, _) = run(&setup, "destroy");
    assert_eq!(code, 0, "{log}");
    assert!(!log.contains("Importing from ID \"made-by-hand\""), "{log}");
    assert!(
        log.contains("NOT destroyed") && log.contains("terraform_data.off[0] (never)"),
        "{log}"
    );
    // The module's own resource, and the two adopted on apply.
    assert!(
        log.contains("Destroy complete! Resources: 3 destroyed"),
        "{log}"
    );

    // The state is lost while the resources are still "in AWS" (here: compose-tofu's
    // list). Destroy ignores import blocks, so run-tofu imports them, then destroys.
    std::fs::write(module_dir.join(IMPORTS_FILE), import_blocks(&found)).unwrap();
    let (code, log, _) = run(&setup, "apply");
    assert_eq!(code, 0, "{log}");
    setup.moto.aws(&[
        "s3api",
        "delete-object",
        "--bucket",
        BUCKET,
        "--key",
        &format!("lambda/{SCOPE_ID}/terraform.tfstate"),
    ]);
    std::fs::remove_file(module_dir.join(IMPORTS_FILE)).unwrap();
    let (code, log, _) = run(&setup, "destroy");
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("terraform_data.adopted: Destroying... [id=made-by-hand]"),
        "{log}"
    );
    assert!(
        log.contains("terraform_data.counted[0]: Destroying... [id=counted-by-hand]"),
        "{log}"
    );
    assert_eq!(
        state_object(&setup.moto)["resources"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}
