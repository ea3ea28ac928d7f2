//! compose-tofu: builds the scope's OpenTofu working directory from the modules in tofu/.
use std::ffi::OsString;
use std::process::ExitCode;

use crate::np::NpClient;
use crate::scope_metadata::stored_priority;
use crate::step::{self, process_env, StepArgs};
use crate::tofu::compose::compose_step;
use clap::Parser;

/// Copies the modules the scope needs from $SERVICE_PATH/tofu (or TOFU_MODULES_DIR) into
/// $OUTPUT_DIR/tofu — provider/aws, iam and compute/lambda always; networking/api_gateway
/// (public) or networking/alb (private); dns/route53 when the scope has a domain and a
/// hosted zone — each file prefixed with its module path, and writes tofu.tfvars.json.
///
/// Reads VISIBILITY, SCOPE_ID, LAMBDA_FUNCTION_NAME, PACKAGE_TYPE, RUNTIME, HANDLER,
/// ARCHITECTURE, RESOURCE_TAGS_JSON, OUTPUT_DIR (build-scope-context); AWS_REGION,
/// AWS_SUBNET_IDS, SECURITY_GROUP_IDS, HOSTED_PUBLIC_ZONE_ID, HOSTED_PRIVATE_ZONE_ID,
/// ALB_PRIVATE_LISTENER_ARN (fetch-scope-config); LAMBDA_FILENAME or
/// PLACEHOLDER_IMAGE_URI (resolve-placeholder-image); SCOPE_DOMAIN (generate-domain);
/// ALB_RULE_PRIORITY (private scopes; else the one stored on SCOPE_NRN as
/// lambda.alb_rule_priority, read with np nrn read — NP_CLI; else the scope's existing
/// rule's priority or the lowest free one on the listener, read with DescribeRules);
/// LOG_RETENTION_DAYS (one of the periods CloudWatch Logs accepts), IAM_PROPAGATION_SECONDS
/// (0–300, default 10); the scope's capabilities memory, timeout and vpc_enabled in
/// CONTEXT (an apply without .scope.capabilities is an error: nothing is composed),
/// else LAMBDA_MEMORY, LAMBDA_TIMEOUT, LAMBDA_VPC_ENABLED (the settings
/// deployments use; VPC-enabled needs AWS_SUBNET_IDS and SECURITY_GROUP_IDS);
/// API_CERTIFICATE_ARN; LAMBDA_EXECUTION_ROLE_PREFIX (below scope-configurations
/// lambda.execution_role_prefix in CONTEXT; default np-lambda-);
/// LAMBDA_EXECUTION_ROLE_PREFIXES_ALLOWED (comma list: warn when outside); TOFU_ACTION
/// (destroy needs no placeholder, and bad function settings only warn).
///
/// Looks up every resource the composition declares (execution role, function, main
/// alias — LAMBDA_MAIN_ALIAS_NAME, default main —, its invoke permission, log group;
/// the HTTP API with its stage, route, integration, custom domain and mapping, or the
/// target group and listener rule; the DNS record) and lists the ones that exist in
/// imports.json; on apply it also writes imports.tf with an import block for each, so
/// tofu adopts what its state lacks (no-ops once in state). run-tofu imports from the
/// list before a destroy. A failed lookup is a warning.
///
/// Outputs: TOFU_WORKING_DIR, TOFU_MODULES (comma-separated module paths).
#[derive(Parser)]
#[command(name = "compose-tofu", version)]
struct Cli {
    #[command(flatten)]
    step: StepArgs,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run_async(
        &cli.step,
        compose_step(&process_env, |nrn| {
            stored_priority(&NpClient::from_env(), nrn)
        }),
    )
}
