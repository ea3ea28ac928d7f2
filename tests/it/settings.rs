//! Operator settings end to end: every step's `--help` names only table settings (under
//! their namespaced names, with the table's defaults) or variables the table says are no
//! settings; the binary hands the effective value to clap and to the programs it starts.

use std::path::Path;
use std::process::Output;

use crate::common::{run_command, text, write_one_step_workflow};
use lambda_scope::commands::COMMANDS;
use lambda_scope::settings::{self, NOT_SETTINGS};

/// Runs `lambda-scope <args>` with only PATH, HOME and `env` in its environment.
fn lambda_scope(args: &[&str], env: &[(&str, &str)]) -> Output {
    run_command("lambda-scope", args, env)
}

/// One option of a `--help` page: its `[env: …]` name and value, and clap's own default.
#[derive(Debug)]
struct HelpArg {
    text: String,
    env: Option<(String, String)>,
    default: Option<String>,
}

/// The options of a long `--help` page, each from its `--flag` line to the next one.
fn help_args(help: &str) -> Vec<HelpArg> {
    let starts_arg = |line: &str| {
        let line = line.trim_start();
        (line.starts_with("--") || line.starts_with('-') && line.get(2..4) == Some(", "))
            || line.starts_with('<') && line.ends_with('>')
    };
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in help.lines() {
        if starts_arg(line) {
            blocks.push(vec![line]);
        } else if let Some(block) = blocks.last_mut() {
            block.push(line);
        }
    }
    blocks
        .into_iter()
        .map(|lines| {
            let trimmed: Vec<&str> = lines.iter().map(|line| line.trim()).collect();
            // clap prints its env and default annotations on lines of their own.
            let at = trimmed.iter().position(|line| line.starts_with("[env: "));
            let env = at.map(|at| {
                let inner = &trimmed[at]["[env: ".len()..trimmed[at].len() - 1];
                match inner.split_once('=') {
                    Some((name, value)) => (name.to_string(), value.to_string()),
                    None => (inner.to_string(), String::new()),
                }
            });
            let default = trimmed
                .iter()
                .skip(at.map_or(0, |at| at + 1))
                .find_map(|line| line.strip_prefix("[default: ")?.strip_suffix(']'))
                .map(str::to_string);
            HelpArg {
                text: lines.join("\n"),
                env,
                default,
            }
        })
        .collect()
}

#[test]
fn every_help_names_table_settings_by_their_namespaced_names_with_the_tables_defaults() {
    let mut checked = 0;
    for command in COMMANDS {
        let output = lambda_scope(&[command.name, "--help"], &[]);
        assert!(output.status.success(), "{} --help failed", command.name);
        let help = text(&output.stdout);
        for arg in help_args(&help) {
            let Some((name, _)) = &arg.env else { continue };
            checked += 1;
            match settings::find(name) {
                Some(setting) => {
                    assert_eq!(
                        name, setting.namespaced,
                        "{}: the option reading {name} must read the namespaced name (env = settings::{}.namespaced)",
                        command.name, setting.generic
                    );
                    match (&arg.default, setting.default) {
                        (Some(shown), table) => assert_eq!(
                            Some(shown.as_str()),
                            table,
                            "{}: {name} shows another default than the table's",
                            command.name
                        ),
                        (None, Some(table)) => assert!(
                            arg.text.contains(&format!("[default: {table}]")),
                            "{}: {name} has the default {table} in the table; the help must show it\n{}",
                            command.name,
                            arg.text
                        ),
                        (None, None) => {}
                    }
                }
                None => assert!(
                    NOT_SETTINGS.iter().any(|(other, _)| other == name),
                    "{}: {name} is neither in settings::ALL nor in settings::NOT_SETTINGS: add it to the table (if an operator sets it) or say why it is none",
                    command.name
                ),
            }
        }
    }
    assert!(
        checked > 20,
        "the help pages were not parsed: {checked} env options"
    );
}

#[test]
fn a_generic_name_reaches_the_step_and_the_namespaced_one_wins_with_a_notice() {
    let help = |env: &[(&str, &str)]| {
        let output = lambda_scope(&["wait-provisioned-concurrency", "--help"], env);
        assert!(output.status.success());
        (text(&output.stdout), text(&output.stderr))
    };
    let (generic, quiet) = help(&[("LAMBDA_MAIN_ALIAS_NAME", "live")]);
    assert!(
        generic.contains("[env: SCOPE_LAMBDA_MAIN_ALIAS_NAME=live]"),
        "{generic}"
    );
    assert_eq!(quiet, "", "one name set: nothing to say");

    let (both, notice) = help(&[
        ("LAMBDA_MAIN_ALIAS_NAME", "live"),
        ("SCOPE_LAMBDA_MAIN_ALIAS_NAME", "prod"),
    ]);
    assert!(
        both.contains("[env: SCOPE_LAMBDA_MAIN_ALIAS_NAME=prod]"),
        "{both}"
    );
    assert_eq!(
        notice,
        "⚠️  SCOPE_LAMBDA_MAIN_ALIAS_NAME='prod' and LAMBDA_MAIN_ALIAS_NAME='live' are both set: using SCOPE_LAMBDA_MAIN_ALIAS_NAME (the namespaced name wins)\n"
    );

    let (blank, quiet) = help(&[
        ("LAMBDA_MAIN_ALIAS_NAME", "live"),
        ("SCOPE_LAMBDA_MAIN_ALIAS_NAME", "  "),
    ]);
    assert!(
        blank.contains("[env: SCOPE_LAMBDA_MAIN_ALIAS_NAME=live]"),
        "{blank}"
    );
    assert_eq!(
        quiet, "",
        "a blank value is unset, so the two do not disagree"
    );
}

/// Writes a one-step workflow printing both names of LAMBDA_MEMORY, and runs it with
/// the local runner.
fn run_printing_memory(dir: &Path, env: &[(&str, &str)]) -> Output {
    let workflow = write_one_step_workflow(
        dir,
        &[],
        // printenv: the child's own environment, not the runner's $VAR expansion.
        "printenv LAMBDA_MEMORY SCOPE_LAMBDA_MEMORY; printenv LAMBDA_TIMEOUT SCOPE_LAMBDA_TIMEOUT || echo timeout-unset",
    );
    run_workflow(dir, &workflow, env)
}

/// Runs `workflow` with the local runner (`lambda-scope scope-workflow run`), `dir` as
/// the service path.
fn run_workflow(dir: &Path, workflow: &str, env: &[(&str, &str)]) -> Output {
    let service = dir.display().to_string();
    lambda_scope(
        &[
            "scope-workflow",
            "run",
            workflow,
            "--service-path",
            &service,
        ],
        env,
    )
}

#[test]
fn programs_a_step_starts_see_the_effective_value_under_both_names() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_printing_memory(
        dir.path(),
        &[
            ("LAMBDA_MEMORY", "512"),
            ("SCOPE_LAMBDA_MEMORY", "1024"),
            ("LAMBDA_TIMEOUT", " "),
        ],
    );
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{all}");
    assert!(all.contains("\n1024\n1024\ntimeout-unset\n"), "{all}");
    assert_eq!(
        all.matches("SCOPE_LAMBDA_MEMORY='1024' and LAMBDA_MEMORY='512' are both set")
            .count(),
        1,
        "said once, by the runner; its children see one value\n{all}"
    );
    assert!(
        !all.contains("LAMBDA_TIMEOUT"),
        "a blank value is no disagreement\n{all}"
    );
}

#[test]
fn a_generic_name_a_step_configuration_sets_is_not_outvoted_by_the_runners_own_copy() {
    // The runner copied LAMBDA_MEMORY=512 to SCOPE_LAMBDA_MEMORY at its start; a step's
    // configuration then sets the generic name: the step must see that value under both
    // names (no operator chose the namespaced one).
    let dir = tempfile::tempdir().unwrap();
    let workflow = write_one_step_workflow(
        dir.path(),
        &[("LAMBDA_MEMORY", "2048")],
        "printenv LAMBDA_MEMORY SCOPE_LAMBDA_MEMORY",
    );
    let output = run_workflow(dir.path(), &workflow, &[("LAMBDA_MEMORY", "512")]);
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{all}");
    assert!(all.contains("\n2048\n2048\n"), "{all}");

    // A namespaced value the operator set still wins in the step (which reconciles it).
    let output = run_workflow(
        dir.path(),
        &workflow,
        &[("LAMBDA_MEMORY", "512"), ("SCOPE_LAMBDA_MEMORY", "1024")],
    );
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{all}");
    assert!(all.contains("\n2048\n1024\n"), "{all}");
}
