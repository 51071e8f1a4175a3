//! The assistant: a conversational guide that works out what a business
//! owner needs, asks when the need is vague, and recommends advisers and
//! resources from the directory and the resource centre, every factual
//! sentence taken from a cited record.
//!
//! This crate does no I/O: the records come in as values, and nothing is
//! read or written here. `scrub` removes personal data from what a person
//! typed before anything keeps it; `eval` reads the evaluation set.

pub mod check;
pub mod compose;
mod cues;
pub mod dialogue;
pub mod eval;
pub mod evaluate;
pub mod lexicon;
pub mod llm;
pub mod need;
pub mod place;
pub mod recommend;
pub mod reply;
pub mod scrub;
pub mod semantic;
pub mod trades;
pub mod understand;
pub mod words;
