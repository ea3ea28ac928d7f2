//! Loading workflow YAML into one merged document: `include` (recursive, `$VAR`-expanded,
//! cycles rejected), `configuration` (a file's own values win over what it includes) and
//! `steps` layered by name — the same machinery applies `--overrides` files on top.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::expand::{expand, resolve_all};
use super::overrides::Names;
use crate::report::StepError;

pub type Env = BTreeMap<String, String>;

/// A step as written in YAML (after layering), with the file that last defined it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepNode {
    pub value: Map<String, Value>,
    pub origin: PathBuf,
}

impl StepNode {
    pub fn name(&self) -> &str {
        self.value.get("name").and_then(Value::as_str).unwrap_or("")
    }
}

/// One workflow after includes and override layers were applied.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Raw (unexpanded) configuration values, already flattened to strings.
    pub configuration: BTreeMap<String, String>,
    pub steps: Vec<StepNode>,
    pub continue_on_error: Option<bool>,
    /// The file this document was loaded from.
    pub path: PathBuf,
    /// What override layers may name beyond the steps (from the loaded workflow's
    /// `WORKFLOW_ACTION`, fixed before any override could change it).
    pub names: Names,
    /// Steps an override layer skipped, with the file that skipped them.
    pub skipped: Vec<(String, PathBuf)>,
    /// Things a person should read before the run (an override reaching a step by a
    /// name only this runner knows).
    pub warnings: Vec<String>,
}

impl Document {
    /// Loads `path` and everything it includes; `env` expands the include paths.
    pub fn load(path: &Path, env: &Env) -> Result<Document, StepError> {
        let mut stack = Vec::new();
        let (mut doc, own) = load_file(path, env, &mut stack)?;
        doc.apply_layer(&own)?;
        doc.names =
            Names::for_workflow(doc.configuration.get("WORKFLOW_ACTION").map(String::as_str));
        Ok(doc)
    }

    /// Layers an override file on top of this document, by the same rules as a file
    /// over what it includes: what the override file includes first, then its own steps
    /// (their `before` / `after` / `action` refer to this document's steps, or to the
    /// other names [`Names`] knows). Unlike an include, an override that anchors on,
    /// skips or replaces a step the workflow does not have is an error: the operator
    /// meant to change a step, and dropping that silently would run what they meant
    /// to prevent.
    pub fn apply_overrides_file(&mut self, path: &Path, env: &Env) -> Result<(), StepError> {
        let mut stack = Vec::new();
        let (included, own) = load_file(path, env, &mut stack)?;
        self.apply_override_layer(&included)?;
        self.apply_override_layer(&own)
    }

    fn apply_layer(&mut self, layer: &Document) -> Result<(), StepError> {
        self.apply_settings(layer);
        for step in &layer.steps {
            merge_step(&mut self.steps, step.clone())?;
        }
        Ok(())
    }

    fn apply_override_layer(&mut self, layer: &Document) -> Result<(), StepError> {
        self.apply_settings(layer);
        let mut rules = OverrideRules {
            names: &self.names,
            skipped: &mut self.skipped,
            warnings: &mut self.warnings,
        };
        for step in &layer.steps {
            merge_override_step(&mut self.steps, step.clone(), &mut rules)?;
        }
        Ok(())
    }

    fn apply_settings(&mut self, layer: &Document) {
        for (key, value) in &layer.configuration {
            self.configuration.insert(key.clone(), value.clone());
        }
        if layer.continue_on_error.is_some() {
            self.continue_on_error = layer.continue_on_error;
        }
    }

    /// The merged workflow as YAML, for `--dry-run`.
    pub fn to_yaml(&self) -> String {
        let mut root = Map::new();
        if !self.configuration.is_empty() {
            let config: Map<String, Value> = self
                .configuration
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            root.insert("configuration".into(), Value::Object(config));
        }
        if let Some(flag) = self.continue_on_error {
            root.insert("continue_on_error".into(), Value::Bool(flag));
        }
        let steps = self
            .steps
            .iter()
            .map(|s| Value::Object(s.value.clone()))
            .collect();
        root.insert("steps".into(), Value::Array(steps));
        serde_saphyr::to_string(&Value::Object(root))
            .unwrap_or_else(|err| format!("# could not render the workflow: {err}\n"))
    }
}

/// Parses YAML text into a JSON value; an empty file is an empty map.
pub fn parse_yaml(text: &str, path: &Path) -> Result<Value, StepError> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    // YAML 1.2 booleans only (like the engine's Go parser): `y`, `no`, `on` stay strings.
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options::<Value>(text, options).map_err(|err| {
        StepError::new(format!("malformed YAML in {}", path.display()))
            .cause(err.to_string())
            .fix("fix the YAML syntax at the line and column shown above")
    })
}

/// Reads one file: what it includes, merged, and its own layer (not yet applied).
fn load_file(
    path: &Path,
    env: &Env,
    stack: &mut Vec<PathBuf>,
) -> Result<(Document, Document), StepError> {
    let canonical = std::fs::canonicalize(path).map_err(|err| {
        StepError::new(format!("cannot read workflow file {}", path.display()))
            .cause(err.to_string())
            .fix("check the path (and the $VARS in it, e.g. SERVICE_PATH)")
    })?;
    if let Some(pos) = stack.iter().position(|p| p == &canonical) {
        let chain: Vec<String> = stack[pos..]
            .iter()
            .chain(std::iter::once(&canonical))
            .map(|p| p.display().to_string())
            .collect();
        return Err(StepError::new(format!(
            "include cycle in {}",
            stack.last().unwrap_or(&canonical).display()
        ))
        .cause(format!(
            "the files include each other: {}",
            chain.join(" → ")
        ))
        .fix("remove one of the include entries that close the loop"));
    }
    let text = std::fs::read_to_string(&canonical).map_err(|err| {
        StepError::new(format!("cannot read workflow file {}", path.display()))
            .cause(err.to_string())
    })?;
    let root = parse_yaml(&text, path)?;
    let Value::Object(mut root) = root else {
        return Err(StepError::new(format!(
            "{} is not a workflow: the top level must be a map",
            path.display()
        ))
        .fix("start the file with keys such as include:, configuration: and steps:"));
    };

    stack.push(canonical);
    let mut doc = Document {
        path: path.to_path_buf(),
        ..Document::default()
    };
    let own_config = flatten_configuration(root.remove("configuration"), path, "configuration")?;
    for include in include_paths(root.remove("include"), path)? {
        // Include paths see the environment plus the configuration read so far.
        let mut scope = env.clone();
        scope.extend(resolve_all(&doc.configuration, env));
        let expanded = expand(&include, &|name| scope.get(name).cloned());
        let mut include_path = PathBuf::from(&expanded);
        if include_path.is_relative() {
            include_path = path.parent().unwrap_or(Path::new(".")).join(include_path);
        }
        let (mut included, own) = load_file(&include_path, env, stack).map_err(|err| {
            err.cause(format!(
                "while including {include:?} (→ {}) from {}",
                include_path.display(),
                path.display()
            ))
        })?;
        included.apply_layer(&own)?;
        doc.apply_layer(&included)?;
    }
    stack.pop();

    let own = Document {
        configuration: own_config,
        steps: step_nodes(root.remove("steps"), path)?,
        continue_on_error: root.remove("continue_on_error").and_then(|v| v.as_bool()),
        path: path.to_path_buf(),
        ..Document::default()
    };
    Ok((doc, own))
}

fn include_paths(value: Option<Value>, path: &Path) -> Result<Vec<String>, StepError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(one)) => Ok(vec![one]),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                other => Err(bad_include(path, &other)),
            })
            .collect(),
        Some(other) => Err(bad_include(path, &other)),
    }
}

fn bad_include(path: &Path, value: &Value) -> StepError {
    StepError::new(format!("bad include entry in {}: {value}", path.display()))
        .fix("include takes a list of file paths, e.g. - \"$SERVICE_PATH/values.yaml\"")
}

/// Turns a YAML `configuration` map into environment strings: nested maps and lists
/// become JSON, numbers and booleans their text, null the empty string.
pub fn flatten_configuration(
    value: Option<Value>,
    path: &Path,
    place: &str,
) -> Result<BTreeMap<String, String>, StepError> {
    let map = match value {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(StepError::new(format!(
                "{place} in {} must be a map of NAME: value, not {other}",
                path.display()
            )))
        }
    };
    Ok(map
        .into_iter()
        .map(|(key, value)| (key, config_string(value)))
        .collect())
}

fn config_string(value: Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s,
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        nested => nested.to_string(),
    }
}

fn step_nodes(value: Option<Value>, path: &Path) -> Result<Vec<StepNode>, StepError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(StepError::new(format!(
                "steps in {} must be a list, not {other}",
                path.display()
            )))
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| match item {
            Value::Object(map) => {
                if !matches!(map.get("name"), Some(Value::String(n)) if !n.is_empty()) {
                    return Err(StepError::new(format!(
                        "step #{} in {} has no name",
                        index + 1,
                        path.display()
                    ))
                    .cause("steps are matched by name for includes and overrides")
                    .fix("add `name: <step name>` to the step"));
                }
                Ok(StepNode {
                    value: map,
                    origin: path.to_path_buf(),
                })
            }
            other => Err(StepError::new(format!(
                "step #{} in {} is not a map: {other}",
                index + 1,
                path.display()
            ))),
        })
        .collect()
}

/// Layers one step onto a list: matched by name; `action: skip` removes it (silently
/// when absent), `action: replace` swaps it whole, otherwise deep merge; a step not yet
/// in the list is inserted at `before:` / `after:` or appended.
pub fn merge_step(steps: &mut Vec<StepNode>, mut layer: StepNode) -> Result<(), StepError> {
    let name = layer.name().to_string();
    let action = layer.value.remove("action");
    let before = layer.value.remove("before");
    let after = layer.value.remove("after");
    let here = || format!("step '{name}' in {}", layer.origin.display());
    let existing = steps.iter().position(|s| s.name() == name);
    let action = match &action {
        None | Some(Value::Null) => "merge",
        Some(Value::String(a)) => a.as_str(),
        Some(other) => {
            return Err(StepError::new(format!(
                "{}: action must be a string, not {other}",
                here()
            )))
        }
    };
    let node = match (action, existing) {
        ("skip", Some(index)) => {
            steps.remove(index);
            return Ok(());
        }
        ("skip", None) => return Ok(()),
        ("replace", Some(index)) => {
            steps.remove(index);
            layer.clone()
        }
        ("merge", Some(index)) => {
            let mut merged = steps.remove(index);
            deep_merge(&mut merged.value, layer.value.clone());
            merged.origin = layer.origin.clone();
            merged
        }
        ("replace" | "merge", None) => layer.clone(),
        (other, _) => {
            return Err(
                StepError::new(format!("{}: unknown action '{other}'", here()))
                    .fix("use action: skip or action: replace, or leave action out to merge"),
            )
        }
    };
    let anchor = |key: &str, value: &Option<Value>| -> Result<Option<String>, StepError> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(target)) => Ok(Some(target.clone())),
            Some(other) => Err(StepError::new(format!(
                "{}: {key} must name a step, not {other}",
                here()
            ))),
        }
    };
    let position = if let Some(target) = anchor("before", &before)? {
        Some(find_anchor(steps, &target, &here(), "before")?)
    } else if let Some(target) = anchor("after", &after)? {
        Some(find_anchor(steps, &target, &here(), "after")? + 1)
    } else {
        existing.map(|index| index.min(steps.len()))
    };
    match position {
        Some(index) => steps.insert(index, node),
        None => steps.push(node),
    }
    Ok(())
}

fn find_anchor(
    steps: &[StepNode],
    target: &str,
    here: &str,
    key: &str,
) -> Result<usize, StepError> {
    steps
        .iter()
        .position(|s| s.name() == target)
        .ok_or_else(|| {
            let names: Vec<&str> = steps.iter().map(StepNode::name).collect();
            StepError::new(format!("{here}: {key}: '{target}' names no step"))
                .cause(format!("the steps are: {}", names.join(", ")))
                .fix(format!("set {key}: to one of those names"))
        })
}

/// What an override layer's step names are checked against.
struct OverrideRules<'a> {
    names: &'a Names,
    skipped: &'a mut Vec<(String, PathBuf)>,
    warnings: &'a mut Vec<String>,
}

impl OverrideRules<'_> {
    /// The agent's engine matches names exactly: an override that works here through
    /// another name would be dropped there.
    fn note_alias(&mut self, written: &str, ours: &str, origin: &Path) {
        if written == ours {
            return;
        }
        let warning = format!(
            "{}: `{written}` stands for `{ours}` here; the agent's engine (np) matches step names exactly — write `{ours}` for this override to apply there too",
            origin.display()
        );
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }
}

/// The step of `steps` that `name` means: itself, or the step its other name stands for.
fn resolve(steps: &[StepNode], names: &Names, name: &str) -> Option<String> {
    let has = |wanted: &str| steps.iter().any(|s| s.name() == wanted);
    if has(name) {
        return Some(name.to_string());
    }
    names
        .alias_of(name)
        .filter(|ours| has(ours))
        .map(str::to_string)
}

/// Layers one override step: its name and anchors resolved to this workflow's steps
/// (other names included), a name that reaches no step refused where it would
/// otherwise be dropped or misplaced; then [`merge_step`].
fn merge_override_step(
    steps: &mut Vec<StepNode>,
    mut layer: StepNode,
    rules: &mut OverrideRules,
) -> Result<(), StepError> {
    let written = layer.name().to_string();
    let here = format!("step '{written}' in {}", layer.origin.display());
    let action = match layer.value.get("action") {
        Some(Value::String(action)) => action.clone(),
        _ => "merge".to_string(),
    };
    let target = resolve(steps, rules.names, &written);
    if target.is_none() {
        let ours = rules.names.alias_of(&written).unwrap_or(&written);
        let already_skipped = rules.skipped.iter().any(|(name, _)| name == ours);
        match action.as_str() {
            // Skipping twice (two layers, or a step and its other name) asks for what
            // is already so.
            "skip" if already_skipped => return Ok(()),
            "skip" | "replace" => {
                return Err(no_such_step(
                    steps,
                    rules,
                    &written,
                    &format!("{here}: action: {action} names no step"),
                    Usage::Whole,
                ))
            }
            // Settings for a reference step we do not have separately would be
            // appended as a step of their own, changing nothing the operator meant.
            "merge" if rules.names.explain(&written).is_some() => {
                return Err(no_such_step(
                    steps,
                    rules,
                    &written,
                    &format!(
                        "{here}: '{written}' names no step, so its settings would change nothing"
                    ),
                    Usage::Whole,
                ))
            }
            _ => {}
        }
    }
    for key in ["before", "after"] {
        let Some(Value::String(anchor)) = layer.value.get(key).cloned() else {
            continue;
        };
        match resolve(steps, rules.names, &anchor) {
            Some(ours) => {
                rules.note_alias(&anchor, &ours, &layer.origin);
                layer.value.insert(key.into(), Value::String(ours));
            }
            None => {
                return Err(no_such_step(
                    steps,
                    rules,
                    &anchor,
                    &format!("{here}: {key}: '{anchor}' names no step"),
                    Usage::Anchor(key),
                ))
            }
        }
    }
    if let Some(ours) = &target {
        rules.note_alias(&written, ours, &layer.origin);
        // The workflow keeps its own name for the step, whichever name reached it.
        layer
            .value
            .insert("name".into(), Value::String(ours.clone()));
        if action == "skip" {
            rules.skipped.push((ours.clone(), layer.origin.clone()));
        }
    }
    merge_step(steps, layer)
}

/// How an override used a name that reaches no step.
enum Usage {
    /// `before:` / `after:`.
    Anchor(&'static str),
    /// `action: skip` / `replace`, or settings to merge.
    Whole,
}

fn no_such_step(
    steps: &[StepNode],
    rules: &OverrideRules,
    name: &str,
    what: &str,
    usage: Usage,
) -> StepError {
    let present: Vec<&str> = steps.iter().map(StepNode::name).collect();
    let of = rules
        .names
        .workflow
        .as_ref()
        .map(|workflow| format!(" of {workflow}"))
        .unwrap_or_default();
    let mut err = StepError::new(format!("{what}{of}"));
    if let Some(why) = rules.names.explain(name) {
        err = err.cause(why);
    }
    let ours = rules.names.alias_of(name).unwrap_or(name);
    if let Some((_, file)) = rules.skipped.iter().find(|(skipped, _)| skipped == ours) {
        err = err.cause(format!("`{ours}` was skipped by {}", file.display()));
    }
    err = err.cause(format!("the steps are: {}", present.join(", ")));
    let aliases = rules.names.aliases_of(&present);
    if !aliases.is_empty() {
        err = err.cause(format!(
            "other names accepted here (by this runner only): {}",
            aliases.join(", ")
        ));
    }
    let instead = rules
        .names
        .instead(name)
        .filter(|step| present.contains(step));
    err = match (instead, usage) {
        (Some(step), Usage::Anchor(key)) => err.fix(format!(
            "set {key}: {step} (before: {step} runs ahead of all of its work, after: {step} once all of it is done)"
        )),
        (Some(step), Usage::Whole) => err.fix(format!(
            "name `{step}` instead: it does all of that work, so skipping or replacing it drops all of it"
        )),
        (None, Usage::Anchor(key)) => err.fix(format!("set {key}: to one of those names")),
        (None, Usage::Whole) => {
            err.fix("name one of those steps, or remove this entry from the override")
        }
    };
    err
}

/// Maps merge key by key; anything else (scalars, lists) is replaced.
pub fn deep_merge(base: &mut Map<String, Value>, layer: Map<String, Value>) {
    for (key, value) in layer {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(inner)), Value::Object(layer_inner)) => {
                deep_merge(inner, layer_inner)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(value: Value) -> StepNode {
        StepNode {
            value: value.as_object().unwrap().clone(),
            origin: PathBuf::from("over.yaml"),
        }
    }

    fn names(steps: &[StepNode]) -> Vec<&str> {
        steps.iter().map(StepNode::name).collect()
    }

    fn base() -> Vec<StepNode> {
        ["a", "b", "c"]
            .iter()
            .map(|n| node(json!({"name": n, "type": "script", "file": format!("{n}.sh"), "configuration": {"X": "1", "Y": "2"}})))
            .collect()
    }

    #[test]
    fn merge_replace_skip_and_insertion_points() {
        let mut steps = base();
        merge_step(
            &mut steps,
            node(json!({"name": "b", "configuration": {"Y": "3"}})),
        )
        .unwrap();
        assert_eq!(steps[1].value["configuration"], json!({"X": "1", "Y": "3"}));
        assert_eq!(steps[1].value["file"], "b.sh");
        merge_step(
            &mut steps,
            node(json!({"name": "c", "action": "replace", "type": "command", "command": "true"})),
        )
        .unwrap();
        assert_eq!(
            steps[2].value,
            *json!({"name": "c", "type": "command", "command": "true"})
                .as_object()
                .unwrap()
        );
        merge_step(&mut steps, node(json!({"name": "a", "action": "skip"}))).unwrap();
        merge_step(&mut steps, node(json!({"name": "zz", "action": "skip"}))).unwrap();
        assert_eq!(names(&steps), ["b", "c"]);
        merge_step(
            &mut steps,
            node(json!({"name": "first", "before": "b", "type": "command", "command": "true"})),
        )
        .unwrap();
        merge_step(
            &mut steps,
            node(json!({"name": "mid", "after": "b", "type": "command", "command": "true"})),
        )
        .unwrap();
        merge_step(
            &mut steps,
            node(json!({"name": "last", "type": "command", "command": "true"})),
        )
        .unwrap();
        assert_eq!(names(&steps), ["first", "b", "mid", "c", "last"]);
        assert!(!steps[0].value.contains_key("before"));
        let err = merge_step(&mut steps, node(json!({"name": "x", "after": "nope"}))).unwrap_err();
        assert!(err.what.contains("'nope' names no step"), "{err}");
        let err =
            merge_step(&mut steps, node(json!({"name": "b", "action": "explode"}))).unwrap_err();
        assert!(err.what.contains("unknown action 'explode'"), "{err}");
    }

    #[test]
    fn configuration_values_become_strings() {
        let flat = flatten_configuration(
            Some(json!({"N": 3, "B": true, "S": "x", "M": {"k": [1, "two"]}, "Z": null})),
            Path::new("f.yaml"),
            "configuration",
        )
        .unwrap();
        assert_eq!(flat["N"], "3");
        assert_eq!(flat["B"], "true");
        assert_eq!(flat["S"], "x");
        assert_eq!(flat["M"], r#"{"k":[1,"two"]}"#);
        assert_eq!(flat["Z"], "");
    }
}
