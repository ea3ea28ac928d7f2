//! Adoption of a function that exists in AWS but not in the scope's state (a lost
//! state, or a function made by hand): compose-tofu writes `import` blocks for the
//! function and its main alias, which tofu ignores once they are in state.

use crate::aws::CallFailure;
use crate::step::{progress, warn};

/// The composed file holding the import blocks.
pub const IMPORTS_FILE: &str = "imports.tf";

/// The import blocks for the function and, when it exists, its main alias.
pub fn import_blocks(function: &str, alias: Option<&str>) -> String {
    let quoted = |text: &str| serde_json::Value::String(text.to_string()).to_string();
    let mut text = format!(
        "# Written by compose-tofu: {function} exists in AWS; tofu adopts it when the state lacks it.\nimport {{\n  to = aws_lambda_function.this\n  id = {}\n}}\n",
        quoted(function)
    );
    if let Some(alias) = alias {
        text.push_str(&format!(
            "\nimport {{\n  to = aws_lambda_alias.main\n  id = {}\n}}\n",
            quoted(&format!("{function}/{alias}"))
        ));
    }
    text
}

/// What exists in AWS: `None` when the function does not (or could not be checked:
/// a warning then, and tofu creates as usual); else whether the alias exists.
pub async fn existing(
    client: &aws_sdk_lambda::Client,
    function: &str,
    alias: &str,
) -> Option<bool> {
    let checked = |call: &str, err: CallFailure| {
        if !err.is_not_found() {
            warn(format!(
                "lambda:{call} on {function} failed ({}): existing resources are not adopted",
                err.summary()
            ));
        }
    };
    if let Err(err) = client.get_function().function_name(function).send().await {
        checked("GetFunction", CallFailure::from_sdk(&err));
        return None;
    }
    match client
        .get_alias()
        .function_name(function)
        .name(alias)
        .send()
        .await
    {
        Ok(_) => Some(true),
        Err(err) => {
            checked("GetAlias", CallFailure::from_sdk(&err));
            Some(false)
        }
    }
}

/// Writes (or not) the import blocks into `work_dir` for an apply.
pub async fn write_imports(
    work_dir: &std::path::Path,
    function: &str,
    alias: &str,
) -> Result<bool, crate::report::StepError> {
    let config = crate::aws::sdk_config(crate::aws::max_attempts_from_env()).await;
    let client = aws_sdk_lambda::Client::new(&config);
    let Some(alias_exists) = existing(&client, function, alias).await else {
        return Ok(false);
    };
    let file = work_dir.join(IMPORTS_FILE);
    std::fs::write(
        &file,
        import_blocks(function, alias_exists.then_some(alias)),
    )
    .map_err(|err| {
        crate::report::StepError::new(format!("could not write {}: {err}", file.display()))
            .cause("the working directory is not writable")
            .fix("check the permissions of OUTPUT_DIR")
    })?;
    progress(format!(
        "📥 {function} exists in AWS: import blocks written (the function{}), adopted if the state lacks them",
        if alias_exists { format!(" and alias {alias}") } else { String::new() }
    ));
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_target_the_module_resources_with_their_import_ids() {
        let text = import_blocks("s1-app-main", Some("main"));
        assert!(
            text.contains("to = aws_lambda_function.this\n  id = \"s1-app-main\""),
            "{text}"
        );
        assert!(
            text.contains("to = aws_lambda_alias.main\n  id = \"s1-app-main/main\""),
            "{text}"
        );
        let without_alias = import_blocks("f", None);
        assert!(
            !without_alias.contains("aws_lambda_alias"),
            "{without_alias}"
        );
    }
}
