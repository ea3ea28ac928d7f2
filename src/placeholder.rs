//! The code a new function is created with before its first deployment: for Zip
//! scopes a tiny package embedded in the binary, for Image scopes a placeholder image
//! that must already exist in a private ECR repository of the function's region.

use std::path::{Path, PathBuf};

use aws_sdk_ecr::types::ImageIdentifier;

use crate::aws::{sdk_config, CallFailure};
use crate::ecr::{EcrImage, ImageReference};
use crate::report::StepError;
use crate::step::{progress, Outputs};

pub use crate::step::Env;

/// The placeholder package's files: a handler for the Node.js and Python defaults
/// (`index.handler`, `lambda_function.lambda_handler`) that answers 503 until the
/// first deployment replaces the code.
const PLACEHOLDER_FILES: &[(&str, &str)] = &[
    (
        "index.js",
        "exports.handler = async () => ({ statusCode: 503, body: 'No deployment yet' });\n",
    ),
    (
        "index.mjs",
        "export const handler = async () => ({ statusCode: 503, body: 'No deployment yet' });\n",
    ),
    (
        "lambda_function.py",
        "def lambda_handler(event, context):\n    return {'statusCode': 503, 'body': 'No deployment yet'}\n",
    ),
];

/// The file name the package is written as in OUTPUT_DIR.
pub const PLACEHOLDER_ZIP: &str = "placeholder.zip";

/// CRC-32 (IEEE), as the zip format needs for each entry.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// A zip archive of `files`, stored without compression (a few hundred bytes; every
/// unzip and Lambda reads it). Timestamps are fixed so the bytes never change.
pub fn zip_archive(files: &[(&str, &str)]) -> Vec<u8> {
    const DOS_TIME: u16 = 0;
    const DOS_DATE: u16 = (2020 - 1980) << 9 | 1 << 5 | 1;
    let mut archive = Vec::new();
    let mut central = Vec::new();
    for (name, content) in files {
        let offset = archive.len() as u32;
        let crc = crc32(content.as_bytes());
        let size = content.len() as u32;
        let name_len = name.len() as u16;
        // Local file header.
        archive.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        archive.extend_from_slice(&20u16.to_le_bytes()); // version needed
        archive.extend_from_slice(&0u16.to_le_bytes()); // flags
        archive.extend_from_slice(&0u16.to_le_bytes()); // stored
        archive.extend_from_slice(&DOS_TIME.to_le_bytes());
        archive.extend_from_slice(&DOS_DATE.to_le_bytes());
        archive.extend_from_slice(&crc.to_le_bytes());
        archive.extend_from_slice(&size.to_le_bytes());
        archive.extend_from_slice(&size.to_le_bytes());
        archive.extend_from_slice(&name_len.to_le_bytes());
        archive.extend_from_slice(&0u16.to_le_bytes()); // extra length
        archive.extend_from_slice(name.as_bytes());
        archive.extend_from_slice(content.as_bytes());
        // Central directory entry (files readable by everyone: 0644 in the high bits).
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&(3u16 << 8 | 20).to_le_bytes()); // made by: unix
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&DOS_TIME.to_le_bytes());
        central.extend_from_slice(&DOS_DATE.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes()); // extra
        central.extend_from_slice(&0u16.to_le_bytes()); // comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = archive.len() as u32;
    let central_size = central.len() as u32;
    archive.extend_from_slice(&central);
    archive.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    archive.extend_from_slice(&0u16.to_le_bytes());
    archive.extend_from_slice(&0u16.to_le_bytes());
    archive.extend_from_slice(&(files.len() as u16).to_le_bytes());
    archive.extend_from_slice(&(files.len() as u16).to_le_bytes());
    archive.extend_from_slice(&central_size.to_le_bytes());
    archive.extend_from_slice(&central_offset.to_le_bytes());
    archive.extend_from_slice(&0u16.to_le_bytes());
    archive
}

/// Writes the placeholder package into `dir` and returns its path.
pub fn write_placeholder_zip(dir: &Path) -> Result<PathBuf, StepError> {
    let path = dir.join(PLACEHOLDER_ZIP);
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, zip_archive(PLACEHOLDER_FILES)))
        .map_err(|err| {
            StepError::new(format!("could not write {}: {err}", path.display()))
                .cause("OUTPUT_DIR is not writable, or the disk is full")
                .fix("check the permissions of OUTPUT_DIR (build-scope-context creates it)")
        })?;
    Ok(path)
}

/// The mark a configured placeholder URI may carry in its tag, replaced by the
/// function's architecture as `placeholder/publish` names its images: one setting then
/// serves arm64 and x86_64 scopes (Lambda rejects multi-architecture images).
pub const ARCH_MARK: &str = "{arch}";

/// `uri` with [`ARCH_MARK`] replaced for `architecture` (`arm64` → `arm64`, `x86_64` →
/// `amd64`); a URI without the mark is returned as it is.
pub fn for_architecture(uri: &str, architecture: Option<&str>) -> Result<String, StepError> {
    if !uri.contains(ARCH_MARK) {
        return Ok(uri.to_string());
    }
    let suffix =
        match architecture.map(str::trim) {
            Some("arm64") => "arm64",
            Some("x86_64") => "amd64",
            Some(other) => return Err(StepError::new(format!(
                "the placeholder image `{}` names {ARCH_MARK}, and ARCHITECTURE is '{other}'",
                uri.trim()
            ))
            .cause(
                "only arm64 and x86_64 functions have placeholder images (tags -arm64 and -amd64)",
            )
            .fix(
                "set the scope's architecture to arm64 or x86_64, or name one image without {arch}",
            )
            .usage()),
            None => {
                return Err(StepError::new(format!(
                    "the placeholder image `{}` names {ARCH_MARK}, and ARCHITECTURE is not set",
                    uri.trim()
                ))
                .cause("build-scope-context did not run before this step")
                .fix("run build-scope-context first; it emits the scope's ARCHITECTURE")
                .usage())
            }
        };
    Ok(uri.replace(ARCH_MARK, suffix))
}

/// The URI Lambda is given: exactly as configured, with `:latest` only when it names
/// neither a tag nor a digest.
pub fn pinned_uri(uri: &str, image: &EcrImage) -> String {
    match image.reference {
        ImageReference::Untagged => format!("{}:latest", uri.trim()),
        _ => uri.trim().to_string(),
    }
}

fn placeholder_fix(err: StepError) -> StepError {
    err.fix("Lambda needs a private ECR image in the function's account and region: publish one there and set deployment.placeholder_image_uri in the scope-configurations provider, or PLACEHOLDER_IMAGE_URI_DEFAULT in values.yaml")
}

/// Parses the placeholder image URI; a public or non-ECR image is rejected with the fix.
pub fn parse_placeholder(uri: &str, region: Option<&str>) -> Result<EcrImage, StepError> {
    let image = EcrImage::parse(uri).map_err(|parse_err| {
        placeholder_fix(
            StepError::new(format!(
                "the placeholder image `{}` is not a private ECR image",
                uri.trim()
            ))
            .cause(parse_err.what)
            .cause(
                "public registries (Docker Hub, public.ecr.aws, ghcr.io) cannot be used by Lambda",
            )
            .usage(),
        )
    })?;
    if let Some(region) = region {
        if image.region != region {
            return Err(placeholder_fix(
                StepError::new(format!(
                    "the placeholder image `{}` is in {}, the function in {region}",
                    uri.trim(),
                    image.region
                ))
                .cause("Lambda only runs images from ECR in the function's own region")
                .usage(),
            ));
        }
    }
    Ok(image)
}

/// Checks the image exists (`ecr:DescribeImages` in its repository).
pub async fn check_image_exists(image: &EcrImage, uri: &str) -> Result<(), StepError> {
    let config = sdk_config().await?;
    let client = aws_sdk_ecr::Client::new(&config);
    let id = match &image.reference {
        ImageReference::Digest(digest) => ImageIdentifier::builder().image_digest(digest),
        ImageReference::Tag(tag) => ImageIdentifier::builder().image_tag(tag),
        ImageReference::Untagged => ImageIdentifier::builder().image_tag("latest"),
    }
    .build();
    let result = client
        .describe_images()
        .registry_id(&image.account)
        .repository_name(&image.repository)
        .image_ids(id)
        .send()
        .await;
    match result {
        Ok(found) if !found.image_details().is_empty() => Ok(()),
        Ok(_) => Err(not_found(uri, image, "no such image")),
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            if failure.is_not_found() {
                Err(not_found(uri, image, &failure.summary()))
            } else if failure.is_access_denied() {
                Err(StepError::new(format!(
                    "not allowed to check the placeholder image `{uri}`: {}",
                    failure.summary()
                ))
                .cause(format!(
                    "the assumed role lacks ecr:DescribeImages on {}",
                    image.repository_arn()
                ))
                .fix("add the repository to the install module's ecr_repositories (iam-policy renders the statement) and re-apply it"))
            } else {
                Err(StepError::new(format!(
                    "could not check the placeholder image `{uri}`: {}",
                    failure.summary()
                ))
                .cause("ECR was unreachable or throttled")
                .fix("re-run the action; raise AWS_MAX_ATTEMPTS if it keeps happening"))
            }
        }
    }
}

fn not_found(uri: &str, image: &EcrImage, detail: &str) -> StepError {
    placeholder_fix(
        StepError::new(format!(
            "the placeholder image `{uri}` was not found in ECR ({detail})"
        ))
        .cause(format!(
            "the image or its repository {} does not exist, or the tag was deleted",
            image.repository_arn()
        ))
        .fix(format!(
            "push it: `docker push {uri}`, or check `aws ecr describe-images --repository-name {} --region {}`",
            image.repository, image.region
        )),
    )
}

/// The resolve-placeholder-image step. Both outputs are always set (the one that does
/// not apply is empty), so workflows can declare both for every scope.
pub async fn resolve_placeholder_step(env: Env<'_>) -> Result<Outputs, StepError> {
    let package_type = env("PACKAGE_TYPE").ok_or_else(|| {
        StepError::new("PACKAGE_TYPE is not set")
            .cause("build-scope-context did not run before this step")
            .fix("run build-scope-context first")
            .usage()
    })?;
    let mut outputs = Outputs::new();
    match package_type.as_str() {
        "Zip" => {
            let dir = env("OUTPUT_DIR").ok_or_else(|| {
                StepError::new("OUTPUT_DIR is not set")
                    .cause("build-scope-context did not run before this step")
                    .fix("run build-scope-context first")
                    .usage()
            })?;
            let path = write_placeholder_zip(Path::new(&dir))?;
            progress(format!(
                "📦 placeholder package written to {}",
                path.display()
            ));
            outputs
                .set("LAMBDA_FILENAME", path.display().to_string())
                .set("PLACEHOLDER_IMAGE_URI", "");
        }
        "Image" => {
            let configured = env("PLACEHOLDER_IMAGE_URI").ok_or_else(|| {
                placeholder_fix(
                    StepError::new("no placeholder image is configured for this Image scope")
                        .cause("a container-image function must be created from an image, before the first deployment")
                        .usage(),
                )
            })?;
            let uri = for_architecture(&configured, env("ARCHITECTURE").as_deref())?;
            let region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
            let image = parse_placeholder(&uri, region.as_deref())?;
            let pinned = pinned_uri(&uri, &image);
            check_image_exists(&image, &pinned).await?;
            progress(format!("🐳 placeholder image {pinned} found in ECR"));
            outputs
                .set("LAMBDA_FILENAME", "")
                .set("PLACEHOLDER_IMAGE_URI", pinned);
        }
        other => {
            return Err(
                StepError::new(format!("PACKAGE_TYPE is '{other}', expected Zip or Image"))
                    .fix("run build-scope-context first; it derives PACKAGE_TYPE from the scope")
                    .usage(),
            )
        }
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_arch_mark_names_the_functions_architecture() {
        let uri = "1.dkr.ecr.us-east-1.amazonaws.com/p:v1-{arch}";
        assert_eq!(
            super::for_architecture(uri, Some("arm64")).unwrap(),
            "1.dkr.ecr.us-east-1.amazonaws.com/p:v1-arm64"
        );
        assert_eq!(
            super::for_architecture(uri, Some("x86_64")).unwrap(),
            "1.dkr.ecr.us-east-1.amazonaws.com/p:v1-amd64"
        );
        let unknown = super::for_architecture(uri, Some("riscv")).unwrap_err();
        assert!(unknown.what.contains("'riscv'"), "{}", unknown.what);
        let unset = super::for_architecture(uri, None).unwrap_err();
        assert!(unset.what.contains("not set"), "{}", unset.what);
        // Without the mark the URI is kept, whatever the architecture.
        assert_eq!(
            super::for_architecture("1.dkr.ecr.us-east-1.amazonaws.com/p:v1", None).unwrap(),
            "1.dkr.ecr.us-east-1.amazonaws.com/p:v1"
        );
    }

    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn zip_is_stable_and_well_formed() {
        let bytes = zip_archive(PLACEHOLDER_FILES);
        assert_eq!(bytes, zip_archive(PLACEHOLDER_FILES));
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        let end = &bytes[bytes.len() - 22..];
        assert_eq!(&end[..4], b"PK\x05\x06");
        assert_eq!(
            u16::from_le_bytes([end[10], end[11]]) as usize,
            PLACEHOLDER_FILES.len()
        );
    }

    #[test]
    fn latest_is_added_only_without_tag_or_digest() {
        let uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/placeholder";
        let image = parse_placeholder(uri, Some("us-east-1")).unwrap();
        assert_eq!(pinned_uri(uri, &image), format!("{uri}:latest"));
        let tagged = format!("{uri}:v1");
        let image = parse_placeholder(&tagged, None).unwrap();
        assert_eq!(pinned_uri(&tagged, &image), tagged);
        let digest = format!("{uri}@sha256:{}", "a".repeat(64));
        let image = parse_placeholder(&digest, None).unwrap();
        assert_eq!(pinned_uri(&digest, &image), digest);
    }

    #[test]
    fn public_and_foreign_region_images_are_rejected_with_the_fix() {
        for uri in [
            "public.ecr.aws/lambda/nodejs:20",
            "docker.io/library/nginx:latest",
        ] {
            let err = parse_placeholder(uri, None).unwrap_err();
            assert_eq!(err.exit_code, 2);
            assert!(
                err.fixes
                    .iter()
                    .any(|f| f.contains("PLACEHOLDER_IMAGE_URI_DEFAULT")),
                "{err}"
            );
        }
        let err = parse_placeholder(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/placeholder:v1",
            Some("us-east-1"),
        )
        .unwrap_err();
        assert!(err.what.contains("is in eu-west-1"), "{err}");
    }
}
