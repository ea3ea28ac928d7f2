//! adjust-concurrency: sets or removes the function's reserved or provisioned concurrency.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::scope_actions::adjust_concurrency_step;
use crate::step::{self, process_env, StepArgs};
use clap::Parser;

/// Sets the function's reserved concurrency (CONCURRENCY_KIND=reserved) or the main
/// alias's provisioned concurrency (CONCURRENCY_KIND=provisioned) to a whole number
/// from 1 to 100000; 0 or `none` removes the setting.
///
/// Reads CONCURRENCY_KIND, CONCURRENCY (else CONTEXT .parameters.concurrency),
/// LAMBDA_FUNCTION_NAME (build-scope-context), LAMBDA_MAIN_ALIAS_NAME (default main),
/// AWS_REGION, AWS_ENDPOINT_URL[_LAMBDA].
///
/// Outputs: CONCURRENCY_APPLIED (the number, or `none` when removed).
#[derive(Parser)]
#[command(name = "adjust-concurrency", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run_async(&cli.step, adjust_concurrency_step(&process_env))
}
