//! store-scope-metadata through its shim under bash, with the np stand-in: the exact
//! `np nrn patch` calls that keep a private scope's ALB rule priority on its NRN and
//! remove it on delete, and that an np failure only warns.

use std::path::Path;

use crate::common::{bash, bin_dir, np_calls, np_env, repo_root, text};
use serde_json::json;

const NRN: &str = "organization=1:account=2:namespace=3:application=4:scope=7";

/// Runs the shim in `dir` (its tofu working dir holds `vars`); prints the output last.
fn run(dir: &Path, np_rules: serde_json::Value, extra: &[(&str, &str)]) -> (i32, String) {
    let work = dir.join("tofu");
    let mut env = np_env(dir, np_rules);
    env.push(("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()));
    env.push(("SCOPE_NRN".into(), NRN.into()));
    env.push(("TOFU_WORKING_DIR".into(), work.display().to_string()));
    for (key, value) in extra {
        env.push((key.to_string(), value.to_string()));
    }
    let script = "source steps/store-scope-metadata; rc=$?\necho \"PRIORITY=${ALB_RULE_PRIORITY-unset}\"\nexit $rc";
    let output = bash(script, &env, &repo_root());
    (
        output.status.code().unwrap_or(-1),
        format!(
            "{}\n--- stderr ---\n{}",
            text(&output.stdout),
            text(&output.stderr)
        ),
    )
}

fn patch_call(body: &str) -> Vec<String> {
    [
        "nrn", "patch", "--nrn", NRN, "--body", body, "--format", "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn with_vars(vars: serde_json::Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tofu")).unwrap();
    std::fs::write(dir.path().join("tofu/tofu.tfvars.json"), vars.to_string()).unwrap();
    dir
}

const NP_OK: &str = r#"[{"args_prefix": ["nrn", "patch"], "stdout": ""}]"#;

#[test]
fn a_private_scope_stores_the_priority_compose_tofu_chose() {
    let dir = with_vars(json!({"scope_id": "7", "alb_rule_priority": 17}));
    let (code, log) = run(
        dir.path(),
        serde_json::from_str(NP_OK).unwrap(),
        &[("TOFU_ACTION", "apply")],
    );
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("stored lambda.alb_rule_priority=17"), "{log}");
    assert!(log.contains("PRIORITY=17"), "{log}");
    assert_eq!(
        np_calls(dir.path()),
        vec![patch_call(r#"{"lambda.alb_rule_priority":17}"#)]
    );

    // An explicit ALB_RULE_PRIORITY wins over the variables file.
    let dir = with_vars(json!({"alb_rule_priority": 17}));
    let (code, log) = run(
        dir.path(),
        serde_json::from_str(NP_OK).unwrap(),
        &[("ALB_RULE_PRIORITY", "142")],
    );
    assert_eq!(code, 0, "{log}");
    assert_eq!(
        np_calls(dir.path()),
        vec![patch_call(r#"{"lambda.alb_rule_priority":142}"#)]
    );
}

#[test]
fn a_public_scope_has_nothing_to_store() {
    let dir = with_vars(json!({"scope_id": "7"}));
    let (code, log) = run(dir.path(), serde_json::from_str(NP_OK).unwrap(), &[]);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("nothing to store"), "{log}");
    assert!(
        log.contains("PRIORITY=\n") || log.contains("PRIORITY=\r\n"),
        "{log}"
    );
    assert!(np_calls(dir.path()).is_empty());
}

#[test]
fn delete_removes_every_stored_key() {
    let dir = with_vars(json!({"alb_rule_priority": 17}));
    let (code, log) = run(
        dir.path(),
        serde_json::from_str(NP_OK).unwrap(),
        &[("TOFU_ACTION", "destroy")],
    );
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("removed lambda.alb_rule_priority"), "{log}");
    assert_eq!(
        np_calls(dir.path()),
        vec![patch_call(r#"{"lambda.alb_rule_priority":null}"#)]
    );
}

#[test]
fn an_np_failure_is_a_warning_and_bad_settings_are_usage_errors() {
    let dir = with_vars(json!({"alb_rule_priority": 17}));
    let failing = json!([{"args_prefix": ["nrn", "patch"], "exit": 1, "stderr": "forbidden"}]);
    let (code, log) = run(dir.path(), failing.clone(), &[("TOFU_ACTION", "destroy")]);
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("⚠️") && log.contains("could not update the scope metadata"),
        "{log}"
    );
    assert!(
        log.contains("nrn patch --nrn"),
        "the warning names the np command: {log}"
    );

    let (code, log) = run(dir.path(), failing, &[("ALB_RULE_PRIORITY", "high")]);
    assert_eq!(code, 2, "{log}");
    assert!(log.contains("ALB_RULE_PRIORITY is 'high'"), "{log}");
}
