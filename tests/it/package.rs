//! The release package as an operator installs it: `scripts/dist` packs the binary this
//! test run built, the tarball is unpacked into an empty folder, and the initial
//! deployment runs through the package's own `entrypoint` (local runner) against moto,
//! with nothing of the repository on PATH (no cargo, no target/, no SCOPE_BIN_DIR).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{np_env, repo_root, text, MotoServer};
use lambda_scope::commands::{self, Kind};
use serde_json::{json, Value};

const FUNCTION: &str = "7-automation-development-tools";
const REGION: &str = "us-east-2";
const BUCKET: &str = "acme-assets";

fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => panic!("no package for {other}"),
    }
}

/// Runs `scripts/dist --binary <this run's lambda-scope> --out <dir>`; returns the tarball.
fn dist(out: &Path) -> PathBuf {
    let output = Command::new(repo_root().join("scripts/dist"))
        .arg("--binary")
        .arg(env!("CARGO_BIN_EXE_lambda-scope"))
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "scripts/dist failed:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let version = env!("CARGO_PKG_VERSION");
    let tarball = out.join(format!("lambda-scope-{version}-linux-{}.tar.gz", arch()));
    assert!(tarball.is_file(), "no {}", tarball.display());
    tarball
}

fn unpack(tarball: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(tarball)
        .arg("-C")
        .arg(into)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn the_tarball_holds_the_binary_a_link_per_command_and_what_the_agent_runs() {
    let dir = tempfile::tempdir().unwrap();
    let tarball = dist(&dir.path().join("dist"));

    // SHA256SUMS names the tarball and its digest is right.
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(dir.path().join("dist"))
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check.stdout));
    assert!(text(&check.stdout).contains(tarball.file_name().unwrap().to_str().unwrap()));

    let package = dir.path().join("package");
    unpack(&tarball, &package);
    let bin = package.join(format!("bin/linux-{}", arch()));
    assert!(bin.join("lambda-scope").is_file());
    for command in commands::COMMANDS {
        let link = bin.join(command.name);
        let target = std::fs::read_link(&link)
            .unwrap_or_else(|err| panic!("{}: not a link ({err})", link.display()));
        assert_eq!(target, Path::new("lambda-scope"), "{}", command.name);
    }
    // A step's former names are linked and kept as shims too.
    let aliases: Vec<&str> = commands::COMMANDS
        .iter()
        .flat_map(|command| command.aliases.iter().copied())
        .collect();
    assert!(aliases.contains(&"tofu-step"), "{aliases:?}");
    for alias in aliases {
        let target = std::fs::read_link(bin.join(alias))
            .unwrap_or_else(|err| panic!("{alias}: not a link ({err})"));
        assert_eq!(target, Path::new("lambda-scope"), "{alias}");
        assert!(package.join("steps").join(alias).is_file(), "steps/{alias}");
    }
    for path in [
        "steps/_run",
        "steps/_locate",
        "workflows/deployment/initial.yaml",
        "specs/tofu",
        "tofu/provider",
        "values.yaml",
        "entrypoint",
        "lambda/entrypoint",
        "README.md",
        "LICENSE",
    ] {
        assert!(
            package.join(path).exists(),
            "{path} missing from the package"
        );
    }
    for step in commands::COMMANDS.iter().filter(|c| c.kind == Kind::Step) {
        assert!(
            package.join("steps").join(step.name).is_file(),
            "{}",
            step.name
        );
    }
    // Nothing of the build: no target/, no sources, no tests.
    for absent in ["target", "src", "tests", "Cargo.toml", ".git"] {
        assert!(!package.join(absent).exists(), "{absent} is in the package");
    }

    // A step runs by its link name, as an operator finds it on PATH.
    let help = Command::new(bin.join("assume-role"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(text(&help.stdout).contains("Resolves the IAM role"));
    let former = Command::new(bin.join("assume-role-step"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(former.status.success());
    assert!(text(&former.stdout).contains("Resolves the IAM role"));
}

/// A folder for PATH holding only what the package may need besides bash: the np
/// stand-in (and the python3 it runs on). No cargo, no target/, no repository scripts.
fn tools_dir(dir: &Path) -> PathBuf {
    let tools = dir.join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let python = crate::common::which("python3").expect("python3 (the np stand-in runs on it)");
    std::os::unix::fs::symlink(python, tools.join("python3")).unwrap();
    tools
}

fn run_entrypoint(package: &Path, env: &[(String, String)]) -> Output {
    Command::new("bash")
        .arg(package.join("entrypoint"))
        .arg(format!("--service-path={}", package.display()))
        .current_dir(package)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap()
}

#[test]
fn the_unpacked_package_runs_the_initial_deployment_through_its_entrypoint() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("package");
    unpack(&dist(&dir.path().join("dist")), &package);

    let moto = MotoServer::start();
    let role = moto.create_role("np-lambda-deployer");
    let zip = dir.path().join("code.zip");
    crate::common::write_zip(&zip, "exports.handler = async () => 'v0';");
    let release = dir.path().join("app.zip");
    crate::common::write_zip(&release, "exports.handler = async () => 'v1';");
    moto.aws(&[
        "s3api",
        "create-bucket",
        "--bucket",
        BUCKET,
        "--create-bucket-configuration",
        "LocationConstraint=us-east-2",
        "--region",
        REGION,
    ]);
    moto.aws(&[
        "s3api",
        "put-object",
        "--bucket",
        BUCKET,
        "--key",
        "v1/app.zip",
        "--body",
        &release.display().to_string(),
        "--region",
        REGION,
    ]);
    moto.create_zip_function(FUNCTION, REGION, &role, &zip, &[]);

    let mut context = crate::common::context_fixture("deployment-initial-zip.json");
    context["deployment"]["id"] = json!(8);
    context["asset"]["url"] = json!(format!("s3://{BUCKET}/v1/app.zip"));
    let context_file = dir.path().join("built-context.json");
    std::fs::write(&context_file, context.to_string()).unwrap();
    let notification = std::fs::read_to_string(
        repo_root().join("tests/fixtures/notifications/start-initial.json"),
    )
    .unwrap();

    let tools = tools_dir(dir.path());
    let mut env = moto.aws_env();
    env.extend(np_env(dir.path(), json!([])));
    env.extend([
        (
            "PATH".to_string(),
            format!("{}:/usr/bin:/bin", tools.display()),
        ),
        ("HOME".into(), dir.path().display().to_string()),
        ("NP_ACTION_CONTEXT".into(), format!("'{notification}'")),
        ("SCOPE_WORKFLOW_RUNNER".into(), "local".into()),
        ("SCOPE_WORKFLOW_STRICT".into(), "true".into()),
        (
            "SCOPE_WORKFLOW_CONTEXT".into(),
            context_file.display().to_string(),
        ),
        ("SCOPE_CREDENTIALS_CACHE_DIR".into(), "off".into()),
        ("ASSUME_ROLE_ARN".into(), role.clone()),
        (
            "NP_OUTPUT_DIR".into(),
            dir.path().join("out").display().to_string(),
        ),
    ]);
    assert!(
        !env.iter().any(|(k, _)| k == "SCOPE_BIN_DIR"),
        "the package must find its own binary"
    );
    let output = run_entrypoint(&package, &env);
    let log = text(&output.stdout) + &text(&output.stderr);
    assert!(output.status.success(), "initial deployment failed:\n{log}");
    for step in [
        "assume_role",
        "build_context",
        "update_function_code",
        "publish_version",
        "update_alias",
    ] {
        assert!(
            log.contains(&format!("✅ {step} (")),
            "{step} did not run:\n{log}"
        );
    }

    // The deployment happened in AWS: version 1 published for deployment 8, main → 1.
    let alias = moto.aws(&[
        "lambda",
        "get-alias",
        "--function-name",
        FUNCTION,
        "--name",
        "main",
        "--region",
        REGION,
    ]);
    assert_eq!(alias["FunctionVersion"], "1", "{alias}");
    let versions = moto.aws(&[
        "lambda",
        "list-versions-by-function",
        "--function-name",
        FUNCTION,
        "--region",
        REGION,
    ]);
    let published: Vec<&Value> = versions["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["Version"] != "$LATEST")
        .collect();
    assert_eq!(published.len(), 1, "{versions}");
    assert_eq!(published[0]["Description"], "8");
}

#[test]
fn a_package_without_its_binary_says_every_place_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("package");
    unpack(&dist(&dir.path().join("dist")), &package);
    std::fs::remove_dir_all(package.join("bin")).unwrap();
    let tools = tools_dir(dir.path());
    let output = Command::new("bash")
        .arg("-c")
        .arg("set -e; source \"$PKG/steps/assume-role\"; echo not reached")
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", tools.display()))
        .env("PKG", &package)
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(127), "{stdout}");
    assert!(!stdout.contains("not reached"));
    assert!(
        stdout.contains("❌ the lambda-scope binary was not found"),
        "{stdout}"
    );
    for place in [
        "SCOPE_BIN_DIR unset".to_string(),
        format!("{}/bin/linux-{}/lambda-scope", package.display(), arch()),
        format!("{}/target/release/lambda-scope", package.display()),
        "lambda-scope on PATH".to_string(),
    ] {
        assert!(stdout.contains(&place), "{place} not named: {stdout}");
    }
    assert!(stdout.contains("🔧"), "{stdout}");
}
