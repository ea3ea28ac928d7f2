//! build-deployment-context: the names, asset and blue/green versions deployment
//! workflows derive from CONTEXT and the function.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::context::Context;
use crate::scope_context::{build_deployment_context, DeploymentOptions};
use crate::step::{self, StepArgs};
use clap::Parser;

/// Derives a deployment's names, asset location and blue/green versions for
/// deployment workflows.
///
/// The green version is the newest published version whose description is
/// .deployment.id, the blue one the newest whose description is
/// .scope.current_active_deployment (publish-version writes the deployment id as the
/// description), found with lambda:ListVersionsByFunction (all pages).
///
/// Reads: CONTEXT (.scope, .namespace/.application/.account slugs, .deployment.id,
/// .deployment.strategy, .deployment.strategy_data.desired_switched_traffic, .asset),
/// LAMBDA_MAIN_ALIAS_NAME (default main), PARAMETERS_STRATEGY (env | secretsmanager),
/// LAMBDA_ARCHITECTURE, REQUIRE_ASSET (same as --require-asset), NP_OUTPUT_DIR,
/// SERVICE_PATH; AWS_REGION, AWS_ENDPOINT_URL[_LAMBDA] and credentials as the AWS SDK does.
///
/// Outputs: SCOPE_ID, SCOPE_SLUG, SCOPE_NRN, NAMESPACE_SLUG, APPLICATION_SLUG,
/// ACCOUNT_SLUG, LAMBDA_FUNCTION_NAME, VISIBILITY, PACKAGE_TYPE, ASSET_TYPE, RUNTIME,
/// HANDLER, ARCHITECTURE, OUTPUT_DIR, DEPLOYMENT_ID, LAMBDA_MAIN_ALIAS_NAME,
/// DEPLOYMENT_STRATEGY, IS_BLUE_GREEN, DESIRED_TRAFFIC, BLUE_DEPLOYMENT_ID,
/// LAMBDA_GREEN_VERSION, LAMBDA_BLUE_VERSION, LAMBDA_CURRENT_VERSION, IMAGE_URI,
/// S3_BUCKET, S3_KEY, PARAMETERS_STRATEGY, SECRETS_MANAGER_SECRET_NAME,
/// RESOURCE_TAGS_JSON.
#[derive(Parser)]
#[command(name = "build-deployment-context", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
    #[command(flatten)]
    options: DeploymentOptions,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run_async(&cli.step, async {
        let ctx = Context::from_env()?;
        build_deployment_context(&ctx, &cli.options, &|name| std::env::var(name).ok()).await
    })
}
