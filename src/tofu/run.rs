//! run-tofu: running OpenTofu (or Terraform) for a scope — finding the binary, the S3
//! backend settings (state per scope, lock file, emulator endpoint), `init` then `apply`
//! or `destroy` with every line tofu prints (stderr included) on the progress stream,
//! and the outputs later steps read. Only the inherited credentials are used.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::config::bounded_number;
use crate::credentials::refresh::{self, ServedCredentials};
use crate::report::StepError;
use crate::step::{progress, Env, Outputs};

use super::action::TofuAction;
use super::hcl::hcl_string;
use super::vars::VARS_FILE;
use super::{catch_up, imports, version};

/// What tofu never needs: the nullplatform API key, the notification and the context.
pub const WITHHELD_FROM_TOFU: &[&str] = &[
    "NP_API_KEY",
    crate::settings::NULLPLATFORM_APIKEY.generic,
    crate::settings::NULLPLATFORM_APIKEY.namespaced,
    "NP_ACTION_CONTEXT",
    "CONTEXT",
];

/// Tofu outputs a step hands on: (tofu output name, step output name).
pub const STEP_OUTPUTS: &[(&str, &str)] = &[
    ("lambda_function_arn", "LAMBDA_FUNCTION_ARN"),
    ("lambda_current_version", "LAMBDA_CURRENT_VERSION"),
    ("alb_rule_arn", "ALB_RULE_ARN"),
];

/// The state object key of one scope.
pub fn state_key(scope_id: &str) -> String {
    format!("lambda/{scope_id}/terraform.tfstate")
}

/// Finds the binary: `TOFU_BIN` (a path or a name on PATH), else `tofu` on PATH,
/// else `terraform` on PATH.
pub fn find_binary(env: Env) -> Result<PathBuf, StepError> {
    let path = env("PATH").unwrap_or_default();
    if let Some(wanted) = env("TOFU_BIN") {
        return resolve_program(&wanted, &path).ok_or_else(|| {
            StepError::new(format!("TOFU_BIN names '{wanted}', which is not an executable file"))
                .cause("the path is wrong, or the program is not on PATH in the agent image")
                .fix("set TOFU_BIN to the full path of tofu or terraform (e.g. /usr/local/bin/tofu), or unset it to use tofu from PATH")
                .usage()
        });
    }
    ["tofu", "terraform"]
        .iter()
        .find_map(|name| resolve_program(name, &path))
        .ok_or_else(|| {
            StepError::new("neither tofu nor terraform was found on PATH")
                .cause("the agent image does not ship OpenTofu")
                .fix("install OpenTofu (https://opentofu.org/docs/intro/install/) in the agent image")
                .fix("or set TOFU_BIN to the full path of a tofu or terraform binary")
        })
}

fn resolve_program(wanted: &str, path: &str) -> Option<PathBuf> {
    if wanted.contains('/') {
        let candidate = PathBuf::from(wanted);
        return is_executable(&candidate).then_some(candidate);
    }
    std::env::split_paths(path)
        .map(|dir| dir.join(wanted))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The S3 backend settings of one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    pub bucket: String,
    pub key: String,
    pub region: String,
    /// S3 endpoint override (`AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`): path-style
    /// addressing is used with it, as emulators and most S3-compatible stores need.
    pub s3_endpoint: Option<String>,
    /// STS endpoint override (`AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`).
    pub sts_endpoint: Option<String>,
}

impl Backend {
    pub fn from_env(scope_id: &str, env: Env) -> Result<Self, StepError> {
        let bucket = env("TOFU_STATE_BUCKET").ok_or_else(|| {
            StepError::new("TOFU_STATE_BUCKET is not set: there is no bucket for the scope's state")
                .cause("no tofu state bucket is configured in the scope-configurations provider or the agent's environment")
                .fix("set the state bucket in the scope-configurations provider, or TOFU_STATE_BUCKET in values.yaml / the agent's environment")
                .usage()
        })?;
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .ok_or_else(|| {
                StepError::new("AWS_REGION is not set: the state bucket's region is unknown")
                    .cause("fetch-scope-config did not run before this step, or the cloud provider has no region")
                    .fix("run fetch-scope-config first, or set AWS_REGION")
                    .usage()
            })?;
        let global = env("AWS_ENDPOINT_URL");
        Ok(Backend {
            bucket,
            key: state_key(scope_id),
            region,
            s3_endpoint: env("AWS_ENDPOINT_URL_S3").or_else(|| global.clone()),
            sts_endpoint: env("AWS_ENDPOINT_URL_STS").or(global),
        })
    }

    /// The backend configuration as an HCL `.tfbackend` file (nested `endpoints` cannot
    /// be given as `-backend-config=key=value`).
    pub fn to_hcl(&self) -> String {
        let mut text = String::new();
        let mut line = |key: &str, value: String| text.push_str(&format!("{key} = {value}\n"));
        line("bucket", hcl_string(&self.bucket));
        line("key", hcl_string(&self.key));
        line("region", hcl_string(&self.region));
        line("use_lockfile", "true".into());
        if self.s3_endpoint.is_some() || self.sts_endpoint.is_some() {
            let mut endpoints = Vec::new();
            if let Some(s3) = &self.s3_endpoint {
                endpoints.push(format!("s3 = {}", hcl_string(s3)));
            }
            if let Some(sts) = &self.sts_endpoint {
                endpoints.push(format!("sts = {}", hcl_string(sts)));
            }
            line("endpoints", format!("{{ {} }}", endpoints.join(", ")));
        }
        if self.s3_endpoint.is_some() {
            line("use_path_style", "true".into());
        }
        text
    }
}

/// One tofu run: the binary, the working directory and the backend.
#[derive(Debug, Clone)]
pub struct TofuRun {
    pub binary: PathBuf,
    pub working_dir: PathBuf,
    pub backend: Backend,
    /// Refreshing credentials served to tofu when the inherited ones would run out.
    pub served: Option<std::sync::Arc<ServedCredentials>>,
}

/// The backend settings file this step writes (read by `init`).
pub const BACKEND_FILE: &str = "backend.tfbackend";

impl TofuRun {
    pub fn init(&self) -> Result<(), StepError> {
        let backend_file = self.working_dir.join(BACKEND_FILE);
        std::fs::write(&backend_file, self.backend.to_hcl()).map_err(|err| {
            StepError::new(format!("could not write {}: {err}", backend_file.display()))
                .cause("the working directory is not writable")
                .fix("check the permissions of OUTPUT_DIR, or re-run compose-tofu")
        })?;
        progress(format!(
            "📦 tofu init: state s3://{}/{} ({})",
            self.backend.bucket, self.backend.key, self.backend.region
        ));
        let backend_arg = format!("-backend-config={BACKEND_FILE}");
        self.stream(&["init", "-input=false", "-no-color", "-reconfigure", &backend_arg])
            .map_err(|err| {
                err.cause(format!(
                    "the state bucket '{}' does not exist, is in another region, or the assumed role may not read and write {}",
                    self.backend.bucket, self.backend.key
                ))
                .fix(format!(
                    "check `aws s3api head-bucket --bucket {}` with the same credentials, and the role's s3:ListBucket / GetObject / PutObject / DeleteObject permissions",
                    self.backend.bucket
                ))
            })
    }

    /// `apply` or `destroy`, with the variables file when compose-tofu wrote one.
    pub fn run(&self, action: TofuAction) -> Result<(), StepError> {
        let mut args = vec![
            action.as_str(),
            "-input=false",
            "-no-color",
            "-auto-approve",
        ];
        let var_file = format!("-var-file={VARS_FILE}");
        if self.working_dir.join(VARS_FILE).is_file() {
            args.push(&var_file);
        }
        progress(format!("🚀 tofu {}", action.as_str()));
        self.stream(&args).map_err(|err| {
            err.cause("tofu reported the error above (its own message is the most precise)")
                .fix("read tofu's error above; fix the named resource or permission and re-run the action")
        })
    }

    /// The resource instance addresses in the state (`tofu show -json`, which, unlike
    /// `state list`, answers an empty list when there is no state yet).
    pub fn state_addresses(&self) -> Result<std::collections::BTreeSet<String>, StepError> {
        let output = self
            .command(&["show", "-json", "-no-color"])
            .stdin(Stdio::null())
            .output()
            .map_err(|err| self.spawn_error(err))?;
        for line in String::from_utf8_lossy(&output.stderr).lines() {
            progress(format!("  {line}"));
        }
        let failed = || {
            StepError::new("tofu show -json did not describe the state")
                .cause("the state could not be read")
                .fix("run `tofu show -json` in the working directory to see the error")
        };
        if !output.status.success() {
            return Err(failed());
        }
        let shown: Value = serde_json::from_slice(&output.stdout).map_err(|_| failed())?;
        Ok(shown["values"]["root_module"]["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|resource| resource["address"].as_str().map(str::to_string))
            .collect())
    }

    /// Before a destroy (which ignores import blocks): imports each resource compose-tofu
    /// found in AWS that the state lacks, so the destroy removes it too. One that cannot
    /// be imported is left in AWS, and said so.
    pub fn adopt_before_destroy(&self, found: &[imports::Import]) -> Result<(), StepError> {
        if found.is_empty() {
            return Ok(());
        }
        let in_state = self.state_addresses()?;
        let missing: Vec<&imports::Import> = found
            .iter()
            .filter(|import| !in_state.contains(&import.address()))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        progress(format!(
            "📥 {} resource(s) exist in AWS but not in the state: importing them so the destroy removes them",
            missing.len()
        ));
        let var_file = format!("-var-file={VARS_FILE}");
        let mut left = Vec::new();
        for import in missing {
            let address = import.address();
            let mut args = vec!["import", "-input=false", "-no-color"];
            if self.working_dir.join(VARS_FILE).is_file() {
                args.push(&var_file);
            }
            args.extend([address.as_str(), import.id.as_str()]);
            if self.stream(&args).is_err() {
                left.push(format!("{address} ({})", import.id));
            }
        }
        if !left.is_empty() {
            crate::step::warn(format!(
                "not adopted, so NOT destroyed — still in AWS: {}. Delete them by hand if they belong to this scope (tofu's reason is above)",
                left.join(", ")
            ));
        }
        Ok(())
    }

    /// The root module's outputs (`tofu output -json`), as name → value.
    pub fn outputs(&self) -> Result<serde_json::Map<String, Value>, StepError> {
        let output = self
            .command(&["output", "-json", "-no-color"])
            .stdin(Stdio::null())
            .output()
            .map_err(|err| self.spawn_error(err))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        for line in stderr.lines() {
            progress(format!("  {line}"));
        }
        if !output.status.success() {
            return Err(StepError::new("tofu output -json failed")
                .cause("the state could not be read after the run")
                .fix("run `tofu output` in the working directory to see the error"));
        }
        let parsed: Value = serde_json::from_slice(&output.stdout).map_err(|err| {
            StepError::new(format!("tofu output -json did not print JSON: {err}"))
                .cause("the binary is not OpenTofu / Terraform, or it printed warnings on stdout")
                .fix("run `tofu output -json` by hand in the working directory")
        })?;
        let mut values = serde_json::Map::new();
        if let Value::Object(entries) = parsed {
            for (name, entry) in entries {
                values.insert(name, entry.get("value").cloned().unwrap_or(Value::Null));
            }
        }
        Ok(values)
    }

    /// The binary's product and version (`<binary> version`), bounded in time.
    pub fn version(&self) -> Result<version::Found, StepError> {
        let shown = self.binary.display().to_string();
        version::probe(
            self.command(&["version"]),
            &shown,
            version::VERSION_CALL_TIMEOUT,
        )
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .current_dir(&self.working_dir)
            // No prompts and no "next steps" advice meant for people at a terminal.
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0");
        // Tofu talks to AWS only: the platform's key and the action's context (which
        // carries parameter values) stay out of its environment and its crash logs.
        for name in WITHHELD_FROM_TOFU {
            command.env_remove(name);
        }
        if let Some(served) = &self.served {
            served.apply(&mut command);
        }
        command
    }

    fn spawn_error(&self, err: std::io::Error) -> StepError {
        StepError::new(format!("could not run {}: {err}", self.binary.display()))
            .cause("the binary is missing, not executable, or built for another platform")
            .fix("set TOFU_BIN to a working tofu or terraform binary")
    }

    /// Runs tofu with stdout and stderr both forwarded, line by line, to the progress
    /// stream (nullplatform's action log only shows stdout; tofu's errors are on stderr).
    fn stream(&self, args: &[&str]) -> Result<(), StepError> {
        let mut child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| self.spawn_error(err))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let err_thread = std::thread::spawn(move || forward_lines(stderr));
        forward_lines(stdout);
        let _ = err_thread.join();
        let status = child.wait().map_err(|err| self.spawn_error(err))?;
        if status.success() {
            Ok(())
        } else {
            let code = status
                .code()
                .map_or_else(|| "a signal".to_string(), |code| code.to_string());
            Err(StepError::new(format!(
                "tofu {} failed (exit {code})",
                args[0]
            )))
        }
    }
}

fn forward_lines(stream: impl Read) {
    for line in BufReader::new(stream).lines() {
        match line {
            Ok(line) => progress(format!("  {line}")),
            Err(_) => break,
        }
    }
}

/// The step outputs from tofu's outputs: every known output, empty when the modules
/// do not define it or it is null (workflows declare all of them, whatever the scope).
pub fn step_outputs(values: &serde_json::Map<String, Value>) -> Outputs {
    let mut outputs = Outputs::new();
    for (tofu_name, step_name) in STEP_OUTPUTS {
        let value = match values.get(*tofu_name) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
        };
        outputs.set(step_name, value);
    }
    outputs
}

/// The tofu step: init with the scope's backend, then apply or destroy in
/// `TOFU_WORKING_DIR` (default `$OUTPUT_DIR/tofu`, where compose-tofu writes).
pub fn tofu_step(env: Env) -> Result<Outputs, StepError> {
    let action = TofuAction::parse(&env("TOFU_ACTION").ok_or_else(|| {
        StepError::new("TOFU_ACTION is not set")
            .cause("the workflow does not say whether to apply or destroy")
            .fix("set TOFU_ACTION: apply or TOFU_ACTION: destroy in the step's configuration")
            .usage()
    })?)?;
    let scope_id = env("SCOPE_ID").ok_or_else(|| {
        StepError::new("SCOPE_ID is not set: the state key cannot be derived")
            .cause("build-scope-context did not run before this step")
            .fix("run build-scope-context (or build-deployment-context) before tofu")
            .usage()
    })?;
    // It names the state key in the bucket.
    crate::ids::check_id("scope id", "SCOPE_ID", &scope_id)?;
    let working_dir = working_dir(env)?;
    let backend = Backend::from_env(&scope_id, env)?;
    let binary = find_binary(env)?;
    let expected_seconds = bounded_number(
        "TOFU_EXPECTED_DURATION_SECONDS",
        env("TOFU_EXPECTED_DURATION_SECONDS"),
        60..=43_200,
        refresh::DEFAULT_EXPECTED_SECONDS,
    )?;
    let served = crate::step::block_on(refresh::serve_if_needed(env, expected_seconds))?
        .map(std::sync::Arc::new);
    let run = TofuRun {
        binary,
        working_dir,
        backend,
        served,
    };
    let found = run.version()?;
    progress(format!(
        "🔧 using {found} ({}) in {}",
        run.binary.display(),
        run.working_dir.display()
    ));
    version::require_minimum(&found)?;
    run.init()?;
    if action == TofuAction::Destroy {
        run.adopt_before_destroy(&imports::found_in(&run.working_dir)?)?;
    }
    run.run(action)?;
    match action {
        TofuAction::Apply => {
            let mut outputs = step_outputs(&run.outputs()?);
            catch_up_after_apply(env, &mut outputs, run.served.as_deref())?;
            progress(format!("✅ tofu apply done for scope {scope_id}"));
            Ok(outputs)
        }
        TofuAction::Destroy => {
            progress(format!("✅ tofu destroy done for scope {scope_id}"));
            Ok(Outputs::new())
        }
    }
}

/// The main alias catch-up after apply (see [`catch_up`]), skipped for blue/green
/// scopes (`IS_BLUE_GREEN=true`: deployments own the alias) and when the function is
/// unknown. `LAMBDA_CURRENT_VERSION` becomes the version the alias points at.
fn catch_up_after_apply(
    env: Env,
    outputs: &mut Outputs,
    served: Option<&ServedCredentials>,
) -> Result<(), StepError> {
    if env("IS_BLUE_GREEN").is_some_and(|value| value.trim().eq_ignore_ascii_case("true")) {
        progress("ℹ️ blue/green scope: the main alias is left to deployments");
        return Ok(());
    }
    let arn_function = outputs
        .get("LAMBDA_FUNCTION_ARN")
        .and_then(catch_up::function_name_from_arn)
        .map(str::to_string);
    let Some(function) = env("LAMBDA_FUNCTION_NAME").or(arn_function) else {
        progress("ℹ️ no LAMBDA_FUNCTION_NAME nor function ARN output: no alias to catch up");
        return Ok(());
    };
    let alias = crate::settings::LAMBDA_MAIN_ALIAS_NAME
        .value(env)
        .unwrap_or_default();
    let result = crate::step::block_on(async {
        // After a long apply the inherited credentials may have run out: the served
        // profile's are fresh.
        let config = match served {
            Some(served) => {
                let fresh = served.current().await?;
                let credentials = aws_credential_types::Credentials::new(
                    fresh.access_key_id,
                    fresh.secret_access_key.expose(),
                    Some(fresh.session_token.expose().to_string()),
                    Some(
                        std::time::UNIX_EPOCH
                            + std::time::Duration::from_secs(
                                fresh.expiration.as_second().max(0) as u64
                            ),
                    ),
                    "lambda-scope-served",
                );
                crate::aws::sdk_config_with_credentials(
                    crate::aws::CallBounds::from_env()?,
                    aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
                )
                .await
            }
            None => crate::aws::sdk_config().await?,
        };
        let client = aws_sdk_lambda::Client::new(&config);
        catch_up::catch_up_main_alias(&client, &function, &alias).await
    });
    let result = result.map_err(|err| {
        err.cause("tofu apply itself succeeded; only the alias catch-up failed")
            .fix("re-run the action once the cause is fixed (the apply is idempotent)")
    })?;
    progress(result.describe(&function, &alias));
    if let Some(version) = result.current_version() {
        outputs.set("LAMBDA_CURRENT_VERSION", version);
    }
    Ok(())
}

fn working_dir(env: Env) -> Result<PathBuf, StepError> {
    let dir =
        match (env("TOFU_WORKING_DIR"), env("OUTPUT_DIR")) {
            (Some(dir), _) => PathBuf::from(dir),
            (None, Some(output)) => PathBuf::from(output).join("tofu"),
            (None, None) => return Err(StepError::new(
                "neither TOFU_WORKING_DIR nor OUTPUT_DIR is set",
            )
            .cause("build-scope-context and compose-tofu did not run before this step")
            .fix("run build-scope-context and compose-tofu first, or set TOFU_WORKING_DIR")
            .usage()),
        };
    if !dir.is_dir() {
        return Err(StepError::new(format!(
            "the tofu working directory {} does not exist",
            dir.display()
        ))
        .cause("compose-tofu did not run, or wrote elsewhere")
        .fix("run compose-tofu before run-tofu (it writes $OUTPUT_DIR/tofu)")
        .usage());
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::env_of;

    #[test]
    fn backend_without_endpoint_has_no_endpoint_settings() {
        let env = env_of(&[("TOFU_STATE_BUCKET", "state"), ("AWS_REGION", "eu-west-1")]);
        let backend = Backend::from_env("s-1", &env).unwrap();
        assert_eq!(backend.key, "lambda/s-1/terraform.tfstate");
        let hcl = backend.to_hcl();
        assert!(hcl.contains("bucket = \"state\"\n"), "{hcl}");
        assert!(hcl.contains("region = \"eu-west-1\"\n"), "{hcl}");
        assert!(hcl.contains("use_lockfile = true\n"), "{hcl}");
        assert!(!hcl.contains("endpoints"), "{hcl}");
        assert!(!hcl.contains("use_path_style"), "{hcl}");
    }

    #[test]
    fn backend_with_emulator_endpoint_uses_path_style() {
        let env = env_of(&[
            ("TOFU_STATE_BUCKET", "state"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:6000"),
        ]);
        let hcl = Backend::from_env("s-1", &env).unwrap().to_hcl();
        assert!(hcl.contains("s3 = \"http://127.0.0.1:5000\""), "{hcl}");
        assert!(hcl.contains("sts = \"http://127.0.0.1:6000\""), "{hcl}");
        assert!(hcl.contains("use_path_style = true"), "{hcl}");
    }

    #[test]
    fn missing_bucket_or_region_is_a_usage_error() {
        let err = Backend::from_env("s", &env_of(&[("AWS_REGION", "us-east-1")])).unwrap_err();
        assert_eq!(err.exit_code, 2);
        assert!(err.what.contains("TOFU_STATE_BUCKET"));
        let err = Backend::from_env("s", &env_of(&[("TOFU_STATE_BUCKET", "b")])).unwrap_err();
        assert!(err.what.contains("AWS_REGION"));
    }

    #[test]
    fn binary_lookup_prefers_tofu_bin_then_tofu_then_terraform() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let make = |name: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            path
        };
        let path = dir.path().display().to_string();
        let err = find_binary(&env_of(&[("PATH", &path)])).unwrap_err();
        assert!(err.what.contains("neither tofu nor terraform"));
        let terraform = make("terraform");
        assert_eq!(find_binary(&env_of(&[("PATH", &path)])).unwrap(), terraform);
        let tofu = make("tofu");
        assert_eq!(find_binary(&env_of(&[("PATH", &path)])).unwrap(), tofu);
        let chosen = find_binary(&env_of(&[("PATH", &path), ("TOFU_BIN", "terraform")])).unwrap();
        assert_eq!(chosen, terraform);
        let err = find_binary(&env_of(&[("PATH", &path), ("TOFU_BIN", "/nope/tofu")])).unwrap_err();
        assert_eq!(err.exit_code, 2);
    }

    #[test]
    fn step_outputs_are_always_all_set_empty_when_undefined() {
        let values: serde_json::Map<String, Value> = serde_json::from_value(serde_json::json!({
            "lambda_function_arn": "arn:aws:lambda:us-east-1:1:function:f",
            "lambda_current_version": 3,
            "alb_rule_arn": null,
            "other": "x"
        }))
        .unwrap();
        let outputs = step_outputs(&values);
        assert_eq!(
            outputs.get("LAMBDA_FUNCTION_ARN"),
            Some("arn:aws:lambda:us-east-1:1:function:f")
        );
        assert_eq!(outputs.get("LAMBDA_CURRENT_VERSION"), Some("3"));
        assert_eq!(outputs.get("ALB_RULE_ARN"), Some(""));
        assert_eq!(outputs.names().count(), 3);
    }
}
