//! The optional self-hosted language model: one HTTP exchange per reply
//! that recommends, under a deadline on the whole exchange and a cap on
//! how many run at once; its answer is shown only if the checker accepts
//! every sentence (`osez_assistant::llm`). A slow, failing or inventive
//! model costs the person nothing but the deadline: the template reply
//! stands.

use std::sync::Arc;
use std::time::Duration;

use osez_assistant::llm::{self, Rejected};
use osez_assistant::recommend::Catalogue;
use osez_assistant::reply::Reply;
use tokio::sync::Semaphore;

use crate::kit::config::LlmConfig;
use crate::kit::state::{AppState, Directory, Library};

/// Exchanges with the model at once; a reply that finds them all busy is
/// shown as its template at once.
const AT_ONCE: usize = 4;

/// Largest answer body read, in bytes.
const MAX_BODY: usize = 64 * 1024;

/// The client, built once.
pub(crate) struct Model {
    config: LlmConfig,
    client: reqwest::Client,
    slots: Semaphore,
}

impl Model {
    pub(crate) fn new(config: &LlmConfig) -> Option<Model> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(2)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| tracing::warn!(error = %e, "language model client not built; replies stay templates"))
            .ok()?;
        Some(Model { config: config.clone(), client, slots: Semaphore::new(AT_ONCE) })
    }

    /// The model's text for `reply`, or `None` (busy, late, failed).
    async fn ask(&self, reply: &Reply) -> Option<String> {
        let _slot = self.slots.try_acquire().ok()?;
        let request = llm::reword_request(&self.config.model, reply);
        let url = format!("{}/chat/completions", self.config.base_url.trim_end_matches('/'));
        let exchange = async {
            let body = serde_json::to_vec(&request).ok()?;
            let mut req = self.client.post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
            if let Some(key) = &self.config.api_key {
                req = req.bearer_auth(key);
            }
            let mut res = match req.send().await {
                Ok(res) => res,
                Err(e) => {
                    tracing::warn!(error = %e, "language model unreachable; template reply shown");
                    return None;
                }
            };
            if !res.status().is_success() {
                tracing::warn!(status = %res.status(), "language model refused; template reply shown");
                return None;
            }
            let mut body = Vec::new();
            while let Some(chunk) = res.chunk().await.ok().flatten() {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_BODY {
                    return None;
                }
            }
            llm::answer_text(&String::from_utf8_lossy(&body))
        };
        // The client's timeout covers the exchange; this one covers the
        // body read too, whatever the client does.
        match tokio::time::timeout(self.config.timeout, exchange).await {
            Ok(answer) => answer,
            Err(_) => {
                tracing::warn!(
                    timeout_ms = self.config.timeout.as_millis() as u64,
                    "language model too slow; template reply shown"
                );
                None
            }
        }
    }
}

/// `reply` reworded by the model when one is configured, the reply
/// recommends, and the checker accepts the rewording; else `None`.
pub(crate) async fn reword(
    state: &AppState,
    reply: &Reply,
    message: &str,
    directory: &Arc<Directory>,
    library: &Arc<Library>,
) -> Option<Reply> {
    let model = state.model.as_ref()?;
    if !llm::worth_rewording(reply) {
        return None;
    }
    let text = model.ask(reply).await?;
    let (reply, dir, lib) = (reply.clone(), directory.clone(), library.clone());
    let mut context = vec![message.to_string()];
    context.extend(reply.context.iter().cloned());
    // The check folds the cited records' texts: off the async runtime.
    let checked = state
        .assistant
        .run(move || {
            let catalogue = Catalogue { directory: &dir.engine, resources: &lib.engine };
            llm::accept_rewording(&reply, &text, catalogue, &context)
        })
        .await
        .ok()?;
    match checked {
        Ok(r) => Some(r),
        Err(why) => {
            let why = match why {
                Rejected::Unsupported(claim) => format!("unsupported claim « {claim} »"),
                other => format!("{other:?}"),
            };
            tracing::info!(why, "language model rewording refused by the checker; template reply shown");
            None
        }
    }
}
