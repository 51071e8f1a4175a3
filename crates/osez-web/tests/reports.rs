//! Abuse reports from the public, on every backend: a profile leaves the
//! directory only when three different clients reported it, each past the
//! anti-robot challenge; one client counts once per profile, and a flood on
//! one profile is capped per day.

mod common;

use std::sync::Arc;

use altcha::{Payload, SolveChallengeOptions, solve_challenge};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use common::*;
use osez_store::{REPORTS_PER_DAY, Store};
use osez_web::{AppState, WebConfig};

fn config() -> WebConfig {
    WebConfig {
        altcha_cost: 20,
        min_fill_secs: 0,
        forms_per_minute: 0,
        search_per_minute: 0,
        contacts_per_hour: 0,
        ..common::test_config()
    }
}

async fn listed(store: &Store, id: &str) -> bool {
    store.listed_advisers().await.unwrap().iter().any(|a| a.id.as_str() == id)
}

fn path(id: &str) -> String {
    format!("/conseillers/{id}/signaler")
}

async fn form_page(state: &Arc<AppState>, id: &str, ip: &str) -> String {
    send(state, from_ip(Request::get(path(id)).body(Body::empty()).unwrap(), ip)).await.2
}

async fn post_from(state: &Arc<AppState>, id: &str, ip: &str, body: String) -> (StatusCode, String) {
    let req = Request::post(path(id))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let (status, _, page) = send(state, from_ip(req, ip)).await;
    (status, unescape(&page))
}

/// The form of `page` filled, without its challenge.
fn fields(page: &str, id: &str) -> String {
    format!("jeton={}&reason=demarchage&message=x&site_web=", enc(&token_in(page, &path(id))))
}

/// The fields and the answer to the question in words.
fn answered(page: &str, id: &str) -> String {
    format!("{}&question={}&reponse={}", fields(page, id), enc(&hidden(page, "question")), answer_in_words(page))
}

const SAVED: &str = "votre signalement a été enregistré";
const ALREADY: &str = "Vous avez déjà signalé ce profil";

/// Issue 9, defect 1: three posts from one anonymous client, reusing one
/// form token, hid the profile at once.
#[tokio::test]
async fn one_client_reporting_three_times_does_not_hide_a_profile() {
    for (backend, state, store) in apps_with(config()).await {
        let a = &advisers()[3];
        let id = a.id.as_str();
        let page = form_page(&state, id, "203.0.113.7").await;
        let token = token_in(&page, &path(id));
        let mut answers = Vec::new();
        for i in 1..=3 {
            // One form token for the three, a fresh question each time.
            let fresh = form_page(&state, id, "203.0.113.7").await;
            let body = answered(&fresh, id)
                .replace(&token_in(&fresh, &path(id)), &token)
                .replace("message=x", &format!("message=appel%20n{i}"));
            answers.push(post_from(&state, id, "203.0.113.7", body).await);
        }
        assert!(listed(&store, id).await, "{backend}: one client cannot hide a profile");
        assert_eq!(store.abuse_report_count(&a.id).await.unwrap(), 1, "{backend}: one report per client");
        assert_eq!(answers[0].0, StatusCode::OK, "{backend}: {}", answers[0].1);
        assert!(answers[0].1.contains(SAVED), "{backend}");
        for (status, page) in &answers[1..] {
            assert_eq!(*status, StatusCode::OK, "{backend}: answered kindly");
            assert!(page.contains(ALREADY), "{backend}: {page}");
        }
    }
}

/// The payload of the widget, once it solved a challenge of the server.
async fn proof_of_work(state: &Arc<AppState>) -> String {
    let challenge: altcha::Challenge = serde_json::from_str(&get(state, "/altcha/defi", None).await.2).unwrap();
    let solution = solve_challenge(SolveChallengeOptions::new(&challenge)).unwrap().unwrap();
    base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&Payload { challenge, solution }).unwrap())
}

#[tokio::test]
async fn three_different_clients_hide_a_profile() {
    for (backend, state, store) in apps_with(config()).await {
        let a = &advisers()[4];
        let id = a.id.as_str();
        let report = |ip: &'static str| {
            let state = state.clone();
            async move { report_from(&state, id, ip, "Démarchage").await }
        };
        let (status, page) = report("2001:db8:1:2::1").await;
        assert_eq!(status, StatusCode::OK, "{backend}: {page}");
        assert!(page.contains(SAVED), "{backend}");
        // Two addresses of one IPv6 /64 are one client; so are an IPv4
        // address and its IPv4-mapped IPv6 form.
        assert!(report("2001:db8:1:2:ffff::9").await.1.contains(ALREADY), "{backend}: same /64");
        assert!(report("::ffff:198.51.100.4").await.1.contains(SAVED), "{backend}");
        assert!(report("198.51.100.4").await.1.contains(ALREADY), "{backend}: IPv4-mapped");
        assert!(listed(&store, id).await, "{backend}: two clients are not enough");

        // The third passes the proof of work, as a browser with JavaScript.
        let page = form_page(&state, id, "192.0.2.10").await;
        let body = format!("{}&question={}&reponse=&altcha={}", fields(&page, id), enc(&hidden(&page, "question")), {
            enc(&proof_of_work(&state).await)
        });
        let (status, page) = post_from(&state, id, "192.0.2.10", body).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {page}");
        assert!(page.contains(SAVED), "{backend}");
        assert!(!listed(&store, id).await, "{backend}: hidden after the third client");
        assert_eq!(store.abuse_report_count(&a.id).await.unwrap(), 3, "{backend}");

        // Reporters are kept as keyed hashes, never as addresses.
        let queue = store.moderation_queue().await.unwrap();
        let case = queue.iter().find(|c| c.adviser_id == id).unwrap();
        let mut reporters: Vec<_> = case.reports.iter().map(|r| r.reporter.clone().unwrap()).collect();
        for r in &reporters {
            assert!(r.len() == 64 && r.chars().all(|c| c.is_ascii_hexdigit()), "{backend}: {r}");
        }
        reporters.dedup();
        assert_eq!(reporters.len(), 3, "{backend}");
        assert_eq!(store.moderation_case_count().await.unwrap(), 1, "{backend}");
    }
}

#[tokio::test]
async fn a_replayed_challenge_is_refused() {
    for (backend, state, store) in apps_with(config()).await {
        let a = &advisers()[5];
        let id = a.id.as_str();
        let page = form_page(&state, id, "198.51.100.20").await;
        let body = answered(&page, id);
        let (status, answer) = post_from(&state, id, "198.51.100.20", body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {answer}");
        // Another client replays the same answered question.
        let (status, answer) = post_from(&state, id, "198.51.100.21", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(answer.contains("a expiré ou a déjà servi"), "{backend}: {answer}");
        // So is a solved proof of work, used twice.
        let pow = proof_of_work(&state).await;
        let with_pow = |page: &str| format!("{}&altcha={}", fields(page, id), enc(&pow));
        let page = form_page(&state, id, "198.51.100.22").await;
        assert_eq!(post_from(&state, id, "198.51.100.22", with_pow(&page)).await.0, StatusCode::OK, "{backend}");
        let page = form_page(&state, id, "198.51.100.23").await;
        let (status, answer) = post_from(&state, id, "198.51.100.23", with_pow(&page)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(answer.contains("a expiré ou a déjà servi"), "{backend}: {answer}");
        assert_eq!(store.abuse_report_count(&a.id).await.unwrap(), 2, "{backend}");
        assert!(listed(&store, id).await, "{backend}");
    }
}

#[tokio::test]
async fn a_report_without_a_challenge_is_refused() {
    for (backend, state, store) in apps_with(config()).await {
        let a = &advisers()[6];
        let id = a.id.as_str();
        let page = form_page(&state, id, "198.51.100.30").await;
        for part in ["<altcha-widget", "/static/altcha.min.js", "Combien font ", "name=\"site_web\""] {
            assert!(page.contains(part), "{backend}: {part}");
        }
        // The attack of the issue: one token, no challenge, three clients.
        for ip in ["198.51.100.30", "198.51.100.31", "198.51.100.32"] {
            let (status, answer) = post_from(&state, id, ip, fields(&page, id)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
            assert!(answer.contains("Cochez la case"), "{backend}: {answer}");
        }
        let wrong = answered(&page, id).replace(&format!("reponse={}", answer_in_words(&page)), "reponse=99");
        let (status, answer) = post_from(&state, id, "198.51.100.33", wrong.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(answer.contains("inexacte"), "{backend}: {answer}");
        // A wrong answer spends the question: the right one comes too late.
        let (status, answer) = post_from(&state, id, "198.51.100.33", answered(&page, id)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}: {answer}");
        let robot = answered(&page, id).replace("site_web=", "site_web=https%3A%2F%2Fspam.example");
        let (status, answer) = post_from(&state, id, "198.51.100.34", robot).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(answer.contains("champ caché"), "{backend}: {answer}");
        assert_eq!(store.abuse_report_count(&a.id).await.unwrap(), 0, "{backend}: nothing saved");
        assert!(listed(&store, id).await, "{backend}");
    }
}

#[tokio::test]
async fn a_report_sent_too_quickly_is_refused() {
    let (backend, state, store) = apps_with(WebConfig { min_fill_secs: 60, ..config() }).await.remove(0);
    let a = &advisers()[7];
    let page = form_page(&state, a.id.as_str(), "198.51.100.40").await;
    let (status, answer) = post_from(&state, a.id.as_str(), "198.51.100.40", answered(&page, a.id.as_str())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
    assert!(answer.contains("envoyé trop vite"), "{backend}: {answer}");
    assert_eq!(store.abuse_report_count(&a.id).await.unwrap(), 0);
}

#[tokio::test]
async fn reports_on_one_profile_are_capped_per_day() {
    for (backend, state, store) in apps_with(config()).await {
        let (a, b) = (&advisers()[8], &advisers()[9]);
        for i in 0..REPORTS_PER_DAY {
            let (status, page) = report_from(&state, a.id.as_str(), &format!("198.51.100.{}", i + 1), "x").await;
            assert_eq!(status, StatusCode::OK, "{backend}: {page}");
            assert!(page.contains(SAVED), "{backend}: report {i}");
        }
        let (status, page) = report_from(&state, a.id.as_str(), "192.0.2.200", "un de trop").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend}");
        assert!(page.contains("beaucoup de signalements aujourd'hui"), "{backend}: {page}");
        assert!(!page.contains(SAVED), "{backend}");
        assert_eq!(store.abuse_report_count(&a.id).await.unwrap(), REPORTS_PER_DAY, "{backend}: nothing saved");
        let (status, page) = report_from(&state, b.id.as_str(), "192.0.2.200", "autre profil").await;
        assert_eq!(status, StatusCode::OK, "{backend}: {page}");
        assert!(page.contains(SAVED), "{backend}: the cap is per profile");
    }
}
