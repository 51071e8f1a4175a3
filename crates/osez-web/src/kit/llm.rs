//! The client of the optional self-hosted language model (OpenAI-compatible
//! chat completions): one exchange under a deadline on the whole of it, a
//! cap on how many run at once (no queue: a request that finds them all
//! busy gets `None` at once), a cap on the body read. It knows no feature:
//! what is asked and what is done with the answer are the caller's.

use std::time::Duration;

use osez_assistant::llm::{self, ChatRequest};
use tokio::sync::Semaphore;

use crate::kit::config::LlmConfig;

/// Exchanges with the model at once; a reply that finds them all busy is
/// shown as its template at once.
const AT_ONCE: usize = 4;

/// Largest answer body read, in bytes.
const MAX_BODY: usize = 64 * 1024;

/// The client, built once.
pub(crate) struct LlmClient {
    config: LlmConfig,
    client: reqwest::Client,
    slots: Semaphore,
}

impl LlmClient {
    pub(crate) fn new(config: &LlmConfig) -> Option<LlmClient> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(2)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| tracing::warn!(error = %e, "language model client not built; replies stay templates"))
            .ok()?;
        Some(LlmClient { config: config.clone(), client, slots: Semaphore::new(AT_ONCE) })
    }

    /// The model's name, as its server knows it.
    pub(crate) fn model(&self) -> &str {
        &self.config.model
    }

    /// The configured deadline of one exchange.
    pub(crate) fn timeout(&self) -> Duration {
        self.config.timeout
    }

    /// The model's text for `request`, or `None` (busy, late, failed).
    pub(crate) async fn ask(&self, request: &ChatRequest) -> Option<String> {
        self.ask_within(request, self.config.timeout).await
    }

    /// The same under a shorter deadline (`limit`, at most the configured
    /// one).
    pub(crate) async fn ask_within(&self, request: &ChatRequest, limit: Duration) -> Option<String> {
        let limit = limit.min(self.config.timeout);
        let _slot = self.slots.try_acquire().ok()?;
        let url = format!("{}/chat/completions", self.config.base_url.trim_end_matches('/'));
        let exchange = async {
            let body = serde_json::to_vec(request).ok()?;
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
        match tokio::time::timeout(limit, exchange).await {
            Ok(answer) => answer,
            Err(_) => {
                tracing::warn!(timeout_ms = limit.as_millis() as u64, "language model too slow; template reply shown");
                None
            }
        }
    }
}
