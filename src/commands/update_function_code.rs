//! update-function-code: deploys the release's image or zip to the function's $LATEST.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::deploy::code::{update_function_code, CodeSettings};
use crate::step::{self, StepArgs};
use clap::Parser;

/// Points the function's $LATEST at the deployment's code and waits until Lambda reports
/// LastUpdateStatus Successful (bounded by DEPLOYMENT_MAX_WAIT_IN_SECONDS).
///
/// Image packages take IMAGE_URI (an ECR image; run ensure-ecr-pull-policy first), Zip
/// packages S3_BUCKET and S3_KEY. On Failed it prints Lambda's reason and the likely
/// causes (architecture, missing asset, permissions).
///
/// Reads LAMBDA_FUNCTION_NAME, PACKAGE_TYPE (Image | Zip), IMAGE_URI, S3_BUCKET, S3_KEY,
/// DEPLOYMENT_MAX_WAIT_IN_SECONDS (default 600); AWS_REGION, AWS_ENDPOINT_URL[_LAMBDA]
/// and credentials as the AWS SDK does.
///
/// Outputs: LAMBDA_CODE_SHA256 (the deployed code's hash).
#[derive(Parser)]
#[command(name = "update-function-code", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
    #[command(flatten)]
    settings: CodeSettings,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run_async(&cli.step, update_function_code(&cli.settings))
}
