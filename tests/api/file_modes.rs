//! The data directory and the database are readable by the service's user only.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::filing::{file_report, Filler};
use crate::helpers::{spawn_app, Backend};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn data_dir_keys_and_database_are_private() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let mut filler = Filler::new("10115", "Modus");
    file_report(&app, "be", "betrug", &mut filler).await;

    assert_eq!(mode(&app.data_dir), 0o700, "data directory");
    let keys = app.data_dir.join("keys");
    assert_eq!(mode(&keys), 0o700, "key directory");
    let mut secret_files = 0;
    for entry in std::fs::read_dir(&keys).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".public.json") {
            continue;
        }
        assert_eq!(mode(&entry.path()), 0o600, "{name}");
        secret_files += 1;
    }
    assert!(
        secret_files >= 4,
        "address, audit, CSRF and demo police keys ({secret_files})"
    );
    for suffix in ["", "-wal", "-shm"] {
        let file = app.dir.path().join(format!("test.db{suffix}"));
        assert_eq!(mode(&file), 0o600, "test.db{suffix}");
    }
}
