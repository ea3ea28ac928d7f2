//! Main alias catch-up after `tofu apply`: when the function has a newer published
//! version than the one the main alias points at (a version published outside a
//! deployment, e.g. by an apply that changed the configuration), the alias follows it —
//! never to `$LATEST`, and never while the alias splits traffic (a blue/green runs).

use aws_sdk_lambda::types::FunctionConfiguration;

use crate::aws::CallFailure;
use crate::deploy::version::function_versions;
use crate::report::StepError;

/// What the catch-up found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatchUp {
    /// The function does not exist (nothing was created, or another module set).
    NoFunction,
    /// The function has no alias of that name.
    NoAlias,
    /// Only `$LATEST` exists: there is no version to point at.
    NoPublishedVersion,
    /// The alias already points at the newest published version.
    UpToDate { version: String },
    /// The alias routes traffic to two versions: a blue/green is in progress.
    TrafficSplit { primary: String, weighted: String },
    /// The newest version belongs to a deployment the alias has not switched to yet
    /// (a blue/green at 0 %): switching is that deployment's decision.
    PendingDeployment { version: String, deployment: String },
    /// The alias was moved from `from` to `to`.
    Moved { from: String, to: String },
}

impl CatchUp {
    /// The version the alias points at after the catch-up, when known.
    pub fn current_version(&self) -> Option<&str> {
        match self {
            CatchUp::UpToDate { version } => Some(version),
            CatchUp::Moved { to, .. } => Some(to),
            CatchUp::TrafficSplit { primary, .. } => Some(primary),
            CatchUp::PendingDeployment { .. } => None,
            _ => None,
        }
    }

    /// One progress line saying what happened.
    pub fn describe(&self, function: &str, alias: &str) -> String {
        match self {
            CatchUp::NoFunction => format!("ℹ️ {function} does not exist: no alias to catch up"),
            CatchUp::NoAlias => format!("ℹ️ {function} has no alias {alias}: nothing to catch up"),
            CatchUp::NoPublishedVersion => {
                format!("ℹ️ {function} has no published version yet: {alias} is left as it is")
            }
            CatchUp::UpToDate { version } => {
                format!("✅ alias {alias} already points at the newest version {version}")
            }
            CatchUp::TrafficSplit { primary, weighted } => format!(
                "⚠️ alias {alias} routes traffic to versions {primary} and {weighted} (a blue/green is in progress): left as it is"
            ),
            CatchUp::PendingDeployment { version, deployment } => format!(
                "⚠️ the newest version {version} belongs to deployment {deployment}, which has not switched {alias} to it yet: left as it is"
            ),
            CatchUp::Moved { from, to } => {
                format!("🔀 alias {alias} moved from version {from} to the newest version {to}")
            }
        }
    }
}

/// The highest published version number (`$LATEST` is not a published version).
pub fn newest_published(versions: &[FunctionConfiguration]) -> Option<u64> {
    versions
        .iter()
        .filter_map(|v| v.version()?.parse::<u64>().ok())
        .max()
}

fn lambda_error(call: &str, function: &str, failure: CallFailure) -> StepError {
    let report = StepError::new(format!(
        "lambda:{call} on {function} failed: {}",
        failure.summary()
    ));
    if failure.is_access_denied() {
        report
            .cause(format!("the assumed role lacks lambda:{call} on this function"))
            .fix(format!(
                "add lambda:{call} on the scope's functions to the role's policy (see `iam-policy template`)"
            ))
    } else {
        report
            .cause("the Lambda API was unreachable, or AWS_REGION is not the function's region")
            .fix("check AWS_REGION and the network path to the Lambda API, then re-run the action")
    }
}

/// Points `alias` of `function` at the function's newest published version when it
/// points at an older one (or at `$LATEST`); leaves a weighted alias alone.
pub async fn catch_up_main_alias(
    client: &aws_sdk_lambda::Client,
    function: &str,
    alias: &str,
) -> Result<CatchUp, StepError> {
    let current = match client
        .get_alias()
        .function_name(function)
        .name(alias)
        .send()
        .await
    {
        Ok(current) => current,
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            if !failure.is_not_found() {
                return Err(lambda_error("GetAlias", function, failure));
            }
            // Not found: the alias or the function itself is missing.
            return match function_versions(client, function).await {
                Ok(None) => Ok(CatchUp::NoFunction),
                Ok(Some(_)) => Ok(CatchUp::NoAlias),
                Err(failure) => Err(lambda_error("ListVersionsByFunction", function, failure)),
            };
        }
    };
    let primary = current.function_version().unwrap_or_default().to_string();
    if let Some(weighted) = current
        .routing_config()
        .and_then(|routing| routing.additional_version_weights())
        .and_then(|weights| weights.keys().next())
    {
        return Ok(CatchUp::TrafficSplit {
            primary,
            weighted: weighted.clone(),
        });
    }
    let versions = match function_versions(client, function).await {
        Ok(Some(versions)) => versions,
        Ok(None) => return Ok(CatchUp::NoFunction),
        Err(failure) => return Err(lambda_error("ListVersionsByFunction", function, failure)),
    };
    let Some(newest) = newest_published(&versions) else {
        return Ok(CatchUp::NoPublishedVersion);
    };
    if primary
        .parse::<u64>()
        .is_ok_and(|pointed| pointed >= newest)
    {
        return Ok(CatchUp::UpToDate { version: primary });
    }
    if let Some(deployment) = pending_deployment(&versions, &primary, newest) {
        return Ok(CatchUp::PendingDeployment {
            version: newest.to_string(),
            deployment,
        });
    }
    client
        .update_alias()
        .function_name(function)
        .name(alias)
        .function_version(newest.to_string())
        .send()
        .await
        .map_err(|err| lambda_error("UpdateAlias", function, CallFailure::from_sdk(&err)))?;
    Ok(CatchUp::Moved {
        from: primary,
        to: newest.to_string(),
    })
}

/// The deployment that published `newest` when it is not the one the alias serves:
/// deployments describe their versions with their id; versions tofu publishes (a
/// configuration change) have no description.
pub fn pending_deployment(
    versions: &[FunctionConfiguration],
    primary: &str,
    newest: u64,
) -> Option<String> {
    let description = |version: &str| {
        versions
            .iter()
            .find(|v| v.version() == Some(version))
            .and_then(|v| v.description())
            .filter(|d| !d.trim().is_empty())
            .map(str::to_string)
    };
    let newest_deployment = description(&newest.to_string())?;
    (description(primary).as_deref() != Some(newest_deployment.as_str()))
        .then_some(newest_deployment)
}

/// The function name in an unqualified or qualified Lambda function ARN.
pub fn function_name_from_arn(arn: &str) -> Option<&str> {
    let rest = arn.split(":function:").nth(1)?;
    let name = rest.split(':').next()?;
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_published_ignores_latest() {
        let versions: Vec<FunctionConfiguration> = ["$LATEST", "2", "10", "3"]
            .iter()
            .map(|v| FunctionConfiguration::builder().version(*v).build())
            .collect();
        assert_eq!(newest_published(&versions), Some(10));
        let only_latest = vec![FunctionConfiguration::builder().version("$LATEST").build()];
        assert_eq!(newest_published(&only_latest), None);
    }

    #[test]
    fn a_newer_deployment_version_is_pending_a_tofu_one_is_not() {
        let version = |n: &str, d: &str| {
            FunctionConfiguration::builder()
                .version(n)
                .description(d)
                .build()
        };
        let versions = vec![version("1", "d-1"), version("2", ""), version("3", "d-2")];
        assert_eq!(pending_deployment(&versions, "1", 3), Some("d-2".into()));
        assert_eq!(pending_deployment(&versions, "1", 2), None);
        assert_eq!(pending_deployment(&versions, "3", 3), None);
    }

    #[test]
    fn function_name_comes_from_qualified_and_unqualified_arns() {
        assert_eq!(
            function_name_from_arn("arn:aws:lambda:us-east-1:1:function:s1-app-main"),
            Some("s1-app-main")
        );
        assert_eq!(
            function_name_from_arn("arn:aws:lambda:us-east-1:1:function:f:main"),
            Some("f")
        );
        assert_eq!(function_name_from_arn("not-an-arn"), None);
    }
}
