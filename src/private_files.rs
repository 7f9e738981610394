//! Files and directories only the service's own user may read: the data directory and its
//! key and mail directories (0700), the SQLite database (0600; SQLite gives its `-wal` and
//! `-shm` files the database file's mode). The database holds password hashes, session and
//! token hashes, the audit log and sealed reports; the key files open what they protect.

use std::io;
use std::path::Path;

/// Creates `dir` (and missing parents) with mode 0700. An existing directory keeps its
/// mode: it is the operator's to choose.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Makes sure the SQLite database file exists with mode 0600 before SQLite opens it, and
/// takes group and other access away from one created earlier by an older version.
pub fn prepare_database_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let Ok(meta) = std::fs::metadata(&name) else {
            continue;
        };
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn directories_0700_database_0600_and_tightened() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("var").join("keys");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&root.path().join("var")), 0o700);
        let db = root.path().join("var").join("x.db");
        prepare_database_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        prepare_database_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600, "an old world-readable file is tightened");
    }
}
