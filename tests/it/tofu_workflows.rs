//! workflows/scope/create.yaml, update.yaml and delete.yaml end to end through the
//! project's runner in `--strict` mode: assume_role, fetch-scope-config,
//! build-scope-context, resolve-placeholder-image (moto's ECR), compose-tofu and the
//! real tofu / terraform with its state in moto's S3; on delete also the scope's own
//! secrets (moto's Secrets Manager). The AWS provider cannot be downloaded here, so the
//! modules are stand-ins built from the real ones: the same variables (validations
//! included) and output names, each module one built-in `terraform_data` resource.

use crate::common::{bin_dir, np_env, repo_root, text, MotoServer};
use crate::support::scope_world::{
    np_accepting_scope_patches, public_image_account, stand_in_modules,
};
use crate::support::terraform::TofuCli;
use serde_json::{json, Value};

/// The scope NRN of the fixture context.
const SCOPE_NRN: &str = "organization=1:account=2:namespace=3:application=4:scope=7";

fn fixture() -> Value {
    crate::common::context_fixture("scope-public-image.json")
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

fn state(moto: &MotoServer, key: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    moto.aws(&[
        "s3api",
        "get-object",
        "--region",
        "us-east-2",
        "--bucket",
        "acme-tofu-state",
        "--key",
        key,
        file.to_str().unwrap(),
    ]);
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

#[test]
fn create_update_delete_a_public_image_scope_in_strict_mode() {
    let moto = MotoServer::start();
    let role = public_image_account(&moto);

    let dir = tempfile::tempdir().unwrap();
    let modules = dir.path().join("modules");
    stand_in_modules(&modules);
    let cli = TofuCli::find();
    let mut env = moto.aws_env();
    env.extend(np_env(dir.path(), np_accepting_scope_patches()));
    env.extend(cli.env());
    // A VPC-enabled scope: the function is created in the vpc provider's subnets.
    let mut vpc_enabled_context = fixture();
    vpc_enabled_context["scope"]["capabilities"]["vpc_enabled"] = json!(true);
    for (key, value) in [
        ("SCOPE_BIN_DIR", bin_dir().display().to_string()),
        ("CONTEXT", vpc_enabled_context.to_string()),
        ("NP_OUTPUT_DIR", dir.path().join("np").display().to_string()),
        (
            "SCOPE_CREDENTIALS_CACHE_DIR",
            dir.path().join("cache").display().to_string(),
        ),
        ("ASSUME_ROLE_ARN", role),
        ("TOFU_MODULES_DIR", modules.display().to_string()),
        ("HOSTED_PUBLIC_ZONE_NAME", "example.com".to_string()),
    ] {
        env.push((key.to_string(), value));
    }

    let (ok, log) = run_workflow("create.yaml", &env);
    assert!(ok, "{log}");
    assert!(
        log.contains(
            "composed provider/aws, iam, compute/lambda, networking/api_gateway, dns/route53"
        ),
        "{log}"
    );
    assert!(log.contains("Apply complete!"), "{log}");
    // generate-domain recorded the domain on the scope, and dns/route53 received it.
    let domain = "tools-automation-development-tools.example.com";
    let patch = json!({"domain": domain}).to_string();
    let patch_call: Vec<String> = [
        "scope", "patch", "--id", "7", "--body", &patch, "--format", "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert!(crate::common::np_calls(dir.path()).contains(&patch_call));
    // A public scope has no ALB rule priority to keep on its NRN.
    assert!(
        log.contains("no ALB listener rule: nothing to store"),
        "{log}"
    );
    assert!(!crate::common::np_calls(dir.path())
        .iter()
        .any(|call| call[0] == "nrn"));
    let key = "lambda/7/terraform.tfstate";
    let created = state(&moto, key);
    let resources = created["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 5, "{created}");
    // The variables the earlier steps produced reached tofu.
    let lambda = resources
        .iter()
        .find(|r| r["name"] == "compute_lambda")
        .unwrap();
    let input = &lambda["instances"][0]["attributes"]["input"]["value"];
    assert_eq!(
        input["placeholder_image_uri"],
        "123456789012.dkr.ecr.us-east-2.amazonaws.com/np-lambda-placeholder:v1"
    );
    assert_eq!(input["package_type"], "Image");
    let dns = resources
        .iter()
        .find(|r| r["name"] == "dns_route53")
        .unwrap();
    assert_eq!(
        dns["instances"][0]["attributes"]["input"]["value"]["hosted_zone_id"],
        "Z0PUBLIC"
    );
    let shared = resources
        .iter()
        .find(|r| r["name"] == "provider_aws")
        .unwrap();
    assert_eq!(
        shared["instances"][0]["attributes"]["input"]["value"]["domain_name"],
        domain
    );
    assert_eq!(input["subnet_ids"], json!(["subnet-0aa", "subnet-0bb"]));
    assert_eq!(
        created["outputs"]["lambda_function_arn"]["value"],
        "arn:aws:lambda:us-east-2:123456789012:function:7-automation-development-tools"
    );
    // The state was written by the assumed role.
    for put in moto
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.url.contains(key))
    {
        assert_ne!(put.access_key_id.as_deref(), Some("AKIAAGENTBASE0000000"));
    }

    // update re-applies the same composition: nothing to change.
    let (ok, log) = run_workflow("update.yaml", &env);
    assert!(ok, "{log}");
    assert!(log.contains("No changes."), "{log}");

    // The scope leaves the VPC (capability off): update takes the function out of the
    // subnets and the execution role's VPC access away; turning it back on restores both.
    let module_input = |state: &Value, module: &str, variable: &str| {
        state["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == module)
            .unwrap()["instances"][0]["attributes"]["input"]["value"][variable]
            .clone()
    };
    assert_eq!(module_input(&created, "iam", "vpc_enabled"), true);
    let with_context = |context: &Value| -> Vec<(String, String)> {
        env.iter()
            .map(|(key, value)| match key.as_str() {
                "CONTEXT" => (key.clone(), context.to_string()),
                _ => (key.clone(), value.clone()),
            })
            .collect()
    };
    let (ok, log) = run_workflow("update.yaml", &with_context(&fixture()));
    assert!(ok, "{log}");
    let outside = state(&moto, key);
    assert_eq!(module_input(&outside, "iam", "vpc_enabled"), false);
    assert_eq!(
        module_input(&outside, "compute_lambda", "subnet_ids"),
        json!([])
    );
    let (ok, log) = run_workflow("update.yaml", &with_context(&vpc_enabled_context));
    assert!(ok, "{log}");
    let inside = state(&moto, key);
    assert_eq!(module_input(&inside, "iam", "vpc_enabled"), true);
    assert_eq!(
        module_input(&inside, "compute_lambda", "subnet_ids"),
        json!(["subnet-0aa", "subnet-0bb"])
    );

    // Secrets of this scope (by name or tag) and of scope 70, which must survive.
    for (name, scope_tag) in [
        ("nullplatform/7/d1/parameters", None),
        ("nullplatform/70/d1/parameters", None),
        ("tagged-for-7", Some("7")),
        ("tagged-for-70", Some("70")),
    ] {
        let mut args = vec![
            "secretsmanager".to_string(),
            "create-secret".into(),
            "--region".into(),
            "us-east-2".into(),
            "--name".into(),
            name.into(),
            "--secret-string".into(),
            "{}".into(),
        ];
        if let Some(id) = scope_tag {
            args.push("--tags".into());
            args.push(format!("Key=nullplatform:scope-id,Value={id}"));
        }
        moto.aws(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }

    let (ok, log) = run_workflow("delete.yaml", &env);
    assert!(ok, "{log}");
    assert!(log.contains("Destroy complete!"), "{log}");
    assert!(
        log.contains("secret nullplatform/7/d1/parameters deleted"),
        "{log}"
    );
    assert!(log.contains("secret tagged-for-7 deleted"), "{log}");
    let left = moto.aws(&["secretsmanager", "list-secrets", "--region", "us-east-2"]);
    let mut names: Vec<&str> = left["SecretList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["nullplatform/70/d1/parameters", "tagged-for-70"]
    );
    let deleted = state(&moto, key);
    assert_eq!(deleted["resources"].as_array().map(Vec::len), Some(0));
    // delete removes the stored metadata keys from the scope's NRN.
    let nrn_calls: Vec<Vec<String>> = crate::common::np_calls(dir.path())
        .into_iter()
        .filter(|call| call[0] == "nrn")
        .collect();
    assert_eq!(
        nrn_calls,
        vec![vec![
            "nrn".to_string(),
            "patch".into(),
            "--nrn".into(),
            SCOPE_NRN.into(),
            "--body".into(),
            r#"{"lambda.alb_rule_priority":null}"#.into(),
            "--format".into(),
            "json".into(),
        ]]
    );
}
