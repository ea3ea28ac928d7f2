//! The scope's OpenTofu modules in `tofu/`, checked without the AWS provider (it cannot
//! be downloaded here): every file parses as HCL and is `fmt`-clean, every variable and
//! output is documented, and for each composition compose-tofu makes (through its shim)
//! every variable it passes is declared, every required one is passed, every reference
//! to a variable, local, resource or data source resolves inside the composed root
//! module, no name is declared twice, and the outputs run-tofu reads are defined.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::{bash, bin_dir, repo_root, text};
use crate::support::terraform::TofuCli;
use hcl::{Block, Body};
use serde_json::{json, Value};

fn tf_files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(tf_files_under(&path));
        } else if path.extension().is_some_and(|e| e == "tf") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn parse(path: &Path) -> Body {
    let text = std::fs::read_to_string(path).unwrap();
    hcl::parse(&text).unwrap_or_else(|e| panic!("{} is not valid HCL: {e}", path.display()))
}

fn labels(block: &Block) -> Vec<String> {
    block
        .labels()
        .iter()
        .map(|l| l.as_str().to_string())
        .collect()
}

fn has_attr(block: &Block, name: &str) -> bool {
    block.body().attributes().any(|a| a.key() == name)
}

#[test]
fn every_module_file_parses_and_documents_its_variables_and_outputs() {
    let files = tf_files_under(&repo_root().join("tofu"));
    assert!(files.len() >= 15, "modules missing: {files:?}");
    for file in files {
        let body = parse(&file);
        for block in body.blocks() {
            if matches!(block.identifier(), "variable" | "output") {
                assert!(
                    has_attr(block, "description"),
                    "{} {:?} in {} has no description",
                    block.identifier(),
                    labels(block),
                    file.display()
                );
            }
        }
    }
}

#[test]
fn modules_are_fmt_clean() {
    let cli = TofuCli::find();
    let output = cli.run(
        &["fmt", "-check", "-recursive", "-diff"],
        &repo_root().join("tofu"),
    );
    assert!(
        output.status.success(),
        "fmt -check found unformatted files:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// What one composed root module declares and references.
#[derive(Debug, Default)]
struct RootModule {
    variables: BTreeMap<String, bool>, // name → has a default
    outputs: BTreeSet<String>,
    locals: BTreeSet<String>,
    resources: BTreeSet<String>, // "type.name"
    data: BTreeSet<String>,      // "type.name"
    text: String,
}

fn declare(set: &mut BTreeSet<String>, name: String, what: &str) {
    assert!(set.insert(name.clone()), "{what} {name} declared twice");
}

fn load_root(dir: &Path) -> RootModule {
    let mut root = RootModule::default();
    for file in tf_files_under(dir) {
        let body = parse(&file);
        root.text.push_str(&std::fs::read_to_string(&file).unwrap());
        root.text.push('\n');
        for block in body.blocks() {
            let names = labels(block);
            match block.identifier() {
                "variable" => {
                    let name = names[0].clone();
                    assert!(
                        root.variables
                            .insert(name.clone(), has_attr(block, "default"))
                            .is_none(),
                        "variable {name} declared twice"
                    );
                }
                "output" => declare(&mut root.outputs, names[0].clone(), "output"),
                "resource" => declare(
                    &mut root.resources,
                    format!("{}.{}", names[0], names[1]),
                    "resource",
                ),
                "data" => declare(
                    &mut root.data,
                    format!("{}.{}", names[0], names[1]),
                    "data source",
                ),
                "locals" => {
                    for attr in block.body().attributes() {
                        declare(&mut root.locals, attr.key().to_string(), "local");
                    }
                }
                _ => {}
            }
        }
    }
    root
}

/// `prefix.<ident>` occurrences in `text` (e.g. `var.` → variable names).
fn references(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut start = 0;
    while let Some(at) = text[start..].find(prefix) {
        let begin = start + at;
        let before = text[..begin].chars().last();
        let rest = &text[begin + prefix.len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty()
            && !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            found.insert(name);
        }
        start = begin + prefix.len();
    }
    found
}

/// `aws_x.name` / `terraform_data.name` resource references and `data.aws_x.name` ones.
fn resource_references(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut resources = BTreeSet::new();
    let mut data = BTreeSet::new();
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == '_'
                || bytes[i - 1] == '"');
        if at_word_start && bytes[i].is_ascii_lowercase() {
            let word: String = bytes[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '_' || **c == '.')
                .collect();
            let parts: Vec<&str> = word.split('.').collect();
            let is_data = parts.first() == Some(&"data");
            let parts = if is_data { &parts[1..] } else { &parts[..] };
            if parts.len() >= 2
                && (parts[0].starts_with("aws_") || parts[0] == "terraform_data")
                && !parts[1].is_empty()
            {
                let name = format!("{}.{}", parts[0], parts[1]);
                if is_data {
                    data.insert(name);
                } else {
                    resources.insert(name);
                }
            }
            i += word.len().max(1);
        } else {
            i += 1;
        }
    }
    (resources, data)
}

/// The execution roles' permissions boundary the compositions are given.
const BOUNDARY_ARN: &str = "arn:aws:iam::123456789012:policy/np-execution-boundary";

#[derive(Debug)]
struct Composition {
    modules: String,
    root: RootModule,
    vars: serde_json::Map<String, Value>,
    /// The import blocks compose-tofu wrote (imports.tf), if any.
    imports: Option<String>,
    /// The resources it found in AWS (imports.json), if any.
    found: Option<Value>,
    /// What the step printed.
    log: String,
}

fn compose(extra: &[(&str, &str)]) -> Result<Composition, String> {
    let dir = tempfile::tempdir().unwrap();
    let output_dir = dir.path().join("output/9001");
    let mut env: Vec<(String, String)> = vec![
        ("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()),
        ("SERVICE_PATH".into(), repo_root().display().to_string()),
        ("OUTPUT_DIR".into(), output_dir.display().to_string()),
        ("SCOPE_ID".into(), "9001".into()),
        ("LAMBDA_FUNCTION_NAME".into(), "s9001-shop-api".into()),
        ("AWS_REGION".into(), "us-east-1".into()),
        (
            "RESOURCE_TAGS_JSON".into(),
            r#"{"nullplatform:scope_id":"9001"}"#.into(),
        ),
        ("PACKAGE_TYPE".into(), "Zip".into()),
        ("RUNTIME".into(), "nodejs22.x".into()),
        ("HANDLER".into(), "index.handler".into()),
        ("ARCHITECTURE".into(), "arm64".into()),
        ("LAMBDA_FILENAME".into(), "/tmp/placeholder.zip".into()),
        ("HOSTED_PUBLIC_ZONE_ID".into(), "Z0PUBLIC".into()),
        ("HOSTED_PRIVATE_ZONE_ID".into(), "Z0PRIVATE".into()),
        ("SCOPE_DOMAIN".into(), "prod-shop-api.example.com".into()),
        ("LOG_RETENTION_DAYS".into(), "14".into()),
        // The built context an apply derives memory, timeout and VPC placement from.
        ("CONTEXT".into(), r#"{"scope":{"capabilities":{}}}"#.into()),
        // What the install module's notification channel sets.
        (
            "IAM_PERMISSIONS_BOUNDARY_DEFAULT".into(),
            BOUNDARY_ARN.into(),
        ),
    ];
    env.retain(|(key, _)| !extra.iter().any(|(k, _)| k == key));
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let script = "source steps/compose-tofu || exit $?\necho \"MODULES=$TOFU_MODULES\"\necho \"DIR=$TOFU_WORKING_DIR\"";
    let output = bash(script, &env, &repo_root());
    let stdout = text(&output.stdout);
    if !output.status.success() {
        return Err(stdout);
    }
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_string()
    };
    let work_dir = PathBuf::from(field("DIR"));
    let used_output_dir = &env.iter().find(|(k, _)| k == "OUTPUT_DIR").unwrap().1;
    assert_eq!(work_dir, Path::new(used_output_dir).join("tofu"));
    let vars: Value =
        serde_json::from_str(&std::fs::read_to_string(work_dir.join("tofu.tfvars.json")).unwrap())
            .unwrap();
    Ok(Composition {
        modules: field("MODULES"),
        root: load_root(&work_dir),
        vars: vars.as_object().unwrap().clone(),
        imports: std::fs::read_to_string(work_dir.join("imports.tf")).ok(),
        found: std::fs::read_to_string(work_dir.join("imports.json"))
            .ok()
            .map(|text| serde_json::from_str(&text).unwrap()),
        log: stdout,
    })
}

/// The structural checks every composition must pass.
fn check(composition: &Composition, expected_outputs: &[&str]) {
    let root = &composition.root;
    for name in composition.vars.keys() {
        assert!(
            root.variables.contains_key(name),
            "compose-tofu passes undeclared variable {name}"
        );
    }
    for (name, has_default) in &root.variables {
        assert!(
            *has_default || composition.vars.contains_key(name),
            "required variable {name} is not passed by compose-tofu ({})",
            composition.modules
        );
    }
    for name in references(&root.text, "var.") {
        assert!(
            root.variables.contains_key(&name),
            "var.{name} is used but not declared"
        );
    }
    for name in references(&root.text, "local.") {
        assert!(
            root.locals.contains(&name),
            "local.{name} is used but not defined ({})",
            composition.modules
        );
    }
    let (resources, data) = resource_references(&root.text);
    // The modules refer to each other's resources: the scan must see those references.
    assert!(
        resources.contains("aws_iam_role.execution"),
        "{resources:?}"
    );
    assert!(data.contains("aws_partition.current"), "{data:?}");
    for name in resources {
        assert!(
            root.resources.contains(&name),
            "{name} is referenced but not in the composition ({})",
            composition.modules
        );
    }
    for name in data {
        assert!(
            root.data.contains(&name),
            "data.{name} is referenced but not in the composition"
        );
    }
    for output in expected_outputs {
        assert!(
            root.outputs.contains(*output),
            "output {output} missing ({})",
            composition.modules
        );
    }
    // The backend block is there for run-tofu's -backend-config.
    assert!(root.text.contains("backend \"s3\" {}"));
    assert!(root.text.contains("ManagedBy"));
}

#[test]
fn public_scope_with_domain_gets_api_gateway_and_dns() {
    let composition = compose(&[("VISIBILITY", "public")]).unwrap();
    assert_eq!(
        composition.modules,
        "provider/aws,iam,compute/lambda,networking/api_gateway,dns/route53"
    );
    check(
        &composition,
        &["lambda_function_arn", "lambda_current_version"],
    );
    assert!(!composition.root.outputs.contains("alb_rule_arn"));
    assert_eq!(composition.vars["hosted_zone_id"], "Z0PUBLIC");
    assert_eq!(composition.vars["log_retention_days"], 14);
    assert_eq!(composition.vars["vpc_enabled"], false);
    assert_eq!(composition.vars["execution_role_prefix"], "np-lambda-");
    // No credentials here: the adoption lookups are skipped with one warning, not one
    // per resource.
    assert_eq!(
        composition.log.matches("⚠️").count(),
        1,
        "{}",
        composition.log
    );
    assert!(
        composition
            .log
            .contains("no AWS credentials to look up the scope's existing resources"),
        "{}",
        composition.log
    );
}

#[test]
fn private_vpc_scope_gets_the_alb_rule_and_its_subnets() {
    let composition = compose(&[
        ("VISIBILITY", "private"),
        (
            "ALB_PRIVATE_LISTENER_ARN",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/internal/abc/def",
        ),
        ("ALB_RULE_PRIORITY", "120"),
        ("AWS_SUBNET_IDS", "subnet-a,subnet-b"),
        ("SECURITY_GROUP_IDS", "sg-1"),
        (
            "CONTEXT",
            r#"{"scope":{"capabilities":{"vpc_enabled":true,"memory":1024,"timeout":60}}}"#,
        ),
        ("PACKAGE_TYPE", "Image"),
        ("LAMBDA_FILENAME", ""),
        (
            "PLACEHOLDER_IMAGE_URI",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/placeholder:latest",
        ),
        ("LAMBDA_EXECUTION_ROLE_PREFIX", "team-"),
    ])
    .unwrap();
    assert_eq!(
        composition.modules,
        "provider/aws,iam,compute/lambda,networking/alb,dns/route53"
    );
    check(
        &composition,
        &[
            "lambda_function_arn",
            "lambda_current_version",
            "alb_rule_arn",
        ],
    );
    assert_eq!(composition.vars["alb_rule_priority"], 120);
    assert_eq!(composition.vars["hosted_zone_id"], "Z0PRIVATE");
    assert_eq!(
        composition.vars["subnet_ids"],
        serde_json::json!(["subnet-a", "subnet-b"])
    );
    assert_eq!(composition.vars["vpc_enabled"], true);
    assert_eq!(composition.vars["security_group_ids"], json!(["sg-1"]));
    // The function starts with the capabilities' settings, as a deployment would set them.
    assert_eq!(composition.vars["memory_size"], 1024);
    assert_eq!(composition.vars["timeout_seconds"], 60);
    assert_eq!(composition.vars["execution_role_prefix"], "team-");
    assert!(!composition.vars.contains_key("placeholder_filename"));
}

#[test]
fn vpc_placement_follows_the_capability_as_deployments_do() {
    let vpc_known = [
        ("VISIBILITY", "event-driven"),
        ("AWS_SUBNET_IDS", "subnet-a,subnet-b"),
        ("SECURITY_GROUP_IDS", "sg-1"),
    ];
    // Subnets known from the vpc provider, capability off: no VPC, no VPC access.
    let off = compose(&vpc_known).unwrap();
    assert_eq!(off.vars["vpc_enabled"], false);
    assert_eq!(off.vars["subnet_ids"], json!([]));
    assert_eq!(off.vars["security_group_ids"], json!([]));
    // The defaults a deployment uses (LAMBDA_MEMORY / LAMBDA_TIMEOUT, else 256 / 30).
    assert_eq!(off.vars["memory_size"], 256);
    assert_eq!(off.vars["timeout_seconds"], 30);

    let mut on = vpc_known.to_vec();
    on.extend([
        ("LAMBDA_VPC_ENABLED", "true"),
        ("LAMBDA_MEMORY", "512"),
        ("LAMBDA_TIMEOUT", "90"),
    ]);
    let on = compose(&on).unwrap();
    assert_eq!(on.vars["vpc_enabled"], true);
    assert_eq!(on.vars["subnet_ids"], json!(["subnet-a", "subnet-b"]));
    assert_eq!(on.vars["memory_size"], 512);
    assert_eq!(on.vars["timeout_seconds"], 90);

    // Capability on without subnets: refused before any tofu run, with the fix.
    let refused = compose(&[
        ("VISIBILITY", "event-driven"),
        (
            "CONTEXT",
            r#"{"scope":{"capabilities":{"vpc_enabled":true}}}"#,
        ),
    ])
    .unwrap_err();
    assert!(refused.contains("AWS_SUBNET_IDS"), "{refused}");
    assert!(refused.contains("vpc.subnets"), "{refused}");
    let bad_memory =
        compose(&[("VISIBILITY", "event-driven"), ("LAMBDA_MEMORY", "64")]).unwrap_err();
    assert!(bad_memory.contains("LAMBDA_MEMORY"), "{bad_memory}");
}

#[test]
fn event_driven_scope_without_domain_gets_the_base_modules_only() {
    let composition = compose(&[("VISIBILITY", "event-driven"), ("SCOPE_DOMAIN", "")]).unwrap();
    assert_eq!(composition.modules, "provider/aws,iam,compute/lambda");
    check(
        &composition,
        &["lambda_function_arn", "lambda_current_version"],
    );
}

/// The composed iam resource block `type.name`, if declared.
fn resource_block(composition: &Composition, kind: &str, name: &str) -> Option<Block> {
    let body = hcl::parse(&composition.root.text).unwrap();
    body.blocks()
        .find(|b| b.identifier() == "resource" && labels(b) == [kind, name])
        .cloned()
}

#[test]
fn the_execution_role_carries_the_permissions_boundary_and_only_its_own_grants() {
    let composition = compose(&[("VISIBILITY", "event-driven"), ("SCOPE_DOMAIN", "")]).unwrap();
    assert_eq!(composition.vars["permissions_boundary_arn"], BOUNDARY_ARN);
    let role = resource_block(&composition, "aws_iam_role", "execution").unwrap();
    let boundary = role
        .body()
        .attributes()
        .find(|a| a.key() == "permissions_boundary")
        .expect("aws_iam_role.execution sets no permissions_boundary");
    assert!(
        boundary
            .expr()
            .to_string()
            .contains("var.permissions_boundary_arn"),
        "{}",
        boundary.expr()
    );
    // Its own log group and its scope's parameters secrets, not AWSLambdaBasicExecutionRole's `*`.
    assert!(resource_block(&composition, "aws_iam_role_policy", "execution").is_some());
    assert!(
        !composition
            .root
            .text
            .contains("policy/service-role/AWSLambdaBasicExecutionRole"),
        "the basic execution policy (logs on every group) is still attached"
    );
    for grant in [
        "log-group:/aws/lambda/${var.function_name}",
        "secret:nullplatform/${var.scope_id}/*",
    ] {
        assert!(composition.root.text.contains(grant), "no grant on {grant}");
    }
}

#[test]
fn the_boundary_comes_from_scope_configurations_and_is_never_left_out() {
    let own = "arn:aws:iam::123456789012:policy/team/own-boundary";
    let context = json!({"scope": {"capabilities": {}}, "providers": {"scope-configurations": {"lambda": {"permissions_boundary": own}}}});
    let composition = compose(&[
        ("VISIBILITY", "event-driven"),
        ("SCOPE_DOMAIN", ""),
        ("CONTEXT", &context.to_string()),
    ])
    .unwrap();
    assert_eq!(composition.vars["permissions_boundary_arn"], own);
    assert!(
        composition
            .log
            .contains("differs from the one the install module"),
        "{}",
        composition.log
    );

    // None configured: no composition, a ❌ that says where to set it.
    let err = compose(&[
        ("VISIBILITY", "event-driven"),
        ("IAM_PERMISSIONS_BOUNDARY_DEFAULT", ""),
    ])
    .unwrap_err();
    assert!(
        err.contains("❌") && err.contains("no permissions boundary"),
        "{err}"
    );
    assert!(
        err.contains("lambda.permissions_boundary") && err.contains("🔧"),
        "{err}"
    );
    // Not an IAM policy ARN: the same.
    let bad = json!({"scope": {"capabilities": {}}, "providers": {"scope-configurations": {"lambda": {"permissions_boundary": "arn:aws:iam::aws:policy/AdministratorAccess"}}}});
    let err = compose(&[
        ("VISIBILITY", "event-driven"),
        ("CONTEXT", &bad.to_string()),
    ])
    .unwrap_err();
    assert!(
        err.contains("❌") && err.contains("AdministratorAccess") && err.contains("💡"),
        "{err}"
    );
    // A destroy needs no boundary.
    let destroy = compose(&[
        ("VISIBILITY", "event-driven"),
        ("IAM_PERMISSIONS_BOUNDARY_DEFAULT", ""),
        ("TOFU_ACTION", "destroy"),
    ])
    .unwrap();
    assert!(!destroy.vars.contains_key("permissions_boundary_arn"));
}

#[test]
fn tracing_and_the_log_key_are_checked_settings() {
    let composition = compose(&[("VISIBILITY", "event-driven"), ("SCOPE_DOMAIN", "")]).unwrap();
    assert!(
        !composition.vars.contains_key("tracing_mode"),
        "the module's default (Active) applies"
    );
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let composition = compose(&[
        ("VISIBILITY", "event-driven"),
        ("LAMBDA_TRACING_MODE", "PassThrough"),
        ("LOG_KMS_KEY_ARN", key),
    ])
    .unwrap();
    assert_eq!(composition.vars["tracing_mode"], "PassThrough");
    assert_eq!(composition.vars["log_kms_key_arn"], key);
    for (name, value) in [
        ("LAMBDA_TRACING_MODE", "active"),
        ("LOG_KMS_KEY_ARN", "alias/aws/logs"),
    ] {
        let err = compose(&[("VISIBILITY", "event-driven"), (name, value)]).unwrap_err();
        assert!(
            err.contains("❌") && err.contains(name) && err.contains("🔧"),
            "{err}"
        );
    }
}

#[test]
fn log_retention_and_iam_propagation_are_checked_before_tofu_runs() {
    let composition = compose(&[
        ("VISIBILITY", "event-driven"),
        ("LOG_RETENTION_DAYS", "731"),
        ("IAM_PROPAGATION_SECONDS", "25"),
    ])
    .unwrap();
    assert_eq!(composition.vars["log_retention_days"], 731);
    assert_eq!(composition.vars["iam_propagation_seconds"], 25);
    let default = compose(&[("VISIBILITY", "event-driven")]).unwrap();
    assert_eq!(default.vars["iam_propagation_seconds"], 10);
    for (name, value, says) in [
        (
            "LOG_RETENTION_DAYS",
            "31",
            "CloudWatch Logs does not accept",
        ),
        ("LOG_RETENTION_DAYS", "a month", "not a whole number"),
        ("IAM_PROPAGATION_SECONDS", "3600", "from 0 to 300"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().display().to_string();
        let err = compose(&[
            ("VISIBILITY", "event-driven"),
            ("OUTPUT_DIR", &out),
            (name, value),
        ])
        .unwrap_err();
        assert!(
            err.contains(&format!("❌ {name}")) && err.contains(says) && err.contains("🔧"),
            "{err}"
        );
        // Nothing composed for tofu to apply.
        assert!(!dir.path().join("tofu/tofu.tfvars.json").exists(), "{err}");
    }
}

#[test]
fn a_misspelt_tofu_action_composes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let err = compose(&[
        ("VISIBILITY", "event-driven"),
        ("OUTPUT_DIR", &out),
        ("TOFU_ACTION", "destory"),
    ])
    .unwrap_err();
    assert!(
        err.contains("❌ TOFU_ACTION is 'destory', expected 'apply' or 'destroy'"),
        "{err}"
    );
    assert!(!dir.path().join("tofu/tofu.tfvars.json").exists(), "{err}");
}

#[test]
fn recomposing_removes_files_of_modules_no_longer_selected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let public = compose(&[("VISIBILITY", "public"), ("OUTPUT_DIR", &out)]).unwrap();
    assert!(public.root.resources.contains("aws_apigatewayv2_api.http"));
    let event = compose(&[("VISIBILITY", "event-driven"), ("OUTPUT_DIR", &out)]).unwrap();
    assert!(!event.root.resources.contains("aws_apigatewayv2_api.http"));
}

#[test]
fn missing_inputs_are_reported_with_the_step_that_provides_them() {
    // A private scope's priority cannot be allocated when the listener is unreadable.
    let err = compose(&[
        ("VISIBILITY", "private"),
        ("ALB_PRIVATE_LISTENER_ARN", "arn:x"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ("AWS_ACCESS_KEY_ID", "AKIAUNREACHABLE00000"),
        ("AWS_SECRET_ACCESS_KEY", "unused"),
        ("AWS_MAX_ATTEMPTS", "1"),
    ])
    .expect_err("compose-tofu should have failed");
    assert!(
        err.contains("❌ could not read the rules of the private listener"),
        "{err}"
    );
    assert!(err.contains("or set ALB_RULE_PRIORITY"), "{err}");
    let err = compose(&[("VISIBILITY", "public"), ("LAMBDA_FILENAME", "")])
        .expect_err("compose-tofu should have failed");
    assert!(err.contains("❌ LAMBDA_FILENAME is not set"), "{err}");
    assert!(err.contains("resolve-placeholder-image"), "{err}");
    let err = compose(&[("VISIBILITY", "sideways")]).expect_err("compose-tofu should have failed");
    assert!(err.contains("❌ VISIBILITY is 'sideways'"), "{err}");
}

#[test]
fn private_scope_priority_is_its_own_rule_or_the_lowest_free_on_the_listener() {
    let moto = crate::common::MotoServer::start();
    let vpc = moto.aws(&["ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"])["Vpc"]["VpcId"]
        .as_str()
        .unwrap()
        .to_string();
    let subnet = |cidr: &str, zone: &str| {
        moto.aws(&[
            "ec2",
            "create-subnet",
            "--vpc-id",
            &vpc,
            "--cidr-block",
            cidr,
            "--availability-zone",
            zone,
        ])["Subnet"]["SubnetId"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (a, b) = (
        subnet("10.0.1.0/24", "us-east-1a"),
        subnet("10.0.2.0/24", "us-east-1b"),
    );
    let lb = moto.aws(&[
        "elbv2",
        "create-load-balancer",
        "--name",
        "internal",
        "--scheme",
        "internal",
        "--subnets",
        &a,
        &b,
    ])["LoadBalancers"][0]["LoadBalancerArn"]
        .as_str()
        .unwrap()
        .to_string();
    let group = |name: &str| {
        moto.aws(&[
            "elbv2",
            "create-target-group",
            "--name",
            name,
            "--target-type",
            "lambda",
        ])["TargetGroups"][0]["TargetGroupArn"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let default_group = group("default");
    let listener = moto.aws(&[
        "elbv2",
        "create-listener",
        "--load-balancer-arn",
        &lb,
        "--protocol",
        "HTTP",
        "--port",
        "80",
        "--default-actions",
        &format!("Type=forward,TargetGroupArn={default_group}"),
    ])["Listeners"][0]["ListenerArn"]
        .as_str()
        .unwrap()
        .to_string();
    let rule = |priority: &str, target: &str, host: &str| {
        moto.aws(&[
            "elbv2",
            "create-rule",
            "--listener-arn",
            &listener,
            "--priority",
            priority,
            "--conditions",
            &format!("Field=host-header,Values={host}"),
            "--actions",
            &format!("Type=forward,TargetGroupArn={target}"),
        ]);
    };
    rule("1", &group("np-1"), "one.example.com");
    rule("2", &group("np-2"), "two.example.com");
    let mut env: Vec<(String, String)> = moto.aws_env();
    env.push(("VISIBILITY".into(), "private".into()));
    env.push(("ALB_PRIVATE_LISTENER_ARN".into(), listener.clone()));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    let fresh = compose(&pairs).unwrap();
    assert_eq!(fresh.vars["alb_rule_priority"], 3);
    assert_eq!(moto.calls("DescribeRules").len(), 1);

    // Once the scope's own rule exists (its target group np-9001), it keeps that priority.
    rule("7", &group("np-9001"), "prod-shop-api.example.com");
    let again = compose(&pairs).unwrap();
    assert_eq!(again.vars["alb_rule_priority"], 7);

    // A priority stored on the scope's NRN (store-scope-metadata) wins, without
    // reading the listener; an np failure only warns and falls back to the listener.
    let nrn = "organization=1:account=2:namespace=3:application=4:scope=9001";
    let read = [
        "nrn",
        "read",
        "--nrn",
        nrn,
        "--ids",
        "lambda.alb_rule_priority",
        "--format",
        "json",
    ];
    let np_dir = tempfile::tempdir().unwrap();
    let stored = json!([{"args": read,
        "stdout": {"nrn": nrn, "namespaces": {"lambda": {"alb_rule_priority": 12}}}}]);
    let mut with_np = env.clone();
    with_np.extend(crate::common::np_env(np_dir.path(), stored));
    with_np.push(("SCOPE_NRN".into(), nrn.into()));
    let pairs: Vec<(&str, &str)> = with_np
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let describes = moto.calls("DescribeRules").len();
    let reused = compose(&pairs).unwrap();
    assert_eq!(reused.vars["alb_rule_priority"], 12);
    // One read, by the adoption lookup (the scope's target group exists), none to allocate.
    assert_eq!(
        moto.calls("DescribeRules").len(),
        describes + 1,
        "listener read once"
    );
    let expected: Vec<String> = read.iter().map(|s| s.to_string()).collect();
    assert_eq!(crate::common::np_calls(np_dir.path()), vec![expected]);

    let failing = json!([{"args": read, "exit": 1, "stderr": "unauthorized"}]);
    let mut with_np = env.clone();
    with_np.extend(crate::common::np_env(np_dir.path(), failing));
    with_np.push(("SCOPE_NRN".into(), nrn.into()));
    let pairs: Vec<(&str, &str)> = with_np
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let fallback = compose(&pairs).unwrap();
    assert_eq!(fallback.vars["alb_rule_priority"], 7);
}

/// `(to, id)` of every import block in `text`; a counted block (`for_each` on its
/// resource's own condition) gives its `to` with `[0]` and the id from its `for_each`.
fn import_targets(text: &str) -> Vec<(String, String)> {
    let body: Body = hcl::from_str(text).unwrap();
    body.blocks()
        .filter(|block| block.identifier() == "import")
        .map(|block| {
            let attr = |name: &str| {
                let found = block.body().attributes().find(|a| a.key() == name).unwrap();
                found.expr().to_string().trim_matches('"').to_string()
            };
            match block.body().attributes().find(|a| a.key() == "for_each") {
                None => (attr("to"), attr("id")),
                Some(for_each) => {
                    let text = for_each.expr().to_string();
                    let id = text.split('"').nth(1).unwrap().to_string();
                    assert_eq!(attr("id"), "each.key", "{text}");
                    (attr("to").replace("[each.value]", "[0]"), id)
                }
            }
        })
        .collect()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Every import target is a resource the composed root module declares, and a counted
/// one is guarded by the local its resource's `count` uses.
fn check_imports(composition: &Composition) -> Vec<(String, String)> {
    let text = composition.imports.as_deref().expect("imports.tf written");
    let targets = import_targets(text);
    for (to, _) in &targets {
        let resource = to.trim_end_matches("[0]");
        assert!(
            composition.root.resources.contains(resource),
            "{resource} is not declared ({})",
            composition.modules
        );
        if to.ends_with("[0]") {
            let guard = text
                .split("import {")
                .find(|block| block.contains(&format!("to       = {resource}[each.value]")))
                .and_then(|block| block.split("for_each = ").nth(1))
                .and_then(|rest| rest.split(' ').next())
                .unwrap()
                .to_string();
            let (kind, name) = resource.split_once('.').unwrap();
            let declaration = format!("resource \"{kind}\" \"{name}\" {{");
            let at = composition.root.text.find(&declaration).unwrap();
            let count = composition.root.text[at..]
                .lines()
                .find(|line| line.trim_start().starts_with("count"))
                .unwrap();
            assert!(
                count.ends_with(&format!("= {guard} ? 1 : 0")),
                "{resource}: its count ({count}) does not use {guard}"
            );
        }
    }
    check(composition, &[]);
    targets
}

#[test]
fn nothing_in_aws_nothing_to_adopt_and_destroy_lists_without_import_blocks() {
    let moto = crate::common::MotoServer::start();
    let mut env = moto.aws_env();
    env.push(("VISIBILITY".into(), "public".into()));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let nothing = compose(&pairs).unwrap();
    assert_eq!((nothing.imports, nothing.found), (None, None));
    // The lookups were made (and found nothing).
    assert_eq!(moto.calls("GetRole").len(), 1);
    assert_eq!(moto.calls("DescribeLogGroups").len(), 1);
    assert!(moto.requests().iter().any(
        |request| request.method == "GET" && request.url.contains("/functions/s9001-shop-api")
    ));

    // Destroy: tofu ignores import blocks, so none are written; the list is, for
    // run-tofu to import from before destroying.
    moto.boto3("adoptable_scope.py", &["public"]);
    let kept = tempfile::tempdir().unwrap();
    let output_dir = kept.path().join("9001").display().to_string();
    let mut destroy = pairs.clone();
    destroy.push(("TOFU_ACTION", "destroy"));
    destroy.push(("OUTPUT_DIR", &output_dir));
    let destroying = compose(&destroy).unwrap();
    assert_eq!(destroying.imports, None);
    let found = destroying.found.expect("imports.json written");
    let addresses: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|import| import["to"].as_str().unwrap())
        .collect();
    assert!(addresses.contains(&"aws_lambda_function.this"), "{found}");
    assert!(addresses.contains(&"aws_apigatewayv2_api.http"), "{found}");

    // A later composition (same directory) that finds nothing leaves no stale list.
    let empty = crate::common::MotoServer::start();
    let mut env = empty.aws_env();
    env.push(("VISIBILITY".into(), "public".into()));
    env.push(("TOFU_ACTION".into(), "destroy".into()));
    env.push(("OUTPUT_DIR".into(), output_dir.clone()));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(compose(&pairs).unwrap().found, None);
}

#[test]
fn lookups_that_fail_are_warnings_and_tofu_creates_as_usual() {
    // Nothing listens on the endpoint: every lookup fails (not "not found").
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let composition = compose(&[
        ("VISIBILITY", "public"),
        ("AWS_ENDPOINT_URL", &endpoint),
        ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_MAX_ATTEMPTS", "1"),
    ])
    .unwrap();
    assert_eq!((&composition.imports, &composition.found), (&None, &None));
    for call in [
        "iam:GetRole",
        "lambda:GetFunction",
        "logs:DescribeLogGroups",
    ] {
        assert!(
            composition
                .log
                .lines()
                .any(|line| line.contains(call) && line.contains("not adopted if it exists")),
            "no warning for {call}:\n{}",
            composition.log
        );
    }
}

#[test]
fn a_public_scope_left_in_aws_is_adopted_whole() {
    let moto = crate::common::MotoServer::start();
    let ids = moto.boto3("adoptable_scope.py", &["public"]);
    let id = |key: &str| ids[key].as_str().unwrap().to_string();
    let mut env = moto.aws_env();
    env.extend(owned(&[
        ("VISIBILITY", "public"),
        ("HOSTED_PUBLIC_ZONE_ID", &id("zone")),
        (
            "API_CERTIFICATE_ARN",
            "arn:aws:acm:us-east-1:123456789012:certificate/abc",
        ),
    ]));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let composition = compose(&pairs).unwrap();
    let api = id("api");
    let domain = "prod-shop-api.example.com";
    let expected = [
        (
            "aws_iam_role.execution",
            "np-lambda-s9001-shop-api-role".to_string(),
        ),
        ("aws_lambda_function.this", "s9001-shop-api".to_string()),
        ("aws_lambda_alias.main", "s9001-shop-api/main".to_string()),
        (
            "aws_lambda_permission.api_gateway",
            "s9001-shop-api:main/AllowApiGatewayInvoke".to_string(),
        ),
        (
            "aws_cloudwatch_log_group.function",
            "/aws/lambda/s9001-shop-api".to_string(),
        ),
        ("aws_apigatewayv2_api.http", api.clone()),
        ("aws_apigatewayv2_stage.default", format!("{api}/$default")),
        (
            "aws_apigatewayv2_route.default",
            format!("{api}/{}", id("route")),
        ),
        (
            "aws_apigatewayv2_integration.lambda",
            format!("{api}/{}", id("integration")),
        ),
        ("aws_apigatewayv2_domain_name.scope[0]", domain.to_string()),
        (
            "aws_apigatewayv2_api_mapping.scope[0]",
            format!("{}/{domain}", id("mapping")),
        ),
        (
            "aws_route53_record.scope[0]",
            format!("{}_{domain}_A", id("zone")),
        ),
    ];
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(to, id)| (to.to_string(), id))
        .collect();
    assert_eq!(check_imports(&composition), expected);

    // Without a certificate there is no custom domain: neither it nor the record (whose
    // count needs the API's domain) is looked up or imported into an undeclared address.
    let without_certificate: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(key, _)| *key != "API_CERTIFICATE_ARN")
        .collect();
    let plain = check_imports(&compose(&without_certificate).unwrap());
    assert!(
        !plain
            .iter()
            .any(|(to, _)| to.contains("domain_name") || to.contains("api_mapping")),
        "{plain:?}"
    );
    let record = plain
        .iter()
        .find(|(to, _)| to.starts_with("aws_route53_record"))
        .expect("the record exists in AWS, so its guarded import block is written");
    assert_eq!(record.0, "aws_route53_record.scope[0]");
}

#[test]
fn a_private_scope_left_in_aws_adopts_its_own_target_group_and_rule_only() {
    let moto = crate::common::MotoServer::start();
    let ids = moto.boto3("adoptable_scope.py", &["private"]);
    let id = |key: &str| ids[key].as_str().unwrap().to_string();
    let mut env = moto.aws_env();
    env.extend(owned(&[
        ("VISIBILITY", "private"),
        ("HOSTED_PRIVATE_ZONE_ID", &id("zone")),
        ("ALB_PRIVATE_LISTENER_ARN", &id("listener")),
    ]));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let composition = compose(&pairs).unwrap();
    // The scope's own rule keeps its priority (5), not the lowest free one.
    assert_eq!(composition.vars["alb_rule_priority"], 5);
    // The rules read to allocate the priority serve the adoption lookup too.
    assert_eq!(moto.calls("DescribeRules").len(), 1);
    let targets = check_imports(&composition);
    let find = |to: &str| {
        targets
            .iter()
            .find(|(target, _)| target == to)
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| panic!("no import of {to}: {targets:?}"))
    };
    assert_eq!(find("aws_lb_target_group.function"), id("target_group"));
    assert_eq!(find("aws_lb_listener_rule.scope"), id("rule"));
    assert_eq!(
        find("aws_lambda_permission.alb"),
        "s9001-shop-api:main/AllowAlbInvoke"
    );
    assert_eq!(
        find("aws_route53_record.scope[0]"),
        format!("{}_prod-shop-api.example.com_A", id("zone"))
    );
    assert!(!targets.iter().any(|(to, _)| to.contains("apigatewayv2")));
    assert_eq!(targets.len(), 8, "{targets:?}");
}

/// Evaluates `expression` with real tofu / terraform, `data.aws_partition.current.partition`
/// standing for `partition` (no provider needed).
fn evaluate_for_partition(expression: &str, partition: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let expression = expression.replace("data.aws_partition.current.partition", "var.partition");
    std::fs::write(
        dir.path().join("main.tf"),
        format!(
            "variable \"partition\" {{\n  type = string\n}}\noutput \"value\" {{\n  value = {expression}\n}}\n"
        ),
    )
    .unwrap();
    let cli = TofuCli::find();
    let var = format!("-var=partition={partition}");
    for args in [
        vec!["init", "-input=false", "-no-color"],
        vec!["apply", "-auto-approve", "-input=false", "-no-color", &var],
    ] {
        let out = cli.run(&args, dir.path());
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
    let out = cli.run(&["output", "-json", "value"], dir.path());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn logging_config_is_sent_on_the_aws_partition_only() {
    let body = parse(&repo_root().join("tofu/compute/lambda/main.tf"));
    let function = body
        .blocks()
        .find(|b| b.identifier() == "resource" && labels(b) == ["aws_lambda_function", "this"])
        .expect("aws_lambda_function.this")
        .clone();
    let blocks: Vec<&Block> = function.body().blocks().collect();
    assert!(
        !blocks.iter().any(|b| b.identifier() == "logging_config"),
        "a static logging_config block is sent on every partition (aws-cn / aws-us-gov reject it)"
    );
    let dynamic = blocks
        .iter()
        .find(|b| b.identifier() == "dynamic" && labels(b) == ["logging_config"])
        .expect("no dynamic \"logging_config\" block");
    let for_each = dynamic
        .body()
        .attributes()
        .find(|a| a.key() == "for_each")
        .expect("logging_config has no for_each")
        .expr()
        .to_string();
    for (partition, sent) in [("aws", true), ("aws-cn", false), ("aws-us-gov", false)] {
        let value = evaluate_for_partition(&for_each, partition);
        let count = value.as_array().map(Vec::len).unwrap_or(0);
        assert_eq!(count > 0, sent, "{partition}: for_each = {value}");
    }
    // The content still names the function's own log group, and tracing is untouched.
    let content = dynamic
        .body()
        .blocks()
        .find(|b| b.identifier() == "content")
        .expect("logging_config has no content");
    let log_group = content
        .body()
        .attributes()
        .find(|a| a.key() == "log_group")
        .expect("no log_group")
        .expr()
        .to_string();
    assert!(
        log_group.contains("aws_cloudwatch_log_group.function"),
        "{log_group}"
    );
    assert!(blocks.iter().any(|b| b.identifier() == "tracing_config"));
    // Elsewhere Lambda logs to /aws/lambda/<function>: the module's log group must be that one.
    let group = body
        .blocks()
        .find(|b| {
            b.identifier() == "resource" && labels(b) == ["aws_cloudwatch_log_group", "function"]
        })
        .expect("aws_cloudwatch_log_group.function");
    let name = group
        .body()
        .attributes()
        .find(|a| a.key() == "name")
        .unwrap()
        .expr()
        .to_string();
    assert!(name.contains("/aws/lambda/${var.function_name}"), "{name}");
}

#[test]
fn the_provider_module_needs_a_cli_with_the_s3_lock_file() {
    let body = parse(&repo_root().join("tofu/provider/aws/versions.tf"));
    let terraform = body
        .blocks()
        .find(|b| b.identifier() == "terraform")
        .expect("terraform block");
    let required = terraform
        .body()
        .attributes()
        .find(|a| a.key() == "required_version")
        .expect("no required_version")
        .expr()
        .to_string();
    assert!(required.contains(">= 1.10"), "{required}");
}

#[test]
fn the_iam_module_refuses_a_propagation_wait_outside_0_to_300_seconds() {
    // tofu/iam/variables.tf alone, planned by real tofu / terraform: its validation
    // needs no provider.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root().join("tofu/iam/variables.tf"),
        dir.path().join("variables.tf"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "output \"wait\" {\n  value = var.iam_propagation_seconds\n}\n",
    )
    .unwrap();
    let cli = TofuCli::find();
    let init = cli.run(&["init", "-input=false", "-no-color"], dir.path());
    assert!(init.status.success(), "{}", text(&init.stderr));
    let plan = |value: &str| {
        let var = format!("-var=iam_propagation_seconds={value}");
        cli.run(&["plan", "-input=false", "-no-color", &var], dir.path())
    };
    for good in ["0", "10", "300"] {
        let out = plan(good);
        assert!(out.status.success(), "{good}: {}", text(&out.stderr));
    }
    for bad in ["-1", "301", "2.5"] {
        let out = plan(bad);
        // The message as one line: the CLI wraps and frames diagnostics.
        let stderr = text(&out.stderr).replace('│', " ");
        let flat = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(!out.status.success(), "{bad} accepted");
        assert!(
            flat.contains("❌ iam_propagation_seconds") && flat.contains("0 to 300"),
            "{bad}: {stderr}"
        );
    }
}
