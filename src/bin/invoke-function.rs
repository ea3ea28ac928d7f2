//! invoke-function: invokes the scope's function (main alias) with a JSON payload.
use std::process::ExitCode;

use clap::Parser;
use lambda_scope::scope_actions::invoke_step;
use lambda_scope::step::{self, StepArgs};
use lambda_scope::tofu::process_env;

/// Invokes the main alias synchronously and prints the status code and the response
/// (first 4096 characters). A function error fails the action, with the response.
///
/// Reads INVOKE_PAYLOAD (else CONTEXT .parameters.payload, an object or a JSON string;
/// default {}), LAMBDA_FUNCTION_NAME (build-scope-context), LAMBDA_MAIN_ALIAS_NAME
/// (default main), AWS_REGION, AWS_ENDPOINT_URL[_LAMBDA].
///
/// Outputs: INVOKE_STATUS_CODE.
#[derive(Parser)]
#[command(name = "invoke-function", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    step::run_async(&cli.step, invoke_step(&process_env))
}
