//! Least-privilege IAM policy documents, rendered from the one permissions table
//! (`permissions::STEP_ACTIONS`) for concrete values: account, region, state bucket,
//! role-name prefixes, repositories, secret prefix. Also the `iam-policy` command line.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{json, Value};

use crate::permissions::{self, Access, Caller, Res, StepPermissions};
use crate::report::StepError;

/// IAM's size limit for a managed policy document.
pub const MAX_POLICY_CHARS: usize = 6_144;

/// The AWS managed policies the agent may detach from execution roles (roles made
/// before the scope wrote its own log policy had the basic one attached).
pub const LAMBDA_MANAGED_POLICIES: [&str; 2] = [
    "arn:{partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:{partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
];

/// The one managed policy the agent may attach (VPC-enabled scopes): its network
/// interface calls have no resource-level permissions to write a narrower policy with.
pub const ATTACHABLE_MANAGED_POLICIES: [&str; 1] =
    ["arn:{partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"];

/// The documents, in order: four for the permissions role (split to stay under the
/// managed-policy size limit), one for the agent role, and the permissions boundary
/// every execution role gets.
pub const DOCUMENTS: [&str; 6] = [
    "lambda",
    "iam",
    "networking",
    "storage",
    "assume",
    "boundary",
];

/// The read-only role's one document: the calls of the steps that run in read-only
/// workflows, every one of them a read.
pub const READ_DOCUMENT: &str = "read";

/// Name prefixes that also match roles the scope must never touch: nullplatform names
/// its agent role, other scopes' roles and (by default) this scope's permissions role
/// `nullplatform-*`.
const SHARED_ROLE_PREFIX: &str = "nullplatform-";

/// Which document an action belongs in.
fn document_of(caller: Caller, action: &str) -> &'static str {
    if caller == Caller::Agent {
        return "assume";
    }
    match action.split_once(':').map(|(service, _)| service) {
        Some("iam") => "iam",
        Some("apigateway" | "elasticloadbalancing" | "route53") => "networking",
        Some("ecr" | "secretsmanager" | "logs" | "s3") => "storage",
        _ => "lambda",
    }
}

/// Sid of the statement that holds the actions on one kind of resource.
fn sid(res: Res) -> String {
    match res {
        Res::Unscoped => "NoResourceLevelPermissions".to_string(),
        other => format!("{other:?}"),
    }
}

/// The condition that narrows a kind of resource further, if any.
fn condition(res: Res) -> Option<Value> {
    match res {
        Res::PassExecutionRole => Some(json!({
            "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}
        })),
        Res::ExecutionRoleManagedPolicy => Some(json!({
            "ArnEquals": {"iam:PolicyARN": LAMBDA_MANAGED_POLICIES}
        })),
        Res::BoundedExecutionRole => Some(json!({
            "StringEquals": {"iam:PermissionsBoundary": "{permissions_boundary}"}
        })),
        Res::BoundedManagedPolicy => Some(json!({
            "ArnEquals": {"iam:PolicyARN": ATTACHABLE_MANAGED_POLICIES},
            "StringEquals": {"iam:PermissionsBoundary": "{permissions_boundary}"}
        })),
        _ => None,
    }
}

/// The permissions boundary of every execution role: the most a scope's function may
/// ever do, whatever policy is written onto its role. One document for all scopes, so
/// it names the functions' log groups and parameters secrets by prefix; each role's own
/// policy narrows them to its function and scope (`tofu/iam`).
fn boundary_template() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FunctionLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [
                    "arn:{partition}:logs:{region}:{account}:log-group:/aws/lambda/*",
                    "arn:{partition}:logs:{region}:{account}:log-group:/aws/lambda/*:*",
                ],
            },
            {
                "Sid": "FunctionParameters",
                "Effect": "Allow",
                "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                "Resource": ["arn:{partition}:secretsmanager:{region}:{account}:secret:{secret_prefix}*"],
            },
            {
                // What AWSLambdaVPCAccessExecutionRole grants (VPC-enabled scopes only get it).
                "Sid": "VpcNetworkInterfaces",
                "Effect": "Allow",
                "Action": [
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:CreateNetworkInterface",
                    "ec2:DeleteNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                "Resource": ["*"],
            },
            {
                "Sid": "XRayWrites",
                "Effect": "Allow",
                "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
                "Resource": ["*"],
            },
        ],
    })
}

/// The documents with `{placeholder}` resources, exactly as derived from the table.
/// `specs/tofu/modules/policy-documents/policy-templates.json` is this value; the install module expands it
/// the same way [`render`] does.
pub fn templates() -> BTreeMap<&'static str, Value> {
    templates_from(permissions::STEP_ACTIONS)
}

fn templates_from(table: &[StepPermissions]) -> BTreeMap<&'static str, Value> {
    // document → resource kind → actions
    let mut grouped: BTreeMap<&str, BTreeMap<Res, Vec<&str>>> = BTreeMap::new();
    let mut add = |document: &'static str, action: &'static str, res: Res| {
        let actions = grouped.entry(document).or_default().entry(res).or_default();
        if !actions.contains(&action) {
            actions.push(action);
        }
    };
    for step in table {
        for (action, res) in step.calls {
            add(document_of(step.caller, action), action, *res);
            if step.runs_as_read_role() {
                add(READ_DOCUMENT, action, *res);
            }
        }
    }
    DOCUMENTS
        .iter()
        .chain(std::iter::once(&READ_DOCUMENT))
        .filter_map(|name| {
            let by_res = grouped.get(name)?;
            let mut statements = allow_statements(by_res);
            if *name == "iam" {
                statements.push(protect_scope_roles(by_res));
                statements.extend(protect_the_boundary());
            }
            Some((
                *name,
                json!({"Version": "2012-10-17", "Statement": statements}),
            ))
        })
        .chain(std::iter::once(("boundary", boundary_template())))
        .collect()
}

/// One Allow statement per kind of resource, its actions sorted.
fn allow_statements(by_res: &BTreeMap<Res, Vec<&str>>) -> Vec<Value> {
    by_res
        .iter()
        .map(|(res, actions)| {
            let mut actions = actions.clone();
            actions.sort();
            let mut statement = json!({
                "Sid": sid(*res),
                "Effect": "Allow",
                "Action": actions,
                "Resource": res.patterns(),
            });
            if let Some(condition) = condition(*res) {
                statement["Condition"] = condition;
            }
            statement
        })
        .collect()
}

/// The actions a read-only document allows that are not reads by
/// [`Access::of_action`] — none, or the document must not be given to the read role.
pub fn write_actions(document: &Value) -> Vec<String> {
    let mut writes: Vec<String> = document["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|statement| statement["Effect"] == "Allow")
        .flat_map(|statement| match &statement["Action"] {
            Value::String(action) => vec![action.clone()],
            Value::Array(actions) => actions
                .iter()
                .map(|a| a.as_str().unwrap_or_default().to_string())
                .collect(),
            _ => Vec::new(),
        })
        .filter(|action| Access::of_action(action) != Access::Read)
        .collect();
    writes.sort();
    writes.dedup();
    writes
}

/// The guard between the table and the read-only role: a document with a write in it
/// is an error, never a policy.
fn check_read_only(name: &str, document: &Value) -> Result<(), StepError> {
    let writes = write_actions(document);
    if writes.is_empty() {
        return Ok(());
    }
    Err(StepError::new(format!(
        "the {name} document would allow actions that are not reads: {}",
        writes.join(", ")
    ))
    .cause("a step marked Access::Read in src/permissions.rs calls an action whose verb is not Get, BatchGet, List, Describe, Filter or Lookup (or one that hands out credentials or secrets)")
    .fix("drop that call from the step, or take the step out of the read-only workflows (ASSUME_ROLE_ACCESS: read) and mark it Access::Write"))
}

/// No execution role loses its boundary, and the boundary policy itself cannot be
/// rewritten (a new default version would lift the ceiling of every role at once).
fn protect_the_boundary() -> [Value; 2] {
    [
        json!({
            "Sid": "KeepThePermissionsBoundary",
            "Effect": "Deny",
            "Action": ["iam:DeleteRolePermissionsBoundary"],
            "Resource": ["arn:{partition}:iam::{account}:role/*"],
        }),
        json!({
            "Sid": "ProtectTheBoundaryPolicy",
            "Effect": "Deny",
            "Action": [
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
            "Resource": ["{permissions_boundary}"],
        }),
    ]
}

/// Defence in depth beside the prefix checks of [`PolicyInputs::validate`]: an explicit
/// Deny keeps every IAM action of the table off the permissions role itself, the
/// read-only role and the agent's role, so the scope can never widen its own permissions
/// or pass those roles to a function, whatever prefixes are configured.
fn protect_scope_roles(by_res: &BTreeMap<Res, Vec<&str>>) -> Value {
    let mut actions: Vec<&str> = by_res.values().flatten().copied().collect();
    actions.sort();
    actions.dedup();
    json!({
        "Sid": "ProtectScopeRoles",
        "Effect": "Deny",
        "Action": actions,
        "Resource": [
            "arn:{partition}:iam::{account}:role/{permissions_role}",
            "arn:{partition}:iam::{account}:role/{read_role}",
            "arn:{partition}:iam::{account}:role/{protected_role}",
        ],
    })
}

/// The concrete values a policy is rendered for; check them with [`PolicyInputs::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInputs {
    pub account: String,
    pub region: String,
    pub state_bucket: String,
    /// Key prefix of the scopes' state objects (`lambda/` → `lambda/<scope id>/terraform.tfstate`).
    pub state_key_prefix: String,
    pub execution_role_prefixes: Vec<String>,
    pub ecr_repositories: Vec<String>,
    pub secret_prefix: String,
    pub assets_buckets: Vec<String>,
    pub hosted_zone_ids: Vec<String>,
    /// Accounts whose Lambda layers functions may use, besides `account`.
    pub layer_accounts: Vec<String>,
    /// Name of the permissions role the agent assumes.
    pub permissions_role: String,
    /// Name of the read-only role read workflows assume, if there is one: the agent may
    /// assume it too, and the IAM document denies every IAM action on it.
    pub read_role: Option<String>,
    /// Other roles the scope must never touch (the agent's own role).
    pub protected_roles: Vec<String>,
    /// ARN of the permissions boundary every execution role must carry.
    pub permissions_boundary: String,
}

impl PolicyInputs {
    /// Inputs with the documented defaults for everything but the three required values.
    pub fn new(account: &str, region: &str, state_bucket: &str) -> Self {
        PolicyInputs {
            account: account.to_string(),
            region: region.to_string(),
            state_bucket: state_bucket.to_string(),
            state_key_prefix: "lambda/".to_string(),
            execution_role_prefixes: vec!["np-lambda-".to_string()],
            ecr_repositories: vec!["*".to_string()],
            secret_prefix: "nullplatform/".to_string(),
            assets_buckets: Vec::new(),
            hosted_zone_ids: vec!["*".to_string()],
            layer_accounts: Vec::new(),
            permissions_role: "nullplatform-lambda-scope".to_string(),
            read_role: None,
            protected_roles: Vec::new(),
            permissions_boundary: format!(
                "arn:{}:iam::{account}:policy/lambda-scope-boundary",
                partition_of(region)
            ),
        }
    }

    /// `aws`, `aws-cn` or `aws-us-gov`, from the region.
    pub fn partition(&self) -> &'static str {
        partition_of(&self.region)
    }

    /// Checks every value before anything is rendered; a bad value is a usage error.
    pub fn validate(&self) -> Result<(), StepError> {
        check_account("--account", &self.account)?;
        for account in &self.layer_accounts {
            check_account("--layer-account", account)?;
        }
        let region_ok = {
            let parts: Vec<&str> = self.region.split('-').collect();
            parts.len() >= 3
                && parts.iter().all(|p| !p.is_empty())
                && parts[..parts.len() - 1]
                    .iter()
                    .all(|p| p.chars().all(|c| c.is_ascii_lowercase()))
                && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        };
        if !region_ok {
            return Err(bad(
                "--region",
                &self.region,
                "an AWS region code such as us-east-1 or eu-west-2",
            ));
        }
        for bucket in std::iter::once(&self.state_bucket).chain(&self.assets_buckets) {
            let ok = (3..=63).contains(&bucket.len())
                && bucket
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
                && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
                && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
            if !ok {
                return Err(bad(
                    "--state-bucket/--assets-bucket",
                    bucket,
                    "an S3 bucket name: 3-63 lowercase letters, digits, '-' or '.'",
                ));
            }
        }
        let key_ok = self.state_key_prefix.is_empty()
            || (self.state_key_prefix.ends_with('/')
                && self
                    .state_key_prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)));
        if !key_ok {
            return Err(bad(
                "--state-key-prefix",
                &self.state_key_prefix,
                "empty or a key prefix ending in '/' (letters, digits, '-', '_', '.', '/')",
            ));
        }
        if self.execution_role_prefixes.is_empty() {
            return Err(StepError::new("no --execution-role-prefix given")
                .fix("pass at least one prefix, e.g. --execution-role-prefix np-lambda-")
                .usage());
        }
        for prefix in &self.execution_role_prefixes {
            let ok = !prefix.is_empty()
                && prefix.len() <= 32
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
            if !ok {
                return Err(bad(
                    "--execution-role-prefix",
                    prefix,
                    "1-32 characters of an IAM role name (letters, digits, +=,.@_-), no wildcard",
                ));
            }
        }
        check_name(
            "--permissions-role-name",
            &self.permissions_role,
            64,
            "+=,.@_-",
        )?;
        for role in &self.protected_roles {
            check_name("--agent-role-name", role, 64, "+=,.@_-")?;
        }
        if let Some(read_role) = &self.read_role {
            check_name("--read-role-name", read_role, 64, "+=,.@_-")?;
            if *read_role == self.permissions_role || self.protected_roles.contains(read_role) {
                return Err(StepError::new(format!(
                    "invalid --read-role-name {read_role:?}: it is the name of another of the scope's roles"
                ))
                .cause("the read-only role must be a role of its own, holding only the read document")
                .fix("give the read-only role its own name, e.g. --read-role-name nullplatform-lambda-scope-read")
                .usage());
            }
        }
        for prefix in &self.execution_role_prefixes {
            let shared = SHARED_ROLE_PREFIX.starts_with(prefix.as_str());
            let matched = std::iter::once(&self.permissions_role)
                .chain(&self.read_role)
                .chain(&self.protected_roles)
                .find(|role| role.starts_with(prefix.as_str()));
            if shared || matched.is_some() {
                let what = match matched {
                    Some(role) => format!("it matches the role {role:?}, which the scope must never modify or pass"),
                    None => format!("{SHARED_ROLE_PREFIX}* also matches the agent's role, other scopes' roles and the permissions role"),
                };
                return Err(StepError::new(format!(
                    "invalid --execution-role-prefix {prefix:?}: it covers roles that are not execution roles"
                ))
                .cause(what)
                .fix("give a prefix only the functions' execution roles use, e.g. --execution-role-prefix np-lambda-")
                .usage());
            }
        }
        if let Err(reason) = check_boundary_arn(&self.permissions_boundary) {
            return Err(bad(
                "--permissions-boundary-arn",
                &self.permissions_boundary,
                &reason,
            ));
        }
        let boundary_account = self.permissions_boundary.split(':').nth(4);
        if boundary_account != Some(self.account.as_str()) {
            return Err(bad(
                "--permissions-boundary-arn",
                &self.permissions_boundary,
                &format!("a policy of the scopes' account {}", self.account),
            ));
        }
        for repo in &self.ecr_repositories {
            let ok = repo == "*"
                || (!repo.is_empty()
                    && repo.len() <= 256
                    && repo.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || "._/-*".contains(c)
                    }));
            if !ok {
                return Err(bad(
                    "--ecr-repository",
                    repo,
                    "an ECR repository name (lowercase, digits, '.', '_', '/', '-'; '*' as a wildcard)",
                ));
            }
        }
        for zone in &self.hosted_zone_ids {
            let ok = zone == "*"
                || (!zone.is_empty()
                    && zone
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
            if !ok {
                return Err(bad(
                    "--hosted-zone-id",
                    zone,
                    "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (without /hostedzone/)",
                ));
            }
        }
        let secret_ok = !self.secret_prefix.is_empty()
            && self
                .secret_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
        if !secret_ok {
            return Err(bad(
                "--secret-prefix",
                &self.secret_prefix,
                "a Secrets Manager name prefix (letters, digits, /_+=.@-), no wildcard",
            ));
        }
        Ok(())
    }

    fn scalars(&self) -> [(&'static str, String); 8] {
        [
            // First: the boundary's ARN holds no placeholder, the others may hold its parts.
            ("{permissions_boundary}", self.permissions_boundary.clone()),
            ("{partition}", self.partition().to_string()),
            ("{account}", self.account.clone()),
            ("{region}", self.region.clone()),
            ("{permissions_role}", self.permissions_role.clone()),
            ("{state_bucket}", self.state_bucket.clone()),
            ("{state_key_prefix}", self.state_key_prefix.clone()),
            ("{secret_prefix}", self.secret_prefix.clone()),
        ]
    }

    fn lists(&self) -> [(&'static str, Vec<String>); 7] {
        let mut layer_accounts = vec![self.account.clone()];
        for account in &self.layer_accounts {
            if !layer_accounts.contains(account) {
                layer_accounts.push(account.clone());
            }
        }
        [
            ("{layer_account}", layer_accounts),
            (
                "{execution_role_prefix}",
                self.execution_role_prefixes.clone(),
            ),
            ("{hosted_zone_id}", self.hosted_zone_ids.clone()),
            ("{assets_bucket}", self.assets_buckets.clone()),
            ("{ecr_repository}", self.ecr_repositories.clone()),
            ("{read_role}", self.read_role.iter().cloned().collect()),
            ("{protected_role}", self.protected_roles.clone()),
        ]
    }
}

/// `aws`, `aws-cn` or `aws-us-gov`, from a region code.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Checks the shape of a permissions boundary ARN:
/// `arn:<partition>:iam::<12-digit account>:policy/[<path>/]<name>`. The reason it
/// is not one otherwise (what it must be).
pub fn check_boundary_arn(arn: &str) -> Result<(), String> {
    let expected = "an IAM policy ARN, arn:<partition>:iam::<12-digit account>:policy/<name>";
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [scheme, partition, service, region, account, resource] = parts[..] else {
        return Err(expected.to_string());
    };
    let name_ok = resource.strip_prefix("policy/").is_some_and(|path| {
        !path.is_empty()
            && path.len() <= 640
            && !path.starts_with('/')
            && !path.ends_with('/')
            && !path.contains("//")
            && path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
    });
    let ok = scheme == "arn"
        && matches!(partition, "aws" | "aws-cn" | "aws-us-gov")
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && name_ok;
    if ok {
        Ok(())
    } else {
        Err(expected.to_string())
    }
}

/// Where the execution role's boundary is configured, first match wins: the
/// scope-configurations key, the operator's variable, and the variable the install
/// module's notification channel sets to the boundary its policies require.
pub const BOUNDARY_CONFIG_PATH: &str =
    r#".providers["scope-configurations"].lambda.permissions_boundary"#;
pub const BOUNDARY_ENV: &str = "IAM_PERMISSIONS_BOUNDARY";
pub const BOUNDARY_INSTALLED_ENV: &str = "IAM_PERMISSIONS_BOUNDARY_DEFAULT";

/// The permissions boundary ARN the scope's execution role gets, checked: from
/// `document` (CONTEXT) and `env` by [`BOUNDARY_CONFIG_PATH`] > [`BOUNDARY_ENV`] >
/// [`BOUNDARY_INSTALLED_ENV`]. None configured, or a value that is not an IAM policy
/// ARN, is a ❌ — never a role without a boundary.
pub fn execution_role_boundary(
    document: &Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, StepError> {
    let resolved = crate::config::Setting::new()
        .jq(BOUNDARY_CONFIG_PATH)
        .env(BOUNDARY_ENV)
        .env(BOUNDARY_INSTALLED_ENV)
        .resolve_in(document, env)?;
    let fix = format!(
        "set scope-configurations `lambda.permissions_boundary` (or {BOUNDARY_ENV} in values.yaml) to the boundary policy's ARN, e.g. the install module's output execution_role_permissions_boundary_arn"
    );
    let Some(resolved) = resolved else {
        return Err(StepError::new("no permissions boundary is configured for the execution role")
            .cause(format!(
                "the permissions role may create and edit execution roles only with a permissions boundary; the install module puts its ARN in the notification channel as {BOUNDARY_INSTALLED_ENV}"
            ))
            .cause("the notification channel was registered by an older install module, or the workflow runs outside the agent")
            .fix(fix)
            .fix("or re-apply the install module (specs/tofu) so the channel carries it")
            .usage());
    };
    let value = resolved.value.trim().to_string();
    if let Err(expected) = check_boundary_arn(&value) {
        return Err(StepError::new(format!(
            "the permissions boundary {value:?} (from {}) is not an IAM policy ARN",
            match &resolved.source {
                crate::config::Source::Context(_) =>
                    "scope-configurations lambda.permissions_boundary".to_string(),
                other => other.to_string(),
            }
        ))
        .cause(format!("it must be {expected}"))
        .fix(fix)
        .usage());
    }
    if let Some(installed) = env(BOUNDARY_INSTALLED_ENV).filter(|arn| !arn.is_empty()) {
        if installed != value {
            crate::step::warn(format!(
                "permissions boundary {value} differs from the one the install module's policies require ({installed}): creating the execution role will be denied"
            ));
        }
    }
    crate::step::progress(format!("🛡️ execution role permissions boundary: {value}"));
    Ok(value)
}

fn check_account(flag: &str, account: &str) -> Result<(), StepError> {
    if account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(bad(flag, account, "a 12-digit AWS account id"))
    }
}

fn check_name(flag: &str, value: &str, max: usize, extra: &str) -> Result<(), StepError> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c));
    if ok {
        Ok(())
    } else {
        Err(bad(
            flag,
            value,
            &format!("1-{max} letters, digits or {extra}"),
        ))
    }
}

fn bad(flag: &str, value: &str, expected: &str) -> StepError {
    StepError::new(format!("invalid {flag} {value:?}"))
        .cause(format!("{flag} must be {expected}"))
        .fix(format!("pass {flag} with {expected}"))
        .usage()
}

/// One rendered document: its name and the policy JSON.
#[derive(Debug, Clone)]
pub struct Document {
    pub name: &'static str,
    pub policy: Value,
}

impl Document {
    /// The document as written to its file (pretty, as IAM shows it).
    pub fn text(&self) -> String {
        serde_json::to_string_pretty(&self.policy).expect("a JSON value always serializes")
    }
}

/// Expands one resource pattern over the list placeholder it contains (at most one).
fn expand(pattern: &str, lists: &[(&'static str, Vec<String>)]) -> Vec<String> {
    for (key, values) in lists {
        if pattern.contains(key) {
            return values.iter().map(|v| pattern.replace(key, v)).collect();
        }
    }
    vec![pattern.to_string()]
}

/// Renders the permissions role's documents, the agent's `assume` document and the
/// execution roles' boundary ([`DOCUMENTS`], in that order) for concrete, validated
/// inputs: list placeholders expand to one resource per value (a statement left without
/// resources is dropped), then scalars are filled in everywhere.
pub fn render(inputs: &PolicyInputs) -> Result<Vec<Document>, StepError> {
    render_named(inputs, &DOCUMENTS)
}

/// Renders the read-only role's document ([`READ_DOCUMENT`]) as [`render`] does, and
/// refuses it when any action in it is not a read.
pub fn render_read(inputs: &PolicyInputs) -> Result<Vec<Document>, StepError> {
    let documents = render_named(inputs, &[READ_DOCUMENT])?;
    for document in &documents {
        check_read_only(document.name, &document.policy)?;
    }
    Ok(documents)
}

/// The documents for one kind of role: `Write` the permissions role's ([`render`]),
/// `Read` the read-only role's ([`render_read`]).
pub fn render_for(inputs: &PolicyInputs, access: Access) -> Result<Vec<Document>, StepError> {
    match access {
        Access::Write => render(inputs),
        Access::Read => render_read(inputs),
    }
}

fn render_named(inputs: &PolicyInputs, names: &[&str]) -> Result<Vec<Document>, StepError> {
    inputs.validate()?;
    let lists = inputs.lists();
    let scalars = inputs.scalars();
    let mut documents = Vec::new();
    for (name, mut template) in templates() {
        if !names.contains(&name) {
            continue;
        }
        let statements = template["Statement"]
            .as_array_mut()
            .expect("templates have statements");
        for statement in statements.iter_mut() {
            let resources: Vec<String> = statement["Resource"]
                .as_array()
                .expect("templates list resources")
                .iter()
                .flat_map(|r| expand(r.as_str().unwrap_or_default(), &lists))
                .collect();
            statement["Resource"] = json!(resources);
        }
        statements.retain(|s| s["Resource"].as_array().is_some_and(|r| !r.is_empty()));
        let mut text = template.to_string();
        for (key, value) in &scalars {
            text = text.replace(key, value);
        }
        let policy: Value = serde_json::from_str(&text)
            .map_err(|err| StepError::new(format!("rendered policy {name} is not JSON: {err}")))?;
        documents.push(Document { name, policy });
    }
    // Keep the order asked for (lambda, iam, networking, storage, assume, boundary).
    documents.sort_by_key(|d| names.iter().position(|n| *n == d.name));
    for document in &documents {
        let size = document.text().len();
        if size >= MAX_POLICY_CHARS {
            return Err(StepError::new(format!(
                "policy document {} is {size} characters, over IAM's {MAX_POLICY_CHARS}",
                document.name
            ))
            .cause("too many repositories, prefixes or hosted zones were given")
            .fix("use fewer --ecr-repository / --hosted-zone-id values (a shared prefix with '*' works)"));
        }
    }
    Ok(documents)
}

pub mod cli {
    //! `iam-policy`: render the documents, list the actions, print the templates.

    use super::*;
    use clap::{Parser, Subcommand, ValueEnum};

    #[derive(Debug, Parser)]
    #[command(
        name = "iam-policy",
        about = "Least-privilege IAM policies for the Lambda scope, derived from the steps' own permissions table",
        long_about = "Least-privilege IAM policies for the Lambda scope.\n\n\
            Every AWS action a step binary calls is listed in one table in the library \
            (src/permissions.rs); this command renders that table into policy documents for \
            one account and region (`render`; `render --access read` for the read-only \
            role of telemetry and diagnose workflows, every action in it a read), lists it \
            (`actions`), or prints the placeholder templates the install module in \
            specs/tofu expands (`template`)."
    )]
    pub struct Cli {
        #[command(subcommand)]
        pub command: Command,
    }

    #[derive(Debug, Subcommand)]
    pub enum Command {
        /// Render the policy documents for concrete values (the permissions role's, or with
        /// `--access read` the read-only role's), save them, and print the `aws iam`
        /// commands that create and attach them.
        Render(Box<RenderArgs>),
        /// List every AWS action each step binary calls and the resource it applies to.
        Actions {
            /// Only this binary.
            #[arg(long, value_name = "NAME")]
            binary: Option<String>,
            #[arg(long, value_enum, default_value_t = Format::Text)]
            format: Format,
        },
        /// Print the documents with {placeholders} (the content of specs/tofu/modules/policy-documents/policy-templates.json).
        Template,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
    pub enum Format {
        Text,
        Json,
    }

    #[derive(Debug, clap::Args)]
    pub struct RenderArgs {
        /// The 12-digit AWS account the scopes run in.
        #[arg(long, value_name = "ID")]
        pub account: String,
        /// The region the scopes run in (e.g. us-east-1); the partition follows from it.
        #[arg(long, value_name = "REGION")]
        pub region: String,
        /// The OpenTofu state bucket (scope-configurations `state.tofu_state_bucket`).
        #[arg(long, value_name = "BUCKET")]
        pub state_bucket: String,
        /// Key prefix of the scopes' state objects.
        #[arg(long, value_name = "PREFIX", default_value = "lambda/")]
        pub state_key_prefix: String,
        /// Allowed name prefix of the functions' execution roles (repeatable).
        #[arg(long = "execution-role-prefix", value_name = "PREFIX", default_values_t = ["np-lambda-".to_string()])]
        pub execution_role_prefixes: Vec<String>,
        /// ECR repository holding function or placeholder images (repeatable; '*' = all of the account).
        #[arg(long = "ecr-repository", value_name = "NAME", default_values_t = ["*".to_string()])]
        pub ecr_repositories: Vec<String>,
        /// Name prefix of the deployments' parameters secrets.
        #[arg(long, value_name = "PREFIX", default_value = "nullplatform/")]
        pub secret_prefix: String,
        /// Bucket holding Zip deployment packages (repeatable; none = image deployments only).
        #[arg(long = "assets-bucket", value_name = "BUCKET")]
        pub assets_buckets: Vec<String>,
        /// Route 53 hosted zone the scopes' records go in (repeatable; '*' = all of the account).
        #[arg(long = "hosted-zone-id", value_name = "ID", default_values_t = ["*".to_string()])]
        pub hosted_zone_ids: Vec<String>,
        /// Another account whose Lambda layers functions may use (repeatable).
        #[arg(long = "layer-account", value_name = "ID")]
        pub layer_accounts: Vec<String>,
        /// Name of the permissions role the agent assumes (the documents attach to it).
        #[arg(
            long = "permissions-role-name",
            value_name = "NAME",
            default_value = "nullplatform-lambda-scope"
        )]
        pub permissions_role: String,
        /// Which role's documents: `write` the permissions role's four (with the agent's
        /// `assume` document and the execution roles' boundary); `read` only the read-only
        /// role's document (<PREFIX>-read.json), which telemetry and diagnose workflows
        /// use when the AWS IAM provider has an entry for ASSUME_ROLE_READ_SELECTOR
        /// (default lambda-read). Give both renders the same values.
        #[arg(long, value_enum, default_value_t = Access::Write)]
        pub access: Access,
        /// Name of the read-only role: with `--access write` the agent's `assume` document
        /// may assume it too and the IAM document denies every IAM action on it; with
        /// `--access read` (where it is required) the read document is attached to it.
        #[arg(long, value_name = "NAME")]
        pub read_role_name: Option<String>,
        /// Name of the agent's own role: it gets the `assume` document, and the IAM document
        /// denies every IAM action on it. Default: a placeholder in the printed commands.
        #[arg(long, value_name = "NAME")]
        pub agent_role_name: Option<String>,
        /// Managed policies are named <PREFIX>-<document>.
        #[arg(long, value_name = "PREFIX", default_value = "lambda-scope")]
        pub policy_name_prefix: String,
        /// The permissions boundary every execution role must carry (role-writing IAM
        /// calls are allowed only with it). Default: the `boundary` document, created
        /// as <policy-name-prefix>-boundary by the printed commands.
        #[arg(long, value_name = "ARN")]
        pub permissions_boundary_arn: Option<String>,
        /// Directory the documents are saved in (created when missing).
        #[arg(long, value_name = "DIR", default_value = "lambda-scope-iam")]
        pub output: PathBuf,
        /// `text`: documents and commands for a person; `json`: one JSON object.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        pub format: Format,
    }

    impl RenderArgs {
        pub fn inputs(&self) -> PolicyInputs {
            PolicyInputs {
                account: self.account.clone(),
                region: self.region.clone(),
                state_bucket: self.state_bucket.clone(),
                state_key_prefix: self.state_key_prefix.clone(),
                execution_role_prefixes: self.execution_role_prefixes.clone(),
                ecr_repositories: self.ecr_repositories.clone(),
                secret_prefix: self.secret_prefix.clone(),
                assets_buckets: self.assets_buckets.clone(),
                hosted_zone_ids: self.hosted_zone_ids.clone(),
                layer_accounts: self.layer_accounts.clone(),
                permissions_role: self.permissions_role.clone(),
                read_role: self.read_role_name.clone(),
                protected_roles: self.agent_role_name.iter().cloned().collect(),
                permissions_boundary: self.permissions_boundary_arn.clone().unwrap_or_else(|| {
                    format!(
                        "arn:{}:iam::{}:policy/{}-boundary",
                        partition_of(&self.region),
                        self.account,
                        self.policy_name_prefix
                    )
                }),
            }
        }
    }

    /// Entry point of the `iam-policy` binary: the one place errors become a report.
    pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
        let cli = Cli::parse_from(args);
        match run(&cli) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("{err}");
                ExitCode::from(err.exit_code.max(1))
            }
        }
    }

    /// Runs one command and returns what it prints.
    pub fn run(cli: &Cli) -> Result<String, StepError> {
        match &cli.command {
            Command::Render(args) => render_command(args),
            Command::Actions { binary, format } => actions_command(binary.as_deref(), *format),
            Command::Template => Ok(format!("{}\n", template_text())),
        }
    }

    /// The templates as saved in specs/tofu/modules/policy-documents/policy-templates.json.
    pub fn template_text() -> String {
        serde_json::to_string_pretty(&json!(templates())).expect("JSON serializes")
    }

    fn actions_command(binary: Option<&str>, format: Format) -> Result<String, StepError> {
        let steps: Vec<&StepPermissions> = match binary {
            Some(name) => vec![permissions::for_binary(name).ok_or_else(|| {
                let known: Vec<&str> = permissions::STEP_ACTIONS.iter().map(|s| s.binary).collect();
                StepError::new(format!(
                    "no step binary named {name:?} in the permissions table"
                ))
                .cause(format!("known binaries: {}", known.join(", ")))
                .fix("check the name, or add the binary to src/permissions.rs")
                .usage()
            })?],
            None => permissions::STEP_ACTIONS.iter().collect(),
        };
        match format {
            Format::Json => {
                let value: Vec<Value> = steps
                    .iter()
                    .map(|step| {
                        json!({
                            "binary": step.binary,
                            "caller": format!("{:?}", step.caller),
                            "access": format!("{:?}", step.access).to_lowercase(),
                            "calls": step.calls.iter().map(|(action, res)| json!({
                                "action": action,
                                "resource": res.patterns(),
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                Ok(format!(
                    "{}\n",
                    serde_json::to_string_pretty(&value).expect("JSON serializes")
                ))
            }
            Format::Text => {
                let mut out = String::new();
                for step in steps {
                    let who = match step.caller {
                        Caller::Agent => "agent's own credentials",
                        Caller::PermissionsRole => "permissions role",
                    };
                    // Its calls are also in the read document.
                    let runs_in = if step.runs_as_read_role() {
                        ", or the read-only role"
                    } else {
                        ""
                    };
                    let _ = writeln!(out, "{} ({who}{runs_in})", step.binary);
                    if step.calls.is_empty() {
                        let _ = writeln!(out, "  (no AWS calls)");
                    }
                    for (action, res) in step.calls {
                        let _ = writeln!(out, "  {action:<48} {res}");
                    }
                }
                Ok(out)
            }
        }
    }

    fn render_command(args: &RenderArgs) -> Result<String, StepError> {
        check_name(
            "--policy-name-prefix",
            &args.policy_name_prefix,
            100,
            "+=,.@_-",
        )?;
        let inputs = args.inputs();
        if args.access == Access::Read && inputs.read_role.is_none() {
            return Err(StepError::new("--access read needs --read-role-name")
                .cause("the read document is attached to the read-only role, and the printed commands name it")
                .fix("pass --read-role-name <the read-only role>, e.g. --read-role-name nullplatform-lambda-scope-read")
                .fix("and give the same --read-role-name to the --access write render, so the agent may assume that role")
                .usage());
        }
        let documents = render_for(&inputs, args.access)?;
        if let Some(agent) = &args.agent_role_name {
            check_name("--agent-role-name", agent, 64, "+=,.@_-")?;
        }
        std::fs::create_dir_all(&args.output).map_err(|err| write_error(&args.output, err))?;
        let dir = std::path::absolute(&args.output).unwrap_or_else(|_| args.output.clone());
        let mut files = Vec::new();
        for document in &documents {
            let path = dir.join(format!(
                "{}-{}.json",
                args.policy_name_prefix, document.name
            ));
            std::fs::write(&path, document.text() + "\n").map_err(|err| write_error(&path, err))?;
            files.push(path);
        }
        let commands = commands(args, &inputs, &documents, &files);
        match args.format {
            Format::Json => {
                let value = json!({
                    "documents": documents.iter().map(|d| (d.name.to_string(), d.policy.clone())).collect::<serde_json::Map<_, _>>(),
                    "files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
                    "commands": commands,
                });
                Ok(format!(
                    "{}\n",
                    serde_json::to_string_pretty(&value).expect("JSON serializes")
                ))
            }
            Format::Text => {
                let mut out = String::new();
                for (document, path) in documents.iter().zip(&files) {
                    let _ = writeln!(
                        out,
                        "# {} ({} characters) -> {}",
                        document.name,
                        document.text().len(),
                        path.display()
                    );
                    let _ = writeln!(out, "{}\n", document.text());
                }
                if let (Access::Read, Some(role)) = (args.access, &inputs.read_role) {
                    let _ = writeln!(out, "# the read-only role {role}: trust the agent exactly as the permissions role does (same principal and sts:ExternalId), register it in the AWS IAM provider under selector lambda-read (ASSUME_ROLE_READ_SELECTOR), and render --access write with --read-role-name {role} so the agent may assume it\n");
                } else if inputs.assets_buckets.is_empty() {
                    let _ = writeln!(out, "# note: no --assets-bucket given: Zip deployments (s3:GetObject on the package) are not allowed\n");
                }
                let _ = writeln!(out, "# create the policies and attach them:");
                for command in &commands {
                    let _ = writeln!(out, "{command}");
                }
                Ok(out)
            }
        }
    }

    fn write_error(path: &Path, err: std::io::Error) -> StepError {
        StepError::new(format!("could not write {}: {err}", path.display()))
            .cause("the directory is missing or not writable")
            .fix("pass a writable directory with --output")
    }

    fn quote(text: &str) -> String {
        String::from_utf8_lossy(&shell_quote::Sh::quote_vec(text)).into_owned()
    }

    fn commands(
        args: &RenderArgs,
        inputs: &PolicyInputs,
        documents: &[Document],
        files: &[PathBuf],
    ) -> Vec<String> {
        let partition = inputs.partition();
        let mut commands = Vec::new();
        for (document, path) in documents.iter().zip(files) {
            let name = format!("{}-{}", args.policy_name_prefix, document.name);
            let file = quote(&format!("file://{}", path.display()));
            if document.name == "boundary" {
                // An operator's own boundary replaces this document.
                if args.permissions_boundary_arn.is_none() {
                    commands.push(format!(
                        "aws iam create-policy --policy-name {name} --policy-document {file}"
                    ));
                }
                continue;
            }
            if document.name == READ_DOCUMENT {
                let role = inputs.read_role.as_deref().unwrap_or_default();
                commands.push(format!(
                    "aws iam create-policy --policy-name {name} --policy-document {file}"
                ));
                commands.push(format!(
                    "aws iam attach-role-policy --role-name {} --policy-arn arn:{partition}:iam::{}:policy/{name}",
                    quote(role),
                    inputs.account
                ));
                continue;
            }
            if document.name == "assume" {
                let agent = args
                    .agent_role_name
                    .as_deref()
                    .map(quote)
                    .unwrap_or_else(|| "\"$AGENT_ROLE_NAME\"".to_string());
                commands.push(format!(
                    "aws iam put-role-policy --role-name {agent} --policy-name {name} --policy-document {file}"
                ));
                continue;
            }
            commands.push(format!(
                "aws iam create-policy --policy-name {name} --policy-document {file}"
            ));
            commands.push(format!(
                "aws iam attach-role-policy --role-name {} --policy-arn arn:{partition}:iam::{}:policy/{name}",
                quote(&inputs.permissions_role),
                inputs.account
            ));
        }
        commands
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_follows_the_region() {
        assert_eq!(
            PolicyInputs::new("123456789012", "us-east-1", "b-1").partition(),
            "aws"
        );
        assert_eq!(
            PolicyInputs::new("123456789012", "cn-north-1", "b-1").partition(),
            "aws-cn"
        );
        assert_eq!(
            PolicyInputs::new("123456789012", "us-gov-west-1", "b-1").partition(),
            "aws-us-gov"
        );
    }

    #[test]
    fn bad_values_are_usage_errors() {
        let ok = PolicyInputs::new("123456789012", "us-east-1", "my-state");
        assert!(ok.validate().is_ok());
        for broken in [
            PolicyInputs {
                account: "12345".into(),
                ..ok.clone()
            },
            PolicyInputs {
                account: "*".into(),
                ..ok.clone()
            },
            PolicyInputs {
                region: "useast1".into(),
                ..ok.clone()
            },
            PolicyInputs {
                state_bucket: "Bad_Bucket".into(),
                ..ok.clone()
            },
            PolicyInputs {
                execution_role_prefixes: vec!["np-*".into()],
                ..ok.clone()
            },
            PolicyInputs {
                execution_role_prefixes: vec![],
                ..ok.clone()
            },
            PolicyInputs {
                secret_prefix: "*".into(),
                ..ok.clone()
            },
            PolicyInputs {
                hosted_zone_ids: vec!["/hostedzone/Z1".into()],
                ..ok.clone()
            },
            PolicyInputs {
                state_key_prefix: "lambda".into(),
                ..ok.clone()
            },
            // Prefixes that also cover the agent's, the permissions and other scopes' roles.
            PolicyInputs {
                execution_role_prefixes: vec!["nullplatform-".into()],
                ..ok.clone()
            },
            PolicyInputs {
                execution_role_prefixes: vec!["np-lambda-".into(), "null".into()],
                ..ok.clone()
            },
            PolicyInputs {
                execution_role_prefixes: vec!["acme-".into()],
                permissions_role: "acme-lambda-scope".into(),
                ..ok.clone()
            },
            PolicyInputs {
                execution_role_prefixes: vec!["acme-".into()],
                protected_roles: vec!["acme-agent-role".into()],
                ..ok.clone()
            },
            PolicyInputs {
                permissions_boundary: "arn:aws:iam::123456789012:role/boundary".into(),
                ..ok.clone()
            },
            PolicyInputs {
                permissions_boundary: "arn:aws:iam::210987654321:policy/boundary".into(),
                ..ok.clone()
            },
        ] {
            let err = broken.validate().expect_err("must be rejected");
            assert_eq!(err.exit_code, 2, "{err}");
        }
    }

    #[test]
    fn boundary_arns_are_iam_policy_arns_of_an_account() {
        for good in [
            "arn:aws:iam::123456789012:policy/lambda-scope-boundary",
            "arn:aws-cn:iam::123456789012:policy/team/np_boundary+v2",
            "arn:aws-us-gov:iam::123456789012:policy/a",
        ] {
            assert_eq!(check_boundary_arn(good), Ok(()), "{good}");
        }
        for broken in [
            "",
            "lambda-scope-boundary",
            "arn:aws:iam::123456789012:policy/",
            "arn:aws:iam::123456789012:role/np-boundary",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "arn:aws:iam::12345:policy/b",
            "arn:aws:iam:us-east-1:123456789012:policy/b",
            "arn:aws:s3:::bucket/policy/b",
            "arn:mars:iam::123456789012:policy/b",
            "arn:aws:iam::123456789012:policy/b*",
            "arn:aws:iam::123456789012:policy//b",
        ] {
            assert!(check_boundary_arn(broken).is_err(), "{broken:?} accepted");
        }
    }

    #[test]
    fn the_boundary_comes_from_scope_configurations_then_the_variables() {
        let arn = |name: &str| format!("arn:aws:iam::123456789012:policy/{name}");
        let ctx = json!({"providers": {"scope-configurations": {"lambda": {"permissions_boundary": arn("from-config")}}}});
        let env = |name: &str| match name {
            BOUNDARY_ENV => Some(arn("from-env")),
            BOUNDARY_INSTALLED_ENV => Some(arn("installed")),
            _ => None,
        };
        assert_eq!(
            execution_role_boundary(&ctx, &env).unwrap(),
            arn("from-config")
        );
        assert_eq!(
            execution_role_boundary(&json!({}), &env).unwrap(),
            arn("from-env")
        );
        let installed_only =
            |name: &str| (name == BOUNDARY_INSTALLED_ENV).then(|| arn("installed"));
        assert_eq!(
            execution_role_boundary(&Value::Null, &installed_only).unwrap(),
            arn("installed")
        );
        let err = execution_role_boundary(&json!({}), &|_| None).unwrap_err();
        assert!(err.what.contains("no permissions boundary"), "{err}");
        assert_eq!(err.exit_code, 2);
        assert!(!err.fixes.is_empty());
        let bad = json!({"providers": {"scope-configurations": {"lambda": {"permissions_boundary": "AdministratorAccess"}}}});
        let err = execution_role_boundary(&bad, &env).unwrap_err();
        assert!(err.what.contains("AdministratorAccess"), "{err}");
        assert!(err.what.contains("scope-configurations"), "{err}");
        assert_eq!(err.exit_code, 2);
    }

    #[test]
    fn a_write_in_a_read_step_is_refused_not_rendered() {
        use crate::permissions::{Access, Caller, StepPermissions};
        let table = [
            StepPermissions {
                binary: "reads",
                caller: Caller::PermissionsRole,
                access: Access::Read,
                calls: &[("lambda:GetFunction", Res::Function)],
            },
            StepPermissions {
                binary: "writes",
                caller: Caller::PermissionsRole,
                access: Access::Write,
                calls: &[("lambda:DeleteFunction", Res::Function)],
            },
        ];
        let read = &templates_from(&table)[READ_DOCUMENT];
        assert!(read.to_string().contains("lambda:GetFunction"));
        assert!(!read.to_string().contains("lambda:DeleteFunction"));
        assert_eq!(check_read_only(READ_DOCUMENT, read), Ok(()));

        let sneaky = [StepPermissions {
            binary: "reads-and-writes",
            caller: Caller::PermissionsRole,
            access: Access::Read,
            calls: &[
                ("lambda:GetFunction", Res::Function),
                ("lambda:UpdateFunctionCode", Res::Function),
                ("secretsmanager:GetSecretValue", Res::Secret),
            ],
        }];
        let read = &templates_from(&sneaky)[READ_DOCUMENT];
        assert_eq!(
            write_actions(read),
            ["lambda:UpdateFunctionCode", "secretsmanager:GetSecretValue"]
        );
        let err = check_read_only(READ_DOCUMENT, read).unwrap_err();
        assert!(err.what.contains("lambda:UpdateFunctionCode"), "{err}");
        assert!(!err.causes.is_empty() && !err.fixes.is_empty());
    }

    #[test]
    fn the_shipped_read_document_holds_only_reads_and_names_the_read_role_nowhere_else() {
        let mut inputs = PolicyInputs::new("123456789012", "us-east-1", "my-state");
        let documents = render_read(&inputs).unwrap();
        assert_eq!(documents.len(), 1);
        assert_eq!(documents[0].name, READ_DOCUMENT);
        assert!(write_actions(&documents[0].policy).is_empty());
        // Without a read role, the agent may assume the permissions role alone.
        let assume = |docs: &[Document]| docs.iter().find(|d| d.name == "assume").unwrap().text();
        assert!(!assume(&render(&inputs).unwrap()).contains("-read"));
        inputs.read_role = Some("nullplatform-lambda-scope-read".into());
        let written = render(&inputs).unwrap();
        assert!(assume(&written).contains(":role/nullplatform-lambda-scope-read"));
        let iam = written.iter().find(|d| d.name == "iam").unwrap();
        let deny = iam.policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == "ProtectScopeRoles")
            .unwrap();
        assert!(deny
            .to_string()
            .contains(":role/nullplatform-lambda-scope-read"));
    }

    #[test]
    fn the_read_role_must_be_a_role_of_its_own_outside_the_execution_prefixes() {
        let ok = PolicyInputs {
            read_role: Some("nullplatform-lambda-scope-read".into()),
            ..PolicyInputs::new("123456789012", "us-east-1", "my-state")
        };
        assert!(ok.validate().is_ok());
        for broken in [
            PolicyInputs {
                read_role: Some("nullplatform-lambda-scope".into()),
                ..ok.clone()
            },
            PolicyInputs {
                read_role: Some("read role".into()),
                ..ok.clone()
            },
            PolicyInputs {
                read_role: Some("np-lambda-read".into()),
                ..ok.clone()
            },
        ] {
            let err = broken.validate().expect_err("must be rejected");
            assert_eq!(err.exit_code, 2, "{err}");
            assert!(
                err.to_string().contains("--read-role-name")
                    || err.to_string().contains("np-lambda-read"),
                "{err}"
            );
        }
    }

    #[test]
    fn list_placeholders_expand_and_empty_lists_drop_the_statement() {
        let mut inputs = PolicyInputs::new("123456789012", "us-east-1", "my-state");
        let storage = |docs: &[Document]| docs.iter().find(|d| d.name == "storage").unwrap().text();
        let without = render(&inputs).unwrap();
        assert!(!storage(&without).contains("AssetObject"));
        inputs.assets_buckets = vec!["assets-a".into(), "assets-b".into()];
        let with = render(&inputs).unwrap();
        assert!(storage(&with).contains("arn:aws:s3:::assets-a/*"));
        assert!(storage(&with).contains("arn:aws:s3:::assets-b/*"));
        for document in &with {
            assert!(!document.text().contains('{') || !document.text().contains("{account}"));
        }
    }
}
