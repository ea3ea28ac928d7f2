//! The identity STS is called with (the agent's own): as the agent's environment gives
//! it, or — in a later step, whose AWS_ACCESS_KEY_ID is the assumed session's — the
//! identity beneath those keys (IRSA, Pod Identity, a profile, instance metadata).

use std::path::PathBuf;

use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::provider_config::ProviderConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use serde::{Deserialize, Serialize};

use crate::aws::{self, CallBounds};
use crate::step::process_env;

/// Whose credentials call STS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// The SDK's default chain on the environment as it is (assume-role: the
    /// agent's environment, static keys included).
    AsGiven,
    /// The SDK's chain without the environment's keys (they are the assumed session's),
    /// with the profile settings the agent had.
    BeneathAssumed(BaseProfile),
}

/// The agent's profile settings, kept while a child process is given its own profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseProfile {
    /// `AWS_PROFILE` (the SDK's `default` when unset).
    pub profile: Option<String>,
    /// `AWS_CONFIG_FILE` (`~/.aws/config` when unset).
    pub config_file: Option<PathBuf>,
    /// `AWS_SHARED_CREDENTIALS_FILE` (`~/.aws/credentials` when unset).
    pub credentials_file: Option<PathBuf>,
}

impl BaseProfile {
    /// The profile settings of this process's environment (blank means unset).
    pub fn from_env() -> Self {
        BaseProfile {
            profile: process_env("AWS_PROFILE"),
            config_file: process_env("AWS_CONFIG_FILE").map(PathBuf::from),
            credentials_file: process_env("AWS_SHARED_CREDENTIALS_FILE").map(PathBuf::from),
        }
    }

    fn profile_name(&self) -> &str {
        self.profile.as_deref().unwrap_or("default")
    }

    /// The files as the agent had them: the named ones, else the SDK's default paths
    /// (resolved here, because the child's own AWS_CONFIG_FILE must not be read).
    /// `None` when neither file exists (the SDK would refuse an empty set).
    fn files(&self) -> Option<EnvConfigFiles> {
        let home = dirs::home_dir().unwrap_or_default();
        let config = self
            .config_file
            .clone()
            .unwrap_or_else(|| home.join(".aws/config"));
        let credentials = self
            .credentials_file
            .clone()
            .unwrap_or_else(|| home.join(".aws/credentials"));
        // A named file that does not exist fails the whole profile provider; the SDK
        // reads an absent default file as empty, and so does this.
        let present: Vec<_> = [
            (EnvConfigFileKind::Config, config),
            (EnvConfigFileKind::Credentials, credentials),
        ]
        .into_iter()
        .filter(|(_, path)| path.is_file())
        .collect();
        if present.is_empty() {
            return None;
        }
        let files = present.into_iter().fold(
            EnvConfigFiles::builder()
                .include_default_config_file(false)
                .include_default_credentials_file(false),
            |files, (kind, path)| files.with_file(kind, path),
        );
        Some(files.build())
    }
}

impl Base {
    /// Who the base credentials are, without a network call (part of the cache key):
    /// the access key id for static or environment keys, else the web-identity role or
    /// the profile. [`Base::BeneathAssumed`] never names the environment's keys, so it
    /// matches assume-role's key whenever the agent had no static keys.
    pub fn identity(&self) -> String {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let profile = match self {
            Base::AsGiven => {
                if let Some(key) = var("AWS_ACCESS_KEY_ID") {
                    return format!("key:{key}");
                }
                var("AWS_PROFILE")
            }
            Base::BeneathAssumed(base) => base.profile.clone(),
        };
        if let Some(role) = var("AWS_ROLE_ARN") {
            return format!("web-identity:{role}");
        }
        format!("profile:{}", profile.unwrap_or_else(|| "default".into()))
    }

    /// The SDK configuration STS is called with.
    pub async fn sdk_config(&self, bounds: CallBounds) -> SdkConfig {
        match self {
            Base::AsGiven => aws::sdk_config_with(bounds).await,
            Base::BeneathAssumed(base) => {
                let provider_config = ProviderConfig::default()
                    .with_region(Some(aws::region()))
                    .with_behavior_version(Some(BehaviorVersion::latest()));
                // The SDK's default order, without the environment-keys provider.
                let mut chain = CredentialsProviderChain::first_try(
                    "WebIdentityToken",
                    aws_config::web_identity_token::WebIdentityTokenCredentialsProvider::builder()
                        .configure(&provider_config)
                        .build(),
                );
                if let Some(files) = base.files() {
                    chain = chain.or_else(
                        "Profile",
                        aws_config::profile::ProfileFileCredentialsProvider::builder()
                            .configure(&provider_config)
                            .profile_files(files)
                            .profile_name(base.profile_name())
                            .build(),
                    );
                }
                let chain = chain
                    .or_else(
                        "EcsContainer",
                        aws_config::ecs::EcsCredentialsProvider::builder()
                            .configure(&provider_config)
                            .build(),
                    )
                    .or_else(
                        "Ec2InstanceMetadata",
                        aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                            .configure(&provider_config)
                            .build(),
                    );
                aws::sdk_config_with_credentials(bounds, SharedCredentialsProvider::new(chain))
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beneath_assumed_names_the_profile_not_the_environment_keys() {
        let base = Base::BeneathAssumed(BaseProfile {
            profile: Some("agent".into()),
            ..BaseProfile::default()
        });
        // The unit tests share one environment: only assert what no test sets.
        if std::env::var_os("AWS_ROLE_ARN").is_none() {
            assert_eq!(base.identity(), "profile:agent");
        }
        assert!(!base.identity().starts_with("key:"));
    }
}
