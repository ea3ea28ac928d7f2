//! publish-version: publishes the function's $LATEST as this deployment's version.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::deploy::version::{publish_version, PublishSettings};
use crate::step::{self, StepArgs};
use clap::Parser;

/// Publishes $LATEST as a numbered version whose description is DEPLOYMENT_ID (how later
/// actions find the deployment's version), after any running update has finished.
///
/// Reads LAMBDA_FUNCTION_NAME, DEPLOYMENT_ID, DEPLOYMENT_MAX_WAIT_IN_SECONDS (default
/// 600); AWS_REGION, AWS_ENDPOINT_URL[_LAMBDA] and credentials as the AWS SDK does.
///
/// Outputs: LAMBDA_GREEN_VERSION, LAMBDA_CURRENT_VERSION (both the new version number).
#[derive(Parser)]
#[command(name = "publish-version", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
    #[command(flatten)]
    settings: PublishSettings,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run_async(&cli.step, publish_version(&cli.settings))
}
