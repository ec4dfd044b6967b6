//! API tokens: `nvt_` secrets, listing, revoking, expiry, owner state, throttled last-use.

use nova_gateway_store::{
    API_TOKEN_PREFIX_CHARS, ApiTokenId, Role, StoreError, TOUCH_INTERVAL_MS, UserId, UserUpdate,
};

use crate::common::{T0, TestDb, add_user, on_both_backends};

on_both_backends!(migrated:
    token_authenticates_as_its_owner,
    tokens_are_listed_newest_first_and_revoked_per_owner,
    expired_tokens_and_disabled_owners_do_not_authenticate,
    bad_tokens_are_refused,
);

async fn token_authenticates_as_its_owner(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let (secret, token) = store
        .create_api_token(alice.id, "ci runner", None, T0)
        .await
        .unwrap();
    assert!(secret.expose().starts_with("nvt_"), "recognizable");
    assert_eq!(secret.expose().len(), 4 + 43);
    assert_eq!(token.prefix.len(), API_TOKEN_PREFIX_CHARS);
    assert!(secret.expose().starts_with(&token.prefix));
    assert_eq!(token.name, "ci runner");
    assert_eq!(token.user_id, alice.id);
    assert_eq!(
        (
            token.created_at,
            token.expires_at,
            token.last_used_at,
            token.revoked_at
        ),
        (T0, None, None, None)
    );

    let (found, user) = store
        .authenticate_api_token(secret.expose(), T0 + 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user, alice);
    assert_eq!(found.id, token.id);
    assert_eq!(found.last_used_at, Some(T0 + 10), "first use is recorded");
    // Later uses are written at most every TOUCH_INTERVAL_MS.
    let (found, _) = store
        .authenticate_api_token(secret.expose(), T0 + 20)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.last_used_at, Some(T0 + 10));
    let later = T0 + 10 + TOUCH_INTERVAL_MS;
    let (found, _) = store
        .authenticate_api_token(secret.expose(), later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.last_used_at, Some(later));
    assert_eq!(
        store.list_api_tokens(alice.id).await.unwrap()[0].last_used_at,
        Some(later)
    );

    // A session cookie is not an API token, nor is a near miss.
    assert!(
        store
            .authenticate_api_token(&secret.expose()[4..], T0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .authenticate_api_token("nvt_", T0)
            .await
            .unwrap()
            .is_none()
    );
    let mut wrong = secret.expose().to_owned();
    wrong.pop();
    assert!(
        store
            .authenticate_api_token(&wrong, T0)
            .await
            .unwrap()
            .is_none()
    );
}

async fn tokens_are_listed_newest_first_and_revoked_per_owner(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let bob = add_user(store, "bob", Role::Editor).await;
    let (s1, t1) = store
        .create_api_token(alice.id, "one", None, T0)
        .await
        .unwrap();
    let (s2, t2) = store
        .create_api_token(alice.id, "two", Some(T0 + 1_000), T0 + 1)
        .await
        .unwrap();
    let (_, b1) = store
        .create_api_token(bob.id, "bob's", None, T0)
        .await
        .unwrap();
    let listed = store.list_api_tokens(alice.id).await.unwrap();
    assert_eq!(listed, [t2.clone(), t1.clone()]);
    assert_eq!(store.list_api_tokens(bob.id).await.unwrap(), [b1]);

    // Bob cannot revoke Alice's token; nobody can revoke a token that does not exist.
    for (user, id) in [
        (bob.id, t1.id),
        (alice.id, ApiTokenId(999)),
        (UserId(999), t1.id),
    ] {
        let err = store.revoke_api_token(user, id, T0).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    }
    assert!(
        store
            .authenticate_api_token(s1.expose(), T0 + 5)
            .await
            .unwrap()
            .is_some()
    );

    store
        .revoke_api_token(alice.id, t1.id, T0 + 5)
        .await
        .unwrap();
    store
        .revoke_api_token(alice.id, t1.id, T0 + 9)
        .await
        .unwrap(); // again: no change
    assert!(
        store
            .authenticate_api_token(s1.expose(), T0 + 6)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .authenticate_api_token(s2.expose(), T0 + 6)
            .await
            .unwrap()
            .is_some()
    );
    let listed = store.list_api_tokens(alice.id).await.unwrap();
    assert_eq!(listed.len(), 2, "revoked tokens stay listed");
    assert_eq!(listed[1].revoked_at, Some(T0 + 5));
    assert!(!listed[1].is_active(T0 + 6));
    assert!(listed[0].is_active(T0 + 6));
}

async fn expired_tokens_and_disabled_owners_do_not_authenticate(db: TestDb) {
    let store = &db.store;
    add_user(store, "root", Role::Admin).await;
    let alice = add_user(store, "alice", Role::Editor).await;
    let (expiring, _) = store
        .create_api_token(alice.id, "short", Some(T0 + 1_000), T0)
        .await
        .unwrap();
    let (forever, _) = store
        .create_api_token(alice.id, "long", None, T0)
        .await
        .unwrap();
    assert!(
        store
            .authenticate_api_token(expiring.expose(), T0 + 999)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .authenticate_api_token(expiring.expose(), T0 + 1_000)
            .await
            .unwrap()
            .is_none()
    );

    let disable = |on| UserUpdate {
        disabled: Some(on),
        ..UserUpdate::default()
    };
    store
        .update_user(alice.id, &disable(true), T0)
        .await
        .unwrap();
    assert!(
        store
            .authenticate_api_token(forever.expose(), T0 + 1)
            .await
            .unwrap()
            .is_none()
    );
    store
        .update_user(alice.id, &disable(false), T0)
        .await
        .unwrap();
    assert!(
        store
            .authenticate_api_token(forever.expose(), T0 + 2)
            .await
            .unwrap()
            .is_some()
    );
}

async fn bad_tokens_are_refused(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let long_name = "n".repeat(65);
    for (name, expires) in [
        ("", None),
        (long_name.as_str(), None),
        ("tab\there", None),
        ("past", Some(T0 - 1)),
        ("now", Some(T0)),
    ] {
        let err = store
            .create_api_token(alice.id, name, expires, T0)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{name:?}: {err:?}");
    }
    let err = store
        .create_api_token(UserId(999), "ghost", None, T0)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(db.raw_rows("api_tokens").await.is_empty());
}
