//! generate-domain through its shim: the domain recorded with `np scope patch`, an np
//! failure only warned about, no zone name → no domain, DNS limits enforced.

use crate::common::{bash, bin_dir, np_calls, np_env, repo_root, text};
use serde_json::json;

fn run(
    dir: &std::path::Path,
    rules: serde_json::Value,
    extra: &[(&str, &str)],
) -> (i32, String, String) {
    let mut env = np_env(dir, rules);
    env.push(("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()));
    for (key, value) in [
        ("VISIBILITY", "public"),
        ("SCOPE_ID", "7"),
        ("NAMESPACE_SLUG", "tools"),
        ("APPLICATION_SLUG", "automation"),
        ("SCOPE_SLUG", "dev"),
        ("ACCOUNT_SLUG", "playground"),
        ("HOSTED_PUBLIC_ZONE_NAME", "example.com"),
    ] {
        if !extra.iter().any(|(k, _)| *k == key) {
            env.push((key.into(), value.into()));
        }
    }
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let output = bash(
        "source steps/generate-domain; rc=$?; echo \"DOMAIN=[$SCOPE_DOMAIN]\"; exit $rc",
        &env,
        &repo_root(),
    );
    let stdout = text(&output.stdout);
    let domain = stdout
        .lines()
        .find_map(|l| l.strip_prefix("DOMAIN="))
        .unwrap_or_default()
        .to_string();
    (output.status.code().unwrap_or(-1), stdout, domain)
}

#[test]
fn domain_is_recorded_and_the_account_label_is_optional() {
    let dir = tempfile::tempdir().unwrap();
    let rules = json!([{"args_prefix": ["scope", "patch"], "stdout": {}}]);
    let (code, out, domain) = run(dir.path(), rules.clone(), &[("USE_ACCOUNT_SLUG", "true")]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(domain, "[tools-automation-dev.playground.example.com]");
    assert_eq!(
        np_calls(dir.path()),
        vec![vec![
            "scope",
            "patch",
            "--id",
            "7",
            "--body",
            r#"{"domain":"tools-automation-dev.playground.example.com"}"#,
            "--format",
            "json"
        ]]
    );
    let (_, _, domain) = run(dir.path(), rules, &[]);
    assert_eq!(domain, "[tools-automation-dev.example.com]");
}

#[test]
fn np_failure_is_a_warning_and_no_zone_means_no_domain() {
    let dir = tempfile::tempdir().unwrap();
    let failing = json!([{"args_prefix": ["scope", "patch"], "exit": 1, "stderr": "forbidden"}]);
    let (code, out, domain) = run(dir.path(), failing, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("⚠️  the domain could not be recorded on scope 7"),
        "{out}"
    );
    assert_eq!(domain, "[tools-automation-dev.example.com]");

    let quiet = tempfile::tempdir().unwrap();
    let (code, out, domain) = run(quiet.path(), json!([]), &[("HOSTED_PUBLIC_ZONE_NAME", "")]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(domain, "[]");
    assert_eq!(out.matches("gets no domain").count(), 1, "{out}");
    assert!(np_calls(quiet.path()).is_empty());
}

#[test]
fn names_beyond_dns_limits_are_rejected_before_np() {
    let dir = tempfile::tempdir().unwrap();
    let long = "n".repeat(60);
    let (code, out, _) = run(dir.path(), json!([]), &[("NAMESPACE_SLUG", &long)]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is not a valid DNS name"), "{out}");
    assert!(out.contains("🔧"), "{out}");
    assert!(np_calls(dir.path()).is_empty());
}
