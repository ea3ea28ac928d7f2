//! `scope-workflow run` semantics, each pinned with the small workflows under
//! tests/fixtures/runner/: include + configuration precedence, `$VAR` chains, outputs
//! (default vs --strict), executor hooks, overrides, dry-run and failure reports.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::text;
use serde_json::Value;

fn fixtures(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/runner")
        .join(name)
}

/// Runs `scope-workflow` with `args` and only PATH, HOME and `env` in its environment.
fn runner(args: &[&str], env: &[(&str, &str)]) -> Output {
    crate::common::run_command("scope-workflow", args, env)
}

/// `run <fixture>/<workflow>` with `--service-path <fixture>`.
fn run(fixture: &str, workflow: &str, extra: &[&str], env: &[(&str, &str)]) -> (Output, String) {
    let dir = fixtures(fixture);
    let path = dir.join(workflow).display().to_string();
    let service = dir.display().to_string();
    let mut args = vec!["run", path.as_str(), "--service-path", service.as_str()];
    args.extend_from_slice(extra);
    let output = runner(&args, env);
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    (output, all)
}

fn position(haystack: &str, needle: &str) -> usize {
    haystack
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{haystack}"))
}

#[test]
fn includes_and_configuration_precedence_with_var_chains() {
    let (output, all) = run(
        "config",
        "workflow.yaml",
        &[],
        &[("SCOPE_ID", "77"), ("REGION", "from-env")],
    );
    assert!(output.status.success(), "{all}");
    let svc = fixtures("config")
        .canonicalize()
        .unwrap()
        .display()
        .to_string();
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with(['▶', '✅', '🏁']))
        .collect();
    // printenv prints the values in the order asked.
    assert_eq!(
        lines[0], "eu-west-1",
        "the includer's value wins over values.yaml and the environment"
    );
    assert_eq!(
        lines[1], "own-77",
        "the file's own value wins, with $SCOPE_ID from the environment"
    );
    assert_eq!(
        lines[2], "own-77-state",
        "values.yaml's $NAME_PREFIX sees the winning value"
    );
    assert_eq!(lines[3], format!("{svc}/tofu"));
    assert_eq!(lines[4], format!("{svc}/tofu/modules"), "${{VAR}} form");
    assert_eq!(
        lines[5],
        format!("{svc}/tofu/modules/lambda"),
        "a chain of three"
    );
    assert_eq!(lines[6], "kept");
    let tags: Value = serde_json::from_str(lines[7]).unwrap();
    assert_eq!(
        tags,
        serde_json::json!({"team": "payments", "cost_center": 42}),
        "maps become JSON"
    );
    assert_eq!(lines[8], "[80,443]", "lists become JSON");
    assert_eq!(lines[9], "3");
    assert_eq!(lines[10], "true");
    assert_eq!(
        lines[11],
        format!("{svc}/tofu/modules/lambda/step"),
        "step configuration sees the workflow's"
    );
    assert_eq!(
        lines[12], "STEP_ONLY after=[unset]",
        "step configuration stays with its step"
    );
}

#[test]
fn an_include_cycle_is_a_clear_error() {
    let (output, all) = run("config", "cycle-a.yaml", &[], &[]);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("❌ include cycle"), "{all}");
    assert!(
        all.contains("cycle-a.yaml → ") && all.contains("cycle-b.yaml → "),
        "{all}"
    );
}

#[test]
fn outputs_declared_and_exported_travel_by_default() {
    let (output, all) = run("outputs", "workflow.yaml", &[], &[]);
    assert!(output.status.success(), "{all}");
    assert!(
        all.contains("DECLARED=[declared value with 'quotes' and\na newline]"),
        "{all}"
    );
    assert!(
        all.contains("PLAIN_DECLARED=[plain]"),
        "a declared output needs no export: {all}"
    );
    assert!(all.contains("UNDECLARED=[leaks-by-default]"), "{all}");
}

#[test]
fn strict_mode_carries_only_declared_outputs() {
    let (output, all) = run("outputs", "workflow.yaml", &["--strict"], &[]);
    assert!(output.status.success(), "{all}");
    assert!(
        all.contains("DECLARED=[declared value with 'quotes' and\na newline]"),
        "{all}"
    );
    assert!(all.contains("PLAIN_DECLARED=[plain]"), "{all}");
    assert!(all.contains("UNDECLARED=[unset]"), "{all}");
}

#[test]
fn strict_mode_can_come_from_the_environment() {
    let (output, all) = run(
        "outputs",
        "workflow.yaml",
        &[],
        &[("SCOPE_WORKFLOW_STRICT", "true")],
    );
    assert!(output.status.success(), "{all}");
    assert!(all.contains("UNDECLARED=[unset]"), "{all}");
}

#[test]
fn strict_mode_fails_on_a_declared_output_never_set() {
    let (output, all) = run("outputs", "missing.yaml", &["--strict"], &[]);
    assert!(!output.status.success(), "{all}");
    assert!(
        all.contains("❌ forgetful declared the output NEVER_SET but never set it (")
            && all.contains("outputs/missing.yaml)"),
        "{all}"
    );
    assert!(!all.contains("LATER RAN"), "{all}");
    // The default mode warns and goes on.
    let (output, all) = run("outputs", "missing.yaml", &[], &[]);
    assert!(output.status.success(), "{all}");
    assert!(
        all.contains("⚠️  forgetful declared the output NEVER_SET but never set it"),
        "{all}"
    );
    assert!(all.contains("LATER RAN"), "{all}");
}

#[test]
fn executor_runs_every_check_between_its_hooks() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().display().to_string();
    let (output, all) = run(
        "executor",
        "workflow.yaml",
        &[],
        &[("NP_OUTPUT_DIR", &out_dir)],
    );
    // b fails (exit 3), so the executor step fails, after running every check.
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(all.contains("checking a with a_passes"), "{all}");
    assert!(
        all.contains("checking b (networking) output file starts: {\"status\":\"pending\""),
        "{all}"
    );
    assert!(all.contains("checking c"), "{all}");
    let hooks = std::fs::read_to_string(out.path().join("hooks.log")).unwrap();
    assert_eq!(
        hooks,
        "before a_passes\nafter a_passes result=0\nbefore b_described\nafter b_described result=3\nbefore c_passes\nafter c_passes result=0\n"
    );
    let results: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("diagnose/results.json")).unwrap(),
    )
    .unwrap();
    let results = results["results"].as_array().unwrap();
    let summary: Vec<(&str, &str)> = results
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("a_passes", "success"),
            ("b_described", "failed"),
            ("c_passes", "success")
        ]
    );
    assert_eq!(
        results[0]["evidence"]["seen"], "fn-under-test",
        "checks see the workflow's configuration"
    );
    assert_eq!(results[1]["category"], "networking");
    let log = std::fs::read_to_string(out.path().join("diagnose/a_passes.log")).unwrap();
    assert_eq!(log, "log line for a\n");
}

#[test]
fn override_actions_insertion_points_and_layers() {
    let dir = fixtures("overrides");
    let layer1 = dir.join("layer1.yaml").display().to_string();
    let layer2 = dir.join("layer2.yaml").display().to_string();
    let (output, all) = run("overrides", "base.yaml", &["--overrides", &layer1], &[]);
    assert!(output.status.success(), "{all}");
    let order = [
        "step x",
        "step a",
        "step b color=blue size=small",
        "step y",
        "step c replaced",
        "step z who=layer1",
    ];
    let positions: Vec<usize> = order.iter().map(|line| position(&all, line)).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "order {order:?}:\n{all}"
    );
    assert!(!all.contains("step d"), "skipped: {all}");
    assert!(!all.contains("original"), "replaced: {all}");

    // Two layers in order: the last one wins.
    let (output, all) = run(
        "overrides",
        "base.yaml",
        &["--overrides", &layer1, "--overrides", &layer2],
        &[],
    );
    assert!(output.status.success(), "{all}");
    assert!(all.contains("step b color=blue size=large"), "{all}");
    assert!(all.contains("step z who=layer2"), "{all}");
    assert!(
        !all.contains("step x"),
        "layer2 skips what layer1 added: {all}"
    );

    let bad = dir.join("bad-anchor.yaml").display().to_string();
    let (output, all) = run("overrides", "base.yaml", &["--overrides", &bad], &[]);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(
        all.contains("step 'w' in ")
            && all.contains("bad-anchor.yaml: after: 'nowhere' names no step"),
        "{all}"
    );
    assert!(all.contains("💡 the steps are: a, b, c, d"), "{all}");

    // Skipping or replacing a step the workflow does not have is refused the same way
    // (the engine drops it silently), and nothing runs.
    for (file, action) in [
        ("skip-missing.yaml", "skip"),
        ("replace-missing.yaml", "replace"),
    ] {
        let layer = dir.join(file).display().to_string();
        let (output, all) = run("overrides", "base.yaml", &["--overrides", &layer], &[]);
        assert_eq!(output.status.code(), Some(2), "{all}");
        assert!(
            all.contains(&format!(
                "❌ step 'not_there' in {layer}: action: {action} names no step"
            )),
            "{all}"
        );
        assert!(all.contains("💡 the steps are: a, b, c, d"), "{all}");
        assert!(all.contains("🔧 "), "{all}");
        assert!(!all.contains("step a"), "nothing ran: {all}");
    }
    // Skipping what an earlier layer already skipped asks for what is so.
    let (output, all) = run(
        "overrides",
        "base.yaml",
        &["--overrides", &layer1, "--overrides", &layer1],
        &[],
    );
    assert!(output.status.success(), "{all}");
}

#[test]
fn dry_run_prints_the_merged_workflow_and_runs_nothing() {
    let dir = fixtures("overrides");
    let layer1 = dir.join("layer1.yaml").display().to_string();
    let (output, all) = run(
        "overrides",
        "base.yaml",
        &["--dry-run", "--overrides", &layer1],
        &[],
    );
    assert!(output.status.success(), "{all}");
    let stdout = text(&output.stdout);
    assert!(!stdout.contains("▶"), "nothing ran: {stdout}");
    let (merged, names) = crate::common::dry_run_workflow(&stdout);
    assert_eq!(names, ["x", "a", "b", "y", "c", "z"]);
    assert_eq!(
        merged["steps"][2]["configuration"],
        serde_json::json!({"COLOR": "blue", "SIZE": "small"})
    );
    assert_eq!(merged["steps"][4]["command"], "echo \"step c replaced\"");
    assert!(merged["steps"][0].get("before").is_none());
    assert_eq!(merged["configuration"]["WHO"], "layer1");
}

#[test]
fn a_failing_step_stops_the_run_and_is_named_with_its_exit_code() {
    let (output, all) = run("failures", "stops.yaml", &[], &[]);
    assert_eq!(output.status.code(), Some(3), "{all}");
    assert!(
        all.contains("FINE RAN") && all.contains("about to fail"),
        "{all}"
    );
    assert!(!all.contains("NEVER RAN"), "{all}");
    assert!(
        all.contains("❌ step 'boom' failed with exit code 3 (")
            && all.contains("failures/stops.yaml)"),
        "{all}"
    );
}

#[test]
fn bad_workflows_are_reported_before_anything_runs() {
    let (output, all) = run("failures", "malformed.yaml", &[], &[]);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(
        all.contains("❌ malformed YAML in ") && all.contains("failures/malformed.yaml"),
        "{all}"
    );
    assert!(all.contains("line"), "the parser's position: {all}");

    let (output, all) = run("failures", "unknown-type.yaml", &[], &[]);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(
        all.contains("❌ step 'weird' in ")
            && all.contains("unknown-type.yaml: unknown step type 'lambda'"),
        "{all}"
    );
    assert!(!all.contains("FIRST RAN"), "{all}");

    let (output, all) = run("failures", "missing-file.yaml", &[], &[]);
    assert!(!output.status.success(), "{all}");
    assert!(
        all.contains("❌ ghost: step file ") && all.contains("does-not-exist does not exist ("),
        "{all}"
    );
    assert!(all.contains("missing-file.yaml)"), "{all}");

    let output = runner(&["run", "/nonexistent/workflow.yaml"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stdout).contains("❌ cannot read workflow file /nonexistent/workflow.yaml")
    );
}

#[test]
fn nested_workflow_steps_pre_post_and_file_outputs() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().display().to_string();
    let (output, all) = run(
        "nested",
        "workflow.yaml",
        &["--strict"],
        &[("NP_OUTPUT_DIR", &out_dir)],
    );
    assert!(output.status.success(), "{all}");
    assert!(
        all.contains("inner one prepared=yes"),
        "pre outputs reach the step: {all}"
    );
    let report = out.path().join("report.json").display().to_string();
    assert!(
        all.contains(&format!("post sees INNER=1 REPORT={report}")),
        "{all}"
    );
    assert!(
        all.contains("after group INNER=1 report={\"ok\":true}"),
        "{all}"
    );
    assert!(all.contains("▶ group › inner_one"), "{all}");
    assert!(
        all.contains("function says hello"),
        "a function output lives on: {all}"
    );
}

#[test]
fn context_comes_from_the_file_then_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let wf =
        crate::common::write_one_step_workflow(dir.path(), &[], "printenv CONTEXT SERVICE_PATH");
    let context = dir.path().join("context.json");
    std::fs::write(&context, "{\"scope\": {\"id\": 5}}\n").unwrap();
    let ctx = context.display().to_string();
    let output = runner(
        &["run", &wf, "--context", &ctx],
        &[("CONTEXT", "{\"from\":\"env\"}")],
    );
    let stdout = text(&output.stdout);
    assert!(stdout.contains("{\"scope\": {\"id\": 5}}"), "{stdout}");
    let output = runner(&["run", &wf], &[("CONTEXT", "{\"from\":\"env\"}")]);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("{\"from\":\"env\"}"), "{stdout}");
    // Without --service-path, SERVICE_PATH is the repository root: found from the workflow,
    // else from the current directory (the test's, inside the repository).
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .canonicalize()
        .unwrap();
    assert!(
        stdout.contains(&format!("\n{}\n", repo.display())),
        "{stdout}"
    );
    let service = dir.path().display().to_string();
    let output = runner(&["run", &wf, "--service-path", &service], &[]);
    let canonical = dir.path().canonicalize().unwrap();
    assert!(
        text(&output.stdout).contains(&format!("\n{}\n", canonical.display())),
        "{}",
        text(&output.stdout)
    );
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{nope").unwrap();
    let output = runner(&["run", &wf, "--context", &bad.display().to_string()], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stdout).contains("is not JSON"));
}

#[test]
fn every_workflow_of_the_repository_loads() {
    // The product's own workflows: includes resolve, overrides-free merge succeeds and every
    // step has a known type (a --dry-run runs nothing).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pending = vec![root.join("workflows")];
    let mut checked = 0;
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let file = path.display().to_string();
                let service = root.display().to_string();
                let output = runner(
                    &["run", "--dry-run", &file, "--service-path", &service],
                    &[],
                );
                assert!(
                    output.status.success(),
                    "{file}:\n{}{}",
                    text(&output.stdout),
                    text(&output.stderr)
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 0 || !root.join("workflows").exists());
}
