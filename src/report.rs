//! The one error shape every step reports: `❌ what failed`, `💡 possible causes`,
//! `🔧 how to fix`. Steps return a [`StepError`]; only the step runner prints it.
//! Its fields are plain text built from values a person may see: secrets are
//! [`Secret`]s, which have no way into a `String` but an explicit `expose()`.

use std::fmt;

/// A failure a person can act on: what failed, why it may have failed, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub what: String,
    pub causes: Vec<String>,
    pub fixes: Vec<String>,
    /// Process exit code; never 0.
    pub exit_code: u8,
}

impl StepError {
    pub fn new(what: impl Into<String>) -> Self {
        StepError {
            what: what.into(),
            causes: Vec::new(),
            fixes: Vec::new(),
            exit_code: 1,
        }
    }

    pub fn cause(mut self, cause: impl Into<String>) -> Self {
        self.causes.push(cause.into());
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fixes.push(fix.into());
        self
    }

    /// Exit code for usage errors (bad input caught before any remote call).
    pub fn usage(mut self) -> Self {
        self.exit_code = 2;
        self
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "❌ {}", self.what)?;
        for cause in &self.causes {
            write!(f, "\n💡 {cause}")?;
        }
        for fix in &self.fixes {
            write!(f, "\n🔧 {fix}")?;
        }
        Ok(())
    }
}

impl std::error::Error for StepError {}

impl From<anyhow::Error> for StepError {
    /// An unexpected internal failure: say what happened, with its chain of causes.
    fn from(err: anyhow::Error) -> Self {
        let mut report = StepError::new(err.to_string());
        for cause in err.chain().skip(1) {
            report = report.cause(cause.to_string());
        }
        report
    }
}

/// A value that must never be printed: Debug and Display show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the one place that must hand it on (an outputs file, an API call).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_has_the_three_parts_in_order() {
        let err = StepError::new("sts:AssumeRole failed")
            .cause("the trust policy does not trust the agent")
            .fix("add the agent role to the trust policy");
        assert_eq!(
            err.to_string(),
            "❌ sts:AssumeRole failed\n💡 the trust policy does not trust the agent\n🔧 add the agent role to the trust policy"
        );
        assert_eq!(err.exit_code, 1);
        assert_eq!(err.usage().exit_code, 2);
    }

    #[test]
    fn secrets_do_not_print() {
        let secret = Secret::new("wJalrXUtnFEMI");
        assert_eq!(format!("{secret} {secret:?}"), "*** Secret(***)");
        assert_eq!(secret.expose(), "wJalrXUtnFEMI");
    }

    #[test]
    fn anyhow_chain_becomes_causes() {
        let err = anyhow::anyhow!("root").context("outer");
        let report = StepError::from(err);
        assert_eq!(report.what, "outer");
        assert_eq!(report.causes, vec!["root".to_string()]);
    }
}
