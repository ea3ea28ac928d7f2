//! The role-resolution chain: which IAM role a workflow acts as. First match wins:
//! `ASSUME_ROLE_ARN` → the AWS IAM provider at the account NRN (by selector; a
//! read-only workflow first by its read selector) → scope-configurations
//! `assume_role.arn` → `ASSUME_ROLE_ARN_DEFAULT` → none.

use std::fmt;

use serde_json::Value;

use crate::arn::RoleArn;
use crate::context::Context;
use crate::np::NpClient;
use crate::report::StepError;
use crate::step::progress;

/// Specification slug and category of the AWS IAM provider.
pub const IAM_PROVIDER_SPEC: &str = "aws-iam-configuration";
pub const IAM_PROVIDER_CATEGORY: &str = "identity-access-control";
pub const SCOPE_CONFIG_CATEGORY: &str = "scope-configurations";

/// Where the role came from (emitted as `ASSUME_ROLE_SOURCE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleSource {
    Env,
    IamProvider,
    /// The IAM provider's entry for the read selector (read-only workflows).
    IamProviderRead,
    ScopeConfig,
    Default,
}

impl RoleSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleSource::Env => "env",
            RoleSource::IamProvider => "iam-provider",
            RoleSource::IamProviderRead => "iam-provider-read",
            RoleSource::ScopeConfig => "scope-config",
            RoleSource::Default => "default",
        }
    }

    /// Where an operator changes the value, for error messages.
    pub fn describe(self, selector: &str) -> String {
        match self {
            RoleSource::Env => "the ASSUME_ROLE_ARN environment variable".to_string(),
            RoleSource::IamProvider | RoleSource::IamProviderRead => format!(
                "the AWS IAM provider ({IAM_PROVIDER_SPEC}) entry with selector '{selector}'"
            ),
            RoleSource::ScopeConfig => {
                "the scope-configurations provider key assume_role.arn".to_string()
            }
            RoleSource::Default => {
                "ASSUME_ROLE_ARN_DEFAULT (values.yaml or the agent's environment)".to_string()
            }
        }
    }
}

impl fmt::Display for RoleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The inputs of the chain that do not come from CONTEXT.
#[derive(Debug, Clone, Default)]
pub struct ChainInputs {
    pub explicit_arn: Option<String>,
    pub selector: String,
    /// Set for read-only workflows: the IAM provider entry tried before `selector`.
    pub read_selector: Option<String>,
    pub default_arn: Option<String>,
}

/// A role the chain chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRole {
    pub arn: RoleArn,
    pub source: RoleSource,
    /// The IAM provider entry's `external_id`, when it carries one.
    pub external_id: Option<String>,
}

/// Walks the chain. `Ok(None)` means no role is configured anywhere.
pub fn resolve_role(
    inputs: &ChainInputs,
    context: &Context,
    np: &NpClient,
) -> Result<Option<ResolvedRole>, StepError> {
    let selector = inputs.selector.as_str();
    if let Some(arn) = non_empty(inputs.explicit_arn.as_deref()) {
        return found(arn, RoleSource::Env, None, selector).map(Some);
    }

    let account_nrn = context.account_nrn();
    match &account_nrn {
        Some(nrn) => {
            if let Some((attributes, read)) = iam_provider_attributes(context, np, nrn)? {
                if let Some(read_selector) = inputs.read_selector.as_deref() {
                    if let Some(entry) = entry_for_selector(&attributes, read_selector) {
                        return found(
                            &entry.arn,
                            RoleSource::IamProviderRead,
                            entry.external_id,
                            read_selector,
                        )
                        .map(Some);
                    }
                    progress(format!(
                        "ℹ️  the AWS IAM provider ({read}) has no read-only role (selector '{read_selector}'): this read-only workflow uses the role for selector '{selector}'"
                    ));
                }
                if let Some(entry) = entry_for_selector(&attributes, selector) {
                    return found(&entry.arn, RoleSource::IamProvider, entry.external_id, selector)
                        .map(Some);
                }
                let selectors = selectors(&attributes);
                progress(format!(
                    "ℹ️  the AWS IAM provider ({read}) has no role for selector '{selector}' (it has: {})",
                    if selectors.is_empty() {
                        "none".to_string()
                    } else {
                        selectors.join(", ")
                    }
                ));
            }
            if let Some(arn) = scope_config_role(context, np, nrn)? {
                return found(&arn, RoleSource::ScopeConfig, None, selector).map(Some);
            }
        }
        None => progress(
            "ℹ️  CONTEXT has no scope/service/entity NRN: skipping the AWS IAM provider and scope-configurations lookups",
        ),
    }

    if let Some(arn) = non_empty(inputs.default_arn.as_deref()) {
        return found(arn, RoleSource::Default, None, selector).map(Some);
    }
    Ok(None)
}

fn found(
    arn: &str,
    source: RoleSource,
    external_id: Option<String>,
    selector: &str,
) -> Result<ResolvedRole, StepError> {
    let arn = RoleArn::parse(arn).map_err(|err| {
        let fix = format!("correct the value in {}", source.describe(selector));
        err.cause(format!("the ARN came from {}", source.describe(selector)))
            .fix(fix)
    })?;
    Ok(ResolvedRole {
        arn,
        source,
        external_id,
    })
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

/// One `iam_role_arns.arns[]` entry of the AWS IAM provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamProviderEntry {
    pub arn: String,
    pub external_id: Option<String>,
}

/// The AWS IAM provider's attributes and where they were read: from CONTEXT when the
/// built context carries the provider, else from `np provider list` + `np provider
/// read` (once, however many selectors are looked up); `None` when there is none.
fn iam_provider_attributes(
    context: &Context,
    np: &NpClient,
    account_nrn: &str,
) -> Result<Option<(Value, String)>, StepError> {
    if let Some(attributes) = context.provider(IAM_PROVIDER_CATEGORY) {
        return Ok(Some((
            attributes.clone(),
            format!("CONTEXT.providers[\"{IAM_PROVIDER_CATEGORY}\"]"),
        )));
    }
    let listed = np.providers_by_specification(account_nrn, IAM_PROVIDER_SPEC)?;
    let Some(id) = listed.first().and_then(provider_id) else {
        progress(format!(
            "ℹ️  no AWS IAM provider ({IAM_PROVIDER_SPEC}) at {account_nrn}"
        ));
        return Ok(None);
    };
    let attributes = np
        .provider(&id)?
        .get("attributes")
        .cloned()
        .unwrap_or(Value::Null);
    Ok(Some((
        attributes,
        format!("provider {id} at {account_nrn}"),
    )))
}

fn provider_id(provider: &Value) -> Option<String> {
    match provider.get("id")? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

fn arn_entries(attributes: &Value) -> &[Value] {
    attributes
        .pointer("/iam_role_arns/arns")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The first `iam_role_arns.arns[]` entry with `selector == selector` and an ARN.
pub fn entry_for_selector(attributes: &Value, selector: &str) -> Option<IamProviderEntry> {
    arn_entries(attributes).iter().find_map(|entry| {
        if entry.get("selector").and_then(Value::as_str) != Some(selector) {
            return None;
        }
        let arn = entry.get("arn").and_then(Value::as_str)?.trim();
        let external_id = entry
            .get("external_id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|id| !id.is_empty());
        (!arn.is_empty()).then(|| IamProviderEntry {
            arn: arn.to_string(),
            external_id,
        })
    })
}

fn selectors(attributes: &Value) -> Vec<String> {
    arn_entries(attributes)
        .iter()
        .filter_map(|entry| {
            entry
                .get("selector")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect()
}

/// `assume_role.arn` of the scope-configurations provider (back-compat source).
fn scope_config_role(
    context: &Context,
    np: &NpClient,
    account_nrn: &str,
) -> Result<Option<String>, StepError> {
    let from = |attributes: &Value| {
        attributes
            .pointer("/assume_role/arn")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|arn| !arn.is_empty())
            .map(str::to_string)
    };
    if let Some(attributes) = context.provider(SCOPE_CONFIG_CATEGORY) {
        return Ok(from(attributes));
    }
    let providers = np.providers_by_category(account_nrn, SCOPE_CONFIG_CATEGORY, None)?;
    Ok(providers
        .iter()
        .filter_map(|provider| provider.get("attributes"))
        .find_map(from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ROLE: &str = "arn:aws:iam::123456789012:role/np-lambda-runner";

    fn unreachable_np() -> NpClient {
        NpClient::with_program("/nonexistent/np-must-not-be-called")
    }

    fn inputs() -> ChainInputs {
        ChainInputs {
            selector: "lambda".into(),
            ..ChainInputs::default()
        }
    }

    #[test]
    fn explicit_arn_wins_without_any_lookup() {
        let chain = ChainInputs {
            explicit_arn: Some(ROLE.into()),
            default_arn: Some("arn:aws:iam::999999999999:role/other".into()),
            ..inputs()
        };
        let ctx = Context::from_value(json!({"scope": {"nrn": "organization=1:account=2"}}));
        let role = resolve_role(&chain, &ctx, &unreachable_np())
            .unwrap()
            .unwrap();
        assert_eq!((role.arn.as_str(), role.source), (ROLE, RoleSource::Env));
    }

    #[test]
    fn iam_provider_in_context_matches_the_selector() {
        let ctx = Context::from_value(json!({
            "scope": {"nrn": "organization=1:account=2:namespace=3"},
            "providers": {"identity-access-control": {"iam_role_arns": {"arns": [
                {"selector": "s3", "arn": "arn:aws:iam::123456789012:role/s3"},
                {"selector": "lambda", "arn": ROLE, "external_id": "ext-123"}
            ]}}}
        }));
        let role = resolve_role(&inputs(), &ctx, &unreachable_np())
            .unwrap()
            .unwrap();
        assert_eq!(role.arn.as_str(), ROLE);
        assert_eq!(role.source, RoleSource::IamProvider);
        assert_eq!(role.external_id.as_deref(), Some("ext-123"));
    }

    #[test]
    fn a_read_only_workflow_takes_the_read_entry_else_the_main_one() {
        const READ: &str = "arn:aws:iam::123456789012:role/read";
        let provider = |arns: Value| {
            Context::from_value(json!({
                "scope": {"nrn": "organization=1:account=2:namespace=3"},
                "providers": {"identity-access-control": {"iam_role_arns": {"arns": arns}}}
            }))
        };
        let read = ChainInputs {
            read_selector: Some("lambda-read".into()),
            ..inputs()
        };
        let both = provider(json!([
            {"selector": "lambda", "arn": ROLE},
            {"selector": "lambda-read", "arn": READ, "external_id": "ext-r"}
        ]));
        let role = resolve_role(&read, &both, &unreachable_np())
            .unwrap()
            .unwrap();
        assert_eq!(
            (role.arn.as_str(), role.source),
            (READ, RoleSource::IamProviderRead)
        );
        assert_eq!(role.source.as_str(), "iam-provider-read");
        assert_eq!(role.external_id.as_deref(), Some("ext-r"));
        // A write workflow never takes the read entry.
        let role = resolve_role(&inputs(), &both, &unreachable_np())
            .unwrap()
            .unwrap();
        assert_eq!(
            (role.arn.as_str(), role.source),
            (ROLE, RoleSource::IamProvider)
        );
        // Without a read entry, the read-only workflow falls back to the main role.
        let main_only = provider(json!([{"selector": "lambda", "arn": ROLE}]));
        let role = resolve_role(&read, &main_only, &unreachable_np())
            .unwrap()
            .unwrap();
        assert_eq!(
            (role.arn.as_str(), role.source),
            (ROLE, RoleSource::IamProvider)
        );
    }

    #[test]
    fn unmatched_selector_falls_through_to_scope_config_then_default() {
        let ctx = Context::from_value(json!({
            "scope": {"nrn": "organization=1:account=2"},
            "providers": {
                "identity-access-control": {"iam_role_arns": {"arns": [{"selector": "s3", "arn": "arn:aws:iam::123456789012:role/s3"}]}},
                "scope-configurations": {"assume_role": {"arn": ROLE}}
            }
        }));
        let role = resolve_role(&inputs(), &ctx, &unreachable_np())
            .unwrap()
            .unwrap();
        assert_eq!(role.source, RoleSource::ScopeConfig);

        let ctx = Context::from_value(json!({
            "scope": {"nrn": "organization=1:account=2"},
            "providers": {"identity-access-control": {}, "scope-configurations": {}}
        }));
        let chain = ChainInputs {
            default_arn: Some(ROLE.into()),
            ..inputs()
        };
        let role = resolve_role(&chain, &ctx, &unreachable_np())
            .unwrap()
            .unwrap();
        assert_eq!(role.source, RoleSource::Default);
        assert_eq!(
            resolve_role(&inputs(), &ctx, &unreachable_np()).unwrap(),
            None
        );
    }

    #[test]
    fn no_nrn_skips_provider_lookups() {
        let role = resolve_role(&inputs(), &Context::default(), &unreachable_np()).unwrap();
        assert_eq!(role, None);
    }

    #[test]
    fn invalid_arn_names_its_source() {
        let ctx = Context::from_value(json!({
            "scope": {"nrn": "organization=1:account=2"},
            "providers": {"identity-access-control": {"iam_role_arns": {"arns": [{"selector": "lambda", "arn": "arn:aws:iam::12:role/x"}]}}}
        }));
        let err = resolve_role(&inputs(), &ctx, &unreachable_np()).unwrap_err();
        assert!(err.what.contains("not a valid IAM role ARN"), "{err}");
        assert!(err.to_string().contains("selector 'lambda'"), "{err}");
    }

    #[test]
    fn np_failure_is_reported_not_skipped() {
        let ctx = Context::from_value(json!({"scope": {"nrn": "organization=1:account=2"}}));
        let err = resolve_role(&inputs(), &ctx, &unreachable_np()).unwrap_err();
        assert!(err.what.contains("provider list"), "{err}");
    }
}
