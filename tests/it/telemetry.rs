//! Telemetry actions against moto server: log events written into a log group and read
//! back (time range, filter, limit, pagination, empty and missing groups), metric data
//! put with PutMetricData and read per period with the right statistic, versions and
//! aliases as instances — each binary directly, and each action through the runner and
//! the channel entrypoint, where stdout must be exactly one JSON document.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use crate::common::{bin_dir, np_env, repo_root, text, MotoServer};
use serde_json::{json, Value};

const BASE_KEY: &str = "AKIAAGENTBASE0000000";
const SCOPE_ID: &str = "4242";
/// `<scope id>-<application slug>-<scope slug>` for the slugs in [`notification`].
const FUNCTION: &str = "4242-orders-prod";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A telemetry notification's `.notification` (what CONTEXT holds) with these arguments.
fn notification(action: &str, arguments: Value) -> Value {
    json!({
        "action": action,
        "arguments": arguments,
        "tags": {"application": "orders", "scope": "prod", "namespace": "payments"},
        "service": {"entity_nrn": "organization=1:account=2:namespace=3:application=4:scope=4242"}
    })
}

/// The parsed stdout; fails unless stdout is exactly one JSON document.
fn one_document(output: &Output) -> Value {
    let stdout = text(&output.stdout);
    let mut stream = serde_json::Deserializer::from_str(&stdout).into_iter::<Value>();
    let first = stream
        .next()
        .unwrap_or_else(|| panic!("no JSON on stdout; stderr: {}", text(&output.stderr)))
        .unwrap_or_else(|err| {
            panic!(
                "stdout is not JSON ({err}): {stdout}\nstderr: {}",
                text(&output.stderr)
            )
        });
    assert!(
        stream.next().is_none(),
        "more than one document on stdout: {stdout}"
    );
    first
}

/// moto with the scope's role, and the CloudWatch protocol stand-in in front of it.
struct Setup {
    moto: MotoServer,
    role: String,
    dir: tempfile::TempDir,
    cbor_proxy: Child,
    cbor_port: String,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = self.cbor_proxy.kill();
        let _ = self.cbor_proxy.wait();
    }
}

impl Setup {
    fn new() -> Setup {
        let moto = MotoServer::start();
        let role = moto.create_role("np-lambda-telemetry");
        let dir = tempfile::tempdir().unwrap();
        // The Rust SDK talks to CloudWatch only in the Smithy RPC v2 CBOR protocol, which
        // moto does not serve: tests/support/cbor_proxy.py translates that one protocol to
        // moto's CloudWatch JSON protocol (see its header). Everything else goes to moto.
        let mut cbor_proxy = Command::new("python3")
            .arg(repo_root().join("tests/support/cbor_proxy.py"))
            .arg(moto.endpoint())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the CloudWatch CBOR stand-in");
        let mut port = String::new();
        BufReader::new(cbor_proxy.stdout.take().unwrap())
            .read_line(&mut port)
            .unwrap();
        let cbor_port = port.trim().to_string();
        assert!(cbor_port.parse::<u16>().is_ok(), "proxy port: {port:?}");
        Setup {
            moto,
            role,
            dir,
            cbor_proxy,
            cbor_port,
        }
    }

    /// The emulator's environment, CloudWatch through the protocol stand-in.
    fn aws_env(&self) -> Vec<(String, String)> {
        let mut env = self.moto.aws_env();
        env.push((
            "AWS_ENDPOINT_URL_CLOUDWATCH".into(),
            format!("http://127.0.0.1:{}", self.cbor_port),
        ));
        env
    }

    fn create_function(&self, name: &str, tags: &str) {
        let zip = self.dir.path().join("code.zip");
        if !zip.exists() {
            crate::common::write_zip(&zip, "exports.handler = async () => 1");
        }
        // The region of `aws_env()`, where the telemetry binaries look.
        self.moto
            .create_zip_function(name, "us-east-1", &self.role, &zip, &["--tags", tags]);
    }

    /// Publishes a version (after a configuration change: Lambda does not publish an
    /// unchanged function twice).
    fn publish(&self, name: &str, description: &str) -> String {
        let environment = format!("Variables={{DEPLOYMENT={description}}}");
        self.moto.aws(&[
            "lambda",
            "update-function-configuration",
            "--function-name",
            name,
            "--environment",
            &environment,
        ]);
        let published = self.moto.aws(&[
            "lambda",
            "publish-version",
            "--function-name",
            name,
            "--description",
            description,
        ]);
        published["Version"].as_str().unwrap().to_string()
    }

    fn log_events(&self, group: &str, stream: &str, events: &[(i64, String)]) {
        let existing = self.moto.aws(&[
            "logs",
            "describe-log-groups",
            "--log-group-name-prefix",
            group,
        ]);
        if existing["logGroups"].as_array().is_none_or(Vec::is_empty) {
            self.moto
                .aws(&["logs", "create-log-group", "--log-group-name", group]);
        }
        self.moto.aws(&[
            "logs",
            "create-log-stream",
            "--log-group-name",
            group,
            "--log-stream-name",
            stream,
        ]);
        let events: Vec<Value> = events
            .iter()
            .map(|(timestamp, message)| json!({"timestamp": timestamp, "message": message}))
            .collect();
        self.moto.aws(&[
            "logs",
            "put-log-events",
            "--log-group-name",
            group,
            "--log-stream-name",
            stream,
            "--log-events",
            &Value::Array(events).to_string(),
        ]);
    }

    /// Runs a telemetry binary directly with CONTEXT and the base credentials.
    fn run(&self, binary: &str, args: &[&str], context: &Value) -> Output {
        Command::new(bin_dir().join(binary))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .envs(self.aws_env())
            .env("CONTEXT", context.to_string())
            .output()
            .unwrap()
    }

    /// The environment of a workflow run: explicit role, warm-able credential cache.
    fn workflow_env(&self) -> Vec<(String, String)> {
        let mut env = self.aws_env();
        env.extend([
            ("SCOPE_BIN_DIR".to_string(), bin_dir().display().to_string()),
            ("ASSUME_ROLE_ARN".into(), self.role.clone()),
            (
                "SCOPE_CREDENTIALS_CACHE_DIR".into(),
                self.dir.path().join("cache").display().to_string(),
            ),
            (
                "NP_OUTPUT_DIR".into(),
                self.dir.path().join("out").display().to_string(),
            ),
            ("NP_CLI".into(), "/nonexistent/np".into()),
        ]);
        env
    }

    /// The action through the local runner (`scope-workflow run --strict`).
    fn through_runner(&self, workflow: &str, context: &Value) -> Output {
        Command::new(bin_dir().join("scope-workflow"))
            .arg("run")
            .arg(repo_root().join(workflow))
            .arg("--service-path")
            .arg(repo_root())
            .arg("--strict")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .envs(self.workflow_env())
            .env("CONTEXT", context.to_string())
            .output()
            .unwrap()
    }

    /// The action through the channel entrypoint, as the notification channel sends it.
    fn through_entrypoint(&self, context: &Value) -> Output {
        let action_context = json!({"id": 1, "source": "telemetry", "notification": context});
        Command::new("bash")
            .arg(repo_root().join("entrypoint"))
            .arg(format!("--service-path={}", repo_root().display()))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .envs(self.workflow_env())
            .env("SCOPE_WORKFLOW_RUNNER", "local")
            .env("NP_ACTION_CONTEXT", format!("'{action_context}'"))
            .output()
            .unwrap()
    }
}

fn messages(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["message"].as_str().unwrap().to_string())
        .collect()
}

/// Two streams of the function's log group: version 1 and version 2, events inside and
/// outside the requested hour. Returns (start, end, messages inside the window).
fn seed_logs(setup: &Setup) -> (i64, i64, Vec<String>) {
    let end = now_ms() - 60_000;
    let start = end - 3_600_000;
    let group = format!("/aws/lambda/{FUNCTION}");
    let mut inside = Vec::new();
    for (stream, version) in [("2026/11/20/[1]aaaa", 1), ("2026/11/20/[2]bbbb", 2)] {
        let mut events = vec![(start - 5_000, format!("v{version} too early"))];
        for i in 0..12 {
            let level = if i % 4 == 0 { "ERROR" } else { "INFO" };
            let message = format!("v{version} {level} event {i}");
            events.push((start + 1_000 + i * 60_000 + version, format!("{message}\n")));
            inside.push(message);
        }
        events.push((end + 30_000, format!("v{version} too late")));
        setup.log_events(&group, stream, &events);
    }
    (start, end, inside)
}

#[test]
fn log_read_honours_the_time_range_filter_limit_and_pagination() {
    let setup = Setup::new();
    let (start, end, inside) = seed_logs(&setup);
    let args = |extra: Value| {
        let mut arguments = json!({"scope_id": SCOPE_ID, "start_time": start, "end_time": end});
        arguments
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        notification("log:read", arguments)
    };

    // Everything in the window, in one answer.
    let output = setup.run("read-logs", &[], &args(json!({})));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let body = one_document(&output);
    let all = messages(&body);
    assert_eq!(
        all.iter().cloned().collect::<BTreeSet<_>>(),
        inside.iter().cloned().collect::<BTreeSet<_>>(),
        "exactly the events of the window"
    );
    assert_eq!(body["next_page_token"], Value::Null);
    let times: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["datetime"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "sorted by time");
    assert!(
        times[0].ends_with('Z') && times[0].contains('T'),
        "{}",
        times[0]
    );
    let first = &body["results"][0];
    assert!(first["instance"]
        .as_str()
        .unwrap()
        .starts_with("2026/11/20/["));
    assert!(!first["message"].as_str().unwrap().ends_with('\n'));
    assert!(!text(&output.stderr).is_empty(), "progress goes to stderr");

    // Filter pattern.
    let output = setup.run("read-logs", &[], &args(json!({"filter_pattern": "ERROR"})));
    let errors = messages(&one_document(&output));
    assert_eq!(errors.len(), 6, "{errors:?}");
    assert!(errors.iter().all(|m| m.contains("ERROR")));

    // Limit and pagination: pages of 5, following the token, lose and repeat nothing.
    let mut token = Value::Null;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let output = setup.run(
            "read-logs",
            &[],
            &args(json!({"limit": 5, "next_page_token": token})),
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
        let body = one_document(&output);
        let page = messages(&body);
        assert!(page.len() <= 5, "limit respected: {page:?}");
        seen.extend(page);
        pages += 1;
        token = body["next_page_token"].clone();
        if token.is_null() {
            break;
        }
        assert!(token.is_string(), "a real CloudWatch token: {token}");
        assert!(pages < 20, "pagination does not end");
    }
    assert!(pages >= 5, "24 events in pages of 5: {pages} pages");
    let unique: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), unique.len(), "no event repeated: {seen:?}");
    assert_eq!(
        unique,
        inside.iter().cloned().collect::<BTreeSet<_>>(),
        "no event lost"
    );

    // A deployment narrows to its version's streams.
    setup.create_function(FUNCTION, &format!("nullplatform:scope-id={SCOPE_ID}"));
    setup.publish(FUNCTION, "dep-1");
    setup.publish(FUNCTION, "dep-2");
    let output = setup.run("read-logs", &[], &args(json!({"deployment_id": "dep-2"})));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let body = one_document(&output);
    let of_two = messages(&body);
    assert_eq!(of_two.len(), 12, "{of_two:?}");
    assert!(of_two.iter().all(|m| m.starts_with("v2 ")), "{of_two:?}");
    assert!(body["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["version"] == "2"));
}

#[test]
fn log_read_answers_json_for_empty_and_missing_groups_and_bad_arguments() {
    let setup = Setup::new();
    let context = notification("log:read", json!({"scope_id": SCOPE_ID}));

    // Missing group (no invocation yet): valid JSON, a message, exit 0, explanation on stderr.
    let output = setup.run("read-logs", &[], &context);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let body = one_document(&output);
    assert_eq!(body["results"], json!([]));
    assert_eq!(body["next_page_token"], Value::Null);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("no Lambda function belongs to scope 4242")
            || message.contains("does not exist yet"),
        "{message}"
    );
    assert!(
        text(&output.stderr).contains("💡"),
        "{}",
        text(&output.stderr)
    );

    // The function exists but was never invoked: the group is missing.
    setup.create_function(FUNCTION, &format!("nullplatform:scope-id={SCOPE_ID}"));
    let output = setup.run("read-logs", &[], &context);
    let body = one_document(&output);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("/aws/lambda/{FUNCTION} does not exist yet")),
        "{body}"
    );

    // Empty group.
    setup.moto.aws(&[
        "logs",
        "create-log-group",
        "--log-group-name",
        &format!("/aws/lambda/{FUNCTION}"),
    ]);
    let output = setup.run("read-logs", &[], &context);
    assert!(output.status.success());
    let body = one_document(&output);
    assert_eq!(body["results"], json!([]));
    assert_eq!(body["next_page_token"], Value::Null);
    assert!(body.get("error").is_none(), "{body}");

    // Bad arguments: still the log shape, an error code, ❌ on stderr and exit 2.
    let bad = notification("log:read", json!({"scope_id": SCOPE_ID, "limit": "many"}));
    let output = setup.run("read-logs", &[], &bad);
    assert_eq!(output.status.code(), Some(2));
    let body = one_document(&output);
    assert_eq!(body["error"], "bad_arguments");
    assert_eq!(body["results"], json!([]));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("❌") && stderr.contains("🔧"), "{stderr}");
    assert!(stderr.contains(".arguments.limit"), "{stderr}");
}

#[test]
fn the_function_is_found_by_its_scope_tag_when_the_slugs_are_unknown() {
    let setup = Setup::new();
    let renamed = "4242-legacy-name";
    setup.create_function(renamed, &format!("nullplatform:scope-id={SCOPE_ID}"));
    setup.log_events(
        &format!("/aws/lambda/{renamed}"),
        "2026/11/20/[$LATEST]cccc",
        &[(now_ms() - 120_000, "from the tagged function".to_string())],
    );
    let context = json!({"action": "log:read", "arguments": {"scope_id": SCOPE_ID}});
    let output = setup.run("read-logs", &[], &context);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        messages(&one_document(&output)),
        vec!["from the tagged function".to_string()]
    );
    assert_eq!(setup.moto.calls("GetResources").len(), 1);

    // With slugs that name no function (renamed after creation), the tag still finds it.
    let output = setup.run(
        "read-logs",
        &[],
        &notification("log:read", json!({"scope_id": SCOPE_ID})),
    );
    assert_eq!(
        messages(&one_document(&output)),
        vec!["from the tagged function".to_string()]
    );

    // Another scope: nothing belongs to it, and the answer says so.
    let other = json!({"action": "log:read", "arguments": {"scope_id": "999"}});
    let output = setup.run("read-logs", &[], &other);
    assert!(output.status.success());
    assert_eq!(
        one_document(&output)["message"],
        "no Lambda function belongs to scope 999"
    );
}

/// Puts `values` at `time` (seconds) for the function, optionally per alias.
fn put_metric(setup: &Setup, metric: &str, time: i64, values: &[f64], alias: Option<&str>) {
    let mut dimensions = vec![json!({"Name": "FunctionName", "Value": FUNCTION})];
    if let Some(alias) = alias {
        dimensions.push(json!({"Name": "Resource", "Value": format!("{FUNCTION}:{alias}")}));
    }
    let data: Vec<Value> = values
        .iter()
        .map(|value| {
            json!({"MetricName": metric, "Dimensions": dimensions, "Timestamp": time, "Value": value})
        })
        .collect();
    setup.moto.aws(&[
        "cloudwatch",
        "put-metric-data",
        "--namespace",
        "AWS/Lambda",
        "--metric-data",
        &Value::Array(data).to_string(),
    ]);
}

fn series_values(body: &Value, index: usize) -> Vec<f64> {
    body["results"][index]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|point| point["value"].as_f64().unwrap())
        .collect()
}

#[test]
fn metrics_are_read_per_period_with_the_statistic_that_fits() {
    let setup = Setup::new();
    let minute = (now_ms() / 1000 / 60 - 30) * 60;
    // Durations: 5, 7, 9 ms in one minute and 100 ms in the next.
    put_metric(&setup, "Duration", minute + 5, &[5.0, 7.0, 9.0], None);
    put_metric(&setup, "Duration", minute + 65, &[100.0], None);
    put_metric(&setup, "Invocations", minute + 5, &[1.0, 1.0, 1.0], None);
    put_metric(&setup, "Invocations", minute + 65, &[1.0], None);
    let window = json!({
        "scope_id": SCOPE_ID,
        "start_time": (minute - 600) * 1000,
        "end_time": (minute + 600) * 1000,
        "period": 60,
    });
    let query = |metric: &str, extra: Value| {
        let mut arguments = window.clone();
        arguments["metric"] = json!(metric);
        arguments
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let output = setup.run(
            "read-metrics",
            &["query"],
            &notification("metric:data", arguments),
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
        one_document(&output)
    };

    let duration = query("duration", json!({}));
    assert_eq!(duration["metric"], "duration");
    assert_eq!(duration["unit"], "ms");
    assert_eq!(duration["period_in_seconds"], 60);
    assert_eq!(duration["type"], "gauge");
    assert_eq!(
        duration["results"][0]["selector"]["function_name"],
        FUNCTION
    );
    assert_eq!(
        series_values(&duration, 0),
        vec![7.0, 100.0],
        "Average, not Sum"
    );
    let stamps: Vec<&str> = duration["results"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["timestamp"].as_str().unwrap())
        .collect();
    assert!(
        stamps[0] < stamps[1] && stamps[0].ends_with('Z'),
        "{stamps:?}"
    );

    let invocations = query("Invocations", json!({}));
    assert_eq!(
        series_values(&invocations, 0),
        vec![3.0, 1.0],
        "Sum per minute"
    );
    let per_two_minutes = query("invocations", json!({"period": 120}));
    assert_eq!(per_two_minutes["period_in_seconds"], 120);
    assert_eq!(
        series_values(&per_two_minutes, 0).iter().sum::<f64>(),
        4.0,
        "every invocation counted once"
    );

    // Nothing recorded: an empty series, not an error.
    let errors = query("errors", json!({}));
    assert_eq!(errors["results"][0]["data"], json!([]));

    // Per alias: one series per alias of the function.
    setup.create_function(FUNCTION, &format!("nullplatform:scope-id={SCOPE_ID}"));
    let v1 = setup.publish(FUNCTION, "dep-1");
    for alias in ["main", "canary"] {
        setup.moto.aws(&[
            "lambda",
            "create-alias",
            "--function-name",
            FUNCTION,
            "--name",
            alias,
            "--function-version",
            &v1,
        ]);
    }
    put_metric(&setup, "Duration", minute + 5, &[20.0, 40.0], Some("main"));
    let by_alias = query("duration", json!({"group_by": ["alias"]}));
    let selectors: Vec<&str> = by_alias["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["selector"]["alias"].as_str().unwrap())
        .collect();
    assert_eq!(selectors.len(), 2, "{by_alias}");
    let main = selectors.iter().position(|a| *a == "main").unwrap();
    assert_eq!(series_values(&by_alias, main), vec![30.0]);

    // An unknown metric: the metric shape with an error, exit 2.
    let mut arguments = window.clone();
    arguments["metric"] = json!("http.rpm");
    let output = setup.run(
        "read-metrics",
        &["query"],
        &notification("metric:data", arguments),
    );
    assert_eq!(output.status.code(), Some(2));
    let body = one_document(&output);
    assert_eq!(body["results"], json!([]));
    assert_eq!(body["error"], "bad_arguments");
    assert!(text(&output.stderr).contains("❌ unknown metric `http.rpm`"));
}

#[test]
fn metric_list_is_the_catalogue_and_follows_the_action() {
    let setup = Setup::new();
    // No request argument: the action in CONTEXT decides.
    let output = setup.run(
        "read-metrics",
        &[],
        &notification("metric:list", json!({"scope_id": SCOPE_ID})),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let body = one_document(&output);
    let names: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    for expected in [
        "invocations",
        "duration",
        "errors",
        "throttles",
        "concurrent_executions",
        "stream.iterator_age",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let calls: Vec<_> = setup
        .moto
        .requests()
        .into_iter()
        .filter(|r| r.action.as_deref() != Some("CreateRole"))
        .collect();
    assert!(
        calls.is_empty(),
        "the catalogue costs no AWS call: {calls:?}"
    );
}

#[test]
fn instances_are_the_versions_with_their_aliases() {
    let setup = Setup::new();
    setup.create_function(FUNCTION, &format!("nullplatform:scope-id={SCOPE_ID}"));
    let blue = setup.publish(FUNCTION, "dep-blue");
    let green = setup.publish(FUNCTION, "dep-green");
    let routing = format!("AdditionalVersionWeights={{{blue}=0.25}}");
    setup.moto.aws(&[
        "lambda",
        "create-alias",
        "--function-name",
        FUNCTION,
        "--name",
        "main",
        "--function-version",
        &green,
        "--routing-config",
        &routing,
    ]);
    let output = setup.run(
        "list-instances",
        &[],
        &notification("instance:data", json!({"scope_id": SCOPE_ID})),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let body = one_document(&output);
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{body}");
    let green_instance = &results[0];
    assert_eq!(green_instance["id"], format!("{FUNCTION}:{green}"));
    assert_eq!(green_instance["selector"]["deployment_id"], "dep-green");
    assert_eq!(green_instance["details"]["aliases"][0]["name"], "main");
    assert_eq!(
        green_instance["details"]["aliases"][0]["traffic_percent"],
        75.0
    );
    assert_eq!(green_instance["state"], "running");
    assert_eq!(green_instance["spot"], false);
    assert!(green_instance["launch_time"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert_eq!(results[1]["details"]["traffic_percent"], 25.0);

    // A deployment narrows to the versions it published.
    let output = setup.run(
        "list-instances",
        &[],
        &notification(
            "instance:data",
            json!({"scope_id": SCOPE_ID, "deployment_id": "dep-blue"}),
        ),
    );
    let body = one_document(&output);
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    assert_eq!(body["results"][0]["details"]["version"], blue.as_str());

    // A scope without a function: an empty list and the reason.
    let output = setup.run(
        "list-instances",
        &[],
        &json!({"arguments": {"scope_id": "777"}}),
    );
    assert!(output.status.success());
    assert_eq!(
        one_document(&output)["message"],
        "no Lambda function belongs to scope 777"
    );
}

/// Telemetry only reads: with a read-only role (selector `lambda-read`) in the AWS IAM
/// provider it runs as that role, and with only the main entry (`lambda`) as the main one.
#[test]
fn telemetry_runs_as_the_read_only_role_when_the_provider_has_one() {
    let setup = Setup::new();
    setup.create_function(FUNCTION, &format!("nullplatform:scope-id={SCOPE_ID}"));
    let read_role = setup.moto.create_role("np-lambda-read");
    let account_nrn = "organization=1:account=2";
    let provider = |arns: Value| {
        json!([
            {"args": ["provider", "list", "--nrn", account_nrn, "--specification_slug", "aws-iam-configuration", "--format", "json", "--limit", "100"],
             "stdout": {"results": [{"id": "prov-9", "category": "identity-access-control", "specification_id": "spec-1", "nrn": account_nrn}]}},
            {"args": ["provider", "read", "--id", "prov-9", "--format", "json"],
             "stdout": {"id": "prov-9", "specification_id": "spec-1", "category": "identity-access-control",
                        "attributes": {"iam_role_arns": {"arns": arns}}}}
        ])
    };
    let context = notification("instance:data", json!({"scope_id": SCOPE_ID}));
    let run = |rules: Value| {
        let np_dir = tempfile::tempdir().unwrap();
        let mut env: Vec<(String, String)> = setup
            .workflow_env()
            .into_iter()
            .filter(|(k, _)| {
                k != "ASSUME_ROLE_ARN" && k != "NP_CLI" && k != "SCOPE_CREDENTIALS_CACHE_DIR"
            })
            .collect();
        env.extend(np_env(np_dir.path(), rules));
        env.push(("SCOPE_CREDENTIALS_CACHE_DIR".into(), "off".into()));
        let before = setup.moto.calls("AssumeRole").len();
        let output = Command::new(bin_dir().join("scope-workflow"))
            .arg("run")
            .arg(repo_root().join("workflows/instance/list.yaml"))
            .arg("--service-path")
            .arg(repo_root())
            .arg("--strict")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", setup.dir.path())
            .envs(env)
            .env("CONTEXT", context.to_string())
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert!(one_document(&output)["results"].is_array());
        let assumed = setup.moto.assumed_role_arns(before);
        (assumed, text(&output.stderr))
    };
    let both = provider(json!([
        {"selector": "lambda", "arn": setup.role},
        {"selector": "lambda-read", "arn": read_role}
    ]));
    let (assumed, log) = run(both);
    assert_eq!(assumed, vec![Some(read_role.clone())], "{log}");
    assert!(log.contains("selector 'lambda-read'"), "{log}");

    let (assumed, log) = run(provider(json!([{"selector": "lambda", "arn": setup.role}])));
    assert_eq!(assumed, vec![Some(setup.role.clone())], "{log}");
    assert!(
        log.contains("has no read-only role (selector 'lambda-read')"),
        "{log}"
    );
}

/// Every telemetry action through the runner and through the entrypoint: stdout is one
/// JSON document with no progress text, and AWS saw the assumed role's key.
#[test]
fn through_the_runner_and_the_entrypoint_stdout_is_only_the_response() {
    let setup = Setup::new();
    setup.create_function(FUNCTION, &format!("nullplatform:scope-id={SCOPE_ID}"));
    setup.publish(FUNCTION, "dep-1");
    setup.log_events(
        &format!("/aws/lambda/{FUNCTION}"),
        "2026/11/20/[1]dddd",
        &[(now_ms() - 120_000, "hello from lambda".to_string())],
    );
    let cases = [
        (
            "workflows/log/log.yaml",
            notification("log:read", json!({"scope_id": SCOPE_ID})),
        ),
        (
            "workflows/metric/list.yaml",
            notification("metric:list", json!({"scope_id": SCOPE_ID})),
        ),
        (
            "workflows/metric/metric.yaml",
            notification(
                "metric:data",
                json!({"scope_id": SCOPE_ID, "metric": "duration"}),
            ),
        ),
        (
            "workflows/instance/list.yaml",
            notification("instance:data", json!({"scope_id": SCOPE_ID})),
        ),
    ];
    for (workflow, context) in &cases {
        for (how, output) in [
            ("runner", setup.through_runner(workflow, context)),
            ("entrypoint", setup.through_entrypoint(context)),
        ] {
            let stderr = text(&output.stderr);
            assert!(output.status.success(), "{workflow} via {how}: {stderr}");
            let body = one_document(&output);
            assert!(body["results"].is_array(), "{workflow} via {how}: {body}");
            let stdout = text(&output.stdout);
            for progress in ["✅", "🏁", "📡", "assume_role"] {
                assert!(!stdout.contains(progress), "{workflow} via {how}: {stdout}");
            }
            assert!(
                stderr.contains("assume_role"),
                "runner progress on stderr: {stderr}"
            );
        }
    }
    let via_log = setup.through_runner(cases[0].0, &cases[0].1);
    assert_eq!(
        messages(&one_document(&via_log)),
        vec!["hello from lambda".to_string()]
    );

    // Every telemetry call was signed by the assumed role, never by the agent's key.
    let telemetry: Vec<_> = setup
        .moto
        .requests()
        .into_iter()
        .filter(|r| {
            matches!(
                r.action.as_deref(),
                Some("FilterLogEvents" | "GetMetricData")
            ) || (r.method == "GET" && r.url.contains("/2015-03-31/functions/"))
        })
        .collect();
    assert!(telemetry.len() >= 4, "{telemetry:?}");
    for request in &telemetry {
        let key = request.access_key_id.as_deref().unwrap_or_default();
        assert!(!key.is_empty() && key != BASE_KEY, "{request:?}");
    }
    // The credential cache kept the later polls off STS.
    assert_eq!(setup.moto.calls("AssumeRole").len(), 1);
}

#[test]
fn help_lists_what_each_binary_reads() {
    for binary in ["read-logs", "read-metrics", "list-instances"] {
        let output = Command::new(bin_dir().join(binary))
            .arg("--help")
            .output()
            .unwrap();
        assert!(output.status.success());
        let help = text(&output.stdout);
        for needle in ["CONTEXT", "scope_id", "stdout", "Outputs: none"] {
            assert!(
                help.contains(needle),
                "{binary} --help lacks {needle}: {help}"
            );
        }
    }
}

/// A failing request through the runner: the workflow fails, yet stdout is still exactly
/// one JSON document (the UI's error), and the ❌ explanation is on stderr.
#[test]
fn a_failure_through_the_runner_still_answers_one_document() {
    let setup = Setup::new();
    let context = notification("log:read", json!({"scope_id": SCOPE_ID, "limit": "many"}));
    let output = setup.through_runner("workflows/log/log.yaml", &context);
    assert!(!output.status.success());
    let body = one_document(&output);
    assert_eq!(body["error"], "bad_arguments");
    assert_eq!(body["results"], json!([]));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("❌") && stderr.contains("fetch_logs"),
        "{stderr}"
    );
}
