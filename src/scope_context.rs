//! The context steps: the names and settings every scope and deployment workflow
//! derives from CONTEXT (function name, visibility, package type, tags, asset
//! location) and the blue/green versions a deployment finds on the function (listed by
//! `deploy::version`).
//! Each missing or malformed CONTEXT field is a ❌/💡/🔧 naming its jq path.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::aws::sdk_config;
use crate::config::{Resolved, Setting, Source};
use crate::context::Context;
use crate::deploy::parameters::{secret_name, ParametersStrategy};
use crate::deploy::version::{list_function_versions, version_for_deployment};
use crate::ids;
use crate::report::StepError;
use crate::settings;
use crate::step::{progress, warn, Outputs};

/// Lambda function names: at most 64 characters of `[A-Za-z0-9_-]`.
pub const FUNCTION_NAME_MAX: usize = 64;

pub use crate::step::Env;

fn context_error(path: &str, problem: &str) -> StepError {
    StepError::new(format!("CONTEXT .{path} {problem}"))
        .cause("the action was not started with a fully built context, or the field was renamed")
        .fix(format!(
            "check the notification: `echo \"$CONTEXT\" | jq '.{path}'`"
        ))
}

/// A required scalar (string or number) at a dotted path.
pub fn required(ctx: &Context, path: &str) -> Result<String, StepError> {
    optional(ctx, path)?.ok_or_else(|| context_error(path, "has no value"))
}

/// An optional scalar at a dotted path: `None` when absent, null or `""`; an object
/// or array is malformed.
pub fn optional(ctx: &Context, path: &str) -> Result<Option<String>, StepError> {
    match ctx.get(path) {
        None => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(Value::Bool(flag)) => Ok(Some(flag.to_string())),
        Some(_) => Err(context_error(
            path,
            "is an object or list, not a single value",
        )),
    }
}

/// The names derived from the scope, shared by scope and deployment workflows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeNames {
    pub scope_id: String,
    pub scope_slug: String,
    pub scope_nrn: String,
    pub namespace_slug: String,
    pub application_slug: String,
    pub account_slug: String,
    pub function_name: String,
}

impl ScopeNames {
    pub fn from_context(ctx: &Context) -> Result<Self, StepError> {
        let scope_id = required(ctx, "scope.id")?;
        ids::check_id("scope id", ".scope.id", &scope_id)?;
        let scope_slug = required(ctx, "scope.slug")?;
        let application_slug = required(ctx, "application.slug")?;
        Ok(ScopeNames {
            function_name: function_name(&scope_id, &application_slug, &scope_slug),
            scope_nrn: required(ctx, "scope.nrn")?,
            namespace_slug: required(ctx, "namespace.slug")?,
            account_slug: required(ctx, "account.slug")?,
            scope_id,
            scope_slug,
            application_slug,
        })
    }

    pub fn set_outputs(&self, outputs: &mut Outputs) {
        outputs
            .set("SCOPE_ID", &self.scope_id)
            .set("SCOPE_SLUG", &self.scope_slug)
            .set("SCOPE_NRN", &self.scope_nrn)
            .set("NAMESPACE_SLUG", &self.namespace_slug)
            .set("APPLICATION_SLUG", &self.application_slug)
            .set("ACCOUNT_SLUG", &self.account_slug)
            .set("LAMBDA_FUNCTION_NAME", &self.function_name);
    }

    /// The tags every resource of the scope carries (plus the deployment id when given).
    pub fn resource_tags(&self, deployment_id: Option<&str>) -> Value {
        let mut tags = json!({
            "nullplatform:scope-id": self.scope_id,
            "nullplatform:namespace": self.namespace_slug,
            "nullplatform:application": self.application_slug,
            "nullplatform:scope": self.scope_slug,
        });
        if let Some(id) = deployment_id {
            tags["nullplatform:deployment-id"] = json!(id);
        }
        tags
    }
}

/// `<scope id>-<application slug>-<scope slug>`, every character Lambda does not
/// allow in a function name replaced by `-`, cut to 64 characters.
pub fn function_name(scope_id: &str, application_slug: &str, scope_slug: &str) -> String {
    format!("{scope_id}-{application_slug}-{scope_slug}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(FUNCTION_NAME_MAX)
        .collect()
}

/// How the function is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Private,
    EventDriven,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
            Visibility::EventDriven => "event-driven",
        }
    }
}

/// `event-driven` when `.scope.capabilities.http_enabled` is false, else
/// `.scope.capabilities.visibility` (`public` | `private`, default `public`).
pub fn visibility(ctx: &Context) -> Result<Visibility, StepError> {
    const HTTP: &str = "scope.capabilities.http_enabled";
    let http_enabled = match ctx.get(HTTP) {
        None => true,
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) if text == "true" => true,
        Some(Value::String(text)) if text == "false" => false,
        Some(_) => return Err(context_error(HTTP, "has a value that is not true or false")),
    };
    if !http_enabled {
        return Ok(Visibility::EventDriven);
    }
    const PATH: &str = "scope.capabilities.visibility";
    match optional(ctx, PATH)?.as_deref() {
        None | Some("public") => Ok(Visibility::Public),
        Some("private") => Ok(Visibility::Private),
        Some(other) => Err(context_error(
            PATH,
            &format!("has `{other}` (expected public or private)"),
        )),
    }
}

/// How the function's code is packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageType {
    Zip,
    Image,
}

impl PackageType {
    /// Lambda's `PackageType`.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageType::Zip => "Zip",
            PackageType::Image => "Image",
        }
    }

    /// nullplatform's asset type for this package type.
    pub fn asset_type(self) -> &'static str {
        match self {
            PackageType::Zip => "lambda",
            PackageType::Image => "docker-image",
        }
    }
}

const DEPLOYMENT_TYPE: &str = "scope.capabilities.deployment_type";

/// `.scope.capabilities.deployment_type`: `zip` → Zip, `docker-image` → Image;
/// `None` when the capability is not set.
pub fn declared_package_type(ctx: &Context) -> Result<Option<PackageType>, StepError> {
    match optional(ctx, DEPLOYMENT_TYPE)?.as_deref() {
        None => Ok(None),
        Some("zip") => Ok(Some(PackageType::Zip)),
        Some("docker-image") => Ok(Some(PackageType::Image)),
        Some(other) => Err(context_error(
            DEPLOYMENT_TYPE,
            &format!("has `{other}` (expected zip or docker-image)"),
        )),
    }
}

/// A capability through the precedence helper: `.scope.capabilities.<key>`, then
/// `env_var`, then `default`; an object or list there is malformed.
fn capability(
    ctx: &Context,
    key: &str,
    env_var: Option<&str>,
    default: &str,
    env: Env,
) -> Result<Resolved, StepError> {
    let path = format!("scope.capabilities.{key}");
    optional(ctx, &path)?;
    let mut setting = Setting::new().jq(format!(".{path}"));
    if let Some(name) = env_var {
        setting = setting.env(name);
    }
    let resolved = setting.default_value(default).resolve_with(ctx, env)?;
    Ok(resolved.expect("a default is always set"))
}

/// `ARCHITECTURE`: capability > `LAMBDA_ARCHITECTURE` > `arm64`; `arm64` or `x86_64`.
pub fn architecture(ctx: &Context, env: Env) -> Result<String, StepError> {
    let resolved = capability(
        ctx,
        "architecture",
        Some(settings::LAMBDA_ARCHITECTURE.generic),
        settings::LAMBDA_ARCHITECTURE.default_text(),
        env,
    )?;
    match resolved.value.as_str() {
        "arm64" | "x86_64" => Ok(resolved.value),
        other => {
            let err = match &resolved.source {
                Source::Env(name) => StepError::new(format!(
                    "{name} is `{other}`: Lambda supports arm64 or x86_64"
                ))
                .cause("values.yaml or the agent's environment sets an unknown architecture")
                .fix(format!("set {name} to arm64 or x86_64 in values.yaml")),
                _ => context_error(
                    "scope.capabilities.architecture",
                    &format!("has `{other}` (expected arm64 or x86_64)"),
                ),
            };
            Err(err)
        }
    }
}

/// Where steps write files for this scope: `$NP_OUTPUT_DIR/output/<scope id>`, else
/// `$SERVICE_PATH/output/<scope id>`, else `./output/<scope id>`; created here.
pub fn output_dir(scope_id: &str, env: Env) -> Result<PathBuf, StepError> {
    // The one folder compose-tofu clears of *.tf files: never outside NP_OUTPUT_DIR.
    ids::check_id("scope id", "the scope", scope_id)?;
    let base = ["NP_OUTPUT_DIR", "SERVICE_PATH"]
        .iter()
        .find_map(|name| env(name).filter(|value| !value.is_empty()))
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")));
    let dir = base.join("output").join(scope_id);
    std::fs::create_dir_all(&dir).map_err(|err| {
        StepError::new(format!(
            "could not create the output directory {}: {err}",
            dir.display()
        ))
        .cause("the parent directory is not writable, or the disk is full")
        .fix("set NP_OUTPUT_DIR to a writable directory, or check `df -h` and the permissions")
    })?;
    Ok(dir)
}

/// The ALB listener-rule capacity and alert threshold for private scopes; the
/// capacity must exceed the threshold.
pub fn listener_rule_capacity(ctx: &Context, env: Env) -> Result<(u64, u64), StepError> {
    let number = |key: &str, env_var: &str, default: &str| -> Result<u64, StepError> {
        let resolved = Setting::new()
            .jq(format!(
                ".providers[\"scope-configurations\"].networking.{key}"
            ))
            .env(env_var)
            .default_value(default)
            .resolve_with(ctx, env)?
            .expect("a default is always set");
        resolved.value.trim().parse().map_err(|_| {
            let place = match &resolved.source {
                Source::Env(name) => name.clone(),
                _ => format!("scope-configurations `networking.{key}`"),
            };
            StepError::new(format!(
                "{place} is `{}`, not a whole number",
                resolved.value
            ))
            .cause("the setting was written with units or as a word")
            .fix(format!("set {place} to a whole number such as {default}"))
        })
    };
    let capacity = number(
        "alb_listener_rule_capacity",
        settings::ALB_LISTENER_RULE_CAPACITY.generic,
        settings::ALB_LISTENER_RULE_CAPACITY.default_text(),
    )?;
    let threshold = number(
        "alb_listener_rule_alert_threshold",
        settings::ALB_LISTENER_RULE_ALERT_THRESHOLD.generic,
        settings::ALB_LISTENER_RULE_ALERT_THRESHOLD.default_text(),
    )?;
    if capacity <= threshold {
        return Err(StepError::new(format!(
            "ALB listener rule capacity ({capacity}) is at or below the alert threshold ({threshold})"
        ))
        .cause("too many private scopes share the same internal ALB listener")
        .cause("the listener has a hard limit of rules, and this scope would add one more")
        .fix("raise ALB_LISTENER_RULE_CAPACITY (or scope-configurations networking.alb_listener_rule_capacity) if the ALB allows more rules")
        .fix("delete unused private scopes to free listener rules, or provision another internal ALB"));
    }
    Ok((capacity, threshold))
}

/// The settings both context steps export besides the names.
#[derive(Debug, Clone)]
struct Common {
    names: ScopeNames,
    visibility: Visibility,
    runtime: String,
    handler: String,
    architecture: String,
    output_dir: PathBuf,
}

fn common(ctx: &Context, env: Env) -> Result<Common, StepError> {
    let names = ScopeNames::from_context(ctx)?;
    Ok(Common {
        visibility: visibility(ctx)?,
        runtime: capability(ctx, "runtime", None, "nodejs22.x", env)?.value,
        handler: capability(ctx, "handler", None, "index.handler", env)?.value,
        architecture: architecture(ctx, env)?,
        output_dir: output_dir(&names.scope_id, env)?,
        names,
    })
}

impl Common {
    fn set_outputs(&self, outputs: &mut Outputs, package: PackageType) {
        self.names.set_outputs(outputs);
        outputs
            .set("VISIBILITY", self.visibility.as_str())
            .set("PACKAGE_TYPE", package.as_str())
            .set("ASSET_TYPE", package.asset_type())
            .set("RUNTIME", &self.runtime)
            .set("HANDLER", &self.handler)
            .set("ARCHITECTURE", &self.architecture)
            .set("OUTPUT_DIR", self.output_dir.display().to_string());
    }
}

/// The `build-scope-context` step body.
pub fn build_scope_context(ctx: &Context, env: Env) -> Result<Outputs, StepError> {
    progress("🔍 Building scope context...");
    let common = common(ctx, env)?;
    let package = declared_package_type(ctx)?.unwrap_or(PackageType::Image);
    let mut outputs = Outputs::new();
    common.set_outputs(&mut outputs, package);
    // Empty unless private, so workflows can declare both outputs for every scope.
    let (capacity, threshold) = if common.visibility == Visibility::Private {
        let (capacity, threshold) = listener_rule_capacity(ctx, env)?;
        (capacity.to_string(), threshold.to_string())
    } else {
        Default::default()
    };
    outputs
        .set("ALB_LISTENER_RULE_CAPACITY", capacity)
        .set("ALB_LISTENER_RULE_ALERT_THRESHOLD", threshold);
    outputs.set(
        "RESOURCE_TAGS_JSON",
        common.names.resource_tags(None).to_string(),
    );
    log_outputs(&outputs);
    progress(format!(
        "📋 Function: {} | Visibility: {}",
        common.names.function_name,
        common.visibility.as_str()
    ));
    progress("✨ Scope context built");
    Ok(outputs)
}

fn log_outputs(outputs: &Outputs) {
    for name in outputs.names() {
        let value = outputs.get(name).unwrap_or_default();
        progress(format!(
            "   ✅ {name}={}",
            if value.is_empty() { "(empty)" } else { value }
        ));
    }
}

/// `s3://bucket/key` → (bucket, key); `None` for anything else.
pub fn parse_s3_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_string(), key.to_string()))
}

/// Where the deployment's code is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetLocation {
    Image(String),
    S3 {
        bucket: String,
        key: String,
    },
    /// No `.asset.url` (allowed unless the asset is required).
    Missing,
}

const ASSET_URL: &str = "asset.url";
const ASSET_TYPE: &str = "asset.type";

/// The package type and asset location of a deployment. The scope's
/// `deployment_type` capability decides; without it the asset type does
/// (`docker-image` → Image, `lambda` or an `s3://` URL → Zip), else Image.
pub fn deployment_asset(
    ctx: &Context,
    require_asset: bool,
) -> Result<(PackageType, AssetLocation), StepError> {
    let declared = declared_package_type(ctx)?;
    let asset_type = optional(ctx, ASSET_TYPE)?;
    let url = optional(ctx, ASSET_URL)?;
    let hinted = match asset_type.as_deref() {
        Some("docker-image") => Some(PackageType::Image),
        Some("lambda") => Some(PackageType::Zip),
        _ => None,
    };
    if let (Some(declared), Some(hinted)) = (declared, hinted) {
        if declared != hinted {
            return Err(StepError::new(format!(
                "the asset is a {} (.asset.type) but the scope deploys {} (.scope.capabilities.deployment_type)",
                hinted.asset_type(),
                declared.asset_type()
            ))
            .cause("the release was built for another kind of scope")
            .fix(format!(
                "deploy a release whose asset is a {} to this scope, or create a scope with the matching deployment type",
                declared.asset_type()
            )));
        }
    }
    let from_url = url
        .as_deref()
        .filter(|url| url.starts_with("s3://"))
        .map(|_| PackageType::Zip);
    let package = declared
        .or(hinted)
        .or(from_url)
        .unwrap_or(PackageType::Image);
    let Some(url) = url else {
        if require_asset {
            return Err(context_error(ASSET_URL, "has no value").cause(
                "the deployment's release has no built asset (the build did not finish or did not upload it)",
            ));
        }
        return Ok((package, AssetLocation::Missing));
    };
    match package {
        PackageType::Image if url.starts_with("s3://") => Err(context_error(
            ASSET_URL,
            &format!("has `{url}`, an S3 object, but the function runs a container image"),
        )
        .fix("deploy a release built as a docker-image (an ECR image URI)")),
        PackageType::Image => Ok((package, AssetLocation::Image(url))),
        PackageType::Zip => match parse_s3_url(&url) {
            Some((bucket, key)) => Ok((package, AssetLocation::S3 { bucket, key })),
            None => Err(context_error(
                ASSET_URL,
                &format!("has `{url}`, which is not s3://bucket/key"),
            )
            .cause("the zip asset was not uploaded to S3, or its URL was rewritten")
            .fix("expected form: s3://bucket-name/path/to/asset.zip")),
        },
    }
}

/// `.deployment.strategy_data.desired_switched_traffic` (default 100), a number from 0 to 100.
pub fn desired_traffic(ctx: &Context) -> Result<String, StepError> {
    const PATH: &str = "deployment.strategy_data.desired_switched_traffic";
    let Some(text) = optional(ctx, PATH)? else {
        return Ok("100".to_string());
    };
    match text.trim().parse::<f64>() {
        Ok(number) if (0.0..=100.0).contains(&number) => Ok(text.trim().to_string()),
        _ => Err(context_error(
            PATH,
            &format!("has `{text}` (expected a percentage from 0 to 100)"),
        )),
    }
}

/// Options of `build-deployment-context`.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct DeploymentOptions {
    /// Fail when CONTEXT has no asset URL (.asset.url): workflows that deploy code.
    #[arg(long, env = "REQUIRE_ASSET")]
    pub require_asset: bool,
}

/// The `build-deployment-context` step body.
pub async fn build_deployment_context(
    ctx: &Context,
    options: &DeploymentOptions,
    env: Env<'_>,
) -> Result<Outputs, StepError> {
    progress("🔍 Building deployment context...");
    let common = common(ctx, env)?;
    let deployment_id = required(ctx, "deployment.id")?;
    ids::check_id("deployment id", ".deployment.id", &deployment_id)?;
    let (package, asset) = deployment_asset(ctx, options.require_asset)?;
    let strategy = optional(ctx, "deployment.strategy")?.unwrap_or_else(|| "initial".into());
    let traffic = desired_traffic(ctx)?;
    let blue_deployment_id = optional(ctx, "scope.current_active_deployment")?.unwrap_or_default();
    let alias = Setting::new()
        .operator(&settings::LAMBDA_MAIN_ALIAS_NAME)
        .resolve_with(ctx, env)?
        .expect("a default is always set")
        .value;
    if !valid_alias(&alias) {
        return Err(StepError::new(format!(
            "LAMBDA_MAIN_ALIAS_NAME is `{alias}`: not a valid Lambda alias name"
        ))
        .cause("an alias is 1–128 letters, digits, - or _, and not only digits")
        .fix("set LAMBDA_MAIN_ALIAS_NAME to a name such as main"));
    }
    let parameters_strategy = Setting::new()
        .operator(&settings::PARAMETERS_STRATEGY)
        .resolve_with(ctx, env)?
        .expect("a default is always set")
        .value;
    if ParametersStrategy::parse(&parameters_strategy).is_none() {
        return Err(StepError::new(format!(
            "PARAMETERS_STRATEGY is `{parameters_strategy}`: expected env or secretsmanager"
        ))
        .cause("values.yaml or the agent's environment sets an unknown strategy")
        .fix("set PARAMETERS_STRATEGY to env (parameters as environment variables) or secretsmanager"));
    }

    progress(format!(
        "📋 Scope: {} | Deployment: {deployment_id} | Strategy: {strategy}",
        common.names.scope_id
    ));
    progress(format!(
        "   📡 Looking up versions of {} by deployment id...",
        common.names.function_name
    ));
    let config = sdk_config().await?;
    let client = aws_sdk_lambda::Client::new(&config);
    let versions = list_function_versions(&client, &common.names.function_name).await?;
    let (green, blue) = match &versions {
        None => {
            progress("   ℹ️  the function does not exist yet (initial deployment)");
            (None, None)
        }
        Some(versions) => (
            version_for_deployment(versions, &deployment_id),
            version_for_deployment(versions, &blue_deployment_id),
        ),
    };
    if !blue_deployment_id.is_empty() && blue.is_none() && versions.is_some() {
        warn(format!(
            "no published version carries the active deployment id {blue_deployment_id}: LAMBDA_BLUE_VERSION is empty"
        ));
    }

    let mut outputs = Outputs::new();
    common.set_outputs(&mut outputs, package);
    outputs
        .set("DEPLOYMENT_ID", &deployment_id)
        .set("LAMBDA_MAIN_ALIAS_NAME", &alias)
        .set("DEPLOYMENT_STRATEGY", &strategy)
        .set(
            "IS_BLUE_GREEN",
            strategy.eq_ignore_ascii_case("blue_green").to_string(),
        )
        .set("DESIRED_TRAFFIC", &traffic)
        .set("BLUE_DEPLOYMENT_ID", &blue_deployment_id)
        .set("LAMBDA_GREEN_VERSION", green.clone().unwrap_or_default())
        .set("LAMBDA_BLUE_VERSION", blue.unwrap_or_default())
        .set("LAMBDA_CURRENT_VERSION", green.unwrap_or_default());
    let (image, bucket, key) = match asset {
        AssetLocation::Image(uri) => (uri, String::new(), String::new()),
        AssetLocation::S3 { bucket, key } => (String::new(), bucket, key),
        AssetLocation::Missing => {
            warn(format!(
                "CONTEXT has no .{ASSET_URL}: IMAGE_URI / S3_BUCKET / S3_KEY are empty"
            ));
            Default::default()
        }
    };
    outputs
        .set("IMAGE_URI", image)
        .set("S3_BUCKET", bucket)
        .set("S3_KEY", key)
        .set("PARAMETERS_STRATEGY", &parameters_strategy)
        .set(
            "SECRETS_MANAGER_SECRET_NAME",
            secret_name(&common.names.scope_id, &deployment_id),
        )
        .set(
            "RESOURCE_TAGS_JSON",
            common.names.resource_tags(Some(&deployment_id)).to_string(),
        );
    log_outputs(&outputs);
    progress("✨ Deployment context built");
    Ok(outputs)
}

fn valid_alias(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(value: Value) -> Context {
        Context::from_value(value)
    }

    #[test]
    fn function_name_is_cut_to_64_allowed_characters() {
        assert_eq!(function_name("7", "automation", "dev"), "7-automation-dev");
        let long = function_name("123", &"a".repeat(40), &"b".repeat(40));
        assert_eq!(long.len(), 64);
        assert_eq!(long, format!("123-{}-{}", "a".repeat(40), "b".repeat(19)));
        assert_eq!(
            function_name("1", "my.app", "dev scope/ñ"),
            "1-my-app-dev-scope--"
        );
    }

    #[test]
    fn visibility_branches() {
        let v = |caps: Value| visibility(&ctx(json!({"scope": {"capabilities": caps}})));
        assert_eq!(v(json!({})).unwrap(), Visibility::Public);
        assert_eq!(
            v(json!({"visibility": "private"})).unwrap(),
            Visibility::Private
        );
        assert_eq!(
            v(json!({"http_enabled": false, "visibility": "private"})).unwrap(),
            Visibility::EventDriven
        );
        assert_eq!(
            v(json!({"http_enabled": "false"})).unwrap(),
            Visibility::EventDriven
        );
        assert_eq!(
            v(json!({"http_enabled": true, "visibility": "public"})).unwrap(),
            Visibility::Public
        );
        let err = v(json!({"visibility": "internal"})).unwrap_err();
        assert!(err.what.contains(".scope.capabilities.visibility"), "{err}");
        let err = v(json!({"http_enabled": 3})).unwrap_err();
        assert!(
            err.what.contains(".scope.capabilities.http_enabled"),
            "{err}"
        );
    }

    #[test]
    fn package_type_from_deployment_type() {
        let p = |caps: Value| declared_package_type(&ctx(json!({"scope": {"capabilities": caps}})));
        assert_eq!(p(json!({})).unwrap(), None);
        assert_eq!(
            p(json!({"deployment_type": "zip"})).unwrap(),
            Some(PackageType::Zip)
        );
        assert_eq!(
            p(json!({"deployment_type": "docker-image"})).unwrap(),
            Some(PackageType::Image)
        );
        assert!(p(json!({"deployment_type": "tarball"}))
            .unwrap_err()
            .what
            .contains(".scope.capabilities.deployment_type"));
        assert_eq!(PackageType::Zip.asset_type(), "lambda");
        assert_eq!(PackageType::Image.asset_type(), "docker-image");
    }

    #[test]
    fn architecture_precedence_and_validation() {
        let with = |caps: Value| ctx(json!({"scope": {"capabilities": caps}}));
        let env = |name: &str| (name == "LAMBDA_ARCHITECTURE").then(|| "x86_64".to_string());
        assert_eq!(architecture(&with(json!({})), &|_| None).unwrap(), "arm64");
        assert_eq!(architecture(&with(json!({})), &env).unwrap(), "x86_64");
        assert_eq!(
            architecture(&with(json!({"architecture": "arm64"})), &env).unwrap(),
            "arm64"
        );
        let err = architecture(&with(json!({"architecture": "mips"})), &env).unwrap_err();
        assert!(
            err.what.contains(".scope.capabilities.architecture"),
            "{err}"
        );
        let bad_env = |_: &str| Some("i386".to_string());
        let err = architecture(&with(json!({})), &bad_env).unwrap_err();
        assert!(err.what.contains("LAMBDA_ARCHITECTURE"), "{err}");
    }

    #[test]
    fn s3_urls() {
        assert_eq!(
            parse_s3_url("s3://bucket/path/to/app.zip"),
            Some(("bucket".into(), "path/to/app.zip".into()))
        );
        assert_eq!(parse_s3_url("s3://bucket/"), None);
        assert_eq!(parse_s3_url("s3://bucket"), None);
        assert_eq!(parse_s3_url("https://bucket.s3.amazonaws.com/k"), None);
    }

    #[test]
    fn asset_location_rules() {
        let c = |caps: Value, asset: Value| {
            ctx(json!({"scope": {"capabilities": caps}, "asset": asset}))
        };
        let image = "1.dkr.ecr.us-east-1.amazonaws.com/app:v1";
        assert_eq!(
            deployment_asset(
                &c(json!({}), json!({"type": "docker-image", "url": image})),
                true
            )
            .unwrap(),
            (PackageType::Image, AssetLocation::Image(image.into()))
        );
        assert_eq!(
            deployment_asset(
                &c(json!({}), json!({"type": "bundle", "url": "s3://b/k.zip"})),
                true
            )
            .unwrap(),
            (
                PackageType::Zip,
                AssetLocation::S3 {
                    bucket: "b".into(),
                    key: "k.zip".into()
                }
            )
        );
        assert_eq!(
            deployment_asset(&c(json!({"deployment_type": "zip"}), json!({})), false).unwrap(),
            (PackageType::Zip, AssetLocation::Missing)
        );
        let err =
            deployment_asset(&c(json!({"deployment_type": "zip"}), json!({})), true).unwrap_err();
        assert!(err.what.contains(".asset.url"), "{err}");
        let err = deployment_asset(
            &c(
                json!({"deployment_type": "zip"}),
                json!({"url": "https://x/y.zip"}),
            ),
            true,
        )
        .unwrap_err();
        assert!(err.what.contains(".asset.url"), "{err}");
        let err = deployment_asset(
            &c(
                json!({"deployment_type": "zip"}),
                json!({"type": "docker-image", "url": image}),
            ),
            true,
        )
        .unwrap_err();
        assert!(err.what.contains(".asset.type"), "{err}");
        let err = deployment_asset(
            &c(
                json!({"deployment_type": "docker-image"}),
                json!({"url": "s3://b/k"}),
            ),
            true,
        )
        .unwrap_err();
        assert!(err.what.contains(".asset.url"), "{err}");
    }

    #[test]
    fn desired_traffic_default_and_range() {
        let t = |data: Value| desired_traffic(&ctx(json!({"deployment": {"strategy_data": data}})));
        assert_eq!(t(json!({})).unwrap(), "100");
        assert_eq!(t(json!({"desired_switched_traffic": 25})).unwrap(), "25");
        assert_eq!(
            t(json!({"desired_switched_traffic": "12.5"})).unwrap(),
            "12.5"
        );
        let err = t(json!({"desired_switched_traffic": 140})).unwrap_err();
        assert!(
            err.what
                .contains(".deployment.strategy_data.desired_switched_traffic"),
            "{err}"
        );
        assert!(t(json!({"desired_switched_traffic": "lots"})).is_err());
    }

    #[test]
    fn listener_capacity_must_exceed_threshold() {
        let with = |networking: Value| {
            ctx(json!({"providers": {"scope-configurations": {"networking": networking}}}))
        };
        assert_eq!(
            listener_rule_capacity(&with(json!({})), &|_| None).unwrap(),
            (100, 80)
        );
        let err =
            listener_rule_capacity(&with(json!({"alb_listener_rule_capacity": 50})), &|_| None)
                .unwrap_err();
        assert!(
            err.what.contains("(50)") && err.what.contains("(80)"),
            "{err}"
        );
        let env =
            |name: &str| (name == "ALB_LISTENER_RULE_ALERT_THRESHOLD").then(|| "10".to_string());
        assert_eq!(
            listener_rule_capacity(&with(json!({"alb_listener_rule_capacity": "50"})), &env)
                .unwrap(),
            (50, 10)
        );
        let bad = |_: &str| Some("many".to_string());
        let err = listener_rule_capacity(&with(json!({})), &bad).unwrap_err();
        assert!(err.what.contains("ALB_LISTENER_RULE_CAPACITY"), "{err}");
    }

    #[test]
    fn names_require_each_field_by_path() {
        let full = json!({
            "scope": {"id": 7, "slug": "dev", "nrn": "organization=1:account=2:namespace=3:application=4:scope=7"},
            "namespace": {"slug": "tools"},
            "application": {"slug": "automation"},
            "account": {"slug": "playground"}
        });
        let names = ScopeNames::from_context(&ctx(full.clone())).unwrap();
        assert_eq!(names.function_name, "7-automation-dev");
        assert_eq!(
            names.resource_tags(Some("8"))["nullplatform:deployment-id"],
            "8"
        );
        for (object, key) in [
            ("scope", "id"),
            ("scope", "slug"),
            ("scope", "nrn"),
            ("namespace", "slug"),
            ("application", "slug"),
            ("account", "slug"),
        ] {
            let mut broken = full.clone();
            broken[object].as_object_mut().unwrap().remove(key);
            let err = ScopeNames::from_context(&ctx(broken)).unwrap_err();
            assert!(err.what.contains(&format!(".{object}.{key}")), "{err}");
            let mut malformed = full.clone();
            malformed[object][key] = json!({"x": 1});
            let err = ScopeNames::from_context(&ctx(malformed)).unwrap_err();
            assert!(err.what.contains(&format!(".{object}.{key}")), "{err}");
        }
    }

    #[test]
    fn alias_names() {
        assert!(valid_alias("main"));
        assert!(valid_alias("blue_green-1"));
        assert!(!valid_alias("12"));
        assert!(!valid_alias("a b"));
        assert!(!valid_alias(""));
    }
}
