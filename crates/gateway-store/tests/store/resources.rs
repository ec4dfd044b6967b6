//! Ownership and shares of labs and folders; forgetting and renaming.

use nova_gateway_store::{
    ResourceKind, Role, Share, ShareLevel, SharedResource, StoreError, UserId,
};

use crate::common::{T0, TestDb, add_user, on_both_backends};

use ResourceKind::{Folder, Lab};

on_both_backends!(migrated:
    owners_are_set_and_replaced,
    shares_are_listed_both_ways,
    forgetting_a_lab_or_folder_takes_its_shares,
    renaming_a_folder_moves_what_is_below,
);

async fn owners_are_set_and_replaced(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let bob = add_user(store, "bob", Role::Editor).await;
    assert_eq!(store.owner_of(Lab, "lab-1").await.unwrap(), None);
    store.set_owner(Lab, "lab-1", alice.id, T0).await.unwrap();
    store.set_owner(Folder, "lab-1", bob.id, T0).await.unwrap();
    assert_eq!(store.owner_of(Lab, "lab-1").await.unwrap(), Some(alice.id));
    assert_eq!(
        store.owner_of(Folder, "lab-1").await.unwrap(),
        Some(bob.id),
        "kinds are separate"
    );
    store.set_owner(Lab, "lab-1", bob.id, T0).await.unwrap();
    assert_eq!(store.owner_of(Lab, "lab-1").await.unwrap(), Some(bob.id));

    let err = store
        .set_owner(Lab, "lab-2", UserId(999), T0)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert_eq!(store.owner_of(Lab, "lab-2").await.unwrap(), None);
    for bad in ["", "a\0b", &"x".repeat(1025)] {
        let err = store.set_owner(Lab, bad, alice.id, T0).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{bad:?}: {err:?}");
    }
}

async fn shares_are_listed_both_ways(db: TestDb) {
    let store = &db.store;
    let owner = add_user(store, "owner", Role::Editor).await;
    let zed = add_user(store, "Zed", Role::Viewer).await;
    let amy = add_user(store, "amy", Role::Editor).await;
    store.set_owner(Lab, "lab-1", owner.id, T0).await.unwrap();
    store
        .share(Lab, "lab-1", zed.id, ShareLevel::Viewer, T0)
        .await
        .unwrap();
    store
        .share(Lab, "lab-1", amy.id, ShareLevel::Viewer, T0)
        .await
        .unwrap();
    store
        .share(Lab, "lab-1", amy.id, ShareLevel::Editor, T0)
        .await
        .unwrap(); // upgrade
    // Sharing something nobody owns yet records it without owner.
    store
        .share(Folder, "team/net", amy.id, ShareLevel::Viewer, T0)
        .await
        .unwrap();
    assert_eq!(store.owner_of(Folder, "team/net").await.unwrap(), None);
    assert_eq!(
        store.owner_of(Lab, "lab-1").await.unwrap(),
        Some(owner.id),
        "sharing keeps the owner"
    );

    assert_eq!(
        store.shares_of(Lab, "lab-1").await.unwrap(),
        [
            Share {
                user_id: amy.id,
                username: "amy".into(),
                level: ShareLevel::Editor
            },
            Share {
                user_id: zed.id,
                username: "Zed".into(),
                level: ShareLevel::Viewer
            },
        ]
    );
    assert_eq!(
        store.shares_for_user(amy.id).await.unwrap(),
        [
            SharedResource {
                kind: Folder,
                resource_id: "team/net".into(),
                level: ShareLevel::Viewer
            },
            SharedResource {
                kind: Lab,
                resource_id: "lab-1".into(),
                level: ShareLevel::Editor
            },
        ]
    );
    assert!(store.shares_for_user(owner.id).await.unwrap().is_empty());
    assert!(
        store
            .shares_of(Lab, "no-such-lab")
            .await
            .unwrap()
            .is_empty()
    );

    store.unshare(Lab, "lab-1", zed.id).await.unwrap();
    let err = store.unshare(Lab, "lab-1", zed.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(store.shares_for_user(zed.id).await.unwrap().is_empty());

    let err = store
        .share(Lab, "lab-1", UserId(999), ShareLevel::Viewer, T0)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store
        .share(Lab, "lab-9", UserId(999), ShareLevel::Viewer, T0)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(store.owner_of(Lab, "lab-9").await.unwrap().is_none());
    assert_eq!(
        db.raw_column("resources", "resource_id").await,
        ["lab-1", "team/net"],
        "a refused share records nothing"
    );
}

async fn forgetting_a_lab_or_folder_takes_its_shares(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let bob = add_user(store, "bob", Role::Editor).await;
    for folder in ["a", "a/b", "a/b/c", "ab", "a-b", "b/a"] {
        store.set_owner(Folder, folder, alice.id, T0).await.unwrap();
        store
            .share(Folder, folder, bob.id, ShareLevel::Viewer, T0)
            .await
            .unwrap();
    }
    for lab in ["a", "a/x"] {
        store.set_owner(Lab, lab, alice.id, T0).await.unwrap();
        store
            .share(Lab, lab, bob.id, ShareLevel::Editor, T0)
            .await
            .unwrap();
    }
    // A lab is forgotten alone.
    assert_eq!(store.forget_resource(Lab, "a").await.unwrap(), 1);
    assert_eq!(store.owner_of(Lab, "a").await.unwrap(), None);
    assert_eq!(store.owner_of(Lab, "a/x").await.unwrap(), Some(alice.id));
    // A folder goes with everything below it, and nothing that only starts alike.
    assert_eq!(store.forget_resource(Folder, "a").await.unwrap(), 3);
    let mut shared: Vec<(&str, String)> = store
        .shares_for_user(bob.id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.kind.as_str(), s.resource_id))
        .collect();
    // (Sorted here: PostgreSQL orders "a-b" and "ab" by the database's collation.)
    shared.sort();
    assert_eq!(
        shared,
        [
            ("folder", "a-b".to_owned()),
            ("folder", "ab".to_owned()),
            ("folder", "b/a".to_owned()),
            ("lab", "a/x".to_owned()),
        ]
    );
    assert_eq!(store.forget_resource(Folder, "nothing").await.unwrap(), 0);
    assert_eq!(db.raw_rows("shares").await.len(), 4);
}

async fn renaming_a_folder_moves_what_is_below(db: TestDb) {
    let store = &db.store;
    let alice = add_user(store, "alice", Role::Editor).await;
    let bob = add_user(store, "bob", Role::Editor).await;
    for folder in ["a", "a/b", "a/b/c", "ab"] {
        store.set_owner(Folder, folder, alice.id, T0).await.unwrap();
    }
    store
        .share(Folder, "a/b", bob.id, ShareLevel::Editor, T0)
        .await
        .unwrap();
    store.set_owner(Lab, "a", alice.id, T0).await.unwrap();

    assert_eq!(store.rename_folder_resources("a", "x/y").await.unwrap(), 3);
    let mut folders = db
        .raw_column("resources", "kind || ':' || resource_id")
        .await;
    folders.sort();
    assert_eq!(
        folders,
        [
            "folder:ab",
            "folder:x/y",
            "folder:x/y/b",
            "folder:x/y/b/c",
            "lab:a"
        ]
    );
    assert_eq!(
        store.owner_of(Folder, "x/y/b/c").await.unwrap(),
        Some(alice.id)
    );
    assert_eq!(
        store.shares_for_user(bob.id).await.unwrap(),
        [SharedResource {
            kind: Folder,
            resource_id: "x/y/b".into(),
            level: ShareLevel::Editor
        }],
        "shares move with their folder"
    );
    assert_eq!(
        store.rename_folder_resources("x/y", "x/y").await.unwrap(),
        0
    );
    assert_eq!(
        store
            .rename_folder_resources("nothing", "else")
            .await
            .unwrap(),
        0
    );

    let err = store
        .rename_folder_resources("x", "x/inner")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    // A recorded folder in the way: refused, nothing moved.
    let err = store
        .rename_folder_resources("x/y", "ab")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)), "{err:?}");
    assert_eq!(
        store.owner_of(Folder, "x/y/b").await.unwrap(),
        Some(alice.id)
    );
    assert_eq!(store.owner_of(Folder, "ab/b").await.unwrap(), None);
}
