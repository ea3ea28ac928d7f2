//! update-alias: routes the main alias's traffic for each deployment action.
use std::process::ExitCode;

use clap::Parser;
use lambda_scope::deploy::alias::{update_alias, AliasSettings};
use lambda_scope::step::{self, StepArgs};

/// Routes the main alias for a deployment action (ALIAS_STRATEGY):
///
/// initial: all traffic to LAMBDA_GREEN_VERSION (the alias is created when missing);
/// switch-traffic: DESIRED_TRAFFIC percent (0–100) to green, the rest to blue;
/// finalize: all traffic to green, then delete the blue version and its parameters secret;
/// rollback: all traffic to blue, then delete the green version and its parameters secret;
/// delete: delete the green version and its parameters secret.
/// Cleanup never deletes $LATEST nor a version any alias still routes to; its problems
/// are warnings (the traffic change stands).
///
/// Reads ALIAS_STRATEGY, LAMBDA_FUNCTION_NAME, LAMBDA_MAIN_ALIAS_NAME (default main),
/// LAMBDA_GREEN_VERSION, LAMBDA_BLUE_VERSION (empty → the alias's current version),
/// DESIRED_TRAFFIC, SCOPE_ID, DEPLOYMENT_ID, BLUE_DEPLOYMENT_ID (secret names
/// nullplatform/<scope>/<deployment>/parameters); AWS_REGION, AWS_ENDPOINT_URL[_LAMBDA]
/// and credentials as the AWS SDK does.
///
/// Outputs: LAMBDA_ALIAS_VERSION (the alias's primary version), LAMBDA_GREEN_TRAFFIC
/// (percent routed to green).
#[derive(Parser)]
#[command(name = "update-alias", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
    #[command(flatten)]
    settings: AliasSettings,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    step::run_async(&cli.step, update_alias(&cli.settings))
}
