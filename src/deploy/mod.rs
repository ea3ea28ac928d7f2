//! What a deployment does to the scope's function: new code, a published version named
//! by the deployment id, and the alias that routes traffic (initial, weighted
//! blue/green, cut-over, rollback, cleanup). One submodule per step; the helpers here
//! turn Lambda failures into reports that say what was already changed.

pub mod alias;
pub mod code;
pub mod configuration;
pub mod parameters;
pub mod provisioned;
pub mod version;
pub mod wait;

use crate::aws::{sdk_config, CallFailure};
use crate::report::StepError;

/// The Lambda client every deployment step uses (region, endpoint and credentials from
/// the environment, i.e. the role assume-role assumed).
pub async fn lambda_client() -> Result<aws_sdk_lambda::Client, StepError> {
    Ok(aws_sdk_lambda::Client::new(&sdk_config().await?))
}

/// A required input a previous step exports; empty is a usage error naming that step.
pub fn required_input(name: &str, value: &str, set_by: &str) -> Result<String, StepError> {
    let value = value.trim();
    if value.is_empty() || value == "null" {
        return Err(StepError::new(format!("{name} is empty"))
            .cause(format!(
                "{set_by} did not run before this step, or did not export {name}"
            ))
            .fix(format!(
                "run {set_by} earlier in the workflow and declare {name} in its `output:`"
            ))
            .usage());
    }
    Ok(value.to_string())
}

/// A failed Lambda call as a report: the call, the function, what the service said,
/// the likely causes for its kind, and `already` (what this step had changed before).
pub fn lambda_failure(
    action: &str,
    function: &str,
    failure: &CallFailure,
    already: Option<&str>,
) -> StepError {
    let mut what = format!(
        "lambda:{action} on {function} failed: {}",
        failure.summary()
    );
    match already {
        Some(done) => what.push_str(&format!(" — already done: {done}")),
        None => what.push_str(" — nothing was changed"),
    }
    let report = StepError::new(what);
    if failure.code.as_deref() == Some("ResourceNotFoundException") || failure.is_not_found() {
        report
            .cause(format!(
                "the function {function} (or the version / alias named) does not exist in this account and region"
            ))
            .cause("the scope was not created, its create workflow failed, or AWS_REGION is not the scope's region")
            .fix(format!(
                "check it: `aws lambda get-function --function-name {function}`; create the scope again if it is missing"
            ))
    } else if failure.is_access_denied() {
        report
            .cause(format!("the assumed role lacks lambda:{action} on this function"))
            .fix(format!(
                "add lambda:{action} on the scope's functions to the role's policy (`iam-policy render` shows the full policy)"
            ))
    } else if failure.code.as_deref() == Some("ResourceConflictException") {
        report
            .cause("another update of this function is still in progress")
            .fix("wait until the function's LastUpdateStatus is Successful, then retry the action")
    } else if failure.code.as_deref() == Some("InvalidParameterValueException") {
        report
            .cause("Lambda rejected a value: a missing S3 object or image, a wrong architecture, or a bad setting")
            .fix("read the message above; check the asset exists and matches the scope's architecture")
    } else if failure.status.is_some_and(|status| status >= 500) {
        report
            .cause("the Lambda service answered with a server error")
            .fix("retry the action; if it keeps failing, check the AWS Health Dashboard for Lambda in this region")
    } else {
        report
            .cause("the Lambda API was unreachable, or throttled the call past the retry budget")
            .fix("check AWS_REGION and the network path to the Lambda API, then retry")
    }
}

/// `$LATEST` and anything that is not a published version number.
pub fn is_published_version(version: &str) -> bool {
    !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit())
}
