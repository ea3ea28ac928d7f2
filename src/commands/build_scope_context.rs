//! build-scope-context: the names and settings scope workflows derive from CONTEXT.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::context::Context;
use crate::scope_context::build_scope_context;
use crate::step::{self, StepArgs};
use clap::Parser;

/// Derives the scope's names and settings from CONTEXT for scope workflows
/// (create, update, delete, custom scope actions).
///
/// LAMBDA_FUNCTION_NAME is `<scope id>-<application slug>-<scope slug>` with characters
/// Lambda does not allow replaced by `-`, cut to 64. VISIBILITY is `event-driven` when
/// .scope.capabilities.http_enabled is false, else .scope.capabilities.visibility
/// (default public). Private scopes also check the ALB listener-rule capacity.
///
/// Reads: CONTEXT (.scope.id/.slug/.nrn/.capabilities, .namespace.slug,
/// .application.slug, .account.slug, .providers["scope-configurations"].networking),
/// LAMBDA_ARCHITECTURE, ALB_LISTENER_RULE_CAPACITY (default 100),
/// ALB_LISTENER_RULE_ALERT_THRESHOLD (default 80), NP_OUTPUT_DIR, SERVICE_PATH.
///
/// Outputs: SCOPE_ID, SCOPE_SLUG, SCOPE_NRN, NAMESPACE_SLUG, APPLICATION_SLUG,
/// ACCOUNT_SLUG, LAMBDA_FUNCTION_NAME, VISIBILITY, PACKAGE_TYPE (Zip | Image),
/// ASSET_TYPE (lambda | docker-image), RUNTIME, HANDLER, ARCHITECTURE, OUTPUT_DIR
/// (created), RESOURCE_TAGS_JSON, ALB_LISTENER_RULE_CAPACITY and
/// ALB_LISTENER_RULE_ALERT_THRESHOLD (empty unless the scope is private).
#[derive(Parser)]
#[command(name = "build-scope-context", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run(&cli.step, || {
        let ctx = Context::from_env()?;
        build_scope_context(&ctx, &|name| std::env::var(name).ok())
    })
}
