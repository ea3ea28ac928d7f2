//! The one table of AWS permissions: for every step binary, each AWS action it calls
//! and the kind of resource the call applies to. The policy renderer (`policy`), the
//! install module's policies and the tests are all derived from it.
//!
//! **Every new AWS call a step makes must be added here, in the same change.**
//! `tests/it/iam_policy.rs` fails when an action is missing from a rendered document.

use std::fmt;

/// Which identity makes the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Caller {
    /// The agent's own (base) credentials: only used to assume the permissions role.
    Agent,
    /// The permissions role the agent assumes (every step after `assume-role`).
    PermissionsRole,
}

/// Whether something only reads AWS or may change it: a step (does it run in the
/// read-only workflows, as the read-only role?) or one action (see [`Access::of_action`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Access {
    Read,
    Write,
}

/// Verbs of actions that only read. Each must be followed by an upper-case letter
/// (`GetRole`, `ListAliases`), so an unrelated name that merely starts alike is no read.
const READ_VERBS: [&str; 6] = ["BatchGet", "Get", "List", "Describe", "Filter", "Lookup"];

/// Actions named like reads that hand out credentials or secret values: a read-only
/// role must never hold them, so the rule counts them as writes.
const GRANTING_READS: [&str; 8] = [
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "sts:GetSessionToken",
    "sts:GetFederationToken",
    "ecr:GetAuthorizationToken",
];

impl Access {
    /// What an action does, from its name alone: `Read` for `service:Verb…` with a verb
    /// of [`READ_VERBS`] (and API Gateway's HTTP `apigateway:GET`), unless it hands out
    /// credentials or secrets; anything else — including a name that is not
    /// `service:Action` — is `Write`.
    pub fn of_action(action: &str) -> Access {
        let Some((service, name)) = action.split_once(':') else {
            return Access::Write;
        };
        if service.is_empty() || GRANTING_READS.contains(&action) {
            return Access::Write;
        }
        if service == "apigateway" {
            return if name == "GET" {
                Access::Read
            } else {
                Access::Write
            };
        }
        let read = READ_VERBS.iter().any(|verb| {
            name.strip_prefix(verb)
                .and_then(|rest| rest.chars().next())
                .is_some_and(|next| next.is_ascii_uppercase())
        });
        if read {
            Access::Read
        } else {
            Access::Write
        }
    }
}

/// What an action applies to. `policy` turns each kind into concrete ARNs for one
/// account and region; [`Res::patterns`] shows the shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Res {
    /// The API has no resource-level permissions (e.g. `tag:GetResources`,
    /// `cloudwatch:GetMetricData`, `elasticloadbalancing:Describe*`): `*` is the only form.
    Unscoped,
    /// The roles the agent assumes (for its `sts:AssumeRole`): the permissions role, and
    /// the read-only role when there is one.
    PermissionsRole,
    /// Any Lambda function of the account and region, including `:version` / `:alias`
    /// qualified ARNs (function names start with the scope id, so there is no prefix).
    Function,
    /// Lambda layer versions of the account (and of any extra layer accounts).
    Layer,
    /// Execution roles whose names start with one of the allowed prefixes: the calls
    /// that cannot widen what a role may do (reads, tags, deletes, trust updates).
    ExecutionRole,
    /// Calls that write permissions onto an execution role (`CreateRole`,
    /// `PutRolePolicy`, `PutRolePermissionsBoundary`): only while the role has (or gets)
    /// the scope's permissions boundary, so what they write never exceeds it.
    BoundedExecutionRole,
    /// `iam:PassRole` of an execution role, only to `lambda.amazonaws.com`.
    PassExecutionRole,
    /// `iam:DetachRolePolicy` on an execution role, limited to the AWS managed Lambda
    /// execution policies.
    ExecutionRoleManagedPolicy,
    /// `iam:AttachRolePolicy` on an execution role: the AWS managed Lambda execution
    /// policies only, and only while the role has the scope's permissions boundary.
    BoundedManagedPolicy,
    /// The functions' log groups `/aws/lambda/*` and their streams.
    FunctionLogGroup,
    /// Log groups of the account and region (`DescribeLogGroups` is authorized on `log-group:*`).
    AnyLogGroup,
    /// HTTP APIs (API Gateway v2), their sub-resources and tags.
    HttpApi,
    /// API Gateway v2 custom domain names and their API mappings.
    ApiDomainName,
    /// ALB target groups.
    TargetGroup,
    /// ALB listeners (where listener rules are created).
    Listener,
    /// ALB listener rules.
    ListenerRule,
    /// Route 53 hosted zones (all, or the ones given).
    HostedZone,
    /// Route 53 change ids (`GetChange`).
    Route53Change,
    /// The tofu state bucket itself (`ListBucket`).
    StateBucket,
    /// State objects `<bucket>/<key prefix>*/terraform.tfstate`.
    StateObject,
    /// Lock objects `<bucket>/<key prefix>*/terraform.tfstate.tflock`.
    StateLockObject,
    /// Zip deployment packages in the assets bucket.
    AssetObject,
    /// ECR repositories holding function and placeholder images.
    EcrRepository,
    /// Secrets Manager secrets named with the parameters secret prefix.
    Secret,
}

impl Res {
    /// The ARN shapes, with `{placeholders}` for the values `iam-policy render` fills in.
    /// Scalars: `{partition}`, `{account}`, `{region}`, `{permissions_role}`,
    /// `{state_bucket}`, `{state_key_prefix}`, `{secret_prefix}`, `{permissions_boundary}`
    /// (the boundary's ARN, in conditions and the renderer's Deny). Lists (one pattern per
    /// value; none → no statement): `{layer_account}`, `{execution_role_prefix}`,
    /// `{hosted_zone_id}`, `{assets_bucket}`, `{ecr_repository}`, `{read_role}` (none or
    /// the read-only role) and `{protected_role}` (used by the renderer's Deny statement).
    pub fn patterns(self) -> &'static [&'static str] {
        match self {
            Res::Unscoped => &["*"],
            Res::PermissionsRole => &[
                "arn:{partition}:iam::{account}:role/{permissions_role}",
                "arn:{partition}:iam::{account}:role/{read_role}",
            ],
            Res::Function => &["arn:{partition}:lambda:{region}:{account}:function:*"],
            Res::Layer => &["arn:{partition}:lambda:{region}:{layer_account}:layer:*:*"],
            Res::ExecutionRole
            | Res::BoundedExecutionRole
            | Res::ExecutionRoleManagedPolicy
            | Res::BoundedManagedPolicy
            | Res::PassExecutionRole => {
                &["arn:{partition}:iam::{account}:role/{execution_role_prefix}*"]
            }
            Res::FunctionLogGroup => {
                &["arn:{partition}:logs:{region}:{account}:log-group:/aws/lambda/*"]
            }
            Res::AnyLogGroup => &["arn:{partition}:logs:{region}:{account}:log-group:*"],
            Res::HttpApi => &[
                "arn:{partition}:apigateway:{region}::/apis",
                "arn:{partition}:apigateway:{region}::/apis/*",
                "arn:{partition}:apigateway:{region}::/tags/*",
            ],
            Res::ApiDomainName => &[
                "arn:{partition}:apigateway:{region}::/domainnames",
                "arn:{partition}:apigateway:{region}::/domainnames/*",
            ],
            Res::TargetGroup => {
                &["arn:{partition}:elasticloadbalancing:{region}:{account}:targetgroup/*/*"]
            }
            Res::Listener => {
                &["arn:{partition}:elasticloadbalancing:{region}:{account}:listener/app/*/*/*"]
            }
            Res::ListenerRule => &[
                "arn:{partition}:elasticloadbalancing:{region}:{account}:listener-rule/app/*/*/*/*",
            ],
            Res::HostedZone => &["arn:{partition}:route53:::hostedzone/{hosted_zone_id}"],
            Res::Route53Change => &["arn:{partition}:route53:::change/*"],
            Res::StateBucket => &["arn:{partition}:s3:::{state_bucket}"],
            Res::StateObject => {
                &["arn:{partition}:s3:::{state_bucket}/{state_key_prefix}*/terraform.tfstate"]
            }
            Res::StateLockObject => &[
                "arn:{partition}:s3:::{state_bucket}/{state_key_prefix}*/terraform.tfstate.tflock",
            ],
            Res::AssetObject => &["arn:{partition}:s3:::{assets_bucket}/*"],
            Res::EcrRepository => {
                &["arn:{partition}:ecr:{region}:{account}:repository/{ecr_repository}"]
            }
            Res::Secret => {
                &["arn:{partition}:secretsmanager:{region}:{account}:secret:{secret_prefix}*"]
            }
        }
    }
}

impl fmt::Display for Res {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.patterns().join(", "))
    }
}

/// One AWS action and what it applies to.
pub type Call = (&'static str, Res);

/// The AWS calls one step binary makes.
#[derive(Debug, Clone, Copy)]
pub struct StepPermissions {
    /// The step's name (its entry in `commands::COMMANDS`, checked by a test there).
    pub binary: &'static str,
    /// Whose credentials make these calls.
    pub caller: Caller,
    /// `Read`: the step runs in the read-only workflows (those with
    /// `ASSUME_ROLE_ACCESS: read`), so the read-only role's document holds its calls
    /// (the agent's own calls stay in the `assume` document). `Write`: it runs only
    /// where the workflow may change AWS, as the permissions role.
    pub access: Access,
    pub calls: &'static [Call],
}

impl StepPermissions {
    /// Whether its calls are made as the read-only role (when the IAM provider has one),
    /// hence belong in that role's document.
    pub fn runs_as_read_role(&self) -> bool {
        self.caller == Caller::PermissionsRole && self.access == Access::Read
    }
}

use Res::*;

/// Lambda's own authorization when a function is created or its code is updated from
/// an ECR image: the caller must be able to read the image.
const IMAGE_PULL: [Call; 2] = [
    ("ecr:BatchGetImage", EcrRepository),
    ("ecr:GetDownloadUrlForLayer", EcrRepository),
];

/// Lambda checks the caller can describe the VPC it is asked to attach a function to.
const VPC_DESCRIBE: [Call; 3] = [
    ("ec2:DescribeSecurityGroups", Unscoped),
    ("ec2:DescribeSubnets", Unscoped),
    ("ec2:DescribeVpcs", Unscoped),
];

/// Every step binary and its AWS calls. Binaries without AWS calls are listed with an
/// empty list so `iam-policy actions` shows them too.
pub const STEP_ACTIONS: &[StepPermissions] = &[
    StepPermissions {
        binary: "assume-role",
        caller: Caller::Agent,
        access: Access::Read,
        calls: &[
            ("sts:AssumeRole", PermissionsRole),
            // Only used with ASSUME_ROLE_SESSION_TAGS=true.
            ("sts:TagSession", PermissionsRole),
            ("sts:GetCallerIdentity", Unscoped),
        ],
    },
    StepPermissions {
        binary: "fetch-scope-config",
        caller: Caller::PermissionsRole,
        access: Access::Read,
        calls: &[],
    },
    StepPermissions {
        binary: "build-scope-context",
        caller: Caller::PermissionsRole,
        access: Access::Read,
        calls: &[],
    },
    StepPermissions {
        binary: "build-deployment-context",
        caller: Caller::PermissionsRole,
        access: Access::Read,
        calls: &[("lambda:ListVersionsByFunction", Function)],
    },
    StepPermissions {
        binary: "ensure-ecr-pull-policy",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        calls: &[
            ("ecr:GetRepositoryPolicy", EcrRepository),
            ("ecr:SetRepositoryPolicy", EcrRepository),
        ],
    },
    StepPermissions {
        binary: "update-function-code",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        calls: &[
            ("lambda:UpdateFunctionCode", Function),
            ("lambda:GetFunctionConfiguration", Function),
            IMAGE_PULL[0],
            IMAGE_PULL[1],
            // Zip packages: Lambda reads the object with the caller's permissions.
            ("s3:GetObject", AssetObject),
        ],
    },
    StepPermissions {
        binary: "update-function-configuration",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        calls: &[
            ("lambda:UpdateFunctionConfiguration", Function),
            ("lambda:GetFunctionConfiguration", Function),
            // Adding a layer needs GetLayerVersion on that layer version.
            ("lambda:GetLayerVersion", Layer),
            ("secretsmanager:CreateSecret", Secret),
            ("secretsmanager:PutSecretValue", Secret),
            ("secretsmanager:TagResource", Secret),
            VPC_DESCRIBE[0],
            VPC_DESCRIBE[1],
            VPC_DESCRIBE[2],
        ],
    },
    StepPermissions {
        binary: "publish-version",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        calls: &[
            ("lambda:PublishVersion", Function),
            ("lambda:GetFunctionConfiguration", Function),
        ],
    },
    StepPermissions {
        binary: "update-alias",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        calls: &[
            ("lambda:GetAlias", Function),
            ("lambda:CreateAlias", Function),
            ("lambda:UpdateAlias", Function),
            ("lambda:ListAliases", Function),
            // Cleanup of an old / rolled-back version: always with a version qualifier.
            ("lambda:DeleteFunction", Function),
            ("secretsmanager:DeleteSecret", Secret),
        ],
    },
    StepPermissions {
        binary: "wait-provisioned-concurrency",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        calls: &[("lambda:GetProvisionedConcurrencyConfig", Function)],
    },
    StepPermissions {
        binary: "resolve-placeholder-image",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        calls: &[("ecr:DescribeImages", EcrRepository)],
    },
    StepPermissions {
        binary: "compose-tofu",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        // Private scopes without ALB_RULE_PRIORITY: the listener's rules, to allocate one.
        // Applies: which of the scope's resources already exist (import blocks).
        calls: &[
            ("elasticloadbalancing:DescribeRules", Unscoped),
            ("elasticloadbalancing:DescribeTargetGroups", Unscoped),
            ("lambda:GetFunction", Function),
            ("lambda:GetAlias", Function),
            ("lambda:GetPolicy", Function),
            ("iam:GetRole", ExecutionRole),
            ("logs:DescribeLogGroups", AnyLogGroup),
            ("apigateway:GET", HttpApi),
            ("apigateway:GET", ApiDomainName),
            ("route53:ListResourceRecordSets", HostedZone),
        ],
    },
    StepPermissions {
        binary: "run-tofu",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        // When its inherited session would run out, it (and `credential-process`, which
        // tofu runs) assumes the permissions role again as the agent: that is
        // assume-role's `sts:AssumeRole` row, in the agent's document already.
        calls: &[
            // S3 backend (use_lockfile=true): state and lock objects only.
            ("s3:ListBucket", StateBucket),
            ("s3:GetObject", StateObject),
            ("s3:PutObject", StateObject),
            ("s3:GetObject", StateLockObject),
            ("s3:PutObject", StateLockObject),
            ("s3:DeleteObject", StateLockObject),
            ("sts:GetCallerIdentity", Unscoped),
            // compute/lambda: aws_lambda_function, aws_lambda_alias, aws_lambda_permission,
            // aws_lambda_provisioned_concurrency_config.
            ("lambda:CreateFunction", Function),
            ("lambda:GetFunction", Function),
            ("lambda:GetFunctionConfiguration", Function),
            ("lambda:GetFunctionCodeSigningConfig", Function),
            ("lambda:GetFunctionConcurrency", Function),
            ("lambda:GetFunctionRecursionConfig", Function),
            ("lambda:GetRuntimeManagementConfig", Function),
            ("lambda:ListVersionsByFunction", Function),
            ("lambda:UpdateFunctionCode", Function),
            ("lambda:UpdateFunctionConfiguration", Function),
            ("lambda:PublishVersion", Function),
            ("lambda:PutFunctionConcurrency", Function),
            ("lambda:DeleteFunctionConcurrency", Function),
            ("lambda:DeleteFunction", Function),
            ("lambda:ListTags", Function),
            ("lambda:TagResource", Function),
            ("lambda:UntagResource", Function),
            ("lambda:CreateAlias", Function),
            ("lambda:GetAlias", Function),
            ("lambda:UpdateAlias", Function),
            ("lambda:DeleteAlias", Function),
            ("lambda:AddPermission", Function),
            ("lambda:RemovePermission", Function),
            ("lambda:GetPolicy", Function),
            ("lambda:PutProvisionedConcurrencyConfig", Function),
            ("lambda:GetProvisionedConcurrencyConfig", Function),
            ("lambda:DeleteProvisionedConcurrencyConfig", Function),
            ("lambda:GetLayerVersion", Layer),
            IMAGE_PULL[0],
            IMAGE_PULL[1],
            VPC_DESCRIBE[0],
            VPC_DESCRIBE[1],
            VPC_DESCRIBE[2],
            // iam: the execution role (always with the permissions boundary), its inline
            // policy and the VPC access attachment.
            ("iam:CreateRole", BoundedExecutionRole),
            ("iam:PutRolePermissionsBoundary", BoundedExecutionRole),
            ("iam:GetRole", ExecutionRole),
            ("iam:UpdateRole", ExecutionRole),
            ("iam:UpdateAssumeRolePolicy", ExecutionRole),
            ("iam:DeleteRole", ExecutionRole),
            ("iam:TagRole", ExecutionRole),
            ("iam:UntagRole", ExecutionRole),
            ("iam:ListRoleTags", ExecutionRole),
            ("iam:PutRolePolicy", BoundedExecutionRole),
            ("iam:GetRolePolicy", ExecutionRole),
            ("iam:DeleteRolePolicy", ExecutionRole),
            ("iam:ListRolePolicies", ExecutionRole),
            ("iam:ListAttachedRolePolicies", ExecutionRole),
            ("iam:ListInstanceProfilesForRole", ExecutionRole),
            ("iam:AttachRolePolicy", BoundedManagedPolicy),
            ("iam:DetachRolePolicy", ExecutionRoleManagedPolicy),
            ("iam:PassRole", PassExecutionRole),
            // aws_cloudwatch_log_group (modern and legacy tagging APIs).
            ("logs:CreateLogGroup", FunctionLogGroup),
            ("logs:DeleteLogGroup", FunctionLogGroup),
            ("logs:PutRetentionPolicy", FunctionLogGroup),
            ("logs:DeleteRetentionPolicy", FunctionLogGroup),
            // The operator's LOG_KMS_KEY_ARN on an existing log group.
            ("logs:AssociateKmsKey", FunctionLogGroup),
            ("logs:DisassociateKmsKey", FunctionLogGroup),
            ("logs:TagResource", FunctionLogGroup),
            ("logs:UntagResource", FunctionLogGroup),
            ("logs:ListTagsForResource", FunctionLogGroup),
            ("logs:TagLogGroup", FunctionLogGroup),
            ("logs:UntagLogGroup", FunctionLogGroup),
            ("logs:ListTagsLogGroup", FunctionLogGroup),
            ("logs:DescribeLogGroups", AnyLogGroup),
            // networking/api_gateway: HTTP API, stage, integration, route, domain, mapping.
            ("apigateway:GET", HttpApi),
            ("apigateway:POST", HttpApi),
            ("apigateway:PUT", HttpApi),
            ("apigateway:PATCH", HttpApi),
            ("apigateway:DELETE", HttpApi),
            ("apigateway:GET", ApiDomainName),
            ("apigateway:POST", ApiDomainName),
            ("apigateway:PATCH", ApiDomainName),
            ("apigateway:DELETE", ApiDomainName),
            // networking/alb: target group, attachment, listener rule.
            ("elasticloadbalancing:DescribeTargetGroups", Unscoped),
            (
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                Unscoped,
            ),
            ("elasticloadbalancing:DescribeTargetHealth", Unscoped),
            ("elasticloadbalancing:DescribeRules", Unscoped),
            ("elasticloadbalancing:DescribeListeners", Unscoped),
            ("elasticloadbalancing:DescribeLoadBalancers", Unscoped),
            // data.aws_lb (the listener's load balancer) reads its attributes too.
            (
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                Unscoped,
            ),
            ("elasticloadbalancing:DescribeTags", Unscoped),
            ("elasticloadbalancing:CreateTargetGroup", TargetGroup),
            ("elasticloadbalancing:ModifyTargetGroup", TargetGroup),
            (
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                TargetGroup,
            ),
            ("elasticloadbalancing:DeleteTargetGroup", TargetGroup),
            ("elasticloadbalancing:RegisterTargets", TargetGroup),
            ("elasticloadbalancing:DeregisterTargets", TargetGroup),
            ("elasticloadbalancing:AddTags", TargetGroup),
            ("elasticloadbalancing:RemoveTags", TargetGroup),
            ("elasticloadbalancing:CreateRule", Listener),
            ("elasticloadbalancing:ModifyRule", ListenerRule),
            ("elasticloadbalancing:DeleteRule", ListenerRule),
            ("elasticloadbalancing:SetRulePriorities", ListenerRule),
            ("elasticloadbalancing:AddTags", ListenerRule),
            ("elasticloadbalancing:RemoveTags", ListenerRule),
            // dns/route53.
            ("route53:GetHostedZone", HostedZone),
            ("route53:ListResourceRecordSets", HostedZone),
            ("route53:ChangeResourceRecordSets", HostedZone),
            ("route53:GetChange", Route53Change),
        ],
    },
    StepPermissions {
        binary: "diagnose",
        caller: Caller::PermissionsRole,
        access: Access::Read,
        calls: &[
            ("sts:GetCallerIdentity", Unscoped),
            ("lambda:GetFunction", Function),
            ("lambda:GetAlias", Function),
            ("lambda:GetPolicy", Function),
            ("lambda:GetProvisionedConcurrencyConfig", Function),
            ("iam:GetRole", ExecutionRole),
            ("ecr:GetRepositoryPolicy", EcrRepository),
            // The image manifest: which platforms a multi-platform image offers.
            ("ecr:BatchGetImage", EcrRepository),
            ("apigateway:GET", HttpApi),
            ("elasticloadbalancing:DescribeTargetHealth", Unscoped),
            ("elasticloadbalancing:DescribeRules", Unscoped),
        ],
    },
    StepPermissions {
        binary: "read-logs",
        caller: Caller::PermissionsRole,
        access: Access::Read,
        calls: &[
            ("tag:GetResources", Unscoped),
            ("logs:FilterLogEvents", FunctionLogGroup),
            ("logs:DescribeLogStreams", FunctionLogGroup),
            // The deployment filter: which version a deployment published.
            ("lambda:ListVersionsByFunction", Function),
        ],
    },
    StepPermissions {
        binary: "read-metrics",
        caller: Caller::PermissionsRole,
        access: Access::Read,
        calls: &[
            ("tag:GetResources", Unscoped),
            ("cloudwatch:GetMetricData", Unscoped),
            // Per-alias selectors when grouping asks for it.
            ("lambda:ListAliases", Function),
        ],
    },
    StepPermissions {
        binary: "list-instances",
        caller: Caller::PermissionsRole,
        access: Access::Read,
        calls: &[
            ("tag:GetResources", Unscoped),
            ("lambda:ListVersionsByFunction", Function),
            ("lambda:ListAliases", Function),
        ],
    },
    // Scope lifecycle helpers (issue "Scope lifecycle with OpenTofu"); names provisional
    // until their binaries land — rename here when they do.
    StepPermissions {
        binary: "generate-domain",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        // The zone name comes from configuration; only np is called.
        calls: &[],
    },
    StepPermissions {
        binary: "store-scope-metadata",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        // Only np (nrn patch) is called.
        calls: &[],
    },
    StepPermissions {
        binary: "delete-scope-secrets",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        calls: &[
            ("secretsmanager:ListSecrets", Unscoped),
            ("secretsmanager:DeleteSecret", Secret),
        ],
    },
    StepPermissions {
        binary: "invoke-function",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        calls: &[("lambda:InvokeFunction", Function)],
    },
    StepPermissions {
        binary: "adjust-concurrency",
        caller: Caller::PermissionsRole,
        access: Access::Write,
        calls: &[
            ("lambda:PutProvisionedConcurrencyConfig", Function),
            ("lambda:GetProvisionedConcurrencyConfig", Function),
            ("lambda:DeleteProvisionedConcurrencyConfig", Function),
            ("lambda:PutFunctionConcurrency", Function),
            ("lambda:DeleteFunctionConcurrency", Function),
            ("lambda:GetFunctionConcurrency", Function),
        ],
    },
];

/// The entry for one binary, if it is in the table.
pub fn for_binary(binary: &str) -> Option<&'static StepPermissions> {
    STEP_ACTIONS.iter().find(|step| step.binary == binary)
}

/// Every (action, resource) the given caller needs, deduplicated and sorted.
pub fn calls_of(caller: Caller) -> Vec<Call> {
    let mut calls: Vec<Call> = STEP_ACTIONS
        .iter()
        .filter(|step| step.caller == caller)
        .flat_map(|step| step.calls.iter().copied())
        .collect();
    calls.sort();
    calls.dedup();
    calls
}

/// Every (action, resource) the read-only role needs, deduplicated and sorted.
pub fn read_role_calls() -> Vec<Call> {
    let mut calls: Vec<Call> = STEP_ACTIONS
        .iter()
        .filter(|step| step.runs_as_read_role())
        .flat_map(|step| step.calls.iter().copied())
        .collect();
    calls.sort();
    calls.dedup();
    calls
}

/// Every distinct action in the table, sorted.
pub fn all_actions() -> Vec<&'static str> {
    let mut actions: Vec<&str> = STEP_ACTIONS
        .iter()
        .flat_map(|step| step.calls.iter().map(|(action, _)| *action))
        .collect();
    actions.sort();
    actions.dedup();
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_are_unique_and_actions_well_formed() {
        let mut names: Vec<&str> = STEP_ACTIONS.iter().map(|s| s.binary).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a binary is listed twice");
        for step in STEP_ACTIONS {
            for (action, _) in step.calls {
                let (service, name) = action.split_once(':').expect("service:Action");
                assert!(
                    !service.is_empty()
                        && service
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
                );
                assert!(
                    !name.is_empty() && !name.contains('*'),
                    "{action}: no wildcards in the table"
                );
            }
        }
    }

    #[test]
    fn only_assume_role_runs_as_the_agent() {
        for step in STEP_ACTIONS {
            assert_eq!(
                step.caller == Caller::Agent,
                step.binary == "assume-role",
                "{}",
                step.binary
            );
        }
        assert!(calls_of(Caller::Agent).contains(&("sts:AssumeRole", Res::PermissionsRole)));
    }

    #[test]
    fn the_rule_tells_reads_from_writes_by_the_verb() {
        for read in [
            "lambda:GetFunction",
            "lambda:ListVersionsByFunction",
            "ecr:BatchGetImage",
            "elasticloadbalancing:DescribeTargetHealth",
            "logs:FilterLogEvents",
            "cloudtrail:LookupEvents",
            "tag:GetResources",
            "apigateway:GET",
            "sts:GetCallerIdentity",
        ] {
            assert_eq!(Access::of_action(read), Access::Read, "{read}");
        }
        for write in [
            "lambda:UpdateFunctionCode",
            "lambda:DeleteFunction",
            "lambda:InvokeFunction",
            "lambda:PutFunctionConcurrency",
            "iam:PassRole",
            "iam:TagRole",
            "s3:PutObject",
            "sts:AssumeRole",
            "apigateway:POST",
            "apigateway:DELETE",
            "apigateway:Get",
            // Named like reads, but hand out secrets or credentials.
            "secretsmanager:GetSecretValue",
            "ecr:GetAuthorizationToken",
            "sts:GetSessionToken",
            // A verb must be the whole first word.
            "foo:Getaway",
            "foo:Listen",
            "foo:Get",
            // Not an action at all.
            "GetRole",
            ":GetRole",
            "",
        ] {
            assert_eq!(Access::of_action(write), Access::Write, "{write:?}");
        }
    }

    #[test]
    fn the_read_role_makes_only_reads() {
        let calls = read_role_calls();
        assert!(!calls.is_empty());
        for (action, _) in &calls {
            assert_eq!(
                Access::of_action(action),
                Access::Read,
                "{action} is in the read-only role's calls"
            );
        }
        for telemetry in ["read-logs", "read-metrics", "list-instances", "diagnose"] {
            assert!(
                for_binary(telemetry).unwrap().runs_as_read_role(),
                "{telemetry}"
            );
        }
        for writer in ["run-tofu", "update-function-code", "adjust-concurrency"] {
            assert!(!for_binary(writer).unwrap().runs_as_read_role(), "{writer}");
        }
        // The agent's own calls belong to the assume document, whatever the workflow.
        assert!(!for_binary("assume-role").unwrap().runs_as_read_role());
    }

    #[test]
    fn lookup_by_binary() {
        let step = for_binary("ensure-ecr-pull-policy").unwrap();
        assert!(step
            .calls
            .contains(&("ecr:SetRepositoryPolicy", Res::EcrRepository)));
        assert!(for_binary("no-such-step").is_none());
        assert!(all_actions().contains(&"tag:GetResources"));
    }
}
