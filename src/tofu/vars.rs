//! The scope's tofu variables: compose-tofu decides them and writes `tofu.tfvars.json`
//! beside the composed modules; run-tofu hands the file to tofu and
//! store-scope-metadata reads the rule priority back from it. The field names are the
//! modules' variable names; an optional one that is `None` is left out of the file (the
//! module's default applies).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The variables file compose-tofu writes next to the modules.
pub const VARS_FILE: &str = "tofu.tfvars.json";

/// Every variable the composed modules take. Read back, a key the file lacks takes its
/// default and one the struct does not know is ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TofuVars {
    pub aws_region: String,
    pub scope_id: String,
    pub function_name: String,
    /// build-scope-context's tags, a JSON object (`{}` without any).
    pub resource_tags: Value,
    pub domain_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_alias_name: Option<String>,
    pub execution_role_prefix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_boundary_arn: Option<String>,
    pub vpc_enabled: bool,
    pub package_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder_filename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder_image_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_retention_days: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iam_propagation_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracing_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_kms_key_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_size: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i32>,
    /// networking/api_gateway: the custom domain's certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_certificate_arn: Option<String>,
    /// networking/alb: the private listener the scope's rule goes on, and its priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alb_listener_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alb_rule_priority: Option<u64>,
    /// dns/route53: the zone of the scope's record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosted_zone_id: Option<String>,
}

impl TofuVars {
    /// The file's text (pretty JSON, in the fields' order).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    /// Writes `tofu.tfvars.json` in `dir`; the path written.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let path = dir.join(VARS_FILE);
        std::fs::write(&path, self.to_json()?)?;
        Ok(path)
    }

    /// The variables compose-tofu wrote in `dir`; `None` when there is no file or it does
    /// not hold variables (not JSON, or a value of the wrong type).
    pub fn read(dir: &Path) -> Option<TofuVars> {
        let text = std::fs::read_to_string(dir.join(VARS_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unset_options_stay_out_of_the_file_and_names_are_the_modules() {
        let vars = TofuVars {
            aws_region: "us-east-1".into(),
            scope_id: "7".into(),
            resource_tags: json!({}),
            alb_rule_priority: Some(3),
            ..TofuVars::default()
        };
        let written: Value = serde_json::from_str(&vars.to_json().unwrap()).unwrap();
        assert_eq!(written["aws_region"], "us-east-1");
        assert_eq!(written["alb_rule_priority"], 3);
        assert_eq!(written["subnet_ids"], json!([]));
        assert_eq!(written["vpc_enabled"], false);
        assert!(written.get("main_alias_name").is_none(), "{written}");
        assert!(written.get("hosted_zone_id").is_none(), "{written}");
    }

    #[test]
    fn a_partial_file_reads_back_with_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(TofuVars::read(dir.path()), None);
        std::fs::write(
            dir.path().join(VARS_FILE),
            r#"{"alb_rule_priority": 17, "other": 1}"#,
        )
        .unwrap();
        let read = TofuVars::read(dir.path()).unwrap();
        assert_eq!(read.alb_rule_priority, Some(17));
        assert_eq!(read.scope_id, "");
        std::fs::write(dir.path().join(VARS_FILE), r#""text""#).unwrap();
        assert_eq!(TofuVars::read(dir.path()), None);
    }
}
