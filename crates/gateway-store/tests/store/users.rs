//! Users: create, look up, update, passwords, logins, delete, and the last-admin rule.

use nova_gateway_store::{
    NewSession, NewUser, ResourceKind, Role, ShareLevel, StoreError, UserId, UserUpdate,
};

use crate::common::{PASSWORD, T0, TestDb, add_user, on_both_backends};

on_both_backends!(migrated:
    create_get_list_and_count,
    usernames_are_unique_regardless_of_case,
    bad_new_users_are_refused_and_change_nothing,
    update_changes_only_what_is_given,
    missing_users_are_not_found,
    login_checks_password_case_and_state,
    set_password_ends_other_sessions,
    delete_takes_sessions_tokens_and_shares_along,
    last_enabled_admin_cannot_go,
    two_admins_demoted_at_once_leave_one,
    unknown_usernames_cost_a_hash_too,
);

async fn create_get_list_and_count(db: TestDb) {
    let store = &db.store;
    assert_eq!(store.count_users().await.unwrap(), 0);
    let alice = store
        .create_user(
            &NewUser {
                username: "alice",
                display_name: "Alice Liddell",
                role: Role::Admin,
                password: PASSWORD,
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(alice.username, "alice");
    assert_eq!(alice.display_name, "Alice Liddell");
    assert_eq!(alice.role, Role::Admin);
    assert!(!alice.disabled);
    assert_eq!((alice.created_at, alice.updated_at), (T0, T0));
    let bob = add_user(store, "Bob", Role::Viewer).await;
    let carol = add_user(store, "carol", Role::Editor).await;
    assert!(alice.id < bob.id && bob.id < carol.id);

    assert_eq!(store.user(alice.id).await.unwrap(), alice);
    assert_eq!(store.user_by_name("ALICE").await.unwrap(), alice);
    assert_eq!(
        store.user_by_name("bob").await.unwrap().username,
        "Bob",
        "kept as created"
    );
    let names: Vec<_> = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(
        names,
        ["alice", "Bob", "carol"],
        "by username, regardless of case"
    );
    assert_eq!(store.count_users().await.unwrap(), 3);
}

async fn usernames_are_unique_regardless_of_case(db: TestDb) {
    add_user(&db.store, "alice", Role::Editor).await;
    for taken in ["alice", "Alice", "ALICE"] {
        let err = db
            .store
            .create_user(
                &NewUser {
                    username: taken,
                    display_name: "",
                    role: Role::Viewer,
                    password: PASSWORD,
                },
                T0,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::AlreadyExists(_)),
            "{taken}: {err:?}"
        );
        assert!(err.to_string().contains("is taken"), "{err}");
    }
    assert_eq!(db.store.count_users().await.unwrap(), 1);
}

async fn bad_new_users_are_refused_and_change_nothing(db: TestDb) {
    let new = |username, display_name, password| NewUser {
        username,
        display_name,
        role: Role::Editor,
        password,
    };
    let long_name = "n".repeat(129);
    let long_password = "p".repeat(1025);
    for (case, user) in [
        ("short password", new("dave", "", "1234567")),
        ("long password", new("dave", "", &long_password)),
        (
            "control character in display name",
            new("dave", "a\nb", PASSWORD),
        ),
        ("long display name", new("dave", &long_name, PASSWORD)),
        ("bad username", new("da/ve", "", PASSWORD)),
    ] {
        let err = db.store.create_user(&user, T0).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{case}: {err:?}");
    }
    assert_eq!(db.store.count_users().await.unwrap(), 0);
    // The limits are inclusive.
    let max_password = "p".repeat(1024);
    db.store
        .create_user(&new("dave", &"n".repeat(128), &max_password), T0)
        .await
        .unwrap();
    assert!(
        db.store
            .verify_login("dave", &max_password)
            .await
            .unwrap()
            .is_some()
    );
}

async fn update_changes_only_what_is_given(db: TestDb) {
    let store = &db.store;
    add_user(store, "root", Role::Admin).await;
    let bob = add_user(store, "bob", Role::Viewer).await;
    let renamed = store
        .update_user(
            bob.id,
            &UserUpdate {
                display_name: Some("Bob Builder".into()),
                ..UserUpdate::default()
            },
            T0 + 5,
        )
        .await
        .unwrap();
    assert_eq!(renamed.display_name, "Bob Builder");
    assert_eq!(renamed.role, Role::Viewer);
    assert!(!renamed.disabled);
    assert_eq!((renamed.created_at, renamed.updated_at), (T0, T0 + 5));

    let promoted = store
        .update_user(
            bob.id,
            &UserUpdate {
                role: Some(Role::Editor),
                disabled: Some(true),
                ..UserUpdate::default()
            },
            T0 + 6,
        )
        .await
        .unwrap();
    assert_eq!(promoted.display_name, "Bob Builder");
    assert_eq!(promoted.role, Role::Editor);
    assert!(promoted.disabled);
    assert_eq!(store.user(bob.id).await.unwrap(), promoted);

    let err = store
        .update_user(
            bob.id,
            &UserUpdate {
                display_name: Some("bad\0name".into()),
                ..UserUpdate::default()
            },
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(store.user(bob.id).await.unwrap(), promoted);
}

async fn missing_users_are_not_found(db: TestDb) {
    let store = &db.store;
    let ghost = UserId(4242);
    let not_found = |r: Result<_, StoreError>| {
        let err = r.expect_err("an error");
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
        assert!(err.to_string().ends_with("not found"), "{err}");
    };
    not_found(store.user(ghost).await.map(drop));
    not_found(store.user_by_name("ghost").await.map(drop));
    not_found(
        store
            .update_user(ghost, &UserUpdate::default(), T0)
            .await
            .map(drop),
    );
    not_found(store.set_password(ghost, PASSWORD, None, T0).await);
    not_found(store.delete_user(ghost).await);
}

async fn login_checks_password_case_and_state(db: TestDb) {
    let store = &db.store;
    add_user(store, "root", Role::Admin).await;
    let alice = add_user(store, "Alice", Role::Editor).await;

    assert_eq!(
        store.verify_login("Alice", PASSWORD).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store.verify_login("alice", PASSWORD).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store.verify_login("alice", "wrong password").await.unwrap(),
        None
    );
    assert_eq!(store.verify_login("alice", "").await.unwrap(), None);
    assert_eq!(store.verify_login("nobody", PASSWORD).await.unwrap(), None);
    assert_eq!(store.verify_login("", PASSWORD).await.unwrap(), None);
    assert_eq!(
        store.verify_login("../alice", PASSWORD).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .verify_login("alice", &"x".repeat(5000))
            .await
            .unwrap(),
        None
    );

    store
        .update_user(
            alice.id,
            &UserUpdate {
                disabled: Some(true),
                ..UserUpdate::default()
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        store.verify_login("alice", PASSWORD).await.unwrap(),
        None,
        "disabled"
    );
    store
        .update_user(
            alice.id,
            &UserUpdate {
                disabled: Some(false),
                ..UserUpdate::default()
            },
            T0,
        )
        .await
        .unwrap();
    assert!(
        store
            .verify_login("alice", PASSWORD)
            .await
            .unwrap()
            .is_some()
    );
}

async fn set_password_ends_other_sessions(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let bob = add_user(store, "bob", Role::Editor).await;
    let login = |user: UserId| NewSession {
        user_id: user,
        lifetime_ms: 3_600_000,
        idle_timeout_ms: None,
        remote_addr: None,
        user_agent: None,
    };
    let (here, here_session) = store.create_session(&login(alice.id), T0).await.unwrap();
    let (elsewhere, _) = store.create_session(&login(alice.id), T0).await.unwrap();
    let (bobs, _) = store.create_session(&login(bob.id), T0).await.unwrap();
    let (token, _) = store
        .create_api_token(alice.id, "ci", None, T0)
        .await
        .unwrap();

    let err = store
        .set_password(alice.id, "short", Some(here_session.id), T0 + 1)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert!(
        store
            .session_by_token(elsewhere.expose(), T0 + 2)
            .await
            .unwrap()
            .is_some()
    );

    store
        .set_password(
            alice.id,
            "a new long password",
            Some(here_session.id),
            T0 + 3,
        )
        .await
        .unwrap();
    assert_eq!(store.verify_login("alice", PASSWORD).await.unwrap(), None);
    let alice_now = store
        .verify_login("alice", "a new long password")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice_now.updated_at, T0 + 3);
    assert!(
        store
            .session_by_token(here.expose(), T0 + 4)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session_by_token(elsewhere.expose(), T0 + 4)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .session_by_token(bobs.expose(), T0 + 4)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .authenticate_api_token(token.expose(), T0 + 4)
            .await
            .unwrap()
            .is_some()
    );

    // Without an exception every session ends.
    store
        .set_password(alice.id, "yet another password", None, T0 + 5)
        .await
        .unwrap();
    assert!(
        store
            .session_by_token(here.expose(), T0 + 6)
            .await
            .unwrap()
            .is_none()
    );
}

async fn delete_takes_sessions_tokens_and_shares_along(db: TestDb) {
    let store = &db.store;
    add_user(store, "root", Role::Admin).await;
    let bob = add_user(store, "bob", Role::Editor).await;
    let (session, _) = store
        .create_session(
            &NewSession {
                user_id: bob.id,
                lifetime_ms: 60_000,
                idle_timeout_ms: None,
                remote_addr: None,
                user_agent: None,
            },
            T0,
        )
        .await
        .unwrap();
    let (token, _) = store
        .create_api_token(bob.id, "script", None, T0)
        .await
        .unwrap();
    store
        .set_owner(ResourceKind::Lab, "lab-1", bob.id, T0)
        .await
        .unwrap();
    store
        .share(ResourceKind::Lab, "lab-2", bob.id, ShareLevel::Editor, T0)
        .await
        .unwrap();

    store.delete_user(bob.id).await.unwrap();
    assert!(matches!(
        store.user(bob.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .session_by_token(session.expose(), T0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .authenticate_api_token(token.expose(), T0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(db.raw_rows("sessions").await.is_empty());
    assert!(db.raw_rows("api_tokens").await.is_empty());
    assert!(
        store
            .shares_of(ResourceKind::Lab, "lab-2")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.owner_of(ResourceKind::Lab, "lab-1").await.unwrap(),
        None,
        "lab stays, ownerless"
    );
    assert_eq!(
        db.raw_column("resources", "resource_id").await,
        ["lab-1", "lab-2"]
    );

    // The name is free again, and the new user gets a new id.
    let bob2 = add_user(store, "bob", Role::Viewer).await;
    assert!(bob2.id > bob.id);
}

async fn last_enabled_admin_cannot_go(db: TestDb) {
    let store = &db.store;
    let root = add_user(store, "root", Role::Admin).await;
    let viewer = add_user(store, "viewer", Role::Viewer).await;
    let demote = UserUpdate {
        role: Some(Role::Editor),
        ..UserUpdate::default()
    };
    let disable = UserUpdate {
        disabled: Some(true),
        ..UserUpdate::default()
    };
    let is_last_admin = |err: StoreError| {
        assert!(
            matches!(&err, StoreError::LastAdmin { username } if username == "root"),
            "{err:?}"
        );
        assert!(err.to_string().contains("last enabled admin"), "{err}");
    };
    is_last_admin(store.delete_user(root.id).await.unwrap_err());
    is_last_admin(store.update_user(root.id, &demote, T0).await.unwrap_err());
    is_last_admin(store.update_user(root.id, &disable, T0).await.unwrap_err());
    assert_eq!(store.user(root.id).await.unwrap(), root, "nothing changed");
    // Changing a non-admin, or an admin without taking the role away, is fine.
    store.delete_user(viewer.id).await.unwrap();
    store
        .update_user(
            root.id,
            &UserUpdate {
                display_name: Some("The Root".into()),
                role: Some(Role::Admin),
                disabled: Some(false),
            },
            T0,
        )
        .await
        .unwrap();

    // A disabled admin does not count as the other admin.
    let spare = add_user(store, "spare", Role::Admin).await;
    store.update_user(spare.id, &disable, T0).await.unwrap();
    is_last_admin(store.delete_user(root.id).await.unwrap_err());

    // With another enabled admin, root may go.
    store
        .update_user(
            spare.id,
            &UserUpdate {
                disabled: Some(false),
                ..UserUpdate::default()
            },
            T0,
        )
        .await
        .unwrap();
    store.update_user(root.id, &demote, T0).await.unwrap();
    store
        .update_user(
            root.id,
            &UserUpdate {
                role: Some(Role::Admin),
                ..UserUpdate::default()
            },
            T0,
        )
        .await
        .unwrap();
    store.delete_user(root.id).await.unwrap();
    let err = store.delete_user(spare.id).await.unwrap_err();
    assert!(matches!(err, StoreError::LastAdmin { .. }), "{err:?}");
}

/// Two requests taking away the only two admins at the same moment (one demotes Alice, one
/// deletes Bob): one wins, the other is refused, one admin is left. Several rounds, since
/// which one wins is a race.
async fn two_admins_demoted_at_once_leave_one(db: TestDb) {
    let store = &db.store;
    let demote = UserUpdate {
        role: Some(Role::Viewer),
        ..UserUpdate::default()
    };
    let mut survivor: Option<UserId> = None;
    for round in 0..5 {
        let a = add_user(store, &format!("a{round}"), Role::Admin).await;
        let b = add_user(store, &format!("b{round}"), Role::Admin).await;
        if let Some(previous) = survivor {
            store.delete_user(previous).await.unwrap();
        }
        let (store_a, store_b, demote_a) = (store.clone(), store.clone(), demote.clone());
        let ta = tokio::spawn(async move { store_a.update_user(a.id, &demote_a, T0).await });
        let tb = tokio::spawn(async move { store_b.delete_user(b.id).await });
        let (ra, rb) = (ta.await.unwrap(), tb.await.unwrap());
        assert!(
            ra.is_err() != rb.is_err(),
            "round {round}: exactly one must be refused: {ra:?} {rb:?}"
        );
        let err = ra.as_ref().err().or(rb.as_ref().err()).unwrap();
        assert!(matches!(err, StoreError::LastAdmin { .. }), "{err:?}");
        let admins: Vec<UserId> = store
            .list_users()
            .await
            .unwrap()
            .into_iter()
            .filter(|u| u.role == Role::Admin && !u.disabled)
            .map(|u| u.id)
            .collect();
        assert_eq!(admins.len(), 1, "round {round}");
        survivor = Some(admins[0]);
    }
}

/// An unknown username costs an argon2 verification too, so timing does not tell which
/// usernames exist. (Loose bound: skipping the hash would make it ~100 times faster.)
async fn unknown_usernames_cost_a_hash_too(db: TestDb) {
    let store = &db.store;
    add_user(store, "alice", Role::Editor).await;
    let median = |mut v: Vec<std::time::Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..5 {
        let start = std::time::Instant::now();
        assert!(
            store
                .verify_login("alice", "wrong password")
                .await
                .unwrap()
                .is_none()
        );
        known.push(start.elapsed());
        let start = std::time::Instant::now();
        assert!(
            store
                .verify_login("mallory", "wrong password")
                .await
                .unwrap()
                .is_none()
        );
        unknown.push(start.elapsed());
    }
    let (known, unknown) = (median(known), median(unknown));
    assert!(
        unknown * 4 >= known,
        "unknown user {unknown:?} vs known {known:?}"
    );
}
