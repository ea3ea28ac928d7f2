//! The scope's custom actions: reserved concurrency on the function and provisioned
//! concurrency on its main alias, from a validated whole number (0 or `none` removes
//! the setting), a synchronous invocation of the main alias with a JSON payload, and
//! the removal of the scope's own Secrets Manager secrets when the scope is deleted.

use crate::aws::{sdk_config, CallFailure};
use crate::context::Context;
use crate::report::StepError;
use crate::step::{progress, Outputs};

pub use crate::step::Env;

/// Lambda's upper bound for either setting (the account limit is lower in practice;
/// Lambda reports that itself).
pub const MAX_CONCURRENCY: u32 = 100_000;

/// Which concurrency the action adjusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConcurrencyKind {
    Reserved,
    Provisioned,
}

impl ConcurrencyKind {
    pub fn parse(text: &str) -> Result<Self, StepError> {
        match text {
            "reserved" => Ok(ConcurrencyKind::Reserved),
            "provisioned" => Ok(ConcurrencyKind::Provisioned),
            other => Err(StepError::new(format!(
                "CONCURRENCY_KIND is '{other}', expected reserved or provisioned"
            ))
            .fix("the workflow sets CONCURRENCY_KIND; use adjust_reserved_concurrency.yaml or adjust_provisioned_concurrency.yaml")
            .usage()),
        }
    }
}

/// The requested value: `Some(n)` to set, `None` to remove (`0`, `none` or empty).
pub fn parse_value(text: &str) -> Result<Option<u32>, StepError> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("none") || trimmed == "0" {
        return Ok(None);
    }
    match trimmed.parse::<u32>() {
        Ok(value) if value <= MAX_CONCURRENCY => Ok(Some(value)),
        _ => Err(StepError::new(format!(
            "the concurrency '{trimmed}' is not a whole number between 0 and {MAX_CONCURRENCY}"
        ))
        .cause("the action's parameter was mistyped")
        .fix("give a whole number (e.g. 10); 0 or none removes the setting")
        .usage()),
    }
}

/// The value from `CONCURRENCY`, else the action's `.parameters.concurrency` in CONTEXT.
fn requested(env: Env) -> Result<String, StepError> {
    if let Some(value) = env("CONCURRENCY") {
        return Ok(value);
    }
    let ctx = match env("CONTEXT") {
        Some(text) => Context::parse(&text)?,
        None => Context::from_value(serde_json::Value::Null),
    };
    ctx.get("parameters.concurrency")
        .map(|value| match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .ok_or_else(|| {
            StepError::new("no concurrency value was given")
                .cause("the action has no `concurrency` parameter and CONCURRENCY is not set")
                .fix("run the action with a concurrency parameter (a whole number; 0 removes it)")
                .usage()
        })
}

fn call_error(action: &str, function: &str, failure: &CallFailure) -> StepError {
    let mut err = StepError::new(format!(
        "{action} failed for {function}: {}",
        failure.summary()
    ));
    if failure.is_access_denied() {
        err = err
            .cause("the assumed role lacks the permission for this call")
            .fix(
                "re-apply the install module (iam-policy renders the adjust-concurrency statement)",
            );
    } else if failure.is_not_found() {
        err = err
            .cause("the function or its main alias does not exist yet")
            .fix("create the scope (and deploy once for provisioned concurrency) first");
    } else {
        err = err
            .cause("the value exceeds the account's unreserved concurrency, or Lambda was unreachable")
            .fix("check `aws lambda get-account-settings` for the account's limit and re-run with a lower value");
    }
    err
}

/// The adjust-concurrency step.
pub async fn adjust_concurrency_step(env: Env<'_>) -> Result<Outputs, StepError> {
    let kind = ConcurrencyKind::parse(&env("CONCURRENCY_KIND").unwrap_or_default())?;
    let value = parse_value(&requested(env)?)?;
    let function = env("LAMBDA_FUNCTION_NAME").ok_or_else(|| {
        StepError::new("LAMBDA_FUNCTION_NAME is not set")
            .cause("build-scope-context did not run before this step")
            .fix("run build-scope-context first")
            .usage()
    })?;
    let alias = crate::settings::LAMBDA_MAIN_ALIAS_NAME
        .value(env)
        .unwrap_or_default();
    let config = sdk_config().await?;
    let client = aws_sdk_lambda::Client::new(&config);
    let shown = value.map_or_else(|| "none".to_string(), |v| v.to_string());
    match (kind, value) {
        (ConcurrencyKind::Reserved, Some(count)) => {
            client
                .put_function_concurrency()
                .function_name(&function)
                .reserved_concurrent_executions(count as i32)
                .send()
                .await
                .map_err(|err| {
                    call_error(
                        "PutFunctionConcurrency",
                        &function,
                        &CallFailure::from_sdk(&err),
                    )
                })?;
            progress(format!(
                "✅ reserved concurrency of {function} set to {count}"
            ));
        }
        (ConcurrencyKind::Reserved, None) => {
            client
                .delete_function_concurrency()
                .function_name(&function)
                .send()
                .await
                .map_err(|err| {
                    call_error(
                        "DeleteFunctionConcurrency",
                        &function,
                        &CallFailure::from_sdk(&err),
                    )
                })?;
            progress(format!("✅ reserved concurrency of {function} removed"));
        }
        (ConcurrencyKind::Provisioned, Some(count)) => {
            client
                .put_provisioned_concurrency_config()
                .function_name(&function)
                .qualifier(&alias)
                .provisioned_concurrent_executions(count as i32)
                .send()
                .await
                .map_err(|err| {
                    call_error(
                        "PutProvisionedConcurrencyConfig",
                        &function,
                        &CallFailure::from_sdk(&err),
                    )
                })?;
            progress(format!(
                "✅ provisioned concurrency of {function}:{alias} set to {count} (it becomes READY within minutes)"
            ));
        }
        (ConcurrencyKind::Provisioned, None) => {
            let removed = client
                .delete_provisioned_concurrency_config()
                .function_name(&function)
                .qualifier(&alias)
                .send()
                .await;
            match removed {
                Ok(_) => progress(format!(
                    "✅ provisioned concurrency of {function}:{alias} removed"
                )),
                Err(err) => {
                    let failure = CallFailure::from_sdk(&err);
                    if !failure.is_not_found() {
                        return Err(call_error(
                            "DeleteProvisionedConcurrencyConfig",
                            &function,
                            &failure,
                        ));
                    }
                    progress(format!(
                        "ℹ️  {function}:{alias} had no provisioned concurrency"
                    ));
                }
            }
        }
    }
    let mut outputs = Outputs::new();
    outputs.set("CONCURRENCY_APPLIED", shown);
    Ok(outputs)
}

/// The longest response shown in the action log.
pub const MAX_SHOWN_RESPONSE: usize = 4096;

/// The invocation payload: `INVOKE_PAYLOAD`, else the action's `.parameters.payload`
/// (an object, or a string holding JSON), else `{}` when the action's parameters have
/// none; a CONTEXT without `.parameters` is an error. It must be valid JSON.
pub fn invoke_payload(env: Env) -> Result<String, StepError> {
    if let Some(text) = env("INVOKE_PAYLOAD") {
        return checked_payload(text);
    }
    // The action's parameters decide the payload: without a context there is nothing to send.
    let ctx = match env("CONTEXT") {
        Some(text) => Context::parse(&text)?,
        None => Context::default(),
    };
    ctx.require_present(
        &["parameters"],
        "the invocation payload (.parameters.payload)",
    )?;
    let text = match ctx.get("parameters.payload").cloned() {
        Some(serde_json::Value::String(text)) => text,
        Some(value) => value.to_string(),
        None => "{}".to_string(),
    };
    checked_payload(text)
}

fn checked_payload(text: String) -> Result<String, StepError> {
    serde_json::from_str::<serde_json::Value>(&text).map_err(|err| {
        StepError::new(format!("the invocation payload is not valid JSON: {err}"))
            .cause("the action's payload parameter was mistyped")
            .fix("give a JSON document, e.g. {\"ping\": true}")
            .usage()
    })?;
    Ok(text)
}

/// The invoke step: calls the main alias synchronously and shows status and response.
pub async fn invoke_step(env: Env<'_>) -> Result<Outputs, StepError> {
    let payload = invoke_payload(env)?;
    let function = env("LAMBDA_FUNCTION_NAME").ok_or_else(|| {
        StepError::new("LAMBDA_FUNCTION_NAME is not set")
            .cause("build-scope-context did not run before this step")
            .fix("run build-scope-context first")
            .usage()
    })?;
    let alias = crate::settings::LAMBDA_MAIN_ALIAS_NAME
        .value(env)
        .unwrap_or_default();
    let config = sdk_config().await?;
    let client = aws_sdk_lambda::Client::new(&config);
    progress(format!("📨 invoking {function}:{alias}"));
    let answer = client
        .invoke()
        .function_name(&function)
        .qualifier(&alias)
        .payload(aws_smithy_types::Blob::new(payload.into_bytes()))
        .send()
        .await
        .map_err(|err| call_error("Invoke", &function, &CallFailure::from_sdk(&err)))?;
    let status = answer.status_code();
    let body = answer
        .payload()
        .map(|blob| String::from_utf8_lossy(blob.as_ref()).into_owned())
        .unwrap_or_default();
    let shown: String = if body.len() > MAX_SHOWN_RESPONSE {
        let cut: String = body.chars().take(MAX_SHOWN_RESPONSE).collect();
        format!("{cut}… ({} bytes in all)", body.len())
    } else {
        body.clone()
    };
    progress(format!("   status: {status}"));
    progress(format!("   response: {shown}"));
    if let Some(kind) = answer.function_error() {
        return Err(
            StepError::new(format!("{function}:{alias} returned an error ({kind})"))
                .cause(format!("the function's answer: {shown}"))
                .fix(format!(
            "read the function's logs: /aws/lambda/{function} (the log action of this scope)"
        )),
        );
    }
    let mut outputs = Outputs::new();
    outputs.set("INVOKE_STATUS_CODE", status.to_string());
    Ok(outputs)
}

/// The tag build-scope-context puts on every resource of a scope.
pub const SCOPE_ID_TAG: &str = "nullplatform:scope-id";

/// Whether a secret belongs to the scope: named `nullplatform/<scope id>/...` or tagged
/// with the scope's id (exact matches only: scope 7 never takes scope 70's secrets).
pub fn secret_belongs_to_scope(name: &str, tags: &[(String, String)], scope_id: &str) -> bool {
    name.starts_with(&format!("nullplatform/{scope_id}/"))
        || tags
            .iter()
            .any(|(key, value)| key == SCOPE_ID_TAG && value == scope_id)
}

/// The delete-scope-secrets step: removes the scope's Secrets Manager secrets (found by
/// name prefix and by tag), without a recovery window: the scope is being deleted.
pub async fn delete_scope_secrets_step(env: Env<'_>) -> Result<Outputs, StepError> {
    let scope_id = env("SCOPE_ID").ok_or_else(|| {
        StepError::new("SCOPE_ID is not set")
            .cause("build-scope-context did not run before this step")
            .fix("run build-scope-context first")
            .usage()
    })?;
    let config = sdk_config().await?;
    let client = aws_sdk_secretsmanager::Client::new(&config);
    use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};
    let searches = [
        vec![Filter::builder()
            .key(FilterNameStringType::Name)
            .values(format!("nullplatform/{scope_id}/"))
            .build()],
        vec![
            Filter::builder()
                .key(FilterNameStringType::TagKey)
                .values(SCOPE_ID_TAG)
                .build(),
            Filter::builder()
                .key(FilterNameStringType::TagValue)
                .values(&scope_id)
                .build(),
        ],
    ];
    let list_failed = |failure: CallFailure| {
        StepError::new(format!(
            "could not list the secrets of scope {scope_id}: {}",
            failure.summary()
        ))
        .cause("the assumed role lacks secretsmanager:ListSecrets, or Secrets Manager was unreachable")
        .fix("re-apply the install module (iam-policy renders the delete-scope-secrets statement) and re-run the deletion")
    };
    let mut found: Vec<String> = Vec::new();
    for filters in searches {
        let mut pages = client
            .list_secrets()
            .set_filters(Some(filters))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| list_failed(CallFailure::from_sdk(&err)))?;
            for secret in page.secret_list() {
                let name = secret.name().unwrap_or_default().to_string();
                let tags: Vec<(String, String)> = secret
                    .tags()
                    .iter()
                    .map(|tag| {
                        (
                            tag.key().unwrap_or_default().to_string(),
                            tag.value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                if secret_belongs_to_scope(&name, &tags, &scope_id) && !found.contains(&name) {
                    found.push(name);
                }
            }
        }
    }
    if found.is_empty() {
        progress(format!("ℹ️  scope {scope_id} has no secrets"));
    }
    for name in &found {
        match client
            .delete_secret()
            .secret_id(name)
            .force_delete_without_recovery(true)
            .send()
            .await
        {
            Ok(_) => progress(format!("🗑️  secret {name} deleted")),
            Err(err) => {
                let failure = CallFailure::from_sdk(&err);
                if failure.is_not_found() {
                    progress(format!("ℹ️  secret {name} was already gone"));
                } else {
                    return Err(StepError::new(format!(
                        "could not delete the secret {name}: {}",
                        failure.summary()
                    ))
                    .cause("the assumed role lacks secretsmanager:DeleteSecret on the nullplatform/ secrets")
                    .fix("re-apply the install module and re-run the deletion (deleted secrets are not touched again)"));
                }
            }
        }
    }
    let mut outputs = Outputs::new();
    outputs.set("DELETED_SECRETS", found.join(","));
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_whole_numbers_or_removal() {
        assert_eq!(parse_value("10").unwrap(), Some(10));
        assert_eq!(parse_value(" 0 ").unwrap(), None);
        assert_eq!(parse_value("none").unwrap(), None);
        for bad in ["-1", "1.5", "ten", "100001"] {
            assert_eq!(parse_value(bad).unwrap_err().exit_code, 2, "{bad}");
        }
    }

    #[test]
    fn payload_comes_from_env_then_context_and_must_be_json() {
        let env = |name: &str| match name {
            "CONTEXT" => Some(r#"{"parameters": {"payload": {"ping": 1}}}"#.to_string()),
            _ => None,
        };
        assert_eq!(invoke_payload(&env).unwrap(), r#"{"ping":1}"#);
        let env = |name: &str| (name == "INVOKE_PAYLOAD").then(|| "{nope".to_string());
        assert_eq!(invoke_payload(&env).unwrap_err().exit_code, 2);
        // Parameters without a payload send {}; no parameters at all (no context) send nothing.
        let env = |name: &str| {
            (name == "CONTEXT").then(|| r#"{"parameters": {"scope_id": "7"}}"#.to_string())
        };
        assert_eq!(invoke_payload(&env).unwrap(), "{}");
        let err = invoke_payload(&|_: &str| None).unwrap_err();
        assert_eq!(err.exit_code, 2);
        assert!(err.what.contains(".parameters"), "{}", err.what);
    }

    #[test]
    fn only_the_scopes_own_secrets_are_taken() {
        let tag = |v: &str| vec![(SCOPE_ID_TAG.to_string(), v.to_string())];
        assert!(secret_belongs_to_scope(
            "nullplatform/7/d1/parameters",
            &[],
            "7"
        ));
        assert!(!secret_belongs_to_scope(
            "nullplatform/70/d1/parameters",
            &[],
            "7"
        ));
        assert!(secret_belongs_to_scope("custom", &tag("7"), "7"));
        assert!(!secret_belongs_to_scope("custom", &tag("70"), "7"));
    }

    #[test]
    fn kind_is_reserved_or_provisioned() {
        assert_eq!(
            ConcurrencyKind::parse("reserved").unwrap(),
            ConcurrencyKind::Reserved
        );
        assert!(ConcurrencyKind::parse("burst").is_err());
    }
}
