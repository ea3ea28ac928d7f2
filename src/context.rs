//! The action context a workflow runs with: `CONTEXT` (the built notification JSON
//! the engine exports) and the NRNs derived from it. Field lookups return
//! ❌/💡/🔧 errors that name the jq path a person would check.

use serde_json::Value;

use crate::report::StepError;

/// The parsed `CONTEXT` document.
#[derive(Debug, Clone, Default)]
pub struct Context {
    value: Value,
}

impl Context {
    /// Reads `CONTEXT` from the environment; unset or empty means an empty context
    /// (steps then fall back to the environment and `np`).
    pub fn from_env() -> Result<Self, StepError> {
        match std::env::var("CONTEXT") {
            Ok(text) if !text.trim().is_empty() => Self::parse(&text),
            _ => Ok(Context::default()),
        }
    }

    pub fn parse(text: &str) -> Result<Self, StepError> {
        // The notification channel wraps the context in single quotes; tolerate that here too.
        let trimmed = text.trim();
        let unwrapped = trimmed
            .strip_prefix('\'')
            .and_then(|inner| inner.strip_suffix('\''))
            .unwrap_or(trimmed);
        let value: Value = serde_json::from_str(unwrapped).map_err(|err| {
            StepError::new(format!("CONTEXT is not valid JSON: {err}"))
                .cause("the workflow was started without the engine's built context, or it was cut")
                .fix("run the workflow through the entrypoint or `scope-workflow run --context <file>`")
        })?;
        if !value.is_object() {
            return Err(StepError::new("CONTEXT is not a JSON object")
                .fix("pass the notification (`.notification` of NP_ACTION_CONTEXT) as CONTEXT"));
        }
        Ok(Context { value })
    }

    pub fn from_value(value: Value) -> Self {
        Context { value }
    }

    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The value at a dotted path (`scope.capabilities.visibility`), if present and not null.
    pub fn get(&self, path: &str) -> Option<&Value> {
        let mut current = &self.value;
        for key in path.split('.') {
            current = current.get(key)?;
        }
        (!current.is_null()).then_some(current)
    }

    /// A string (or number, rendered) at a dotted path; empty strings count as absent.
    pub fn string(&self, path: &str) -> Option<String> {
        match self.get(path)? {
            Value::String(text) if text.is_empty() => None,
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        }
    }

    /// Like [`Context::string`], but a missing value is an error naming `.path`.
    pub fn require_string(&self, path: &str) -> Result<String, StepError> {
        self.string(path).ok_or_else(|| {
            StepError::new(format!("CONTEXT has no value at .{path}"))
                .cause("the action was not started with a fully built context, or the field was renamed")
                .fix(format!("check `.{path}` in the notification; run `echo \"$CONTEXT\" | jq .{path}`"))
        })
    }

    /// Fails, naming the first of `paths` (dotted) CONTEXT lacks, unless every one is
    /// present: a step that changes AWS from these values must never fall back to
    /// defaults because the context is missing (`derived` says what it derives from them).
    pub fn require_present(&self, paths: &[&str], derived: &str) -> Result<(), StepError> {
        let Some(missing) = paths.iter().find(|path| self.get(path).is_none()) else {
            return Ok(());
        };
        let empty = self.value.as_object().is_none_or(|map| map.is_empty());
        Err(StepError::new(format!(
            "CONTEXT has no .{missing}: {derived} come from it, so nothing was changed"
        ))
        .cause(if empty {
            "CONTEXT is unset or {}: the workflow ran without the engine's built context"
        } else {
            "the action was not started with a fully built context, or the field was renamed"
        })
        .fix("run the action through the entrypoint (np service workflow exec --build-context), or pass a built context with `scope-workflow run --context <file>`")
        .fix(format!("check it: `echo \"$CONTEXT\" | jq .{missing}`"))
        .usage())
    }

    /// The merged attributes of a provider category the built context carries
    /// (`.providers["<category>"]`), when present.
    pub fn provider(&self, category: &str) -> Option<&Value> {
        self.value
            .get("providers")?
            .get(category)
            .filter(|value| value.is_object())
    }

    /// The entity NRN: `.scope.nrn // .service.nrn // .entity_nrn //
    /// .service.entity_nrn` (telemetry notifications carry only the last).
    pub fn entity_nrn(&self) -> Option<String> {
        [
            "scope.nrn",
            "service.nrn",
            "entity_nrn",
            "service.entity_nrn",
        ]
        .iter()
        .find_map(|path| self.string(path))
    }

    /// The account NRN derived from the entity NRN.
    pub fn account_nrn(&self) -> Option<String> {
        self.entity_nrn().map(|nrn| account_nrn(&nrn))
    }

    /// The scope id: `.scope.id // .parameters.scope_id // .tags.scope_id // .arguments.scope_id`.
    pub fn scope_id(&self) -> Option<String> {
        [
            "scope.id",
            "parameters.scope_id",
            "tags.scope_id",
            "arguments.scope_id",
        ]
        .iter()
        .find_map(|path| self.string(path))
    }
}

/// The account part of an NRN: everything before `:namespace=` (the NRN unchanged
/// when it has no namespace part).
pub fn account_nrn(nrn: &str) -> String {
    match nrn.find(":namespace=") {
        Some(index) => nrn[..index].to_string(),
        None => nrn.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn account_nrn_strips_namespace_and_after() {
        assert_eq!(
            account_nrn("organization=1:account=2:namespace=3:application=4:scope=5"),
            "organization=1:account=2"
        );
        assert_eq!(
            account_nrn("organization=1:account=2"),
            "organization=1:account=2"
        );
    }

    #[test]
    fn entity_nrn_prefers_scope_then_service_then_entity() {
        let ctx = Context::from_value(json!({
            "service": {"nrn": "organization=1:account=9:namespace=1"},
            "entity_nrn": "organization=1:account=8"
        }));
        assert_eq!(
            ctx.account_nrn().as_deref(),
            Some("organization=1:account=9")
        );
        let ctx =
            Context::from_value(json!({"entity_nrn": "organization=1:account=8:namespace=2"}));
        assert_eq!(
            ctx.account_nrn().as_deref(),
            Some("organization=1:account=8")
        );
        let ctx = Context::from_value(json!({
            "scope": {"nrn": "organization=1:account=7:namespace=1:application=2:scope=3"},
            "service": {"nrn": "organization=1:account=9"}
        }));
        assert_eq!(
            ctx.account_nrn().as_deref(),
            Some("organization=1:account=7")
        );
        // A telemetry notification (log:read, metric:*, instance:data).
        let ctx = Context::from_value(json!({
            "action": "log:read",
            "service": {"entity_nrn": "organization=1:account=6:namespace=2:application=3:scope=4"}
        }));
        assert_eq!(
            ctx.account_nrn().as_deref(),
            Some("organization=1:account=6")
        );
        assert_eq!(Context::default().account_nrn(), None);
    }

    #[test]
    fn parse_tolerates_single_quotes_and_rejects_garbage() {
        let ctx = Context::parse(r#"'{"scope":{"id":12}}'"#).unwrap();
        assert_eq!(ctx.scope_id().as_deref(), Some("12"));
        let err = Context::parse("{not json").unwrap_err();
        assert!(err.what.contains("CONTEXT is not valid JSON"), "{err}");
        assert!(Context::parse("[1]").is_err());
    }

    #[test]
    fn missing_field_names_the_path() {
        let ctx = Context::from_value(json!({"scope": {"slug": ""}}));
        let err = ctx.require_string("scope.slug").unwrap_err();
        assert!(err.what.contains(".scope.slug"), "{err}");
    }

    #[test]
    fn providers_are_read_by_category() {
        let ctx = Context::from_value(json!({"providers": {"scope-configurations": {"a": 1}}}));
        assert_eq!(ctx.provider("scope-configurations").unwrap()["a"], 1);
        assert!(ctx.provider("vpc").is_none());
    }
}
