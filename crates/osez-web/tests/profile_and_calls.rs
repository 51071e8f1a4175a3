//! An adviser's profile saved from a stale form, and the dates of calls for
//! ambassadeurs IA, through the router, on every backend.

mod common;

use axum::http::StatusCode;
use common::*;
use osez_core::account::{Email, NewPassword, Role, hash_password};
use osez_core::application::RawApplication;
use osez_core::{AdviserId, Kind};
use osez_store::ApplicationKind;

const DESCRIPTION: &str = "Nous aidons les artisans à sécuriser leurs postes et leurs sauvegardes.";

fn raw() -> RawApplication {
    RawApplication {
        name: "Atelier Numérique du Rhône".into(),
        siret: "73282932000074".into(),
        activity_start: "2020-03-01".into(),
        website: "https://atelier.example".into(),
        structure_type: "independant".into(),
        commune: "69003".into(),
        area: vec!["69".into()],
        specialties: vec!["cybersecurite".into()],
        in_person: true,
        remote: false,
        description: DESCRIPTION.into(),
    }
}

fn profile_body(token: &str, version: &str, description: &str) -> String {
    format!(
        "jeton={token}&version={version}&name={}&siret=73282932000074&activity_start=2020-03-01&website={}\
         &structure_type=independant&commune=69003&area=69&specialties=cybersecurite&in_person=1&description={}",
        enc("Atelier Numérique du Rhône"),
        enc("https://atelier.example"),
        enc(description),
    )
}

/// Regression: two saves from the same loaded form both went through, the
/// second silently overwriting the first.
#[tokio::test]
async fn two_saves_from_one_loaded_profile_the_second_is_refused() {
    for (name, state, store) in apps().await {
        let email = Email::parse("atelier@exemple.fr").unwrap();
        let hash = hash_password(&NewPassword::parse(PASSWORD).unwrap(), &[4; 16]);
        let form = raw().check(&geo(), "2026-01-01").unwrap();
        let challenge = osez_store::SpentChallenge {
            key: "question:profil".into(),
            expires_at_ms: unix_now() as i64 * 1000 + 60_000,
        };
        let (_, app_id) = store
            .apply_with_new_account(&email, &hash, ApplicationKind::Activateur, None, &form, &challenge)
            .await
            .unwrap();
        let app = store.application(app_id).await.unwrap().unwrap();
        let id = AdviserId::parse(&format!("act-{app_id}")).unwrap();
        let adviser = form.to_adviser(id.clone(), Kind::Activateur, &geo()).unwrap();
        assert!(store.accept_application(&app, &adviser, "equipe@exemple.fr", &[]).await.unwrap());
        let (status, headers, _) = sign_in(&state, email.as_str(), PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        let cookie = cookie_of(&headers);

        // Two tabs load the form at the same version.
        let page = get(&state, "/admin/profil", Some(&cookie)).await.2;
        let (token, version) = (token_in(&page, "/admin/profil"), hidden(&page, "version"));
        let first = "Première version : nous formons aussi aux sauvegardes.";
        let second = "Seconde version, écrite dans l'autre onglet.";
        let (status, _, page) =
            post(&state, "/admin/profil", profile_body(&token, &version, first), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(unescape(&page).contains("Vos changements sont publiés"), "{name}");
        let (status, _, page) =
            post(&state, "/admin/profil", profile_body(&token, &version, second), Some(&cookie)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}");
        let text = unescape(&page);
        assert!(text.contains("Ce profil a été modifié entre-temps") && text.contains("rien n'a été enregistré"));
        assert!(text.contains(second), "{name}: the typed form is kept");
        assert_eq!(store.adviser(&id).await.unwrap().unwrap().description, first, "{name}: nothing saved");

        // Sent again from the page that said so (the current version), it saves.
        let current = hidden(&page, "version");
        assert_ne!(current, version, "{name}");
        let (status, _, _) = post(&state, "/admin/profil", profile_body(&token, &current, second), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(store.adviser(&id).await.unwrap().unwrap().description, second, "{name}");
        // A form without its version is refused as well.
        let body = profile_body(&token, "", first);
        assert_eq!(post(&state, "/admin/profil", body, Some(&cookie)).await.0, StatusCode::CONFLICT, "{name}");
    }
}

/// Regression: a date typed as 20260301 was taken, stored as typed and,
/// compared as text, the call never closed.
#[tokio::test]
async fn call_dates_are_parsed_at_the_edge_and_a_past_call_is_closed() {
    for (name, state, store) in apps().await {
        let editor = signed_in(&state, &store, "redaction@exemple.fr", Role::Editor).await;
        let page = get(&state, "/admin/appels", Some(&editor)).await.2;
        let token = token_in(&page, "/admin/appels");
        let call = |title: &str, opens: &str, closes: &str| {
            format!(
                "jeton={token}&title={}&criteria={}&opens_on={}&closes_on={}",
                enc(title),
                enc("Avoir accompagné cinq entreprises."),
                enc(opens),
                enc(closes)
            )
        };
        for (opens, closes) in [
            ("20250101", "20250301"),
            ("2025-01-01", "01/03/2025"),
            ("2025-1-1", "2025-03-01"),
            ("2025-02-30", "2025-03-01"),
        ] {
            let (status, _, page) = post(&state, "/admin/appels", call("AMI", opens, closes), Some(&editor)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {opens} {closes}");
            assert!(unescape(&page).contains("Dates invalides") && page.contains("AAAA-MM-JJ"), "{name}");
        }
        assert!(store.calls().await.unwrap().is_empty(), "{name}: nothing saved");

        let (status, _, _) =
            post(&state, "/admin/appels", call("AMI passé", "2025-01-01", "2025-03-01"), Some(&editor)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let (status, _, _) =
            post(&state, "/admin/appels", call("AMI ouvert", "2025-01-01", "2999-12-31"), Some(&editor)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let calls = store.calls().await.unwrap();
        let id = |t: &str| calls.iter().find(|c| c.title == t).unwrap().id;
        assert_eq!(calls.iter().find(|c| c.title == "AMI passé").unwrap().closes_on, jiff::civil::date(2025, 3, 1));
        let page = unescape(&get(&state, "/appels", None).await.2);
        assert!(page.contains("du 01/01/2025 au 01/03/2025"), "{name}");
        assert!(!page.contains(&format!("/appels/{}/candidature", id("AMI passé"))), "{name}: closed");
        assert!(page.contains(&format!("/appels/{}/candidature", id("AMI ouvert"))), "{name}: open");
        let closed = format!("/appels/{}/candidature", id("AMI passé"));
        assert_eq!(get(&state, &closed, None).await.0, StatusCode::GONE, "{name}");
    }
}
