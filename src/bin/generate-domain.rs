//! generate-domain: the scope's domain, validated and recorded on the scope.
use std::process::ExitCode;

use clap::Parser;
use lambda_scope::domain::generate_domain_step;
use lambda_scope::step::{self, StepArgs};
use lambda_scope::tofu::process_env;

/// Builds the scope domain <namespace>-<application>-<scope>[.<account>].<zone name>,
/// checks it against DNS limits (253 characters, 63 per label, letters, digits, inner
/// hyphens) and records it with `np scope patch --id <SCOPE_ID> --body {"domain":...}`
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    step::run(&cli.step, || generate_domain_step(&process_env))
}
