//! The OpenTofu / Terraform version check made before `init`: the S3 backend's
//! `use_lockfile` needs 1.10 or later, and older binaries (Alpine's `opentofu` package)
//! fail `init` with an unrelated-looking "unsupported argument" error.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use semver::Version;

use crate::report::StepError;

/// The oldest version the modules and the backend settings work with.
pub const MINIMUM: Version = Version::new(1, 10, 0);

/// How long `<binary> version` may take (it reads nothing remote with
/// `CHECKPOINT_DISABLE=1`; a hung binary must not hang the step).
pub const VERSION_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A binary's product and version, as its `version` command prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub product: String,
    pub version: Version,
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.product, self.version)
    }
}

/// Reads the first line of `version`'s answer: `OpenTofu v1.10.6` / `Terraform v1.11.4`.
pub fn parse(answer: &str) -> Option<Found> {
    let first = answer.lines().find(|line| !line.trim().is_empty())?;
    let mut words = first.split_whitespace();
    let product = words.next()?;
    let version = words.next()?.strip_prefix('v')?;
    Some(Found {
        product: product.to_string(),
        version: Version::parse(version).ok()?,
    })
}

/// Fails when `found` is older than [`MINIMUM`].
pub fn require_minimum(found: &Found) -> Result<(), StepError> {
    if found.version >= MINIMUM {
        return Ok(());
    }
    Err(StepError::new(format!(
        "{found} is too old: this scope needs OpenTofu or Terraform {MINIMUM} or later"
    ))
    .cause("the S3 state backend's lock file (use_lockfile) exists from 1.10 on; distribution packages (e.g. Alpine's opentofu) lag behind")
    .fix(format!(
        "install the official OpenTofu release binary ({MINIMUM} or later) and put it on PATH or set TOFU_BIN to it (the scope's Dockerfile does this)"
    ))
    .usage())
}

/// Runs `command` (a prepared `<binary> version`) within `timeout` and reads its version.
pub fn probe(mut command: Command, shown: &str, timeout: Duration) -> Result<Found, StepError> {
    let cannot = |why: String| {
        StepError::new(format!("could not read the version of {shown}: {why}"))
            .cause("the binary is not OpenTofu or Terraform, is broken, or is built for another platform")
            .fix("set TOFU_BIN to a working tofu (1.10 or later) or terraform binary")
    };
    let mut child = command
        .env("CHECKPOINT_DISABLE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| cannot(err.to_string()))?;
    let started = Instant::now();
    // `version` answers in milliseconds: polling costs less than a waiter thread.
    let status = loop {
        match child.try_wait().map_err(|err| cannot(err.to_string()))? {
            Some(status) => break status,
            None if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(cannot(format!(
                    "`version` did not answer within {} s",
                    timeout.as_secs()
                )));
            }
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    };
    let mut answer = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        use std::io::Read;
        let _ = stdout.read_to_string(&mut answer);
    }
    if !status.success() {
        return Err(cannot(format!("`version` exited with {status}")));
    }
    parse(&answer).ok_or_else(|| {
        let first = answer.lines().next().unwrap_or("").trim();
        cannot(format!("`version` answered `{first}`"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_products() {
        let tofu = parse("OpenTofu v1.10.6\non linux_amd64\n").unwrap();
        assert_eq!(tofu.product, "OpenTofu");
        assert_eq!(tofu.version, Version::new(1, 10, 6));
        let terraform = parse("Terraform v1.11.4\non linux_amd64\n").unwrap();
        assert_eq!(terraform.to_string(), "Terraform 1.11.4");
        assert_eq!(parse("usage: something"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn older_than_1_10_is_refused_with_both_versions_named() {
        let old = parse("OpenTofu v1.8.3").unwrap();
        let err = require_minimum(&old).unwrap_err();
        assert!(err.what.contains("OpenTofu 1.8.3 is too old"), "{err}");
        assert!(err.what.contains("1.10.0 or later"), "{err}");
        assert_eq!(err.exit_code, 2);
        // A pre-release of 1.10 precedes 1.10.0 and lacks what it brought.
        assert!(require_minimum(&parse("OpenTofu v1.10.0-beta1").unwrap()).is_err());
        assert!(require_minimum(&parse("OpenTofu v1.10.0").unwrap()).is_ok());
        assert!(require_minimum(&parse("Terraform v1.11.4").unwrap()).is_ok());
    }

    #[test]
    fn a_binary_that_does_not_answer_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tofu");
        std::fs::write(&path, "#!/bin/sh\nexec sleep 30\n").unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let started = Instant::now();
        let mut command = Command::new(&path);
        command.arg("version");
        let err = probe(command, "tofu", Duration::from_millis(300)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(err.what.contains("did not answer within"), "{err}");
    }
}
