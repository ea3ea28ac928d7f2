//! The `sts:AssumeRole` call itself (through `aws_sdk_sts::Client::assume_role`, so
//! every field can be passed and the expiration comes back), and the translation
//! of its failures into reports that name the likely cause and the fix.

use aws_sdk_sts::types::{PolicyDescriptorType, Tag};
use jiff::Timestamp;

use super::request::AssumeRequest;
use crate::aws::CallFailure;
use crate::report::{Secret, StepError};

/// Temporary credentials returned by STS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumedCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    pub expiration: Timestamp,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub assumed_role_arn: String,
}

/// What the error report should say about where the role came from.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub source_description: String,
}

pub async fn assume_role(
    client: &aws_sdk_sts::Client,
    request: &AssumeRequest,
    provenance: &Provenance,
) -> Result<AssumedCredentials, StepError> {
    let mut call = client
        .assume_role()
        .role_arn(request.role.as_str())
        .role_session_name(&request.session_name)
        .duration_seconds(request.duration_seconds as i32)
        .set_external_id(request.external_id.clone())
        .set_policy(request.session_policy.clone());
    for arn in &request.policy_arns {
        call = call.policy_arns(PolicyDescriptorType::builder().arn(arn.as_str()).build());
    }
    for (key, value) in &request.session_tags {
        let tag = Tag::builder()
            .key(key)
            .value(value)
            .build()
            .map_err(|err| StepError::new(format!("could not build session tag {key}: {err}")))?;
        call = call.tags(tag);
    }
    let answer = call
        .send()
        .await
        .map_err(|err| explain_failure(&CallFailure::from_sdk(&err), request, provenance))?;

    let missing = || {
        StepError::new(format!(
            "sts:AssumeRole on {} answered without credentials",
            request.role
        ))
        .cause("the STS endpoint is not AWS STS (check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_STS)")
    };
    let credentials = answer.credentials().ok_or_else(missing)?;
    let expiration = Timestamp::from_second(credentials.expiration().secs())
        .map_err(|err| StepError::new(format!("STS returned an unusable expiration: {err}")))?;
    Ok(AssumedCredentials {
        access_key_id: credentials.access_key_id().to_string(),
        secret_access_key: Secret::new(credentials.secret_access_key()),
        session_token: Secret::new(credentials.session_token()),
        expiration,
        assumed_role_arn: answer
            .assumed_role_user()
            .map(|user| user.arn().to_string())
            .unwrap_or_default(),
    })
}

/// Turns an STS failure into ❌/💡/🔧, by what STS said.
pub fn explain_failure(
    failure: &CallFailure,
    request: &AssumeRequest,
    provenance: &Provenance,
) -> StepError {
    let role = request.role.as_str();
    let base = StepError::new(format!(
        "sts:AssumeRole on {role} failed: {}",
        failure.summary()
    ));
    let code = failure.code.as_deref().unwrap_or("");
    let message = failure.message.as_str();
    let lower = message.to_ascii_lowercase();

    if code == "ValidationError" && lower.contains("durationseconds") {
        let chained = lower.contains("role chaining") || lower.contains("1 hour");
        let err = base.cause(format!(
            "the requested duration ({} s) is above what STS allows for this session",
            request.duration_seconds
        ));
        return if chained {
            err.cause("the agent's own credentials are already an assumed role, and role chaining is limited to 3600 s")
                .fix("set ASSUME_ROLE_DURATION_SECONDS to 3600 or less")
        } else {
            err.cause(format!("the role's MaxSessionDuration is lower than {} s", request.duration_seconds))
                .fix("lower ASSUME_ROLE_DURATION_SECONDS, or raise the role's MaxSessionDuration (aws iam update-role --max-session-duration)")
        };
    }
    if matches!(
        code,
        "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId" | "SignatureDoesNotMatch"
    ) || lower.contains("expired")
    {
        return base
            .cause("the agent's own (base) credentials are expired or invalid, so STS rejected the caller before looking at the role")
            .fix("check the agent's service account / IRSA credentials (aws sts get-caller-identity in the agent pod)");
    }
    if code == "RegionDisabledException" {
        return base
            .cause("STS is not activated in this region for the account")
            .fix("activate the region's STS endpoint in IAM account settings, or set AWS_REGION to an active region");
    }
    if code == "PackedPolicyTooLarge" {
        return base
            .cause("the session policies and session tags together exceed STS's packed size limit")
            .fix("use fewer or shorter ASSUME_ROLE_POLICY_ARNS / ASSUME_ROLE_SESSION_POLICY, or unset ASSUME_ROLE_SESSION_TAGS");
    }
    if code == "MalformedPolicyDocument" {
        return base
            .cause("STS rejected the inline session policy (ASSUME_ROLE_SESSION_POLICY)")
            .fix("validate the document with IAM's policy validator, or unset ASSUME_ROLE_SESSION_POLICY");
    }
    if failure.is_access_denied()
        || code.is_empty() && failure.status.is_none() && lower.contains("denied")
    {
        let mut err = base
            .cause("the agent role may not be allowed to call sts:AssumeRole on this role")
            .cause("the role's trust policy may not trust the agent role");
        if request.external_id.is_some() {
            err = err.cause(
                "the ExternalId sent may not match the trust policy's sts:ExternalId condition",
            );
        } else {
            err = err.cause("the trust policy may require an sts:ExternalId that was not sent");
        }
        if !request.session_tags.is_empty() {
            err = err.cause("session tags are on (ASSUME_ROLE_SESSION_TAGS=true) but the trust policy may not allow sts:TagSession");
        }
        return err
            .cause(format!("the wrong role may have been resolved: it came from {}", provenance.source_description))
            .fix(format!("allow sts:AssumeRole on {role} in the agent role's policy, and trust the agent role in {role}'s trust policy"))
            .fix(format!("check the value in {}", provenance.source_description));
    }
    if failure.status.is_none() && lower.contains("no credentials found") {
        return base
            .cause("the agent has no base credentials at all: no AWS_ACCESS_KEY_ID, no web identity token (IRSA), no container or pod identity, no profile, no instance metadata")
            .fix("give the agent's service account an IAM role (IRSA or EKS Pod Identity), or set its base credentials in the agent's environment")
            .fix("the list above says which sources the SDK tried and why each was skipped");
    }
    if failure.status.is_none() {
        return base
            .cause("the STS endpoint could not be reached (network, proxy, or a wrong AWS_ENDPOINT_URL)")
            .fix("check the agent's network path to STS and any AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_STS setting");
    }
    base.cause(format!(
        "the role came from {}",
        provenance.source_description
    ))
    .fix("read STS's message above; no credentials were emitted and the workflow stops here")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arn::RoleArn;
    use crate::credentials::request::RequestInputs;

    fn request(external_id: Option<&str>) -> AssumeRequest {
        AssumeRequest::build(
            RoleArn::parse("arn:aws:iam::123456789012:role/target").unwrap(),
            &RequestInputs {
                external_id,
                ..RequestInputs::default()
            },
        )
        .unwrap()
    }

    fn provenance() -> Provenance {
        Provenance {
            source_description: "the AWS IAM provider entry with selector 'lambda'".into(),
        }
    }

    fn failure(code: &str, message: &str, status: u16) -> CallFailure {
        CallFailure {
            code: Some(code.into()),
            message: message.into(),
            status: Some(status),
        }
    }

    #[test]
    fn access_denied_names_trust_policy_and_source() {
        let err = explain_failure(
            &failure("AccessDenied", "not authorized", 403),
            &request(None),
            &provenance(),
        );
        let text = err.to_string();
        assert!(text.contains("AccessDenied: not authorized"), "{text}");
        assert!(text.contains("trust policy"), "{text}");
        assert!(text.contains("may require an sts:ExternalId"), "{text}");
        assert!(text.contains("selector 'lambda'"), "{text}");
        let text = explain_failure(
            &failure("AccessDenied", "x", 403),
            &request(Some("ab")),
            &provenance(),
        )
        .to_string();
        assert!(text.contains("ExternalId sent may not match"), "{text}");
    }

    #[test]
    fn duration_limits_are_told_apart() {
        let max = failure(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            400,
        );
        let text = explain_failure(&max, &request(None), &provenance()).to_string();
        assert!(
            text.contains("MaxSessionDuration") && text.contains("update-role"),
            "{text}"
        );
        let chained = failure("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", 400);
        let text = explain_failure(&chained, &request(None), &provenance()).to_string();
        assert!(text.contains("role chaining is limited to 3600"), "{text}");
    }

    #[test]
    fn expired_base_token_and_network() {
        let text = explain_failure(
            &failure(
                "ExpiredToken",
                "The security token included in the request is expired",
                403,
            ),
            &request(None),
            &provenance(),
        )
        .to_string();
        assert!(text.contains("base) credentials are expired"), "{text}");
        let offline = CallFailure {
            code: None,
            message: "dispatch failure: connection refused".into(),
            status: None,
        };
        let text = explain_failure(&offline, &request(None), &provenance()).to_string();
        assert!(text.contains("could not be reached"), "{text}");
    }
}
