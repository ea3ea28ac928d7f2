//! The worker image's contract, read from Dockerfile and .dockerignore (the image itself is
//! built by the release workflow): pinned base images, the worker-bridge final stage run as
//! uid 10001 over a package it owns, NP_* variables that point into the package as the repo
//! lays it out, a checksum-verified OpenTofu >= 1.10, and no Rust toolchain in the image.
//! `every_check_rejects_a_broken_file` proves each check can fail.

use std::path::{Path, PathBuf};

const WORKER_BRIDGE: &str = "public.ecr.aws/nullplatform/scopes/worker-bridge";
/// worker-bridge 2.x is the first with the uid-10001 runtime user and HOME=/home/app.
const WORKER_BRIDGE_MIN: &[u32] = &[2, 0, 0];
const RUNTIME_UID: &str = "10001";
/// S3 backend `use_lockfile` needs OpenTofu 1.10.
const TOFU_MIN: &[u32] = &[1, 10, 0];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(name: &str) -> String {
    let path = repo().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

// --- a small Dockerfile reader --------------------------------------------------------

#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

#[derive(Debug)]
struct Stage {
    image: String,
    name: Option<String>,
    instructions: Vec<Instruction>,
}

#[derive(Debug)]
struct Dockerfile {
    /// ARGs before the first FROM (usable in FROM lines).
    global_args: Vec<Instruction>,
    stages: Vec<Stage>,
}

/// Joins continuation lines, drops comments and blank lines, and groups the instructions
/// by stage, as the Docker builder reads them.
fn parse(text: &str) -> Dockerfile {
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            logical.push(std::mem::take(&mut current));
        }
    }
    if !current.trim().is_empty() {
        logical.push(current);
    }
    let mut file = Dockerfile {
        global_args: Vec::new(),
        stages: Vec::new(),
    };
    for line in logical {
        let (keyword, args) = line
            .trim()
            .split_once(char::is_whitespace)
            .unwrap_or((line.trim(), ""));
        let instruction = Instruction {
            keyword: keyword.to_ascii_uppercase(),
            args: args.trim().to_string(),
        };
        if instruction.keyword == "FROM" {
            let words: Vec<&str> = instruction
                .args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let name = match words.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
                _ => None,
            };
            file.stages.push(Stage {
                image: words.first().unwrap_or(&"").to_string(),
                name,
                instructions: Vec::new(),
            });
        } else if let Some(stage) = file.stages.last_mut() {
            stage.instructions.push(instruction);
        } else {
            file.global_args.push(instruction);
        }
    }
    file
}

impl Stage {
    fn all<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a Instruction> + 'a {
        self.instructions
            .iter()
            .filter(move |i| i.keyword == keyword)
    }

    /// Key/value pairs of every ENV (both `ENV K=V ...` and the legacy `ENV K V`).
    fn env(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        for env in self.all("ENV") {
            let words: Vec<&str> = env.args.split_whitespace().collect();
            if words.first().is_some_and(|w| !w.contains('=')) {
                pairs.push((words[0].to_string(), unquote(&words[1..].join(" "))));
                continue;
            }
            for word in words {
                if let Some((k, v)) = word.split_once('=') {
                    pairs.push((k.to_string(), unquote(v)));
                }
            }
        }
        pairs
    }

    fn env_value(&self, key: &str) -> Option<String> {
        self.env()
            .into_iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// `ARG NAME=default` defaults declared in this stage.
    fn arg_default(&self, name: &str) -> Option<String> {
        arg_default(self.all("ARG"), name)
    }
}

fn arg_default<'a>(args: impl Iterator<Item = &'a Instruction>, name: &str) -> Option<String> {
    args.filter_map(|a| a.args.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| unquote(v.trim()))
}

fn unquote(value: &str) -> String {
    value.trim_matches('"').trim_matches('\'').to_string()
}

/// A COPY's flags (`--chown=...`), sources and destination.
struct Copy {
    flags: Vec<String>,
    sources: Vec<String>,
    dest: String,
}

fn copy_of(instruction: &Instruction) -> Copy {
    let (flags, paths): (Vec<&str>, Vec<&str>) = instruction
        .args
        .split_whitespace()
        .partition(|w| w.starts_with("--"));
    let (dest, sources) = paths
        .split_last()
        .map(|(d, s)| (d.to_string(), s.iter().map(|s| s.to_string()).collect()))
        .unwrap_or_default();
    Copy {
        flags: flags.iter().map(|f| f.to_string()).collect(),
        sources,
        dest,
    }
}

impl Copy {
    fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find_map(|f| f.strip_prefix(&format!("--{name}=")))
    }
}

/// Splits `registry/repo:tag@digest` into (repository, tag, digest).
fn image_ref(image: &str) -> (String, Option<String>, Option<String>) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d.to_string())),
        None => (image, None),
    };
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].rfind(':') {
        Some(colon) => (
            name[..slash + colon].to_string(),
            Some(name[slash + colon + 1..].to_string()),
            digest,
        ),
        None => (name.to_string(), None, digest),
    }
}

/// The leading dotted version of a tag or value ("1.95.0-alpine3.23" → [1, 95, 0]).
fn version_prefix(text: &str) -> Option<Vec<u32>> {
    let head: String = text
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let parts: Option<Vec<u32>> = head
        .trim_end_matches('.')
        .split('.')
        .map(|p| p.parse().ok())
        .collect();
    parts.filter(|p| p.len() >= 2)
}

fn at_least(version: &[u32], min: &[u32]) -> bool {
    let pad = |v: &[u32]| {
        (0..3)
            .map(|i| v.get(i).copied().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    pad(version) >= pad(min)
}

// --- the checks -------------------------------------------------------------------------

type Check = Result<(), String>;

fn final_stage(df: &Dockerfile) -> Result<&Stage, String> {
    df.stages
        .last()
        .ok_or_else(|| "the Dockerfile has no FROM".to_string())
}

/// Every base image (not a reference to an earlier stage) has a version tag or a digest.
fn check_bases_pinned(df: &Dockerfile) -> Check {
    if df.stages.len() < 2 {
        return Err(format!(
            "expected a multi-stage build (build + runtime), found {} stage(s)",
            df.stages.len()
        ));
    }
    for (i, stage) in df.stages.iter().enumerate() {
        let earlier = df.stages[..i]
            .iter()
            .any(|s| s.name.as_deref() == Some(stage.image.as_str()));
        if earlier {
            continue;
        }
        let (_, tag, digest) = image_ref(&stage.image);
        if stage.image.contains('$') {
            return Err(format!(
                "base image {} is not literal: pin it in the FROM line",
                stage.image
            ));
        }
        match tag.as_deref() {
            Some("latest") => {
                return Err(format!(
                    "base image {} uses the moving tag latest",
                    stage.image
                ))
            }
            Some(t) if version_prefix(t).is_some() => {}
            _ if digest.is_some() => {}
            _ => {
                return Err(format!(
                    "base image {} has no version tag (e.g. :1.2.3) nor digest",
                    stage.image
                ))
            }
        }
    }
    Ok(())
}

/// The build stage is an official Rust Alpine image new enough for the crate.
fn check_build_stage(df: &Dockerfile) -> Check {
    let build = df.stages.first().ok_or("the Dockerfile has no FROM")?;
    let (repository, tag, _) = image_ref(&build.image);
    if !matches!(
        repository.as_str(),
        "rust" | "docker.io/library/rust" | "library/rust"
    ) {
        return Err(format!(
            "the build stage is {}, not the official rust image",
            build.image
        ));
    }
    let tag = tag.unwrap_or_default();
    if !tag.contains("-alpine") {
        return Err(format!(
            "the build stage rust:{tag} is not an Alpine (musl) variant"
        ));
    }
    let cargo = read("Cargo.toml");
    let wanted = cargo
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("rust-version")
                .map(|v| unquote(v.trim().trim_start_matches('=').trim()))
        })
        .ok_or("Cargo.toml has no rust-version")?;
    let (have, want) = (
        version_prefix(&tag).unwrap_or_default(),
        version_prefix(&wanted).unwrap_or_default(),
    );
    if !at_least(&have, &want) {
        return Err(format!(
            "the build stage's Rust {tag} is older than Cargo.toml's rust-version {wanted}"
        ));
    }
    let installs = build
        .all("RUN")
        .filter(|r| r.args.contains("apk add"))
        .map(|r| r.args.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    for package in ["bash", "musl-dev"] {
        if !installs.split_whitespace().any(|w| w == package) {
            return Err(format!("the build stage does not apk add {package}"));
        }
    }
    Ok(())
}

fn check_final_stage_is_worker_bridge(df: &Dockerfile) -> Check {
    let last = final_stage(df)?;
    let (repository, tag, _) = image_ref(&last.image);
    if repository != WORKER_BRIDGE {
        return Err(format!(
            "the final stage is {}, not {WORKER_BRIDGE}",
            last.image
        ));
    }
    let version = tag
        .as_deref()
        .and_then(version_prefix)
        .ok_or(format!("{} has no version tag", last.image))?;
    if !at_least(&version, WORKER_BRIDGE_MIN) {
        return Err(format!(
            "{} predates worker-bridge 2.0.0 (the uid-10001 runtime user)",
            last.image
        ));
    }
    Ok(())
}

/// The image's last USER is the numeric runtime uid (a runAsNonRoot check needs a number).
fn check_runs_as_runtime_uid(df: &Dockerfile) -> Check {
    let user = final_stage(df)?
        .all("USER")
        .last()
        .map(|u| u.args.clone())
        .ok_or("the final stage sets no USER: it would run as root")?;
    let uid = user.split(':').next().unwrap_or_default();
    if uid != RUNTIME_UID {
        return Err(format!(
            "the final stage runs as USER {user}, not {RUNTIME_UID}"
        ));
    }
    Ok(())
}

/// The package COPY: from the build stage, the directory `scripts/dist --stage` filled,
/// owned by the runtime uid; every other COPY/ADD of the final stage is owned by it too.
fn package_copy(df: &Dockerfile) -> Result<Copy, String> {
    let last = final_stage(df)?;
    let build = df.stages.first().ok_or("the Dockerfile has no FROM")?;
    let build_name = build
        .name
        .clone()
        .ok_or("the build stage has no name (FROM ... AS build)")?;
    let staged = build
        .all("RUN")
        .find_map(|r| {
            let words: Vec<&str> = r.args.split_whitespace().collect();
            let dist = words.iter().position(|w| *w == "scripts/dist")?;
            let stage = words[dist..].iter().position(|w| *w == "--stage")?;
            words.get(dist + stage + 1).map(|d| d.to_string())
        })
        .ok_or("the build stage does not run `scripts/dist --stage <dir>`")?;
    let copy = last
        .all("COPY")
        .map(copy_of)
        .find(|c| c.flag("from") == Some(build_name.as_str()))
        .ok_or(format!(
            "the final stage copies nothing from the {build_name} stage"
        ))?;
    if copy.sources != [staged.clone()] {
        return Err(format!(
            "the final stage copies {:?} from {build_name}, not the staged package {staged}",
            copy.sources
        ));
    }
    Ok(copy)
}

fn check_package_owned_by_runtime_uid(df: &Dockerfile) -> Check {
    let wanted = format!("{RUNTIME_UID}:{RUNTIME_UID}");
    let copy = package_copy(df)?;
    if copy.flag("chown") != Some(wanted.as_str()) {
        return Err(format!("the package COPY to {} lacks --chown={wanted} (np changes the action script's mode in place)", copy.dest));
    }
    for other in final_stage(df)?
        .instructions
        .iter()
        .filter(|i| i.keyword == "COPY" || i.keyword == "ADD")
    {
        if copy_of(other).flag("chown") != Some(wanted.as_str()) {
            return Err(format!(
                "{} {} in the final stage lacks --chown={wanted}",
                other.keyword, other.args
            ));
        }
    }
    Ok(())
}

/// NP_SERVICE_PATH is the package root (where the package COPY lands, the repo root's
/// layout: workflows/ there), NP_SCOPE_ENTRYPOINT a file in it (the repo's entrypoint).
fn check_np_variables(df: &Dockerfile, repo: &Path) -> Check {
    let last = final_stage(df)?;
    let var = |k: &str| {
        last.env_value(k)
            .filter(|v| !v.is_empty())
            .ok_or(format!("the final stage does not set {k}"))
    };
    var("NP_PACKAGE_NAME")?;
    let service_path = var("NP_SERVICE_PATH")?;
    let entrypoint = var("NP_SCOPE_ENTRYPOINT")?;
    let root = package_copy(df)?.dest.trim_end_matches('/').to_string();
    if service_path.trim_end_matches('/') != root {
        return Err(format!(
            "NP_SERVICE_PATH is {service_path}, but the package is copied to {root}"
        ));
    }
    if !repo.join("workflows").is_dir() {
        return Err(format!(
            "the package root (the repo root, {}) has no workflows/",
            repo.display()
        ));
    }
    let relative = entrypoint.strip_prefix(&format!("{root}/")).ok_or(format!(
        "NP_SCOPE_ENTRYPOINT {entrypoint} is not inside the package {root}"
    ))?;
    let file = repo.join(relative);
    if !file.is_file() {
        return Err(format!(
            "NP_SCOPE_ENTRYPOINT {entrypoint} names {relative}, which the repo does not have"
        ));
    }
    Ok(())
}

/// OpenTofu: the official release for TARGETARCH at a pinned version >= 1.10, checked
/// against a pinned sha256 for each architecture before it is unpacked.
fn check_opentofu(df: &Dockerfile) -> Check {
    let last = final_stage(df)?;
    let version = last
        .arg_default("TOFU_VERSION")
        .ok_or("the final stage pins no ARG TOFU_VERSION=<version>")?;
    let parsed =
        version_prefix(&version).ok_or(format!("TOFU_VERSION {version} is not a version"))?;
    if !at_least(&parsed, TOFU_MIN) || parsed.len() != 3 {
        return Err(format!(
            "TOFU_VERSION {version} is not an exact version >= 1.10.0"
        ));
    }
    let install = last
        .all("RUN")
        .find(|r| {
            r.args
                .contains("github.com/opentofu/opentofu/releases/download/")
        })
        .ok_or("no RUN downloads the official OpenTofu release")?;
    for needle in ["${TOFU_VERSION}", "${TARGETARCH}"] {
        if !install.args.contains(needle) {
            return Err(format!("the OpenTofu download URL does not use {needle}"));
        }
    }
    if !last.all("ARG").any(|a| a.args.trim() == "TARGETARCH") {
        return Err("the final stage does not declare ARG TARGETARCH".into());
    }
    for arch in ["AMD64", "ARM64"] {
        let name = format!("TOFU_SHA256_{arch}");
        let sum = last
            .arg_default(&name)
            .ok_or(format!("the final stage pins no ARG {name}"))?;
        if sum.len() != 64 || !sum.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("{name} is not a sha256 ({sum})"));
        }
        if !install.args.contains(&format!("${name}"))
            && !install.args.contains(&format!("${{{name}}}"))
        {
            return Err(format!("the OpenTofu install does not use {name}"));
        }
    }
    let check = install
        .args
        .find("sha256sum -c")
        .ok_or("the OpenTofu download is not checked with sha256sum -c")?;
    let unpack = install
        .args
        .find("tar ")
        .ok_or("the OpenTofu install does not unpack the release")?;
    if check > unpack {
        return Err("the OpenTofu release is unpacked before its checksum is checked".into());
    }
    Ok(())
}

/// Nothing of the Rust toolchain, the cargo registry or target/ reaches the final image.
fn check_no_toolchain_in_final_stage(df: &Dockerfile) -> Check {
    let last = final_stage(df)?;
    for instruction in &last.instructions {
        let text = format!("{} {}", instruction.keyword, instruction.args);
        for word in ["cargo", "rustup", "rustc", "target/", "/usr/local/cargo"] {
            if text.contains(word) {
                return Err(format!("the final stage mentions {word}: {text}"));
            }
        }
        if instruction.keyword == "COPY" && copy_of(instruction).flag("from").is_some() {
            let package = package_copy(df)?;
            let copy = copy_of(instruction);
            if copy.sources != package.sources || copy.dest != package.dest {
                return Err(format!(
                    "the final stage copies more than the package from another stage: {text}"
                ));
            }
        }
    }
    Ok(())
}

fn check_dockerignore(text: &str) -> Check {
    let entries: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.trim_start_matches("./")
                .trim_start_matches('/')
                .trim_end_matches('/')
                .to_string()
        })
        .collect();
    for wanted in ["target", ".venv", "dist", ".tools", ".git"] {
        if !entries
            .iter()
            .any(|e| e == wanted || e == &format!("{wanted}/**"))
        {
            return Err(format!(".dockerignore does not list {wanted}/"));
        }
        if entries.iter().any(|e| e.starts_with(&format!("!{wanted}"))) {
            return Err(format!(".dockerignore lets {wanted}/ back in"));
        }
    }
    Ok(())
}

// --- the tests ------------------------------------------------------------------------------

fn dockerfile() -> Dockerfile {
    parse(&read("Dockerfile"))
}

#[test]
fn base_images_are_pinned() {
    check_bases_pinned(&dockerfile()).unwrap();
}

#[test]
fn build_stage_is_a_rust_alpine_image_with_the_build_tools() {
    check_build_stage(&dockerfile()).unwrap();
}

#[test]
fn final_stage_is_the_worker_bridge() {
    check_final_stage_is_worker_bridge(&dockerfile()).unwrap();
}

#[test]
fn image_runs_as_uid_10001() {
    check_runs_as_runtime_uid(&dockerfile()).unwrap();
}

#[test]
fn package_is_copied_owned_by_the_runtime_uid() {
    check_package_owned_by_runtime_uid(&dockerfile()).unwrap();
}

#[test]
fn np_variables_point_into_the_package() {
    check_np_variables(&dockerfile(), &repo()).unwrap();
}

#[test]
fn the_package_is_built_by_scripts_dist() {
    let dist = repo().join("scripts/dist");
    assert!(
        dist.is_file(),
        "the build stage runs scripts/dist, which the repo does not have"
    );
    package_copy(&dockerfile()).unwrap();
}

#[test]
fn opentofu_is_pinned_and_checksummed() {
    check_opentofu(&dockerfile()).unwrap();
}

#[test]
fn final_stage_has_no_rust_toolchain() {
    check_no_toolchain_in_final_stage(&dockerfile()).unwrap();
}

#[test]
fn dockerignore_keeps_build_output_and_tools_out() {
    check_dockerignore(&read(".dockerignore")).unwrap();
}

/// Replaces the first line starting with `prefix` (after indentation) by `new`.
fn replace_line(text: &str, prefix: &str, new: &str) -> String {
    let mut found = false;
    let lines: Vec<&str> = text
        .lines()
        .map(|l| {
            if !found && l.trim_start().starts_with(prefix) {
                found = true;
                new
            } else {
                l
            }
        })
        .collect();
    assert!(
        found,
        "no line starts with {prefix:?}: the mutation would not change the Dockerfile"
    );
    lines.join("\n") + "\n"
}

fn replace(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "{from:?} is not in the Dockerfile: the mutation would not change it"
    );
    text.replacen(from, to, 1)
}

fn last_line_starting(text: &str, prefix: &str) -> String {
    text.lines()
        .rfind(|l| l.trim_start().starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} line"))
        .to_string()
}

#[test]
fn every_check_rejects_a_broken_file() {
    let good = read("Dockerfile");
    let repo = repo();
    let df = parse(&good);
    let last = final_stage(&df).unwrap();
    let entrypoint = last.env_value("NP_SCOPE_ENTRYPOINT").unwrap();
    let service_path = last.env_value("NP_SERVICE_PATH").unwrap();
    let final_from = last_line_starting(&good, "FROM ");
    let sum_arm64 = last.arg_default("TOFU_SHA256_ARM64").unwrap();
    let chown = format!("--chown={RUNTIME_UID}:{RUNTIME_UID} ");

    type Named<'a> = (&'a str, Box<dyn Fn(&Dockerfile) -> Check + 'a>);
    let checks: Vec<Named> = vec![
        ("pinned", Box::new(check_bases_pinned)),
        ("build", Box::new(check_build_stage)),
        ("bridge", Box::new(check_final_stage_is_worker_bridge)),
        ("user", Box::new(check_runs_as_runtime_uid)),
        ("chown", Box::new(check_package_owned_by_runtime_uid)),
        (
            "np",
            Box::new(|df: &Dockerfile| check_np_variables(df, &repo)),
        ),
        ("tofu", Box::new(check_opentofu)),
        ("toolchain", Box::new(check_no_toolchain_in_final_stage)),
    ];
    for (name, check) in &checks {
        check(&df).unwrap_or_else(|e| panic!("check {name} rejects the real Dockerfile: {e}"));
    }

    let mutations: Vec<(&str, &str, String)> = vec![
        (
            "pinned",
            "build base on latest",
            replace_line(&good, "FROM rust:", "FROM rust:latest AS build"),
        ),
        (
            "pinned",
            "build base untagged",
            replace_line(&good, "FROM rust:", "FROM rust AS build"),
        ),
        (
            "pinned",
            "final base untagged",
            replace(&good, &final_from, &format!("FROM {WORKER_BRIDGE}")),
        ),
        (
            "pinned",
            "single stage",
            good[good.find(&final_from).unwrap()..].to_string(),
        ),
        (
            "build",
            "glibc build image",
            replace_line(&good, "FROM rust:", "FROM rust:1.95.0-bookworm AS build"),
        ),
        (
            "build",
            "Rust older than rust-version",
            replace_line(&good, "FROM rust:", "FROM rust:1.70.0-alpine3.18 AS build"),
        ),
        (
            "build",
            "no bash for scripts/dist",
            replace(&good, "apk add --no-cache bash ", "apk add --no-cache "),
        ),
        (
            "bridge",
            "plain Alpine runtime",
            replace(&good, &final_from, "FROM alpine:3.23"),
        ),
        (
            "bridge",
            "worker-bridge 1.x (root)",
            replace(&good, &final_from, &format!("FROM {WORKER_BRIDGE}:1.0.0")),
        ),
        (
            "user",
            "runs as root",
            replace_line(&good, "USER ", "USER root"),
        ),
        ("user", "no USER", replace_line(&good, "USER ", "")),
        ("chown", "package owned by root", replace(&good, &chown, "")),
        (
            "chown",
            "another COPY without chown",
            format!("{good}COPY values.yaml /app/values.yaml\n"),
        ),
        (
            "chown",
            "copies something else",
            replace(&good, "--stage /out/lambda-scope", "--stage /out/other"),
        ),
        (
            "np",
            "entrypoint not in the repo",
            replace(
                &good,
                &format!("NP_SCOPE_ENTRYPOINT={entrypoint}"),
                &format!("NP_SCOPE_ENTRYPOINT={service_path}/bin/entrypoint"),
            ),
        ),
        (
            "np",
            "entrypoint outside the package",
            replace(
                &good,
                &format!("NP_SCOPE_ENTRYPOINT={entrypoint}"),
                "NP_SCOPE_ENTRYPOINT=/usr/local/bin/entrypoint",
            ),
        ),
        (
            "np",
            "service path is not the package",
            replace(
                &good,
                &format!("NP_SERVICE_PATH={service_path} "),
                "NP_SERVICE_PATH=/app ",
            ),
        ),
        (
            "np",
            "no package name",
            replace(&good, "NP_PACKAGE_NAME=lambda-scope ", ""),
        ),
        (
            "tofu",
            "OpenTofu too old",
            replace_line(&good, "ARG TOFU_VERSION=", "ARG TOFU_VERSION=1.9.1"),
        ),
        (
            "tofu",
            "no checksum check",
            replace(&good, "sha256sum -c", "true"),
        ),
        (
            "tofu",
            "arm64 checksum truncated",
            replace(&good, &sum_arm64, &sum_arm64[..40]),
        ),
        (
            "tofu",
            "fixed architecture",
            replace(
                &good,
                "tofu_${TOFU_VERSION}_linux_${TARGETARCH}",
                "tofu_${TOFU_VERSION}_linux_amd64",
            ),
        ),
        (
            "toolchain",
            "cargo registry copied",
            format!(
                "{good}COPY --chown=10001:10001 --from=build /usr/local/cargo /usr/local/cargo\n"
            ),
        ),
        (
            "toolchain",
            "rustup in the runtime",
            format!("{good}RUN rustup --version\n"),
        ),
        (
            "toolchain",
            "build tools copied",
            format!("{good}COPY --chown=10001:10001 --from=build /usr/bin/gcc /usr/bin/gcc\n"),
        ),
        (
            "toolchain",
            "target/ copied",
            format!(
                "{good}COPY --chown=10001:10001 --from=build /src/target/release /opt/release\n"
            ),
        ),
    ];
    for (name, what, broken) in &mutations {
        let (_, check) = checks.iter().find(|(n, _)| n == name).unwrap();
        assert!(
            check(&parse(broken)).is_err(),
            "check {name} accepts a broken Dockerfile ({what})"
        );
    }

    let ignore = read(".dockerignore");
    check_dockerignore(&ignore).unwrap();
    for entry in ["target/", ".venv/", "dist/", ".tools/", ".git/"] {
        let broken: String = ignore
            .lines()
            .filter(|l| l.trim() != entry)
            .map(|l| format!("{l}\n"))
            .collect();
        assert_ne!(broken, ignore, ".dockerignore has no line {entry}");
        assert!(
            check_dockerignore(&broken).is_err(),
            "check_dockerignore accepts a .dockerignore without {entry}"
        );
    }
    assert!(
        check_dockerignore(&format!("{ignore}!target/release\n")).is_err(),
        "a negated target/ is accepted"
    );
}
