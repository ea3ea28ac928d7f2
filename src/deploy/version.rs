//! A function's numbered versions: publish-version publishes `$LATEST` as one whose
//! description is the deployment id, and the listing here is how build-deployment-context,
//! the telemetry and diagnose steps and the main-alias catch-up find a deployment's version.

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
    #[arg(long, env = crate::settings::DEPLOYMENT_MAX_WAIT_IN_SECONDS.namespaced, default_value_t = DEFAULT_MAX_WAIT_SECONDS)]
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

/// One published version of a function: its number and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionVersion {
    pub version: String,
    pub description: Option<String>,
}

/// The newest published version (highest number, never `$LATEST`) whose
/// description is `deployment_id`.
pub fn version_for_deployment(versions: &[FunctionVersion], deployment_id: &str) -> Option<String> {
    if deployment_id.is_empty() {
        return None;
    }
    versions
        .iter()
        .filter(|v| v.description.as_deref() == Some(deployment_id))
        .filter_map(|v| v.version.parse::<u64>().ok())
        .max()
        .map(|n| n.to_string())
}

/// Every version's configuration of `function_name` (all pages of
/// `ListVersionsByFunction`); `Ok(None)` when the function does not exist yet.
pub async fn function_versions(
    client: &aws_sdk_lambda::Client,
    function_name: &str,
) -> Result<Option<Vec<aws_sdk_lambda::types::FunctionConfiguration>>, CallFailure> {
    let mut versions = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let answer = client
            .list_versions_by_function()
            .function_name(function_name)
            .set_marker(marker.clone())
            .send()
            .await;
        let page = match answer {
            Ok(page) => page,
            Err(err) => {
                let failure = CallFailure::from_sdk(&err);
                return if failure.is_not_found() {
                    Ok(None)
                } else {
                    Err(failure)
                };
            }
        };
        versions.extend(page.versions().iter().cloned());
        marker = page
            .next_marker()
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        if marker.is_none() {
            return Ok(Some(versions));
        }
    }
}

/// Every version of `function_name` with its description (see [`function_versions`]);
/// `None` when the function does not exist yet.
pub async fn list_function_versions(
    client: &aws_sdk_lambda::Client,
    function_name: &str,
) -> Result<Option<Vec<FunctionVersion>>, StepError> {
    let versions = function_versions(client, function_name).await.map_err(|failure| {
        let report = StepError::new(format!(
            "lambda:ListVersionsByFunction on {function_name} failed: {}",
            failure.summary()
        ));
        if failure.is_access_denied() {
            report
                .cause("the assumed role lacks lambda:ListVersionsByFunction on this function")
                .fix("add lambda:ListVersionsByFunction on the scope's functions to the role's policy (see the install module)")
        } else {
            report
                .cause("the Lambda API was unreachable, or AWS_REGION is not the function's region")
                .fix("check AWS_REGION (from fetch-scope-config) and the network path to the Lambda API, then retry")
        }
    })?;
    Ok(versions.map(|versions| {
        versions
            .iter()
            .filter_map(|v| {
                v.version().map(|version| FunctionVersion {
                    version: version.to_string(),
                    description: v.description().map(str::to_string),
                })
            })
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_version_for_a_deployment() {
        let v = |version: &str, description: Option<&str>| FunctionVersion {
            version: version.into(),
            description: description.map(str::to_string),
        };
        let versions = vec![
            v("$LATEST", Some("42")),
            v("2", Some("41")),
            v("10", Some("42")),
            v("9", Some("42")),
            v("11", None),
        ];
        assert_eq!(
            version_for_deployment(&versions, "42").as_deref(),
            Some("10")
        );
        assert_eq!(
            version_for_deployment(&versions, "41").as_deref(),
            Some("2")
        );
        assert_eq!(version_for_deployment(&versions, "40"), None);
        assert_eq!(version_for_deployment(&versions, ""), None);
    }
}
