//! compose-tofu: builds one OpenTofu root module for a scope from the modules in
//! `tofu/` — which ones by visibility and whether the scope has a domain and zone —
//! with each file prefixed by its module path, plus the variables as `tofu.tfvars.json`;
//! a private scope's listener-rule priority is allocated here when none is given.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::config::{bounded_number, Setting};
use crate::context::Context;
use crate::report::StepError;
use crate::step::{progress, warn, Env, Outputs};

use super::action::TofuAction;
use super::imports::{self, Targets};
use super::listener::{allocate_priority, listener_rules, target_group_name, ListenerRule};
use super::vars::{TofuVars, VARS_FILE};

/// Modules every scope gets.
pub const BASE_MODULES: &[&str] = &["provider/aws", "iam", "compute/lambda"];

/// How the scope is reached (build-scope-context's VISIBILITY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Public,
    Private,
    EventDriven,
}

impl Reach {
    pub fn parse(text: &str) -> Result<Self, StepError> {
        match text {
            "public" => Ok(Reach::Public),
            "private" => Ok(Reach::Private),
            "event-driven" => Ok(Reach::EventDriven),
            other => Err(StepError::new(format!(
                "VISIBILITY is '{other}', expected public, private or event-driven"
            ))
            .cause("build-scope-context did not run before this step, or its output was changed")
            .fix("run build-scope-context before compose-tofu")
            .usage()),
        }
    }
}

/// The modules for one scope, in composition order.
pub fn select_modules(reach: Reach, has_domain_and_zone: bool) -> Vec<&'static str> {
    let mut modules = BASE_MODULES.to_vec();
    match reach {
        Reach::Public => modules.push("networking/api_gateway"),
        Reach::Private => modules.push("networking/alb"),
        Reach::EventDriven => {}
    }
    if has_domain_and_zone && reach != Reach::EventDriven {
        modules.push("dns/route53");
    }
    modules
}

/// The file name a module's file gets in the working directory: the module path with
/// `/` turned into `_`, two underscores, the file name (`compute_lambda__main.tf`).
pub fn composed_name(module: &str, file: &str) -> String {
    format!("{}__{file}", module.replace('/', "_"))
}

/// Files that belong to a module's tests, never composed.
fn is_test_file(name: &str) -> bool {
    name.ends_with("_test.tf") || name.ends_with(".tftest.hcl")
}

/// Copies the selected modules' `.tf` files into `work_dir` (removing the `.tf` files and
/// `imports.json` a previous composition left, keeping `.terraform`) and writes the variables file.
pub fn compose(
    modules_root: &Path,
    modules: &[&str],
    variables: &TofuVars,
    work_dir: &Path,
) -> Result<Vec<PathBuf>, StepError> {
    let io_error = |what: String, err: std::io::Error| {
        StepError::new(format!("{what}: {err}"))
            .cause("the directory is missing or not writable")
            .fix("check OUTPUT_DIR and SERVICE_PATH (the modules are read from $SERVICE_PATH/tofu)")
    };
    std::fs::create_dir_all(work_dir)
        .map_err(|err| io_error(format!("could not create {}", work_dir.display()), err))?;
    for entry in std::fs::read_dir(work_dir)
        .map_err(|err| io_error(format!("could not read {}", work_dir.display()), err))?
    {
        let path = entry
            .map_err(|err| io_error(format!("could not read {}", work_dir.display()), err))?
            .path();
        // A previous composition's files, its found-resources list included.
        let stale = path.extension().is_some_and(|ext| ext == "tf")
            || path
                .file_name()
                .is_some_and(|name| name == imports::FOUND_FILE);
        if stale {
            std::fs::remove_file(&path)
                .map_err(|err| io_error(format!("could not remove {}", path.display()), err))?;
        }
    }
    let mut written = Vec::new();
    for module in modules {
        let dir = modules_root.join(module);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|err| io_error(format!("could not read the module {}", dir.display()), err))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| {
                path.extension().is_some_and(|ext| ext == "tf")
                    && path
                        .file_name()
                        .and_then(|name| name.to_str())
                        .is_some_and(|name| !is_test_file(name))
            })
            .collect();
        files.sort();
        for file in files {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let target = work_dir.join(composed_name(module, name));
            std::fs::copy(&file, &target)
                .map_err(|err| io_error(format!("could not copy {}", file.display()), err))?;
            written.push(target);
        }
    }
    let vars_path = variables.write(work_dir).map_err(|err| {
        io_error(
            format!("could not write {}", work_dir.join(VARS_FILE).display()),
            err,
        )
    })?;
    written.push(vars_path);
    Ok(written)
}

/// Reads the listener's rules and allocates; the rules are returned for the adoption
/// lookup, which then need not read them again.
async fn allocate_priority_on(
    config: &aws_config::SdkConfig,
    listener: &str,
    scope_id: &str,
) -> Result<(u32, Vec<ListenerRule>), StepError> {
    let client = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let rules = listener_rules(&client, listener).await.map_err(|failure| {
        StepError::new(format!(
            "could not read the rules of the private listener: {}",
            failure.summary()
        ))
        .cause("the listener ARN is wrong, or the assumed role lacks elasticloadbalancing:DescribeRules")
        .fix("check ALB_PRIVATE_LISTENER_ARN (the vpc provider's load_balancer.private.listener_arn), or set ALB_RULE_PRIORITY")
    })?;
    let priority = allocate_priority(&rules, scope_id);
    progress(format!(
        "🔢 listener rule priority {priority} ({} rules on the listener)",
        rules.len()
    ));
    Ok((priority, rules))
}

fn required(env: Env, name: &str, from: &str) -> Result<String, StepError> {
    env(name).ok_or_else(|| {
        StepError::new(format!("{name} is not set"))
            .cause(format!("{from} did not run before compose-tofu"))
            .fix(format!("run {from} first in the workflow"))
            .usage()
    })
}

fn number(env: Env, name: &str) -> Result<Option<u64>, StepError> {
    match env(name) {
        None => Ok(None),
        Some(text) => text.trim().parse().map(Some).map_err(|_| {
            StepError::new(format!("{name} is '{text}', not a whole number"))
                .fix(format!("set {name} to a whole number in values.yaml"))
                .usage()
        }),
    }
}

/// The retention periods CloudWatch Logs accepts (`PutRetentionPolicy`), 0 being the
/// AWS provider's "never expire"; any other number fails the apply half-way.
pub const LOG_RETENTION_DAYS_ACCEPTED: &[u64] = &[
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// How long the iam module waits after creating a role (IAM is eventually consistent).
pub const IAM_PROPAGATION_SECONDS_DEFAULT: u64 =
    crate::settings::IAM_PROPAGATION_SECONDS.default_u64();
pub const IAM_PROPAGATION_SECONDS_RANGE: std::ops::RangeInclusive<u64> = 0..=300;

/// `LOG_RETENTION_DAYS`, checked against what CloudWatch accepts before tofu runs;
/// `None` when unset (the module's default then).
fn log_retention_days(env: Env) -> Result<Option<u64>, StepError> {
    let Some(days) = number(env, "LOG_RETENTION_DAYS")? else {
        return Ok(None);
    };
    if LOG_RETENTION_DAYS_ACCEPTED.contains(&days) {
        return Ok(Some(days));
    }
    let accepted: Vec<String> = LOG_RETENTION_DAYS_ACCEPTED
        .iter()
        .map(u64::to_string)
        .collect();
    Err(
        StepError::new(format!("LOG_RETENTION_DAYS is {days}, which CloudWatch Logs does not accept"))
            .cause("CloudWatch takes only a fixed set of retention periods; tofu would fail after creating the function")
            .fix(format!(
                "set LOG_RETENTION_DAYS to one of {} (0 = never expire), or unset it (30 days)",
                accepted.join(", ")
            ))
            .usage(),
    )
}

/// The execution role prefix: scope-configurations `lambda.execution_role_prefix` >
/// `LAMBDA_EXECUTION_ROLE_PREFIX` > `np-lambda-`.
fn execution_role_prefix(ctx: Option<&Context>, env: Env) -> Result<String, StepError> {
    let setting = Setting::new()
        .jq(r#".providers["scope-configurations"].lambda.execution_role_prefix"#)
        .operator(&crate::settings::LAMBDA_EXECUTION_ROLE_PREFIX);
    let document = ctx.map(Context::value).cloned().unwrap_or(Value::Null);
    let resolved = setting
        .resolve_in(&document, env)?
        .expect("a default is always set");
    let allowed = resolved.value.len() <= 32
        && resolved
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if !allowed {
        warn(format!(
            "execution role prefix '{}' is not a valid IAM role-name prefix (1-32 of A-Za-z0-9+=,.@_-): role creation will fail",
            resolved.value
        ));
    }
    if let Some(allowed_prefixes) = env("LAMBDA_EXECUTION_ROLE_PREFIXES_ALLOWED") {
        let listed = crate::config::comma_list(Some(allowed_prefixes));
        if !listed
            .iter()
            .any(|prefix| resolved.value.starts_with(prefix.as_str()))
        {
            warn(format!(
                "execution role prefix '{}' is outside the install module's execution_role_prefixes ({}): the permissions role may not create it",
                resolved.value,
                listed.join(", ")
            ));
        }
    }
    Ok(resolved.value)
}

/// Whether the composition is for `tofu destroy` (TOFU_ACTION; unset = apply). A
/// misspelt action is an error here, before anything is composed.
fn destroying(env: Env) -> Result<bool, StepError> {
    match env("TOFU_ACTION") {
        Some(text) => Ok(TofuAction::parse(&text)? == TofuAction::Destroy),
        None => Ok(false),
    }
}

/// A function setting: an error fails an apply, but only warns on a destroy, which
/// needs no settings (`None` then).
fn lenient<T>(destroying: bool, result: Result<T, StepError>) -> Result<Option<T>, StepError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if destroying => {
            warn(format!(
                "{} (ignored: the scope is being destroyed)",
                err.what
            ));
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// The composition for one scope: modules and variables from the earlier steps' outputs.
pub fn plan(env: Env) -> Result<(Vec<&'static str>, TofuVars), StepError> {
    let reach = Reach::parse(&required(env, "VISIBILITY", "build-scope-context")?)?;
    let ctx = match env("CONTEXT") {
        Some(text) => Some(Context::parse(&text)?),
        None => None,
    };
    let domain = env("SCOPE_DOMAIN").unwrap_or_default();
    let zone = match reach {
        Reach::Public => env("HOSTED_PUBLIC_ZONE_ID"),
        Reach::Private => env("HOSTED_PRIVATE_ZONE_ID"),
        Reach::EventDriven => None,
    };
    let modules = select_modules(reach, !domain.is_empty() && zone.is_some());

    let mut vars = TofuVars {
        aws_region: env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .ok_or_else(|| required(env, "AWS_REGION", "fetch-scope-config").unwrap_err())?,
        ..TofuVars::default()
    };
    let scope_id = required(env, "SCOPE_ID", "build-scope-context")?;
    crate::ids::check_id("scope id", "SCOPE_ID", &scope_id)?;
    vars.scope_id = scope_id;
    vars.function_name = required(env, "LAMBDA_FUNCTION_NAME", "build-scope-context")?;
    let tags: Value = match env("RESOURCE_TAGS_JSON") {
        None => json!({}),
        Some(text) => serde_json::from_str(&text).map_err(|err| {
            StepError::new(format!("RESOURCE_TAGS_JSON is not a JSON object: {err}"))
                .fix("run build-scope-context first; it writes the tags as a JSON object")
                .usage()
        })?,
    };
    vars.resource_tags = tags;
    vars.domain_name = domain.clone();
    vars.main_alias_name = env("LAMBDA_MAIN_ALIAS_NAME");
    vars.execution_role_prefix = execution_role_prefix(ctx.as_ref(), env)?;
    // The same decision deployments make: the capability, not whether subnets are known.
    let settings_ctx = ctx
        .clone()
        .unwrap_or_else(|| Context::from_value(json!({})));
    let destroying = destroying(env)?;
    vars.permissions_boundary_arn = lenient(
        destroying,
        crate::policy::execution_role_boundary(settings_ctx.value(), env),
    )?;
    if !destroying {
        // Memory, timeout and VPC placement would otherwise fall back to their defaults
        // and tofu would apply them to the function.
        settings_ctx.require_present(
            &["scope.capabilities"],
            "the function's memory, timeout and VPC placement",
        )?;
    }
    let (subnets, security_groups) = lenient(
        destroying,
        crate::deploy::configuration::vpc_placement(&settings_ctx, env),
    )?
    .flatten()
    .unwrap_or_default();
    vars.vpc_enabled = !subnets.is_empty();

    let package_type = required(env, "PACKAGE_TYPE", "build-scope-context")?;
    vars.package_type = package_type.clone();
    vars.placeholder_filename = env("LAMBDA_FILENAME");
    vars.placeholder_image_uri = env("PLACEHOLDER_IMAGE_URI");
    vars.runtime = env("RUNTIME");
    vars.handler = env("HANDLER");
    vars.architecture = env("ARCHITECTURE");
    if !destroying {
        match package_type.as_str() {
            "Zip" if env("LAMBDA_FILENAME").is_none() => {
                return Err(
                    required(env, "LAMBDA_FILENAME", "resolve-placeholder-image").unwrap_err(),
                )
            }
            "Image" if env("PLACEHOLDER_IMAGE_URI").is_none() => {
                return Err(
                    required(env, "PLACEHOLDER_IMAGE_URI", "resolve-placeholder-image")
                        .unwrap_err(),
                )
            }
            _ => {}
        }
    }
    vars.subnet_ids = subnets;
    vars.security_group_ids = security_groups;
    vars.log_retention_days = lenient(destroying, log_retention_days(env))?.flatten();
    vars.iam_propagation_seconds = lenient(
        destroying,
        bounded_number(
            "IAM_PROPAGATION_SECONDS",
            env("IAM_PROPAGATION_SECONDS"),
            IAM_PROPAGATION_SECONDS_RANGE,
            IAM_PROPAGATION_SECONDS_DEFAULT,
        ),
    )?;
    // A value the modules would only reject after creating the function.
    let checked = |name: &str, valid: fn(&str) -> bool, expected: &str| match env(name)
        .filter(|value| !value.is_empty())
    {
        Some(value) if !valid(&value) => Err(StepError::new(format!("{name} is '{value}'"))
            .cause(format!("{name} must be {expected}"))
            .fix(format!(
                "set {name} to {expected} in values.yaml, or remove it"
            ))
            .usage()),
        value => Ok(value),
    };
    vars.tracing_mode = checked(
        "LAMBDA_TRACING_MODE",
        |v| v == "Active" || v == "PassThrough",
        "Active or PassThrough",
    )?;
    vars.log_kms_key_arn = checked(
        "LOG_KMS_KEY_ARN",
        |v| {
            let parts: Vec<&str> = v.splitn(6, ':').collect();
            parts.len() == 6
                && parts[0] == "arn"
                && parts[2] == "kms"
                && parts[4].len() == 12
                && parts[5]
                    .strip_prefix("key/")
                    .is_some_and(|id| !id.is_empty())
        },
        "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)",
    )?;
    // The function starts with the settings its first deployment would give it.
    vars.memory_size = lenient(
        destroying,
        crate::deploy::configuration::memory_mb(&settings_ctx, env),
    )?;
    vars.timeout_seconds = lenient(
        destroying,
        crate::deploy::configuration::timeout_seconds(&settings_ctx, env),
    )?;

    match reach {
        Reach::Public => vars.api_certificate_arn = env("API_CERTIFICATE_ARN"),
        Reach::Private => {
            vars.alb_listener_arn = Some(required(
                env,
                "ALB_PRIVATE_LISTENER_ARN",
                "fetch-scope-config",
            )?);
            // Without an explicit priority, compose_step allocates one on the listener.
            vars.alb_rule_priority = number(env, "ALB_RULE_PRIORITY")?;
        }
        Reach::EventDriven => {}
    }
    if modules.contains(&"dns/route53") {
        vars.hosted_zone_id = zone;
    }
    Ok((modules, vars))
}

/// What the composition declares, for compose-tofu to look up in AWS before an apply.
fn import_targets(modules: &[&str], vars: &TofuVars) -> Targets {
    let domain = &vars.domain_name;
    Targets {
        execution_role: execution_role_name(&vars.execution_role_prefix, &vars.function_name),
        main_alias: vars.main_alias_name.clone().unwrap_or_else(|| {
            crate::settings::LAMBDA_MAIN_ALIAS_NAME
                .default_text()
                .to_string()
        }),
        alb: modules.contains(&"networking/alb").then(|| {
            (
                vars.alb_listener_arn.clone().unwrap_or_default(),
                target_group_name(&vars.scope_id),
            )
        }),
        api: modules.contains(&"networking/api_gateway").then(|| {
            (!domain.is_empty() && vars.api_certificate_arn.is_some()).then(|| domain.clone())
        }),
        dns_record: modules.contains(&"dns/route53").then(|| {
            (
                vars.hosted_zone_id.clone().unwrap_or_default(),
                domain.clone(),
            )
        }),
        function: vars.function_name.clone(),
        listener_rules: None,
    }
}

/// The execution role's name (as iam names it: at most 64 characters).
pub fn execution_role_name(prefix: &str, function: &str) -> String {
    format!("{prefix}{function}-role")
        .chars()
        .take(64)
        .collect()
}

/// The compose-tofu step: modules from `TOFU_MODULES_DIR` (default `$SERVICE_PATH/tofu`)
/// into `$OUTPUT_DIR/tofu`. `stored_priority` answers the ALB rule priority kept on an
/// NRN (store-scope-metadata keeps it there after the first apply), if any.
pub async fn compose_step(
    env: Env<'_>,
    stored_priority: impl Fn(&str) -> Option<u64>,
) -> Result<Outputs, StepError> {
    let (modules, mut vars) = plan(env)?;
    let config = crate::aws::sdk_config().await?;
    let mut rules_read = None;
    if let (Some(listener), None) = (&vars.alb_listener_arn, vars.alb_rule_priority) {
        // The priority stored on the scope's NRN wins over re-deriving.
        let priority = match env("SCOPE_NRN").and_then(|nrn| stored_priority(&nrn)) {
            Some(priority) => {
                progress(format!(
                    "♻️ ALB rule priority {priority}: stored on the scope's NRN"
                ));
                u32::try_from(priority).unwrap_or(1)
            }
            None => {
                let (priority, rules) =
                    allocate_priority_on(&config, listener, &vars.scope_id).await?;
                rules_read = Some(rules);
                priority
            }
        };
        vars.alb_rule_priority = Some(u64::from(priority));
    }
    let modules_root = match (env("TOFU_MODULES_DIR"), env("SERVICE_PATH")) {
        (Some(dir), _) => PathBuf::from(dir),
        (None, Some(service)) => PathBuf::from(service).join("tofu"),
        (None, None) => return Err(StepError::new(
            "neither TOFU_MODULES_DIR nor SERVICE_PATH is set",
        )
        .cause("the modules directory (the repository's tofu/) is unknown")
        .fix("run the workflow through the agent (it sets SERVICE_PATH), or set TOFU_MODULES_DIR")
        .usage()),
    };
    let work_dir = PathBuf::from(required(env, "OUTPUT_DIR", "build-scope-context")?).join("tofu");
    let written = compose(&modules_root, &modules, &vars, &work_dir)?;
    let destroying = destroying(env)?;
    let targets = Targets {
        listener_rules: rules_read,
        ..import_targets(&modules, &vars)
    };
    imports::write_imports(&config, &work_dir, &targets, destroying).await?;
    progress(format!(
        "🧩 composed {} ({} files) in {}",
        modules.join(", "),
        written.len(),
        work_dir.display()
    ));
    let mut outputs = Outputs::new();
    outputs
        .set("TOFU_WORKING_DIR", work_dir.display().to_string())
        .set("TOFU_MODULES", modules.join(","));
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_follow_visibility_and_domain() {
        assert_eq!(
            select_modules(Reach::Public, true),
            vec![
                "provider/aws",
                "iam",
                "compute/lambda",
                "networking/api_gateway",
                "dns/route53"
            ]
        );
        assert_eq!(
            select_modules(Reach::Private, false),
            vec!["provider/aws", "iam", "compute/lambda", "networking/alb"]
        );
        assert_eq!(
            select_modules(Reach::EventDriven, true),
            BASE_MODULES.to_vec()
        );
    }

    #[test]
    fn composed_names_cannot_collide_across_modules() {
        assert_eq!(
            composed_name("compute/lambda", "main.tf"),
            "compute_lambda__main.tf"
        );
        assert_ne!(
            composed_name("networking/alb", "main.tf"),
            composed_name("networking/api_gateway", "main.tf")
        );
        assert!(is_test_file("lambda_test.tf"));
        assert!(!is_test_file("main.tf"));
    }
}
