//! `$VAR` / `${VAR}` expansion with the semantics of Go's `os.ExpandEnv` (the engine is
//! written in Go), and resolution of configuration values that refer to each other.
//! Unset names expand to the empty string; nothing here ever fails.

use std::collections::{BTreeMap, HashSet};

/// A variable map as [`expand`]'s lookup.
pub fn lookup(env: &BTreeMap<String, String>) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| env.get(name).cloned()
}

/// Expands `$NAME`, `${NAME}` and the one-character shell specials (`$1`, `$?`, ...)
/// exactly like Go's `os.Expand`; `lookup` answers `None` for an unset name.
pub fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    let mut j = 0;
    while j < bytes.len() {
        if bytes[j] == b'$' && j + 1 < bytes.len() {
            out.push_str(&text[start..j]);
            let (name, width) = shell_name(&text[j + 1..]);
            match name {
                // Invalid syntax (`${}` or an unclosed `${`): the characters are eaten.
                None if width > 0 => {}
                // `$` not followed by a name stays as it is.
                None => out.push('$'),
                Some(name) => out.push_str(&lookup(name).unwrap_or_default()),
            }
            j += width;
            start = j + 1;
        }
        j += 1;
    }
    out.push_str(&text[start.min(text.len())..]);
    out
}

fn is_special(byte: u8) -> bool {
    matches!(byte, b'*' | b'#' | b'$' | b'@' | b'!' | b'?' | b'-') || byte.is_ascii_digit()
}

fn is_name_byte(byte: u8) -> bool {
    byte == b'_' || byte.is_ascii_alphanumeric()
}

/// The name after a `$` and how many bytes it spans (Go's `getShellName`).
fn shell_name(rest: &str) -> (Option<&str>, usize) {
    let bytes = rest.as_bytes();
    if bytes[0] == b'{' {
        if bytes.len() > 2 && is_special(bytes[1]) && bytes[2] == b'}' {
            return (Some(&rest[1..2]), 3);
        }
        for (i, &byte) in bytes.iter().enumerate().skip(1) {
            if byte == b'}' {
                if i == 1 {
                    return (None, 2);
                }
                return (Some(&rest[1..i]), i + 1);
            }
        }
        return (None, 1);
    }
    if is_special(bytes[0]) {
        return (Some(&rest[0..1]), 1);
    }
    let len = bytes.iter().take_while(|&&b| is_name_byte(b)).count();
    if len == 0 {
        (None, 0)
    } else {
        (Some(&rest[..len]), len)
    }
}

/// Resolves configuration values that refer to each other (`A: "$B/x"`, `B: "$C"`),
/// falling back to `env` for names the configuration does not define. A value that
/// refers to its own name (`PATH: "$PATH:/opt/bin"`), directly or through a cycle,
/// sees the value from `env` instead of looping.
pub fn resolve_all(
    config: &BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut done = BTreeMap::new();
    for name in config.keys() {
        let mut active = HashSet::new();
        resolve_one(name, config, env, &mut done, &mut active);
    }
    done
}

fn resolve_one(
    name: &str,
    config: &BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
    done: &mut BTreeMap<String, String>,
    active: &mut HashSet<String>,
) -> String {
    if let Some(value) = done.get(name) {
        return value.clone();
    }
    let raw = &config[name];
    active.insert(name.to_string());
    // Collect the names first: the lookup closure cannot borrow `done` mutably.
    let mut resolved = BTreeMap::new();
    for referenced in referenced_names(raw) {
        let value = if active.contains(&referenced) || !config.contains_key(&referenced) {
            env.get(&referenced).cloned()
        } else {
            Some(resolve_one(&referenced, config, env, done, active))
        };
        if let Some(value) = value {
            resolved.insert(referenced, value);
        }
    }
    active.remove(name);
    let value = expand(raw, &|n| resolved.get(n).cloned());
    done.insert(name.to_string(), value.clone());
    value
}

/// The names a text refers to, in order (each once).
pub fn referenced_names(text: &str) -> Vec<String> {
    let names = std::cell::RefCell::new(Vec::<String>::new());
    expand(text, &|name| {
        let mut names = names.borrow_mut();
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
        None
    });
    names.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn exp(text: &str, pairs: &[(&str, &str)]) -> String {
        let vars = env(pairs);
        expand(text, &|name| vars.get(name).cloned())
    }

    #[test]
    fn expands_like_go() {
        let vars = [("A", "1"), ("AB", "2"), ("1", "one"), ("?", "q")];
        assert_eq!(exp("$A-${AB}-$AB", &vars), "1-2-2");
        assert_eq!(exp("x$UNSET.y", &vars), "x.y");
        assert_eq!(exp("$1$? ${1}", &vars), "oneq one");
        assert_eq!(exp("cost: 5$ and $ and $.", &vars), "cost: 5$ and $ and $.");
        assert_eq!(exp("a${}b", &vars), "ab");
        assert_eq!(exp("a${A", &vars), "aA");
        assert_eq!(exp("end$", &vars), "end$");
        assert_eq!(exp("ünï $A ç", &vars), "ünï 1 ç");
        assert_eq!(exp("$$", &vars), "");
    }

    #[test]
    fn chains_resolve_and_self_reference_sees_the_environment() {
        let config = env(&[
            ("TOP", "$MID/top"),
            ("MID", "${BASE}/mid"),
            ("BASE", "$SERVICE_PATH/base"),
            ("PATH", "$PATH:/opt/bin"),
            ("PING", "$PONG"),
            ("PONG", "$PING"),
        ]);
        let outer = env(&[("SERVICE_PATH", "/svc"), ("PATH", "/bin"), ("PING", "p")]);
        let resolved = resolve_all(&config, &outer);
        assert_eq!(resolved["TOP"], "/svc/base/mid/top");
        assert_eq!(resolved["MID"], "/svc/base/mid");
        assert_eq!(resolved["PATH"], "/bin:/opt/bin");
        // A cycle terminates, falling back to the environment.
        assert_eq!(resolved["PONG"], "p");
    }
}
