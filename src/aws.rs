//! The one AWS SDK configuration every binary uses: region from `AWS_REGION` /
//! `AWS_DEFAULT_REGION`, the SDK's standard endpoint override (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_<SERVICE>`), the standard retry classification with a
//! configurable attempt count, and a compact rendering of SDK errors for reports.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

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

/// Loads the SDK configuration from the environment (credentials chain, region,
/// endpoint overrides). `max_attempts` is the SDK's standard retry mode: only
/// throttling and transient errors are retried.
pub async fn sdk_config(max_attempts: u32) -> SdkConfig {
    let region = region_from_env().unwrap_or_else(|| FALLBACK_REGION.to_string());
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region))
        .retry_config(RetryConfig::standard().with_max_attempts(max_attempts.max(1)))
        .load()
        .await
}

/// The attempt count from `AWS_MAX_ATTEMPTS` (default 3).
pub fn max_attempts_from_env() -> u32 {
    std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .filter(|attempts| *attempts >= 1)
        .unwrap_or(3)
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
