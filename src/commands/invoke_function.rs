//! invoke-function: invokes the scope's function (main alias) with a JSON payload.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::scope_actions::invoke_step;
use crate::step::{self, process_env, StepArgs};
use clap::Parser;

/// Invokes the main alias synchronously and prints the status code and the response
/// (first 4096 characters). A function error fails the action, with the response.
///
/// Reads INVOKE_PAYLOAD (else CONTEXT .parameters.payload, an object or a JSON string;
/// {} when the parameters have none; a CONTEXT without .parameters is an error and
/// nothing is invoked), LAMBDA_FUNCTION_NAME (build-scope-context), LAMBDA_MAIN_ALIAS_NAME
/// (default main), AWS_REGION, AWS_ENDPOINT_URL[_LAMBDA].
///
/// Outputs: INVOKE_STATUS_CODE.
#[derive(Parser)]
#[command(name = "invoke-function", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run_async(&cli.step, invoke_step(&process_env))
}
