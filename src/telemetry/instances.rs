//! `instance:data`: Lambda has no servers to list, so the scope's instances are the
//! function's published versions, each with the aliases (and traffic share) that
//! route to it; a deployment id narrows to the versions it published.

use std::collections::BTreeMap;

use aws_sdk_lambda::types::FunctionConfiguration;
use jiff::Timestamp;
use serde_json::{json, Value};

use super::function::{self, ScopeFunction};
use super::{call_failed, notice, rfc3339_millis, Arguments};
use crate::aws::{sdk_config, CallFailure};
use crate::context::Context;
use crate::deploy::version::function_versions;
use crate::report::StepError;
use crate::step::progress;

/// One alias and the share of its traffic a version gets.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub alias: String,
    pub weight: f64,
}

/// Which versions each alias routes to, and with what weight (the main version gets
/// what the additional versions leave).
pub fn routes_by_version(
    aliases: &[aws_sdk_lambda::types::AliasConfiguration],
) -> BTreeMap<String, Vec<Route>> {
    let mut routes: BTreeMap<String, Vec<Route>> = BTreeMap::new();
    for alias in aliases {
        let name = alias.name().unwrap_or_default().to_string();
        let extra = alias
            .routing_config()
            .and_then(|routing| routing.additional_version_weights())
            .cloned()
            .unwrap_or_default();
        let others: f64 = extra.values().sum();
        if let Some(main) = alias.function_version() {
            routes.entry(main.to_string()).or_default().push(Route {
                alias: name.clone(),
                weight: (1.0 - others).max(0.0),
            });
        }
        for (version, weight) in extra {
            routes.entry(version).or_default().push(Route {
                alias: name.clone(),
                weight,
            });
        }
    }
    routes
}

/// Lambda's `LastModified` (`2026-11-20T14:05:00.000+0000`) as a timestamp.
pub fn parse_last_modified(text: &str) -> Option<Timestamp> {
    text.parse::<Timestamp>().ok().or_else(|| {
        jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%.f%z", text)
            .ok()
            .and_then(|parsed| parsed.to_timestamp().ok())
    })
}

/// The UI's state of one version: failed / pending while Lambda prepares it, running
/// while an alias sends it traffic, idle otherwise.
pub fn state(lambda_state: Option<&str>, routes: &[Route]) -> &'static str {
    match lambda_state {
        Some("Failed") => "failed",
        Some("Pending") => "pending",
        Some("Inactive") => "inactive",
        _ if routes.iter().any(|route| route.weight > 0.0) => "running",
        _ => "idle",
    }
}

/// One version as an instance.
pub fn instance(function: &str, version: &FunctionConfiguration, routes: &[Route]) -> Value {
    let number = version.version().unwrap_or_default();
    let deployment_id = version.description().filter(|d| !d.is_empty());
    let launch_time = version
        .last_modified()
        .and_then(parse_last_modified)
        .map(rfc3339_millis);
    let traffic: f64 =
        routes.iter().map(|route| route.weight).sum::<f64>() / (routes.len().max(1) as f64);
    let mut selector = json!({"function_name": function, "version": number});
    if let Some(id) = deployment_id {
        selector["deployment_id"] = json!(id);
    }
    json!({
        "id": format!("{function}:{number}"),
        "selector": selector,
        "details": {
            "version": number,
            "deployment_id": deployment_id,
            "aliases": routes.iter().map(|route| json!({
                "name": route.alias,
                "traffic_percent": (route.weight * 10000.0).round() / 100.0,
            })).collect::<Vec<_>>(),
            "traffic_percent": (traffic * 10000.0).round() / 100.0,
            "lambda_state": version.state().map(|s| s.as_str()),
            "runtime": version.runtime().map(|r| r.as_str()),
            "package_type": version.package_type().map(|p| p.as_str()),
            "architecture": version.architectures().first().map(|a| a.as_str()),
            "memory_mb": version.memory_size(),
            "timeout_seconds": version.timeout(),
            "code_sha256": version.code_sha256(),
            "arn": version.function_arn(),
        },
        "state": state(version.state().map(|s| s.as_str()), routes),
        "launch_time": launch_time,
        "spot": false,
    })
}

/// The answer when there is nothing to show, with the reason.
pub fn empty(message: &str) -> Value {
    json!({"results": [], "message": message})
}

/// The answer for a failed request.
pub fn failed(err: &StepError) -> Value {
    let mut body = empty(&err.what);
    body["error"] = json!(super::error_code(err));
    body
}

/// The `list-instances` step body.
pub async fn list_instances(
    ctx: &Context,
    function_name: Option<&str>,
) -> Result<Value, StepError> {
    let deployment_id = Arguments::from_context(ctx)
        .text("deployment_id")
        .or_else(|| ctx.string("parameters.deployment_id"))
        .filter(|id| id != "null");
    let config = sdk_config().await?;
    let tagging = aws_sdk_resourcegroupstagging::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    let Some(mut target) = function::resolve(ctx, function_name, &tagging).await? else {
        return Ok(no_function(&function::scope_id(ctx)?));
    };
    progress(format!(
        "📡 Listing versions and aliases of {}",
        target.name
    ));
    let versions = match versions(&lambda, &target).await? {
        Some(versions) => versions,
        None if target.may_be_elsewhere() => {
            match function::by_tag(&tagging, &target.scope_id).await? {
                Some(found) if found.name != target.name => {
                    target = found;
                    match versions(&lambda, &target).await? {
                        Some(versions) => versions,
                        None => return Ok(no_function(&target.scope_id)),
                    }
                }
                _ => return Ok(no_function(&target.scope_id)),
            }
        }
        None => return Ok(no_function(&target.scope_id)),
    };
    let aliases = aliases(&lambda, &target.name).await?;
    let routes = routes_by_version(&aliases);
    let published: Vec<&FunctionConfiguration> = versions
        .iter()
        .filter(|v| v.version() != Some("$LATEST"))
        .collect();
    // A function never published still runs its $LATEST code.
    let shown: Vec<&FunctionConfiguration> = if published.is_empty() {
        versions.iter().collect()
    } else {
        published
    };
    let mut shown: Vec<&FunctionConfiguration> = shown
        .into_iter()
        .filter(|v| {
            deployment_id
                .as_deref()
                .is_none_or(|id| v.description() == Some(id))
        })
        .collect();
    shown.sort_by_key(|v| {
        std::cmp::Reverse(
            v.version()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(u64::MAX),
        )
    });
    let results: Vec<Value> = shown
        .iter()
        .map(|v| {
            let version = v.version().unwrap_or_default();
            instance(
                &target.name,
                v,
                routes.get(version).map(Vec::as_slice).unwrap_or(&[]),
            )
        })
        .collect();
    progress(format!("✅ {} instance(s)", results.len()));
    if results.is_empty() {
        if let Some(id) = deployment_id {
            return Ok(empty(&format!(
                "no published version of {} belongs to deployment {id}",
                target.name
            )));
        }
    }
    Ok(json!({ "results": results }))
}

fn no_function(scope_id: &str) -> Value {
    let explanation = function::no_function(scope_id);
    notice(&explanation);
    empty(&explanation.what)
}

/// Every version's configuration (all pages); `None` when the function does not exist.
async fn versions(
    lambda: &aws_sdk_lambda::Client,
    target: &ScopeFunction,
) -> Result<Option<Vec<FunctionConfiguration>>, StepError> {
    function_versions(lambda, &target.name)
        .await
        .map_err(|failure| call_failed("lambda:ListVersionsByFunction", &target.name, &failure))
}

async fn aliases(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
) -> Result<Vec<aws_sdk_lambda::types::AliasConfiguration>, StepError> {
    let mut aliases = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = lambda
            .list_aliases()
            .function_name(function)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|err| {
                call_failed("lambda:ListAliases", function, &CallFailure::from_sdk(&err))
            })?;
        aliases.extend(page.aliases().iter().cloned());
        marker = page
            .next_marker()
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        if marker.is_none() {
            return Ok(aliases);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_lambda::types::{AliasConfiguration, AliasRoutingConfiguration};

    fn alias(name: &str, version: &str, extra: &[(&str, f64)]) -> AliasConfiguration {
        let mut builder = AliasConfiguration::builder()
            .name(name)
            .function_version(version);
        if !extra.is_empty() {
            let mut routing = AliasRoutingConfiguration::builder();
            for (v, w) in extra {
                routing = routing.additional_version_weights(*v, *w);
            }
            builder = builder.routing_config(routing.build());
        }
        builder.build()
    }

    #[test]
    fn traffic_is_split_between_main_and_additional_versions() {
        let routes = routes_by_version(&[
            alias("main", "3", &[("2", 0.25)]),
            alias("canary", "3", &[]),
        ]);
        assert_eq!(routes["3"].len(), 2);
        assert_eq!(
            routes["3"][0],
            Route {
                alias: "main".into(),
                weight: 0.75
            }
        );
        assert_eq!(
            routes["2"],
            vec![Route {
                alias: "main".into(),
                weight: 0.25
            }]
        );
    }

    #[test]
    fn state_follows_lambda_state_then_traffic() {
        let serving = [Route {
            alias: "main".into(),
            weight: 1.0,
        }];
        assert_eq!(state(Some("Active"), &serving), "running");
        assert_eq!(state(Some("Active"), &[]), "idle");
        assert_eq!(state(Some("Failed"), &serving), "failed");
        assert_eq!(state(Some("Pending"), &[]), "pending");
    }

    #[test]
    fn last_modified_in_both_lambda_formats() {
        let expected: Timestamp = "2026-11-20T14:05:00.5Z".parse().unwrap();
        assert_eq!(
            parse_last_modified("2026-11-20T14:05:00.500+0000"),
            Some(expected)
        );
        assert_eq!(
            parse_last_modified("2026-11-20T14:05:00.500000000Z"),
            Some(expected)
        );
        assert_eq!(parse_last_modified("yesterday"), None);
    }

    #[test]
    fn an_instance_has_the_ui_shape() {
        let version = FunctionConfiguration::builder()
            .version("3")
            .description("dep-1")
            .last_modified("2026-11-20T14:05:00.000+0000")
            .build();
        let value = instance(
            "f",
            &version,
            &[Route {
                alias: "main".into(),
                weight: 1.0,
            }],
        );
        assert_eq!(value["id"], "f:3");
        assert_eq!(value["selector"]["deployment_id"], "dep-1");
        assert_eq!(value["details"]["aliases"][0]["traffic_percent"], 100.0);
        assert_eq!(value["state"], "running");
        assert_eq!(value["launch_time"], "2026-11-20T14:05:00.000Z");
        assert_eq!(value["spot"], false);
    }
}
