//! The parameters of one `sts:AssumeRole` call, validated before any network call:
//! session name, duration, ExternalId, session policies and session tags. Every
//! rejected value says which rule it broke.

use serde_json::Value;

use crate::arn::{is_iam_name_char, PolicyArn, RoleArn};
use crate::report::StepError;

pub const MIN_DURATION: u32 = 900;
pub const MAX_DURATION: u32 = 43_200;
pub const DEFAULT_DURATION: u32 = crate::settings::ASSUME_ROLE_DURATION_SECONDS.default_u32();
/// STS accepts at most 10 managed session policies.
pub const MAX_POLICY_ARNS: usize = 10;

/// Everything the STS call needs; built only through [`AssumeRequest::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRequest {
    pub role: RoleArn,
    pub session_name: String,
    pub duration_seconds: u32,
    pub external_id: Option<String>,
    pub policy_arns: Vec<PolicyArn>,
    /// Inline session policy, re-serialised compactly.
    pub session_policy: Option<String>,
    pub session_tags: Vec<(String, String)>,
}

/// Raw operator values, as read from the environment.
#[derive(Debug, Clone, Default)]
pub struct RequestInputs<'a> {
    pub session_name: Option<&'a str>,
    pub scope_id: Option<&'a str>,
    pub duration_seconds: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub policy_arns: Option<&'a str>,
    pub session_policy: Option<&'a str>,
    pub session_tags: Vec<(String, String)>,
}

impl AssumeRequest {
    pub fn build(role: RoleArn, inputs: &RequestInputs<'_>) -> Result<AssumeRequest, StepError> {
        let session_name = match non_empty(inputs.session_name) {
            Some(explicit) => validate_session_name(explicit)?,
            None => default_session_name(non_empty(inputs.scope_id)),
        };
        Ok(AssumeRequest {
            role,
            session_name,
            duration_seconds: parse_duration(non_empty(inputs.duration_seconds))?,
            external_id: non_empty(inputs.external_id)
                .map(validate_external_id)
                .transpose()?,
            policy_arns: parse_policy_arns(non_empty(inputs.policy_arns))?,
            session_policy: non_empty(inputs.session_policy)
                .map(parse_session_policy)
                .transpose()?,
            session_tags: validate_tags(&inputs.session_tags)?,
        })
    }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

/// `np-lambda-<scope id or "workflow">`, made to fit STS's session-name rules.
pub fn default_session_name(scope_id: Option<&str>) -> String {
    let raw = format!("np-lambda-{}", scope_id.unwrap_or("workflow"));
    let mut name: String = raw
        .chars()
        .map(|c| if is_iam_name_char(c) { c } else { '-' })
        .take(64)
        .collect();
    while name.len() < 2 {
        name.push('-');
    }
    name
}

/// An operator's explicit session name is used as given or rejected, never rewritten.
pub fn validate_session_name(name: &str) -> Result<String, StepError> {
    let bad_char = name.chars().find(|c| !is_iam_name_char(*c));
    if (2..=64).contains(&name.len()) && bad_char.is_none() {
        return Ok(name.to_string());
    }
    let why = match bad_char {
        Some(c) => format!("it contains '{c}'"),
        None => format!("it is {} characters long", name.len()),
    };
    Err(StepError::new(format!(
        "ASSUME_ROLE_SESSION_NAME '{name}' is not a valid STS session name: {why}"
    ))
    .cause("STS session names are 2 to 64 characters of letters, digits and +=,.@_-")
    .fix("change ASSUME_ROLE_SESSION_NAME, or unset it to use np-lambda-<scope id>")
    .usage())
}

pub fn parse_duration(value: Option<&str>) -> Result<u32, StepError> {
    let Some(text) = value else {
        return Ok(DEFAULT_DURATION);
    };
    let rule = format!("ASSUME_ROLE_DURATION_SECONDS must be a whole number of seconds from {MIN_DURATION} to {MAX_DURATION}");
    match text.parse::<u32>() {
        Ok(seconds) if (MIN_DURATION..=MAX_DURATION).contains(&seconds) => Ok(seconds),
        _ => Err(StepError::new(format!(
            "ASSUME_ROLE_DURATION_SECONDS '{text}' is out of range"
        ))
        .cause(rule)
        .fix(format!(
            "set it between {MIN_DURATION} and {MAX_DURATION}, or unset it for {DEFAULT_DURATION}"
        ))
        .usage()),
    }
}

/// STS: 2–1224 characters of `[\w+=,.@:/-]`.
pub fn validate_external_id(value: &str) -> Result<String, StepError> {
    let bad_char = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(*c)));
    if (2..=1224).contains(&value.len()) && bad_char.is_none() {
        return Ok(value.to_string());
    }
    // The ExternalId is not a secret, but it is an operator-chosen token: describe, don't echo.
    let why = match bad_char {
        Some(c) => format!("it contains '{c}'"),
        None => format!("it is {} characters long", value.len()),
    };
    Err(StepError::new(format!("the ExternalId is not valid: {why}"))
        .cause("STS ExternalIds are 2 to 1224 characters of letters, digits and +=,.@:/_-")
        .fix("set ASSUME_ROLE_EXTERNAL_ID (or the IAM provider entry's external_id) to the value the role's trust policy expects")
        .usage())
}

pub fn parse_policy_arns(value: Option<&str>) -> Result<Vec<PolicyArn>, StepError> {
    let Some(text) = value else {
        return Ok(Vec::new());
    };
    let arns = text
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            PolicyArn::parse(item)
                .map_err(|err| err.cause("the value came from ASSUME_ROLE_POLICY_ARNS"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if arns.len() > MAX_POLICY_ARNS {
        return Err(StepError::new(format!(
            "ASSUME_ROLE_POLICY_ARNS lists {} policies; STS accepts at most {MAX_POLICY_ARNS}",
            arns.len()
        ))
        .fix("merge some of them into one managed policy")
        .usage());
    }
    Ok(arns)
}

pub fn parse_session_policy(text: &str) -> Result<String, StepError> {
    let invalid = |why: String| {
        StepError::new(format!("ASSUME_ROLE_SESSION_POLICY is not a usable policy document: {why}"))
            .cause("the inline session policy must be one IAM policy JSON object with a Statement")
            .fix(r#"set it to e.g. {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:*","Resource":"*"}]}, or unset it"#)
            .usage()
    };
    let document: Value = serde_json::from_str(text).map_err(|err| invalid(err.to_string()))?;
    if !document.is_object() || document.get("Statement").is_none() {
        return Err(invalid("it has no Statement".into()));
    }
    Ok(document.to_string())
}

fn validate_tags(tags: &[(String, String)]) -> Result<Vec<(String, String)>, StepError> {
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    for (key, value) in tags {
        if key.is_empty()
            || key.len() > 128
            || !key.chars().all(allowed)
            || value.len() > 256
            || !value.chars().all(allowed)
        {
            return Err(StepError::new(format!("session tag '{key}' cannot be sent to STS"))
                .cause("STS tag keys are 1–128 and values up to 256 characters of letters, digits, spaces and _.:/=+-@")
                .fix("unset ASSUME_ROLE_SESSION_TAGS, or rename the scope so its identifiers fit")
                .usage());
        }
    }
    Ok(tags.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role() -> RoleArn {
        RoleArn::parse("arn:aws:iam::123456789012:role/r").unwrap()
    }

    #[test]
    fn default_session_name_is_sanitised_and_cut() {
        assert_eq!(default_session_name(Some("1234")), "np-lambda-1234");
        assert_eq!(default_session_name(None), "np-lambda-workflow");
        assert_eq!(default_session_name(Some("a b/c#d")), "np-lambda-a-b-c-d");
        let long = default_session_name(Some(&"9".repeat(100)));
        assert_eq!(long.len(), 64);
        assert!(long.starts_with("np-lambda-999"));
    }

    #[test]
    fn explicit_session_names_are_checked_not_rewritten() {
        assert_eq!(validate_session_name("ci.run@team").unwrap(), "ci.run@team");
        let err = validate_session_name("has space").unwrap_err();
        assert!(err.what.contains("contains ' '"), "{err}");
        assert!(validate_session_name("x")
            .unwrap_err()
            .what
            .contains("1 characters"));
        assert!(validate_session_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn duration_bounds() {
        assert_eq!(parse_duration(None).unwrap(), 3600);
        assert_eq!(parse_duration(Some("900")).unwrap(), 900);
        assert_eq!(parse_duration(Some("43200")).unwrap(), 43200);
        for bad in ["899", "43201", "1h", "-5", ""] {
            let err = parse_duration(Some(bad)).unwrap_err();
            assert!(err.to_string().contains("900 to 43200"), "{bad}: {err}");
        }
    }

    #[test]
    fn external_id_rules() {
        assert!(validate_external_id("ab").is_ok());
        assert!(validate_external_id("tenant:42/prod=x").is_ok());
        assert!(validate_external_id("a").is_err());
        assert!(validate_external_id("has space").is_err());
        assert!(validate_external_id(&"a".repeat(1225)).is_err());
    }

    #[test]
    fn policy_arn_list_is_parsed_and_bounded() {
        let arns = parse_policy_arns(Some(
            "arn:aws:iam::aws:policy/ReadOnlyAccess, arn:aws:iam::123456789012:policy/x",
        ))
        .unwrap();
        assert_eq!(arns.len(), 2);
        let eleven = ["arn:aws:iam::aws:policy/P"; 11].join(",");
        assert!(parse_policy_arns(Some(&eleven))
            .unwrap_err()
            .what
            .contains("at most 10"));
        let err = parse_policy_arns(Some("arn:aws:iam::123456789012:role/x")).unwrap_err();
        assert!(err.to_string().contains("ASSUME_ROLE_POLICY_ARNS"), "{err}");
    }

    #[test]
    fn session_policy_must_be_a_policy_object() {
        let compact =
            parse_session_policy(r#"{ "Version": "2012-10-17", "Statement": [] }"#).unwrap();
        assert_eq!(compact, r#"{"Version":"2012-10-17","Statement":[]}"#);
        assert!(parse_session_policy("{not json").is_err());
        assert!(parse_session_policy("[]").is_err());
        assert!(parse_session_policy(r#"{"Version":"2012-10-17"}"#).is_err());
    }

    #[test]
    fn build_collects_everything() {
        let request = AssumeRequest::build(
            role(),
            &RequestInputs {
                scope_id: Some("77"),
                external_id: Some("ext-1"),
                session_tags: vec![("nullplatform:scope-id".into(), "77".into())],
                ..RequestInputs::default()
            },
        )
        .unwrap();
        assert_eq!(request.session_name, "np-lambda-77");
        assert_eq!(request.duration_seconds, 3600);
        assert_eq!(request.external_id.as_deref(), Some("ext-1"));
        assert!(request.policy_arns.is_empty() && request.session_policy.is_none());
        let bad_tag = RequestInputs {
            session_tags: vec![("bad#key".into(), "v".into())],
            ..RequestInputs::default()
        };
        assert!(AssumeRequest::build(role(), &bad_tag).is_err());
    }
}
