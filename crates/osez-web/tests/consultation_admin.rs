//! The team's side of consultations: creating one (administrators only),
//! and moderating its proposals with the author told of the decision.

mod common;

use axum::http::StatusCode;
use common::*;
use osez_core::account::Role;
use osez_core::consultation::proposal::{ProposalStatus, RefusalReason};

const LIST: &str = "/admin/consultations";

fn consultation_form(token: &str, slug: &str, opens: &str, closes: &str) -> String {
    format!(
        "jeton={token}&slug={slug}&title={}&question={}&description=&opens={opens}&closes={closes}&status=published",
        enc("Encadrer l'IA"),
        enc("Comment encadrer l'IA ?")
    )
}

#[tokio::test]
async fn only_administrators_create_a_consultation_and_bad_fields_save_nothing() {
    for (name, state, store) in apps().await {
        let moderator = signed_in(&state, &store, "moderatrice@exemple.fr", Role::Moderator).await;
        let (status, _, page) = get(&state, LIST, Some(&moderator)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(!page.contains("Nouvelle consultation"), "{name}: no creation form for a moderator");
        let token = token_in(&page, "/deconnexion");
        let (status, _, _) =
            post(&state, LIST, consultation_form(&token, "ia", "2026-01-01", "2027-01-01"), Some(&moderator)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");

        let admin = signed_in(&state, &store, "admin@exemple.fr", Role::Admin).await;
        let (_, _, page) = get(&state, LIST, Some(&admin)).await;
        let token = token_in(&page, LIST);
        for (slug, opens, closes, message) in [
            ("IA", "2026-01-01", "2027-01-01", "lettres minuscules"),
            ("ia", "2027-01-01", "2026-01-01", "après l'ouverture"),
            ("ia", "", "2026-01-01", "dates"),
        ] {
            let (status, _, page) =
                post(&state, LIST, consultation_form(&token, slug, opens, closes), Some(&admin)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {slug} {opens} {closes}");
            assert!(unescape(&page).contains(message), "{name}: {message}");
        }
        assert!(store.consultations(true, 10).await.unwrap().is_empty(), "{name}: nothing saved");
        let (status, _, _) =
            post(&state, LIST, consultation_form(&token, "ia", "2026-01-01", "2027-01-01"), Some(&admin)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        let c = store.consultation("ia").await.unwrap().unwrap();
        assert!(c.closes_at > c.opens_at);
        let (status, _, _) =
            post(&state, LIST, consultation_form(&token, "ia", "2026-01-01", "2027-01-01"), Some(&admin)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: the address is taken");
        let (_, _, public) = get(&state, "/consultations", None).await;
        assert!(unescape(&public).contains("Encadrer l'IA"), "{name}");
    }
}

#[tokio::test]
async fn a_moderators_decision_reaches_the_author_with_its_reason() {
    for (name, state, store) in apps().await {
        let now = osez_web::now_ms();
        let id = store
            .create_consultation(&osez_store::NewConsultation {
                slug: "ia",
                title: "Encadrer l'IA",
                question: "Comment encadrer l'IA ?",
                description: "",
                opens_at: now - 1_000,
                closes_at: now + 86_400_000,
                status: osez_store::ConsultationStatus::Published,
                origin: osez_store::Origin::Osez,
            })
            .await
            .unwrap();
        let ad = store
            .submit_proposal(id, "t1", Some("autrice@exemple.fr"), "Il faut acheter la marque Machin", None)
            .await
            .unwrap();
        let good = store
            .submit_proposal(id, "t2", Some("auteur@exemple.fr"), "Il faut former les jeunes", None)
            .await
            .unwrap();

        let moderator = signed_in(&state, &store, "moderatrice@exemple.fr", Role::Moderator).await;
        let queue = format!("{LIST}/ia");
        let (status, _, page) = get(&state, &queue, Some(&moderator)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("Il faut former les jeunes") && page.contains("2 propositions en attente"), "{name}");

        let action = |p: i64| format!("{queue}/propositions/{p}");
        let token = token_in(&page, &action(ad.id));
        let (status, _, page) =
            post(&state, &action(ad.id), format!("jeton={token}&decision=refuser&motif="), Some(&moderator)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: a refusal needs its reason");
        assert!(unescape(&page).contains("motif du refus"));
        let body = format!("jeton={token}&decision=refuser&motif={}", RefusalReason::Advertising.slug());
        let (status, _, _) = post(&state, &action(ad.id), body, Some(&moderator)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let token = token_in(&page, &action(good.id));
        let (status, _, _) =
            post(&state, &action(good.id), format!("jeton={token}&decision=accepter"), Some(&moderator)).await;
        assert_eq!(status, StatusCode::OK);

        assert_eq!(store.proposal(ad.id).await.unwrap().unwrap().status, ProposalStatus::Refused);
        assert_eq!(store.proposal(good.id).await.unwrap().unwrap().status, ProposalStatus::Accepted);
        let mails = store.take_due_mail(10, 60_000).await.unwrap();
        let refusal = mails.iter().find(|m| m.to == "autrice@exemple.fr").expect("the author is told");
        assert!(refusal.body.contains("Publicitaire") && refusal.body.contains("promotion"), "{}", refusal.body);
        assert!(mails.iter().any(|m| m.to == "auteur@exemple.fr" && m.body.contains("soumise au vote")));
        let audit = store.audit_entries(10).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "consultation.moderate" && e.actor == "moderatrice@exemple.fr"));

        // The author sees it too, in their list.
        let (_, _, page) = get(&state, &queue, Some(&moderator)).await;
        assert!(page.contains("Aucune proposition en attente"), "{name}");
        // A proposal of another consultation cannot be decided from here.
        let (status, _, _) =
            post(&state, &action(987_654), format!("jeton={token}&decision=accepter"), Some(&moderator)).await;
        assert_ne!(status, StatusCode::OK);
        // An editor has no access.
        let editor = signed_in(&state, &store, "redactrice@exemple.fr", Role::Editor).await;
        assert_eq!(get(&state, &queue, Some(&editor)).await.0, StatusCode::FORBIDDEN);
    }
}
