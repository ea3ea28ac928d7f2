//! How traffic reaches the function: the resource policy lets API Gateway (public)
//! or the ALB (private) invoke it, the API's integration or the listener's rule points
//! at it, and the scope's domain resolves.

use std::net::ToSocketAddrs;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::aws::CallFailure;
use crate::diagnose::policy_doc;
use crate::diagnose::probe::{call_not_done, FunctionInfo};
use crate::diagnose::{Outcome, Probe};

const DNS_TIMEOUT: Duration = Duration::from_secs(5);

/// The function's resource policy statements (alias-qualified and unqualified), or
/// the outcome when they cannot be read.
async fn resource_policy(probe: &Probe, info: &FunctionInfo) -> Result<Vec<Value>, Outcome> {
    let mut statements = Vec::new();
    for qualifier in [Some(probe.target.alias.as_str()), None] {
        let answer = probe
            .lambda
            .get_policy()
            .function_name(&info.name)
            .set_qualifier(qualifier.map(str::to_string))
            .send()
            .await;
        match answer {
            Ok(answer) => {
                let doc =
                    policy_doc::parse(answer.policy().unwrap_or_default()).unwrap_or(Value::Null);
                if let Some(Value::Array(found)) = doc.get("Statement") {
                    statements.extend(found.iter().cloned());
                }
            }
            Err(err) => {
                let failure = CallFailure::from_sdk(&err);
                // Not found: no policy on this qualifier (or no such alias; alias reports that).
                if !failure.is_not_found() {
                    return Err(call_not_done("lambda:GetPolicy", &info.name, &failure));
                }
            }
        }
    }
    Ok(statements)
}

/// The API id in an execute-api source ARN: `arn:aws:execute-api:<region>:<account>:<api id>/...`.
pub fn api_id_from_source_arn(arn: &str) -> Option<String> {
    let resource = arn.strip_prefix("arn:")?.splitn(5, ':').nth(4)?;
    let id = resource.split('/').next()?;
    (!id.is_empty() && id != "*").then(|| id.to_string())
}

fn source_arns(statement: &Value) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(Value::Object(conditions)) = statement.get("Condition") {
        for operator in conditions.values() {
            if let Value::Object(keys) = operator {
                for (key, value) in keys {
                    if key.eq_ignore_ascii_case("AWS:SourceArn") {
                        match value {
                            Value::String(text) => found.push(text.clone()),
                            Value::Array(items) => found.extend(
                                items.iter().filter_map(|i| i.as_str().map(str::to_string)),
                            ),
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    found
}

pub async fn networking(probe: Arc<Probe>) -> Outcome {
    let visibility = probe
        .target
        .visibility
        .clone()
        .unwrap_or_else(|| "public".into());
    if visibility == "event-driven" {
        return Outcome::skipped("event-driven scope: no HTTP entry point to check");
    }
    let info = match probe.require_function().await {
        Ok(info) => info,
        Err(outcome) => return outcome,
    };
    let statements = match resource_policy(&probe, &info).await {
        Ok(statements) => statements,
        Err(outcome) => return outcome,
    };
    let (service, entry) = if visibility == "private" {
        ("elasticloadbalancing.amazonaws.com", "the internal ALB")
    } else {
        ("apigateway.amazonaws.com", "API Gateway")
    };
    let doc = json!({"Statement": statements});
    let grants = policy_doc::allowing_service(&doc, service, &["lambda:InvokeFunction"]);
    let mut evidence = json!({
        "visibility": visibility,
        "invoking_services": policy_doc::service_principals(&doc),
    });
    if grants.is_empty() {
        return Outcome::failed(format!(
            "{entry} may not invoke {} (no resource-policy statement for {service})",
            info.name
        ))
        .evidence(evidence)
        .cause(format!("the scope's networking was not created, or the {entry} permission was removed"))
        .fix("re-run the scope's update action: it recreates the networking and the invoke permission")
        .fix(format!(
            "or grant it: `aws lambda add-permission --function-name {}:{} --statement-id nullplatform-invoke --action lambda:InvokeFunction --principal {service}`",
            info.name, probe.target.alias
        ));
    }
    if visibility == "private" {
        return private_route(&probe, &info, evidence).await;
    }
    let apis: Vec<String> = grants
        .iter()
        .flat_map(|statement| source_arns(statement))
        .filter_map(|arn| api_id_from_source_arn(&arn))
        .collect();
    evidence["api_ids"] = json!(apis);
    let Some(api_id) = apis.first() else {
        return Outcome::passed(format!(
            "API Gateway may invoke {} (the permission names no API, so the integration was not checked)",
            info.name
        ))
        .evidence(evidence);
    };
    let answer = probe
        .apigateway
        .get_integrations()
        .api_id(api_id)
        .send()
        .await;
    let integrations = match answer {
        Ok(answer) => answer.items().to_vec(),
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            if failure.is_not_found() {
                return Outcome::failed(format!(
                    "the HTTP API {api_id} the invoke permission names does not exist"
                ))
                .evidence(evidence)
                .cause("the API was deleted outside nullplatform")
                .fix("re-run the scope's update action to recreate the API and its integration");
            }
            return call_not_done("apigateway:GET", api_id, &failure);
        }
    };
    let uris: Vec<String> = integrations
        .iter()
        .filter_map(|i| i.integration_uri().map(str::to_string))
        .collect();
    evidence["integration_uris"] = json!(uris);
    if uris.iter().any(|uri| uri.contains(&info.name)) {
        Outcome::passed(format!(
            "API {api_id} integrates {} and may invoke it",
            info.name
        ))
        .evidence(evidence)
    } else {
        Outcome::failed(format!("API {api_id} has no integration for {}", info.name))
            .evidence(evidence)
            .cause("the integration was deleted or points at another function")
            .fix("re-run the scope's update action to recreate the integration")
    }
}

/// Private scopes: a rule on the private listener forwards to a target group that
/// holds the function.
async fn private_route(probe: &Probe, info: &FunctionInfo, mut evidence: Value) -> Outcome {
    let Some(listener) = probe.target.private_listener_arn.clone() else {
        return Outcome::passed(format!(
            "the ALB may invoke {} (listener rules not checked: ALB_PRIVATE_LISTENER_ARN is not configured)",
            info.name
        ))
        .evidence(evidence);
    };
    let rules = match probe
        .elb
        .describe_rules()
        .listener_arn(&listener)
        .send()
        .await
    {
        Ok(answer) => answer.rules().to_vec(),
        Err(err) => {
            return call_not_done(
                "elasticloadbalancing:DescribeRules",
                &listener,
                &CallFailure::from_sdk(&err),
            )
        }
    };
    let mut groups: Vec<String> = Vec::new();
    for action in rules.iter().flat_map(|rule| rule.actions()) {
        groups.extend(action.target_group_arn().map(str::to_string));
        if let Some(forward) = action.forward_config() {
            groups.extend(
                forward
                    .target_groups()
                    .iter()
                    .filter_map(|g| g.target_group_arn().map(str::to_string)),
            );
        }
    }
    groups.sort();
    groups.dedup();
    for group in &groups {
        let answer = probe
            .elb
            .describe_target_health()
            .target_group_arn(group)
            .send()
            .await;
        let Ok(health) = answer else { continue };
        let holds = health.target_health_descriptions().iter().any(|d| {
            d.target()
                .and_then(|t| t.id())
                .is_some_and(|id| id.contains(&info.name))
        });
        if holds {
            evidence["target_group_arn"] = json!(group);
            return Outcome::passed(format!(
                "a rule on the private listener forwards to {group}, which holds {}",
                info.name
            ))
            .evidence(evidence);
        }
    }
    evidence["forwarded_target_groups"] = json!(groups);
    Outcome::failed(format!(
        "no rule on the private listener forwards to a target group holding {}",
        info.name
    ))
    .evidence(evidence)
    .cause(
        "the scope's listener rule or target group was deleted, or the function was deregistered",
    )
    .fix("re-run the scope's update action to recreate the target group and the listener rule")
}

pub async fn dns(probe: Arc<Probe>) -> Outcome {
    let Some(domain) = probe.target.domain.clone() else {
        return Outcome::skipped("the scope has no domain (.scope.domain is empty)");
    };
    let private = probe.target.visibility.as_deref() == Some("private");
    let host = domain.clone();
    let lookup = tokio::task::spawn_blocking(move || {
        (host.as_str(), 443)
            .to_socket_addrs()
            .map(|addrs| addrs.map(|a| a.ip().to_string()).collect::<Vec<_>>())
    });
    let resolved = match tokio::time::timeout(DNS_TIMEOUT, lookup).await {
        Ok(Ok(Ok(addresses))) if !addresses.is_empty() => addresses,
        Ok(Ok(Ok(_))) | Ok(Ok(Err(_))) => {
            let outcome = if private {
                // Private zones resolve only inside the VPC; the agent may sit outside it.
                Outcome::warning(format!("{domain} does not resolve from the agent (private scope)"))
                    .cause("the agent does not use the VPC's resolver, so the private hosted zone is not visible here")
            } else {
                Outcome::failed(format!("{domain} does not resolve"))
                    .cause("the DNS record was not created or was deleted, or the change has not propagated yet")
            };
            return outcome.evidence(json!({"domain": domain})).fix(format!(
                "check the record: `dig {domain}`; re-run the scope's update action to recreate it"
            ));
        }
        Ok(Err(_)) | Err(_) => {
            return Outcome::warning(format!(
                "{domain} could not be resolved within {} s",
                DNS_TIMEOUT.as_secs()
            ))
            .evidence(json!({"domain": domain}))
            .fix("re-run the diagnosis; check the agent's DNS resolver")
        }
    };
    Outcome::passed(format!("{domain} resolves to {}", resolved.join(", ")))
        .evidence(json!({"domain": domain, "addresses": resolved}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_id_from_execute_api_arns() {
        assert_eq!(
            api_id_from_source_arn("arn:aws:execute-api:us-east-1:123456789012:a1b2c3/*/*"),
            Some("a1b2c3".to_string())
        );
        assert_eq!(
            api_id_from_source_arn("arn:aws:execute-api:us-east-1:1:*/*"),
            None
        );
        assert_eq!(api_id_from_source_arn("nonsense"), None);
    }

    #[test]
    fn source_arns_from_conditions() {
        let statement =
            json!({"Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:r:1:abc/*"}}});
        assert_eq!(
            source_arns(&statement),
            vec!["arn:aws:execute-api:r:1:abc/*"]
        );
        assert!(source_arns(&json!({})).is_empty());
    }
}
