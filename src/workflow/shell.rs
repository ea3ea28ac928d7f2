//! One step = one `bash` process: it sources the step file (or evaluates a command)
//! with exactly the accumulated environment, streams its output live, and on exit —
//! even through `exit` — writes its exported environment back for the runner to read.

use std::path::Path;
use std::process::{Command, Stdio};

use super::document::Env;
use crate::report::StepError;

/// The bash program wrapped around every step. `$1`: where to write the environment;
/// `$2`: `source` or `eval`; `$3`: the file or command; the rest: names to export before
/// the environment is captured (declared outputs a step may have set without `export`;
/// `name()` entries are functions, exported with `export -f`).
const WRAPPER: &str = r#"__scope_env_out=$1 __scope_mode=$2 __scope_target=$3
shift 3
__scope_exports=("$@")
set --
__scope_capture() {
  local __scope_rc=$? __scope_n
  set +eu
  for __scope_n in "${__scope_exports[@]}"; do
    case $__scope_n in
      *'()') export -f "${__scope_n%'()'}" 2>/dev/null || true ;;
      *) [[ -v $__scope_n ]] && export "$__scope_n" ;;
    esac
  done
  env -0 >"$__scope_env_out" 2>/dev/null
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
        .envs(env)
        .stdin(Stdio::null())
        .status()
        .map_err(|err| {
            StepError::new(format!("could not start bash: {err}"))
                .cause("bash is not installed or not on PATH")
                .fix("install bash; every step runs in its own bash process")
        })?;
    let env = std::fs::read(scratch)
        .map(|bytes| parse_env(&bytes))
        .unwrap_or_default();
    let _ = std::fs::remove_file(scratch);
    Ok(Finished {
        code: status.code(),
        env,
    })
}

/// Parses `env -0` output, dropping the variables bash sets for itself.
pub fn parse_env(bytes: &[u8]) -> Env {
    bytes
        .split(|&b| b == 0)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| {
            let text = String::from_utf8_lossy(entry);
            let (name, value) = text.split_once('=')?;
            if SHELL_NOISE.contains(&name) {
                return None;
            }
            Some((name.to_string(), value.to_string()))
        })
        .collect()
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
        let done = run(
            Target::Source(&step),
            &base_env(),
            &["PLAIN".into(), "NEVER".into(), "f()".into()],
            &scratch,
        )
        .unwrap();
        assert!(done.success());
        assert_eq!(done.env["A"], "multi\nline");
        assert_eq!(done.env["PLAIN"], "declared");
        assert_eq!(done.env["GIVEN"], "in");
        assert!(!done.env.contains_key("HIDDEN"));
        assert!(!done.env.contains_key("NEVER"));
        assert!(!done.env.contains_key("SHLVL"));
        assert!(done.env.contains_key("BASH_FUNC_f%%"));
        assert!(!scratch.exists());
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
        let done = run(
            Target::Eval("export C=$GIVEN-x"),
            &base_env(),
            &[],
            &dir.path().join("e"),
        )
        .unwrap();
        assert!(done.success());
        assert_eq!(done.env["C"], "in-x");
    }
}
