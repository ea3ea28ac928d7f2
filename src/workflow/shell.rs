//! One step = one `bash` process: it sources the step file (or evaluates a command)
//! with exactly the accumulated environment, streams its output live, and on exit —
//! even through `exit` — writes its exported environment (`export -p`) back for the runner.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::document::Env;
use crate::report::StepError;

/// The bash program wrapped around every step. `$1`: where to write the environment;
/// `$2`: `source` or `eval`; `$3`: the file or command; the rest: names to export before
/// the environment is captured (declared outputs a step may have set without `export`;
/// `name()` entries are functions, whose definitions go to `$1.fn.<name>`).
/// Capturing uses builtins only, so it costs no extra process.
const WRAPPER: &str = r#"__scope_env_out=$1 __scope_mode=$2 __scope_target=$3
shift 3
__scope_exports=("$@")
set --
__scope_capture() {
  local __scope_rc=$? __scope_n
  set +eu
  for __scope_n in "${__scope_exports[@]}"; do
    case $__scope_n in
      *'()') declare -f "${__scope_n%'()'}" >"$__scope_env_out.fn.${__scope_n%'()'}" 2>/dev/null ;;
      *) [[ -v $__scope_n ]] && export "$__scope_n" ;;
    esac
  done
  export -p >"$__scope_env_out" 2>/dev/null
  exit "$__scope_rc"
}
trap __scope_capture EXIT
if [ "$__scope_mode" = source ]; then
  # shellcheck disable=SC1090
  source "$__scope_target"
else
  eval "$__scope_target"
fi
"#;

/// What the step is given to run.
pub enum Target<'a> {
    Source(&'a Path),
    Eval(&'a str),
}

/// How a step's bash ended.
#[derive(Debug)]
pub struct Finished {
    /// Exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// The exported environment at exit (empty when it could not be captured).
    pub env: Env,
}

impl Finished {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Variables bash sets on its own; they are not a step's outputs.
const SHELL_NOISE: &[&str] = &["_", "SHLVL", "PWD", "OLDPWD"];

/// Runs one step in its own bash with `env`; `exports` are declared output names
/// (functions as `name()`), `scratch` a private file for the captured environment.
pub fn run(
    target: Target<'_>,
    env: &Env,
    exports: &[String],
    scratch: &Path,
) -> Result<Finished, StepError> {
    let (mode, what) = match &target {
        Target::Source(path) => ("source", path.as_os_str().to_owned()),
        Target::Eval(command) => ("eval", std::ffi::OsString::from(command)),
    };
    let _ = std::fs::remove_file(scratch);
    let status = Command::new("bash")
        .arg("-c")
        .arg(WRAPPER)
        .arg("scope-step")
        .arg(scratch)
        .arg(mode)
        .arg(&what)
        .args(exports)
        .env_clear()
        .envs(crate::settings::for_child(env))
        .stdin(Stdio::null())
        .status()
        .map_err(|err| {
            StepError::new(format!("could not start bash: {err}"))
                .cause("bash is not installed or not on PATH")
                .fix("install bash; every step runs in its own bash process")
        })?;
    let mut env = std::fs::read(scratch)
        .map(|bytes| parse_export_p(&bytes))
        .unwrap_or_default();
    let _ = std::fs::remove_file(scratch);
    for name in exports.iter().filter_map(|n| n.strip_suffix("()")) {
        let file = PathBuf::from(format!("{}.fn.{name}", scratch.display()));
        if let Ok(definition) = std::fs::read_to_string(&file) {
            // `declare -f` prints `name () ` and then the body; an exported function
            // travels in the environment as `BASH_FUNC_name%%=() <body>`.
            if let Some((_, body)) = definition.split_once('\n') {
                env.insert(
                    format!("BASH_FUNC_{name}%%"),
                    format!("() {}", body.trim_end()),
                );
            }
        }
        let _ = std::fs::remove_file(&file);
    }
    Ok(Finished {
        code: status.code(),
        env,
    })
}

/// Parses `export -p` output (`declare -x NAME="value"`, `NAME=$'...'`, or `export
/// NAME="value"` in POSIX mode; values may span lines), dropping the variables bash sets
/// for itself, arrays (never passed to a process) and names exported without a value.
pub fn parse_export_p(bytes: &[u8]) -> Env {
    let mut env = Env::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (head, is_array) = if let Some(after) = rest.strip_prefix(b"declare -") {
            let flags_end = after.iter().position(|&b| b == b' ').unwrap_or(after.len());
            let flags = &after[..flags_end];
            let array = flags.contains(&b'a') || flags.contains(&b'A');
            (&after[(flags_end + 1).min(after.len())..], array)
        } else if let Some(after) = rest.strip_prefix(b"export ") {
            (after, false)
        } else {
            rest = skip_line(rest);
            continue;
        };
        let name_len = head
            .iter()
            .take_while(|&&b| b != b'=' && b != b'\n')
            .count();
        let name = String::from_utf8_lossy(&head[..name_len]).into_owned();
        let after_name = &head[name_len..];
        let (value, remaining) = match after_name.first() {
            Some(b'=') => unquote(&after_name[1..]),
            _ => (None, after_name),
        };
        rest = skip_line(remaining);
        if let Some(value) = value {
            if !is_array && !SHELL_NOISE.contains(&name.as_str()) {
                env.insert(name, String::from_utf8_lossy(&value).into_owned());
            }
        }
    }
    env
}

fn skip_line(text: &[u8]) -> &[u8] {
    match text.iter().position(|&b| b == b'\n') {
        Some(pos) => &text[pos + 1..],
        None => &[],
    }
}

/// Reads one value as bash prints it: `"..."` (`\\ \" \$ \`` escaped), `$'...'` (ANSI-C
/// escapes) or bare; returns the value and what follows it.
fn unquote(text: &[u8]) -> (Option<Vec<u8>>, &[u8]) {
    if let Some(body) = text.strip_prefix(b"$'") {
        return ansi_c(body);
    }
    let mut value = Vec::new();
    if let Some(body) = text.strip_prefix(b"\"") {
        let mut i = 0;
        while i < body.len() {
            match body[i] {
                b'"' => return (Some(value), &body[i + 1..]),
                b'\\'
                    if i + 1 < body.len() && matches!(body[i + 1], b'\\' | b'"' | b'$' | b'`') =>
                {
                    value.push(body[i + 1]);
                    i += 2;
                }
                byte => {
                    value.push(byte);
                    i += 1;
                }
            }
        }
        return (Some(value), &[]);
    }
    let end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
    (Some(text[..end].to_vec()), &text[end..])
}

/// The body of a `$'...'` string, up to its closing quote.
fn ansi_c(body: &[u8]) -> (Option<Vec<u8>>, &[u8]) {
    let mut value = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let byte = body[i];
        if byte == b'\'' {
            return (Some(value), &body[i + 1..]);
        }
        if byte != b'\\' || i + 1 >= body.len() {
            value.push(byte);
            i += 1;
            continue;
        }
        i += 1;
        let escaped = body[i];
        let simple = match escaped {
            b'a' => Some(7),
            b'b' => Some(8),
            b'e' | b'E' => Some(27),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' | b'\'' | b'"' | b'?' => Some(escaped),
            _ => None,
        };
        if let Some(byte) = simple {
            value.push(byte);
            i += 1;
        } else if (b'0'..b'8').contains(&escaped) {
            let digits = body[i..]
                .iter()
                .take(3)
                .take_while(|b| (b'0'..b'8').contains(*b))
                .count();
            let code = body[i..i + digits]
                .iter()
                .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
            value.push(code as u8);
            i += digits;
        } else if escaped == b'x' {
            let digits = body[i + 1..]
                .iter()
                .take(2)
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            let hex = String::from_utf8_lossy(&body[i + 1..i + 1 + digits]).into_owned();
            value.push(u8::from_str_radix(&hex, 16).unwrap_or(0));
            i += 1 + digits;
        } else {
            value.extend_from_slice(&[b'\\', escaped]);
            i += 1;
        }
    }
    (Some(value), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base_env() -> Env {
        let mut env = Env::new();
        env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        env.insert("GIVEN".into(), "in".into());
        env
    }

    #[test]
    fn captures_exports_declared_plain_variables_and_survives_exit() {
        let dir = tempfile::tempdir().unwrap();
        let scratch = dir.path().join("env");
        let step = dir.path().join("step");
        std::fs::write(&step, "export A=\"multi\nline\"\nPLAIN=declared\nHIDDEN=no\nf() { echo hi; }\n[ \"$GIVEN\" = in ] || return 9\nexit 0\necho unreachable\n").unwrap();
        let exports = ["PLAIN".into(), "NEVER".into(), "f()".into()];
        let done = run(Target::Source(&step), &base_env(), &exports, &scratch).unwrap();
        assert!(done.success());
        assert_eq!(done.env["A"], "multi\nline");
        assert_eq!(done.env["PLAIN"], "declared");
        assert_eq!(done.env["GIVEN"], "in");
        assert!(!done.env.contains_key("HIDDEN"));
        assert!(!done.env.contains_key("NEVER"));
        assert!(!done.env.contains_key("SHLVL"));
        assert!(done.env["BASH_FUNC_f%%"].starts_with("() {"));
        assert!(
            std::fs::read_dir(dir.path()).unwrap().count() == 1,
            "scratch files removed"
        );
    }

    #[test]
    fn every_value_survives_the_capture() {
        let dir = tempfile::tempdir().unwrap();
        let values = [
            "plain",
            "",
            "multi\nline\n",
            "quotes ' \" and `ticks` $HOME \\ back\\slash \\n",
            "tab\tbell\u{7}esc\u{1b}ctl\u{1}del\u{7f}cr\r",
            "ünïcødé ✅ 🦀",
            "x\ndeclare -x FAKE=\"x\"",
            "=starts with equals",
        ];
        let mut env = base_env();
        for (i, value) in values.iter().enumerate() {
            env.insert(format!("V{i}"), value.to_string());
        }
        let scratch = dir.path().join("e");
        let command = "export ARR=(1 2); export EMPTY_EXPORT; true";
        let done = run(Target::Eval(command), &env, &[], &scratch).unwrap();
        for (i, value) in values.iter().enumerate() {
            assert_eq!(
                done.env.get(&format!("V{i}")).map(String::as_str),
                Some(*value),
                "V{i}"
            );
        }
        assert!(!done.env.contains_key("FAKE"));
        assert!(!done.env.contains_key("ARR"));
        assert!(!done.env.contains_key("EMPTY_EXPORT"));
        // A step that switches bash to POSIX mode changes the format, not the values.
        let command = "set -o posix; export P='a\"b'";
        let done = run(Target::Eval(command), &env, &[], &scratch).unwrap();
        assert_eq!(done.env["P"], "a\"b");
        assert_eq!(done.env["V4"], values[4]);
    }

    #[test]
    fn a_declared_function_reaches_the_next_bash() {
        let dir = tempfile::tempdir().unwrap();
        let scratch = dir.path().join("e");
        let command = "greet() { echo \"hi $1\"; }";
        let done = run(
            Target::Eval(command),
            &base_env(),
            &["greet()".into()],
            &scratch,
        )
        .unwrap();
        let mut env = base_env();
        env.extend(done.env);
        let script = dir.path().join("use");
        std::fs::write(&script, "[ \"$(greet you)\" = 'hi you' ] || return 5").unwrap();
        let used = run(Target::Source(&script), &env, &[], &scratch).unwrap();
        assert_eq!(used.code, Some(0));
    }

    #[test]
    fn return_code_of_a_sourced_file_and_of_a_command() {
        let dir = tempfile::tempdir().unwrap();
        let step = dir.path().join("step");
        std::fs::write(&step, "export B=1\nreturn 7\n").unwrap();
        let done = run(
            Target::Source(&step),
            &base_env(),
            &[],
            &dir.path().join("e"),
        )
        .unwrap();
        assert_eq!(done.code, Some(7));
        let command = "export C=$GIVEN-x";
        let done = run(
            Target::Eval(command),
            &base_env(),
            &[],
            &dir.path().join("e"),
        )
        .unwrap();
        assert!(done.success());
        assert_eq!(done.env["C"], "in-x");
    }
}
