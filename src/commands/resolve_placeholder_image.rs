//! resolve-placeholder-image: the code a new function is created with (Zip package or ECR image).
use std::ffi::OsString;
use std::process::ExitCode;

use crate::placeholder::resolve_placeholder_step;
use crate::step::{self, process_env, StepArgs};
use clap::Parser;

/// Zip scopes: writes the embedded placeholder package to $OUTPUT_DIR/placeholder.zip.
/// Image scopes: takes PLACEHOLDER_IMAGE_URI exactly as given (`:latest` added only when
/// it has neither tag nor digest), rejects public or non-ECR images and images in another
/// region, and checks the image exists in its private ECR repository (ecr:DescribeImages)
/// before any tofu run.
///
/// Reads PACKAGE_TYPE (Zip | Image) and OUTPUT_DIR (build-scope-context),
/// PLACEHOLDER_IMAGE_URI (fetch-scope-config, precedence already resolved), AWS_REGION /
/// AWS_DEFAULT_REGION, AWS_ENDPOINT_URL[_ECR].
///
/// Outputs: LAMBDA_FILENAME (Zip; else empty), PLACEHOLDER_IMAGE_URI (Image; else empty).
#[derive(Parser)]
#[command(name = "resolve-placeholder-image", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run_async(&cli.step, resolve_placeholder_step(&process_env))
}
