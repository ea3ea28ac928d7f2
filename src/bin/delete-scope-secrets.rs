//! delete-scope-secrets: removes the scope's Secrets Manager secrets when the scope is deleted.
use std::process::ExitCode;

use clap::Parser;
use lambda_scope::scope_actions::delete_scope_secrets_step;
use lambda_scope::step::{self, StepArgs};
use lambda_scope::tofu::process_env;

/// Deletes (without recovery window) every secret named nullplatform/<SCOPE_ID>/... or
/// tagged nullplatform:scope-id=<SCOPE_ID>; each removal is reported, a secret already
/// gone is not an error, and no other scope's secret is touched.
///
/// Reads SCOPE_ID (build-scope-context), AWS_REGION, AWS_ENDPOINT_URL[_SECRETS_MANAGER].
///
/// Outputs: DELETED_SECRETS (comma-separated names, empty when none).
#[derive(Parser)]
#[command(name = "delete-scope-secrets", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    step::run_async(&cli.step, delete_scope_secrets_step(&process_env))
}
