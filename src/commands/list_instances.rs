//! list-instances: the `instance:data` telemetry action (the response is printed on stdout).
use std::ffi::OsString;
use std::process::ExitCode;

use crate::context::Context;
use crate::telemetry::{self, instances, ShimArgs};
use clap::Parser;

/// Lists the scope's function versions as instances and prints the response, one JSON
/// document on stdout: {"results":[{"id","selector","details":{version, deployment_id,
/// aliases with traffic_percent, runtime, memory…},"state","launch_time","spot":false}]};
/// a failure still prints that shape with "message" and "error". Progress and ❌/💡/🔧
/// go to stderr.
///
/// Reads CONTEXT `.arguments`: scope_id (required), deployment_id (only the versions that
/// deployment published). The function is <scope_id>-<application slug>-<scope slug>
/// (.tags.application / .tags.scope), else the function tagged nullplatform:scope-id.
/// AWS_REGION and AWS_ENDPOINT_URL as the AWS SDK does.
///
/// Outputs: none.
#[derive(Parser)]
#[command(name = "list-instances", version)]
struct Cli {
    #[command(flatten)]
    shim: ShimArgs,
    /// List this function instead of looking up the scope's.
    #[arg(long, env = "LAMBDA_FUNCTION_NAME")]
    function_name: Option<String>,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    let answer = async {
        let ctx = Context::from_env()?;
        instances::list_instances(&ctx, cli.function_name.as_deref()).await
    };
    telemetry::serve(&cli.shim, answer, instances::failed)
}
