//! Which service action a diagnosis reports to: the notification's ids, read from
//! `NP_ACTION_CONTEXT` (under `--build-context`, CONTEXT is the built context and has
//! neither), with a notification-shaped CONTEXT as the fallback.

use serde_json::Value;

use crate::context::Context;
use crate::routing::Notification;

/// The action being run and the service it belongs to (`np service action patch --id
/// <action> --serviceId <service>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRef {
    pub action_id: String,
    pub service_id: String,
    /// Where the ids were read, for the log.
    pub source: &'static str,
}

/// Why no action could be named, said in the log instead of sending nothing silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoAction(pub String);

impl ActionRef {
    /// `.notification.id` and `.notification.service.id` of `np_action_context`; else
    /// `.id` and `.service.id` of a CONTEXT that is itself a notification (has `.action`).
    pub fn resolve(np_action_context: Option<&str>, ctx: &Context) -> Result<ActionRef, NoAction> {
        let from_notification = match np_action_context.filter(|raw| !raw.trim().is_empty()) {
            Some(raw) => match Notification::parse(raw) {
                Ok(notification) => ids(notification.context(), "NP_ACTION_CONTEXT"),
                Err(err) => {
                    return Err(NoAction(format!(
                        "NP_ACTION_CONTEXT could not be read ({})",
                        err.what
                    )))
                }
            },
            None => None,
        };
        if let Some(found) = from_notification {
            return Ok(found);
        }
        let notification_shaped = ctx.get("action").is_some();
        if notification_shaped {
            if let Some(found) = ids(ctx.value(), "CONTEXT") {
                return Ok(found);
            }
        }
        Err(NoAction(match np_action_context {
            Some(_) => "NP_ACTION_CONTEXT has no .notification.id and .notification.service.id".to_string(),
            None => "NP_ACTION_CONTEXT is not set and CONTEXT is not a notification with .id and .service.id".to_string(),
        }))
    }
}

fn ids(notification: &Value, source: &'static str) -> Option<ActionRef> {
    let text = |value: Option<&Value>| match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    Some(ActionRef {
        action_id: text(notification.get("id"))?,
        service_id: text(notification.get("service").and_then(|s| s.get("id")))?,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn built_context() -> Context {
        Context::from_value(json!({
            "account": {"id": 2}, "scope": {"id": 7, "nrn": "organization=1:account=2"},
            "deployment": {"id": 8}, "providers": {}
        }))
    }

    const NOTIFICATION: &str = r#"'{"notification": {"action": "service:action:custom",
        "id": "action-1", "slug": "diagnose-scope", "type": "custom",
        "parameters": {"scope_id": "7"}, "service": {"id": "service-1"}}}'"#;

    #[test]
    fn ids_come_from_the_notification_when_context_is_built() {
        let found = ActionRef::resolve(Some(NOTIFICATION), &built_context()).unwrap();
        assert_eq!(found.action_id, "action-1");
        assert_eq!(found.service_id, "service-1");
        assert_eq!(found.source, "NP_ACTION_CONTEXT");
    }

    #[test]
    fn a_built_context_alone_names_no_action() {
        let err = ActionRef::resolve(None, &built_context()).unwrap_err();
        assert!(err.0.contains("NP_ACTION_CONTEXT is not set"), "{err:?}");
        // A built context that happens to carry ids is still not a notification.
        let odd = Context::from_value(json!({"id": 1, "service": {"id": 2}, "scope": {}}));
        assert!(ActionRef::resolve(None, &odd).is_err());
    }

    #[test]
    fn a_notification_shaped_context_is_the_fallback() {
        let ctx = Context::from_value(json!({
            "action": "service:action:custom", "id": "a-2", "service": {"id": "s-2"}
        }));
        let found = ActionRef::resolve(None, &ctx).unwrap();
        assert_eq!((found.action_id.as_str(), found.source), ("a-2", "CONTEXT"));
        // A notification without ids falls back to it too.
        let bare = r#"{"notification": {"action": "service:action:custom"}}"#;
        assert_eq!(
            ActionRef::resolve(Some(bare), &ctx).unwrap().action_id,
            "a-2"
        );
    }

    #[test]
    fn unreadable_notification_is_said() {
        let err = ActionRef::resolve(Some("{not json"), &built_context()).unwrap_err();
        assert!(err.0.contains("could not be read"), "{err:?}");
    }
}
