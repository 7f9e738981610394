//! Secrets generated on first use under the data dir (demo defaults, like the draft key):
//! a random token in a 0600 file; a concurrent creator wins the race.

use std::io::Write;
use std::path::Path;

use super::{generate_token, CryptoError};

/// The trimmed file content as bytes, creating the file with a fresh token if missing.
pub fn load_or_create(path: &Path) -> Result<Vec<u8>, CryptoError> {
    match std::fs::read_to_string(path) {
        Ok(text) => return Ok(text.trim().as_bytes().to_vec()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(CryptoError::io(path, e)),
        Err(_) => {}
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| CryptoError::io(dir, e))?;
    }
    let token = generate_token()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut f) => {
            f.write_all(format!("{token}\n").as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| CryptoError::io(path, e))?;
            Ok(token.into_bytes())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(path)
            .map(|t| t.trim().as_bytes().to_vec())
            .map_err(|e| CryptoError::io(path, e)),
        Err(e) => Err(CryptoError::io(path, e)),
    }
}
