//! The audit log: recording, filters, newest-first keyset paging.

use nova_gateway_store::{
    AUDIT_FIELD_MAX_CHARS, AUDIT_LIST_MAX, AUDIT_TEXT_MAX_CHARS, AuditFilter, AuditResult,
    NewAuditEntry, Role, StoreError,
};

use crate::common::{T0, TestDb, add_user, on_both_backends};

on_both_backends!(migrated:
    entries_are_recorded_and_listed_newest_first,
    filters_narrow_the_list,
    pages_follow_each_other,
    client_text_is_made_storable,
    entries_outlive_their_user,
);

async fn entries_are_recorded_and_listed_newest_first(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let entry = NewAuditEntry {
        at: T0,
        user_id: Some(alice.id),
        username: "alice".into(),
        remote_addr: Some("192.0.2.1".into()),
        action: "node.start".into(),
        lab_id: Some("lab-1".into()),
        node_id: Some("3".into()),
        target: Some("R1".into()),
        result: AuditResult::Ok,
        detail: Some("started in 1.2 s".into()),
    };
    let first = store.record(&entry).await.unwrap();
    let second = store
        .record(&NewAuditEntry::new(
            T0 + 1,
            "bob",
            "user.login",
            AuditResult::Denied,
        ))
        .await
        .unwrap();
    assert!(second > first);
    let listed = store.list_audit(&AuditFilter::default()).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].id, second);
    assert_eq!(listed[0].username, "bob");
    assert_eq!(listed[0].user_id, None);
    assert_eq!(listed[0].result, AuditResult::Denied);
    assert_eq!(listed[0].lab_id, None);
    let got = &listed[1];
    assert_eq!(got.id, first);
    assert_eq!(
        (
            got.at,
            got.user_id,
            got.username.as_str(),
            got.remote_addr.as_deref()
        ),
        (T0, Some(alice.id), "alice", Some("192.0.2.1"))
    );
    assert_eq!(
        (
            got.action.as_str(),
            got.lab_id.as_deref(),
            got.node_id.as_deref(),
            got.target.as_deref()
        ),
        ("node.start", Some("lab-1"), Some("3"), Some("R1"))
    );
    assert_eq!(
        (got.result, got.detail.as_deref()),
        (AuditResult::Ok, Some("started in 1.2 s"))
    );

    for bad in ["", "lab create", "lab.create;", "x".repeat(65).as_str()] {
        let err = store
            .record(&NewAuditEntry::new(T0, "alice", bad, AuditResult::Ok))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{bad:?}: {err:?}");
    }
    assert_eq!(db.raw_rows("audit").await.len(), 2);
}

async fn filters_narrow_the_list(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let bob = add_user(store, "bob", Role::Editor).await;
    let mut ids = Vec::new();
    for (i, (user, action, lab, result)) in [
        (alice.id, "lab.create", Some("l1"), AuditResult::Ok),
        (alice.id, "lab.delete", Some("l1"), AuditResult::Denied),
        (bob.id, "node.start", Some("l1"), AuditResult::Ok),
        (bob.id, "lab.create", Some("l2"), AuditResult::Error),
        (alice.id, "labx.odd", None, AuditResult::Ok),
        (bob.id, "LAB.upper", None, AuditResult::Ok),
    ]
    .into_iter()
    .enumerate()
    {
        let mut entry = NewAuditEntry::new(T0 + i as i64 * 1000, "someone", action, result);
        entry.user_id = Some(user);
        entry.lab_id = lab.map(str::to_owned);
        ids.push(store.record(&entry).await.unwrap());
    }
    let listed = |filter: AuditFilter| async move {
        store
            .list_audit(&filter)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect::<Vec<_>>()
    };
    let pick = |which: &[usize]| which.iter().rev().map(|i| ids[*i]).collect::<Vec<_>>();

    assert_eq!(
        listed(AuditFilter::default()).await,
        pick(&[0, 1, 2, 3, 4, 5])
    );
    assert_eq!(
        listed(AuditFilter {
            user: Some(alice.id),
            ..Default::default()
        })
        .await,
        pick(&[0, 1, 4])
    );
    assert_eq!(
        listed(AuditFilter {
            lab_id: Some("l1".into()),
            ..Default::default()
        })
        .await,
        pick(&[0, 1, 2])
    );
    assert_eq!(
        listed(AuditFilter {
            result: Some(AuditResult::Ok),
            ..Default::default()
        })
        .await,
        pick(&[0, 2, 4, 5])
    );
    // Prefixes are exact: case matters, and % or _ are no wildcards.
    assert_eq!(
        listed(AuditFilter {
            action_prefix: Some("lab.".into()),
            ..Default::default()
        })
        .await,
        pick(&[0, 1, 3])
    );
    assert_eq!(
        listed(AuditFilter {
            action_prefix: Some("lab".into()),
            ..Default::default()
        })
        .await,
        pick(&[0, 1, 3, 4])
    );
    assert_eq!(
        listed(AuditFilter {
            action_prefix: Some("lab.create".into()),
            ..Default::default()
        })
        .await,
        pick(&[0, 3])
    );
    for no_wildcard in ["%", "lab%", "lab_", "_ab", "Lab."] {
        assert!(
            listed(AuditFilter {
                action_prefix: Some(no_wildcard.into()),
                ..Default::default()
            })
            .await
            .is_empty(),
            "{no_wildcard}"
        );
    }
    // Time range: since inclusive, until exclusive.
    assert_eq!(
        listed(AuditFilter {
            since_ms: Some(T0 + 1000),
            until_ms: Some(T0 + 3000),
            ..Default::default()
        })
        .await,
        pick(&[1, 2])
    );
    // Everything together.
    assert_eq!(
        listed(AuditFilter {
            user: Some(bob.id),
            lab_id: Some("l2".into()),
            action_prefix: Some("lab.".into()),
            result: Some(AuditResult::Error),
            since_ms: Some(T0),
            until_ms: Some(T0 + 10_000),
            limit: 5,
            before_id: Some(ids[5]),
        })
        .await,
        pick(&[3])
    );
    assert!(
        listed(AuditFilter {
            lab_id: Some("l1' OR '1'='1".into()),
            ..Default::default()
        })
        .await
        .is_empty()
    );
}

async fn pages_follow_each_other(db: TestDb) {
    let store = &db.store;
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(
            store
                .record(&NewAuditEntry::new(
                    T0 + i,
                    "alice",
                    "lab.open",
                    AuditResult::Ok,
                ))
                .await
                .unwrap(),
        );
    }
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .list_audit(&AuditFilter {
                limit: 10,
                before_id: before,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(page.len() <= 10);
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        seen.extend(page.iter().map(|e| e.id));
    }
    ids.reverse();
    assert_eq!(seen, ids, "every entry once, newest first");

    // Limits are kept within 1..=AUDIT_LIST_MAX.
    let one = store
        .list_audit(&AuditFilter {
            limit: 0,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    let all = store
        .list_audit(&AuditFilter {
            limit: u32::MAX,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 25);
    assert_eq!(AUDIT_LIST_MAX, 1000);
}

async fn client_text_is_made_storable(db: TestDb) {
    let store = &db.store;
    let mut entry = NewAuditEntry::new(T0, "evil\0user", "user.login", AuditResult::Denied);
    entry.detail = Some(format!("bad\0detail\n{}", "d".repeat(10_000)));
    entry.target = Some("'); DROP TABLE audit; --".into());
    entry.remote_addr = Some("r".repeat(1000));
    let id = store.record(&entry).await.unwrap();
    let got = store
        .list_audit(&AuditFilter::default())
        .await
        .unwrap()
        .remove(0);
    assert_eq!(got.id, id);
    assert_eq!(got.username, "evil\u{FFFD}user");
    let detail = got.detail.unwrap();
    assert!(
        detail.starts_with("bad\u{FFFD}detail\u{FFFD}ddd"),
        "{detail:?}"
    );
    assert_eq!(detail.chars().count(), AUDIT_TEXT_MAX_CHARS);
    assert_eq!(got.target.as_deref(), Some("'); DROP TABLE audit; --"));
    assert_eq!(got.remote_addr.unwrap().len(), AUDIT_FIELD_MAX_CHARS);
}

async fn entries_outlive_their_user(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let mut entry = NewAuditEntry::new(T0, "alice", "lab.create", AuditResult::Ok);
    entry.user_id = Some(alice.id);
    store.record(&entry).await.unwrap();
    store.delete_user(alice.id).await.unwrap();
    let got = store
        .list_audit(&AuditFilter {
            user: Some(alice.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].username, "alice");
    assert_eq!(got[0].user_id, Some(alice.id));
}
