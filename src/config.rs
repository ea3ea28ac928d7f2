//! Platform configuration: merging the attributes of several providers of one
//! category (warning on keys more than one provider defines), and the precedence
//! helper every step uses — jq paths into CONTEXT (run with jaq), then environment
//! variables, then a default. Blank means unset in every layer (`settings::is_blank`).
//! Not for reading providers (see `np` and `context`), nor for the names and defaults of
//! operator settings (see `settings`).

use std::collections::BTreeMap;

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, Compiler, Ctx, Vars};
use jaq_json::Val;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::context::Context;
use crate::report::StepError;
use crate::settings::{is_blank, OperatorSetting};

/// The attributes of every provider of one category, deep-merged in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Merged {
    /// The merged attributes (an object; `{}` when no provider of the category exists).
    pub attributes: Value,
    /// Dotted keys that more than one provider defines (the last provider's value won).
    pub collisions: Vec<String>,
    /// How many providers of the category were merged.
    pub providers: usize,
}

/// Deep-merges `.attributes` of every provider in `results` whose `.category` is
/// `category`, in order (like jq's `*`: objects merge key by key, anything else is
/// replaced by the later value). A leaf key set by more than one provider is
/// recorded in [`Merged::collisions`].
pub fn merge_category(results: &[Value], category: &str) -> Merged {
    let mut merged = Merged {
        attributes: Value::Object(Map::new()),
        ..Merged::default()
    };
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for provider in results {
        if provider.get("category").and_then(Value::as_str) != Some(category) {
            continue;
        }
        merged.providers += 1;
        let Some(attributes) = provider.get("attributes").filter(|a| a.is_object()) else {
            continue;
        };
        let mut leaves = Vec::new();
        leaf_keys(attributes, "", &mut leaves);
        for key in leaves {
            *seen.entry(key).or_default() += 1;
        }
        deep_merge(&mut merged.attributes, attributes);
    }
    merged.collisions = seen
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(key, _)| key)
        .collect();
    merged
}

/// jq's `a * b`: objects merge recursively, any other `b` replaces `a`.
pub fn deep_merge(target: &mut Value, overlay: &Value) {
    match (target, overlay) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                match into.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        deep_merge(existing, value)
                    }
                    _ => {
                        into.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (target, overlay) => *target = overlay.clone(),
    }
}

/// The dotted paths of every non-object value (and every empty object) in `value`.
fn leaf_keys(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaf_keys(child, &path, out);
            }
        }
        _ if !prefix.is_empty() => out.push(prefix.to_string()),
        _ => {}
    }
}

/// Evaluates the jq filter `path` against `input` with jaq and returns its first
/// output (`None` when it yields nothing). A path that does not parse or compile,
/// or that fails on this input (e.g. indexing a string), is an error naming it.
pub fn jq_first(input: &Value, path: &str) -> Result<Option<Value>, StepError> {
    let invalid = |detail: String| {
        StepError::new(format!("invalid jq path `{path}`: {detail}"))
            .cause(
                "a jq path in values.yaml or a step's configuration has a typo or is not jq syntax",
            )
            .fix(format!(
                "correct `{path}`; test it with `echo \"$CONTEXT\" | jq '{path}'`"
            ))
            .usage()
    };
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let modules = loader
        .load(
            &arena,
            File {
                code: path,
                path: (),
            },
        )
        .map_err(|errs| invalid(syntax_errors(errs)))?;
    let filter = Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errs| {
            let names: Vec<String> = errs
                .into_iter()
                .flat_map(|(_, errs)| errs)
                .map(|(name, undefined)| format!("{} `{name}` is not defined", undefined.as_str()))
                .collect();
            invalid(names.join("; "))
        })?;
    let val = Val::deserialize(input).map_err(|err| {
        StepError::new(format!("could not hand CONTEXT to jq: {err}"))
            .cause("CONTEXT holds a value jq cannot represent")
            .fix("check that CONTEXT is the notification JSON the engine built")
    })?;
    let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
    let first = filter.id.run((ctx, val)).next();
    match first {
        None => Ok(None),
        Some(Ok(out)) => Ok(Some(val_to_json(&out))),
        Some(Err(exn)) => {
            let shown = match exn.get_err() {
                Ok(err) => err.to_string(),
                Err(_) => "the filter halted".to_string(),
            };
            Err(StepError::new(format!(
                "jq path `{path}` failed on CONTEXT: {shown}"
            ))
            .cause("CONTEXT does not have the shape this path expects (a field is of another type)")
            .fix(format!(
                "inspect the value with `echo \"$CONTEXT\" | jq '{path}'`, or correct the path"
            )))
        }
    }
}

/// jaq's lex and parse errors as "expected X at `rest`" phrases.
fn syntax_errors(errs: jaq_core::load::Errors<&str, ()>) -> String {
    use jaq_core::load::Error;
    let at = |rest: &str| {
        if rest.is_empty() {
            "the end".to_string()
        } else {
            format!("`{rest}`")
        }
    };
    let mut phrases = Vec::new();
    for (_, err) in errs {
        match err {
            Error::Lex(errs) => phrases.extend(
                errs.iter()
                    .map(|(expect, rest)| format!("expected {} at {}", expect.as_str(), at(rest))),
            ),
            Error::Parse(errs) => phrases.extend(
                errs.iter()
                    .map(|(expect, rest)| format!("expected {} at {}", expect.as_str(), at(rest))),
            ),
            Error::Io(errs) => phrases.extend(errs.into_iter().map(|(_, msg)| msg)),
        }
    }
    phrases.join("; ")
}

fn val_to_json(val: &Val) -> Value {
    let text = val.to_string();
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// A value as a configuration string: strings as they are, numbers and booleans
/// rendered, arrays and objects as compact JSON; `null` and blank strings are empty
/// (`None`). Unlike jq's `//`, `false` is a value.
pub fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) if is_blank(text) => None,
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        other => Some(other.to_string()),
    }
}

/// Where a resolved setting came from (logged, so a person can tell which layer won).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A jq path into CONTEXT.
    Context(String),
    /// An environment variable.
    Env(String),
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Context(path) => write!(f, "CONTEXT {path}"),
            Source::Env(name) => write!(f, "${name}"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// A resolved setting and the layer it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub value: String,
    pub source: Source,
}

/// One configuration value with its precedence: the first non-empty of (1) the jq
/// paths into CONTEXT, in order; (2) the environment variables, in order; (3) the
/// default. The order the builder methods are called in does not change that.
///
/// ```
/// # use lambda_scope::{config::Setting, context::Context};
/// let ctx = Context::from_value(serde_json::json!({"scope": {"capabilities": {}}}));
/// let arch = Setting::new()
///     .jq(".scope.capabilities.architecture")
///     .env("LAMBDA_ARCHITECTURE")
///     .default_value("arm64")
///     .resolve_with(&ctx, |_| None)
///     .unwrap();
/// assert_eq!(arch.unwrap().value, "arm64");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Setting {
    jq_paths: Vec<String>,
    env_vars: Vec<String>,
    default: Option<String>,
}

impl Setting {
    pub fn new() -> Self {
        Self {
            jq_paths: Vec::new(),
            env_vars: Vec::new(),
            default: None,
        }
    }

    /// Adds a jq path into CONTEXT (e.g. `.providers["scope-configurations"].x`).
    pub fn jq(mut self, path: impl Into<String>) -> Self {
        self.jq_paths.push(path.into());
        self
    }

    /// Adds an environment variable, consulted after every jq path.
    pub fn env(mut self, name: impl Into<String>) -> Self {
        self.env_vars.push(name.into());
        self
    }

    /// An operator setting: its generic name (which carries the effective value once the
    /// binary has reconciled both names) and its one default.
    pub fn operator(mut self, setting: &OperatorSetting) -> Self {
        self = self.env(setting.generic);
        if let Some(default) = setting.default {
            self = self.default_value(default);
        }
        self
    }

    /// The value used when no jq path and no environment variable has one.
    pub fn default_value(mut self, value: impl Into<String>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// Resolves against CONTEXT and the process environment.
    pub fn resolve(&self, ctx: &Context) -> Result<Option<Resolved>, StepError> {
        self.resolve_with(ctx, |name| std::env::var(name).ok())
    }

    /// Resolves against CONTEXT and `env` (a lookup, so tests need not touch the
    /// process environment). `Ok(None)`: no layer had a value and there is no default.
    pub fn resolve_with(
        &self,
        ctx: &Context,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Resolved>, StepError> {
        self.resolve_in(ctx.value(), env)
    }

    /// Like [`Setting::resolve_with`], with the jq paths evaluated against `document`.
    pub fn resolve_in(
        &self,
        document: &Value,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Resolved>, StepError> {
        for path in &self.jq_paths {
            if let Some(value) = jq_first(document, path)?.as_ref().and_then(value_text) {
                return Ok(Some(Resolved {
                    value,
                    source: Source::Context(path.clone()),
                }));
            }
        }
        for name in &self.env_vars {
            if let Some(value) = env(name).filter(|value| !is_blank(value)) {
                return Ok(Some(Resolved {
                    value,
                    source: Source::Env(name.clone()),
                }));
            }
        }
        Ok(self.default.clone().map(|value| Resolved {
            value,
            source: Source::Default,
        }))
    }
}

/// The precedence helper in one call, like the reference scripts' `get_config_value`:
/// the first non-empty of the jq paths into CONTEXT, the environment variables, the
/// default. An invalid jq path is an error naming it.
pub fn config_value(
    ctx: &Context,
    jq_paths: &[&str],
    env_vars: &[&str],
    default: Option<&str>,
) -> Result<Option<String>, StepError> {
    let mut setting = Setting::new();
    for path in jq_paths {
        setting = setting.jq(*path);
    }
    for name in env_vars {
        setting = setting.env(*name);
    }
    if let Some(value) = default {
        setting = setting.default_value(value);
    }
    Ok(setting.resolve(ctx)?.map(|resolved| resolved.value))
}

/// A comma-separated setting as its items, trimmed, empty ones dropped
/// (`AWS_SUBNET_IDS`, `SECURITY_GROUP_IDS`, `LAMBDA_EXECUTION_ROLE_PREFIXES_ALLOWED`).
pub fn comma_list(text: Option<String>) -> Vec<String> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// A whole-number setting: blank or unset means `default`; anything else must be a whole
/// number within `range`, else a usage error naming the setting (`AWS_MAX_ATTEMPTS`,
/// `AWS_CALL_TIMEOUT_SECONDS`, `NP_CALL_TIMEOUT_SECONDS`).
pub fn bounded_number(
    name: &str,
    text: Option<String>,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
) -> Result<u64, StepError> {
    let Some(text) = text.filter(|value| !is_blank(value)) else {
        return Ok(default);
    };
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|value| range.contains(value))
        .ok_or_else(|| {
            StepError::new(format!(
                "{name} is `{text}`: expected a whole number from {} to {}",
                range.start(),
                range.end()
            ))
            .cause("values.yaml or the agent's environment sets it out of range")
            .fix(format!(
                "set {name} to a number from {} to {}, or leave it unset (default {default})",
                range.start(),
                range.end()
            ))
            .usage()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bounded_numbers_default_when_blank_and_refuse_out_of_range() {
        assert_eq!(bounded_number("N", None, 1..=10, 3).unwrap(), 3);
        assert_eq!(bounded_number("N", Some(" ".into()), 1..=10, 3).unwrap(), 3);
        assert_eq!(
            bounded_number("N", Some(" 10 ".into()), 1..=10, 3).unwrap(),
            10
        );
        for bad in ["0", "11", "-1", "ten", "1.5"] {
            let err = bounded_number("N", Some(bad.into()), 1..=10, 3).unwrap_err();
            assert_eq!(err.exit_code, 2, "{bad}");
            assert!(
                err.what.starts_with(&format!("N is `{bad}`")),
                "{}",
                err.what
            );
        }
    }

    fn provider(category: &str, attributes: Value) -> Value {
        json!({"id": "p", "category": category, "attributes": attributes})
    }

    #[test]
    fn merge_is_deep_and_last_wins_with_collisions_named() {
        let results = vec![
            provider(
                "vpc",
                json!({"vpc": {"id": "vpc-1", "subnets": ["a"]}, "load_balancer": {"public": {"listener_arn": "l1"}}}),
            ),
            provider(
                "cloud-providers",
                json!({"account": {"region": "us-east-1"}}),
            ),
            provider(
                "vpc",
                json!({"vpc": {"id": "vpc-2"}, "load_balancer": {"private": {"listener_arn": "l2"}}}),
            ),
        ];
        let merged = merge_category(&results, "vpc");
        assert_eq!(merged.providers, 2);
        assert_eq!(
            merged.attributes,
            json!({"vpc": {"id": "vpc-2", "subnets": ["a"]}, "load_balancer": {"public": {"listener_arn": "l1"}, "private": {"listener_arn": "l2"}}})
        );
        assert_eq!(merged.collisions, vec!["vpc.id".to_string()]);
        let none = merge_category(&results, "scope-configurations");
        assert_eq!(none.attributes, json!({}));
        assert_eq!(none.providers, 0);
        assert!(none.collisions.is_empty());
    }

    #[test]
    fn arrays_and_scalars_are_replaced_not_merged() {
        let mut target = json!({"a": [1, 2], "b": {"c": 1}});
        deep_merge(&mut target, &json!({"a": [3], "b": 5}));
        assert_eq!(target, json!({"a": [3], "b": 5}));
    }

    #[test]
    fn jq_paths_evaluate_with_jaq() {
        let doc = json!({"providers": {"scope-configurations": {"n": {"cap": 120}}}, "s": "x"});
        assert_eq!(
            jq_first(&doc, r#".providers["scope-configurations"].n.cap"#).unwrap(),
            Some(json!(120))
        );
        assert_eq!(
            jq_first(&doc, ".missing.deeper").unwrap(),
            Some(Value::Null)
        );
        assert_eq!(jq_first(&doc, "empty").unwrap(), None);
        assert_eq!(
            jq_first(&doc, r#".s | ascii_upcase"#).unwrap(),
            Some(json!("X"))
        );
        assert_eq!(
            jq_first(&doc, r#"[.providers[] | keys[]] | join(",")"#).unwrap(),
            Some(json!("n"))
        );
    }

    #[test]
    fn invalid_jq_path_is_an_error_naming_it() {
        let doc = json!({});
        let err = jq_first(&doc, ".scope.[capabilities").unwrap_err();
        assert!(err.what.contains("`.scope.[capabilities`"), "{err}");
        assert_eq!(err.exit_code, 2);
        let err = jq_first(&doc, ".a | nosuchfunction").unwrap_err();
        assert!(err.what.contains("nosuchfunction"), "{err}");
        let err = jq_first(&json!({"s": "text"}), ".s.field").unwrap_err();
        assert!(err.what.contains("`.s.field` failed"), "{err}");
    }

    #[test]
    fn precedence_context_then_env_then_default() {
        let ctx = Context::from_value(json!({
            "scope": {"capabilities": {"architecture": "x86_64", "empty": "", "off": false}}
        }));
        let env = |name: &str| match name {
            "SET" => Some("from-env".to_string()),
            "EMPTY_ENV" => Some(String::new()),
            _ => None,
        };
        let from_ctx = Setting::new()
            .env("SET")
            .jq(".scope.capabilities.architecture")
            .default_value("arm64")
            .resolve_with(&ctx, env)
            .unwrap()
            .unwrap();
        assert_eq!(from_ctx.value, "x86_64");
        assert_eq!(
            from_ctx.source,
            Source::Context(".scope.capabilities.architecture".into())
        );

        let from_env = Setting::new()
            .jq(".scope.capabilities.empty")
            .jq(".scope.capabilities.absent")
            .env("UNSET")
            .env("EMPTY_ENV")
            .env("SET")
            .default_value("d")
            .resolve_with(&ctx, env)
            .unwrap()
            .unwrap();
        assert_eq!(
            (from_env.value.as_str(), from_env.source),
            ("from-env", Source::Env("SET".into()))
        );

        let from_default = Setting::new()
            .jq(".nothing")
            .env("UNSET")
            .default_value("d")
            .resolve_with(&ctx, env)
            .unwrap()
            .unwrap();
        assert_eq!(from_default.source, Source::Default);
        assert_eq!(from_default.value, "d");

        assert_eq!(
            Setting::new()
                .jq(".nothing")
                .resolve_with(&ctx, env)
                .unwrap(),
            None
        );
        let off = Setting::new()
            .jq(".scope.capabilities.off")
            .default_value("true")
            .resolve_with(&ctx, env)
            .unwrap()
            .unwrap();
        assert_eq!(off.value, "false", "false is a value, not absent");
    }

    #[test]
    fn an_operator_setting_brings_its_generic_name_and_its_default() {
        let ctx = Context::from_value(json!({"scope": {"capabilities": {}}}));
        let alias = |env: &dyn Fn(&str) -> Option<String>| {
            Setting::new()
                .operator(&crate::settings::LAMBDA_MAIN_ALIAS_NAME)
                .resolve_with(&ctx, env)
                .unwrap()
                .unwrap()
        };
        let default = alias(&|_| None);
        assert_eq!(
            (default.value.as_str(), default.source),
            ("main", Source::Default)
        );
        let blank = alias(&|_| Some("  ".to_string()));
        assert_eq!(blank.source, Source::Default, "blank means unset");
        let set = alias(&|name| (name == "LAMBDA_MAIN_ALIAS_NAME").then(|| "live".to_string()));
        assert_eq!(
            (set.value.as_str(), set.source),
            ("live", Source::Env("LAMBDA_MAIN_ALIAS_NAME".into()))
        );
    }

    #[test]
    fn bad_jq_path_in_a_setting_is_an_error_not_an_empty_value() {
        let ctx = Context::from_value(json!({}));
        let err = Setting::new()
            .jq(".scope..capabilities")
            .default_value("arm64")
            .resolve_with(&ctx, |_| None)
            .unwrap_err();
        assert!(err.what.contains(".scope..capabilities"), "{err}");
    }

    #[test]
    fn config_value_in_one_call() {
        let ctx = Context::from_value(json!({"scope": {"capabilities": {"memory": 512}}}));
        assert_eq!(
            config_value(&ctx, &[".scope.capabilities.memory"], &[], Some("256")).unwrap(),
            Some("512".to_string())
        );
        assert_eq!(
            config_value(
                &ctx,
                &[".scope.capabilities.timeout"],
                &["LAMBDA_SCOPE_TEST_UNSET_VAR"],
                Some("30")
            )
            .unwrap(),
            Some("30".to_string())
        );
        assert_eq!(config_value(&ctx, &[], &[], None).unwrap(), None);
        assert!(config_value(&ctx, &[".scope |||"], &[], Some("x")).is_err());
    }

    #[test]
    fn value_text_renders() {
        assert_eq!(value_text(&json!(null)), None);
        assert_eq!(value_text(&json!("")), None);
        assert_eq!(value_text(&json!(3)), Some("3".into()));
        assert_eq!(value_text(&json!(["a"])), Some(r#"["a"]"#.into()));
    }

    #[test]
    fn comma_lists_drop_blanks_and_spaces() {
        assert_eq!(comma_list(Some(" a, b,,c ".into())), vec!["a", "b", "c"]);
        assert!(comma_list(None).is_empty());
    }
}
