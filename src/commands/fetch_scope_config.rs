//! fetch-scope-config: the platform configuration (network, account, DNS, state
//! bucket, placeholder image) every workflow after assume_role needs.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::context::Context;
use crate::np::NpClient;
use crate::scope_config::{fetch_scope_config, FetchOptions};
use crate::step::{self, StepArgs};
use clap::Parser;

/// Reads the scope's vpc, cloud-providers and scope-configurations providers and
/// exports the values later steps use.
///
/// Providers come from CONTEXT.providers when the built context carries them, else
/// from `np provider list --nrn <.scope.nrn> --categories vpc,scope-configurations,cloud-providers
/// [--dimensions k:v,...]`. Providers of one category are deep-merged in order; a key
/// defined by more than one provider is a warning (the last one wins).
///
/// Reads: CONTEXT, NP_CLI (default np), PLACEHOLDER_IMAGE_URI_DEFAULT,
/// REQUIRE_STATE_BUCKET (same as --require-state-bucket).
///
/// Outputs: ALB_PUBLIC_LISTENER_ARN, ALB_PRIVATE_LISTENER_ARN, VPC_ID, AWS_SUBNET_IDS,
/// SECURITY_GROUP_IDS, AWS_ACCOUNT_ID, AWS_REGION (required), HOSTED_PUBLIC_ZONE_ID,
/// HOSTED_PRIVATE_ZONE_ID, TOFU_STATE_BUCKET, PLACEHOLDER_IMAGE_URI, NULL_AGENT_LAYER_ARN
/// (empty when not configured).
#[derive(Parser)]
#[command(name = "fetch-scope-config", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
    #[command(flatten)]
    options: FetchOptions,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run(&cli.step, || {
        let ctx = Context::from_env()?;
        fetch_scope_config(&ctx, &NpClient::from_env(), &cli.options, &|name| {
            std::env::var(name).ok()
        })
    })
}
