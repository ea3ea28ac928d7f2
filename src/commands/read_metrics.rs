//! read-metrics: the `metric:list` and metric telemetry actions (the response is printed on stdout).
use std::ffi::OsString;
use std::process::ExitCode;

use crate::context::Context;
use crate::telemetry::{self, metrics, Arguments, ShimArgs};
use clap::{Parser, ValueEnum};

/// Answers `metric:list` with the metric catalogue, or a metric request with CloudWatch
/// GetMetricData, as one JSON document on stdout:
/// list  → {"results":[{"name","title","unit","available_filters","available_group_by"}]};
/// query → {"metric","type","period_in_seconds","unit","statistic","results":[{"selector",
/// "data":[{"timestamp","value"}]}]}. Each metric is read with the statistic that fits it
/// (Sum for counts, Average for duration, Maximum for concurrency and ages). An empty or
/// failed query answers "results": [] with "message"; progress and ❌/💡/🔧 go to stderr.
///
/// Reads CONTEXT `.action` (when no REQUEST is given: metric:list → list, else query) and
/// `.arguments`: scope_id (required), metric, period (seconds, rounded up to whole
/// minutes; default 60), start_time / end_time (epoch ms or RFC 3339; default the last
/// hour), group_by (alias | version). The function is <scope_id>-<application slug>-<scope
/// slug> (.tags.application / .tags.scope), else the function tagged nullplatform:scope-id.
/// AWS_REGION and AWS_ENDPOINT_URL as the AWS SDK does.
///
/// Outputs: none.
#[derive(Parser)]
#[command(name = "read-metrics", version)]
struct Cli {
    /// What to answer; default: from CONTEXT `.action`.
    #[arg(value_enum, env = "METRIC_REQUEST")]
    request: Option<Request>,
    #[command(flatten)]
    shim: ShimArgs,
    /// Read this function instead of looking up the scope's.
    #[arg(long, env = "LAMBDA_FUNCTION_NAME")]
    function_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Request {
    /// The metric catalogue (`metric:list`).
    List,
    /// One metric's data points.
    Query,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    let ctx = Context::from_env();
    let args = ctx
        .as_ref()
        .map(Arguments::from_context)
        .unwrap_or_else(|_| Arguments::from_value(serde_json::Value::Null));
    let request = cli.request.unwrap_or_else(|| {
        let action = ctx.as_ref().ok().and_then(|ctx| ctx.string("action"));
        match action.as_deref() {
            Some("metric:list") => Request::List,
            _ => Request::Query,
        }
    });
    let answer = async {
        let ctx = ctx?;
        match request {
            Request::List => Ok(metrics::catalogue()),
            Request::Query => metrics::query(&ctx, cli.function_name.as_deref()).await,
        }
    };
    match request {
        Request::List => telemetry::serve(
            &cli.shim,
            answer,
            |err| serde_json::json!({"results": [], "message": err.what, "error": telemetry::error_code(err)}),
        ),
        Request::Query => telemetry::serve(&cli.shim, answer, |err| metrics::failed(&args, err)),
    }
}
