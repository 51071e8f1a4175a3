//! The search engine of Osez, built on tantivy.
//!
//! A query is parsed into a place, intents (kind of adviser, remote) and
//! words ([`query`]); each word is expanded into index terms weighted by
//! edit distance (typos) and prefix (search as you type), scored with BM25
//! by tantivy, and the words are intersected here, over an in-memory copy of
//! the directory that also serves the filters, distances and facets. When
//! nothing matches, the request is relaxed step by step and each step is
//! reported ([`Relaxation`]).
//!
//! Rejected: tantivy's `FuzzyTermQuery`, which scores a two-typo match like
//! an exact one (tantivy issue #563); a query-time OR of all words, which
//! ranks well but cannot say which word it ignored.

pub mod analysis;
mod collect;
mod engine;
mod index;
mod lexicon;
pub mod query;
mod resources;
mod results;
mod terms;

pub use engine::Engine;
pub use index::tags_text;
pub use resources::{ResourceEngine, ResourceFacets, ResourceHit, ResourceRequest, ResourceResults};
pub use results::{FacetValue, Facets, Hit, PlaceInfo, Relaxation, SearchRequest, SearchResults};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    OpenDirectory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index files: {0}")]
    Io(String),
}
