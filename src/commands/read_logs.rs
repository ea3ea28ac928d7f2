//! read-logs: the `log:read` telemetry action (the response is printed on stdout).
use std::ffi::OsString;
use std::process::ExitCode;

use crate::context::Context;
use crate::telemetry::{self, logs, ShimArgs};
use clap::Parser;

/// Reads the scope's function logs from CloudWatch Logs and prints the response,
/// one JSON document on stdout: {"results":[{"message","datetime","instance","id",
/// "version"}],"next_page_token"}; a failure still prints that shape with "message"
/// and "error". Progress and ❌/💡/🔧 go to stderr.
///
/// Reads CONTEXT `.arguments`: scope_id (required), start_time / end_time (epoch ms or
/// RFC 3339; default the last hour), filter_pattern (CloudWatch Logs syntax), limit
/// (default 100, at most 1000), next_page_token (from the previous answer),
/// deployment_id (only the streams of that deployment's version). The function is
/// <scope_id>-<application slug>-<scope slug> (.tags.application / .tags.scope), else the
/// function tagged nullplatform:scope-id. AWS_REGION and AWS_ENDPOINT_URL as the AWS SDK does.
///
/// Outputs: none.
#[derive(Parser)]
#[command(name = "read-logs", version)]
struct Cli {
    #[command(flatten)]
    shim: ShimArgs,
    /// Read this function instead of looking up the scope's.
    #[arg(long, env = "LAMBDA_FUNCTION_NAME")]
    function_name: Option<String>,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    let answer = async {
        let ctx = Context::from_env()?;
        logs::read_logs(&ctx, cli.function_name.as_deref()).await
    };
    telemetry::serve(&cli.shim, answer, logs::failed)
}
