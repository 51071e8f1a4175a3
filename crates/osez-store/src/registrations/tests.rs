use osez_core::resource::{Status, Webinar, starter};

use super::*;
use crate::testing::stores;

fn letter_for(email: &str) -> Letter {
    let mail = NewMail {
        message_id: format!("<{email}@osez.test>"),
        kind: "webinar_confirmed",
        to: email.into(),
        reply_to: None,
        subject: "Inscription".into(),
        body: "Bonjour".into(),
    };
    (mail, None)
}

fn challenge(n: usize) -> SpentChallenge {
    SpentChallenge { key: format!("defi-{n}"), expires_at_ms: now_ms() + 3_600_000 }
}

async fn webinar(store: &Store, capacity: u32) {
    let mut c =
        starter::all(1_796_212_800_000).unwrap().into_iter().find(|r| r.content.webinar.is_some()).unwrap().content;
    c.webinar = Some(Webinar {
        starts_at: now_ms() + 86_400_000,
        duration_min: 60,
        speakers: vec!["A".into()],
        capacity,
        venue: None,
    });
    store.create_resource("atelier", &c, false, "editrice@exemple.fr").await.unwrap();
    store.set_resource_status("atelier", Status::Published, None, "editrice@exemple.fr").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_registrations_at_once_for_one_seat_give_one_seat_one_place_waiting_and_no_more() {
    for (name, store) in stores().await {
        webinar(&store, 1).await;
        // Every connection of the pool open, so that the registrations
        // below run side by side rather than one per new connection.
        let warm: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.attendance("atelier").await })
            })
            .collect();
        for w in warm {
            w.await.unwrap().unwrap();
        }
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(20));
        let mut tasks = Vec::new();
        for n in 0..20 {
            let store = store.clone();
            let start = start.clone();
            tasks.push(tokio::spawn(async move {
                start.wait().await;
                let email = format!("p{n}@exemple.fr");
                let who = NewRegistration {
                    resource_id: "atelier",
                    email: &email,
                    name: "P",
                    company: "",
                    cancel_hash: &format!("hash-{n}"),
                };
                store.register(&who, 1, &challenge(n), |_| letter_for(&email)).await
            }));
        }
        let mut seats = (0, 0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(Seat::Confirmed) => seats.0 += 1,
                Ok(Seat::Waiting(_)) => seats.1 += 1,
                Err(RegisterError::Full) => seats.2 += 1,
                Err(e) => panic!("{name}: {e}"),
            }
        }
        assert_eq!(seats, (1, 1, 18), "{name}");
        let a = store.attendance("atelier").await.unwrap();
        assert_eq!((a.confirmed, a.waiting), (1, 1), "{name}");
        assert_eq!(store.outbox_status().await.unwrap().pending, 2, "{name}: a mail per registration kept");

        // The same challenge twice: the second saves nothing.
        let who =
            NewRegistration { resource_id: "atelier", email: "x@exemple.fr", name: "X", company: "", cancel_hash: "h" };
        assert!(store.register(&who, 5, &challenge(100), |_| letter_for("x@exemple.fr")).await.is_ok(), "{name}");
        let again = NewRegistration { email: "y@exemple.fr", cancel_hash: "h2", ..who.clone() };
        let spent = store.register(&again, 5, &challenge(100), |_| letter_for("y@exemple.fr")).await;
        assert!(matches!(spent, Err(RegisterError::Spent)), "{name}");
        let elsewhere = NewRegistration { resource_id: "inconnu", ..again };
        let unknown = store.register(&elsewhere, 5, &challenge(99), |_| letter_for("y@exemple.fr")).await;
        assert!(matches!(unknown, Err(RegisterError::NoWebinar)), "{name}");
    }
}
