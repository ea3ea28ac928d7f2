//! ensure-ecr-pull-policy: lets Lambda pull the deployment's image from its ECR repository.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::ecr::ensure_pull_policy;
use crate::step::{self, StepArgs};
use clap::Parser;

/// Makes sure the ECR repository policy of IMAGE_URI lets lambda.amazonaws.com run
/// ecr:BatchGetImage and ecr:GetDownloadUrlForLayer.
///
/// Only the statement with Sid LambdaECRImageRetrievalPolicy is added or repaired; every
/// other statement is kept, and nothing is written when ours already grants the pull.
/// A repository the role cannot read or change (another account, denied): a warning with
/// the exact statement its owner must add, and the step succeeds. Zip packages: nothing to do.
///
/// Reads IMAGE_URI (<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repo>[:tag|@digest]),
/// PACKAGE_TYPE (Image | Zip, default Image); AWS_ENDPOINT_URL[_ECR] and credentials as
/// the AWS SDK does (the region is the image's).
///
/// Outputs: ECR_PULL_POLICY (present | added | repaired | owner-action-needed | skipped).
#[derive(Parser)]
#[command(name = "ensure-ecr-pull-policy", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
    /// The image to deploy.
    #[arg(long, env = "IMAGE_URI", default_value = "", hide_default_value = true)]
    image_uri: String,
    /// Lambda package type; Zip skips the check.
    #[arg(long, env = "PACKAGE_TYPE", default_value = "Image")]
    package_type: String,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run_async(
        &cli.step,
        ensure_pull_policy(&cli.image_uri, &cli.package_type),
    )
}
