//! The install module in `specs/tofu`, checked without the AWS and nullplatform providers
//! (not downloadable here): every file parses as HCL, every `var.x` used is declared,
//! every variable and output is documented, module calls pass only declared variables,
//! `fmt -check` is clean, the committed policy templates are the permissions table's,
//! and the provider-free `policy-documents` module renders exactly what `iam-policy` does.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use hcl::{Block, Body, Expression};
use lambda_scope::policy::{self, PolicyInputs};
use serde_json::{json, Value};

fn tofu_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/tofu")
}

fn module_dirs() -> Vec<PathBuf> {
    vec![tofu_dir(), tofu_dir().join("modules/policy-documents")]
}

fn tf_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .collect();
    files.sort();
    files
}

fn parse(path: &Path) -> Body {
    let text = std::fs::read_to_string(path).unwrap();
    hcl::parse(&text).unwrap_or_else(|e| panic!("{} is not valid HCL: {e}", path.display()))
}

fn blocks<'a>(body: &'a Body, kind: &str) -> Vec<&'a Block> {
    body.blocks().filter(|b| b.identifier() == kind).collect()
}

fn label(block: &Block) -> String {
    block
        .labels()
        .first()
        .map(|l| l.as_str().to_string())
        .unwrap_or_default()
}

fn has_attr(block: &Block, name: &str) -> bool {
    block.body().attributes().any(|a| a.key() == name)
}

/// `var.<name>` references in a file's text (comments and strings included: a stray
/// reference in a description is a mistake too).
fn var_references(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(found) = text[i..].find("var.") {
        let start = i + found;
        let before_ok =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let rest = &text[start + 4..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if before_ok && !name.is_empty() {
            names.insert(name);
        }
        i = start + 4;
    }
    names
}

fn declared_variables(dir: &Path) -> BTreeMap<String, Block> {
    tf_files(dir)
        .iter()
        .flat_map(|f| {
            parse(f)
                .blocks()
                .filter(|b| b.identifier() == "variable")
                .cloned()
                .collect::<Vec<_>>()
        })
        .map(|b| (label(&b), b))
        .collect()
}

#[test]
fn every_file_parses_and_every_variable_used_is_declared() {
    for dir in module_dirs() {
        let declared = declared_variables(&dir);
        assert!(!declared.is_empty(), "{}: no variables", dir.display());
        let mut used = BTreeSet::new();
        for file in tf_files(&dir) {
            parse(&file);
            used.extend(var_references(&std::fs::read_to_string(&file).unwrap()));
        }
        for name in &used {
            assert!(
                declared.contains_key(name),
                "{}: var.{name} is used but not declared",
                dir.display()
            );
        }
        for name in declared.keys() {
            assert!(
                used.contains(name),
                "{}: variable {name} is never used",
                dir.display()
            );
        }
    }
}

#[test]
fn variables_and_outputs_are_documented() {
    for dir in module_dirs() {
        for (name, block) in declared_variables(&dir) {
            assert!(
                has_attr(&block, "description"),
                "{}: variable {name} has no description",
                dir.display()
            );
            assert!(
                has_attr(&block, "type"),
                "{}: variable {name} has no type",
                dir.display()
            );
        }
        let outputs: Vec<Block> = tf_files(&dir)
            .iter()
            .flat_map(|f| {
                parse(f)
                    .blocks()
                    .filter(|b| b.identifier() == "output")
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(!outputs.is_empty(), "{}: no outputs", dir.display());
        for output in outputs {
            assert!(
                has_attr(&output, "description"),
                "output {} has no description",
                label(&output)
            );
            assert!(
                has_attr(&output, "value"),
                "output {} has no value",
                label(&output)
            );
        }
    }
}

#[test]
fn the_install_module_has_what_the_issue_asks_for() {
    let bodies: Vec<Body> = tf_files(&tofu_dir()).iter().map(|f| parse(f)).collect();
    let resources: BTreeSet<String> = bodies
        .iter()
        .flat_map(|b| {
            blocks(b, "resource")
                .into_iter()
                .map(|r| r.labels()[0].as_str().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    for kind in [
        "aws_iam_role",
        "aws_iam_policy",
        "aws_iam_role_policy_attachment",
        "nullplatform_service_specification",
        "nullplatform_scope_type",
        "nullplatform_action_specification",
        "nullplatform_notification_channel",
        "nullplatform_provider_specification",
        "nullplatform_provider_config",
    ] {
        assert!(resources.contains(kind), "no {kind} resource");
    }
    let outputs: BTreeSet<String> = bodies
        .iter()
        .flat_map(|b| {
            blocks(b, "output")
                .into_iter()
                .map(label)
                .collect::<Vec<_>>()
        })
        .collect();
    for name in [
        "permissions_role_arn",
        "policy_arns",
        "execution_role_permissions_boundary_arn",
    ] {
        assert!(outputs.contains(name), "no output {name}");
    }
    let text: String = tf_files(&tofu_dir())
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    for needle in [
        "sts:ExternalId",
        "sts:TagSession",
        "sts:SetSourceIdentity",
        "aws-iam-configuration",
        "iam_role_arns",
    ] {
        assert!(
            text.contains(needle),
            "install module does not mention {needle}"
        );
    }
}

#[test]
fn module_calls_pass_only_declared_variables() {
    for file in tf_files(&tofu_dir()) {
        for module in blocks(&parse(&file), "module") {
            let source = module
                .body()
                .attributes()
                .find(|a| a.key() == "source")
                .map(|a| a.expr().clone())
                .expect("module source");
            let Expression::String(source) = source else {
                panic!("module {} source is not a literal", label(module));
            };
            let dir = tofu_dir().join(&source);
            let declared = declared_variables(&dir);
            let passed: BTreeSet<String> = module
                .body()
                .attributes()
                .map(|a| a.key().to_string())
                .filter(|k| {
                    ![
                        "source",
                        "version",
                        "providers",
                        "count",
                        "for_each",
                        "depends_on",
                    ]
                    .contains(&k.as_str())
                })
                .collect();
            for name in &passed {
                assert!(
                    declared.contains_key(name),
                    "module {}: {name} is not a variable of {source}",
                    label(module)
                );
            }
            for (name, block) in &declared {
                if !has_attr(block, "default") {
                    assert!(
                        passed.contains(name),
                        "module {}: required {name} not passed",
                        label(module)
                    );
                }
            }
        }
    }
}

/// `TOFU_BIN`, then `tofu`, then `terraform` (PATH, then the repo's .venv).
fn tofu_bin() -> PathBuf {
    if let Ok(path) = std::env::var("TOFU_BIN") {
        return PathBuf::from(path);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin");
    for name in ["tofu", "terraform"] {
        if let Some(dir) = std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .find(|d| d.join(name).is_file())
        {
            return dir.join(name);
        }
        if venv.join(name).is_file() {
            return venv.join(name);
        }
    }
    panic!(
        "neither tofu nor terraform found: install OpenTofu (https://opentofu.org/docs/intro/install/) \
         or Terraform, put it on PATH or set TOFU_BIN=/path/to/binary (scripts/setup-tools may provide one in .venv/bin)"
    )
}

fn tofu(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(tofu_bin())
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .expect("run tofu/terraform")
}

#[test]
fn fmt_check_is_clean() {
    let out = tofu(
        &["fmt", "-check", "-recursive", "-diff", "-no-color"],
        &tofu_dir(),
    );
    assert!(
        out.status.success(),
        "fmt -check failed (run `tofu fmt -recursive specs/tofu`):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn committed_templates_are_the_permissions_table() {
    let path = tofu_dir().join("modules/policy-documents/policy-templates.json");
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let current: Value = serde_json::to_value(policy::templates()).unwrap();
    assert_eq!(
        committed,
        current,
        "specs/tofu/modules/policy-documents/policy-templates.json is stale: \
         run `cargo run --bin iam-policy -- template > {}`",
        path.display()
    );
}

#[test]
fn the_install_module_renders_what_iam_policy_renders() {
    // The policy-documents module needs no provider: copy it, apply it, compare.
    let work = tempfile::tempdir().unwrap();
    let source = tofu_dir().join("modules/policy-documents");
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, work.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let mut inputs = PolicyInputs::new("123456789012", "eu-west-1", "acme-tofu-state");
    inputs.execution_role_prefixes = vec!["np-lambda-".into(), "team-".into()];
    inputs.permissions_boundary =
        "arn:aws:iam::123456789012:policy/platform/np-execution-boundary".into();
    inputs.ecr_repositories = vec!["lambda-placeholder".into(), "apps/*".into()];
    inputs.assets_buckets = vec!["acme-assets".into()];
    inputs.hosted_zone_ids = vec!["Z0123456789ABCDEFGHIJ".into()];
    inputs.layer_accounts = vec!["210987654321".into()];
    inputs.permissions_role = "nullplatform-prod-lambda-scope".into();
    inputs.read_role = Some("nullplatform-prod-lambda-scope-read".into());
    inputs.protected_roles = vec!["nullplatform-prod-agent-role".into()];
    let vars = serde_json::json!({
        "partition": inputs.partition(),
        "account_id": inputs.account,
        "region": inputs.region,
        "permissions_role_name": inputs.permissions_role,
        "read_role_name": inputs.read_role,
        "protected_roles": inputs.protected_roles,
        "state_bucket": inputs.state_bucket,
        "state_key_prefix": inputs.state_key_prefix,
        "execution_role_prefixes": inputs.execution_role_prefixes,
        "ecr_repositories": inputs.ecr_repositories,
        "secret_prefix": inputs.secret_prefix,
        "assets_buckets": inputs.assets_buckets,
        "hosted_zone_ids": inputs.hosted_zone_ids,
        "layer_accounts": inputs.layer_accounts,
        "permissions_boundary": inputs.permissions_boundary,
    });
    std::fs::write(work.path().join("test.tfvars.json"), vars.to_string()).unwrap();
    for args in [
        vec!["init", "-input=false", "-no-color"],
        vec![
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-var-file=test.tfvars.json",
        ],
    ] {
        let out = tofu(&args, work.path());
        assert!(
            out.status.success(),
            "{args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = tofu(&["output", "-json", "documents"], work.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_tofu: BTreeMap<String, String> = serde_json::from_slice(&out.stdout).unwrap();
    let mut from_rust = policy::render(&inputs).unwrap();
    from_rust.extend(policy::render_read(&inputs).unwrap());
    assert_eq!(from_tofu.len(), from_rust.len(), "different documents");
    assert!(from_tofu.contains_key(policy::READ_DOCUMENT));
    for document in from_rust {
        let tofu_doc: Value = serde_json::from_str(&from_tofu[document.name]).unwrap();
        assert_eq!(
            tofu_doc, document.policy,
            "document {} differs",
            document.name
        );
    }
}

#[test]
fn the_registration_locals_render_every_template() {
    // registration.tf's locals (template rendering) evaluated by real tofu/terraform,
    // with the service specification's id and slug standing in for the provider's.
    let text = std::fs::read_to_string(tofu_dir().join("registration.tf")).unwrap();
    let mut locals = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("locals {") {
            inside = true;
        }
        if inside {
            locals.push_str(line);
            locals.push('\n');
            if line == "}" {
                inside = false;
            }
        }
    }
    let id = "try(nullplatform_service_specification.lambda[0].id, \"\")";
    let slug = "try(nullplatform_service_specification.lambda[0].slug, \"\")";
    assert!(
        locals.contains(id) && locals.contains(slug),
        "registration.tf changed shape"
    );
    let locals = locals
        .replace(id, "\"spec-123\"")
        .replace(slug, "\"aws-lambda\"");
    let work = tempfile::tempdir().unwrap();
    let module = work.path().join("specs/tofu");
    std::fs::create_dir_all(module.join("../actions")).unwrap();
    let specs = tofu_dir().join("..");
    for entry in std::fs::read_dir(&specs).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".json.tpl") {
            std::fs::copy(&path, module.join("..").join(path.file_name().unwrap())).unwrap();
        }
    }
    for entry in std::fs::read_dir(specs.join("actions")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            module.join("../actions").join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    let harness = r#"
variable "nrn" {
  type    = string
  default = "organization=1:account=2"
}
variable "repo_path" {
  type    = string
  default = "/root/.np/nullplatform/lambda-scope"
}
variable "np_api_key" {
  type    = string
  default = "key\"with\\quotes"
}
variable "agent_selector" {
  type    = map(string)
  default = { environment = "production" }
}
variable "execution_role_prefixes" {
  type    = list(string)
  default = ["np-lambda-", "team-"]
}
locals {
  execution_role_boundary_arn = "arn:aws:iam::123456789012:policy/np-execution-boundary"
}
output "rendered" {
  value = jsonencode({
    actions       = local.action_names
    channel       = local.channel
    scope_type    = local.scope_type
    service_spec  = local.service_spec
    configuration = local.scope_configuration
    late          = local.late_rendered
    environment   = local.channel_environment
  })
}
"#;
    std::fs::write(module.join("main.tf"), format!("{locals}\n{harness}")).unwrap();
    for args in [
        vec!["init", "-input=false", "-no-color"],
        vec!["apply", "-auto-approve", "-input=false", "-no-color"],
    ] {
        let out = tofu(&args, &module);
        assert!(
            out.status.success(),
            "{args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = tofu(&["output", "-raw", "rendered"], &module);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered: Value = serde_json::from_slice(&out.stdout).unwrap();
    let actions: BTreeSet<String> = rendered["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let listed: BTreeSet<String> = rendered["service_spec"]["available_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions, listed,
        "the module registers exactly the listed actions"
    );
    assert_eq!(rendered["scope_type"]["provider_id"], "spec-123");
    assert_eq!(
        rendered["channel"]["configuration"]["api_key"],
        "key\"with\\quotes"
    );
    assert_eq!(
        rendered["channel"]["configuration"]["command"]["data"]["cmdline"],
        "/root/.np/nullplatform/lambda-scope/entrypoint --service-path=/root/.np/nullplatform/lambda-scope"
    );
    // The steps get the allowed execution-role prefixes and the execution roles'
    // permissions boundary beside the action context.
    assert_eq!(
        rendered["environment"],
        json!({
            "NP_ACTION_CONTEXT": "'${NOTIFICATION_CONTEXT}'",
            "LAMBDA_EXECUTION_ROLE_PREFIXES_ALLOWED": "np-lambda-,team-",
            "IAM_PERMISSIONS_BOUNDARY_DEFAULT": "arn:aws:iam::123456789012:policy/np-execution-boundary"
        })
    );
    assert_eq!(
        rendered["channel"]["filters"]["$or"][0]["service.specification.slug"],
        "aws-lambda"
    );
    assert_eq!(
        rendered["configuration"]["category"],
        "scope-configurations"
    );
    for (name, action) in rendered["late"].as_object().unwrap() {
        if name.starts_with("actions/") {
            assert_eq!(action["service_specification_id"], "spec-123", "{name}");
        }
    }
}

#[test]
fn the_install_module_creates_the_execution_boundary_and_keeps_it_off_its_own_role() {
    let body = parse(&tofu_dir().join("iam.tf"));
    let boundary = blocks(&body, "resource")
        .into_iter()
        .find(|b| {
            b.labels()
                .iter()
                .map(|l| l.as_str())
                .eq(["aws_iam_policy", "execution_boundary"])
        })
        .expect("no aws_iam_policy.execution_boundary");
    let policy = boundary
        .body()
        .attributes()
        .find(|a| a.key() == "policy")
        .expect("the boundary has no policy")
        .expr()
        .to_string();
    assert!(
        policy.contains("module.policy_documents.documents") && policy.contains("boundary"),
        "{policy}"
    );
    // Not one of the permissions role's own policies.
    let text = std::fs::read_to_string(tofu_dir().join("iam.tf")).unwrap();
    let role_policies = text
        .lines()
        .find(|l| l.trim_start().starts_with("role_policies"))
        .unwrap();
    assert!(
        role_policies.contains("\"boundary\"") && role_policies.contains("\"assume\""),
        "{role_policies}"
    );
}

#[test]
fn the_install_module_refuses_prefixes_that_cover_other_roles() {
    // variables.tf alone, with real tofu/terraform: its validations need no provider.
    let work = variables_workspace(Some(
        "output \"prefixes\" {\n  value = var.execution_role_prefixes\n}\n",
    ));
    let plan = |extra: &[&str]| {
        let mut args = vec!["plan", "-input=false", "-no-color", "-refresh=false"];
        args.extend(REQUIRED_VARS);
        args.extend(extra);
        tofu(&args, work.path())
    };
    let defaults = plan(&[]);
    let stdout = String::from_utf8_lossy(&defaults.stdout);
    assert!(
        defaults.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&defaults.stderr)
    );
    assert!(stdout.contains("\"np-lambda-\""), "{stdout}");
    assert!(
        !stdout.contains("nullplatform-"),
        "default covers nullplatform-*: {stdout}"
    );
    let two = plan(&[r#"-var=execution_role_prefixes=["np-lambda-","team-"]"#]);
    assert!(
        two.status.success(),
        "{}",
        String::from_utf8_lossy(&two.stderr)
    );
    for prefixes in [r#"["nullplatform-"]"#, r#"["np-lambda-","null"]"#] {
        let out = plan(&[&format!("-var=execution_role_prefixes={prefixes}")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{prefixes} accepted");
        assert!(stderr.contains("nullplatform-"), "{stderr}");
    }
    for arn in ["arn:aws:iam::123456789012:role/x", "AdministratorAccess"] {
        let out = plan(&[&format!(
            "-var=execution_role_permissions_boundary_arn={arn}"
        )]);
        assert!(!out.status.success(), "{arn} accepted as a boundary");
    }
    let own = plan(&["-var=execution_role_permissions_boundary_arn=arn:aws:iam::123456789012:policy/team/boundary"]);
    assert!(
        own.status.success(),
        "{}",
        String::from_utf8_lossy(&own.stderr)
    );
}

/// The constraint `terraform { required_providers { <name> = { version = ... } } }` gives.
fn provider_constraint(body: &Body, name: &str) -> String {
    let terraform = blocks(body, "terraform")
        .into_iter()
        .next()
        .expect("no terraform block");
    let providers = terraform
        .body()
        .blocks()
        .find(|b| b.identifier() == "required_providers")
        .expect("no required_providers");
    let entry = providers
        .body()
        .attributes()
        .find(|a| a.key() == name)
        .unwrap_or_else(|| panic!("no provider {name}"))
        .expr()
        .clone();
    let Expression::Object(entry) = entry else {
        panic!("provider {name} is not an object");
    };
    entry
        .iter()
        .find(|(key, _)| key.to_string().trim_matches('"') == "version")
        .map(|(_, value)| value.to_string())
        .unwrap_or_else(|| panic!("provider {name} has no version"))
}

#[test]
fn the_install_module_pins_the_providers_it_was_written_for() {
    let body = parse(&tofu_dir().join("versions.tf"));
    let nullplatform = provider_constraint(&body, "nullplatform");
    assert!(
        nullplatform.contains(">= 0.0.96"),
        "nullplatform_provider_specification needs >= 0.0.96: {nullplatform}"
    );
    let aws = provider_constraint(&body, "aws");
    assert!(aws.contains(">= 5"), "{aws}");
    assert!(
        aws.contains("< 7.0"),
        "no upper bound on the aws provider: {aws}"
    );
    // The region is read through an attribute both 5.x and 6.x have, undeprecated.
    let text: String = tf_files(&tofu_dir())
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    for attribute in [
        "data.aws_region.current.name",
        "data.aws_region.current.region",
    ] {
        assert!(
            !text.contains(attribute),
            "{attribute} is deprecated in aws 6.x or missing in 5.x"
        );
    }
    assert!(text.contains("data.aws_region.current.id"));
}

/// specs/tofu/telemetry.tf with variables.tf and its script, in a directory of its own: the slug the
/// service specification would have stands in `local.late_values`, and the wait for the
/// notification channel (a nullplatform resource) is left out.
fn telemetry_harness(dir: &Path, slug: &str) {
    let text = std::fs::read_to_string(tofu_dir().join("telemetry.tf")).unwrap();
    let wait = "depends_on = [nullplatform_notification_channel.lambda]";
    assert!(text.contains(wait), "telemetry.tf changed shape");
    std::fs::write(dir.join("telemetry.tf"), text.replace(wait, "")).unwrap();
    for file in ["variables.tf", "route-telemetry.sh"] {
        std::fs::copy(tofu_dir().join(file), dir.join(file)).unwrap();
    }
    std::fs::write(
        dir.join("harness.tf"),
        format!("locals {{\n  late_values = {{ SERVICE_SLUG = \"{slug}\" }}\n}}\n"),
    )
    .unwrap();
}

/// An `np` that notes whether it got the API key, then answers as tests/support/np does.
fn recording_np(dir: &Path) -> PathBuf {
    let np = dir.join("np");
    let stand_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/np");
    std::fs::write(
        &np,
        format!(
            "#!/bin/sh\n[ \"$NP_API_KEY\" = \"np-key\" ] && echo key >> \"$NP_KEY_LOG\"\nexec '{}' \"$@\"\n",
            stand_in.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&np, std::fs::Permissions::from_mode(0o755)).unwrap();
    np
}

fn calls(log: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn the_install_module_routes_the_scope_types_telemetry_to_its_channel() {
    let work = tempfile::tempdir().unwrap();
    let module = work.path().join("module");
    std::fs::create_dir(&module).unwrap();
    telemetry_harness(&module, "aws-lambda");
    let np = recording_np(work.path());
    let call_log = work.path().join("calls.jsonl");
    let key_log = work.path().join("key.log");
    let fixtures = work.path().join("fixtures.json");
    let answer = |exit: i32| {
        std::fs::write(
            &fixtures,
            json!([{"args_prefix": ["nrn", "patch"], "stdout": {"ok": true}, "exit": exit, "stderr": "403 Forbidden"}])
                .to_string(),
        )
        .unwrap();
    };
    answer(0);
    let apply = |extra: &[&str]| {
        let mut args = vec![
            "apply".to_string(),
            "-auto-approve".into(),
            "-input=false".into(),
            "-no-color".into(),
            "-var=nrn=organization=1:account=2".into(),
            "-var=np_api_key=np-key".into(),
            "-var=cluster_name=prod".into(),
            "-var=state_bucket=acme-tofu-state".into(),
            format!("-var=np_cli={}", np.display()),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let out = Command::new(tofu_bin())
            .args(&args)
            .current_dir(&module)
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env("CHECKPOINT_DISABLE", "1")
            .env("NP_FIXTURES", &fixtures)
            .env("NP_CALL_LOG", &call_log)
            .env("NP_KEY_LOG", &key_log)
            .env_remove("NP_API_KEY")
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // As one line: the CLI wraps and frames diagnostics.
        let flat = all
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        (out.status.success(), flat)
    };
    let init = tofu(&["init", "-input=false", "-no-color"], &module);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );

    let (ok, log) = apply(&[]);
    assert!(ok, "{log}");
    let expected_patch = |slug: &str| {
        json!({
            format!("global.{slug}_metric_provider"): "externalmetrics",
            format!("global.{slug}_log_provider"): "external",
        })
    };
    let made = calls(&call_log);
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(
        made[0][..4],
        ["nrn", "patch", "--nrn", "organization=1:account=2"]
    );
    assert_eq!(made[0][4], "--body");
    let body: Value = serde_json::from_str(&made[0][5]).unwrap();
    assert_eq!(body, expected_patch("aws-lambda"));
    assert_eq!(made[0][6..], ["--format", "json"]);
    // np authenticates with the module's API key.
    assert_eq!(std::fs::read_to_string(&key_log).unwrap(), "key\n");

    // Idempotent: a second apply with the same NRN and slug patches nothing.
    let (ok, log) = apply(&[]);
    assert!(ok, "{log}");
    assert_eq!(calls(&call_log).len(), 1, "patched again: {log}");

    // A new slug is patched.
    telemetry_harness(&module, "aws-lambda-2");
    let (ok, log) = apply(&[]);
    assert!(ok, "{log}");
    let made = calls(&call_log);
    assert_eq!(made.len(), 2, "{made:?}");
    let body: Value = serde_json::from_str(&made[1][5]).unwrap();
    assert_eq!(body, expected_patch("aws-lambda-2"));

    // No np: the apply fails in the project's error shape, and nothing is called.
    telemetry_harness(&module, "aws-lambda-3");
    let (ok, log) = apply(&["-var=np_cli=/nonexistent/np"]);
    assert!(!ok, "applied without np: {log}");
    for mark in [
        "❌",
        "💡",
        "🔧",
        "/nonexistent/np",
        "route_telemetry_to_scope",
    ] {
        assert!(log.contains(mark), "no {mark} in: {log}");
    }
    assert_eq!(calls(&call_log).len(), 2);

    // np refuses: the apply fails and says what np answered.
    answer(1);
    let (ok, log) = apply(&[]);
    assert!(!ok, "{log}");
    assert!(
        log.contains("❌ np nrn patch") && log.contains("403 Forbidden") && log.contains("🔧"),
        "{log}"
    );

    // Opted out: nothing to patch.
    answer(0);
    let before = calls(&call_log).len();
    let (ok, log) = apply(&["-var=route_telemetry_to_scope=false"]);
    assert!(ok, "{log}");
    assert_eq!(calls(&call_log).len(), before, "{log}");
}

#[test]
fn the_np_cli_setting_is_a_command_or_a_path() {
    let work = variables_workspace(Some("output \"np\" {\n  value = var.np_cli\n}\n"));
    let plan = |value: &str| {
        let np = format!("-var=np_cli={value}");
        let mut args = vec!["plan", "-input=false", "-no-color"];
        args.extend(REQUIRED_VARS);
        args.push(&np);
        tofu(&args, work.path())
    };
    for good in ["np", "/usr/local/bin/np"] {
        assert!(plan(good).status.success(), "{good} refused");
    }
    for bad in ["np; rm -rf /", "", "np'"] {
        let out = plan(bad);
        assert!(!out.status.success(), "{bad:?} accepted");
        let stderr = String::from_utf8_lossy(&out.stderr).replace('│', " ");
        let flat = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("❌ np_cli"), "{stderr}");
    }
}

/// The `resource` / `data` blocks of one install-module file, by "type.name".
fn declared(file: &str, kind: &str) -> BTreeMap<String, Block> {
    blocks(&parse(&tofu_dir().join(file)), kind)
        .into_iter()
        .map(|b| {
            (
                format!("{}.{}", b.labels()[0].as_str(), b.labels()[1].as_str()),
                b.clone(),
            )
        })
        .collect()
}

fn attr(block: &Block, name: &str) -> String {
    block
        .body()
        .attributes()
        .find(|a| a.key() == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .expr()
        .to_string()
}

fn nested<'a>(block: &'a Block, name: &str) -> &'a Block {
    block
        .body()
        .blocks()
        .find(|b| b.identifier() == name)
        .unwrap_or_else(|| panic!("no {name} block"))
}

fn default_of(name: &str) -> String {
    let variables = declared_variables(&tofu_dir());
    attr(&variables[name], "default")
}

/// `-var`s for the install module's variables that have no default.
const REQUIRED_VARS: [&str; 4] = [
    "-var=nrn=organization=1:account=2",
    "-var=np_api_key=k",
    "-var=cluster_name=prod",
    "-var=state_bucket=acme-tofu-state",
];

/// A work dir holding the install module's variables.tf and, when given, `main_tf` as
/// main.tf, initialised by real tofu / terraform (variables.tf needs no provider).
fn variables_workspace(main_tf: Option<&str>) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(
        tofu_dir().join("variables.tf"),
        work.path().join("variables.tf"),
    )
    .unwrap();
    if let Some(main_tf) = main_tf {
        std::fs::write(work.path().join("main.tf"), main_tf).unwrap();
    }
    let init = tofu(&["init", "-input=false", "-no-color"], work.path());
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    work
}

/// The first `locals { ... }` block of the install module's `file`.
fn locals_of(file: &str) -> String {
    let text = std::fs::read_to_string(tofu_dir().join(file)).unwrap();
    let start = text.find("locals {").expect("no locals");
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    text[start..end].to_string()
}

/// Plans variables.tf alone with real tofu / terraform (validations need no provider).
fn plan_variables(extra: &[&str]) -> (bool, String) {
    let work = variables_workspace(None);
    let mut args = vec!["plan", "-input=false", "-no-color"];
    args.extend(REQUIRED_VARS);
    args.extend(extra);
    let out = tofu(&args, work.path());
    let stderr = String::from_utf8_lossy(&out.stderr).replace('│', " ");
    (
        out.status.success(),
        stderr.split_whitespace().collect::<Vec<_>>().join(" "),
    )
}

#[test]
fn the_alb_is_off_by_default_and_built_with_secure_settings() {
    assert_eq!(default_of("install_alb"), "false");
    assert_eq!(default_of("alb_internal"), "true");
    assert_eq!(default_of("alb_deletion_protection"), "true");
    let resources = declared("alb.tf", "resource");
    let data = declared("alb.tf", "data");
    for name in [
        "aws_lb.alb",
        "aws_lb_listener.alb_https",
        "aws_lb_listener.alb_http",
        "aws_security_group.alb",
        "aws_acm_certificate.alb",
        "aws_wafv2_web_acl_association.alb",
    ] {
        assert!(resources.contains_key(name), "no {name}");
    }
    // Nothing exists unless install_alb = true.
    for (name, block) in resources.iter().chain(data.iter()) {
        let count = attr(block, "count");
        assert!(
            count.contains("local.alb_create") || count.contains("local.create_cert"),
            "{name} is not gated on install_alb: count = {count}"
        );
    }
    let text = std::fs::read_to_string(tofu_dir().join("alb.tf")).unwrap();
    assert!(text.contains("alb_create  = var.install_alb"));
    assert!(text.contains("create_cert = var.install_alb &&"));

    let lb = &resources["aws_lb.alb"];
    assert_eq!(attr(lb, "drop_invalid_header_fields"), "true");
    assert_eq!(attr(lb, "internal"), "var.alb_internal");
    assert_eq!(
        attr(lb, "enable_deletion_protection"),
        "var.alb_deletion_protection"
    );
    let https = &resources["aws_lb_listener.alb_https"];
    assert_eq!(attr(https, "protocol"), "\"HTTPS\"");
    assert!(attr(https, "ssl_policy").contains("TLS13"));
    let http = &resources["aws_lb_listener.alb_http"];
    let redirect = nested(nested(http, "default_action"), "redirect");
    assert_eq!(attr(redirect, "protocol"), "\"HTTPS\"");
    assert_eq!(attr(redirect, "status_code"), "\"HTTP_301\"");
    // No port or protocol is open to the world by default; egress only to HTTPS.
    let group = &resources["aws_security_group.alb"];
    for rule in group
        .body()
        .blocks()
        .filter(|b| ["ingress", "egress"].contains(&b.identifier()))
    {
        let cidrs = attr(rule, "cidr_blocks");
        if rule.identifier() == "ingress" {
            assert_eq!(cidrs, "local.alb_ingress_cidr_blocks");
        } else {
            assert_eq!(attr(rule, "from_port"), "443");
            assert_ne!(attr(rule, "protocol"), "\"-1\"");
        }
    }
    // The outputs the vpc provider needs.
    let outputs: BTreeSet<String> = blocks(&parse(&tofu_dir().join("outputs.tf")), "output")
        .into_iter()
        .map(label)
        .collect();
    for name in [
        "lambda_alb_arn",
        "lambda_alb_listener_arn",
        "lambda_alb_dns_name",
    ] {
        assert!(outputs.contains(name), "no output {name}");
    }
    // The cross-setting checks are preconditions in the project's error shape.
    for says in [
        "install_alb = true needs vpc_id",
        "needs a certificate",
        "at least two availability zones",
        "needs alb_ingress_cidr_blocks",
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(says))
            .unwrap_or_else(|| panic!("no precondition saying {says}"));
        assert!(line.contains("❌") && line.contains("🔧"), "{line}");
    }
}

#[test]
fn the_alb_settings_are_checked_where_they_are_read() {
    let (ok, log) = plan_variables(&[
        "-var=install_alb=true",
        "-var=vpc_id=vpc-0123456789abcdef0",
        r#"-var=alb_subnet_ids=["subnet-0123456789abcdef0","subnet-0fedcba9876543210"]"#,
        r#"-var=alb_ingress_cidr_blocks=["10.0.0.0/16"]"#,
        "-var=certificate_arn=arn:aws:acm:us-east-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab",
        "-var=alb_name=np-prod-lambda",
    ]);
    assert!(ok, "{log}");
    for (setting, says) in [
        ("-var=vpc_id=vpc-nope", "❌ vpc_id"),
        (r#"-var=alb_subnet_ids=["sub-1"]"#, "❌ each alb_subnet_ids"),
        (
            r#"-var=alb_ingress_cidr_blocks=["::/0"]"#,
            "❌ each alb_ingress_cidr_blocks",
        ),
        (
            r#"-var=alb_ingress_cidr_blocks=["10.0.0.0/33"]"#,
            "❌ each alb_ingress_cidr_blocks",
        ),
        (
            "-var=certificate_arn=arn:aws:iam::123456789012:role/x",
            "❌ certificate_arn",
        ),
        ("-var=domain_name=*.example.com", "❌ domain_name"),
        ("-var=public_zone_id=zone", "❌ public_zone_id"),
        (
            "-var=alb_name=a-name-that-is-longer-than-thirty-two",
            "❌ alb_name",
        ),
        (
            "-var=alb_access_logs_bucket=Bad_Bucket",
            "❌ alb_access_logs_bucket",
        ),
        (
            "-var=alb_web_acl_arn=arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1",
            "❌ alb_web_acl_arn",
        ),
    ] {
        let (ok, log) = plan_variables(&["-var=install_alb=true", setting]);
        assert!(!ok, "{setting} accepted");
        assert!(log.contains(says), "{setting}: {log}");
    }
}

#[test]
fn the_placeholder_repository_is_made_only_when_asked_and_locked_down() {
    assert_eq!(default_of("create_placeholder_repository"), "false");
    let resources = declared("placeholder.tf", "resource");
    let repository = &resources["aws_ecr_repository.placeholder"];
    for block in resources.values() {
        assert_eq!(attr(block, "count"), "local.placeholder_create ? 1 : 0");
    }
    let text = std::fs::read_to_string(tofu_dir().join("placeholder.tf")).unwrap();
    assert!(text.contains("placeholder_create = var.create_placeholder_repository"));
    assert_eq!(attr(repository, "image_tag_mutability"), "\"IMMUTABLE\"");
    assert_eq!(
        attr(
            nested(repository, "image_scanning_configuration"),
            "scan_on_push"
        ),
        "true"
    );
    assert_eq!(
        attr(
            nested(repository, "encryption_configuration"),
            "encryption_type"
        ),
        "\"KMS\""
    );
    // Its name is what the reference and the docs publish to.
    assert_eq!(
        default_of("placeholder_repository_name"),
        "\"aws-lambda/nullplatform-lambda-placeholder\""
    );
    // The image URIs the module names are the tags placeholder/publish pushes.
    let publish = std::fs::read_to_string(tofu_dir().join("../../placeholder/publish")).unwrap();
    let tag = default_of("placeholder_image_tag");
    assert!(
        publish.contains(&format!("tag={tag}")),
        "publish's default tag is not {tag}"
    );
    let outputs = std::fs::read_to_string(tofu_dir().join("outputs.tf")).unwrap();
    for suffix in [
        "${var.placeholder_image_tag}-arm64",
        "${var.placeholder_image_tag}-amd64",
    ] {
        assert!(
            outputs.contains(suffix) && publish.contains("$tag-$arch"),
            "{suffix}"
        );
    }
    // Lambda may pull, for this account's functions only.
    let policy = attr(
        &resources["aws_ecr_repository_policy.placeholder"],
        "policy",
    );
    for needle in ["lambda.amazonaws.com", "aws:sourceArn", "ecr:BatchGetImage"] {
        assert!(policy.contains(needle), "{policy}");
    }
    let main = std::fs::read_to_string(tofu_dir().join("main.tf")).unwrap();
    assert!(
        main.contains("ecr_repositories        = local.ecr_repositories"),
        "the policies do not get the placeholder repository"
    );
}

#[test]
fn the_placeholder_repository_joins_the_policies_repositories() {
    // placeholder.tf's locals evaluated by real tofu / terraform with variables.tf.
    let work = variables_workspace(Some(&format!(
        "{}\noutput \"repositories\" {{\n  value = local.ecr_repositories\n}}\n",
        locals_of("placeholder.tf")
    )));
    let evaluate = |create: bool, repositories: &str| -> Vec<String> {
        let create = format!("-var=create_placeholder_repository={create}");
        let repositories = format!("-var=ecr_repositories={repositories}");
        let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
        args.extend(REQUIRED_VARS);
        args.extend([create.as_str(), repositories.as_str()]);
        let out = tofu(&args, work.path());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = tofu(&["output", "-json", "repositories"], work.path());
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let placeholder = "aws-lambda/nullplatform-lambda-placeholder";
    assert_eq!(evaluate(false, r#"["*"]"#), ["*"]);
    assert_eq!(evaluate(true, r#"["*"]"#), ["*"]);
    assert_eq!(evaluate(false, r#"["apps/*"]"#), ["apps/*"]);
    assert_eq!(evaluate(true, r#"["apps/*"]"#), ["apps/*", placeholder]);
    assert_eq!(
        evaluate(true, &format!(r#"["{placeholder}"]"#)),
        [placeholder]
    );
}

#[test]
fn the_read_role_is_opt_in_and_trusted_like_the_permissions_role() {
    assert_eq!(default_of("create_read_role"), "false");
    assert_eq!(default_of("iam_provider_read_selector"), "\"lambda-read\"");
    let resources = declared("read_role.tf", "resource");
    for name in [
        "aws_iam_role.read",
        "aws_iam_policy.read",
        "aws_iam_role_policy_attachment.read",
    ] {
        assert!(resources.contains_key(name), "no {name}");
    }
    for (name, block) in &resources {
        assert_eq!(
            attr(block, "count"),
            "local.read_role_create ? 1 : 0",
            "{name} is not gated on create_read_role"
        );
    }
    let text = std::fs::read_to_string(tofu_dir().join("read_role.tf")).unwrap();
    assert!(text.contains("read_role_create = var.create_read_role"));
    // The same trust (principals, ExternalId, session tags) and session cap as the main role.
    let main = declared("iam.tf", "resource");
    let (role, permissions) = (
        &resources["aws_iam_role.read"],
        &main["aws_iam_role.permissions"],
    );
    for name in ["assume_role_policy", "max_session_duration"] {
        assert_eq!(attr(role, name), attr(permissions, name), "{name}");
    }
    assert_eq!(attr(role, "assume_role_policy"), "local.trust_policy");
    // Its one policy is the table's read document, through the same module as the main role's.
    assert_eq!(
        attr(&resources["aws_iam_policy.read"], "policy"),
        "module.policy_documents.documents[\"read\"]"
    );
    let attachment = &resources["aws_iam_role_policy_attachment.read"];
    assert_eq!(attr(attachment, "role"), "aws_iam_role.read[0].name");
    assert_eq!(attr(attachment, "policy_arn"), "aws_iam_policy.read[0].arn");
    // ... and not one of the permissions role's.
    let iam = std::fs::read_to_string(tofu_dir().join("iam.tf")).unwrap();
    let role_policies = iam
        .lines()
        .find(|l| l.trim_start().starts_with("role_policies"))
        .unwrap();
    assert!(role_policies.contains("\"read\""), "{role_policies}");
    // The agent may assume it (the assume document), the permissions role never touches it,
    // and no execution-role prefix may cover it.
    let main_tf = std::fs::read_to_string(tofu_dir().join("main.tf")).unwrap();
    assert!(
        main_tf.contains(
            "read_role_name          = local.read_role_create ? local.read_role_name : \"\""
        ),
        "the policy documents do not get the read role"
    );
    assert!(iam.contains("(local.read_role_create && startswith(local.read_role_name, prefix))"));
    let outputs: BTreeSet<String> = blocks(&parse(&tofu_dir().join("outputs.tf")), "output")
        .into_iter()
        .map(label)
        .collect();
    for name in ["read_role_arn", "read_role_name", "read_policy_arn"] {
        assert!(outputs.contains(name), "no output {name}");
    }
    // The IaC scan covers it.
    let scan = std::fs::read_to_string(tofu_dir().join("../../scripts/iac-scan.tfvars")).unwrap();
    assert!(
        scan.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["create_read_role", "=", "true"]),
        "{scan}"
    );
}

#[test]
fn the_read_role_settings_are_checked_where_they_are_read() {
    let (ok, log) = plan_variables(&[
        "-var=create_read_role=true",
        "-var=read_role_name=acme-lambda-read",
        "-var=iam_provider_read_selector=lambda-ro",
    ]);
    assert!(ok, "{log}");
    for (setting, says) in [
        ("-var=iam_provider_read_selector=lambda", "❌ iam_provider_read_selector"),
        ("-var=iam_provider_read_selector=", "❌ iam_provider_read_selector"),
        ("-var=iam_provider_read_selector=lambda read", "❌ iam_provider_read_selector"),
        ("-var=read_role_name=role/with/slashes", "❌ read_role_name"),
        (
            "-var=read_role_name=a-role-name-that-is-much-longer-than-the-sixty-four-characters-iam-allows",
            "❌ read_role_name",
        ),
    ] {
        let (ok, log) = plan_variables(&["-var=create_read_role=true", setting]);
        assert!(!ok, "{setting} accepted");
        assert!(log.contains(says), "{setting}: {log}");
    }
}

/// The locals of read_role.tf and iam_provider.tf evaluated by real tofu / terraform with
/// variables.tf, the roles' ARNs standing in for the provider's: the provider entries
/// and the read role's name.
fn iam_provider_locals(extra: &[&str]) -> Value {
    let locals = locals_of("read_role.tf") + &locals_of("iam_provider.tf");
    let permissions = "aws_iam_role.permissions.arn";
    let read = "try(aws_iam_role.read[0].arn, \"\")";
    assert!(
        locals.contains(permissions) && locals.contains(read),
        "the locals changed shape"
    );
    let locals = locals.replace(permissions, "\"arn:aws:iam::123456789012:role/nullplatform-prod-lambda-scope\"").replace(
        read,
        "local.read_role_create ? \"arn:aws:iam::123456789012:role/${local.read_role_name}\" : \"\"",
    );
    let work = variables_workspace(Some(&format!(
        "{locals}\nlocals {{\n  permissions_role_name = \"nullplatform-prod-lambda-scope\"\n}}\n\
         output \"attributes\" {{\n  value = local.iam_provider_attributes\n}}\n\
         output \"read_role_name\" {{\n  value = local.read_role_name\n}}\n"
    )));
    let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
    args.extend(REQUIRED_VARS);
    args.extend(extra);
    let out = tofu(&args, work.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = tofu(&["output", "-json"], work.path());
    let outputs: Value = serde_json::from_slice(&out.stdout).unwrap();
    json!({
        "attributes": serde_json::from_str::<Value>(outputs["attributes"]["value"].as_str().unwrap()).unwrap(),
        "read_role_name": outputs["read_role_name"]["value"],
    })
}

#[test]
fn the_iam_provider_names_the_read_role_under_the_read_selector() {
    use lambda_scope::credentials::chain::entry_for_selector;
    let main = "arn:aws:iam::123456789012:role/nullplatform-prod-lambda-scope";
    let read = "arn:aws:iam::123456789012:role/nullplatform-prod-lambda-scope-read";

    // Off: the permissions role alone, as before.
    let off = iam_provider_locals(&[]);
    assert_eq!(
        off["attributes"],
        json!({"iam_role_arns": {"arns": [{"selector": "lambda", "arn": main}]}})
    );
    assert!(entry_for_selector(&off["attributes"], "lambda-read").is_none());

    // On: both, each with the ExternalId its trust requires, read the way assume-role reads them.
    let on = iam_provider_locals(&["-var=create_read_role=true", "-var=external_id=np-ext-42"]);
    assert_eq!(on["read_role_name"], "nullplatform-prod-lambda-scope-read");
    assert_eq!(
        on["attributes"],
        json!({"iam_role_arns": {"arns": [
            {"selector": "lambda", "arn": main, "external_id": "np-ext-42"},
            {"selector": "lambda-read", "arn": read, "external_id": "np-ext-42"},
        ]}})
    );
    let entry = entry_for_selector(&on["attributes"], "lambda-read").expect("no read entry");
    assert_eq!(entry.arn, read);
    assert_eq!(entry.external_id.as_deref(), Some("np-ext-42"));
    assert_eq!(
        entry_for_selector(&on["attributes"], "lambda").unwrap().arn,
        main
    );

    // The operator's selector and name.
    let named = iam_provider_locals(&[
        "-var=create_read_role=true",
        "-var=iam_provider_read_selector=lambda-ro",
        "-var=read_role_name=acme-lambda-read",
    ]);
    let entry = entry_for_selector(&named["attributes"], "lambda-ro").expect("no lambda-ro entry");
    assert_eq!(entry.arn, "arn:aws:iam::123456789012:role/acme-lambda-read");
    assert!(entry.external_id.is_none());
    let registration = std::fs::read_to_string(tofu_dir().join("iam_provider.tf")).unwrap();
    assert!(registration.contains("attributes = local.iam_provider_attributes"));
}

#[test]
fn an_external_id_is_accepted_and_a_malformed_one_refused() {
    // The trust policy and both IAM provider entries carry it: the validation must let
    // a real one through.
    for good in ["np-ext-42", "a1", &"x".repeat(1224)] {
        let (ok, log) = plan_variables(&[&format!("-var=external_id={good}")]);
        assert!(ok, "{good:?} refused: {log}");
    }
    for bad in ["x", "with space", "quote'", &"x".repeat(1225)] {
        let (ok, _) = plan_variables(&[&format!("-var=external_id={bad}")]);
        assert!(!ok, "{bad:?} accepted");
    }
}
