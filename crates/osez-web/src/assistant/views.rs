//! What a reply shows, kept with the conversation (the records as they
//! were when cited), and the assistant's page.

use askama::Template;
use osez_assistant::reply::{Citation, Outcome, Reply};
use serde::{Deserialize, Serialize};

use crate::kit::page::Base;
use crate::kit::state::{Directory, Library};

/// A record cited by a reply.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CitationView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SentenceView {
    pub text: String,
    /// Numbers (from 1) of the citations it stands on.
    pub cites: Vec<usize>,
}

/// An adviser or a resource recommended, as the page lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PickView {
    pub id: String,
    pub title: String,
    pub url: String,
    pub why: String,
    pub is_demo: bool,
}

/// A reply as the page shows it and the conversation keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ReplyView {
    pub text: String,
    pub sentences: Vec<SentenceView>,
    pub citations: Vec<CitationView>,
    pub quick_replies: Vec<String>,
    pub advisers: Vec<PickView>,
    pub resources: Vec<PickView>,
    pub handoff: Option<String>,
    pub outcome: String,
    /// Reworded by the language model (and accepted by the checker).
    #[serde(default)]
    pub reworded: bool,
}

fn outcome_slug(o: Outcome) -> &'static str {
    match o {
        Outcome::Asked(_) => "asked",
        Outcome::Recommended => "recommended",
        Outcome::NothingFound => "nothing_found",
        Outcome::Refused => "refused",
        Outcome::HandedOff => "handed_off",
        Outcome::DataRights => "data_rights",
        Outcome::Unreadable => "unreadable",
    }
}

impl ReplyView {
    pub(crate) fn new(reply: &Reply, directory: &Directory, library: &Library) -> Self {
        let advisers = directory.engine.advisers();
        let resources = library.engine.resources();
        let citations = reply
            .citations
            .iter()
            .map(|c| match c {
                Citation::Adviser(ord) => {
                    let a = &advisers[*ord];
                    CitationView {
                        id: a.id.as_str().to_string(),
                        kind: "adviser".into(),
                        title: a.name.clone(),
                        url: format!("/conseillers/{}", a.id),
                    }
                }
                Citation::Resource(ord) => {
                    let r = &resources[*ord];
                    CitationView {
                        id: r.slug.clone(),
                        kind: "resource".into(),
                        title: r.content.title.clone(),
                        url: format!("/ressources/{}", r.slug),
                    }
                }
                Citation::Page { url, title, .. } => CitationView {
                    id: url.trim_start_matches('/').to_string(),
                    kind: "page".into(),
                    title: title.to_string(),
                    url: url.to_string(),
                },
            })
            .collect();
        ReplyView {
            text: reply.text(),
            sentences: reply
                .sentences
                .iter()
                .map(|s| SentenceView { text: s.text.clone(), cites: s.cites.iter().map(|c| c + 1).collect() })
                .collect(),
            citations,
            quick_replies: reply.quick_replies.clone(),
            advisers: reply
                .advisers
                .iter()
                .map(|p| {
                    let a = &advisers[p.ord];
                    PickView {
                        id: a.id.as_str().to_string(),
                        title: a.name.clone(),
                        url: format!("/conseillers/{}", a.id),
                        why: p.why.clone(),
                        is_demo: a.is_demo,
                    }
                })
                .collect(),
            resources: reply
                .resources
                .iter()
                .map(|p| {
                    let r = &resources[p.ord];
                    PickView {
                        id: r.slug.clone(),
                        title: r.content.title.clone(),
                        url: format!("/ressources/{}", r.slug),
                        why: p.why.clone(),
                        is_demo: r.is_demo,
                    }
                })
                .collect(),
            handoff: reply.handoff.clone(),
            outcome: outcome_slug(reply.outcome).into(),
            reworded: false,
        }
    }

    /// The url of a citation, by its number.
    pub fn cited(&self, n: &usize) -> Option<&CitationView> {
        self.citations.get(n.wrapping_sub(1))
    }
}

/// One message of the conversation shown.
pub(crate) struct MessageView {
    /// What the person wrote, personal data removed.
    pub person: Option<String>,
    pub reply: Option<ReplyView>,
}

#[derive(Template)]
#[template(path = "assistant/assistant.html")]
pub(crate) struct AssistantPage {
    pub base: Base,
    pub token: String,
    pub erase_token: String,
    pub messages: Vec<MessageView>,
    pub error: Option<String>,
    /// What the person had typed, when it was refused.
    pub draft: String,
    pub erased: bool,
    pub disclosure: &'static [&'static str],
    pub max_chars: usize,
    /// Messages kept for 30 days.
    pub retention_days: u32,
}
