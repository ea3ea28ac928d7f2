//! Container images in ECR: parsing an image URI (registry account, region, partition,
//! repository, tag or digest) and the repository-policy statement that lets Lambda pull
//! the image. The merge touches only our own statement (Sid
//! `LambdaECRImageRetrievalPolicy`); every other statement is kept as it was.

use serde_json::{json, Map, Value};

use crate::aws::{sdk_config, CallFailure};
use crate::report::StepError;
use crate::step::{progress, warn, Outputs};

/// The Sid of the one statement this module owns in a repository policy.
pub const PULL_STATEMENT_SID: &str = "LambdaECRImageRetrievalPolicy";

/// The actions Lambda needs on the repository to pull an image.
pub const PULL_ACTIONS: [&str; 2] = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];

const LAMBDA_SERVICE: &str = "lambda.amazonaws.com";

/// How an image is pinned: by tag, by digest, or not at all (ECR then means `latest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageReference {
    Tag(String),
    Digest(String),
    Untagged,
}

/// A private ECR image: `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repo>[:tag|@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrImage {
    pub account: String,
    pub region: String,
    /// `aws` or `aws-cn` (from the `.amazonaws.com.cn` domain).
    pub partition: &'static str,
    pub repository: String,
    pub reference: ImageReference,
}

impl EcrImage {
    /// Parses and validates an image URI; anything that is not a private ECR image is a
    /// usage error (Lambda runs container images only from ECR).
    pub fn parse(uri: &str) -> Result<EcrImage, StepError> {
        let invalid = |problem: &str| {
            StepError::new(format!("IMAGE_URI `{uri}` is not an ECR image URI: {problem}"))
                .cause("Lambda runs container images only from an Amazon ECR repository")
                .cause("the release's asset URL points at another registry, or was cut or rewritten")
                .fix("expected form: <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@sha256:<digest>]")
                .fix("push the image to ECR in the function's account and region, and deploy that release")
                .usage()
        };
        let trimmed = uri.trim();
        if trimmed.contains("://") {
            return Err(invalid("it has a scheme (drop the `https://`)"));
        }
        let (host, path) = trimmed
            .split_once('/')
            .ok_or_else(|| invalid("no repository after the registry host"))?;
        let (registry, partition) = if let Some(rest) = host.strip_suffix(".amazonaws.com.cn") {
            (rest, "aws-cn")
        } else if let Some(rest) = host.strip_suffix(".amazonaws.com") {
            (rest, "aws")
        } else {
            return Err(invalid(
                "the host is not <account>.dkr.ecr.<region>.amazonaws.com",
            ));
        };
        let mut labels = registry.split('.');
        let (Some(account), Some("dkr"), Some(ecr), Some(region), None) = (
            labels.next(),
            labels.next(),
            labels.next(),
            labels.next(),
            labels.next(),
        ) else {
            return Err(invalid(
                "the host is not <account>.dkr.ecr.<region>.amazonaws.com",
            ));
        };
        if !matches!(ecr, "ecr" | "ecr-fips") {
            return Err(invalid(
                "the host is not <account>.dkr.ecr.<region>.amazonaws.com",
            ));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(&format!(
                "`{account}` is not a 12-digit account id"
            )));
        }
        if !valid_region(region) {
            return Err(invalid(&format!("`{region}` is not an AWS region")));
        }
        let (repository, reference) = if let Some((repo, digest)) = path.split_once('@') {
            if !valid_digest(digest) {
                return Err(invalid(&format!(
                    "`{digest}` is not a digest (sha256: and 64 hex digits)"
                )));
            }
            (repo, ImageReference::Digest(digest.to_string()))
        } else if let Some((repo, tag)) = path.rsplit_once(':') {
            if !valid_tag(tag) {
                return Err(invalid(&format!(
                    "`{tag}` is not a valid tag (1–128 of letters, digits, _ . -; not starting with . or -)"
                )));
            }
            (repo, ImageReference::Tag(tag.to_string()))
        } else {
            (path, ImageReference::Untagged)
        };
        if !valid_repository(repository) {
            return Err(invalid(&format!(
                "`{repository}` is not a repository name (2–256 lowercase letters, digits, and . _ - / between them)"
            )));
        }
        Ok(EcrImage {
            account: account.to_string(),
            region: region.to_string(),
            partition,
            repository: repository.to_string(),
            reference,
        })
    }

    /// The repository's ARN (what an IAM policy or a person would name).
    pub fn repository_arn(&self) -> String {
        format!(
            "arn:{}:ecr:{}:{}:repository/{}",
            self.partition, self.region, self.account, self.repository
        )
    }
}

fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

fn valid_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn valid_tag(tag: &str) -> bool {
    let mut bytes = tag.bytes();
    tag.len() <= 128
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// ECR's repository-name grammar: path components of lowercase alphanumerics joined by
/// single `.`, `_` or `-` (runs of `_` allowed), separated by `/`.
fn valid_repository(name: &str) -> bool {
    (2..=256).contains(&name.len())
        && name.split('/').all(|component| {
            let bytes = component.as_bytes();
            !bytes.is_empty()
                && bytes[0].is_ascii_alphanumeric()
                && bytes[bytes.len() - 1].is_ascii_alphanumeric()
                && bytes.iter().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
                && !component.contains("..")
                && !component.contains("--")
                && !component.contains(".-")
                && !component.contains("-.")
        })
}

/// The statement Lambda needs (the form written when it is missing or stale).
pub fn pull_statement() -> Value {
    json!({
        "Sid": PULL_STATEMENT_SID,
        "Effect": "Allow",
        "Principal": {"Service": LAMBDA_SERVICE},
        "Action": PULL_ACTIONS,
    })
}

/// What [`merge_pull_statement`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyChange {
    /// Our statement is present and grants what Lambda needs: write nothing.
    AlreadyPresent,
    /// No policy, or no statement of ours: the new policy text adds it.
    Added(String),
    /// Our Sid was there but did not grant the pull: the new text replaces that statement only.
    Repaired(String),
}

impl PolicyChange {
    pub fn label(&self) -> &'static str {
        match self {
            PolicyChange::AlreadyPresent => "present",
            PolicyChange::Added(_) => "added",
            PolicyChange::Repaired(_) => "repaired",
        }
    }
}

/// Merges our pull statement into a repository policy (`None`: the repository has no
/// policy). Other statements, their order and every other top-level key are kept as
/// they were; only the statement with our Sid is added or replaced.
pub fn merge_pull_statement(existing: Option<&str>) -> Result<PolicyChange, StepError> {
    let Some(text) = existing.filter(|text| !text.trim().is_empty()) else {
        let policy = json!({"Version": "2012-10-17", "Statement": [pull_statement()]});
        return Ok(PolicyChange::Added(policy.to_string()));
    };
    let unreadable = |problem: String| {
        StepError::new(format!("the repository policy could not be read: {problem}"))
            .cause("the policy was written by hand or by another tool in a shape ECR accepts but this step does not understand")
            .fix("check it with `aws ecr get-repository-policy --repository-name <repo>`; fix or re-save it, then retry")
    };
    let mut policy: Map<String, Value> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(unreadable("it is not a JSON object".into())),
        Err(err) => return Err(unreadable(err.to_string())),
    };
    // IAM allows a single statement object in place of a list; keep it, as a list of one.
    let mut statements = match policy.remove("Statement") {
        None => Vec::new(),
        Some(Value::Array(list)) => list,
        Some(single @ Value::Object(_)) => vec![single],
        Some(_) => {
            return Err(unreadable(
                "`Statement` is neither a statement nor a list of statements".into(),
            ))
        }
    };
    let ours = statements.iter().position(|statement| {
        statement.get("Sid").and_then(Value::as_str) == Some(PULL_STATEMENT_SID)
    });
    let change_is_repair = match ours {
        Some(index) if grants_pull(&statements[index]) => return Ok(PolicyChange::AlreadyPresent),
        Some(index) => {
            statements[index] = pull_statement();
            true
        }
        None => {
            statements.push(pull_statement());
            false
        }
    };
    if !policy.contains_key("Version") {
        policy.insert("Version".into(), json!("2012-10-17"));
    }
    policy.insert("Statement".into(), Value::Array(statements));
    let text = Value::Object(policy).to_string();
    Ok(if change_is_repair {
        PolicyChange::Repaired(text)
    } else {
        PolicyChange::Added(text)
    })
}

/// True when a statement allows the Lambda service both pull actions. A `Condition`
/// the owner added (e.g. `aws:sourceArn`) is a deliberate narrowing and is respected.
fn grants_pull(statement: &Value) -> bool {
    let strings = |value: Option<&Value>| -> Vec<String> {
        match value {
            Some(Value::String(one)) => vec![one.clone()],
            Some(Value::Array(many)) => many
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    let allows = statement.get("Effect").and_then(Value::as_str) == Some("Allow");
    let principal_is_lambda = statement
        .get("Principal")
        .and_then(|principal| principal.get("Service"))
        .map(|service| strings(Some(service)).iter().any(|s| s == LAMBDA_SERVICE))
        .unwrap_or(false);
    let actions: Vec<String> = strings(statement.get("Action"))
        .into_iter()
        .map(|action| action.to_ascii_lowercase())
        .collect();
    let has = |wanted: &str| {
        actions.iter().any(|action| {
            action == "*" || action == "ecr:*" || action == &wanted.to_ascii_lowercase()
        })
    };
    allows
        && principal_is_lambda
        && PULL_ACTIONS.iter().all(|action| has(action))
        && statement.get("NotAction").is_none()
        && statement.get("NotPrincipal").is_none()
}

/// What the owner of a repository this role cannot change has to add.
fn owner_must_add(image: &EcrImage) -> String {
    format!(
        "the owner of {} (account {}) must add this statement to the repository policy: {}",
        image.repository_arn(),
        image.account,
        pull_statement()
    )
}

/// The `ensure-ecr-pull-policy` step body: read the repository policy, merge our
/// statement, write only when it changed. Outputs `ECR_PULL_POLICY`
/// (`present` | `added` | `repaired` | `owner-action-needed` | `skipped`).
pub async fn ensure_pull_policy(image_uri: &str, package_type: &str) -> Result<Outputs, StepError> {
    let mut outputs = Outputs::new();
    if package_type.eq_ignore_ascii_case("zip") {
        progress("⏭️  Zip package: no container image, no ECR repository policy to check");
        outputs.set("ECR_PULL_POLICY", "skipped");
        return Ok(outputs);
    }
    if image_uri.trim().is_empty() {
        return Err(StepError::new("IMAGE_URI is empty: no image to deploy")
            .cause("the release has no built container image (.asset.url is missing)")
            .cause("build-deployment-context did not run before this step")
            .fix("deploy a release whose build pushed an image to ECR; run build-deployment-context first")
            .usage());
    }
    let image = EcrImage::parse(image_uri)?;
    progress(format!(
        "🔐 Checking that Lambda may pull from {} ...",
        image.repository_arn()
    ));
    let config = sdk_config().await?;
    let ecr_config = aws_sdk_ecr::config::Builder::from(&config)
        .region(aws_sdk_ecr::config::Region::new(image.region.clone()))
        .build();
    let client = aws_sdk_ecr::Client::from_conf(ecr_config);

    let current = match client
        .get_repository_policy()
        .registry_id(&image.account)
        .repository_name(&image.repository)
        .send()
        .await
    {
        Ok(answer) => answer.policy_text().map(str::to_string),
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            match failure.code.as_deref() {
                Some("RepositoryPolicyNotFoundException") => None,
                Some("RepositoryNotFoundException") => {
                    return Err(StepError::new(format!(
                        "the ECR repository {} does not exist",
                        image.repository_arn()
                    ))
                    .cause("the image was never pushed, or the repository was deleted or renamed")
                    .cause("IMAGE_URI names another account or region than the one the image was pushed to")
                    .fix(format!(
                        "check it: `aws ecr describe-images --registry-id {} --repository-name {} --region {}`",
                        image.account, image.repository, image.region
                    ))
                    .fix("rebuild the release so its image is pushed, then deploy it again"));
                }
                _ if failure.is_access_denied() => {
                    warn(format!(
                        "cannot read the policy of {} ({}): the repository is in another account or the role may not read it",
                        image.repository_arn(),
                        failure.summary()
                    ));
                    warn(owner_must_add(&image));
                    outputs.set("ECR_PULL_POLICY", "owner-action-needed");
                    return Ok(outputs);
                }
                _ => {
                    return Err(StepError::new(format!(
                        "ecr:GetRepositoryPolicy on {} failed: {}",
                        image.repository_arn(),
                        failure.summary()
                    ))
                    .cause("the ECR API was unreachable, or the region in the image URI is wrong")
                    .fix("check the network path to ECR in the image's region, then retry"));
                }
            }
        }
    };

    let change = merge_pull_statement(current.as_deref())?;
    let text = match &change {
        PolicyChange::AlreadyPresent => {
            progress(format!(
                "   ✅ {PULL_STATEMENT_SID} already grants the pull: nothing written"
            ));
            outputs.set("ECR_PULL_POLICY", change.label());
            return Ok(outputs);
        }
        PolicyChange::Added(text) | PolicyChange::Repaired(text) => text.clone(),
    };
    match client
        .set_repository_policy()
        .registry_id(&image.account)
        .repository_name(&image.repository)
        .policy_text(text)
        .send()
        .await
    {
        Ok(_) => {
            let verb = match change {
                PolicyChange::Repaired(_) => "repaired (other statements kept)",
                _ if current.is_some() => "added (other statements kept)",
                _ => "added (new policy)",
            };
            progress(format!("   ✅ {PULL_STATEMENT_SID} {verb}"));
            outputs.set("ECR_PULL_POLICY", change.label());
        }
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            if !failure.is_access_denied() {
                return Err(StepError::new(format!(
                    "ecr:SetRepositoryPolicy on {} failed: {} (the policy was not changed)",
                    image.repository_arn(),
                    failure.summary()
                ))
                .cause("ECR rejected the merged policy, or the API was unreachable")
                .fix(format!(
                    "add this statement by hand, then retry: {}",
                    pull_statement()
                )));
            }
            warn(format!(
                "cannot change the policy of {} ({}): the repository is in another account or the role lacks ecr:SetRepositoryPolicy",
                image.repository_arn(),
                failure.summary()
            ));
            warn(owner_must_add(&image));
            outputs.set("ECR_PULL_POLICY", "owner-action-needed");
        }
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn parses_tag_digest_untagged_and_china_partition() {
        let tagged =
            EcrImage::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1.2").unwrap();
        assert_eq!(tagged.account, "123456789012");
        assert_eq!(tagged.region, "us-east-1");
        assert_eq!(tagged.partition, "aws");
        assert_eq!(tagged.repository, "team/app");
        assert_eq!(tagged.reference, ImageReference::Tag("v1.2".into()));
        assert_eq!(
            tagged.repository_arn(),
            "arn:aws:ecr:us-east-1:123456789012:repository/team/app"
        );

        let pinned = EcrImage::parse(&format!(
            "123456789012.dkr.ecr.eu-west-3.amazonaws.com/app@{DIGEST}"
        ))
        .unwrap();
        assert_eq!(pinned.reference, ImageReference::Digest(DIGEST.into()));
        assert_eq!(pinned.repository, "app");

        let china =
            EcrImage::parse("210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/app").unwrap();
        assert_eq!(china.partition, "aws-cn");
        assert_eq!(china.reference, ImageReference::Untagged);
        assert!(china
            .repository_arn()
            .starts_with("arn:aws-cn:ecr:cn-north-1:210987654321:"));
    }

    #[test]
    fn rejects_what_lambda_cannot_run() {
        for uri in [
            "docker.io/library/nginx:latest",
            "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1",
            "12345.dkr.ecr.us-east-1.amazonaws.com/app:1",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.useast.amazonaws.com/app",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/App",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:xyz",
            "123456789012.s3.us-east-1.amazonaws.com/app:1",
        ] {
            let err = EcrImage::parse(uri).unwrap_err();
            assert_eq!(err.exit_code, 2, "{uri}");
            assert!(err.what.contains(uri), "{uri}: {err}");
            assert!(!err.fixes.is_empty());
        }
    }

    fn statements(text: &str) -> Vec<Value> {
        serde_json::from_str::<Value>(text).unwrap()["Statement"]
            .as_array()
            .unwrap()
            .clone()
    }

    #[test]
    fn no_policy_gets_a_policy_of_ours_alone() {
        let PolicyChange::Added(text) = merge_pull_statement(None).unwrap() else {
            panic!("expected Added")
        };
        assert_eq!(statements(&text), vec![pull_statement()]);
    }

    #[test]
    fn other_statements_are_kept_in_order_with_their_key_order() {
        let other = r#"{"Sid":"CI","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["ecr:PutImage","ecr:BatchGetImage"],"Condition":{"StringEquals":{"aws:PrincipalTag/team":"ci"}}}"#;
        let existing = format!(r#"{{"Version":"2008-10-17","Statement":[{other}]}}"#);
        let PolicyChange::Added(text) = merge_pull_statement(Some(&existing)).unwrap() else {
            panic!("expected Added")
        };
        let merged: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(merged["Version"], "2008-10-17");
        let list = statements(&text);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].to_string(), other, "kept byte for byte");
        assert_eq!(list[1], pull_statement());
    }

    #[test]
    fn ours_already_right_means_no_write() {
        let existing = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{PULL_STATEMENT_SID}","Effect":"Allow","Principal":{{"Service":["lambda.amazonaws.com"]}},"Action":["ecr:GetDownloadUrlForLayer","ecr:BatchGetImage","ecr:DescribeImages"]}}]}}"#
        );
        assert_eq!(
            merge_pull_statement(Some(&existing)).unwrap(),
            PolicyChange::AlreadyPresent
        );
    }

    #[test]
    fn stale_ours_is_repaired_in_place() {
        let existing = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"A","Effect":"Deny","Principal":"*","Action":"ecr:DeleteRepository"}},{{"Sid":"{PULL_STATEMENT_SID}","Effect":"Allow","Principal":{{"Service":"lambda.amazonaws.com"}},"Action":"ecr:BatchGetImage"}},{{"Sid":"B","Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"ecr:ListImages"}}]}}"#
        );
        let PolicyChange::Repaired(text) = merge_pull_statement(Some(&existing)).unwrap() else {
            panic!("expected Repaired")
        };
        let before = statements(&existing);
        let after = statements(&text);
        assert_eq!(after.len(), 3);
        assert_eq!(after[0], before[0]);
        assert_eq!(after[1], pull_statement());
        assert_eq!(after[2], before[2]);
    }

    #[test]
    fn a_single_statement_object_is_kept_and_garbage_is_refused() {
        let existing = r#"{"Version":"2012-10-17","Statement":{"Sid":"Solo","Effect":"Allow","Principal":{"AWS":"*"},"Action":"ecr:ListImages"}}"#;
        let PolicyChange::Added(text) = merge_pull_statement(Some(existing)).unwrap() else {
            panic!("expected Added")
        };
        assert_eq!(statements(&text)[0]["Sid"], "Solo");
        assert!(merge_pull_statement(Some("{not json")).is_err());
        assert!(merge_pull_statement(Some(r#"{"Statement":"x"}"#)).is_err());
    }

    #[test]
    fn deny_or_wrong_principal_is_not_a_grant() {
        let mut statement = pull_statement();
        assert!(grants_pull(&statement));
        statement["Effect"] = json!("Deny");
        assert!(!grants_pull(&statement));
        let mut statement = pull_statement();
        statement["Principal"] = json!({"Service": "ec2.amazonaws.com"});
        assert!(!grants_pull(&statement));
        let mut statement = pull_statement();
        statement["Action"] = json!("ecr:*");
        assert!(grants_pull(&statement));
    }
}
