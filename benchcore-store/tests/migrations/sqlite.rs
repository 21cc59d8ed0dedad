//! What only the SQLite store does on open: its file, its folder, its URLs.

use benchcore::{RunSpec, StoreErrorKind, Workspace};
use benchcore_store::{SqliteConfig, SqliteStore};

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, "these are notes, not a database\n".repeat(200)).unwrap();
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Corrupt, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("notes.db"),
        "the error does not name the file: {text}"
    );
    assert!(text.contains("cannot open"), "{text}");
    assert!(text.contains("not a database"), "{text}");
    // The file is left as it was.
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .starts_with("these are notes"));
}

#[tokio::test]
async fn missing_file_without_create_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = SqliteConfig::new(dir.path().join("absent.db")).create_if_missing(false);
    let err = config.open().await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Config, "{err}");
    assert!(err.message.contains("absent.db"), "{err}");
}

/// A mistyped folder never becomes a new, empty store: a URL creates the file in a folder
/// that exists, and a missing folder only with `create_dirs=true`; `SqliteStore::open` (a
/// path chosen in code) creates both.
#[tokio::test]
async fn a_missing_folder_is_an_error_naming_it_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("rnus").join("bench.db");
    let err = benchcore_store::connect(&format!("sqlite://{}", typo.display()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Config, "{err}");
    assert!(err.message.contains("rnus"), "{err}");
    assert!(err.message.contains("does not exist"), "{err}");
    assert!(!dir.path().join("rnus").exists(), "the folder was created");

    let asked = format!("sqlite://{}?create_dirs=true", typo.display());
    let handle = benchcore_store::connect(&asked).await.unwrap();
    assert!(handle.created() && typo.exists());

    let nested = dir.path().join("a").join("b").join("fresh.db");
    let store = SqliteStore::open(&nested).await.unwrap();
    assert!(store.created() && nested.exists());
}

#[tokio::test]
async fn connect_dispatches_on_the_url() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        format!("sqlite://{}", dir.path().join("one.db").display()),
        format!("sqlite:{}", dir.path().join("two.db").display()),
        dir.path().join("three.db").display().to_string(),
    ] {
        let handle = benchcore_store::connect(&url).await.unwrap();
        let capabilities = handle.capabilities();
        assert!(capabilities.persistent && !capabilities.work_queue, "{url}");
        assert!(handle.work_queue().is_none() && handle.require_work_queue().is_err());
        assert!(handle.created(), "{url}");
        handle
            .store()
            .create_run(&Workspace::default(), "r", &RunSpec::default())
            .await
            .unwrap();
    }
    for name in ["one.db", "two.db", "three.db"] {
        assert!(dir.path().join(name).exists(), "{name} was not created");
    }
}
