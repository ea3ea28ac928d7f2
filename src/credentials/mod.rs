//! The assume-role step: resolve the role (see [`chain`]), validate the request
//! ([`request`]), reuse cached credentials or call STS ([`cache`], [`sts`]) as the
//! agent's identity ([`base`]), and emit the temporary credentials as outputs every
//! later step inherits; long steps get them refreshed ([`refresh`]).

pub mod base;
pub mod cache;
pub mod chain;
pub mod refresh;
pub mod request;
pub mod sts;

use jiff::Timestamp;

use crate::aws;
use crate::context::Context;
use crate::np::NpClient;
use crate::report::StepError;
use crate::step::{progress, warn, Outputs};
use base::Base;
use cache::{CacheKey, CredentialCache, Lookup};
use chain::{ChainInputs, ResolvedRole};
use request::{AssumeRequest, RequestInputs};
use sts::{AssumedCredentials, Provenance};

/// Settings of the assume-role step; each is read from the environment variable
/// named in its help (the flags exist for people running the binary by hand).
#[derive(Debug, Clone, clap::Args)]
pub struct AssumeRoleSettings {
    /// Role to assume, overriding every other source.
    #[arg(long, env = crate::settings::ASSUME_ROLE_ARN.namespaced, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// Selector of the AWS IAM provider entry (iam_role_arns.arns[].selector).
    #[arg(long, env = crate::settings::ASSUME_ROLE_SELECTOR.namespaced, default_value = crate::settings::ASSUME_ROLE_SELECTOR.default)]
    pub selector: String,
    /// What the workflow does with the role: `read` (telemetry, diagnose) first looks
    /// for the read-only role (ASSUME_ROLE_READ_SELECTOR), then the main one.
    #[arg(long, env = "ASSUME_ROLE_ACCESS", value_enum, default_value = "write")]
    pub access: Access,
    /// Selector of the read-only role's IAM provider entry (read workflows only).
    #[arg(long, env = crate::settings::ASSUME_ROLE_READ_SELECTOR.namespaced, default_value = crate::settings::ASSUME_ROLE_READ_SELECTOR.default)]
    pub read_selector: String,
    /// Role used when no provider names one.
    #[arg(long, env = crate::settings::ASSUME_ROLE_ARN_DEFAULT.namespaced, value_name = "ARN")]
    pub default_role_arn: Option<String>,
    /// STS session name (2–64 of [A-Za-z0-9+=,.@_-]); default np-lambda-<scope id>.
    #[arg(long, env = crate::settings::ASSUME_ROLE_SESSION_NAME.namespaced)]
    pub session_name: Option<String>,
    /// Session lifetime in seconds, 900–43200 [default: 3600].
    #[arg(long, env = crate::settings::ASSUME_ROLE_DURATION_SECONDS.namespaced, value_name = "SECONDS")]
    pub duration_seconds: Option<String>,
    /// ExternalId sent to STS when the IAM provider entry has none.
    #[arg(long, env = crate::settings::ASSUME_ROLE_EXTERNAL_ID.namespaced, hide_env_values = true)]
    pub external_id: Option<String>,
    /// Comma-separated managed session-policy ARNs (at most 10).
    #[arg(long, env = crate::settings::ASSUME_ROLE_POLICY_ARNS.namespaced, value_name = "ARNS")]
    pub policy_arns: Option<String>,
    /// Inline session policy (one IAM policy JSON document).
    #[arg(long, env = crate::settings::ASSUME_ROLE_SESSION_POLICY.namespaced, value_name = "JSON")]
    pub session_policy: Option<String>,
    /// Send session tags (nullplatform:scope-id, …); the trust policy must allow sts:TagSession.
    #[arg(
        long,
        env = crate::settings::ASSUME_ROLE_SESSION_TAGS.namespaced,
        default_value = crate::settings::ASSUME_ROLE_SESSION_TAGS.default,
        value_name = "BOOL"
    )]
    pub session_tags: String,
    /// Fail when no role is found anywhere, instead of letting later steps use the
    /// agent's own credentials.
    #[arg(
        long,
        env = crate::settings::ASSUME_ROLE_REQUIRED.namespaced,
        default_value = crate::settings::ASSUME_ROLE_REQUIRED.default,
        value_name = "BOOL"
    )]
    pub required: String,
    /// STS attempts for throttling and transient errors (others fail at once).
    #[arg(long, env = crate::settings::ASSUME_ROLE_MAX_ATTEMPTS.namespaced, default_value = crate::settings::ASSUME_ROLE_MAX_ATTEMPTS.default)]
    pub max_attempts: u32,
    /// Credentials cache folder, or `off` [default: <user cache dir>/lambda-scope/credentials].
    #[arg(long, env = crate::settings::SCOPE_CREDENTIALS_CACHE_DIR.namespaced, value_name = "DIR")]
    pub cache_dir: Option<String>,
    /// Cached credentials are reused only while more than this many seconds remain.
    #[arg(long, env = crate::settings::ASSUME_ROLE_REFRESH_SECONDS.namespaced, default_value = crate::settings::ASSUME_ROLE_REFRESH_SECONDS.default)]
    pub refresh_seconds: i64,
}

impl AssumeRoleSettings {
    /// The settings from the environment alone (for steps that assume again).
    pub fn from_env() -> Result<Self, StepError> {
        #[derive(clap::Parser)]
        struct FromEnv {
            #[command(flatten)]
            settings: AssumeRoleSettings,
        }
        <FromEnv as clap::Parser>::try_parse_from(["assume-role-settings"])
            .map(|parsed| parsed.settings)
            .map_err(|err| {
                StepError::new(format!("the assume-role settings are not valid: {err}"))
                    .fix("correct the ASSUME_ROLE_* setting named above")
                    .usage()
            })
    }
}

/// Whether a workflow only reads (and can act as the read-only role) or changes AWS:
/// the permissions table's notion, so the workflows and the read role's policy agree.
pub use crate::permissions::Access;

/// Output names, in the order they are written.
pub const OUTPUT_NAMES: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "ASSUME_ROLE_ARN",
    "ASSUME_ROLE_SOURCE",
];

/// Runs the step: `Ok` with no outputs when no role is configured.
pub async fn assume_role_step(settings: &AssumeRoleSettings) -> Result<Outputs, StepError> {
    let context = Context::from_env()?;
    let required = parse_bool(&settings.required, "ASSUME_ROLE_REQUIRED")?;
    let Some(resolved) = resolve(settings, &context, settings.role_arn.clone())? else {
        if required {
            return Err(StepError::new(
                "no role to assume was found, and ASSUME_ROLE_REQUIRED is true",
            )
            .cause(format!(
                "none of ASSUME_ROLE_ARN, the AWS IAM provider (selector '{}'), scope-configurations assume_role.arn or ASSUME_ROLE_ARN_DEFAULT names a role (what was read is above)",
                settings.selector
            ))
            .fix(format!(
                "add an iam_role_arns entry with selector '{}' to the AWS IAM provider at the account NRN, or set ASSUME_ROLE_ARN_DEFAULT",
                settings.selector
            ))
            .fix("nothing was emitted: the workflow stops before any step acts with the agent's own credentials")
            .usage());
        }
        progress("🔓 No role to assume is configured (ASSUME_ROLE_ARN, AWS IAM provider, scope-configurations, ASSUME_ROLE_ARN_DEFAULT): later steps use the agent's own credentials");
        return Ok(Outputs::new());
    };
    let credentials = obtain(
        &resolved.request,
        &resolved.source_description,
        &Reuse::from(settings),
        &Base::AsGiven,
    )
    .await?;
    Ok(outputs(&credentials, &resolved.role))
}

/// The role a workflow acts as and the STS request for it.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub role: ResolvedRole,
    pub request: AssumeRequest,
    /// Where the role came from, in words (for reports).
    pub source_description: String,
}

/// Runs the chain (with `explicit_arn` as its first source) and builds the request;
/// `None` when no source names a role.
pub fn resolve(
    settings: &AssumeRoleSettings,
    context: &Context,
    explicit_arn: Option<String>,
) -> Result<Option<Resolved>, StepError> {
    let chain = ChainInputs {
        explicit_arn,
        selector: settings.selector.clone(),
        read_selector: (settings.access == Access::Read).then(|| settings.read_selector.clone()),
        default_arn: settings.default_role_arn.clone(),
    };
    let Some(role) = chain::resolve_role(&chain, context, &NpClient::from_env())? else {
        return Ok(None);
    };
    let used_selector = match role.source {
        chain::RoleSource::IamProviderRead => &settings.read_selector,
        _ => &settings.selector,
    };
    let source_description = role.source.describe(used_selector);
    progress(format!("🔐 Role {} (from {source_description})", role.arn));
    let request = build_request(settings, context, &role)?;
    Ok(Some(Resolved {
        role,
        request,
        source_description,
    }))
}

/// The endpoint STS calls go to (part of the cache key: moto and AWS never share entries).
pub fn sts_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_STS")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .unwrap_or_default()
}

/// How cached credentials are reused and STS is called.
#[derive(Debug, Clone)]
pub struct Reuse {
    /// SCOPE_CREDENTIALS_CACHE_DIR as set (`off`, a folder, or unset for the default).
    pub cache_dir: Option<String>,
    /// ASSUME_ROLE_REFRESH_SECONDS.
    pub refresh_seconds: i64,
    /// ASSUME_ROLE_MAX_ATTEMPTS.
    pub max_attempts: u32,
}

impl From<&AssumeRoleSettings> for Reuse {
    fn from(settings: &AssumeRoleSettings) -> Self {
        Reuse {
            cache_dir: settings.cache_dir.clone(),
            refresh_seconds: settings.refresh_seconds,
            max_attempts: settings.max_attempts,
        }
    }
}

/// Credentials for `request`: a cached entry with more than ASSUME_ROLE_REFRESH_SECONDS
/// left, else one STS call as `base` (shared with concurrent callers through the entry's
/// lock), stored for the next caller.
pub async fn obtain(
    request: &AssumeRequest,
    source_description: &str,
    settings: &Reuse,
    base: &Base,
) -> Result<AssumedCredentials, StepError> {
    let cache = CredentialCache::from_setting(settings.cache_dir.as_deref());
    let key = CacheKey::new(request, &base.identity(), &sts_endpoint());

    if !aws::MAX_ATTEMPTS_RANGE.contains(&settings.max_attempts) {
        return Err(StepError::new(format!(
            "ASSUME_ROLE_MAX_ATTEMPTS is {}: expected a whole number from {} to {}",
            settings.max_attempts,
            aws::MAX_ATTEMPTS_RANGE.start(),
            aws::MAX_ATTEMPTS_RANGE.end()
        ))
        .cause("more attempts only make a step wait longer before it reports a failure STS keeps giving")
        .fix("set ASSUME_ROLE_MAX_ATTEMPTS from 1 to 10, or leave it unset (default 3)")
        .usage());
    }
    let bounds = aws::CallBounds::from_env()?.with_attempts(settings.max_attempts);

    let mut entry_lock = None;
    if let Some(cache) = &cache {
        if let Some(credentials) = cached(cache, &key, settings, &request.session_name) {
            return Ok(credentials);
        }
        // A concurrent cold start with the same key is calling STS: wait for its answer
        // (never longer than one STS call), then look again.
        entry_lock = cache.lock(&key, bounds.operation_timeout());
        if entry_lock.is_some() {
            if let Some(credentials) = cached(cache, &key, settings, &request.session_name) {
                return Ok(credentials);
            }
        }
    }

    let config = base.sdk_config(bounds).await;
    let client = aws_sdk_sts::Client::new(&config);
    let provenance = Provenance {
        source_description: source_description.to_string(),
    };
    let credentials = sts::assume_role(&client, request, &provenance).await?;
    progress(format!(
        "✅ Assumed {} as session {} (valid until {})",
        request.role, request.session_name, credentials.expiration
    ));
    if let Some(cache) = &cache {
        if let Err(err) = cache.store(&key, &credentials) {
            warn(format!(
                "could not cache the credentials in {}: {err}",
                cache.dir().display()
            ));
        }
    }
    // Waiting processes read the stored entry once the lock is free.
    drop(entry_lock);
    Ok(credentials)
}

/// A cache entry for `key` that is still good, if there is one (reported either way).
fn cached(
    cache: &CredentialCache,
    key: &CacheKey,
    settings: &Reuse,
    session_name: &str,
) -> Option<AssumedCredentials> {
    match cache.load(key, settings.refresh_seconds, Timestamp::now()) {
        Lookup::Hit(credentials) => {
            progress(format!(
                "♻️  Reusing cached credentials for session {session_name} (valid until {})",
                credentials.expiration
            ));
            Some(credentials)
        }
        Lookup::Ignored(reason) => {
            warn(format!(
                "credential cache entry ignored: {reason}; replacing it"
            ));
            None
        }
        Lookup::Miss | Lookup::Expiring => None,
    }
}

fn build_request(
    settings: &AssumeRoleSettings,
    context: &Context,
    role: &ResolvedRole,
) -> Result<AssumeRequest, StepError> {
    let scope_id = context.scope_id();
    let session_tags = if parse_bool(&settings.session_tags, "ASSUME_ROLE_SESSION_TAGS")? {
        session_tags(context)
    } else {
        Vec::new()
    };
    // The IAM provider's own external_id wins: it is the value the role's trust policy was issued with.
    let external_id = role
        .external_id
        .as_deref()
        .or(settings.external_id.as_deref());
    AssumeRequest::build(
        role.arn.clone(),
        &RequestInputs {
            session_name: settings.session_name.as_deref(),
            scope_id: scope_id.as_deref(),
            duration_seconds: settings.duration_seconds.as_deref(),
            external_id,
            policy_arns: settings.policy_arns.as_deref(),
            session_policy: settings.session_policy.as_deref(),
            session_tags,
        },
    )
}

/// Tags naming what acted, from the context (only values that are present).
fn session_tags(context: &Context) -> Vec<(String, String)> {
    [
        ("nullplatform:scope-id", "scope.id"),
        ("nullplatform:namespace", "namespace.slug"),
        ("nullplatform:application", "application.slug"),
        ("nullplatform:scope", "scope.slug"),
    ]
    .iter()
    .filter_map(|(key, path)| context.string(path).map(|value| (key.to_string(), value)))
    .collect()
}

pub fn parse_bool(value: &str, name: &str) -> Result<bool, StepError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "0" | "no" | "off" => Ok(false),
        "true" | "1" | "yes" | "on" => Ok(true),
        other => Err(
            StepError::new(format!("{name} is '{other}', not a boolean"))
                .fix(format!("set {name} to true or false"))
                .usage(),
        ),
    }
}

fn outputs(credentials: &AssumedCredentials, role: &ResolvedRole) -> Outputs {
    let mut outputs = Outputs::new();
    outputs
        .set("AWS_ACCESS_KEY_ID", credentials.access_key_id.clone())
        .set_secret(
            "AWS_SECRET_ACCESS_KEY",
            credentials.secret_access_key.clone(),
        )
        .set_secret("AWS_SESSION_TOKEN", credentials.session_token.clone())
        .set(
            "AWS_CREDENTIAL_EXPIRATION",
            credentials.expiration.to_string(),
        )
        .set("ASSUME_ROLE_ARN", role.arn.as_str())
        .set("ASSUME_ROLE_SOURCE", role.source.as_str());
    debug_assert!(outputs.names().eq(OUTPUT_NAMES.iter().copied()));
    outputs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Secret;

    #[test]
    fn booleans() {
        assert!(parse_bool("TRUE", "X").unwrap());
        assert!(!parse_bool("", "X").unwrap());
        assert!(parse_bool("maybe", "X")
            .unwrap_err()
            .what
            .contains("X is 'maybe'"));
    }

    #[test]
    fn expiration_is_rfc3339_in_outputs() {
        let credentials = AssumedCredentials {
            access_key_id: "ASIA".into(),
            secret_access_key: Secret::new("s"),
            session_token: Secret::new("t"),
            expiration: Timestamp::from_second(1_795_000_000).unwrap(),
            assumed_role_arn: String::new(),
        };
        let role = ResolvedRole {
            arn: crate::arn::RoleArn::parse("arn:aws:iam::123456789012:role/r").unwrap(),
            source: chain::RoleSource::Default,
            external_id: None,
        };
        let outputs = outputs(&credentials, &role);
        let expiration = outputs.get("AWS_CREDENTIAL_EXPIRATION").unwrap();
        assert_eq!(expiration, "2026-11-18T11:06:40Z");
        assert_eq!(outputs.get("ASSUME_ROLE_SOURCE"), Some("default"));
    }
}
