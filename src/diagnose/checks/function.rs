//! Function checks: the function exists and is active, its main alias serves a
//! published version (the deployment's, when one is diagnosed) with sane routing, and
//! provisioned concurrency on the alias is ready.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;

use crate::aws::CallFailure;
use crate::deploy::version::{list_function_versions, version_for_deployment};
use crate::diagnose::probe::{call_not_done, missing_function_name, FunctionLookup};
use crate::diagnose::{Outcome, Probe};

pub async fn lambda_exists(probe: Arc<Probe>) -> Outcome {
    match probe.function().await {
        FunctionLookup::Found(info) => Outcome::passed(format!("function {} exists", info.name))
            .evidence(json!({
                "function_name": info.name,
                "function_arn": info.arn,
                "package_type": info.package_type,
                "role": info.role,
            })),
        FunctionLookup::Missing(name) => Outcome::failed(format!("function {name} does not exist"))
            .evidence(json!({"function_name": name, "region": crate::aws::region_from_env()}))
            .cause("the scope's create action failed or never ran, or the function was deleted outside nullplatform")
            .cause("AWS_REGION is not the region the scope was created in")
            .fix("re-run the scope's create (or update) action to create the function, then deploy again")
            .fix("check AWS_REGION from fetch-scope-config (cloud-providers account.region)"),
        FunctionLookup::Unavailable(outcome) => outcome,
    }
}

pub async fn lambda_active(probe: Arc<Probe>) -> Outcome {
    let info = match probe.require_function().await {
        Ok(info) => info,
        Err(outcome) => return outcome,
    };
    let state = info.state.clone().unwrap_or_else(|| "Active".to_string());
    let update = info
        .last_update_status
        .clone()
        .unwrap_or_else(|| "Successful".to_string());
    let evidence = json!({
        "state": info.state, "state_reason": info.state_reason,
        "last_update_status": info.last_update_status, "last_update_reason": info.last_update_reason,
    });
    let reason =
        |reason: &Option<String>| reason.clone().map(|r| format!(": {r}")).unwrap_or_default();
    if state == "Failed" {
        return Outcome::failed(format!(
            "function {} is in state Failed{}",
            info.name,
            reason(&info.state_reason)
        ))
        .evidence(evidence)
        .cause("Lambda could not prepare the function: the image or code is missing, the execution role cannot be assumed, or the VPC subnets have no free addresses")
        .fix("fix what the state reason names (see iam_role_valid and ecr_pull_policy), then re-run the deployment");
    }
    if update == "Failed" {
        return Outcome::failed(format!(
            "the last update of {} failed{}",
            info.name,
            reason(&info.last_update_reason)
        ))
        .evidence(evidence)
        .cause("the new code or configuration could not be applied (image not pullable, bad handler, VPC or KMS access)")
        .fix("fix what the update reason names, then re-run the deployment; the alias still serves the previous version");
    }
    if state == "Pending" || update == "InProgress" {
        return Outcome::warning(format!(
            "function {} is still being updated (state {state}, last update {update})",
            info.name
        ))
        .evidence(evidence)
        .fix("wait a minute and re-run the diagnosis");
    }
    if state == "Inactive" {
        return Outcome::warning(format!(
            "function {} is Inactive{} (Lambda reclaimed it after a long idle time)",
            info.name,
            reason(&info.state_reason)
        ))
        .evidence(evidence)
        .fix("invoke the function once (or re-deploy): Lambda activates it again");
    }
    Outcome::passed(format!(
        "function {} is {state}, last update {update}",
        info.name
    ))
    .evidence(evidence)
}

pub async fn alias(probe: Arc<Probe>) -> Outcome {
    let info = match probe.require_function().await {
        Ok(info) => info,
        Err(outcome) => return outcome,
    };
    let target = &probe.target;
    let alias_name = &target.alias;
    let answer = probe
        .lambda
        .get_alias()
        .function_name(&info.name)
        .name(alias_name)
        .send()
        .await;
    let alias = match answer {
        Ok(alias) => alias,
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            if failure.is_not_found() {
                return Outcome::failed(format!("alias {alias_name} does not exist on {}", info.name))
                    .evidence(json!({"alias": alias_name, "function_name": info.name}))
                    .cause("no deployment reached the step that points the alias at its version, or the alias was deleted")
                    .fix(format!(
                        "re-run the deployment (it creates the alias), or create it: `aws lambda create-alias --function-name {} --name {alias_name} --function-version <published version>`",
                        info.name
                    ));
            }
            return call_not_done("lambda:GetAlias", &info.name, &failure);
        }
    };
    let version = alias.function_version().unwrap_or_default().to_string();
    let routing: HashMap<String, f64> = alias
        .routing_config()
        .and_then(|config| config.additional_version_weights())
        .cloned()
        .unwrap_or_default();
    let mut evidence = json!({
        "alias": alias_name,
        "alias_arn": alias.alias_arn(),
        "function_version": version,
        "additional_version_weights": routing,
        "deployment_id": target.deployment_id,
    });
    if version == "$LATEST" || version.is_empty() {
        return Outcome::failed(format!(
            "alias {alias_name} points at $LATEST, not a published version"
        ))
        .evidence(evidence)
        .cause("the alias was created or changed by hand, or a deployment failed before publishing a version")
        .fix(format!(
            "point it at a published version: `aws lambda update-alias --function-name {} --name {alias_name} --function-version <N>` (list them with `aws lambda list-versions-by-function`), or re-run the deployment",
            info.name
        ));
    }
    if let Some(problem) = routing_problem(&version, &routing) {
        return Outcome::failed(format!("alias {alias_name} has unsound routing: {problem}"))
            .evidence(evidence)
            .cause("a blue/green traffic switch was interrupted or edited by hand")
            .fix(format!(
                "finish or roll back the blue/green deployment, or reset the routing: `aws lambda update-alias --function-name {} --name {alias_name} --routing-config AdditionalVersionWeights={{}}`",
                info.name
            ));
    }
    let shown = match routing.iter().next() {
        Some((other, weight)) => format!(
            "version {version} ({:.0}%) and {other} ({:.0}%)",
            (1.0 - weight) * 100.0,
            weight * 100.0
        ),
        None => format!("version {version}"),
    };
    let Some(deployment_id) = &target.deployment_id else {
        return Outcome::passed(format!("alias {alias_name} serves {shown}")).evidence(evidence);
    };
    let expected = match &target.deployment_version {
        Some(known) => Some(known.clone()),
        None => match list_function_versions(&probe.lambda, &info.name).await {
            Ok(versions) => {
                version_for_deployment(&versions.unwrap_or_default(), deployment_id)
            }
            Err(err) => {
                return Outcome::warning(format!(
                    "alias {alias_name} serves {shown}; the deployment's version could not be looked up"
                ))
                .evidence(evidence)
                .cause(err.what)
                .fix("grant lambda:ListVersionsByFunction to the scope's role, then re-run the diagnosis")
            }
        },
    };
    evidence["deployment_version"] = json!(expected);
    match expected {
        None => Outcome::failed(format!(
            "no published version carries deployment {deployment_id}; alias {alias_name} serves {shown}"
        ))
        .evidence(evidence)
        .cause("the deployment failed before its version was published (code update or publish-version step)")
        .fix("read the deployment's log for the first failed step, fix it, and re-run the deployment"),
        Some(expected) if expected == version || routing.contains_key(&expected) => {
            Outcome::passed(format!(
                "alias {alias_name} serves {shown}, including deployment {deployment_id} (version {expected})"
            ))
            .evidence(evidence)
        }
        Some(expected) => Outcome::failed(format!(
            "alias {alias_name} serves {shown}, not deployment {deployment_id} (version {expected})"
        ))
        .evidence(evidence)
        .cause("the deployment stopped before switching traffic, or it was rolled back or superseded")
        .fix(format!(
            "switch traffic to it (re-run the deployment), or point the alias at it: `aws lambda update-alias --function-name {} --name {alias_name} --function-version {expected}`",
            info.name
        )),
    }
}

/// What is wrong with an alias's weighted routing, if anything: weights must be in
/// [0, 1], add up to at most 1, and route to other published versions.
pub fn routing_problem(version: &str, routing: &HashMap<String, f64>) -> Option<String> {
    let mut total = 0.0;
    for (other, weight) in routing {
        if other == "$LATEST" {
            return Some("traffic is routed to $LATEST".into());
        }
        if other == version {
            return Some(format!(
                "version {other} is both the main and the routed version"
            ));
        }
        if !(0.0..=1.0).contains(weight) {
            return Some(format!("version {other} has weight {weight} (outside 0–1)"));
        }
        total += weight;
    }
    (total > 1.0 + 1e-9).then(|| format!("the routed weights add up to {total} (more than 1)"))
}

pub async fn provisioned_concurrency(probe: Arc<Probe>) -> Outcome {
    let Some(name) = probe.target.function_name.clone() else {
        return missing_function_name();
    };
    let alias_name = &probe.target.alias;
    let answer = probe
        .lambda
        .get_provisioned_concurrency_config()
        .function_name(&name)
        .qualifier(alias_name)
        .send()
        .await;
    let config = match answer {
        Ok(config) => config,
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            if failure.code.as_deref() == Some("ProvisionedConcurrencyConfigNotFoundException") {
                return Outcome::skipped(format!(
                    "no provisioned concurrency configured on {name}:{alias_name}"
                ));
            }
            if failure.code.as_deref() == Some("ResourceNotFoundException") {
                return Outcome::skipped(format!(
                    "{name}:{alias_name} does not exist (see lambda_exists and alias)"
                ))
                .evidence(json!({"error": failure.summary()}));
            }
            if failure.is_not_found() {
                // A 404 without Lambda's error code: the endpoint does not offer this API.
                return Outcome::skipped(
                    "cannot check: the Lambda endpoint does not answer GetProvisionedConcurrencyConfig",
                )
                .evidence(json!({"error": failure.summary()}));
            }
            return call_not_done("lambda:GetProvisionedConcurrencyConfig", &name, &failure);
        }
    };
    let status = config
        .status()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let evidence = json!({
        "status": status,
        "requested": config.requested_provisioned_concurrent_executions(),
        "allocated": config.allocated_provisioned_concurrent_executions(),
        "available": config.available_provisioned_concurrent_executions(),
        "status_reason": config.status_reason(),
    });
    match status.as_str() {
        "READY" => Outcome::passed(format!(
            "provisioned concurrency on {alias_name} is READY ({} allocated)",
            config.allocated_provisioned_concurrent_executions().unwrap_or(0)
        ))
        .evidence(evidence),
        "IN_PROGRESS" => Outcome::warning(format!(
            "provisioned concurrency on {alias_name} is still being allocated"
        ))
        .evidence(evidence)
        .fix("wait a few minutes and re-run the diagnosis"),
        _ => Outcome::failed(format!(
            "provisioned concurrency on {alias_name} is {status}: {}",
            config.status_reason().unwrap_or("no reason given")
        ))
        .evidence(evidence)
        .cause("the account's unreserved concurrency is too low, or the version behind the alias cannot initialize")
        .fix("lower the provisioned concurrency (adjust-provisioned-concurrency action) or raise the account's concurrency quota")
        .fix("check lambda_active: a failing version cannot be provisioned"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_rules() {
        let weights = |pairs: &[(&str, f64)]| -> HashMap<String, f64> {
            pairs.iter().map(|(v, w)| (v.to_string(), *w)).collect()
        };
        assert_eq!(routing_problem("3", &weights(&[])), None);
        assert_eq!(routing_problem("3", &weights(&[("4", 0.25)])), None);
        assert!(routing_problem("3", &weights(&[("3", 0.5)]))
            .unwrap()
            .contains("both"));
        assert!(routing_problem("3", &weights(&[("$LATEST", 0.5)]))
            .unwrap()
            .contains("$LATEST"));
        assert!(routing_problem("3", &weights(&[("4", 1.5)]))
            .unwrap()
            .contains("outside"));
        assert!(routing_problem("3", &weights(&[("4", 0.7), ("5", 0.6)]))
            .unwrap()
            .contains("more than 1"));
    }
}
