//! The optional self-hosted language model rewords a reply that
//! recommends (the client, with its deadline and cap, is `kit/llm.rs`); its
//! answer is shown only if the checker accepts every sentence
//! (`osez_assistant::llm`). A slow, failing or inventive model costs the
//! person nothing but the deadline: the template reply stands.

use std::sync::Arc;

use osez_assistant::llm::{self, Rejected};
use osez_assistant::recommend::Catalogue;
use osez_assistant::reply::Reply;

use crate::kit::state::{AppState, Directory, Library};

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
