//! Secrets generated on first use under the data dir (demo defaults, like the draft key and
//! the receipt secrets): a random token in a 0600 file.
//!
//! Two processes may start at once and both find the file missing. Each writes its token to
//! a temporary file of its own and publishes it with a hard link, which fails if the target
//! exists; the loser reads the winner's file. The target therefore only ever appears with its
//! whole content, and no caller is handed an empty or half-written secret.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{generate_token, CryptoError};

/// The trimmed file content as bytes, creating the file with a fresh token if missing.
pub fn load_or_create(path: &Path) -> Result<Vec<u8>, CryptoError> {
    if let Some(secret) = read_existing(path)? {
        return Ok(secret);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| CryptoError::io(dir, e))?;
    }
    let token = generate_token()?;
    let temporary = temporary_path(path)?;
    write_new(&temporary, format!("{token}\n").as_bytes())?;
    let published = std::fs::hard_link(&temporary, path);
    // The temporary name is ours alone; whether we won or lost, it has done its job.
    let _ = std::fs::remove_file(&temporary);
    match published {
        Ok(()) => Ok(token.into_bytes()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read_existing(path)?.ok_or_else(|| CryptoError::io(path, e))
        }
        Err(e) => Err(CryptoError::io(path, e)),
    }
}

/// `None` when the file does not exist; an empty file is an error, never a secret.
fn read_existing(path: &Path) -> Result<Option<Vec<u8>>, CryptoError> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Err(CryptoError::EmptySecret {
            path: path.display().to_string(),
        }),
        Ok(text) => Ok(Some(text.trim().as_bytes().to_vec())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CryptoError::io(path, e)),
    }
}

/// A sibling name no other creator uses (same directory, so the hard link stays on one
/// file system).
fn temporary_path(path: &Path) -> Result<PathBuf, CryptoError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let unique = generate_token()?;
    Ok(path.with_file_name(format!(".{name}.{unique}.tmp")))
}

fn write_new(path: &Path, content: &[u8]) -> Result<(), CryptoError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| CryptoError::io(path, e))?;
    file.write_all(content)
        .and_then(|()| file.sync_all())
        .map_err(|e| CryptoError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_and_reads_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys").join("x.secret");
        let first = load_or_create(&path).expect("created");
        assert!(!first.is_empty());
        assert_eq!(load_or_create(&path).expect("read"), first);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("x.secret")]);
    }

    #[test]
    fn racing_creators_all_get_the_same_non_empty_secret() {
        for _round in 0..20 {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("race.secret");
            let barrier = std::sync::Barrier::new(8);
            let secrets: Vec<Vec<u8>> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            load_or_create(&path).expect("every racer gets a secret")
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            assert!(!secrets[0].is_empty());
            assert!(secrets.iter().all(|s| s == &secrets[0]), "racers disagree");
            let on_disk = std::fs::read_to_string(&path).unwrap();
            assert_eq!(on_disk.trim().as_bytes(), secrets[0].as_slice());
        }
    }

    #[test]
    fn an_empty_file_is_refused_not_used() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("empty.secret");
        std::fs::write(&path, "\n").unwrap();
        let err = load_or_create(&path).expect_err("empty secret refused");
        assert!(matches!(err, CryptoError::EmptySecret { .. }), "{err:?}");
    }
}
