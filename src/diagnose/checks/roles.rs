//! Permission and image checks: the execution role exists and trusts Lambda, the ECR
//! repository lets Lambda pull the image (with the exact statement to add when it does
//! not), and the function's architecture matches the scope's and the image's.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::arn::RoleArn;
use crate::aws::CallFailure;
use crate::diagnose::policy_doc;
use crate::diagnose::probe::call_not_done;
use crate::diagnose::{Outcome, Probe, Status};
use crate::ecr::{
    merge_pull_statement, pull_statement, EcrImage, ImageReference, PolicyChange, PULL_ACTIONS,
};

const LAMBDA_SERVICE: &str = "lambda.amazonaws.com";

/// The trust policy an execution role needs.
pub fn lambda_trust_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": LAMBDA_SERVICE},
            "Action": "sts:AssumeRole"
        }]
    })
}

/// What a function's execution role needs for its logs: writing to its own log group
/// (`function_arn` gives partition, region and account).
pub fn own_log_group_policy(function_arn: &str, function: &str) -> Value {
    let parts: Vec<&str> = function_arn.split(':').collect();
    let (partition, region, account) = match parts.as_slice() {
        [_, partition, _, region, account, ..] => (*partition, *region, *account),
        _ => ("aws", "<region>", "<account>"),
    };
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": format!("arn:{partition}:logs:{region}:{account}:log-group:/aws/lambda/{function}:*")
        }]
    })
}

pub async fn iam_role_valid(probe: Arc<Probe>) -> Outcome {
    let info = match probe.require_function().await {
        Ok(info) => info,
        Err(outcome) => return outcome,
    };
    let Some(role_arn) = info.role.clone() else {
        return Outcome::warning(format!(
            "lambda:GetFunction did not name an execution role for {}",
            info.name
        ));
    };
    let role = match RoleArn::parse(&role_arn) {
        Ok(role) => role,
        Err(err) => {
            return Outcome::failed(format!(
                "the function's role `{role_arn}` is not an IAM role ARN"
            ))
            .cause(err.what)
            .fix("re-run the scope's update action to set the scope's execution role")
        }
    };
    let evidence = json!({"role_arn": role_arn, "role_name": role.name()});
    let answer = probe.iam.get_role().role_name(role.name()).send().await;
    let found = match answer {
        Ok(found) => found,
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            if failure.is_not_found() {
                return Outcome::failed(format!("execution role {} does not exist", role.name()))
                    .evidence(evidence)
                    .cause("the role was deleted outside nullplatform, or the scope's create action did not finish")
                    .fix("re-run the scope's update action: it recreates the execution role and points the function at it")
                    .fix(format!(
                        "or create it by hand: `aws iam create-role --role-name {name} --assume-role-policy-document '{}'` (with `--permissions-boundary` set to the scope's boundary policy, when the install module made one), then `aws iam put-role-policy --role-name {name} --policy-name scope-function --policy-document '{}'` — its own log group only, as the scope writes it, not AWSLambdaBasicExecutionRole, which allows writing to every log group",
                        lambda_trust_policy(),
                        own_log_group_policy(&info.arn, &info.name),
                        name = role.name(),
                    ));
            }
            return call_not_done("iam:GetRole", role.name(), &failure);
        }
    };
    let trust_text = found
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .unwrap_or_default();
    let trust = policy_doc::parse(trust_text).unwrap_or(Value::Null);
    let evidence = json!({
        "role_arn": role_arn,
        "role_name": role.name(),
        "trusted_services": policy_doc::service_principals(&trust),
    });
    if policy_doc::allowing_service(&trust, LAMBDA_SERVICE, &["sts:AssumeRole"]).is_empty() {
        return Outcome::failed(format!(
            "execution role {} does not trust {LAMBDA_SERVICE}",
            role.name()
        ))
        .evidence(evidence)
        .cause("the role's trust policy was edited, or the function points at a role made for another service")
        .fix(format!(
            "restore the trust policy: `aws iam update-assume-role-policy --role-name {} --policy-document '{}'`",
            role.name(),
            lambda_trust_policy()
        ))
        .fix("or re-run the scope's update action, which manages the execution role");
    }
    Outcome::passed(format!(
        "execution role {} exists and trusts {LAMBDA_SERVICE}",
        role.name()
    ))
    .evidence(evidence)
}

/// The image to check: the deployment's (`IMAGE_URI`) when set, else the function's;
/// or the outcome to report when there is no ECR image to check.
async fn image_to_check(probe: &Probe) -> Result<(String, EcrImage), Outcome> {
    let uri = match &probe.target.image_uri {
        Some(uri) => uri.clone(),
        None => {
            let info = probe.require_function().await?;
            if info.package_type.as_deref() != Some("Image") {
                return Err(Outcome::skipped(format!(
                    "{} is a {} package: no image to pull",
                    info.name,
                    info.package_type.as_deref().unwrap_or("Zip")
                )));
            }
            info.image_uri.clone().ok_or_else(|| {
                Outcome::warning(format!(
                    "lambda:GetFunction did not return the image URI of {}",
                    info.name
                ))
            })?
        }
    };
    match EcrImage::parse(&uri) {
        Ok(image) => Ok((uri, image)),
        Err(err) => Err(Outcome::failed(format!("image {uri} is not a private ECR image"))
            .cause(err.what)
            .fix("Lambda runs images only from ECR in the function's account and region: push the image there and deploy that release")),
    }
}

pub async fn ecr_pull_policy(probe: Arc<Probe>) -> Outcome {
    let (uri, image) = match image_to_check(&probe).await {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let evidence = json!({
        "image_uri": uri,
        "repository": image.repository,
        "registry_id": image.account,
    });
    let answer = probe
        .ecr
        .get_repository_policy()
        .registry_id(&image.account)
        .repository_name(&image.repository)
        .send()
        .await;
    let policy = match answer {
        Ok(answer) => answer.policy_text().unwrap_or_default().to_string(),
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            return match failure.code.as_deref() {
                Some("RepositoryPolicyNotFoundException") => Outcome::failed(format!(
                    "repository {} has no policy: Lambda cannot pull the image",
                    image.repository
                ))
                .evidence(evidence)
                .cause("the repository was created without the statement Lambda needs, and the deployment's ensure-ecr-pull-policy step did not run or was denied")
                .fix(format!("add this statement to the repository policy: {}", pull_statement()))
                .fix(format!("the repository has no policy yet, so this sets it: {}", set_policy_command(&image, None)))
                .fix("or re-run the deployment: its ensure-ecr-pull-policy step adds it"),
                Some("RepositoryNotFoundException") => Outcome::failed(format!(
                    "repository {} does not exist in registry {}",
                    image.repository, image.account
                ))
                .evidence(evidence)
                .cause("the image was deleted, or the asset points at another account or region")
                .fix("push the image again (re-run the build) and re-run the deployment"),
                _ => call_not_done("ecr:GetRepositoryPolicy", &image.repository, &failure),
            };
        }
    };
    let document = policy_doc::parse(&policy).unwrap_or(Value::Null);
    if policy_doc::allowing_service(&document, LAMBDA_SERVICE, &PULL_ACTIONS).is_empty() {
        return Outcome::failed(format!(
            "the policy of repository {} does not let {LAMBDA_SERVICE} pull",
            image.repository
        ))
        .evidence(evidence)
        .evidence(json!({"policy": document}))
        .cause("the statement Lambda needs was removed, or it misses ecr:BatchGetImage / ecr:GetDownloadUrlForLayer")
        .fix(format!(
            "add this statement to the repository policy (keep the existing ones): {}",
            pull_statement()
        ))
        .fix(format!(
            "this keeps the other statements and adds it: {}",
            set_policy_command(&image, Some(&policy))
        ))
        .fix("or re-run the deployment: its ensure-ecr-pull-policy step adds it");
    }
    Outcome::passed(format!(
        "repository {} lets {LAMBDA_SERVICE} pull",
        image.repository
    ))
    .evidence(evidence)
}

/// The `aws ecr set-repository-policy` command that adds the pull statement to
/// `existing` (the same merge ensure-ecr-pull-policy applies).
fn set_policy_command(image: &EcrImage, existing: Option<&str>) -> String {
    let text = match merge_pull_statement(existing) {
        Ok(PolicyChange::Added(text) | PolicyChange::Repaired(text)) => text,
        // Unreadable, or already carrying our Sid in a form that does not grant the
        // pull: show the statement-only policy.
        _ => json!({"Version": "2012-10-17", "Statement": [pull_statement()]}).to_string(),
    };
    format!(
        "`aws ecr set-repository-policy --registry-id {} --repository-name {} --policy-text '{}'`",
        image.account, image.repository, text
    )
}

/// Docker / OCI platform architecture → Lambda's name.
fn lambda_architecture(platform: &str) -> &str {
    match platform {
        "amd64" => "x86_64",
        other => other,
    }
}

/// The architectures a multi-platform manifest (index / manifest list) offers;
/// `None` for a single-platform manifest, whose platform is not in the manifest.
pub fn manifest_architectures(manifest: &Value) -> Option<Vec<String>> {
    let entries = manifest.get("manifests")?.as_array()?;
    let mut architectures: Vec<String> = entries
        .iter()
        .filter_map(|entry| entry.pointer("/platform/architecture")?.as_str())
        .filter(|arch| *arch != "unknown")
        .map(|arch| lambda_architecture(arch).to_string())
        .collect();
    architectures.sort();
    architectures.dedup();
    Some(architectures)
}

const MANIFEST_TYPES: [&str; 4] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

pub async fn image_architecture(probe: Arc<Probe>) -> Outcome {
    let info = match probe.require_function().await {
        Ok(info) => info,
        Err(outcome) => return outcome,
    };
    let function_arch = info
        .architectures
        .first()
        .cloned()
        .unwrap_or_else(|| "x86_64".to_string());
    let mut evidence = json!({
        "function_architecture": function_arch,
        "scope_architecture": probe.target.architecture,
    });
    if let Some(declared) = &probe.target.architecture {
        if *declared != function_arch {
            return Outcome::failed(format!(
                "function {} runs on {function_arch}, the scope declares {declared}",
                info.name
            ))
            .evidence(evidence)
            .cause("the architecture capability changed after the function was created, or it was changed by hand")
            .fix("re-run the scope's update action so the function takes the scope's architecture, then re-deploy");
        }
    }
    // What the scope declares, when it matches: the verdict when the image says nothing.
    let matches_scope = probe.target.architecture.is_some().then(|| {
        format!(
            "function {} runs on {function_arch}, as the scope declares",
            info.name
        )
    });
    let image = match image_to_check(&probe).await {
        Ok((_, image)) => image,
        Err(outcome) => {
            return match (&matches_scope, outcome.status) {
                (Some(summary), Status::Skipped) => {
                    Outcome::passed(format!("{summary} ({})", outcome.summary)).evidence(evidence)
                }
                _ => outcome,
            }
        }
    };
    let mut request = probe
        .ecr
        .batch_get_image()
        .registry_id(&image.account)
        .repository_name(&image.repository)
        .set_accepted_media_types(Some(MANIFEST_TYPES.iter().map(|t| t.to_string()).collect()));
    let (reference, id) = match &image.reference {
        ImageReference::Digest(digest) => (
            digest.clone(),
            aws_sdk_ecr::types::ImageIdentifier::builder().image_digest(digest),
        ),
        ImageReference::Tag(tag) => (
            tag.clone(),
            aws_sdk_ecr::types::ImageIdentifier::builder().image_tag(tag),
        ),
        ImageReference::Untagged => (
            "latest".to_string(),
            aws_sdk_ecr::types::ImageIdentifier::builder().image_tag("latest"),
        ),
    };
    request = request.image_ids(id.build());
    let manifest = match request.send().await {
        Ok(answer) => match answer.images().first() {
            Some(found) => found
                .image_manifest()
                .and_then(|text| serde_json::from_str::<Value>(text).ok()),
            None => {
                return Outcome::failed(format!(
                    "image {}:{reference} is not in ECR",
                    image.repository
                ))
                .evidence(evidence)
                .cause("the tag was deleted or moved by a lifecycle policy")
                .fix("push the image again and re-run the deployment")
            }
        },
        Err(err) => {
            return call_not_done(
                "ecr:BatchGetImage",
                &image.repository,
                &CallFailure::from_sdk(&err),
            )
        }
    };
    let Some(offered) = manifest.as_ref().and_then(manifest_architectures) else {
        let unknown =
            "the image is a single-platform manifest, which does not record its architecture";
        return match matches_scope {
            Some(summary) => Outcome::passed(format!("{summary} ({unknown})")),
            None => Outcome::skipped(format!("{unknown} (function: {function_arch})")),
        }
        .evidence(evidence);
    };
    evidence["image_architectures"] = json!(offered);
    if offered.contains(&function_arch) {
        Outcome::passed(format!(
            "the image offers {function_arch}, the function's architecture"
        ))
        .evidence(evidence)
    } else {
        Outcome::failed(format!(
            "the image offers {} but the function runs on {function_arch}",
            offered.join(", ")
        ))
        .evidence(evidence)
        .cause("the image was built for another platform than the scope's architecture")
        .fix(format!(
            "build for it: `docker buildx build --platform linux/{} ...`, or change the scope's architecture capability",
            if function_arch == "x86_64" { "amd64" } else { "arm64" }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_platforms() {
        let index = json!({"manifests": [
            {"platform": {"architecture": "amd64", "os": "linux"}},
            {"platform": {"architecture": "unknown", "os": "unknown"}},
            {"platform": {"architecture": "arm64", "os": "linux"}}
        ]});
        assert_eq!(
            manifest_architectures(&index),
            Some(vec!["arm64".to_string(), "x86_64".to_string()])
        );
        assert_eq!(manifest_architectures(&json!({"layers": []})), None);
    }

    #[test]
    fn fix_statement_is_what_the_check_accepts() {
        let doc = json!({"Statement": [pull_statement()]});
        assert_eq!(
            policy_doc::allowing_service(&doc, LAMBDA_SERVICE, &PULL_ACTIONS).len(),
            1
        );
        let trust = lambda_trust_policy();
        assert_eq!(
            policy_doc::allowing_service(&trust, LAMBDA_SERVICE, &["sts:AssumeRole"]).len(),
            1
        );
    }
}
