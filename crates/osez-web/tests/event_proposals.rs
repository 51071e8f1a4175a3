//! Events proposed by advisers: from the adviser's account to the team's
//! review, then on the agenda, the adviser's profile and beside the
//! directory's results near the place; every bad input refused in French
//! with nothing saved, and no one else's proposal reachable.

mod common;

use axum::http::{StatusCode, header};
use common::*;
use osez_core::account::{Email, Role};
use osez_core::resource::Status;
use osez_store::Store;
use osez_web::AppState;
use std::sync::Arc;

const LIST: &str = "/admin/evenements";
const NEW: &str = "/admin/evenements/nouveau";

/// An in-person workshop in Lyon 3e, `days` from now, as the form posts it.
fn workshop(title: &str, days: i64, commune: &str) -> String {
    let day = chrono::Utc::now() + chrono::Duration::days(days);
    let starts = day.format("%Y-%m-%dT14:00").to_string();
    format!(
        "kind=article&title={}&summary={}&themes=intelligence_artificielle&body={}&w_starts={}&w_duration=120\
         &w_speakers={}&w_capacity=12&w_place=presentiel&w_commune={}&w_address={}&specialties=ia_generative",
        enc(title),
        enc("Deux heures pour essayer l'IA sur ses propres documents, avec un conseiller."),
        enc("## Programme\n\nDes exercices sur vos documents.\n"),
        enc(&starts),
        enc("Claire Martin, activatrice"),
        enc(commune),
        enc("3 rue de la République, salle 2"),
    )
}

/// An adviser account linked to the `n`-th demo profile, signed in.
async fn adviser(state: &Arc<AppState>, store: &Store, n: usize) -> String {
    let email = format!("conseil{n}@exemple.fr");
    let cookie = signed_in(state, store, &email, Role::Adviser).await;
    let user = store.user_by_email(&Email::parse(&email).unwrap()).await.unwrap().unwrap();
    store.link_adviser(user.id, advisers()[n].id.as_str(), "test").await.unwrap();
    cookie
}

#[tokio::test]
async fn an_adviser_proposes_a_workshop_the_team_publishes_it_and_it_shows_where_businesses_look() {
    for (name, state, store) in apps().await {
        let cookie = adviser(&state, &store, 0).await;
        let (status, _, page) = get(&state, LIST, Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("Vous n'avez encore proposé aucun événement"), "{name}");
        let (status, _, page) = get(&state, NEW, Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("Proposer un événement") && page.contains("En présentiel"), "{name}");
        assert!(
            !page.contains("name=\"w_transcript\"") && !page.contains("name=\"slug\""),
            "{name}: the team's fields"
        );
        let token = token_in(&page, NEW);

        // Bad input: every mistake in French on its field, nothing saved.
        let before = store.resources_count().await.unwrap();
        let bad = workshop("", -3, "Atlantide");
        let (status, _, page) = post(&state, NEW, format!("jeton={token}&{bad}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let text = unescape(&page);
        assert!(text.contains("Le titre est obligatoire") && text.contains("Commune introuvable"), "{name}");
        let past = workshop("Atelier passé", -3, "69003");
        let (status, _, page) = post(&state, NEW, format!("jeton={token}&{past}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(unescape(&page).contains("La date de l'événement doit être à venir"), "{name}");
        assert_eq!(store.resources_count().await.unwrap(), before, "{name}: nothing half-saved");

        // A good one goes to the team's review, as a webinar-type event
        // whatever kind was posted, without the team's fields.
        let good = workshop("Atelier IA : vos documents en deux heures", 10, "69003");
        let (status, headers, _) = post(&state, NEW, format!("jeton={token}&{good}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(headers[header::LOCATION], format!("{LIST}?fait=proposee"), "{name}");
        let slug = "atelier-ia-vos-documents-en-deux-heures";
        let row = store.resource_row(slug).await.unwrap().unwrap();
        assert_eq!(row.status, Status::Review, "{name}");
        assert_eq!(row.organiser.as_ref(), Some(&advisers()[0].id), "{name}");
        assert_eq!(row.content.kind.slug(), "webinaire", "{name}");
        assert!(row.content.specialties.is_empty(), "{name}");
        let venue = row.content.webinar.as_ref().unwrap().venue.clone().unwrap();
        assert_eq!(venue.commune, "69383", "{name}");
        // The same title again gets a numbered address.
        let (status, _, _) = post(&state, NEW, format!("jeton={token}&{good}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        assert!(store.resource_row(&format!("{slug}-2")).await.unwrap().is_some(), "{name}");
        let (_, _, page) = get(&state, &format!("{LIST}?fait=proposee"), Some(&cookie)).await;
        assert!(page.contains("En attente de relecture") && page.contains("Lyon 3e Arrondissement (69)"), "{name}");

        // Another adviser cannot see or change it; the team's roles cannot
        // use the adviser's pages.
        let other = adviser(&state, &store, 1).await;
        let edit = format!("{LIST}/{slug}");
        assert_eq!(get(&state, &edit, Some(&other)).await.0, StatusCode::NOT_FOUND, "{name}");
        let editor = cookie_of(&sign_in(&state, "editrice@exemple.fr", PASSWORD).await.1);
        assert_eq!(get(&state, NEW, Some(&editor)).await.0, StatusCode::FORBIDDEN, "{name}");

        // The organiser changes it while it waits.
        let (status, _, page) = get(&state, &edit, Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("69003 Lyon 3e Arrondissement"), "{name}");
        let edit_token = token_in(&page, &edit);
        let changed = workshop("Atelier IA : vos documents en deux heures", 11, "69003");
        let (status, _, _) =
            post(&state, &edit, format!("jeton={edit_token}&from_head=1&{changed}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(store.resource_row(slug).await.unwrap().unwrap().head, 2, "{name}");

        // Not on the public site before the team publishes it.
        assert_eq!(get(&state, &format!("/ressources/{slug}"), None).await.0, StatusCode::NOT_FOUND, "{name}");
        let admin_page = format!("/admin/ressources/{slug}");
        let (_, _, page) = get(&state, &admin_page, Some(&editor)).await;
        assert!(page.contains("Événement proposé par le conseiller"), "{name}");
        let action = format!("{admin_page}/etat");
        let token = token_in(&page, &action);
        // Sent back for changes: the organiser is told, changes it, and
        // it is back in review.
        let (status, _, _) = post(&state, &action, format!("jeton={token}&to=draft"), Some(&editor)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let mails = store.take_due_mail(100, 60_000).await.unwrap();
        let returned: Vec<_> = mails.iter().filter(|m| m.kind == "event_returned").collect();
        assert_eq!(returned.len(), 1, "{name}");
        assert_eq!(returned[0].to, "conseil0@exemple.fr", "{name}");
        assert!(returned[0].body.contains(&format!("/admin/evenements/{slug}")), "{name}");
        let (_, _, page) = get(&state, LIST, Some(&cookie)).await;
        assert!(page.contains("Renvoyée par l"), "{name}");
        let (status, _, _) =
            post(&state, &edit, format!("jeton={edit_token}&from_head=2&{changed}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(store.resource_row(slug).await.unwrap().unwrap().status, Status::Review, "{name}");

        let (status, _, page) = post(&state, &action, format!("jeton={token}&to=published"), Some(&editor)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("État de la ressource : Publiée"), "{name}");
        let mails = store.take_due_mail(100, 60_000).await.unwrap();
        let published: Vec<_> = mails.iter().filter(|m| m.kind == "event_published").collect();
        assert_eq!(published.len(), 1, "{name}");
        assert!(published[0].body.contains(&format!("/ressources/{slug}")), "{name}");

        // Published: its page says where and who; the agenda, the
        // profile and a search near Lyon show it; the calendar has the place.
        let (status, _, page) = get(&state, &format!("/ressources/{slug}"), None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let text = unescape(&page);
        assert!(text.contains("3 rue de la République, salle 2, 69003 Lyon 3e Arrondissement"), "{name}");
        assert!(text.contains("Organisé par") && text.contains(&advisers()[0].name), "{name}");
        assert!(text.contains("Atelier"), "{name}");
        let (_, _, agenda) = get(&state, "/agenda", None).await;
        assert!(unescape(&agenda).contains("Atelier IA : vos documents en deux heures"), "{name}");
        let (_, _, profile) = get(&state, &format!("/conseillers/{}", advisers()[0].id), None).await;
        assert!(profile.contains("Prochains événements organisés") && profile.contains(slug), "{name}");
        let (_, _, profile) = get(&state, &format!("/conseillers/{}", advisers()[1].id), None).await;
        assert!(!profile.contains("Prochains événements organisés"), "{name}");
        let (_, _, near) = get(&state, "/recherche?near=Villeurbanne", None).await;
        assert!(near.contains("Ateliers près de") && near.contains(slug), "{name}: Villeurbanne is next to Lyon");
        let (_, _, far) = get(&state, "/recherche?near=Brest", None).await;
        assert!(!far.contains(slug), "{name}: Brest is far from Lyon");
        let (_, _, ics) = get(&state, &format!("/ressources/{slug}/calendrier.ics"), None).await;
        assert!(ics.contains("LOCATION:3 rue de la République"), "{name}: {ics}");

        // A business registers: the confirmation says where, and so does
        // the calendar file it carries.
        let path = format!("/ressources/{slug}/inscription");
        let (_, _, page) = get(&state, &path, None).await;
        let token = token_in(&page, &path);
        let body = format!(
            "jeton={token}&name={}&email={}&company={}{}",
            enc("Camille Durand"),
            enc("camille@exemple.fr"),
            enc("Boulangerie Durand"),
            challenge_fields(&page)
        );
        assert_eq!(post(&state, &path, body, None).await.0, StatusCode::OK, "{name}");
        let mails = store.take_due_mail(100, 60_000).await.unwrap();
        let confirmed = mails.iter().find(|m| m.kind == "webinar_confirmed").expect("a confirmation");
        assert!(
            confirmed.body.contains("Lieu : 3 rue de la République, salle 2, 69003 Lyon 3e Arrondissement"),
            "{name}: {}",
            confirmed.body
        );
        assert!(confirmed.attachment.as_ref().unwrap().body.contains("LOCATION:3 rue"), "{name}");

        // Once published, only the team changes it.
        let (status, _, page) = get(&state, &edit, Some(&cookie)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}");
        assert!(unescape(&page).contains("L'équipe a validé ou retiré cet événement"), "{name}");
        let (status, _, _) =
            post(&state, &edit, format!("jeton={edit_token}&from_head=3&{changed}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}");
        assert_eq!(store.resource_row(slug).await.unwrap().unwrap().head, 3, "{name}");
    }
}

#[tokio::test]
async fn an_adviser_account_without_a_profile_is_told_why_and_cannot_propose() {
    for (name, state, store) in apps().await {
        let cookie = signed_in(&state, &store, "sans-profil@exemple.fr", Role::Adviser).await;
        let (status, _, page) = get(&state, NEW, Some(&cookie)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}");
        assert!(unescape(&page).contains("n'est lié à aucun profil publié"), "{name}");
    }
}
