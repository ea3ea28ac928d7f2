//! Credentials that outlive long steps, end to end: assume-role then run-tofu
//! under bash, the real terraform binary with its S3 backend on moto server, and the
//! agent's base identity in a profile (as IRSA would be: beneath the assumed keys).
//! Near expiry, run-tofu re-assumes exactly once and tofu (backend, provider and the
//! AWS CLI in its provisioner) signs with the refreshed session through
//! `credential_process`; far from expiry nothing calls STS again.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{bash, repo_root, text, MotoServer};
use crate::support::terraform::TofuCli;

const SCOPE_ID: &str = "7301";
const BUCKET: &str = "np-refresh-state";
const PROFILE_KEY: &str = "AKIAAGENTPROFILE0000";

struct World {
    moto: MotoServer,
    /// Requests moto had recorded when the set-up was done.
    set_up_requests: usize,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    _cli: TofuCli,
}

impl World {
    fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn module_dir(&self) -> PathBuf {
        self.dir.path().join("output").join(SCOPE_ID).join("tofu")
    }

    /// The cached credential entries (one file per request key).
    fn cache_entries(&self) -> Vec<Value> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(self.cache_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "json") {
                entries
                    .push(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap());
            }
        }
        entries
    }
}

/// A module with the S3 backend and one resource whose provisioner asks STS who it is.
fn write_module(dir: &Path, aws_cli: &Path) {
    let main_tf = format!(
        r#"terraform {{
  backend "s3" {{}}
}}

resource "terraform_data" "function" {{
  input = "{SCOPE_ID}"

  provisioner "local-exec" {{
    command = "'{aws}' sts get-caller-identity --output json > '${{path.module}}/created-by.json'"
  }}
}}
"#,
        aws = aws_cli.display()
    );
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("main.tf"), main_tf).unwrap();
}

/// moto with the state bucket and a role; the agent's identity is a profile in a
/// credentials file (no keys in the environment, so assume-role's outputs are the
/// only keys later steps see).
fn world() -> World {
    world_with(true)
}

/// [`world`], or with the agent's identity as static keys in the environment.
fn world_with(profile: bool) -> World {
    let moto = MotoServer::start();
    moto.aws(&["s3api", "create-bucket", "--bucket", BUCKET]);
    let role = moto.create_role("np-lambda-long-runner");
    let dir = tempfile::tempdir().unwrap();
    write_module(
        &dir.path().join("output").join(SCOPE_ID).join("tofu"),
        &crate::common::aws_cli(),
    );
    let credentials_file = dir.path().join("aws-credentials");
    std::fs::write(
        &credentials_file,
        format!("[agent]\naws_access_key_id = {PROFILE_KEY}\naws_secret_access_key = agent-profile-secret\n"),
    )
    .unwrap();
    let cli = TofuCli::find();
    let mut env: Vec<(String, String)> = moto
        .aws_env()
        .into_iter()
        .filter(|(name, _)| {
            !profile || (name != "AWS_ACCESS_KEY_ID" && name != "AWS_SECRET_ACCESS_KEY")
        })
        .collect();
    env.extend(cli.env());
    if profile {
        env.push(("AWS_PROFILE".into(), "agent".into()));
        env.push((
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            credentials_file.display().to_string(),
        ));
    }
    env.push((
        "AWS_CONFIG_FILE".into(),
        dir.path().join("no-aws-config").display().to_string(),
    ));
    env.extend(crate::common::scope_step_settings(
        dir.path(),
        &role,
        SCOPE_ID,
        BUCKET,
        &dir.path().join("output").join(SCOPE_ID),
    ));
    env.push(("TOFU_ACTION".into(), "apply".into()));
    World {
        set_up_requests: moto.requests().len(),
        moto,
        dir,
        env,
        _cli: cli,
    }
}

/// assume-role, then (optionally) the cached entry and AWS_CREDENTIAL_EXPIRATION
/// moved to two minutes from now — a session about to run out — then run-tofu.
fn assume_then_tofu(world: &World, about_to_expire: bool) -> (i32, String, String) {
    let script = format!(
        r#"
source steps/assume-role || exit $?
echo "INHERITED $AWS_ACCESS_KEY_ID"
if {about_to_expire}; then
  soon=$(date -u -d '+120 seconds' +%Y-%m-%dT%H:%M:%SZ)
  python3 - "$SCOPE_CREDENTIALS_CACHE_DIR" "$soon" <<'PY'
import json, pathlib, sys
for entry in pathlib.Path(sys.argv[1]).glob("*.json"):
    data = json.loads(entry.read_text())
    data["expiration"] = sys.argv[2]
    entry.write_text(json.dumps(data))
PY
  export AWS_CREDENTIAL_EXPIRATION=$soon
fi
source steps/run-tofu
"#
    );
    let output = bash(&script, &world.env, &repo_root());
    let stdout = text(&output.stdout);
    let inherited = stdout
        .lines()
        .find_map(|line| line.strip_prefix("INHERITED "))
        .unwrap_or_default()
        .to_string();
    (
        output.status.code().unwrap_or(-1),
        format!("{stdout}\n--- stderr ---\n{}", text(&output.stderr)),
        inherited,
    )
}

/// The access keys that signed the steps' requests to the state bucket.
fn state_signers(world: &World) -> Vec<Option<String>> {
    world
        .moto
        .requests()
        .into_iter()
        .skip(world.set_up_requests)
        .filter(|request| request.url.contains(BUCKET))
        .map(|request| request.access_key_id)
        .collect()
}

#[test]
fn a_session_about_to_expire_is_re_assumed_once_and_tofu_signs_with_the_new_one() {
    let world = world();
    let (code, log, inherited) = assume_then_tofu(&world, true);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("Apply complete!"), "{log}");
    assert!(log.contains("serving refreshed ones to tofu"), "{log}");

    // assume-role's call, then exactly one more: init, apply and output each
    // start tofu, and every credential_process after the first is a cache hit.
    let assumed = world.moto.calls("AssumeRole");
    assert_eq!(assumed.len(), 2, "{log}");
    // Both as the agent's profile, never as the session that was running out.
    for call in &assumed {
        assert_eq!(call.access_key_id.as_deref(), Some(PROFILE_KEY));
    }

    let entries = world.cache_entries();
    assert_eq!(entries.len(), 1, "one request, one entry: {entries:?}");
    let fresh = entries[0]["access_key_id"].as_str().unwrap().to_string();
    assert_ne!(fresh, inherited, "the entry holds the refreshed session");
    assert!(!inherited.is_empty());

    // The S3 backend read and wrote the state only with the refreshed session.
    let signers = state_signers(&world);
    assert!(!signers.is_empty(), "{log}");
    for signer in &signers {
        assert_eq!(signer.as_deref(), Some(fresh.as_str()), "{log}");
    }
    // So did the AWS CLI tofu's provisioner ran (it read the same served profile).
    let identity: Value = serde_json::from_str(
        &std::fs::read_to_string(world.module_dir().join("created-by.json")).unwrap(),
    )
    .unwrap();
    assert!(
        identity["Arn"]
            .as_str()
            .unwrap()
            .contains(":assumed-role/np-lambda-long-runner/"),
        "{identity}"
    );
    // The backend checks its credentials with GetCallerIdentity too: all were fresh.
    let caller_checks = world.moto.calls("GetCallerIdentity");
    assert!(!caller_checks.is_empty());
    for check in &caller_checks {
        assert_eq!(
            check.access_key_id.as_deref(),
            Some(fresh.as_str()),
            "{log}"
        );
    }

    // The private profile is gone with the step; the served files never left the cache.
    let leftovers: Vec<_> = std::fs::read_dir(world.cache_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("served-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // No secret reached the log.
    let secret = entries[0]["secret_access_key"].as_str().unwrap();
    assert!(!log.contains(secret), "{log}");
}

#[test]
fn a_session_that_lasts_is_kept_and_sts_is_not_called_again() {
    let world = world();
    let (code, log, inherited) = assume_then_tofu(&world, false);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("kept as they are"), "{log}");
    assert_eq!(world.moto.calls("AssumeRole").len(), 1, "{log}");
    let signers = state_signers(&world);
    assert!(!signers.is_empty(), "{log}");
    for signer in &signers {
        assert_eq!(signer.as_deref(), Some(inherited.as_str()), "{log}");
    }
}

#[test]
fn with_static_agent_keys_the_step_says_it_cannot_refresh_and_goes_on() {
    // assume-role's outputs replace static keys in every later step, and they are
    // never handed on: there is no identity left to re-assume with.
    let world = world_with(false);
    let (code, log, inherited) = assume_then_tofu(&world, true);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("the credentials cannot be refreshed"), "{log}");
    assert!(log.contains("Apply complete!"), "{log}");
    assert_eq!(world.moto.calls("AssumeRole").len(), 1, "{log}");
    for signer in &state_signers(&world) {
        assert_eq!(signer.as_deref(), Some(inherited.as_str()), "{log}");
    }
}
