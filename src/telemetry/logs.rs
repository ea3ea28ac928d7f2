//! `log:read`: the function's CloudWatch Logs events for a time range, filter pattern and
//! limit, with CloudWatch's own pagination token handed back so the next request goes
//! on exactly where this one stopped. A deployment narrows to its version's streams.

use aws_sdk_cloudwatchlogs::types::OrderBy;
use jiff::Timestamp;
use serde_json::{json, Value};

use super::function::{self, ScopeFunction};
use super::{bad_argument, call_failed, notice, rfc3339_millis, Arguments, Window};
use crate::aws::{sdk_config, CallFailure};
use crate::context::Context;
use crate::deploy::version::{list_function_versions, version_for_deployment};
use crate::report::StepError;
use crate::step::progress;

/// Events per answer when the request names no limit.
pub const DEFAULT_LIMIT: u64 = 100;
/// The most events one answer carries (a larger limit is lowered to this).
pub const MAX_LIMIT: u64 = 1000;
/// FilterLogEvents calls per answer: CloudWatch may answer pages with few or no events
/// while it scans; after this many the answer returns what it has and the token.
const MAX_CALLS: usize = 10;
/// FilterLogEvents takes at most this many stream names.
const MAX_STREAMS: usize = 100;

/// One `log:read` request, from `.arguments`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRequest {
    pub window: Window,
    pub filter_pattern: Option<String>,
    pub limit: u64,
    pub next_page_token: Option<String>,
    pub deployment_id: Option<String>,
}

impl LogRequest {
    pub fn from_arguments(args: &Arguments, now: Timestamp) -> Result<LogRequest, StepError> {
        let limit = args.positive("limit")?.unwrap_or(DEFAULT_LIMIT);
        if limit > MAX_LIMIT {
            progress(format!(
                "ℹ️  limit {limit} lowered to {MAX_LIMIT} events per answer"
            ));
        }
        let text = |name: &str| -> Result<Option<String>, StepError> {
            match args.get(name) {
                None => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(Value::Number(number)) => Ok(Some(number.to_string())),
                Some(other) => Err(bad_argument(name, other, "a string")),
            }
        };
        Ok(LogRequest {
            window: args.window(now)?,
            filter_pattern: text("filter_pattern")?,
            limit: limit.min(MAX_LIMIT),
            next_page_token: text("next_page_token")?,
            deployment_id: text("deployment_id")?.filter(|id| id != "null"),
        })
    }
}

/// One log event as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    pub id: String,
    pub timestamp: i64,
    pub message: String,
    pub stream: String,
}

impl LogEvent {
    fn to_json(&self) -> Value {
        let datetime = Timestamp::from_millisecond(self.timestamp)
            .map(rfc3339_millis)
            .unwrap_or_default();
        let mut entry = json!({
            "message": self.message.trim_end_matches(['\n', '\r']),
            "datetime": datetime,
            "instance": self.stream,
            "id": self.id,
        });
        if let Some(version) = stream_version(&self.stream) {
            entry["version"] = json!(version);
        }
        entry
    }
}

/// The function version a Lambda log stream belongs to: `2026/11/20/[3]abc…` → `3`.
pub fn stream_version(stream: &str) -> Option<&str> {
    let start = stream.find('[')? + 1;
    let end = start + stream[start..].find(']')?;
    Some(&stream[start..end])
}

/// The answer: events sorted by time and the token that continues after them.
pub fn answer(events: &mut [LogEvent], next_page_token: Option<String>) -> Value {
    events.sort_by(|a, b| a.timestamp.cmp(&b.timestamp).then(a.id.cmp(&b.id)));
    json!({
        "results": events.iter().map(LogEvent::to_json).collect::<Vec<_>>(),
        "next_page_token": next_page_token,
    })
}

/// The answer when there is nothing to show, with the reason.
pub fn empty(message: &str) -> Value {
    json!({"results": [], "next_page_token": null, "message": message})
}

/// The answer for a failed request.
pub fn failed(err: &StepError) -> Value {
    let mut body = empty(&err.what);
    body["error"] = json!(super::error_code(err));
    body
}

/// The `read-logs` step body.
pub async fn read_logs(ctx: &Context, function_name: Option<&str>) -> Result<Value, StepError> {
    let request = LogRequest::from_arguments(&Arguments::from_context(ctx), Timestamp::now())?;
    let config = sdk_config().await?;
    let tagging = aws_sdk_resourcegroupstagging::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let Some(mut target) = function::resolve(ctx, function_name, &tagging).await? else {
        let scope_id = function::scope_id(ctx)?;
        let explanation = function::no_function(&scope_id);
        notice(&explanation);
        return Ok(empty(&explanation.what));
    };
    let mut retried = false;
    loop {
        match read_function_logs(&config, &logs, &target, &request).await? {
            Read::Page(events, token) => {
                let mut events = events;
                progress(format!(
                    "✅ {} event(s) from {}{}",
                    events.len(),
                    target.log_group(),
                    if token.is_some() {
                        " (more to read)"
                    } else {
                        ""
                    }
                ));
                return Ok(answer(&mut events, token));
            }
            Read::Empty(message) => return Ok(empty(&message)),
            Read::NoLogGroup => {
                if target.may_be_elsewhere() && !retried {
                    retried = true;
                    match function::by_tag(&tagging, &target.scope_id).await? {
                        Some(found) if found.name != target.name => {
                            target = found;
                            continue;
                        }
                        Some(_) => {}
                        None => {
                            let explanation = function::no_function(&target.scope_id);
                            notice(&explanation);
                            return Ok(empty(&explanation.what));
                        }
                    }
                }
                let explanation = StepError::new(format!(
                    "the log group {} does not exist yet",
                    target.log_group()
                ))
                .cause("the function has not been invoked yet: Lambda creates the group on the first invocation")
                .cause("the execution role may lack logs:CreateLogGroup / logs:PutLogEvents")
                .fix("invoke the function once; if the group still does not appear, check the execution role's logging permissions");
                notice(&explanation);
                return Ok(empty(&explanation.what));
            }
        }
    }
}

enum Read {
    Page(Vec<LogEvent>, Option<String>),
    Empty(String),
    NoLogGroup,
}

async fn read_function_logs(
    config: &aws_config::SdkConfig,
    logs: &aws_sdk_cloudwatchlogs::Client,
    target: &ScopeFunction,
    request: &LogRequest,
) -> Result<Read, StepError> {
    let group = target.log_group();
    let streams = match &request.deployment_id {
        None => None,
        Some(deployment_id) => {
            let lambda = aws_sdk_lambda::Client::new(config);
            let version = match list_function_versions(&lambda, &target.name).await? {
                Some(versions) => version_for_deployment(&versions, deployment_id),
                None => None,
            };
            match version {
                None => {
                    progress(format!(
                        "ℹ️  no published version carries deployment {deployment_id}: reading every stream"
                    ));
                    None
                }
                Some(version) => {
                    match version_streams(logs, &group, &version, request.window).await? {
                        StreamLookup::NoLogGroup => return Ok(Read::NoLogGroup),
                        StreamLookup::Found(streams) if streams.is_empty() => {
                            return Ok(Read::Empty(format!(
                                "no log stream of version {version} (deployment {deployment_id}) has events in this time range"
                            )));
                        }
                        StreamLookup::Found(streams) => {
                            progress(format!(
                                "🔎 deployment {deployment_id} → version {version}: {} stream(s)",
                                streams.len()
                            ));
                            Some(streams)
                        }
                    }
                }
            }
        }
    };
    progress(format!(
        "📡 Reading {group} from {} to {}{}",
        rfc3339_millis(request.window.start),
        rfc3339_millis(request.window.end),
        request
            .filter_pattern
            .as_deref()
            .map(|pattern| format!(" matching `{pattern}`"))
            .unwrap_or_default()
    ));
    let mut events: Vec<LogEvent> = Vec::new();
    let mut token = request.next_page_token.clone();
    for _ in 0..MAX_CALLS {
        let remaining = request.limit - events.len() as u64;
        let result = logs
            .filter_log_events()
            .log_group_name(&group)
            .start_time(request.window.start.as_millisecond())
            .end_time(request.window.end.as_millisecond())
            .set_filter_pattern(request.filter_pattern.clone())
            .set_log_stream_names(streams.clone())
            .limit(remaining as i32)
            .set_next_token(token.clone())
            .send()
            .await;
        let page = match result {
            Ok(page) => page,
            Err(err) => {
                let failure = CallFailure::from_sdk(&err);
                if failure.code.as_deref() == Some("ResourceNotFoundException") {
                    return Ok(Read::NoLogGroup);
                }
                if failure.code.as_deref() == Some("InvalidParameterException") {
                    return Err(StepError::new(format!(
                        "CloudWatch Logs rejected the request for {group}: {}",
                        failure.summary()
                    ))
                    .cause("the filter pattern is not valid CloudWatch Logs syntax, or next_page_token belongs to another query")
                    .fix("check the filter pattern (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html); start again without next_page_token")
                    .usage());
                }
                return Err(call_failed("logs:FilterLogEvents", &group, &failure));
            }
        };
        events.extend(page.events().iter().map(|event| LogEvent {
            id: event.event_id().unwrap_or_default().to_string(),
            timestamp: event.timestamp().unwrap_or_default(),
            message: event.message().unwrap_or_default().to_string(),
            stream: event.log_stream_name().unwrap_or_default().to_string(),
        }));
        token = page
            .next_token()
            .filter(|token| !token.is_empty())
            .map(str::to_string);
        if token.is_none() || events.len() as u64 >= request.limit {
            break;
        }
    }
    Ok(Read::Page(events, token))
}

enum StreamLookup {
    Found(Vec<String>),
    NoLogGroup,
}

/// The streams of one function version with events in the window, newest first
/// (Lambda names them `YYYY/MM/DD/[<version>]<id>`).
async fn version_streams(
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    version: &str,
    window: Window,
) -> Result<StreamLookup, StepError> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_CALLS {
        let result = logs
            .describe_log_streams()
            .log_group_name(group)
            .order_by(OrderBy::LastEventTime)
            .descending(true)
            .set_next_token(token.clone())
            .send()
            .await;
        let page = match result {
            Ok(page) => page,
            Err(err) => {
                let failure = CallFailure::from_sdk(&err);
                if failure.code.as_deref() == Some("ResourceNotFoundException") {
                    return Ok(StreamLookup::NoLogGroup);
                }
                return Err(call_failed("logs:DescribeLogStreams", group, &failure));
            }
        };
        let mut older = false;
        for stream in page.log_streams() {
            let last = stream
                .last_event_timestamp()
                .or(stream.creation_time())
                .unwrap_or_default();
            if last < window.start.as_millisecond() {
                older = true;
                continue;
            }
            let first = stream.first_event_timestamp().unwrap_or(i64::MIN);
            let name = stream.log_stream_name().unwrap_or_default();
            if first <= window.end.as_millisecond() && stream_version(name) == Some(version) {
                names.push(name.to_string());
            }
        }
        token = page
            .next_token()
            .filter(|token| !token.is_empty())
            .map(str::to_string);
        if older || token.is_none() || names.len() >= MAX_STREAMS {
            break;
        }
    }
    names.truncate(MAX_STREAMS);
    Ok(StreamLookup::Found(names))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: &str, timestamp: i64, stream: &str) -> LogEvent {
        LogEvent {
            id: id.into(),
            timestamp,
            message: format!("line {id}\n"),
            stream: stream.into(),
        }
    }

    #[test]
    fn stream_names_carry_the_version() {
        assert_eq!(stream_version("2026/11/20/[3]abcdef"), Some("3"));
        assert_eq!(stream_version("2026/11/20/[$LATEST]abc"), Some("$LATEST"));
        assert_eq!(stream_version("custom-stream"), None);
    }

    #[test]
    fn answer_is_sorted_by_time_and_keeps_the_token() {
        let mut events = vec![
            event("b", 2000, "2026/11/20/[2]x"),
            event("a", 1000, "2026/11/20/[1]y"),
        ];
        let body = answer(&mut events, Some("tok".into()));
        assert_eq!(body["next_page_token"], "tok");
        assert_eq!(body["results"][0]["message"], "line a");
        assert_eq!(body["results"][0]["datetime"], "1970-01-01T00:00:01.000Z");
        assert_eq!(body["results"][0]["version"], "1");
        assert_eq!(body["results"][1]["instance"], "2026/11/20/[2]x");
        assert_eq!(answer(&mut [], None)["next_page_token"], Value::Null);
    }

    #[test]
    fn request_defaults_and_caps() {
        let now: Timestamp = "2026-11-20T14:00:00Z".parse().unwrap();
        let request = LogRequest::from_arguments(&Arguments::from_value(json!({})), now).unwrap();
        assert_eq!(request.limit, DEFAULT_LIMIT);
        assert_eq!(request.window.end, now);
        assert_eq!(request.next_page_token, None);
        let args = Arguments::from_value(json!({
            "limit": 50000, "filter_pattern": "ERROR", "next_page_token": "t", "deployment_id": 12
        }));
        let request = LogRequest::from_arguments(&args, now).unwrap();
        assert_eq!(request.limit, MAX_LIMIT);
        assert_eq!(request.filter_pattern.as_deref(), Some("ERROR"));
        assert_eq!(request.deployment_id.as_deref(), Some("12"));
        let bad = Arguments::from_value(json!({"filter_pattern": {"x": 1}}));
        assert_eq!(
            LogRequest::from_arguments(&bad, now).unwrap_err().exit_code,
            2
        );
    }

    #[test]
    fn a_failed_answer_is_still_the_log_shape() {
        let body = failed(&StepError::new("boom").usage());
        assert_eq!(body["results"], json!([]));
        assert_eq!(body["error"], "bad_arguments");
        assert_eq!(body["message"], "boom");
    }
}
