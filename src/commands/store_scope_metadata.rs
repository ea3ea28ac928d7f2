//! store-scope-metadata: keeps the scope's ALB rule priority on its NRN (or removes it).
use std::ffi::OsString;
use std::process::ExitCode;

use crate::np::NpClient;
use crate::scope_metadata::store_scope_metadata;
use crate::step::{self, process_env, StepArgs};
use clap::Parser;

/// Stores the ALB listener-rule priority a private scope took on the scope's NRN
/// (`np nrn patch --nrn $SCOPE_NRN --body '{"lambda.alb_rule_priority": N}'`), or, on
/// delete, sets every stored `lambda.` key to null. Scopes without an ALB rule have
/// nothing to store. A failing np call is a warning: the scope itself is fine.
///
/// Reads SCOPE_NRN (build-scope-context), TOFU_ACTION (destroy → remove),
/// ALB_RULE_PRIORITY, else alb_rule_priority in $TOFU_WORKING_DIR/tofu.tfvars.json
/// (default $OUTPUT_DIR/tofu, written by compose-tofu), NP_CLI (default np).
///
/// Outputs (store only): ALB_RULE_PRIORITY (empty when there is no rule).
#[derive(Parser)]
#[command(name = "store-scope-metadata", version)]
struct Cli {
    /// Remove the stored keys instead of storing them (default when TOFU_ACTION=destroy).
    #[arg(long)]
    clear: bool,
    #[command(flatten)]
    step: StepArgs,
}

/// The step's entry: `args` are its command line, program name first.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    step::run(&cli.step, || {
        store_scope_metadata(&NpClient::from_env(), cli.clear, &process_env)
    })
}
