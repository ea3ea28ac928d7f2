//! The one AWS SDK configuration every binary uses: region from `AWS_REGION` /
//! `AWS_DEFAULT_REGION`, the SDK's standard endpoint override (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_<SERVICE>`), the standard retry classification with a
//! configurable attempt count, timeouts on every call, and a compact rendering of SDK
//! errors for reports.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

use crate::config::bounded_number;
use crate::report::StepError;
use crate::step::Env;

/// Region used when neither `AWS_REGION` nor `AWS_DEFAULT_REGION` is set (STS is global).
pub const FALLBACK_REGION: &str = "us-east-1";

/// The region named by `AWS_REGION`, else `AWS_DEFAULT_REGION`.
pub fn region_from_env() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|name| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        })
}

/// Bounds of every AWS call: how often it is tried and how long each attempt may take.
/// Read once from `AWS_MAX_ATTEMPTS` (1–10, default 3) and `AWS_CALL_TIMEOUT_SECONDS`
/// (per attempt, 1–300, default 30); a whole call never outlasts attempts × timeout, so
/// an endpoint that accepts connections and never answers cannot hang a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallBounds {
    pub max_attempts: u32,
    pub attempt_timeout: Duration,
}

/// The accepted range of `AWS_MAX_ATTEMPTS` (and `ASSUME_ROLE_MAX_ATTEMPTS`).
pub const MAX_ATTEMPTS_RANGE: std::ops::RangeInclusive<u32> = 1..=10;
const CALL_TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 1..=300;
const DEFAULT_MAX_ATTEMPTS: u32 = crate::settings::AWS_MAX_ATTEMPTS.default_u32();
const DEFAULT_CALL_TIMEOUT_SECONDS: u64 = crate::settings::AWS_CALL_TIMEOUT_SECONDS.default_u64();

impl CallBounds {
    /// From the process environment.
    pub fn from_env() -> Result<Self, StepError> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// From an environment lookup; blank means unset, anything else must be in range.
    pub fn from_lookup(env: Env) -> Result<Self, StepError> {
        let attempts = bounded_number(
            "AWS_MAX_ATTEMPTS",
            env("AWS_MAX_ATTEMPTS"),
            u64::from(*MAX_ATTEMPTS_RANGE.start())..=u64::from(*MAX_ATTEMPTS_RANGE.end()),
            u64::from(DEFAULT_MAX_ATTEMPTS),
        )?;
        let timeout = bounded_number(
            "AWS_CALL_TIMEOUT_SECONDS",
            env("AWS_CALL_TIMEOUT_SECONDS"),
            CALL_TIMEOUT_RANGE,
            DEFAULT_CALL_TIMEOUT_SECONDS,
        )?;
        Ok(CallBounds {
            max_attempts: attempts as u32,
            attempt_timeout: Duration::from_secs(timeout),
        })
    }

    /// The same timeout with another attempt count (assume-role's own setting).
    pub fn with_attempts(self, max_attempts: u32) -> Self {
        CallBounds {
            max_attempts: max_attempts
                .clamp(*MAX_ATTEMPTS_RANGE.start(), *MAX_ATTEMPTS_RANGE.end()),
            ..self
        }
    }

    /// The longest one call may take, retries included.
    pub fn operation_timeout(&self) -> Duration {
        self.attempt_timeout * self.max_attempts
    }

    fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(
                self.attempt_timeout
                    .min(Duration::from_secs(CONNECT_TIMEOUT_SECONDS)),
            )
            .read_timeout(self.attempt_timeout)
            .operation_attempt_timeout(self.attempt_timeout)
            .operation_timeout(self.operation_timeout())
            .build()
    }
}

/// The command this process runs, named in the user agent of its AWS calls
/// (`app/lambda-scope.<command>`): CloudTrail's userAgent then says which step called.
static APP_NAME: std::sync::OnceLock<aws_config::AppName> = std::sync::OnceLock::new();

/// Names the command in the user agent; called once by the dispatcher.
pub fn set_command_name(command: &str) {
    if let Ok(name) = aws_config::AppName::new(format!("lambda-scope.{command}")) {
        let _ = APP_NAME.set(name);
    }
}

/// The region every call goes to: [`region_from_env`], else [`FALLBACK_REGION`].
pub fn region() -> Region {
    Region::new(region_from_env().unwrap_or_else(|| FALLBACK_REGION.to_string()))
}

fn loader(bounds: CallBounds) -> aws_config::ConfigLoader {
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region())
        .retry_config(RetryConfig::standard().with_max_attempts(bounds.max_attempts))
        .timeout_config(bounds.timeout_config());
    match APP_NAME.get() {
        Some(name) => loader.app_name(name.clone()),
        None => loader,
    }
}

/// A TCP (and TLS) connect that takes longer than this is not going to succeed.
const CONNECT_TIMEOUT_SECONDS: u64 = 10;

/// Loads the SDK configuration from the environment (credentials chain, region,
/// endpoint overrides) with `bounds`: the SDK's standard retry mode (only throttling and
/// transient errors are retried) and timeouts on connect, read, each attempt and the
/// whole call.
pub async fn sdk_config_with(bounds: CallBounds) -> SdkConfig {
    loader(bounds).load().await
}

/// [`sdk_config_with`], with `credentials` instead of the SDK's default chain.
pub async fn sdk_config_with_credentials(
    bounds: CallBounds,
    credentials: aws_credential_types::provider::SharedCredentialsProvider,
) -> SdkConfig {
    loader(bounds)
        .credentials_provider(credentials)
        .load()
        .await
}

/// [`sdk_config_with`] the bounds the environment sets: what every step uses.
pub async fn sdk_config() -> Result<SdkConfig, StepError> {
    Ok(sdk_config_with(CallBounds::from_env()?).await)
}

/// The essentials of a failed SDK call: the service's error code (if any) and a
/// one-line message, for ❌/💡/🔧 reports and for deciding what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    pub code: Option<String>,
    pub message: String,
    /// HTTP status when the service answered.
    pub status: Option<u16>,
}

impl CallFailure {
    pub fn from_sdk<E, R>(err: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + HttpStatus + 'static,
    {
        match err {
            SdkError::ServiceError(service) => CallFailure {
                code: service.err().code().map(str::to_string),
                message: service
                    .err()
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| error_chain(service.err())),
                status: Some(service.raw().http_status()),
            },
            other => CallFailure {
                code: None,
                message: error_chain(other),
                status: None,
            },
        }
    }

    /// `Code: message` (or just the message).
    pub fn summary(&self) -> String {
        match &self.code {
            Some(code) => format!("{code}: {}", self.message),
            None => self.message.clone(),
        }
    }

    pub fn is_access_denied(&self) -> bool {
        self.status == Some(403)
            || self.code.as_deref().is_some_and(|code| {
                code.contains("AccessDenied") || code == "UnauthorizedOperation"
            })
    }

    pub fn is_not_found(&self) -> bool {
        self.status == Some(404)
            || self
                .code
                .as_deref()
                .is_some_and(|code| code.contains("NotFound") || code == "NoSuchEntity")
    }
}

/// The HTTP status of a raw response (implemented for the SDK's response type).
pub trait HttpStatus {
    fn http_status(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn http_status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// An error and its sources on one line; SDK errors hide the useful part in `source()`.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_classification() {
        let denied = CallFailure {
            code: Some("AccessDenied".into()),
            message: "no".into(),
            status: Some(403),
        };
        assert!(denied.is_access_denied());
        assert!(!denied.is_not_found());
        assert_eq!(denied.summary(), "AccessDenied: no");
        let missing = CallFailure {
            code: Some("ResourceNotFoundException".into()),
            message: "gone".into(),
            status: Some(404),
        };
        assert!(missing.is_not_found());
        assert!(!missing.is_access_denied());
    }

    #[test]
    fn error_chain_joins_sources_once() {
        let err = anyhow::anyhow!("connection refused").context("dispatch failure");
        let boxed: Box<dyn std::error::Error> = err.into();
        assert_eq!(
            error_chain(boxed.as_ref()),
            "dispatch failure: connection refused"
        );
    }
}
