//! Deployment workflows end to end through the project's runner in `--strict` mode
//! against moto server, on a Zip function created in the emulator: the initial
//! deployment, a blue/green cycle (start → switch 25% → finalize; start → switch →
//! rollback), and the failures (missing function, missing zip, invalid traffic). Every
//! Lambda call the workflows make must be signed by the assumed role's key.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};

use crate::common::{bash, bin_dir, np_env, repo_root, text, MotoServer};
use serde_json::{json, Value};

const BASE_KEY: &str = "AKIAAGENTBASE0000000";
const FUNCTION: &str = "7-automation-development-tools";
const REGION: &str = "us-east-2";
const BUCKET: &str = "acme-assets";

use crate::common::context_fixture as fixture;

/// The Zip deployment context for deployment `id` of the zip at `key`; with
/// `blue_of`: a blue/green deployment whose active deployment is `blue_of`.
fn context(id: u64, key: &str, blue_of: Option<u64>, traffic: Option<Value>) -> Value {
    let mut ctx = fixture("deployment-initial-zip.json");
    ctx["deployment"]["id"] = json!(id);
    ctx["asset"]["url"] = json!(format!("s3://{BUCKET}/{key}"));
    if let Some(blue) = blue_of {
        ctx["scope"]["current_active_deployment"] = json!(blue);
        ctx["deployment"]["strategy"] = json!("blue_green");
    }
    if let Some(traffic) = traffic {
        ctx["deployment"]["strategy_data"]["desired_switched_traffic"] = traffic;
    }
    ctx
}

/// moto with the function's role, the assets bucket holding two zips, and the function.
struct World {
    moto: MotoServer,
    role: String,
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let moto = MotoServer::start();
        let role = moto.create_role("np-lambda-deployer");
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("code.zip");
        crate::common::write_zip(&zip, "exports.handler = async () => 'v0';");
        let region = ["--region", REGION];
        moto.aws(
            &[
                &[
                    "s3api",
                    "create-bucket",
                    "--bucket",
                    BUCKET,
                    "--create-bucket-configuration",
                    "LocationConstraint=us-east-2",
                ][..],
                &region,
            ]
            .concat(),
        );
        for (index, key) in ["v1/app.zip", "v2/app.zip"].iter().enumerate() {
            let body = dir.path().join(format!("app{index}.zip"));
            crate::common::write_zip(&body, &format!("exports.handler = async () => '{key}';"));
            moto.aws(
                &[
                    &[
                        "s3api",
                        "put-object",
                        "--bucket",
                        BUCKET,
                        "--key",
                        key,
                        "--body",
                        &body.display().to_string(),
                    ][..],
                    &region,
                ]
                .concat(),
            );
        }
        moto.create_zip_function(FUNCTION, REGION, &role, &zip, &[]);
        World { moto, role, dir }
    }

    fn env(&self, context: &Value) -> Vec<(String, String)> {
        let mut env = self.moto.aws_env();
        env.extend(np_env(self.dir.path(), json!([])));
        env.extend([
            ("SCOPE_BIN_DIR".to_string(), bin_dir().display().to_string()),
            ("SCOPE_CREDENTIALS_CACHE_DIR".into(), "off".into()),
            ("ASSUME_ROLE_ARN".into(), self.role.clone()),
            ("CONTEXT".into(), context.to_string()),
            (
                "NP_OUTPUT_DIR".into(),
                self.dir.path().join("out").display().to_string(),
            ),
        ]);
        env
    }

    /// Runs `workflows/deployment/<name>.yaml` through the runner in strict mode and
    /// checks every request it made after AssumeRole was signed by one assumed-role key.
    fn workflow(&self, name: &str, context: &Value) -> Output {
        self.workflow_with(name, context, &[])
    }

    fn workflow_with(&self, name: &str, context: &Value, extra: &[(&str, &str)]) -> Output {
        let before = self.moto.requests().len();
        let mut env = self.env(context);
        for (key, value) in extra {
            env.retain(|(k, _)| k != key);
            env.push((key.to_string(), value.to_string()));
        }
        let output = run_workflow(name, env);
        let made: Vec<_> = self.moto.requests().into_iter().skip(before).collect();
        let lambda: Vec<_> = made
            .iter()
            .filter(|r| r.url.contains("/2015-03-31/functions"))
            .collect();
        if output.status.success() {
            assert!(!lambda.is_empty(), "{name} made no Lambda call");
            let assumed: Vec<_> = made
                .iter()
                .filter(|r| r.action.as_deref() == Some("AssumeRole"))
                .collect();
            assert_eq!(assumed.len(), 1, "{name}: one AssumeRole");
            assert_eq!(assumed[0].access_key_id.as_deref(), Some(BASE_KEY));
            assert_eq!(
                assumed[0].form("RoleArn").as_deref(),
                Some(self.role.as_str())
            );
        }
        // Every call but the agent's own AssumeRole (Lambda, Secrets Manager, ECR) is
        // signed by one key: the assumed role's.
        let keys: std::collections::BTreeSet<_> = made
            .iter()
            .filter(|r| r.action.as_deref() != Some("AssumeRole"))
            .map(|r| r.access_key_id.clone())
            .collect();
        assert_eq!(
            keys.len().min(1),
            keys.len(),
            "{name}: one key signs all: {keys:?}"
        );
        for key in keys {
            let key = key.expect("every Lambda call is signed");
            assert_ne!(
                key, BASE_KEY,
                "{name}: a Lambda call used the agent's own key"
            );
            assert!(
                key.starts_with("ASIA"),
                "{name}: {key} is not a temporary key"
            );
        }
        output
    }

    fn lambda(&self, args: &[&str]) -> Value {
        self.moto
            .aws(&[&["lambda"][..], args, &["--region", REGION][..]].concat())
    }

    /// Published versions (number → description), `$LATEST` left out.
    fn versions(&self) -> Vec<(String, String)> {
        self.lambda(&["list-versions-by-function", "--function-name", FUNCTION])["Versions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["Version"] != "$LATEST")
            .map(|v| {
                (
                    v["Version"].as_str().unwrap().to_string(),
                    v["Description"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    fn alias(&self) -> Value {
        self.lambda(&["get-alias", "--function-name", FUNCTION, "--name", "main"])
    }

    fn secret_exists(&self, name: &str) -> bool {
        let listed = self
            .moto
            .aws(&["secretsmanager", "list-secrets", "--region", REGION]);
        listed["SecretList"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["Name"] == name)
    }
}

fn run_workflow(name: &str, env: Vec<(String, String)>) -> Output {
    let file = repo_root()
        .join("workflows/deployment")
        .join(format!("{name}.yaml"));
    crate::common::run_workflow_strict(&file, &[], &env)
}

fn log(output: &Output) -> String {
    text(&output.stdout) + &text(&output.stderr)
}

fn assert_ok(name: &str, output: &Output) {
    assert!(output.status.success(), "{name} failed:\n{}", log(output));
}

fn weights(alias: &Value) -> Value {
    alias["RoutingConfig"]["AdditionalVersionWeights"].clone()
}

#[test]
fn initial_deployment_publishes_a_version_and_points_the_alias() {
    let world = World::new();
    let output = world.workflow("initial", &context(8, "v1/app.zip", None, None));
    assert_ok("initial", &output);
    let stdout = log(&output);
    for step in [
        "assume_role",
        "fetch_scope_config",
        "build_context",
        "ensure_ecr_pull_policy",
        "update_function_code",
        "publish_version",
        "update_alias",
    ] {
        assert!(stdout.contains(&format!("✅ {step} (")), "{step}: {stdout}");
    }
    assert_eq!(world.versions(), vec![("1".to_string(), "8".to_string())]);
    let alias = world.alias();
    assert_eq!(alias["FunctionVersion"], "1");
    assert!(weights(&alias).as_object().is_none_or(|w| w.is_empty()));
    // The code came from the release's zip.
    let updates: Vec<_> = world
        .moto
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.url.ends_with(&format!("/functions/{FUNCTION}/code")))
        .collect();
    assert_eq!(updates.len(), 1);
    let body: Value = serde_json::from_str(&updates[0].body).unwrap();
    assert_eq!(body["S3Bucket"], BUCKET);
    assert_eq!(body["S3Key"], "v1/app.zip");
    assert!(!stdout.contains("agent-base-secret"));

    // Running it again is safe: a new version for the same deployment, alias follows.
    let again = world.workflow("initial", &context(8, "v1/app.zip", None, None));
    assert_ok("initial again", &again);
    assert_eq!(world.alias()["FunctionVersion"], "2");
}

/// start (green published, alias untouched) → switch 25% → finalize (all traffic to
/// green, blue version and blue's parameters secret deleted).
#[test]
fn blue_green_start_switch_finalize() {
    let world = World::new();
    assert_ok(
        "initial",
        &world.workflow("initial", &context(8, "v1/app.zip", None, None)),
    );
    let blue_secret = "nullplatform/7/8/parameters";
    world.moto.aws(&[
        "secretsmanager",
        "create-secret",
        "--name",
        blue_secret,
        "--secret-string",
        "{}",
        "--region",
        REGION,
    ]);

    // The deployments keep their parameters in Secrets Manager, so finalize removes blue's.
    let sm = [("PARAMETERS_STRATEGY", "secretsmanager")];
    let start = context(9, "v2/app.zip", Some(8), None);
    assert_ok(
        "blue_green",
        &world.workflow_with("blue_green", &start, &sm),
    );
    assert_eq!(
        world.versions(),
        vec![
            ("1".to_string(), "8".to_string()),
            ("2".to_string(), "9".to_string())
        ]
    );
    assert_eq!(
        world.alias()["FunctionVersion"],
        "1",
        "start leaves traffic on blue"
    );

    let switch = context(9, "v2/app.zip", Some(8), Some(json!(25)));
    let output = world.workflow_with("switch_traffic", &switch, &sm);
    assert_ok("switch_traffic", &output);
    let alias = world.alias();
    assert_eq!(alias["FunctionVersion"], "1");
    assert_eq!(weights(&alias), json!({"2": 0.25}));

    let output = world.workflow_with("finalize", &switch, &sm);
    assert_ok("finalize", &output);
    let alias = world.alias();
    assert_eq!(alias["FunctionVersion"], "2");
    assert!(weights(&alias).as_object().is_none_or(|w| w.is_empty()));
    assert_eq!(world.versions(), vec![("2".to_string(), "9".to_string())]);
    assert!(
        !world.secret_exists(blue_secret),
        "blue's parameters secret deleted"
    );
}

/// start → switch 25% → rollback: all traffic back to blue, green and its secret gone.
#[test]
fn blue_green_rollback_restores_blue_and_removes_green() {
    let world = World::new();
    assert_ok(
        "initial",
        &world.workflow("initial", &context(8, "v1/app.zip", None, None)),
    );
    let green_secret = "nullplatform/7/9/parameters";
    world.moto.aws(&[
        "secretsmanager",
        "create-secret",
        "--name",
        green_secret,
        "--secret-string",
        "{}",
        "--region",
        REGION,
    ]);
    let green = context(9, "v2/app.zip", Some(8), Some(json!(25)));
    let sm = [("PARAMETERS_STRATEGY", "secretsmanager")];
    assert_ok(
        "blue_green",
        &world.workflow_with("blue_green", &green, &sm),
    );
    assert_ok(
        "switch_traffic",
        &world.workflow_with("switch_traffic", &green, &sm),
    );
    assert_eq!(weights(&world.alias()), json!({"2": 0.25}));

    let output = world.workflow_with("rollback", &green, &sm);
    assert_ok("rollback", &output);
    let alias = world.alias();
    assert_eq!(alias["FunctionVersion"], "1");
    assert!(weights(&alias).as_object().is_none_or(|w| w.is_empty()));
    assert_eq!(world.versions(), vec![("1".to_string(), "8".to_string())]);
    assert!(!world.secret_exists(green_secret));
    // $LATEST is never deleted.
    let latest = world.lambda(&["get-function", "--function-name", FUNCTION]);
    assert_eq!(latest["Configuration"]["Version"], "$LATEST");
}

/// Deleting the active deployment keeps its version: an alias still routes to it.
#[test]
fn delete_never_removes_a_version_an_alias_routes_to() {
    let world = World::new();
    let active = context(8, "v1/app.zip", None, None);
    assert_ok("initial", &world.workflow("initial", &active));
    let output = world.workflow("delete", &active);
    assert_ok("delete", &output);
    assert!(
        log(&output).contains("still receives traffic through alias main"),
        "{}",
        log(&output)
    );
    assert_eq!(world.versions(), vec![("1".to_string(), "8".to_string())]);
    let deletes = world
        .moto
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE" && r.url.contains("/functions/"))
        .count();
    assert_eq!(deletes, 0);

    // A deployment that never got traffic is removed.
    assert_ok(
        "blue_green",
        &world.workflow("blue_green", &context(9, "v2/app.zip", Some(8), None)),
    );
    assert_ok(
        "delete",
        &world.workflow("delete", &context(9, "v2/app.zip", Some(8), None)),
    );
    assert_eq!(world.versions(), vec![("1".to_string(), "8".to_string())]);
}

/// With parameters in environment variables (the default) no deployment wrote a secret:
/// deleting a deployment, finalizing and rolling back make no Secrets Manager call.
#[test]
fn the_env_strategy_never_calls_secrets_manager_on_cleanup() {
    let world = World::new();
    assert_ok(
        "initial",
        &world.workflow("initial", &context(8, "v1/app.zip", None, None)),
    );
    // A secret of that name (say, from an earlier strategy) stays where it is.
    let stale = "nullplatform/7/9/parameters";
    world.moto.aws(&[
        "secretsmanager",
        "create-secret",
        "--name",
        stale,
        "--secret-string",
        "{}",
        "--region",
        REGION,
    ]);
    let before = world.moto.requests().len();
    let green = context(9, "v2/app.zip", Some(8), Some(json!(25)));
    for name in [
        "blue_green",
        "switch_traffic",
        "rollback",
        "blue_green",
        "delete",
    ] {
        let output = world.workflow(name, &green);
        assert_ok(name, &output);
        if name == "delete" || name == "rollback" {
            assert!(
                log(&output).contains("PARAMETERS_STRATEGY=env: no parameters secret to delete"),
                "{}",
                log(&output)
            );
        }
    }
    let secrets_calls: Vec<String> = world
        .moto
        .requests()
        .into_iter()
        .skip(before)
        .filter(|r| {
            r.url.contains("secretsmanager")
                || r.action.as_deref().is_some_and(|a| a.contains("Secret"))
        })
        .map(|r| format!("{} {} {:?}", r.method, r.url, r.action))
        .collect();
    assert!(secrets_calls.is_empty(), "{secrets_calls:?}");
    assert!(world.secret_exists(stale));
    // The deleted deployment's version is gone all the same.
    assert_eq!(world.versions(), vec![("1".to_string(), "8".to_string())]);
}

/// Runs one step shim in a clean bash with the base credentials (set-up identity).
fn step(world: &World, name: &str, extra: &[(&str, &str)]) -> (i32, String) {
    let mut env = world.moto.aws_env();
    env.retain(|(k, _)| k != "AWS_REGION" && k != "AWS_DEFAULT_REGION");
    env.push(("AWS_REGION".into(), REGION.into()));
    env.push(("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()));
    for (key, value) in extra {
        env.push((key.to_string(), value.to_string()));
    }
    let script = format!("source '{}/steps/{name}'", repo_root().display());
    let output = bash(&script, &env, Path::new("/"));
    (output.status.code().unwrap_or(-1), log(&output))
}

fn assert_report(code: i32, log: &str, expected_code: i32, parts: &[&str]) {
    assert_eq!(code, expected_code, "{log}");
    for part in ["❌", "💡", "🔧"].iter().chain(parts) {
        assert!(log.contains(part), "{part} in {log}");
    }
}

#[test]
fn failures_say_what_failed_and_what_was_changed() {
    let world = World::new();
    // Missing function: nothing changed.
    let (code, out) = step(
        &world,
        "update-function-code",
        &[
            ("LAMBDA_FUNCTION_NAME", "7-nope-nothing"),
            ("PACKAGE_TYPE", "Zip"),
            ("S3_BUCKET", BUCKET),
            ("S3_KEY", "v1/app.zip"),
        ],
    );
    assert_report(
        code,
        &out,
        1,
        &["7-nope-nothing", "does not exist", "nothing was changed"],
    );

    // No asset at all: a usage error before any call.
    let before = world.moto.requests().len();
    let (code, out) = step(
        &world,
        "update-function-code",
        &[("LAMBDA_FUNCTION_NAME", FUNCTION), ("PACKAGE_TYPE", "Zip")],
    );
    assert_report(code, &out, 2, &["S3_BUCKET / S3_KEY are empty"]);

    // Invalid traffic: a usage error before any call, alias untouched.
    let (code, out) = step(
        &world,
        "update-alias",
        &[
            ("ALIAS_STRATEGY", "switch-traffic"),
            ("LAMBDA_FUNCTION_NAME", FUNCTION),
            ("LAMBDA_GREEN_VERSION", "2"),
            ("DESIRED_TRAFFIC", "150"),
        ],
    );
    assert_report(code, &out, 2, &["DESIRED_TRAFFIC is `150`"]);
    assert_eq!(world.moto.requests().len(), before, "no call on bad input");

    // Rollback without a blue version: refused, nothing changed.
    let (code, out) = step(
        &world,
        "update-alias",
        &[
            ("ALIAS_STRATEGY", "rollback"),
            ("LAMBDA_FUNCTION_NAME", FUNCTION),
            ("LAMBDA_GREEN_VERSION", "1"),
        ],
    );
    assert_report(code, &out, 1, &["no blue version", "nothing was changed"]);

    // Through the runner: an invalid desired traffic fails the workflow, non-zero.
    let output = world.workflow(
        "switch_traffic",
        &context(9, "v2/app.zip", Some(8), Some(json!("lots"))),
    );
    assert!(!output.status.success());
    assert!(log(&output).contains("❌"), "{}", log(&output));
}

/// A stand-in for the Lambda API, for what moto cannot show: moto never reports a
/// `Failed` or `InProgress` update, and answers UpdateFunctionCode for a missing S3 object
/// with success (a missing key) or an HTML server error (a missing bucket). It answers
/// GetFunctionConfiguration with `configuration(n)` (n = how many were asked before) and
/// UpdateFunctionCode with `update`; it is reached through AWS_ENDPOINT_URL_LAMBDA.
struct LambdaStandIn {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

type Answer = (u16, Option<&'static str>, String);

impl LambdaStandIn {
    fn start(
        configuration: impl Fn(usize) -> Answer + Send + 'static,
        update: Answer,
    ) -> LambdaStandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            let mut polls = 0;
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':') {
                        if name.eq_ignore_ascii_case("content-length") {
                            length = value.trim().parse().unwrap();
                        }
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let parts: Vec<&str> = request_line.split_whitespace().collect();
                let (method, path) = (parts[0], parts[1]);
                log.lock().unwrap().push(format!("{method} {path}"));
                let (status, error_type, body) = if path.ends_with("/configuration") {
                    polls += 1;
                    configuration(polls - 1)
                } else if method == "PUT" && path.ends_with("/code") {
                    update.clone()
                } else {
                    (
                        404,
                        Some("ResourceNotFoundException"),
                        r#"{"Message":"stand-in"}"#.into(),
                    )
                };
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                if let Some(kind) = error_type {
                    head.push_str(&format!("x-amzn-errortype: {kind}\r\n"));
                }
                let _ = stream.write_all(format!("{head}\r\n{body}").as_bytes());
            }
        });
        LambdaStandIn { port, seen }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn configuration(status: &str, extra: &str) -> Answer {
    (
        200,
        None,
        format!(
            r#"{{"FunctionName":"{FUNCTION}","State":"Active","LastUpdateStatus":"{status}","CodeSha256":"abc"{extra}}}"#
        ),
    )
}

fn zip_step(world: &World, endpoint: &str, extra: &[(&str, &str)]) -> (i32, String) {
    let mut env = vec![
        ("AWS_ENDPOINT_URL_LAMBDA", endpoint),
        ("LAMBDA_FUNCTION_NAME", FUNCTION),
        ("PACKAGE_TYPE", "Zip"),
        ("S3_BUCKET", BUCKET),
        ("S3_KEY", "v9/missing.zip"),
    ];
    env.extend_from_slice(extra);
    step(world, "update-function-code", &env)
}

#[test]
fn missing_zip_is_reported_with_nothing_changed() {
    let world = World::new();
    let lambda = LambdaStandIn::start(
        |_| configuration("Successful", ""),
        (
            400,
            Some("InvalidParameterValueException"),
            r#"{"Type":"User","Message":"Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist."}"#.into(),
        ),
    );
    let (code, out) = zip_step(&world, &lambda.endpoint(), &[]);
    assert_report(
        code,
        &out,
        1,
        &[
            "NoSuchKey",
            "head-object --bucket acme-assets --key v9/missing.zip",
            "nothing was changed",
        ],
    );
    assert_eq!(
        lambda.seen(),
        vec![
            format!("GET /2015-03-31/functions/{FUNCTION}/configuration"),
            format!("PUT /2015-03-31/functions/{FUNCTION}/code"),
        ]
    );
}

#[test]
fn failed_update_prints_the_reason_and_what_was_changed() {
    let world = World::new();
    let lambda = LambdaStandIn::start(
        |n| match n {
            0 => configuration("Successful", ""),
            1 => configuration("InProgress", ""),
            _ => configuration(
                "Failed",
                r#","LastUpdateStatusReason":"exec format error: the code was built for x86_64","LastUpdateStatusReasonCode":"InvalidImage""#,
            ),
        },
        configuration("InProgress", ""),
    );
    let (code, out) = zip_step(&world, &lambda.endpoint(), &[]);
    assert_report(
        code,
        &out,
        1,
        &[
            "exec format error",
            "InvalidImage",
            "architecture",
            "already done: $LATEST of",
        ],
    );
    assert_eq!(
        lambda.seen().len(),
        4,
        "polled until Failed: {:?}",
        lambda.seen()
    );
}

#[test]
fn an_update_that_never_settles_is_bounded_by_the_max_wait() {
    let world = World::new();
    let lambda = LambdaStandIn::start(
        |n| {
            if n == 0 {
                configuration("Successful", "")
            } else {
                configuration("InProgress", "")
            }
        },
        configuration("InProgress", ""),
    );
    let started = std::time::Instant::now();
    let (code, out) = zip_step(
        &world,
        &lambda.endpoint(),
        &[("DEPLOYMENT_MAX_WAIT_IN_SECONDS", "2")],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_report(
        code,
        &out,
        1,
        &[
            "still updating after 2 s",
            "DEPLOYMENT_MAX_WAIT_IN_SECONDS",
            "already done",
        ],
    );
}

const PARAMETER_VALUES: [&str; 2] = ["testing-tools", "development-cluster"];

fn configuration_of(world: &World) -> Value {
    world.lambda(&["get-function-configuration", "--function-name", FUNCTION])
}

#[test]
fn parameters_become_environment_variables_and_are_never_printed() {
    let world = World::new();
    let mut ctx = context(8, "v1/app.zip", None, None);
    ctx["scope"]["capabilities"]["memory"] = json!(1024);
    ctx["scope"]["capabilities"]["timeout"] = json!(120);
    let output = world.workflow("initial", &ctx);
    assert_ok("initial", &output);
    let config = configuration_of(&world);
    assert_eq!(config["MemorySize"], 1024);
    assert_eq!(config["Timeout"], 120);
    assert_eq!(
        config["Environment"]["Variables"],
        json!({"CLUSTER_NAME": "development-cluster", "TEST": "testing-tools"})
    );
    // The published version carries the same configuration.
    let version = world.lambda(&[
        "get-function-configuration",
        "--function-name",
        FUNCTION,
        "--qualifier",
        "1",
    ]);
    assert_eq!(version["Environment"]["Variables"]["TEST"], "testing-tools");
    let text = log(&output);
    assert!(
        text.contains("CLUSTER_NAME, TEST"),
        "names are shown: {text}"
    );
    for value in PARAMETER_VALUES {
        assert!(!text.contains(value), "{value} printed: {text}");
    }
}

#[test]
fn secretsmanager_strategy_writes_the_secret_and_points_the_function_at_it() {
    let world = World::new();
    let ctx = context(8, "v1/app.zip", None, None);
    let strategy = [("PARAMETERS_STRATEGY", "secretsmanager")];
    let output = world.workflow_with("initial", &ctx, &strategy);
    assert_ok("initial", &output);
    let secret = "nullplatform/7/8/parameters";
    let stored = world.moto.aws(&[
        "secretsmanager",
        "get-secret-value",
        "--secret-id",
        secret,
        "--region",
        REGION,
    ]);
    let parameters: Value = serde_json::from_str(stored["SecretString"].as_str().unwrap()).unwrap();
    assert_eq!(
        parameters,
        json!({"CLUSTER_NAME": "development-cluster", "TEST": "testing-tools"})
    );
    let described = world.moto.aws(&[
        "secretsmanager",
        "describe-secret",
        "--secret-id",
        secret,
        "--region",
        REGION,
    ]);
    let tags = described["Tags"].as_array().unwrap();
    assert!(
        tags.iter()
            .any(|t| t["Key"] == "nullplatform:deployment-id" && t["Value"] == "8"),
        "{described}"
    );
    assert_eq!(
        configuration_of(&world)["Environment"]["Variables"],
        json!({"NULLPLATFORM_PARAMETERS_SECRET": secret})
    );
    for value in PARAMETER_VALUES {
        assert!(!log(&output).contains(value));
    }
    // Deploying again updates the secret in place.
    let mut changed = ctx.clone();
    changed["parameters"]["results"][0]["values"][0]["value"] = json!("rotated");
    assert_ok(
        "initial again",
        &world.workflow_with("initial", &changed, &strategy),
    );
    let stored = world.moto.aws(&[
        "secretsmanager",
        "get-secret-value",
        "--secret-id",
        secret,
        "--region",
        REGION,
    ]);
    assert!(stored["SecretString"].as_str().unwrap().contains("rotated"));
    assert_eq!(world.moto.calls("CreateSecret").len(), 1);
    assert_eq!(world.moto.calls("PutSecretValue").len(), 2);
}

#[test]
fn an_invalid_setting_stops_before_the_configuration_changes() {
    let world = World::new();
    let mut ctx = context(8, "v1/app.zip", None, None);
    ctx["scope"]["capabilities"]["memory"] = json!(64);
    let output = world.workflow("initial", &ctx);
    assert!(!output.status.success());
    let text = log(&output);
    for part in ["❌", "💡", "🔧", ".scope.capabilities.memory", "`64`"] {
        assert!(text.contains(part), "{part} in {text}");
    }
    let writes = world
        .moto
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.url.ends_with("/configuration"))
        .count();
    assert_eq!(writes, 0);
    assert!(world.versions().is_empty(), "nothing published");
}
