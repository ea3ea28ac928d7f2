//! The assumed-credentials cache that keeps frequent workflows (telemetry polls every
//! few seconds) off STS: one 0600 file per request key, written atomically, reused
//! only while enough lifetime remains. A file that is corrupt, foreign (another
//! owner, loose permissions) or for another key is ignored and replaced, never trusted.
//! A lock file beside each entry lets concurrent cold starts share one STS call.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::request::AssumeRequest;
use super::sts::AssumedCredentials;
use crate::report::Secret;

const FORMAT_VERSION: u32 = 1;

/// Where cached credentials live; `None` when caching is off.
#[derive(Debug, Clone)]
pub struct CredentialCache {
    dir: PathBuf,
}

impl CredentialCache {
    /// `SCOPE_CREDENTIALS_CACHE_DIR` (`off` disables), else `<user cache dir>/lambda-scope/credentials`.
    pub fn from_setting(setting: Option<&str>) -> Option<CredentialCache> {
        match setting.map(str::trim).filter(|value| !value.is_empty()) {
            Some("off") => None,
            Some(dir) => Some(CredentialCache {
                dir: PathBuf::from(dir),
            }),
            None => dirs::cache_dir().map(|base| CredentialCache {
                dir: base.join("lambda-scope").join("credentials"),
            }),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_for(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.json", key.0))
    }

    /// Cached credentials for `key` with more than `refresh_seconds` left, or why not.
    pub fn load(&self, key: &CacheKey, refresh_seconds: i64, now: Timestamp) -> Lookup {
        let path = self.path_for(key);
        let metadata = match fs::symlink_metadata(&path) {
            Ok(metadata) => metadata,
            Err(_) => return Lookup::Miss,
        };
        if !metadata.is_file()
            || metadata.uid() != rustix::process::geteuid().as_raw()
            || metadata.mode() & 0o077 != 0
        {
            return Lookup::Ignored("the cache file is not a private file of this user");
        }
        let Ok(text) = fs::read_to_string(&path) else {
            return Lookup::Ignored("the cache file could not be read");
        };
        let Ok(entry) = serde_json::from_str::<CacheEntry>(&text) else {
            return Lookup::Ignored("the cache file is corrupt");
        };
        if entry.format != FORMAT_VERSION || entry.key != key.0 {
            return Lookup::Ignored("the cache file belongs to another request");
        }
        let Ok(expiration) = entry.expiration.parse::<Timestamp>() else {
            return Lookup::Ignored("the cache file has no valid expiration");
        };
        let remaining = expiration.as_second() - now.as_second();
        if remaining <= refresh_seconds {
            return Lookup::Expiring;
        }
        Lookup::Hit(AssumedCredentials {
            access_key_id: entry.access_key_id,
            secret_access_key: Secret::new(entry.secret_access_key),
            session_token: Secret::new(entry.session_token),
            expiration,
            assumed_role_arn: entry.assumed_role_arn,
        })
    }

    /// The cache dir, created 0700 when missing; an error when it is not private.
    pub(crate) fn private_dir(&self) -> std::io::Result<&Path> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        let dir_meta = fs::metadata(&self.dir)?;
        if dir_meta.uid() != rustix::process::geteuid().as_raw() || dir_meta.mode() & 0o022 != 0 {
            return Err(std::io::Error::other(format!(
                "{} is not a private directory of this user",
                self.dir.display()
            )));
        }
        Ok(&self.dir)
    }

    /// Takes the lock of `key`'s entry, waiting at most `wait` for a process that holds
    /// it (it is calling STS for the same request); `None` when the wait ran out or the
    /// lock cannot be taken at all — the caller then calls STS itself. Released on drop.
    pub fn lock(&self, key: &CacheKey, wait: Duration) -> Option<EntryLock> {
        let dir = self.private_dir().ok()?;
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(dir.join(format!("{}.lock", key.0)))
            .ok()?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => return Some(EntryLock(file)),
                Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return None,
            }
        }
    }

    /// Writes the entry to a temporary file in the cache dir, then renames it into place.
    pub fn store(&self, key: &CacheKey, credentials: &AssumedCredentials) -> std::io::Result<()> {
        self.private_dir()?;
        let entry = CacheEntry {
            format: FORMAT_VERSION,
            key: key.0.clone(),
            access_key_id: credentials.access_key_id.clone(),
            secret_access_key: credentials.secret_access_key.expose().to_string(),
            session_token: credentials.session_token.expose().to_string(),
            expiration: credentials.expiration.to_string(),
            assumed_role_arn: credentials.assumed_role_arn.clone(),
        };
        let mut file = tempfile::Builder::new()
            .prefix(".tmp-")
            .permissions(fs::Permissions::from_mode(0o600))
            .tempfile_in(&self.dir)?;
        file.write_all(serde_json::to_string(&entry)?.as_bytes())?;
        file.as_file().sync_all()?;
        file.persist(self.path_for(key)).map_err(|err| err.error)?;
        Ok(())
    }
}

/// An entry's lock, held while its owner calls STS and stores the answer.
#[derive(Debug)]
pub struct EntryLock(#[allow(dead_code)] fs::File);

/// The result of a cache lookup.
#[derive(Debug)]
pub enum Lookup {
    Hit(AssumedCredentials),
    Miss,
    /// Present but too close to expiry.
    Expiring,
    /// Present but not trusted, with the reason.
    Ignored(&'static str),
}

/// A digest of everything that makes two requests interchangeable: the request
/// itself, the identity of the base credentials and the endpoint they talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey(String);

impl CacheKey {
    pub fn new(request: &AssumeRequest, base_identity: &str, endpoint: &str) -> CacheKey {
        let mut hasher = Sha256::new();
        let mut field = |name: &str, value: &str| {
            // Length-prefixed so that no two different field lists hash alike.
            hasher.update(format!("{name}:{}:", value.len()).as_bytes());
            hasher.update(value.as_bytes());
        };
        field("role", request.role.as_str());
        field("session", &request.session_name);
        field("duration", &request.duration_seconds.to_string());
        field("external_id", request.external_id.as_deref().unwrap_or(""));
        for arn in &request.policy_arns {
            field("policy_arn", arn.as_str());
        }
        field(
            "session_policy",
            request.session_policy.as_deref().unwrap_or(""),
        );
        for (key, value) in &request.session_tags {
            field("tag", &format!("{key}={value}"));
        }
        field("base_identity", base_identity);
        field("endpoint", endpoint);
        CacheKey(hex::encode(hasher.finalize()))
    }
}

#[derive(Serialize, Deserialize)]
struct CacheEntry {
    format: u32,
    key: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
    assumed_role_arn: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arn::RoleArn;
    use crate::credentials::request::RequestInputs;

    fn request(external_id: Option<&str>) -> AssumeRequest {
        AssumeRequest::build(
            RoleArn::parse("arn:aws:iam::123456789012:role/target").unwrap(),
            &RequestInputs {
                external_id,
                ..RequestInputs::default()
            },
        )
        .unwrap()
    }

    fn credentials(expiration: Timestamp) -> AssumedCredentials {
        AssumedCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("secret"),
            session_token: Secret::new("token"),
            expiration,
            assumed_role_arn: "arn:aws:sts::123456789012:assumed-role/target/np-lambda-workflow"
                .into(),
        }
    }

    fn now() -> Timestamp {
        "2026-11-24T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn setting_off_disables_and_empty_uses_the_user_cache_dir() {
        assert!(CredentialCache::from_setting(Some("off")).is_none());
        let explicit = CredentialCache::from_setting(Some("/tmp/x")).unwrap();
        assert_eq!(explicit.dir(), Path::new("/tmp/x"));
        if let Some(default) = CredentialCache::from_setting(None) {
            assert!(default.dir().ends_with("lambda-scope/credentials"));
        }
    }

    #[test]
    fn key_changes_with_every_input() {
        let base = CacheKey::new(&request(None), "AKIA1", "http://a");
        assert_eq!(base, CacheKey::new(&request(None), "AKIA1", "http://a"));
        assert_ne!(
            base,
            CacheKey::new(&request(Some("ext")), "AKIA1", "http://a")
        );
        assert_ne!(base, CacheKey::new(&request(None), "AKIA2", "http://a"));
        assert_ne!(base, CacheKey::new(&request(None), "AKIA1", "http://b"));
    }

    #[test]
    fn stored_entry_is_private_and_reused_until_refresh_window() {
        let dir = tempfile::tempdir().unwrap();
        let cache =
            CredentialCache::from_setting(Some(dir.path().join("c").to_str().unwrap())).unwrap();
        let key = CacheKey::new(&request(None), "AKIA1", "");
        let expiration: Timestamp = "2026-11-24T01:00:00Z".parse().unwrap();
        cache.store(&key, &credentials(expiration)).unwrap();
        let path = cache.path_for(&key);
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(cache.dir()).unwrap().mode() & 0o777, 0o700);
        match cache.load(&key, 300, now()) {
            Lookup::Hit(hit) => assert_eq!(hit, credentials(expiration)),
            other => panic!("expected a hit, got {other:?}"),
        }
        // 3600 s left, refresh window 3600 s: too close, refresh.
        assert!(matches!(cache.load(&key, 3600, now()), Lookup::Expiring));
        // Only the entry remains: the temporary file was renamed away.
        assert_eq!(fs::read_dir(cache.dir()).unwrap().count(), 1);
    }

    #[test]
    fn corrupt_loose_or_foreign_key_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CredentialCache::from_setting(Some(dir.path().to_str().unwrap())).unwrap();
        let key = CacheKey::new(&request(None), "AKIA1", "");
        let path = cache.path_for(&key);

        fs::write(&path, "{garbage").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            cache.load(&key, 300, now()),
            Lookup::Ignored("the cache file is corrupt")
        ));

        let other = CacheKey::new(&request(Some("zz")), "AKIA1", "");
        cache
            .store(
                &other,
                &credentials("2026-11-24T05:00:00Z".parse().unwrap()),
            )
            .unwrap();
        fs::copy(cache.path_for(&other), &path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(
            matches!(cache.load(&key, 300, now()), Lookup::Ignored(reason) if reason.contains("another request"))
        );

        cache
            .store(&key, &credentials("2026-11-24T05:00:00Z".parse().unwrap()))
            .unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            matches!(cache.load(&key, 300, now()), Lookup::Ignored(reason) if reason.contains("private"))
        );
    }
}
