//! The inbox's private keys: several per state, each found by the key id an envelope names,
//! so a key can be rotated while reports sealed to the older one are still in flight.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::crypto::keys::load_private_key;
use crate::crypto::PolicePrivateKey;

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(
        "key file {path} is readable by group or others (mode {mode:04o}); run: chmod 600 {path}"
    )]
    Exposed { path: String, mode: u32 },
    #[error("cannot read key file {path}: {problem}")]
    Unreadable { path: String, problem: String },
    #[error("cannot list key directory {path}: {problem}")]
    Dir { path: String, problem: String },
    #[error("two key files hold key id {0:?}")]
    Duplicate(String),
}

/// Private keys by key id. Debug never shows a secret (`PolicePrivateKey` redacts it).
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: BTreeMap<String, PolicePrivateKey>,
}

impl Keyring {
    pub fn from_keys(keys: impl IntoIterator<Item = PolicePrivateKey>) -> Keyring {
        Keyring {
            keys: keys.into_iter().map(|k| (k.key_id.clone(), k)).collect(),
        }
    }

    /// Every `*.private.json` in `dirs`, refusing files that group or others may read.
    pub fn load_dirs(dirs: &[PathBuf]) -> Result<Keyring, KeyringError> {
        let mut keys = BTreeMap::new();
        for dir in dirs {
            for path in private_key_files(dir)? {
                check_permissions(&path)?;
                let key = load_private_key(&path).map_err(|e| KeyringError::Unreadable {
                    path: path.display().to_string(),
                    problem: e.to_string(),
                })?;
                if keys.insert(key.key_id.clone(), key.clone()).is_some() {
                    return Err(KeyringError::Duplicate(key.key_id));
                }
            }
        }
        Ok(Keyring { keys })
    }

    pub fn get(&self, key_id: &str) -> Option<&PolicePrivateKey> {
        self.keys.get(key_id)
    }

    /// Keys in key-id order (per state, oldest first: ids carry the creation date).
    pub fn keys(&self) -> impl Iterator<Item = &PolicePrivateKey> {
        self.keys.values()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The states this inbox holds keys for, sorted, once each.
    pub fn states(&self) -> Vec<String> {
        let mut states: Vec<String> = self.keys.values().map(|k| k.state.clone()).collect();
        states.sort();
        states.dedup();
        states
    }
}

fn private_key_files(dir: &Path) -> Result<Vec<PathBuf>, KeyringError> {
    let entries = std::fs::read_dir(dir).map_err(|e| KeyringError::Dir {
        path: dir.display().to_string(),
        problem: e.to_string(),
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| KeyringError::Dir {
                path: dir.display().to_string(),
                problem: e.to_string(),
            })?
            .path();
        let private = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".private.json"));
        if private {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// A private key that others on the machine can read is as good as published.
fn check_permissions(path: &Path) -> Result<(), KeyringError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| KeyringError::Unreadable {
            path: path.display().to_string(),
            problem: e.to_string(),
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyringError::Exposed {
                path: path.display().to_string(),
                mode,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys;

    #[test]
    fn loads_every_private_key_and_refuses_exposed_ones() {
        let dir = tempfile::tempdir().expect("tmp");
        let a = keys::generate("be", dir.path()).expect("key");
        let b = keys::generate("bb", dir.path()).expect("key");
        let ring = Keyring::load_dirs(&[dir.path().to_path_buf()]).expect("load");
        assert!(ring.get(&a.public.key_id).is_some());
        assert!(ring.get(&b.public.key_id).is_some());
        assert_eq!(ring.states(), vec!["bb".to_string(), "be".to_string()]);

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let perms = std::fs::Permissions::from_mode(0o640);
            std::fs::set_permissions(&a.private_path, perms).expect("chmod");
            let err = Keyring::load_dirs(&[dir.path().to_path_buf()]).expect_err("exposed");
            let message = err.to_string();
            assert!(message.contains("readable by group or others"), "{message}");
            assert!(message.contains("chmod 600"), "{message}");
        }
    }
}
