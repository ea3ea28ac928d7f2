//! assume-role: the first step of every AWS-touching workflow.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::credentials::{assume_role_step, AssumeRoleSettings};
use crate::step::{self, StepArgs};
use clap::Parser;

/// Resolves the IAM role this workflow acts as and assumes it.
///
/// Resolution (first match wins): ASSUME_ROLE_ARN → the AWS IAM provider at the
/// account NRN (entry whose selector is ASSUME_ROLE_SELECTOR; with ASSUME_ROLE_ACCESS=read,
/// the ASSUME_ROLE_READ_SELECTOR entry first) → scope-configurations assume_role.arn →
/// ASSUME_ROLE_ARN_DEFAULT → none (nothing emitted: later steps use the agent's own
/// credentials).
///
/// Reads CONTEXT (the built notification) and NP_CLI (the nullplatform CLI, default np);
/// AWS_REGION / AWS_DEFAULT_REGION and AWS_ENDPOINT_URL[_STS] as the AWS SDK does.
///
/// Outputs: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
/// AWS_CREDENTIAL_EXPIRATION (RFC 3339), ASSUME_ROLE_ARN, ASSUME_ROLE_SOURCE
/// (env | iam-provider-read | iam-provider | scope-config | default).
#[derive(Parser)]
#[command(name = "assume-role", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
    #[command(flatten)]
    settings: AssumeRoleSettings,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run_async(&cli.step, assume_role_step(&cli.settings))
}
