//! The optional language model, played by a small OpenAI-compatible server
//! on loopback (no real model can run on this machine: nothing may be
//! downloaded; this stand-in speaks the same protocol). What it says is
//! shown only when the checker accepts it; invented names and figures, a
//! broken answer, an error or silence leave the template reply, on time.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::post;
use common::*;
use osez_web::{LlmConfig, WebConfig};
use serde_json::{Value, json};

/// The stand-in: its behaviour is the model's name.
async fn completions(axum::Json(req): axum::Json<Value>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let model = req["model"].as_str().unwrap_or_default().to_string();
    let template = req["messages"][1]["content"].as_str().unwrap_or_default().to_string();
    let answer = |content: String| {
        axum::Json(json!({ "choices": [{ "message": { "role": "assistant", "content": content } }] })).into_response()
    };
    let extracting = req["messages"][0]["content"].as_str().unwrap_or_default().starts_with("Tu extrais");
    match (model.as_str(), extracting) {
        // Reads the need, and the place as written.
        ("lecteur", true) => {
            let place = if template.contains("Lyon") { "\"Lyon\"" } else { "null" };
            answer(format!("```json\n{{\"place\": {place}, \"specialty\": \"cybersecurite\", \"size\": null}}\n```"))
        }
        // Makes up a place the message does not name.
        ("menteur", true) => answer(r#"{"place": "Marseille", "specialty": "cybersecurite"}"#.into()),
        ("lecteur" | "menteur", false) => answer(template),
        (_, true) => answer("pas de JSON ici".into()),
        _ => match model.as_str() {
            // Rewords, every citation kept, nothing added.
            "fidele" => answer(template.replace("Voici", "Je vous propose")),
            // Adds a person and a figure that no record holds.
            "inventif" => answer(format!("{template}\nMadame Irène Fantôme a aidé 487 entreprises [1].")),
            "casse" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
            "charabia" => (StatusCode::OK, "<html>pas du json</html>").into_response(),
            _ => {
                // Silent past any deadline.
                tokio::time::sleep(Duration::from_secs(30)).await;
                answer(template)
            }
        },
    }
}

async fn stand_in() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/v1/chat/completions", post(completions));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/v1")
}

async fn ask(state: &Arc<osez_web::AppState>) -> (StatusCode, Value) {
    let body = json!({ "text": "Je cherche un conseiller en cybersécurité à Lyon" }).to_string();
    let req = Request::post("/api/v1/assistant/messages")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let (status, _, text) = send(state, req).await;
    (status, serde_json::from_str(&text).unwrap())
}

#[tokio::test]
async fn the_models_words_are_shown_only_when_every_claim_is_in_the_cited_records() {
    let base_url = stand_in().await;
    for (model, reworded) in
        [("fidele", true), ("inventif", false), ("casse", false), ("charabia", false), ("muet", false)]
    {
        let llm = LlmConfig {
            base_url: base_url.clone(),
            model: model.into(),
            api_key: Some("clé".into()),
            timeout: Duration::from_millis(700),
        };
        let config = WebConfig { llm: Some(llm), ..test_config() };
        let (backend, state, _) = apps_with(config).await.remove(0);
        let (status, v) = ask(&state).await;
        assert_eq!(status, StatusCode::OK, "{model} on {backend}: {v}");
        let reply = &v["reply"];
        assert_eq!(reply["reworded"], reworded, "{model}: {v}");
        let text = reply["text"].as_str().unwrap();
        assert_eq!(text.contains("Je vous propose"), reworded, "{model}: {text}");
        assert!(!text.contains("Fantôme") && !text.contains("487"), "{model}: {text}");
        assert_eq!(reply["ai_generated"], true);
        // The recommendations are the records', whoever words the reply.
        assert!(!reply["recommendations"]["advisers"].as_array().unwrap().is_empty(), "{model}");
    }
}

async fn say(state: &Arc<osez_web::AppState>, text: &str) -> Value {
    let body = json!({ "text": text }).to_string();
    let req = Request::post("/api/v1/assistant/messages")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let (status, _, text) = send(state, req).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// The model's slots fill what the rules did not read; a place it makes
/// up (not written in the message) is dropped; without it, the rules ask.
#[tokio::test]
async fn the_models_slots_fill_only_what_the_rules_missed_and_never_an_invented_place() {
    let base_url = stand_in().await;
    let message = "Je cherche un conseiller à Lyon pour mon truc, vous voyez";
    let vague = "Je cherche un conseiller pour mon truc, vous voyez";
    let app = |model: &str| {
        let llm = LlmConfig {
            base_url: base_url.clone(),
            model: model.into(),
            api_key: None,
            timeout: Duration::from_millis(1500),
        };
        WebConfig { llm: Some(llm), ..test_config() }
    };
    // Without a model (the stand-in's "silencieux" answers no JSON), the need is asked.
    let (_, state, _) = apps_with(app("silencieux")).await.remove(0);
    let v = say(&state, message).await;
    assert_eq!(v["reply"]["outcome"], "asked", "{v}");

    let (_, state, _) = apps_with(app("lecteur")).await.remove(0);
    let v = say(&state, message).await;
    assert_eq!(v["reply"]["outcome"], "recommended", "{v}");
    let advisers = v["reply"]["recommendations"]["advisers"].as_array().unwrap();
    assert!(!advisers.is_empty(), "{v}");
    for a in advisers {
        assert!(a["specialties"].as_array().unwrap().iter().any(|s| s == "cybersecurite"), "{a}");
    }

    // The place the model made up is not used: the place is asked.
    let (_, state, _) = apps_with(app("menteur")).await.remove(0);
    let v = say(&state, vague).await;
    let text = v["reply"]["text"].as_str().unwrap();
    assert!(!text.contains("Marseille"), "{text}");
    assert_eq!(v["reply"]["outcome"], "asked", "{v}");
}
