//! Executor steps: every check in the listed folders runs in its own bash, wrapped by
//! `before_each` / `after_each`, with its own `SCRIPT_OUTPUT_FILE` (pending JSON) and
//! `SCRIPT_LOG_FILE` under `NP_OUTPUT_DIR`; the results are collected into one JSON file.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::document::{parse_yaml, Env};
use super::expand::{expand, lookup};
use super::spec::StepSpec;
use crate::report::StepError;

/// What running checks needs from the workflow runner.
pub trait CheckRunner {
    /// Runs a hook step (`before_each` / `after_each`) in its own shell, its outputs
    /// discarded.
    fn run_isolated(&mut self, step: &StepSpec, env: &Env, parent: &str) -> Result<(), StepError>;
    /// Runs one check script; its exit code (`None` for a signal).
    fn run_check(&mut self, file: &Path, env: &Env) -> Result<Option<i32>, StepError>;
    /// One line of the runner's progress.
    fn line(&self, text: &str);
}

/// One check found in a folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: String,
    pub category: String,
    pub description: String,
    pub file: PathBuf,
}

/// Lists the checks of one folder, sorted by file name: bare scripts, or sub-folders
/// holding a `workflow.yml` / `workflow.yaml` with name, description, category and file.
pub fn discover(folder: &Path, env: &Env) -> Result<Vec<Check>, StepError> {
    let entries = std::fs::read_dir(folder).map_err(|err| {
        StepError::new(format!(
            "executor folder {} cannot be read",
            folder.display()
        ))
        .cause(err.to_string())
        .fix("check the folders: paths (and the variables in them)")
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut checks = Vec::new();
    for path in paths {
        let file_name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if file_name.starts_with('.') || file_name.ends_with(".md") {
            continue;
        }
        if path.is_file() {
            checks.push(Check {
                name: file_name,
                category: String::new(),
                description: String::new(),
                file: path,
            });
        } else if path.is_dir() {
            let manifest = ["workflow.yml", "workflow.yaml"]
                .iter()
                .map(|m| path.join(m))
                .find(|m| m.is_file());
            let Some(manifest) = manifest else { continue };
            let text = std::fs::read_to_string(&manifest).map_err(|err| {
                StepError::new(format!("cannot read {}: {err}", manifest.display()))
            })?;
            let value = parse_yaml(&text, &manifest)?;
            let field = |key: &str| {
                value
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let file = field("file");
            if file.is_empty() {
                return Err(
                    StepError::new(format!("check {} has no file:", manifest.display()))
                        .fix("add `file: <script>` (relative to the check's folder)"),
                );
            }
            let mut file = PathBuf::from(expand(&file, &lookup(env)));
            if file.is_relative() {
                file = path.join(file);
            }
            let name = Some(field("name"))
                .filter(|n| !n.is_empty())
                .unwrap_or(file_name);
            checks.push(Check {
                name,
                category: field("category"),
                description: field("description"),
                file,
            });
        }
    }
    Ok(checks)
}

/// Runs every check; true when all of them (and their hooks) succeeded.
pub fn run(
    runner: &mut impl CheckRunner,
    label: &str,
    step: &StepSpec,
    folders: &[String],
    before_each: Option<&StepSpec>,
    after_each: Option<&StepSpec>,
    env: &Env,
) -> Result<bool, StepError> {
    let output_root =
        PathBuf::from(env.get("NP_OUTPUT_DIR").cloned().unwrap_or_default()).join(safe(&step.name));
    std::fs::create_dir_all(&output_root)
        .map_err(|err| StepError::new(format!("cannot create {}: {err}", output_root.display())))?;
    let mut checks = Vec::new();
    for folder in folders {
        let folder = PathBuf::from(expand(folder, &lookup(env)));
        checks.extend(
            discover(&folder, env).map_err(|err| err.cause(format!("in {}", step.label())))?,
        );
    }
    let mut results = Vec::new();
    let mut all_ok = true;
    for check in &checks {
        let output_file = output_root.join(format!("{}.json", safe(&check.name)));
        let log_file = output_root.join(format!("{}.log", safe(&check.name)));
        std::fs::write(
            &output_file,
            json!({"status": "pending", "evidence": {}, "logs": []}).to_string(),
        )
        .map_err(|err| StepError::new(format!("cannot write {}: {err}", output_file.display())))?;
        std::fs::write(&log_file, "")
            .map_err(|err| StepError::new(format!("cannot write {}: {err}", log_file.display())))?;
        let mut check_env = env.clone();
        for (key, value) in [
            ("CHECK_NAME", check.name.clone()),
            ("CHECK_CATEGORY", check.category.clone()),
            ("CHECK_DESCRIPTION", check.description.clone()),
            ("SCRIPT_OUTPUT_FILE", output_file.display().to_string()),
            ("SCRIPT_LOG_FILE", log_file.display().to_string()),
        ] {
            check_env.insert(key.into(), value);
        }
        let check_label = format!("{label} › {}", check.name);
        let mut ok = true;
        if let Some(hook) = before_each {
            if let Err(err) = runner.run_isolated(hook, &check_env, &check_label) {
                runner.line(&format!("⚠️  {}", err.what));
                ok = false;
            }
        }
        runner.line(&format!("▶ {check_label}"));
        let code = runner.run_check(&check.file, &check_env)?;
        let code_value = code.unwrap_or(-1);
        ok &= code == Some(0);
        check_env.insert("CHECK_RESULT".into(), code_value.to_string());
        if let Some(hook) = after_each {
            if let Err(err) = runner.run_isolated(hook, &check_env, &check_label) {
                runner.line(&format!("⚠️  {}", err.what));
                ok = false;
            }
        }
        let mut result: Value = std::fs::read_to_string(&output_file)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_else(|| json!({}));
        if !result.is_object() {
            result = json!({});
        }
        let status = result
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("pending");
        if status == "pending" || status.is_empty() {
            result["status"] = Value::String(if ok { "success" } else { "failed" }.into());
        }
        result["name"] = Value::String(check.name.clone());
        result["category"] = Value::String(check.category.clone());
        result["exit_code"] = json!(code_value);
        runner.line(&format!(
            "{} {check_label}: {}",
            if ok { "✅" } else { "❌" },
            result["status"].as_str().unwrap_or_default()
        ));
        all_ok &= ok;
        results.push(result);
    }
    let summary_file = output_root.join("results.json");
    std::fs::write(
        &summary_file,
        serde_json::to_string_pretty(&json!({"results": results})).unwrap_or_default(),
    )
    .map_err(|err| StepError::new(format!("cannot write {}: {err}", summary_file.display())))?;
    let failed = results
        .iter()
        .filter(|r| r["exit_code"] != json!(0))
        .count();
    runner.line(&format!(
        "ℹ️  {label}: {} check(s), {failed} failed; results in {}",
        results.len(),
        summary_file.display()
    ));
    Ok(all_ok)
}

fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovers_bare_scripts_and_described_checks_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b_check"), "true").unwrap();
        std::fs::write(dir.path().join("README.md"), "docs").unwrap();
        std::fs::create_dir(dir.path().join("a_dir")).unwrap();
        std::fs::write(
            dir.path().join("a_dir/workflow.yml"),
            "name: Alpha\ncategory: network\ndescription: d\nfile: run.sh\n",
        )
        .unwrap();
        let checks = discover(dir.path(), &Env::new()).unwrap();
        assert_eq!(checks.len(), 2);
        assert_eq!(checks[0].name, "Alpha");
        assert_eq!(checks[0].category, "network");
        assert_eq!(checks[0].file, dir.path().join("a_dir/run.sh"));
        assert_eq!(checks[1].name, "b_check");
    }
}
