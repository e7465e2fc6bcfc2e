//! A token shared between processes (e.g. PHP-FPM workers) through a file: one file per cache key in
//! a directory the caller chooses, written atomically, with a lock file so that concurrent processes
//! renew once.
//!
//! What protects the tokens: the directory must belong to the current user and not be writable by
//! anyone else, and files are created with mode 0600 and opened without following symbolic links.
//! The tokens are stored in plain text: anyone who can read the files as this user (or as root), or
//! read the disk or its backups, can use them. Passwords and client secrets are never written.

use crate::error::{Error, Result, Status};
use crate::secret::Secret;
use crate::token::Token;
use serde_json::{json, Value};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};
use zeroize::Zeroizing;

pub(crate) struct FileCache {
    path: PathBuf,
    lock_path: PathBuf,
}

/// A token read back from the cache, with the refresh token stored beside it (rotation may have
/// replaced the one in the token response).
pub(crate) struct CachedToken {
    pub token: Token,
    pub refresh_token: Option<Secret>,
}

/// Holds the cache's lock file locked until dropped.
pub(crate) struct CacheLock(File);

impl Drop for CacheLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl FileCache {
    /// The cache entry for `key` under `dir`, creating `dir` (mode 0700) if needed.
    pub fn new(dir: &Path, key: &str) -> Result<FileCache> {
        prepare_directory(dir)?;
        let name = sha256_hex(key);
        Ok(FileCache {
            path: dir.join(format!("qflow-token-{name}.json")),
            lock_path: dir.join(format!("qflow-token-{name}.lock")),
        })
    }

    /// Blocks until this process holds the entry's lock.
    pub fn lock(&self) -> Result<CacheLock> {
        let file = open_private(&self.lock_path, false)?;
        file.lock().map_err(|e| io_error("lock", &self.lock_path, e))?;
        Ok(CacheLock(file))
    }

    /// The cached token, if there is a readable one. A damaged entry counts as absent: it is simply
    /// replaced by the next renewal.
    pub fn read(&self) -> Option<CachedToken> {
        let mut file = open_existing_private(&self.path)?;
        let mut text = Zeroizing::new(String::new());
        file.read_to_string(&mut text).ok()?;
        let entry: Value = serde_json::from_str(&text).ok()?;
        let received_at = UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(entry["received_at"].as_f64()?).ok()?)?;
        let token = Token::parse(Zeroizing::new(entry["token"].as_str()?.to_string()), received_at).ok()?;
        let refresh_token = entry["refresh_token"].as_str().map(Secret::new);
        Some(CachedToken { token, refresh_token })
    }

    /// Replaces the entry atomically: a temporary file in the same directory, then a rename, so readers
    /// see the old entry or the new one, never half of one.
    pub fn write(&self, token: &Token, refresh_token: Option<&Secret>) -> Result<()> {
        let received_at = token.received_at().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        let entry = json!({
            "received_at": received_at,
            "token": token.raw_json(),
            "refresh_token": refresh_token.map(Secret::expose),
        });
        let text = Zeroizing::new(entry.to_string());
        let temporary = self.path.with_extension(format!("tmp{}", std::process::id()));
        let result = (|| {
            let mut file = open_private(&temporary, true)?;
            file.write_all(text.as_bytes()).map_err(|e| io_error("write", &temporary, e))?;
            file.sync_all().map_err(|e| io_error("write", &temporary, e))?;
            std::fs::rename(&temporary, &self.path).map_err(|e| io_error("replace", &self.path, e))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        result
    }

    /// Removes the entry if it still holds `access_token` (another process may have renewed already).
    pub fn remove_if_holding(&self, access_token: &str) -> Result<()> {
        let _lock = self.lock()?;
        if self.read().is_some_and(|cached| cached.token.access_token() == access_token) {
            std::fs::remove_file(&self.path).map_err(|e| io_error("remove", &self.path, e))?;
        }
        Ok(())
    }
}

/// The SHA-256 of `text` in lower-case hex: a file name for a key, or a stand-in for a secret in one.
pub(crate) fn sha256_hex(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn io_error(action: &str, path: &Path, error: std::io::Error) -> Error {
    Error::new(Status::Io, format!("cannot {action} the token cache file {}: {}", path.display(), error.kind()))
}

#[cfg(unix)]
fn prepare_directory(dir: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let shown = dir.display();
    if dir.as_os_str().is_empty() {
        return Err(Error::invalid_argument("file_cache_dir must not be empty"));
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::invalid_argument(format!("file_cache_dir {shown} cannot be created: {}", e.kind())))?;
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|e| Error::invalid_argument(format!("file_cache_dir {shown} cannot be read: {}", e.kind())))?;
    if !meta.is_dir() {
        return Err(Error::invalid_argument(format!("file_cache_dir {shown} is not a directory")));
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    if meta.uid() != uid {
        return Err(Error::invalid_argument(format!(
            "file_cache_dir {shown} belongs to another user; tokens must be kept in a directory of your own"
        )));
    }
    if meta.permissions().mode() & 0o022 != 0 {
        return Err(Error::invalid_argument(format!(
            "file_cache_dir {shown} is writable by other users, who could plant tokens there; use mode 0700"
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn prepare_directory(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::invalid_argument(format!("file_cache_dir {} cannot be created: {}", dir.display(), e.kind()))
    })
}

/// Opens (creating it if `truncate` or missing) a file only this user can read, refusing symlinks.
fn open_private(path: &Path, truncate: bool) -> Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(truncate);
    restrict(&mut options);
    options.open(path).map_err(|e| io_error("open", path, e))
}

fn open_existing_private(path: &Path) -> Option<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    restrict(&mut options);
    options.open(path).ok()
}

#[cfg(unix)]
fn restrict(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
}

#[cfg(not(unix))]
fn restrict(_: &mut OpenOptions) {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("qflow-cache-unit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn token(access: &str) -> Token {
        let raw = format!(r#"{{"access_token":"{access}","expires_in":3600,"refresh_token":"rt-old"}}"#);
        Token::parse(Zeroizing::new(raw), SystemTime::now()).unwrap()
    }

    #[test]
    fn round_trip_with_private_permissions() {
        let dir = temp_dir("roundtrip");
        let cache = FileCache::new(&dir, "key").unwrap();
        assert!(cache.read().is_none());
        let original = token("at-1");
        cache.write(&original, Some(&Secret::new("rt-rotated"))).unwrap();
        let back = cache.read().unwrap();
        assert_eq!(back.token.access_token(), "at-1");
        assert_eq!(back.token.expires_at().unwrap().duration_since(UNIX_EPOCH).unwrap().as_secs(),
                   original.expires_at().unwrap().duration_since(UNIX_EPOCH).unwrap().as_secs());
        assert_eq!(back.refresh_token.unwrap().expose(), "rt-rotated");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&cache.path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        }
        cache.remove_if_holding("at-other").unwrap();
        assert!(cache.read().is_some(), "a different token is left alone");
        cache.remove_if_holding("at-1").unwrap();
        assert!(cache.read().is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn different_keys_use_different_files() {
        let dir = temp_dir("keys");
        let a = FileCache::new(&dir, "scope a").unwrap();
        let b = FileCache::new(&dir, "scope b").unwrap();
        a.write(&token("at-a"), None).unwrap();
        assert!(b.read().is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn damaged_entries_count_as_absent() {
        let dir = temp_dir("damaged");
        let cache = FileCache::new(&dir, "k").unwrap();
        std::fs::write(&cache.path, "{not json").unwrap();
        assert!(cache.read().is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn refuses_directories_others_can_write() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("open");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = FileCache::new(&dir, "k").err().unwrap();
        assert!(err.message().contains("writable by other users"), "{}", err.message());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinked_entries() {
        let dir = temp_dir("symlink");
        let cache = FileCache::new(&dir, "k").unwrap();
        let elsewhere = dir.join("elsewhere.json");
        FileCache { path: elsewhere.clone(), lock_path: dir.join("x.lock") }.write(&token("at-planted"), None).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &cache.path).unwrap();
        assert!(cache.read().is_none(), "a symlink is not followed");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
