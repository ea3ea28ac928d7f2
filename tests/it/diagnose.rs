//! The diagnose step against a moto server: a healthy Image function with its alias,
//! pull policy and API Gateway integration passes every relevant check; then one thing
//! is broken at a time and exactly the expected check fails, with its fix.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::{bin_dir, np_calls, np_env, repo_root, text, MotoServer};
use serde_json::{json, Value};

const FUNCTION: &str = "7-app-dev";
const REGISTRY: &str = "123456789012";
const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1";
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const PULL_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"LambdaPull","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#;

fn context(extra: Value) -> Value {
    let mut ctx = json!({
        "scope": {
            "id": 7, "slug": "dev", "domain": "",
            "nrn": "organization=1:account=2:namespace=3:application=4:scope=7",
            "capabilities": {"visibility": "public", "deployment_type": "docker-image", "architecture": "arm64"}
        },
        "application": {"slug": "app"}, "namespace": {"slug": "ns"}, "account": {"slug": "acc"}
    });
    if let (Some(into), Value::Object(from)) = (ctx.as_object_mut(), extra) {
        into.extend(from);
    }
    ctx
}

/// A healthy scope on moto: execution role, ECR repository with Lambda's pull
/// statement and a multi-platform image, the Image function (arm64) with version 1
/// (deployment 9) behind alias `main`, and an HTTP API integrating the alias.
struct Scope {
    moto: MotoServer,
    exec_role: String,
    /// Environment of a step acting as the assumed scope role.
    env: Vec<(String, String)>,
    assumed_key: String,
    dir: tempfile::TempDir,
}

fn healthy_scope() -> Scope {
    let moto = MotoServer::start();
    let exec_role = moto.aws(&[
        "iam",
        "create-role",
        "--role-name",
        "exec-7",
        "--assume-role-policy-document",
        LAMBDA_TRUST,
    ])["Role"]["Arn"]
        .as_str()
        .unwrap()
        .to_string();
    moto.aws(&["ecr", "create-repository", "--repository-name", "app"]);
    moto.aws(&[
        "ecr",
        "set-repository-policy",
        "--repository-name",
        "app",
        "--policy-text",
        PULL_POLICY,
    ]);
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 100,
             "digest": format!("sha256:{}", "a".repeat(64)), "platform": {"architecture": "arm64", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 100,
             "digest": format!("sha256:{}", "b".repeat(64)), "platform": {"architecture": "amd64", "os": "linux"}}
        ]
    });
    moto.aws(&[
        "ecr",
        "put-image",
        "--repository-name",
        "app",
        "--image-tag",
        "v1",
        "--image-manifest",
        &index.to_string(),
        "--image-manifest-media-type",
        "application/vnd.oci.image.index.v1+json",
    ]);
    moto.aws(&[
        "lambda",
        "create-function",
        "--function-name",
        FUNCTION,
        "--package-type",
        "Image",
        "--code",
        &format!("ImageUri={IMAGE}"),
        "--role",
        &exec_role,
        "--architectures",
        "arm64",
    ]);
    moto.aws(&[
        "lambda",
        "publish-version",
        "--function-name",
        FUNCTION,
        "--description",
        "9",
    ]);
    moto.aws(&[
        "lambda",
        "create-alias",
        "--function-name",
        FUNCTION,
        "--name",
        "main",
        "--function-version",
        "1",
    ]);
    let api = moto.aws(&[
        "apigatewayv2",
        "create-api",
        "--name",
        FUNCTION,
        "--protocol-type",
        "HTTP",
    ])["ApiId"]
        .as_str()
        .unwrap()
        .to_string();
    moto.aws(&[
        "apigatewayv2",
        "create-integration",
        "--api-id",
        &api,
        "--integration-type",
        "AWS_PROXY",
        "--payload-format-version",
        "2.0",
        "--integration-uri",
        &format!("arn:aws:lambda:us-east-1:{REGISTRY}:function:{FUNCTION}:main"),
    ]);
    moto.aws(&[
        "lambda",
        "add-permission",
        "--function-name",
        FUNCTION,
        "--qualifier",
        "main",
        "--statement-id",
        "apigateway",
        "--action",
        "lambda:InvokeFunction",
        "--principal",
        "apigateway.amazonaws.com",
        "--source-arn",
        &format!("arn:aws:execute-api:us-east-1:{REGISTRY}:{api}/*/*"),
    ]);

    // The role the assume_role step would have resolved, and its session.
    let scope_role = moto.create_role("np-lambda-scope");
    let session = moto.aws(&[
        "sts",
        "assume-role",
        "--role-arn",
        &scope_role,
        "--role-session-name",
        "np-diagnose",
    ])["Credentials"]
        .clone();
    let assumed_key = session["AccessKeyId"].as_str().unwrap().to_string();
    let mut env: Vec<(String, String)> = moto
        .aws_env()
        .into_iter()
        .filter(|(name, _)| {
            !name.starts_with("AWS_ACCESS_KEY_ID") && name != "AWS_SECRET_ACCESS_KEY"
        })
        .collect();
    env.extend([
        ("AWS_ACCESS_KEY_ID".to_string(), assumed_key.clone()),
        (
            "AWS_SECRET_ACCESS_KEY".to_string(),
            session["SecretAccessKey"].as_str().unwrap().to_string(),
        ),
        (
            "AWS_SESSION_TOKEN".to_string(),
            session["SessionToken"].as_str().unwrap().to_string(),
        ),
        (
            "AWS_CREDENTIAL_EXPIRATION".to_string(),
            session["Expiration"].as_str().unwrap().to_string(),
        ),
        ("ASSUME_ROLE_ARN".to_string(), scope_role),
    ]);
    let dir = tempfile::tempdir().unwrap();
    env.push(("NP_OUTPUT_DIR".into(), dir.path().display().to_string()));
    env.extend(np_env(dir.path(), json!([])));
    Scope {
        moto,
        exec_role,
        env,
        assumed_key,
        dir,
    }
}

impl Scope {
    /// Runs `diagnose --format json` with this scope's environment plus `extra`.
    fn diagnose(&self, ctx: &Value, extra: &[(&str, &str)], args: &[&str]) -> Diagnosis {
        let mut command = Command::new(bin_dir().join("diagnose"));
        command
            .args(["--format", "json"])
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", std::env::var("HOME").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("CONTEXT", ctx.to_string());
        for (name, value) in extra {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        Diagnosis::from(output)
    }
}

struct Diagnosis {
    output: Output,
    doc: Value,
}

impl Diagnosis {
    fn from(output: Output) -> Diagnosis {
        let doc = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
            panic!(
                "stdout is not the results JSON ({err}):\n{}\nstderr:\n{}",
                text(&output.stdout),
                text(&output.stderr)
            )
        });
        Diagnosis { output, doc }
    }

    fn checks(&self) -> Vec<Value> {
        self.doc["results"]["categories"]
            .as_array()
            .expect("categories")
            .iter()
            .flat_map(|category| category["checks"].as_array().unwrap().clone())
            .collect()
    }

    fn statuses(&self) -> BTreeMap<String, String> {
        self.checks()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_string(),
                    c["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    fn check(&self, name: &str) -> Value {
        self.checks()
            .into_iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no check {name} in {}", self.doc))
    }

    fn report(&self) -> String {
        text(&self.output.stderr)
    }

    /// Exactly `name` failed, with a fix containing `fix_text`; the exit code is non-zero.
    fn assert_only_failed(&self, name: &str, fix_text: &str) {
        let failed: Vec<String> = self
            .statuses()
            .into_iter()
            .filter(|(_, status)| status == "failed")
            .map(|(check, _)| check)
            .collect();
        assert_eq!(failed, vec![name.to_string()], "{}", self.report());
        let fixes = self.check(name)["fixes"].to_string();
        assert!(
            fixes.contains(fix_text),
            "fix of {name} lacks `{fix_text}`: {fixes}\n{}",
            self.report()
        );
        assert_eq!(self.output.status.code(), Some(1), "{}", self.report());
        assert!(
            self.report().contains(&format!("❌ {name} — ")),
            "{}",
            self.report()
        );
        assert!(self.report().contains("🔧 "), "{}", self.report());
    }
}

#[test]
fn healthy_image_function_passes_every_relevant_check() {
    let scope = healthy_scope();
    let run = scope.diagnose(&context(json!({"deployment": {"id": 9}})), &[], &[]);
    let statuses = run.statuses();
    for name in [
        "credentials",
        "lambda_exists",
        "lambda_active",
        "alias",
        "iam_role_valid",
        "ecr_pull_policy",
        "image_architecture",
        "networking",
    ] {
        assert_eq!(
            statuses[name],
            "success",
            "{name}: {}\n{}",
            run.check(name),
            run.report()
        );
    }
    // moto has no provisioned-concurrency API and the scope has no domain.
    assert_eq!(
        statuses["provisioned_concurrency"],
        "skipped",
        "{}",
        run.report()
    );
    assert_eq!(statuses["dns"], "skipped");
    assert_eq!(run.output.status.code(), Some(0), "{}", run.report());
    assert!(run.check("alias")["summary"]
        .as_str()
        .unwrap()
        .contains("deployment 9 (version 1)"));
    assert_eq!(
        run.check("image_architecture")["evidence"]["image_architectures"],
        json!(["arm64", "x86_64"])
    );
    // networking followed the permission to the API and found its integration.
    let networking = run.check("networking");
    assert_eq!(
        networking["evidence"]["integration_uris"],
        json!([format!(
            "arn:aws:lambda:us-east-1:{REGISTRY}:function:{FUNCTION}:main"
        )]),
        "{networking}"
    );

    // The engine's shape, with per-category counts.
    let function = run.doc["results"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "function")
        .unwrap()
        .clone();
    assert_eq!(function["summary"]["success"], 4);
    assert_eq!(function["summary"]["skipped"], 1);
    assert_eq!(function["summary"]["pending"], 0);
    // The same document is in the results file.
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(scope.dir.path().join("diagnose-results.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(file, run.doc);

    // Every Lambda call was signed by the assumed role's key, not the agent's base key.
    let lambda_calls: Vec<_> = scope
        .moto
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.url.contains("/2015-03-31/functions/"))
        .collect();
    assert!(lambda_calls.len() >= 5, "{lambda_calls:?}");
    // The checks that need the function share one GetFunction.
    let get_function = format!("/2015-03-31/functions/{FUNCTION}");
    assert_eq!(
        lambda_calls
            .iter()
            .filter(|r| r.url.split('?').next().unwrap().ends_with(&get_function))
            .count(),
        1,
        "{lambda_calls:?}"
    );
    assert!(lambda_calls
        .iter()
        .all(|r| r.access_key_id.as_deref() == Some(scope.assumed_key.as_str())));
}

#[test]
fn missing_function_fails_lambda_exists_and_skips_what_depends_on_it() {
    let scope = healthy_scope();
    let mut ctx = context(json!({}));
    ctx["scope"]["id"] = json!(8);
    let run = scope.diagnose(&ctx, &[], &[]);
    run.assert_only_failed("lambda_exists", "re-run the scope's create");
    let statuses = run.statuses();
    for name in [
        "lambda_active",
        "alias",
        "iam_role_valid",
        "ecr_pull_policy",
        "networking",
    ] {
        assert_eq!(statuses[name], "skipped", "{name}");
        assert!(run.check(name)["summary"]
            .as_str()
            .unwrap()
            .contains("8-app-dev does not exist"));
    }
}

#[test]
fn deleted_execution_role_fails_iam_role_valid() {
    let scope = healthy_scope();
    scope
        .moto
        .aws(&["iam", "delete-role", "--role-name", "exec-7"]);
    let run = scope.diagnose(&context(json!({})), &[], &[]);
    run.assert_only_failed("iam_role_valid", "recreates the execution role");
    assert!(run.check("iam_role_valid")["summary"]
        .as_str()
        .unwrap()
        .contains("does not exist"));
    assert_eq!(
        run.check("iam_role_valid")["evidence"]["role_arn"],
        scope.exec_role.as_str()
    );
    // A role made by hand gets the scope's own narrow log policy, not the managed one
    // that may write to every log group.
    let fixes = run.check("iam_role_valid")["fixes"].to_string();
    assert!(fixes.contains("put-role-policy"), "{fixes}");
    assert!(fixes.contains("log-group:/aws/lambda/"), "{fixes}");
    assert!(
        !fixes.contains("attach AWSLambdaBasicExecutionRole"),
        "{fixes}"
    );
}

#[test]
fn role_trusting_another_service_fails_iam_role_valid() {
    let scope = healthy_scope();
    scope.moto.aws(&[
        "iam", "update-assume-role-policy", "--role-name", "exec-7", "--policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    ]);
    let run = scope.diagnose(&context(json!({})), &[], &[]);
    run.assert_only_failed(
        "iam_role_valid",
        "aws iam update-assume-role-policy --role-name exec-7",
    );
    assert_eq!(
        run.check("iam_role_valid")["evidence"]["trusted_services"],
        json!(["ecs-tasks.amazonaws.com"])
    );
}

#[test]
fn missing_alias_fails_alias() {
    let scope = healthy_scope();
    scope.moto.aws(&[
        "lambda",
        "delete-alias",
        "--function-name",
        FUNCTION,
        "--name",
        "main",
    ]);
    let run = scope.diagnose(&context(json!({})), &[], &[]);
    run.assert_only_failed(
        "alias",
        "aws lambda create-alias --function-name 7-app-dev --name main",
    );
}

#[test]
fn alias_on_latest_fails_alias() {
    let scope = healthy_scope();
    scope.moto.aws(&[
        "lambda",
        "update-alias",
        "--function-name",
        FUNCTION,
        "--name",
        "main",
        "--function-version",
        "$LATEST",
    ]);
    let run = scope.diagnose(&context(json!({})), &[], &[]);
    run.assert_only_failed(
        "alias",
        "aws lambda update-alias --function-name 7-app-dev --name main",
    );
    assert!(run.check("alias")["summary"]
        .as_str()
        .unwrap()
        .contains("points at $LATEST"));
}

#[test]
fn alias_not_serving_the_diagnosed_deployment_fails_alias() {
    let scope = healthy_scope();
    // Deployment 10 published version 2 (a new image tag) but traffic stayed on version 1.
    let manifest = scope.moto.aws(&[
        "ecr",
        "batch-get-image",
        "--repository-name",
        "app",
        "--image-ids",
        "imageTag=v1",
    ])["images"][0]["imageManifest"]
        .as_str()
        .unwrap()
        .to_string();
    scope.moto.aws(&[
        "ecr",
        "put-image",
        "--repository-name",
        "app",
        "--image-tag",
        "v2",
        "--image-manifest",
        &manifest,
        "--image-manifest-media-type",
        "application/vnd.oci.image.index.v1+json",
    ]);
    scope.moto.aws(&[
        "lambda",
        "update-function-code",
        "--function-name",
        FUNCTION,
        "--image-uri",
        &IMAGE.replace(":v1", ":v2"),
    ]);
    let published = scope.moto.aws(&[
        "lambda",
        "publish-version",
        "--function-name",
        FUNCTION,
        "--description",
        "10",
    ]);
    assert_eq!(published["Version"], "2");
    let run = scope.diagnose(&context(json!({"deployment": {"id": 10}})), &[], &[]);
    run.assert_only_failed("alias", "--function-version 2");
    assert!(run.check("alias")["summary"]
        .as_str()
        .unwrap()
        .contains("not deployment 10 (version 2)"));
}

#[test]
fn missing_pull_policy_fails_ecr_pull_policy_with_the_statement_to_add() {
    let scope = healthy_scope();
    scope.moto.aws(&[
        "ecr",
        "delete-repository-policy",
        "--repository-name",
        "app",
    ]);
    let run = scope.diagnose(&context(json!({})), &[], &[]);
    run.assert_only_failed(
        "ecr_pull_policy",
        "\\\"Principal\\\":{\\\"Service\\\":\\\"lambda.amazonaws.com\\\"}",
    );
    let fixes = run.check("ecr_pull_policy")["fixes"].to_string();
    for part in [
        "LambdaECRImageRetrievalPolicy",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "aws ecr set-repository-policy --registry-id 123456789012 --repository-name app",
    ] {
        assert!(fixes.contains(part), "{part}: {fixes}");
    }
}

#[test]
fn caller_other_than_the_resolved_role_fails_credentials() {
    let scope = healthy_scope();
    // The agent's base credentials although assume_role resolved a role.
    let run = scope.diagnose(
        &context(json!({})),
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAAGENTBASE0000000"),
            ("AWS_SECRET_ACCESS_KEY", "agent-base-secret"),
            ("AWS_SESSION_TOKEN", ""),
        ],
        &["--check", "credentials"],
    );
    run.assert_only_failed("credentials", "declare AWS_ACCESS_KEY_ID");
    assert!(run.check("credentials")["summary"]
        .as_str()
        .unwrap()
        .contains("not the resolved role"));
    assert_eq!(run.statuses().len(), 1, "--check runs one check");
}

#[test]
fn expired_credentials_fail_credentials() {
    let scope = healthy_scope();
    let run = scope.diagnose(
        &context(json!({})),
        &[("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z")],
        &["--check", "credentials"],
    );
    run.assert_only_failed("credentials", "re-run the workflow");
}

#[test]
fn fail_on_never_reports_failures_with_exit_zero() {
    let scope = healthy_scope();
    scope.moto.aws(&[
        "ecr",
        "delete-repository-policy",
        "--repository-name",
        "app",
    ]);
    let run = scope.diagnose(&context(json!({})), &[("DIAGNOSE_FAIL_ON", "never")], &[]);
    assert_eq!(run.statuses()["ecr_pull_policy"], "failed");
    assert_eq!(run.output.status.code(), Some(0), "{}", run.report());
}

/// The built context the agent gives a workflow under `--build-context` (no action id in
/// it) and the notification the channel puts in NP_ACTION_CONTEXT, single-quoted.
fn built_context_and_notification() -> (Value, String) {
    let root = repo_root().join("tests/fixtures");
    let read = |path: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(root.join(path)).unwrap()).unwrap()
    };
    let built = read("contexts/scope-public-image.json");
    assert!(built.get("id").is_none() && built.get("service").is_none());
    let notification = read("notifications/diagnose-scope.json");
    (built, format!("'{notification}'"))
}

#[test]
fn results_are_reported_to_the_action_of_np_action_context() {
    let scope = healthy_scope();
    let (built, raw_notification) = built_context_and_notification();
    let notification: Value = serde_json::from_str(raw_notification.trim_matches('\'')).unwrap();
    let action_id = notification["notification"]["id"].as_str().unwrap();
    let service_id = notification["notification"]["service"]["id"]
        .as_str()
        .unwrap();
    let rules =
        json!([{"args_prefix": ["service", "action", "patch"], "stdout": {"id": action_id}}]);
    let np_dir = tempfile::tempdir().unwrap();
    let np = np_env(np_dir.path(), rules);
    let mut extra: Vec<(&str, &str)> = np.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    extra.push(("LAMBDA_FUNCTION_NAME", FUNCTION));
    extra.push(("NP_ACTION_CONTEXT", &raw_notification));
    let run = scope.diagnose(
        &built,
        &extra,
        &["--check", "lambda_exists", "--check", "alias"],
    );
    assert_eq!(run.output.status.code(), Some(0), "{}", run.report());
    let calls = np_calls(np_dir.path());
    assert_eq!(calls.len(), 1, "{calls:?}\n{}", run.report());
    let call = &calls[0];
    assert_eq!(
        &call[..7],
        [
            "service",
            "action",
            "patch",
            "--id",
            action_id,
            "--serviceId",
            service_id
        ]
    );
    assert_eq!(call[7], "--body");
    let body: Value = serde_json::from_str(&call[8]).unwrap();
    assert_eq!(body, run.doc);
    // Each check carries the fields the platform's other scopes send.
    let alias = run.check("alias");
    assert_eq!(alias["status"], "success");
    assert_eq!(alias["severity"], "info");
    assert_eq!(alias["affected"], json!([format!("{FUNCTION}:main")]));
    assert_eq!(alias["details"], alias["evidence"]);
    assert!(alias["suggested_actions"].is_array());
    assert!(alias["summary"].as_str().is_some_and(|s| !s.is_empty()));
}

#[test]
fn a_built_context_without_np_action_context_sends_nothing_and_says_so() {
    let scope = healthy_scope();
    let (built, _) = built_context_and_notification();
    let np_dir = tempfile::tempdir().unwrap();
    let np = np_env(
        np_dir.path(),
        json!([{"args_prefix": ["service"], "stdout": {}}]),
    );
    let mut extra: Vec<(&str, &str)> = np.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    extra.push(("LAMBDA_FUNCTION_NAME", FUNCTION));
    let run = scope.diagnose(&built, &extra, &["--check", "lambda_exists"]);
    assert_eq!(run.output.status.code(), Some(0), "{}", run.report());
    assert!(np_calls(np_dir.path()).is_empty());
    assert!(
        run.report()
            .contains("results not sent to nullplatform: NP_ACTION_CONTEXT is not set"),
        "{}",
        run.report()
    );
}

#[test]
fn a_notification_shaped_context_still_reports_and_an_np_failure_is_a_warning() {
    let scope = healthy_scope();
    let ctx = context(
        json!({"action": "service:action:custom", "id": "action-1", "service": {"id": "service-1"}}),
    );
    let np_dir = tempfile::tempdir().unwrap();
    let np = np_env(
        np_dir.path(),
        json!([{"args_prefix": ["service", "action", "patch"], "stdout": {"id": "action-1"}}]),
    );
    let extra: Vec<(&str, &str)> = np.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = scope.diagnose(&ctx, &extra, &["--check", "lambda_exists"]);
    assert_eq!(run.output.status.code(), Some(0), "{}", run.report());
    let calls = np_calls(np_dir.path());
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        &calls[0][3..7],
        ["--id", "action-1", "--serviceId", "service-1"]
    );

    // np fails: the diagnosis still prints and exits by its own findings.
    let failing = np_env(
        np_dir.path(),
        json!([{"args_prefix": ["service"], "exit": 5, "stderr": "forbidden"}]),
    );
    let extra: Vec<(&str, &str)> = failing
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let run = scope.diagnose(&ctx, &extra, &["--check", "lambda_exists"]);
    assert_eq!(run.output.status.code(), Some(0), "{}", run.report());
    assert!(
        run.report()
            .contains("⚠️  could not send the results to nullplatform"),
        "{}",
        run.report()
    );
    assert_eq!(run.statuses()["lambda_exists"], "success");
}

#[test]
fn unknown_check_is_a_usage_error() {
    let output = Command::new(bin_dir().join("diagnose"))
        .args(["--check", "everything"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stdout).contains("unknown check `everything`"));
}

/// moto's IAM-enforcing mode: after the set-up calls every request is checked against
/// the caller's policies. Lambda reads cannot be used in that mode (moto answers them
/// SignatureDoesNotMatch), so this denies ECR: the deployment's image is checked from
/// IMAGE_URI, which needs no Lambda call.
#[test]
fn denied_permission_skips_the_check_with_the_reason() {
    // Set-up calls made before enforcement starts: create-repository, create-user,
    // put-user-policy, create-access-key.
    let moto = MotoServer::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "4")]);
    moto.aws(&["ecr", "create-repository", "--repository-name", "app"]);
    moto.aws(&["iam", "create-user", "--user-name", "diagnoser"]);
    moto.aws(&[
        "iam", "put-user-policy", "--user-name", "diagnoser", "--policy-name", "no-ecr",
        "--policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#,
    ]);
    let key =
        moto.aws(&["iam", "create-access-key", "--user-name", "diagnoser"])["AccessKey"].clone();
    let dir = tempfile::tempdir().unwrap();
    let mut env: Vec<(String, String)> = moto
        .aws_env()
        .into_iter()
        .filter(|(name, _)| name != "AWS_ACCESS_KEY_ID" && name != "AWS_SECRET_ACCESS_KEY")
        .collect();
    env.extend([
        (
            "AWS_ACCESS_KEY_ID".to_string(),
            key["AccessKeyId"].as_str().unwrap().to_string(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_string(),
            key["SecretAccessKey"].as_str().unwrap().to_string(),
        ),
        ("IMAGE_URI".to_string(), IMAGE.to_string()),
        (
            "NP_OUTPUT_DIR".to_string(),
            dir.path().display().to_string(),
        ),
    ]);
    let scope = Scope {
        moto,
        exec_role: String::new(),
        env,
        assumed_key: String::new(),
        dir,
    };
    let run = scope.diagnose(&context(json!({})), &[], &["--check", "ecr_pull_policy"]);
    let check = run.check("ecr_pull_policy");
    assert_eq!(check["status"], "skipped", "{}", run.report());
    assert!(
        check["summary"]
            .as_str()
            .unwrap()
            .contains("ecr:GetRepositoryPolicy was denied"),
        "{check}"
    );
    assert!(
        check["fixes"]
            .to_string()
            .contains("grant ecr:GetRepositoryPolicy"),
        "{check}"
    );
    assert_eq!(
        run.output.status.code(),
        Some(0),
        "a skipped check does not fail the diagnosis"
    );
    assert!(Path::new(&scope.dir.path().join("diagnose-results.json")).exists());
}

/// Runs a diagnose workflow with the runner in strict mode (only declared outputs pass
/// between steps), starting from the agent's base credentials: assume_role comes first.
fn run_workflow(scope: &Scope, workflow: &str, ctx: &Value) -> Output {
    let role = scope
        .env
        .iter()
        .find(|(name, _)| name == "ASSUME_ROLE_ARN")
        .map(|(_, value)| value.clone())
        .unwrap();
    run_workflow_as(scope, workflow, ctx, Some(role))
}

/// The workflow in strict mode; `role`: an explicit ASSUME_ROLE_ARN, else the role
/// comes from the chain (the providers in `ctx`).
fn run_workflow_as(scope: &Scope, workflow: &str, ctx: &Value, role: Option<String>) -> Output {
    let mut env = scope.moto.aws_env();
    env.extend(np_env(scope.dir.path(), json!([])));
    env.extend([
        ("SCOPE_BIN_DIR".to_string(), bin_dir().display().to_string()),
        ("SCOPE_CREDENTIALS_CACHE_DIR".into(), "off".into()),
        (
            "NP_OUTPUT_DIR".into(),
            scope.dir.path().display().to_string(),
        ),
    ]);
    env.extend(role.map(|role| ("ASSUME_ROLE_ARN".to_string(), role)));
    let context_file = scope.dir.path().join("context.json");
    std::fs::write(&context_file, ctx.to_string()).unwrap();
    crate::common::run_workflow_strict(
        &repo_root().join(workflow),
        &["--context", context_file.to_str().unwrap()],
        &env,
    )
}

fn with_providers(ctx: Value) -> Value {
    let mut ctx = ctx;
    ctx["providers"] =
        json!({"cloud-providers": {"account": {"region": "us-east-1", "id": REGISTRY}}});
    ctx
}

/// Diagnose only reads: the read-only role when the IAM provider has one, else the main.
#[test]
fn diagnose_runs_as_the_read_only_role_when_the_provider_has_one() {
    let scope = healthy_scope();
    let main_role = scope
        .env
        .iter()
        .find(|(name, _)| name == "ASSUME_ROLE_ARN")
        .map(|(_, value)| value.clone())
        .unwrap();
    let read_role = scope.moto.create_role("np-lambda-read");
    let with_iam = |arns: Value| {
        let mut ctx = with_providers(context(json!({})));
        ctx["providers"]["identity-access-control"] = json!({"iam_role_arns": {"arns": arns}});
        ctx
    };
    for (arns, expected, source) in [
        (
            json!([{"selector": "lambda", "arn": main_role}, {"selector": "lambda-read", "arn": read_role}]),
            &read_role,
            "selector 'lambda-read'",
        ),
        (
            json!([{"selector": "lambda", "arn": main_role}]),
            &main_role,
            "has no read-only role (selector 'lambda-read')",
        ),
    ] {
        let before = scope.moto.calls("AssumeRole").len();
        let output = run_workflow_as(
            &scope,
            "workflows/scope/diagnose.yaml",
            &with_iam(arns),
            None,
        );
        let stdout = text(&output.stdout);
        let assumed = scope.moto.assumed_role_arns(before);
        assert_eq!(assumed, vec![Some(expected.clone())], "{stdout}");
        assert!(stdout.contains(source), "{stdout}");
        assert!(
            stdout.contains(&format!(
                "credentials — acting as the resolved role {expected}"
            )),
            "{stdout}"
        );
    }
}

#[test]
fn scope_workflow_diagnoses_as_the_assumed_role_in_strict_mode() {
    let scope = healthy_scope();
    let output = run_workflow(
        &scope,
        "workflows/scope/diagnose.yaml",
        &with_providers(context(json!({}))),
    );
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    for step in [
        "assume_role",
        "fetch_scope_config",
        "build_context",
        "diagnose",
    ] {
        assert!(stdout.contains(&format!("✅ {step} (")), "{step}: {stdout}");
    }
    // The names reached diagnose through declared outputs only.
    assert!(
        stdout.contains("🩺 Diagnosing 7-app-dev (alias main)"),
        "{stdout}"
    );
    assert!(stdout.contains("✅ credentials — acting as the resolved role arn:aws:iam::123456789012:role/np-lambda-scope"), "{stdout}");
    assert!(stdout.contains("✅ iam_role_valid — "), "{stdout}");
    let results: Value = serde_json::from_str(
        &std::fs::read_to_string(scope.dir.path().join("diagnose-results.json")).unwrap(),
    )
    .unwrap();
    assert!(results["results"]["categories"].as_array().unwrap().len() >= 4);
}

#[test]
fn deployment_workflow_fails_on_a_failed_check_in_strict_mode() {
    let scope = healthy_scope();
    scope.moto.aws(&[
        "ecr",
        "delete-repository-policy",
        "--repository-name",
        "app",
    ]);
    let ctx = with_providers(context(json!({
        "deployment": {"id": 9, "strategy": "initial"},
        "asset": {"type": "docker-image", "url": IMAGE}
    })));
    let output = run_workflow(&scope, "workflows/deployment/diagnose.yaml", &ctx);
    let stdout = text(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(stdout.contains("✅ build_context ("), "{stdout}");
    assert!(
        stdout.contains("🩺 Diagnosing 7-app-dev (alias main, deployment 9)"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("✅ alias — alias main serves version 1, including deployment 9 (version 1)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("❌ ecr_pull_policy — repository app has no policy"),
        "{stdout}"
    );
    assert!(
        stdout.contains("❌ the diagnosis found 1 failed check(s): ecr_pull_policy"),
        "{stdout}"
    );
}

#[test]
fn deleted_api_integration_fails_networking() {
    let scope = healthy_scope();
    let apis = scope.moto.aws(&["apigatewayv2", "get-apis"]);
    let api = apis["Items"][0]["ApiId"].as_str().unwrap().to_string();
    let integrations = scope
        .moto
        .aws(&["apigatewayv2", "get-integrations", "--api-id", &api]);
    let integration = integrations["Items"][0]["IntegrationId"].as_str().unwrap();
    scope.moto.aws(&[
        "apigatewayv2",
        "delete-integration",
        "--api-id",
        &api,
        "--integration-id",
        integration,
    ]);
    let run = scope.diagnose(&context(json!({})), &[], &[]);
    run.assert_only_failed("networking", "recreate the integration");
}
