//! Registering to a webinar: seats then a waiting list, one registration
//! per address, the confirmation with its .ics, the cancel link that gives
//! the seat to the first one waiting, reminders and replay links sent
//! once, and a past or full webinar refused in French.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::*;
use osez_core::resource::{Status, Webinar};
use osez_store::Store;
use osez_web::{AppState, Library, now_ms};

const SLUG: &str = "atelier-ia-test";

/// Publishes a webinar of `capacity` seats starting at `starts_at`.
async fn webinar(state: &Arc<AppState>, store: &Store, capacity: u32, starts_at: i64) {
    let mut content = starter().into_iter().find(|r| r.content.webinar.is_some()).unwrap().content;
    content.title = "Atelier IA de test".into();
    content.webinar =
        Some(Webinar { starts_at, duration_min: 60, speakers: vec!["Claire Martin".into()], capacity, venue: None });
    store.create_resource(SLUG, &content, false, "editrice@exemple.fr").await.unwrap();
    store.set_resource_status(SLUG, Status::Published, None, "editrice@exemple.fr").await.unwrap();
    state.ready().unwrap().replace_library(Library::load(store).await.unwrap());
}

async fn register(state: &Arc<AppState>, email: &str) -> (StatusCode, String) {
    let path = format!("/ressources/{SLUG}/inscription");
    let (_, _, page) = get(state, &path, None).await;
    let token = token_in(&page, &path);
    let body = format!(
        "jeton={token}&name={}&email={}&company={}{}",
        enc("Camille Durand"),
        enc(email),
        enc("Boulangerie Durand"),
        challenge_fields(&page)
    );
    let (status, _, page) = post(state, &path, body, None).await;
    (status, unescape(&page))
}

#[tokio::test]
async fn seats_then_a_waiting_list_then_full_and_one_registration_per_address() {
    for (name, state, store) in apps().await {
        webinar(&state, &store, 2, now_ms() + 3 * 86_400_000).await;
        let (_, _, show) = get(&state, &format!("/ressources/{SLUG}"), None).await;
        assert!(
            show.contains(&format!("href=\"/ressources/{SLUG}/inscription\"")),
            "{name}: the page leads to the form"
        );

        let (status, page) = register(&state, "un@exemple.fr").await;
        assert_eq!(status, StatusCode::OK, "{name}: {page}");
        assert!(page.contains("Votre inscription est confirmée"), "{name}");
        let (status, page) = register(&state, "UN@exemple.fr").await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}");
        assert!(page.contains("déjà inscrite à ce webinaire"), "{name}: the same address, in capitals");
        assert_eq!(register(&state, "deux@exemple.fr").await.0, StatusCode::OK, "{name}");
        let (status, page) = register(&state, "trois@exemple.fr").await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("liste d'attente, en position 1"), "{name}");
        assert_eq!(register(&state, "quatre@exemple.fr").await.0, StatusCode::OK, "{name}");
        let (status, page) = register(&state, "cinq@exemple.fr").await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}");
        assert!(page.contains("complet, et sa liste d'attente aussi"), "{name}");
        let a = store.attendance(SLUG).await.unwrap();
        assert_eq!((a.confirmed, a.waiting), (2, 2), "{name}: the refused ones left nothing");

        // The mails: a confirmation with the event's .ics, a waiting notice without.
        let mails = store.take_due_mail(100, 60_000).await.unwrap();
        let to_one = mails.iter().find(|m| m.to == "un@exemple.fr").unwrap();
        assert_eq!(to_one.kind, "webinar_confirmed", "{name}");
        let ics = to_one.attachment.as_ref().expect("an .ics");
        assert!(ics.content_type.starts_with("text/calendar") && ics.body.contains("BEGIN:VEVENT"), "{name}");
        assert!(to_one.body.contains(&format!("/ressources/{SLUG}/inscription/annuler?jeton=")), "{name}");
        let to_three = mails.iter().find(|m| m.to == "trois@exemple.fr").unwrap();
        assert!(to_three.kind == "webinar_waiting" && to_three.attachment.is_none(), "{name}");
        assert_eq!(mails.len(), 4, "{name}: one mail per registration");

        // Cancelling: shown first (a link follower cancels nothing), then confirmed.
        let link = to_one.body.split("/inscription/annuler?jeton=").nth(1).unwrap().split_whitespace().next().unwrap();
        let cancel = format!("/ressources/{SLUG}/inscription/annuler");
        let (status, _, page) = get(&state, &format!("{cancel}?jeton={link}"), None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(store.attendance(SLUG).await.unwrap().confirmed, 2, "{name}: not by a GET");
        let token = token_in(&page, &cancel);
        let (status, _, page) = post(&state, &cancel, format!("jeton={token}&lien={link}"), None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(
            unescape(&page).contains("Votre inscription au webinaire « Atelier IA de test » est annulée"),
            "{name}"
        );
        let a = store.attendance(SLUG).await.unwrap();
        assert_eq!((a.confirmed, a.waiting), (2, 1), "{name}: the first one waiting got the seat");
        let mails = store.take_due_mail(100, 60_000).await.unwrap();
        assert_eq!(mails.len(), 1, "{name}");
        assert_eq!((mails[0].to.as_str(), mails[0].kind.as_str()), ("trois@exemple.fr", "webinar_promoted"), "{name}");
        assert!(mails[0].attachment.is_some(), "{name}");
        // The link served once.
        let (status, _, _) = post(&state, &cancel, format!("jeton={token}&lien={link}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
        let (status, _, page) = get(&state, &format!("{cancel}?jeton=inconnu"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
        assert!(unescape(&page).contains("n'est pas valide ou a déjà servi"), "{name}");

        // A registration is personal data: held, then erased on request.
        assert!(store.holds_personal_data("quatre@exemple.fr").await.unwrap(), "{name}");
        let copy = store.personal_data("quatre@exemple.fr").await.unwrap();
        assert_eq!(copy.registrations.len(), 1, "{name}");
        assert_eq!(
            (copy.registrations[0].webinar.as_str(), copy.registrations[0].status.as_str()),
            (SLUG, "waiting"),
            "{name}: the copy holds the registration"
        );
        assert!(copy.mails.iter().any(|m| m.subject.starts_with("Liste d'attente")), "{name}");
        store.erase_personal_data("quatre@exemple.fr").await.unwrap();
        assert_eq!(store.attendance(SLUG).await.unwrap().waiting, 0, "{name}");
        assert!(!store.holds_personal_data("quatre@exemple.fr").await.unwrap(), "{name}");
    }
}

#[tokio::test]
async fn a_past_webinar_and_bad_fields_are_refused_in_french_with_nothing_saved() {
    for (name, state, store) in apps().await {
        webinar(&state, &store, 10, now_ms() + 86_400_000).await;
        let path = format!("/ressources/{SLUG}/inscription");
        let (_, _, page) = get(&state, &path, None).await;
        let token = token_in(&page, &path);
        for (fields, message) in [
            ("name=&email=a%40exemple.fr", "Indiquez votre nom"),
            ("name=Camille&email=pas-une-adresse", "adresse e-mail valide"),
            ("name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&email=a%40exemple.fr", "sans HTML"),
        ] {
            let body = format!("jeton={token}&{fields}{}", challenge_fields(&page));
            let (status, _, answer) = post(&state, &path, body, None).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {fields}");
            assert!(unescape(&answer).contains(message), "{name}: {fields}");
            assert!(!answer.contains("<script>alert"), "{name}");
        }
        // Without the anti-robot answer.
        let body = format!("jeton={token}&name=Camille&email=a%40exemple.fr&site_web=");
        assert_eq!(post(&state, &path, body, None).await.0, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert_eq!(store.attendance(SLUG).await.unwrap().confirmed, 0, "{name}");
    }
    for (name, state, store) in apps().await {
        webinar(&state, &store, 10, now_ms() - 3_600_000).await;
        let path = format!("/ressources/{SLUG}/inscription");
        let (status, _, page) = get(&state, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(
            unescape(&page).contains("les inscriptions sont closes") && !page.contains("<form method=\"post\""),
            "{name}"
        );
        let token = form_token_for(&state, &path);
        let body = format!("jeton={token}&name=Camille&email=a%40exemple.fr");
        let (status, _, page) = post(&state, &path, body, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(unescape(&page).contains("a déjà commencé ou eu lieu"), "{name}");
        assert_eq!(store.attendance(SLUG).await.unwrap().confirmed, 0, "{name}");
        // An article has no registration.
        assert_eq!(get(&state, "/ressources/rgpd-et-ia-generative/inscription", None).await.0, StatusCode::NOT_FOUND);
    }
}

/// A valid token for a form whose page shows none (a closed webinar).
fn form_token_for(state: &Arc<AppState>, path: &str) -> String {
    osez_web::form_token(&state.ready().unwrap().secrets, path)
}

#[tokio::test]
async fn reminders_the_day_before_and_replay_links_after_go_once() {
    for (name, state, store) in apps().await {
        webinar(&state, &store, 10, now_ms() + 3 * 3_600_000).await;
        register(&state, "un@exemple.fr").await;
        register(&state, "deux@exemple.fr").await;
        store.take_due_mail(100, 60_000).await.unwrap();
        assert_eq!(osez_web::webinar_mails(&state).await.unwrap(), 2, "{name}: starts within a day");
        assert_eq!(osez_web::webinar_mails(&state).await.unwrap(), 0, "{name}: once");
        let mails = store.take_due_mail(100, 60_000).await.unwrap();
        assert!(mails.iter().all(|m| m.kind == "webinar_reminder" && m.subject.starts_with("Rappel : ")), "{name}");
        // No replay without a video.
        let mut row = store.resource_row(SLUG).await.unwrap().unwrap();
        row.content.webinar.as_mut().unwrap().starts_at = now_ms() - 2 * 3_600_000;
        store.save_resource(SLUG, row.head, &row.content, "editrice@exemple.fr", "passé").await.unwrap();
        store.set_resource_status(SLUG, Status::Published, None, "editrice@exemple.fr").await.unwrap();
        state.ready().unwrap().replace_library(Library::load(&store).await.unwrap());
        assert_eq!(osez_web::webinar_mails(&state).await.unwrap(), 0, "{name}: ended, but no replay yet");
        let mut row = store.resource_row(SLUG).await.unwrap().unwrap();
        row.content.attachments.push(osez_core::resource::attachment::Attachment {
            id: "a".repeat(64),
            kind: osez_core::resource::attachment::FileKind::Mp4,
            label: "Rediffusion".into(),
            size: 1000,
        });
        store.save_resource(SLUG, row.head, &row.content, "editrice@exemple.fr", "rediffusion").await.unwrap();
        store.set_resource_status(SLUG, Status::Published, None, "editrice@exemple.fr").await.unwrap();
        state.ready().unwrap().replace_library(Library::load(&store).await.unwrap());
        assert_eq!(osez_web::webinar_mails(&state).await.unwrap(), 2, "{name}: the replay link");
        assert_eq!(osez_web::webinar_mails(&state).await.unwrap(), 0, "{name}: once");
        let mails = store.take_due_mail(100, 60_000).await.unwrap();
        assert!(
            mails.iter().all(|m| m.kind == "webinar_replay" && m.body.contains(&format!("/ressources/{SLUG}"))),
            "{name}"
        );
    }
}
