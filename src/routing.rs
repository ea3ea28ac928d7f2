//! Routing a notification to a workflow, for the channel `entrypoint`: strips the quotes
//! the channel puts around `NP_ACTION_CONTEXT`, resolves `SCOPE_ID`, and maps the action
//! to `workflows/<kind>/<name>.yaml` plus the override files found in each overrides dir
//! (in the platform's documented layout `<kind>/workflows/<name>.yaml`, or in ours).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::ids;
use crate::report::StepError;
use crate::step::Outputs;

/// Which family of workflows an action belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Scope,
    Deployment,
    Log,
    Metric,
    Instance,
}

impl Kind {
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Scope => "scope",
            Kind::Deployment => "deployment",
            Kind::Log => "log",
            Kind::Metric => "metric",
            Kind::Instance => "instance",
        }
    }

    /// Telemetry answers with one JSON document on stdout and runs without a service action.
    pub fn is_telemetry(self) -> bool {
        matches!(self, Kind::Log | Kind::Metric | Kind::Instance)
    }
}

/// Deployment action slug → workflow name.
pub const DEPLOYMENT_ACTIONS: &[(&str, &str)] = &[
    ("start-initial", "initial"),
    ("start-blue-green", "blue_green"),
    ("switch-traffic", "switch_traffic"),
    ("rollback-deployment", "rollback"),
    ("finalize-blue-green", "finalize"),
    ("delete-deployment", "delete"),
    ("diagnose-deployment", "diagnose"),
];

/// Scope action slug → workflow name (the reference forgot update-scope).
pub const SCOPE_ACTIONS: &[(&str, &str)] = &[
    ("create-scope", "create"),
    ("update-scope", "update"),
    ("delete-scope", "delete"),
    ("diagnose-scope", "diagnose"),
    ("invoke", "invoke"),
    (
        "adjust-provisioned-concurrency",
        "adjust_provisioned_concurrency",
    ),
    ("adjust-reserved-concurrency", "adjust_reserved_concurrency"),
];

/// Scope action types that name their workflow directly.
const SCOPE_TYPES: &[&str] = &["create", "update", "delete", "diagnose"];

/// A notification decoded from `NP_ACTION_CONTEXT`.
#[derive(Debug, Clone)]
pub struct Notification {
    /// The whole context, with `.notification.parameters.scope_id` filled in.
    pub action_context: Value,
    pub scope_id: String,
    pub deployment_id: Option<String>,
    /// `.notification.action` (e.g. `service:action:create`, `log:read`).
    pub action: String,
    /// `.notification.slug` (e.g. `start-initial`).
    pub slug: String,
    /// `.notification.type` (e.g. `create`, `custom`).
    pub action_type: String,
}

impl Notification {
    /// Parses `NP_ACTION_CONTEXT` as the channel sends it (wrapped in single quotes).
    pub fn parse(raw: &str) -> Result<Notification, StepError> {
        let trimmed = raw.trim();
        let unquoted = trimmed.strip_prefix('\'').unwrap_or(trimmed);
        let unquoted = unquoted.strip_suffix('\'').unwrap_or(unquoted);
        if unquoted.trim().is_empty() {
            return Err(StepError::new("NP_ACTION_CONTEXT is empty")
                .cause("the entrypoint was started outside the notification channel")
                .fix("set NP_ACTION_CONTEXT to the notification JSON (see tests/fixtures/notifications/)")
                .usage());
        }
        let mut context: Value = serde_json::from_str(unquoted).map_err(|err| {
            StepError::new("NP_ACTION_CONTEXT is not valid JSON")
                .cause(err.to_string())
                .fix("the channel must send the notification JSON, optionally wrapped in single quotes")
                .usage()
        })?;
        let Some(notification) = context.get_mut("notification").filter(|n| n.is_object()) else {
            return Err(StepError::new("NP_ACTION_CONTEXT has no .notification object")
                .fix("pass the whole notification as the channel sends it: {\"notification\": {...}}")
                .usage());
        };
        let text = |value: Option<&Value>| -> Option<String> {
            match value? {
                Value::Null => None,
                Value::String(s) if s.is_empty() => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }
        };
        let scope_id = ["parameters", "tags", "arguments"]
            .iter()
            .find_map(|key| text(notification.get(key).and_then(|v| v.get("scope_id"))))
            .unwrap_or_default();
        if !scope_id.is_empty() {
            // Like the reference: later steps (build-context) read it from parameters.
            if !notification.get("parameters").is_some_and(Value::is_object) {
                notification["parameters"] = Value::Object(Default::default());
            }
            notification["parameters"]["scope_id"] = Value::String(scope_id.clone());
        }
        let deployment_id = text(
            notification
                .get("parameters")
                .and_then(|p| p.get("deployment_id")),
        )
        .filter(|id| id != "null");
        if !scope_id.is_empty() {
            ids::check_id("scope id", "the notification's scope_id", &scope_id)?;
        }
        if let Some(id) = &deployment_id {
            ids::check_id(
                "deployment id",
                ".notification.parameters.deployment_id",
                id,
            )?;
        }
        let action = text(notification.get("action")).unwrap_or_default();
        let slug = text(notification.get("slug")).unwrap_or_default();
        let action_type = text(notification.get("type")).unwrap_or_default();
        Ok(Notification {
            action_context: context,
            scope_id,
            deployment_id,
            action,
            slug,
            action_type,
        })
    }

    /// `CONTEXT`: the `.notification` object.
    pub fn context(&self) -> &Value {
        &self.action_context["notification"]
    }

    /// The workflow family and the candidate workflow names, best first.
    pub fn target(&self) -> (Kind, Vec<String>) {
        let action = self.action.as_str();
        if action == "log:read" {
            return (Kind::Log, vec!["log".into()]);
        }
        if action == "metric:list" {
            return (Kind::Metric, vec!["list".into()]);
        }
        if action.starts_with("metric:") {
            return (Kind::Metric, vec!["metric".into()]);
        }
        if action == "instance:data" {
            return (Kind::Instance, vec!["list".into()]);
        }
        if self.deployment_id.is_some() {
            let mapped = lookup(DEPLOYMENT_ACTIONS, &self.slug);
            return (Kind::Deployment, mapped.into_iter().collect());
        }
        let mut names = Vec::new();
        if let Some(name) = lookup(SCOPE_ACTIONS, &self.slug) {
            names.push(name);
        }
        if SCOPE_TYPES.contains(&self.action_type.as_str()) {
            names.push(self.action_type.clone());
        }
        if names.is_empty() && !self.slug.is_empty() {
            // A custom action an operator added: its slug (dashes as underscores) names
            // the file, so `route` checks it is a plain slug first.
            names.push(self.slug.replace('-', "_"));
        }
        (Kind::Scope, names)
    }
}

fn lookup(table: &[(&str, &str)], slug: &str) -> Option<String> {
    table
        .iter()
        .find(|(s, _)| *s == slug)
        .map(|(_, name)| name.to_string())
}

/// A routed action: the workflow to run and the override files layered on it.
#[derive(Debug, Clone)]
pub struct Route {
    pub notification: Notification,
    pub kind: Kind,
    pub name: String,
    pub workflow: PathBuf,
    pub overrides: Vec<PathBuf>,
    pub service_path: PathBuf,
    pub overrides_paths: Vec<PathBuf>,
    /// Things a person should read (an overrides dir holding both layouts).
    pub warnings: Vec<String>,
}

/// The workflow file's path relative to the service path (and our layout of an
/// overrides dir).
pub fn relative_path(kind: Kind, name: &str) -> PathBuf {
    Path::new("workflows")
        .join(kind.dir())
        .join(format!("{name}.yaml"))
}

/// The path the platform documents for an overrides repository (and the reference
/// scope's own tree uses): `<kind>/workflows/<name>.yaml`.
pub fn documented_path(kind: Kind, name: &str) -> PathBuf {
    Path::new(kind.dir())
        .join("workflows")
        .join(format!("{name}.yaml"))
}

/// The file of workflow `name` in the overrides dir `dir`: the documented layout first,
/// else ours. Both there is a warning (in `warnings`, once), naming both files.
pub fn find_override(
    dir: &Path,
    kind: Kind,
    name: &str,
    warnings: &mut Vec<String>,
) -> Option<PathBuf> {
    let documented = dir.join(documented_path(kind, name));
    let ours = dir.join(relative_path(kind, name));
    match (documented.is_file(), ours.is_file()) {
        (true, both) => {
            if both {
                let warning = format!(
                    "{} holds {} and {}: using {} (the documented layout); {} is ignored — remove one",
                    dir.display(),
                    documented.display(),
                    ours.display(),
                    documented.display(),
                    ours.display()
                );
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
            }
            Some(documented)
        }
        (false, true) => Some(ours),
        (false, false) => None,
    }
}

/// Routes `raw` (NP_ACTION_CONTEXT) to an existing workflow in `service_path`, or, for
/// actions an overrides dir adds, in the first overrides dir holding it.
pub fn route(
    raw: &str,
    service_path: &Path,
    overrides_paths: &[PathBuf],
) -> Result<Route, StepError> {
    let notification = Notification::parse(raw)?;
    let (kind, names) = notification.target();
    // Names from the routing tables are plain; a custom slug must be checked before it
    // becomes a path (`../../x` would run any x.yaml on the machine).
    if let Some(bad) = names.iter().find(|name| ids::check_slug(name).is_err()) {
        ids::check_slug(&notification.slug)?;
        ids::check_slug(bad)?;
    }
    let mut warnings = Vec::new();
    // The service path holds the scope itself (our layout only); an overrides dir may
    // add a workflow, in either layout.
    let found = names.iter().find_map(|name| {
        let shipped = service_path.join(relative_path(kind, name));
        if shipped.is_file() {
            return Some((name.clone(), shipped));
        }
        overrides_paths
            .iter()
            .find_map(|dir| find_override(dir, kind, name, &mut warnings))
            .map(|p| (name.clone(), p))
    });
    let Some((name, workflow)) = found else {
        return Err(unknown_action(
            &notification,
            kind,
            &names,
            service_path,
            overrides_paths,
        ));
    };
    let overrides = overrides_paths
        .iter()
        .filter_map(|dir| find_override(dir, kind, &name, &mut warnings))
        .filter(|p| *p != workflow)
        .collect();
    Ok(Route {
        notification,
        kind,
        name,
        workflow,
        overrides,
        service_path: service_path.to_path_buf(),
        overrides_paths: overrides_paths.to_vec(),
        warnings,
    })
}

fn unknown_action(
    notification: &Notification,
    kind: Kind,
    names: &[String],
    service_path: &Path,
    overrides_paths: &[PathBuf],
) -> StepError {
    let mut existing: Vec<String> = Vec::new();
    let ours = |root: &Path| root.join("workflows").join(kind.dir());
    let dirs = std::iter::once(ours(service_path)).chain(
        overrides_paths
            .iter()
            .flat_map(|root| [root.join(kind.dir()).join("workflows"), ours(root)]),
    );
    for dir in dirs {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let file = entry.file_name().to_string_lossy().into_owned();
                if let Some(stem) = file.strip_suffix(".yaml") {
                    if !existing.iter().any(|e| e == stem) {
                        existing.push(stem.to_string());
                    }
                }
            }
        }
    }
    existing.sort();
    let described = format!(
        "action '{}' (slug '{}', type '{}'{})",
        notification.action,
        notification.slug,
        notification.action_type,
        notification
            .deployment_id
            .as_ref()
            .map(|d| format!(", deployment {d}"))
            .unwrap_or_default()
    );
    let mut err = if names.is_empty() {
        StepError::new(format!(
            "unknown {} {described}: no {} workflow handles it",
            kind.dir(),
            kind.dir()
        ))
    } else {
        let wanted: Vec<String> = names
            .iter()
            .map(|n| relative_path(kind, n).display().to_string())
            .collect();
        StepError::new(format!(
            "no workflow for {described}: {} not found",
            wanted.join(" or ")
        ))
    };
    err = err.cause(format!(
        "workflows in workflows/{}/: {}",
        kind.dir(),
        if existing.is_empty() {
            "none".to_string()
        } else {
            existing.join(", ")
        }
    ));
    let searched: Vec<String> = std::iter::once(service_path)
        .chain(overrides_paths.iter().map(PathBuf::as_path))
        .map(|r| r.display().to_string())
        .collect();
    err.cause(format!("searched: {}", searched.join(", ")))
        .fix(format!(
            "check the action's slug against the routing table (scope-workflow route --help), or add the workflow in an --overrides-path dir as {}",
            names
                .first()
                .map(|n| documented_path(kind, n).display().to_string())
                .unwrap_or_else(|| format!("{}/workflows/<name>.yaml", kind.dir()))
        ))
        .usage()
}

impl Route {
    /// The variables the entrypoint exports (as `export NAME='value'` lines).
    pub fn outputs(&self) -> Outputs {
        let mut out = Outputs::new();
        let join = |paths: &[PathBuf], sep: &str| {
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(sep)
        };
        out.set(
            "NP_ACTION_CONTEXT",
            self.notification.action_context.to_string(),
        )
        .set("CONTEXT", self.notification.context().to_string())
        .set("SCOPE_ID", &self.notification.scope_id)
        .set(
            "DEPLOYMENT_ID",
            self.notification
                .deployment_id
                .clone()
                .unwrap_or_else(|| "null".into()),
        )
        .set("SERVICE_ACTION", &self.notification.slug)
        .set("SERVICE_ACTION_TYPE", &self.notification.action_type)
        .set("NOTIFICATION_ACTION", &self.notification.action)
        .set("SERVICE_PATH", self.service_path.display().to_string())
        .set("OVERRIDES_PATH", join(&self.overrides_paths, ","))
        .set("SCOPE_WORKFLOW_KIND", self.kind.dir())
        .set(
            "SCOPE_WORKFLOW_TELEMETRY",
            self.kind.is_telemetry().to_string(),
        )
        .set("SCOPE_WORKFLOW_PATH", self.workflow.display().to_string())
        .set("SCOPE_WORKFLOW_OVERRIDES", join(&self.overrides, "\n"))
        .set("SCOPE_WORKFLOW_WARNINGS", self.warnings.join("\n"));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(notification: Value) -> String {
        format!("'{}'", json!({ "notification": notification }))
    }

    #[test]
    fn strips_quotes_and_resolves_scope_id_in_order() {
        let n = Notification::parse(&ctx(
            json!({"action": "log:read", "arguments": {"scope_id": 42}}),
        ))
        .unwrap();
        assert_eq!(n.scope_id, "42");
        assert_eq!(n.context()["parameters"]["scope_id"], "42");
        let n = Notification::parse(&ctx(
            json!({"parameters": {"scope_id": "p"}, "tags": {"scope_id": "t"}}),
        ))
        .unwrap();
        assert_eq!(n.scope_id, "p");
        let n = Notification::parse(&ctx(
            json!({"tags": {"scope_id": "t"}, "arguments": {"scope_id": "a"}}),
        ))
        .unwrap();
        assert_eq!(n.scope_id, "t");
        assert!(Notification::parse("'not json'")
            .unwrap_err()
            .what
            .contains("not valid JSON"));
        assert!(Notification::parse("").is_err());
    }

    #[test]
    fn an_overrides_dir_may_use_either_layout_and_the_documented_one_wins() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut warnings = Vec::new();
        assert_eq!(
            find_override(root, Kind::Scope, "create", &mut warnings),
            None
        );
        let ours = root.join("workflows/scope/create.yaml");
        std::fs::create_dir_all(ours.parent().unwrap()).unwrap();
        std::fs::write(&ours, "steps: []").unwrap();
        assert_eq!(
            find_override(root, Kind::Scope, "create", &mut warnings),
            Some(ours.clone())
        );
        assert!(warnings.is_empty());
        let documented = root.join("scope/workflows/create.yaml");
        std::fs::create_dir_all(documented.parent().unwrap()).unwrap();
        std::fs::write(&documented, "steps: []").unwrap();
        for _ in 0..2 {
            assert_eq!(
                find_override(root, Kind::Scope, "create", &mut warnings),
                Some(documented.clone())
            );
        }
        assert_eq!(warnings.len(), 1, "one warning however often asked");
        assert!(warnings[0].contains(&documented.display().to_string()));
        assert!(warnings[0].contains(&ours.display().to_string()));
        std::fs::remove_file(&ours).unwrap();
        let mut quiet = Vec::new();
        assert_eq!(
            find_override(root, Kind::Scope, "create", &mut quiet),
            Some(documented)
        );
        assert!(quiet.is_empty());
    }

    #[test]
    fn targets_follow_the_routing_table() {
        let target = |n: Value| Notification::parse(&ctx(n)).unwrap().target();
        assert_eq!(
            target(json!({"action": "metric:list"})),
            (Kind::Metric, vec!["list".to_string()])
        );
        assert_eq!(
            target(json!({"action": "metric:data"})),
            (Kind::Metric, vec!["metric".to_string()])
        );
        assert_eq!(target(json!({"action": "instance:data"})).0, Kind::Instance);
        assert_eq!(
            target(
                json!({"action": "service:action:create", "slug": "rollback-deployment", "type": "custom", "parameters": {"deployment_id": 7}})
            ),
            (Kind::Deployment, vec!["rollback".to_string()])
        );
        assert_eq!(
            target(
                json!({"action": "service:action:update", "slug": "update-scope", "type": "custom"})
            ),
            (Kind::Scope, vec!["update".to_string()])
        );
        assert_eq!(
            target(
                json!({"action": "service:action:create", "slug": "create-lambda", "type": "create"})
            ),
            (Kind::Scope, vec!["create".to_string()])
        );
        assert_eq!(
            target(
                json!({"slug": "warm-up", "type": "custom", "parameters": {"deployment_id": null}})
            ),
            (Kind::Scope, vec!["warm_up".to_string()])
        );
    }
}
