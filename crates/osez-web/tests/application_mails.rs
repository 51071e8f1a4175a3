//! What applicants are told by e-mail when the team decides, and advisers
//! who already have an account answering a call, through the router, on
//! every backend.

mod common;

use std::sync::Arc;

use axum::http::{StatusCode, header};
use common::*;
use jiff::civil::date;
use osez_core::account::{Email, NewPassword, Role, hash_password};
use osez_store::{OutboxMail, Store};
use osez_web::AppState;

const SIRET: &str = "73282932000074";
const SITE: &str = "https://osez.example.fr";

fn config() -> osez_web::WebConfig {
    osez_web::WebConfig { public_url: Some(format!("{SITE}/")), ..test_config() }
}

fn structure_fields(name: &str) -> String {
    format!(
        "name={}&siret={SIRET}&activity_start=2020-01-01&website={}&structure_type=independant&commune=69003\
         &area=69&specialties=cybersecurite&in_person=1&description={}",
        enc(name),
        enc("https://atelier.example"),
        enc("Nous aidons les artisans à sécuriser leurs postes et leurs sauvegardes."),
    )
}

fn with_account(token: &str, email: &str, name: &str) -> String {
    format!(
        "jeton={token}&email={}&password={p}&password2={p}&{}",
        enc(email),
        structure_fields(name),
        p = enc(PASSWORD)
    )
}

async fn apply_anonymously(state: &Arc<AppState>, path: &str, email: &str, name: &str) -> StatusCode {
    let page = get(state, path, None).await.2;
    post(state, path, with_account(&token_in(&page, path), email, name) + &challenge_fields(&page), None).await.0
}

/// Every mail written so far, taken out of the outbox.
async fn drain(store: &Store) -> Vec<OutboxMail> {
    store.take_due_mail(100, 60_000).await.unwrap()
}

/// The review form's token, read while the application is still open.
async fn review_token(state: &Arc<AppState>, editor: &str, id: i64) -> String {
    let path = format!("/admin/candidatures/{id}");
    token_in(&get(state, &path, Some(editor)).await.2, &path)
}

async fn decide_with(
    state: &Arc<AppState>,
    editor: &str,
    id: i64,
    token: &str,
    decision: &str,
    message: &str,
) -> (StatusCode, String) {
    let path = format!("/admin/candidatures/{id}");
    let body = format!("jeton={token}&decision={decision}&message={}", enc(message));
    let (status, _, page) = post(state, &path, body, Some(editor)).await;
    (status, unescape(&page))
}

async fn decide(state: &Arc<AppState>, editor: &str, id: i64, decision: &str, message: &str) -> (StatusCode, String) {
    let token = review_token(state, editor, id).await;
    decide_with(state, editor, id, &token, decision, message).await
}

fn app_id(apps: &[osez_store::Application], email: &str) -> i64 {
    apps.iter().find(|a| a.email == email && a.status.is_open()).expect("an open application").id
}

#[tokio::test]
async fn each_decision_mails_every_account_of_the_application_once() {
    for (name, state, store) in apps_with(config()).await {
        let editor = signed_in(&state, &store, "redaction@exemple.fr", Role::Editor).await;
        assert_eq!(
            apply_anonymously(&state, "/candidature", "atelier@exemple.fr", "Atelier du Rhône").await,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            apply_anonymously(&state, "/candidature", "refus@exemple.fr", "Conseil Express").await,
            StatusCode::SEE_OTHER
        );
        assert!(drain(&store).await.is_empty(), "{name}: applying writes no mail");
        let apps = store.applications().await.unwrap();
        let (atelier, refused) = (app_id(&apps, "atelier@exemple.fr"), app_id(&apps, "refus@exemple.fr"));

        // Changes asked: the team's note and where to correct.
        let (status, _) = decide(&state, &editor, atelier, "modifications", "Précisez votre offre en IA.").await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let mails = drain(&store).await;
        assert_eq!(mails.len(), 1, "{name}: {mails:?}");
        let m = &mails[0];
        assert_eq!((m.to.as_str(), m.kind.as_str()), ("atelier@exemple.fr", "application_changes"), "{name}");
        assert_eq!(m.subject, "Osez : votre candidature est à compléter", "{name}");
        assert!(m.body.contains("« Atelier du Rhône »") && m.body.contains("> Précisez votre offre en IA."), "{m:?}");
        assert!(m.body.contains(&format!("{SITE}/admin/candidature\n")), "{name}: {}", m.body);
        assert!(!m.body.contains("redaction@exemple.fr"), "{name}: nothing about the reviewer");

        // Refused, with the reason.
        // A second reviewer has the same page open.
        let late = review_token(&state, &editor, refused).await;
        let (status, page) = decide(&state, &editor, refused, "refuser", "Votre activité a moins de six mois.").await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("Candidature refusée. Le candidat en est averti par e-mail."), "{name}");
        let mails = drain(&store).await;
        assert_eq!(mails.len(), 1, "{name}: {mails:?}");
        let m = &mails[0];
        assert_eq!((m.to.as_str(), m.kind.as_str()), ("refus@exemple.fr", "application_refused"), "{name}");
        assert_eq!(m.subject, "Osez : votre candidature n'a pas été retenue", "{name}");
        assert!(m.body.contains("« Conseil Express »") && m.body.contains("> Votre activité a moins de six mois."));
        // Decided already: a second decision loses and writes nothing.
        let (status, page) = decide_with(&state, &editor, refused, &late, "modifications", "Précisez.").await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}");
        assert!(page.contains("déjà été traitée"), "{name}");
        assert!(drain(&store).await.is_empty(), "{name}: the losing decision writes no mail");

        // Corrected, then accepted: published, with the links.
        let applicant = cookie_of(&sign_in(&state, "atelier@exemple.fr", PASSWORD).await.1);
        let action = format!("/admin/candidature/{atelier}");
        let page = get(&state, "/admin/candidature", Some(&applicant)).await.2;
        let body = format!("jeton={}&{}", token_in(&page, &action), structure_fields("Atelier du Rhône"));
        assert_eq!(post(&state, &action, body, Some(&applicant)).await.0, StatusCode::OK, "{name}");
        let late_accept = review_token(&state, &editor, atelier).await;
        let (status, _) = decide(&state, &editor, atelier, "accepter", "").await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let mails = drain(&store).await;
        assert_eq!(mails.len(), 1, "{name}: {mails:?}");
        let m = &mails[0];
        assert_eq!((m.to.as_str(), m.kind.as_str()), ("atelier@exemple.fr", "application_accepted"), "{name}");
        assert_eq!(m.subject, "Osez : votre candidature est acceptée", "{name}");
        assert!(m.body.contains(&format!("{SITE}/conseillers/act-{atelier}\n")), "{name}: {}", m.body);
        assert!(m.body.contains(&format!("{SITE}/admin\n")), "{name}: {}", m.body);
        let (status, _) = decide_with(&state, &editor, atelier, &late_accept, "accepter", "").await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}");
        assert!(drain(&store).await.is_empty(), "{name}: accepted once, told once");

        // A second account of the same profile is told as well, once.
        let colleague = store
            .create_user(
                &Email::parse("collegue@exemple.fr").unwrap(),
                &hash_password(&NewPassword::parse(PASSWORD).unwrap(), &[6; 16]),
                Role::Adviser,
                "test",
            )
            .await
            .unwrap();
        store.link_adviser(colleague.id, &format!("act-{atelier}"), "test").await.unwrap();
        let page = get(&state, "/admin/profil", Some(&applicant)).await.2;
        let body = format!(
            "jeton={}&version={}&{}",
            token_in(&page, "/admin/profil"),
            hidden(&page, "version"),
            structure_fields("Atelier Rhône-Alpes")
        );
        assert_eq!(post(&state, "/admin/profil", body, Some(&applicant)).await.0, StatusCode::OK, "{name}");
        let change = store.applications().await.unwrap().into_iter().find(|a| a.status.is_open()).unwrap().id;
        let (status, _) = decide(&state, &editor, change, "accepter", "").await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let mut mails = drain(&store).await;
        mails.sort_by(|a, b| a.to.cmp(&b.to));
        let to: Vec<_> = mails.iter().map(|m| (m.to.as_str(), m.kind.as_str())).collect();
        assert_eq!(
            to,
            [("atelier@exemple.fr", "application_accepted"), ("collegue@exemple.fr", "application_accepted")],
            "{name}"
        );
        assert!(mails.iter().all(|m| m.body.contains("« Atelier Rhône-Alpes »")), "{name}: {mails:?}");
        assert_ne!(mails[0].message_id, mails[1].message_id, "{name}");
    }
}

/// The store writes the mails only with a decision that goes through: one
/// read before another reviewer decided writes nothing.
#[tokio::test]
async fn a_decision_that_loses_the_race_writes_no_mail() {
    for (name, state, store) in apps_with(config()).await {
        assert_eq!(
            apply_anonymously(&state, "/candidature", "atelier@exemple.fr", "Atelier").await,
            StatusCode::SEE_OTHER
        );
        let stale = store.applications().await.unwrap().remove(0);
        let mail = |n: &str| osez_store::NewMail {
            message_id: format!("<{n}@osez.test>"),
            kind: "application_refused",
            to: "atelier@exemple.fr".into(),
            reply_to: None,
            subject: "Osez : votre candidature n'a pas été retenue".into(),
            body: n.into(),
        };
        let review = osez_store::Review::Refuse("Non.");
        assert!(store.review_application(&stale, review, "a@x.fr", &[mail("first")]).await.unwrap(), "{name}");
        let ask = osez_store::Review::AskChanges("Précisez.");
        assert!(!store.review_application(&stale, ask, "b@x.fr", &[mail("second")]).await.unwrap(), "{name}");
        let adviser =
            stale.form.to_adviser(osez_core::AdviserId::parse("act-9").unwrap(), osez_core::Kind::Activateur, &geo());
        assert!(!store.accept_application(&stale, &adviser.unwrap(), "c@x.fr", &[mail("third")]).await.unwrap());
        let bodies: Vec<_> = drain(&store).await.into_iter().map(|m| m.body).collect();
        assert_eq!(bodies, ["first"], "{name}");
    }
}

async fn open_call(store: &Store) -> String {
    let id = store.create_call("AMI ambassadeurs IA", "Usage de l'IA", date(2000, 1, 1), date(2999, 12, 31), &[], "t");
    format!("/appels/{}/candidature", id.await.unwrap())
}

#[tokio::test]
async fn a_signed_in_adviser_answers_a_call_from_their_account() {
    for (name, state, store) in apps_with(config()).await {
        let path = open_call(&store).await;
        let adviser = signed_in(&state, &store, "conseil@exemple.fr", Role::Adviser).await;
        let users = store.users_overview().await.unwrap().len();

        let (status, _, page) = get(&state, &path, Some(&adviser)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let text = unescape(&page);
        assert!(!page.contains("name=\"password\"") && !page.contains("name=\"email\""), "{name}: no account asked");
        assert!(text.contains("conseil@exemple.fr"), "{name}: says which account applies");
        let token = token_in(&page, &path);
        // The session's form token: a token of the anonymous form is refused.
        let anonymous = token_in(&get(&state, &path, None).await.2, &path);
        let body = |t: &str| format!("jeton={t}&{}", structure_fields("Conseil IA Lyon"));
        assert_eq!(post(&state, &path, body(&anonymous), Some(&adviser)).await.0, StatusCode::FORBIDDEN, "{name}");
        assert!(store.applications().await.unwrap().is_empty(), "{name}");

        let (status, headers, _) = post(&state, &path, body(&token), Some(&adviser)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(headers.get(header::LOCATION).unwrap(), "/admin/candidature", "{name}");
        let user = store.user_by_email(&Email::parse("conseil@exemple.fr").unwrap()).await.unwrap().unwrap();
        let mine = store.applications_of(user.id).await.unwrap();
        assert_eq!(mine.len(), 1, "{name}");
        assert_eq!(mine[0].kind, osez_store::ApplicationKind::AmbassadeurIa, "{name}");
        assert!(mine[0].call_id.is_some() && mine[0].form.name == "Conseil IA Lyon", "{name}");
        assert_eq!(store.users_overview().await.unwrap().len(), users, "{name}: no new account");
        let list = unescape(&get(&state, "/admin/candidature", Some(&adviser)).await.2);
        assert!(list.contains("Conseil IA Lyon") && list.contains("AMI ambassadeurs IA"), "{name}");

        // A second answer to the same call while the first is pending: refused.
        let (status, _, page) = post(&state, &path, body(&token), Some(&adviser)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}");
        assert!(unescape(&page).contains("déjà une candidature en cours"), "{name}");
        assert_eq!(store.applications_of(user.id).await.unwrap().len(), 1, "{name}");

        // Invalid fields come back with their errors, and no account fields.
        let bad = format!("jeton={token}&{}", structure_fields("X").replace(SIRET, "73282932000075"));
        let (status, _, page) = post(&state, &path, bad, Some(&adviser)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(unescape(&page).contains("clé de contrôle") && !page.contains("name=\"password\""), "{name}");
    }
}

#[tokio::test]
async fn the_anonymous_call_form_still_creates_an_account_and_team_roles_are_told_why_not() {
    for (name, state, store) in apps_with(config()).await {
        let path = open_call(&store).await;
        let page = get(&state, &path, None).await.2;
        assert!(page.contains("name=\"password\"") && page.contains("name=\"email\""), "{name}");
        assert_eq!(
            apply_anonymously(&state, &path, "ia@exemple.fr", "Nouvelle structure").await,
            StatusCode::SEE_OTHER
        );
        let user = store.user_by_email(&Email::parse("ia@exemple.fr").unwrap()).await.unwrap().expect("created");
        assert_eq!(user.role, Role::Adviser, "{name}");
        assert_eq!(store.applications_of(user.id).await.unwrap().len(), 1, "{name}");

        let editor = signed_in(&state, &store, "redaction@exemple.fr", Role::Editor).await;
        let (status, _, page) = get(&state, &path, Some(&editor)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
        let text = unescape(&page);
        assert!(text.contains("compte de l'équipe") && text.contains("Éditeur"), "{name}: {text}");
        let body = with_account("x", "autre@exemple.fr", "Autre structure");
        assert_eq!(post(&state, &path, body, Some(&editor)).await.0, StatusCode::FORBIDDEN, "{name}");
        assert_eq!(store.applications().await.unwrap().len(), 1, "{name}: nothing saved");
    }
}
