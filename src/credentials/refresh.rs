//! Credentials that outlive long steps. A step that may run longer than the assumed
//! credentials it inherited serves its children fresh ones through a `credential_process`
//! profile in a private config file inside the 0600 cache: the AWS provider and the S3
//! backend then ask `lambda-scope credential-process` whenever theirs run out, and it
//! answers through assume-role's own code path (cache and lock included).

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::base::{Base, BaseProfile};
use super::cache::CredentialCache;
use super::request::AssumeRequest;
use super::sts::AssumedCredentials;
use super::{obtain, resolve, AssumeRoleSettings, Reuse};
use crate::arn::{PolicyArn, RoleArn};
use crate::context::Context;
use crate::report::StepError;
use crate::step::{progress, warn, Env};

/// The profile a served child reads its credentials from.
pub const PROFILE: &str = "lambda-scope-served";
/// How long a long step is expected to run when `TOFU_EXPECTED_DURATION_SECONDS` is
/// unset (the table's 2700): a destroy of VPC-attached functions waits up to 40 minutes
/// for ENIs.
pub const DEFAULT_EXPECTED_SECONDS: u64 =
    crate::settings::TOFU_EXPECTED_DURATION_SECONDS.default_u64();
/// The environment names that carry the inherited session; a served child gets none
/// of them (the SDKs would prefer them to its profile).
pub const SESSION_VARIABLES: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
];

/// Whether a step can keep the credentials it was handed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// The agent's own credentials (nothing was assumed; they refresh themselves).
    Own,
    /// Assumed credentials with more than the refresh margin left at the expected end.
    Keep { remaining: i64 },
    /// Assumed credentials that would run out (or come within the margin) before it.
    Refresh { remaining: i64 },
}

/// Decides from `AWS_CREDENTIAL_EXPIRATION` (written by assume-role) whether
/// credentials with `refresh_seconds` of margin last `expected_seconds` from `now`.
pub fn plan(
    expiration: Option<&str>,
    expected_seconds: u64,
    refresh_seconds: i64,
    now: Timestamp,
) -> Result<Plan, StepError> {
    let Some(expiration) = expiration.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(Plan::Own);
    };
    let expires: Timestamp = expiration.parse().map_err(|_| {
        StepError::new(format!(
            "AWS_CREDENTIAL_EXPIRATION is '{expiration}', not an RFC 3339 time"
        ))
        .cause("assume-role writes it beside the credentials; something else set it since")
        .fix("remove the setting that overrides AWS_CREDENTIAL_EXPIRATION, or re-run the action")
        .usage()
    })?;
    let remaining = expires.as_second() - now.as_second();
    let needed = i64::try_from(expected_seconds)
        .unwrap_or(i64::MAX)
        .saturating_add(refresh_seconds);
    Ok(if remaining > needed {
        Plan::Keep { remaining }
    } else {
        Plan::Refresh { remaining }
    })
}

/// Everything `credential-process` needs to answer for the session a step inherited,
/// saved 0600 beside the cached credentials (it holds the ExternalId).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Ticket {
    role: String,
    source_description: String,
    session_name: String,
    duration_seconds: u32,
    external_id: Option<String>,
    policy_arns: Vec<String>,
    session_policy: Option<String>,
    session_tags: Vec<(String, String)>,
    base: BaseProfile,
    cache_dir: PathBuf,
    refresh_seconds: i64,
    max_attempts: u32,
}

impl Ticket {
    fn new(
        request: &AssumeRequest,
        source_description: &str,
        base: BaseProfile,
        reuse: &Reuse,
        cache: &CredentialCache,
    ) -> Self {
        Ticket {
            role: request.role.as_str().to_string(),
            source_description: source_description.to_string(),
            session_name: request.session_name.clone(),
            duration_seconds: request.duration_seconds,
            external_id: request.external_id.clone(),
            policy_arns: request
                .policy_arns
                .iter()
                .map(|arn| arn.as_str().to_string())
                .collect(),
            session_policy: request.session_policy.clone(),
            session_tags: request.session_tags.clone(),
            base,
            cache_dir: cache.dir().to_path_buf(),
            refresh_seconds: reuse.refresh_seconds,
            max_attempts: reuse.max_attempts,
        }
    }

    fn request(&self) -> Result<AssumeRequest, StepError> {
        Ok(AssumeRequest {
            role: RoleArn::parse(&self.role)?,
            session_name: self.session_name.clone(),
            duration_seconds: self.duration_seconds,
            external_id: self.external_id.clone(),
            policy_arns: self
                .policy_arns
                .iter()
                .map(|arn| PolicyArn::parse(arn))
                .collect::<Result<_, _>>()?,
            session_policy: self.session_policy.clone(),
            session_tags: self.session_tags.clone(),
        })
    }

    fn reuse(&self) -> Reuse {
        Reuse {
            cache_dir: Some(self.cache_dir.display().to_string()),
            refresh_seconds: self.refresh_seconds,
            max_attempts: self.max_attempts,
        }
    }
}

/// A private profile serving fresh credentials to a step's children; removed on drop.
#[derive(Debug)]
pub struct ServedCredentials {
    dir: tempfile::TempDir,
}

impl ServedCredentials {
    /// Points `command` at the served profile: the inherited session's variables are
    /// removed, `AWS_PROFILE` and `AWS_CONFIG_FILE` name the private profile.
    pub fn apply(&self, command: &mut Command) {
        for name in SESSION_VARIABLES {
            command.env_remove(name);
        }
        command
            .env("AWS_CONFIG_FILE", self.config_path())
            .env("AWS_PROFILE", PROFILE)
            .env_remove("AWS_DEFAULT_PROFILE");
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn ticket_path(&self) -> PathBuf {
        self.dir.path().join("ticket.json")
    }

    /// Fresh credentials for this process itself (e.g. AWS calls after a long child).
    pub async fn current(&self) -> Result<AssumedCredentials, StepError> {
        fresh_for(&self.ticket_path()).await
    }
}

/// Prepares fresh credentials for a step that may run `expected_seconds` (see [`plan`]):
/// `None` when the inherited ones last (no STS call) or when they cannot be refreshed
/// (said in a warning: the step goes on with what it has). Otherwise the role is
/// resolved again the way assume-role resolved it, credentials are obtained once
/// through the cache as the identity beneath the inherited session, and a private
/// profile serves them to children.
pub async fn serve_if_needed(
    env: Env<'_>,
    expected_seconds: u64,
) -> Result<Option<ServedCredentials>, StepError> {
    let settings = AssumeRoleSettings::from_env()?;
    let now = Timestamp::now();
    let plan = plan(
        env("AWS_CREDENTIAL_EXPIRATION").as_deref(),
        expected_seconds,
        settings.refresh_seconds,
        now,
    )?;
    let remaining = match plan {
        Plan::Own => return Ok(None),
        Plan::Keep { remaining } => {
            progress(format!(
                "🔑 The assumed credentials last {remaining} s, beyond this step's expected {expected_seconds} s: kept as they are"
            ));
            return Ok(None);
        }
        Plan::Refresh { remaining } => remaining,
    };
    progress(format!(
        "🔑 The assumed credentials have {remaining} s left, less than this step may need ({expected_seconds} s, TOFU_EXPECTED_DURATION_SECONDS, plus {} s of margin): serving refreshed ones to tofu",
        settings.refresh_seconds
    ));
    let cannot = |why: String| {
        warn(format!(
            "the credentials cannot be refreshed: {why}; tofu runs with the inherited ones, which expire in {remaining} s (raise ASSUME_ROLE_DURATION_SECONDS, or see README: Credentials that outlive long steps)"
        ));
        Ok(None)
    };
    let Some(cache) = CredentialCache::from_setting(settings.cache_dir.as_deref()) else {
        return cannot(
            "SCOPE_CREDENTIALS_CACHE_DIR is off, and the refresh keeps what it needs in the cache"
                .into(),
        );
    };
    // The role the inherited session is for: ASSUME_ROLE_ARN is assume-role's
    // output now; unless the operator set it, the chain is walked again so that the
    // IAM provider's own ExternalId is used as before.
    let explicit = match env("ASSUME_ROLE_SOURCE").as_deref() {
        Some("env") | None => env("ASSUME_ROLE_ARN"),
        Some(_) => None,
    };
    let context = Context::from_env()?;
    let Some(resolved) = resolve(&settings, &context, explicit)? else {
        return cannot("no role is configured, yet AWS_CREDENTIAL_EXPIRATION is set".into());
    };
    if let Some(inherited) = env("ASSUME_ROLE_ARN") {
        if inherited != resolved.role.arn.as_str() {
            return cannot(format!(
                "the role resolves to {} now, not to {inherited}, the one the inherited session is for",
                resolved.role.arn
            ));
        }
    }
    let base = BaseProfile::from_env();
    let reuse = Reuse::from(&settings);
    if let Err(err) = obtain(
        &resolved.request,
        &resolved.source_description,
        &reuse,
        &Base::BeneathAssumed(base.clone()),
    )
    .await
    {
        return cannot(format!(
            "the agent's own identity beneath the assumed session (IRSA, Pod Identity, AWS_PROFILE or instance metadata; static keys in the environment are replaced by the assumed ones) could not assume the role again: {}",
            err.what
        ));
    }
    let ticket = Ticket::new(
        &resolved.request,
        &resolved.source_description,
        base,
        &reuse,
        &cache,
    );
    let served = write_profile(&cache, &ticket).map_err(|err| {
        StepError::new(format!(
            "could not write the private credentials profile in {}: {err}",
            cache.dir().display()
        ))
        .cause("the credentials cache folder is not writable")
        .fix("check SCOPE_CREDENTIALS_CACHE_DIR (a private folder of this user)")
    })?;
    Ok(Some(ServedCredentials { dir: served }))
}

fn write_profile(cache: &CredentialCache, ticket: &Ticket) -> std::io::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("served-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(cache.private_dir()?)?;
    let ticket_path = dir.path().join("ticket.json");
    write_private(&ticket_path, serde_json::to_string(ticket)?.as_bytes())?;
    let exe = std::env::current_exe()?;
    let command = [
        exe.as_os_str(),
        "credential-process".as_ref(),
        "--ticket".as_ref(),
        ticket_path.as_os_str(),
    ]
    .iter()
    .map(|part| String::from_utf8_lossy(&shell_quote::Sh::quote_vec(*part)).into_owned())
    .collect::<Vec<_>>()
    .join(" ");
    let config = format!("[profile {PROFILE}]\ncredential_process = {command}\n");
    write_private(&dir.path().join("config"), config.as_bytes())?;
    Ok(dir)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Credentials for the session a ticket describes, through assume-role's own path
/// (cache hit, else one STS call as the identity beneath the assumed keys).
async fn fresh_for(ticket_path: &Path) -> Result<AssumedCredentials, StepError> {
    let ticket = read_ticket(ticket_path)?;
    obtain(
        &ticket.request()?,
        &ticket.source_description,
        &ticket.reuse(),
        &Base::BeneathAssumed(ticket.base.clone()),
    )
    .await
}

fn read_ticket(path: &Path) -> Result<Ticket, StepError> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        StepError::new(format!("could not read {}: {err}", path.display()))
            .cause("the step that served this profile has ended (its files are removed with it)")
            .fix("credential-process is run by the AWS SDKs of a step's children, not by hand")
            .usage()
    })?;
    serde_json::from_str(&text).map_err(|err| {
        StepError::new(format!(
            "{} is not a credentials ticket: {err}",
            path.display()
        ))
        .fix("credential-process is run by the AWS SDKs of a step's children, not by hand")
        .usage()
    })
}

/// The `credential_process` answer (version 1 of the SDKs' format).
fn process_answer(credentials: &AssumedCredentials) -> String {
    serde_json::json!({
        "Version": 1,
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key.expose(),
        "SessionToken": credentials.session_token.expose(),
        "Expiration": credentials.expiration.to_string(),
    })
    .to_string()
}

/// Arguments of `lambda-scope credential-process`.
#[derive(Debug, clap::Parser)]
#[command(name = "credential-process", version)]
struct CredentialProcessCli {
    /// The ticket a long step wrote beside the cached credentials.
    #[arg(long, value_name = "FILE")]
    ticket: PathBuf,
}

/// `lambda-scope credential-process --ticket <file>`: what a served profile runs. Prints
/// the credentials JSON on stdout (for the SDK that asked, through its pipe); progress
/// and errors go to stderr.
pub fn credential_process_main(args: Vec<std::ffi::OsString>) -> ExitCode {
    use clap::Parser;
    crate::step::progress_to_stderr();
    let cli = CredentialProcessCli::parse_from(args);
    let answer =
        crate::step::block_on(async { Ok(process_answer(&fresh_for(&cli.ticket).await?)) });
    match answer {
        Ok(answer) => {
            println!("{answer}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    #[test]
    fn the_agents_own_credentials_are_left_alone() {
        assert_eq!(plan(None, 2700, 300, at(0)).unwrap(), Plan::Own);
        assert_eq!(plan(Some(" "), 2700, 300, at(0)).unwrap(), Plan::Own);
    }

    #[test]
    fn credentials_are_refreshed_only_when_they_would_not_last() {
        let expires = at(10_000).to_string();
        // 10 000 s left; 2 700 s expected + 300 s margin = 3 000 s needed.
        assert_eq!(
            plan(Some(&expires), 2700, 300, at(0)).unwrap(),
            Plan::Keep { remaining: 10_000 }
        );
        assert_eq!(
            plan(Some(&expires), 2700, 300, at(7_000)).unwrap(),
            Plan::Refresh { remaining: 3_000 }
        );
        assert_eq!(
            plan(Some(&expires), 2700, 300, at(20_000)).unwrap(),
            Plan::Refresh { remaining: -10_000 }
        );
    }

    #[test]
    fn an_unreadable_expiration_is_an_error() {
        let err = plan(Some("tomorrow"), 2700, 300, at(0)).unwrap_err();
        assert!(err.what.contains("'tomorrow'"), "{}", err.what);
    }

    #[test]
    fn the_answer_is_the_sdks_process_format() {
        let credentials = AssumedCredentials {
            access_key_id: "ASIAFRESH".into(),
            secret_access_key: crate::report::Secret::new("s"),
            session_token: crate::report::Secret::new("t"),
            expiration: at(1_795_000_000),
            assumed_role_arn: String::new(),
        };
        let answer: serde_json::Value =
            serde_json::from_str(&process_answer(&credentials)).unwrap();
        assert_eq!(answer["Version"], 1);
        assert_eq!(answer["AccessKeyId"], "ASIAFRESH");
        assert_eq!(answer["SecretAccessKey"], "s");
        assert_eq!(answer["SessionToken"], "t");
        assert_eq!(answer["Expiration"], "2026-11-18T11:06:40Z");
    }
}
