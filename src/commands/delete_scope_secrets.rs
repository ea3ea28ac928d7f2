//! delete-scope-secrets: removes the scope's Secrets Manager secrets when the scope is deleted.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::scope_actions::delete_scope_secrets_step;
use crate::step::{self, process_env, StepArgs};
use clap::Parser;

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

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run_async(&cli.step, delete_scope_secrets_step(&process_env))
}
