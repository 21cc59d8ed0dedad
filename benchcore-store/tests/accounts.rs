//! The accounts of a team server ([`AccountStore`]) on every backend built in, one case per
//! point of its contract, hostile cases included: emails that differ only in case, revoked
//! and expired tokens, expired sessions, the last owner of a workspace, workspaces that must
//! not see each other's members, a user revoking another's token. `sqlite::…` runs each case
//! on a new temp file, `postgres::…` in a new schema.
#![cfg(any(feature = "sqlite", feature = "postgres"))]

#[macro_use]
mod support;

use benchcore::{StoreError, StoreErrorKind, Workspace};
use benchcore_store::{AccountStore, Role, TokenInfo, User, WorkspaceInfo};
use std::fmt::Debug;
use std::sync::Arc;
use support::Place;

/// The accounts of the store on `place`.
async fn accounts<P: Place>(place: &P) -> Arc<dyn AccountStore> {
    place
        .open()
        .await
        .accounts()
        .expect("a SQL store keeps accounts")
}

#[track_caller]
fn expect_kind<T: Debug>(result: Result<T, StoreError>, kind: StoreErrorKind, what: &str) {
    match result {
        Err(e) => assert_eq!(e.kind(), kind, "{what}: {e}"),
        Ok(v) => panic!("{what}: expected a {kind} error, got Ok({v:?})"),
    }
}

fn user(id: &str, email: &str, created_at_ms: u64) -> User {
    let mut user = User::new(id, email, format!("Name of {id}"), false);
    user.created_at_ms = created_at_ms;
    user
}

fn ws(id: &str) -> Workspace {
    Workspace::new(id).unwrap()
}

fn workspace(id: &str, created_at_ms: u64) -> WorkspaceInfo {
    let mut info = WorkspaceInfo::new(ws(id), format!("Workspace {id}"));
    info.created_at_ms = created_at_ms;
    info
}

fn token(id: &str, user_id: &str, created_at_ms: u64, expires: Option<u64>) -> TokenInfo {
    let mut token = TokenInfo::new(id, user_id, format!("token {id}"), expires);
    token.created_at_ms = created_at_ms;
    token
}

/// `users` u1, u2, u3 (oldest first) and workspace `w1` owned by u1.
async fn team(store: &Arc<dyn AccountStore>) {
    for (i, id) in ["u1", "u2", "u3"].into_iter().enumerate() {
        let u = user(id, &format!("{id}@example.com"), 1_000 + i as u64);
        store.create_user(&u, "hash").await.unwrap();
    }
    store
        .create_workspace(&workspace("w1", 5_000), "u1")
        .await
        .unwrap();
}

async fn user_count_starts_at_zero_and_counts_users<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    assert_eq!(store.user_count().await.unwrap(), 0);
    assert!(store.users().await.unwrap().is_empty());
    team(&store).await;
    assert_eq!(store.user_count().await.unwrap(), 3);
}

async fn users_round_trip_as_given<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    let mut admin = user("u_admin", "Admin@Example.com", 2_000);
    admin.admin = true;
    admin.name = "Ädmin \"quoted\" ✓".to_owned();
    let plain = user("u_plain", "plain@example.com", 1_000);
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
    store.create_user(&admin, hash).await.unwrap();
    store.create_user(&plain, "other-hash").await.unwrap();
    assert_eq!(store.user("u_admin").await.unwrap(), Some(admin.clone()));
    assert_eq!(store.user("U_ADMIN").await.unwrap(), None, "ids are exact");
    assert_eq!(store.user("nobody").await.unwrap(), None);
    assert_eq!(
        store.user_by_email("Admin@Example.com").await.unwrap(),
        Some((admin.clone(), hash.to_owned()))
    );
    // Oldest first.
    assert_eq!(store.users().await.unwrap(), vec![plain, admin]);
}

async fn email_lookups_ignore_ascii_case<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    let ann = user("u_ann", "Ann.Lee@Example.COM", 1);
    store.create_user(&ann, "h").await.unwrap();
    for email in [
        "ann.lee@example.com",
        "ANN.LEE@EXAMPLE.COM",
        "aNn.LeE@eXaMpLe.CoM",
    ] {
        let (found, _) = store.user_by_email(email).await.unwrap().unwrap();
        assert_eq!(found, ann, "{email}");
        assert_eq!(
            found.email, "Ann.Lee@Example.COM",
            "the email is kept as given"
        );
    }
    assert!(store
        .user_by_email("ann.lee@example.co")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .user_by_email("ann.lee@example.com ")
        .await
        .unwrap()
        .is_none());
    // Only ASCII letters fold, the same on every backend (PostgreSQL's `lower()` would fold
    // these too, by its locale).
    let umlaut = user("u_umlaut", "ÜBER@example.com", 2);
    store.create_user(&umlaut, "h").await.unwrap();
    let other = user("u_umlaut2", "über@example.com", 3);
    store.create_user(&other, "h").await.unwrap();
    let (found, _) = store
        .user_by_email("Über@EXAMPLE.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, "u_umlaut");
}

async fn a_taken_email_in_another_case_conflicts<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    let first = user("u1", "Dup@Example.com", 1);
    store.create_user(&first, "first-hash").await.unwrap();
    for (id, email) in [
        ("u2", "dup@example.com"),
        ("u3", "DUP@EXAMPLE.COM"),
        ("u4", "Dup@Example.com"),
    ] {
        expect_kind(
            store.create_user(&user(id, email, 2), "second").await,
            StoreErrorKind::Conflict,
            &format!("creating {email} while Dup@Example.com exists"),
        );
        assert_eq!(store.user(id).await.unwrap(), None, "{email} was stored");
    }
    // A taken id conflicts too.
    expect_kind(
        store
            .create_user(&user("u1", "fresh@example.com", 2), "x")
            .await,
        StoreErrorKind::Conflict,
        "creating a second user u1",
    );
    assert_eq!(store.user_count().await.unwrap(), 1);
    assert_eq!(
        store.user_by_email("dup@example.com").await.unwrap(),
        Some((first, "first-hash".to_owned())),
        "a refused create changed the first user"
    );
    assert!(store
        .user_by_email("fresh@example.com")
        .await
        .unwrap()
        .is_none());
}

async fn set_password_replaces_the_hash_and_needs_the_user<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    store.set_password("u2", "new-hash").await.unwrap();
    let (_, hash) = store
        .user_by_email("u2@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash, "new-hash");
    let (_, other) = store
        .user_by_email("u1@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other, "hash", "another user's password changed");
    expect_kind(
        store.set_password("ghost", "x").await,
        StoreErrorKind::NotFound,
        "set_password of an unknown user",
    );
}

async fn create_workspace_makes_its_first_owner<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    let w1 = workspace("w1", 5_000);
    assert_eq!(
        store.memberships("u1").await.unwrap(),
        vec![(w1.clone(), Role::Owner)]
    );
    assert_eq!(
        store.role("u1", &ws("w1")).await.unwrap(),
        Some(Role::Owner)
    );
    let u1 = store.user("u1").await.unwrap().unwrap();
    assert_eq!(
        store.members(&ws("w1")).await.unwrap(),
        vec![(u1, Role::Owner)]
    );
    // A taken id conflicts and changes nothing: u2 does not become an owner.
    expect_kind(
        store.create_workspace(&workspace("w1", 6_000), "u2").await,
        StoreErrorKind::Conflict,
        "creating workspace w1 twice",
    );
    assert_eq!(store.role("u2", &ws("w1")).await.unwrap(), None);
    assert_eq!(
        store.memberships("u1").await.unwrap(),
        vec![(w1, Role::Owner)]
    );
    // An unknown owner is refused, and the workspace is not left behind without one.
    expect_kind(
        store
            .create_workspace(&workspace("w2", 6_000), "ghost")
            .await,
        StoreErrorKind::NotFound,
        "creating a workspace owned by an unknown user",
    );
    assert!(store.members(&ws("w2")).await.unwrap().is_empty());
    store
        .create_workspace(&workspace("w2", 6_000), "u2")
        .await
        .expect("the refused workspace was left behind");
    assert_eq!(
        store.role("u2", &ws("w2")).await.unwrap(),
        Some(Role::Owner)
    );
}

async fn role_of_a_non_member_or_unknown_workspace_is_none<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    assert_eq!(store.role("u2", &ws("w1")).await.unwrap(), None);
    assert_eq!(store.role("u1", &ws("nowhere")).await.unwrap(), None);
    assert_eq!(store.role("ghost", &ws("w1")).await.unwrap(), None);
    assert_eq!(store.role("ghost", &ws("nowhere")).await.unwrap(), None);
    assert!(store.memberships("u2").await.unwrap().is_empty());
    assert!(store.memberships("ghost").await.unwrap().is_empty());
    assert!(store.members(&ws("nowhere")).await.unwrap().is_empty());
}

async fn set_member_adds_changes_and_removes<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    let w1 = ws("w1");
    store
        .set_member(&w1, "u2", Some(Role::Editor))
        .await
        .unwrap();
    store
        .set_member(&w1, "u3", Some(Role::Viewer))
        .await
        .unwrap();
    assert_eq!(store.role("u2", &w1).await.unwrap(), Some(Role::Editor));
    store
        .set_member(&w1, "u2", Some(Role::Viewer))
        .await
        .unwrap();
    store
        .set_member(&w1, "u3", Some(Role::Owner))
        .await
        .unwrap();
    let roles: Vec<(String, Role)> = store
        .members(&w1)
        .await
        .unwrap()
        .into_iter()
        .map(|(u, r)| (u.id, r))
        .collect();
    assert_eq!(
        roles,
        [
            ("u1".to_owned(), Role::Owner),
            ("u2".to_owned(), Role::Viewer),
            ("u3".to_owned(), Role::Owner)
        ],
        "members are listed oldest membership first, a role change keeps the place"
    );
    store.set_member(&w1, "u2", None).await.unwrap();
    assert_eq!(store.role("u2", &w1).await.unwrap(), None);
    // Removing a non-member changes nothing and is not an error.
    store.set_member(&w1, "u2", None).await.unwrap();
    store.set_member(&ws("nowhere"), "u2", None).await.unwrap();
    assert_eq!(store.members(&w1).await.unwrap().len(), 2);
    // A user's workspaces, oldest first.
    store
        .create_workspace(&workspace("w0", 4_000), "u3")
        .await
        .unwrap();
    let every: Vec<String> = store
        .workspaces()
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.id.as_str().to_owned())
        .collect();
    assert!(
        every.contains(&"w0".to_owned()) && every.contains(&"w1".to_owned()),
        "{every:?}"
    );
    let created: Vec<u64> = store
        .workspaces()
        .await
        .unwrap()
        .iter()
        .map(|w| w.created_at_ms)
        .collect();
    assert!(
        created.windows(2).all(|p| p[0] <= p[1]),
        "oldest first: {created:?}"
    );
    let mine: Vec<(String, Role)> = store
        .memberships("u3")
        .await
        .unwrap()
        .into_iter()
        .map(|(w, r)| (w.id.as_str().to_owned(), r))
        .collect();
    assert_eq!(
        mine,
        [
            ("w0".to_owned(), Role::Owner),
            ("w1".to_owned(), Role::Owner)
        ]
    );
}

async fn set_member_of_unknown_user_or_workspace_is_not_found<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    expect_kind(
        store
            .set_member(&ws("nowhere"), "u2", Some(Role::Viewer))
            .await,
        StoreErrorKind::NotFound,
        "adding a member to an unknown workspace",
    );
    expect_kind(
        store
            .set_member(&ws("w1"), "ghost", Some(Role::Viewer))
            .await,
        StoreErrorKind::NotFound,
        "adding an unknown user",
    );
    assert_eq!(store.members(&ws("w1")).await.unwrap().len(), 1);
}

async fn the_last_owner_cannot_be_removed_or_demoted<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    let w1 = ws("w1");
    store
        .set_member(&w1, "u2", Some(Role::Editor))
        .await
        .unwrap();
    for role in [None, Some(Role::Editor), Some(Role::Viewer)] {
        expect_kind(
            store.set_member(&w1, "u1", role).await,
            StoreErrorKind::Conflict,
            &format!("setting the last owner's role to {role:?}"),
        );
        assert_eq!(store.role("u1", &w1).await.unwrap(), Some(Role::Owner));
    }
    // Making the owner an owner again is fine.
    store
        .set_member(&w1, "u1", Some(Role::Owner))
        .await
        .unwrap();
    // With a second owner, the first may go; then the second is the last.
    store
        .set_member(&w1, "u2", Some(Role::Owner))
        .await
        .unwrap();
    store
        .set_member(&w1, "u1", Some(Role::Viewer))
        .await
        .unwrap();
    store.set_member(&w1, "u1", None).await.unwrap();
    expect_kind(
        store.set_member(&w1, "u2", None).await,
        StoreErrorKind::Conflict,
        "removing the new last owner",
    );
    let members: Vec<(String, Role)> = store
        .members(&w1)
        .await
        .unwrap()
        .into_iter()
        .map(|(u, r)| (u.id, r))
        .collect();
    assert_eq!(members, [("u2".to_owned(), Role::Owner)]);
}

/// Two owners each demoted at the same moment: one change wins, the other is refused, and
/// the workspace keeps an owner.
async fn concurrent_demotions_keep_an_owner<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    for round in 0..5 {
        let w = ws(&format!("race{round}"));
        store
            .create_workspace(&workspace(w.as_str(), 9_000), "u1")
            .await
            .unwrap();
        store.set_member(&w, "u2", Some(Role::Owner)).await.unwrap();
        let (a, b) = (Arc::clone(&store), Arc::clone(&store));
        let (wa, wb) = (w.clone(), w.clone());
        let first = tokio::spawn(async move { a.set_member(&wa, "u1", None).await });
        let second = tokio::spawn(async move { b.set_member(&wb, "u2", Some(Role::Viewer)).await });
        let results = [first.await.unwrap(), second.await.unwrap()];
        let refused = results
            .iter()
            .filter(|r| matches!(r, Err(e) if e.kind() == StoreErrorKind::Conflict))
            .count();
        assert!(
            results.iter().all(|r| match r {
                Ok(()) => true,
                Err(e) => e.kind() == StoreErrorKind::Conflict,
            }),
            "round {round}: {results:?}"
        );
        assert_eq!(refused, 1, "round {round}: {results:?}");
        let owners = store
            .members(&w)
            .await
            .unwrap()
            .into_iter()
            .filter(|(_, r)| *r == Role::Owner)
            .count();
        assert_eq!(owners, 1, "round {round}");
    }
}

async fn members_of_one_workspace_are_never_listed_in_another<P: Place>() {
    let place = P::new().await;
    let store = accounts(&place).await;
    team(&store).await;
    store
        .create_workspace(&workspace("w2", 6_000), "u3")
        .await
        .unwrap();
    store
        .set_member(&ws("w1"), "u2", Some(Role::Editor))
        .await
        .unwrap();
    let ids = |members: Vec<(User, Role)>| -> Vec<String> {
        members.into_iter().map(|(u, _)| u.id).collect()
    };
    assert_eq!(ids(store.members(&ws("w1")).await.unwrap()), ["u1", "u2"]);
    assert_eq!(ids(store.members(&ws("w2")).await.unwrap()), ["u3"]);
    assert_eq!(store.role("u2", &ws("w2")).await.unwrap(), None);
    assert_eq!(store.role("u3", &ws("w1")).await.unwrap(), None);
    // Removing u2 from w2 (where u2 is not) leaves w1 alone.
    store.set_member(&ws("w2"), "u2", None).await.unwrap();
    assert_eq!(
        store.role("u2", &ws("w1")).await.unwrap(),
        Some(Role::Editor)
    );
    let names: Vec<String> = store
        .memberships("u2")
        .await
        .unwrap()
        .into_iter()
        .map(|(w, _)| w.id.as_str().to_owned())
        .collect();
    assert_eq!(names, ["w1"]);
}

async fn accounts_survive_reopening<P: Place>() {
    let place = P::new().await;
    {
        let handle = place.open().await;
        team(&handle.accounts().unwrap()).await;
        handle
            .accounts()
            .unwrap()
            .create_token(&token("t1", "u1", 1, None), "d1")
            .await
            .unwrap();
        handle.close().await;
    }
    let store = accounts(&place).await;
    assert_eq!(store.user_count().await.unwrap(), 3);
    assert_eq!(
        store.role("u1", &ws("w1")).await.unwrap(),
        Some(Role::Owner)
    );
    assert!(store.use_token("d1", 5).await.unwrap().is_some());
}

place_tests!(
    user_count_starts_at_zero_and_counts_users,
    users_round_trip_as_given,
    email_lookups_ignore_ascii_case,
    a_taken_email_in_another_case_conflicts,
    set_password_replaces_the_hash_and_needs_the_user,
    create_workspace_makes_its_first_owner,
    role_of_a_non_member_or_unknown_workspace_is_none,
    set_member_adds_changes_and_removes,
    set_member_of_unknown_user_or_workspace_is_not_found,
    the_last_owner_cannot_be_removed_or_demoted,
    concurrent_demotions_keep_an_owner,
    members_of_one_workspace_are_never_listed_in_another,
    accounts_survive_reopening,
);

#[path = "accounts/credentials.rs"]
mod credentials;

/// A handle on a store that is not SQL offers no accounts.
#[test]
fn a_memory_handle_has_no_accounts() {
    let handle = benchcore_store::StoreHandle::new(Arc::new(benchcore::MemoryStore::new()));
    assert!(handle.accounts().is_none());
}
