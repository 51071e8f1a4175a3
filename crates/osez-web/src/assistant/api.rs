//! The assistant's JSON API, described in `openapi.json`:
//! `POST /api/v1/assistant/messages` and `DELETE
//! /api/v1/assistant/conversations/{id}`. The conversation's token is the
//! client's to keep; no cookie.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::assistant::talk::{self, Exchange, TalkError, valid_token};
use crate::assistant::views::{CitationView, SentenceView};
use crate::directory::api::{HitOut, adviser_hit};
use crate::kit::error::ApiError;
use crate::kit::state::AppState;
use crate::resources::api::{ResourceOut, resource_out};

pub(crate) fn refused(status: StatusCode, code: &'static str, message: String) -> ApiError {
    ApiError::Refused { status, code, message, retry_after: None }
}

/// The API's answer to an exchange that did not happen.
pub(crate) fn talk_error(e: TalkError) -> ApiError {
    let message = e.message();
    match e {
        TalkError::Empty => refused(StatusCode::UNPROCESSABLE_ENTITY, "empty_message", message),
        TalkError::TooLong(_) => refused(StatusCode::UNPROCESSABLE_ENTITY, "message_too_long", message),
        TalkError::Unknown => refused(StatusCode::NOT_FOUND, "unknown_conversation", message),
        TalkError::Full => refused(StatusCode::CONFLICT, "conversation_full", message),
        TalkError::Conflict => refused(StatusCode::CONFLICT, "conversation_busy", message),
        TalkError::Busy => {
            ApiError::Refused { status: StatusCode::SERVICE_UNAVAILABLE, code: "busy", message, retry_after: Some(1) }
        }
        TalkError::Unavailable(e) => ApiError::Unavailable(e),
        TalkError::Internal(e) => ApiError::Internal(e),
    }
}

#[derive(Serialize)]
struct AdviserRec<'a> {
    #[serde(flatten)]
    hit: HitOut<'a>,
    why: &'a str,
}

#[derive(Serialize)]
struct ResourceRec<'a> {
    #[serde(flatten)]
    resource: ResourceOut<'a>,
    why: &'a str,
}

#[derive(Serialize)]
struct Recommendations<'a> {
    advisers: Vec<AdviserRec<'a>>,
    resources: Vec<ResourceRec<'a>>,
}

#[derive(Serialize)]
struct Handoff<'a> {
    label: &'static str,
    summary: &'a str,
    url: &'static str,
}

#[derive(Serialize)]
struct ReplyOut<'a> {
    text: &'a str,
    ai_generated: bool,
    sentences: &'a [SentenceView],
    citations: &'a [CitationView],
    quick_replies: &'a [String],
    recommendations: Recommendations<'a>,
    handoff: Option<Handoff<'a>>,
    outcome: &'a str,
    /// Reworded by the operator's language model, every sentence checked
    /// against the records it cites.
    reworded: bool,
}

#[derive(Serialize)]
pub(crate) struct ExchangeOut<'a> {
    conversation_id: &'a str,
    reply: ReplyOut<'a>,
    /// What was removed from the message before it was kept.
    removed: &'a [&'static str],
}

/// Where "Parler à une personne" leads: the contact form, prefilled from
/// the conversation of the browser's cookie.
pub(crate) const HANDOFF_URL: &str = "/contact?depuis=assistant";

pub(crate) fn reply_json<'a>(state: &'a AppState, ex: &'a Exchange) -> ExchangeOut<'a> {
    let advisers = ex.directory.engine.advisers();
    let resources = ex.library.engine.resources();
    let reply = &ex.turn.reply;
    let view = &ex.view;
    ExchangeOut {
        conversation_id: &ex.token,
        reply: ReplyOut {
            text: &view.text,
            ai_generated: true,
            sentences: &view.sentences,
            citations: &view.citations,
            quick_replies: &view.quick_replies,
            recommendations: Recommendations {
                advisers: reply
                    .advisers
                    .iter()
                    .map(|p| AdviserRec { hit: adviser_hit(&state.geo, &advisers[p.ord], p.distance_km), why: &p.why })
                    .collect(),
                resources: reply
                    .resources
                    .iter()
                    .map(|p| ResourceRec { resource: resource_out(&resources[p.ord]), why: &p.why })
                    .collect(),
            },
            handoff: view.handoff.as_deref().map(|summary| Handoff {
                label: osez_assistant::reply::TALK_TO_PERSON,
                summary,
                url: HANDOFF_URL,
            }),
            outcome: &view.outcome,
            reworded: view.reworded,
        },
        removed: &ex.turn.removed,
    }
}

#[derive(Deserialize)]
struct MessageIn {
    conversation_id: Option<String>,
    text: String,
}

/// `POST /api/v1/assistant/messages`.
pub async fn messages(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let ready = state.ready().ok_or(ApiError::Starting)?;
    if !crate::kit::forms::is_json(&headers) {
        return Err(refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Envoyez le message en JSON (Content-Type: application/json).".into(),
        ));
    }
    let body = body.map_err(|_| {
        refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "message_too_long",
            format!(
                "Votre message est bien trop long : {} caractères au plus. Résumez votre besoin en quelques phrases.",
                osez_assistant::compose::group(osez_assistant::dialogue::MAX_MESSAGE_CHARS)
            ),
        )
    })?;
    let m: MessageIn = serde_json::from_slice(&body).map_err(|_| {
        refused(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "Le corps doit être un objet JSON { \"conversation_id\"?, \"text\" }.".into(),
        )
    })?;
    let token = match m.conversation_id.as_deref() {
        None => None,
        Some(t) if valid_token(t) => Some(t),
        Some(_) => return Err(talk_error(TalkError::Unknown)),
    };
    let ex = talk::exchange(&state, ready, token, &m.text).await.map_err(talk_error)?;
    let mut res = Json(reply_json(&state, &ex)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `DELETE /api/v1/assistant/conversations/{id}`: erased at once.
pub async fn erase(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let ready = state.ready().ok_or(ApiError::Starting)?;
    if valid_token(&id) && ready.store.erase_conversation(&talk::conversation_key(&id)).await? {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Err(talk_error(TalkError::Unknown))
}
