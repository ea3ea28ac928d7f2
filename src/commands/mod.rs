//! The one table of what the `lambda-scope` binary runs: every workflow step and the two
//! tools, each with its one-line purpose and its entry function. `--list`, the argv[0]
//! dispatch, the package's links and the tests that check shims and workflows read it.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

mod adjust_concurrency;
mod assume_role;
mod build_deployment_context;
mod build_scope_context;
mod compose_tofu;
mod delete_scope_secrets;
mod diagnose;
mod ensure_ecr_pull_policy;
mod fetch_scope_config;
mod generate_domain;
mod invoke_function;
mod list_instances;
mod publish_version;
mod read_logs;
mod read_metrics;
mod resolve_placeholder_image;
mod run_tofu;
mod store_scope_metadata;
mod update_alias;
mod update_function_code;
mod update_function_configuration;
mod wait_provisioned_concurrency;

/// What a table entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A workflow step: it has a sourced shim `steps/<name>` and a permissions entry.
    Step,
    /// A command for people and the entrypoint (no shim).
    Tool,
}

/// One command of the multicall binary.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// The name workflows, shims and operators use (also the link name in the package).
    pub name: &'static str,
    /// Names it was known by before: still accepted as argv[0] and as the first argument,
    /// linked in the package and kept as shims, since workflows, overrides and operators'
    /// scripts may still use them.
    pub aliases: &'static [&'static str],
    /// One line on what it does, printed by `lambda-scope --list`.
    pub purpose: &'static str,
    pub kind: Kind,
    /// The entry: its command line, program name first (as clap expects).
    pub main: fn(Vec<OsString>) -> ExitCode,
}

impl Command {
    /// The same command, also answering to the names it had before.
    const fn formerly(self, aliases: &'static [&'static str]) -> Self {
        Command { aliases, ..self }
    }

    /// Its name, then its aliases.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }

    /// Whether `name` is its name or one of its aliases.
    pub fn answers_to(&self, name: &str) -> bool {
        self.names().any(|own| own == name)
    }
}

/// Commands are the same when their names are: the table holds each name once.
impl PartialEq for Command {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Command {}

const fn step(
    name: &'static str,
    purpose: &'static str,
    main: fn(Vec<OsString>) -> ExitCode,
) -> Command {
    Command {
        name,
        aliases: &[],
        purpose,
        kind: Kind::Step,
        main,
    }
}

/// Every command, steps first in the order a deployment meets them, then the tools.
pub const COMMANDS: &[Command] = &[
    step(
        "assume-role",
        "resolves the scope's IAM role and assumes it (the first step of every AWS workflow)",
        assume_role::main,
    )
    .formerly(&["assume-role-step"]),
    step(
        "fetch-scope-config",
        "reads the network, account, DNS, state bucket and placeholder configuration",
        fetch_scope_config::main,
    ),
    step(
        "build-scope-context",
        "derives the scope's names and settings from CONTEXT",
        build_scope_context::main,
    ),
    step(
        "build-deployment-context",
        "derives a deployment's names, asset and blue/green versions",
        build_deployment_context::main,
    ),
    step(
        "resolve-placeholder-image",
        "the code a new function is created with (embedded zip or private ECR image)",
        resolve_placeholder_image::main,
    ),
    step(
        "generate-domain",
        "builds the scope's domain, validates it and records it on the scope",
        generate_domain::main,
    ),
    step(
        "compose-tofu",
        "composes the scope's OpenTofu working directory and what to adopt from AWS",
        compose_tofu::main,
    ),
    step(
        "run-tofu",
        "runs OpenTofu for the scope (init with the S3 backend, apply or destroy)",
        run_tofu::main,
    )
    .formerly(&["tofu-step"]),
    step(
        "store-scope-metadata",
        "keeps a private scope's ALB rule priority on its NRN, or clears it",
        store_scope_metadata::main,
    ),
    step(
        "delete-scope-secrets",
        "removes the scope's Secrets Manager secrets when the scope is deleted",
        delete_scope_secrets::main,
    ),
    step(
        "ensure-ecr-pull-policy",
        "lets Lambda pull the deployment's image from its ECR repository",
        ensure_ecr_pull_policy::main,
    ),
    step(
        "update-function-code",
        "deploys the release's image or zip to the function's $LATEST",
        update_function_code::main,
    ),
    step(
        "update-function-configuration",
        "sets the function's settings and the deployment's parameters",
        update_function_configuration::main,
    ),
    step(
        "publish-version",
        "publishes $LATEST as the deployment's version",
        publish_version::main,
    ),
    step(
        "update-alias",
        "routes the main alias's traffic for each deployment action",
        update_alias::main,
    ),
    step(
        "wait-provisioned-concurrency",
        "waits for the main alias's provisioned concurrency to be ready",
        wait_provisioned_concurrency::main,
    ),
    step(
        "adjust-concurrency",
        "sets or removes the function's reserved or provisioned concurrency",
        adjust_concurrency::main,
    ),
    step(
        "invoke-function",
        "invokes the scope's function (main alias) with a JSON payload",
        invoke_function::main,
    ),
    step(
        "diagnose",
        "diagnoses a scope or deployment, the checks run concurrently",
        diagnose::main,
    ),
    step(
        "read-logs",
        "answers log:read from CloudWatch Logs (the response on stdout)",
        read_logs::main,
    )
    .formerly(&["log-read"]),
    step(
        "read-metrics",
        "answers metric:list and metric queries from CloudWatch (the response on stdout)",
        read_metrics::main,
    )
    .formerly(&["metric-read"]),
    step(
        "list-instances",
        "answers instance:data with the function's versions (the response on stdout)",
        list_instances::main,
    )
    .formerly(&["instance-data"]),
    Command {
        name: "scope-workflow",
        aliases: &[],
        purpose: "runs a workflow locally as the agent would, and routes notifications",
        kind: Kind::Tool,
        main: crate::workflow::cli::main,
    },
    Command {
        name: "credential-process",
        aliases: &[],
        purpose: "serves a long step's children refreshed credentials (run by their AWS SDKs)",
        kind: Kind::Tool,
        main: crate::credentials::refresh::credential_process_main,
    },
    Command {
        name: "iam-policy",
        aliases: &[],
        purpose: "renders the least-privilege IAM policies and lists each step's AWS calls",
        kind: Kind::Tool,
        main: crate::policy::cli::main,
    },
];

/// The name of the multicall binary itself.
pub const BINARY: &str = "lambda-scope";

/// The command called `name` (its name or one of its aliases), if there is one.
pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|command| command.answers_to(name))
}

/// Every name the binary answers to, each command's name before its aliases.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().flat_map(Command::names)
}

/// The workflow steps (entries with a shim).
pub fn steps() -> impl Iterator<Item = &'static Command> {
    COMMANDS.iter().filter(|command| command.kind == Kind::Step)
}

/// How the binary was asked to run something.
#[derive(Debug, PartialEq, Eq)]
enum Invocation {
    /// Run this command with these arguments (program name first).
    Run(&'static Command, Vec<OsString>),
    List,
    /// `--names`: every name, one a line, for the package's links.
    Names,
    Help,
    Version,
    Unknown(String),
}

/// Invoked as a link named after a command (argv[0]), or as `lambda-scope <command> …`.
fn invocation(mut args: Vec<OsString>) -> Invocation {
    let program = args
        .first()
        .and_then(|arg0| Path::new(arg0).file_name())
        .and_then(|name| name.to_str())
        .and_then(find);
    if let Some(command) = program {
        return Invocation::Run(command, args);
    }
    let first = args.get(1).map(|arg| arg.to_string_lossy().into_owned());
    match first.as_deref() {
        None | Some("--help" | "-h" | "help") => Invocation::Help,
        Some("--list") => Invocation::List,
        Some("--names") => Invocation::Names,
        Some("--version" | "-V") => Invocation::Version,
        Some(name) => match find(name) {
            Some(command) => {
                args.remove(0);
                Invocation::Run(command, args)
            }
            None => Invocation::Unknown(name.to_string()),
        },
    }
}

/// The name column of `--list`: the name, and the aliases it still answers to.
fn listed_name(command: &Command) -> String {
    match command.aliases {
        [] => command.name.to_string(),
        aliases => format!("{} (alias: {})", command.name, aliases.join(", ")),
    }
}

/// `lambda-scope --list`: one line per command, name (with its aliases) and purpose.
pub fn list() -> String {
    let width = COMMANDS
        .iter()
        .map(|c| listed_name(c).chars().count())
        .max()
        .unwrap_or(0);
    COMMANDS
        .iter()
        .map(|command| format!("{:width$}  {}\n", listed_name(command), command.purpose))
        .collect()
}

fn usage() -> String {
    format!(
        "{BINARY} {}: the AWS Lambda scope for the nullplatform agent, every step in one binary.\n\n\
         Usage: {BINARY} <command> [args...]   (or run a link named after the command)\n       \
         {BINARY} <command> --help\n       {BINARY} --list | --names | --version\n\nCommands:\n{}",
        env!("CARGO_PKG_VERSION"),
        list()
            .lines()
            .map(|line| format!("  {line}\n"))
            .collect::<String>()
    )
}

/// The binary's `main`: finds the command and runs it.
pub fn main(args: Vec<OsString>) -> ExitCode {
    match invocation(args) {
        Invocation::Run(command, args) => {
            crate::aws::set_command_name(command.name);
            (command.main)(args)
        }
        Invocation::List => {
            print!("{}", list());
            ExitCode::SUCCESS
        }
        Invocation::Names => {
            all_names().for_each(|name| println!("{name}"));
            ExitCode::SUCCESS
        }
        Invocation::Help => {
            print!("{}", usage());
            ExitCode::SUCCESS
        }
        Invocation::Version => {
            println!("{BINARY} {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Invocation::Unknown(name) => {
            // Progress stream rules do not apply yet: no step runs, so this goes to stderr.
            eprintln!("❌ unknown command '{name}'");
            eprintln!("💡 {BINARY} runs one of the commands in its table; '{name}' is not one");
            eprintln!(
                "🔧 run '{BINARY} --list' for the commands, then '{BINARY} <command> --help'"
            );
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = all_names().collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a command is listed twice");
        assert!(
            find(BINARY).is_none(),
            "no command may be named like the binary"
        );
        assert!(
            all_names().all(|name| !name.starts_with('-') && !name.contains(['/', ' '])),
            "a name must be usable as a link and a shim file name"
        );
    }

    #[test]
    fn a_link_named_after_a_step_runs_that_step_with_all_its_arguments() {
        let got = invocation(args(&["/pkg/bin/linux-amd64/run-tofu", "--help"]));
        assert_eq!(
            got,
            Invocation::Run(
                find("run-tofu").unwrap(),
                args(&["/pkg/bin/linux-amd64/run-tofu", "--help"])
            )
        );
    }

    /// The names steps had before the verb-object names: workflows, overrides and
    /// operators may still use them.
    const FORMER_NAMES: &[(&str, &str)] = &[
        ("assume-role-step", "assume-role"),
        ("tofu-step", "run-tofu"),
        ("log-read", "read-logs"),
        ("metric-read", "read-metrics"),
        ("instance-data", "list-instances"),
    ];

    #[test]
    fn a_former_name_runs_the_renamed_step_as_a_link_and_as_an_argument() {
        for (old, new) in FORMER_NAMES {
            let command = find(new).unwrap();
            assert_eq!(command.name, *new);
            let link = format!("/pkg/bin/linux-amd64/{old}");
            assert_eq!(
                invocation(args(&[&link, "--help"])),
                Invocation::Run(command, args(&[&link, "--help"])),
                "{old}"
            );
            assert_eq!(
                invocation(args(&["lambda-scope", old, "--help"])),
                Invocation::Run(command, args(&[old, "--help"])),
                "{old}"
            );
            assert_eq!(
                invocation(args(&["lambda-scope", "--names"])),
                Invocation::Names
            );
            let mut names = all_names();
            assert!(names.any(|name| name == *old), "{old} not in --names");
        }
    }

    #[test]
    fn step_names_are_verb_object_without_a_step_suffix() {
        for step in steps() {
            assert!(!step.name.ends_with("-step"), "{}", step.name);
        }
    }

    #[test]
    fn list_shows_each_alias_beside_its_command() {
        let listing = list();
        let line = listing
            .lines()
            .find(|line| line.starts_with("run-tofu "))
            .expect("run-tofu in --list");
        assert!(line.contains("(alias: tofu-step)"), "{line}");
        assert!(
            !listing.lines().any(|line| line.starts_with("tofu-step")),
            "an alias has no line of its own: {listing}"
        );
    }

    #[test]
    fn the_first_argument_names_the_command_when_invoked_as_the_binary() {
        let got = invocation(args(&["/x/lambda-scope", "diagnose", "--list"]));
        assert_eq!(
            got,
            Invocation::Run(find("diagnose").unwrap(), args(&["diagnose", "--list"]))
        );
        assert_eq!(
            invocation(args(&["lambda-scope", "--list"])),
            Invocation::List
        );
        assert_eq!(invocation(args(&["lambda-scope"])), Invocation::Help);
        assert_eq!(
            invocation(args(&["lambda-scope", "-V"])),
            Invocation::Version
        );
        assert_eq!(
            invocation(args(&["lambda-scope", "../etc/passwd"])),
            Invocation::Unknown("../etc/passwd".into())
        );
    }

    #[test]
    fn list_names_every_command_once_with_its_purpose() {
        let listing = list();
        assert_eq!(listing.lines().count(), COMMANDS.len());
        for command in COMMANDS {
            assert!(
                listing
                    .lines()
                    .any(|line| line.starts_with(command.name) && line.ends_with(command.purpose)),
                "{}",
                command.name
            );
        }
    }

    #[test]
    fn every_step_has_a_permissions_entry_and_every_entry_is_a_step() {
        for step in steps() {
            assert!(
                crate::permissions::for_binary(step.name).is_some(),
                "{} has no entry in permissions::STEP_ACTIONS",
                step.name
            );
        }
        for entry in crate::permissions::STEP_ACTIONS {
            assert!(
                find(entry.binary).is_some_and(|c| c.kind == Kind::Step),
                "permissions::STEP_ACTIONS names {}, which is not a step",
                entry.binary
            );
        }
    }
}
