//! The credentials check: the identity AWS sees (sts:GetCallerIdentity) must be the
//! role the assume_role step resolved, and its credentials must not be expired.

use std::sync::Arc;

use serde_json::json;

use crate::arn::RoleArn;
use crate::aws::CallFailure;
use crate::diagnose::probe::call_not_done;
use crate::diagnose::{Outcome, Probe};

/// Credentials closer than this to expiry are a warning: a long check may outlive them.
const EXPIRY_MARGIN_SECONDS: i64 = 300;

/// Error codes with which STS rejects the credentials themselves.
const REJECTED: &[&str] = &[
    "InvalidClientTokenId",
    "ExpiredToken",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
];

pub async fn credentials(probe: Arc<Probe>) -> Outcome {
    let target = &probe.target;
    let identity = match probe.sts.get_caller_identity().send().await {
        Ok(identity) => identity,
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            if failure
                .code
                .as_deref()
                .is_some_and(|code| REJECTED.contains(&code))
            {
                return Outcome::failed(format!("AWS rejected the credentials: {}", failure.summary()))
                    .evidence(json!({"error": failure.summary(), "expected_role": target.assumed_role_arn}))
                    .cause("the temporary credentials expired, or the keys are wrong or revoked")
                    .fix("re-run the workflow: assume_role issues fresh credentials (check ASSUME_ROLE_ARN and the role's trust policy if it fails)");
            }
            return call_not_done("sts:GetCallerIdentity", "the caller", &failure);
        }
    };
    let caller = identity.arn().unwrap_or_default().to_string();
    let account = identity.account().unwrap_or_default().to_string();
    let mut evidence = json!({
        "caller_arn": caller,
        "account": account,
        "expected_role": target.assumed_role_arn,
        "credential_expiration": target.credential_expiration,
    });

    if let Some(expiration) = &target.credential_expiration {
        match expiration.parse::<jiff::Timestamp>() {
            Ok(expires) => {
                let remaining = expires.as_second() - jiff::Timestamp::now().as_second();
                evidence["seconds_left"] = json!(remaining);
                if remaining <= 0 {
                    return Outcome::failed(format!("the credentials expired at {expiration}"))
                        .evidence(evidence)
                        .cause("the workflow ran longer than the session the role was assumed for")
                        .fix("re-run the workflow; raise ASSUME_ROLE_DURATION_SECONDS (and the role's maximum session duration) for long actions");
                }
                if remaining < EXPIRY_MARGIN_SECONDS {
                    return Outcome::warning(format!(
                        "acting as {caller}; the credentials expire in {remaining} s ({expiration})"
                    ))
                    .evidence(evidence)
                    .fix("re-run the workflow for fresh credentials if later steps fail with ExpiredToken");
                }
            }
            Err(_) => {
                return Outcome::warning(format!(
                    "acting as {caller}; AWS_CREDENTIAL_EXPIRATION `{expiration}` is not an RFC 3339 time"
                ))
                .evidence(evidence)
                .fix("AWS_CREDENTIAL_EXPIRATION comes from assume_role: check that step's outputs");
            }
        }
    }

    let Some(expected) = &target.assumed_role_arn else {
        return Outcome::passed(format!(
            "acting as the agent's own identity {caller} (no role resolved)"
        ))
        .evidence(evidence);
    };
    let role = match RoleArn::parse(expected) {
        Ok(role) => role,
        Err(err) => return Outcome::failed(format!(
            "ASSUME_ROLE_ARN `{expected}` is not a role ARN"
        ))
        .evidence(evidence)
        .cause(err.what)
        .fix("check ASSUME_ROLE_ARN / the AWS IAM provider entry the assume_role step resolved"),
    };
    if acts_as_role(&caller, &account, &role) {
        Outcome::passed(format!("acting as the resolved role {}", role.as_str())).evidence(evidence)
    } else {
        Outcome::failed(format!(
            "acting as {caller}, not the resolved role {}",
            role.as_str()
        ))
        .evidence(evidence)
        .cause("the credentials assume_role exported did not reach this step (an output declaration is missing, or a step overrode AWS_ACCESS_KEY_ID / AWS_PROFILE)")
        .cause("the agent's own credentials are used although a role was resolved")
        .fix("declare AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN as outputs of assume_role (workflows/common/assume_role.yaml) and do not set AWS_PROFILE in later steps")
    }
}

/// Is `caller` (a GetCallerIdentity ARN) a session of `role`?
/// Sessions look like `arn:aws:sts::<account>:assumed-role/<role name>/<session>`.
pub fn acts_as_role(caller: &str, account: &str, role: &RoleArn) -> bool {
    let Some((_, resource)) = caller.split_once(":assumed-role/") else {
        return false;
    };
    let name = resource.split('/').next().unwrap_or_default();
    account == role.account() && name == role.name()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_matches_role_by_account_and_name() {
        let role = RoleArn::parse("arn:aws:iam::123456789012:role/team/np-lambda").unwrap();
        assert!(acts_as_role(
            "arn:aws:sts::123456789012:assumed-role/np-lambda/session-1",
            "123456789012",
            &role
        ));
        assert!(!acts_as_role(
            "arn:aws:sts::123456789012:assumed-role/other/session-1",
            "123456789012",
            &role
        ));
        assert!(!acts_as_role(
            "arn:aws:sts::999999999999:assumed-role/np-lambda/s",
            "999999999999",
            &role
        ));
        assert!(!acts_as_role(
            "arn:aws:iam::123456789012:user/agent",
            "123456789012",
            &role
        ));
    }
}
