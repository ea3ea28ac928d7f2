//! fetch-scope-config through its real shim under bash: providers from CONTEXT or
//! from the np stand-in (with and without dimensions), merges with collisions, the
//! fallbacks, and the ❌/💡/🔧 reports for configuration a workflow cannot run without.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Value};

use crate::common::context_fixture as fixture;

struct Run {
    code: i32,
    stdout: String,
    outputs: HashMap<String, String>,
}

/// Sources `steps/fetch-scope-config <args>` in a clean bash and returns the
/// environment the shell has afterwards (only on success).
fn run(dir: &Path, context: &Value, env: &[(String, String)], args: &str) -> Run {
    let mut full = vec![
        (
            "SCOPE_BIN_DIR".to_string(),
            crate::common::bin_dir().display().to_string(),
        ),
        ("CONTEXT".to_string(), context.to_string()),
    ];
    full.extend(env.iter().cloned());
    let step = crate::common::source_step("fetch-scope-config", args, &full, dir);
    Run {
        code: step.code,
        stdout: step.log,
        outputs: step.outputs,
    }
}

fn provider(id: &str, category: &str, attributes: Value) -> Value {
    json!({"id": id, "category": category, "specification_id": "spec", "nrn": "organization=1:account=2", "dimensions": {}, "attributes": attributes})
}

fn np_list_args(dimensions: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = [
        "provider",
        "list",
        "--nrn",
        "organization=1:account=2:namespace=3:application=4:scope=7",
        "--categories",
        "vpc,scope-configurations,cloud-providers",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(d) = dimensions {
        args.extend(["--dimensions".to_string(), d.to_string()]);
    }
    args.extend(["--format".to_string(), "json".to_string()]);
    args
}

fn np_providers() -> Value {
    json!({"results": [
        provider("vpc-base", "vpc", json!({
            "vpc": {"id": "vpc-base", "subnets": ["subnet-1", "subnet-2"], "security_groups": ["sg-1"]},
            "load_balancer": {"public": {"listener_arn": "arn:public"}}
        })),
        provider("cloud", "cloud-providers", json!({
            "account": {"id": "123456789012", "region": "sa-east-1"},
            "networking": {"hosted_public_zone_id": "ZPUB", "hosted_zone_id": "ZPRIV"}
        })),
        provider("vpc-override", "vpc", json!({
            "vpc": {"id": "vpc-override"},
            "load_balancer": {"private": {"listener_arn": "arn:private"}}
        })),
        provider("scope-config", "scope-configurations", json!({
            "provider": {"aws_state_bucket": "legacy-bucket"},
            "agent": {"null_agent_layer_arn": "arn:aws:lambda:sa-east-1:123456789012:layer:null:1"}
        })),
        provider("other", "assets-repository", json!({"vpc": {"id": "not-a-vpc"}}))
    ]})
}

#[test]
fn providers_from_np_with_dimensions_are_merged_and_collisions_warned() {
    let dir = tempfile::tempdir().unwrap();
    let mut context = fixture("scope-public-image.json");
    context.as_object_mut().unwrap().remove("providers");
    let dims = "country:argentina,environment:development";
    let env = crate::common::np_env(
        dir.path(),
        json!([{"args": np_list_args(Some(dims)), "stdout": np_providers()}]),
    );
    let run = run(dir.path(), &context, &env, "");
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        crate::common::np_calls(dir.path()),
        vec![np_list_args(Some(dims))]
    );
    let expect = [
        ("VPC_ID", "vpc-override"),
        ("AWS_SUBNET_IDS", "subnet-1,subnet-2"),
        ("SECURITY_GROUP_IDS", "sg-1"),
        ("ALB_PUBLIC_LISTENER_ARN", "arn:public"),
        ("ALB_PRIVATE_LISTENER_ARN", "arn:private"),
        ("AWS_ACCOUNT_ID", "123456789012"),
        ("AWS_REGION", "sa-east-1"),
        ("HOSTED_PUBLIC_ZONE_ID", "ZPUB"),
        ("HOSTED_PRIVATE_ZONE_ID", "ZPRIV"),
        ("TOFU_STATE_BUCKET", "legacy-bucket"),
        ("PLACEHOLDER_IMAGE_URI", ""),
        (
            "NULL_AGENT_LAYER_ARN",
            "arn:aws:lambda:sa-east-1:123456789012:layer:null:1",
        ),
    ];
    for (name, value) in expect {
        assert_eq!(
            run.outputs.get(name).map(String::as_str),
            Some(value),
            "{name}"
        );
    }
    assert!(
        run.stdout.contains("key collision in vpc: `vpc.id`"),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stdout.matches("key collision").count(),
        1,
        "{}",
        run.stdout
    );
}

#[test]
fn scope_without_dimensions_asks_np_without_a_filter() {
    let dir = tempfile::tempdir().unwrap();
    let context = fixture("scope-private-zip-no-dimensions.json");
    let env = crate::common::np_env(
        dir.path(),
        json!([{"args": np_list_args(None), "stdout": np_providers()}]),
    );
    let run = run(dir.path(), &context, &env, "");
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        crate::common::np_calls(dir.path()),
        vec![np_list_args(None)]
    );
    assert_eq!(run.outputs["AWS_REGION"], "sa-east-1");
}

#[test]
fn providers_in_the_built_context_need_no_np_call() {
    let dir = tempfile::tempdir().unwrap();
    let env = crate::common::np_env(dir.path(), json!([]));
    let run = run(
        dir.path(),
        &fixture("scope-public-image.json"),
        &env,
        "--require-state-bucket",
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(crate::common::np_calls(dir.path()).is_empty());
    assert_eq!(run.outputs["AWS_REGION"], "us-east-2");
    assert_eq!(run.outputs["VPC_ID"], "vpc-0a1b2c3d");
    assert_eq!(run.outputs["AWS_SUBNET_IDS"], "subnet-0aa,subnet-0bb");
    assert_eq!(run.outputs["TOFU_STATE_BUCKET"], "acme-tofu-state");
    assert_eq!(
        run.outputs["PLACEHOLDER_IMAGE_URI"],
        "123456789012.dkr.ecr.us-east-2.amazonaws.com/np-lambda-placeholder:v1"
    );
}

#[test]
fn placeholder_falls_back_to_the_operator_default() {
    let dir = tempfile::tempdir().unwrap();
    let mut context = fixture("scope-public-image.json");
    context["providers"]["scope-configurations"]
        .as_object_mut()
        .unwrap()
        .remove("deployment");
    let mut env = crate::common::np_env(dir.path(), json!([]));
    env.push((
        "PLACEHOLDER_IMAGE_URI_DEFAULT".into(),
        "123456789012.dkr.ecr.us-east-2.amazonaws.com/default:1".into(),
    ));
    let run = run(dir.path(), &context, &env, "");
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.outputs["PLACEHOLDER_IMAGE_URI"],
        "123456789012.dkr.ecr.us-east-2.amazonaws.com/default:1"
    );
}

#[test]
fn missing_region_is_a_report_naming_category_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut context = fixture("scope-public-image.json");
    context["providers"]["cloud-providers"]["account"]
        .as_object_mut()
        .unwrap()
        .remove("region");
    let env = crate::common::np_env(dir.path(), json!([]));
    let run = run(dir.path(), &context, &env, "");
    assert_ne!(run.code, 0);
    assert!(run.outputs.is_empty(), "nothing is exported on failure");
    for part in ["❌", "💡", "🔧", "`cloud-providers`", "`account.region`"] {
        assert!(run.stdout.contains(part), "{part} in {}", run.stdout);
    }
}

#[test]
fn state_bucket_is_required_only_for_tofu_workflows() {
    let dir = tempfile::tempdir().unwrap();
    let mut context = fixture("scope-public-image.json");
    context["providers"]["scope-configurations"]
        .as_object_mut()
        .unwrap()
        .remove("state");
    let env = crate::common::np_env(dir.path(), json!([]));
    let ok = run(dir.path(), &context, &env, "");
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    assert_eq!(ok.outputs["TOFU_STATE_BUCKET"], "");

    for (args, extra) in [("--require-state-bucket", None), ("", Some("true"))] {
        let mut env = env.clone();
        if let Some(value) = extra {
            env.push(("REQUIRE_STATE_BUCKET".into(), value.into()));
        }
        let failed = run(dir.path(), &context, &env, args);
        assert_ne!(failed.code, 0, "{}", failed.stdout);
        for part in [
            "❌",
            "💡",
            "🔧",
            "`scope-configurations`",
            "`state.tofu_state_bucket`",
        ] {
            assert!(failed.stdout.contains(part), "{part} in {}", failed.stdout);
        }
    }
    let mut env = env.clone();
    env.push(("REQUIRE_STATE_BUCKET".into(), "false".into()));
    assert_eq!(run(dir.path(), &context, &env, "").code, 0);
}

#[test]
fn np_failure_is_reported_and_nothing_exported() {
    let dir = tempfile::tempdir().unwrap();
    let mut context = fixture("scope-public-image.json");
    context.as_object_mut().unwrap().remove("providers");
    let env = crate::common::np_env(
        dir.path(),
        json!([{"args_prefix": ["provider", "list"], "exit": 1, "stderr": "401 unauthorized"}]),
    );
    let run = run(dir.path(), &context, &env, "");
    assert_ne!(run.code, 0);
    assert!(run.outputs.is_empty());
    assert!(run.stdout.contains("401 unauthorized"), "{}", run.stdout);
    assert!(run.stdout.contains("🔧"), "{}", run.stdout);
}

#[test]
fn help_lists_env_vars_and_outputs() {
    let output = std::process::Command::new(crate::common::bin_dir().join("fetch-scope-config"))
        .arg("--help")
        .output()
        .unwrap();
    let help = crate::common::text(&output.stdout);
    for word in [
        "CONTEXT",
        "NP_CLI",
        "PLACEHOLDER_IMAGE_URI_DEFAULT",
        "REQUIRE_STATE_BUCKET",
        "AWS_REGION",
        "TOFU_STATE_BUCKET",
        "NULL_AGENT_LAYER_ARN",
        "--require-state-bucket",
    ] {
        assert!(help.contains(word), "{word} in {help}");
    }
}
