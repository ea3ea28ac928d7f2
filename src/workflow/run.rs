//! Runs a merged workflow the way the engine does: configuration into the environment,
//! then each step in its own bash, declared outputs carried forward (`--strict`: only
//! those), progress with name, duration and exit status, the first failure stops the run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::document::{Document, Env};
use super::executor::{self, CheckRunner};
use super::expand::{expand, lookup, resolve_all};
use super::shell::{self, Finished, Target};
use super::spec::{is_shell_name, parse_steps, OutputKind, StepKind, StepSpec};
use crate::report::StepError;

/// How outputs travel between steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carry {
    /// Declared outputs plus every exported variable (what the engine appears to do).
    Exported,
    /// Declared outputs only; a declared output the step never set is an error.
    Strict,
}

/// Where the runner's own progress lines go: stdout, or stderr when the workflow sets
/// `SCOPE_LOG_STREAM=stderr` (telemetry, whose stdout is the response body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn for_env(env: &Env) -> Stream {
        match env.get("SCOPE_LOG_STREAM").map(String::as_str) {
            Some("stderr") => Stream::Stderr,
            _ => Stream::Stdout,
        }
    }

    pub fn line(self, text: &str) {
        let line = format!("{text}\n");
        let _ = match self {
            Stream::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(line.as_bytes()).and_then(|()| out.flush())
            }
            Stream::Stderr => std::io::stderr().lock().write_all(line.as_bytes()),
        };
    }
}

/// Runs workflows; holds the scratch space and the output mode.
pub struct Runner {
    pub carry: Carry,
    pub stream: Stream,
    scratch: tempfile::TempDir,
    counter: usize,
    /// NP_OUTPUT_DIR when the environment did not give one (lives as long as the runner).
    pub output_dir: PathBuf,
}

impl Runner {
    pub fn new(carry: Carry) -> Result<Runner, StepError> {
        let scratch = tempfile::Builder::new()
            .prefix("scope-workflow.")
            .tempdir()
            .map_err(|err| {
                StepError::new(format!("could not create a temporary directory: {err}"))
            })?;
        // The agent's NP_OUTPUT_DIR stand-in; the scope steps add `output/<scope id>`.
        let output_dir = scratch.path().join("np");
        Ok(Runner {
            carry,
            stream: Stream::Stdout,
            scratch,
            counter: 0,
            output_dir,
        })
    }

    /// The environment a workflow starts with: `base` plus its resolved configuration.
    pub fn start_env(&mut self, doc: &Document, base: &Env) -> Env {
        let mut env = base.clone();
        env.extend(resolve_all(&doc.configuration, base));
        if !env.contains_key("NP_OUTPUT_DIR") {
            env.insert(
                "NP_OUTPUT_DIR".into(),
                self.output_dir.display().to_string(),
            );
        }
        self.stream = Stream::for_env(&env);
        env
    }

    /// Runs every step of `doc`; returns the final environment.
    pub fn run_document(&mut self, doc: &Document, base: &Env) -> Result<Env, StepError> {
        let steps = parse_steps(&doc.steps)?;
        let mut env = self.start_env(doc, base);
        let output_dir = PathBuf::from(&env["NP_OUTPUT_DIR"]);
        std::fs::create_dir_all(&output_dir).map_err(|err| {
            StepError::new(format!(
                "cannot create NP_OUTPUT_DIR {}: {err}",
                output_dir.display()
            ))
        })?;
        let started = Instant::now();
        self.run_steps(&steps, &mut env, doc.continue_on_error.unwrap_or(false), "")?;
        self.stream.line(&format!(
            "🏁 {} finished: {} step(s) in {}",
            doc.path.display(),
            steps.len(),
            seconds(started.elapsed())
        ));
        Ok(env)
    }

    pub fn run_steps(
        &mut self,
        steps: &[StepSpec],
        env: &mut Env,
        continue_default: bool,
        parent: &str,
    ) -> Result<(), StepError> {
        for step in steps {
            let keep_going = step.continue_on_error.unwrap_or(continue_default);
            match self.run_step(step, env, parent) {
                Ok(()) => {}
                Err(err) if keep_going => {
                    self.stream.line(&format!(
                        "⚠️  continuing after a failure (continue_on_error): {}",
                        err.what
                    ));
                }
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    fn run_step(&mut self, step: &StepSpec, env: &mut Env, parent: &str) -> Result<(), StepError> {
        let label = if parent.is_empty() {
            step.name.clone()
        } else {
            format!("{parent} › {}", step.name)
        };
        self.stream.line(&format!("▶ {label}"));
        let started = Instant::now();
        let before = env.clone();
        // Step-level configuration: resolved against the current environment.
        let mut step_env = env.clone();
        step_env.extend(resolve_all(&step.configuration, env));

        self.run_steps(&step.pre, &mut step_env, false, &label)?;
        let result = match &step.kind {
            StepKind::Script { file } => {
                let path = PathBuf::from(expand(file, &lookup(&step_env)));
                if !path.is_file() {
                    return Err(StepError::new(format!(
                        "{label}: step file {} does not exist ({})",
                        path.display(),
                        step.origin.display()
                    ))
                    .cause(format!("file: {file:?} expanded to {}", path.display()))
                    .fix("check the path and the variables in it (SERVICE_PATH is the repository root unless --service-path says otherwise)"));
                }
                self.bash(Target::Source(&path), &step_env, step)?
            }
            StepKind::Command { command } => {
                let command = expand(command, &lookup(&step_env));
                self.bash(Target::Eval(&command), &step_env, step)?
            }
            StepKind::Workflow { steps, file } => {
                let mut inner = step_env.clone();
                if let Some(file) = file {
                    let path = PathBuf::from(expand(file, &lookup(&step_env)));
                    let doc = Document::load(&path, &step_env).map_err(|err| {
                        err.cause(format!(
                            "while loading the nested workflow of {}",
                            step.label()
                        ))
                    })?;
                    let config = resolve_all(&doc.configuration, &step_env);
                    inner.extend(config.clone());
                    let nested = parse_steps(&doc.steps)?;
                    self.run_steps(
                        &nested,
                        &mut inner,
                        doc.continue_on_error.unwrap_or(false),
                        &label,
                    )?;
                    // The nested file's configuration stays inside it, unless a step changed it.
                    for (key, value) in config {
                        if inner.get(&key) == Some(&value) {
                            match step_env.get(&key) {
                                Some(outer) => inner.insert(key, outer.clone()),
                                None => inner.remove(&key),
                            };
                        }
                    }
                }
                self.run_steps(steps, &mut inner, false, &label)?;
                Finished {
                    code: Some(0),
                    env: inner,
                }
            }
            StepKind::Executor {
                folders,
                before_each,
                after_each,
            } => {
                let ok = executor::run(
                    self,
                    &label,
                    step,
                    folders,
                    before_each.as_deref(),
                    after_each.as_deref(),
                    &step_env,
                )?;
                Finished {
                    code: Some(if ok { 0 } else { 1 }),
                    env: step_env.clone(),
                }
            }
        };
        let elapsed = started.elapsed();
        if !result.success() {
            let status = match result.code {
                Some(code) => format!("exit code {code}"),
                None => "a signal".to_string(),
            };
            self.stream.line(&format!(
                "❌ {label} failed with {status} ({})",
                seconds(elapsed)
            ));
            let mut err = StepError::new(format!(
                "step '{label}' failed with {status} ({})",
                step.origin.display()
            ))
            .cause("the step's own output above says why")
            .fix(format!(
                "fix the cause, then re-run; the step is defined in {}",
                step.origin.display()
            ));
            err.exit_code = result.code.map(|c| c.clamp(1, 255) as u8).unwrap_or(1);
            return Err(err);
        }
        let mut carried = self.carry_outputs(step, &label, &before, &step_env, result.env)?;
        self.run_steps(&step.post, &mut carried, false, &label)?;
        *env = carried;
        self.stream
            .line(&format!("✅ {label} ({})", seconds(elapsed)));
        Ok(())
    }

    fn bash(
        &mut self,
        target: Target<'_>,
        env: &Env,
        step: &StepSpec,
    ) -> Result<Finished, StepError> {
        self.counter += 1;
        let scratch = self.scratch.path().join(format!("env-{}", self.counter));
        let exports: Vec<String> = step
            .outputs
            .iter()
            .map(|o| match o.kind {
                OutputKind::Function => format!("{}()", o.name),
                _ => o.name.clone(),
            })
            .collect();
        shell::run(target, env, &exports, &scratch)
    }

    /// The environment after a successful step: what `carry` lets through from what the
    /// step left, with step-level configuration not leaking into later steps.
    fn carry_outputs(
        &self,
        step: &StepSpec,
        label: &str,
        before: &Env,
        step_env: &Env,
        after: Env,
    ) -> Result<Env, StepError> {
        let nested = matches!(
            step.kind,
            StepKind::Workflow { .. } | StepKind::Executor { .. }
        );
        let mut next = match self.carry {
            Carry::Exported => {
                let mut next = after.clone();
                for key in step.configuration.keys() {
                    if next.get(key) == step_env.get(key) {
                        match before.get(key) {
                            Some(value) => next.insert(key.clone(), value.clone()),
                            None => next.remove(key),
                        };
                    }
                }
                next
            }
            // Nested workflows already applied strict carrying step by step.
            Carry::Strict if nested => {
                let mut next = after.clone();
                for key in step.configuration.keys() {
                    match before.get(key) {
                        Some(value) => next.insert(key.clone(), value.clone()),
                        None => next.remove(key),
                    };
                }
                next
            }
            Carry::Strict => before.clone(),
        };
        if after.is_empty() && !nested {
            // The step replaced its shell (exec) or the capture failed: keep what we had.
            next = before.clone();
        }
        // bash cannot list variables whose names are not shell names (exported functions'
        // `BASH_FUNC_f%%`, odd names from the agent's environment): keep them as they were.
        for (key, value) in before {
            if !is_shell_name(key) && !next.contains_key(key) {
                next.insert(key.clone(), value.clone());
            }
        }
        for output in &step.outputs {
            let key = match output.kind {
                OutputKind::Function => format!("BASH_FUNC_{}%%", output.name),
                _ => output.name.clone(),
            };
            let value = match &output.kind {
                OutputKind::File(file) => {
                    let path = expand(file, &lookup(&after));
                    if !Path::new(&path).exists() {
                        let err = StepError::new(format!(
                            "{label} declared the file output {} = {path} but never wrote it ({})",
                            output.name,
                            step.origin.display()
                        ))
                        .fix("write the file in the step, or remove the output declaration");
                        if self.carry == Carry::Strict {
                            return Err(err);
                        }
                        self.stream.line(&format!("⚠️  {}", err.what));
                    }
                    Some(path)
                }
                _ => after.get(&key).cloned(),
            };
            match value {
                Some(value) => {
                    next.insert(key, value);
                }
                None if self.carry == Carry::Strict => {
                    return Err(StepError::new(format!(
                        "{label} declared the output {} but never set it ({})",
                        output.name,
                        step.origin.display()
                    ))
                    .cause("the step did not export (or assign) that variable")
                    .fix(format!(
                        "set {} in the step, or remove it from output:",
                        output.name
                    )));
                }
                None => self.stream.line(&format!(
                    "⚠️  {label} declared the output {} but never set it",
                    output.name
                )),
            }
        }
        Ok(next)
    }
}

impl CheckRunner for Runner {
    /// Runs a single step spec with a throwaway copy of `env` (executor hooks, checks).
    fn run_isolated(&mut self, step: &StepSpec, env: &Env, parent: &str) -> Result<(), StepError> {
        let mut env = env.clone();
        self.run_step(step, &mut env, parent)
    }

    /// Sources one check file in its own bash (executor), returning its exit code.
    fn run_check(&mut self, file: &Path, env: &Env) -> Result<Option<i32>, StepError> {
        self.counter += 1;
        let scratch = self.scratch.path().join(format!("env-{}", self.counter));
        Ok(shell::run(Target::Source(file), env, &[], &scratch)?.code)
    }

    fn line(&self, text: &str) {
        self.stream.line(text);
    }
}

pub fn seconds(elapsed: Duration) -> String {
    let ms = elapsed.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::document::StepNode;
    use serde_json::{json, Value};

    fn doc(steps: Value) -> Document {
        Document {
            steps: steps
                .as_array()
                .unwrap()
                .iter()
                .map(|s| StepNode {
                    value: s.as_object().unwrap().clone(),
                    origin: PathBuf::from("unit.yaml"),
                })
                .collect(),
            path: PathBuf::from("unit.yaml"),
            ..Document::default()
        }
    }

    fn base() -> Env {
        let mut env = Env::new();
        env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        env.insert("KEEP".into(), "outer".into());
        env
    }

    #[test]
    fn step_configuration_does_not_leak_but_a_changed_value_does() {
        let workflow = doc(json!([
            {"name": "a", "type": "command", "command": "export NEW=1", "configuration": {"KEEP": "inner", "ONLY": "x"}},
            {"name": "b", "type": "command", "command": "export KEEP=changed", "configuration": {"KEEP": "inner"}}
        ]));
        let mut runner = Runner::new(Carry::Exported).unwrap();
        runner.stream = Stream::Stderr;
        let mut env = base();
        let steps = parse_steps(&workflow.steps).unwrap();
        runner.run_steps(&steps[..1], &mut env, false, "").unwrap();
        assert_eq!(env["KEEP"], "outer");
        assert!(!env.contains_key("ONLY"));
        assert_eq!(env["NEW"], "1");
        runner.run_steps(&steps[1..], &mut env, false, "").unwrap();
        assert_eq!(
            env["KEEP"], "changed",
            "a value the step set itself travels on"
        );
    }

    #[test]
    fn continue_on_error_goes_on_and_the_exit_code_is_the_steps() {
        let workflow = doc(json!([
            {"name": "soft", "type": "command", "command": "exit 4", "continue_on_error": true},
            {"name": "hard", "type": "command", "command": "exit 9"},
            {"name": "never", "type": "command", "command": "export NEVER=1"}
        ]));
        let mut runner = Runner::new(Carry::Strict).unwrap();
        runner.stream = Stream::Stderr;
        let err = runner.run_document(&workflow, &base()).unwrap_err();
        assert_eq!(err.exit_code, 9);
        assert_eq!(err.what, "step 'hard' failed with exit code 9 (unit.yaml)");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(seconds(Duration::from_micros(2_400)), "2 ms");
        assert_eq!(seconds(Duration::from_millis(1_234)), "1.23 s");
    }
}
