//! The consultations' pages.

use askama::Template;
use osez_core::consultation::Vote;
use osez_store::{Consultation, Origin};

use crate::kit::antispam::Question;
use crate::kit::format::{format_count, format_date_long};
use crate::kit::page::Base;

/// What every consultation page says of it.
pub struct Head {
    pub slug: String,
    pub title: String,
    pub question: String,
    pub description: String,
    pub is_demo: bool,
    pub open: bool,
    /// "Du 12 juin 2025 au 5 octobre 2025", "Jusqu'au …", "Terminée le …".
    pub when: String,
    pub participants: String,
}

impl Head {
    pub fn new(c: &Consultation, now: i64) -> Head {
        let open = c.is_open(now);
        let when = if open {
            format!("Ouverte jusqu'au {}", format_date_long(c.closes_at))
        } else if now < c.opens_at {
            format!("Ouvrira le {}", format_date_long(c.opens_at))
        } else {
            format!("Du {} au {}", format_date_long(c.opens_at), format_date_long(c.closes_at - 1))
        };
        Head {
            slug: c.slug.clone(),
            title: c.title.clone(),
            question: c.question.clone(),
            description: c.description.clone(),
            is_demo: c.origin == Origin::Demo,
            open,
            when,
            participants: format_count(c.voters.max(0) as usize),
        }
    }
}

#[derive(Template)]
#[template(path = "consultation/index.html")]
pub struct IndexPage {
    pub base: Base,
    pub items: Vec<Head>,
}

/// The proposal to vote on now.
pub struct Current {
    pub id: i64,
    pub text: String,
    pub key: String,
    /// 1-based.
    pub position: usize,
    pub total: usize,
}

/// The proposal just voted on, and the qualifications that may follow.
pub struct Voted {
    pub id: i64,
    pub text: String,
    pub key: String,
    pub vote: &'static str,
    pub vote_label: &'static str,
    /// (slug, label).
    pub qualifications: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "consultation/vote.html")]
pub struct VotePage {
    pub base: Base,
    pub head: Head,
    pub current: Option<Current>,
    pub voted: Option<Voted>,
    /// The sequence's ids, comma-separated, and the position after the
    /// current one.
    pub suite: String,
    pub next: usize,
    /// Nothing left to vote on.
    pub finished: bool,
    pub error: Option<String>,
}

pub fn vote_label(v: Vote) -> &'static str {
    match v {
        Vote::Agree => "Vous êtes d'accord.",
        Vote::Disagree => "Vous n'êtes pas d'accord.",
        Vote::Neutral => "Vous avez voté neutre.",
    }
}

/// A proposal close to the one being written.
pub struct Similar {
    pub text: String,
}

#[derive(Template)]
#[template(path = "consultation/_similar.html")]
pub struct SimilarFragment {
    pub similar: Vec<Similar>,
}

#[derive(Template)]
#[template(path = "consultation/propose.html")]
pub struct ProposePage {
    pub base: Base,
    pub head: Head,
    pub token: String,
    pub question: Question,
    pub honeypot: &'static str,
    pub text: String,
    pub email: String,
    pub max_chars: usize,
    pub similar: Vec<Similar>,
    pub error: Option<String>,
    pub done: bool,
}

/// What a confirmation link carries.
#[derive(Debug, Clone, Default)]
pub struct ConfirmLink {
    pub participant: i64,
    pub expires: i64,
    pub signature: String,
}

/// Where a participant is in confirming their participation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmStep {
    Ask,
    Sent,
    /// A valid link, with the button that confirms.
    Link,
    /// This browser's participant is confirmed.
    Confirmed,
    /// The link confirmed its participant.
    Done,
    /// The link was valid but cannot confirm (see the error).
    Refused,
    Gone,
}

#[derive(Template)]
#[template(path = "consultation/confirm.html")]
pub struct ConfirmPage {
    pub base: Base,
    pub head: Head,
    pub step: ConfirmStep,
    pub token: String,
    pub question: Question,
    pub honeypot: &'static str,
    pub email: String,
    pub error: Option<String>,
    pub link: ConfirmLink,
    /// How long a link can be used.
    pub hours: u64,
}

/// A participant's proposal and its fate.
pub struct Mine {
    pub text: String,
    pub status: &'static str,
    pub reason: Option<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "consultation/mine.html")]
pub struct MinePage {
    pub base: Base,
    pub head: Head,
    pub mine: Vec<Mine>,
}

/// A proposal in the results.
pub struct Row {
    pub text: String,
    pub bar: String,
    pub agree: String,
    pub neutral: String,
    pub disagree: String,
    pub interval: String,
    pub votes: String,
    pub zone: &'static str,
    pub consensus: Option<String>,
}

/// An opinion group.
pub struct GroupView {
    pub number: u32,
    pub size: String,
    pub share: String,
    pub symbol: String,
    pub shape: &'static str,
    /// (text, "d'accord à 92 %").
    pub representative: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "consultation/results.html")]
pub struct ResultsPage {
    pub base: Base,
    pub head: Head,
    pub votes: String,
    /// Voters who confirmed their participation by e-mail, if any.
    pub confirmed: Option<String>,
    pub rows: Vec<Row>,
    pub consensual: Vec<Row>,
    pub controversial: Vec<Row>,
    pub groups: Vec<GroupView>,
    pub scatter: Option<String>,
    pub clustered: String,
    pub groups_note: Option<String>,
    /// Not computed yet (a large consultation's first groups are computed
    /// in the background).
    pub groups_pending: bool,
}
