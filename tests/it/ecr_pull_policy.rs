//! ensure-ecr-pull-policy through its real shim under bash against moto server: the
//! repository policy gains (or has repaired) only the LambdaECRImageRetrievalPolicy
//! statement, other statements are kept, and nothing is written when ours is right.

use std::collections::HashMap;

use crate::common::{bash, bin_dir, repo_root, text, MotoServer};
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";
const SID: &str = "LambdaECRImageRetrievalPolicy";
const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Run {
    code: i32,
    log: String,
    outputs: HashMap<String, String>,
}

fn image(repo: &str, reference: &str) -> String {
    format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/{repo}{reference}")
}

/// Sources the shim with IMAGE_URI in a clean bash; returns exit code, log and the
/// ECR_PULL_POLICY output.
fn run_step(moto: &MotoServer, image_uri: &str, extra: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("env.out");
    let script = format!(
        "source '{}/steps/ensure-ecr-pull-policy' || exit $?; printf '%s' \"$ECR_PULL_POLICY\" > '{}'",
        repo_root().display(),
        env_file.display()
    );
    let mut env = moto.aws_env();
    env.push(("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()));
    env.push(("IMAGE_URI".into(), image_uri.into()));
    for (key, value) in extra {
        env.retain(|(k, _)| k != key);
        env.push((key.to_string(), value.to_string()));
    }
    let output = bash(&script, &env, dir.path());
    let mut outputs = HashMap::new();
    if let Ok(value) = std::fs::read_to_string(&env_file) {
        outputs.insert("ECR_PULL_POLICY".to_string(), value);
    }
    Run {
        code: output.status.code().unwrap_or(-1),
        log: format!("{}{}", text(&output.stdout), text(&output.stderr)),
        outputs,
    }
}

fn create_repo(moto: &MotoServer, name: &str) {
    moto.aws(&["ecr", "create-repository", "--repository-name", name]);
}

fn set_policy(moto: &MotoServer, repo: &str, policy: &str) {
    moto.aws(&[
        "ecr",
        "set-repository-policy",
        "--repository-name",
        repo,
        "--policy-text",
        policy,
    ]);
}

fn policy(moto: &MotoServer, repo: &str) -> Value {
    let answer = moto.aws(&["ecr", "get-repository-policy", "--repository-name", repo]);
    serde_json::from_str(answer["policyText"].as_str().unwrap()).unwrap()
}

fn statements(policy: &Value) -> Vec<Value> {
    policy["Statement"].as_array().cloned().unwrap_or_default()
}

fn ours() -> Value {
    json!({
        "Sid": SID,
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    })
}

fn set_calls(moto: &MotoServer) -> usize {
    moto.calls("SetRepositoryPolicy").len()
}

#[test]
fn repository_without_policy_gets_ours_tag_form() {
    let moto = MotoServer::start();
    create_repo(&moto, "team/app");
    let run = run_step(&moto, &image("team/app", ":v1.2.3"), &[]);
    assert_eq!(run.code, 0, "{}", run.log);
    assert_eq!(run.outputs["ECR_PULL_POLICY"], "added");
    assert_eq!(statements(&policy(&moto, "team/app")), vec![ours()]);
    assert_eq!(set_calls(&moto), 1);
}

#[test]
fn unrelated_statements_are_kept_and_ours_added_digest_form() {
    let moto = MotoServer::start();
    create_repo(&moto, "app");
    let other = json!({
        "Sid": "CiPush",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": ["ecr:PutImage", "ecr:InitiateLayerUpload"]
    });
    let original = json!({"Version": "2008-10-17", "Statement": [other.clone()]});
    set_policy(&moto, "app", &original.to_string());
    let run = run_step(&moto, &image("app", &format!("@{DIGEST}")), &[]);
    assert_eq!(run.code, 0, "{}", run.log);
    assert_eq!(run.outputs["ECR_PULL_POLICY"], "added");
    let after = policy(&moto, "app");
    assert_eq!(after["Version"], "2008-10-17");
    let list = statements(&after);
    assert_eq!(list.len(), 2, "{after}");
    // Kept with its keys in their original order, not just equal as a set.
    assert_eq!(list[0].to_string(), other.to_string());
    assert_eq!(list[1], ours());
}

#[test]
fn ours_already_present_writes_nothing() {
    let moto = MotoServer::start();
    create_repo(&moto, "app");
    let original = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Keep", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "ecr:ListImages"},
        ours()
    ]});
    set_policy(&moto, "app", &original.to_string());
    let before = set_calls(&moto);
    let run = run_step(&moto, &image("app", ":latest"), &[]);
    assert_eq!(run.code, 0, "{}", run.log);
    assert_eq!(run.outputs["ECR_PULL_POLICY"], "present");
    assert_eq!(
        set_calls(&moto),
        before,
        "no SetRepositoryPolicy when ours is right"
    );
    assert_eq!(moto.calls("GetRepositoryPolicy").len(), 1);
    assert_eq!(policy(&moto, "app"), original);
}

#[test]
fn stale_statement_of_ours_is_repaired_and_the_rest_kept() {
    let moto = MotoServer::start();
    create_repo(&moto, "app");
    let first = json!({"Sid": "DenyDelete", "Effect": "Deny", "Principal": "*", "Action": "ecr:DeleteRepository"});
    let last = json!({"Sid": "Readers", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["ecr:ListImages"]});
    let stale = json!({"Sid": SID, "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "ecr:BatchGetImage"});
    set_policy(
        &moto,
        "app",
        &json!({"Version": "2012-10-17", "Statement": [first.clone(), stale, last.clone()]})
            .to_string(),
    );
    let run = run_step(&moto, &image("app", ":1"), &[]);
    assert_eq!(run.code, 0, "{}", run.log);
    assert_eq!(run.outputs["ECR_PULL_POLICY"], "repaired");
    let list = statements(&policy(&moto, "app"));
    assert_eq!(list, vec![first, ours(), last]);
}

#[test]
fn malformed_or_foreign_uri_is_a_usage_error_before_any_call() {
    let moto = MotoServer::start();
    for uri in [
        "docker.io/library/nginx:latest",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:short",
    ] {
        let run = run_step(&moto, uri, &[]);
        assert_eq!(run.code, 2, "{uri}: {}", run.log);
        for mark in ["❌", "💡", "🔧"] {
            assert!(run.log.contains(mark), "{mark} in {}", run.log);
        }
        assert!(run.log.contains(uri), "{}", run.log);
        assert!(run.outputs.is_empty(), "nothing exported on failure");
    }
    assert!(moto.requests().is_empty(), "no AWS call for a bad URI");
}

#[test]
fn missing_repository_fails_and_zip_skips() {
    let moto = MotoServer::start();
    let run = run_step(&moto, &image("nothing-here", ":1"), &[]);
    assert_eq!(run.code, 1, "{}", run.log);
    assert!(run.log.contains("does not exist"), "{}", run.log);
    assert!(run.log.contains("🔧"), "{}", run.log);
    assert_eq!(set_calls(&moto), 0);

    let zip = run_step(&moto, "", &[("PACKAGE_TYPE", "Zip")]);
    assert_eq!(zip.code, 0, "{}", zip.log);
    assert_eq!(zip.outputs["ECR_PULL_POLICY"], "skipped");
    let empty = run_step(&moto, "", &[]);
    assert_eq!(empty.code, 2, "{}", empty.log);
    assert!(empty.log.contains("IMAGE_URI is empty"), "{}", empty.log);
}

/// A role that may read but not change the repository policy (moto enforcing IAM after
/// the set-up calls): a warning with the exact statement, and the step succeeds.
#[test]
fn denied_write_warns_with_the_statement_the_owner_must_add() {
    // Set-up below makes exactly 5 unauthenticated calls; every later call is checked.
    let moto = MotoServer::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "5")]);
    create_repo(&moto, "app");
    moto.aws(&["iam", "create-user", "--user-name", "reader"]);
    let read_only = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:GetRepositoryPolicy", "Resource": "*"}
    ]});
    moto.aws(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "reader",
        "--policy-name",
        "read",
        "--policy-document",
        &read_only.to_string(),
    ]);
    let key = moto.aws(&["iam", "create-access-key", "--user-name", "reader"]);
    let id = key["AccessKey"]["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let secret = key["AccessKey"]["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_string();
    set_policy(
        &moto,
        "app",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Keep", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "ecr:ListImages"}
        ]})
        .to_string(),
    );
    let run = run_step(
        &moto,
        &image("app", ":1"),
        &[
            ("AWS_ACCESS_KEY_ID", id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.log);
    assert_eq!(run.outputs["ECR_PULL_POLICY"], "owner-action-needed");
    assert!(run.log.contains("⚠️"), "{}", run.log);
    assert!(
        run.log.contains(&ours().to_string()),
        "the exact statement: {}",
        run.log
    );
    assert!(!run.log.contains(&secret), "{}", run.log);
}
