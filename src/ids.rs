//! Ids that come from a notification or a context and become file paths, folder names or
//! AWS resource names (scope ids, deployment ids, custom action slugs): checked where they
//! enter, so `/`, `..` or an absolute path in a notification never picks a file or a folder.

use crate::report::StepError;

/// Longer than any id the platform issues, short enough for every name it ends up in.
pub const MAX_ID_LEN: usize = 64;

/// A scope or deployment id: `[A-Za-z0-9_-]`, 1 to [`MAX_ID_LEN`] characters.
/// `what` names the id, `source` where it was read (a jq path or a variable).
pub fn check_id<'a>(what: &str, source: &str, value: &'a str) -> Result<&'a str, StepError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if !value.is_empty() && value.len() <= MAX_ID_LEN && value.chars().all(allowed) {
        return Ok(value);
    }
    Err(StepError::new(format!(
        "the {what} in {source} is not a valid id: {}",
        shown(value)
    ))
    .cause(format!(
        "ids become folder and resource names, so they may only hold letters, digits, `_` and `-` (1 to {MAX_ID_LEN} characters)"
    ))
    .cause("the notification or context was altered, or did not come from nullplatform")
    .fix(format!("check {source} in the action's context; nothing was run or changed"))
    .usage())
}

/// A custom action slug that names a workflow file: `[a-z0-9][a-z0-9_-]*`, at most
/// [`MAX_ID_LEN`] characters.
pub fn check_slug(value: &str) -> Result<&str, StepError> {
    let mut chars = value.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok =
        chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if first_ok && rest_ok && value.len() <= MAX_ID_LEN {
        return Ok(value);
    }
    Err(StepError::new(format!(
        "the action slug {} cannot name a workflow",
        shown(value)
    ))
    .cause("a custom action's slug names its workflow file, so it may only be [a-z0-9][a-z0-9_-]* (no `/`, `..` or absolute paths)")
    .fix("give the custom action a slug such as `restart-workers` (its workflow: workflows/scope/restart_workers.yaml); nothing was run")
    .usage())
}

/// The value as it appears in an error: quoted, control characters escaped, cut short.
fn shown(value: &str) -> String {
    let cut: String = value.chars().take(MAX_ID_LEN + 16).collect();
    let escaped = format!("{cut:?}");
    if cut.len() < value.len() {
        format!("{escaped}…")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_letters_digits_underscores_and_dashes() {
        for good in ["415005828", "abc_DEF-9", &"9".repeat(MAX_ID_LEN)] {
            assert_eq!(check_id("scope id", ".scope.id", good).unwrap(), good);
        }
        for bad in [
            "",
            "../../etc",
            "a/b",
            "/abs",
            "a b",
            "a.b",
            "x\n",
            &"9".repeat(MAX_ID_LEN + 1),
        ] {
            let err = check_id("scope id", ".scope.id", bad).unwrap_err();
            assert!(err.what.contains(".scope.id"), "{bad:?}: {}", err.what);
        }
    }

    #[test]
    fn slugs_name_a_file_in_the_workflows_folder_only() {
        for good in ["restart", "restart-workers", "0day_fix"] {
            assert!(check_slug(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "../../../../tmp/x",
            "/etc/passwd",
            "a/b",
            "..",
            "-dash-first",
            "Upper",
            "dot.yaml",
        ] {
            assert!(check_slug(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_long_hostile_value_is_shown_short_and_escaped() {
        let err = check_id(
            "scope id",
            "SCOPE_ID",
            &format!("{}\u{1b}[2J", "a".repeat(500)),
        )
        .unwrap_err();
        assert!(err.what.len() < 200, "{}", err.what);
        assert!(!err.what.contains('\u{1b}'));
    }
}
