//! What a diagnosis looks at (the target: function, alias, deployment, visibility,
//! domain, the role the workflow assumed) and the AWS clients the checks share, with
//! the function lookup most checks start from.

use serde_json::json;

use crate::aws::CallFailure;
use crate::context::Context;
use crate::report::StepError;
use crate::scope_context::{self, Env, ScopeNames};

use super::Outcome;

/// The inputs of a diagnosis: the outputs of the earlier workflow steps (assume_role,
/// build-scope-context / build-deployment-context, fetch-scope-config), with CONTEXT as
/// the fallback for the names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub function_name: Option<String>,
    pub alias: String,
    pub deployment_id: Option<String>,
    /// The version the deployment published (`LAMBDA_GREEN_VERSION`), when known.
    pub deployment_version: Option<String>,
    /// `public` | `private` | `event-driven`.
    pub visibility: Option<String>,
    /// The scope's declared architecture (`ARCHITECTURE`).
    pub architecture: Option<String>,
    /// The deployment's image (`IMAGE_URI`); else the function's image is checked.
    pub image_uri: Option<String>,
    pub domain: Option<String>,
    pub assumed_role_arn: Option<String>,
    pub credential_expiration: Option<String>,
    pub private_listener_arn: Option<String>,
    pub public_listener_arn: Option<String>,
}

impl Target {
    /// Reads the step outputs from `env`, falling back to CONTEXT for what they lack.
    pub fn resolve(ctx: &Context, env: Env) -> Result<Target, StepError> {
        let var = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        let function_name = match var("LAMBDA_FUNCTION_NAME") {
            Some(name) => Some(name),
            None => ScopeNames::from_context(ctx)
                .ok()
                .map(|names| names.function_name),
        };
        let visibility = match var("VISIBILITY") {
            Some(value) => Some(value),
            None => scope_context::visibility(ctx)
                .ok()
                .map(|v| v.as_str().to_string()),
        };
        let deployment_id = var("DEPLOYMENT_ID").or_else(|| ctx.string("deployment.id"));
        Ok(Target {
            function_name,
            alias: crate::settings::LAMBDA_MAIN_ALIAS_NAME
                .value(&var)
                .unwrap_or_default(),
            deployment_version: var("LAMBDA_GREEN_VERSION"),
            deployment_id,
            visibility,
            architecture: var("ARCHITECTURE")
                .or_else(|| ctx.string("scope.capabilities.architecture")),
            image_uri: var("IMAGE_URI"),
            domain: var("SCOPE_DOMAIN").or_else(|| ctx.string("scope.domain")),
            assumed_role_arn: var("ASSUME_ROLE_ARN"),
            credential_expiration: var("AWS_CREDENTIAL_EXPIRATION"),
            private_listener_arn: var("ALB_PRIVATE_LISTENER_ARN"),
            public_listener_arn: var("ALB_PUBLIC_LISTENER_ARN"),
        })
    }

    /// The resources a check of `category` is about when it names none itself: the
    /// platform lists them as the finding's `affected`.
    pub fn subjects(&self, category: &str) -> Vec<String> {
        let function = self
            .function_name
            .as_ref()
            .map(|name| format!("{name}:{}", self.alias));
        let subjects = match category {
            "identity" => vec![self.assumed_role_arn.clone()],
            "networking" => vec![self.domain.clone().filter(|d| !d.is_empty()), function],
            _ => vec![function],
        };
        subjects.into_iter().flatten().collect()
    }
}

/// The target plus one client per AWS service the checks call, and the function
/// lookup the checks share.
pub struct Probe {
    pub target: Target,
    /// `lambda:GetFunction`, made once however many checks need it.
    function: tokio::sync::OnceCell<FunctionLookup>,
    pub sts: aws_sdk_sts::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub iam: aws_sdk_iam::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub apigateway: aws_sdk_apigatewayv2::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
}

/// The parts of `lambda:GetFunction` the checks read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionInfo {
    pub name: String,
    pub arn: String,
    pub state: Option<String>,
    pub state_reason: Option<String>,
    pub last_update_status: Option<String>,
    pub last_update_reason: Option<String>,
    pub package_type: Option<String>,
    pub image_uri: Option<String>,
    pub role: Option<String>,
    pub architectures: Vec<String>,
}

/// The function lookup: found, missing, or the outcome to report when the lookup
/// itself could not be done.
#[derive(Clone)]
pub enum FunctionLookup {
    Found(FunctionInfo),
    Missing(String),
    Unavailable(Outcome),
}

impl Probe {
    pub fn new(config: &aws_config::SdkConfig, target: Target) -> Probe {
        Probe {
            target,
            function: tokio::sync::OnceCell::new(),
            sts: aws_sdk_sts::Client::new(config),
            lambda: aws_sdk_lambda::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            ecr: aws_sdk_ecr::Client::new(config),
            apigateway: aws_sdk_apigatewayv2::Client::new(config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(config),
        }
    }

    /// `lambda:GetFunction` on the target function: the first check to ask makes the
    /// call, the others (concurrent or later) share its answer.
    pub async fn function(&self) -> FunctionLookup {
        self.function
            .get_or_init(|| self.look_up_function())
            .await
            .clone()
    }

    async fn look_up_function(&self) -> FunctionLookup {
        let Some(name) = self.target.function_name.clone() else {
            return FunctionLookup::Unavailable(missing_function_name());
        };
        match self.lambda.get_function().function_name(&name).send().await {
            Ok(answer) => {
                let Some(config) = answer.configuration() else {
                    return FunctionLookup::Unavailable(Outcome::warning(
                        "lambda:GetFunction answered without a configuration",
                    ));
                };
                FunctionLookup::Found(FunctionInfo {
                    name: name.clone(),
                    arn: config.function_arn().unwrap_or_default().to_string(),
                    state: config.state().map(|s| s.as_str().to_string()),
                    state_reason: config.state_reason().map(str::to_string),
                    last_update_status: config.last_update_status().map(|s| s.as_str().to_string()),
                    last_update_reason: config.last_update_status_reason().map(str::to_string),
                    package_type: config.package_type().map(|p| p.as_str().to_string()),
                    image_uri: answer
                        .code()
                        .and_then(|code| code.image_uri())
                        .map(str::to_string),
                    role: config.role().map(str::to_string),
                    architectures: config
                        .architectures()
                        .iter()
                        .map(|a| a.as_str().to_string())
                        .collect(),
                })
            }
            Err(err) => {
                let failure = CallFailure::from_sdk(&err);
                if failure.is_not_found() {
                    FunctionLookup::Missing(name)
                } else {
                    FunctionLookup::Unavailable(call_not_done(
                        "lambda:GetFunction",
                        &name,
                        &failure,
                    ))
                }
            }
        }
    }

    /// The function for a check that needs it; otherwise the outcome to report
    /// (skipped when it is missing: lambda_exists reports that failure).
    pub async fn require_function(&self) -> Result<FunctionInfo, Outcome> {
        match self.function().await {
            FunctionLookup::Found(info) => Ok(info),
            FunctionLookup::Missing(name) => Err(Outcome::skipped(format!(
                "function {name} does not exist (see lambda_exists)"
            ))
            .evidence(json!({"function_name": name}))),
            FunctionLookup::Unavailable(outcome) => Err(outcome),
        }
    }
}

/// No function name: nothing function-related can be checked.
pub fn missing_function_name() -> Outcome {
    Outcome::skipped("no function name: LAMBDA_FUNCTION_NAME is unset and CONTEXT lacks the scope names")
        .cause("build-scope-context / build-deployment-context did not run before diagnose")
        .fix("run diagnose through workflows/scope/diagnose.yaml or workflows/deployment/diagnose.yaml, or set LAMBDA_FUNCTION_NAME")
}

/// A call that could not be made or was refused: skipped when the role lacks the
/// permission (with the action to grant), a warning for anything else — never a pass.
pub fn call_not_done(action: &str, resource: &str, failure: &CallFailure) -> Outcome {
    let evidence = json!({"action": action, "resource": resource, "error": failure.summary()});
    if failure.is_access_denied() {
        Outcome::skipped(format!("cannot check: {action} was denied on {resource}"))
            .evidence(evidence)
            .cause(format!("the role the workflow acts as lacks {action}"))
            .fix(format!(
                "grant {action} to the scope's role (the install module's policy lists every action diagnose needs: `iam-policy`)"
            ))
    } else {
        Outcome::warning(format!(
            "cannot check: {action} on {resource} failed: {}",
            failure.summary()
        ))
        .evidence(evidence)
        .cause("the AWS API was unreachable, or AWS_REGION is not the scope's region")
        .fix("check AWS_REGION (from fetch-scope-config) and the network path to AWS, then re-run the diagnosis")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_what_each_category_looks_at() {
        let ctx = Context::from_value(json!({"scope": {"domain": "dev.example.com"}}));
        let env = |name: &str| {
            match name {
                "LAMBDA_FUNCTION_NAME" => Some("fn-7"),
                "ASSUME_ROLE_ARN" => Some("arn:aws:iam::1:role/r"),
                _ => None,
            }
            .map(str::to_string)
        };
        let target = Target::resolve(&ctx, &env).unwrap();
        assert_eq!(target.subjects("function"), vec!["fn-7:main"]);
        assert_eq!(target.subjects("identity"), vec!["arn:aws:iam::1:role/r"]);
        assert_eq!(
            target.subjects("networking"),
            vec!["dev.example.com", "fn-7:main"]
        );
        let unknown = Target::resolve(&Context::from_value(json!({})), &|_| None).unwrap();
        assert!(unknown.subjects("function").is_empty());
    }

    #[test]
    fn target_prefers_step_outputs_and_falls_back_to_context() {
        let ctx = Context::from_value(json!({
            "scope": {"id": 7, "slug": "dev", "nrn": "organization=1:account=2:namespace=3:application=4:scope=7",
                      "domain": "dev.example.com", "capabilities": {"visibility": "private"}},
            "application": {"slug": "app"}, "namespace": {"slug": "ns"}, "account": {"slug": "acc"},
            "deployment": {"id": 9}
        }));
        let none = |_: &str| None;
        let target = Target::resolve(&ctx, &none).unwrap();
        assert_eq!(target.function_name.as_deref(), Some("7-app-dev"));
        assert_eq!(target.visibility.as_deref(), Some("private"));
        assert_eq!(target.domain.as_deref(), Some("dev.example.com"));
        assert_eq!(target.deployment_id.as_deref(), Some("9"));
        assert_eq!(target.alias, "main");

        let env = |name: &str| match name {
            "LAMBDA_FUNCTION_NAME" => Some("given".to_string()),
            "LAMBDA_MAIN_ALIAS_NAME" => Some("live".to_string()),
            "ASSUME_ROLE_ARN" => Some(String::new()),
            _ => None,
        };
        let target = Target::resolve(&ctx, &env).unwrap();
        assert_eq!(target.function_name.as_deref(), Some("given"));
        assert_eq!(target.alias, "live");
        assert_eq!(target.assumed_role_arn, None, "empty means unset");
    }

    #[test]
    fn denied_calls_are_skipped_and_other_errors_warn() {
        let denied = CallFailure {
            code: Some("AccessDeniedException".into()),
            message: "no".into(),
            status: Some(403),
        };
        let outcome = call_not_done("ecr:GetRepositoryPolicy", "repo", &denied);
        assert_eq!(outcome.status, super::super::Status::Skipped);
        assert!(outcome
            .summary
            .contains("ecr:GetRepositoryPolicy was denied"));
        let broken = CallFailure {
            code: None,
            message: "dispatch failure".into(),
            status: None,
        };
        assert_eq!(
            call_not_done("lambda:GetAlias", "f", &broken).status,
            super::super::Status::Warning
        );
    }
}
