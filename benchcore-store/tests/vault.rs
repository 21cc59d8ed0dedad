//! Saved agents on every backend built in, opened through `connect_with_keyring`: secrets
//! encrypted at rest, wrong keys refused by name, previous-key reads, rotation on open, status
//! reporting and workspaces kept apart. `sqlite::…` runs each case on a new temp file,
//! `postgres::…` in a new schema.
#![cfg(any(feature = "sqlite", feature = "postgres"))]

#[macro_use]
mod support;

use benchcore::{StoreErrorKind, Workspace};
use benchcore_store::{AgentVault, EncryptionKey, Keyring, Rotation};
use serde_json::{json, Value};
use std::sync::Arc;
use support::Place;

const SECRET: &str = "sk-live-0123456789";
const HEADER_SECRET: &str = "Bearer hdr-secret-42";

/// Opens the store on `place` (always the same database) with a keyring.
async fn open_with<P: Place>(
    place: &P,
    keyring: Keyring,
) -> Result<(Arc<dyn AgentVault>, Rotation), benchcore::StoreError> {
    let handle = benchcore_store::connect_with_keyring(&place.url(), keyring).await?;
    Ok((handle.require_vault()?, handle.rotation()))
}

/// Every stored text of the saved agents table, for checks behind the store's back.
async fn raw<P: Place>(place: &P) -> String {
    let sql = "SELECT workspace, name, CAST(config_public AS TEXT), secret FROM saved_agents";
    format!("{:?}", place.rows(sql).await)
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

async fn open<P: Place>(place: &P, keyring: Keyring) -> Arc<dyn AgentVault> {
    open_with(place, keyring).await.unwrap().0
}

async fn round_trip<P: Place>() {
    let o = P::new().await;
    assert!(o.open().await.capabilities().encryption);
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
    let raw = raw(&o).await;
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

async fn wrong_key_is_a_clear_error<P: Place>() {
    let o = P::new().await;
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

async fn saving_secrets_without_a_key_fails<P: Place>() {
    let o = P::new().await;
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

async fn previous_key_reads<P: Place>() {
    let o = P::new().await;
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

async fn rotation_reencrypts_once<P: Place>() {
    let o = P::new().await;
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
    let (_, rotation) = open_with(&o, rotating.clone()).await.unwrap();
    assert_eq!(rotation.reencrypted, 4);
    assert!(rotation.key_state_updated);
    // Idempotent: a second open does nothing.
    let (_, again) = open_with(&o, rotating).await.unwrap();
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
    assert!(!raw(&o).await.contains(&format!(":{}:", key_a().id())));
    // Rotating without the previous key fails whole, naming the key it needs.
    let c = key_c();
    let err = open_with(&o, Keyring::new(c).rotate_on_start(true))
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

async fn status_reports_keys_and_failures<P: Place>() {
    let o = P::new().await;
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

async fn workspaces_are_apart<P: Place>() {
    let o = P::new().await;
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

place_tests!(
    round_trip,
    wrong_key_is_a_clear_error,
    saving_secrets_without_a_key_fails,
    previous_key_reads,
    rotation_reencrypts_once,
    status_reports_keys_and_failures,
    workspaces_are_apart
);

/// Three processes open one schema at once with rotation on: exactly one re-encrypts, the
/// others wait on the advisory lock and find nothing to do, and all read with the new key.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_opens_rotate_once() {
    let o = support::postgres::TestSchema::new().await;
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
                let keyring = Keyring::new(key_b())
                    .with_previous(key_a())
                    .rotate_on_start(true);
                open_with(&*o, keyring).await
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
