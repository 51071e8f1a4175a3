//! The consultations' pages: voting one proposal at a time with forms,
//! proposing an idea through the public form, and the results page of the
//! seed's demo consultation.

mod common;

use std::sync::Arc;

use axum::http::{StatusCode, header};
use common::*;
use osez_core::consultation::demo;
use osez_core::consultation::proposal::ProposalStatus;
use osez_store::{ConsultationStatus, Moderation, NewConsultation, Origin, Store, demo_bulk};
use osez_web::AppState;

async fn consultation(store: &Store, slug: &str) -> i64 {
    store.create_consultation(&new_consultation(slug, true)).await.unwrap()
}

/// Closes the consultation: its closing date is now past.
async fn close(store: &Store, id: i64, slug: &str) {
    assert!(store.update_consultation(id, &new_consultation(slug, false)).await.unwrap());
}

async fn accepted(store: &Store, id: i64, text: &str) -> i64 {
    let p = store.submit_proposal(id, &format!("auteur {text}"), None, text, None).await.unwrap();
    store.moderate_proposal(p.id, Moderation::Accept, "m", |_, _| None).await.unwrap();
    p.id
}

/// The vote form's fields for the proposal shown, and the vote.
fn vote_body(page: &str, vote: &str) -> String {
    format!(
        "proposition={}&cle={}&suite={}&position={}&vote={vote}",
        hidden(page, "proposition"),
        hidden(page, "cle"),
        enc(&hidden(page, "suite")),
        hidden(page, "position")
    )
}

#[tokio::test]
async fn voting_with_the_pages_forms_counts_once_and_a_qualification_replaces_the_vote() {
    for (name, state, store) in apps().await {
        let id = consultation(&store, "ia").await;
        let a = accepted(&store, id, "Il faut éduquer les jeunes aux usages de l'IA").await;
        let b = accepted(&store, id, "Il faut rendre obligatoire la signalisation de l'IA").await;

        let (status, headers, page) = get(&state, "/consultations/ia", None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("Proposition 1 sur 2"), "{name}: {page}");
        let cookie = cookie_of(&headers);
        let first: i64 = hidden(&page, "proposition").parse().unwrap();

        let (status, headers, _) =
            post(&state, "/consultations/ia/voter", vote_body(&page, "agree"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        let next = headers.get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
        assert!(next.contains(&format!("vote={first}&choix=agree")), "{next}");
        let (_, _, page) = get(&state, &next, Some(&cookie)).await;
        let page = unescape(&page);
        assert!(page.contains("Vote enregistré") && page.contains("Coup de cœur"), "{name}");
        assert!(page.contains("Proposition 2 sur 2"), "{name}");

        // The qualification: the same vote, with "réaliste".
        let qualify = page.split("class=\"qualify\"").nth(1).unwrap();
        let body = format!(
            "proposition={first}&cle={}&vote=agree&suite={}&position={}&qualification=doable",
            hidden(qualify, "cle"),
            enc(&hidden(qualify, "suite")),
            hidden(qualify, "position")
        );
        let (status, _, _) = post(&state, "/consultations/ia/voter", body, Some(&cookie)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let t = store.proposal(first).await.unwrap().unwrap().tally;
        assert_eq!((t.agree, t.qualification(osez_core::consultation::Qualification::Doable)), (1, 1), "{name}");

        // A qualification of another vote is refused in French.
        let body = format!(
            "proposition={first}&cle={}&vote=agree&suite=&position=0&qualification=no_way",
            hidden(qualify, "cle")
        );
        let (status, _, page) = post(&state, "/consultations/ia/voter", body, Some(&cookie)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(unescape(&page).contains("ne correspond pas à votre vote"), "{name}");
        let _ = (a, b);
    }
}

#[tokio::test]
async fn a_closed_consultation_shows_its_results_and_takes_no_vote() {
    for (name, state, store) in apps().await {
        let id = consultation(&store, "close").await;
        let p = accepted(&store, id, "Il faut former").await;
        close(&store, id, "close").await;
        let (status, headers, page) = get(&state, "/consultations/close", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(unescape(&page).contains("n'est pas ouverte au vote"), "{name}");
        let cookie = cookie_of(&headers);
        let body = format!("proposition={p}&cle=00&suite=&position=0&vote=agree");
        let (status, _, page) = post(&state, "/consultations/close/voter", body, Some(&cookie)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}");
        assert!(unescape(&page).contains("n'est pas ouverte au vote"));
        assert_eq!(store.recount(id).await.unwrap()[&p].total(), 0);
        let (status, _, _) = get(&state, "/consultations/close/resultats", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(get(&state, "/consultations/inconnue", None).await.0, StatusCode::NOT_FOUND);
    }
}

/// Opens a public form of this browser's participant, then sends it with
/// `fields`, its token and its challenge answered.
async fn send_form(state: &Arc<AppState>, path: &str, fields: &str, cookie: &str) -> (StatusCode, String) {
    let (_, _, form) = get(state, path, Some(cookie)).await;
    let body = format!("jeton={}&{fields}{}", token_in(&form, path), challenge_fields(&form));
    let (status, _, page) = post(state, path, body, Some(cookie)).await;
    (status, unescape(&page))
}

async fn propose(state: &Arc<AppState>, slug: &str, text: &str, extra: &str, cookie: &str) -> (StatusCode, String) {
    send_form(state, &format!("/consultations/{slug}/proposer"), &format!("texte={}{extra}", enc(text)), cookie).await
}

#[tokio::test]
async fn a_proposal_is_checked_pointed_to_its_near_duplicates_then_awaits_moderation() {
    for (name, state, store) in apps().await {
        let id = consultation(&store, "ia").await;
        accepted(&store, id, "Il faut éduquer les jeunes aux usages et aux enjeux de l'IA").await;
        let (_, headers, _) = get(&state, "/consultations/ia", None).await;
        let cookie = cookie_of(&headers);

        let long = format!("Il faut {}", "a".repeat(133));
        for (text, message) in [
            (long.as_str(), "141 caractères"),
            ("", "Écrivez votre proposition"),
            ("Il faut <script>alert(1)</script> former", "sans balise HTML"),
            ("Former les jeunes", "commence par « Il faut »"),
        ] {
            let (status, page) = propose(&state, "ia", text, "", &cookie).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {text}");
            assert!(page.contains(message), "{name}: {text}: {message}");
            assert!(!page.contains("<script>alert"), "{name}: never echoed as HTML");
        }
        // While typing (the form's script asks this address).
        let hints =
            format!("/consultations/ia/proposer/proches?texte={}", enc("Il faut éduquer les jeunes aux enjeux"));
        let (status, _, fragment) = get(&state, &hints, None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(unescape(&fragment).contains("Il faut éduquer les jeunes aux usages et aux enjeux de l'IA"), "{name}");
        let (_, _, fragment) = get(&state, "/consultations/ia/proposer/proches?texte=Il+faut", None).await;
        assert!(fragment.trim().is_empty(), "{name}: nothing for a few letters");
        let (_, _, fragment) = get(
            &state,
            &format!("/consultations/ia/proposer/proches?texte={}", enc("Il faut planter des arbres en ville")),
            None,
        )
        .await;
        assert!(fragment.trim().is_empty(), "{name}: nothing close");

        let (status, page) = propose(&state, "ia", "Il faut éduquer les jeunes aux enjeux de l'IA", "", &cookie).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Des propositions proches existent déjà"), "{name}");
        assert!(page.contains("Il faut éduquer les jeunes aux usages et aux enjeux de l'IA"));
        assert_eq!(
            store.proposals(id, Some(ProposalStatus::Pending)).await.unwrap().len(),
            0,
            "{name}: nothing saved yet"
        );

        let (status, page) = propose(
            &state,
            "ia",
            "Il faut éduquer les jeunes aux enjeux de l'IA",
            "&confirme=1&email=moi%40exemple.fr",
            &cookie,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{name}: {page}");
        assert!(page.contains("votre proposition est enregistrée"), "{name}");
        let pending = store.proposals(id, Some(ProposalStatus::Pending)).await.unwrap();
        assert_eq!(pending.len(), 1, "{name}");
        let (_, _, mine) = get(&state, "/consultations/ia/mes-propositions", Some(&cookie)).await;
        assert!(unescape(&mine).contains("En attente de modération"), "{name}");
        // Another browser sees none of it.
        let (_, _, theirs) = get(&state, "/consultations/ia/mes-propositions", None).await;
        assert!(!unescape(&theirs).contains("En attente de modération"));

        // Closed while the form was open.
        let closed = consultation(&store, "close").await;
        let path = "/consultations/close/proposer";
        let (_, _, form) = get(&state, path, Some(&cookie)).await;
        close(&store, closed, "close").await;
        let body =
            format!("jeton={}&texte={}{}", token_in(&form, path), enc("Il faut fermer"), challenge_fields(&form));
        let (status, _, page) = post(&state, path, body, Some(&cookie)).await;
        let page = unescape(&page);
        assert_eq!(status, StatusCode::CONFLICT, "{name}");
        assert!(page.contains("n'est pas ouverte"));
        assert!(store.proposals(closed, None).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_seeds_consultation_shows_the_seeds_figures_and_labels() {
    let (_, state, store) = apps().await.remove(0);
    let votes = demo::seed_votes(0, 1_000);
    let (proposals, votes) = demo_bulk(&demo::SEED_PROPOSALS, &votes, 0);
    let new = NewConsultation {
        slug: "encadrer-l-ia",
        title: "Les enjeux éthiques et sociaux de l'IA (démonstration)",
        question: "Comment encadrer l'IA ?",
        description: "Démonstration.",
        opens_at: 0,
        closes_at: 1_000,
        status: ConsultationStatus::Published,
        origin: Origin::Demo,
    };
    store.import_consultation(&new, &proposals, &votes).await.unwrap();
    let (status, _, page) = get(&state, "/consultations/encadrer-l-ia/resultats", None).await;
    assert_eq!(status, StatusCode::OK);
    let page = unescape(&page);
    for figure in [
        "33\u{a0}922",
        "102\u{a0}236",
        "93 %",
        "89 %",
        "88 %",
        "85 %",
        "87 %",
        "81 %",
        "79 %",
        "36 %",
        "44 %",
        "37 %",
        "42 %",
        "45 %",
        "38 %",
    ] {
        assert!(page.contains(figure), "{figure} missing");
    }
    assert!(page.contains("Les idées plébiscitées (consensus)") && page.contains("Les propositions controversées"));
    assert!(page.contains("Consultation de démonstration"), "labelled as demo");
    assert!(page.contains("Groupe 1") && page.contains("Groupe 2"), "opinion groups");
    let consensus = page.split("id=\"consensus\"").nth(1).unwrap().split("id=\"controverse\"").next().unwrap();
    assert!(consensus.find("éduquer les jeunes").unwrap() < consensus.find("environnemental").unwrap(), "ranked");
    let controversy = page.split("id=\"controverse\"").nth(1).unwrap().split("id=\"groupes\"").next().unwrap();
    assert!(controversy.contains("remplacer par l'IA toutes les tâches"));
    assert!(!controversy.contains("éduquer les jeunes"));
}

/// Asks, with this browser's participant, for a confirmation link to `email`.
async fn ask_confirmation(state: &Arc<AppState>, slug: &str, email: &str, cookie: &str) -> (StatusCode, String) {
    send_form(state, &format!("/consultations/{slug}/confirmer"), &format!("email={}", enc(email)), cookie).await
}

/// The path of the confirmation link in the last mail to `to`.
async fn confirmation_link(store: &Store, to: &str) -> String {
    let mails = store.take_due_mail(100, 60_000).await.unwrap();
    let mail = mails.iter().rev().find(|m| m.to == to && m.kind == "participant_confirmation").expect("a mail");
    let url = mail.body.split_whitespace().find(|w| w.contains("/confirmer/lien?")).expect("a link");
    url[url.find("/consultations/").unwrap()..].to_owned()
}

/// Opens a link (in a browser without the participant's cookie, as a phone
/// would) and presses its button.
async fn follow(state: &Arc<AppState>, link: &str) -> (StatusCode, String) {
    let (status, _, page) = get(state, link, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Confirmer ma participation</button>"));
    let action = link.split('?').next().unwrap();
    let body = format!("p={}&e={}&s={}", hidden(&page, "p"), hidden(&page, "e"), hidden(&page, "s"));
    let (status, _, page) = post(state, action, body, None).await;
    (status, unescape(&page))
}

#[tokio::test]
async fn a_participant_confirms_by_mail_once_per_address_and_the_results_count_them() {
    for (name, state, store) in apps().await {
        let id = consultation(&store, "ia").await;
        accepted(&store, id, "Il faut éduquer les jeunes aux usages de l'IA").await;
        let (_, headers, page) = get(&state, "/consultations/ia", None).await;
        assert!(page.contains("/consultations/ia/confirmer"), "{name}: the vote page offers it");
        let cookie = cookie_of(&headers);

        for bad in ["", "pas-une-adresse", "ana@exemple.fr\r\nBcc: x@exemple.fr"] {
            let (status, page) = ask_confirmation(&state, "ia", bad, &cookie).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {bad:?}");
            assert!(page.contains("Indiquez une adresse e-mail valide"), "{name}");
        }
        assert!(store.take_due_mail(100, 60_000).await.unwrap().is_empty(), "{name}: nothing sent");

        let (status, page) = ask_confirmation(&state, "ia", "Ana@Exemple.fr", &cookie).await;
        assert_eq!(status, StatusCode::OK, "{name}: {page}");
        assert!(page.contains("Un lien de confirmation vient de partir vers ana@exemple.fr"), "{name}");
        let link = confirmation_link(&store, "ana@exemple.fr").await;
        // A link changed by hand, or cut short, opens nothing.
        let forged = format!("{}0", &link[..link.len() - 1]);
        let forged = if forged == link { format!("{}1", &link[..link.len() - 1]) } else { forged };
        assert_eq!(get(&state, &forged, None).await.0, StatusCode::GONE, "{name}");
        assert_eq!(get(&state, link.split('&').next().unwrap(), None).await.0, StatusCode::GONE, "{name}");
        let (status, page) = follow(&state, &link).await;
        assert_eq!(status, StatusCode::OK, "{name}: {page}");
        assert!(page.contains("est confirmée par e-mail"), "{name}");
        let (_, _, page) = get(&state, "/consultations/ia/confirmer", Some(&cookie)).await;
        assert!(unescape(&page).contains("est confirmée par e-mail"), "{name}: this browser is confirmed");

        // Voting: the results count the confirmed voter, and the open data
        // says so.
        let (_, _, page) = get(&state, "/consultations/ia", Some(&cookie)).await;
        post(&state, "/consultations/ia/voter", vote_body(&page, "agree"), Some(&cookie)).await;
        let (_, _, results) = get(&state, "/consultations/ia/resultats", None).await;
        assert!(unescape(&results).contains("dont <strong>1</strong> a confirmé sa participation"), "{name}");
        let (_, _, json) = get(&state, "/api/v1/consultations/ia/results", None).await;
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(json["confirmed_participants"], 1, "{name}");
        let (_, _, summary) = get(&state, "/consultations/ia/donnees/summary.csv", None).await;
        assert!(summary.contains("confirmed-voters,1"), "{name}: {summary}");

        // Another browser, the same address: the mail goes, the link is
        // refused.
        let (_, headers, _) = get(&state, "/consultations/ia", None).await;
        let other = cookie_of(&headers);
        let (status, _) = ask_confirmation(&state, "ia", "ana@exemple.fr", &other).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let (status, page) = follow(&state, &confirmation_link(&store, "ana@exemple.fr").await).await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}");
        assert!(page.contains("a déjà confirmé une autre participation"), "{name}");
        let (_, _, page) = get(&state, "/consultations/ia/confirmer", Some(&other)).await;
        assert!(!unescape(&page).contains("est confirmée par e-mail"), "{name}");

        // A closed consultation takes no confirmation.
        let closed = consultation(&store, "close").await;
        let path = "/consultations/close/confirmer";
        let (_, _, form) = get(&state, path, Some(&cookie)).await;
        close(&store, closed, "close").await;
        let body = format!("jeton={}&email=bob%40exemple.fr{}", token_in(&form, path), challenge_fields(&form));
        let (status, _, page) = post(&state, path, body, Some(&cookie)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}");
        assert!(unescape(&page).contains("n'est pas ouverte"), "{name}");
        assert!(store.take_due_mail(100, 60_000).await.unwrap().is_empty(), "{name}: nothing sent");
    }
}
