//! Typed steps: each merged YAML step checked once (known type, required keys) before
//! anything runs, so a bad workflow fails up front with the file and step named.
//! Values keep their `$VARS`; they are expanded when the step runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::document::{flatten_configuration, StepNode};
use crate::report::StepError;

#[derive(Debug, Clone, PartialEq)]
pub struct StepSpec {
    pub name: String,
    pub kind: StepKind,
    pub configuration: BTreeMap<String, String>,
    pub outputs: Vec<OutputSpec>,
    pub pre: Vec<StepSpec>,
    pub post: Vec<StepSpec>,
    pub continue_on_error: Option<bool>,
    /// The workflow file that defined this step (last layer that touched it).
    pub origin: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    /// `file:` sourced by bash.
    Script { file: String },
    /// `command:` evaluated by bash.
    Command { command: String },
    /// Nested steps, inline (`steps:`) or from another workflow file (`file:`).
    Workflow {
        steps: Vec<StepSpec>,
        file: Option<String>,
    },
    /// Checks in `folders`, each wrapped by `before_each` / `after_each`.
    Executor {
        folders: Vec<String>,
        before_each: Option<Box<StepSpec>>,
        after_each: Option<Box<StepSpec>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutputSpec {
    pub name: String,
    pub kind: OutputKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OutputKind {
    Environment,
    /// The step writes this file; the variable is set to its path.
    File(String),
    /// A bash function the step defines.
    Function,
}

impl StepSpec {
    pub fn from_node(node: &StepNode) -> Result<StepSpec, StepError> {
        parse_step(&node.value, &node.origin, "")
    }

    pub fn label(&self) -> String {
        format!("step '{}' in {}", self.name, self.origin.display())
    }
}

pub fn parse_steps(nodes: &[StepNode]) -> Result<Vec<StepSpec>, StepError> {
    nodes.iter().map(StepSpec::from_node).collect()
}

fn parse_step(
    map: &Map<String, Value>,
    origin: &Path,
    parent: &str,
) -> Result<StepSpec, StepError> {
    let name = match map.get("name") {
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        _ => {
            return Err(StepError::new(format!(
                "a step{} in {} has no name",
                in_parent(parent),
                origin.display()
            ))
            .fix("add `name: <step name>` to the step"))
        }
    };
    let full = if parent.is_empty() {
        name.clone()
    } else {
        format!("{parent} › {name}")
    };
    let here = || format!("step '{full}' in {}", origin.display());
    let text = |key: &str| -> Result<Option<String>, StepError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(StepError::new(format!(
                "{}: {key} must be a string, not {other}",
                here()
            ))),
        }
    };
    let required = |key: &str, kind: &str| -> Result<String, StepError> {
        text(key)?.ok_or_else(|| {
            StepError::new(format!("{}: a {kind} step needs `{key}:`", here()))
                .fix(format!("add `{key}:` to the step, or change its type"))
        })
    };
    let kind_name = match text("type")? {
        Some(kind) => kind,
        None if map.contains_key("file") => "script".to_string(),
        None if map.contains_key("command") => "command".to_string(),
        None => {
            return Err(StepError::new(format!("{}: no type", here()))
                .fix("add `type: script` (with file:), `type: command`, `type: workflow` or `type: executor`"))
        }
    };
    let kind = match kind_name.as_str() {
        "script" => StepKind::Script {
            file: required("file", "script")?,
        },
        "command" => StepKind::Command {
            command: required("command", "command")?,
        },
        "workflow" => {
            let steps = match map.get("steps") {
                None | Some(Value::Null) => Vec::new(),
                Some(value) => step_list(value, origin, &full, "steps")?,
            };
            let file = text("file")?;
            if steps.is_empty() && file.is_none() {
                return Err(StepError::new(format!(
                    "{}: a workflow step needs `steps:` or `file:`",
                    here()
                )));
            }
            StepKind::Workflow { steps, file }
        }
        "executor" => {
            let folders = match map.get("folders") {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| {
                        item.as_str().map(str::to_string).ok_or_else(|| {
                            StepError::new(format!("{}: folders must be paths, not {item}", here()))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                Some(Value::String(one)) => vec![one.clone()],
                _ => {
                    return Err(StepError::new(format!("{}: an executor step needs `folders:`", here()))
                        .fix("list the folders holding the checks, e.g. folders: [\"$SERVICE_PATH/diagnose/checks\"]"))
                }
            };
            let hook = |key: &str| -> Result<Option<Box<StepSpec>>, StepError> {
                match map.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::Object(hook)) => {
                        Ok(Some(Box::new(parse_step(hook, origin, &full)?)))
                    }
                    Some(other) => Err(StepError::new(format!(
                        "{}: {key} must be a step, not {other}",
                        here()
                    ))),
                }
            };
            StepKind::Executor {
                folders,
                before_each: hook("before_each")?,
                after_each: hook("after_each")?,
            }
        }
        other => {
            return Err(
                StepError::new(format!("{}: unknown step type '{other}'", here()))
                    .fix("use one of: script, command, workflow, executor"),
            )
        }
    };
    let configuration = flatten_configuration(
        map.get("configuration").cloned(),
        origin,
        &format!("configuration of {}", here()),
    )?;
    let outputs = match map.get("output") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| parse_output(item, &here))
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(StepError::new(format!(
                "{}: output must be a list, not {other}",
                here()
            )))
        }
    };
    let hooks = |key: &str| -> Result<Vec<StepSpec>, StepError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Object(one)) => Ok(vec![parse_step(one, origin, &full)?]),
            Some(value) => step_list(value, origin, &full, key),
        }
    };
    Ok(StepSpec {
        name,
        kind,
        configuration,
        outputs,
        pre: hooks("pre")?,
        post: hooks("post")?,
        continue_on_error: map.get("continue_on_error").and_then(Value::as_bool),
        origin: origin.to_path_buf(),
    })
}

fn in_parent(parent: &str) -> String {
    if parent.is_empty() {
        String::new()
    } else {
        format!(" under '{parent}'")
    }
}

fn step_list(
    value: &Value,
    origin: &Path,
    parent: &str,
    key: &str,
) -> Result<Vec<StepSpec>, StepError> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Object(map) => parse_step(map, origin, parent),
                other => Err(StepError::new(format!(
                    "step '{parent}' in {}: {key} entries must be steps, not {other}",
                    origin.display()
                ))),
            })
            .collect(),
        other => Err(StepError::new(format!(
            "step '{parent}' in {}: {key} must be a list of steps, not {other}",
            origin.display()
        ))),
    }
}

fn parse_output(item: &Value, here: &dyn Fn() -> String) -> Result<OutputSpec, StepError> {
    let Some(map) = item.as_object() else {
        return Err(StepError::new(format!(
            "{}: output entries need name and type, not {item}",
            here()
        )));
    };
    let name = map
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !is_shell_name(&name) {
        return Err(StepError::new(format!(
            "{}: output name {name:?} is not a shell variable name",
            here()
        )));
    }
    let kind = match map
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("environment")
    {
        "environment" => OutputKind::Environment,
        "function" => OutputKind::Function,
        "file" => match map.get("file").and_then(Value::as_str) {
            Some(file) => OutputKind::File(file.to_string()),
            None => {
                return Err(StepError::new(format!(
                    "{}: file output {name} needs `file:`",
                    here()
                )))
            }
        },
        other => {
            return Err(StepError::new(format!(
                "{}: output {name} has unknown type '{other}'",
                here()
            ))
            .fix("use type: environment, file or function"))
        }
    };
    Ok(OutputSpec { name, kind })
}

pub fn is_shell_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<StepSpec, StepError> {
        parse_step(value.as_object().unwrap(), Path::new("wf.yaml"), "")
    }

    #[test]
    fn parses_every_kind_and_rejects_unknown_ones() {
        let step = parse(json!({"name": "s", "type": "script", "file": "$X/s", "output": [
            {"name": "A", "type": "environment"}, {"name": "F", "type": "file", "file": "$D/f"}, {"name": "fn", "type": "function"}
        ], "pre": {"name": "p", "type": "command", "command": "true"}}))
        .unwrap();
        assert_eq!(
            step.kind,
            StepKind::Script {
                file: "$X/s".into()
            }
        );
        assert_eq!(step.outputs[1].kind, OutputKind::File("$D/f".into()));
        assert_eq!(step.pre[0].name, "p");
        let nested = parse(json!({"name": "w", "type": "workflow", "steps": [{"name": "in", "type": "command", "command": "true"}]})).unwrap();
        assert!(matches!(nested.kind, StepKind::Workflow { ref steps, .. } if steps.len() == 1));
        let exec = parse(json!({"name": "e", "type": "executor", "folders": ["$D"], "before_each": {"name": "b", "type": "command", "command": "true"}})).unwrap();
        assert!(matches!(
            exec.kind,
            StepKind::Executor {
                before_each: Some(_),
                after_each: None,
                ..
            }
        ));

        let err = parse(json!({"name": "bad", "type": "lambda"})).unwrap_err();
        assert_eq!(
            err.what,
            "step 'bad' in wf.yaml: unknown step type 'lambda'"
        );
        let err = parse(
            json!({"name": "w", "type": "workflow", "steps": [{"name": "in", "type": "nope"}]}),
        )
        .unwrap_err();
        assert!(err.what.contains("step 'w › in' in wf.yaml"), "{err}");
        let err = parse(json!({"name": "s", "type": "script"})).unwrap_err();
        assert!(err.what.contains("needs `file:`"), "{err}");
    }
}
