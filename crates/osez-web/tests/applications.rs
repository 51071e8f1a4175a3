//! Joining the directory through the router, on every backend: an
//! application, the team's review, corrections, publication, the adviser's
//! own edits, and calls for ambassadeurs IA.

mod common;

use axum::http::{StatusCode, header};
use common::*;
use jiff::civil::date;
use osez_core::account::Role;

const SIRET: &str = "73282932000074";

fn application_body(token: &str, email: &str, siret: &str, started: &str) -> String {
    format!(
        "jeton={token}&email={}&password={p}&password2={p}&name={}&siret={siret}&activity_start={started}\
         &website={}&structure_type=independant&commune=69003&area=69&area=01&specialties=cybersecurite\
         &specialties=site_web_ecommerce&in_person=1&description={}",
        enc(email),
        enc("Atelier <b>Numérique</b> du Rhône"),
        enc("https://atelier.example"),
        enc("Nous aidons les artisans à sécuriser leurs postes et leurs sauvegardes."),
        p = enc(PASSWORD),
    )
}

async fn apply(
    state: &std::sync::Arc<osez_web::AppState>,
    path: &str,
    email: &str,
    siret: &str,
    started: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let page = get(state, path, None).await.2;
    let token = token_in(&page, path);
    post(state, path, application_body(&token, email, siret, started) + &challenge_fields(&page), None).await
}

#[tokio::test]
async fn an_organisation_applies_is_asked_for_changes_and_is_published() {
    for (name, state, store) in apps().await {
        let (status, _, page) = get(&state, "/candidature", None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(unescape(&page).contains("Numéro SIRET") && unescape(&page).contains("Départements couverts"));

        // A bad SIRET key and a structure too young: every mistake, nothing saved.
        let (status, _, page) =
            apply(&state, "/candidature", "atelier@exemple.fr", "73282932000075", "2099-01-01").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(unescape(&page).contains("clé de contrôle") && unescape(&page).contains("plus de 6 mois"), "{name}");
        assert!(unescape(&page).contains("aria-invalid=\"true\""));
        assert!(store.applications().await.unwrap().is_empty(), "{name}: nothing half-saved");
        assert!(
            store
                .user_by_email(&osez_core::account::Email::parse("atelier@exemple.fr").unwrap())
                .await
                .unwrap()
                .is_none()
        );
        // No form token: refused.
        let (status, _, _) =
            post(&state, "/candidature", application_body("faux", "a@b.fr", SIRET, "2020-01-01"), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");

        let (status, headers, _) = apply(&state, "/candidature", "atelier@exemple.fr", SIRET, "2020-01-01").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(headers.get(header::LOCATION).unwrap(), "/candidature/envoyee");
        let (status, _, page) = get(&state, "/candidature/envoyee", None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(unescape(&page).contains("Candidature envoyée") && page.contains("href=\"/connexion\""), "{name}");
        let (status, headers, _) = sign_in(&state, "atelier@exemple.fr", PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}: the applicant signs in with the password chosen");
        let applicant = cookie_of(&headers);
        let page = get(&state, "/admin/candidature", Some(&applicant)).await.2;
        assert!(
            unescape(&page).contains("En attente d'examen") && unescape(&page).contains("Atelier &#60;b&#62;Numérique")
                || unescape(&page).contains("En attente d'examen"),
            "{name}"
        );
        assert!(!page.contains("<b>Numérique"), "{name}: escaped");
        let (status, headers, _) = apply(&state, "/candidature", "atelier@exemple.fr", SIRET, "2020-01-01").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}: an existing account is not told apart");
        assert_eq!(headers.get(header::LOCATION).unwrap(), "/candidature/envoyee");
        assert_eq!(store.applications().await.unwrap().len(), 1, "{name}: the second application is not saved");

        // The team asks for changes; a decision needs a message.
        let editor = signed_in(&state, &store, "redaction@exemple.fr", Role::Editor).await;
        let list = get(&state, "/admin/candidatures", Some(&editor)).await.2;
        let app_id = store.applications().await.unwrap()[0].id;
        assert!(unescape(&list).contains(&format!("/admin/candidatures/{app_id}")), "{name}");
        let path = format!("/admin/candidatures/{app_id}");
        let page = get(&state, &path, Some(&editor)).await.2;
        assert!(unescape(&page).contains(SIRET) && unescape(&page).contains("valide"), "{name}");
        let token = token_in(&page, &path);
        let (status, _, _) = post(&state, &path, format!("jeton={token}&decision=refuser"), Some(&editor)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: a refusal needs a reason");
        let body = format!("jeton={token}&decision=modifications&message={}", enc("Précisez votre offre."));
        let (status, _, page) = post(&state, &path, body, Some(&editor)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(unescape(&page).contains("Modifications demandées"), "{name}");

        // The applicant sees the message and sends a corrected version.
        let page = get(&state, "/admin/candidature", Some(&applicant)).await.2;
        assert!(
            unescape(&page).contains("Précisez votre offre.") && unescape(&page).contains("Renvoyer la candidature"),
            "{name}"
        );
        let action = format!("/admin/candidature/{app_id}");
        let token = token_in(&page, &action);
        let mut body = application_body(&token, "x@y.fr", SIRET, "2020-01-01");
        body = body.replace("site_web_ecommerce", "ia_generative");
        let (status, _, page) = post(&state, &action, body.replace(SIRET, "73282932000075"), Some(&applicant)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(unescape(&page).contains("clé de contrôle"));
        let (status, _, page) = post(&state, &action, body.clone(), Some(&applicant)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(unescape(&page).contains("Candidature renvoyée"), "{name}");
        let (status, _, _) = post(&state, &action, body, Some(&applicant)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}: not waiting for changes any more");

        // Accepted: published at once, and the account is linked to it.
        let page = get(&state, &path, Some(&editor)).await.2;
        let token = token_in(&page, &path);
        let (status, _, page) = post(&state, &path, format!("jeton={token}&decision=accepter"), Some(&editor)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(unescape(&page).contains("le profil est publié"), "{name}");
        let published = format!("act-{app_id}");
        let adviser = store.listed_advisers().await.unwrap().into_iter().find(|a| a.id.as_str() == published);
        let adviser = adviser.expect("published");
        assert_eq!(adviser.department, "69");
        assert!(adviser.specialties.iter().any(|s| s.slug() == "ia_generative"), "{name}: the corrected version");
        let (status, _, _) = post(&state, &path, format!("jeton={token}&decision=accepter"), Some(&editor)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}: decided once");

        // The adviser edits the profile: published now; a new name waits.
        let page = get(&state, "/admin/profil", Some(&applicant)).await.2;
        assert!(unescape(&page).contains("Mon profil") && unescape(&page).contains("sécuriser leurs postes"), "{name}");
        let token = token_in(&page, "/admin/profil");
        let body = application_body(&token, "", SIRET, "2020-01-01")
            .replace(
                &enc("Nous aidons les artisans à sécuriser leurs postes et leurs sauvegardes."),
                &enc("Une présentation revue, plus précise sur nos ateliers."),
            )
            .replace(&enc("Atelier <b>Numérique</b> du Rhône"), &enc("Atelier Numérique Rhône-Alpes"))
            + &format!("&version={}", hidden(&page, "version"));
        let (status, _, page) = post(&state, "/admin/profil", body, Some(&applicant)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(
            unescape(&page).contains("Vos changements sont publiés") && unescape(&page).contains("transmis à l'équipe"),
            "{name}"
        );
        let now = store.adviser(&adviser.id).await.unwrap().unwrap();
        assert!(now.description.starts_with("Une présentation revue"), "{name}");
        assert_eq!(now.name, adviser.name, "{name}: the name waits for review");
        let change = store.applications().await.unwrap().into_iter().find(|a| a.status.is_open()).expect("pending");
        let path = format!("/admin/candidatures/{}", change.id);
        let page = get(&state, &path, Some(&editor)).await.2;
        assert!(unescape(&page).contains("Changement de nom ou de SIRET"), "{name}");
        let token = token_in(&page, &path);
        post(&state, &path, format!("jeton={token}&decision=accepter"), Some(&editor)).await;
        let now = store.adviser(&adviser.id).await.unwrap().unwrap();
        assert_eq!(now.name, "Atelier Numérique Rhône-Alpes", "{name}");
        assert!(now.description.starts_with("Une présentation revue"), "{name}: the rest kept");

        // Roles: an adviser cannot review, an editor has no own profile.
        assert_eq!(get(&state, "/admin/candidatures", Some(&applicant)).await.0, StatusCode::FORBIDDEN);
        assert_eq!(get(&state, "/admin/profil", Some(&editor)).await.0, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn ambassadeurs_ia_answer_a_call_and_are_appointed() {
    for (name, state, store) in apps().await {
        let editor = signed_in(&state, &store, "redaction@exemple.fr", Role::Editor).await;
        let page = get(&state, "/admin/appels", Some(&editor)).await.2;
        let token = token_in(&page, "/admin/appels");
        let call = |opens: &str, closes: &str| {
            format!(
                "jeton={token}&title={}&criteria={}&opens_on={opens}&closes_on={closes}&regions=84&regions=11",
                enc("AMI ambassadeurs IA"),
                enc("Avoir accompagné au moins cinq entreprises dans l'usage de l'IA.")
            )
        };
        let (status, _, page) = post(&state, "/admin/appels", call("2026-12-01", "2026-01-01"), Some(&editor)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(unescape(&page).contains("La clôture doit venir après"));
        let (status, _, _) = post(&state, "/admin/appels", call("2026-13-01", "2027-01-01"), Some(&editor)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let (status, _, page) = post(&state, "/admin/appels", call("2000-01-01", "2999-12-31"), Some(&editor)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(unescape(&page).contains("enregistré"));
        let closed =
            store.create_call("AMI clos", "Critères", date(2025, 6, 1), date(2025, 9, 30), &[], "test").await.unwrap();
        let open = store.calls().await.unwrap().into_iter().find(|c| c.title == "AMI ambassadeurs IA").unwrap().id;

        let page = get(&state, "/appels", None).await.2;
        assert!(unescape(&page).contains("AMI ambassadeurs IA") && unescape(&page).contains("Île-de-France"), "{name}");
        assert!(
            unescape(&page).contains(&format!("/appels/{open}/candidature"))
                && !unescape(&page).contains(&format!("/appels/{closed}/candidature"))
        );
        assert_eq!(get(&state, &format!("/appels/{closed}/candidature"), None).await.0, StatusCode::GONE, "{name}");
        assert_eq!(get(&state, "/appels/999/candidature", None).await.0, StatusCode::NOT_FOUND, "{name}");

        let path = format!("/appels/{open}/candidature");
        // The call is for two regions; Gironde (Nouvelle-Aquitaine) is not one.
        let page = get(&state, &path, None).await.2;
        let body = application_body(&token_in(&page, &path), "loin@exemple.fr", SIRET, "2019-05-01")
            .replace("commune=69003&area=69&area=01", "commune=33000&area=33")
            + &challenge_fields(&page);
        let (status, _, page) = post(&state, &path, body, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(unescape(&page).contains("réservé aux structures"), "{name}");
        let (status, _, _) = apply(&state, &path, "ia@exemple.fr", SIRET, "2019-05-01").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        let app = store.applications().await.unwrap().into_iter().next().unwrap();
        assert_eq!(app.call_id, Some(open));
        let review = format!("/admin/candidatures/{}", app.id);
        let page = get(&state, &review, Some(&editor)).await.2;
        assert!(unescape(&page).contains("Présélectionner") && unescape(&page).contains("Nommer et publier"), "{name}");
        let token = token_in(&page, &review);
        let (status, _, page) =
            post(&state, &review, format!("jeton={token}&decision=preselectionner"), Some(&editor)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(unescape(&page).contains("Présélectionnée"));
        post(&state, &review, format!("jeton={token}&decision=accepter"), Some(&editor)).await;
        let appointed =
            store.listed_advisers().await.unwrap().into_iter().find(|a| a.id.as_str() == format!("ia-{}", app.id));
        assert_eq!(appointed.expect("appointed").kind, osez_core::Kind::AmbassadeurIa, "{name}");
        let log = store.audit_entries(50).await.unwrap();
        for action in ["appel.creation", "candidature.depot", "candidature.preselection", "candidature.acceptation"] {
            assert!(log.iter().any(|e| e.action == action), "{name}: {action}");
        }
    }
}

#[tokio::test]
async fn huge_or_unreadable_application_forms_get_a_french_4xx_and_save_nothing() {
    for (_backend, state, store) in apps().await {
        let editor = signed_in(&state, &store, "redaction@exemple.fr", Role::Editor).await;
        for (path, cookie) in [("/candidature", None), ("/admin/appels", Some(editor.as_str()))] {
            let huge = format!("description={}", "x".repeat(10 * 1024 * 1024));
            let (status, _, page) = post(&state, path, huge, cookie).await;
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
            assert!(page.contains("Formulaire illisible"), "{path}");
            let mut req = axum::http::Request::post(path).header(header::CONTENT_TYPE, "application/json");
            if let Some(c) = cookie {
                req = req.header(header::COOKIE, c);
            }
            let (status, _, _) = send(&state, req.body(axum::body::Body::from("{}")).unwrap()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        }
        assert!(store.applications().await.unwrap().is_empty());
        assert!(store.calls().await.unwrap().is_empty());
    }
}

/// Regression: `/candidature` answered 409 "Un compte existe déjà" to an
/// address with an account, telling anyone who has one.
#[tokio::test]
async fn an_address_with_an_account_gets_the_same_answer_and_its_owner_a_mail() {
    let config = osez_web::WebConfig {
        secure_cookies: true,
        public_url: Some("https://osez.example.fr".into()),
        ..common::test_config()
    };
    for (name, state, store) in apps_with(config).await {
        let fresh = apply(&state, "/candidature", "nouvelle@exemple.fr", SIRET, "2020-01-01").await;
        let applications = store.applications().await.unwrap().len();
        let users = store.users_overview().await.unwrap().len();
        let audit = store.audit_entries(100).await.unwrap().len();
        let taken = apply(&state, "/candidature", "editrice@exemple.fr", SIRET, "2020-01-01").await;

        assert_eq!(fresh.0, taken.0, "{name}: the same status");
        let shape = |h: &axum::http::HeaderMap| {
            let mut v: Vec<(String, String)> = h
                .iter()
                .filter(|(k, _)| *k != header::SET_COOKIE)
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
                .collect();
            v.sort();
            v
        };
        assert_eq!(shape(&fresh.1), shape(&taken.1), "{name}: the same headers");
        assert!(fresh.1.get(header::SET_COOKIE).is_none() && taken.1.get(header::SET_COOKIE).is_none(), "{name}");
        assert_eq!(fresh.2, taken.2, "{name}: the same body");

        assert_eq!(store.applications().await.unwrap().len(), applications, "{name}: no application saved");
        assert_eq!(store.users_overview().await.unwrap().len(), users, "{name}: no account created");
        assert_eq!(store.audit_entries(100).await.unwrap().len(), audit, "{name}: nothing logged");
        let mails = store.take_due_mail(10, 60_000).await.unwrap();
        let told: Vec<_> = mails.iter().filter(|m| m.to == "editrice@exemple.fr").collect();
        assert_eq!(told.len(), 1, "{name}: the owner is told: {mails:?}");
        assert_eq!(told[0].kind, "account_exists", "{name}");
        assert!(
            told[0].body.contains("n'a pas été enregistrée")
                && told[0].body.contains("https://osez.example.fr/connexion")
        );
        assert!(
            mails.iter().all(|m| m.to != "nouvelle@exemple.fr"),
            "{name}: nothing that a new applicant would not get"
        );

        // Again within the hour: the same answer, no second mail.
        let again = apply(&state, "/candidature", "editrice@exemple.fr", SIRET, "2020-01-01").await;
        assert_eq!((again.0, shape(&again.1)), (fresh.0, shape(&fresh.1)), "{name}");
        assert!(store.take_due_mail(10, 60_000).await.unwrap().is_empty(), "{name}: the owner is not flooded");
    }
}

/// An application without an account creates one: it takes the same guard
/// as the other public forms. Without the challenge, or with one already
/// spent, nothing is created; the hourly budget holds.
#[tokio::test]
async fn an_application_without_an_account_answers_the_challenge_once() {
    for (name, state, store) in apps_with(osez_web::WebConfig { contacts_per_hour: 3, ..test_config() }).await {
        let page = get(&state, "/candidature", None).await.2;
        assert!(page.contains("Combien font ") && page.contains("<altcha-widget"), "{name}: no challenge shown");
        let token = token_in(&page, "/candidature");
        let (status, _, answer) =
            post(&state, "/candidature", application_body(&token, "robot@exemple.fr", SIRET, "2020-01-01"), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(unescape(&answer).contains("répondez à la question de vérification"), "{name}: {answer}");
        assert!(store.applications().await.unwrap().is_empty(), "{name}: nothing saved");
        // One answered question, two addresses: the second creates nothing.
        let answered = challenge_fields(&page);
        let first = application_body(&token, "un@exemple.fr", SIRET, "2020-01-01") + &answered;
        assert_eq!(post(&state, "/candidature", first, None).await.0, StatusCode::SEE_OTHER, "{name}");
        let replay = application_body(&token, "deux@exemple.fr", SIRET, "2020-01-01") + &answered;
        let (status, _, answer) = post(&state, "/candidature", replay, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {answer}");
        assert_eq!(store.applications().await.unwrap().len(), 1, "{name}: one challenge, one account");
        let deux = osez_core::account::Email::parse("deux@exemple.fr").unwrap();
        assert!(store.user_by_email(&deux).await.unwrap().is_none(), "{name}");
        // The hourly budget holds (three forms that passed the checks).
        for _ in 0..2 {
            apply(&state, "/candidature", "un@exemple.fr", SIRET, "2020-01-01").await;
        }
        let (status, headers, answer) = apply(&state, "/candidature", "un@exemple.fr", SIRET, "2020-01-01").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{name}");
        assert!(headers.get(header::RETRY_AFTER).is_some(), "{name}");
        assert!(unescape(&answer).contains("Trop de candidatures envoyées"), "{name}");
    }
}
