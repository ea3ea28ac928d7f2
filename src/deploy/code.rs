//! update-function-code: points `$LATEST` at the deployment's image (ECR) or zip (S3)
//! and waits until Lambda reports the update `Successful`.

use std::time::Duration;

use super::wait::{wait_until_updated, DEFAULT_MAX_WAIT_SECONDS};
use super::{lambda_client, lambda_failure, required_input};
use crate::aws::CallFailure;
use crate::ecr::EcrImage;
use crate::report::StepError;
use crate::step::{progress, Outputs};

/// Inputs of update-function-code (each also read from its environment variable).
#[derive(Debug, Clone, clap::Args)]
pub struct CodeSettings {
    /// The scope's function (build-deployment-context).
    #[arg(
        long,
        env = "LAMBDA_FUNCTION_NAME",
        default_value = "",
        hide_default_value = true
    )]
    pub function_name: String,
    /// Image or Zip.
    #[arg(long, env = "PACKAGE_TYPE", default_value = "Image")]
    pub package_type: String,
    /// The ECR image (Image packages).
    #[arg(long, env = "IMAGE_URI", default_value = "", hide_default_value = true)]
    pub image_uri: String,
    /// Bucket of the zip (Zip packages).
    #[arg(long, env = "S3_BUCKET", default_value = "", hide_default_value = true)]
    pub s3_bucket: String,
    /// Key of the zip (Zip packages).
    #[arg(long, env = "S3_KEY", default_value = "", hide_default_value = true)]
    pub s3_key: String,
    /// Longest wait for the update to finish, in seconds.
    #[arg(long, env = crate::settings::DEPLOYMENT_MAX_WAIT_IN_SECONDS.namespaced, default_value_t = DEFAULT_MAX_WAIT_SECONDS)]
    pub max_wait_seconds: u64,
}

/// Where the new code comes from, validated before any call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeSource {
    Image(String),
    S3 { bucket: String, key: String },
}

impl CodeSource {
    pub fn from_settings(settings: &CodeSettings) -> Result<CodeSource, StepError> {
        match settings.package_type.as_str() {
            "Image" | "image" => {
                if settings.image_uri.trim().is_empty() {
                    return Err(StepError::new("IMAGE_URI is empty: no image to deploy")
                        .cause("the release has no built container image (.asset.url is missing)")
                        .cause("build-deployment-context did not run before this step")
                        .fix("deploy a release whose build pushed an image to ECR")
                        .usage());
                }
                EcrImage::parse(&settings.image_uri)?;
                Ok(CodeSource::Image(settings.image_uri.trim().to_string()))
            }
            "Zip" | "zip" => {
                if settings.s3_bucket.trim().is_empty() || settings.s3_key.trim().is_empty() {
                    return Err(StepError::new("S3_BUCKET / S3_KEY are empty: no zip to deploy")
                        .cause("the release has no built zip asset (.asset.url is not s3://bucket/key)")
                        .cause("build-deployment-context did not run before this step")
                        .fix("deploy a release whose build uploaded the zip to S3")
                        .usage());
                }
                Ok(CodeSource::S3 {
                    bucket: settings.s3_bucket.trim().to_string(),
                    key: settings.s3_key.trim().to_string(),
                })
            }
            other => Err(StepError::new(format!(
                "PACKAGE_TYPE is `{other}`: expected Image or Zip"
            ))
            .fix("run build-deployment-context before this step (it exports PACKAGE_TYPE)")
            .usage()),
        }
    }

    fn describe(&self) -> String {
        match self {
            CodeSource::Image(uri) => format!("image {uri}"),
            CodeSource::S3 { bucket, key } => format!("zip s3://{bucket}/{key}"),
        }
    }
}

/// The update-function-code step body. Outputs `LAMBDA_CODE_SHA256`.
pub async fn update_function_code(settings: &CodeSettings) -> Result<Outputs, StepError> {
    let function = required_input(
        "LAMBDA_FUNCTION_NAME",
        &settings.function_name,
        "build-deployment-context",
    )?;
    let source = CodeSource::from_settings(settings)?;
    let max_wait = Duration::from_secs(settings.max_wait_seconds);
    progress(format!(
        "📝 Updating the code of {function} to {}...",
        source.describe()
    ));
    let client = lambda_client().await?;
    // An update still running (e.g. from the create workflow) would reject ours.
    wait_until_updated(&client, &function, max_wait, None).await?;

    let request = client.update_function_code().function_name(&function);
    let request = match &source {
        CodeSource::Image(uri) => request.image_uri(uri),
        CodeSource::S3 { bucket, key } => request.s3_bucket(bucket).s3_key(key),
    };
    request.send().await.map_err(|err| {
        let failure = CallFailure::from_sdk(&err);
        let mut report = lambda_failure("UpdateFunctionCode", &function, &failure, None);
        if failure.code.as_deref() == Some("InvalidParameterValueException") {
            report = match &source {
                CodeSource::S3 { bucket, key } => report.fix(format!(
                    "check the zip exists and is in the function's region: `aws s3api head-object --bucket {bucket} --key {key}`"
                )),
                CodeSource::Image(uri) => report.fix(format!(
                    "check the image exists and Lambda may pull it (ensure-ecr-pull-policy): {uri}"
                )),
            };
        }
        report
    })?;
    let changed = format!("$LATEST of {function} was set to {}", source.describe());
    let settled = wait_until_updated(&client, &function, max_wait, Some(&changed)).await?;
    progress(format!(
        "✨ Code of {function} updated ({})",
        source.describe()
    ));
    let mut outputs = Outputs::new();
    outputs.set(
        "LAMBDA_CODE_SHA256",
        settled.code_sha256.unwrap_or_default(),
    );
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(package: &str, image: &str, bucket: &str, key: &str) -> CodeSettings {
        CodeSettings {
            function_name: "f".into(),
            package_type: package.into(),
            image_uri: image.into(),
            s3_bucket: bucket.into(),
            s3_key: key.into(),
            max_wait_seconds: 1,
        }
    }

    #[test]
    fn code_source_is_validated_before_any_call() {
        let zip = CodeSource::from_settings(&settings("Zip", "", "b", "k/app.zip")).unwrap();
        assert_eq!(
            zip,
            CodeSource::S3 {
                bucket: "b".into(),
                key: "k/app.zip".into()
            }
        );
        let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1";
        assert_eq!(
            CodeSource::from_settings(&settings("Image", image, "", "")).unwrap(),
            CodeSource::Image(image.into())
        );
        for bad in [
            settings("Zip", "", "b", ""),
            settings("Image", "", "", ""),
            settings("Image", "nginx:latest", "", ""),
            settings("Jar", "", "", ""),
        ] {
            assert_eq!(CodeSource::from_settings(&bad).unwrap_err().exit_code, 2);
        }
    }
}
