//! The rendered policies enforced by a real IAM evaluator: moto server in auth mode. An
//! agent user holding only the `assume` document assumes the permissions role (trusting it
//! by ARN, with an ExternalId); the role holds only the four rendered documents; calls the
//! policy allows succeed and calls outside it are denied (HTTP 403 / AccessDenied).
//!
//! Emulator limits (moto 5.x), worked around here and not in the product:
//! - moto authorizes with the real resource ARN only for S3 (bucket/object), IAM roles that
//!   exist, and sts:AssumeRole; every other service is checked against `Resource: "*"`, so a
//!   correctly scoped Allow (Lambda, ECR, Logs, Secrets Manager, ELB, Route 53) never
//!   matches there. Those services are not asserted; the unscoped APIs
//!   (`secretsmanager:ListSecrets`, `ec2:DescribeSubnets`) are. `tag:GetResources` and
//!   `cloudwatch:GetMetricData` are not: moto names them `tagging:GetResources` and
//!   `monitoring:GetMetricData` (endpoint prefixes), which no real policy grants.
//! - identity-policy Conditions are evaluated without request context (moto 5.2 passes no
//!   condition values for identity policies, and knows only StringEquals), so a statement's
//!   Condition never decides: `iam:PassedToService`, `iam:PolicyARN` and
//!   `iam:PermissionsBoundary` are not evaluated. moto also ignores a role's permissions
//!   boundary when it authorizes that role's calls. What the boundary condition stops
//!   (a role created or edited without the boundary) is therefore pinned on the documents
//!   in tests/it/iam_policy.rs, not here; here: the prefix narrowing, the Deny of removing a
//!   boundary, and that the step can put the boundary on a role that lacks it.
//! - IAM calls are authorized against the role's ARN only when the role exists: CreateRole
//!   is checked against `*`, which no role-scoped Allow matches, so moto refuses every
//!   CreateRole of this policy, with or without a boundary.
//! - Lambda GETs fail with SignatureDoesNotMatch in auth mode, `:root` principals are not
//!   honoured and a trust policy whose only principal is a Service crashes it: the roles
//!   here trust the agent user by ARN and no Lambda GET is made.
//! - an `sts:ExternalId` trust condition is checked against a wrong ExternalId but not
//!   enforced when the request has none; the test asserts the wrong-value case.
//! - Auth is switched on after set-up with moto's `/moto-api/reset-auth` (count 0).
//!
//! The read-only role (holding only the `read` document) is assumed the same way; it
//! reads an execution role and a target group's health, and is denied what the
//! permissions role is allowed (IAM writes, the state objects, the unscoped APIs no read
//! step calls). Its logs and metrics reads are not asserted here: logs are scoped to the
//! functions' log groups (moto checks `*`), and the tagging and CloudWatch APIs carry
//! the endpoint names described above.

use std::io::{Read, Write};
use std::process::Output;

use crate::common::MotoServer;
use lambda_scope::policy::{self, Document, PolicyInputs};
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012"; // moto's default account
const PERMISSIONS_ROLE: &str = "nullplatform-test-lambda-scope";
const AGENT_ROLE: &str = "nullplatform-test-agent-role";
const READ_ROLE: &str = "nullplatform-test-lambda-scope-read";
const EXTERNAL_ID: &str = "np-external-7d1e";
const STATE_BUCKET: &str = "acme-tofu-state";
/// An inline policy a role writes onto another (allowed on execution roles only).
const INLINE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}"#;

struct Creds {
    key: String,
    secret: String,
    token: Option<String>,
}

fn run_as(server: &MotoServer, creds: &Creds, args: &[&str]) -> Output {
    use std::os::unix::process::ExitStatusExt;
    let mut all: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    all.extend(["--output".to_string(), "json".to_string()]);
    let mut env: Vec<(String, String)> = [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", std::env::var("HOME").unwrap_or_default()),
        ("AWS_ENDPOINT_URL", server.endpoint()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_MAX_ATTEMPTS", "1".into()),
        ("AWS_ACCESS_KEY_ID", creds.key.clone()),
        ("AWS_SECRET_ACCESS_KEY", creds.secret.clone()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_string(), value))
    .collect();
    if let Some(token) = &creds.token {
        env.push(("AWS_SESSION_TOKEN".into(), token.clone()));
    }
    let (success, stdout, stderr) = crate::common::aws_cli_run(&all, &env);
    Output {
        status: std::process::ExitStatus::from_raw(if success { 0 } else { 1 << 8 }),
        stdout: stdout.into_bytes(),
        stderr: stderr.into_bytes(),
    }
}

fn allowed(server: &MotoServer, creds: &Creds, args: &[&str]) -> Value {
    let out = run_as(server, creds, args);
    assert!(
        out.status.success(),
        "expected {args:?} to be allowed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    }
}

/// Denied by IAM: the CLI reports the 403's error code (AccessDenied / not authorized).
fn denied(server: &MotoServer, creds: &Creds, args: &[&str]) {
    let out = run_as(server, creds, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "expected {args:?} to be denied, it succeeded"
    );
    assert!(
        stderr.contains("AccessDenied")
            || stderr.contains("is not authorized")
            || stderr.contains("403"),
        "{args:?} failed, but not with a 403 denial: {stderr}"
    );
    assert!(
        !stderr.contains("SignatureDoesNotMatch") && !stderr.contains("InvalidClientTokenId"),
        "{args:?}: an authentication error, not an authorization one: {stderr}"
    );
}

/// Turns IAM enforcement on from the next request (moto's reset-auth API).
fn enforce_iam(server: &MotoServer) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        stream,
        "POST /moto-api/reset-auth HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nConnection: close\r\n\r\n0"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "reset-auth: {response}"
    );
}

impl Creds {
    /// The session an `sts assume-role` answer carries.
    fn assumed(answer: &Value) -> Creds {
        let credentials = &answer["Credentials"];
        Creds {
            key: credentials["AccessKeyId"].as_str().unwrap().into(),
            secret: credentials["SecretAccessKey"].as_str().unwrap().into(),
            token: credentials["SessionToken"].as_str().map(String::from),
        }
    }
}

/// The inputs every test renders: this file's permissions role (and read role, when
/// given), with the agent's own role protected.
fn inputs(read_role: Option<&str>) -> PolicyInputs {
    let mut inputs = PolicyInputs::new(ACCOUNT, "us-east-1", STATE_BUCKET);
    inputs.permissions_role = PERMISSIONS_ROLE.into();
    inputs.read_role = read_role.map(String::from);
    inputs.protected_roles = vec![AGENT_ROLE.into()];
    inputs
}

/// The rendered document `name`, as the JSON text IAM is given.
fn document(documents: &[Document], name: &str) -> String {
    documents
        .iter()
        .find(|d| d.name == name)
        .unwrap()
        .policy
        .to_string()
}

/// Creates the IAM user `agent` holding only the `assume` document; its access key.
fn agent_user(server: &MotoServer, documents: &[Document]) -> Creds {
    server.aws(&["iam", "create-user", "--user-name", "agent"]);
    let key = server.aws(&["iam", "create-access-key", "--user-name", "agent"]);
    server.aws(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "agent",
        "--policy-name",
        "assume",
        "--policy-document",
        &document(documents, "assume"),
    ]);
    Creds {
        key: key["AccessKey"]["AccessKeyId"].as_str().unwrap().into(),
        secret: key["AccessKey"]["SecretAccessKey"].as_str().unwrap().into(),
        token: None,
    }
}

/// A trust policy letting the agent user (by ARN) assume a role, on `external_id` when given.
fn trust_agent(external_id: Option<&str>) -> String {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/agent")},
        "Action": "sts:AssumeRole",
    });
    if let Some(external_id) = external_id {
        statement["Condition"] = json!({"StringEquals": {"sts:ExternalId": external_id}});
    }
    json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
}

/// Creates role `name` with the trust policy `trust`; its ARN.
fn create_role(server: &MotoServer, name: &str, trust: &str) -> String {
    server.aws(&[
        "iam",
        "create-role",
        "--role-name",
        name,
        "--assume-role-policy-document",
        trust,
    ])["Role"]["Arn"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Creates a managed policy `lambda-scope-<name>` per rendered document and attaches it to `role`.
fn attach_documents(server: &MotoServer, documents: &[Document], role: &str, names: &[&str]) {
    for name in names {
        let created = server.aws(&[
            "iam",
            "create-policy",
            "--policy-name",
            &format!("lambda-scope-{name}"),
            "--policy-document",
            &document(documents, name),
        ]);
        server.aws(&[
            "iam",
            "attach-role-policy",
            "--role-name",
            role,
            "--policy-arn",
            created["Policy"]["Arn"].as_str().unwrap(),
        ]);
    }
}

/// Writes a small state object's body in `dir`; its path.
fn state_body(dir: &tempfile::TempDir) -> String {
    let body = dir.path().join("state.json");
    std::fs::write(&body, r#"{"version":4}"#).unwrap();
    body.to_str().unwrap().to_string()
}

/// `sts assume-role` of `arn` as session `session`, with `external_id` when given.
fn assume_role<'a>(arn: &'a str, session: &'a str, external_id: Option<&'a str>) -> Vec<&'a str> {
    let mut args = vec![
        "sts",
        "assume-role",
        "--role-arn",
        arn,
        "--role-session-name",
        session,
    ];
    if let Some(external_id) = external_id {
        args.extend(["--external-id", external_id]);
    }
    args
}

fn put_object<'a>(bucket: &'a str, key: &'a str, body: &'a str) -> Vec<&'a str> {
    vec![
        "s3api",
        "put-object",
        "--bucket",
        bucket,
        "--key",
        key,
        "--body",
        body,
    ]
}

fn get_object<'a>(bucket: &'a str, key: &'a str, out: &'a str) -> Vec<&'a str> {
    vec!["s3api", "get-object", "--bucket", bucket, "--key", key, out]
}

fn delete_object<'a>(bucket: &'a str, key: &'a str) -> Vec<&'a str> {
    vec!["s3api", "delete-object", "--bucket", bucket, "--key", key]
}

fn get_role(role: &str) -> [&str; 4] {
    ["iam", "get-role", "--role-name", role]
}

fn put_role_policy<'a>(role: &'a str, name: &'a str, policy: &'a str) -> Vec<&'a str> {
    vec![
        "iam",
        "put-role-policy",
        "--role-name",
        role,
        "--policy-name",
        name,
        "--policy-document",
        policy,
    ]
}

#[test]
fn a_role_holding_only_the_rendered_policy_can_do_its_work_and_nothing_else() {
    let server = MotoServer::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "100000")]);

    // --- set-up, before IAM is enforced ------------------------------------------
    let documents = policy::render(&inputs(None)).unwrap();
    let agent = agent_user(&server, &documents);
    let role_arn = create_role(&server, PERMISSIONS_ROLE, &trust_agent(Some(EXTERNAL_ID)));
    attach_documents(
        &server,
        &documents,
        PERMISSIONS_ROLE,
        &["lambda", "iam", "networking", "storage"],
    );
    for role in ["np-lambda-orders-role", AGENT_ROLE, "other-team-role"] {
        create_role(&server, role, &trust_agent(None));
    }
    for bucket in [STATE_BUCKET, "other-team-bucket"] {
        server.aws(&["s3api", "create-bucket", "--bucket", bucket]);
    }
    let dir = tempfile::tempdir().unwrap();
    let body = &state_body(&dir);
    server.aws(&put_object("other-team-bucket", "secret.txt", body));

    enforce_iam(&server);

    // --- the agent: may assume the permissions role (with the ExternalId), nothing else
    let session = "np-lambda-1234";
    // (moto does not enforce the condition when the ExternalId is missing altogether.)
    denied(
        &server,
        &agent,
        &assume_role(&role_arn, session, Some("not-the-issued-one")),
    );
    denied(
        &server,
        &agent,
        &assume_role(
            &format!("arn:aws:iam::{ACCOUNT}:role/other-team-role"),
            session,
            None,
        ),
    );
    denied(&server, &agent, &["s3api", "list-buckets"]);
    let role = Creds::assumed(&allowed(
        &server,
        &agent,
        &assume_role(&role_arn, session, Some(EXTERNAL_ID)),
    ));
    let me = allowed(&server, &role, &["sts", "get-caller-identity"]);
    assert_eq!(
        me["Arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/{PERMISSIONS_ROLE}/{session}")
    );

    // --- tofu state: the state and lock objects of a scope, nothing else of the bucket
    let state_key = "lambda/1234/terraform.tfstate";
    let lock_key = "lambda/1234/terraform.tfstate.tflock";
    allowed(
        &server,
        &role,
        &["s3api", "list-objects-v2", "--bucket", STATE_BUCKET],
    );
    allowed(&server, &role, &put_object(STATE_BUCKET, state_key, body));
    allowed(&server, &role, &put_object(STATE_BUCKET, lock_key, body));
    allowed(
        &server,
        &role,
        &get_object(
            STATE_BUCKET,
            state_key,
            &dir.path().join("out").display().to_string(),
        ),
    );
    allowed(&server, &role, &delete_object(STATE_BUCKET, lock_key));
    denied(&server, &role, &delete_object(STATE_BUCKET, state_key));
    denied(
        &server,
        &role,
        &put_object(STATE_BUCKET, "other/terraform.tfstate", body),
    );
    denied(
        &server,
        &role,
        &get_object(
            "other-team-bucket",
            "secret.txt",
            &dir.path().join("out2").display().to_string(),
        ),
    );
    denied(
        &server,
        &role,
        &["s3api", "list-objects-v2", "--bucket", "other-team-bucket"],
    );
    denied(&server, &role, &["s3api", "list-buckets"]);

    // --- IAM: execution roles by prefix; never the scope's own roles, never others
    allowed(&server, &role, &get_role("np-lambda-orders-role"));
    allowed(
        &server,
        &role,
        &put_role_policy("np-lambda-orders-role", "logs", INLINE),
    );
    denied(&server, &role, &get_role("other-team-role"));
    for protected in [PERMISSIONS_ROLE, AGENT_ROLE] {
        // Outside the execution-role prefix, and denied outright besides.
        denied(
            &server,
            &role,
            &put_role_policy(protected, "escalate", INLINE),
        );
        denied(&server, &role, &get_role(protected));
    }
    denied(
        &server,
        &role,
        &["iam", "create-user", "--user-name", "intruder"],
    );
    denied(&server, &role, &["iam", "list-roles"]);

    // --- APIs without resource-level permissions that steps call
    allowed(&server, &role, &["ec2", "describe-subnets"]);
    allowed(&server, &role, &["secretsmanager", "list-secrets"]);

    // --- calls no step makes
    denied(&server, &role, &["kms", "list-keys"]);
    denied(&server, &role, &["dynamodb", "list-tables"]);
    denied(&server, &role, &["ecr", "describe-repositories"]);
    denied(&server, &role, &["sns", "list-topics"]);
}

#[test]
fn execution_role_writes_stay_on_execution_roles_and_the_boundary_stays_on() {
    let server = MotoServer::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "100000")]);
    let inputs = inputs(None);
    let documents = policy::render(&inputs).unwrap();
    let agent = agent_user(&server, &documents);
    let trust_agent = trust_agent(None);
    let boundary = server.aws(&[
        "iam",
        "create-policy",
        "--policy-name",
        "lambda-scope-boundary",
        "--policy-document",
        &document(&documents, "boundary"),
    ])["Policy"]["Arn"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(boundary, inputs.permissions_boundary);
    let role_arn = create_role(&server, PERMISSIONS_ROLE, &trust_agent);
    attach_documents(
        &server,
        &documents,
        PERMISSIONS_ROLE,
        &["lambda", "iam", "networking", "storage"],
    );
    let other_scope_role = "nullplatform-k8s-scope-7-role";
    server.aws(&[
        "iam",
        "create-role",
        "--role-name",
        "np-lambda-orders-role",
        "--assume-role-policy-document",
        &trust_agent,
        "--permissions-boundary",
        &boundary,
    ]);
    for role in ["np-lambda-legacy-role", other_scope_role] {
        create_role(&server, role, &trust_agent);
    }

    enforce_iam(&server);

    let role = Creds::assumed(&allowed(
        &server,
        &agent,
        &assume_role(&role_arn, "np-lambda-7", None),
    ));
    let admin =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

    // Other scopes' roles share the nullplatform- prefix: no longer reachable at all.
    denied(&server, &role, &get_role(other_scope_role));
    denied(
        &server,
        &role,
        &put_role_policy(other_scope_role, "escalate", admin),
    );
    denied(
        &server,
        &role,
        &[
            "iam",
            "update-assume-role-policy",
            "--role-name",
            other_scope_role,
            "--policy-document",
            &trust_agent,
        ],
    );
    // A role the scope made before boundaries gets one (update-scope's apply) ...
    allowed(
        &server,
        &role,
        &[
            "iam",
            "put-role-permissions-boundary",
            "--role-name",
            "np-lambda-legacy-role",
            "--permissions-boundary",
            &boundary,
        ],
    );
    let legacy = allowed(&server, &role, &get_role("np-lambda-legacy-role"));
    assert_eq!(
        legacy["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"],
        boundary.as_str()
    );
    // ... and no role loses it.
    for execution_role in ["np-lambda-orders-role", "np-lambda-legacy-role"] {
        denied(
            &server,
            &role,
            &[
                "iam",
                "delete-role-permissions-boundary",
                "--role-name",
                execution_role,
            ],
        );
    }
    // (moto checks CreateRole against `*`: refused whatever the boundary, see above.)
    denied(
        &server,
        &role,
        &[
            "iam",
            "create-role",
            "--role-name",
            "np-lambda-unbounded-role",
            "--assume-role-policy-document",
            &trust_agent,
        ],
    );
    // The boundary policy itself cannot be given a wider default version.
    denied(
        &server,
        &role,
        &[
            "iam",
            "create-policy-version",
            "--policy-arn",
            &boundary,
            "--policy-document",
            admin,
            "--set-as-default",
        ],
    );
}

#[test]
fn the_read_role_reads_and_is_denied_every_write() {
    let server = MotoServer::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "100000")]);
    let inputs = inputs(Some(READ_ROLE));
    let mut documents = policy::render(&inputs).unwrap();
    documents.extend(policy::render_read(&inputs).unwrap());
    let agent = agent_user(&server, &documents);
    // Both roles trust the agent the same way: by ARN, with the ExternalId.
    let trust = trust_agent(Some(EXTERNAL_ID));
    let permissions_arn = create_role(&server, PERMISSIONS_ROLE, &trust);
    attach_documents(
        &server,
        &documents,
        PERMISSIONS_ROLE,
        &["lambda", "iam", "networking", "storage"],
    );
    let read_arn = create_role(&server, READ_ROLE, &trust);
    attach_documents(&server, &documents, READ_ROLE, &["read"]);
    create_role(&server, "np-lambda-orders-role", &trust);
    server.aws(&["s3api", "create-bucket", "--bucket", STATE_BUCKET]);
    let dir = tempfile::tempdir().unwrap();
    let body = &state_body(&dir);
    let state_key = "lambda/1234/terraform.tfstate";
    server.aws(&put_object(STATE_BUCKET, state_key, body));
    let target_group = server.aws(&[
        "elbv2",
        "create-target-group",
        "--name",
        "np-lambda-1234",
        "--target-type",
        "lambda",
    ])["TargetGroups"][0]["TargetGroupArn"]
        .as_str()
        .unwrap()
        .to_string();

    enforce_iam(&server);

    let assume = |arn: &str, external_id: &str| {
        run_as(
            &server,
            &agent,
            &assume_role(arn, "np-lambda-1234", Some(external_id)),
        )
    };
    let session = |out: Output| -> Creds {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Creds::assumed(&serde_json::from_slice(&out.stdout).unwrap())
    };
    // The ExternalId guards the read role as it guards the permissions role.
    let wrong = assume(&read_arn, "not-the-issued-one");
    assert!(
        !wrong.status.success(),
        "the read role was assumed with a wrong ExternalId"
    );
    let read = session(assume(&read_arn, EXTERNAL_ID));
    let write = session(assume(&permissions_arn, EXTERNAL_ID));
    let me = allowed(&server, &read, &["sts", "get-caller-identity"]);
    assert_eq!(
        me["Arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/{READ_ROLE}/np-lambda-1234")
    );

    // What diagnose reads, where moto authorizes with the real ARN or `*`.
    allowed(&server, &read, &get_role("np-lambda-orders-role"));
    allowed(
        &server,
        &read,
        &[
            "elbv2",
            "describe-target-health",
            "--target-group-arn",
            &target_group,
        ],
    );

    // Every write: the permissions role may, the read role may not.
    let writes: [Vec<&str>; 3] = [
        put_role_policy("np-lambda-orders-role", "logs", INLINE),
        vec![
            "iam",
            "tag-role",
            "--role-name",
            "np-lambda-orders-role",
            "--tags",
            "Key=owner,Value=read-role",
        ],
        put_object(STATE_BUCKET, state_key, body),
    ];
    for args in &writes {
        denied(&server, &read, args);
        allowed(&server, &write, args);
    }
    // Reads the read workflows never make: the state, secrets, VPC lookups.
    let out = dir.path().join("out").display().to_string();
    for args in [
        get_object(STATE_BUCKET, state_key, out.as_str()),
        vec!["s3api", "list-objects-v2", "--bucket", STATE_BUCKET],
        vec!["secretsmanager", "list-secrets"],
        vec!["ec2", "describe-subnets"],
        vec!["elbv2", "describe-target-groups"],
    ] {
        denied(&server, &read, &args);
        allowed(&server, &write, &args);
    }
    // Writes no role may make here.
    denied(
        &server,
        &read,
        &[
            "lambda",
            "update-function-code",
            "--function-name",
            "np-lambda-1234",
            "--image-uri",
            &format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/app:v2"),
        ],
    );
    denied(
        &server,
        &read,
        &["iam", "delete-role", "--role-name", "np-lambda-orders-role"],
    );
    denied(&server, &read, &get_role(PERMISSIONS_ROLE));
    denied(&server, &write, &get_role(READ_ROLE));
    denied(
        &server,
        &write,
        &put_role_policy(READ_ROLE, "escalate", INLINE),
    );
}
