//! Voting through the API: the participant's cookie, the signed keys,
//! one vote per participant and proposal, and what cannot be voted.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use osez_core::consultation::proposal::RefusalReason;
use osez_store::{ConsultationStatus, Moderation, NewConsultation, Origin, Store};
use osez_web::AppState;
use serde_json::{Value, json};

const DAY: i64 = 86_400_000;

async fn consultation(store: &Store, slug: &str, open: bool) -> i64 {
    let now = osez_web::now_ms();
    let (opens_at, closes_at) = if open { (now - DAY, now + DAY) } else { (now - 2 * DAY, now - DAY) };
    store
        .create_consultation(&NewConsultation {
            slug,
            title: "Encadrer l'IA",
            question: "Comment encadrer l'intelligence artificielle ?",
            description: "Consultation de démonstration pour les tests.",
            opens_at,
            closes_at,
            status: ConsultationStatus::Published,
            origin: Origin::Osez,
        })
        .await
        .unwrap()
}

async fn proposal(store: &Store, consultation_id: i64, author: &str, text: &str, decision: Moderation) -> i64 {
    let p = store.submit_proposal(consultation_id, author, None, text, None).await.unwrap();
    store.moderate_proposal(p.id, decision, "moderatrice@exemple.fr", |_, _| None).await.unwrap();
    p.id
}

async fn post_json(state: &Arc<AppState>, uri: &str, body: &str, cookie: Option<&str>) -> (StatusCode, Value) {
    let mut b = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    let (status, _, body) = send(state, b.body(Body::from(body.to_owned())).unwrap()).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A participant's cookie and the sequence served with it.
async fn sequence(state: &Arc<AppState>, slug: &str, cookie: Option<&str>) -> (String, Vec<Value>) {
    let (status, headers, body) = get(state, &format!("/api/v1/consultations/{slug}/sequence"), cookie).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = match cookie {
        Some(c) => c.to_owned(),
        None => cookie_of(&headers),
    };
    let v: Value = serde_json::from_str(&body).unwrap();
    (cookie, v["proposals"].as_array().unwrap().clone())
}

async fn results(state: &Arc<AppState>, slug: &str) -> Value {
    let (status, _, body) = get(state, &format!("/api/v1/consultations/{slug}/results"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn counts(results: &Value, id: i64) -> (u64, u64, u64) {
    let p = results["proposals"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap();
    (p["agree"].as_u64().unwrap(), p["disagree"].as_u64().unwrap(), p["neutral"].as_u64().unwrap())
}

#[tokio::test]
async fn a_served_proposal_voted_with_its_key_counts_and_a_forged_key_does_not() {
    for (name, state, store) in apps().await {
        let c = consultation(&store, "ia", true).await;
        let a =
            proposal(&store, c, "auteur-a", "Il faut éduquer les jeunes aux usages de l'IA", Moderation::Accept).await;
        let b = proposal(&store, c, "auteur-b", "Il faut signaler l'usage de l'IA", Moderation::Accept).await;

        let (cookie, served) = sequence(&state, "ia", None).await;
        assert!(cookie.starts_with("__Host-osez_participant="), "{cookie}");
        assert_eq!(served.len(), 2, "{name}");
        let key_of = |id: i64| served.iter().find(|p| p["id"] == id).unwrap()["key"].as_str().unwrap().to_owned();

        let body = json!({ "proposal_id": a, "key": key_of(a), "vote": "agree", "qualification": "like_it" });
        let (status, answer) =
            post_json(&state, "/api/v1/consultations/ia/votes", &body.to_string(), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}: {answer}");
        assert_eq!(answer, json!({ "recorded": true, "trusted": true }));

        // Changing one's mind replaces the vote.
        let body = json!({ "proposal_id": a, "key": key_of(a), "vote": "disagree" });
        post_json(&state, "/api/v1/consultations/ia/votes", &body.to_string(), Some(&cookie)).await;
        let r = results(&state, "ia").await;
        assert_eq!(counts(&r, a), (0, 1, 0), "{name}");
        assert_eq!(r["participants"], 1);

        // A forged key: recorded, untrusted, absent from the results.
        let body = json!({ "proposal_id": b, "key": "00".repeat(16), "vote": "agree" });
        let (status, answer) =
            post_json(&state, "/api/v1/consultations/ia/votes", &body.to_string(), Some(&cookie)).await;
        assert_eq!((status, answer), (StatusCode::OK, json!({ "recorded": true, "trusted": false })), "{name}");
        // Another participant's key is no better.
        let (other, _) = sequence(&state, "ia", None).await;
        let body = json!({ "proposal_id": b, "key": key_of(b), "vote": "agree" });
        let (_, answer) = post_json(&state, "/api/v1/consultations/ia/votes", &body.to_string(), Some(&other)).await;
        assert_eq!(answer["trusted"], false, "{name}");
        let r = results(&state, "ia").await;
        assert_eq!(counts(&r, b), (0, 0, 0), "{name}");
        assert_eq!(r["votes"], 1);
        assert_eq!(store.recount(c).await.unwrap()[&b].total(), 0);

        // Voted proposals are not served again.
        let (_, served) = sequence(&state, "ia", Some(&cookie)).await;
        assert!(served.is_empty(), "{name}: {served:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_identical_votes_leave_one() {
    for (name, state, store) in apps().await {
        let c = consultation(&store, "ia", true).await;
        let a = proposal(&store, c, "auteur", "Il faut former les jeunes", Moderation::Accept).await;
        let (cookie, served) = sequence(&state, "ia", None).await;
        let body = json!({ "proposal_id": a, "key": served[0]["key"], "vote": "agree" }).to_string();
        let start = Arc::new(tokio::sync::Barrier::new(200));
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let (state, cookie, body, start) = (state.clone(), cookie.clone(), body.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    post_json(&state, "/api/v1/consultations/ia/votes", &body, Some(&cookie)).await
                })
            })
            .collect();
        for t in tasks {
            let (status, answer) = t.await.unwrap();
            assert_eq!(status, StatusCode::OK, "{name}: {answer}");
        }
        assert_eq!(counts(&results(&state, "ia").await, a), (1, 0, 0), "{name}");
        let mut rows = 0;
        store.trusted_votes(c, |page| rows += page.len()).await.unwrap();
        assert_eq!(rows, 1, "{name}");
    }
}

#[tokio::test]
async fn what_cannot_be_voted_gets_a_clear_json_refusal_and_records_nothing() {
    for (name, state, store) in apps().await {
        let c = consultation(&store, "ia", true).await;
        let ok = proposal(&store, c, "x", "Il faut former les jeunes", Moderation::Accept).await;
        let refused =
            proposal(&store, c, "x", "Il faut acheter ma marque", Moderation::Refuse(RefusalReason::Advertising)).await;
        let closed = consultation(&store, "close", false).await;
        let (cookie, served) = sequence(&state, "ia", None).await;
        let key = served[0]["key"].as_str().unwrap().to_owned();
        let vote = |id: i64, v: &str| json!({ "proposal_id": id, "key": key, "vote": v }).to_string();

        let cases: Vec<(String, String, StatusCode, &str)> = vec![
            ("ia".into(), vote(refused, "agree"), StatusCode::CONFLICT, "proposal_not_votable"),
            ("ia".into(), vote(987_654, "agree"), StatusCode::NOT_FOUND, "not_found"),
            ("close".into(), vote(ok, "agree"), StatusCode::CONFLICT, "consultation_closed"),
            ("inconnue".into(), vote(ok, "agree"), StatusCode::NOT_FOUND, "not_found"),
            ("ia".into(), vote(ok, "peut-etre"), StatusCode::BAD_REQUEST, "invalid_body"),
            (
                "ia".into(),
                json!({ "proposal_id": ok, "key": key, "vote": "agree", "qualification": "no_way" }).to_string(),
                StatusCode::BAD_REQUEST,
                "invalid_body",
            ),
            ("ia".into(), "{ pas du json".into(), StatusCode::BAD_REQUEST, "invalid_body"),
            ("ia".into(), json!({ "proposal_id": ok }).to_string(), StatusCode::BAD_REQUEST, "invalid_body"),
        ];
        for (slug, body, status, code) in cases {
            let (got, answer) =
                post_json(&state, &format!("/api/v1/consultations/{slug}/votes"), &body, Some(&cookie)).await;
            assert_eq!(got, status, "{name}: {slug} {body}: {answer}");
            assert_eq!(answer["error"]["code"], code, "{name}: {answer}");
            assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
        }
        // Not JSON at all.
        let (status, _, _) = post(&state, "/api/v1/consultations/ia/votes", "vote=agree".into(), Some(&cookie)).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{name}");
        assert!(store.voted_proposals(c, "nobody").await.unwrap().is_empty());
        assert_eq!(store.recount(c).await.unwrap().values().map(|t| t.total()).sum::<u64>(), 0, "{name}");
        let (status, _, body) = get(&state, "/api/v1/consultations/close/sequence", Some(&cookie)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}: {body}");
        let _ = closed;
    }
}

#[tokio::test]
async fn new_participants_and_votes_are_limited() {
    let config = osez_web::WebConfig { participants_per_hour: 2, participant_votes_per_minute: 3, ..test_config() };
    let (_, state, store) = apps_with(config).await.remove(0);
    let c = consultation(&store, "ia", true).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            proposal(&store, c, &format!("a{i}"), &format!("Il faut l'idée numéro {i}"), Moderation::Accept).await,
        );
    }
    let (cookie, served) = sequence(&state, "ia", None).await;
    sequence(&state, "ia", None).await;
    let (status, headers, body) = get(&state, "/api/v1/consultations/ia/sequence", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert!(body.contains("nouveaux participants"), "{body}");
    // A known participant is not new.
    sequence(&state, "ia", Some(&cookie)).await;

    let mut statuses = Vec::new();
    for p in served.iter().take(5) {
        let body = json!({ "proposal_id": p["id"], "key": p["key"], "vote": "neutral" }).to_string();
        statuses.push(post_json(&state, "/api/v1/consultations/ia/votes", &body, Some(&cookie)).await.0);
    }
    assert_eq!(&statuses[..3], &[StatusCode::OK; 3]);
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(store.voted_proposals(c, "x").await.unwrap().len(), 0);
}
