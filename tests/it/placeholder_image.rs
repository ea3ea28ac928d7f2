//! The placeholder image (placeholder/): its Dockerfile runs the handler it copies, the
//! handler answers as the Zip placeholder does, and placeholder/publish — run against
//! moto's ECR with a recording docker — pushes one single-architecture image per Lambda
//! architecture, skips tags already published, and refuses bad input or missing tools
//! with the project's error shape before calling anything.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{aws_cli, repo_root, text, MotoServer};

const REPOSITORY_NAME: &str = "aws-lambda/nullplatform-lambda-placeholder";

fn repository(moto_region: &str) -> String {
    format!("123456789012.dkr.ecr.{moto_region}.amazonaws.com/{REPOSITORY_NAME}")
}

fn publish() -> PathBuf {
    repo_root().join("placeholder/publish")
}

/// A docker that records its arguments (one line each call) and, for `login`, whether a
/// password arrived on stdin; `buildx version` fails when `NO_BUILDX` is set.
fn recording_docker(dir: &Path) -> PathBuf {
    let docker = dir.join("docker");
    std::fs::write(
        &docker,
        r#"#!/bin/sh
echo "$*" >> "$DOCKER_LOG"
case "$1 $2" in
  "buildx version") [ -z "$NO_BUILDX" ] || exit 1; echo "github.com/docker/buildx v0.20.0" ;;
  "login --username")
    password=$(cat)
    [ -n "$password" ] && echo "password on stdin" >> "$DOCKER_LOG"
    echo "Login Succeeded" ;;
esac
exit 0
"#,
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
    docker
}

struct Publish {
    output: Output,
    docker_calls: Vec<String>,
}

impl Publish {
    fn all(&self) -> String {
        format!("{}{}", text(&self.output.stdout), text(&self.output.stderr))
    }
}

fn run_publish(moto: Option<&MotoServer>, args: &[&str], env: &[(&str, &str)]) -> Publish {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("docker.log");
    let mut command = Command::new(publish());
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .env("DOCKER", recording_docker(dir.path()))
        .env("DOCKER_LOG", &log)
        .env("AWS_CLI", aws_cli());
    if let Some(moto) = moto {
        command.envs(moto.aws_env());
    }
    command.envs(env.iter().copied());
    let output = command.output().expect("run placeholder/publish");
    let docker_calls = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    Publish {
        output,
        docker_calls,
    }
}

fn assert_error_shape(run: &Publish, says: &str) {
    let all = run.all();
    assert!(!run.output.status.success(), "succeeded: {all}");
    for mark in ["❌", "💡", "🔧", says] {
        assert!(all.contains(mark), "no {mark:?} in: {all}");
    }
}

fn builds(run: &Publish) -> Vec<&String> {
    run.docker_calls
        .iter()
        .filter(|call| call.starts_with("buildx build"))
        .collect()
}

#[test]
fn help_names_the_options_and_what_to_set_afterwards() {
    let run = run_publish(None, &["--help"], &[]);
    let out = text(&run.output.stdout);
    assert!(run.output.status.success(), "{}", run.all());
    for needle in [
        "--repository",
        "--tag",
        "linux/arm64",
        "linux/amd64",
        "PLACEHOLDER_IMAGE_URI_DEFAULT",
        "placeholder_repository_url",
    ] {
        assert!(
            out.contains(needle),
            "--help does not mention {needle}: {out}"
        );
    }
    assert!(run.docker_calls.is_empty());
}

#[test]
fn bad_arguments_are_refused_before_anything_runs() {
    for (args, says) in [
        (vec![], "no --repository given"),
        (vec!["--repository"], "--repository needs a value"),
        (
            vec!["--repository", "public.ecr.aws/nullplatform/placeholder"],
            "is not a private ECR repository",
        ),
        (
            vec![
                "--repository",
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/ph:latest",
            ],
            "is not a private ECR repository",
        ),
        (
            vec![
                "--repository",
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/ph",
                "--tag",
                "v1;rm",
            ],
            "is not a usable tag",
        ),
        (vec!["--push-everything"], "unknown argument"),
    ] {
        let run = run_publish(None, &args, &[]);
        assert_error_shape(&run, says);
        assert_eq!(run.output.status.code(), Some(2), "{args:?}");
        assert!(
            run.docker_calls.is_empty(),
            "{args:?}: {:?}",
            run.docker_calls
        );
    }
}

#[test]
fn missing_docker_buildx_or_aws_fail_clearly() {
    let repo = repository("us-east-1");
    let args = ["--repository", repo.as_str()];
    let no_docker = run_publish(None, &args, &[("DOCKER", "/nonexistent/docker")]);
    assert_error_shape(&no_docker, "docker (/nonexistent/docker) was not found");

    let no_buildx = run_publish(None, &args, &[("NO_BUILDX", "1")]);
    assert_error_shape(&no_buildx, "docker buildx is not available");
    assert!(builds(&no_buildx).is_empty());

    let no_aws = run_publish(None, &args, &[("AWS_CLI", "/nonexistent/aws")]);
    assert_error_shape(&no_aws, "the AWS CLI (/nonexistent/aws) was not found");
    assert!(builds(&no_aws).is_empty());
}

#[test]
fn a_missing_repository_points_at_the_install_module() {
    let moto = MotoServer::start();
    let repo = repository("us-east-1");
    let run = run_publish(Some(&moto), &["--repository", &repo], &[]);
    assert_error_shape(&run, "create_placeholder_repository = true");
    assert!(builds(&run).is_empty(), "{:?}", run.docker_calls);
}

#[test]
fn publishes_one_single_architecture_image_per_architecture() {
    let moto = MotoServer::start();
    moto.aws(&[
        "ecr",
        "create-repository",
        "--repository-name",
        REPOSITORY_NAME,
        "--image-tag-mutability",
        "IMMUTABLE",
    ]);
    let repo = repository("us-east-1");
    let run = run_publish(Some(&moto), &["--repository", &repo, "--tag", "v2"], &[]);
    assert!(run.output.status.success(), "{}", run.all());

    // Logged in to the registry with the password through stdin, never as an argument.
    let registry = repo.split('/').next().unwrap();
    assert!(
        run.docker_calls
            .contains(&format!("login --username AWS --password-stdin {registry}")),
        "{:?}",
        run.docker_calls
    );
    assert!(run.docker_calls.contains(&"password on stdin".to_string()));

    let built = builds(&run);
    assert_eq!(built.len(), 2, "{:?}", run.docker_calls);
    let placeholder_dir = repo_root().join("placeholder");
    for (call, arch) in built.iter().zip(["arm64", "amd64"]) {
        for part in [
            format!("--platform linux/{arch}"),
            format!("--tag {repo}:v2-{arch}"),
            "--provenance=false".to_string(),
            "--sbom=false".to_string(),
            "--push".to_string(),
        ] {
            assert!(call.contains(&part), "{call} lacks {part}");
        }
        assert!(
            call.ends_with(&placeholder_dir.display().to_string()),
            "{call}"
        );
    }
    let out = text(&run.output.stdout);
    assert!(out.contains(&format!("{repo}:v2-arm64")), "{out}");
    assert!(out.contains(&format!("{repo}:v2-amd64")), "{out}");
}

#[test]
fn tags_already_published_are_left_alone() {
    let moto = MotoServer::start();
    moto.aws(&[
        "ecr",
        "create-repository",
        "--repository-name",
        REPOSITORY_NAME,
    ]);
    moto.put_image(REPOSITORY_NAME, "v1-arm64", &[]);
    let repo = repository("us-east-1");
    let run = run_publish(Some(&moto), &["--repository", &repo], &[]);
    assert!(run.output.status.success(), "{}", run.all());
    let built = builds(&run);
    assert_eq!(built.len(), 1, "{:?}", run.docker_calls);
    assert!(built[0].contains("--platform linux/amd64"), "{}", built[0]);
    assert!(
        text(&run.output.stdout).contains("v1-arm64 is already published"),
        "{}",
        run.all()
    );
}

#[test]
fn the_image_runs_the_handler_it_copies_and_answers_like_the_zip_placeholder() {
    let dockerfile = std::fs::read_to_string(repo_root().join("placeholder/Dockerfile")).unwrap();
    let from = dockerfile
        .lines()
        .find(|l| l.starts_with("FROM "))
        .expect("no FROM");
    assert!(
        from.starts_with("FROM public.ecr.aws/lambda/nodejs:"),
        "a Lambda base image: {from}"
    );
    assert!(dockerfile.contains("COPY index.mjs ${LAMBDA_TASK_ROOT}/"));
    assert!(dockerfile.contains(r#"CMD ["index.handler"]"#));
    // The handler, run by node: the 503 the Zip placeholder answers.
    let node =
        crate::common::which("node").expect("node is needed to run the placeholder's handler");
    let handler = repo_root().join("placeholder/index.mjs");
    let script = format!(
        "import('{}').then(async m => console.log(JSON.stringify(await m.handler({{}}, {{}}))))",
        handler.display()
    );
    let out = Command::new(node)
        .args(["--input-type=module", "-e", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["statusCode"], 503);
    assert_eq!(answer["body"], "No deployment yet");
}
