//! The command table against what names its steps elsewhere: every `file:` of the
//! shipped workflows is a shim of a step in the table, every step has its shim (which
//! runs that step), and the binary answers to each name, as argv[0] and as an argument;
//! a step's former names still run it, as links, arguments and shims.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{bash, bin_dir, repo_root, text};
use lambda_scope::commands::{self, Kind, COMMANDS};
use serde_json::Value;

/// Shims that are plain shell, not a step of the binary.
const SHELL_ONLY_SHIMS: &[&str] = &["not-implemented"];

fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, found);
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            found.push(path);
        }
    }
}

fn file_values(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("file", Value::String(file)) => found.push(file.clone()),
                    _ => file_values(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| file_values(item, found)),
        _ => {}
    }
}

#[test]
fn every_workflow_file_is_the_shim_of_a_step_in_the_table() {
    let mut workflows = Vec::new();
    yaml_files(&repo_root().join("workflows"), &mut workflows);
    assert!(workflows.len() >= 15, "{workflows:?}");
    let mut named = 0;
    for workflow in &workflows {
        let yaml = std::fs::read_to_string(workflow).unwrap();
        let document: Value = serde_saphyr::from_str(&yaml)
            .unwrap_or_else(|err| panic!("{}: {err}", workflow.display()));
        let mut files = Vec::new();
        file_values(&document, &mut files);
        for file in files {
            let step = file
                .strip_prefix("$SERVICE_PATH/steps/")
                .unwrap_or_else(|| {
                    panic!("{}: {file} is not a shim in steps/", workflow.display())
                });
            assert!(
                repo_root().join("steps").join(step).is_file(),
                "{}: steps/{step} does not exist",
                workflow.display()
            );
            assert!(
                commands::find(step).is_some_and(|c| c.kind == Kind::Step),
                "{}: {step} is not a step of the command table",
                workflow.display()
            );
            // The shipped workflows use each step's own name; aliases are for others.
            assert_eq!(
                commands::find(step).map(|c| c.name),
                Some(step),
                "{}: {step} is a former name",
                workflow.display()
            );
            named += 1;
        }
    }
    assert!(named >= 40, "only {named} step files found");
}

#[test]
fn every_step_has_a_shim_that_runs_it_and_every_shim_is_a_step() {
    for step in commands::steps() {
        let shim = repo_root().join("steps").join(step.name);
        let body = std::fs::read_to_string(&shim)
            .unwrap_or_else(|err| panic!("{}: no shim steps/{} ({err})", step.name, step.name));
        assert!(
            body.contains(&format!("/_run\" {} \"$@\"", step.name)),
            "steps/{} does not run its own step: {body}",
            step.name
        );
    }
    for entry in std::fs::read_dir(repo_root().join("steps")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.starts_with('_') || SHELL_ONLY_SHIMS.contains(&name.as_str()) {
            continue;
        }
        assert!(
            commands::find(&name).is_some_and(|c| c.kind == Kind::Step),
            "steps/{name} is not a step of the command table"
        );
    }
}

#[test]
fn the_binary_answers_to_every_name_as_a_link_and_as_its_first_argument() {
    let binary = bin_dir().join(commands::BINARY);
    let list = Command::new(&binary).arg("--list").output().unwrap();
    assert!(list.status.success());
    let listing = text(&list.stdout);
    assert_eq!(listing.lines().count(), COMMANDS.len(), "{listing}");
    for command in COMMANDS {
        assert!(
            listing
                .lines()
                .any(|line| line.split_whitespace().next() == Some(command.name)),
            "{} missing from --list",
            command.name
        );
        let by_link = Command::new(bin_dir().join(command.name))
            .arg("--help")
            .output()
            .unwrap();
        let by_argument = Command::new(&binary)
            .args([command.name, "--help"])
            .output()
            .unwrap();
        assert!(by_link.status.success(), "{} --help", command.name);
        // The same help either way, and it is the command's own (its name in the usage).
        assert_eq!(
            text(&by_link.stdout),
            text(&by_argument.stdout),
            "{}",
            command.name
        );
        assert!(
            text(&by_link.stdout).contains(&format!("Usage: {}", command.name)),
            "{}: {}",
            command.name,
            text(&by_link.stdout)
        );
    }
    let unknown = Command::new(&binary).arg("no-such-step").output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    let report = text(&unknown.stderr);
    assert!(
        report.contains("❌ unknown command 'no-such-step'") && report.contains("🔧"),
        "{report}"
    );
}

/// Every alias in the command table with its command's name: the names steps had before
/// they were named verb-object (the table's unit test pins which those are).
fn former_names() -> Vec<(&'static str, &'static str)> {
    let names: Vec<_> = COMMANDS
        .iter()
        .flat_map(|command| {
            command
                .aliases
                .iter()
                .map(move |alias| (*alias, command.name))
        })
        .collect();
    assert!(!names.is_empty(), "the table keeps the former names");
    names
}
/// `<name> --help` run as `lambda-scope <name> --help`.
fn help_by_argument(name: &str) -> String {
    let output = Command::new(bin_dir().join(commands::BINARY))
        .args([name, "--help"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{name} --help");
    text(&output.stdout)
}

#[test]
fn every_former_name_still_runs_its_step_as_a_link_an_argument_and_a_shim() {
    let links = tempfile::tempdir().unwrap();
    for (old, new) in former_names() {
        let command = commands::find(old).unwrap_or_else(|| panic!("{old} is not accepted"));
        assert_eq!(command.name, new);
        assert!(command.aliases.contains(&old), "{new} does not list {old}");

        // As an argument: the renamed step's own help (the usage names what was typed).
        let by_argument = help_by_argument(old);
        assert_eq!(
            by_argument.replace(&format!("Usage: {old}"), &format!("Usage: {new}")),
            help_by_argument(new),
            "{old}"
        );

        // As argv[0]: a link named after the former name, as the package ships it.
        std::os::unix::fs::symlink(bin_dir().join(commands::BINARY), links.path().join(old))
            .unwrap();
        let by_link = Command::new(links.path().join(old))
            .arg("--help")
            .output()
            .unwrap();
        assert!(by_link.status.success(), "{old} link --help");
        assert_eq!(text(&by_link.stdout), by_argument, "{old}");

        // As a shim: steps/<old> runs the step through steps/<new>.
        let shim = std::fs::read_to_string(repo_root().join("steps").join(old))
            .unwrap_or_else(|err| panic!("no shim steps/{old} ({err})"));
        assert!(
            shim.contains(&format!("/{new}\" \"$@\"")),
            "steps/{old} does not run steps/{new}: {shim}"
        );
        let env = [("SCOPE_BIN_DIR".to_string(), bin_dir().display().to_string())];
        let by_shim = bash(
            &format!("source steps/{old} --help; echo \"rc=$?\""),
            &env,
            &repo_root(),
        );
        assert_eq!(
            text(&by_shim.stdout),
            format!("{}rc=0\n", help_by_argument(new)),
            "{old}: {}",
            text(&by_shim.stderr)
        );

        // A failure comes back through the old shim as through the new one, code included.
        let refused = |shim: &str| {
            let output = bash(
                &format!("source steps/{shim} --no-such-flag; echo \"rc=$?\""),
                &env,
                &repo_root(),
            );
            (text(&output.stdout), text(&output.stderr))
        };
        let (old_out, old_err) = refused(old);
        assert_eq!(old_out, "rc=2\n", "{old}: {old_err}");
        assert!(old_err.contains("--no-such-flag"), "{old}: {old_err}");
        assert_eq!((old_out, old_err), refused(new), "{old}");
    }
}

#[test]
fn list_shows_each_former_name_beside_its_step_and_names_lists_every_name() {
    let binary = bin_dir().join(commands::BINARY);
    let listing = text(&Command::new(&binary).arg("--list").output().unwrap().stdout);
    let names = text(
        &Command::new(&binary)
            .arg("--names")
            .output()
            .unwrap()
            .stdout,
    );
    for (old, new) in former_names() {
        let line = listing
            .lines()
            .find(|line| line.split_whitespace().next() == Some(new))
            .unwrap_or_else(|| panic!("{new} missing from --list: {listing}"));
        assert!(line.contains(&format!("(alias: {old})")), "{line}");
        assert!(names.lines().any(|name| name == old), "{old}: {names}");
    }
    for name in commands::all_names() {
        assert!(names.lines().any(|line| line == name), "{name}: {names}");
    }
    assert_eq!(
        names.lines().count(),
        commands::all_names().count(),
        "{names}"
    );
}
