//! resolve-placeholder-image through its shim: the Zip package written and readable,
//! and for Image scopes the URI checked against moto's ECR (found by tag, by digest,
//! `:latest` added only when untagged, not found) or rejected before any call.

use std::path::Path;

use crate::common::{bash, bin_dir, repo_root, text, MotoServer};
use serde_json::Value;

const REPO: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/np/placeholder";

struct Run {
    code: i32,
    stdout: String,
    exported: Value,
}

fn run(moto: &MotoServer, dir: &Path, extra: &[(&str, &str)]) -> Run {
    let mut env = moto.aws_env();
    env.push(("SCOPE_BIN_DIR".into(), bin_dir().display().to_string()));
    env.push(("OUTPUT_DIR".into(), dir.display().to_string()));
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let script = r#"
source steps/resolve-placeholder-image; rc=$?
python3 -c 'import json,os; print(json.dumps({k: os.environ.get(k) for k in ["LAMBDA_FILENAME","PLACEHOLDER_IMAGE_URI"]}))'
exit $rc
"#;
    let output = bash(script, &env, &repo_root());
    let stdout = text(&output.stdout);
    let last = stdout.lines().last().unwrap_or("{}").to_string();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: format!("{stdout}{}", text(&output.stderr)),
        exported: serde_json::from_str(&last).unwrap_or(Value::Null),
    }
}

/// Pushes an image manifest to moto's ECR under `tag` and returns its digest.
fn push(moto: &MotoServer, tag: &str) -> String {
    moto.put_image("np/placeholder", tag, &[])
}

/// The placeholder's ECR repository in moto.
fn create_repository(moto: &MotoServer) {
    moto.aws(&[
        "ecr",
        "create-repository",
        "--repository-name",
        "np/placeholder",
    ]);
}

/// resolve-placeholder-image for an Image scope configured with `uri`, plus `extra`.
fn run_image(moto: &MotoServer, dir: &Path, uri: &str, extra: &[(&str, &str)]) -> Run {
    let mut env = vec![("PACKAGE_TYPE", "Image"), ("PLACEHOLDER_IMAGE_URI", uri)];
    env.extend_from_slice(extra);
    run(moto, dir, &env)
}

fn describe_calls(moto: &MotoServer) -> Vec<crate::common::RecordedRequest> {
    moto.calls("DescribeImages")
}

#[test]
fn zip_scope_gets_the_embedded_package() {
    let moto = MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let run = run(&moto, dir.path(), &[("PACKAGE_TYPE", "Zip")]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let path = run.exported["LAMBDA_FILENAME"].as_str().unwrap();
    assert_eq!(Path::new(path), dir.path().join("placeholder.zip"));
    assert_eq!(run.exported["PLACEHOLDER_IMAGE_URI"], "");
    // A real zip reader accepts it, CRCs included, with the default handlers inside.
    let check = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(' '.join(sorted(z.namelist()))); print(z.read('index.js').decode())",
            path,
        ])
        .output()
        .unwrap();
    let listing = text(&check.stdout);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(
        listing.starts_with("index.js index.mjs lambda_function.py"),
        "{listing}"
    );
    assert!(listing.contains("exports.handler"), "{listing}");
    assert!(describe_calls(&moto).is_empty());
}

#[test]
fn image_found_by_tag_or_digest_is_kept_exactly() {
    let moto = MotoServer::start();
    create_repository(&moto);
    let digest = push(&moto, "v1");
    let dir = tempfile::tempdir().unwrap();

    let tagged = format!("{REPO}:v1");
    let run1 = run_image(&moto, dir.path(), &tagged, &[]);
    assert_eq!(run1.code, 0, "{}", run1.stdout);
    assert_eq!(run1.exported["PLACEHOLDER_IMAGE_URI"], tagged.as_str());

    let pinned = format!("{REPO}@{digest}");
    let run2 = run_image(&moto, dir.path(), &pinned, &[]);
    assert_eq!(run2.code, 0, "{}", run2.stdout);
    assert_eq!(run2.exported["PLACEHOLDER_IMAGE_URI"], pinned.as_str());

    let calls = describe_calls(&moto);
    assert_eq!(calls.len(), 2);
    assert!(
        calls[0].body.contains("\"imageTag\":\"v1\""),
        "{}",
        calls[0].body
    );
    assert!(calls[1].body.contains(&digest), "{}", calls[1].body);
    assert!(calls[0].body.contains("\"registryId\":\"123456789012\""));
}

#[test]
fn untagged_image_means_latest_and_must_exist() {
    let moto = MotoServer::start();
    create_repository(&moto);
    let dir = tempfile::tempdir().unwrap();
    let env = [("PACKAGE_TYPE", "Image"), ("PLACEHOLDER_IMAGE_URI", REPO)];

    // Nothing pushed yet: not found, with the fix.
    let missing = run(&moto, dir.path(), &env);
    assert_eq!(missing.code, 1, "{}", missing.stdout);
    assert!(
        missing.stdout.contains(&format!(
            "❌ the placeholder image `{REPO}:latest` was not found"
        )),
        "{}",
        missing.stdout
    );
    assert!(missing.stdout.contains("🔧 push it"), "{}", missing.stdout);
    // Nothing was exported: the variable is still the configured value.
    assert_eq!(missing.exported["PLACEHOLDER_IMAGE_URI"], REPO);

    push(&moto, "latest");
    let found = run(&moto, dir.path(), &env);
    assert_eq!(found.code, 0, "{}", found.stdout);
    assert_eq!(
        found.exported["PLACEHOLDER_IMAGE_URI"],
        format!("{REPO}:latest").as_str()
    );
}

#[test]
fn public_or_other_region_images_are_rejected_before_any_call() {
    let moto = MotoServer::start();
    let dir = tempfile::tempdir().unwrap();
    for uri in [
        "public.ecr.aws/lambda/nodejs:20",
        "nginx:latest",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/np/placeholder:v1",
    ] {
        let run = run(
            &moto,
            dir.path(),
            &[("PACKAGE_TYPE", "Image"), ("PLACEHOLDER_IMAGE_URI", uri)],
        );
        assert_eq!(run.code, 2, "{uri}: {}", run.stdout);
        assert!(
            run.stdout.contains("❌ the placeholder image"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("PLACEHOLDER_IMAGE_URI_DEFAULT"),
            "{}",
            run.stdout
        );
    }
    let none = run(&moto, dir.path(), &[("PACKAGE_TYPE", "Image")]);
    assert_eq!(none.code, 2, "{}", none.stdout);
    assert!(none
        .stdout
        .contains("❌ no placeholder image is configured"));
    assert!(describe_calls(&moto).is_empty());
}

#[test]
fn one_setting_with_the_arch_mark_serves_both_architectures() {
    // placeholder/publish pushes <tag>-arm64 and <tag>-amd64; `{arch}` picks the one of
    // the function's architecture, which is then looked up as usual.
    let moto = MotoServer::start();
    create_repository(&moto);
    push(&moto, "v1-arm64");
    push(&moto, "v1-amd64");
    let dir = tempfile::tempdir().unwrap();
    let template = format!("{REPO}:v1-{{arch}}");
    for (architecture, tag) in [("arm64", "v1-arm64"), ("x86_64", "v1-amd64")] {
        let run = run_image(
            &moto,
            dir.path(),
            &template,
            &[("ARCHITECTURE", architecture)],
        );
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert_eq!(
            run.exported["PLACEHOLDER_IMAGE_URI"],
            format!("{REPO}:{tag}").as_str()
        );
    }
    let calls = describe_calls(&moto);
    assert_eq!(calls.len(), 2);
    assert!(
        calls[0].body.contains("\"imageTag\":\"v1-arm64\""),
        "{}",
        calls[0].body
    );
    assert!(
        calls[1].body.contains("\"imageTag\":\"v1-amd64\""),
        "{}",
        calls[1].body
    );

    // Without an architecture the mark cannot be filled: refused before any call.
    let run = run_image(&moto, dir.path(), &template, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("ARCHITECTURE is not set"),
        "{}",
        run.stdout
    );
    assert_eq!(describe_calls(&moto).len(), 2);
}
