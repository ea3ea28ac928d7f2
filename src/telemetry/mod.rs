//! Telemetry actions (`log:read`, `metric:list` / `metric:*`, `instance:data`): the UI
//! polls them and reads the answer from stdout, so every answer is exactly one JSON
//! document printed at the end, even on failure; progress and ❌/💡/🔧 go to stderr.

pub mod function;
pub mod instances;
pub mod logs;
pub mod metrics;

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use jiff::Timestamp;
use serde_json::Value;

use crate::aws::CallFailure;
use crate::context::Context;
use crate::report::StepError;
use crate::step::{self, Format, Outputs, StepArgs};

/// The flags every telemetry binary accepts: only the outputs file the step shim passes
/// (these steps have no outputs; their result is the response on stdout).
#[derive(Debug, Clone, clap::Args)]
pub struct ShimArgs {
    /// Passed by the step shim; left empty (the response is printed on stdout).
    #[arg(long, value_name = "FILE", hide = true)]
    pub outputs_file: Option<PathBuf>,
    /// The response is always one JSON document on stdout (progress on stderr); `json`
    /// is accepted so every step takes `--format json`.
    #[arg(long, value_parser = ["json"], default_value = "json")]
    pub format: String,
}

/// Runs one telemetry action: prints the response body (`answer`, or `on_error`'s
/// document when it fails) as one JSON document on stdout, then reports the failure,
/// if any, on stderr with a non-zero exit code.
pub fn serve<F>(shim: &ShimArgs, answer: F, on_error: impl FnOnce(&StepError) -> Value) -> ExitCode
where
    F: Future<Output = Result<Value, StepError>>,
{
    // stdout is the response body: progress goes to stderr whatever the caller set.
    crate::step::progress_to_stderr();
    let result = crate::step::block_on(answer);
    let (body, failure) = match result {
        Ok(body) => (body, None),
        Err(err) => (on_error(&err), Some(err)),
    };
    print_document(&body);
    let args = StepArgs {
        outputs_file: shim.outputs_file.clone(),
        format: Format::Shell,
    };
    step::run(&args, || failure.map_or_else(|| Ok(Outputs::new()), Err))
}

/// Writes the whole document at once, so a reader never sees half of one.
fn print_document(body: &Value) {
    let mut text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_string());
    text.push('\n');
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// A condition the UI should show but that is no failure of the action (no function
/// yet, no log group before the first invocation, a metric query that found nothing):
/// explained on stderr with the ⚠️/💡/🔧 lines; the answer carries `message`.
pub fn notice(explanation: &StepError) {
    step::warn(&explanation.what);
    for cause in &explanation.causes {
        step::progress(format!("💡 {cause}"));
    }
    for fix in &explanation.fixes {
        step::progress(format!("🔧 {fix}"));
    }
}

/// The short code a failed answer carries in `error`, for the UI to tell failures apart.
pub fn error_code(err: &StepError) -> &'static str {
    match err.exit_code {
        2 => "bad_arguments",
        3 => "access_denied",
        _ => "failed",
    }
}

/// A report for an AWS call that failed; access denied gets exit code 3 so the answer's
/// `error` says so.
pub fn call_failed(action: &str, target: &str, failure: &CallFailure) -> StepError {
    let report = StepError::new(format!(
        "{action} on {target} failed: {}",
        failure.summary()
    ));
    if failure.is_access_denied() {
        let mut report = report
            .cause(format!("the assumed role is not allowed to call {action}"))
            .fix("add the telemetry permissions to the role (`iam-policy actions` lists them per binary; the install module grants them)");
        report.exit_code = 3;
        report
    } else {
        report
            .cause(
                "the AWS API was unreachable or throttled, or AWS_REGION is not the scope's region",
            )
            .fix("check AWS_REGION and the network path to AWS, then ask again")
    }
}

/// The request's `.arguments` (telemetry notifications carry them instead of a built scope).
#[derive(Debug, Clone)]
pub struct Arguments {
    value: Value,
}

impl Arguments {
    pub fn from_context(ctx: &Context) -> Arguments {
        Arguments {
            value: ctx.get("arguments").cloned().unwrap_or(Value::Null),
        }
    }

    pub fn from_value(value: Value) -> Arguments {
        Arguments { value }
    }

    /// The raw value of one argument; null and `""` count as absent.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self.value.get(name)? {
            Value::Null => None,
            Value::String(text) if text.trim().is_empty() => None,
            value => Some(value),
        }
    }

    /// A scalar argument as text.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Value::String(text) => Some(text.trim().to_string()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        }
    }

    /// A whole, positive number (a JSON number or digits in a string).
    pub fn positive(&self, name: &str) -> Result<Option<u64>, StepError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::Number(number) => number.as_u64(),
            Value::String(text) => text.trim().parse::<u64>().ok(),
            _ => None,
        };
        match parsed {
            Some(number) if number > 0 => Ok(Some(number)),
            _ => Err(bad_argument(
                name,
                value,
                "a whole number greater than zero",
            )),
        }
    }

    /// A point in time: epoch milliseconds (or seconds, for values below 10^11), as a
    /// number or digits, or an RFC 3339 timestamp.
    pub fn time(&self, name: &str) -> Result<Option<Timestamp>, StepError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        parse_time(value)
            .map(Some)
            .ok_or_else(|| bad_argument(name, value, "epoch milliseconds or an RFC 3339 timestamp"))
    }

    /// The time range `[start_time, end_time]`: default the hour before `now` (or before
    /// the given end); the start must come before the end.
    pub fn window(&self, now: Timestamp) -> Result<Window, StepError> {
        let end = self.time("end_time")?.unwrap_or(now);
        let start = match self.time("start_time")? {
            Some(start) => start,
            None => end
                .checked_sub(jiff::SignedDuration::from_hours(1))
                .unwrap_or(end),
        };
        if start >= end {
            return Err(StepError::new(format!(
                "the time range is empty: start_time {start} is not before end_time {end}"
            ))
            .cause("the request swapped the two times, or sent seconds where milliseconds were expected")
            .fix("send start_time earlier than end_time (epoch milliseconds or RFC 3339)")
            .usage());
        }
        Ok(Window { start, end })
    }
}

fn parse_time(value: &Value) -> Option<Timestamp> {
    let epoch = |number: i64| {
        if number.abs() < 100_000_000_000 {
            Timestamp::from_second(number).ok()
        } else {
            Timestamp::from_millisecond(number).ok()
        }
    };
    match value {
        Value::Number(number) => number
            .as_i64()
            .or_else(|| number.as_f64().map(|f| f as i64))
            .and_then(epoch),
        Value::String(text) => {
            let text = text.trim();
            match text.parse::<i64>() {
                Ok(number) => epoch(number),
                Err(_) => text.parse::<Timestamp>().ok(),
            }
        }
        _ => None,
    }
}

/// A bad request argument: usage error (exit 2) naming `.arguments.<name>`.
pub fn bad_argument(name: &str, value: &Value, expected: &str) -> StepError {
    StepError::new(format!(
        "the request argument .arguments.{name} is {value}: expected {expected}"
    ))
    .cause("the UI or API client sent a malformed request")
    .fix(format!("send .arguments.{name} as {expected}"))
    .usage()
}

/// A time range; both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// RFC 3339 in UTC with milliseconds (`2026-11-20T14:05:00.123Z`).
pub fn rfc3339_millis(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// RFC 3339 in UTC to the second (`2026-11-20T14:05:00Z`).
pub fn rfc3339_seconds(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(value: Value) -> Arguments {
        Arguments::from_value(value)
    }

    #[test]
    fn times_accept_millis_seconds_and_rfc3339() {
        let a = args(json!({
            "ms": 1763646000000u64,
            "s": 1763646000,
            "text_ms": "1763646000000",
            "rfc": "2025-11-20T13:40:00Z",
            "bad": "yesterday",
            "empty": "",
        }));
        let expected: Timestamp = "2025-11-20T13:40:00Z".parse().unwrap();
        assert_eq!(a.time("ms").unwrap(), Some(expected));
        assert_eq!(a.time("s").unwrap(), Some(expected));
        assert_eq!(a.time("text_ms").unwrap(), Some(expected));
        assert_eq!(a.time("rfc").unwrap(), Some(expected));
        assert_eq!(a.time("empty").unwrap(), None);
        assert_eq!(a.time("missing").unwrap(), None);
        let err = a.time("bad").unwrap_err();
        assert_eq!(err.exit_code, 2);
        assert!(err.what.contains(".arguments.bad"), "{err}");
    }

    #[test]
    fn window_defaults_to_the_last_hour_and_rejects_reversed_ranges() {
        let now: Timestamp = "2026-11-20T14:00:00Z".parse().unwrap();
        let window = args(json!({})).window(now).unwrap();
        assert_eq!(window.end, now);
        assert_eq!(window.start, "2026-11-20T13:00:00Z".parse().unwrap());
        let reversed = args(json!({"start_time": 1763650000000u64, "end_time": 1763640000000u64}));
        assert_eq!(reversed.window(now).unwrap_err().exit_code, 2);
    }

    #[test]
    fn positive_numbers_only() {
        let a = args(json!({"a": 5, "b": "7", "c": 0, "d": -1, "e": "x", "f": null}));
        assert_eq!(a.positive("a").unwrap(), Some(5));
        assert_eq!(a.positive("b").unwrap(), Some(7));
        assert_eq!(a.positive("f").unwrap(), None);
        for bad in ["c", "d", "e"] {
            assert!(a.positive(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_render_in_utc() {
        let time = Timestamp::from_millisecond(1763646000123).unwrap();
        assert_eq!(rfc3339_millis(time), "2025-11-20T13:40:00.123Z");
        assert_eq!(rfc3339_seconds(time), "2025-11-20T13:40:00Z");
    }
}
