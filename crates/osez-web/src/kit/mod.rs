//! The shared kit under the features, which knows no feature: errors and
//! page rendering, forms and their guard against robots, sessions and role
//! guards, tokens, limits (per node and shared), the security layers, CSV export, CPU pools, the
//! client of the optional language model, the
//! group commit of votes.
//! Nothing here imports a feature module.

pub(crate) mod antispam;
pub(crate) mod assets;
pub(crate) mod challenge;
pub(crate) mod config;
pub(crate) mod csv_export;
pub(crate) mod error;
pub(crate) mod files;
pub(crate) mod format;
pub(crate) mod forms;
pub(crate) mod guard;
pub(crate) mod limits;
pub(crate) mod llm;
pub(crate) mod memo;
pub(crate) mod page;
pub(crate) mod params;
pub(crate) mod passwords;
pub(crate) mod pool;
pub(crate) mod public_form;
pub(crate) mod security;
pub(crate) mod session;
pub(crate) mod shared_limits;
pub(crate) mod state;
pub(crate) mod tokens;
pub(crate) mod vote_queue;
pub(crate) mod zero_results;
