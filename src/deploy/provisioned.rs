//! wait-provisioned-concurrency: when the scope asks for provisioned concurrency, waits
//! until the main alias's allocation is `READY` (bounded), or fails with Lambda's
//! status reason. Scopes without it, or an alias without a configuration, are skipped.

use std::time::{Duration, Instant};

use aws_sdk_lambda::types::ProvisionedConcurrencyStatusEnum as Status;

use super::{lambda_client, lambda_failure, required_input};
use crate::aws::CallFailure;
use crate::context::Context;
use crate::report::StepError;
use crate::step::{progress, warn, Outputs};

/// Inputs of wait-provisioned-concurrency besides CONTEXT.
#[derive(Debug, Clone, clap::Args)]
pub struct ProvisionedSettings {
    /// The scope's function (build-deployment-context).
    #[arg(
        long,
        env = "LAMBDA_FUNCTION_NAME",
        default_value = "",
        hide_default_value = true
    )]
    pub function_name: String,
    /// The alias the provisioned concurrency is configured on.
    #[arg(long, env = crate::settings::LAMBDA_MAIN_ALIAS_NAME.namespaced, default_value = crate::settings::LAMBDA_MAIN_ALIAS_NAME.default)]
    pub alias_name: String,
    /// Longest wait for READY, in seconds.
    #[arg(
        long,
        env = crate::settings::PROVISIONED_CONCURRENCY_MAX_WAIT_SECONDS.namespaced,
        default_value = crate::settings::PROVISIONED_CONCURRENCY_MAX_WAIT_SECONDS.default
    )]
    pub max_wait_seconds: u64,
    /// Seconds between two status reads (decimals allowed).
    #[arg(
        long,
        env = crate::settings::PROVISIONED_CONCURRENCY_POLL_INTERVAL.namespaced,
        default_value = crate::settings::PROVISIONED_CONCURRENCY_POLL_INTERVAL.default
    )]
    pub poll_interval_seconds: f64,
}

/// `.scope.capabilities.provisioned_concurrency.type == "provisioned"`.
pub fn is_configured(ctx: &Context) -> bool {
    ctx.string("scope.capabilities.provisioned_concurrency.type")
        .as_deref()
        == Some("provisioned")
}

/// The wait-provisioned-concurrency step body. Outputs `PROVISIONED_CONCURRENCY_STATUS`
/// (`READY`, or `skipped`).
pub async fn wait_provisioned_concurrency(
    ctx: &Context,
    settings: &ProvisionedSettings,
) -> Result<Outputs, StepError> {
    let mut outputs = Outputs::new();
    if !is_configured(ctx) {
        progress("⏭️  Provisioned concurrency is not enabled for this scope: nothing to wait for");
        outputs.set("PROVISIONED_CONCURRENCY_STATUS", "skipped");
        return Ok(outputs);
    }
    let function = required_input(
        "LAMBDA_FUNCTION_NAME",
        &settings.function_name,
        "build-deployment-context",
    )?;
    let interval = Duration::try_from_secs_f64(settings.poll_interval_seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            StepError::new(format!(
                "PROVISIONED_CONCURRENCY_POLL_INTERVAL is `{}`: expected a positive number of seconds",
                settings.poll_interval_seconds
            ))
            .usage()
        })?;
    let max_wait = Duration::from_secs(settings.max_wait_seconds);
    let target = format!("{function}:{}", settings.alias_name);
    progress(format!(
        "📡 Waiting for provisioned concurrency on {target}..."
    ));
    let client = lambda_client().await?;
    let started = Instant::now();
    let not_ready = || {
        StepError::new(format!(
            "provisioned concurrency on {target} was not READY after {} s (PROVISIONED_CONCURRENCY_MAX_WAIT_SECONDS) — the new version is deployed and the alias routes to it",
            max_wait.as_secs()
        ))
        .cause("large allocations take several minutes")
        .cause("Lambda (or the endpoint in between) stopped answering")
        .fix("raise PROVISIONED_CONCURRENCY_MAX_WAIT_SECONDS, or check the status later and retry")
    };
    let mut last: Option<Status> = None;
    // The bound holds even when a poll stalls (each poll alone may take the call timeout).
    let polls = async {
        loop {
            let answer = client
                .get_provisioned_concurrency_config()
                .function_name(&function)
                .qualifier(&settings.alias_name)
                .send()
                .await;
            let config = match answer {
                Ok(config) => config,
                Err(err) => {
                    let failure = CallFailure::from_sdk(&err);
                    if failure.code.as_deref()
                        == Some("ProvisionedConcurrencyConfigNotFoundException")
                    {
                        progress(format!(
                        "   ⏭️  {target} has no provisioned concurrency configuration: nothing to wait for"
                    ));
                        outputs.set("PROVISIONED_CONCURRENCY_STATUS", "skipped");
                        return Ok(outputs);
                    }
                    return Err(lambda_failure(
                        "GetProvisionedConcurrencyConfig",
                        &function,
                        &failure,
                        Some("the new version is deployed and the alias routes to it"),
                    ));
                }
            };
            let status = config.status().cloned();
            if status != last {
                progress(format!(
                    "   📋 {} (requested {}, allocated {}) after {} s",
                    status.as_ref().map(|s| s.as_str()).unwrap_or("UNKNOWN"),
                    config
                        .requested_provisioned_concurrent_executions()
                        .unwrap_or(0),
                    config
                        .allocated_provisioned_concurrent_executions()
                        .unwrap_or(0),
                    started.elapsed().as_secs()
                ));
                last = status.clone();
            }
            match status {
                Some(Status::Ready) => {
                    progress(format!("✨ Provisioned concurrency is READY on {target}"));
                    outputs.set("PROVISIONED_CONCURRENCY_STATUS", "READY");
                    return Ok(outputs);
                }
                Some(Status::Failed) => {
                    return Err(StepError::new(format!(
                    "provisioned concurrency on {target} FAILED: {} — the new version is deployed and the alias routes to it, without warm instances",
                    config.status_reason().unwrap_or("no reason given")
                ))
                .cause("the account's unreserved concurrency is too low for the requested amount")
                .cause("the new version fails to initialize (its init code errors or times out)")
                .fix(format!(
                    "read the reason above and the function's logs; check `aws lambda get-provisioned-concurrency-config --function-name {function} --qualifier {}`",
                    settings.alias_name
                ))
                .fix("lower the scope's provisioned concurrency or raise the account's concurrency quota, then deploy again"));
                }
                Some(Status::InProgress) => {}
                other => warn(format!(
                    "unexpected provisioned concurrency status {:?} on {target}",
                    other.map(|s| s.as_str().to_string())
                )),
            }
            if started.elapsed() + interval > max_wait {
                return Err(not_ready());
            }
            tokio::time::sleep(interval).await;
        }
    };
    tokio::time::timeout(max_wait, polls)
        .await
        .unwrap_or_else(|_| Err(not_ready()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_provisioned_scopes_wait() {
        let with = Context::from_value(
            json!({"scope": {"capabilities": {"provisioned_concurrency": {"type": "provisioned", "value": 2}}}}),
        );
        assert!(is_configured(&with));
        let without = Context::from_value(
            json!({"scope": {"capabilities": {"provisioned_concurrency": {"type": "unprovisioned"}}}}),
        );
        assert!(!is_configured(&without));
        assert!(!is_configured(&Context::default()));
    }
}
