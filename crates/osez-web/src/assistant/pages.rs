//! The assistant's page: a form that works without JavaScript (each
//! message posts the page, quick replies are buttons), and a chat when
//! JavaScript runs (the same form posted with `Accept: application/json`).
//! The conversation is the browser's: a cookie holds its token.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use osez_assistant::dialogue::MAX_MESSAGE_CHARS;
use osez_assistant::reply::DISCLOSURE;
use osez_store::Speaker;

use crate::assistant::api::reply_json;
use crate::assistant::talk::{self, TalkError, cookie_token, set_cookie};
use crate::assistant::views::{AssistantPage, MessageView, ReplyView};
use crate::kit::error::{ApiError, PageError, render};
use crate::kit::forms::FormList;
use crate::kit::state::{AppState, Ready};
use crate::kit::tokens::{check_form_token, form_token};

pub(crate) const PATH: &str = "/assistant";
pub(crate) const ERASE_PATH: &str = "/assistant/effacer";

/// Messages of the conversation the page shows: all it keeps.
const SHOWN: usize = talk::MAX_MESSAGES as usize;

async fn page(state: &AppState, ready: &Ready, token: Option<&str>) -> Result<AssistantPage, PageError> {
    let mut messages = Vec::new();
    if let Some(t) = token
        && let Some(c) = ready.store.conversation(&talk::conversation_key(t), SHOWN).await?
    {
        for m in c.recent {
            messages.push(match m.speaker {
                Speaker::Person => MessageView { person: Some(m.text), reply: None },
                Speaker::Assistant => {
                    MessageView { person: None, reply: serde_json::from_str::<ReplyView>(&m.text).ok() }
                }
            });
        }
    }
    Ok(AssistantPage {
        base: state.base(),
        token: form_token(&ready.secrets, PATH),
        erase_token: form_token(&ready.secrets, ERASE_PATH),
        messages,
        error: None,
        draft: String::new(),
        erased: false,
        disclosure: DISCLOSURE,
        max_chars: MAX_MESSAGE_CHARS,
        retention_days: state.config.assistant_retention_days,
    })
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let token = cookie_token(&headers, state.config.secure_cookies);
    let mut p = page(&state, ready, token.as_deref()).await?;
    p.erased = query.as_deref().is_some_and(|q| q.split('&').any(|x| x == "efface=1"));
    Ok(no_store(render(StatusCode::OK, &p)))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

fn status_of(e: &TalkError) -> StatusCode {
    match e {
        TalkError::Empty | TalkError::TooLong(_) => StatusCode::UNPROCESSABLE_ENTITY,
        TalkError::Unknown => StatusCode::NOT_FOUND,
        TalkError::Full | TalkError::Conflict => StatusCode::CONFLICT,
        TalkError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        TalkError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        TalkError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A message sent from the page.
pub async fn send(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: FormList,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let secure = state.config.secure_cookies;
    let json = wants_json(&headers);
    let token = cookie_token(&headers, secure);
    let text = form.text("message");
    let refuse = |e: ApiError, p: AssistantPage, status: StatusCode| -> Response {
        if json { e.into_response() } else { render(status, &p) }
    };
    if let Err(e) = check_form_token(&ready.secrets, PATH, form.get("jeton")) {
        let mut p = page(&state, ready, token.as_deref()).await?;
        p.error = Some(e.message().into());
        p.draft = text;
        let api = crate::assistant::api::refused(StatusCode::FORBIDDEN, "invalid_form_token", e.message().into());
        return Ok(refuse(api, p, StatusCode::FORBIDDEN));
    }
    match talk::exchange(&state, ready, token.as_deref(), &text).await {
        Ok(ex) => {
            let cookie = set_cookie(Some(&ex.token), secure);
            let mut res = if json {
                axum::Json(reply_json(&state, &ex)).into_response()
            } else {
                Redirect::to("/assistant#fin").into_response()
            };
            if let Some(c) = cookie {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            Ok(no_store(res))
        }
        Err(TalkError::Internal(e)) => Err(PageError::Internal(e)),
        Err(TalkError::Unavailable(e)) => Err(PageError::Unavailable(e)),
        Err(e) => {
            let status = status_of(&e);
            // A conversation that is gone is forgotten by the browser too.
            let forget = matches!(e, TalkError::Unknown);
            let mut p = page(&state, ready, if forget { None } else { token.as_deref() }).await?;
            p.error = Some(e.message());
            p.draft = text.chars().take(MAX_MESSAGE_CHARS).collect();
            let mut res = refuse(crate::assistant::api::talk_error(e), p, status);
            if forget && let Some(c) = set_cookie(None, secure) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            Ok(no_store(res))
        }
    }
}

/// Erases the browser's conversation at once.
pub async fn erase(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: FormList,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let secure = state.config.secure_cookies;
    let token = cookie_token(&headers, secure);
    if let Err(e) = check_form_token(&ready.secrets, ERASE_PATH, form.get("jeton")) {
        let mut p = page(&state, ready, token.as_deref()).await?;
        p.error = Some(e.message().into());
        return Ok(render(StatusCode::FORBIDDEN, &p));
    }
    if let Some(t) = &token {
        ready.store.erase_conversation(&talk::conversation_key(t)).await?;
    }
    let mut res = Redirect::to("/assistant?efface=1").into_response();
    if let Some(c) = set_cookie(None, secure) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(no_store(res))
}
