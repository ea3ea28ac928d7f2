//! build-scope-context and build-deployment-context through their real shims under
//! bash, on Lambda-shaped built contexts (tests/fixtures/contexts); the deployment's
//! blue/green versions come from moto server, or from a small stand-in for the one
//! ListVersionsByFunction API where moto cannot show paging or a denied call.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

const FUNCTION: &str = "7-automation-development-tools";

use crate::common::context_fixture as fixture;

struct Run {
    code: i32,
    log: String,
    outputs: HashMap<String, String>,
}

impl Run {
    fn out(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("{name} not exported; log:\n{}", self.log))
    }

    fn assert_report(&self, parts: &[&str]) {
        assert_ne!(self.code, 0, "{}", self.log);
        assert!(self.outputs.is_empty(), "nothing is exported on failure");
        for part in ["❌", "💡", "🔧"].iter().chain(parts) {
            assert!(self.log.contains(part), "{part} in {}", self.log);
        }
    }
}

/// Sources `steps/<step> <args>` in a clean bash; on success returns the shell's
/// environment afterwards.
fn run(step: &str, dir: &Path, context: &Value, env: &[(String, String)], args: &str) -> Run {
    let mut full = vec![
        (
            "SCOPE_BIN_DIR".to_string(),
            crate::common::bin_dir().display().to_string(),
        ),
        ("CONTEXT".to_string(), context.to_string()),
        (
            "NP_OUTPUT_DIR".to_string(),
            dir.join("np-output").display().to_string(),
        ),
    ];
    for (key, value) in env {
        full.retain(|(k, _)| k != key);
        full.push((key.clone(), value.clone()));
    }
    let step = crate::common::source_step(step, args, &full, dir);
    Run {
        code: step.code,
        log: step.log,
        outputs: step.outputs,
    }
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn public_image_scope() {
    let dir = tempfile::tempdir().unwrap();
    let run = run(
        "build-scope-context",
        dir.path(),
        &fixture("scope-public-image.json"),
        &env(&[("LAMBDA_ARCHITECTURE", "x86_64")]),
        "",
    );
    assert_eq!(run.code, 0, "{}", run.log);
    let expect = [
        ("SCOPE_ID", "7"),
        ("SCOPE_SLUG", "development-tools"),
        (
            "SCOPE_NRN",
            "organization=1:account=2:namespace=3:application=4:scope=7",
        ),
        ("NAMESPACE_SLUG", "tools"),
        ("APPLICATION_SLUG", "automation"),
        ("ACCOUNT_SLUG", "playground"),
        ("LAMBDA_FUNCTION_NAME", FUNCTION),
        ("VISIBILITY", "public"),
        ("PACKAGE_TYPE", "Image"),
        ("ASSET_TYPE", "docker-image"),
        ("RUNTIME", "nodejs22.x"),
        ("HANDLER", "index.handler"),
        // the capability wins over LAMBDA_ARCHITECTURE
        ("ARCHITECTURE", "arm64"),
    ];
    for (name, value) in expect {
        assert_eq!(run.out(name), value, "{name}");
    }
    let output_dir = dir.path().join("np-output/output/7");
    assert_eq!(run.out("OUTPUT_DIR"), output_dir.display().to_string());
    assert!(output_dir.is_dir());
    let tags: Value = serde_json::from_str(run.out("RESOURCE_TAGS_JSON")).unwrap();
    assert_eq!(
        tags,
        json!({
            "nullplatform:scope-id": "7",
            "nullplatform:namespace": "tools",
            "nullplatform:application": "automation",
            "nullplatform:scope": "development-tools"
        })
    );
    assert_eq!(
        run.out("ALB_LISTENER_RULE_CAPACITY"),
        "",
        "only private scopes"
    );
    assert_eq!(run.out("ALB_LISTENER_RULE_ALERT_THRESHOLD"), "");
}

#[test]
fn private_zip_scope_checks_listener_rule_capacity() {
    let dir = tempfile::tempdir().unwrap();
    let context = fixture("scope-private-zip-no-dimensions.json");
    let ok = run(
        "build-scope-context",
        dir.path(),
        &context,
        &env(&[("LAMBDA_ARCHITECTURE", "arm64")]),
        "",
    );
    assert_eq!(ok.code, 0, "{}", ok.log);
    assert_eq!(ok.out("VISIBILITY"), "private");
    assert_eq!(ok.out("PACKAGE_TYPE"), "Zip");
    assert_eq!(ok.out("ASSET_TYPE"), "lambda");
    assert_eq!(ok.out("RUNTIME"), "python3.12");
    assert_eq!(ok.out("HANDLER"), "app.lambda_handler");
    assert_eq!(ok.out("ARCHITECTURE"), "x86_64");
    assert_eq!(ok.out("ALB_LISTENER_RULE_CAPACITY"), "100");
    assert_eq!(ok.out("ALB_LISTENER_RULE_ALERT_THRESHOLD"), "80");

    let full = run(
        "build-scope-context",
        dir.path(),
        &context,
        &env(&[("ALB_LISTENER_RULE_CAPACITY", "80")]),
        "",
    );
    full.assert_report(&["capacity (80)", "threshold (80)"]);

    // the provider value wins over the environment variable
    let mut with_provider = fixture("scope-public-image.json");
    with_provider["scope"]["capabilities"]["visibility"] = json!("private");
    with_provider["providers"]["scope-configurations"]["networking"]
        ["alb_listener_rule_capacity"] = json!(50);
    let from_provider = run(
        "build-scope-context",
        dir.path(),
        &with_provider,
        &env(&[("ALB_LISTENER_RULE_CAPACITY", "500")]),
        "",
    );
    from_provider.assert_report(&["capacity (50)"]);
}

#[test]
fn event_driven_scope_and_output_dir_without_np_output_dir() {
    let dir = tempfile::tempdir().unwrap();
    let service = dir.path().join("service");
    let run = run(
        "build-scope-context",
        dir.path(),
        &fixture("scope-event-driven.json"),
        &env(&[
            ("NP_OUTPUT_DIR", ""),
            ("SERVICE_PATH", &service.display().to_string()),
            ("LAMBDA_ARCHITECTURE", "x86_64"),
        ]),
        "",
    );
    assert_eq!(run.code, 0, "{}", run.log);
    assert_eq!(run.out("VISIBILITY"), "event-driven");
    assert_eq!(run.out("ARCHITECTURE"), "x86_64");
    assert_eq!(
        run.out("OUTPUT_DIR"),
        service.join("output/7").display().to_string()
    );
    assert!(service.join("output/7").is_dir());
}

#[test]
fn long_names_are_cut_to_64_lambda_characters() {
    let dir = tempfile::tempdir().unwrap();
    let mut context = fixture("scope-public-image.json");
    context["application"]["slug"] = json!("a-very-long-application-slug-that-keeps-going");
    context["scope"]["slug"] = json!("and-a-scope.slug-that-is-also-long");
    let run = run("build-scope-context", dir.path(), &context, &[], "");
    assert_eq!(run.code, 0, "{}", run.log);
    let name = run.out("LAMBDA_FUNCTION_NAME");
    assert_eq!(name.len(), 64);
    assert_eq!(
        name,
        "7-a-very-long-application-slug-that-keeps-going-and-a-scope-slug"
    );
}

#[test]
fn missing_and_malformed_fields_name_their_jq_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut context = fixture("scope-public-image.json");
    context["application"]
        .as_object_mut()
        .unwrap()
        .remove("slug");
    run("build-scope-context", dir.path(), &context, &[], "").assert_report(&[".application.slug"]);

    let mut context = fixture("scope-public-image.json");
    context["scope"]["capabilities"]["visibility"] = json!("internal");
    run("build-scope-context", dir.path(), &context, &[], "")
        .assert_report(&[".scope.capabilities.visibility"]);

    let mut context = fixture("scope-public-image.json");
    context["scope"]["id"] = json!({"id": 7});
    run("build-scope-context", dir.path(), &context, &[], "").assert_report(&[".scope.id"]);

    let mut context = fixture("deployment-initial-zip.json");
    context["deployment"].as_object_mut().unwrap().remove("id");
    run("build-deployment-context", dir.path(), &context, &[], "")
        .assert_report(&[".deployment.id"]);

    let mut context = fixture("deployment-initial-zip.json");
    context["asset"]["url"] = json!("https://acme-assets.s3.amazonaws.com/app.zip");
    run("build-deployment-context", dir.path(), &context, &[], "")
        .assert_report(&[".asset.url", "s3://"]);

    let mut context = fixture("deployment-blue-green-image.json");
    context["deployment"]["strategy_data"]["desired_switched_traffic"] = json!(250);
    run("build-deployment-context", dir.path(), &context, &[], "")
        .assert_report(&[".deployment.strategy_data.desired_switched_traffic"]);
}

#[test]
fn deployment_settings_from_the_environment_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let context = fixture("deployment-initial-zip.json");
    run(
        "build-deployment-context",
        dir.path(),
        &context,
        &env(&[("PARAMETERS_STRATEGY", "vault")]),
        "",
    )
    .assert_report(&["PARAMETERS_STRATEGY", "`vault`"]);
    run(
        "build-deployment-context",
        dir.path(),
        &context,
        &env(&[("LAMBDA_MAIN_ALIAS_NAME", "12")]),
        "",
    )
    .assert_report(&["LAMBDA_MAIN_ALIAS_NAME", "`12`"]);
    let mut mismatched = context.clone();
    mismatched["asset"]["type"] = json!("docker-image");
    run("build-deployment-context", dir.path(), &mismatched, &[], "")
        .assert_report(&[".asset.type", ".scope.capabilities.deployment_type"]);
}

#[test]
fn secretsmanager_strategy_is_passed_on() {
    let moto = crate::common::MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut environment = moto.aws_env();
    environment.push(("PARAMETERS_STRATEGY".into(), "secretsmanager".into()));
    let run = run(
        "build-deployment-context",
        dir.path(),
        &fixture("deployment-initial-zip.json"),
        &environment,
        "",
    );
    assert_eq!(run.code, 0, "{}", run.log);
    assert_eq!(run.out("PARAMETERS_STRATEGY"), "secretsmanager");
    assert_eq!(
        run.out("SECRETS_MANAGER_SECRET_NAME"),
        "nullplatform/7/8/parameters"
    );
}

#[test]
fn empty_context_is_a_report() {
    let dir = tempfile::tempdir().unwrap();
    run("build-scope-context", dir.path(), &json!({}), &[], "").assert_report(&[".scope.id"]);
}

/// Creates the fixtures' function in moto and publishes one version per
/// description, in order; returns the server.
fn moto_with_versions(descriptions: &[&str]) -> crate::common::MotoServer {
    let moto = crate::common::MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("code.zip");
    crate::common::write_zip(&zip, "exports.handler = async () => 1");
    let role = moto.create_role("fn-role");
    let region = ["--region", "us-east-1"];
    moto.create_zip_function(FUNCTION, "us-east-1", &role, &zip, &[]);
    for (index, description) in descriptions.iter().enumerate() {
        // moto publishes a new version only when code or configuration changed
        let variables = format!("Variables={{N={index}}}");
        moto.aws(
            &[
                &[
                    "lambda",
                    "update-function-configuration",
                    "--function-name",
                    FUNCTION,
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
                    FUNCTION,
                    "--description",
                    description,
                ][..],
                &region,
            ]
            .concat(),
        );
    }
    moto
}

fn aws_env(endpoint: &str) -> Vec<(String, String)> {
    env(&[
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", "AKIAAGENTBASE0000000"),
        ("AWS_SECRET_ACCESS_KEY", "agent-base-secret"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_MAX_ATTEMPTS", "1"),
    ])
}

#[test]
fn blue_green_deployment_finds_green_and_blue_versions() {
    // versions 1..5: descriptions are deployment ids; 9 is green, 5 the active (blue)
    let moto = moto_with_versions(&["4", "5", "9", "9", "10"]);
    let dir = tempfile::tempdir().unwrap();
    let mut environment = moto.aws_env();
    environment.push(("LAMBDA_MAIN_ALIAS_NAME".into(), "live".into()));
    let run = run(
        "build-deployment-context",
        dir.path(),
        &fixture("deployment-blue-green-image.json"),
        &environment,
        "--require-asset",
    );
    assert_eq!(run.code, 0, "{}", run.log);
    let expect = [
        ("SCOPE_ID", "7"),
        ("LAMBDA_FUNCTION_NAME", FUNCTION),
        ("DEPLOYMENT_ID", "9"),
        ("DEPLOYMENT_STRATEGY", "blue_green"),
        ("IS_BLUE_GREEN", "true"),
        ("DESIRED_TRAFFIC", "25"),
        ("BLUE_DEPLOYMENT_ID", "5"),
        ("LAMBDA_GREEN_VERSION", "4"),
        ("LAMBDA_BLUE_VERSION", "2"),
        ("LAMBDA_CURRENT_VERSION", "4"),
        ("LAMBDA_MAIN_ALIAS_NAME", "live"),
        ("VISIBILITY", "private"),
        ("PACKAGE_TYPE", "Image"),
        ("ASSET_TYPE", "docker-image"),
        ("ARCHITECTURE", "x86_64"),
        (
            "IMAGE_URI",
            "123456789012.dkr.ecr.us-east-2.amazonaws.com/tools/automation:v1.0.0",
        ),
        ("S3_BUCKET", ""),
        ("S3_KEY", ""),
        ("PARAMETERS_STRATEGY", "env"),
        ("SECRETS_MANAGER_SECRET_NAME", "nullplatform/7/9/parameters"),
    ];
    for (name, value) in expect {
        assert_eq!(run.out(name), value, "{name}");
    }
    let tags: Value = serde_json::from_str(run.out("RESOURCE_TAGS_JSON")).unwrap();
    assert_eq!(tags["nullplatform:deployment-id"], "9");
    assert_eq!(tags["nullplatform:scope-id"], "7");
}

#[test]
fn initial_zip_deployment_before_the_function_exists() {
    let moto = crate::common::MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let run = run(
        "build-deployment-context",
        dir.path(),
        &fixture("deployment-initial-zip.json"),
        &moto.aws_env(),
        "",
    );
    assert_eq!(run.code, 0, "{}", run.log);
    let expect = [
        ("DEPLOYMENT_ID", "8"),
        ("DEPLOYMENT_STRATEGY", "initial"),
        ("IS_BLUE_GREEN", "false"),
        ("DESIRED_TRAFFIC", "100"),
        ("BLUE_DEPLOYMENT_ID", ""),
        ("LAMBDA_GREEN_VERSION", ""),
        ("LAMBDA_BLUE_VERSION", ""),
        ("LAMBDA_CURRENT_VERSION", ""),
        ("LAMBDA_MAIN_ALIAS_NAME", "main"),
        ("PACKAGE_TYPE", "Zip"),
        ("ASSET_TYPE", "lambda"),
        ("IMAGE_URI", ""),
        ("S3_BUCKET", "acme-assets"),
        ("S3_KEY", "tools/automation/v1.0.0/app.zip"),
        ("ARCHITECTURE", "arm64"),
    ];
    for (name, value) in expect {
        assert_eq!(run.out(name), value, "{name}");
    }
}

#[test]
fn missing_asset_is_an_error_only_when_required() {
    let moto = crate::common::MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut context = fixture("deployment-initial-zip.json");
    context["asset"].as_object_mut().unwrap().remove("url");
    let lenient = run(
        "build-deployment-context",
        dir.path(),
        &context,
        &moto.aws_env(),
        "",
    );
    assert_eq!(lenient.code, 0, "{}", lenient.log);
    assert_eq!(lenient.out("S3_BUCKET"), "");
    assert!(lenient.log.contains("no .asset.url"), "{}", lenient.log);
    let mut required = moto.aws_env();
    required.push(("REQUIRE_ASSET".into(), "true".into()));
    run(
        "build-deployment-context",
        dir.path(),
        &context,
        &required,
        "",
    )
    .assert_report(&[".asset.url"]);
}

/// A stand-in for lambda:ListVersionsByFunction only (moto answers it in one page
/// and never denies it): answers each request with `respond(request line)` and
/// records the request lines.
fn lambda_stand_in(
    respond: impl Fn(&str) -> (u16, Vec<(String, String)>, String) + Send + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let text = String::from_utf8_lossy(&request);
            let line = text.lines().next().unwrap_or_default().to_string();
            log.lock().unwrap().push(line.clone());
            let (status, headers, body) = respond(&line);
            let mut response = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                response.push_str(&format!("{name}: {value}\r\n"));
            }
            response.push_str("\r\n");
            response.push_str(&body);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (endpoint, seen)
}

fn version(number: &str, description: &str) -> Value {
    json!({"FunctionName": FUNCTION, "Version": number, "Description": description})
}

#[test]
fn every_page_of_versions_is_read() {
    let (endpoint, seen) = lambda_stand_in(|line| {
        let body = if line.contains("Marker=page-2") {
            json!({"Versions": [version("3", "9"), version("4", "7")]})
        } else {
            json!({"Versions": [version("$LATEST", ""), version("1", "5"), version("2", "9")], "NextMarker": "page-2"})
        };
        (200, Vec::new(), body.to_string())
    });
    let dir = tempfile::tempdir().unwrap();
    let run = run(
        "build-deployment-context",
        dir.path(),
        &fixture("deployment-blue-green-image.json"),
        &aws_env(&endpoint),
        "",
    );
    assert_eq!(run.code, 0, "{}", run.log);
    assert_eq!(
        run.out("LAMBDA_GREEN_VERSION"),
        "3",
        "found on the second page"
    );
    assert_eq!(run.out("LAMBDA_BLUE_VERSION"), "1");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen[0].contains(&format!("/functions/{FUNCTION}/versions")),
        "{seen:?}"
    );
    assert!(seen[1].contains("Marker=page-2"), "{seen:?}");
}

#[test]
fn denied_version_lookup_is_a_report() {
    let (endpoint, _) = lambda_stand_in(|_| {
        (
            403,
            vec![(
                "x-amzn-ErrorType".to_string(),
                "AccessDeniedException".to_string(),
            )],
            json!({"Message": "not authorized to perform lambda:ListVersionsByFunction"})
                .to_string(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    run(
        "build-deployment-context",
        dir.path(),
        &fixture("deployment-blue-green-image.json"),
        &aws_env(&endpoint),
        "",
    )
    .assert_report(&["lambda:ListVersionsByFunction", "AccessDenied"]);
}

#[test]
fn help_lists_env_vars_and_outputs() {
    let help = |binary: &str| {
        let output = std::process::Command::new(crate::common::bin_dir().join(binary))
            .arg("--help")
            .output()
            .unwrap();
        crate::common::text(&output.stdout)
    };
    let scope = help("build-scope-context");
    for word in [
        "CONTEXT",
        "LAMBDA_ARCHITECTURE",
        "NP_OUTPUT_DIR",
        "LAMBDA_FUNCTION_NAME",
        "RESOURCE_TAGS_JSON",
        "ALB_LISTENER_RULE_CAPACITY",
    ] {
        assert!(scope.contains(word), "{word} in {scope}");
    }
    let deployment = help("build-deployment-context");
    for word in [
        "LAMBDA_MAIN_ALIAS_NAME",
        "PARAMETERS_STRATEGY",
        "LAMBDA_GREEN_VERSION",
        "LAMBDA_BLUE_VERSION",
        "SECRETS_MANAGER_SECRET_NAME",
        "--require-asset",
    ] {
        assert!(deployment.contains(word), "{word} in {deployment}");
    }
}
