//! generate-domain: the scope's domain, validated and recorded on the scope.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::domain::generate_domain_step;
use crate::step::{self, process_env, StepArgs};
use clap::Parser;

/// Builds the scope domain <namespace>-<application>-<scope>[.<account>].<zone name>,
/// checks it against DNS limits (253 characters, 63 per label, letters, digits, inner
/// hyphens) and records it with `np scope patch --id <SCOPE_ID> --body {"domain":...} --format json`
/// (a failure there is only a warning). No zone name → no domain, said once.
///
/// Reads VISIBILITY, SCOPE_ID, NAMESPACE_SLUG, APPLICATION_SLUG, SCOPE_SLUG,
/// ACCOUNT_SLUG (build-scope-context), HOSTED_PUBLIC_ZONE_NAME (public scopes) or
/// HOSTED_PRIVATE_ZONE_NAME (private scopes), USE_ACCOUNT_SLUG (true adds the account
/// label), NP_CLI.
///
/// Outputs: SCOPE_DOMAIN (empty when the scope has no domain).
#[derive(Parser)]
#[command(name = "generate-domain", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run(&cli.step, || generate_domain_step(&process_env))
}
