//! diagnose: the checks of a scope or deployment diagnosis, run concurrently.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::diagnose::report::{diagnose_step, DiagnoseOptions};
use crate::step::{self, Format, StepArgs};
use clap::Parser;

/// Diagnoses a scope (or, with DEPLOYMENT_ID, a deployment): each check ends passed,
/// failed, warning or skipped, with its evidence and, when not passed, the likely
/// causes and the fix. The checks run at once; `--list` names them, `--check NAME`
/// runs some of them.
///
/// Reads: CONTEXT (names when the context steps did not run; .scope.domain),
/// NP_ACTION_CONTEXT (.notification.id and .notification.service.id: the action the
/// results are reported to with `np service action patch`; a notification-shaped
/// CONTEXT with .id and .service.id stands in when it is unset), NP_CLI,
/// LAMBDA_FUNCTION_NAME, LAMBDA_MAIN_ALIAS_NAME (default main), DEPLOYMENT_ID,
/// LAMBDA_GREEN_VERSION, IMAGE_URI (the deployment's image; else the function's),
/// VISIBILITY, ARCHITECTURE, SCOPE_DOMAIN, ASSUME_ROLE_ARN and
/// AWS_CREDENTIAL_EXPIRATION (from assume_role), ALB_PRIVATE_LISTENER_ARN,
/// NP_OUTPUT_DIR / OUTPUT_DIR (results file), DIAGNOSE_FAIL_ON, DIAGNOSE_CHECK_TIMEOUT;
/// AWS_REGION, AWS_ENDPOINT_URL[_<SERVICE>] and credentials as the AWS SDK does.
///
/// Outputs: DIAGNOSE_STATUS (passed | skipped | warning | failed: the worst check),
/// DIAGNOSE_FAILED_CHECKS (comma-separated names), DIAGNOSE_RESULTS_FILE.
/// With --format json the results document ({"results":{"categories":[...]}}) is
/// printed on stdout and the report goes to stderr.
#[derive(Parser)]
#[command(name = "diagnose", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
    #[command(flatten)]
    options: DiagnoseOptions,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    // With --format json, stdout carries the results document alone (the report goes to
    // stderr); `--list` prints its outputs as any step does.
    let json = cli.step.format == Format::Json && !cli.options.list;
    let mut step_args = cli.step.clone();
    if json {
        step::progress_to_stderr();
        step_args.format = Format::Shell;
    }
    let env = |name: &str| std::env::var(name).ok();
    step::run_async(&step_args, diagnose_step(&cli.options, json, &env))
}
