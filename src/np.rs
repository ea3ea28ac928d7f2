//! The nullplatform CLI client: runs the program named by `NP_CLI` (default `np`)
//! through duct and parses its JSON answer. A failed run or a non-JSON answer is a
//! [`StepError`] that names the command, so a person can re-run it by hand.

use serde_json::Value;

use crate::report::StepError;

/// A handle on the `np` CLI.
#[derive(Debug, Clone)]
pub struct NpClient {
    program: String,
}

impl NpClient {
    /// The CLI named by `NP_CLI`, else `np` on PATH.
    pub fn from_env() -> Self {
        let program = std::env::var("NP_CLI")
            .ok()
            .filter(|value| !value.trim().is_empty())
            .unwrap_or_else(|| "np".to_string());
        NpClient { program }
    }

    pub fn with_program(program: impl Into<String>) -> Self {
        NpClient {
            program: program.into(),
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
        let output = duct::cmd(&self.program, args)
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .map_err(|err| {
                StepError::new(format!("could not run `{shown}`: {err}"))
                    .cause(format!(
                        "the nullplatform CLI `{}` is not installed or not on PATH",
                        self.program
                    ))
                    .fix("install the np CLI in the agent image, or set NP_CLI to its path")
            })?;
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
