//! Where the TLS root certificates come from. The SDK's rustls reads the system's CA
//! bundle *and* the certificate directory beside it, and on Debian, Alpine and RHEL both
//! hold the same certificates: parsing them twice cost every AWS-calling step 3.6 ms of
//! its ~12 ms beyond the round trip. At start-up the bundle alone is named when the only
//! directory is the bundle's own; any other directory (an operator's) is kept.

use std::path::{Path, PathBuf};

/// What rustls would read: (the bundle file, the directories).
fn sources() -> (Option<PathBuf>, Vec<PathBuf>) {
    let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    let probed = openssl_probe::probe();
    let file = var("SSL_CERT_FILE").map(PathBuf::from).or(probed.cert_file);
    let dirs = match var("SSL_CERT_DIR") {
        Some(dirs) => std::env::split_paths(&dirs)
            .filter(|dir| !dir.as_os_str().is_empty())
            .collect(),
        None => probed.cert_dir,
    };
    (file, dirs)
}

/// The bundle to read alone, when every directory is the bundle's own.
fn bundle_alone(file: Option<&Path>, dirs: &[PathBuf]) -> Option<PathBuf> {
    let file = file.filter(|file| file.is_file())?;
    // Through links (Alpine's /etc/ssl/cert.pem is certs/ca-certificates.crt).
    let home = std::fs::canonicalize(file).ok()?.parent()?.to_path_buf();
    dirs.iter()
        .all(|dir| std::fs::canonicalize(dir).is_ok_and(|dir| dir == home))
        .then(|| file.to_path_buf())
}

/// Names the bundle alone (SSL_CERT_FILE, without SSL_CERT_DIR) when its directory holds
/// the same certificates. Call it first thing in `main`, while the process has one thread.
pub fn read_the_bundle_once() {
    let (file, dirs) = sources();
    if let Some(bundle) = bundle_alone(file.as_deref(), &dirs) {
        std::env::set_var("SSL_CERT_FILE", bundle);
        std::env::remove_var("SSL_CERT_DIR");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_alone_when_the_only_directory_is_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("ca-certificates.crt");
        std::fs::write(&bundle, "").unwrap();
        let own = vec![dir.path().to_path_buf()];
        assert_eq!(bundle_alone(Some(&bundle), &own), Some(bundle.clone()));
        // The same directory named twice, or through another path, is still its own.
        let twice = vec![dir.path().to_path_buf(), dir.path().join(".")];
        assert_eq!(bundle_alone(Some(&bundle), &twice), Some(bundle.clone()));
        // No directory at all: the bundle is what is read anyway.
        assert_eq!(bundle_alone(Some(&bundle), &[]), Some(bundle.clone()));
        // A link to the bundle from elsewhere belongs to the bundle's directory.
        let elsewhere = tempfile::tempdir().unwrap();
        let link = elsewhere.path().join("cert.pem");
        std::os::unix::fs::symlink(&bundle, &link).unwrap();
        assert_eq!(bundle_alone(Some(&link), &own), Some(link.clone()));
    }

    #[test]
    fn another_directory_or_no_bundle_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("ca-certificates.crt");
        std::fs::write(&bundle, "").unwrap();
        let both = vec![dir.path().to_path_buf(), other.path().to_path_buf()];
        assert_eq!(bundle_alone(Some(&bundle), &both), None);
        let missing = dir.path().join("missing.crt");
        assert_eq!(
            bundle_alone(Some(&missing), &[dir.path().to_path_buf()]),
            None
        );
        assert_eq!(bundle_alone(None, &[dir.path().to_path_buf()]), None);
    }
}
