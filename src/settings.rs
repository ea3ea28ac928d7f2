//! The operator settings: one table of every setting the steps read from the environment,
//! each with its generic name, its namespaced name (`SCOPE_LAMBDA_…`), its one default and
//! a line on what it does — and the one place both names are reconciled, at start-up.
//!
//! **Why two names.** One agent runs many scopes, and operators put defaults in the agent's
//! own environment (Helm `extra_envs`). A generic name such as `ASSUME_ROLE_SELECTOR` is
//! read by other scopes too, so a value meant for this one would steer them. Each setting
//! therefore has a namespaced twin: `SCOPE_LAMBDA_` + the generic name, with a leading
//! `LAMBDA_` or `SCOPE_` dropped (`LAMBDA_MEMORY` → `SCOPE_LAMBDA_MEMORY`). The
//! namespaced name wins; the generic one stays accepted for compatibility.
//!
//! **What is in the table.** A value an operator chooses (values.yaml, the agent's
//! environment, an overrides repository's configuration) that a step of this binary reads.
//! Not in it ([`NOT_SETTINGS`] names the ones steps or values.yaml mention):
//! - AWS SDK variables (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL*`): shared by every
//!   AWS tool by design. Our own call bounds `AWS_MAX_ATTEMPTS` and
//!   `AWS_CALL_TIMEOUT_SECONDS` are settings;
//! - platform inputs (`CONTEXT`, `NP_ACTION_CONTEXT`, `NP_OUTPUT_DIR`, `NP_API_KEY`,
//!   `SERVICE_PATH`): the agent sets them for this run. `NP_CLI` and
//!   `NP_CALL_TIMEOUT_SECONDS` are ours, settings;
//! - step outputs a later step reads (`LAMBDA_FUNCTION_NAME`, `DEPLOYMENT_ID`, …);
//! - values the workflows set themselves (`ASSUME_ROLE_ACCESS`, `REQUIRE_ASSET`,
//!   `TOFU_ACTION`, `SCOPE_LOG_STREAM`, …): per workflow, never the operator's;
//! - what the shell reads before the binary starts (`SCOPE_BIN_DIR`,
//!   `SCOPE_WORKFLOW_RUNNER`): no step can reconcile it.
//!
//! **Blank means unset**, everywhere ([`is_blank`]): an empty or all-whitespace value is
//! as if the variable were not there. `values.yaml`, each step's `--help` (its clap `env`
//! names come from here) and the README's settings table are checked against this table.

use std::ffi::{OsStr, OsString};

/// One operator setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperatorSetting {
    /// The name the reference scope used; still accepted.
    pub generic: &'static str,
    /// `SCOPE_LAMBDA_…`: the name operators should set; wins over `generic`.
    pub namespaced: &'static str,
    /// The value used when neither name is set (`None`: unset, or derived at run time as
    /// `about` says).
    pub default: Option<&'static str>,
    /// Never printed, not even when the two names disagree.
    pub secret: bool,
    /// What it does, in one line.
    pub about: &'static str,
}

/// Whether a setting's value may be printed.
enum Shown {
    Plain,
    Secret,
}

macro_rules! table {
    ($($name:ident: $namespaced:literal, $default:expr, $shown:ident, $about:literal;)*) => {
        $(
            #[doc = $about]
            pub const $name: OperatorSetting = OperatorSetting {
                generic: stringify!($name),
                namespaced: $namespaced,
                default: $default,
                secret: matches!(Shown::$shown, Shown::Secret),
                about: $about,
            };
        )*
        /// Every operator setting, in the order values.yaml and the README list them.
        pub const ALL: &[OperatorSetting] = &[$($name),*];
    };
}

table! {
    // The role the workflows act as (assume-role).
    ASSUME_ROLE_ARN: "SCOPE_LAMBDA_ASSUME_ROLE_ARN", None, Plain,
        "role to assume, overriding every other source";
    ASSUME_ROLE_SELECTOR: "SCOPE_LAMBDA_ASSUME_ROLE_SELECTOR", Some("lambda"), Plain,
        "selector of the AWS IAM provider entry (iam_role_arns.arns[].selector) to assume";
    ASSUME_ROLE_ARN_DEFAULT: "SCOPE_LAMBDA_ASSUME_ROLE_ARN_DEFAULT", None, Plain,
        "role assumed when neither the IAM provider nor scope-configurations names one";
    ASSUME_ROLE_READ_SELECTOR: "SCOPE_LAMBDA_ASSUME_ROLE_READ_SELECTOR", Some("lambda-read"), Plain,
        "selector of the read-only role's entry, tried first by telemetry and diagnose";
    ASSUME_ROLE_SESSION_NAME: "SCOPE_LAMBDA_ASSUME_ROLE_SESSION_NAME", None, Plain,
        "STS session name (2-64 of [A-Za-z0-9+=,.@_-]); unset: np-lambda-<scope id>";
    ASSUME_ROLE_DURATION_SECONDS: "SCOPE_LAMBDA_ASSUME_ROLE_DURATION_SECONDS", Some("3600"), Plain,
        "session lifetime, 900-43200 s (at most 3600 when the agent runs under an assumed role)";
    ASSUME_ROLE_EXTERNAL_ID: "SCOPE_LAMBDA_ASSUME_ROLE_EXTERNAL_ID", None, Secret,
        "ExternalId for the role's trust policy (the IAM provider entry's external_id wins)";
    ASSUME_ROLE_POLICY_ARNS: "SCOPE_LAMBDA_ASSUME_ROLE_POLICY_ARNS", None, Plain,
        "managed session-policy ARNs narrowing the role, comma-separated (at most 10)";
    ASSUME_ROLE_SESSION_POLICY: "SCOPE_LAMBDA_ASSUME_ROLE_SESSION_POLICY", None, Plain,
        "one inline session-policy JSON document narrowing the role";
    ASSUME_ROLE_SESSION_TAGS: "SCOPE_LAMBDA_ASSUME_ROLE_SESSION_TAGS", Some("false"), Plain,
        "send session tags (the role's trust policy must allow sts:TagSession)";
    ASSUME_ROLE_MAX_ATTEMPTS: "SCOPE_LAMBDA_ASSUME_ROLE_MAX_ATTEMPTS", Some("3"), Plain,
        "STS attempts for throttling and transient errors (AccessDenied fails at once)";
    ASSUME_ROLE_REQUIRED: "SCOPE_LAMBDA_ASSUME_ROLE_REQUIRED", Some("false"), Plain,
        "fail when no role is found instead of letting later steps use the agent's credentials";
    SCOPE_CREDENTIALS_CACHE_DIR: "SCOPE_LAMBDA_CREDENTIALS_CACHE_DIR", None, Plain,
        "assumed-credentials cache folder, or off; unset: <user cache dir>/lambda-scope/credentials";
    ASSUME_ROLE_REFRESH_SECONDS: "SCOPE_LAMBDA_ASSUME_ROLE_REFRESH_SECONDS", Some("300"), Plain,
        "cached credentials are reused only while more than this many seconds remain";
    // Runtime.
    AWS_CALL_TIMEOUT_SECONDS: "SCOPE_LAMBDA_AWS_CALL_TIMEOUT_SECONDS", Some("30"), Plain,
        "longest attempt of an AWS call, 1-300 s";
    AWS_MAX_ATTEMPTS: "SCOPE_LAMBDA_AWS_MAX_ATTEMPTS", Some("3"), Plain,
        "attempts per AWS call, 1-10";
    NP_CALL_TIMEOUT_SECONDS: "SCOPE_LAMBDA_NP_CALL_TIMEOUT_SECONDS", Some("60"), Plain,
        "longest np call, 1-3600 s, after which np and what it started are stopped";
    NP_CLI: "SCOPE_LAMBDA_NP_CLI", Some("np"), Plain,
        "the nullplatform CLI the steps and the entrypoint run";
    // Scope configuration and context.
    PLACEHOLDER_IMAGE_URI_DEFAULT: "SCOPE_LAMBDA_PLACEHOLDER_IMAGE_URI_DEFAULT", None, Plain,
        "placeholder image of Image scopes without scope-configurations deployment.placeholder_image_uri ({arch} in it: arm64 or amd64 for the function)";
    LAMBDA_ARCHITECTURE: "SCOPE_LAMBDA_ARCHITECTURE", Some("arm64"), Plain,
        "function architecture when the scope's capabilities name none (arm64 or x86_64)";
    ALB_LISTENER_RULE_CAPACITY: "SCOPE_LAMBDA_ALB_LISTENER_RULE_CAPACITY", Some("100"), Plain,
        "listener rules the private ALB holds (scope-configurations networking wins)";
    ALB_LISTENER_RULE_ALERT_THRESHOLD: "SCOPE_LAMBDA_ALB_LISTENER_RULE_ALERT_THRESHOLD", Some("80"), Plain,
        "listener rules in use above which private scope creation warns; below the capacity";
    LAMBDA_MAIN_ALIAS_NAME: "SCOPE_LAMBDA_MAIN_ALIAS_NAME", Some("main"), Plain,
        "the alias every deployment moves and invocations call";
    PARAMETERS_STRATEGY: "SCOPE_LAMBDA_PARAMETERS_STRATEGY", Some("env"), Plain,
        "where deployment parameters go: env (function environment) or secretsmanager";
    // Diagnose.
    DIAGNOSE_FAIL_ON: "SCOPE_LAMBDA_DIAGNOSE_FAIL_ON", Some("failed"), Plain,
        "when diagnose fails the action: failed, warning or never";
    DIAGNOSE_CHECK_TIMEOUT: "SCOPE_LAMBDA_DIAGNOSE_CHECK_TIMEOUT", Some("30"), Plain,
        "seconds each diagnose check may take before it is reported as a warning";
    // Deployments.
    DEPLOYMENT_MAX_WAIT_IN_SECONDS: "SCOPE_LAMBDA_DEPLOYMENT_MAX_WAIT_IN_SECONDS", Some("600"), Plain,
        "longest wait for a code or configuration update to settle";
    LAMBDA_MEMORY: "SCOPE_LAMBDA_MEMORY", Some("256"), Plain,
        "function memory (MB) when the scope's capabilities name none";
    LAMBDA_TIMEOUT: "SCOPE_LAMBDA_TIMEOUT", Some("30"), Plain,
        "function timeout (s) when the scope's capabilities name none";
    LAMBDA_EPHEMERAL_STORAGE: "SCOPE_LAMBDA_EPHEMERAL_STORAGE", Some("512"), Plain,
        "function /tmp size (MB) when the scope's capabilities name none";
    LAMBDA_VPC_ENABLED: "SCOPE_LAMBDA_VPC_ENABLED", Some("false"), Plain,
        "run the function in the VPC when the scope's capabilities do not say";
    USE_NULL_AGENT: "SCOPE_LAMBDA_USE_NULL_AGENT", Some("false"), Plain,
        "add the null agent's layer and exec wrapper to the function";
    NULLPLATFORM_APIKEY: "SCOPE_LAMBDA_NULLPLATFORM_APIKEY", None, Secret,
        "the null agent's API key, set on the function when USE_NULL_AGENT is true";
    PROVISIONED_CONCURRENCY_MAX_WAIT_SECONDS: "SCOPE_LAMBDA_PROVISIONED_CONCURRENCY_MAX_WAIT_SECONDS", Some("600"), Plain,
        "longest wait for provisioned concurrency to be READY";
    PROVISIONED_CONCURRENCY_POLL_INTERVAL: "SCOPE_LAMBDA_PROVISIONED_CONCURRENCY_POLL_INTERVAL", Some("5"), Plain,
        "seconds between two provisioned-concurrency status reads";
    // Scope lifecycle with OpenTofu.
    TOFU_BIN: "SCOPE_LAMBDA_TOFU_BIN", None, Plain,
        "the OpenTofu or Terraform binary, a path or a name on PATH; unset: tofu, else terraform";
    TOFU_MODULES_DIR: "SCOPE_LAMBDA_TOFU_MODULES_DIR", None, Plain,
        "where compose-tofu reads the modules from; unset: $SERVICE_PATH/tofu";
    TOFU_EXPECTED_DURATION_SECONDS: "SCOPE_LAMBDA_TOFU_EXPECTED_DURATION_SECONDS", Some("2700"), Plain,
        "how long a tofu run may take (60-43200 s): inherited credentials that would not outlast it, with the refresh margin, are served refreshed";
    LOG_RETENTION_DAYS: "SCOPE_LAMBDA_LOG_RETENTION_DAYS", Some("30"), Plain,
        "retention of the function's log group, a period CloudWatch Logs accepts (0: never expire)";
    IAM_PROPAGATION_SECONDS: "SCOPE_LAMBDA_IAM_PROPAGATION_SECONDS", Some("10"), Plain,
        "seconds the iam module waits after creating an execution role, 0-300";
    LAMBDA_EXECUTION_ROLE_PREFIX: "SCOPE_LAMBDA_EXECUTION_ROLE_PREFIX", Some("np-lambda-"), Plain,
        "prefix of execution role names (scope-configurations lambda.execution_role_prefix wins)";
    LAMBDA_EXECUTION_ROLE_PREFIXES_ALLOWED: "SCOPE_LAMBDA_EXECUTION_ROLE_PREFIXES_ALLOWED", None, Plain,
        "the install module's execution-role prefixes, comma-separated; compose-tofu warns outside them";
    IAM_PERMISSIONS_BOUNDARY: "SCOPE_LAMBDA_IAM_PERMISSIONS_BOUNDARY", None, Plain,
        "permissions boundary policy ARN of every execution role (scope-configurations wins)";
    IAM_PERMISSIONS_BOUNDARY_DEFAULT: "SCOPE_LAMBDA_IAM_PERMISSIONS_BOUNDARY_DEFAULT", None, Plain,
        "the boundary the install module's channel sets, used when nothing else names one";
    LAMBDA_TRACING_MODE: "SCOPE_LAMBDA_TRACING_MODE", Some("Active"), Plain,
        "X-Ray tracing of the function: Active or PassThrough";
    LOG_KMS_KEY_ARN: "SCOPE_LAMBDA_LOG_KMS_KEY_ARN", None, Plain,
        "KMS key encrypting the function's log group; unset: CloudWatch Logs' own encryption";
    API_CERTIFICATE_ARN: "SCOPE_LAMBDA_API_CERTIFICATE_ARN", None, Plain,
        "ACM certificate of a public scope's custom domain on API Gateway";
    HOSTED_PUBLIC_ZONE_NAME: "SCOPE_LAMBDA_HOSTED_PUBLIC_ZONE_NAME", None, Plain,
        "zone name of public scope domains; unset: public scopes get no domain";
    HOSTED_PRIVATE_ZONE_NAME: "SCOPE_LAMBDA_HOSTED_PRIVATE_ZONE_NAME", None, Plain,
        "zone name of private scope domains; unset: private scopes get no domain";
    USE_ACCOUNT_SLUG: "SCOPE_LAMBDA_USE_ACCOUNT_SLUG", Some("false"), Plain,
        "put the account slug in scope domains";
    ALB_RULE_PRIORITY: "SCOPE_LAMBDA_ALB_RULE_PRIORITY", None, Plain,
        "listener-rule priority (1-50000) forced on a private scope, in a per-scope override only";
}

/// Why a variable the steps read (or values.yaml documents) is not an operator setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotASetting {
    /// An earlier step's output.
    StepOutput,
    /// Set by the workflows (or the local runner) themselves, per workflow.
    SetByWorkflow,
    /// Set by the agent for this run.
    PlatformInput,
    /// Read by the shims or the entrypoint before the binary runs.
    ReadByShell,
}

/// Variables a step's `--help` or values.yaml names that are not in the table, and why.
pub const NOT_SETTINGS: &[(&str, NotASetting)] = &[
    ("LAMBDA_FUNCTION_NAME", NotASetting::StepOutput),
    ("SCOPE_ID", NotASetting::StepOutput),
    ("DEPLOYMENT_ID", NotASetting::StepOutput),
    ("BLUE_DEPLOYMENT_ID", NotASetting::StepOutput),
    ("LAMBDA_GREEN_VERSION", NotASetting::StepOutput),
    ("LAMBDA_BLUE_VERSION", NotASetting::StepOutput),
    ("DESIRED_TRAFFIC", NotASetting::StepOutput),
    ("PACKAGE_TYPE", NotASetting::StepOutput),
    ("IMAGE_URI", NotASetting::StepOutput),
    ("S3_BUCKET", NotASetting::StepOutput),
    ("S3_KEY", NotASetting::StepOutput),
    ("ASSUME_ROLE_ACCESS", NotASetting::SetByWorkflow),
    ("ALIAS_STRATEGY", NotASetting::SetByWorkflow),
    ("METRIC_REQUEST", NotASetting::SetByWorkflow),
    ("REQUIRE_ASSET", NotASetting::SetByWorkflow),
    ("REQUIRE_STATE_BUCKET", NotASetting::SetByWorkflow),
    ("SCOPE_WORKFLOW_STRICT", NotASetting::SetByWorkflow),
    ("NP_ACTION_CONTEXT", NotASetting::PlatformInput),
    ("SCOPE_BIN_DIR", NotASetting::ReadByShell),
];

/// The one rule for "blank means unset": empty, or nothing but whitespace.
pub fn is_blank(value: &str) -> bool {
    value.trim().is_empty()
}

/// [`is_blank`] for a raw environment value; one that is not UTF-8 is not blank.
fn is_blank_os(value: &OsStr) -> bool {
    value.to_str().is_some_and(is_blank)
}

impl OperatorSetting {
    /// The setting in `env` under its generic name (which carries the effective value after
    /// [`apply_to_process_env`]; blank is unset), else its default.
    pub fn value(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        env(self.generic)
            .filter(|value| !is_blank(value))
            .or_else(|| self.default.map(str::to_string))
    }

    /// The default of a setting that has one (a setting without one is a programming
    /// error, caught by the first test that reaches it).
    pub const fn default_text(&self) -> &'static str {
        match self.default {
            Some(text) => text,
            None => panic!("this setting has no default"),
        }
    }

    /// The default as a whole number, at compile time: typed defaults elsewhere are
    /// derived from the table's text, so there is one definition.
    pub const fn default_u64(&self) -> u64 {
        let bytes = self.default_text().as_bytes();
        assert!(!bytes.is_empty(), "an empty default is no number");
        let mut number = 0u64;
        let mut at = 0;
        while at < bytes.len() {
            assert!(
                bytes[at].is_ascii_digit(),
                "the default is not a whole number"
            );
            number = number * 10 + (bytes[at] - b'0') as u64;
            at += 1;
        }
        number
    }

    /// [`Self::default_u64`] as a `u32`.
    pub const fn default_u32(&self) -> u32 {
        let number = self.default_u64();
        assert!(
            number <= u32::MAX as u64,
            "the default does not fit in a u32"
        );
        number as u32
    }
}

/// The table entry whose generic or namespaced name is `name`.
pub fn find(name: &str) -> Option<&'static OperatorSetting> {
    ALL.iter()
        .find(|setting| setting.generic == name || setting.namespaced == name)
}

/// What start-up decided for one setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub setting: &'static OperatorSetting,
    /// The effective value (`None`: both names unset or blank).
    pub value: Option<OsString>,
    /// Set when both names held different values: the one line saying which was used.
    pub notice: Option<String>,
}

/// Reconciles both names of every setting as `lookup` (the process environment) has
/// them: the namespaced value unless blank, else the generic one unless blank, else none.
pub fn reconcile(lookup: impl Fn(&str) -> Option<OsString>) -> Vec<Reconciled> {
    let present = |name: &str| lookup(name).filter(|value| !is_blank_os(value));
    ALL.iter()
        .map(|setting| {
            let namespaced = present(setting.namespaced);
            let generic = present(setting.generic);
            let notice = match (&namespaced, &generic) {
                (Some(used), Some(other)) if used != other => {
                    Some(disagreement(setting, used, other))
                }
                _ => None,
            };
            Reconciled {
                setting,
                value: namespaced.or(generic),
                notice,
            }
        })
        .collect()
}

/// The line printed when both names are set differently; a secret's values are not shown.
fn disagreement(setting: &OperatorSetting, used: &OsStr, other: &OsStr) -> String {
    let (namespaced, generic) = (setting.namespaced, setting.generic);
    if setting.secret {
        return format!(
            "⚠️  {namespaced} and {generic} are both set, to different values (not shown: secret): using {namespaced}"
        );
    }
    format!(
        "⚠️  {namespaced}={} and {generic}={} are both set: using {namespaced} (the namespaced name wins)",
        shown(used),
        shown(other)
    )
}

/// A value as the notice shows it: quoted, cut after 60 characters.
fn shown(value: &OsStr) -> String {
    let text = value.to_string_lossy();
    let mut cut: String = text.chars().take(60).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("'{cut}'")
}

/// The process edge: reconciles every setting's two names once, before anything reads
/// them, and prints a notice for each one set to two different values (on stderr: the
/// progress stream is not chosen yet, and a telemetry step's stdout is its response).
///
/// Afterwards both names carry the effective value, or neither is set: clap's `env`
/// attributes (which use the namespaced names, so `--help` shows them), the code that
/// reads generic names, and every child process (tofu, np, the steps the local runner
/// starts) see one value without reconciling again. Where a step's configuration then
/// sets a generic name, the twin this process only copied must follow it: the local
/// runner hands its children [`for_child`]'s environment.
///
/// Call it first thing in `main`, while the process has one thread: changing the
/// environment is only sound while no other thread can read it.
pub fn apply_to_process_env() {
    let mut derived = Vec::new();
    for reconciled in reconcile(|name| std::env::var_os(name)) {
        if let Some(notice) = &reconciled.notice {
            eprintln!("{notice}");
        }
        let setting = reconciled.setting;
        match &reconciled.value {
            Some(value) => {
                let operator_set = std::env::var_os(setting.namespaced)
                    .is_some_and(|namespaced| !is_blank_os(&namespaced));
                if !operator_set {
                    derived.push((setting.namespaced, setting.generic, value.clone()));
                }
                std::env::set_var(setting.namespaced, value);
                std::env::set_var(setting.generic, value);
            }
            None => {
                std::env::remove_var(setting.namespaced);
                std::env::remove_var(setting.generic);
            }
        }
    }
    let _ = DERIVED.set(derived);
}

/// Namespaced names this process set from their generic twin at start-up, with the value:
/// (namespaced, generic, value).
static DERIVED: std::sync::OnceLock<Vec<(&'static str, &'static str, OsString)>> =
    std::sync::OnceLock::new();

/// The environment for a child whose generic names may have been set since start-up
/// (the local runner's step configuration): a namespaced name this process only copied
/// from its generic twin follows the twin's new value, so the child does not take the
/// copy for an operator's choice. A namespaced name the operator set is left as it is.
pub fn for_child(
    env: &std::collections::BTreeMap<String, String>,
) -> std::collections::BTreeMap<String, String> {
    let mut env = env.clone();
    for (namespaced, generic, value) in DERIVED.get().map(Vec::as_slice).unwrap_or_default() {
        if env.get(*namespaced).map(OsStr::new) != Some(value.as_os_str()) {
            continue;
        }
        match env.get(*generic).cloned() {
            Some(now) if now.as_str() != value.as_os_str() => {
                env.insert(namespaced.to_string(), now);
            }
            Some(_) => {}
            None => {
                env.remove(*namespaced);
            }
        }
    }
    env
}

/// The README's settings table (between its `settings:begin` and `settings:end` marks).
pub fn markdown_table() -> String {
    let mut table =
        String::from("| setting | also read as | default | what |\n|---|---|---|---|\n");
    for setting in ALL {
        let default = match setting.default {
            Some(value) => format!("`{value}`"),
            None => "—".to_string(),
        };
        let about = if setting.secret {
            format!("{} (secret: never printed)", setting.about)
        } else {
            setting.about.to_string()
        };
        table.push_str(&format!(
            "| `{}` | `{}` | {default} | {} |\n",
            setting.namespaced,
            setting.generic,
            about.replace('|', "\\|")
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(name, value)| (name.to_string(), OsString::from(value)))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn reconciled<'a>(all: &'a [Reconciled], setting: &OperatorSetting) -> &'a Reconciled {
        all.iter().find(|r| r.setting == setting).unwrap()
    }

    #[test]
    fn namespaced_names_follow_one_rule_and_no_name_is_used_twice() {
        let mut names = BTreeSet::new();
        for setting in ALL {
            let stem = setting
                .generic
                .strip_prefix("LAMBDA_")
                .or_else(|| setting.generic.strip_prefix("SCOPE_"))
                .unwrap_or(setting.generic);
            assert_eq!(
                setting.namespaced,
                format!("SCOPE_LAMBDA_{stem}"),
                "{}",
                setting.generic
            );
            assert!(names.insert(setting.generic), "{} twice", setting.generic);
            assert!(
                names.insert(setting.namespaced),
                "{} twice",
                setting.namespaced
            );
            assert!(
                NOT_SETTINGS
                    .iter()
                    .all(|(name, _)| name != &setting.generic),
                "{} is both a setting and not one",
                setting.generic
            );
            assert!(
                !setting.about.is_empty() && !setting.about.contains('\n'),
                "{}: one line on what it does",
                setting.generic
            );
        }
    }

    #[test]
    fn the_namespaced_name_wins_and_the_generic_alone_still_counts() {
        let both = reconcile(lookup(&[
            ("ASSUME_ROLE_SELECTOR", "s3"),
            ("SCOPE_LAMBDA_ASSUME_ROLE_SELECTOR", "lambda"),
        ]));
        let selector = reconciled(&both, &ASSUME_ROLE_SELECTOR);
        assert_eq!(selector.value.as_deref(), Some(OsStr::new("lambda")));
        assert_eq!(
            selector.notice.as_deref(),
            Some("⚠️  SCOPE_LAMBDA_ASSUME_ROLE_SELECTOR='lambda' and ASSUME_ROLE_SELECTOR='s3' are both set: using SCOPE_LAMBDA_ASSUME_ROLE_SELECTOR (the namespaced name wins)")
        );
        assert!(
            both.iter().filter(|r| r.notice.is_some()).count() == 1,
            "only the setting set twice is reported"
        );

        let generic = reconcile(lookup(&[("ASSUME_ROLE_SELECTOR", "s3")]));
        let selector = reconciled(&generic, &ASSUME_ROLE_SELECTOR);
        assert_eq!(selector.value.as_deref(), Some(OsStr::new("s3")));
        assert_eq!(selector.notice, None);

        let same = reconcile(lookup(&[
            ("LAMBDA_MEMORY", "512"),
            ("SCOPE_LAMBDA_MEMORY", "512"),
        ]));
        assert_eq!(
            reconciled(&same, &LAMBDA_MEMORY).notice,
            None,
            "equal values say nothing"
        );
    }

    #[test]
    fn blank_is_unset_under_either_name() {
        let all = reconcile(lookup(&[
            ("SCOPE_LAMBDA_ASSUME_ROLE_SELECTOR", "  "),
            ("ASSUME_ROLE_SELECTOR", "s3"),
            ("SCOPE_LAMBDA_MEMORY", "1024"),
            ("LAMBDA_MEMORY", ""),
            ("ASSUME_ROLE_ARN", " \t"),
        ]));
        let selector = reconciled(&all, &ASSUME_ROLE_SELECTOR);
        assert_eq!(selector.value.as_deref(), Some(OsStr::new("s3")));
        assert_eq!(selector.notice, None);
        let memory = reconciled(&all, &LAMBDA_MEMORY);
        assert_eq!(memory.value.as_deref(), Some(OsStr::new("1024")));
        assert_eq!(memory.notice, None);
        assert_eq!(reconciled(&all, &ASSUME_ROLE_ARN).value, None);
        assert!(is_blank("") && is_blank(" \n") && !is_blank(" x "));
        let env = |name: &str| (name == "LAMBDA_MAIN_ALIAS_NAME").then(|| " ".to_string());
        assert_eq!(LAMBDA_MAIN_ALIAS_NAME.value(&env).as_deref(), Some("main"));
    }

    #[test]
    fn a_secret_set_twice_is_reported_without_its_values() {
        let all = reconcile(lookup(&[
            (
                "SCOPE_LAMBDA_ASSUME_ROLE_EXTERNAL_ID",
                "ext-namespaced-7731",
            ),
            ("ASSUME_ROLE_EXTERNAL_ID", "ext-generic-9902"),
            ("SCOPE_LAMBDA_NULLPLATFORM_APIKEY", "key-a-5512"),
            ("NULLPLATFORM_APIKEY", "key-b-6623"),
        ]));
        for (setting, used, values) in [
            (
                &ASSUME_ROLE_EXTERNAL_ID,
                "ext-namespaced-7731",
                ["7731", "9902"],
            ),
            (&NULLPLATFORM_APIKEY, "key-a-5512", ["5512", "6623"]),
        ] {
            let reconciled = reconciled(&all, setting);
            assert_eq!(reconciled.value.as_deref(), Some(OsStr::new(used)));
            let notice = reconciled.notice.as_deref().unwrap();
            assert!(
                notice.contains(&format!("using {}", setting.namespaced)),
                "{notice}"
            );
            for value in values {
                assert!(
                    !notice.contains(value),
                    "a secret value is printed: {notice}"
                );
            }
        }
    }

    #[test]
    fn long_values_are_cut_in_the_notice() {
        let long = "x".repeat(500);
        let all = reconcile(lookup(&[
            ("SCOPE_LAMBDA_ASSUME_ROLE_SESSION_POLICY", &long),
            ("ASSUME_ROLE_SESSION_POLICY", "{}"),
        ]));
        let notice = reconciled(&all, &ASSUME_ROLE_SESSION_POLICY)
            .notice
            .clone()
            .unwrap();
        assert!(notice.len() < 250, "{notice}");
        assert!(notice.contains('…'));
    }

    #[test]
    fn typed_defaults_come_from_the_table() {
        assert_eq!(DEPLOYMENT_MAX_WAIT_IN_SECONDS.default_u64(), 600);
        assert_eq!(AWS_MAX_ATTEMPTS.default_u32(), 3);
        assert_eq!(crate::credentials::request::DEFAULT_DURATION, 3600);
        assert_eq!(
            crate::deploy::parameters::ParametersStrategy::default().as_str(),
            PARAMETERS_STRATEGY.default_text()
        );
        for setting in ALL {
            assert_eq!(find(setting.generic), Some(setting));
            assert_eq!(find(setting.namespaced), Some(setting));
        }
    }

    #[test]
    fn the_function_modules_defaults_are_the_tables() {
        // compose-tofu passes these only when set, so the module's default is the one used.
        let variables = include_str!("../tofu/compute/lambda/variables.tf");
        for (variable, setting) in [
            ("log_retention_days", &LOG_RETENTION_DAYS),
            ("tracing_mode", &LAMBDA_TRACING_MODE),
            ("main_alias_name", &LAMBDA_MAIN_ALIAS_NAME),
        ] {
            let block = variables
                .split_once(&format!("variable \"{variable}\" {{"))
                .and_then(|(_, rest)| rest.split_once("\n}"))
                .map(|(block, _)| block)
                .unwrap_or_else(|| panic!("tofu/compute/lambda declares no {variable}"));
            let default = block
                .lines()
                .find_map(|line| line.trim().strip_prefix("default"))
                .map(|rest| {
                    rest.trim_start()
                        .trim_start_matches('=')
                        .trim()
                        .trim_matches('"')
                });
            assert_eq!(
                default, setting.default,
                "tofu/compute/lambda's {variable} default differs from {}'s",
                setting.generic
            );
        }
    }

    /// `# NAME: value` lines of values.yaml (the documented, commented-out settings).
    fn values_yaml_keys() -> Vec<(String, String)> {
        let text = include_str!("../values.yaml");
        text.lines()
            .filter_map(|line| line.strip_prefix("# "))
            .filter_map(|line| line.split_once(": "))
            .filter(|(name, _)| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
            .map(|(name, value)| (name.to_string(), value.trim().to_string()))
            .collect()
    }

    #[test]
    fn values_yaml_documents_every_setting_under_its_namespaced_name_with_its_default() {
        let keys = values_yaml_keys();
        for setting in ALL {
            let found: Vec<&(String, String)> = keys
                .iter()
                .filter(|(name, _)| name == setting.namespaced)
                .collect();
            assert_eq!(
                found.len(),
                1,
                "values.yaml must document {} once, as `# {}: <default>`",
                setting.generic,
                setting.namespaced
            );
            let shown = found[0].1.trim_matches('"');
            assert_eq!(
                shown,
                setting.default.unwrap_or(""),
                "values.yaml shows another default for {}",
                setting.namespaced
            );
        }
        for (name, _) in &keys {
            let known = ALL.iter().any(|setting| setting.namespaced == name)
                || NOT_SETTINGS.iter().any(|(other, _)| other == name);
            assert!(
                known,
                "values.yaml documents {name}, which is no setting's namespaced name (a generic name, or one missing from settings::ALL)"
            );
        }
    }

    #[test]
    fn the_readme_settings_table_is_the_table() {
        let readme = include_str!("../README.md");
        let block = readme
            .split_once("<!-- settings:begin -->\n")
            .and_then(|(_, rest)| rest.split_once("<!-- settings:end -->"))
            .map(|(block, _)| block)
            .expect("README.md has a settings block between <!-- settings:begin --> and <!-- settings:end -->");
        assert_eq!(
            block,
            markdown_table(),
            "README.md's settings table differs from settings::ALL; replace the block with the expected text"
        );
    }
}
