//! Waiting for a function update to settle: polls `GetFunctionConfiguration` until the
//! function is not `Pending` and its `LastUpdateStatus` is not `InProgress`, bounded by
//! `DEPLOYMENT_MAX_WAIT_IN_SECONDS`; `Failed` becomes a report with Lambda's reason.

use std::time::{Duration, Instant};

use aws_sdk_lambda::types::{LastUpdateStatus, State};

use super::lambda_failure;
use crate::aws::CallFailure;
use crate::report::StepError;
use crate::step::progress;

/// Default bound of a wait, in seconds.
pub const DEFAULT_MAX_WAIT_SECONDS: u64 =
    crate::settings::DEPLOYMENT_MAX_WAIT_IN_SECONDS.default_u64();

/// Poll interval: short at first (most updates settle in a second or two), then longer.
fn poll_delay(attempt: u32) -> Duration {
    Duration::from_millis(match attempt {
        0 => 250,
        1 => 500,
        2..=4 => 1000,
        _ => 3000,
    })
}

/// What the function said on the last poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub code_sha256: Option<String>,
}

/// Waits until the last update of `function` finished. `changed` says what this step
/// already did, for the report when the wait fails or times out.
pub async fn wait_until_updated(
    client: &aws_sdk_lambda::Client,
    function: &str,
    max_wait: Duration,
    changed: Option<&str>,
) -> Result<Settled, StepError> {
    // The bound holds even when a poll stalls (each poll alone may take the call timeout).
    tokio::time::timeout(
        max_wait,
        poll_until_updated(client, function, max_wait, changed),
    )
    .await
    .unwrap_or_else(|_| Err(still_updating(function, max_wait, changed)))
}

fn still_updating(function: &str, max_wait: Duration, changed: Option<&str>) -> StepError {
    let mut what = format!(
        "{function} was still updating after {} s (DEPLOYMENT_MAX_WAIT_IN_SECONDS)",
        max_wait.as_secs()
    );
    if let Some(done) = changed {
        what.push_str(&format!(" — already done: {done}"));
    }
    StepError::new(what)
        .cause("a large image or a VPC attachment can take minutes to apply")
        .cause("Lambda (or the endpoint in between) stopped answering")
        .fix("raise DEPLOYMENT_MAX_WAIT_IN_SECONDS, or check the function's LastUpdateStatus and retry")
}

async fn poll_until_updated(
    client: &aws_sdk_lambda::Client,
    function: &str,
    max_wait: Duration,
    changed: Option<&str>,
) -> Result<Settled, StepError> {
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        let config = client
            .get_function_configuration()
            .function_name(function)
            .send()
            .await
            .map_err(|err| {
                lambda_failure(
                    "GetFunctionConfiguration",
                    function,
                    &CallFailure::from_sdk(&err),
                    changed,
                )
            })?;
        let pending = config.state() == Some(&State::Pending);
        match config.last_update_status() {
            Some(LastUpdateStatus::Failed) => {
                let reason = config
                    .last_update_status_reason()
                    .unwrap_or("no reason given");
                let code = config
                    .last_update_status_reason_code()
                    .map(|c| format!(" ({})", c.as_str()))
                    .unwrap_or_default();
                let mut what = format!("the update of {function} failed: {reason}{code}");
                if let Some(done) = changed {
                    what.push_str(&format!(" — already done: {done}"));
                }
                return Err(StepError::new(what)
                    .cause("the image or zip was built for another architecture than the function's")
                    .cause("the image or zip is missing, or Lambda may not read it (ECR repository policy, S3 object permissions, KMS key)")
                    .cause("the function's role lacks permissions the new configuration needs (VPC, layers, KMS)")
                    .fix(format!(
                        "read the reason above and `aws lambda get-function-configuration --function-name {function}`"
                    ))
                    .fix("fix the asset or setting, then run the deployment again; the aliases still route to the versions they did"));
            }
            Some(LastUpdateStatus::InProgress) => {}
            _ if !pending => {
                return Ok(Settled {
                    code_sha256: config.code_sha256().map(str::to_string),
                })
            }
            _ => {}
        }
        let delay = poll_delay(attempt);
        if started.elapsed() + delay > max_wait {
            return Err(still_updating(function, max_wait, changed));
        }
        if attempt == 2 {
            progress(format!(
                "   ⏳ waiting for {function} to finish updating..."
            ));
        }
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_start_fast_and_back_off() {
        assert!(poll_delay(0) < poll_delay(1));
        assert!(poll_delay(1) < poll_delay(5));
        assert_eq!(poll_delay(50), poll_delay(6));
    }
}
