//! The optional self-hosted language model reads the slots of a message
//! (each value checked, used only where the rules read nothing) and
//! rewords a reply that recommends (the client, with its deadline and cap,
//! is `kit/llm.rs`); a rewording is shown only if the checker accepts
//! every sentence (`osez_assistant::llm`). A slow, failing or inventive
//! model costs the person nothing but its deadlines (half the configured
//! one for the slots, the whole of it for the rewording): the rules' slots
//! and the template reply stand.

use std::sync::Arc;

use osez_assistant::llm::{self, Rejected};
use osez_assistant::recommend::Catalogue;
use osez_assistant::reply::Reply;
use osez_assistant::understand::Slots;

use crate::kit::state::{AppState, Directory, Library};

/// The slots the model reads in `message` (personal data already removed),
/// checked; `None` without a model, for a short message, or when the
/// model is busy, late or answers something else than the JSON asked for.
pub(crate) async fn extract(state: &AppState, message: &str) -> Option<Slots> {
    let model = state.llm.as_ref()?;
    if message.split_whitespace().count() < llm::MIN_WORDS_FOR_SLOTS {
        return None;
    }
    let request = llm::slots_request(model.model(), message);
    let answer = model.ask_within(&request, model.timeout() / 2).await?;
    let slots = llm::read_slots(&answer, message, &state.geo);
    if slots.is_none() {
        tracing::info!("language model slots unreadable; the rules' slots stand");
    }
    slots
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
    let model = state.llm.as_ref()?;
    if !llm::worth_rewording(reply) {
        return None;
    }
    let text = model.ask(&llm::reword_request(model.model(), reply)).await?;
    let (reply, dir, lib) = (reply.clone(), directory.clone(), library.clone());
    let mut context = vec![message.to_string()];
    context.extend(reply.context.iter().cloned());
    // The check folds the cited records' texts: off the async runtime.
    let checked = state
        .assistant
        .run(move || {
            // The check reads the cited records only: no ranking.
            let catalogue = Catalogue { directory: &dir.engine, resources: &lib.engine, meaning: None };
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
