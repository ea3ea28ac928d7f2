//! run-tofu: runs OpenTofu for the scope (init with the S3 backend, then apply or destroy).
use std::ffi::OsString;
use std::process::ExitCode;

use crate::step::{self, process_env, StepArgs};
use crate::tofu::run::tofu_step;
use clap::Parser;

/// Checks that the binary is OpenTofu or Terraform 1.10 or later (the lock file needs
/// it), then runs `tofu init` with the scope's S3 backend (state `lambda/<SCOPE_ID>/terraform.tfstate`
/// in TOFU_STATE_BUCKET, lock file on), then `tofu apply` or `tofu destroy`, printing
/// everything tofu prints (stderr included) as progress. Uses only the credentials it
/// inherits (the assumed role's, from assume-role).
///
/// Adoption: an apply adopts the resources compose-tofu found in AWS through its import
/// blocks (imports.tf). A destroy ignores import blocks, so before it each resource in
/// compose-tofu's imports.json that the state lacks is imported (`tofu import`), and the
/// destroy removes it too; one that cannot be imported is named in a warning as left
/// in AWS.
///
/// Reads TOFU_ACTION (apply | destroy), SCOPE_ID, TOFU_STATE_BUCKET, AWS_REGION /
/// AWS_DEFAULT_REGION, TOFU_WORKING_DIR (default $OUTPUT_DIR/tofu, written by
/// compose-tofu, with its tofu.tfvars.json), TOFU_BIN (default: tofu on PATH, else
/// terraform), AWS_ENDPOINT_URL[_S3|_STS] (endpoint override, path-style S3).
///
/// After apply, unless IS_BLUE_GREEN=true, the main alias (LAMBDA_MAIN_ALIAS_NAME,
/// default main) of the function (LAMBDA_FUNCTION_NAME, else the ARN output) catches up
/// with the newest published version when it points at an older one — never $LATEST;
/// an alias that splits traffic (a blue/green in progress), or whose newest version
/// is a deployment's it has not switched to yet, is left as it is.
///
/// Long runs: when the assumed credentials it inherited (AWS_CREDENTIAL_EXPIRATION)
/// would come within ASSUME_ROLE_REFRESH_SECONDS of running out before its expected end
/// (TOFU_EXPECTED_DURATION_SECONDS, 60–43200, default 2700), tofu gets refreshing
/// credentials instead: a private `credential_process` profile that re-assumes the same
/// role, through the credentials cache, as the agent's own identity (see README).
///
/// Outputs after apply (empty when the modules do not define it): LAMBDA_FUNCTION_ARN,
/// LAMBDA_CURRENT_VERSION (the alias's version after the catch-up), ALB_RULE_ARN.
#[derive(Parser)]
#[command(name = "run-tofu", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run(&cli.step, || tofu_step(&process_env))
}
