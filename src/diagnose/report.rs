//! The diagnose step: picks the checks, runs them, prints the report (✅ ⚠️ ❌ ⏭ per
//! check, causes and fixes under the rest), writes the engine's results JSON to a file
//! and to the platform (`np service action patch`), and decides the exit code.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::aws::sdk_config;
use crate::context::Context;
use crate::np::NpClient;
use crate::report::StepError;
use crate::step::{progress, warn, Outputs};

use super::action::{ActionRef, NoAction};
use super::{
    find, overall, registry, results_json, run_concurrently, run_sequentially, CheckResult,
    CheckSpec, FailOn, Probe, Status, Target,
};

/// The diagnose options (flattened into the binary's parser).
#[derive(Debug, Clone, clap::Args)]
pub struct DiagnoseOptions {
    /// List the checks (name, category, what each looks at) and exit.
    #[arg(long)]
    pub list: bool,
    /// Run only this check (repeatable); default: every check.
    #[arg(long = "check", value_name = "NAME")]
    pub checks: Vec<String>,
    /// When the step exits non-zero: failed (any failed check), warning (any failed
    /// check or warning), never.
    #[arg(long, env = crate::settings::DIAGNOSE_FAIL_ON.namespaced, value_enum, default_value = crate::settings::DIAGNOSE_FAIL_ON.default)]
    pub fail_on: FailOn,
    /// Seconds each check may take before it is reported as a warning.
    #[arg(long, env = crate::settings::DIAGNOSE_CHECK_TIMEOUT.namespaced, default_value = crate::settings::DIAGNOSE_CHECK_TIMEOUT.default)]
    pub timeout: u64,
    /// Run the checks one after another instead of at once (for comparison).
    #[arg(long)]
    pub sequential: bool,
}

/// The checks `options` select; an unknown name is a usage error listing the known ones.
pub fn select(options: &DiagnoseOptions) -> Result<Vec<&'static CheckSpec>, StepError> {
    if options.checks.is_empty() {
        return Ok(registry().iter().collect());
    }
    options
        .checks
        .iter()
        .map(|name| {
            find(name).ok_or_else(|| {
                let known: Vec<&str> = registry().iter().map(|spec| spec.name).collect();
                StepError::new(format!("unknown check `{name}`"))
                    .fix(format!("use one of: {}", known.join(", ")))
                    .fix("`diagnose --list` describes them")
                    .usage()
            })
        })
        .collect()
}

/// `--list`: one line per check.
pub fn list_checks() -> Outputs {
    for spec in registry() {
        progress(format!(
            "{:<24} {:<12} {}",
            spec.name, spec.category, spec.about
        ));
    }
    Outputs::new()
}

/// The report lines for one result.
pub fn render(result: &CheckResult) -> Vec<String> {
    let outcome = &result.outcome;
    let mut lines = vec![format!(
        "{} {} — {}",
        outcome.status.icon(),
        result.name,
        outcome.summary
    )];
    if outcome.status != Status::Passed {
        lines.extend(outcome.causes.iter().map(|cause| format!("   💡 {cause}")));
        lines.extend(outcome.fixes.iter().map(|fix| format!("   🔧 {fix}")));
    }
    lines
}

/// The closing line: counts per status and the wall time.
pub fn tally(results: &[CheckResult], elapsed: Duration) -> String {
    let count = |status: Status| {
        results
            .iter()
            .filter(|r| r.outcome.status == status)
            .count()
    };
    format!(
        "📋 {} checks: {} passed, {} failed, {} warning, {} skipped ({} ms)",
        results.len(),
        count(Status::Passed),
        count(Status::Failed),
        count(Status::Warning),
        count(Status::Skipped),
        elapsed.as_millis()
    )
}

/// Where the results file goes: `$NP_OUTPUT_DIR/diagnose-results.json`, else under
/// OUTPUT_DIR (from the context steps); `None` when neither is set.
fn results_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    ["NP_OUTPUT_DIR", "OUTPUT_DIR"]
        .iter()
        .find_map(|name| env(name).filter(|value| !value.trim().is_empty()))
        .map(|dir| PathBuf::from(dir).join("diagnose-results.json"))
}

/// Reports the results to the action being run (`np service action patch`, the body
/// the platform takes: `{"results":{"categories":[...]}}`); a failure is a warning —
/// the diagnosis stands on its own.
fn notify(action: Result<ActionRef, NoAction>, np: &NpClient, body: &Value) {
    let action = match action {
        Ok(action) => action,
        Err(NoAction(why)) => {
            progress(format!("ℹ️  results not sent to nullplatform: {why}"));
            return;
        }
    };
    let body = body.to_string();
    let args = [
        "service",
        "action",
        "patch",
        "--id",
        &action.action_id,
        "--serviceId",
        &action.service_id,
        "--body",
        &body,
    ];
    let id = &action.action_id;
    match np.json(&args) {
        Ok(_) => progress(format!("📤 results sent to nullplatform (action {id})")),
        // A successful patch that prints no JSON still succeeded.
        Err(err) if err.what.contains("did not answer JSON") => {
            progress(format!("📤 results sent to nullplatform (action {id})"))
        }
        Err(err) => warn(format!(
            "could not send the results to nullplatform: {}",
            err.what
        )),
    }
}

/// The `diagnose` step body. `json`: print the results document on stdout.
pub async fn diagnose_step(
    options: &DiagnoseOptions,
    json: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Outputs, StepError> {
    if options.list {
        return Ok(list_checks());
    }
    let specs = select(options)?;
    let ctx = Context::from_env()?;
    let target = Target::resolve(&ctx, env)?;
    progress(format!(
        "🩺 Diagnosing {} (alias {}{}) with {} check(s)...",
        target
            .function_name
            .as_deref()
            .unwrap_or("(unknown function)"),
        target.alias,
        target
            .deployment_id
            .as_deref()
            .map(|id| format!(", deployment {id}"))
            .unwrap_or_default(),
        specs.len()
    ));
    let config = sdk_config().await?;
    let probe = Arc::new(Probe::new(&config, target));
    let timeout = Duration::from_secs(options.timeout.max(1));
    let started = Instant::now();
    let results = if options.sequential {
        run_sequentially(probe, &specs, timeout).await
    } else {
        run_concurrently(probe, &specs, timeout).await
    };
    let elapsed = started.elapsed();
    for result in &results {
        for line in render(result) {
            progress(line);
        }
    }
    progress(tally(&results, elapsed));

    let document = results_json(&results);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&document).unwrap_or_default()
        );
    }
    let mut outputs = Outputs::new();
    if let Some(path) = results_path(env) {
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                std::fs::write(
                    &path,
                    serde_json::to_string_pretty(&document).unwrap_or_default(),
                )
            });
        match written {
            Ok(()) => {
                progress(format!("💾 results: {}", path.display()));
                outputs.set("DIAGNOSE_RESULTS_FILE", path.display().to_string());
            }
            Err(err) => warn(format!("could not write {}: {err}", path.display())),
        }
    }
    let action = ActionRef::resolve(env("NP_ACTION_CONTEXT").as_deref(), &ctx);
    notify(action, &NpClient::from_env(), &document);

    let worst = overall(&results);
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| r.outcome.status == Status::Failed)
        .map(|r| r.name)
        .collect();
    outputs
        .set("DIAGNOSE_STATUS", worst.as_str())
        .set("DIAGNOSE_FAILED_CHECKS", failed.join(","));
    if options.fail_on.should_fail(worst) {
        let what = if failed.is_empty() {
            "the diagnosis found warnings (DIAGNOSE_FAIL_ON=warning)".to_string()
        } else {
            format!(
                "the diagnosis found {} failed check(s): {}",
                failed.len(),
                failed.join(", ")
            )
        };
        return Err(StepError::new(what)
            .cause("see the 💡 lines under each check above")
            .fix("apply the 🔧 fixes above, then re-run the diagnosis")
            .fix("set DIAGNOSE_FAIL_ON=never to report findings without failing the action"));
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::Outcome;

    fn options(checks: &[&str]) -> DiagnoseOptions {
        DiagnoseOptions {
            list: false,
            checks: checks.iter().map(|c| c.to_string()).collect(),
            fail_on: FailOn::Failed,
            timeout: 30,
            sequential: false,
        }
    }

    #[test]
    fn selection_by_name() {
        assert_eq!(select(&options(&[])).unwrap().len(), registry().len());
        let picked = select(&options(&["dns", "alias"])).unwrap();
        assert_eq!(
            picked.iter().map(|s| s.name).collect::<Vec<_>>(),
            vec!["dns", "alias"]
        );
        let err = select(&options(&["bogus"])).unwrap_err();
        assert_eq!(err.exit_code, 2);
        assert!(err.fixes[0].contains("credentials"), "{err}");
    }

    #[test]
    fn report_shows_causes_and_fixes_only_when_not_passed() {
        let failed = CheckResult {
            name: "alias",
            category: "function",
            outcome: Outcome::failed("points at $LATEST")
                .cause("by hand")
                .fix("update it"),
            duration: Duration::ZERO,
        };
        assert_eq!(
            render(&failed),
            vec![
                "❌ alias — points at $LATEST",
                "   💡 by hand",
                "   🔧 update it"
            ]
        );
        let passed = CheckResult {
            outcome: Outcome::passed("fine").fix("never shown"),
            ..failed.clone()
        };
        assert_eq!(render(&passed), vec!["✅ alias — fine"]);
        assert!(tally(&[failed, passed], Duration::from_millis(12))
            .contains("2 checks: 1 passed, 1 failed, 0 warning, 0 skipped (12 ms)"));
    }
}
