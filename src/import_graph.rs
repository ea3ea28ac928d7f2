//! Test only: the library's modules never import each other in a circle. Each file under
//! `src/` is a module; its `use` trees and `crate::` / `super::` / `self::` / child-module
//! paths (comments, literals and `#[cfg(test)]` modules left out: a test may pin what it
//! likes) are its edges, checked for a cycle both per file and per top-level module
//! (`tofu::compose` → `scope_metadata` → `tofu::vars` would be a circle between `tofu`
//! and `scope_metadata`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges left in place on purpose: a check of `diagnose` uses the types `diagnose/mod.rs`
/// declares, and `mod.rs` runs the checks.
fn allowed(from: &str, to: &str) -> bool {
    to == "diagnose" && from.starts_with("diagnose::")
}

/// Every `.rs` file under `root` (the binaries' `bin/` excepted), by module path
/// (`""` for `lib.rs`, `tofu` for `tofu/mod.rs`, `tofu::compose` for `tofu/compose.rs`).
fn modules(root: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("src/ is readable").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(root, &mut files);
    let mut modules = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(root).expect("under src/");
        let mut parts: Vec<String> = relative
            .with_extension("")
            .iter()
            .map(|part| part.to_string_lossy().into_owned())
            .collect();
        if parts.first().is_some_and(|first| first == "bin") {
            continue;
        }
        if parts
            .last()
            .is_some_and(|last| last == "mod" || last == "lib")
        {
            parts.pop();
        }
        modules.insert(parts.join("::"), file);
    }
    modules
}

/// The source with comments, string and character literals blanked (so a path in a doc
/// comment or a message is no edge); offsets are kept.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |out: &mut String, from: &[char]| {
        for c in from {
            out.push(if *c == '\n' { '\n' } else { ' ' });
        }
    };
    while i < chars.len() {
        let rest = &chars[i..];
        let start = i;
        if rest.starts_with(&['/', '/']) {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if rest.starts_with(&['/', '*']) {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i..].starts_with(&['/', '*']) {
                    depth += 1;
                    i += 2;
                } else if chars[i..].starts_with(&['*', '/']) {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&chars, i) {
            // r"…", r#"…"#, br"…": ends at the quote followed by as many hashes.
            i += hashes.0;
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes.1))
                .collect();
            while i < chars.len() && !chars[i..].starts_with(&closing) {
                i += 1;
            }
            i = (i + closing.len()).min(chars.len());
        } else if chars[i] == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i = (i + 1).min(chars.len());
        } else if chars[i] == '\'' && is_char_literal(&chars, i) {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i = (i + 1).min(chars.len());
        } else {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let end = i.min(chars.len());
        blank(&mut out, &chars[start..end]);
    }
    out
}

/// At a raw string's start: (characters up to and including its opening quote, hashes).
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|c| **c == '#').count();
    (chars.get(j + hashes) == Some(&'"')).then_some((j + hashes + 1 - i, hashes))
}

/// `'a'` or `'\n'`, not a lifetime (`'a`, `'static`).
fn is_char_literal(chars: &[char], i: usize) -> bool {
    match chars.get(i + 1) {
        Some('\\') => true,
        Some(_) => chars.get(i + 2) == Some(&'\''),
        None => false,
    }
}

/// The identifiers and `::`, `{`, `}`, `,`, `;` of the code, with their offsets.
fn tokens(code: &str) -> Vec<(usize, String)> {
    let mut tokens = Vec::new();
    let chars: Vec<(usize, char)> = code.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (offset, c) = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let mut word = String::new();
            while i < chars.len() && (chars[i].1.is_alphanumeric() || chars[i].1 == '_') {
                word.push(chars[i].1);
                i += 1;
            }
            tokens.push((offset, word));
            continue;
        }
        if c == ':' && chars.get(i + 1).map(|(_, c)| *c) == Some(':') {
            tokens.push((offset, "::".into()));
            i += 2;
            continue;
        }
        if "{},;*".contains(c) {
            tokens.push((offset, c.to_string()));
        }
        i += 1;
    }
    tokens
}

/// Every path a file names outside `#[cfg(test)]` modules, each with how many inline
/// `mod … { }` blocks it sits in (`super` inside `mod inner` is the file's own module).
fn paths(code: &str, children: &BTreeSet<String>) -> Vec<(usize, Vec<String>)> {
    let tokens = tokens(code);
    let mut found = Vec::new();
    // Per inline module: the brace depth it opened at, and whether it is test code.
    let mut inline_mods: Vec<(usize, bool)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let word = tokens[i].1.as_str();
        let in_test = inline_mods.iter().any(|(_, test)| *test);
        match word {
            "{" => {
                if i >= 2 && tokens[i - 2].1 == "mod" {
                    let test = i >= 4 && tokens[i - 4].1 == "cfg" && tokens[i - 3].1 == "test";
                    inline_mods.push((depth, test));
                }
                depth += 1;
            }
            "}" => {
                depth = depth.saturating_sub(1);
                if inline_mods.last().map(|(at, _)| *at) == Some(depth) {
                    inline_mods.pop();
                }
            }
            _ if in_test => {}
            "use" => {
                let end = (i..tokens.len())
                    .find(|&j| tokens[j].1 == ";")
                    .unwrap_or(tokens.len());
                let tree: Vec<&str> = tokens[i + 1..end].iter().map(|(_, t)| t.as_str()).collect();
                for path in use_tree(&tree) {
                    found.push((inline_mods.len(), path));
                }
                i = end;
                continue;
            }
            _ => {
                let starts_path =
                    matches!(word, "crate" | "super" | "self") || children.contains(word);
                let after_path = i > 0 && tokens[i - 1].1 == "::";
                if starts_path && !after_path && tokens.get(i + 1).is_some_and(|t| t.1 == "::") {
                    let mut path = vec![word.to_string()];
                    let mut j = i + 1;
                    while tokens.get(j).is_some_and(|t| t.1 == "::")
                        && tokens
                            .get(j + 1)
                            .is_some_and(|t| t.1.chars().all(|c| c.is_alphanumeric() || c == '_'))
                    {
                        path.push(tokens[j + 1].1.clone());
                        j += 2;
                    }
                    found.push((inline_mods.len(), path));
                    i = j;
                    continue;
                }
            }
        }
        i += 1;
    }
    found
}

/// The paths of one `use` tree (`a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`).
fn use_tree(tree: &[&str]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut prefix = Vec::new();
    let mut i = 0;
    while i < tree.len() {
        match tree[i] {
            "::" | "pub" | "*" => i += 1,
            "{" => {
                let mut depth = 0;
                let mut item = Vec::new();
                let mut j = i + 1;
                while j < tree.len() {
                    match tree[j] {
                        "{" => depth += 1,
                        "}" if depth == 0 => break,
                        "}" => depth -= 1,
                        "," if depth == 0 => {
                            for mut path in use_tree(&item) {
                                let mut full = prefix.clone();
                                full.append(&mut path);
                                out.push(full);
                            }
                            item.clear();
                            j += 1;
                            continue;
                        }
                        _ => {}
                    }
                    item.push(tree[j]);
                    j += 1;
                }
                for mut path in use_tree(&item) {
                    let mut full = prefix.clone();
                    full.append(&mut path);
                    out.push(full);
                }
                return out;
            }
            "as" => break,
            word => {
                prefix.push(word.to_string());
                i += 1;
            }
        }
    }
    if !prefix.is_empty() {
        out.push(prefix);
    }
    out
}

/// The module a path lands in: the longest module its segments name.
fn resolve(
    path: &[String],
    inline: usize,
    module: &str,
    modules: &BTreeMap<String, PathBuf>,
) -> Option<String> {
    let mut here: Vec<String> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").map(str::to_string).collect()
    };
    let mut segments = path.iter().peekable();
    let mut inline = inline;
    let mut absolute = match segments.peek().map(|s| s.as_str()) {
        Some("crate") => {
            segments.next();
            Vec::new()
        }
        Some("self") => {
            segments.next();
            here.clone()
        }
        Some("super") => {
            while segments.peek().is_some_and(|s| *s == "super") {
                segments.next();
                if inline > 0 {
                    inline -= 1;
                } else {
                    here.pop();
                }
            }
            here.clone()
        }
        // A child module named directly (`use compose::X`, `imports::found_in(…)`).
        Some(_) => here.clone(),
        None => return None,
    };
    absolute.extend(segments.cloned());
    (0..=absolute.len())
        .rev()
        .map(|n| absolute[..n].join("::"))
        .find(|candidate| modules.contains_key(candidate))
}

/// Module → the modules it names.
fn edges(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules(root);
    let mut edges = BTreeMap::new();
    for (module, file) in &modules {
        let code = code_only(&std::fs::read_to_string(file).expect("a source file is readable"));
        let prefix = if module.is_empty() {
            String::new()
        } else {
            format!("{module}::")
        };
        let children: BTreeSet<String> = modules
            .keys()
            .filter_map(|other| other.strip_prefix(&prefix))
            .filter(|rest| !rest.is_empty() && !rest.contains("::"))
            .map(str::to_string)
            .collect();
        let targets: BTreeSet<String> = paths(&code, &children)
            .into_iter()
            .filter(|(_, path)| {
                matches!(path[0].as_str(), "crate" | "super" | "self")
                    || children.contains(&path[0])
            })
            .filter_map(|(inline, path)| resolve(&path, inline, module, &modules))
            .filter(|target| target != module && !allowed(module, target))
            .collect();
        edges.insert(module.clone(), targets);
    }
    edges
}

/// The same graph between top-level modules (`tofu::compose` counts as `tofu`).
fn top_level(edges: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let top = |module: &str| module.split("::").next().unwrap_or_default().to_string();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in edges {
        let entry = graph.entry(top(from)).or_default();
        for to in targets {
            if top(to) != top(from) {
                entry.insert(top(to));
            }
        }
    }
    graph
}

/// One cycle, if the graph has any, as the modules along it (first repeated last).
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::Open);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next) {
                Some(Mark::Open) => {
                    let from = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut found = stack[from..].to_vec();
                    found.push(next.clone());
                    return Some(found);
                }
                Some(Mark::Done) => {}
                None => {
                    if let Some(found) = visit(next, graph, marks, stack) {
                        return Some(found);
                    }
                }
            }
        }
        stack.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if !marks.contains_key(node) {
            if let Some(found) = visit(node, graph, &mut marks, &mut Vec::new()) {
                return Some(found);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
    }

    #[test]
    fn no_module_imports_one_that_imports_it_back() {
        let edges = edges(&src());
        assert!(edges.contains_key("tofu::compose"), "{:?}", edges.keys());
        assert!(
            edges["tofu::compose"].contains("tofu::imports"),
            "the parser misses plain `use super::…` edges: {:?}",
            edges["tofu::compose"]
        );
        if let Some(found) = cycle(&edges) {
            panic!(
                "modules import each other in a circle: {}",
                found.join(" → ")
            );
        }
        if let Some(found) = cycle(&top_level(&edges)) {
            panic!(
                "top-level modules import each other in a circle: {}",
                found.join(" → ")
            );
        }
    }

    #[test]
    fn paths_in_use_trees_code_and_children_are_found_but_not_in_comments_or_strings() {
        let code = code_only(
            r##"
            use super::{hcl::hcl_string, listener::{self, Rule as R}};
            use crate::step::Env;
            // crate::commented::out
            const TEXT: &str = "crate::in_a_string";
            const RAW: &str = r#"crate::in_a_raw "string""#;
            fn f<'a>(x: &'a str) -> char { imports::found_in(x); crate::aws::call(); 'c' }
            mod inner { use super::*; }
            #[cfg(test)]
            mod tests { use crate::anything::at_all; }
            "##,
        );
        let children = BTreeSet::from(["imports".to_string()]);
        let found: Vec<(usize, String)> = paths(&code, &children)
            .into_iter()
            .map(|(inline, path)| (inline, path.join("::")))
            .collect();
        assert_eq!(
            found,
            vec![
                (0, "super::hcl::hcl_string".to_string()),
                (0, "super::listener::self".to_string()),
                (0, "super::listener::Rule".to_string()),
                (0, "crate::step::Env".to_string()),
                (0, "imports::found_in".to_string()),
                (0, "crate::aws::call".to_string()),
                (1, "super".to_string()),
            ]
        );
    }

    #[test]
    fn a_circle_is_found_and_named() {
        let graph: BTreeMap<String, BTreeSet<String>> = [
            ("a", vec!["b"]),
            ("b", vec!["c"]),
            ("c", vec!["a"]),
            ("d", vec!["a"]),
        ]
        .into_iter()
        .map(|(from, to)| {
            (
                from.to_string(),
                to.into_iter().map(str::to_string).collect(),
            )
        })
        .collect();
        assert_eq!(cycle(&graph).unwrap().join(" → "), "a → b → c → a");
        let top = top_level(
            &[
                ("x::one", vec!["y"]),
                ("y", vec!["x::two"]),
                ("x::two", vec![]),
            ]
            .into_iter()
            .map(|(from, to)| {
                (
                    from.to_string(),
                    to.into_iter().map(str::to_string).collect(),
                )
            })
            .collect(),
        );
        assert_eq!(cycle(&top).unwrap().join(" → "), "x → y → x");
    }
}
