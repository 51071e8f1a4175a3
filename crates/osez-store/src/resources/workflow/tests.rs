use osez_core::resource::Status;
use osez_core::resource::starter;

use crate::EditError;
use crate::testing::stores;

fn content(title: &str) -> osez_core::resource::Content {
    let mut c = starter::all(1_796_212_800_000).unwrap().remove(0).content;
    c.title = title.into();
    c
}

#[tokio::test]
async fn a_resource_goes_from_draft_to_published_and_edits_stay_private_until_published_again() {
    for (name, store) in stores().await {
        let v0 = store.resources_version().await.unwrap();
        store.create_resource("essai", &content("Premier titre"), false, "editrice@exemple.fr").await.unwrap();
        assert!(
            matches!(store.create_resource("essai", &content("x"), false, "a").await, Err(EditError::SlugTaken)),
            "{name}"
        );
        assert_eq!(store.published_resource("essai").await.unwrap(), None, "{name}: a draft is private");

        store.set_resource_status("essai", Status::Review, None, "editrice@exemple.fr").await.unwrap();
        store.set_resource_status("essai", Status::Published, None, "editrice@exemple.fr").await.unwrap();
        let live = store.published_resource("essai").await.unwrap().expect("published");
        assert_eq!(live.content.title, "Premier titre", "{name}");
        let v1 = store.resources_version().await.unwrap();
        assert!(v1 > v0, "{name}: publishing changes what the public sees");

        // A new version: the public still sees the first.
        let head =
            store.save_resource("essai", 1, &content("Second titre"), "moderatrice@exemple.fr", "relu").await.unwrap();
        assert_eq!(head, 2, "{name}");
        let row = store.resource_row("essai").await.unwrap().unwrap();
        assert_eq!((row.status, row.head, row.live), (Status::Draft, 2, Some(1)), "{name}");
        assert_eq!(store.published_resource("essai").await.unwrap().unwrap().content.title, "Premier titre", "{name}");
        // Someone who started from version 1 is told, and nothing is written.
        match store.save_resource("essai", 1, &content("Autre"), "b", "").await {
            Err(EditError::Stale { head: 2 }) => {}
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(store.resource_versions("essai").await.unwrap().len(), 2, "{name}");

        store.set_resource_status("essai", Status::Published, None, "editrice@exemple.fr").await.unwrap();
        let live = store.published_resource("essai").await.unwrap().unwrap();
        assert_eq!(live.content.title, "Second titre", "{name}");
        assert!(live.updated_at >= live.published_at, "{name}");

        // Restore makes the old content the newest version.
        assert_eq!(store.restore_resource("essai", 1, "editrice@exemple.fr").await.unwrap(), 3, "{name}");
        let versions = store.resource_versions("essai").await.unwrap();
        assert_eq!(versions[0].content.title, "Premier titre", "{name}");
        assert_eq!(versions[0].note, "Restauration de la version 1", "{name}");

        // Archive takes it off the public site.
        store.set_resource_status("essai", Status::Review, None, "e").await.unwrap();
        store.set_resource_status("essai", Status::Published, None, "e").await.unwrap();
        store.set_resource_status("essai", Status::Archived, None, "e").await.unwrap();
        assert_eq!(store.published_resource("essai").await.unwrap(), None, "{name}");

        let actions: Vec<String> = store
            .audit_entries(50)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.target == "essai")
            .map(|e| e.action)
            .collect();
        for a in ["resource.create", "resource.review", "resource.published", "resource.save", "resource.archived"] {
            assert!(actions.iter().any(|x| x == a), "{name}: {a} in {actions:?}");
        }
    }
}

#[tokio::test]
async fn the_workflow_refuses_a_move_it_does_not_allow_and_publishes_what_is_due() {
    for (name, store) in stores().await {
        store.create_resource("plus-tard", &content("Plus tard"), false, "e").await.unwrap();
        for bad in [Status::Archived, Status::Draft] {
            assert!(
                matches!(
                    store.set_resource_status("plus-tard", bad, None, "e").await,
                    Err(EditError::Transition { .. })
                ),
                "{name}: draft to {bad:?}"
            );
        }
        // Scheduling needs a time, and only scheduling takes one.
        assert!(store.set_resource_status("plus-tard", Status::Scheduled, None, "e").await.is_err(), "{name}");
        assert!(store.set_resource_status("plus-tard", Status::Review, Some(5), "e").await.is_err(), "{name}");
        store.set_resource_status("plus-tard", Status::Scheduled, Some(2_000), "e").await.unwrap();
        assert!(store.publish_due_resources(1_999).await.unwrap().is_empty(), "{name}: not yet");
        assert_eq!(store.publish_due_resources(2_000).await.unwrap(), vec!["plus-tard".to_string()], "{name}");
        assert!(store.published_resource("plus-tard").await.unwrap().is_some(), "{name}");
        assert!(store.publish_due_resources(3_000).await.unwrap().is_empty(), "{name}: once");
        assert!(matches!(
            store.set_resource_status("absente", Status::Review, None, "e").await,
            Err(EditError::NotFound)
        ));
    }
}
