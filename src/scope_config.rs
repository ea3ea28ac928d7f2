//! The `fetch-scope-config` step: reads the scope's `vpc`, `cloud-providers` and
//! `scope-configurations` providers (from CONTEXT when the built context carries
//! them, else `np provider list`), merges each category and exports the values later
//! steps need. A value the workflow cannot run without is a ❌/💡/🔧 naming where an
//! operator sets it.

use serde_json::Value;

use crate::config::{merge_category, value_text, Merged, Setting, Source};
use crate::context::Context;
use crate::np::NpClient;
use crate::report::StepError;
use crate::step::{progress, warn, Outputs};

/// The provider categories this step reads, in the order `np` is asked for them.
pub const CATEGORIES: [&str; 3] = ["vpc", "scope-configurations", "cloud-providers"];

/// What the step must find besides the always-required region.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct FetchOptions {
    /// Fail when no OpenTofu state bucket is configured (workflows that run tofu).
    #[arg(long, env = "REQUIRE_STATE_BUCKET")]
    pub require_state_bucket: bool,
}

/// Where the provider attributes came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProvidersSource {
    /// `CONTEXT.providers` (already merged by the platform).
    Context,
    /// `np provider list` at the scope NRN, with this dimension filter.
    Np { nrn: String, dimensions: String },
}

/// The merged attributes of the three categories.
#[derive(Debug, Clone)]
pub struct ScopeProviders {
    pub vpc: Merged,
    pub cloud: Merged,
    pub scope: Merged,
    pub source: ProvidersSource,
}

impl ScopeProviders {
    fn category(&self, category: &str) -> &Merged {
        match category {
            "vpc" => &self.vpc,
            "cloud-providers" => &self.cloud,
            _ => &self.scope,
        }
    }
}

/// The scope's dimensions as np's filter: `k:v,k2:v2` (keys sorted; empty when none).
pub fn dimension_filter(ctx: &Context) -> Result<String, StepError> {
    match ctx.get("scope.dimensions") {
        None => Ok(String::new()),
        Some(Value::Object(map)) => {
            let mut parts = Vec::new();
            for (key, value) in map {
                let text = value_text(value).filter(|_| !value.is_object() && !value.is_array());
                match text {
                    Some(text) => parts.push(format!("{key}:{text}")),
                    None if value.is_null() || value == "" => {}
                    None => {
                        return Err(malformed_dimensions(format!(
                            "dimension `{key}` is not a string"
                        )))
                    }
                }
            }
            parts.sort();
            Ok(parts.join(","))
        }
        Some(_) => Err(malformed_dimensions("it is not an object".to_string())),
    }
}

fn malformed_dimensions(detail: String) -> StepError {
    StepError::new(format!("CONTEXT .scope.dimensions is malformed: {detail}"))
        .cause("the context was built by hand or by an old agent")
        .fix("check `echo \"$CONTEXT\" | jq .scope.dimensions`: it must be an object of strings like {\"environment\":\"production\"}")
}

/// Reads the providers: from `CONTEXT.providers` when it carries any of the three
/// categories, else from `np provider list` at `.scope.nrn` filtered by dimensions.
pub fn load_providers(ctx: &Context, np: &NpClient) -> Result<ScopeProviders, StepError> {
    if CATEGORIES.iter().any(|c| ctx.provider(c).is_some()) {
        let results: Vec<Value> = CATEGORIES
            .iter()
            .filter_map(|category| {
                ctx.provider(category).map(|attributes| {
                    serde_json::json!({"category": category, "attributes": attributes})
                })
            })
            .collect();
        return Ok(merged(&results, ProvidersSource::Context));
    }
    let nrn = ctx.require_string("scope.nrn")?;
    let dimensions = dimension_filter(ctx)?;
    let results =
        np.providers_by_category(&nrn, &CATEGORIES.join(","), Some(dimensions.as_str()))?;
    Ok(merged(&results, ProvidersSource::Np { nrn, dimensions }))
}

fn merged(results: &[Value], source: ProvidersSource) -> ScopeProviders {
    ScopeProviders {
        vpc: merge_category(results, "vpc"),
        cloud: merge_category(results, "cloud-providers"),
        scope: merge_category(results, "scope-configurations"),
        source,
    }
}

/// A scalar provider value at a dotted key (`account.region`); arrays and objects
/// are a ❌ naming the category and key.
fn scalar(
    providers: &ScopeProviders,
    category: &str,
    key: &str,
) -> Result<Option<String>, StepError> {
    match lookup(&providers.category(category).attributes, key) {
        None => Ok(None),
        Some(value) if value.is_object() || value.is_array() => {
            Err(malformed(category, key, "a single value (string)", value))
        }
        Some(value) => Ok(value_text(value)),
    }
}

/// A list provider value joined with commas (`vpc.subnets`).
fn joined(providers: &ScopeProviders, category: &str, key: &str) -> Result<String, StepError> {
    match lookup(&providers.category(category).attributes, key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::Array(items)) => {
            let mut parts = Vec::new();
            for item in items {
                if item.is_object() || item.is_array() {
                    return Err(malformed(
                        category,
                        key,
                        "a list of ids",
                        &Value::Array(items.clone()),
                    ));
                }
                parts.extend(value_text(item));
            }
            Ok(parts.join(","))
        }
        Some(Value::String(text)) => Ok(text.clone()),
        Some(other) => Err(malformed(category, key, "a list of ids", other)),
    }
}

fn lookup<'a>(attributes: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.')
        .try_fold(attributes, |value, part| value.get(part))
        .filter(|value| !value.is_null())
}

fn malformed(category: &str, key: &str, expected: &str, got: &Value) -> StepError {
    let shown: String = got.to_string().chars().take(120).collect();
    StepError::new(format!(
        "provider category `{category}` key `{key}` should be {expected}, got {shown}"
    ))
    .cause(format!("the {category} provider was edited by hand or filled by another tool"))
    .fix(format!(
        "correct `{key}` in the {category} provider (nullplatform UI: Platform settings → Providers)"
    ))
}

fn missing(category: &str, key: &str, what: &str, source: &ProvidersSource) -> StepError {
    let searched = match source {
        ProvidersSource::Context => "CONTEXT.providers".to_string(),
        ProvidersSource::Np { nrn, dimensions } if dimensions.is_empty() => {
            format!("providers at {nrn}")
        }
        ProvidersSource::Np { nrn, dimensions } => {
            format!("providers at {nrn} with dimensions {dimensions}")
        }
    };
    StepError::new(format!(
        "no {what}: provider category `{category}` has no `{key}`"
    ))
    .cause(format!("searched {searched}"))
    .cause(format!(
        "no {category} provider is configured for this scope's NRN or dimensions, or it lacks `{key}`"
    ))
    .fix(format!(
        "set `{key}` in the {category} provider that applies to this scope (nullplatform UI: Platform settings → Providers)"
    ))
}

/// The step body: loads and merges the providers, reports collisions, and returns
/// the outputs. `env` looks up environment variables (the process environment in
/// the binary).
pub fn fetch_scope_config(
    ctx: &Context,
    np: &NpClient,
    options: &FetchOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Outputs, StepError> {
    progress("🔑 Fetching scope configuration...");
    let providers = load_providers(ctx, np)?;
    match &providers.source {
        ProvidersSource::Context => progress("   📋 providers: CONTEXT.providers"),
        ProvidersSource::Np { nrn, dimensions } => progress(format!(
            "   📋 providers: np at {nrn} (dimensions: {})",
            if dimensions.is_empty() {
                "none"
            } else {
                dimensions
            }
        )),
    }
    for (category, merged) in [
        ("vpc", &providers.vpc),
        ("cloud-providers", &providers.cloud),
        ("scope-configurations", &providers.scope),
    ] {
        for key in &merged.collisions {
            warn(format!(
                "key collision in {category}: `{key}` is defined by more than one provider — the last one wins"
            ));
        }
    }

    let region = match scalar(&providers, "cloud-providers", "account.region")? {
        Some(region) => region,
        None => match scalar(&providers, "scope-configurations", "provider.aws_region")? {
            Some(region) => region,
            None => {
                return Err(missing(
                    "cloud-providers",
                    "account.region",
                    "AWS region",
                    &providers.source,
                ))
            }
        },
    };
    let state_bucket = match scalar(
        &providers,
        "scope-configurations",
        "state.tofu_state_bucket",
    )? {
        Some(bucket) => Some(bucket),
        None => scalar(
            &providers,
            "scope-configurations",
            "provider.aws_state_bucket",
        )?,
    };
    if options.require_state_bucket && state_bucket.is_none() {
        return Err(missing(
            "scope-configurations",
            "state.tofu_state_bucket",
            "OpenTofu state bucket",
            &providers.source,
        ));
    }
    // Validate the shape before taking the value through the precedence helper.
    scalar(
        &providers,
        "scope-configurations",
        "deployment.placeholder_image_uri",
    )?;
    let placeholder = Setting::new()
        .jq(".deployment.placeholder_image_uri")
        .env("PLACEHOLDER_IMAGE_URI_DEFAULT")
        .resolve_in(&providers.scope.attributes, env)?;

    let mut outputs = Outputs::new();
    let plain = [
        (
            "ALB_PUBLIC_LISTENER_ARN",
            "vpc",
            "load_balancer.public.listener_arn",
        ),
        (
            "ALB_PRIVATE_LISTENER_ARN",
            "vpc",
            "load_balancer.private.listener_arn",
        ),
        ("VPC_ID", "vpc", "vpc.id"),
    ];
    for (name, category, key) in plain {
        outputs.set(name, scalar(&providers, category, key)?.unwrap_or_default());
    }
    outputs.set("AWS_SUBNET_IDS", joined(&providers, "vpc", "vpc.subnets")?);
    outputs.set(
        "SECURITY_GROUP_IDS",
        joined(&providers, "vpc", "vpc.security_groups")?,
    );
    outputs.set(
        "AWS_ACCOUNT_ID",
        scalar(&providers, "cloud-providers", "account.id")?.unwrap_or_default(),
    );
    outputs.set("AWS_REGION", region);
    outputs.set(
        "HOSTED_PUBLIC_ZONE_ID",
        scalar(
            &providers,
            "cloud-providers",
            "networking.hosted_public_zone_id",
        )?
        .unwrap_or_default(),
    );
    outputs.set(
        "HOSTED_PRIVATE_ZONE_ID",
        scalar(&providers, "cloud-providers", "networking.hosted_zone_id")?.unwrap_or_default(),
    );
    outputs.set("TOFU_STATE_BUCKET", state_bucket.unwrap_or_default());
    match &placeholder {
        Some(resolved) => progress(format!(
            "   ✅ placeholder image from {}",
            match &resolved.source {
                Source::Context(_) =>
                    "scope-configurations deployment.placeholder_image_uri".into(),
                other => other.to_string(),
            }
        )),
        None => progress("   ℹ️  no placeholder image configured"),
    }
    outputs.set(
        "PLACEHOLDER_IMAGE_URI",
        placeholder
            .map(|resolved| resolved.value)
            .unwrap_or_default(),
    );
    outputs.set(
        "NULL_AGENT_LAYER_ARN",
        scalar(
            &providers,
            "scope-configurations",
            "agent.null_agent_layer_arn",
        )?
        .unwrap_or_default(),
    );
    for name in outputs.names() {
        let value = outputs.get(name).unwrap_or_default();
        progress(format!(
            "   ✅ {name}={}",
            if value.is_empty() { "(not set)" } else { value }
        ));
    }
    progress("✨ Scope configuration fetched");
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(value: Value) -> Context {
        Context::from_value(value)
    }

    fn no_np() -> NpClient {
        NpClient::with_program("/nonexistent/np")
    }

    #[test]
    fn dimensions_become_a_sorted_filter() {
        let c = ctx(json!({"scope": {"dimensions": {"environment": "prod", "country": "ar"}}}));
        assert_eq!(dimension_filter(&c).unwrap(), "country:ar,environment:prod");
        assert_eq!(dimension_filter(&ctx(json!({"scope": {}}))).unwrap(), "");
        assert_eq!(
            dimension_filter(&ctx(json!({"scope": {"dimensions": {}}}))).unwrap(),
            ""
        );
        let err = dimension_filter(&ctx(json!({"scope": {"dimensions": ["a"]}}))).unwrap_err();
        assert!(err.what.contains(".scope.dimensions"), "{err}");
        let err =
            dimension_filter(&ctx(json!({"scope": {"dimensions": {"a": {"b": 1}}}}))).unwrap_err();
        assert!(err.what.contains("dimension `a`"), "{err}");
    }

    fn full_context() -> Value {
        json!({
            "scope": {"nrn": "organization=1:account=2:namespace=3:application=4:scope=7"},
            "providers": {
                "vpc": {
                    "vpc": {"id": "vpc-1", "subnets": ["subnet-a", "subnet-b"], "security_groups": ["sg-1"]},
                    "load_balancer": {"public": {"listener_arn": "arn:pub"}, "private": {"listener_arn": "arn:priv"}}
                },
                "cloud-providers": {
                    "account": {"id": "123456789012", "region": "us-east-2"},
                    "networking": {"hosted_public_zone_id": "ZPUB", "hosted_zone_id": "ZPRIV"}
                },
                "scope-configurations": {
                    "state": {"tofu_state_bucket": "state-bucket"},
                    "provider": {"aws_state_bucket": "old-bucket"},
                    "deployment": {"placeholder_image_uri": "1.dkr.ecr.us-east-2.amazonaws.com/ph:1"},
                    "agent": {"null_agent_layer_arn": "arn:layer"}
                }
            }
        })
    }

    #[test]
    fn all_outputs_from_context_providers() {
        let outputs = fetch_scope_config(
            &ctx(full_context()),
            &no_np(),
            &FetchOptions {
                require_state_bucket: true,
            },
            &|_| Some("ignored".into()),
        )
        .unwrap();
        let expected = [
            ("ALB_PUBLIC_LISTENER_ARN", "arn:pub"),
            ("ALB_PRIVATE_LISTENER_ARN", "arn:priv"),
            ("VPC_ID", "vpc-1"),
            ("AWS_SUBNET_IDS", "subnet-a,subnet-b"),
            ("SECURITY_GROUP_IDS", "sg-1"),
            ("AWS_ACCOUNT_ID", "123456789012"),
            ("AWS_REGION", "us-east-2"),
            ("HOSTED_PUBLIC_ZONE_ID", "ZPUB"),
            ("HOSTED_PRIVATE_ZONE_ID", "ZPRIV"),
            ("TOFU_STATE_BUCKET", "state-bucket"),
            (
                "PLACEHOLDER_IMAGE_URI",
                "1.dkr.ecr.us-east-2.amazonaws.com/ph:1",
            ),
            ("NULL_AGENT_LAYER_ARN", "arn:layer"),
        ];
        for (name, value) in expected {
            assert_eq!(outputs.get(name), Some(value), "{name}");
        }
        assert_eq!(outputs.names().count(), expected.len());
    }

    #[test]
    fn fallbacks_state_bucket_region_and_placeholder() {
        let mut value = full_context();
        let providers = value["providers"].as_object_mut().unwrap();
        providers.remove("vpc");
        providers["cloud-providers"]["account"]
            .as_object_mut()
            .unwrap()
            .remove("region");
        providers["scope-configurations"] = json!({
            "provider": {"aws_state_bucket": "old-bucket", "aws_region": "eu-west-1"}
        });
        let env = |name: &str| {
            (name == "PLACEHOLDER_IMAGE_URI_DEFAULT").then(|| "default-image".to_string())
        };
        let outputs = fetch_scope_config(
            &ctx(value.clone()),
            &no_np(),
            &FetchOptions::default(),
            &env,
        )
        .unwrap();
        assert_eq!(outputs.get("TOFU_STATE_BUCKET"), Some("old-bucket"));
        assert_eq!(outputs.get("AWS_REGION"), Some("eu-west-1"));
        assert_eq!(outputs.get("PLACEHOLDER_IMAGE_URI"), Some("default-image"));
        assert_eq!(outputs.get("VPC_ID"), Some(""));
        assert_eq!(outputs.get("AWS_SUBNET_IDS"), Some(""));
        let outputs =
            fetch_scope_config(&ctx(value), &no_np(), &FetchOptions::default(), &|_| None).unwrap();
        assert_eq!(outputs.get("PLACEHOLDER_IMAGE_URI"), Some(""));
    }

    #[test]
    fn missing_region_names_category_and_key() {
        let mut value = full_context();
        value["providers"]["cloud-providers"] = json!({"account": {"id": "1"}});
        let err = fetch_scope_config(&ctx(value), &no_np(), &FetchOptions::default(), &|_| None)
            .unwrap_err();
        assert!(err.what.contains("`cloud-providers`"), "{err}");
        assert!(err.what.contains("`account.region`"), "{err}");
        assert!(!err.fixes.is_empty());
    }

    #[test]
    fn state_bucket_only_required_when_asked() {
        let mut value = full_context();
        value["providers"]["scope-configurations"] = json!({});
        let outputs = fetch_scope_config(
            &ctx(value.clone()),
            &no_np(),
            &FetchOptions::default(),
            &|_| None,
        )
        .unwrap();
        assert_eq!(outputs.get("TOFU_STATE_BUCKET"), Some(""));
        let err = fetch_scope_config(
            &ctx(value),
            &no_np(),
            &FetchOptions {
                require_state_bucket: true,
            },
            &|_| None,
        )
        .unwrap_err();
        assert!(err.what.contains("`scope-configurations`"), "{err}");
        assert!(err.what.contains("`state.tofu_state_bucket`"), "{err}");
    }

    #[test]
    fn malformed_provider_values_name_category_and_key() {
        let mut value = full_context();
        value["providers"]["vpc"]["vpc"]["subnets"] = json!({"a": 1});
        let err = fetch_scope_config(&ctx(value), &no_np(), &FetchOptions::default(), &|_| None)
            .unwrap_err();
        assert!(err.what.contains("`vpc` key `vpc.subnets`"), "{err}");
        let mut value = full_context();
        value["providers"]["cloud-providers"]["account"]["region"] = json!(["us-east-1"]);
        let err = fetch_scope_config(&ctx(value), &no_np(), &FetchOptions::default(), &|_| None)
            .unwrap_err();
        assert!(err.what.contains("`account.region`"), "{err}");
    }

    #[test]
    fn without_context_providers_np_needs_the_scope_nrn() {
        let err = fetch_scope_config(
            &ctx(json!({"scope": {"id": 1}})),
            &no_np(),
            &FetchOptions::default(),
            &|_| None,
        )
        .unwrap_err();
        assert!(err.what.contains(".scope.nrn"), "{err}");
    }
}
