//! Sessions: lifetime, idle timeout, throttled touches, log-outs, purges.

use nova_gateway_store::{
    NewSession, Role, SESSION_FIELD_MAX_CHARS, StoreError, TOUCH_INTERVAL_MS, UserId, UserUpdate,
};

use crate::common::{T0, TestDb, add_user, on_both_backends};

on_both_backends!(migrated:
    session_is_found_by_its_secret,
    session_ends_at_its_expiry,
    idle_session_ends_unless_used,
    last_seen_is_written_at_most_every_half_minute,
    log_out_one_or_all,
    purge_removes_ended_sessions_only,
    disabled_users_have_no_sessions,
    bad_sessions_are_refused,
);

const HOUR: i64 = 3_600_000;

fn login(user: UserId, lifetime_ms: i64, idle_timeout_ms: Option<i64>) -> NewSession<'static> {
    NewSession {
        user_id: user,
        lifetime_ms,
        idle_timeout_ms,
        remote_addr: Some("192.0.2.7"),
        user_agent: Some("Mozilla/5.0 (test)"),
    }
}

async fn session_is_found_by_its_secret(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let (secret, session) = store
        .create_session(&login(alice.id, HOUR, None), T0)
        .await
        .unwrap();
    assert_eq!(secret.expose().len(), 43);
    assert_eq!(session.user_id, alice.id);
    assert_eq!(
        (session.created_at, session.last_seen_at, session.expires_at),
        (T0, T0, T0 + HOUR)
    );
    assert_eq!(session.remote_addr.as_deref(), Some("192.0.2.7"));
    assert_eq!(session.user_agent.as_deref(), Some("Mozilla/5.0 (test)"));
    assert_eq!(session.csrf_token.len(), 43);
    assert_ne!(session.csrf_token, secret.expose());

    let (found, user) = store
        .session_by_token(secret.expose(), T0 + 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, session);
    assert_eq!(user, alice);
    assert!(found.csrf_matches(&session.csrf_token));

    assert!(store.session_by_token("", T0).await.unwrap().is_none());
    assert!(
        store
            .session_by_token("not-a-session", T0)
            .await
            .unwrap()
            .is_none()
    );
    let mut wrong = secret.expose().to_owned();
    wrong.replace_range(0..1, if wrong.starts_with('A') { "B" } else { "A" });
    assert!(store.session_by_token(&wrong, T0).await.unwrap().is_none());

    let (second, _) = store
        .create_session(&login(alice.id, HOUR, None), T0 + 2)
        .await
        .unwrap();
    assert_ne!(second, secret);
    let listed = store.sessions_of(alice.id, T0 + 3).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed[0].id > listed[1].id, "newest first");
}

async fn session_ends_at_its_expiry(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let (secret, _) = store
        .create_session(&login(alice.id, HOUR, None), T0)
        .await
        .unwrap();
    assert!(
        store
            .session_by_token(secret.expose(), T0 + HOUR - 1)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session_by_token(secret.expose(), T0 + HOUR)
            .await
            .unwrap()
            .is_none()
    );
    // The ended session was deleted on the way: it is gone even for an earlier clock.
    assert!(
        store
            .session_by_token(secret.expose(), T0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(db.raw_rows("sessions").await.is_empty());
}

async fn idle_session_ends_unless_used(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let idle = 60_000;
    let (kept, _) = store
        .create_session(&login(alice.id, HOUR, Some(idle)), T0)
        .await
        .unwrap();
    let (left, _) = store
        .create_session(&login(alice.id, HOUR, Some(idle)), T0)
        .await
        .unwrap();
    // Used every 40 s, the first lives well past its idle timeout.
    for step in 1..=5 {
        let now = T0 + step * 40_000;
        assert!(
            store
                .session_by_token(kept.expose(), now)
                .await
                .unwrap()
                .is_some(),
            "used session alive at +{}s",
            step * 40
        );
    }
    // The second, never used, ended after 60 s.
    assert!(
        store
            .session_by_token(left.expose(), T0 + idle)
            .await
            .unwrap()
            .is_none()
    );
    // And the first ends once left alone for its idle timeout.
    assert!(
        store
            .session_by_token(kept.expose(), T0 + 200_000 + idle)
            .await
            .unwrap()
            .is_none()
    );
}

async fn last_seen_is_written_at_most_every_half_minute(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let (secret, _) = store
        .create_session(&login(alice.id, HOUR, None), T0)
        .await
        .unwrap();
    let last_seen = || async {
        db.raw_column("sessions", "CAST(last_seen_at AS TEXT)")
            .await
            .join(",")
    };
    let early = T0 + TOUCH_INTERVAL_MS - 1;
    let (session, _) = store
        .session_by_token(secret.expose(), early)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.last_seen_at, T0);
    assert_eq!(
        last_seen().await,
        T0.to_string(),
        "not written within the interval"
    );
    let later = T0 + TOUCH_INTERVAL_MS;
    let (session, _) = store
        .session_by_token(secret.expose(), later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.last_seen_at, later);
    assert_eq!(last_seen().await, later.to_string());
}

async fn log_out_one_or_all(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let bob = add_user(store, "bob", Role::Editor).await;
    let (a1, _) = store
        .create_session(&login(alice.id, HOUR, None), T0)
        .await
        .unwrap();
    let (a2, _) = store
        .create_session(&login(alice.id, HOUR, None), T0)
        .await
        .unwrap();
    let (a3, _) = store
        .create_session(&login(alice.id, HOUR, None), T0)
        .await
        .unwrap();
    let (b1, _) = store
        .create_session(&login(bob.id, HOUR, None), T0)
        .await
        .unwrap();

    assert!(store.delete_session(a1.expose()).await.unwrap());
    assert!(
        !store.delete_session(a1.expose()).await.unwrap(),
        "already gone"
    );
    assert!(
        store
            .session_by_token(a1.expose(), T0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .session_by_token(a2.expose(), T0)
            .await
            .unwrap()
            .is_some()
    );

    assert_eq!(store.delete_sessions_of(alice.id).await.unwrap(), 2);
    assert!(
        store
            .session_by_token(a3.expose(), T0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .session_by_token(b1.expose(), T0)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.delete_sessions_of(alice.id).await.unwrap(), 0);
}

async fn purge_removes_ended_sessions_only(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let (short, _) = store
        .create_session(&login(alice.id, 1_000, None), T0)
        .await
        .unwrap();
    let (idle, _) = store
        .create_session(&login(alice.id, HOUR, Some(5_000)), T0)
        .await
        .unwrap();
    let (live, _) = store
        .create_session(&login(alice.id, HOUR, Some(60_000)), T0)
        .await
        .unwrap();
    assert_eq!(store.purge_expired(T0 + 999).await.unwrap(), 0);
    assert_eq!(store.purge_expired(T0 + 5_000).await.unwrap(), 2);
    assert_eq!(db.raw_rows("sessions").await.len(), 1);
    assert!(
        store
            .session_by_token(live.expose(), T0 + 5_000)
            .await
            .unwrap()
            .is_some()
    );
    for gone in [short, idle] {
        assert!(
            store
                .session_by_token(gone.expose(), T0)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert_eq!(store.purge_expired(T0 + HOUR).await.unwrap(), 1);
}

async fn disabled_users_have_no_sessions(db: TestDb) {
    let store = &db.store;
    add_user(store, "root", Role::Admin).await;
    let alice = add_user(store, "alice", Role::Editor).await;
    let (secret, _) = store
        .create_session(&login(alice.id, HOUR, None), T0)
        .await
        .unwrap();
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
            .session_by_token(secret.expose(), T0)
            .await
            .unwrap()
            .is_none()
    );
    let err = store
        .create_session(&login(alice.id, HOUR, None), T0)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert!(err.to_string().contains("disabled"), "{err}");
    // Enabling again does not bring the ended session back.
    store
        .update_user(alice.id, &disable(false), T0)
        .await
        .unwrap();
    assert!(
        store
            .session_by_token(secret.expose(), T0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .create_session(&login(alice.id, HOUR, None), T0)
            .await
            .is_ok()
    );
}

async fn bad_sessions_are_refused(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    for (lifetime, idle) in [(0, None), (-5, None), (HOUR, Some(0)), (HOUR, Some(-1))] {
        let err = store
            .create_session(&login(alice.id, lifetime, idle), T0)
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid(_)),
            "{lifetime} {idle:?}: {err:?}"
        );
    }
    let err = store
        .create_session(&login(UserId(999), HOUR, None), T0)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(db.raw_rows("sessions").await.is_empty());

    // Client-supplied fields: control characters replaced (PostgreSQL refuses NUL), cut short.
    let agent = format!("evil\0agent\r\n{}", "x".repeat(2000));
    let (_, session) = store
        .create_session(
            &NewSession {
                user_id: alice.id,
                lifetime_ms: HOUR,
                idle_timeout_ms: None,
                remote_addr: Some("::1"),
                user_agent: Some(&agent),
            },
            T0,
        )
        .await
        .unwrap();
    let stored = session.user_agent.unwrap();
    assert!(
        stored.starts_with("evil\u{FFFD}agent\u{FFFD}\u{FFFD}xxx"),
        "{stored:?}"
    );
    assert_eq!(stored.chars().count(), SESSION_FIELD_MAX_CHARS);
}
