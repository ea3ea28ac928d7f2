//! The nullplatform registration templates in `specs/`: every template renders (with the
//! gomplate-style placeholders filled in, as the install module does) to valid JSON, the
//! service specification lists exactly the action files, every action routes to an
//! existing workflow, and the channel runs this repository's entrypoint.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs")
}

/// The placeholders the install module (specs/tofu/registration.tf) fills in.
const PLACEHOLDERS: [&str; 6] = [
    "NRN",
    "SERVICE_SPECIFICATION_ID",
    "SERVICE_SLUG",
    "REPO_PATH",
    "NP_API_KEY",
    "ENVIRONMENT",
];

/// Sample values; one carries quotes and a backslash to prove values are JSON-escaped.
fn sample(name: &str) -> &'static str {
    match name {
        "NRN" => "organization=1:account=2",
        "SERVICE_SPECIFICATION_ID" => "3f2a9c1e-0000-4000-8000-000000000001",
        "SERVICE_SLUG" => "aws-lambda",
        "REPO_PATH" => "/root/.np/nullplatform/lambda-scope",
        "NP_API_KEY" => "key-with-\"quotes\"-and-\\",
        "ENVIRONMENT" => "production",
        other => panic!("no sample for {other}"),
    }
}

/// Fills `{{ env.Getenv "NAME" }}` with the JSON-escaped sample value, like the install module.
fn render(text: &str) -> String {
    let mut out = text.to_string();
    for name in PLACEHOLDERS {
        let escaped = serde_json::to_string(sample(name)).unwrap();
        let escaped = &escaped[1..escaped.len() - 1];
        out = out.replace(&format!("{{{{ env.Getenv \"{name}\" }}}}"), escaped);
    }
    out
}

fn load(path: &Path) -> Value {
    let raw = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rendered = render(&raw);
    assert!(
        !rendered.contains("{{"),
        "{}: a placeholder the install module does not fill in is left: {}",
        path.display(),
        rendered
            .lines()
            .find(|l| l.contains("{{"))
            .unwrap_or_default()
    );
    serde_json::from_str(&rendered)
        .unwrap_or_else(|e| panic!("{} does not render to JSON: {e}", path.display()))
}

fn action_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(specs_dir().join("actions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn slug_of(path: &Path) -> String {
    path.file_name()
        .unwrap()
        .to_string_lossy()
        .strip_suffix(".json.tpl")
        .unwrap_or_else(|| panic!("{} is not a .json.tpl", path.display()))
        .to_string()
}

#[test]
fn every_template_renders_to_json() {
    let mut count = 0;
    for path in [
        "scope-type-definition.json.tpl",
        "service-spec.json.tpl",
        "scope-configuration.json.tpl",
        "notification-channel.json.tpl",
    ]
    .iter()
    .map(|f| specs_dir().join(f))
    .chain(action_files())
    {
        let value = load(&path);
        assert!(value.is_object(), "{}", path.display());
        count += 1;
    }
    assert!(count >= 4 + 14, "only {count} templates");
    // The secret-looking value survives escaping intact.
    let channel = load(&specs_dir().join("notification-channel.json.tpl"));
    assert_eq!(
        channel["configuration"]["api_key"],
        sample("NP_API_KEY"),
        "values must be JSON-escaped, not pasted raw"
    );
}

#[test]
fn early_templates_only_need_the_nrn() {
    // The install module renders these before the service specification exists.
    for file in ["service-spec.json.tpl", "scope-configuration.json.tpl"] {
        let raw = std::fs::read_to_string(specs_dir().join(file)).unwrap();
        let without_nrn = raw.replace("{{ env.Getenv \"NRN\" }}", "");
        assert!(!without_nrn.contains("{{"), "{file} needs more than NRN");
    }
}

#[test]
fn service_spec_lists_exactly_the_action_files() {
    let spec = load(&specs_dir().join("service-spec.json.tpl"));
    let listed: BTreeSet<String> = spec["available_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let files: BTreeSet<String> = action_files().iter().map(|p| slug_of(p)).collect();
    assert_eq!(listed, files, "available_actions and specs/actions/ differ");
    assert_eq!(spec["type"], "scope");
    assert_eq!(spec["use_default_actions"], false);
    assert_eq!(spec["visible_to"], json!([sample("NRN")]));
}

#[test]
fn actions_are_well_formed() {
    for path in action_files() {
        let slug = slug_of(&path);
        let action = load(&path);
        assert_eq!(
            action["slug"],
            slug.as_str(),
            "{slug}: slug must match the file name"
        );
        assert!(
            action["name"].as_str().is_some_and(|n| !n.is_empty()),
            "{slug}: name"
        );
        let kind = action["type"].as_str().unwrap_or_default();
        assert!(
            ["create", "update", "delete", "custom"].contains(&kind),
            "{slug}: type {kind}"
        );
        assert_eq!(
            action["service_specification_id"],
            sample("SERVICE_SPECIFICATION_ID")
        );
        let schema = &action["parameters"]["schema"];
        assert_eq!(schema["type"], "object", "{slug}");
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            required.contains(&"scope_id"),
            "{slug} must require scope_id"
        );
        for name in &required {
            assert!(
                schema["properties"].get(name).is_some(),
                "{slug}: required {name} has no property"
            );
        }
        assert!(action["results"]["schema"].is_object(), "{slug}: results");
    }
    // Parameters the workflows read.
    let switch = load(&specs_dir().join("actions/switch-traffic.json.tpl"));
    assert_eq!(
        switch["parameters"]["schema"]["properties"]["desired_traffic"]["maximum"],
        100
    );
    let invoke = load(&specs_dir().join("actions/invoke.json.tpl"));
    assert!(invoke["parameters"]["schema"]["properties"]["payload"].is_object());
}

/// The notification the platform sends for an action (shape of tests/fixtures notifications).
fn notification(action: &Value) -> String {
    let slug = action["slug"].as_str().unwrap();
    let kind = action["type"].as_str().unwrap();
    let mut parameters = json!({"scope_id": "1234"});
    let required = action["parameters"]["schema"]["required"]
        .as_array()
        .unwrap();
    if required.iter().any(|r| r == "deployment_id") {
        parameters["deployment_id"] = json!("5678");
    }
    let notification = json!({
        "notification": {
            "action": format!("service:action:{kind}"),
            "slug": slug,
            "type": kind,
            "parameters": parameters,
        }
    });
    format!("'{notification}'")
}

#[test]
fn every_action_is_in_the_routing_table() {
    use lambda_scope::routing::{DEPLOYMENT_ACTIONS, SCOPE_ACTIONS};
    let mut slugs = BTreeSet::new();
    for path in action_files() {
        let action = load(&path);
        let slug = slug_of(&path);
        let is_deployment = action["parameters"]["schema"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "deployment_id");
        let table = if is_deployment {
            DEPLOYMENT_ACTIONS
        } else {
            SCOPE_ACTIONS
        };
        assert!(
            table.iter().any(|(s, _)| *s == slug),
            "{slug} is not in the routing table (src/routing.rs)"
        );
        slugs.insert(slug);
    }
    // And the other way round: every routed action has a spec.
    for (slug, _) in DEPLOYMENT_ACTIONS.iter().chain(SCOPE_ACTIONS) {
        assert!(
            slugs.contains(*slug),
            "routed action {slug} has no specs/actions file"
        );
    }
}

#[test]
fn every_action_routes_to_an_existing_workflow() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    for path in action_files() {
        let action = load(&path);
        match lambda_scope::routing::route(&notification(&action), repo, &[]) {
            Ok(route) => assert!(route.workflow.is_file(), "{}", route.workflow.display()),
            Err(err) => missing.push(format!("{}: {}", slug_of(&path), err.what)),
        }
    }
    assert!(
        missing.is_empty(),
        "actions without a workflow:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_channel_runs_this_repository_entrypoint() {
    let channel = load(&specs_dir().join("notification-channel.json.tpl"));
    let repo = sample("REPO_PATH");
    let data = &channel["configuration"]["command"]["data"];
    assert_eq!(
        data["cmdline"],
        format!("{repo}/entrypoint --service-path={repo}")
    );
    assert_eq!(
        data["environment"]["NP_ACTION_CONTEXT"],
        "'${NOTIFICATION_CONTEXT}'"
    );
    assert_eq!(channel["configuration"]["command"]["type"], "exec");
    assert_eq!(channel["type"], "agent");
    let sources: Vec<&str> = channel["source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(sources.contains(&"service") && sources.contains(&"telemetry"));
    let entrypoint = Path::new(env!("CARGO_MANIFEST_DIR")).join("entrypoint");
    assert!(
        entrypoint.is_file(),
        "the channel runs <repo>/entrypoint, which is missing"
    );
}

#[test]
fn service_spec_carries_every_capability_the_context_steps_read() {
    let spec = load(&specs_dir().join("service-spec.json.tpl"));
    let props = &spec["attributes"]["schema"]["properties"];
    for key in [
        "visibility",
        "http_enabled",
        "deployment_type",
        "runtime",
        "handler",
        "architecture",
        "memory",
        "timeout",
        "ephemeral_storage",
        "provisioned_concurrency",
        "reserved_concurrency",
        "vpc_enabled",
        "layers",
    ] {
        assert!(props.get(key).is_some(), "capability {key} missing");
        if let Some(default) = props[key].get("default") {
            if let Some(allowed) = props[key].get("enum").and_then(Value::as_array) {
                assert!(allowed.contains(default), "{key}: default not allowed");
            }
        }
    }
    let types: Vec<&str> = props["deployment_type"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["const"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["docker-image", "zip"]);
    assert_eq!(props["architecture"]["default"], "arm64");
    assert_eq!(props["visibility"]["default"], "public");
    // Every control of the form points at a property that exists.
    let ui = spec["attributes"]["schema"]["uiSchema"].to_string();
    for reference in ui.split("#/properties/").skip(1) {
        let path: Vec<&str> = reference
            .split('"')
            .next()
            .unwrap()
            .split("/properties/")
            .collect();
        let mut node = props;
        for part in &path {
            node = node
                .get(part)
                .unwrap_or_else(|| panic!("uiSchema refers to missing {path:?}"));
            if let Some(inner) = node.get("properties") {
                node = inner;
            }
        }
    }
}

#[test]
fn scope_configuration_has_the_keys_the_steps_read() {
    let config = load(&specs_dir().join("scope-configuration.json.tpl"));
    assert_eq!(config["category"], "scope-configurations");
    let props = &config["schema"]["properties"];
    for (group, key) in [
        ("state", "tofu_state_bucket"),
        ("deployment", "placeholder_image_uri"),
        ("lambda", "execution_role_prefix"),
        ("lambda", "log_retention_days"),
        ("networking", "alb_listener_rule_capacity"),
        ("networking", "alb_listener_rule_alert_threshold"),
        ("agent", "null_agent_layer_arn"),
        ("assume_role", "arn"),
    ] {
        assert!(
            props[group]["properties"].get(key).is_some(),
            "scope-configurations {group}.{key} missing"
        );
    }
    assert_eq!(
        props["lambda"]["properties"]["execution_role_prefix"]["default"],
        "np-lambda-"
    );
}

/// Runtimes of the SDK's `Runtime` enum that Lambda has deprecated (no new functions,
/// then no updates), with the date of the Lambda runtimes table. A deprecated runtime
/// offered in the form would fail the scope's first create-function.
const DEPRECATED_RUNTIMES: &[(&str, &str)] = &[
    ("nodejs20.x", "2026-04-30"),
    ("nodejs18.x", "2025-09-01"),
    ("nodejs16.x", "2024-06-12"),
    ("python3.11", "2026-06-30"),
    ("python3.10", "2026-06-30"),
    ("python3.9", "2025-12-15"),
    ("python3.8", "2024-10-14"),
    ("java17", "2026-06-30"),
    ("java11", "2026-06-30"),
    ("java8.al2", "2026-06-30"),
    ("java8", "2024-01-08"),
    ("dotnet8", "2026-11-10"),
    ("dotnet6", "2024-11-12"),
    ("ruby3.2", "2026-03-31"),
    ("provided.al2", "2026-06-30"),
    ("provided", "2024-01-08"),
    ("go1.x", "2024-01-08"),
];

#[test]
fn the_runtime_list_is_lambdas_current_runtimes() {
    let spec = load(&specs_dir().join("service-spec.json.tpl"));
    let runtime = &spec["attributes"]["schema"]["properties"]["runtime"];
    let listed: Vec<&str> = runtime["enum"]
        .as_array()
        .expect("runtime has no enum")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    // Every identifier is one the Lambda API we build against knows.
    let known = aws_sdk_lambda::types::Runtime::values();
    for name in &listed {
        assert!(
            known.contains(name),
            "{name} is not a value of aws-sdk-lambda's Runtime"
        );
        if let Some((_, date)) = DEPRECATED_RUNTIMES.iter().find(|(old, _)| old == name) {
            panic!("{name} is offered but Lambda deprecated it on {date}");
        }
    }
    let unique: BTreeSet<&&str> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "a runtime is listed twice");
    // The newest of each family the form offers, and the default is unchanged.
    for current in [
        "nodejs24.x",
        "nodejs22.x",
        "python3.14",
        "python3.13",
        "java25",
        "java21",
        "dotnet10",
        "ruby3.4",
        "provided.al2023",
    ] {
        assert!(listed.contains(&current), "{current} is not offered");
    }
    assert_eq!(runtime["default"], "nodejs22.x");
}
