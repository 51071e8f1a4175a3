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
    match model.as_str() {
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
