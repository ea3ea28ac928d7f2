//! HCL string literals for the files written beside the composed modules (the backend
//! settings, the import blocks): a value from the environment or AWS can never be read
//! as HCL syntax or as a template.

use serde_json::Value;

/// An HCL string literal (JSON escaping is valid HCL; `${` and `%{` are escaped too, so
/// a value can never be read as a template).
pub fn hcl_string(value: &str) -> String {
    Value::String(value.to_string())
        .to_string()
        .replace("${", "$${")
        .replace("%{", "%%{")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_strings_escape_templates_and_quotes() {
        assert_eq!(hcl_string("a\"b${x}%{y}"), "\"a\\\"b$${x}%%{y}\"");
    }
}
