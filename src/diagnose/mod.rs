//! Diagnosis of a scope or a deployment: a registry of independent checks (identity,
//! function, alias, roles, image, networking, DNS), run concurrently, each ending
//! passed / failed / warning / skipped with evidence and, for failures, causes and fixes;
//! each result also carries the fields the platform's other scopes report (summary,
//! severity, affected, details, suggested_actions).

pub mod action;
pub mod checks;
pub mod policy_doc;
pub mod probe;
pub mod report;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub use probe::{Probe, Target};

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Passed,
    Skipped,
    Warning,
    Failed,
}

impl Status {
    /// The platform's severity for a check ending this way (the k8s scope's mapping:
    /// failed → critical, warning → warning, passed or skipped → info).
    pub fn severity(self) -> &'static str {
        match self {
            Status::Failed => "critical",
            Status::Warning => "warning",
            Status::Passed | Status::Skipped => "info",
        }
    }

    /// The word people read in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Skipped => "skipped",
            Status::Warning => "warning",
            Status::Failed => "failed",
        }
    }

    /// The platform's status word (the keys of the engine's per-category summary).
    pub fn engine_word(self) -> &'static str {
        match self {
            Status::Passed => "success",
            Status::Skipped => "skipped",
            Status::Warning => "warning",
            Status::Failed => "failed",
        }
    }

    pub fn icon(self) -> &'static str {
        match self {
            Status::Passed => "✅",
            Status::Skipped => "⏭ ",
            Status::Warning => "⚠️ ",
            Status::Failed => "❌",
        }
    }
}

/// What one check found: its status, a one-line summary, the evidence it saw, the
/// resources it is about, and for anything not passed the likely causes and the fixes.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Status,
    pub summary: String,
    pub evidence: Value,
    /// The resources the finding is about; empty = the check's usual subject
    /// (`Target::subjects`), filled in when results are collected.
    pub affected: Vec<String>,
    pub causes: Vec<String>,
    pub fixes: Vec<String>,
}

impl Outcome {
    fn new(status: Status, summary: impl Into<String>) -> Self {
        Outcome {
            status,
            summary: summary.into(),
            evidence: json!({}),
            affected: Vec::new(),
            causes: Vec::new(),
            fixes: Vec::new(),
        }
    }

    pub fn passed(summary: impl Into<String>) -> Self {
        Self::new(Status::Passed, summary)
    }

    pub fn failed(summary: impl Into<String>) -> Self {
        Self::new(Status::Failed, summary)
    }

    pub fn warning(summary: impl Into<String>) -> Self {
        Self::new(Status::Warning, summary)
    }

    pub fn skipped(summary: impl Into<String>) -> Self {
        Self::new(Status::Skipped, summary)
    }

    pub fn cause(mut self, cause: impl Into<String>) -> Self {
        self.causes.push(cause.into());
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fixes.push(fix.into());
        self
    }

    /// Names a resource the finding is about (repeatable).
    pub fn affects(mut self, resource: impl Into<String>) -> Self {
        self.affected.push(resource.into());
        self
    }

    /// Merges `fields` (a JSON object) into the evidence.
    pub fn evidence(mut self, fields: Value) -> Self {
        if let (Some(into), Value::Object(from)) = (self.evidence.as_object_mut(), fields) {
            into.extend(from);
        }
        self
    }
}

/// One finished check, as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub name: &'static str,
    pub category: &'static str,
    pub outcome: Outcome,
    pub duration: Duration,
}

impl CheckResult {
    pub fn to_json(&self) -> Value {
        let outcome = &self.outcome;
        json!({
            "name": self.name,
            "category": self.category,
            "status": outcome.status.engine_word(),
            "summary": outcome.summary,
            "severity": outcome.status.severity(),
            "affected": outcome.affected,
            "details": outcome.evidence,
            "suggested_actions": outcome.fixes,
            "evidence": outcome.evidence,
            "causes": outcome.causes,
            "fixes": outcome.fixes,
            "duration_ms": self.duration.as_millis() as u64,
        })
    }
}

/// A boxed, sendable check future.
pub type CheckFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// One entry of the registry.
#[derive(Debug)]
pub struct CheckSpec {
    pub name: &'static str,
    pub category: &'static str,
    /// One line for `--list`.
    pub about: &'static str,
    pub run: fn(Arc<Probe>) -> CheckFuture,
}

/// Every check, in report order.
pub fn registry() -> &'static [CheckSpec] {
    checks::ALL
}

pub fn find(name: &str) -> Option<&'static CheckSpec> {
    registry().iter().find(|spec| spec.name == name)
}

/// Runs `specs` concurrently (each bounded by `timeout`) and returns their results in
/// registry order: total time is that of the slowest check.
pub async fn run_concurrently(
    probe: Arc<Probe>,
    specs: &[&'static CheckSpec],
    timeout: Duration,
) -> Vec<CheckResult> {
    let mut set = tokio::task::JoinSet::new();
    for (index, spec) in specs.iter().enumerate() {
        let future = (spec.run)(probe.clone());
        set.spawn(async move { (index, timed(future, timeout).await) });
    }
    let mut slots: Vec<Option<(Outcome, Duration)>> = vec![None; specs.len()];
    while let Some(joined) = set.join_next().await {
        // A panicking check must not take the others down; its slot stays empty.
        if let Ok((index, finished)) = joined {
            slots[index] = Some(finished);
        }
    }
    collect(&probe.target, specs, slots)
}

/// Runs `specs` one after another (the benchmark's baseline).
pub async fn run_sequentially(
    probe: Arc<Probe>,
    specs: &[&'static CheckSpec],
    timeout: Duration,
) -> Vec<CheckResult> {
    let mut slots = Vec::with_capacity(specs.len());
    for spec in specs {
        slots.push(Some(timed((spec.run)(probe.clone()), timeout).await));
    }
    collect(&probe.target, specs, slots)
}

async fn timed(future: CheckFuture, timeout: Duration) -> (Outcome, Duration) {
    let started = Instant::now();
    let outcome = match tokio::time::timeout(timeout, future).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::warning(format!("did not finish within {} s", timeout.as_secs()))
            .cause("an AWS API was slow or unreachable from the agent")
            .fix("re-run the diagnosis; raise DIAGNOSE_CHECK_TIMEOUT if the network is slow"),
    };
    (outcome, started.elapsed())
}

fn collect(
    target: &Target,
    specs: &[&'static CheckSpec],
    slots: Vec<Option<(Outcome, Duration)>>,
) -> Vec<CheckResult> {
    specs
        .iter()
        .zip(slots)
        .map(|(spec, slot)| {
            let (outcome, duration) = slot.unwrap_or_else(|| {
                (
                    Outcome::warning("the check stopped unexpectedly (internal error)")
                        .fix("re-run the diagnosis and report the problem with its output"),
                    Duration::ZERO,
                )
            });
            let mut outcome = outcome;
            if outcome.affected.is_empty() {
                outcome.affected = target.subjects(spec.category);
            }
            CheckResult {
                name: spec.name,
                category: spec.category,
                outcome,
                duration,
            }
        })
        .collect()
}

/// The engine's results document: checks grouped by category (first-seen order),
/// each category with its status counts.
pub fn results_json(results: &[CheckResult]) -> Value {
    let mut categories: Vec<(&str, Vec<&CheckResult>)> = Vec::new();
    for result in results {
        match categories
            .iter_mut()
            .find(|(name, _)| *name == result.category)
        {
            Some((_, list)) => list.push(result),
            None => categories.push((result.category, vec![result])),
        }
    }
    let categories: Vec<Value> = categories
        .into_iter()
        .map(|(category, checks)| {
            let count =
                |status: Status| checks.iter().filter(|c| c.outcome.status == status).count();
            json!({
                "category": category,
                "summary": {
                    "pending": 0,
                    "running": 0,
                    "success": count(Status::Passed),
                    "failed": count(Status::Failed),
                    "warning": count(Status::Warning),
                    "skipped": count(Status::Skipped),
                },
                "checks": checks.iter().map(|c| c.to_json()).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"results": {"categories": categories}})
}

/// The worst status among `results` (passed when empty).
pub fn overall(results: &[CheckResult]) -> Status {
    results
        .iter()
        .map(|result| result.outcome.status)
        .max()
        .unwrap_or(Status::Passed)
}

/// When the diagnosis exits non-zero (`DIAGNOSE_FAIL_ON`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Any failed check (default).
    Failed,
    /// Any failed check or warning.
    Warning,
    /// Never: the diagnosis itself succeeded, whatever it found.
    Never,
}

impl FailOn {
    pub fn should_fail(self, overall: Status) -> bool {
        match self {
            FailOn::Failed => overall == Status::Failed,
            FailOn::Warning => overall >= Status::Warning,
            FailOn::Never => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &'static str, category: &'static str, status: Status) -> CheckResult {
        CheckResult {
            name,
            category,
            outcome: Outcome::new(status, "s"),
            duration: Duration::from_millis(5),
        }
    }

    #[test]
    fn results_group_by_category_with_counts() {
        let results = vec![
            result("a", "function", Status::Passed),
            result("b", "identity", Status::Failed),
            result("c", "function", Status::Skipped),
        ];
        let doc = results_json(&results);
        let categories = doc["results"]["categories"].as_array().unwrap();
        assert_eq!(categories.len(), 2);
        assert_eq!(categories[0]["category"], "function");
        assert_eq!(categories[0]["summary"]["success"], 1);
        assert_eq!(categories[0]["summary"]["skipped"], 1);
        assert_eq!(categories[0]["checks"][1]["name"], "c");
        assert_eq!(categories[1]["summary"]["failed"], 1);
        assert_eq!(categories[1]["checks"][0]["status"], "failed");
        assert_eq!(overall(&results), Status::Failed);
    }

    #[test]
    fn fail_on_policy() {
        assert!(FailOn::Failed.should_fail(Status::Failed));
        assert!(!FailOn::Failed.should_fail(Status::Warning));
        assert!(FailOn::Warning.should_fail(Status::Warning));
        assert!(!FailOn::Warning.should_fail(Status::Skipped));
        assert!(!FailOn::Never.should_fail(Status::Failed));
    }

    #[test]
    fn registry_names_are_unique() {
        let mut names: Vec<&str> = registry().iter().map(|spec| spec.name).collect();
        let before = names.len();
        names.sort();
        names.dedup();
        assert_eq!(before, names.len());
        assert!(find("alias").is_some());
        assert!(find("nope").is_none());
    }

    #[test]
    fn evidence_merges() {
        let outcome = Outcome::passed("ok")
            .evidence(json!({"a": 1}))
            .evidence(json!({"b": 2}));
        assert_eq!(outcome.evidence, json!({"a": 1, "b": 2}));
    }
}
