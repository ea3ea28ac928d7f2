//! The step protocol shared by every binary: the common flags, the progress stream
//! (stdout, or stderr when `SCOPE_LOG_STREAM=stderr`), the outputs (written as
//! shell-safe `export` lines for the sourced shim, or as JSON), and the one place
//! where a failure becomes the ❌/💡/🔧 report and a non-zero exit code.

use std::fmt::Display;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::report::{Secret, StepError};

/// An environment lookup: the process environment in a binary, a closure in tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, empty values treated as unset: the [`Env`] of every step.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// A fixed environment for unit tests: `pairs` and nothing else.
#[cfg(test)]
pub fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// Flags every step binary accepts (flattened into each binary's clap parser).
#[derive(Debug, Clone, clap::Args)]
pub struct StepArgs {
    /// File the outputs are written to as `export NAME=value` lines; the sourced shim
    /// passes a private (0600) temporary file and sources it after a successful run.
    #[arg(long, value_name = "FILE")]
    pub outputs_file: Option<PathBuf>,
    /// `shell`: outputs go to --outputs-file; `json`: outputs are printed as one JSON
    /// object on stdout (secret values shown as "***").
    #[arg(long, value_enum, default_value_t = Format::Shell)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Shell,
    Json,
}

/// Where progress lines go. Telemetry workflows set `SCOPE_LOG_STREAM=stderr`
/// because their stdout is the response body; `--format json` does the same for one
/// step, whose stdout is then the JSON document alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStream {
    Stdout,
    Stderr,
}

/// The process's progress stream, chosen once: by the step's entry
/// ([`progress_to_stderr`]) before its first line, else from `SCOPE_LOG_STREAM` on
/// first use.
static PROGRESS_STREAM: OnceLock<LogStream> = OnceLock::new();

impl LogStream {
    pub fn from_env() -> Self {
        match std::env::var("SCOPE_LOG_STREAM").as_deref() {
            Ok("stderr") => LogStream::Stderr,
            _ => LogStream::Stdout,
        }
    }

    /// The stream progress goes to in this process.
    pub fn current() -> Self {
        *PROGRESS_STREAM.get_or_init(LogStream::from_env)
    }
}

/// Chooses stderr for this process's progress, at the step's entry before anything is
/// printed: its stdout carries one document (a telemetry response, `--format json`
/// outputs, diagnose results). The stream is chosen once per process; the first
/// choice stands.
pub fn progress_to_stderr() {
    let _ = PROGRESS_STREAM.set(LogStream::Stderr);
}

/// Writes one progress line to the progress stream.
pub fn progress(message: impl Display) {
    let line = format!("{message}\n");
    // A closed pipe must not turn progress into a crash; the step's result matters more.
    let _ = match LogStream::current() {
        LogStream::Stdout => std::io::stdout().lock().write_all(line.as_bytes()),
        LogStream::Stderr => std::io::stderr().lock().write_all(line.as_bytes()),
    };
}

/// A warning: the step goes on, but a person should read this.
pub fn warn(message: impl Display) {
    progress(format!("⚠️  {message}"));
}

/// The values a step hands to later steps, in the order they were set.
#[derive(Debug, Default, Clone)]
pub struct Outputs {
    entries: Vec<Output>,
}

#[derive(Debug, Clone)]
struct Output {
    name: String,
    value: OutputValue,
}

#[derive(Debug, Clone)]
enum OutputValue {
    Plain(String),
    Secret(Secret),
}

impl OutputValue {
    fn raw(&self) -> &str {
        match self {
            OutputValue::Plain(value) => value,
            OutputValue::Secret(secret) => secret.expose(),
        }
    }
}

impl Outputs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or replaces) a plain output.
    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.insert(name, OutputValue::Plain(value.into()))
    }

    /// Sets (or replaces) an output whose value must never be printed.
    pub fn set_secret(&mut self, name: &str, value: Secret) -> &mut Self {
        self.insert(name, OutputValue::Secret(value))
    }

    fn insert(&mut self, name: &str, value: OutputValue) -> &mut Self {
        debug_assert!(
            is_shell_name(name),
            "output name {name:?} is not a shell variable name"
        );
        match self.entries.iter_mut().find(|entry| entry.name == name) {
            Some(entry) => entry.value = value,
            None => self.entries.push(Output {
                name: name.to_string(),
                value,
            }),
        }
        self
    }

    /// The value of a plain output (secrets are not readable back).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|entry| entry.name == name)
            .and_then(|entry| match &entry.value {
                OutputValue::Plain(value) => Some(value.as_str()),
                OutputValue::Secret(_) => None,
            })
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|entry| entry.name.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `export NAME=value` lines, each value quoted for POSIX shells.
    pub fn to_shell(&self) -> String {
        let mut text = String::new();
        for entry in &self.entries {
            let quoted = shell_quote::Sh::quote_vec(entry.value.raw());
            text.push_str("export ");
            text.push_str(&entry.name);
            text.push('=');
            // Outputs are Rust Strings, so the quoted bytes are valid UTF-8.
            text.push_str(&String::from_utf8_lossy(&quoted));
            text.push('\n');
        }
        text
    }

    /// One JSON object; secret values are replaced by "***".
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        for entry in &self.entries {
            let shown = match &entry.value {
                OutputValue::Plain(value) => value.clone(),
                OutputValue::Secret(secret) => secret.to_string(),
            };
            object.insert(entry.name.clone(), Value::String(shown));
        }
        Value::Object(object)
    }

    /// Writes the shell form to `path` (created 0600 when it does not exist). `path` may
    /// be a pipe (the shim passes `/dev/fd/3`, so credentials never touch disk).
    pub fn write_shell_file(&self, path: &Path) -> std::io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        file.write_all(self.to_shell().as_bytes())?;
        // A pipe cannot be synced (EINVAL); a regular file must reach the disk whole.
        if file.metadata()?.is_file() {
            file.sync_all()?;
        }
        Ok(())
    }
}

fn is_shell_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Runs a step body and turns its result into outputs and an exit code: the only
/// place a step's error is printed.
pub fn run(args: &StepArgs, body: impl FnOnce() -> Result<Outputs, StepError>) -> ExitCode {
    if args.format == Format::Json {
        // stdout carries the outputs document alone.
        progress_to_stderr();
    }
    match body().and_then(|outputs| emit(args, &outputs)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            progress(&err);
            ExitCode::from(err.exit_code.max(1))
        }
    }
}

/// [`run`] for async bodies.
pub fn run_async<F>(args: &StepArgs, body: F) -> ExitCode
where
    F: std::future::Future<Output = Result<Outputs, StepError>>,
{
    run(args, || block_on(body))
}

/// Runs `future` to its end on a current-thread Tokio runtime (enough for one step).
pub fn block_on<T>(
    future: impl std::future::Future<Output = Result<T, StepError>>,
) -> Result<T, StepError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| StepError::new(format!("could not start the async runtime: {err}")))?
        .block_on(future)
}

fn emit(args: &StepArgs, outputs: &Outputs) -> Result<(), StepError> {
    match args.format {
        Format::Json => {
            let text = serde_json::to_string_pretty(&outputs.to_json())
                .map_err(|err| StepError::new(format!("could not render outputs: {err}")))?;
            println!("{text}");
            Ok(())
        }
        Format::Shell => match &args.outputs_file {
            Some(path) => outputs.write_shell_file(path).map_err(|err| {
                StepError::new(format!(
                    "could not write the outputs file {}: {err}",
                    path.display()
                ))
                .cause("the directory is missing or not writable")
                .fix("run the step through its shim in steps/, or pass a writable --outputs-file")
            }),
            None => {
                if !outputs.is_empty() {
                    let names: Vec<&str> = outputs.names().collect();
                    progress(format!(
                        "ℹ️  outputs not saved (no --outputs-file): {}",
                        names.join(", ")
                    ));
                }
                Ok(())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sourced(outputs: &Outputs, name: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        outputs.write_shell_file(&path).unwrap();
        let script = format!("source {}; printf '%s' \"${name}\"", path.display());
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(script)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn shell_quoting_survives_quotes_newlines_and_dollars() {
        let tricky = "it's \"quoted\"\n$HOME `id` $(id) \\ end";
        let mut outputs = Outputs::new();
        outputs
            .set("TRICKY", tricky)
            .set("EMPTY", "")
            .set("PLAIN", "abc123");
        assert_eq!(sourced(&outputs, "TRICKY"), tricky);
        assert_eq!(sourced(&outputs, "EMPTY"), "");
        assert_eq!(sourced(&outputs, "PLAIN"), "abc123");
        assert!(outputs.to_shell().starts_with("export TRICKY="));
    }

    #[test]
    fn outputs_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        Outputs::new()
            .set("A", "1")
            .write_shell_file(&path)
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn json_hides_secrets_but_the_shell_file_carries_them() {
        let mut outputs = Outputs::new();
        outputs
            .set("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")
            .set_secret("AWS_SECRET_ACCESS_KEY", Secret::new("s3cr3t"));
        let json = outputs.to_json();
        assert_eq!(json["AWS_ACCESS_KEY_ID"], "ASIAEXAMPLE");
        assert_eq!(json["AWS_SECRET_ACCESS_KEY"], "***");
        assert!(!json.to_string().contains("s3cr3t"));
        assert_eq!(sourced(&outputs, "AWS_SECRET_ACCESS_KEY"), "s3cr3t");
        assert_eq!(outputs.get("AWS_SECRET_ACCESS_KEY"), None);
    }

    #[test]
    fn setting_twice_replaces_in_place() {
        let mut outputs = Outputs::new();
        outputs.set("A", "1").set("B", "2").set("A", "3");
        assert_eq!(outputs.names().collect::<Vec<_>>(), vec!["A", "B"]);
        assert_eq!(outputs.get("A"), Some("3"));
    }
}
