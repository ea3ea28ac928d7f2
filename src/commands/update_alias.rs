//! update-alias: routes the main alias's traffic for each deployment action.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::deploy::alias::{update_alias, AliasSettings};
use crate::step::{self, StepArgs};
use clap::Parser;

/// Routes the main alias for a deployment action (ALIAS_STRATEGY):
///
/// initial: all traffic to LAMBDA_GREEN_VERSION (the alias is created when missing);
/// switch-traffic: DESIRED_TRAFFIC percent (0–100) to green, the rest to blue;
/// finalize: all traffic to green, then delete the blue version and its parameters secret;
/// rollback: all traffic to blue, then delete the green version and its parameters secret;
/// delete: delete the green version and its parameters secret.
/// Cleanup never deletes $LATEST nor a version any alias still routes to; its problems
/// are warnings (the traffic change stands). With PARAMETERS_STRATEGY=env (the default)
/// the deployments wrote no secret, and Secrets Manager is not called at all.
///
/// Reads ALIAS_STRATEGY, LAMBDA_FUNCTION_NAME, LAMBDA_MAIN_ALIAS_NAME (default main),
/// LAMBDA_GREEN_VERSION, LAMBDA_BLUE_VERSION (empty → the alias's current version),
/// DESIRED_TRAFFIC, PARAMETERS_STRATEGY (env | secretsmanager), SCOPE_ID, DEPLOYMENT_ID,
/// BLUE_DEPLOYMENT_ID (secret names nullplatform/<scope>/<deployment>/parameters);
/// AWS_REGION, AWS_ENDPOINT_URL[_LAMBDA]
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

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run_async(&cli.step, update_alias(&cli.settings))
}
