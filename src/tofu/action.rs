//! What a tofu run does after `init` (TOFU_ACTION: apply or destroy), parsed once; the
//! steps that behave differently on a delete (compose-tofu, run-tofu,
//! store-scope-metadata) compare this value, never the text.

use crate::report::StepError;

/// What the step does after `init`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TofuAction {
    Apply,
    Destroy,
}

impl TofuAction {
    pub fn parse(text: &str) -> Result<Self, StepError> {
        match text.trim() {
            "apply" => Ok(TofuAction::Apply),
            "destroy" => Ok(TofuAction::Destroy),
            other => Err(StepError::new(format!(
                "TOFU_ACTION is '{other}', expected 'apply' or 'destroy'"
            ))
            .cause("the workflow sets TOFU_ACTION in its configuration; the value is misspelled")
            .fix("set TOFU_ACTION: apply (create / update) or TOFU_ACTION: destroy (delete)")
            .usage()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TofuAction::Apply => "apply",
            TofuAction::Destroy => "destroy",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_parses_only_apply_and_destroy() {
        assert_eq!(TofuAction::parse("apply").unwrap(), TofuAction::Apply);
        assert_eq!(TofuAction::parse(" destroy ").unwrap(), TofuAction::Destroy);
        assert_eq!(TofuAction::parse("plan").unwrap_err().exit_code, 2);
    }
}
