//! `iam-policy` and the documents it renders: no wildcard action, no `Resource: "*"` but
//! for APIs without resource-level permissions, no wildcard account, `iam:PassRole` only
//! to Lambda, every action of the permissions table present, each document under IAM's
//! 6,144-character limit; the read-only role's document: no write in it, and every call
//! of the read-only workflows' steps (found from the workflows themselves) allowed by it;
//! and the command line (files, commands, usage errors).

use std::collections::BTreeSet;
use std::process::Command;

use lambda_scope::permissions::{self, Access, Caller};
use lambda_scope::policy::{self, Document, PolicyInputs, MAX_POLICY_CHARS};
use serde_json::Value;

const ACCOUNT: &str = "123456789012";
const LAYER_ACCOUNT: &str = "210987654321";
const REGION: &str = "eu-west-1";

/// APIs that have no resource-level permissions: `Resource: "*"` is their only form.
/// Written here independently of the table, so the table cannot quietly widen a scope.
fn unscopable(action: &str) -> bool {
    matches!(
        action,
        "sts:GetCallerIdentity"
            | "tag:GetResources"
            | "cloudwatch:GetMetricData"
            | "secretsmanager:ListSecrets"
            | "ec2:DescribeSecurityGroups"
            | "ec2:DescribeSubnets"
            | "ec2:DescribeVpcs"
    ) || action.starts_with("elasticloadbalancing:Describe")
}

/// What the execution roles' boundary grants on `*`: X-Ray has no resource-level
/// permissions, and Lambda's network interface calls are authorized as
/// AWSLambdaVPCAccessExecutionRole grants them.
fn unscopable_in_the_boundary(action: &str) -> bool {
    matches!(
        action,
        "xray:PutTraceSegments"
            | "xray:PutTelemetryRecords"
            | "ec2:CreateNetworkInterface"
            | "ec2:DeleteNetworkInterface"
            | "ec2:DescribeNetworkInterfaces"
            | "ec2:DescribeSubnets"
            | "ec2:AssignPrivateIpAddresses"
            | "ec2:UnassignPrivateIpAddresses"
    )
}

/// The IAM calls that write permissions onto a role.
const ROLE_WRITING: [&str; 4] = [
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:PutRolePermissionsBoundary",
];

/// Whether an IAM resource pattern (`*` and `?` wildcards) matches an ARN.
fn glob_matches(pattern: &str, arn: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), arn.as_bytes())
}

fn minimal() -> PolicyInputs {
    PolicyInputs::new(ACCOUNT, REGION, "acme-tofu-state")
}

fn everything() -> PolicyInputs {
    let mut inputs = minimal();
    inputs.ecr_repositories = vec!["lambda-placeholder".into(), "apps/orders".into()];
    inputs.assets_buckets = vec!["acme-lambda-assets".into()];
    inputs.hosted_zone_ids = vec!["Z0123456789ABCDEFGHIJ".into()];
    inputs.layer_accounts = vec![LAYER_ACCOUNT.into()];
    inputs.protected_roles = vec!["nullplatform-prod-agent-role".into()];
    inputs
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

fn statements(document: &Document) -> Vec<Value> {
    document.policy["Statement"].as_array().unwrap().clone()
}

fn all_documents() -> Vec<(String, Vec<Document>)> {
    vec![
        ("minimal".into(), policy::render(&minimal()).unwrap()),
        ("everything".into(), policy::render(&everything()).unwrap()),
    ]
}

#[test]
fn no_wildcard_actions() {
    for (case, documents) in all_documents() {
        for document in &documents {
            for statement in statements(document) {
                for action in strings(&statement["Action"]) {
                    assert_ne!(action, "*", "{case}/{}: Action *", document.name);
                    assert!(
                        !action.contains('*'),
                        "{case}/{}: wildcard action {action}",
                        document.name
                    );
                    assert!(action.contains(':'), "{action}");
                }
                assert!(statement.get("NotAction").is_none());
                assert!(statement.get("NotResource").is_none());
            }
        }
    }
}

#[test]
fn resource_star_only_where_the_api_cannot_be_scoped() {
    for (case, documents) in all_documents() {
        for document in &documents {
            for statement in statements(document) {
                let resources = strings(&statement["Resource"]);
                assert!(!resources.is_empty());
                if resources.iter().any(|r| r == "*") {
                    assert_eq!(resources, ["*"], "{case}: * mixed with ARNs");
                    for action in strings(&statement["Action"]) {
                        assert!(
                            unscopable(&action)
                                || (document.name == "boundary"
                                    && unscopable_in_the_boundary(&action)),
                            "{case}/{}: {action} supports resource scoping but got Resource *",
                            document.name
                        );
                    }
                }
                for arn in resources.iter().filter(|r| *r != "*") {
                    let parts: Vec<&str> = arn.splitn(6, ':').collect();
                    assert_eq!(parts.len(), 6, "{arn}");
                    assert_eq!(parts[0], "arn");
                    assert_eq!(parts[1], "aws", "{arn}: partition");
                    let (service, region, account) = (parts[2], parts[3], parts[4]);
                    match service {
                        "lambda" | "logs" | "ecr" | "secretsmanager" | "elasticloadbalancing" => {
                            assert_eq!(region, REGION, "{arn}: region");
                            assert!(
                                account == ACCOUNT
                                    || (account == LAYER_ACCOUNT && arn.contains(":layer:")),
                                "{arn}: account must be concrete"
                            );
                        }
                        "iam" => {
                            assert_eq!(account, ACCOUNT, "{arn}");
                            // Only a Deny may name every role (no role loses its boundary).
                            assert!(
                                statement["Effect"] == "Deny" || !arn.ends_with(":role/*"),
                                "{arn}: every role"
                            );
                        }
                        "apigateway" => assert_eq!(region, REGION, "{arn}"),
                        "s3" | "route53" => {}
                        other => panic!("{arn}: unexpected service {other}"),
                    }
                    assert!(!arn.contains('{'), "{arn}: placeholder left");
                }
            }
        }
    }
}

#[test]
fn s3_is_limited_to_state_lock_and_asset_objects() {
    let documents = policy::render(&everything()).unwrap();
    let storage = documents.iter().find(|d| d.name == "storage").unwrap();
    let mut s3 = BTreeSet::new();
    for statement in statements(storage) {
        if strings(&statement["Action"])
            .iter()
            .any(|a| a.starts_with("s3:"))
        {
            s3.extend(strings(&statement["Resource"]));
        }
    }
    let expected: BTreeSet<String> = [
        "arn:aws:s3:::acme-tofu-state",
        "arn:aws:s3:::acme-tofu-state/lambda/*/terraform.tfstate",
        "arn:aws:s3:::acme-tofu-state/lambda/*/terraform.tfstate.tflock",
        "arn:aws:s3:::acme-lambda-assets/*",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(s3, expected);
    // Only the lock object may be deleted.
    for statement in statements(storage) {
        if strings(&statement["Action"]).contains(&"s3:DeleteObject".to_string()) {
            assert_eq!(
                strings(&statement["Resource"]),
                ["arn:aws:s3:::acme-tofu-state/lambda/*/terraform.tfstate.tflock"]
            );
        }
    }
}

#[test]
fn pass_role_only_to_lambda_and_attach_only_lambda_policies() {
    for (case, documents) in all_documents() {
        let mut seen_pass_role = false;
        for document in &documents {
            for statement in statements(document) {
                let actions = strings(&statement["Action"]);
                let allow = statement["Effect"] == "Allow";
                if allow && actions.contains(&"iam:PassRole".to_string()) {
                    seen_pass_role = true;
                    assert_eq!(
                        actions,
                        ["iam:PassRole"],
                        "{case}: PassRole shares a statement"
                    );
                    assert_eq!(
                        statement["Condition"]["StringEquals"]["iam:PassedToService"],
                        "lambda.amazonaws.com",
                        "{case}: PassRole without the Lambda condition"
                    );
                }
                if allow && actions.contains(&"iam:AttachRolePolicy".to_string()) {
                    let allowed = strings(&statement["Condition"]["ArnEquals"]["iam:PolicyARN"]);
                    assert!(
                        !allowed.is_empty(),
                        "{case}: AttachRolePolicy without a policy condition"
                    );
                    for arn in allowed {
                        assert!(
                            arn.starts_with("arn:aws:iam::aws:policy/service-role/AWSLambda"),
                            "{arn}"
                        );
                    }
                }
            }
        }
        assert!(seen_pass_role, "{case}: no PassRole statement");
    }
}

#[test]
fn the_scope_roles_themselves_are_denied() {
    let documents = policy::render(&everything()).unwrap();
    let iam = documents.iter().find(|d| d.name == "iam").unwrap();
    let deny = statements(iam)
        .into_iter()
        .find(|s| s["Effect"] == "Deny")
        .expect("a Deny statement");
    let resources = strings(&deny["Resource"]);
    assert!(resources.contains(&format!(
        "arn:aws:iam::{ACCOUNT}:role/nullplatform-lambda-scope"
    )));
    assert!(resources.contains(&format!(
        "arn:aws:iam::{ACCOUNT}:role/nullplatform-prod-agent-role"
    )));
    let denied = strings(&deny["Action"]);
    for action in [
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:PassRole",
        "iam:UpdateAssumeRolePolicy",
    ] {
        assert!(
            denied.contains(&action.to_string()),
            "{action} not denied on the scope roles"
        );
    }
}

#[test]
fn role_writing_calls_are_allowed_only_with_the_boundary() {
    for (case, inputs) in [("minimal", minimal()), ("everything", everything())] {
        let documents = policy::render(&inputs).unwrap();
        let mut seen = BTreeSet::new();
        for document in &documents {
            for statement in statements(document) {
                if statement["Effect"] != "Allow" {
                    continue;
                }
                for action in strings(&statement["Action"]) {
                    if !ROLE_WRITING.contains(&action.as_str()) {
                        continue;
                    }
                    seen.insert(action.clone());
                    assert_eq!(
                        statement["Condition"]["StringEquals"]["iam:PermissionsBoundary"],
                        inputs.permissions_boundary.as_str(),
                        "{case}/{}: {action} allowed without the boundary condition: {statement}",
                        document.name
                    );
                }
            }
        }
        assert_eq!(seen.len(), ROLE_WRITING.len(), "{case}: {seen:?}");
    }
}

#[test]
fn the_boundary_stays_on_every_role_and_cannot_be_rewritten() {
    let inputs = everything();
    let documents = policy::render(&inputs).unwrap();
    let all: Vec<Value> = documents.iter().flat_map(statements).collect();
    let denies = |action: &str, resource: &str| {
        all.iter().any(|s| {
            s["Effect"] == "Deny"
                && strings(&s["Action"]).iter().any(|a| a == action)
                && s.get("Condition").is_none()
                && strings(&s["Resource"])
                    .iter()
                    .any(|pattern| glob_matches(pattern, resource))
        })
    };
    for role in ["np-lambda-orders-role", "any-role-at-all"] {
        assert!(
            denies(
                "iam:DeleteRolePermissionsBoundary",
                &format!("arn:aws:iam::{ACCOUNT}:role/{role}")
            ),
            "removing the boundary from {role} is not denied"
        );
    }
    for action in [
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicyVersion",
        "iam:DeletePolicy",
    ] {
        assert!(
            denies(action, &inputs.permissions_boundary),
            "{action} on the boundary policy is not denied"
        );
    }
    for statement in all.iter().filter(|s| s["Effect"] == "Allow") {
        for action in strings(&statement["Action"]) {
            assert!(
                !action.ends_with("PolicyVersion") && action != "iam:DeleteRolePermissionsBoundary",
                "{action} is allowed"
            );
        }
    }
}

#[test]
fn no_allowed_role_pattern_matches_the_scope_roles_or_other_scopes_roles() {
    let mut inputs = everything();
    inputs.permissions_role = "nullplatform-prod-lambda-scope".into();
    let documents = policy::render(&inputs).unwrap();
    let role = |name: &str| format!("arn:aws:iam::{ACCOUNT}:role/{name}");
    let outside = [
        role("nullplatform-prod-lambda-scope"),
        role("nullplatform-prod-agent-role"),
        // Other scopes' and nullplatform's own roles share the nullplatform- prefix.
        role("nullplatform-k8s-scope-7-role"),
        role("nullplatform-telemetry"),
    ];
    let mut execution_role_covered = false;
    // (`assume` is the agent's: it names the permissions role, to assume it.)
    for document in documents.iter().filter(|d| d.name != "assume") {
        for statement in statements(document) {
            if statement["Effect"] != "Allow" {
                continue;
            }
            for pattern in strings(&statement["Resource"]) {
                if !pattern.starts_with("arn:aws:iam::") {
                    continue;
                }
                for arn in &outside {
                    assert!(
                        !glob_matches(&pattern, arn),
                        "{}: {pattern} matches {arn}",
                        document.name
                    );
                }
                execution_role_covered |= glob_matches(&pattern, &role("np-lambda-s7-orders-role"));
            }
        }
    }
    assert!(execution_role_covered, "execution roles are not covered");
}

#[test]
fn the_boundary_allows_only_what_a_scope_function_needs() {
    let documents = policy::render(&everything()).unwrap();
    let boundary = documents.iter().find(|d| d.name == "boundary").unwrap();
    let mut actions = BTreeSet::new();
    for statement in statements(boundary) {
        assert_eq!(statement["Effect"], "Allow");
        assert!(statement.get("Condition").is_none());
        let granted = strings(&statement["Action"]);
        for resource in strings(&statement["Resource"]) {
            if resource == "*" {
                continue;
            }
            for action in &granted {
                let expected = if action.starts_with("logs:") {
                    format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/")
                } else if action.starts_with("secretsmanager:") {
                    format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:nullplatform/")
                } else {
                    panic!("{action} on {resource}")
                };
                assert!(resource.starts_with(&expected), "{action} on {resource}");
            }
        }
        actions.extend(granted);
    }
    let expected: BTreeSet<String> = [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:UnassignPrivateIpAddresses",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(actions, expected);
}

#[test]
fn every_action_of_the_table_is_allowed() {
    for (case, documents) in all_documents() {
        let allowed = |names: &[&str]| -> BTreeSet<String> {
            documents
                .iter()
                .filter(|d| names.contains(&d.name))
                .flat_map(statements)
                .filter(|s| s["Effect"] == "Allow")
                .flat_map(|s| strings(&s["Action"]))
                .collect()
        };
        let role = allowed(&["lambda", "iam", "networking", "storage"]);
        let agent = allowed(&["assume"]);
        for step in permissions::STEP_ACTIONS {
            let granted = if step.caller == Caller::Agent {
                &agent
            } else {
                &role
            };
            for (action, _) in step.calls {
                assert!(
                    granted.contains(*action),
                    "{case}: {} calls {action}, which no document allows",
                    step.binary
                );
            }
        }
        // The agent document grants nothing but assuming the role (and who-am-I).
        assert_eq!(
            agent,
            ["sts:AssumeRole", "sts:GetCallerIdentity", "sts:TagSession"]
                .into_iter()
                .map(String::from)
                .collect()
        );
        assert!(
            !role.contains("sts:AssumeRole"),
            "the permissions role must not chain further"
        );
    }
}

#[test]
fn each_document_is_under_the_size_limit() {
    for (case, documents) in all_documents() {
        assert_eq!(documents.len(), 6, "{case}");
        for document in &documents {
            let pretty = document.text().len();
            let compact = document.policy.to_string().len();
            assert!(
                pretty < MAX_POLICY_CHARS,
                "{case}/{}: {pretty} chars",
                document.name
            );
            assert!(compact < MAX_POLICY_CHARS);
        }
    }
    // Too many values to fit is an error, not a document IAM rejects later.
    let mut huge = minimal();
    huge.ecr_repositories = (0..400).map(|i| format!("team-{i}/service-{i}")).collect();
    let err = policy::render(&huge).expect_err("too big");
    assert!(err.what.contains("6144"), "{}", err.what);
}

#[test]
fn the_partition_follows_the_region() {
    let documents =
        policy::render(&PolicyInputs::new(ACCOUNT, "cn-north-1", "acme-tofu-state")).unwrap();
    for document in &documents {
        for statement in statements(document) {
            for arn in strings(&statement["Resource"]).iter().filter(|r| *r != "*") {
                assert!(arn.starts_with("arn:aws-cn:"), "{arn}");
            }
        }
    }
}

// --- the command line -----------------------------------------------------------

fn iam_policy(args: &[&str]) -> std::process::Output {
    Command::new(crate::common::bin_dir().join("iam-policy"))
        .args(args)
        .output()
        .expect("run iam-policy")
}

/// `render` for this file's account, region and state bucket.
const RENDER: [&str; 7] = [
    "render",
    "--account",
    ACCOUNT,
    "--region",
    REGION,
    "--state-bucket",
    "acme-tofu-state",
];

/// Runs iam-policy with `args`, which must succeed; what it printed on stdout.
fn iam_policy_ok(args: &[&str]) -> String {
    let out = iam_policy(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A document render saved, parsed.
fn saved_document(file: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

/// The command render prints to create the managed policy `name` from the saved `file`.
fn create_policy_command(name: &str, file: &std::path::Path) -> String {
    format!(
        "aws iam create-policy --policy-name {name} --policy-document file://{}",
        file.display()
    )
}

/// The command render prints to attach this account's policy `name` to `role`.
fn attach_policy_command(role: &str, name: &str) -> String {
    format!(
        "aws iam attach-role-policy --role-name {role} --policy-arn arn:aws:iam::{ACCOUNT}:policy/{name}"
    )
}

#[test]
fn render_saves_the_documents_and_prints_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("policies");
    let mut args = RENDER.to_vec();
    args.extend([
        "--permissions-role-name",
        "lambda-scope-role",
        "--agent-role-name",
        "agent-role",
        "--output",
        out_dir.to_str().unwrap(),
    ]);
    let stdout = iam_policy_ok(&args);
    for name in [
        "lambda",
        "iam",
        "networking",
        "storage",
        "assume",
        "boundary",
    ] {
        let file = out_dir.join(format!("lambda-scope-{name}.json"));
        let saved = saved_document(&file);
        assert_eq!(saved["Version"], "2012-10-17");
        let file_arg = format!("file://{}", file.display());
        if name == "boundary" {
            assert!(
                stdout.contains(&create_policy_command("lambda-scope-boundary", &file)),
                "{stdout}"
            );
            assert!(
                !stdout.contains(
                    "--policy-arn arn:aws:iam::123456789012:policy/lambda-scope-boundary"
                ),
                "the boundary is attached to the permissions role"
            );
            let iam = saved_document(&out_dir.join("lambda-scope-iam.json"));
            assert!(
                iam.to_string().contains(&format!(
                    "arn:aws:iam::{ACCOUNT}:policy/lambda-scope-boundary"
                )),
                "the iam document does not require the created boundary"
            );
        } else if name == "assume" {
            assert!(stdout.contains(&format!(
                "aws iam put-role-policy --role-name agent-role --policy-name lambda-scope-assume --policy-document {file_arg}"
            )), "{stdout}");
        } else {
            let policy = format!("lambda-scope-{name}");
            assert!(
                stdout.contains(&create_policy_command(&policy, &file)),
                "{stdout}"
            );
            assert!(
                stdout.contains(&attach_policy_command("lambda-scope-role", &policy)),
                "{stdout}"
            );
        }
    }
    assert!(
        stdout.contains("no --assets-bucket given"),
        "the Zip caveat is said"
    );
}

#[test]
fn bad_input_fails_with_exit_2_before_writing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("policies");
    for (flag, value) in [
        ("--account", "12345"),
        ("--account", "*"),
        ("--region", "mars"),
        ("--state-bucket", "Not_A_Bucket"),
        ("--execution-role-prefix", "np-*"),
        ("--execution-role-prefix", "nullplatform-"),
        (
            "--permissions-boundary-arn",
            "arn:aws:iam::123456789012:role/boundary",
        ),
        (
            "--permissions-boundary-arn",
            "arn:aws:iam::210987654321:policy/boundary",
        ),
    ] {
        let mut args = vec!["render", "--output", out_dir.to_str().unwrap()];
        for (name, good) in [
            ("--account", ACCOUNT),
            ("--region", REGION),
            ("--state-bucket", "acme-tofu-state"),
        ] {
            if name != flag {
                args.extend([name, good]);
            }
        }
        args.extend([flag, value]);
        let out = iam_policy(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(
            stderr.contains("❌") && stderr.contains("💡") && stderr.contains("🔧"),
            "{stderr}"
        );
        assert!(stderr.contains(flag), "{stderr}");
        assert!(
            !out_dir.exists(),
            "{flag} {value}: files written despite the error"
        );
    }
}

#[test]
fn actions_lists_every_binary_and_its_calls() {
    let out = iam_policy(&["actions"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for step in permissions::STEP_ACTIONS {
        assert!(text.contains(step.binary), "{} missing", step.binary);
        for (action, _) in step.calls {
            assert!(text.contains(action));
        }
    }
    let out = iam_policy(&[
        "actions",
        "--binary",
        "ensure-ecr-pull-policy",
        "--format",
        "json",
    ]);
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["binary"], "ensure-ecr-pull-policy");
    let actions: Vec<String> = listed[0]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        ["ecr:GetRepositoryPolicy", "ecr:SetRepositoryPolicy"]
    );
    let out = iam_policy(&["actions", "--binary", "no-such-step"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("known binaries"));
}

#[test]
fn help_explains_the_commands() {
    let out = iam_policy(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["render", "actions", "template", "src/permissions.rs"] {
        assert!(text.contains(word), "--help lacks {word}:\n{text}");
    }
    let out = iam_policy(&["render", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--account",
        "--region",
        "--state-bucket",
        "--execution-role-prefix",
        "--ecr-repository",
        "--secret-prefix",
        "--output",
    ] {
        assert!(text.contains(flag), "render --help lacks {flag}");
    }
}

// --- the read-only role's document ----------------------------------------------

/// Verbs that change something, written here independently of the rule in
/// src/permissions.rs, so a table or rule change cannot quietly widen the read role.
const WRITE_VERBS: [&str; 24] = [
    "Create",
    "Update",
    "Delete",
    "Put",
    "Tag",
    "Untag",
    "Publish",
    "Invoke",
    "Add",
    "Remove",
    "Attach",
    "Detach",
    "Pass",
    "Set",
    "Modify",
    "Register",
    "Deregister",
    "Change",
    "Associate",
    "Disassociate",
    "Assume",
    "Start",
    "Stop",
    "Upload",
];

fn read_documents() -> Vec<(String, Document)> {
    let mut with_role = everything();
    with_role.read_role = Some("nullplatform-prod-lambda-scope-read".into());
    [("minimal", minimal()), ("everything", with_role)]
        .into_iter()
        .map(|(case, inputs)| {
            let mut documents = policy::render_read(&inputs).unwrap();
            assert_eq!(documents.len(), 1, "{case}");
            (case.to_string(), documents.remove(0))
        })
        .collect()
}

fn allowed_actions(document: &Document) -> BTreeSet<String> {
    statements(document)
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| strings(&s["Action"]))
        .collect()
}

#[test]
fn the_read_document_allows_no_write() {
    for (case, document) in read_documents() {
        assert_eq!(document.name, policy::READ_DOCUMENT);
        let actions = allowed_actions(&document);
        assert!(!actions.is_empty(), "{case}");
        for action in &actions {
            let (service, name) = action.split_once(':').unwrap();
            assert!(
                !WRITE_VERBS.iter().any(|verb| name.starts_with(verb)),
                "{case}: the read document allows {action}"
            );
            if service == "apigateway" {
                assert_eq!(name, "GET", "{case}: {action}");
            }
            assert_eq!(Access::of_action(action), Access::Read, "{case}: {action}");
            assert!(
                !["s3", "secretsmanager", "kms", "ssm"].contains(&service),
                "{case}: the read role reads no state, secret or key: {action}"
            );
        }
        assert!(policy::write_actions(&document.policy).is_empty(), "{case}");
        for statement in statements(&document) {
            assert_eq!(statement["Effect"], "Allow", "{case}");
            for arn in strings(&statement["Resource"]) {
                assert!(!arn.contains('{'), "{case}: unfilled placeholder in {arn}");
                if arn != "*" {
                    assert!(
                        arn.contains(ACCOUNT) || arn.contains(":apigateway:"),
                        "{case}: {arn}"
                    );
                }
            }
        }
        assert!(document.text().len() < MAX_POLICY_CHARS, "{case}");
    }
}

#[test]
fn the_write_rule_catches_a_write_in_a_read_document() {
    let (_, document) = read_documents().remove(0);
    assert!(policy::write_actions(&document.policy).is_empty());
    for write in [
        "lambda:UpdateFunctionCode",
        "iam:PassRole",
        "apigateway:PATCH",
        "secretsmanager:GetSecretValue",
    ] {
        let mut tampered = document.policy.clone();
        tampered["Statement"][0]["Action"]
            .as_array_mut()
            .unwrap()
            .push(Value::String(write.into()));
        assert_eq!(
            policy::write_actions(&tampered),
            [write],
            "{write} slipped through"
        );
    }
}

/// The workflows that set `ASSUME_ROLE_ACCESS: read`, each with the step binaries it runs
/// (from `scope-workflow run --dry-run`, includes resolved).
fn read_workflows() -> Vec<(String, Vec<String>)> {
    let root = crate::common::repo_root();
    let mut files = Vec::new();
    let mut dirs = vec![root.join("workflows")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // `common/` holds included fragments, not workflows.
                if path.file_name().unwrap() != "common" {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut read = Vec::new();
    for file in files {
        let out = Command::new(crate::common::bin_dir().join("lambda-scope"))
            .args(["scope-workflow", "run"])
            .arg(&file)
            .arg("--service-path")
            .arg(&root)
            .arg("--dry-run")
            .env("SCOPE_BIN_DIR", crate::common::bin_dir())
            .output()
            .unwrap();
        let yaml = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let (merged, _) = crate::common::dry_run_workflow(&yaml);
        if merged["configuration"]["ASSUME_ROLE_ACCESS"] != "read" {
            continue;
        }
        let binaries = merged["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|step| {
                let file = step["file"].as_str().unwrap();
                file.rsplit('/').next().unwrap().to_string()
            })
            .collect();
        let name = file.strip_prefix(&root).unwrap().display().to_string();
        read.push((name, binaries));
    }
    read
}

#[test]
fn the_read_document_covers_every_call_of_the_read_workflows_and_no_more() {
    let workflows = read_workflows();
    let names: Vec<&str> = workflows.iter().map(|(name, _)| name.as_str()).collect();
    for expected in [
        "workflows/log/log.yaml",
        "workflows/metric/metric.yaml",
        "workflows/metric/list.yaml",
        "workflows/instance/list.yaml",
        "workflows/scope/diagnose.yaml",
        "workflows/deployment/diagnose.yaml",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} is not a read-only workflow: {names:?}"
        );
    }
    let (_, document) = read_documents().remove(0);
    let allowed = allowed_actions(&document);
    let mut run_by_read_workflows = BTreeSet::new();
    for (workflow, binaries) in &workflows {
        for binary in binaries {
            let step = permissions::for_binary(binary)
                .unwrap_or_else(|| panic!("{workflow}: {binary} is not in the permissions table"));
            assert_eq!(
                step.access,
                Access::Read,
                "{workflow} runs {binary}, which the table does not mark Access::Read"
            );
            if step.caller == Caller::Agent {
                continue;
            }
            run_by_read_workflows.insert(step.binary);
            for (action, res) in step.calls {
                let statement = statements(&document)
                    .into_iter()
                    .find(|s| strings(&s["Action"]).iter().any(|a| a == action)
                        && s["Sid"] == policy_sid(*res))
                    .unwrap_or_else(|| panic!("{workflow}: {binary} calls {action} on {res}, which the read document does not allow"));
                assert_eq!(statement["Effect"], "Allow");
            }
        }
    }
    // No more than that: every action comes from a step those workflows run.
    let needed: BTreeSet<String> = run_by_read_workflows
        .iter()
        .flat_map(|b| {
            permissions::for_binary(b)
                .unwrap()
                .calls
                .iter()
                .map(|(a, _)| a.to_string())
        })
        .collect();
    assert_eq!(allowed, needed);
    for step in permissions::STEP_ACTIONS {
        if step.runs_as_read_role() {
            assert!(
                run_by_read_workflows.contains(step.binary),
                "{} is marked Access::Read but no read-only workflow runs it",
                step.binary
            );
        }
    }
}

/// The statement id the renderer gives a resource kind.
fn policy_sid(res: permissions::Res) -> String {
    match res {
        permissions::Res::Unscoped => "NoResourceLevelPermissions".into(),
        other => format!("{other:?}"),
    }
}

#[test]
fn the_agent_may_assume_the_read_role_and_the_permissions_role_never_touches_it() {
    let read_role = "nullplatform-prod-lambda-scope-read";
    let mut inputs = everything();
    inputs.read_role = Some(read_role.into());
    let documents = policy::render(&inputs).unwrap();
    let find = |name: &str| documents.iter().find(|d| d.name == name).unwrap();
    let read_arn = format!("arn:aws:iam::{ACCOUNT}:role/{read_role}");
    let assume = statements(find("assume"))
        .into_iter()
        .find(|s| strings(&s["Action"]).contains(&"sts:AssumeRole".to_string()))
        .unwrap();
    assert!(strings(&assume["Resource"]).contains(&read_arn), "{assume}");
    let deny = statements(find("iam"))
        .into_iter()
        .find(|s| s["Sid"] == "ProtectScopeRoles")
        .unwrap();
    assert_eq!(deny["Effect"], "Deny");
    assert!(strings(&deny["Resource"]).contains(&read_arn), "{deny}");
    // Without a read role nothing names one.
    for document in policy::render(&everything()).unwrap() {
        assert!(!document.text().contains("-read"), "{}", document.name);
    }
}

#[test]
fn render_access_read_saves_the_read_document_and_its_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("policies");
    let mut base = RENDER.to_vec();
    base.extend(["--access", "read"]);
    // Without the role it is attached to: a usage error, nothing written.
    let mut args = base.to_vec();
    args.extend(["--output", out_dir.to_str().unwrap()]);
    let out = iam_policy(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("❌") && stderr.contains("💡") && stderr.contains("🔧"),
        "{stderr}"
    );
    assert!(stderr.contains("--read-role-name"), "{stderr}");
    assert!(!out_dir.exists());

    args.extend(["--read-role-name", "lambda-scope-read-role"]);
    let stdout = iam_policy_ok(&args);
    let saved: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(saved, ["lambda-scope-read.json"]);
    let file = out_dir.join("lambda-scope-read.json");
    assert!(policy::write_actions(&saved_document(&file)).is_empty());
    assert!(
        stdout.contains(&create_policy_command("lambda-scope-read", &file)),
        "{stdout}"
    );
    assert!(
        stdout.contains(&attach_policy_command(
            "lambda-scope-read-role",
            "lambda-scope-read"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("lambda-read"),
        "the selector is named: {stdout}"
    );

    // The read role's name is checked like every other value.
    let mut bad = base.to_vec();
    bad.extend([
        "--output",
        out_dir.to_str().unwrap(),
        "--read-role-name",
        "lambda-scope",
    ]);
    bad.extend(["--permissions-role-name", "lambda-scope"]);
    let out = iam_policy(&bad);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--read-role-name"));

    let out = iam_policy(&["render", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "--access",
        "read",
        "write",
        "--read-role-name",
        "lambda-read",
    ] {
        assert!(help.contains(word), "render --help lacks {word}:\n{help}");
    }
}

/// The AWS calls each data source of the scope's modules makes when tofu reads it
/// (the aws provider's read functions). A data source missing here fails the test
/// below, so a new lookup is never added without its permissions.
const DATA_SOURCE_CALLS: &[(&str, &[&str])] = &[
    // Answered for any credentials: no IAM action authorizes it.
    ("aws_caller_identity", &[]),
    ("aws_partition", &[]),
    // Rendered locally.
    ("aws_iam_policy_document", &[]),
    (
        "aws_lb_listener",
        &[
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeTags",
        ],
    ),
    (
        "aws_lb",
        &[
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeTags",
        ],
    ),
];

fn tf_files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(tf_files_under(&path));
        } else if path.extension().is_some_and(|e| e == "tf") {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_lookups_of_the_scope_modules_are_allowed_to_tofu_step() {
    let tofu = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tofu");
    let mut kinds = BTreeSet::new();
    for file in tf_files_under(&tofu) {
        let body = hcl::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for block in body.blocks().filter(|b| b.identifier() == "data") {
            kinds.insert(block.labels()[0].as_str().to_string());
        }
    }
    assert!(kinds.contains("aws_lb"), "{kinds:?}");
    let tofu_step: BTreeSet<&str> = permissions::STEP_ACTIONS
        .iter()
        .find(|step| step.binary == "run-tofu")
        .expect("no run-tofu row")
        .calls
        .iter()
        .map(|(action, _)| *action)
        .collect();
    for (case, documents) in all_documents() {
        let granted: BTreeSet<String> = documents
            .iter()
            .filter(|d| ["lambda", "iam", "networking", "storage"].contains(&d.name))
            .flat_map(statements)
            .filter(|s| s["Effect"] == "Allow")
            .flat_map(|s| strings(&s["Action"]))
            .collect();
        for kind in &kinds {
            let (_, calls) = DATA_SOURCE_CALLS
                .iter()
                .find(|(name, _)| name == kind)
                .unwrap_or_else(|| {
                    panic!("data \"{kind}\": add the calls it makes to DATA_SOURCE_CALLS")
                });
            for action in *calls {
                assert!(
                    tofu_step.contains(action),
                    "data \"{kind}\" calls {action}: not in run-tofu's row of src/permissions.rs"
                );
                assert!(granted.contains(*action), "{case}: {action} not allowed");
            }
        }
    }
}

#[test]
fn actions_say_which_steps_run_as_the_read_role() {
    let out = iam_policy(&["actions", "--format", "json"]);
    assert!(out.status.success());
    let listed: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.len(), permissions::STEP_ACTIONS.len());
    for (entry, step) in listed.iter().zip(permissions::STEP_ACTIONS) {
        let access = match step.access {
            Access::Read => "read",
            Access::Write => "write",
        };
        assert_eq!(entry["access"], access, "{}", step.binary);
    }
    let out = iam_policy(&["actions"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("read-logs (permissions role, or the read-only role)"),
        "{text}"
    );
    assert!(text.contains("run-tofu (permissions role)\n"), "{text}");
}
