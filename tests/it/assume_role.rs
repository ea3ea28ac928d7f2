//! assume-role end to end: the real shim under bash, the real binary, moto
//! server as STS (its request recording shows what reached STS and who signed each
//! call), and the fixture-driven np stand-in for the nullplatform API.

use std::path::Path;

use crate::common::{bash, bin_dir, np_calls, np_env, repo_root, text, MotoServer};
use serde_json::{json, Value};

const ROLE: &str = "arn:aws:iam::123456789012:role/np-lambda-runner";
const SCOPE_NRN: &str = "organization=1:account=2:namespace=3:application=4:scope=5";
const ACCOUNT_NRN: &str = "organization=1:account=2";

/// Environment of one step run: moto's base credentials, a private cache dir, the np stand-in.
fn step_env(
    moto: &MotoServer,
    dir: &Path,
    np_rules: Value,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut env = moto.aws_env();
    env.push(("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()));
    env.push((
        "SCOPE_CREDENTIALS_CACHE_DIR".into(),
        dir.join("cache").display().to_string(),
    ));
    env.extend(np_env(dir, np_rules));
    for (key, value) in extra {
        env.push((key.to_string(), value.to_string()));
    }
    env
}

/// Sources the shim, then prints the variables it exported as JSON on the last line.
const SOURCE_AND_DUMP: &str = r#"
source steps/assume-role; rc=$?
python3 -c 'import json,os; print(json.dumps({k: os.environ.get(k) for k in ["AWS_ACCESS_KEY_ID","AWS_SECRET_ACCESS_KEY","AWS_SESSION_TOKEN","AWS_CREDENTIAL_EXPIRATION","ASSUME_ROLE_ARN","ASSUME_ROLE_SOURCE"]}))'
exit $rc
"#;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    exported: Value,
}

fn run_step(env: &[(String, String)]) -> Run {
    let output = bash(SOURCE_AND_DUMP, env, &repo_root());
    let stdout = text(&output.stdout);
    let last = stdout.lines().last().unwrap_or("{}").to_string();
    Run {
        code: output.status.code().unwrap_or(-1),
        stderr: text(&output.stderr),
        exported: serde_json::from_str(&last).unwrap_or(Value::Null),
        stdout,
    }
}

/// One run of the step that must succeed, in a fresh dir (returned: its np call log and
/// cache), np answering per `np_rules` and `extra` set.
fn run_ok(moto: &MotoServer, np_rules: Value, extra: &[(&str, &str)]) -> (Run, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let run = run_step(&step_env(moto, dir.path(), np_rules, extra));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    (run, dir)
}

/// Sets `key` in `env` to `value`, in place of any value it had.
fn set(env: &mut Vec<(String, String)>, key: &str, value: &str) {
    env.retain(|(name, _)| name != key);
    env.push((key.into(), value.into()));
}

fn context(value: Value) -> (&'static str, String) {
    ("CONTEXT", value.to_string())
}

#[test]
fn later_process_acts_as_the_assumed_role_using_only_the_emitted_variables() {
    let moto = MotoServer::start();
    let role = moto.create_role("np-lambda-runner");
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(json!({"scope": {"id": "4242", "nrn": SCOPE_NRN}}));
    let mut env = step_env(
        &moto,
        dir.path(),
        json!([]),
        &[("ASSUME_ROLE_ARN", &role), (ctx.0, &ctx.1)],
    );
    // Only the variables the step emitted (plus endpoint and region) reach the later process.
    let script = r#"
source steps/assume-role || exit $?
env -i PATH="$PATH" HOME="$HOME" AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL" AWS_DEFAULT_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" AWS_SESSION_TOKEN="$AWS_SESSION_TOKEN" \
  "$AWS_CLI" sts get-caller-identity --output json
"#;
    env.push((
        "AWS_CLI".into(),
        crate::common::aws_cli().display().to_string(),
    ));
    let output = bash(script, &env, &repo_root());
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    let identity_json = &stdout[stdout.find('{').expect("caller identity JSON")..];
    let identity: Value = serde_json::from_str(identity_json).unwrap();
    assert_eq!(
        identity["Arn"],
        "arn:aws:sts::123456789012:assumed-role/np-lambda-runner/np-lambda-4242"
    );
    // The step logged what it did, and never the secret.
    assert!(
        stdout.contains("🔐 Role arn:aws:iam::123456789012:role/np-lambda-runner"),
        "{stdout}"
    );
    let assume = moto.calls("AssumeRole");
    assert_eq!(assume.len(), 1);
    assert_eq!(
        assume[0].access_key_id.as_deref(),
        Some("AKIAAGENTBASE0000000")
    );
    assert_eq!(
        assume[0].form("RoleSessionName").as_deref(),
        Some("np-lambda-4242")
    );
    assert_eq!(assume[0].form("DurationSeconds").as_deref(), Some("3600"));
    let caller = moto.calls("GetCallerIdentity");
    assert_eq!(caller.len(), 1);
    assert_ne!(
        caller[0].access_key_id.as_deref(),
        Some("AKIAAGENTBASE0000000")
    );
}

#[test]
fn outputs_are_exported_and_secrets_never_printed() {
    let moto = MotoServer::start();
    let (run, _dir) = run_ok(&moto, json!([]), &[("ASSUME_ROLE_ARN", ROLE)]);
    let exported = &run.exported;
    assert!(exported["AWS_ACCESS_KEY_ID"]
        .as_str()
        .unwrap()
        .starts_with("ASIA"));
    let secret = exported["AWS_SECRET_ACCESS_KEY"].as_str().unwrap();
    let token = exported["AWS_SESSION_TOKEN"].as_str().unwrap();
    assert!(!secret.is_empty() && !token.is_empty());
    let expiration: jiff::Timestamp = exported["AWS_CREDENTIAL_EXPIRATION"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(expiration > jiff::Timestamp::now());
    assert_eq!(exported["ASSUME_ROLE_ARN"], ROLE);
    assert_eq!(exported["ASSUME_ROLE_SOURCE"], "env");
    let printed = format!(
        "{}{}",
        run.stdout
            .lines()
            .rev()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n"),
        run.stderr
    );
    assert!(
        !printed.contains(secret) && !printed.contains(token),
        "a secret was printed:\n{printed}"
    );
    assert_eq!(
        moto.calls("AssumeRole")[0]
            .form("RoleSessionName")
            .as_deref(),
        Some("np-lambda-workflow")
    );
}

#[test]
fn iam_provider_found_through_np_list_and_read_sends_its_external_id() {
    let moto = MotoServer::start();
    let rules = json!([
        {"args": ["provider", "list", "--nrn", ACCOUNT_NRN, "--specification_slug", "aws-iam-configuration", "--format", "json", "--limit", "100"],
         "stdout": {"results": [{"id": "prov-77", "category": "identity-access-control"}]}},
        {"args": ["provider", "read", "--id", "prov-77", "--format", "json"],
         "stdout": {"id": "prov-77", "attributes": {"iam_role_arns": {"arns": [
             {"selector": "s3", "arn": "arn:aws:iam::123456789012:role/s3-only"},
             {"selector": "lambda", "arn": ROLE, "external_id": "registry-issued-42"}
         ]}}}}
    ]);
    let ctx = context(json!({"scope": {"id": "9", "nrn": SCOPE_NRN}}));
    let (run, dir) = run_ok(
        &moto,
        rules,
        &[
            (ctx.0, &ctx.1),
            ("ASSUME_ROLE_EXTERNAL_ID", "env-value-loses"),
        ],
    );
    assert_eq!(run.exported["ASSUME_ROLE_SOURCE"], "iam-provider");
    assert_eq!(run.exported["ASSUME_ROLE_ARN"], ROLE);
    let calls = np_calls(dir.path());
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0][3], ACCOUNT_NRN);
    let assume = moto.calls("AssumeRole");
    assert_eq!(assume[0].form("RoleArn").as_deref(), Some(ROLE));
    assert_eq!(
        assume[0].form("ExternalId").as_deref(),
        Some("registry-issued-42")
    );
}

#[test]
fn iam_provider_in_the_built_context_needs_no_np_and_honours_the_selector() {
    let moto = MotoServer::start();
    let ctx = context(json!({
        "scope": {"nrn": SCOPE_NRN},
        "providers": {"identity-access-control": {"iam_role_arns": {"arns": [
            {"selector": "lambda", "arn": "arn:aws:iam::123456789012:role/not-this-one"},
            {"selector": "deployer", "arn": ROLE}
        ]}}}
    }));
    let (run, dir) = run_ok(
        &moto,
        json!([]),
        &[
            (ctx.0, &ctx.1),
            ("ASSUME_ROLE_SELECTOR", "deployer"),
            ("ASSUME_ROLE_EXTERNAL_ID", "from-env-1"),
        ],
    );
    assert_eq!(run.exported["ASSUME_ROLE_ARN"], ROLE);
    assert_eq!(run.exported["ASSUME_ROLE_SOURCE"], "iam-provider");
    assert!(np_calls(dir.path()).is_empty());
    assert_eq!(
        moto.calls("AssumeRole")[0].form("ExternalId").as_deref(),
        Some("from-env-1")
    );
}

/// A built context whose AWS IAM provider has an `s3` and a `lambda` entry.
fn context_with_s3_and_lambda_roles() -> (&'static str, String) {
    context(json!({
        "scope": {"nrn": SCOPE_NRN},
        "providers": {"identity-access-control": {"iam_role_arns": {"arns": [
            {"selector": "s3", "arn": S3_ROLE},
            {"selector": "lambda", "arn": ROLE}
        ]}}}
    }))
}

const S3_ROLE: &str = "arn:aws:iam::123456789012:role/s3-only";

#[test]
fn the_namespaced_selector_wins_over_a_generic_one_meant_for_another_scope() {
    let moto = MotoServer::start();
    let ctx = context_with_s3_and_lambda_roles();
    let (run, _dir) = run_ok(
        &moto,
        json!([]),
        &[
            (ctx.0, &ctx.1),
            // The agent's environment serves several scopes: the generic name is another's.
            ("ASSUME_ROLE_SELECTOR", "s3"),
            ("SCOPE_LAMBDA_ASSUME_ROLE_SELECTOR", "lambda"),
        ],
    );
    assert_eq!(run.exported["ASSUME_ROLE_ARN"], ROLE);
    assert_eq!(run.exported["ASSUME_ROLE_SOURCE"], "iam-provider");
    assert_eq!(moto.assumed_role_arns(0), vec![Some(ROLE.to_string())]);
    assert_eq!(
        run.stderr
            .matches("⚠️  SCOPE_LAMBDA_ASSUME_ROLE_SELECTOR='lambda' and ASSUME_ROLE_SELECTOR='s3' are both set: using SCOPE_LAMBDA_ASSUME_ROLE_SELECTOR")
            .count(),
        1,
        "the step says once which name it used\n{}",
        run.stderr
    );
}

#[test]
fn the_generic_selector_alone_still_selects() {
    let moto = MotoServer::start();
    let ctx = context_with_s3_and_lambda_roles();
    let (run, _dir) = run_ok(
        &moto,
        json!([]),
        &[(ctx.0, &ctx.1), ("ASSUME_ROLE_SELECTOR", "s3")],
    );
    assert_eq!(run.exported["ASSUME_ROLE_ARN"], S3_ROLE);
    assert_eq!(moto.assumed_role_arns(0), vec![Some(S3_ROLE.to_string())]);
    assert!(
        !run.stderr.contains("are both set"),
        "one name set: nothing to say\n{}",
        run.stderr
    );
}

#[test]
fn an_external_id_set_under_both_names_uses_the_namespaced_one_and_prints_neither() {
    let moto = MotoServer::start();
    let ctx = context_with_s3_and_lambda_roles();
    let (run, _dir) = run_ok(
        &moto,
        json!([]),
        &[
            (ctx.0, &ctx.1),
            ("ASSUME_ROLE_EXTERNAL_ID", "generic-ext-5821"),
            (
                "SCOPE_LAMBDA_ASSUME_ROLE_EXTERNAL_ID",
                "namespaced-ext-7304",
            ),
        ],
    );
    assert_eq!(
        moto.calls("AssumeRole")[0].form("ExternalId").as_deref(),
        Some("namespaced-ext-7304")
    );
    assert!(
        run.stderr.contains("SCOPE_LAMBDA_ASSUME_ROLE_EXTERNAL_ID and ASSUME_ROLE_EXTERNAL_ID are both set, to different values (not shown: secret): using SCOPE_LAMBDA_ASSUME_ROLE_EXTERNAL_ID"),
        "{}",
        run.stderr
    );
    let printed = format!("{}{}", run.stdout, run.stderr);
    for secret in ["5821", "7304"] {
        assert!(
            !printed.contains(secret),
            "an ExternalId was printed:\n{printed}"
        );
    }
}

#[test]
fn scope_configuration_then_default_are_the_fallbacks() {
    let moto = MotoServer::start();
    let rules = json!([
        {"args_prefix": ["provider", "list", "--nrn", ACCOUNT_NRN, "--specification_slug"], "stdout": {"results": []}},
        {"args": ["provider", "list", "--nrn", ACCOUNT_NRN, "--categories", "scope-configurations", "--format", "json"],
         "stdout": {"results": [{"id": "sc-1", "attributes": {"assume_role": {"arn": ROLE}}}]}}
    ]);
    let ctx = context(json!({"scope": {"nrn": SCOPE_NRN}}));
    let extra = [
        (ctx.0, ctx.1.as_str()),
        (
            "ASSUME_ROLE_ARN_DEFAULT",
            "arn:aws:iam::123456789012:role/default",
        ),
    ];
    let (run, _dir) = run_ok(&moto, rules, &extra);
    assert_eq!(run.exported["ASSUME_ROLE_SOURCE"], "scope-config");
    assert_eq!(run.exported["ASSUME_ROLE_ARN"], ROLE);

    let rules = json!([
        {"args_prefix": ["provider", "list", "--nrn", ACCOUNT_NRN, "--specification_slug"], "stdout": {"results": []}},
        {"args_prefix": ["provider", "list", "--nrn", ACCOUNT_NRN, "--categories"], "stdout": {"results": [{"id": "sc-1", "attributes": {}}]}}
    ]);
    let (run, _dir) = run_ok(&moto, rules, &extra);
    assert_eq!(run.exported["ASSUME_ROLE_SOURCE"], "default");
    assert_eq!(
        run.exported["ASSUME_ROLE_ARN"],
        "arn:aws:iam::123456789012:role/default"
    );
}

#[test]
fn no_role_anywhere_emits_nothing_and_uses_the_agent_credentials() {
    let moto = MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let rules = json!([
        {"args_prefix": ["provider", "list"], "stdout": {"results": []}}
    ]);
    let ctx = context(json!({"scope": {"nrn": SCOPE_NRN}}));
    let mut env = step_env(&moto, dir.path(), rules, &[(ctx.0, &ctx.1)]);
    // Nothing is emitted: the base credentials in the environment stay as they were.
    env.retain(|(key, _)| key != "AWS_SESSION_TOKEN");
    let run = run_step(&env);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("agent's own credentials"),
        "{}",
        run.stdout
    );
    assert_eq!(run.exported["AWS_ACCESS_KEY_ID"], "AKIAAGENTBASE0000000");
    assert_eq!(run.exported["AWS_SESSION_TOKEN"], Value::Null);
    assert_eq!(run.exported["ASSUME_ROLE_SOURCE"], Value::Null);
    assert!(moto.calls("AssumeRole").is_empty());
    assert_eq!(np_calls(dir.path()).len(), 2);
}

#[test]
fn session_policies_and_tags_reach_sts() {
    let moto = MotoServer::start();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:GetFunction","Resource":"*"}]}"#;
    let ctx = context(
        json!({"scope": {"id": "31", "slug": "api", "nrn": SCOPE_NRN}, "application": {"slug": "shop"}}),
    );
    run_ok(
        &moto,
        json!([]),
        &[
            ("ASSUME_ROLE_ARN", ROLE),
            (ctx.0, &ctx.1),
            ("ASSUME_ROLE_POLICY_ARNS", "arn:aws:iam::aws:policy/ReadOnlyAccess,arn:aws:iam::123456789012:policy/team/lambda-deploy"),
            ("ASSUME_ROLE_SESSION_POLICY", policy),
            ("ASSUME_ROLE_SESSION_TAGS", "true"),
            ("ASSUME_ROLE_DURATION_SECONDS", "1800"),
            ("ASSUME_ROLE_SESSION_NAME", "ci.run@team"),
        ],
    );
    let call = &moto.calls("AssumeRole")[0];
    assert_eq!(
        call.form("PolicyArns.member.1.arn").as_deref(),
        Some("arn:aws:iam::aws:policy/ReadOnlyAccess")
    );
    assert_eq!(
        call.form("PolicyArns.member.2.arn").as_deref(),
        Some("arn:aws:iam::123456789012:policy/team/lambda-deploy")
    );
    let sent: Value = serde_json::from_str(&call.form("Policy").unwrap()).unwrap();
    assert_eq!(sent["Statement"][0]["Action"], "lambda:GetFunction");
    assert_eq!(call.form("DurationSeconds").as_deref(), Some("1800"));
    assert_eq!(call.form("RoleSessionName").as_deref(), Some("ci.run@team"));
    let tags: Vec<(String, String)> = (1..=3)
        .filter_map(|i| {
            Some((
                call.form(&format!("Tags.member.{i}.Key"))?,
                call.form(&format!("Tags.member.{i}.Value"))?,
            ))
        })
        .collect();
    assert!(
        tags.contains(&("nullplatform:scope-id".into(), "31".into())),
        "{tags:?}"
    );
    assert!(
        tags.contains(&("nullplatform:application".into(), "shop".into())),
        "{tags:?}"
    );
}

#[test]
fn session_tags_are_off_by_default() {
    let moto = MotoServer::start();
    let ctx = context(json!({"scope": {"id": "31", "slug": "api"}}));
    run_ok(
        &moto,
        json!([]),
        &[("ASSUME_ROLE_ARN", ROLE), (ctx.0, &ctx.1)],
    );
    let call = &moto.calls("AssumeRole")[0];
    assert!(call.form("Tags.member.1.Key").is_none(), "{}", call.body);
    assert!(call.form("ExternalId").is_none(), "{}", call.body);
}

#[test]
fn invalid_input_fails_before_any_sts_call() {
    let moto = MotoServer::start();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("ASSUME_ROLE_ARN", "arn:aws:iam::12345:role/x")],
            "12 digits",
        ),
        (
            &[("ASSUME_ROLE_ARN", "arn:aws:s3:::bucket")],
            "not a valid IAM role ARN",
        ),
        (
            &[
                ("ASSUME_ROLE_ARN", ROLE),
                ("ASSUME_ROLE_DURATION_SECONDS", "60"),
            ],
            "900 to 43200",
        ),
        (
            &[
                ("ASSUME_ROLE_ARN", ROLE),
                (
                    "ASSUME_ROLE_POLICY_ARNS",
                    "arn:aws:iam::123456789012:role/x",
                ),
            ],
            "managed policy ARN",
        ),
        (
            &[
                ("ASSUME_ROLE_ARN", ROLE),
                ("ASSUME_ROLE_SESSION_POLICY", "{oops"),
            ],
            "ASSUME_ROLE_SESSION_POLICY",
        ),
        (
            &[
                ("ASSUME_ROLE_ARN", ROLE),
                ("ASSUME_ROLE_SESSION_NAME", "no spaces allowed"),
            ],
            "session name",
        ),
        (
            &[("ASSUME_ROLE_ARN", ROLE), ("ASSUME_ROLE_EXTERNAL_ID", "x")],
            "ExternalId",
        ),
    ];
    for (extra, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let env = step_env(&moto, dir.path(), json!([]), extra);
        let run = run_step(&env);
        assert_eq!(run.code, 2, "{extra:?}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains('❌') && run.stdout.contains(expected),
            "{extra:?}: {}",
            run.stdout
        );
        assert!(run.stdout.contains("🔧"), "{}", run.stdout);
        assert_eq!(run.exported["ASSUME_ROLE_SOURCE"], Value::Null);
    }
    assert!(moto.calls("AssumeRole").is_empty());
}

#[test]
fn sts_denial_is_reported_with_causes_and_nothing_is_emitted() {
    // moto does not check that a role exists; in its IAM-enforcing mode a caller
    // without sts:AssumeRole is denied, which is the failure the report must explain.
    let moto = MotoServer::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
    moto.aws(&["iam", "create-user", "--user-name", "agent"]);
    let key = moto.aws(&["iam", "create-access-key", "--user-name", "agent"]);
    moto.aws(&["iam", "put-user-policy", "--user-name", "agent", "--policy-name", "nothing-useful",
        "--policy-document", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#]);
    let dir = tempfile::tempdir().unwrap();
    let mut env = step_env(
        &moto,
        dir.path(),
        json!([]),
        &[(
            "ASSUME_ROLE_ARN",
            "arn:aws:iam::123456789012:role/unknown-role",
        )],
    );
    for (name, field) in [
        ("AWS_ACCESS_KEY_ID", "AccessKeyId"),
        ("AWS_SECRET_ACCESS_KEY", "SecretAccessKey"),
    ] {
        set(&mut env, name, key["AccessKey"][field].as_str().unwrap());
    }
    let run = run_step(&env);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("❌ sts:AssumeRole on arn:aws:iam::123456789012:role/unknown-role failed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("💡 the role's trust policy may not trust the agent role"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("ASSUME_ROLE_ARN environment variable"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("🔧"), "{}", run.stdout);
    assert_eq!(run.exported["ASSUME_ROLE_SOURCE"], Value::Null);
    assert_eq!(run.exported["AWS_SESSION_TOKEN"], Value::Null);
    // Denied at once: AccessDenied is not retried.
    assert_eq!(moto.calls("AssumeRole").len(), 1);
}

#[test]
fn cached_credentials_are_reused_and_refreshed_near_expiry() {
    let moto = MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let env = step_env(&moto, dir.path(), json!([]), &[("ASSUME_ROLE_ARN", ROLE)]);
    let first = run_step(&env);
    let second = run_step(&env);
    assert_eq!((first.code, second.code), (0, 0));
    assert_eq!(
        moto.calls("AssumeRole").len(),
        1,
        "the second run must not call STS"
    );
    assert!(
        second.stdout.contains("♻️  Reusing cached credentials"),
        "{}",
        second.stdout
    );
    assert_eq!(first.exported, second.exported);

    // The credentials live 3600 s; refreshing when fewer than 4000 s remain means now.
    let mut refreshing = env.clone();
    refreshing.push(("ASSUME_ROLE_REFRESH_SECONDS".into(), "4000".into()));
    let third = run_step(&refreshing);
    assert_eq!(third.code, 0);
    assert_eq!(moto.calls("AssumeRole").len(), 2);
    assert_ne!(
        third.exported["AWS_ACCESS_KEY_ID"],
        first.exported["AWS_ACCESS_KEY_ID"]
    );

    // Another ExternalId is another cache entry, so STS is called again.
    let mut other = env.clone();
    other.push(("ASSUME_ROLE_EXTERNAL_ID".into(), "other-tenant".into()));
    assert_eq!(run_step(&other).code, 0);
    assert_eq!(moto.calls("AssumeRole").len(), 3);

    // `off` disables the cache: every run calls STS.
    let mut off = env.clone();
    set(&mut off, "SCOPE_CREDENTIALS_CACHE_DIR", "off");
    assert_eq!(run_step(&off).code, 0);
    assert_eq!(run_step(&off).code, 0);
    assert_eq!(moto.calls("AssumeRole").len(), 5);
}

#[test]
fn a_corrupt_cache_file_is_replaced_not_trusted() {
    let moto = MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let env = step_env(&moto, dir.path(), json!([]), &[("ASSUME_ROLE_ARN", ROLE)]);
    assert_eq!(run_step(&env).code, 0);
    let cache_dir = dir.path().join("cache");
    // The entry (beside it: its lock file).
    let entry = std::fs::read_dir(&cache_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "json"))
        .unwrap();
    std::fs::write(&entry, "{\"format\":1,\"key\":\"tampered\"").unwrap();
    let run = run_step(&env);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("cache entry ignored: the cache file is corrupt"),
        "{}",
        run.stdout
    );
    assert_eq!(moto.calls("AssumeRole").len(), 2);
    // Replaced by a good entry: the next run is a hit.
    assert_eq!(run_step(&env).code, 0);
    assert_eq!(moto.calls("AssumeRole").len(), 2);
}

#[test]
fn unreachable_sts_is_reported_as_a_network_problem_after_bounded_retries() {
    let moto = MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut env = step_env(
        &moto,
        dir.path(),
        json!([]),
        &[("ASSUME_ROLE_ARN", ROLE), ("ASSUME_ROLE_MAX_ATTEMPTS", "2")],
    );
    // A port nothing listens on: connection refused is transient, so it is retried, then reported.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    set(
        &mut env,
        "AWS_ENDPOINT_URL",
        &format!("http://127.0.0.1:{closed}"),
    );
    let started = std::time::Instant::now();
    let run = run_step(&env);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("💡 the STS endpoint could not be reached"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("AWS_ENDPOINT_URL"), "{}", run.stdout);
    assert_eq!(run.exported["AWS_SESSION_TOKEN"], Value::Null);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn concurrent_cold_starts_with_one_key_share_one_sts_call() {
    let moto = MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let env = step_env(&moto, dir.path(), json!([]), &[("ASSUME_ROLE_ARN", ROLE)]);
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10).map(|_| scope.spawn(|| run_step(&env))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for run in &runs {
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        assert_eq!(
            run.exported, runs[0].exported,
            "every run hands on the same credentials"
        );
    }
    assert_eq!(
        moto.calls("AssumeRole").len(),
        1,
        "ten concurrent cold starts made more than one STS call"
    );
    let reused = runs
        .iter()
        .filter(|run| run.stdout.contains("♻️  Reusing cached credentials"))
        .count();
    assert_eq!(reused, 9);
}

#[test]
fn a_shell_killed_mid_step_leaves_no_credentials_on_disk() {
    let moto = MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut env = step_env(&moto, dir.path(), json!([]), &[("ASSUME_ROLE_ARN", ROLE)]);
    set(&mut env, "SCOPE_CREDENTIALS_CACHE_DIR", "off");
    env.push(("TMPDIR".into(), tmp.display().to_string()));
    // A run to the end, and runs whose sourcing shell is killed while the step runs.
    assert_eq!(run_step(&env).code, 0);
    for signal in ["TERM", "INT", "KILL"] {
        let script = format!("(sleep 0.05; kill -{signal} $$) & source steps/assume-role; sleep 1");
        let _ = bash(&script, &env, &repo_root());
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "files left in TMPDIR: {left:?}");
}

#[test]
fn a_provider_without_the_selector_is_named_and_required_roles_stop_the_workflow() {
    let moto = MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    // The IAM provider answers, but only for another selector.
    let ctx = context(json!({
        "scope": {"nrn": SCOPE_NRN},
        "providers": {"identity-access-control": {"iam_role_arns": {"arns": [
            {"selector": "s3", "arn": "arn:aws:iam::123456789012:role/np-s3"}
        ]}}}
    }));
    let rules = json!([{"args_prefix": ["provider", "list"], "stdout": {"results": []}}]);
    let env = step_env(&moto, dir.path(), rules, &[(ctx.0, &ctx.1)]);
    let run = run_step(&env);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("the AWS IAM provider (CONTEXT.providers[\"identity-access-control\"]) has no role for selector 'lambda' (it has: s3)"),
        "{}",
        run.stdout
    );
    let mut required = env.clone();
    required.push(("ASSUME_ROLE_REQUIRED".into(), "true".into()));
    let run = run_step(&required);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("❌ no role to assume was found, and ASSUME_ROLE_REQUIRED is true"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("selector 'lambda'") && run.stdout.contains("🔧"),
        "{}",
        run.stdout
    );
    assert_eq!(run.exported["ASSUME_ROLE_SOURCE"], Value::Null);
    assert!(moto.calls("AssumeRole").is_empty());
}

#[test]
fn no_base_credentials_at_all_is_said_as_such() {
    let moto = MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut env = step_env(&moto, dir.path(), json!([]), &[("ASSUME_ROLE_ARN", ROLE)]);
    env.retain(|(key, _)| {
        !key.starts_with("AWS_ACCESS_KEY")
            && !key.starts_with("AWS_SECRET")
            && key != "AWS_SESSION_TOKEN"
    });
    env.push(("AWS_EC2_METADATA_DISABLED".into(), "true".into()));
    env.push(("HOME".into(), dir.path().display().to_string()));
    let run = run_step(&env);
    assert_ne!(run.code, 0);
    assert!(
        run.stdout
            .contains("💡 the agent has no base credentials at all"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("could not be reached"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_sts_call_names_the_step_in_its_user_agent() {
    // CloudTrail's userAgent then says which step of the scope made a call.
    let moto = MotoServer::start();
    run_ok(&moto, json!([]), &[("ASSUME_ROLE_ARN", ROLE)]);
    let calls = moto.calls("AssumeRole");
    assert_eq!(calls.len(), 1);
    let agent = calls[0].user_agent.clone().unwrap_or_default();
    assert!(agent.contains("app/lambda-scope.assume-role"), "{agent}");
}
