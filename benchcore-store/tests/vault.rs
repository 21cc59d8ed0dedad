//! Saved agents on every backend built in: secrets encrypted at rest, wrong keys refused by
//! name, previous-key reads, rotation on open, status reporting and workspaces kept apart.
//! `sqlite::…` runs each case on a new temp file, `postgres::…` in a new schema.
#![cfg(any(feature = "sqlite", feature = "postgres"))]

#[cfg(feature = "postgres")]
mod postgres_support;

use benchcore::{StoreErrorKind, Workspace};
use benchcore_store::{AgentVault, EncryptionKey, Keyring, Rotation};
use serde_json::{json, Value};
use std::future::Future;
use std::sync::Arc;

const SECRET: &str = "sk-live-0123456789";
const HEADER_SECRET: &str = "Bearer hdr-secret-42";

/// Opens the backend's store (always the same database) with a keyring.
trait Opener: Send + Sync {
    fn open(
        &self,
        keyring: Keyring,
    ) -> impl Future<Output = Result<(Arc<dyn AgentVault>, Rotation), benchcore::StoreError>> + Send;

    /// Every stored text of the saved agents table, for checks behind the store's back.
    fn raw(&self) -> impl Future<Output = String> + Send;

    /// Whether the store claims the `encryption` capability.
    fn claims_encryption(&self) -> impl Future<Output = bool> + Send;
}

fn key_a() -> EncryptionKey {
    EncryptionKey::parse("alpha-key-alpha-key-alpha-key-32").unwrap()
}

fn key_b() -> EncryptionKey {
    EncryptionKey::parse("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
        .unwrap()
}

fn config(model: &str) -> Value {
    json!({
        "kind": "openai_compatible",
        "model": model,
        "base_url": "http://127.0.0.1:9/v1",
        "api_key": SECRET,
        "headers": {"Authorization": HEADER_SECRET, "X-Title": "bench"}
    })
}

fn ws(name: &str) -> Workspace {
    Workspace::new(name).unwrap()
}

async fn open<O: Opener>(o: &O, keyring: Keyring) -> Arc<dyn AgentVault> {
    o.open(keyring).await.unwrap().0
}

async fn round_trip<O: Opener>(o: O) {
    assert!(o.claims_encryption().await);
    let vault = open(&o, Keyring::new(key_a())).await;
    let w = Workspace::default();
    vault.save_agent(&w, "gpt", &config("m1")).await.unwrap();
    vault
        .save_agent(&w, "plain", &json!({"kind": "gold"}))
        .await
        .unwrap();
    assert_eq!(
        vault.load_agent(&w, "gpt").await.unwrap(),
        Some(config("m1"))
    );
    // An upsert replaces.
    vault.save_agent(&w, "gpt", &config("m2")).await.unwrap();
    assert_eq!(
        vault.load_agent(&w, "gpt").await.unwrap(),
        Some(config("m2"))
    );
    let listed = vault.list_agents(&w).await.unwrap();
    let names: Vec<(&str, &str, bool)> = listed
        .iter()
        .map(|a| (a.name.as_str(), a.kind.as_str(), a.has_secrets))
        .collect();
    assert_eq!(
        names,
        [("gpt", "openai_compatible", true), ("plain", "gold", false)]
    );
    let raw = o.raw().await;
    assert!(raw.contains("X-Title") && raw.contains("m2"), "{raw}");
    assert!(
        !raw.contains(SECRET) && !raw.contains("hdr-secret"),
        "{raw}"
    );
    assert!(raw.contains(&format!("v1:{}:", key_a().id())), "{raw}");
    assert!(!format!("{vault:?}").contains("alpha-key"));
    assert!(vault.delete_agent(&w, "gpt").await.unwrap());
    assert!(!vault.delete_agent(&w, "gpt").await.unwrap());
    assert_eq!(vault.load_agent(&w, "gpt").await.unwrap(), None);
}

async fn wrong_key_is_a_clear_error<O: Opener>(o: O) {
    let w = Workspace::default();
    open(&o, Keyring::new(key_a()))
        .await
        .save_agent(&w, "gpt", &config("m"))
        .await
        .unwrap();
    let vault = open(&o, Keyring::new(key_b())).await;
    let err = vault.load_agent(&w, "gpt").await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Encryption, "{err}");
    assert!(err.message.contains(key_a().id()), "{err}");
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(SECRET) && !text.contains("alpha-key"),
        "{text}"
    );
    // Without any key: the same clear error, never a config without its secrets.
    let err = open(&o, Keyring::none())
        .await
        .load_agent(&w, "gpt")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Encryption, "{err}");
    assert!(err.message.contains("no key is loaded"), "{err}");
}

async fn saving_secrets_without_a_key_fails<O: Opener>(o: O) {
    let vault = open(&o, Keyring::none()).await;
    let w = Workspace::default();
    let err = vault.save_agent(&w, "gpt", &config("m")).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Encryption);
    assert!(err.message.contains("BENCHCORE_ENCRYPTION_KEY"), "{err}");
    assert!(!err.message.contains(SECRET), "{err}");
    assert!(vault.list_agents(&w).await.unwrap().is_empty());
    // A config without secrets needs no key.
    let plain = json!({"kind": "openai", "model": "m", "api_key_env": "OPENAI_API_KEY"});
    vault.save_agent(&w, "env", &plain).await.unwrap();
    assert_eq!(vault.load_agent(&w, "env").await.unwrap(), Some(plain));
}

async fn previous_key_reads<O: Opener>(o: O) {
    let w = Workspace::default();
    open(&o, Keyring::new(key_a()))
        .await
        .save_agent(&w, "old", &config("m"))
        .await
        .unwrap();
    let vault = open(&o, Keyring::new(key_b()).with_previous(key_a())).await;
    assert_eq!(
        vault.load_agent(&w, "old").await.unwrap(),
        Some(config("m"))
    );
    vault.save_agent(&w, "new", &config("n")).await.unwrap();
    // New writes use the current key only.
    let only_b = open(&o, Keyring::new(key_b())).await;
    assert!(only_b.load_agent(&w, "new").await.is_ok());
    assert!(only_b.load_agent(&w, "old").await.is_err());
}

async fn rotation_reencrypts_once<O: Opener>(o: O) {
    let w = Workspace::default();
    let vault = open(&o, Keyring::new(key_a())).await;
    for i in 0..3 {
        vault
            .save_agent(&w, &format!("a{i}"), &config(&format!("m{i}")))
            .await
            .unwrap();
    }
    vault
        .save_agent(&ws("other"), "a0", &config("x"))
        .await
        .unwrap();
    let rotating = Keyring::new(key_b())
        .with_previous(key_a())
        .rotate_on_start(true);
    let (_, rotation) = o.open(rotating.clone()).await.unwrap();
    assert_eq!(rotation.reencrypted, 4);
    assert!(rotation.key_state_updated);
    // Idempotent: a second open does nothing.
    let (_, again) = o.open(rotating).await.unwrap();
    assert_eq!(again, Rotation::default());
    let only_b = open(&o, Keyring::new(key_b())).await;
    for i in 0..3 {
        assert_eq!(
            only_b.load_agent(&w, &format!("a{i}")).await.unwrap(),
            Some(config(&format!("m{i}")))
        );
    }
    let status = only_b.encryption_status().await.unwrap();
    assert_eq!(status.fingerprint_matches, Some(true));
    assert_eq!(status.sentinel_decrypts, Some(true));
    assert_eq!((status.saved_secrets, status.undecryptable_secrets), (4, 0));
    assert!(!o.raw().await.contains(&format!(":{}:", key_a().id())));
    // Rotating without the previous key fails whole, naming the key it needs.
    let c = key_c();
    let err = o
        .open(Keyring::new(c).rotate_on_start(true))
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind(), StoreErrorKind::Encryption, "{err}");
    assert!(err.message.contains(key_b().id()), "{err}");
    assert!(open(&o, Keyring::new(key_b()))
        .await
        .load_agent(&w, "a0")
        .await
        .is_ok());
}

fn key_c() -> EncryptionKey {
    EncryptionKey::parse("gamma-key-16-chr").unwrap()
}

async fn status_reports_keys_and_failures<O: Opener>(o: O) {
    let none = open(&o, Keyring::none()).await;
    let status = none.encryption_status().await.unwrap();
    assert!(!status.key_loaded);
    assert_eq!(status.stored_key_id, None);
    assert_eq!(status.sentinel_decrypts, None);

    let vault = open(&o, Keyring::new(key_a())).await;
    let status = vault.encryption_status().await.unwrap();
    assert!(status.key_loaded);
    assert_eq!(status.key_format.as_deref(), Some("raw"));
    assert_eq!(status.key_bits, Some(256));
    assert_eq!(status.stored_key_id.as_deref(), Some(key_a().id()));
    assert_eq!(status.fingerprint_matches, Some(true));
    assert_eq!(status.sentinel_decrypts, Some(true));
    let w = Workspace::default();
    vault.save_agent(&w, "a", &config("m")).await.unwrap();
    vault.save_agent(&w, "b", &config("m")).await.unwrap();

    let other = open(&o, Keyring::new(key_b())).await;
    let status = other.encryption_status().await.unwrap();
    assert_eq!(status.key_format.as_deref(), Some("hex"));
    assert_eq!(status.key_id.as_deref(), Some(key_b().id()));
    // The stored state is the first key's: opening with another does not overwrite it.
    assert_eq!(status.stored_key_id.as_deref(), Some(key_a().id()));
    assert_eq!(status.fingerprint_matches, Some(false));
    assert_eq!(status.sentinel_decrypts, Some(false));
    assert_eq!((status.saved_secrets, status.undecryptable_secrets), (2, 2));
}

async fn workspaces_are_apart<O: Opener>(o: O) {
    let vault = open(&o, Keyring::new(key_a())).await;
    let (a, b) = (ws("team-a"), ws("team-b"));
    vault.save_agent(&a, "gpt", &config("for-a")).await.unwrap();
    assert_eq!(vault.load_agent(&b, "gpt").await.unwrap(), None);
    assert!(vault.list_agents(&b).await.unwrap().is_empty());
    assert!(!vault.delete_agent(&b, "gpt").await.unwrap());
    vault.save_agent(&b, "gpt", &config("for-b")).await.unwrap();
    assert_eq!(
        vault.load_agent(&a, "gpt").await.unwrap(),
        Some(config("for-a"))
    );
    assert_eq!(
        vault.load_agent(&b, "gpt").await.unwrap(),
        Some(config("for-b"))
    );
    assert_eq!(vault.list_agents(&a).await.unwrap().len(), 1);
}

macro_rules! vault_suite {
    ($backend:ident, $opener:expr) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn round_trip() {
                super::round_trip($opener).await;
            }

            #[tokio::test]
            async fn wrong_key_is_a_clear_error() {
                super::wrong_key_is_a_clear_error($opener).await;
            }

            #[tokio::test]
            async fn saving_secrets_without_a_key_fails() {
                super::saving_secrets_without_a_key_fails($opener).await;
            }

            #[tokio::test]
            async fn previous_key_reads() {
                super::previous_key_reads($opener).await;
            }

            #[tokio::test]
            async fn rotation_reencrypts_once() {
                super::rotation_reencrypts_once($opener).await;
            }

            #[tokio::test]
            async fn status_reports_keys_and_failures() {
                super::status_reports_keys_and_failures($opener).await;
            }

            #[tokio::test]
            async fn workspaces_are_apart() {
                super::workspaces_are_apart($opener).await;
            }
        }
    };
}

#[cfg(feature = "sqlite")]
mod sqlite_opener {
    use super::*;
    use benchcore::RunStore;
    use benchcore_store::{SqliteConfig, SqliteStore};

    pub(crate) struct SqliteOpener {
        dir: tempfile::TempDir,
    }

    impl SqliteOpener {
        pub(crate) fn new() -> Self {
            Self {
                dir: tempfile::tempdir().unwrap(),
            }
        }

        fn config(&self) -> SqliteConfig {
            SqliteConfig::new(self.dir.path().join("vault.db"))
        }
    }

    impl Opener for SqliteOpener {
        async fn open(
            &self,
            keyring: Keyring,
        ) -> Result<(Arc<dyn AgentVault>, Rotation), benchcore::StoreError> {
            let store = SqliteStore::open_with_keyring(self.config(), keyring).await?;
            let rotation = store.rotation();
            Ok((Arc::new(store), rotation))
        }

        async fn raw(&self) -> String {
            let store = SqliteStore::open_with(self.config()).await.unwrap();
            drop(store);
            let url = format!("sqlite:{}", self.config().path.display());
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            let rows: Vec<(String, String, String, Option<String>)> =
                sqlx::query_as("SELECT workspace, name, config_public, secret FROM saved_agents")
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            pool.close().await;
            format!("{rows:?}")
        }

        async fn claims_encryption(&self) -> bool {
            let store = SqliteStore::open_with(self.config()).await.unwrap();
            store.capabilities().encryption
        }
    }
}

#[cfg(feature = "sqlite")]
use sqlite_opener::SqliteOpener;

#[cfg(feature = "sqlite")]
vault_suite!(sqlite, SqliteOpener::new());

#[cfg(feature = "postgres")]
mod postgres_opener {
    use super::postgres_support::TestSchema;
    use super::*;
    use benchcore::RunStore;
    use benchcore_store::PostgresStore;

    pub(crate) struct PostgresOpener {
        pub(crate) schema: TestSchema,
    }

    impl PostgresOpener {
        pub(crate) async fn new() -> Self {
            Self {
                schema: TestSchema::new().await,
            }
        }
    }

    impl Opener for PostgresOpener {
        async fn open(
            &self,
            keyring: Keyring,
        ) -> Result<(Arc<dyn AgentVault>, Rotation), benchcore::StoreError> {
            let store = PostgresStore::open_with_keyring(self.schema.config(), keyring).await?;
            let rotation = store.rotation();
            Ok((Arc::new(store), rotation))
        }

        async fn raw(&self) -> String {
            let mut conn = self.schema.connection().await;
            let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
                "SELECT workspace, name, config_public::text, secret FROM saved_agents",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            format!("{rows:?}")
        }

        async fn claims_encryption(&self) -> bool {
            let store = PostgresStore::open_with(self.schema.config())
                .await
                .unwrap();
            store.capabilities().encryption
        }
    }
}

#[cfg(feature = "postgres")]
use postgres_opener::PostgresOpener;

#[cfg(feature = "postgres")]
vault_suite!(postgres, PostgresOpener::new().await);

/// Three processes open one schema at once with rotation on: exactly one re-encrypts, the
/// others wait on the advisory lock and find nothing to do, and all read with the new key.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_opens_rotate_once() {
    let o = PostgresOpener::new().await;
    let w = Workspace::default();
    let vault = open(&o, Keyring::new(key_a())).await;
    for i in 0..20 {
        vault
            .save_agent(&w, &format!("a{i}"), &config(&format!("m{i}")))
            .await
            .unwrap();
    }
    let o = Arc::new(o);
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let o = Arc::clone(&o);
            tokio::spawn(async move {
                o.open(
                    Keyring::new(key_b())
                        .with_previous(key_a())
                        .rotate_on_start(true),
                )
                .await
            })
        })
        .collect();
    let mut counts = Vec::new();
    for task in tasks {
        let (vault, rotation) = task.await.unwrap().unwrap();
        counts.push(rotation.reencrypted);
        for i in 0..20 {
            assert_eq!(
                vault.load_agent(&w, &format!("a{i}")).await.unwrap(),
                Some(config(&format!("m{i}")))
            );
        }
    }
    counts.sort_unstable();
    assert_eq!(counts, [0, 0, 20]);
    let only_b = open(&*o, Keyring::new(key_b())).await;
    let status = only_b.encryption_status().await.unwrap();
    assert_eq!(status.fingerprint_matches, Some(true));
    assert_eq!(status.undecryptable_secrets, 0);
}
