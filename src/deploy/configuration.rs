//! update-function-configuration: memory, timeout, ephemeral storage, runtime/handler
//! (Zip), layers, VPC and the environment the deployment's parameters become — as
//! environment variables (`PARAMETERS_STRATEGY=env`) or synced to a Secrets Manager
//! secret the function is pointed at (`secretsmanager`). Parameter values are secrets:
//! they are carried as [`Secret`]s and never printed; only their names are.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_lambda::types::{Environment, EphemeralStorage, Runtime, VpcConfig};
use serde_json::{Map, Value};

use super::parameters::ParametersStrategy;
use super::wait::{wait_until_updated, DEFAULT_MAX_WAIT_SECONDS};
use super::{lambda_client, lambda_failure, required_input};
use crate::aws::{sdk_config, CallFailure};
use crate::config::{comma_list, Setting};
use crate::context::Context;
use crate::report::{Secret, StepError};
use crate::step::{progress, Outputs};

/// The environment variable the function reads the parameters secret's name from.
pub const PARAMETERS_SECRET_VARIABLE: &str = "NULLPLATFORM_PARAMETERS_SECRET";
/// The null agent's launcher inside its layer.
pub const NULL_AGENT_EXEC_WRAPPER: &str = "/opt/nullplatform/launcher.sh";
/// Lambda's limit on the total size of a function's environment variables.
pub const ENVIRONMENT_MAX_BYTES: usize = 4096;

/// Inputs of update-function-configuration besides CONTEXT.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigurationSettings {
    /// The scope's function (build-deployment-context).
    #[arg(
        long,
        env = "LAMBDA_FUNCTION_NAME",
        default_value = "",
        hide_default_value = true
    )]
    pub function_name: String,
    /// Longest wait for the update to finish, in seconds.
    #[arg(long, env = crate::settings::DEPLOYMENT_MAX_WAIT_IN_SECONDS.namespaced, default_value_t = DEFAULT_MAX_WAIT_SECONDS)]
    pub max_wait_seconds: u64,
}

pub use crate::step::Env;

/// Everything the step will write, resolved and validated before the first call.
#[derive(Debug, Clone)]
pub struct FunctionSettings {
    pub memory_mb: i32,
    pub timeout_seconds: i32,
    pub ephemeral_storage_mb: i32,
    /// Runtime and handler (Zip packages only; an image carries its own).
    pub runtime_handler: Option<(String, String)>,
    pub layers: Vec<String>,
    /// (subnets, security groups) when the scope runs in the VPC.
    pub vpc: Option<VpcPlacement>,
    /// The function's environment variables (values may be parameter values).
    pub environment: BTreeMap<String, Secret>,
    /// `secretsmanager` strategy: the secret and the parameters it must hold.
    pub parameters_secret: Option<(String, BTreeMap<String, Secret>)>,
}

fn setting_error(place: &str, value: &str, expected: &str) -> StepError {
    StepError::new(format!("{place} is `{value}`: expected {expected}"))
        .cause("the scope was created with a value Lambda does not accept")
        .fix(format!("set {place} to {expected}"))
        .usage()
}

/// The precedence helper against `env`: the jq paths into CONTEXT, then `env_var`, then `default`.
fn resolve(
    ctx: &Context,
    paths: &[&str],
    env_var: &str,
    default: &str,
    env: Env,
) -> Result<String, StepError> {
    let mut setting = Setting::new().env(env_var).default_value(default);
    for path in paths {
        setting = setting.jq(*path);
    }
    Ok(setting
        .resolve_with(ctx, env)?
        .map(|resolved| resolved.value)
        .unwrap_or_default())
}

fn number_in(
    ctx: &Context,
    key: &str,
    env_var: &str,
    default: &str,
    range: std::ops::RangeInclusive<i32>,
    env: Env,
) -> Result<i32, StepError> {
    let path = format!(".scope.capabilities.{key}");
    let text = resolve(ctx, &[&path], env_var, default, env)?;
    let expected = format!("a whole number from {} to {}", range.start(), range.end());
    match text.trim().parse::<i32>() {
        Ok(number) if range.contains(&number) => Ok(number),
        _ => Err(setting_error(
            &format!("CONTEXT {path} (or {env_var})"),
            &text,
            &expected,
        )),
    }
}

/// Lambda's rule for environment variable names.
fn valid_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `.parameters.results[] | {(.variable): .values[0].value}`, values as secrets.
pub fn deployment_parameters(ctx: &Context) -> Result<BTreeMap<String, Secret>, StepError> {
    let mut parameters = BTreeMap::new();
    let Some(results) = ctx.get("parameters.results") else {
        return Ok(parameters);
    };
    let Some(results) = results.as_array() else {
        return Err(StepError::new("CONTEXT .parameters.results is not a list")
            .fix("check the notification: `echo \"$CONTEXT\" | jq '.parameters'`"));
    };
    for parameter in results {
        let Some(name) = parameter.get("variable").and_then(Value::as_str) else {
            continue;
        };
        let value = parameter
            .get("values")
            .and_then(|values| values.get(0))
            .and_then(|first| first.get("value"));
        let text = match value {
            None | Some(Value::Null) => continue,
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
        };
        if !valid_variable_name(name) {
            return Err(StepError::new(format!(
                "the parameter `{name}` cannot be an environment variable name"
            ))
            .cause("Lambda accepts names of letters, digits and _, starting with a letter")
            .fix(format!(
                "rename the parameter `{name}` in nullplatform, or use PARAMETERS_STRATEGY=secretsmanager"
            ))
            .usage());
        }
        parameters.insert(name.to_string(), Secret::new(text));
    }
    Ok(parameters)
}

fn flag(
    ctx: &Context,
    paths: &[&str],
    env_var: &str,
    default: &str,
    env: Env,
) -> Result<bool, StepError> {
    let text = resolve(ctx, paths, env_var, default, env)?;
    match text.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(setting_error(env_var, other, "true or false")),
    }
}

/// A VPC-enabled function's subnets and security groups.
pub type VpcPlacement = (Vec<String>, Vec<String>);

/// Memory (MB): `.scope.capabilities.memory` > `LAMBDA_MEMORY` > 256. The scope's tofu
/// modules create the function with the same value.
pub fn memory_mb(ctx: &Context, env: Env) -> Result<i32, StepError> {
    let memory = &crate::settings::LAMBDA_MEMORY;
    number_in(
        ctx,
        "memory",
        memory.generic,
        memory.default_text(),
        128..=10240,
        env,
    )
}

/// Timeout (s): `.scope.capabilities.timeout` > `LAMBDA_TIMEOUT` > 30.
pub fn timeout_seconds(ctx: &Context, env: Env) -> Result<i32, StepError> {
    let timeout = &crate::settings::LAMBDA_TIMEOUT;
    number_in(
        ctx,
        "timeout",
        timeout.generic,
        timeout.default_text(),
        1..=900,
        env,
    )
}

/// Where the function runs: the subnets and security groups (fetch-scope-config's
/// `AWS_SUBNET_IDS`, `SECURITY_GROUP_IDS`) when the scope is VPC-enabled
/// (`.scope.capabilities.vpc_enabled` > `LAMBDA_VPC_ENABLED` > false), else `None`.
/// Deployments and the scope's tofu modules (execution role VPC access, the function's
/// `vpc_config`) both decide by this one function.
pub fn vpc_placement(ctx: &Context, env: Env) -> Result<Option<VpcPlacement>, StepError> {
    let enabled = flag(
        ctx,
        &[".scope.capabilities.vpc_enabled"],
        crate::settings::LAMBDA_VPC_ENABLED.generic,
        crate::settings::LAMBDA_VPC_ENABLED.default_text(),
        env,
    )?;
    if !enabled {
        return Ok(None);
    }
    let subnets = comma_list(env("AWS_SUBNET_IDS"));
    let groups = comma_list(env("SECURITY_GROUP_IDS"));
    if subnets.is_empty() || groups.is_empty() {
        return Err(StepError::new(
            "the scope runs in a VPC but AWS_SUBNET_IDS or SECURITY_GROUP_IDS is empty",
        )
        .cause("the vpc provider has no subnets or security groups, or fetch-scope-config did not run first")
        .fix("add vpc.subnets and vpc.security_groups to the scope's vpc provider")
        .usage());
    }
    Ok(Some((subnets, groups)))
}

/// Resolves and validates the configuration: CONTEXT capabilities, then the
/// environment (build-deployment-context and fetch-scope-config outputs, operator
/// settings), then the defaults.
pub fn plan_configuration(ctx: &Context, env: Env) -> Result<FunctionSettings, StepError> {
    // Without them every setting would fall back to its default and every variable would
    // be removed from the function.
    ctx.require_present(
        &["scope.capabilities", "parameters.results"],
        "the function's settings and environment",
    )?;
    let var = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let memory_mb = memory_mb(ctx, env)?;
    let timeout_seconds = timeout_seconds(ctx, env)?;
    let ephemeral_storage_mb = number_in(
        ctx,
        "ephemeral_storage",
        crate::settings::LAMBDA_EPHEMERAL_STORAGE.generic,
        crate::settings::LAMBDA_EPHEMERAL_STORAGE.default_text(),
        512..=10240,
        env,
    )?;
    let package = var("PACKAGE_TYPE").unwrap_or_else(|| "Image".into());
    let runtime_handler = match package.as_str() {
        "Zip" => Some((
            var("RUNTIME").unwrap_or_else(|| "nodejs22.x".into()),
            var("HANDLER").unwrap_or_else(|| "index.handler".into()),
        )),
        "Image" => None,
        other => return Err(setting_error("PACKAGE_TYPE", other, "Image or Zip")),
    };

    let mut layers: Vec<String> = match ctx.get("scope.capabilities.layers") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        Some(other) => {
            return Err(setting_error(
                "CONTEXT .scope.capabilities.layers",
                &other.to_string(),
                "a list of layer version ARNs",
            ))
        }
    };
    for layer in &layers {
        if !(layer.starts_with("arn:") && layer.contains(":layer:")) {
            return Err(setting_error(
                "a layer in CONTEXT .scope.capabilities.layers",
                layer,
                "a layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)",
            ));
        }
    }

    let mut environment = BTreeMap::new();
    let strategy = var("PARAMETERS_STRATEGY");
    let parameters = deployment_parameters(ctx)?;
    let strategy = match strategy {
        None => ParametersStrategy::default(),
        Some(text) => ParametersStrategy::parse(&text)
            .ok_or_else(|| setting_error("PARAMETERS_STRATEGY", &text, "env or secretsmanager"))?,
    };
    let parameters_secret = match strategy {
        ParametersStrategy::Env => {
            environment.extend(parameters);
            None
        }
        ParametersStrategy::Secretsmanager => {
            let name = var("SECRETS_MANAGER_SECRET_NAME").ok_or_else(|| {
                StepError::new("SECRETS_MANAGER_SECRET_NAME is empty with PARAMETERS_STRATEGY=secretsmanager")
                    .cause("build-deployment-context did not run before this step")
                    .fix("run build-deployment-context first and declare SECRETS_MANAGER_SECRET_NAME in its output")
                    .usage()
            })?;
            environment.insert(
                PARAMETERS_SECRET_VARIABLE.to_string(),
                Secret::new(name.clone()),
            );
            Some((name, parameters))
        }
    };

    let null_agent = &crate::settings::USE_NULL_AGENT;
    if flag(ctx, &[], null_agent.generic, null_agent.default_text(), env)? {
        match var("NULLPLATFORM_APIKEY") {
            Some(key) => {
                environment.insert("NULLPLATFORM_APIKEY".into(), Secret::new(key));
                environment.insert(
                    "AWS_LAMBDA_EXEC_WRAPPER".into(),
                    Secret::new(NULL_AGENT_EXEC_WRAPPER),
                );
                if let Some(layer) = var("NULL_AGENT_LAYER_ARN") {
                    if !layers.contains(&layer) {
                        layers.push(layer);
                    }
                }
            }
            None => progress("   ℹ️  USE_NULL_AGENT is on but NULLPLATFORM_APIKEY is empty: the null agent is not added"),
        }
    }
    if layers.len() > 5 {
        return Err(StepError::new(format!(
            "{} layers requested: Lambda allows at most 5",
            layers.len()
        ))
        .fix("remove layers from the scope's capabilities (the null agent adds one when USE_NULL_AGENT is on)")
        .usage());
    }
    let size: usize = environment
        .iter()
        .map(|(name, value)| name.len() + value.expose().len())
        .sum();
    if size > ENVIRONMENT_MAX_BYTES {
        return Err(StepError::new(format!(
            "the environment variables take {size} bytes: Lambda allows {ENVIRONMENT_MAX_BYTES}"
        ))
        .cause("the deployment has too many or too large parameters to be environment variables")
        .fix(
            "set PARAMETERS_STRATEGY=secretsmanager (the function then reads them from one secret)",
        )
        .usage());
    }

    let vpc = vpc_placement(ctx, env)?;

    Ok(FunctionSettings {
        memory_mb,
        timeout_seconds,
        ephemeral_storage_mb,
        runtime_handler,
        layers,
        vpc,
        environment,
        parameters_secret,
    })
}

/// Creates or updates the parameters secret. Returns true when it was created.
async fn sync_parameters_secret(
    name: &str,
    parameters: &BTreeMap<String, Secret>,
    tags_json: Option<String>,
) -> Result<bool, StepError> {
    let document: Map<String, Value> = parameters
        .iter()
        .map(|(key, value)| (key.clone(), Value::String(value.expose().to_string())))
        .collect();
    let payload = Value::Object(document).to_string();
    let config = sdk_config().await?;
    let client = aws_sdk_secretsmanager::Client::new(&config);
    let failed = |action: &str, failure: CallFailure| {
        let report = StepError::new(format!(
            "secretsmanager:{action} on {name} failed: {} — the function's configuration was not changed",
            failure.summary()
        ));
        if failure.is_access_denied() {
            report
                .cause(format!("the assumed role lacks secretsmanager:{action} on the parameters secrets"))
                .fix("add the Secrets Manager actions for the nullplatform/ secrets to the role's policy (`iam-policy render`)")
        } else {
            report
                .cause("the Secrets Manager API was unreachable, or the secret is scheduled for deletion")
                .fix(format!("check it: `aws secretsmanager describe-secret --secret-id {name}`, then retry"))
        }
    };
    match client
        .put_secret_value()
        .secret_id(name)
        .secret_string(&payload)
        .send()
        .await
    {
        Ok(_) => Ok(false),
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            if !failure.is_not_found() {
                return Err(failed("PutSecretValue", failure));
            }
            let tags: Vec<aws_sdk_secretsmanager::types::Tag> = tags_json
                .and_then(|text| serde_json::from_str::<Map<String, Value>>(&text).ok())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(key, value)| {
                    value.as_str().map(|v| {
                        aws_sdk_secretsmanager::types::Tag::builder()
                            .key(key)
                            .value(v)
                            .build()
                    })
                })
                .collect();
            client
                .create_secret()
                .name(name)
                .description("nullplatform deployment parameters")
                .secret_string(&payload)
                .set_tags((!tags.is_empty()).then_some(tags))
                .send()
                .await
                .map_err(|err| failed("CreateSecret", CallFailure::from_sdk(&err)))?;
            Ok(true)
        }
    }
}

/// The update-function-configuration step body. Outputs `LAMBDA_ENVIRONMENT_NAMES`
/// (the variable names set, comma-separated; never their values).
pub async fn update_function_configuration(
    ctx: &Context,
    settings: &ConfigurationSettings,
    env: Env<'_>,
) -> Result<Outputs, StepError> {
    let function = required_input(
        "LAMBDA_FUNCTION_NAME",
        &settings.function_name,
        "build-deployment-context",
    )?;
    let plan = plan_configuration(ctx, env)?;
    let max_wait = Duration::from_secs(settings.max_wait_seconds);
    progress(format!(
        "📝 Updating the configuration of {function}: {} MB, {} s, {} MB /tmp, {} layer(s){}",
        plan.memory_mb,
        plan.timeout_seconds,
        plan.ephemeral_storage_mb,
        plan.layers.len(),
        if plan.vpc.is_some() {
            ", in the VPC"
        } else {
            ""
        }
    ));
    let names: Vec<&str> = plan.environment.keys().map(String::as_str).collect();
    progress(format!(
        "   📋 environment variables ({}): {}",
        names.len(),
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    ));

    let mut already: Option<String> = None;
    if let Some((secret, parameters)) = &plan.parameters_secret {
        let created = sync_parameters_secret(secret, parameters, env("RESOURCE_TAGS_JSON")).await?;
        progress(format!(
            "   🔐 {} parameter(s) {} secret {secret}",
            parameters.len(),
            if created {
                "written to the new"
            } else {
                "written to the"
            }
        ));
        already = Some(format!(
            "the parameters were written to the secret {secret}"
        ));
    }

    let client = lambda_client().await?;
    wait_until_updated(&client, &function, max_wait, already.as_deref()).await?;
    let variables: std::collections::HashMap<String, String> = plan
        .environment
        .iter()
        .map(|(key, value)| (key.clone(), value.expose().to_string()))
        .collect();
    let mut request = client
        .update_function_configuration()
        .function_name(&function)
        .memory_size(plan.memory_mb)
        .timeout(plan.timeout_seconds)
        .ephemeral_storage(
            EphemeralStorage::builder()
                .size(plan.ephemeral_storage_mb)
                .build()
                .map_err(|err| StepError::new(format!("ephemeral storage: {err}")))?,
        )
        .environment(
            Environment::builder()
                .set_variables(Some(variables))
                .build(),
        )
        .set_layers(Some(plan.layers.clone()));
    if let Some((runtime, handler)) = &plan.runtime_handler {
        request = request
            .runtime(Runtime::from(runtime.as_str()))
            .handler(handler);
    }
    if let Some((subnets, groups)) = &plan.vpc {
        request = request.vpc_config(
            VpcConfig::builder()
                .set_subnet_ids(Some(subnets.clone()))
                .set_security_group_ids(Some(groups.clone()))
                .build(),
        );
    }
    request.send().await.map_err(|err| {
        // The SDK's error text never carries the request's environment values.
        lambda_failure(
            "UpdateFunctionConfiguration",
            &function,
            &CallFailure::from_sdk(&err),
            already.as_deref(),
        )
    })?;
    let changed = match &already {
        Some(done) => format!("{done}; the function's configuration was updated"),
        None => "the function's configuration was updated".to_string(),
    };
    wait_until_updated(&client, &function, max_wait, Some(&changed)).await?;
    progress(format!("✨ Configuration of {function} updated"));
    let mut outputs = Outputs::new();
    outputs.set("LAMBDA_ENVIRONMENT_NAMES", names.join(","));
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::env_of;
    use serde_json::json;

    fn ctx(capabilities: Value) -> Context {
        Context::from_value(json!({
            "scope": {"capabilities": capabilities},
            "parameters": {"results": [
                {"variable": "DB_PASSWORD", "values": [{"value": "hunter2"}]},
                {"variable": "EMPTY", "values": []},
                {"variable": "PORT", "values": [{"value": 8080}]}
            ]}
        }))
    }

    #[test]
    fn env_strategy_puts_parameters_in_the_environment_and_debug_hides_them() {
        let plan = plan_configuration(
            &ctx(json!({"memory": 512, "timeout": "60"})),
            &env_of(&[
                ("PACKAGE_TYPE", "Zip"),
                ("RUNTIME", "python3.13"),
                ("HANDLER", "app.main"),
            ]),
        )
        .unwrap();
        assert_eq!(
            (
                plan.memory_mb,
                plan.timeout_seconds,
                plan.ephemeral_storage_mb
            ),
            (512, 60, 512)
        );
        assert_eq!(
            plan.runtime_handler,
            Some(("python3.13".into(), "app.main".into()))
        );
        assert_eq!(plan.environment["DB_PASSWORD"].expose(), "hunter2");
        assert_eq!(plan.environment["PORT"].expose(), "8080");
        assert!(!plan.environment.contains_key("EMPTY"));
        assert!(plan.parameters_secret.is_none());
        assert!(!format!("{plan:?}").contains("hunter2"));
    }

    #[test]
    fn capabilities_win_over_operator_settings_which_win_over_defaults() {
        let env = env_of(&[("LAMBDA_MEMORY", "2048"), ("LAMBDA_TIMEOUT", "90")]);
        let plan = plan_configuration(&ctx(json!({"timeout": 10})), &env).unwrap();
        assert_eq!(plan.memory_mb, 2048);
        assert_eq!(plan.timeout_seconds, 10);
        assert_eq!(plan.ephemeral_storage_mb, 512);
    }

    #[test]
    fn secretsmanager_strategy_points_the_function_at_the_secret() {
        let plan = plan_configuration(
            &ctx(json!({})),
            &env_of(&[
                ("PARAMETERS_STRATEGY", "secretsmanager"),
                ("SECRETS_MANAGER_SECRET_NAME", "nullplatform/7/8/parameters"),
            ]),
        )
        .unwrap();
        assert_eq!(plan.environment.len(), 1);
        assert_eq!(
            plan.environment[PARAMETERS_SECRET_VARIABLE].expose(),
            "nullplatform/7/8/parameters"
        );
        let (name, parameters) = plan.parameters_secret.unwrap();
        assert_eq!(name, "nullplatform/7/8/parameters");
        assert_eq!(parameters["DB_PASSWORD"].expose(), "hunter2");
        assert!(
            plan.runtime_handler.is_none(),
            "images carry their own runtime"
        );
    }

    #[test]
    fn null_agent_adds_its_layer_and_wrapper_only_with_an_api_key() {
        let plan = plan_configuration(
            &ctx(json!({"layers": ["arn:aws:lambda:us-east-1:1:layer:a:1"]})),
            &env_of(&[
                ("USE_NULL_AGENT", "true"),
                ("NULLPLATFORM_APIKEY", "np-key"),
                (
                    "NULL_AGENT_LAYER_ARN",
                    "arn:aws:lambda:us-east-1:2:layer:null:3",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(plan.layers.len(), 2);
        assert_eq!(
            plan.environment["AWS_LAMBDA_EXEC_WRAPPER"].expose(),
            NULL_AGENT_EXEC_WRAPPER
        );
        let plan = plan_configuration(
            &ctx(json!({})),
            &env_of(&[
                ("USE_NULL_AGENT", "true"),
                (
                    "NULL_AGENT_LAYER_ARN",
                    "arn:aws:lambda:us-east-1:2:layer:null:3",
                ),
            ]),
        )
        .unwrap();
        assert!(plan.layers.is_empty());
        assert!(!plan.environment.contains_key("AWS_LAMBDA_EXEC_WRAPPER"));
    }

    #[test]
    fn bad_values_are_usage_errors_that_never_show_a_parameter_value() {
        let no_env = env_of(&[]);
        for capabilities in [
            json!({"memory": 64}),
            json!({"timeout": 901}),
            json!({"ephemeral_storage": "lots"}),
            json!({"layers": ["not-an-arn"]}),
            json!({"vpc_enabled": true}),
        ] {
            let err = plan_configuration(&ctx(capabilities.clone()), &no_env).unwrap_err();
            assert_eq!(err.exit_code, 2, "{capabilities}");
            assert!(!err.to_string().contains("hunter2"));
        }
        let big = Context::from_value(
            json!({"scope": {"capabilities": {}}, "parameters": {"results": [
                {"variable": "BLOB", "values": [{"value": "x".repeat(5000)}]}
            ]}}),
        );
        let err = plan_configuration(&big, &no_env).unwrap_err();
        assert!(err.to_string().contains("secretsmanager"), "{err}");
        assert!(!err.to_string().contains("xxxx"));
        let bad_name = Context::from_value(
            json!({"scope": {"capabilities": {}}, "parameters": {"results": [
                {"variable": "1-bad", "values": [{"value": "hunter2"}]}
            ]}}),
        );
        let err = plan_configuration(&bad_name, &no_env).unwrap_err();
        assert!(err.what.contains("1-bad") && !err.to_string().contains("hunter2"));
    }

    #[test]
    fn without_capabilities_or_parameters_in_the_context_nothing_is_planned() {
        let no_env = env_of(&[]);
        for (document, missing) in [
            (json!({}), ".scope.capabilities"),
            (
                json!({"parameters": {"results": []}}),
                ".scope.capabilities",
            ),
            (
                json!({"scope": {"capabilities": {}}}),
                ".parameters.results",
            ),
        ] {
            let err = plan_configuration(&Context::from_value(document), &no_env).unwrap_err();
            assert_eq!(err.exit_code, 2);
            assert!(err.what.contains(missing), "{}", err.what);
            assert!(err.what.contains("nothing was changed"), "{}", err.what);
        }
    }
}
