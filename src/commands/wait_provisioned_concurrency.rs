//! wait-provisioned-concurrency: waits for the main alias's provisioned concurrency.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::context::Context;
use crate::deploy::provisioned::{wait_provisioned_concurrency, ProvisionedSettings};
use crate::step::{self, StepArgs};
use clap::Parser;

/// When the scope has provisioned concurrency (CONTEXT
/// .scope.capabilities.provisioned_concurrency.type = provisioned), waits until the main
/// alias's allocation is READY, or fails with Lambda's status reason. Skipped for other
/// scopes and when the alias has no provisioned concurrency configuration.
///
/// Reads CONTEXT, LAMBDA_FUNCTION_NAME, LAMBDA_MAIN_ALIAS_NAME (default main),
/// PROVISIONED_CONCURRENCY_MAX_WAIT_SECONDS (default 600),
/// PROVISIONED_CONCURRENCY_POLL_INTERVAL (seconds, default 5); AWS_REGION,
/// AWS_ENDPOINT_URL[_LAMBDA] and credentials as the AWS SDK does.
///
/// Outputs: PROVISIONED_CONCURRENCY_STATUS (READY | skipped).
#[derive(Parser)]
#[command(name = "wait-provisioned-concurrency", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
    #[command(flatten)]
    settings: ProvisionedSettings,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run_async(&cli.step, async {
        let ctx = Context::from_env()?;
        wait_provisioned_concurrency(&ctx, &cli.settings).await
    })
}
