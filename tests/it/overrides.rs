//! Operators' overrides written for the reference scope keep working: an overrides
//! repository in the platform's documented layout (`<dir>/scope/workflows/create.yaml`)
//! is found, the reference's step names reach our steps (or say which of ours does that
//! work), and a name that reaches no step stops the run before anything runs. The create
//! run goes through the channel entrypoint and the local runner against moto server and
//! the real terraform binary.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{bash, bin_dir, np_env, repo_root, text, MotoServer};
use crate::support::scope_world::{
    np_accepting_scope_patches, public_image_account, stand_in_modules,
};
use crate::support::terraform::TofuCli;
use lambda_scope::workflow::overrides::Names;
use lambda_scope::workflow::{Document, Env};

/// Every step of the reference scope's workflows (nullplatform/scopes-lambda
/// `lambda/<kind>/workflows/*.yaml`, executor hooks included), with the two names its
/// script files give the `tofu` and `store_metadata` steps, by our WORKFLOW_ACTION.
const REFERENCE: &[(&str, &[&str])] = &[
    (
        "scope/create",
        &[
            "assume_role",
            "build_context",
            "resolve_placeholder_image",
            "build_tofu_context",
            "setup_provider",
            "setup_iam",
            "setup_compute",
            "compose_modules",
            "tofu",
            "do_tofu",
            "store_metadata",
            "store_nrn_metadata",
        ],
    ),
    (
        "scope/update",
        &["assume_role", "build_context", "update_iam"],
    ),
    (
        "scope/delete",
        &[
            "assume_role",
            "build_context",
            "build_destroy_context",
            "setup_provider",
            "setup_iam",
            "setup_compute",
            "compose_modules",
            "tofu",
            "do_tofu",
            "delete_sm_secrets",
        ],
    ),
    (
        "scope/diagnose",
        &[
            "assume_role",
            "build_context",
            "diagnose",
            "notify_check_running",
            "notify_check_results",
        ],
    ),
    (
        "scope/invoke",
        &["assume_role", "build_context", "invoke_lambda"],
    ),
    (
        "scope/adjust_provisioned_concurrency",
        &[
            "assume_role",
            "build_context",
            "adjust_provisioned_concurrency",
        ],
    ),
    (
        "scope/adjust_reserved_concurrency",
        &[
            "assume_role",
            "build_context",
            "adjust_reserved_concurrency",
        ],
    ),
    (
        "deployment/initial",
        &[
            "assume_role",
            "build_context",
            "sync_parameters_to_secrets_manager",
            "update_function_code",
            "update_function_configuration",
            "publish_version",
            "update_alias",
            "wait_provisioned_concurrency",
        ],
    ),
    (
        "deployment/blue_green",
        &[
            "assume_role",
            "build_context",
            "sync_parameters_to_secrets_manager",
            "update_function_code",
            "update_function_configuration",
            "publish_version",
            "wait_provisioned_concurrency",
        ],
    ),
    (
        "deployment/switch_traffic",
        &["assume_role", "build_context", "switch_traffic"],
    ),
    (
        "deployment/finalize",
        &[
            "assume_role",
            "build_context",
            "finalize_traffic",
            "cleanup_old_version",
        ],
    ),
    (
        "deployment/rollback",
        &[
            "assume_role",
            "build_context",
            "restore_alias",
            "cleanup_new_version",
        ],
    ),
    (
        "deployment/delete",
        &["assume_role", "build_context", "cleanup_version"],
    ),
    (
        "deployment/diagnose",
        &[
            "assume_role",
            "build_context",
            "diagnose",
            "notify_check_running",
            "notify_check_results",
        ],
    ),
    ("log/log", &["assume_role", "build_context", "fetch_logs"]),
    ("metric/list", &["assume_role", "list_metrics"]),
    (
        "metric/metric",
        &["assume_role", "build_context", "fetch_metric"],
    ),
    (
        "instance/list",
        &["assume_role", "build_context", "list_instances"],
    ),
];

/// The names our workflows' steps had before they took the reference's: tests and
/// operators' overrides written against them keep reaching the same step.
const FORMER: &[(&str, &str)] = &[
    ("scope/create", "build_scope_context"),
    ("scope/create", "store_scope_metadata"),
    ("scope/diagnose", "build_scope_context"),
    ("scope/delete", "delete_scope_secrets"),
    ("scope/invoke", "invoke_function"),
    ("scope/adjust_provisioned_concurrency", "adjust_concurrency"),
    ("scope/adjust_reserved_concurrency", "adjust_concurrency"),
    ("deployment/initial", "build_deployment_context"),
    ("deployment/diagnose", "build_deployment_context"),
    ("deployment/delete", "delete_version"),
    ("deployment/rollback", "rollback_traffic"),
    ("log/log", "read_logs"),
    ("metric/metric", "read_metric"),
];

fn workflow_file(action: &str) -> PathBuf {
    repo_root().join(format!("workflows/{action}.yaml"))
}

fn service_env() -> Env {
    Env::from([(
        "SERVICE_PATH".to_string(),
        repo_root().display().to_string(),
    )])
}

fn step_names(doc: &Document) -> Vec<String> {
    doc.steps.iter().map(|s| s.name().to_string()).collect()
}

/// Loads one of our workflows and layers `override_yaml` on it, as the runner does.
fn layered(action: &str, override_yaml: &str) -> Result<Document, String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("override.yaml");
    std::fs::write(&file, override_yaml).unwrap();
    let env = service_env();
    let mut doc = Document::load(&workflow_file(action), &env).unwrap();
    doc.apply_overrides_file(&file, &env)
        .map(|()| doc)
        .map_err(|err| err.to_string())
}

#[test]
fn every_reference_step_name_reaches_a_step_or_names_the_step_doing_its_work() {
    for (action, names) in REFERENCE {
        let base = Document::load(&workflow_file(action), &service_env()).unwrap();
        let ours = step_names(&base);
        for name in *names {
            let insert = format!(
                "steps:\n  - name: operator_step\n    after: {name}\n    type: command\n    command: \"true\"\n"
            );
            match layered(action, &insert) {
                Ok(doc) => {
                    // The step itself, or ours of the same work under its own name.
                    let reached = Names::for_workflow(Some(action))
                        .alias_of(name)
                        .unwrap_or(name);
                    assert!(ours.iter().any(|n| n == reached), "{action}: {name}");
                    let names = step_names(&doc);
                    let at = names.iter().position(|n| n == "operator_step").unwrap();
                    assert_eq!(names[at - 1], reached, "{action}: after: {name}");
                    assert_eq!(names.len(), ours.len() + 1, "{action}: {name}");
                }
                Err(err) => {
                    // No counterpart of its own: the error says which step does that work
                    // (or where it happens), and lists the steps there are.
                    assert!(
                        err.contains(&format!("`{name}` is part of `"))
                            || err.contains(&format!("`{name}` does not happen in this workflow")),
                        "{action}: {name}: {err}"
                    );
                    assert!(
                        err.contains(&format!("💡 the steps are: {}", ours.join(", "))),
                        "{err}"
                    );
                    assert!(err.contains("🔧 "), "{err}");
                }
            }
        }
    }
}

#[test]
fn former_step_names_still_reach_the_same_step() {
    for (action, former) in FORMER {
        let skip = format!("steps:\n  - name: {former}\n    action: skip\n");
        let doc = layered(action, &skip).unwrap_or_else(|err| panic!("{action}: {err}"));
        let base = Document::load(&workflow_file(action), &service_env()).unwrap();
        assert_eq!(
            doc.steps.len() + 1,
            base.steps.len(),
            "{action}: skipping {former} removes one step"
        );
        assert!(
            doc.warnings
                .iter()
                .any(|w| w.contains(&format!("`{former}` stands for"))),
            "{action}: {:?}",
            doc.warnings
        );
    }
}

#[test]
fn a_merge_through_another_name_keeps_the_workflows_name_and_settings() {
    let merge = "steps:\n  - name: do_tofu\n    configuration:\n      TF_LOG: info\n";
    let doc = layered("scope/create", merge).unwrap();
    let tofu = doc.steps.iter().find(|s| s.name() == "tofu").unwrap();
    assert_eq!(tofu.value["configuration"]["TF_LOG"], "info");
    assert_eq!(tofu.value["file"], "$SERVICE_PATH/steps/run-tofu");
    assert!(!step_names(&doc).contains(&"do_tofu".to_string()));
}

/// NP_ACTION_CONTEXT as the channel sends it.
fn action_context(fixture: &str) -> String {
    let path = repo_root().join(format!("tests/fixtures/notifications/{fixture}.json"));
    format!("'{}'", std::fs::read_to_string(path).unwrap())
}

fn documented_overrides() -> PathBuf {
    repo_root().join("tests/fixtures/overrides/documented")
}

/// Runs `script` in bash with the binary's folder and the create notification.
fn with_route(script: &str, overrides: &Path, extra: &[(String, String)]) -> Output {
    let mut env = vec![
        (
            "NP_ACTION_CONTEXT".to_string(),
            action_context("create-scope"),
        ),
        ("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()),
        ("REPO".into(), repo_root().display().to_string()),
        ("OVERRIDES".into(), overrides.display().to_string()),
    ];
    env.extend(extra.iter().cloned());
    bash(script, &env, &repo_root())
}

#[test]
fn the_documented_layout_changes_the_create_workflow_as_the_operator_meant_dry_run() {
    // What the entrypoint does: route (finding the overrides), then run them on the workflow.
    let output = with_route(
        r#"eval "$("$SCOPE_BIN_DIR/scope-workflow" route --service-path="$REPO" --overrides-path="$OVERRIDES")" || exit $?
exec "$SCOPE_BIN_DIR/scope-workflow" run "$SCOPE_WORKFLOW_PATH" --service-path "$REPO" --overrides "$SCOPE_WORKFLOW_OVERRIDES" --dry-run"#,
        &documented_overrides(),
        &[],
    );
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    let (merged, names) = crate::common::dry_run_workflow(&stdout);
    assert_eq!(
        names,
        [
            "assume_role",
            "fetch_scope_config",
            "build_context",
            "resolve_placeholder_image",
            "generate_domain",
            "audit_before_compose",
            "compose_tofu",
            "tofu",
        ]
    );
    assert!(merged["steps"][5].get("before").is_none());
    // The agent's engine knows only the real names: the runner says which to write.
    for (alias, ours) in [
        ("compose_modules", "compose_tofu"),
        ("store_nrn_metadata", "store_metadata"),
    ] {
        assert!(
            stderr.contains(&format!(
                "`{alias}` stands for `{ours}` here; the agent's engine (np) matches step names exactly"
            )),
            "{stderr}"
        );
    }
}

fn position(haystack: &str, needle: &str) -> usize {
    haystack
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{haystack}"))
}

#[test]
fn the_documented_layout_changes_a_real_create_run_through_the_entrypoint() {
    let moto = MotoServer::start();
    let role = public_image_account(&moto);

    let dir = tempfile::tempdir().unwrap();
    let modules = dir.path().join("modules");
    stand_in_modules(&modules);
    let context = dir.path().join("context.json");
    std::fs::write(
        &context,
        crate::common::context_fixture("scope-public-image.json").to_string(),
    )
    .unwrap();
    let out = dir.path().join("np");
    let cli = TofuCli::find();
    let mut env = moto.aws_env();
    env.extend(np_env(dir.path(), np_accepting_scope_patches()));
    env.extend(cli.env());
    for (key, value) in [
        ("SCOPE_WORKFLOW_RUNNER", "local".to_string()),
        ("SCOPE_WORKFLOW_STRICT", "true".to_string()),
        ("SCOPE_WORKFLOW_CONTEXT", context.display().to_string()),
        ("NP_OUTPUT_DIR", out.display().to_string()),
        (
            "SCOPE_CREDENTIALS_CACHE_DIR",
            dir.path().join("cache").display().to_string(),
        ),
        ("ASSUME_ROLE_ARN", role),
        ("TOFU_MODULES_DIR", modules.display().to_string()),
        ("HOSTED_PUBLIC_ZONE_NAME", "example.com".to_string()),
        // A priority to keep: store-metadata, had it run, would write it to the NRN.
        ("ALB_RULE_PRIORITY", "17".to_string()),
    ] {
        env.push((key.to_string(), value));
    }
    let output = with_route(
        r#"exec "$REPO/entrypoint" --service-path="$REPO" --overrides-path="$OVERRIDES""#,
        &documented_overrides(),
        &env,
    );
    let stdout = text(&output.stdout);
    let log = stdout.clone() + &text(&output.stderr);
    assert!(output.status.success(), "{log}");
    assert!(log.contains("Apply complete!"), "{log}");

    // The inserted step ran after build_context and before compose-tofu.
    let marker = std::fs::read_to_string(out.join("audit-marker")).expect(&log);
    assert_eq!(marker, "scope=7 composed=no\n", "{log}");
    assert!(
        position(&stdout, "✅ audit_before_compose (") < position(&stdout, "▶ compose_tofu"),
        "{stdout}"
    );
    assert!(
        position(&stdout, "✅ build_context (") < position(&stdout, "▶ audit_before_compose"),
        "{stdout}"
    );

    // store-metadata never ran: np got no NRN patch, and its one scope patch is
    // generate-domain's domain.
    assert!(!stdout.contains("▶ store_metadata"), "{stdout}");
    assert!(!log.contains("lambda.alb_rule_priority"), "{log}");
    let calls = crate::common::np_calls(dir.path());
    assert!(!calls.iter().any(|c| c[0] == "nrn"), "{calls:?}");
    let patches: Vec<&Vec<String>> = calls
        .iter()
        .filter(|c| c[0] == "scope" && c[1] == "patch")
        .collect();
    assert_eq!(patches.len(), 1, "{calls:?}");
    assert!(patches[0].iter().any(|a| a.contains("\"domain\"")));

    // Without the skip, this environment would have written the priority to the NRN.
    let mut step_env = env.clone();
    step_env.extend([
        (
            "SCOPE_NRN".to_string(),
            "organization=1:account=2:namespace=3:application=4:scope=7".to_string(),
        ),
        ("TOFU_ACTION".into(), "apply".into()),
        ("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()),
    ]);
    let control = crate::common::source_step("store-scope-metadata", "", &step_env, dir.path());
    assert_eq!(control.code, 0, "{}", control.log);
    assert!(crate::common::np_calls(dir.path())
        .iter()
        .any(|c| c[..2] == ["nrn", "patch"]
            && c.contains(&r#"{"lambda.alb_rule_priority":17}"#.to_string())));
}

/// A service path whose workflows each print which one ran; telemetry answers in JSON.
fn fixture_service(root: &Path) -> PathBuf {
    let service = root.join("service");
    for (relative, telemetry) in [
        ("workflows/scope/create.yaml", false),
        ("workflows/log/log.yaml", true),
    ] {
        write_workflow(&service.join(relative), "answer", "echo BASE", telemetry);
    }
    service
}

fn write_workflow(path: &Path, step: &str, command: &str, telemetry: bool) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let config = if telemetry {
        "configuration:\n  SCOPE_LOG_STREAM: stderr\n"
    } else {
        ""
    };
    std::fs::write(
        path,
        format!("{config}steps:\n  - name: {step}\n    type: command\n    command: '{command}'\n"),
    )
    .unwrap();
}

fn write_override(path: &Path, command: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        format!("steps:\n  - name: extra\n    after: answer\n    type: command\n    command: '{command}'\n"),
    )
    .unwrap();
}

fn local_entrypoint(fixture: &str, args: &str, out: &Path) -> Output {
    let env = vec![
        ("NP_ACTION_CONTEXT".to_string(), action_context(fixture)),
        ("SCOPE_WORKFLOW_RUNNER".into(), "local".into()),
        ("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()),
        ("NP_OUTPUT_DIR".into(), out.display().to_string()),
    ];
    let script = format!("exec \"{}/entrypoint\" {args}", repo_root().display());
    bash(&script, &env, &repo_root())
}

#[test]
fn with_both_layouts_in_one_dir_the_documented_one_wins_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let service = fixture_service(dir.path());
    let overrides = dir.path().join("ovr");
    let documented = overrides.join("scope/workflows/create.yaml");
    let ours = overrides.join("workflows/scope/create.yaml");
    write_override(&documented, "echo FROM-DOCUMENTED");
    write_override(&ours, "echo FROM-OURS");
    // A custom action only the overrides dir has, in the documented layout.
    write_workflow(
        &overrides.join("scope/workflows/warm_up.yaml"),
        "warm",
        "echo WARM-UP",
        false,
    );
    let args = format!(
        "--service-path={} --overrides-path={}",
        service.display(),
        overrides.display()
    );

    let output = local_entrypoint("create-scope", &args, dir.path());
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        position(&stdout, "BASE") < position(&stdout, "FROM-DOCUMENTED"),
        "{stdout}"
    );
    assert!(!stdout.contains("FROM-OURS"), "{stdout}");
    // The warning is on the progress stream (stdout for lifecycle actions), naming both.
    let warning = stdout
        .lines()
        .find(|line| line.starts_with("⚠️ "))
        .unwrap_or_else(|| panic!("no warning: {stdout}"));
    assert!(
        warning.contains(&documented.display().to_string())
            && warning.contains(&ours.display().to_string())
            && warning.contains("the documented layout"),
        "{warning}"
    );
    assert!(
        position(&stdout, "⚠️ ") < position(&stdout, "▶ answer"),
        "{stdout}"
    );

    // Telemetry: the answer alone on stdout, the warning on stderr.
    write_override(
        &overrides.join("log/workflows/log.yaml"),
        "echo LOG-DOCUMENTED >&2",
    );
    write_override(
        &overrides.join("workflows/log/log.yaml"),
        "echo LOG-OURS >&2",
    );
    let output = local_entrypoint("log-read", &args, dir.path());
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(text(&output.stdout).trim(), "BASE");
    assert!(stderr.contains("LOG-DOCUMENTED"), "{stderr}");
    assert!(!stderr.contains("LOG-OURS"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "⚠️  {} holds {}",
            overrides.display(),
            overrides.join("log/workflows/log.yaml").display()
        )),
        "{stderr}"
    );

    let context = action_context("invoke").replace("\"invoke\"", "\"warm-up\"");
    let env = vec![
        ("NP_ACTION_CONTEXT".to_string(), context),
        ("SCOPE_WORKFLOW_RUNNER".into(), "local".into()),
        ("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()),
        ("NP_OUTPUT_DIR".into(), dir.path().display().to_string()),
    ];
    let script = format!("exec \"{}/entrypoint\" {args}", repo_root().display());
    let output = bash(&script, &env, &repo_root());
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("WARM-UP"), "{stdout}");
}

/// Runs the entrypoint on the real create workflow with `override_yaml` as the operator's
/// `<dir>/scope/workflows/create.yaml`; nothing may run (no AWS is reachable anyway).
fn refused_create(override_yaml: &str) -> (Output, String, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ovr/scope/workflows/create.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, override_yaml).unwrap();
    let output = with_route(
        r#"exec "$REPO/entrypoint" --service-path="$REPO" --overrides-path="$OVERRIDES""#,
        &dir.path().join("ovr"),
        &[
            ("SCOPE_WORKFLOW_RUNNER".into(), "local".into()),
            (
                "NP_OUTPUT_DIR".into(),
                dir.path().join("out").display().to_string(),
            ),
        ],
    );
    let all = text(&output.stdout) + &text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(!all.contains('▶'), "nothing may run: {all}");
    (output, all, file, dir)
}

const CREATE_STEPS: &str = "💡 the steps are: assume_role, fetch_scope_config, build_context, resolve_placeholder_image, generate_domain, compose_tofu, tofu, store_metadata";

#[test]
fn an_unknown_step_name_is_an_error_naming_it_and_the_steps_there_are() {
    let (_, all, file, _dir) = refused_create(
        "steps:\n  - name: audit\n    before: render_modules\n    type: command\n    command: \"true\"\n",
    );
    assert!(
        all.contains(&format!(
            "❌ step 'audit' in {}: before: 'render_modules' names no step of scope/create",
            file.display()
        )),
        "{all}"
    );
    assert!(all.contains(CREATE_STEPS), "{all}");
    assert!(
        all.contains("other names accepted here (by this runner only): build_scope_context (= build_context), compose_modules (= compose_tofu), do_tofu (= tofu), store_nrn_metadata (= store_metadata), store_scope_metadata (= store_metadata)"),
        "{all}"
    );
    assert!(
        all.contains("🔧 set before: to one of those names"),
        "{all}"
    );

    // A misspelt skip is not silently dropped either.
    let (_, all, file, _dir) =
        refused_create("steps:\n  - name: store_nrn_metdata\n    action: skip\n");
    assert!(
        all.contains(&format!(
            "❌ step 'store_nrn_metdata' in {}: action: skip names no step of scope/create",
            file.display()
        )),
        "{all}"
    );
    assert!(all.contains(CREATE_STEPS), "{all}");
}

#[test]
fn a_reference_step_we_merged_is_named_with_the_step_doing_its_work() {
    let (_, all, _, _dir) = refused_create(
        "steps:\n  - name: tag_role\n    after: setup_iam\n    type: command\n    command: \"true\"\n",
    );
    assert!(
        all.contains("after: 'setup_iam' names no step of scope/create"),
        "{all}"
    );
    assert!(
        all.contains("💡 `setup_iam` is part of `compose_tofu` here"),
        "{all}"
    );
    assert!(all.contains(CREATE_STEPS), "{all}");
    assert!(all.contains("🔧 set after: compose_tofu"), "{all}");

    let (_, all, _, _dir) = refused_create("steps:\n  - name: setup_compute\n    action: skip\n");
    assert!(
        all.contains("💡 `setup_compute` is part of `compose_tofu` here"),
        "{all}"
    );
    assert!(all.contains("🔧 name `compose_tofu` instead"), "{all}");

    // Settings for a merged step would change nothing: refused too.
    let (_, all, _, _dir) = refused_create(
        "steps:\n  - name: setup_provider\n    configuration:\n      AWS_REGION: eu-west-1\n",
    );
    assert!(
        all.contains("'setup_provider' names no step, so its settings would change nothing"),
        "{all}"
    );

    // In other workflows: the deployment's cleanup happens inside the alias step, and
    // blue/green waits for provisioned concurrency only once traffic moves.
    let err = layered(
        "deployment/finalize",
        "steps:\n  - name: cleanup_old_version\n    action: skip\n",
    )
    .unwrap_err();
    assert!(
        err.contains("`cleanup_old_version` is part of `finalize_traffic` here"),
        "{err}"
    );
    let err = layered(
        "deployment/blue_green",
        "steps:\n  - name: wait_provisioned_concurrency\n    action: replace\n    type: command\n    command: \"true\"\n",
    )
    .unwrap_err();
    assert!(
        err.contains("`wait_provisioned_concurrency` does not happen in this workflow: it runs in deployment/finalize"),
        "{err}"
    );
}
