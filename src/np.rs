//! The nullplatform CLI client: runs the program named by `NP_CLI` (default `np`)
//! through duct, bounded by `NP_CALL_TIMEOUT_SECONDS` and without the AWS credentials
//! it does not need, and parses its JSON answer. A failed run, a timeout or a non-JSON
//! answer is a [`StepError`] that names the command, so a person can re-run it by hand.

use std::time::Duration;

use serde_json::Value;

use crate::config::bounded_number;
use crate::report::StepError;

/// Default bound of one np call, in seconds.
pub const DEFAULT_CALL_TIMEOUT_SECONDS: u64 =
    crate::settings::NP_CALL_TIMEOUT_SECONDS.default_u64();
const CALL_TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 1..=3600;

/// What np must not see: the assumed role's credentials are for AWS, not for the platform.
const WITHHELD: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
];

/// A handle on the `np` CLI.
#[derive(Debug, Clone)]
pub struct NpClient {
    program: String,
    /// The bound of each call, or why `NP_CALL_TIMEOUT_SECONDS` is not one (reported by
    /// the first call, before anything runs).
    timeout: Result<Duration, StepError>,
}

impl NpClient {
    /// The CLI named by `NP_CLI`, else `np` on PATH; each call bounded by
    /// `NP_CALL_TIMEOUT_SECONDS` (1–3600, default 60).
    pub fn from_env() -> Self {
        let program = crate::settings::NP_CLI
            .value(&|name| std::env::var(name).ok())
            .unwrap_or_default();
        let timeout = bounded_number(
            "NP_CALL_TIMEOUT_SECONDS",
            std::env::var("NP_CALL_TIMEOUT_SECONDS").ok(),
            CALL_TIMEOUT_RANGE,
            DEFAULT_CALL_TIMEOUT_SECONDS,
        )
        .map(Duration::from_secs);
        NpClient { program, timeout }
    }

    pub fn with_program(program: impl Into<String>) -> Self {
        NpClient {
            program: program.into(),
            timeout: Ok(Duration::from_secs(DEFAULT_CALL_TIMEOUT_SECONDS)),
        }
    }

    /// The same CLI with another bound per call.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        NpClient {
            timeout: Ok(timeout),
            ..self
        }
    }

    /// Runs `np <args>` and parses stdout as JSON.
    pub fn json(&self, args: &[&str]) -> Result<Value, StepError> {
        let shown = self.shown(args);
        let stdout = self.stdout(args)?;
        serde_json::from_slice(&stdout).map_err(|err| {
            let stdout = String::from_utf8_lossy(&stdout);
            let preview: String = stdout.chars().take(200).collect();
            StepError::new(format!("`{shown}` did not answer JSON: {err}"))
                .cause(format!("it printed: {preview}"))
                .fix("check that the np CLI is current and that `--format json` is supported")
        })
    }

    /// Runs `np <args>` for its effect (e.g. `nrn patch`), whatever it prints.
    pub fn run(&self, args: &[&str]) -> Result<(), StepError> {
        self.stdout(args).map(drop)
    }

    /// Runs `np <args>`: its stdout, or an error naming the command when it fails.
    fn stdout(&self, args: &[&str]) -> Result<Vec<u8>, StepError> {
        let shown = self.shown(args);
        let timeout = self
            .timeout
            .clone()
            .map_err(|err| err.fix(format!("`{shown}` was not run")))?;
        let mut command = duct::cmd(&self.program, args)
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            // Its own process group, so a timeout stops whatever it started too.
            .before_spawn(|child| {
                std::os::unix::process::CommandExt::process_group(child, 0);
                Ok(())
            });
        for name in WITHHELD {
            command = command.env_remove(name);
        }
        let handle = command.start().map_err(|err| {
            StepError::new(format!("could not run `{shown}`: {err}"))
                .cause(format!(
                    "the nullplatform CLI `{}` is not installed or not on PATH",
                    self.program
                ))
                .fix("install the np CLI in the agent image, or set NP_CLI to its path")
        })?;
        let output = wait_bounded(&handle, timeout).map_err(|err| {
            StepError::new(format!("`{shown}` failed: {err}"))
                .cause("the np CLI could not be waited for")
                .fix(format!("run `{shown}` by hand to see what it does"))
        })?;
        let Some(output) = output else {
            return Err(StepError::new(format!(
                "`{shown}` did not finish within {} s (NP_CALL_TIMEOUT_SECONDS): it was stopped",
                timeout.as_secs()
            ))
            .cause("the nullplatform API is slow or unreachable from the agent")
            .fix("check the agent's network to the nullplatform API, or raise NP_CALL_TIMEOUT_SECONDS")
            .fix(format!("run `{shown}` by hand to see whether it answers")));
        };
        if !output.status.success() {
            let code = output
                .status
                .code()
                .map_or_else(|| "a signal".to_string(), |code| code.to_string());
            let stderr = String::from_utf8_lossy(&output.stderr);
            let mut err = StepError::new(format!("`{shown}` failed (exit {code})"));
            if !stderr.trim().is_empty() {
                err = err.cause(format!("np said: {}", stderr.trim()));
            }
            return Err(err
                .cause("the agent's nullplatform API key lacks permission, or the NRN / id does not exist")
                .fix(format!("run `{shown}` by hand with the agent's credentials to see the full answer")));
        }
        Ok(output.stdout)
    }

    /// `np provider list --nrn N --categories C [--dimensions D] --format json`
    /// → the `results` array. (`--limit` is not accepted together with `--categories`.)
    pub fn providers_by_category(
        &self,
        nrn: &str,
        categories: &str,
        dimensions: Option<&str>,
    ) -> Result<Vec<Value>, StepError> {
        let mut args = vec!["provider", "list", "--nrn", nrn, "--categories", categories];
        if let Some(dimensions) = dimensions.filter(|d| !d.is_empty()) {
            args.extend(["--dimensions", dimensions]);
        }
        args.extend(["--format", "json"]);
        self.results(&args)
    }

    /// `np provider list --nrn N --specification_slug S --format json --limit 100` → `results`.
    pub fn providers_by_specification(
        &self,
        nrn: &str,
        slug: &str,
    ) -> Result<Vec<Value>, StepError> {
        self.results(&[
            "provider",
            "list",
            "--nrn",
            nrn,
            "--specification_slug",
            slug,
            "--format",
            "json",
            "--limit",
            "100",
        ])
    }

    /// `np provider read --id ID --format json` (the list omits deep attributes).
    pub fn provider(&self, id: &str) -> Result<Value, StepError> {
        self.json(&["provider", "read", "--id", id, "--format", "json"])
    }

    fn results(&self, args: &[&str]) -> Result<Vec<Value>, StepError> {
        let answer = self.json(args)?;
        match answer.get("results") {
            Some(Value::Array(items)) => Ok(items.clone()),
            _ => Err(StepError::new(format!(
                "`{}` answered without a `results` list",
                self.shown(args)
            ))
            .fix("check that the np CLI is current")),
        }
    }

    fn shown(&self, args: &[&str]) -> String {
        let mut shown = self.program.clone();
        for arg in args {
            shown.push(' ');
            shown.push_str(arg);
        }
        shown
    }
}

/// Waits for `handle` at most `timeout`; on expiry kills it (duct reaps it, so nothing is
/// left running) and answers `None`.
fn wait_bounded(
    handle: &duct::Handle,
    timeout: Duration,
) -> std::io::Result<Option<std::process::Output>> {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        let waiter = scope.spawn(move || {
            let output = handle.wait().cloned();
            let _ = done.send(());
            output
        });
        let timed_out = finished.recv_timeout(timeout).is_err();
        if timed_out {
            // The group first (a wrapper's children would keep the output pipes open),
            // then duct's own kill, which also reaps the child.
            for pid in handle.pids() {
                if let Some(group) = rustix::process::Pid::from_raw(pid as i32) {
                    let _ =
                        rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
                }
            }
            handle.kill()?;
        }
        let output = waiter.join().expect("the np waiter does not panic");
        if timed_out {
            Ok(None)
        } else {
            output.map(Some)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(dir: &tempfile::TempDir, body: &str) -> NpClient {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.path().join("np");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        NpClient::with_program(path.display().to_string())
    }

    #[test]
    fn parses_json_answers() {
        let dir = tempfile::tempdir().unwrap();
        let np = script(&dir, r#"echo '{"results":[{"id":"p1"}]}'"#);
        let results = np
            .providers_by_category("organization=1", "vpc", None)
            .unwrap();
        assert_eq!(results[0]["id"], "p1");
    }

    #[test]
    fn failure_names_the_command_and_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let np = script(&dir, "echo 'forbidden' >&2; exit 4");
        let err = np.provider("abc").unwrap_err();
        assert!(
            err.what.contains("provider read --id abc --format json"),
            "{err}"
        );
        assert!(err.what.contains("exit 4"), "{err}");
        assert!(err.causes[0].contains("forbidden"), "{err}");
    }

    #[test]
    fn non_json_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let np = script(&dir, "echo 'Usage: np ...'");
        let err = np.json(&["provider", "list"]).unwrap_err();
        assert!(err.what.contains("did not answer JSON"), "{err}");
        assert!(err.causes[0].contains("Usage: np"), "{err}");
    }

    #[test]
    fn a_call_that_does_not_finish_is_stopped_with_whatever_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("still-running");
        // A wrapper whose own child would outlive it and hold the output pipe.
        let np = script(
            &dir,
            &format!("sleep 30 & echo $! > {}\nwait", marker.display()),
        )
        .with_timeout(Duration::from_millis(300));
        let started = std::time::Instant::now();
        let err = np.json(&["scope", "patch"]).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(err.what.contains("did not finish within"), "{err}");
        assert!(err.to_string().contains("NP_CALL_TIMEOUT_SECONDS"));
        let pid: i32 = std::fs::read_to_string(&marker)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let alive = std::path::Path::new(&format!("/proc/{pid}")).exists()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap_or_default()
                .contains(") Z ");
        assert!(!alive, "the child np started ({pid}) was left running");
    }

    #[test]
    fn a_timeout_setting_out_of_range_is_reported_before_np_runs() {
        let np = NpClient {
            program: "/nonexistent/np".into(),
            timeout: bounded_number(
                "NP_CALL_TIMEOUT_SECONDS",
                Some("0".into()),
                CALL_TIMEOUT_RANGE,
                DEFAULT_CALL_TIMEOUT_SECONDS,
            )
            .map(Duration::from_secs),
        };
        let err = np.json(&["provider", "list"]).unwrap_err();
        assert_eq!(err.exit_code, 2);
        assert!(err.what.contains("NP_CALL_TIMEOUT_SECONDS is `0`"), "{err}");
    }

    #[test]
    fn missing_program_is_an_error() {
        let np = NpClient::with_program("/nonexistent/np");
        let err = np.json(&["provider", "list"]).unwrap_err();
        assert!(err.what.contains("could not run"), "{err}");
    }

    #[test]
    fn missing_results_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let np = script(&dir, r#"echo '{"items":[]}'"#);
        let err = np
            .providers_by_specification("organization=1", "x")
            .unwrap_err();
        assert!(err.what.contains("without a `results` list"), "{err}");
    }
}
