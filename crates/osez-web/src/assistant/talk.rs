//! One exchange with the assistant, shared by the page and the API: the
//! message checked, the conversation read, the reply computed on the
//! assistant's worker pool (never on the async runtime), and both saved
//! together, personal data removed.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue};
use osez_assistant::compose::group;
use osez_assistant::dialogue::{MAX_MESSAGE_CHARS, State, Turn, respond_with};
use osez_assistant::evaluate::corpus;
use osez_assistant::recommend::Catalogue;
use osez_assistant::understand::Reader;
use osez_store::Appended;
use sha2::{Digest, Sha256};

use crate::assistant::views::ReplyView;
use crate::kit::pool::PoolError;
use crate::kit::session::cookie_value;
use crate::kit::state::{AppState, Directory, Library, Ready};
use crate::kit::tokens::hex;

/// Messages a conversation keeps (both speakers): twenty exchanges. A
/// conversation that reaches it is full; the person starts another.
pub(crate) const MAX_MESSAGES: i64 = 40;

/// How long the browser keeps the conversation's cookie: as long as the
/// conversation is kept.
const COOKIE_MAX_AGE_SECS: u64 = 30 * 24 * 3600;

/// Why an exchange did not happen. Nothing is saved in any of these cases.
#[derive(Debug)]
pub(crate) enum TalkError {
    Empty,
    TooLong(usize),
    /// No conversation has this id (never had, erased or expired).
    Unknown,
    Full,
    /// Another message of the same conversation was answered meanwhile.
    Conflict,
    Busy,
    /// The database is unavailable (a restart): nothing was saved.
    Unavailable(String),
    Internal(String),
}

impl TalkError {
    /// The French sentence a person reads.
    pub(crate) fn message(&self) -> String {
        match self {
            TalkError::Empty => "Votre message est vide : écrivez votre question en quelques mots.".into(),
            TalkError::TooLong(n) => format!(
                "Votre message est trop long ({} caractères) : {} caractères au plus. Résumez votre besoin en quelques phrases.",
                group(*n),
                group(MAX_MESSAGE_CHARS)
            ),
            TalkError::Unknown => {
                "Cette conversation n'existe plus : elle a été effacée, ou elle date de plus de 30 jours. Commencez-en une nouvelle.".into()
            }
            TalkError::Full => {
                "Cette conversation a atteint sa longueur maximale : effacez-la pour en commencer une nouvelle, ou écrivez à l'équipe."
                    .into()
            }
            TalkError::Conflict => "Un autre message de cette conversation vient d'être envoyé : rechargez la page.".into(),
            TalkError::Busy => "L'assistant est très sollicité : réessayez dans un instant.".into(),
            TalkError::Unavailable(_) => {
                "L'assistant ne peut pas enregistrer la conversation pour le moment : réessayez dans quelques instants.".into()
            }
            TalkError::Internal(_) => "L'assistant n'a pas pu répondre : réessayez dans un instant.".into(),
        }
    }
}

/// An exchange done and saved.
pub(crate) struct Exchange {
    /// The conversation's token, as the person holds it (cookie or JSON).
    pub token: String,
    pub turn: Turn,
    pub view: ReplyView,
    pub directory: Arc<Directory>,
    pub library: Arc<Library>,
}

/// What the store knows a conversation by: a hash of the token the person
/// holds, so that the database alone does not open conversations.
pub(crate) fn conversation_key(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A conversation token as the person sends it: 32 hexadecimal digits.
pub(crate) fn valid_token(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

fn new_token() -> String {
    hex(&rand::random::<[u8; 16]>())
}

/// The reader of messages for the current resources: built once per
/// version of the published resources (it knows their words).
async fn reader(state: &AppState, ready: &Ready, library: &Arc<Library>) -> Result<Arc<Reader>, TalkError> {
    let semantic = state.semantic.get().cloned();
    // Once the embedding model is ready, readers are made with it.
    let kind = if semantic.is_some() { "assistant-reader-semantic" } else { "assistant-reader" };
    if let Some(kept) = ready.memo.get::<Reader>(kind, 0)
        && kept.stamp == library.version
    {
        return Ok(kept.value);
    }
    let geo = state.geo.clone();
    let lib = library.clone();
    let days = state.config.assistant_retention_days;
    let reader = state
        .assistant
        .run(move || {
            let resources = lib.engine.resources();
            let mut reader = Reader::new(geo, corpus(resources).iter().map(String::as_str));
            reader.retention_days = days;
            // The records embedded: about a second per hundred, once per
            // version of the published resources.
            reader.set_semantic(semantic, resources);
            reader
        })
        .await
        .map_err(pool_error)?;
    let reader = Arc::new(reader);
    ready.memo.put(kind, 0, library.version, reader.clone());
    Ok(reader)
}

fn store_error(e: osez_store::StoreError) -> TalkError {
    if e.is_unavailable() { TalkError::Unavailable(e.to_string()) } else { TalkError::Internal(e.to_string()) }
}

fn pool_error(e: PoolError) -> TalkError {
    match e {
        PoolError::Busy => TalkError::Busy,
        PoolError::Failed(e) => TalkError::Internal(e),
    }
}

/// Answers `text` in the conversation of `token` (a new one without).
pub(crate) async fn exchange(
    state: &AppState,
    ready: &Ready,
    token: Option<&str>,
    text: &str,
) -> Result<Exchange, TalkError> {
    let chars = text.chars().count();
    if text.trim().is_empty() {
        return Err(TalkError::Empty);
    }
    if chars > MAX_MESSAGE_CHARS {
        return Err(TalkError::TooLong(chars));
    }
    let store = &ready.store;
    let (token, before) = match token {
        Some(t) => {
            let key = conversation_key(t);
            let c = store.conversation(&key, 0).await.map_err(store_error)?;
            let c = c.ok_or(TalkError::Unknown)?;
            if c.messages + 2 > MAX_MESSAGES {
                return Err(TalkError::Full);
            }
            // A state written by an older version reads as a fresh one.
            let dialogue: State = serde_json::from_str(&c.state).unwrap_or_default();
            (t.to_string(), Some((c.messages, dialogue)))
        }
        None => (new_token(), None),
    };
    let directory = ready.directory();
    let library = ready.library();
    let reader = reader(state, ready, &library).await?;
    let dialogue = before.as_ref().map(|(_, s)| s.clone()).unwrap_or_default();
    // The model, when there is one, sees the message without its personal
    // data, as everything that keeps it does.
    let extracted = crate::assistant::model::extract(state, &osez_assistant::scrub::scrub(text).text).await;
    let (dir, lib, message) = (directory.clone(), library.clone(), text.to_string());
    let turn = state
        .assistant
        .run(move || {
            let catalogue = Catalogue { directory: &dir.engine, resources: &lib.engine, meaning: reader.meaning() };
            respond_with(&dialogue, &message, &reader, catalogue, extracted.as_ref())
        })
        .await
        .map_err(pool_error)?;
    let mut turn = turn;
    let reworded =
        match crate::assistant::model::reword(state, &turn.reply, &turn.kept_message, &directory, &library).await {
            Some(r) => {
                turn.reply = r;
                true
            }
            None => false,
        };
    let mut view = ReplyView::new(&turn.reply, &directory, &library);
    view.reworded = reworded;
    let state_json = serde_json::to_string(&turn.state).map_err(|e| TalkError::Internal(e.to_string()))?;
    let view_json = serde_json::to_string(&view).map_err(|e| TalkError::Internal(e.to_string()))?;
    let key = conversation_key(&token);
    match before {
        None => {
            store.start_conversation(&key, &state_json, &turn.kept_message, &view_json).await.map_err(store_error)?
        }
        Some((seen, _)) => {
            match store
                .append_exchange(&key, seen, MAX_MESSAGES, &state_json, &turn.kept_message, &view_json)
                .await
                .map_err(store_error)?
            {
                Appended::Saved => {}
                Appended::Gone => return Err(TalkError::Unknown),
                Appended::Full => return Err(TalkError::Full),
                Appended::Conflict => return Err(TalkError::Conflict),
            }
        }
    }
    Ok(Exchange { token, turn, view, directory, library })
}

pub(crate) fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-osez_assistant" } else { "osez_assistant" }
}

/// The conversation token of the browser's cookie, if any.
pub(crate) fn cookie_token(headers: &HeaderMap, secure: bool) -> Option<String> {
    cookie_value(headers, cookie_name(secure)).filter(|t| valid_token(t))
}

/// `Set-Cookie` for the conversation (or its removal, without a token).
pub(crate) fn set_cookie(token: Option<&str>, secure: bool) -> Option<HeaderValue> {
    let secure_attr = if secure { "; Secure" } else { "" };
    let value = match token {
        Some(t) => format!(
            "{}={t}; Path=/; Max-Age={COOKIE_MAX_AGE_SECS}; HttpOnly; SameSite=Lax{secure_attr}",
            cookie_name(secure)
        ),
        None => format!("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure_attr}", cookie_name(secure)),
    };
    HeaderValue::from_str(&value).ok()
}

/// The need summed up for the contact form, from the conversation of the
/// browser's cookie: only what the conversation established, and the need
/// as the form's list has it.
pub(crate) async fn handoff(
    state: &AppState,
    ready: &Ready,
    headers: &HeaderMap,
) -> Option<(String, Option<osez_core::Specialty>)> {
    let token = cookie_token(headers, state.config.secure_cookies)?;
    let c = ready.store.conversation(&conversation_key(&token), 0).await.ok()??;
    let dialogue: State = serde_json::from_str(&c.state).ok()?;
    let summary = osez_assistant::compose::summary(&dialogue, &state.geo);
    Some((summary, dialogue.specialties.first().copied()))
}
