//! update-function-configuration: the function's settings and the deployment's parameters.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::context::Context;
use crate::deploy::configuration::{update_function_configuration, ConfigurationSettings};
use crate::step::{self, StepArgs};
use clap::Parser;

/// Sets memory, timeout, ephemeral storage, runtime and handler (Zip only), layers, VPC
/// and environment variables, then waits until Lambda reports LastUpdateStatus
/// Successful (bounded by DEPLOYMENT_MAX_WAIT_IN_SECONDS).
///
/// The deployment's parameters (CONTEXT .parameters.results) become environment
/// variables (PARAMETERS_STRATEGY=env), or are written to the Secrets Manager secret
/// SECRETS_MANAGER_SECRET_NAME (created when missing, tagged with RESOURCE_TAGS_JSON)
/// and the function gets NULLPLATFORM_PARAMETERS_SECRET=<name> (secretsmanager).
/// Parameter values are never printed.
///
/// Reads CONTEXT (.scope.capabilities memory, timeout, ephemeral_storage, layers,
/// vpc_enabled; .parameters.results — both required: without them nothing is changed),
/// LAMBDA_FUNCTION_NAME, PACKAGE_TYPE, RUNTIME, HANDLER,
/// PARAMETERS_STRATEGY, SECRETS_MANAGER_SECRET_NAME, RESOURCE_TAGS_JSON, LAMBDA_MEMORY,
/// LAMBDA_TIMEOUT, LAMBDA_EPHEMERAL_STORAGE, LAMBDA_VPC_ENABLED (fallbacks for the
/// capabilities), AWS_SUBNET_IDS, SECURITY_GROUP_IDS, USE_NULL_AGENT (default false),
/// NULLPLATFORM_APIKEY, NULL_AGENT_LAYER_ARN, DEPLOYMENT_MAX_WAIT_IN_SECONDS (default
/// 600); AWS_REGION, AWS_ENDPOINT_URL[_LAMBDA|_SECRETS_MANAGER] and credentials as the
/// AWS SDK does.
///
/// Outputs: LAMBDA_ENVIRONMENT_NAMES (the variable names set, comma-separated).
#[derive(Parser)]
#[command(name = "update-function-configuration", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
    #[command(flatten)]
    settings: ConfigurationSettings,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run_async(&cli.step, async {
        let ctx = Context::from_env()?;
        update_function_configuration(&ctx, &cli.settings, &|name| std::env::var(name).ok()).await
    })
}
