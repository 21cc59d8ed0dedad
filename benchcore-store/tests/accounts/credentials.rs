//! API tokens and browser sessions: live ones are found (and their use recorded), revoked,
//! expired and ended ones are not, a user revokes only their own tokens, and only digests
//! of secrets are stored.

use super::{accounts, expect_kind, team, token};
use crate::support::Place;
use benchcore::StoreErrorKind;

async fn use_token_finds_a_live_token_and_records_its_use<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    let t = token("t1", "u1", 10_000, None);
    store.create_token(&t, "digest-1").await.unwrap();
    let (found, owner) = store.use_token("digest-1", 20_000).await.unwrap().unwrap();
    assert_eq!(owner, store.user("u1").await.unwrap().unwrap());
    let mut expected = t.clone();
    expected.last_used_at_ms = Some(20_000);
    assert_eq!(found, expected);
    // A use stamped earlier (clocks of several servers) never moves the last use back.
    store.use_token("digest-1", 15_000).await.unwrap().unwrap();
    let listed = store.tokens("u1").await.unwrap();
    assert_eq!(listed[0].last_used_at_ms, Some(20_000));
    // Uses within a minute of the recorded one are not written; a later one is.
    store.use_token("digest-1", 79_999).await.unwrap().unwrap();
    assert_eq!(
        store.tokens("u1").await.unwrap()[0].last_used_at_ms,
        Some(20_000)
    );
    let (found, _) = store.use_token("digest-1", 80_000).await.unwrap().unwrap();
    assert_eq!(found.last_used_at_ms, Some(80_000));
    assert_eq!(
        store.tokens("u1").await.unwrap()[0].last_used_at_ms,
        Some(80_000)
    );
    assert!(store.use_token("digest-2", 20_000).await.unwrap().is_none());
    assert!(store.use_token("DIGEST-1", 20_000).await.unwrap().is_none());
}

async fn an_expired_token_is_not_found<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    store
        .create_token(&token("t1", "u1", 10_000, Some(50_000)), "d1")
        .await
        .unwrap();
    assert!(store.use_token("d1", 49_999).await.unwrap().is_some());
    for now in [50_000, 50_001, u64::MAX >> 1] {
        assert!(
            store.use_token("d1", now).await.unwrap().is_none(),
            "a token expired at 50000 worked at {now}"
        );
    }
    let listed = store.tokens("u1").await.unwrap();
    assert_eq!(
        listed[0].last_used_at_ms,
        Some(49_999),
        "a refused use was recorded"
    );
    // An expired token is not live: revoking it finds nothing.
    assert!(!store.revoke_token("u1", "t1").await.unwrap());
}

async fn a_revoked_token_is_not_found_and_only_its_user_revokes_it<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    store
        .create_token(&token("t1", "u1", 10_000, None), "d1")
        .await
        .unwrap();
    store
        .create_token(&token("t2", "u2", 10_000, None), "d2")
        .await
        .unwrap();
    // Another user, an admin or not, cannot revoke u1's token.
    assert!(!store.revoke_token("u2", "t1").await.unwrap());
    assert!(!store.revoke_token("ghost", "t1").await.unwrap());
    assert!(!store.revoke_token("u1", "t2").await.unwrap());
    assert!(store.use_token("d1", 20_000).await.unwrap().is_some());
    assert!(store.use_token("d2", 20_000).await.unwrap().is_some());
    assert!(store.revoke_token("u1", "t1").await.unwrap());
    assert!(store.use_token("d1", 20_001).await.unwrap().is_none());
    assert!(store.use_token("d2", 20_001).await.unwrap().is_some());
    // Revoking again finds no live token, and keeps the first revocation time.
    let revoked_at = store.tokens("u1").await.unwrap()[0].revoked_at_ms;
    assert!(revoked_at.is_some());
    assert!(!store.revoke_token("u1", "t1").await.unwrap());
    assert!(!store.revoke_token("u1", "nope").await.unwrap());
    assert_eq!(
        store.tokens("u1").await.unwrap()[0].revoked_at_ms,
        revoked_at
    );
    // A token stored revoked never worked.
    let mut dead = token("t3", "u1", 10_000, None);
    dead.revoked_at_ms = Some(1);
    store.create_token(&dead, "d3").await.unwrap();
    assert!(store.use_token("d3", 20_000).await.unwrap().is_none());
}

async fn tokens_list_newest_first_with_revoked_ones<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    for (id, at) in [("t_old", 1_000), ("t_new", 3_000), ("t_mid", 2_000)] {
        let t = token(id, "u1", at, Some(9_000_000_000_000));
        store.create_token(&t, &format!("d-{id}")).await.unwrap();
    }
    store
        .create_token(&token("t_other", "u2", 5_000, None), "d-other")
        .await
        .unwrap();
    assert!(store.revoke_token("u1", "t_mid").await.unwrap());
    let listed = store.tokens("u1").await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["t_new", "t_mid", "t_old"]);
    assert!(listed[1].revoked_at_ms.is_some());
    assert_eq!(listed[0].expires_at_ms, Some(9_000_000_000_000));
    assert!(store.tokens("u3").await.unwrap().is_empty());
    // A digest is one token, and a token needs its user.
    expect_kind(
        store
            .create_token(&token("t_dup", "u2", 1, None), "d-t_old")
            .await,
        StoreErrorKind::Conflict,
        "a second token with a taken digest",
    );
    expect_kind(
        store
            .create_token(&token("t_x", "ghost", 1, None), "d-x")
            .await,
        StoreErrorKind::NotFound,
        "a token of an unknown user",
    );
    assert_eq!(store.tokens("u2").await.unwrap().len(), 1);
}

async fn sessions_live_until_they_expire_or_end<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    let far = benchcore::now_ms() + 3_600_000;
    store
        .create_session("s1", "u2", "csrf-1", far)
        .await
        .unwrap();
    let found = store.session("s1", far - 1).await.unwrap().unwrap();
    assert_eq!(found.user, store.user("u2").await.unwrap().unwrap());
    assert_eq!(found.csrf, "csrf-1");
    assert_eq!(found.expires_at_ms, far);
    for now in [far, far + 1] {
        assert!(
            store.session("s1", now).await.unwrap().is_none(),
            "a session expiring at {far} was found at {now}"
        );
    }
    assert!(store.session("S1", far - 1).await.unwrap().is_none());
    store.delete_session("s1").await.unwrap();
    assert!(store.session("s1", far - 1).await.unwrap().is_none());
    // Ending an unknown session is not an error.
    store.delete_session("s1").await.unwrap();
    store.delete_session("never").await.unwrap();
    expect_kind(
        store.create_session("s2", "ghost", "c", far).await,
        StoreErrorKind::NotFound,
        "a session of an unknown user",
    );
}

async fn an_expired_session_is_not_found<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    let now = benchcore::now_ms();
    store
        .create_session("old", "u1", "c0", now - 1)
        .await
        .unwrap();
    assert!(store.session("old", now).await.unwrap().is_none());
    assert!(store.session("old", now - 2).await.unwrap().is_some());
    // A new session of the user drops the expired ones; other users' sessions stay.
    store
        .create_session("other", "u2", "c1", now - 1)
        .await
        .unwrap();
    store
        .create_session("new", "u1", "c2", now + 60_000)
        .await
        .unwrap();
    let left = place
        .rows("SELECT digest FROM sessions ORDER BY digest")
        .await;
    let left: Vec<Option<String>> = left.into_iter().map(|row| row[0].clone()).collect();
    assert_eq!(left, [Some("new".to_owned()), Some("other".to_owned())]);
    assert_eq!(store.session("new", now).await.unwrap().unwrap().csrf, "c2");
}

async fn secrets_are_stored_as_digests_only<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    store
        .create_token(&token("t1", "u1", 1, None), "sha256-of-token")
        .await
        .unwrap();
    store
        .create_session("sha256-of-cookie", "u1", "csrf", u64::MAX >> 2)
        .await
        .unwrap();
    let tokens = place.rows("SELECT id, digest FROM api_tokens").await;
    assert_eq!(
        tokens,
        [vec![
            Some("t1".to_owned()),
            Some("sha256-of-token".to_owned())
        ]]
    );
    let hashes = place
        .rows("SELECT email_key, password_hash FROM users WHERE id = 'u1'")
        .await;
    assert_eq!(
        hashes,
        [vec![
            Some("u1@example.com".to_owned()),
            Some("hash".to_owned())
        ]]
    );
}

place_tests!(
    use_token_finds_a_live_token_and_records_its_use,
    an_expired_token_is_not_found,
    a_revoked_token_is_not_found_and_only_its_user_revokes_it,
    tokens_list_newest_first_with_revoked_ones,
    sessions_live_until_they_expire_or_end,
    an_expired_session_is_not_found,
    secrets_are_stored_as_digests_only,
);
