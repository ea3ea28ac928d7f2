//! publish-version: publishes `$LATEST` as a numbered version whose description is the
//! deployment id (that is how build-deployment-context finds a deployment's version).

use std::time::Duration;

use super::wait::{wait_until_updated, DEFAULT_MAX_WAIT_SECONDS};
use super::{lambda_client, lambda_failure, required_input};
use crate::aws::CallFailure;
use crate::report::StepError;
use crate::step::{progress, Outputs};

/// Inputs of publish-version.
#[derive(Debug, Clone, clap::Args)]
pub struct PublishSettings {
    /// The scope's function (build-deployment-context).
    #[arg(
        long,
        env = "LAMBDA_FUNCTION_NAME",
        default_value = "",
        hide_default_value = true
    )]
    pub function_name: String,
    /// The deployment id, written as the version's description.
    #[arg(
        long,
        env = "DEPLOYMENT_ID",
        default_value = "",
        hide_default_value = true
    )]
    pub deployment_id: String,
    /// Longest wait for a running update to finish before publishing, in seconds.
    #[arg(long, env = "DEPLOYMENT_MAX_WAIT_IN_SECONDS", default_value_t = DEFAULT_MAX_WAIT_SECONDS)]
    pub max_wait_seconds: u64,
}

/// The publish-version step body. Outputs `LAMBDA_GREEN_VERSION` and
/// `LAMBDA_CURRENT_VERSION` (both the new version).
pub async fn publish_version(settings: &PublishSettings) -> Result<Outputs, StepError> {
    let function = required_input(
        "LAMBDA_FUNCTION_NAME",
        &settings.function_name,
        "build-deployment-context",
    )?;
    let deployment = required_input(
        "DEPLOYMENT_ID",
        &settings.deployment_id,
        "build-deployment-context",
    )?;
    progress(format!(
        "📝 Publishing a version of {function} for deployment {deployment}..."
    ));
    let client = lambda_client().await?;
    let settled = wait_until_updated(
        &client,
        &function,
        Duration::from_secs(settings.max_wait_seconds),
        None,
    )
    .await?;
    // Pinning the code hash makes Lambda refuse to publish code another update swapped in meanwhile.
    let published = client
        .publish_version()
        .function_name(&function)
        .description(&deployment)
        .set_code_sha256(settled.code_sha256)
        .send()
        .await
        .map_err(|err| {
            lambda_failure(
                "PublishVersion",
                &function,
                &CallFailure::from_sdk(&err),
                None,
            )
        })?;
    let version = published
        .version()
        .filter(|v| super::is_published_version(v))
        .ok_or_else(|| {
            StepError::new(format!(
                "lambda:PublishVersion on {function} answered without a version number"
            ))
            .cause("an unexpected answer from the Lambda API (or an emulator)")
            .fix(format!(
                "list the versions: `aws lambda list-versions-by-function --function-name {function}`"
            ))
        })?
        .to_string();
    // Lambda hands back the last published version when neither code nor configuration
    // changed since; its description then names another deployment.
    if published.description().is_some_and(|d| d != deployment) {
        crate::step::warn(format!(
            "Lambda returned the existing version {version} (published for deployment {}): nothing changed since; later actions of deployment {deployment} will not find a version of their own",
            published.description().unwrap_or_default()
        ));
    }
    progress(format!(
        "✨ Version {version} of {function} published (description: {deployment})"
    ));
    let mut outputs = Outputs::new();
    outputs
        .set("LAMBDA_GREEN_VERSION", &version)
        .set("LAMBDA_CURRENT_VERSION", &version);
    Ok(outputs)
}
