//! `metric:list` and metric queries: the catalogue of Lambda metrics the UI can chart,
//! and `GetMetricData` for one of them, read with the statistic that fits it (a duration
//! is averaged, a count summed, a concurrency level or an age is a maximum).

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_smithy_types::DateTime;
use jiff::Timestamp;
use serde_json::{json, Map, Value};

use super::function::{self, ScopeFunction};
use super::{call_failed, notice, rfc3339_seconds, Arguments, Window};
use crate::aws::{sdk_config, CallFailure};
use crate::context::Context;
use crate::report::StepError;
use crate::step::progress;

/// How CloudWatch datapoints of one period are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    Sum,
    Average,
    Maximum,
}

impl Statistic {
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::Sum => "Sum",
            Statistic::Average => "Average",
            Statistic::Maximum => "Maximum",
        }
    }
}

/// One metric the scope offers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricDef {
    /// The name in the catalogue and in requests.
    pub name: &'static str,
    pub title: &'static str,
    pub unit: &'static str,
    /// The CloudWatch metric in the `AWS/Lambda` namespace.
    pub cloudwatch: &'static str,
    pub statistic: Statistic,
    /// Factor applied to CloudWatch's values (a ratio shown as a percentage).
    pub scale: f64,
    /// Other names a request may use (the reference scope's CloudWatch-style names).
    pub aliases: &'static [&'static str],
    /// CloudWatch only publishes it per alias or version, never per function.
    pub per_qualifier_only: bool,
}

/// The catalogue, in the order the UI lists it.
pub const CATALOGUE: &[MetricDef] = &[
    MetricDef {
        name: "invocations",
        title: "Invocations",
        unit: "count",
        cloudwatch: "Invocations",
        statistic: Statistic::Sum,
        scale: 1.0,
        aliases: &["Invocations"],
        per_qualifier_only: false,
    },
    MetricDef {
        name: "duration",
        title: "Duration (average)",
        unit: "ms",
        cloudwatch: "Duration",
        statistic: Statistic::Average,
        scale: 1.0,
        aliases: &["Duration"],
        per_qualifier_only: false,
    },
    MetricDef {
        name: "errors",
        title: "Errors",
        unit: "count",
        cloudwatch: "Errors",
        statistic: Statistic::Sum,
        scale: 1.0,
        aliases: &["Errors"],
        per_qualifier_only: false,
    },
    MetricDef {
        name: "throttles",
        title: "Throttles",
        unit: "count",
        cloudwatch: "Throttles",
        statistic: Statistic::Sum,
        scale: 1.0,
        aliases: &["Throttles"],
        per_qualifier_only: false,
    },
    MetricDef {
        name: "concurrent_executions",
        title: "Concurrent executions (maximum)",
        unit: "count",
        cloudwatch: "ConcurrentExecutions",
        statistic: Statistic::Maximum,
        scale: 1.0,
        aliases: &["ConcurrentExecutions", "concurrency"],
        per_qualifier_only: false,
    },
    MetricDef {
        name: "provisioned_concurrency_utilization",
        title: "Provisioned concurrency utilisation (maximum)",
        unit: "percent",
        cloudwatch: "ProvisionedConcurrencyUtilization",
        statistic: Statistic::Maximum,
        scale: 100.0,
        aliases: &[
            "ProvisionedConcurrencyUtilization",
            "provisioned_concurrency_utilisation",
        ],
        per_qualifier_only: true,
    },
    MetricDef {
        name: "stream.iterator_age",
        title: "Stream iterator age (maximum; stream-triggered functions)",
        unit: "ms",
        cloudwatch: "IteratorAge",
        statistic: Statistic::Maximum,
        scale: 1.0,
        aliases: &["IteratorAge", "iterator_age"],
        per_qualifier_only: false,
    },
];

/// The group-by values requests may use.
pub const GROUP_BY: &[&str] = &["alias", "version"];

/// Case and punctuation do not matter: `ConcurrentExecutions` = `concurrent_executions`.
fn normalized(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The catalogue entry for a requested metric name.
pub fn find(name: &str) -> Option<&'static MetricDef> {
    let wanted = normalized(name);
    CATALOGUE.iter().find(|def| {
        normalized(def.name) == wanted || def.aliases.iter().any(|a| normalized(a) == wanted)
    })
}

/// The `metric:list` answer. Static: listing costs no AWS call, and a stream or
/// provisioned-concurrency metric simply has no data on functions without them.
pub fn catalogue() -> Value {
    let results: Vec<Value> = CATALOGUE
        .iter()
        .map(|def| {
            json!({
                "name": def.name,
                "title": def.title,
                "unit": def.unit,
                "available_filters": ["scope_id"],
                "available_group_by": GROUP_BY,
            })
        })
        .collect();
    json!({ "results": results })
}

/// How the series are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Function,
    Alias,
    /// Per version an alias routes to (`ExecutedVersion`: blue and green apart).
    Version,
}

/// One metric request, from `.arguments`.
#[derive(Debug, Clone)]
pub struct MetricRequest {
    pub metric: &'static MetricDef,
    pub window: Window,
    pub period: u64,
    pub grouping: Grouping,
}

/// The longest period one data point may cover (CloudWatch takes the period as a 32-bit
/// number; a longer one would be cut, not refused).
pub const MAX_PERIOD: u64 = 7 * 24 * 3600;

/// Default period when the request names none.
pub const DEFAULT_PERIOD: u64 = 60;

impl MetricRequest {
    pub fn from_arguments(args: &Arguments, now: Timestamp) -> Result<MetricRequest, StepError> {
        let name = ["metric", "metric_name", "name"]
            .iter()
            .find_map(|key| args.text(key))
            .ok_or_else(|| {
                StepError::new("the request names no metric: .arguments.metric is missing")
                    .fix(format!("send .arguments.metric, one of: {}", names()))
                    .usage()
            })?;
        let metric = find(&name).ok_or_else(|| {
            StepError::new(format!("unknown metric `{name}`"))
                .cause("the request asked for a metric this scope does not offer")
                .fix(format!("ask for one of: {} (see metric:list)", names()))
                .usage()
        })?;
        // CloudWatch keeps standard-resolution Lambda metrics per minute.
        let requested = args.positive("period")?.unwrap_or(DEFAULT_PERIOD);
        if requested > MAX_PERIOD {
            return Err(super::bad_argument(
                "period",
                &serde_json::json!(requested),
                &format!("a number of seconds from 1 to {MAX_PERIOD} (one week)"),
            ));
        }
        let period = requested.div_ceil(60) * 60;
        let grouping = grouping(args)?;
        let grouping = match grouping {
            Grouping::Function if metric.per_qualifier_only => Grouping::Alias,
            other => other,
        };
        Ok(MetricRequest {
            metric,
            window: args.window(now)?,
            period,
            grouping,
        })
    }
}

fn names() -> String {
    CATALOGUE
        .iter()
        .map(|def| def.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn grouping(args: &Arguments) -> Result<Grouping, StepError> {
    let values: Vec<String> = match args.get("group_by") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(text)) => text.split(',').map(str::to_string).collect(),
        Some(other) => {
            return Err(super::bad_argument(
                "group_by",
                other,
                "a list of alias / version",
            ))
        }
    };
    let mut grouping = Grouping::Function;
    for value in values.iter().map(|v| v.trim().to_ascii_lowercase()) {
        grouping = match value.as_str() {
            "" | "scope" | "scope_id" | "function" => grouping,
            "alias" | "aliases" => Grouping::Alias,
            "version" | "versions" | "executed_version" | "deployment" | "deployment_id" => {
                Grouping::Version
            }
            other => {
                return Err(StepError::new(format!("cannot group metrics by `{other}`"))
                    .fix("group by alias or version, or send an empty group_by")
                    .usage())
            }
        };
    }
    Ok(grouping)
}

/// One series to read: the dimensions and how the UI labels them.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub selector: Map<String, Value>,
    pub dimensions: Vec<(String, String)>,
}

/// The series of a grouping, from the function's aliases (`name`, version, additional
/// versions it routes to).
pub fn series(
    function: &str,
    grouping: Grouping,
    aliases: &[(String, String, Vec<String>)],
) -> Vec<Series> {
    let base = |extra: &[(&str, &str)]| {
        let mut selector = Map::new();
        selector.insert("function_name".into(), json!(function));
        for (key, value) in extra {
            selector.insert((*key).into(), json!(value));
        }
        selector
    };
    match grouping {
        Grouping::Function => vec![Series {
            selector: base(&[]),
            dimensions: vec![("FunctionName".into(), function.into())],
        }],
        Grouping::Alias => aliases
            .iter()
            .map(|(alias, _, _)| Series {
                selector: base(&[("alias", alias)]),
                dimensions: vec![
                    ("FunctionName".into(), function.into()),
                    ("Resource".into(), format!("{function}:{alias}")),
                ],
            })
            .collect(),
        Grouping::Version => aliases
            .iter()
            .flat_map(|(alias, version, extra)| {
                std::iter::once(version)
                    .chain(extra.iter())
                    .map(move |v| (alias, v))
            })
            .map(|(alias, version)| Series {
                selector: base(&[("alias", alias), ("version", version)]),
                dimensions: vec![
                    ("FunctionName".into(), function.into()),
                    ("Resource".into(), format!("{function}:{alias}")),
                    ("ExecutedVersion".into(), version.clone()),
                ],
            })
            .collect(),
    }
}

/// The answer for a request: the metric's shape around the series read.
fn answer(request: &MetricRequest, results: Vec<Value>) -> Value {
    json!({
        "metric": request.metric.name,
        "type": "gauge",
        "period_in_seconds": request.period,
        "unit": request.metric.unit,
        "statistic": request.metric.statistic.as_str(),
        "results": results,
    })
}

/// The answer when a query failed or could not be made: an empty series list.
pub fn failed(args: &Arguments, err: &StepError) -> Value {
    let metric = ["metric", "metric_name", "name"]
        .iter()
        .find_map(|key| args.text(key))
        .unwrap_or_default();
    let known = find(&metric);
    json!({
        "metric": known.map(|def| def.name.to_string()).unwrap_or(metric),
        "type": "gauge",
        "period_in_seconds": args.positive("period").ok().flatten().unwrap_or(DEFAULT_PERIOD),
        "unit": known.map(|def| def.unit).unwrap_or(""),
        "results": [],
        "message": err.what,
        "error": super::error_code(err),
    })
}

/// The `read-metrics query` step body.
pub async fn query(ctx: &Context, function_name: Option<&str>) -> Result<Value, StepError> {
    let request = MetricRequest::from_arguments(&Arguments::from_context(ctx), Timestamp::now())?;
    let config = sdk_config().await?;
    let tagging = aws_sdk_resourcegroupstagging::Client::new(&config);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    let Some(target) = function::resolve(ctx, function_name, &tagging).await? else {
        let explanation = function::no_function(&function::scope_id(ctx)?);
        notice(&explanation);
        let mut body = answer(&request, Vec::new());
        body["message"] = json!(explanation.what);
        return Ok(body);
    };
    let mut body = read(&request, &target, &lambda, &cloudwatch).await?;
    let empty = body["results"].as_array().is_none_or(|series| {
        series
            .iter()
            .all(|s| s["data"].as_array().is_none_or(Vec::is_empty))
    });
    if empty && target.may_be_elsewhere() {
        // A derived name may be stale (a slug renamed after creation): ask the tags.
        if let Some(found) = function::by_tag(&tagging, &target.scope_id).await? {
            if found.name != target.name {
                body = read(&request, &found, &lambda, &cloudwatch).await?;
            }
        }
    }
    Ok(body)
}

async fn read(
    request: &MetricRequest,
    target: &ScopeFunction,
    lambda: &aws_sdk_lambda::Client,
    cloudwatch: &aws_sdk_cloudwatch::Client,
) -> Result<Value, StepError> {
    let aliases = match request.grouping {
        Grouping::Function => Vec::new(),
        _ => match list_aliases(lambda, &target.name).await {
            Ok(aliases) => aliases,
            Err(err) if err.exit_code == 3 => return Err(err),
            Err(err) => return Ok(soft_empty(request, err)),
        },
    };
    let series = series(&target.name, request.grouping, &aliases);
    progress(format!(
        "📡 {} of {} ({} per {} s, {} series)",
        request.metric.cloudwatch,
        target.name,
        request.metric.statistic.as_str(),
        request.period,
        series.len()
    ));
    if series.is_empty() {
        return Ok(answer(request, Vec::new()));
    }
    match metric_data(cloudwatch, request, &series).await {
        Ok(results) => Ok(answer(request, results)),
        Err(err) if err.exit_code == 3 => Err(err),
        Err(err) => Ok(soft_empty(request, err)),
    }
}

/// A failed query answers an empty series list (the chart shows no data), explained on stderr.
fn soft_empty(request: &MetricRequest, err: StepError) -> Value {
    notice(&err);
    let mut body = answer(request, Vec::new());
    body["message"] = json!(err.what);
    body
}

/// Every alias of the function: name, main version, additional versions it routes to.
async fn list_aliases(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
) -> Result<Vec<(String, String, Vec<String>)>, StepError> {
    let mut aliases = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = match lambda
            .list_aliases()
            .function_name(function)
            .set_marker(marker.clone())
            .send()
            .await
        {
            Ok(page) => page,
            Err(err) => {
                let failure = CallFailure::from_sdk(&err);
                if failure.is_not_found() {
                    return Ok(aliases);
                }
                return Err(call_failed("lambda:ListAliases", function, &failure));
            }
        };
        for alias in page.aliases() {
            let mut extra: Vec<String> = alias
                .routing_config()
                .and_then(|routing| routing.additional_version_weights())
                .map(|weights| weights.keys().cloned().collect())
                .unwrap_or_default();
            extra.sort();
            aliases.push((
                alias.name().unwrap_or_default().to_string(),
                alias.function_version().unwrap_or_default().to_string(),
                extra,
            ));
        }
        marker = page
            .next_marker()
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        if marker.is_none() {
            return Ok(aliases);
        }
    }
}

/// One `GetMetricData` query per series (all pages); each series' points in time order.
async fn metric_data(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    request: &MetricRequest,
    series: &[Series],
) -> Result<Vec<Value>, StepError> {
    let queries: Vec<MetricDataQuery> = series
        .iter()
        .enumerate()
        .map(|(index, one)| {
            let dimensions = one
                .dimensions
                .iter()
                .map(|(name, value)| Dimension::builder().name(name).value(value).build())
                .collect();
            let metric = Metric::builder()
                .namespace("AWS/Lambda")
                .metric_name(request.metric.cloudwatch)
                .set_dimensions(Some(dimensions))
                .build();
            let stat = MetricStat::builder()
                .metric(metric)
                .period(request.period as i32)
                .stat(request.metric.statistic.as_str())
                .build();
            MetricDataQuery::builder()
                .id(format!("m{index}"))
                .metric_stat(stat)
                .return_data(true)
                .build()
        })
        .collect();
    let mut points: Vec<Vec<(i64, f64)>> = vec![Vec::new(); series.len()];
    let mut token: Option<String> = None;
    loop {
        let page = cloudwatch
            .get_metric_data()
            .set_metric_data_queries(Some(queries.clone()))
            .start_time(DateTime::from_millis(request.window.start.as_millisecond()))
            .end_time(DateTime::from_millis(request.window.end.as_millisecond()))
            .scan_by(ScanBy::TimestampAscending)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|err| {
                call_failed(
                    "cloudwatch:GetMetricData",
                    request.metric.cloudwatch,
                    &CallFailure::from_sdk(&err),
                )
            })?;
        for result in page.metric_data_results() {
            let Some(index) = result
                .id()
                .and_then(|id| id.strip_prefix('m'))
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|index| *index < series.len())
            else {
                continue;
            };
            points[index].extend(
                result
                    .timestamps()
                    .iter()
                    .zip(result.values())
                    .map(|(time, value)| (time.secs(), *value)),
            );
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(series
        .iter()
        .zip(points)
        .map(|(one, mut data)| {
            data.sort_by_key(|(time, _)| *time);
            json!({
                "selector": one.selector,
                "data": data
                    .into_iter()
                    .map(|(time, value)| json!({
                        "timestamp": Timestamp::from_second(time).map(rfc3339_seconds).unwrap_or_default(),
                        "value": value * request.metric.scale,
                    }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(value: Value) -> Result<MetricRequest, StepError> {
        let now: Timestamp = "2026-11-20T14:00:00Z".parse().unwrap();
        MetricRequest::from_arguments(&Arguments::from_value(value), now)
    }

    #[test]
    fn each_metric_has_the_statistic_that_fits_it() {
        let stat = |name: &str| find(name).unwrap().statistic;
        assert_eq!(stat("invocations"), Statistic::Sum);
        assert_eq!(stat("errors"), Statistic::Sum);
        assert_eq!(stat("Throttles"), Statistic::Sum);
        assert_eq!(stat("Duration"), Statistic::Average);
        assert_eq!(stat("ConcurrentExecutions"), Statistic::Maximum);
        assert_eq!(stat("stream.iterator_age"), Statistic::Maximum);
        assert_eq!(
            stat("provisioned_concurrency_utilization"),
            Statistic::Maximum
        );
        assert!(find("http.rpm").is_none());
    }

    #[test]
    fn the_catalogue_lists_every_metric_with_its_shape() {
        let list = catalogue();
        let results = list["results"].as_array().unwrap();
        assert_eq!(results.len(), CATALOGUE.len());
        for entry in results {
            for key in [
                "name",
                "title",
                "unit",
                "available_filters",
                "available_group_by",
            ] {
                assert!(entry.get(key).is_some(), "{key} in {entry}");
            }
            assert!(find(entry["name"].as_str().unwrap()).is_some());
        }
    }

    #[test]
    fn periods_beyond_a_week_are_refused_not_cut() {
        for period in [
            json!(MAX_PERIOD + 1),
            json!(2_u64.pow(31) * 60),
            json!(u64::MAX),
        ] {
            let err = request(json!({"metric": "duration", "period": period})).unwrap_err();
            assert_eq!(err.exit_code, 2, "{period}");
            assert!(err.what.contains(".arguments.period"), "{}", err.what);
        }
        assert_eq!(
            request(json!({"metric": "duration", "period": MAX_PERIOD}))
                .unwrap()
                .period,
            MAX_PERIOD
        );
    }

    #[test]
    fn periods_round_up_to_whole_minutes_and_grouping_is_parsed() {
        let r =
            request(json!({"metric": "duration", "period": 90, "group_by": ["version"]})).unwrap();
        assert_eq!(r.period, 120);
        assert_eq!(r.grouping, Grouping::Version);
        let r = request(json!({"metric": "invocations"})).unwrap();
        assert_eq!((r.period, r.grouping), (DEFAULT_PERIOD, Grouping::Function));
        let r = request(json!({"metric": "provisioned_concurrency_utilization"})).unwrap();
        assert_eq!(r.grouping, Grouping::Alias, "only published per alias");
        assert_eq!(request(json!({"metric": "nope"})).unwrap_err().exit_code, 2);
        assert_eq!(request(json!({})).unwrap_err().exit_code, 2);
        assert_eq!(
            request(json!({"metric": "errors", "group_by": ["region"]}))
                .unwrap_err()
                .exit_code,
            2
        );
    }

    #[test]
    fn version_series_split_each_alias_by_executed_version() {
        let aliases = vec![("main".to_string(), "3".to_string(), vec!["2".to_string()])];
        let split = series("f", Grouping::Version, &aliases);
        assert_eq!(split.len(), 2);
        assert_eq!(split[0].selector["version"], "3");
        assert_eq!(split[1].selector["version"], "2");
        assert!(split[1]
            .dimensions
            .contains(&("ExecutedVersion".to_string(), "2".to_string())));
        assert!(split[1]
            .dimensions
            .contains(&("Resource".to_string(), "f:main".to_string())));
        let by_alias = series("f", Grouping::Alias, &aliases);
        assert_eq!(by_alias.len(), 1);
        assert_eq!(by_alias[0].selector["alias"], "main");
        let whole = series("f", Grouping::Function, &[]);
        assert_eq!(
            whole[0].dimensions,
            vec![("FunctionName".to_string(), "f".to_string())]
        );
    }

    #[test]
    fn a_failed_query_keeps_the_metric_shape() {
        let args = Arguments::from_value(json!({"metric": "Duration", "period": 300}));
        let body = failed(&args, &StepError::new("denied"));
        assert_eq!(body["metric"], "duration");
        assert_eq!(body["unit"], "ms");
        assert_eq!(body["period_in_seconds"], 300);
        assert_eq!(body["results"], json!([]));
    }
}
