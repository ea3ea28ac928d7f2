//! update-alias: the main alias's routing for each deployment action — all traffic to
//! the new version (initial), weighted green/blue (switch traffic), full cut-over and
//! cleanup of the old version (finalize), back to the old version and cleanup of the new
//! one (rollback), cleanup only (delete). Cleanup never deletes `$LATEST` nor a version
//! any alias still routes to; a deployment's parameters secret goes with its version.

use std::collections::HashMap;

use aws_sdk_lambda::types::AliasRoutingConfiguration;

use super::parameters::{secret_name, ParametersStrategy};
use super::{is_published_version, lambda_client, lambda_failure, required_input};
use crate::aws::{sdk_config, CallFailure};
use crate::report::StepError;
use crate::step::{progress, warn, Outputs};

/// What the alias step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AliasStrategy {
    /// All traffic to the new (green) version; the alias is created when missing.
    Initial,
    /// DESIRED_TRAFFIC percent to green, the rest to blue.
    SwitchTraffic,
    /// All traffic to green, then delete the blue version and its parameters secret.
    Finalize,
    /// All traffic back to blue, then delete the green version and its parameters secret.
    Rollback,
    /// Delete the green version and its parameters secret (the alias is not touched).
    Delete,
}

/// Inputs of update-alias (each also read from its environment variable).
#[derive(Debug, Clone, clap::Args)]
pub struct AliasSettings {
    /// What to do (set per workflow step in its `configuration:`).
    #[arg(long, env = "ALIAS_STRATEGY", value_enum)]
    pub strategy: AliasStrategy,
    /// The scope's function (build-deployment-context).
    #[arg(
        long,
        env = "LAMBDA_FUNCTION_NAME",
        default_value = "",
        hide_default_value = true
    )]
    pub function_name: String,
    /// The alias that receives the traffic.
    #[arg(long, env = crate::settings::LAMBDA_MAIN_ALIAS_NAME.namespaced, default_value = crate::settings::LAMBDA_MAIN_ALIAS_NAME.default)]
    pub alias_name: String,
    /// This deployment's version (publish-version or build-deployment-context).
    #[arg(
        long,
        env = "LAMBDA_GREEN_VERSION",
        default_value = "",
        hide_default_value = true
    )]
    pub green_version: String,
    /// The active deployment's version (build-deployment-context); empty → the alias's
    /// current version.
    #[arg(
        long,
        env = "LAMBDA_BLUE_VERSION",
        default_value = "",
        hide_default_value = true
    )]
    pub blue_version: String,
    /// Percentage of traffic for green, 0–100 (switch-traffic).
    #[arg(
        long,
        env = "DESIRED_TRAFFIC",
        default_value = "",
        hide_default_value = true
    )]
    pub desired_traffic: String,
    /// With `env` the deployments wrote no parameters secret: cleanup makes no Secrets
    /// Manager call (a role for that strategy need not be allowed any).
    #[arg(long, env = crate::settings::PARAMETERS_STRATEGY.namespaced, value_enum, default_value = crate::settings::PARAMETERS_STRATEGY.default)]
    pub parameters_strategy: ParametersStrategy,
    /// For the parameters secret names nullplatform/<scope>/<deployment>/parameters.
    #[arg(long, env = "SCOPE_ID", default_value = "", hide_default_value = true)]
    pub scope_id: String,
    #[arg(
        long,
        env = "DEPLOYMENT_ID",
        default_value = "",
        hide_default_value = true
    )]
    pub deployment_id: String,
    #[arg(
        long,
        env = "BLUE_DEPLOYMENT_ID",
        default_value = "",
        hide_default_value = true
    )]
    pub blue_deployment_id: String,
}

/// Where an alias sends traffic: a primary version and at most one weighted extra.
#[derive(Debug, Clone, PartialEq)]
pub struct Routing {
    pub version: String,
    /// (version, weight 0–1) of the additional version.
    pub extra: Option<(String, f64)>,
}

impl Routing {
    pub fn all_to(version: &str) -> Routing {
        Routing {
            version: version.to_string(),
            extra: None,
        }
    }

    fn describe(&self) -> String {
        match &self.extra {
            None => format!("100% → version {}", self.version),
            Some((extra, weight)) => format!(
                "{}% → version {}, {}% → version {}",
                percent_text(1.0 - weight),
                self.version,
                percent_text(*weight),
                extra
            ),
        }
    }

    /// Every version this routing sends traffic to.
    fn versions(&self) -> Vec<&str> {
        let mut all = vec![self.version.as_str()];
        if let Some((extra, _)) = &self.extra {
            all.push(extra);
        }
        all
    }
}

fn percent_text(weight: f64) -> String {
    let percent = (weight * 10000.0).round() / 100.0;
    format!("{percent}")
}

/// `DESIRED_TRAFFIC` as a percentage from 0 to 100 (decimals allowed).
pub fn parse_traffic(text: &str) -> Result<f64, StepError> {
    let trimmed = text.trim().trim_end_matches('%');
    match trimmed.parse::<f64>() {
        Ok(percent) if percent.is_finite() && (0.0..=100.0).contains(&percent) => Ok(percent),
        _ => Err(StepError::new(format!(
            "DESIRED_TRAFFIC is `{text}`: expected a percentage from 0 to 100"
        ))
        .cause("the switch-traffic action was started with an invalid desired_switched_traffic")
        .fix("start the traffic switch again with a value from 0 to 100 (e.g. 25)")
        .usage()),
    }
}

/// The routing a traffic switch aims for. Blue is LAMBDA_BLUE_VERSION, else the alias's
/// current primary version; without a published blue all traffic goes to green
/// (Lambda cannot weight `$LATEST`).
pub fn plan_switch(
    current: Option<&Routing>,
    green: &str,
    blue: Option<&str>,
    percent: f64,
) -> (Routing, Option<String>) {
    let blue = blue
        .filter(|b| is_published_version(b) && *b != green)
        .or_else(|| {
            current
                .map(|c| c.version.as_str())
                .filter(|b| is_published_version(b) && *b != green)
        });
    let Some(blue) = blue else {
        return (
            Routing::all_to(green),
            Some(format!(
                "no published blue version to share traffic with: all traffic goes to version {green}"
            )),
        );
    };
    let weight = (percent * 100.0).round() / 10000.0;
    let routing = if weight >= 1.0 {
        Routing::all_to(green)
    } else if weight <= 0.0 {
        Routing::all_to(blue)
    } else {
        Routing {
            version: blue.to_string(),
            extra: Some((green.to_string(), weight)),
        }
    };
    (routing, None)
}

/// The update-alias step body. Outputs `LAMBDA_ALIAS_VERSION` (the primary version the
/// alias routes to; empty for `delete`) and `LAMBDA_GREEN_TRAFFIC` (percent for green).
pub async fn update_alias(settings: &AliasSettings) -> Result<Outputs, StepError> {
    let function = required_input(
        "LAMBDA_FUNCTION_NAME",
        &settings.function_name,
        "build-deployment-context",
    )?;
    let alias = settings.alias_name.trim().to_string();
    let green = settings.green_version.trim().to_string();
    let blue = Some(settings.blue_version.trim()).filter(|b| !b.is_empty() && *b != "null");
    let parameters_secret = |deployment_id: &str| match settings.parameters_strategy {
        ParametersStrategy::Env => None,
        ParametersStrategy::Secretsmanager => secret_for(&settings.scope_id, deployment_id),
    };
    let green_secret = parameters_secret(&settings.deployment_id);
    let blue_secret = parameters_secret(&settings.blue_deployment_id);
    let cleans_up = !matches!(
        settings.strategy,
        AliasStrategy::Initial | AliasStrategy::SwitchTraffic
    );
    if cleans_up && settings.parameters_strategy == ParametersStrategy::Env {
        progress("ℹ️  PARAMETERS_STRATEGY=env: no parameters secret to delete (Secrets Manager is not called; delete-scope-secrets removes any a scope kept)");
    }

    // Validate every input before the first call: nothing half-done on bad input.
    let percent = match settings.strategy {
        AliasStrategy::SwitchTraffic => Some(parse_traffic(&settings.desired_traffic)?),
        _ => None,
    };
    if settings.strategy != AliasStrategy::Delete {
        let green_needed = settings.strategy != AliasStrategy::Rollback;
        if green_needed {
            require_version("LAMBDA_GREEN_VERSION", &green, "publish-version")?;
        }
    }

    let client = lambda_client().await?;
    let mut outputs = Outputs::new();
    match settings.strategy {
        AliasStrategy::Initial => {
            let target = Routing::all_to(&green);
            apply(&client, &function, &alias, &target).await?;
            set_routing_outputs(&mut outputs, &target, &green);
        }
        AliasStrategy::SwitchTraffic => {
            let current = read_alias(&client, &function, &alias).await?;
            let (target, note) = plan_switch(
                current.as_ref(),
                &green,
                blue,
                percent.expect("parsed above"),
            );
            if let Some(note) = note {
                warn(note);
            }
            apply(&client, &function, &alias, &target).await?;
            set_routing_outputs(&mut outputs, &target, &green);
        }
        AliasStrategy::Finalize => {
            let current = read_alias(&client, &function, &alias).await?;
            let target = Routing::all_to(&green);
            apply(&client, &function, &alias, &target).await?;
            set_routing_outputs(&mut outputs, &target, &green);
            let old = blue.map(str::to_string).or_else(|| {
                current
                    .map(|c| c.version)
                    .filter(|v| is_published_version(v) && *v != green)
            });
            let done = format!("alias {alias} routes all traffic to version {green}");
            cleanup(
                &client,
                &function,
                old.as_deref(),
                blue_secret.as_deref(),
                &done,
            )
            .await;
        }
        AliasStrategy::Rollback => {
            let current = read_alias(&client, &function, &alias).await?;
            let old = blue.map(str::to_string).or_else(|| {
                current
                    .as_ref()
                    .map(|c| c.version.clone())
                    .filter(|v| is_published_version(v) && *v != green)
            });
            let Some(old) = old.filter(|v| is_published_version(v)) else {
                return Err(StepError::new(format!(
                    "no blue version of {function} to roll back to — nothing was changed"
                ))
                .cause("this is the scope's first deployment, so there is no previous version")
                .cause("LAMBDA_BLUE_VERSION is empty and the alias does not route to an older version")
                .fix("deploy a previous release instead of rolling back, or point the alias by hand: `aws lambda update-alias --function-name <f> --name <alias> --function-version <n>`"));
            };
            let target = Routing::all_to(&old);
            apply(&client, &function, &alias, &target).await?;
            set_routing_outputs(&mut outputs, &target, &green);
            let done = format!("alias {alias} routes all traffic back to version {old}");
            let new = Some(green.as_str()).filter(|g| !g.is_empty());
            cleanup(&client, &function, new, green_secret.as_deref(), &done).await;
        }
        AliasStrategy::Delete => {
            let new = Some(green.as_str()).filter(|g| !g.is_empty());
            cleanup(
                &client,
                &function,
                new,
                green_secret.as_deref(),
                "nothing else",
            )
            .await;
            outputs
                .set("LAMBDA_ALIAS_VERSION", "")
                .set("LAMBDA_GREEN_TRAFFIC", "");
        }
    }
    Ok(outputs)
}

fn secret_for(scope_id: &str, deployment_id: &str) -> Option<String> {
    let (scope, deployment) = (scope_id.trim(), deployment_id.trim());
    (!scope.is_empty() && !deployment.is_empty() && deployment != "null")
        .then(|| secret_name(scope, deployment))
}

fn require_version(name: &str, value: &str, set_by: &str) -> Result<(), StepError> {
    required_input(name, value, set_by)?;
    if !is_published_version(value) {
        return Err(StepError::new(format!(
            "{name} is `{value}`: an alias routes to a published version number"
        ))
        .cause(
            "`$LATEST` cannot carry weighted traffic, and a deployment always publishes a version",
        )
        .fix(format!("run {set_by} before this step"))
        .usage());
    }
    Ok(())
}

fn set_routing_outputs(outputs: &mut Outputs, routing: &Routing, green: &str) {
    let green_share = match &routing.extra {
        Some((extra, weight)) if extra == green => percent_text(*weight),
        _ if routing.version == green => "100".to_string(),
        _ => "0".to_string(),
    };
    outputs
        .set("LAMBDA_ALIAS_VERSION", &routing.version)
        .set("LAMBDA_GREEN_TRAFFIC", green_share);
}

/// The alias's current routing; `None` when the alias does not exist.
async fn read_alias(
    client: &aws_sdk_lambda::Client,
    function: &str,
    alias: &str,
) -> Result<Option<Routing>, StepError> {
    match client
        .get_alias()
        .function_name(function)
        .name(alias)
        .send()
        .await
    {
        Ok(found) => Ok(Some(Routing {
            version: found.function_version().unwrap_or_default().to_string(),
            extra: found
                .routing_config()
                .and_then(|r| r.additional_version_weights())
                .and_then(|weights| weights.iter().next())
                .map(|(version, weight)| (version.clone(), *weight)),
        })),
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            if failure.is_not_found() && !failure.message.contains("Function not found") {
                return Ok(None);
            }
            Err(lambda_failure("GetAlias", function, &failure, None))
        }
    }
}

/// Sets the alias to `target` (creating it when missing); writes nothing when it is
/// already there.
async fn apply(
    client: &aws_sdk_lambda::Client,
    function: &str,
    alias: &str,
    target: &Routing,
) -> Result<(), StepError> {
    let current = read_alias(client, function, alias).await?;
    if current.as_ref() == Some(target) {
        progress(format!(
            "   ✅ alias {alias} already routes {}",
            target.describe()
        ));
        return Ok(());
    }
    let weights: HashMap<String, f64> = target.extra.clone().into_iter().collect();
    let routing = AliasRoutingConfiguration::builder()
        .set_additional_version_weights(Some(weights))
        .build();
    let result = match &current {
        None => {
            progress(format!(
                "   📡 creating alias {alias} on {function}: {}",
                target.describe()
            ));
            client
                .create_alias()
                .function_name(function)
                .name(alias)
                .function_version(&target.version)
                .routing_config(routing)
                .send()
                .await
                .map(|_| ())
                .map_err(|err| {
                    lambda_failure("CreateAlias", function, &CallFailure::from_sdk(&err), None)
                })
        }
        Some(before) => {
            progress(format!(
                "   📡 alias {alias} on {function}: {} (was {})",
                target.describe(),
                before.describe()
            ));
            client
                .update_alias()
                .function_name(function)
                .name(alias)
                .function_version(&target.version)
                .routing_config(routing)
                .send()
                .await
                .map(|_| ())
                .map_err(|err| {
                    lambda_failure("UpdateAlias", function, &CallFailure::from_sdk(&err), None)
                })
        }
    };
    result?;
    progress(format!("✨ Alias {alias} routes {}", target.describe()));
    Ok(())
}

/// Every version any alias of `function` routes to.
async fn routed_versions(
    client: &aws_sdk_lambda::Client,
    function: &str,
) -> Result<Vec<(String, String)>, CallFailure> {
    let mut routed = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .list_aliases()
            .function_name(function)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|err| CallFailure::from_sdk(&err))?;
        for alias in page.aliases() {
            let name = alias.name().unwrap_or_default().to_string();
            let routing = Routing {
                version: alias.function_version().unwrap_or_default().to_string(),
                extra: alias
                    .routing_config()
                    .and_then(|r| r.additional_version_weights())
                    .and_then(|w| w.iter().next())
                    .map(|(v, w)| (v.clone(), *w)),
            };
            for version in routing.versions() {
                routed.push((name.clone(), version.to_string()));
            }
        }
        marker = page
            .next_marker()
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        if marker.is_none() {
            return Ok(routed);
        }
    }
}

/// Deletes a version no alias routes to, and a deployment's parameters secret. Cleanup
/// problems are warnings: the traffic change (`done`) already happened and stands.
async fn cleanup(
    client: &aws_sdk_lambda::Client,
    function: &str,
    version: Option<&str>,
    secret: Option<&str>,
    done: &str,
) {
    match version {
        None => progress("   ⏭️  no version to clean up"),
        Some(version) if !is_published_version(version) => progress(format!(
            "   ⏭️  `{version}` is not a published version: kept"
        )),
        Some(version) => match routed_versions(client, function).await {
            Err(failure) => warn(format!(
                "could not list the aliases of {function} ({}): version {version} kept ({done})",
                failure.summary()
            )),
            Ok(routed) => {
                if let Some((alias, _)) = routed.iter().find(|(_, v)| v == version) {
                    warn(format!(
                        "version {version} still receives traffic through alias {alias}: kept"
                    ));
                } else {
                    progress(format!("   🧹 deleting version {version} of {function}..."));
                    match client
                        .delete_function()
                        .function_name(function)
                        .qualifier(version)
                        .send()
                        .await
                    {
                        Ok(_) => progress(format!("   ✅ version {version} deleted")),
                        Err(err) => {
                            let failure = CallFailure::from_sdk(&err);
                            if failure.is_not_found() {
                                progress(format!("   ✅ version {version} was already gone"));
                            } else {
                                warn(format!(
                                    "could not delete version {version} of {function} ({}); {done}. Delete it later: `aws lambda delete-function --function-name {function} --qualifier {version}`",
                                    failure.summary()
                                ));
                            }
                        }
                    }
                }
            }
        },
    }
    let Some(secret) = secret else {
        return;
    };
    let config = match sdk_config().await {
        Ok(config) => config,
        Err(err) => {
            warn(format!(
                "the parameters secret {secret} was kept ({}); {done}",
                err.what
            ));
            return;
        }
    };
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    match secrets
        .delete_secret()
        .secret_id(secret)
        .force_delete_without_recovery(true)
        .send()
        .await
    {
        Ok(_) => progress(format!("   ✅ parameters secret {secret} deleted")),
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            if failure.is_not_found() {
                progress(format!("   ✅ no parameters secret {secret} to delete"));
            } else {
                warn(format!(
                    "could not delete the parameters secret {secret} ({}); {done}",
                    failure.summary()
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_is_a_percentage() {
        assert_eq!(parse_traffic("25").unwrap(), 25.0);
        assert_eq!(parse_traffic(" 12.5% ").unwrap(), 12.5);
        assert_eq!(parse_traffic("0").unwrap(), 0.0);
        assert_eq!(parse_traffic("100").unwrap(), 100.0);
        for bad in ["", "-1", "101", "abc", "NaN", "inf"] {
            let err = parse_traffic(bad).unwrap_err();
            assert_eq!(err.exit_code, 2, "{bad}");
            assert!(err.what.contains("DESIRED_TRAFFIC"));
        }
    }

    #[test]
    fn switch_weights_green_against_blue() {
        let current = Routing::all_to("3");
        let (target, note) = plan_switch(Some(&current), "4", Some("3"), 25.0);
        assert!(note.is_none());
        assert_eq!(
            target,
            Routing {
                version: "3".into(),
                extra: Some(("4".into(), 0.25))
            }
        );
        assert_eq!(
            plan_switch(Some(&current), "4", None, 100.0).0,
            Routing::all_to("4")
        );
        assert_eq!(
            plan_switch(Some(&current), "4", None, 0.0).0,
            Routing::all_to("3")
        );
        // Blue from the alias when build-deployment-context found none.
        let (target, _) = plan_switch(Some(&current), "4", None, 60.0);
        assert_eq!(target.version, "3");
        assert_eq!(target.extra, Some(("4".into(), 0.6)));
    }

    #[test]
    fn without_a_published_blue_everything_goes_to_green() {
        let latest = Routing::all_to("$LATEST");
        let (target, note) = plan_switch(Some(&latest), "4", None, 25.0);
        assert_eq!(target, Routing::all_to("4"));
        assert!(note.unwrap().contains("no published blue"));
        let (target, _) = plan_switch(None, "4", Some("4"), 25.0);
        assert_eq!(target, Routing::all_to("4"));
    }

    #[test]
    fn green_share_output() {
        let mut outputs = Outputs::new();
        let split = Routing {
            version: "3".into(),
            extra: Some(("4".into(), 0.25)),
        };
        set_routing_outputs(&mut outputs, &split, "4");
        assert_eq!(outputs.get("LAMBDA_GREEN_TRAFFIC"), Some("25"));
        set_routing_outputs(&mut outputs, &Routing::all_to("3"), "4");
        assert_eq!(outputs.get("LAMBDA_GREEN_TRAFFIC"), Some("0"));
        assert_eq!(outputs.get("LAMBDA_ALIAS_VERSION"), Some("3"));
    }

    #[test]
    fn secret_names_need_scope_and_deployment() {
        assert_eq!(
            secret_for("7", "8").as_deref(),
            Some("nullplatform/7/8/parameters")
        );
        assert_eq!(secret_for("7", ""), None);
        assert_eq!(secret_for("", "8"), None);
    }
}
