//! ARN parsing and validation for the values operators type: IAM role ARNs (the
//! role to assume) and IAM managed-policy ARNs (session policies). Validated once
//! at the edge into typed values, so an STS call never sees a malformed ARN.

use std::fmt;

use crate::report::StepError;

/// AWS partitions an IAM ARN may name.
const PARTITIONS: &[&str] = &["aws", "aws-cn", "aws-us-gov"];

/// A validated IAM role ARN: `arn:<partition>:iam::<12 digits>:role/[<path>/]<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleArn {
    arn: String,
    partition: String,
    account: String,
    name: String,
}

impl RoleArn {
    pub fn parse(text: &str) -> Result<RoleArn, StepError> {
        let text = text.trim();
        let invalid = |why: &str| {
            StepError::new(format!("'{text}' is not a valid IAM role ARN: {why}"))
                .cause("the ARN was mistyped, or another resource's ARN was configured as the role")
                .fix("use the form arn:aws:iam::123456789012:role/<name> (partition aws, aws-cn or aws-us-gov; an optional path like role/team/<name>)")
                .usage()
        };
        let (partition, account, resource) = split_iam_arn(text).map_err(|why| invalid(&why))?;
        if !is_account_id(account) {
            return Err(invalid("the account must be 12 digits"));
        }
        let path_and_name = resource
            .strip_prefix("role/")
            .ok_or_else(|| invalid("the resource must start with 'role/'"))?;
        let name = validate_path_and_name(path_and_name, 64).map_err(|why| invalid(&why))?;
        Ok(RoleArn {
            arn: text.to_string(),
            partition: partition.to_string(),
            account: account.to_string(),
            name: name.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.arn
    }

    pub fn partition(&self) -> &str {
        &self.partition
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    /// The role name without its path.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

/// A validated IAM managed-policy ARN, customer-managed (12-digit account) or
/// AWS-managed (account `aws`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PolicyArn(String);

impl PolicyArn {
    pub fn parse(text: &str) -> Result<PolicyArn, StepError> {
        let text = text.trim();
        let invalid = |why: &str| {
            StepError::new(format!("'{text}' is not a valid IAM managed policy ARN: {why}"))
                .cause("session policies must be IAM managed policies (not role, user or S3 ARNs)")
                .fix("use arn:aws:iam::123456789012:policy/<name> or an AWS-managed arn:aws:iam::aws:policy/<name>")
                .usage()
        };
        let (_, account, resource) = split_iam_arn(text).map_err(|why| invalid(&why))?;
        if account != "aws" && !is_account_id(account) {
            return Err(invalid(
                "the account must be 12 digits, or 'aws' for AWS-managed policies",
            ));
        }
        let path_and_name = resource
            .strip_prefix("policy/")
            .ok_or_else(|| invalid("the resource must start with 'policy/'"))?;
        validate_path_and_name(path_and_name, 128).map_err(|why| invalid(&why))?;
        Ok(PolicyArn(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Splits `arn:<partition>:iam::<account>:<resource>` into its three variable parts.
fn split_iam_arn(text: &str) -> Result<(&str, &str, &str), String> {
    let mut parts = text.splitn(6, ':');
    let fields: Vec<&str> = parts.by_ref().collect();
    if fields.len() != 6 || fields[0] != "arn" {
        return Err("expected arn:<partition>:iam::<account>:<resource>".into());
    }
    let (partition, service, region, account, resource) =
        (fields[1], fields[2], fields[3], fields[4], fields[5]);
    if !PARTITIONS.contains(&partition) {
        return Err(format!(
            "unknown partition '{partition}' (expected one of {})",
            PARTITIONS.join(", ")
        ));
    }
    if service != "iam" {
        return Err(format!("the service is '{service}', not 'iam'"));
    }
    if !region.is_empty() {
        return Err("IAM ARNs have no region (expected '::' after 'iam')".into());
    }
    Ok((partition, account, resource))
}

fn is_account_id(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

/// Checks `[path/]name` and returns the name. Names use IAM's `[\w+=,.@-]`; path
/// segments the same characters.
fn validate_path_and_name(path_and_name: &str, max_name: usize) -> Result<&str, String> {
    let segments: Vec<&str> = path_and_name.split('/').collect();
    let (name, path) = segments
        .split_last()
        .expect("split yields at least one part");
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if name.len() > max_name {
        return Err(format!("the name is longer than {max_name} characters"));
    }
    if let Some(bad) = name.chars().find(|c| !is_iam_name_char(*c)) {
        return Err(format!(
            "the name contains '{bad}' (allowed: letters, digits and +=,.@_-)"
        ));
    }
    for segment in path {
        if segment.is_empty() || !segment.chars().all(is_iam_name_char) {
            return Err(format!(
                "the path segment '{segment}' is empty or has characters IAM does not allow"
            ));
        }
    }
    Ok(name)
}

/// IAM's `[\w+=,.@-]` (ASCII word characters).
pub fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_parse_in_every_partition_with_and_without_path() {
        let role = RoleArn::parse("arn:aws:iam::123456789012:role/np-lambda").unwrap();
        assert_eq!(
            (role.partition(), role.account(), role.name()),
            ("aws", "123456789012", "np-lambda")
        );
        let role = RoleArn::parse("arn:aws-cn:iam::123456789012:role/team/ops/runner").unwrap();
        assert_eq!(role.name(), "runner");
        assert!(RoleArn::parse("arn:aws-us-gov:iam::123456789012:role/a+b=c,d.e@f_g-h").is_ok());
    }

    #[test]
    fn bad_role_arns_say_why() {
        let cases = [
            ("arn:aws:iam::12345:role/x", "12 digits"),
            ("arn:aws:iam::12345678901a:role/x", "12 digits"),
            ("arn:azure:iam::123456789012:role/x", "unknown partition"),
            ("arn:aws:s3::123456789012:role/x", "not 'iam'"),
            ("arn:aws:iam:us-east-1:123456789012:role/x", "no region"),
            ("arn:aws:iam::123456789012:user/x", "'role/'"),
            ("arn:aws:iam::123456789012:role/", "name is empty"),
            ("arn:aws:iam::123456789012:role/a b", "contains ' '"),
            ("arn:aws:iam::123456789012:role//x", "path segment"),
            ("role/x", "expected arn:"),
            ("", "expected arn:"),
        ];
        for (text, why) in cases {
            let err = RoleArn::parse(text).unwrap_err();
            assert!(err.what.contains(why), "{text}: {err}");
            assert_eq!(err.exit_code, 2);
        }
        let long = format!("arn:aws:iam::123456789012:role/{}", "r".repeat(65));
        assert!(RoleArn::parse(&long)
            .unwrap_err()
            .what
            .contains("longer than 64"));
    }

    #[test]
    fn policy_arns_customer_and_aws_managed() {
        assert!(PolicyArn::parse("arn:aws:iam::123456789012:policy/team/ReadOnly").is_ok());
        assert!(PolicyArn::parse("arn:aws:iam::aws:policy/ReadOnlyAccess").is_ok());
        for bad in [
            "arn:aws:iam::123456789012:role/ReadOnly",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::aws:policy/",
            "arn:aws:iam::someone:policy/x",
        ] {
            assert!(PolicyArn::parse(bad).is_err(), "{bad}");
        }
    }
}
