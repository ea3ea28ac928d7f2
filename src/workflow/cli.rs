//! The `scope-workflow` command line: `run` a workflow locally (what `np service workflow
//! exec` does under the agent) and `route` a notification for the channel `entrypoint`.
//! Every failure is one ❌/💡/🔧 report on the progress stream and a non-zero exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use super::document::{Document, Env};
use super::run::{Carry, Runner, Stream};
use super::spec::parse_steps;
use crate::report::StepError;
use crate::routing;

#[derive(Debug, Parser)]
#[command(
    name = "scope-workflow",
    version,
    about = "Runs the scope's YAML workflows locally, exactly as the nullplatform agent would",
    long_about = "Runs the scope's YAML workflows locally, exactly as the nullplatform agent would \
(include, configuration, script/command/workflow/executor steps, outputs, overrides), and routes \
notifications to workflows for the channel entrypoint. See reference/engine.md for the semantics."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a workflow: each step in its own bash, outputs carried to later steps.
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// Route NP_ACTION_CONTEXT to a workflow; prints `export NAME='value'` lines for the entrypoint.
    #[command(after_help = ROUTE_HELP)]
    Route(RouteArgs),
}

const RUN_HELP: &str = "Semantics (those of the nullplatform engine):\n  \
include        files loaded first (recursive, $VAR-expanded paths); the file's own\n                 \
configuration and steps win over what it includes\n  \
configuration  the steps' environment, over the inherited one; maps and lists as JSON,\n                 \
numbers and booleans as text; values may refer to each other ($A, ${B});\n                 \
a step's own configuration stays with that step\n  \
steps          script (file: sourced by bash), command (command: run by bash),\n                 \
workflow (nested steps: or file:), executor (folders: of checks with\n                 \
before_each / after_each; SCRIPT_OUTPUT_FILE, SCRIPT_LOG_FILE per check);\n                 \
optional pre, post, configuration, continue_on_error and output\n                 \
(type environment, file or function)\n  \
$VARS          file:, command:, include and output file: are expanded by the runner\n                 \
before bash sees them, as the engine does (Go's os.ExpandEnv: unset names\n                 \
are empty, ${VAR:-x} is not bash's) - keep shell logic in script files\n  \
--overrides    steps matched by name: no action = deep merge, action: replace or skip;\n                 \
new steps go before: / after: a named step, else last. A name may also be\n                 \
the reference scope's (or a former) name of one of our steps (compose_modules\n                 \
= compose_tofu, do_tofu = tofu, store_nrn_metadata = store_metadata, ...;\n                 \
the agent's engine knows only the real names). Anchoring on, skipping or\n                 \
replacing a step the workflow does not have is an error naming the steps\n                 \
it has (a reference step we do in another says which one)\n\
\n\
Environment:\n  \
CONTEXT           the action context JSON, when --context is not given\n  \
SCOPE_LOG_STREAM  stderr: progress goes to stderr (also read from the configuration)\n  \
NP_OUTPUT_DIR     where executor checks write their files (default: a temporary dir)\n\
Every other variable is passed on to the steps; none is ever printed.\n\
\n\
Exit status: 0 when every step succeeded; the failing step's exit code otherwise;\n\
2 for a bad workflow (YAML, include, unknown step type, an override naming no step).";

const ROUTE_HELP: &str = "Routing (first match):\n  \
log:read             workflows/log/log.yaml\n  \
metric:list          workflows/metric/list.yaml\n  \
metric:*             workflows/metric/metric.yaml\n  \
instance:data        workflows/instance/list.yaml\n  \
with .parameters.deployment_id: workflows/deployment/<name>.yaml by slug\n    \
start-initial → initial, start-blue-green → blue_green,\n    \
switch-traffic → switch_traffic, rollback-deployment → rollback,\n    \
finalize-blue-green → finalize, delete-deployment → delete,\n    \
diagnose-deployment → diagnose\n  \
otherwise: workflows/scope/<name>.yaml by slug\n    \
create-scope → create, update-scope → update, delete-scope → delete,\n    \
diagnose-scope → diagnose, invoke → invoke,\n    \
adjust-provisioned-concurrency → adjust_provisioned_concurrency,\n    \
adjust-reserved-concurrency → adjust_reserved_concurrency;\n    \
else by .type (create, update, delete, diagnose);\n    \
else the slug itself names the file (dashes as underscores)\n\
A workflow missing from --service-path is looked up in the overrides dirs; every\n\
overrides dir holding the workflow adds an override layer, in the order given. An\n\
overrides dir holds it in the documented layout (<dir>/scope/workflows/create.yaml,\n\
<dir>/deployment/workflows/initial.yaml, likewise log, metric, instance) or in ours\n\
(<dir>/workflows/scope/create.yaml); with both, the documented one is used and\n\
SCOPE_WORKFLOW_WARNINGS names both files.\n\
\n\
Prints export lines for: NP_ACTION_CONTEXT CONTEXT SCOPE_ID DEPLOYMENT_ID\n\
SERVICE_ACTION SERVICE_ACTION_TYPE NOTIFICATION_ACTION SERVICE_PATH OVERRIDES_PATH\n\
SCOPE_WORKFLOW_KIND SCOPE_WORKFLOW_TELEMETRY SCOPE_WORKFLOW_PATH\n\
SCOPE_WORKFLOW_OVERRIDES (one file per line), SCOPE_WORKFLOW_WARNINGS (one per line).";

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The workflow YAML file.
    #[arg(value_name = "WORKFLOW")]
    pub workflow: PathBuf,
    /// An override file layered on the workflow (repeatable; applied in order, last wins).
    #[arg(long, value_name = "FILE")]
    pub overrides: Vec<PathBuf>,
    /// A JSON file whose content becomes CONTEXT (default: CONTEXT from the environment).
    #[arg(long, value_name = "FILE")]
    pub context: Option<PathBuf>,
    /// Sets SERVICE_PATH (default: the repository root, found by its steps/_run).
    #[arg(long, value_name = "DIR")]
    pub service_path: Option<PathBuf>,
    /// Carry only declared outputs between steps; a declared output never set is an error.
    #[arg(long, env = "SCOPE_WORKFLOW_STRICT")]
    pub strict: bool,
    /// Print the merged workflow (includes and overrides applied) and run nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct RouteArgs {
    /// The service path holding workflows/ (the last one given wins).
    #[arg(long, value_name = "DIR")]
    pub service_path: PathBuf,
    /// Comma-separated overrides dirs (repeatable).
    #[arg(long, value_name = "DIR[,DIR]", action = clap::ArgAction::Append)]
    pub overrides_path: Vec<String>,
    /// The notification, as the channel sends it (single quotes around the JSON allowed).
    #[arg(
        long,
        env = "NP_ACTION_CONTEXT",
        hide_env_values = true,
        value_name = "JSON"
    )]
    pub action_context: Option<String>,
}

/// Entry point of the binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    let (result, stream) = match cli.command {
        Command::Run(args) => run(&args),
        Command::Route(args) => (route(&args), Stream::Stderr),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            stream.line(&err.to_string());
            ExitCode::from(err.exit_code.max(1))
        }
    }
}

fn route(args: &RouteArgs) -> Result<(), StepError> {
    let overrides: Vec<PathBuf> = args
        .overrides_path
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect();
    let raw = args.action_context.clone().unwrap_or_default();
    let routed = routing::route(&raw, &args.service_path, &overrides)?;
    print!("{}", routed.outputs().to_shell());
    Ok(())
}

/// The environment a run starts from: the process environment (UTF-8 entries), CONTEXT
/// and SERVICE_PATH.
pub fn base_env(args: &RunArgs) -> Result<Env, StepError> {
    let mut env: Env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    if let Some(path) = &args.context {
        let text = std::fs::read_to_string(path).map_err(|err| {
            StepError::new(format!("cannot read the context file {}", path.display()))
                .cause(err.to_string())
                .usage()
        })?;
        serde_json::from_str::<serde_json::Value>(&text).map_err(|err| {
            StepError::new(format!("the context file {} is not JSON", path.display()))
                .cause(err.to_string())
                .fix("pass a JSON document, e.g. the notification or a built context")
                .usage()
        })?;
        env.insert("CONTEXT".into(), text.trim().to_string());
    }
    let service_path = match &args.service_path {
        Some(dir) => dir.clone(),
        None => repository_root(&args.workflow),
    };
    let service_path = std::fs::canonicalize(&service_path).unwrap_or(service_path);
    env.insert("SERVICE_PATH".into(), service_path.display().to_string());
    Ok(env)
}

/// The nearest ancestor (of the workflow, then of the current directory) holding the
/// step shims (`steps/_run`); else the workflow's folder.
pub fn repository_root(workflow: &Path) -> PathBuf {
    let is_root = |dir: &Path| dir.join("steps/_run").is_file();
    let workflow = std::fs::canonicalize(workflow).unwrap_or_else(|_| workflow.to_path_buf());
    let cwd = std::env::current_dir().unwrap_or_default();
    for start in [workflow.parent().map(Path::to_path_buf), Some(cwd)]
        .into_iter()
        .flatten()
    {
        if let Some(root) = start.ancestors().find(|dir| is_root(dir)) {
            return root.to_path_buf();
        }
    }
    workflow.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn run(args: &RunArgs) -> (Result<(), StepError>, Stream) {
    let initial = match std::env::var("SCOPE_LOG_STREAM").as_deref() {
        Ok("stderr") => Stream::Stderr,
        _ => Stream::Stdout,
    };
    let mut runner = match Runner::new(if args.strict {
        Carry::Strict
    } else {
        Carry::Exported
    }) {
        Ok(runner) => runner,
        Err(err) => return (Err(err), initial),
    };
    runner.stream = initial;
    let result = run_with(args, &mut runner);
    (result, runner.stream)
}

fn run_with(args: &RunArgs, runner: &mut Runner) -> Result<(), StepError> {
    let base = base_env(args)?;
    let load = |path: &Path| Document::load(path, &base).map_err(StepError::usage);
    let mut doc = load(&args.workflow)?;
    for file in &args.overrides {
        doc.apply_overrides_file(file, &base)
            .map_err(StepError::usage)?;
    }
    // Catch unknown types and missing keys before anything runs.
    parse_steps(&doc.steps).map_err(StepError::usage)?;
    // Said before the run, on the stream the run will use (never into --dry-run's YAML).
    let to_stderr = args.dry_run
        || runner.stream == Stream::Stderr
        || doc
            .configuration
            .get("SCOPE_LOG_STREAM")
            .map(String::as_str)
            == Some("stderr");
    let warnings = if to_stderr {
        Stream::Stderr
    } else {
        Stream::Stdout
    };
    for warning in &doc.warnings {
        warnings.line(&format!("⚠️  {warning}"));
    }
    if args.dry_run {
        print!("{}", doc.to_yaml());
        return Ok(());
    }
    runner.run_document(&doc, &base).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_root_is_the_folder_holding_the_step_shims() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("steps")).unwrap();
        std::fs::write(root.join("steps/_run"), "").unwrap();
        std::fs::create_dir_all(root.join("workflows/scope")).unwrap();
        let workflow = root.join("workflows/scope/create.yaml");
        std::fs::write(&workflow, "steps: []").unwrap();
        assert_eq!(repository_root(&workflow), root);
    }

    #[test]
    fn route_arguments_take_the_last_service_path_and_every_overrides_list() {
        let cli = Cli::try_parse_from([
            "scope-workflow",
            "route",
            "--service-path=/default",
            "--service-path=/given",
            "--overrides-path=/a, /b",
            "--overrides-path=/c",
        ])
        .unwrap();
        let Command::Route(args) = cli.command else {
            panic!("route expected")
        };
        assert_eq!(args.service_path, PathBuf::from("/given"));
        assert_eq!(args.overrides_path, ["/a, /b", "/c"]);
        assert!(Cli::try_parse_from(["scope-workflow", "route", "--bogus"]).is_err());
    }
}
