//! Hostile input: bad usernames are refused, SQL metacharacters are only data, and secrets are
//! never stored in clear.

use nova_gateway_store::{
    AuditFilter, AuditResult, NewAuditEntry, NewSession, NewUser, ResourceKind, Role, ShareLevel,
    StoreError,
};
use sha2::{Digest, Sha256};

use crate::common::{PASSWORD, T0, TestDb, add_user, on_both_backends};

on_both_backends!(migrated:
    hostile_usernames_are_refused,
    sql_metacharacters_are_just_data,
    secrets_are_never_stored_in_clear,
);

async fn hostile_usernames_are_refused(db: TestDb) {
    let store = &db.store;
    let too_long = "a".repeat(65);
    for bad in [
        "",
        "/",
        "a/b",
        "..",
        "../../etc/passwd",
        ".",
        ".hidden",
        "-rf",
        "a\0b",
        "\0",
        &too_long,
        "a b",
        "tab\t",
        "new\nline",
        "ünïcode",
        "quote'",
        "semi;colon",
        "back\\slash",
        "per%cent",
        "star*",
        "<script>",
    ] {
        let err = store
            .create_user(
                &NewUser {
                    username: bad,
                    display_name: "",
                    role: Role::Admin,
                    password: PASSWORD,
                },
                T0,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{bad:?}: {err:?}");
        assert!(err.to_string().contains("username"), "{err}");
        assert_eq!(
            store.verify_login(bad, PASSWORD).await.unwrap(),
            None,
            "{bad:?}"
        );
        // Looking one up is harmless too.
        assert!(
            matches!(store.user_by_name(bad).await, Err(StoreError::NotFound(_))),
            "{bad:?}"
        );
    }
    assert_eq!(store.count_users().await.unwrap(), 0);
    // Lab ids and folder paths with NUL or other control characters: refused, never sent.
    let alice = add_user(store, "alice", Role::Editor).await;
    for bad in ["lab\0", "a\0b", "new\nline", ""] {
        let invalid = |r: Result<(), StoreError>| {
            assert!(matches!(r, Err(StoreError::Invalid(_))), "{bad:?}: {r:?}");
        };
        invalid(store.set_owner(ResourceKind::Lab, bad, alice.id, T0).await);
        invalid(store.owner_of(ResourceKind::Lab, bad).await.map(drop));
        invalid(
            store
                .share(ResourceKind::Folder, bad, alice.id, ShareLevel::Viewer, T0)
                .await,
        );
        invalid(store.unshare(ResourceKind::Folder, bad, alice.id).await);
        invalid(store.shares_of(ResourceKind::Folder, bad).await.map(drop));
        invalid(
            store
                .forget_resource(ResourceKind::Folder, bad)
                .await
                .map(drop),
        );
        invalid(store.rename_folder_resources(bad, "x").await.map(drop));
        invalid(store.rename_folder_resources("x", bad).await.map(drop));
    }
    // Audit filters with NUL match what was recorded with NUL (both made storable alike).
    let mut entry = NewAuditEntry::new(T0, "alice", "lab.open", AuditResult::Ok);
    entry.lab_id = Some("lab\0x".into());
    store.record(&entry).await.unwrap();
    let found = store
        .list_audit(&AuditFilter {
            lab_id: Some("lab\0x".into()),
            action_prefix: Some("lab.\0".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(found.is_empty(), "the prefix with NUL matches no action");
    let found = store
        .list_audit(&AuditFilter {
            lab_id: Some("lab\0x".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].lab_id.as_deref(), Some("lab\u{FFFD}x"));
    store.delete_user(alice.id).await.unwrap();
    // The longest allowed one works.
    add_user(store, &"a".repeat(64), Role::Viewer).await;
}

async fn sql_metacharacters_are_just_data(db: TestDb) {
    let store = &db.store;
    let nasty = "Robert'); DROP TABLE users; -- \" ` $1 ? %_ \\";
    let user = store
        .create_user(
            &NewUser {
                username: "bobby",
                display_name: nasty,
                role: Role::Editor,
                password: nasty,
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(user.display_name, nasty);
    assert!(store.verify_login("bobby", nasty).await.unwrap().is_some());
    let (_, token) = store
        .create_api_token(user.id, nasty, None, T0)
        .await
        .unwrap();
    assert_eq!(token.name, nasty);
    for kind in [ResourceKind::Lab, ResourceKind::Folder] {
        store.set_owner(kind, nasty, user.id, T0).await.unwrap();
        store
            .share(kind, nasty, user.id, ShareLevel::Viewer, T0)
            .await
            .unwrap();
        assert_eq!(store.owner_of(kind, nasty).await.unwrap(), Some(user.id));
        // The same text with a wildcard changed matches nothing.
        assert_eq!(
            store
                .owner_of(kind, &nasty.replace('%', "x"))
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(
        store.rename_folder_resources(nasty, "plain").await.unwrap(),
        1
    );
    let mut entry = NewAuditEntry::new(T0, nasty, "lab.create", AuditResult::Ok);
    entry.lab_id = Some(nasty.into());
    store.record(&entry).await.unwrap();
    let found = store
        .list_audit(&AuditFilter {
            lab_id: Some(nasty.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].username, nasty);
    // Every table is still there and whole.
    assert_eq!(store.count_users().await.unwrap(), 1);
    assert_eq!(store.list_users().await.unwrap()[0].display_name, nasty);
}

async fn secrets_are_never_stored_in_clear(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let (session_secret, session) = store
        .create_session(
            &NewSession {
                user_id: alice.id,
                lifetime_ms: 60_000,
                idle_timeout_ms: None,
                remote_addr: None,
                user_agent: None,
            },
            T0,
        )
        .await
        .unwrap();
    let (token_secret, _) = store
        .create_api_token(alice.id, "ci", None, T0)
        .await
        .unwrap();
    let sha256 = |s: &str| {
        Sha256::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };

    assert_eq!(
        db.raw_column("sessions", "token_hash").await,
        [sha256(session_secret.expose())]
    );
    assert_eq!(
        db.raw_column("api_tokens", "token_hash").await,
        [sha256(token_secret.expose())]
    );
    let mut everything = Vec::new();
    for table in [
        "users",
        "sessions",
        "api_tokens",
        "resources",
        "shares",
        "audit",
    ] {
        everything.extend(db.raw_rows(table).await);
    }
    let dump = everything.join("\n");
    assert!(dump.contains(&session.csrf_token), "the dump is real");
    for secret in [
        session_secret.expose(),
        token_secret.expose(),
        &token_secret.expose()[4..],
        PASSWORD,
    ] {
        assert!(!dump.contains(secret), "{secret:?} stored in clear");
    }
    let password_hash = db.raw_column("users", "password_hash").await.remove(0);
    assert!(
        password_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{password_hash}"
    );

    // SQLite: not in the file or its write-ahead log either.
    if let Some(path) = db.sqlite_path() {
        for file in [path.clone(), path.with_extension("db-wal")] {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            for secret in [session_secret.expose(), token_secret.expose(), PASSWORD] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{secret:?} in {}",
                    file.display()
                );
            }
        }
    }
}
