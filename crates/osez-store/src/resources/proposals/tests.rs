use osez_core::resource::{Status, Venue, Webinar, starter};
use osez_core::{Geography, demo};

use super::*;
use crate::now_ms;
use crate::testing::stores;

fn event(title: &str) -> Content {
    let mut c =
        starter::all(1_796_212_800_000).unwrap().into_iter().find(|r| r.content.webinar.is_some()).unwrap().content;
    c.title = title.into();
    c.transcript.clear();
    c.webinar = Some(Webinar {
        starts_at: now_ms() + 7 * 86_400_000,
        duration_min: 120,
        speakers: vec!["Claire Martin".into()],
        capacity: 20,
        venue: Some(Venue { commune: "69123".into(), address: "3 rue de la République".into() }),
    });
    c
}

async fn two_advisers(store: &Store) -> (AdviserId, AdviserId) {
    let geo = Geography::embedded().unwrap();
    let advisers: Vec<_> = demo::generate(&geo, 7).into_iter().take(2).collect();
    store.upsert_advisers(&advisers).await.unwrap();
    (advisers[0].id.clone(), advisers[1].id.clone())
}

#[tokio::test]
async fn an_organiser_changes_a_proposal_until_the_team_publishes_it_and_no_one_else_ever() {
    for (name, store) in stores().await {
        let (mine, other) = two_advisers(&store).await;
        let c = event("Atelier IA à Lyon");
        store.propose_event("atelier-ia-lyon", &c, &mine, "conseil@exemple.fr").await.unwrap();
        let row = store.resource_row("atelier-ia-lyon").await.unwrap().unwrap();
        assert_eq!((row.status, row.organiser.as_ref()), (Status::Review, Some(&mine)), "{name}");
        assert!(matches!(
            store.propose_event("atelier-ia-lyon", &c, &mine, "conseil@exemple.fr").await,
            Err(EditError::SlugTaken)
        ));

        let changed = event("Atelier IA à Lyon, deuxième date");
        // Another adviser does not even learn that it exists.
        let err = store.save_proposal("atelier-ia-lyon", 1, &changed, &other, "autre@exemple.fr").await.unwrap_err();
        assert!(matches!(err, EditError::NotFound), "{name}: {err:?}");
        assert_eq!(store.save_proposal("atelier-ia-lyon", 1, &changed, &mine, "conseil@exemple.fr").await.unwrap(), 2);
        let err = store.save_proposal("atelier-ia-lyon", 1, &changed, &mine, "conseil@exemple.fr").await.unwrap_err();
        assert!(matches!(err, EditError::Stale { head: 2 }), "{name}: {err:?}");

        // Sent back for changes, it is still the organiser's; once
        // published, only the team changes it.
        store.set_resource_status("atelier-ia-lyon", Status::Draft, None, "editrice@exemple.fr").await.unwrap();
        assert_eq!(store.save_proposal("atelier-ia-lyon", 2, &c, &mine, "conseil@exemple.fr").await.unwrap(), 3);
        assert_eq!(store.resource_row("atelier-ia-lyon").await.unwrap().unwrap().status, Status::Review);
        store.set_resource_status("atelier-ia-lyon", Status::Published, None, "editrice@exemple.fr").await.unwrap();
        let err = store.save_proposal("atelier-ia-lyon", 3, &changed, &mine, "conseil@exemple.fr").await.unwrap_err();
        assert!(matches!(err, EditError::Closed), "{name}: {err:?}");

        let published = store.published_resource("atelier-ia-lyon").await.unwrap().unwrap();
        assert_eq!(published.organiser.as_ref(), Some(&mine), "{name}");
        assert_eq!(published.content, c, "{name}");
        let listed = store.proposals_of(&mine, 50).await.unwrap();
        assert_eq!(listed.len(), 1, "{name}");
        assert!(store.proposals_of(&other, 50).await.unwrap().is_empty(), "{name}");
        // Unknown adviser: nothing written.
        let ghost = AdviserId::parse("fantome").unwrap();
        let err = store.propose_event("fantome-atelier", &c, &ghost, "x@exemple.fr").await.unwrap_err();
        assert!(matches!(err, EditError::NotFound), "{name}: {err:?}");
        assert!(store.resource_row("fantome-atelier").await.unwrap().is_none(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn proposals_sent_at_once_stop_at_the_limit() {
    for (name, store) in stores().await {
        let (mine, _) = two_advisers(&store).await;
        let warm: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.resources_count().await })
            })
            .collect();
        for w in warm {
            w.await.unwrap().unwrap();
        }
        let total = usize::try_from(OPEN_PROPOSALS_MAX).unwrap() + 6;
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(total));
        let mut tasks = Vec::new();
        for n in 0..total {
            let (store, start, mine) = (store.clone(), start.clone(), mine.clone());
            tasks.push(tokio::spawn(async move {
                start.wait().await;
                let c = event(&format!("Atelier numéro {n}"));
                store.propose_event(&format!("atelier-{n}"), &c, &mine, "conseil@exemple.fr").await
            }));
        }
        let mut saved = 0;
        let mut refused = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => saved += 1,
                Err(EditError::TooManyOpen) => refused += 1,
                Err(e) => panic!("{name}: {e:?}"),
            }
        }
        assert_eq!((saved, refused), (OPEN_PROPOSALS_MAX, 6), "{name}");
        assert_eq!(store.resources_count().await.unwrap(), OPEN_PROPOSALS_MAX, "{name}");
    }
}
