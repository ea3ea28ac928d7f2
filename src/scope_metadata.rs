//! Scope metadata kept on the scope's NRN (`lambda.`-prefixed keys): the ALB
//! listener-rule priority a private scope took, stored after create so later runs
//! reuse it, and removed (set to null) when the scope is deleted.
//!
//! Clearing patches each of our keys to null instead of `np nrn delete --namespaces
//! lambda`: that would remove the whole `lambda` namespace, keys this scope did not
//! write included. A key the API keeps as null reads back as "none stored"
//! ([`priority_in_read`]), so either way the next create allocates afresh.

use std::path::Path;

use serde_json::{json, Map, Value};

use crate::np::NpClient;
use crate::report::StepError;
use crate::step::{progress, warn, Env, Outputs};
use crate::tofu::action::TofuAction;
use crate::tofu::vars::TofuVars;

/// The NRN key holding the ALB listener-rule priority.
pub const ALB_RULE_PRIORITY_KEY: &str = "lambda.alb_rule_priority";

/// Every key this scope stores (all cleared on delete).
pub const STORED_KEYS: &[&str] = &[ALB_RULE_PRIORITY_KEY];

/// Store after create / update, or clear on delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataAction {
    Store,
    Clear,
}

impl MetadataAction {
    /// `--clear` wins; else from TOFU_ACTION (destroy → clear, anything else → store).
    pub fn from_env(clear_flag: bool, env: Env) -> Self {
        let destroying = env("TOFU_ACTION").and_then(|action| TofuAction::parse(&action).ok())
            == Some(TofuAction::Destroy);
        if clear_flag || destroying {
            MetadataAction::Clear
        } else {
            MetadataAction::Store
        }
    }
}

/// The priority the scope's rule took: `ALB_RULE_PRIORITY`, else the
/// `alb_rule_priority` compose-tofu wrote into the tofu variables file. `None` for
/// scopes without an ALB rule (public, event-driven).
pub fn rule_priority(env: Env) -> Result<Option<u64>, StepError> {
    if let Some(text) = env("ALB_RULE_PRIORITY") {
        return text.trim().parse::<u64>().map(Some).map_err(|_| {
            StepError::new(format!("ALB_RULE_PRIORITY is '{text}', not a whole number"))
                .cause("the value was set by hand or by a provider with a typo")
                .fix("set ALB_RULE_PRIORITY to a number from 1 to 50000, or unset it")
                .usage()
        });
    }
    let Some(dir) =
        env("TOFU_WORKING_DIR").or_else(|| env("OUTPUT_DIR").map(|out| format!("{out}/tofu")))
    else {
        return Ok(None);
    };
    Ok(TofuVars::read(Path::new(&dir)).and_then(|vars| vars.alb_rule_priority))
}

/// The priority in an `np nrn read --ids lambda.alb_rule_priority --format json`
/// answer: under `namespaces.lambda` (the API's shape) or as a flat dotted key; a
/// number or a numeric string.
pub fn priority_in_read(answer: &Value) -> Option<u64> {
    let value = answer
        .pointer("/namespaces/lambda/alb_rule_priority")
        .or_else(|| answer.pointer("/lambda/alb_rule_priority"))
        .or_else(|| answer.get(ALB_RULE_PRIORITY_KEY))?;
    value
        .as_u64()
        .or_else(|| value.as_str()?.trim().parse().ok())
        .filter(|priority| (1..=50_000).contains(priority))
}

/// The priority stored on the scope's NRN, if any. A failing read is a warning (the
/// caller re-derives the priority from the listener).
pub fn stored_priority(np: &NpClient, nrn: &str) -> Option<u64> {
    let args = [
        "nrn",
        "read",
        "--nrn",
        nrn,
        "--ids",
        ALB_RULE_PRIORITY_KEY,
        "--format",
        "json",
    ];
    match np.json(&args) {
        Ok(answer) => priority_in_read(&answer),
        Err(err) => {
            warn(format!(
                "could not read the stored ALB rule priority (it is re-derived from the listener): {}",
                err.what
            ));
            None
        }
    }
}

/// The `np nrn patch` body: the priority as a number, or every stored key as null.
pub fn patch_body(action: MetadataAction, priority: Option<u64>) -> Value {
    match action {
        MetadataAction::Store => json!({ ALB_RULE_PRIORITY_KEY: priority }),
        MetadataAction::Clear => Value::Object(
            STORED_KEYS
                .iter()
                .map(|key| (key.to_string(), Value::Null))
                .collect::<Map<_, _>>(),
        ),
    }
}

/// The store-scope-metadata step. np failures are warnings: the scope itself is fine,
/// and a missing priority is re-derived from the listener on the next run.
pub fn store_scope_metadata(
    np: &NpClient,
    clear_flag: bool,
    env: Env,
) -> Result<Outputs, StepError> {
    let action = MetadataAction::from_env(clear_flag, env);
    let nrn = env("SCOPE_NRN").ok_or_else(|| {
        StepError::new("SCOPE_NRN is not set: there is no NRN to keep the metadata on")
            .cause("build-scope-context did not run before this step")
            .fix("run build-scope-context first (it exports SCOPE_NRN)")
            .usage()
    })?;
    let mut outputs = Outputs::new();
    let priority = match action {
        MetadataAction::Store => match rule_priority(env)? {
            Some(priority) => Some(priority),
            None => {
                progress("ℹ️ the scope has no ALB listener rule: nothing to store");
                outputs.set("ALB_RULE_PRIORITY", "");
                return Ok(outputs);
            }
        },
        MetadataAction::Clear => None,
    };
    let body = patch_body(action, priority).to_string();
    let args = [
        "nrn", "patch", "--nrn", &nrn, "--body", &body, "--format", "json",
    ];
    match np.run(&args) {
        Ok(()) => progress(match priority {
            Some(priority) => format!("💾 stored {ALB_RULE_PRIORITY_KEY}={priority} on {nrn}"),
            None => format!("🧹 removed {} from {nrn}", STORED_KEYS.join(", ")),
        }),
        Err(err) => warn(format!(
            "could not update the scope metadata on {nrn} (the scope itself is fine): {}",
            err.what
        )),
    }
    if action == MetadataAction::Store {
        outputs.set(
            "ALB_RULE_PRIORITY",
            priority.map(|p| p.to_string()).unwrap_or_default(),
        );
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::env_of;

    #[test]
    fn action_follows_the_flag_then_tofu_action() {
        let destroy = env_of(&[("TOFU_ACTION", "destroy")]);
        let apply = env_of(&[("TOFU_ACTION", "apply")]);
        assert_eq!(
            MetadataAction::from_env(false, &destroy),
            MetadataAction::Clear
        );
        assert_eq!(
            MetadataAction::from_env(false, &apply),
            MetadataAction::Store
        );
        assert_eq!(
            MetadataAction::from_env(true, &apply),
            MetadataAction::Clear
        );
    }

    #[test]
    fn priority_comes_from_the_env_then_the_vars_file() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().display().to_string();
        std::fs::write(
            dir.path().join(crate::tofu::vars::VARS_FILE),
            r#"{"alb_rule_priority": 17}"#,
        )
        .unwrap();
        let from_file = env_of(&[("TOFU_WORKING_DIR", &work)]);
        assert_eq!(rule_priority(&from_file).unwrap(), Some(17));
        let from_env = env_of(&[("TOFU_WORKING_DIR", &work), ("ALB_RULE_PRIORITY", "42")]);
        assert_eq!(rule_priority(&from_env).unwrap(), Some(42));
        assert_eq!(rule_priority(&env_of(&[])).unwrap(), None);
        let bad = env_of(&[("ALB_RULE_PRIORITY", "high")]);
        assert_eq!(rule_priority(&bad).unwrap_err().exit_code, 2);
    }

    #[test]
    fn stored_priority_is_read_from_either_answer_shape() {
        let nested = json!({"nrn": "x", "namespaces": {"lambda": {"alb_rule_priority": 17}}});
        assert_eq!(priority_in_read(&nested), Some(17));
        assert_eq!(
            priority_in_read(&json!({"lambda.alb_rule_priority": "42"})),
            Some(42)
        );
        assert_eq!(
            priority_in_read(&json!({"lambda.alb_rule_priority": null})),
            None
        );
        assert_eq!(
            priority_in_read(&json!({"lambda.alb_rule_priority": 0})),
            None
        );
        assert_eq!(priority_in_read(&json!({})), None);
    }

    #[test]
    fn bodies_store_a_number_or_null_every_key() {
        assert_eq!(
            patch_body(MetadataAction::Store, Some(142)).to_string(),
            r#"{"lambda.alb_rule_priority":142}"#
        );
        assert_eq!(
            patch_body(MetadataAction::Clear, None).to_string(),
            r#"{"lambda.alb_rule_priority":null}"#
        );
    }
}
