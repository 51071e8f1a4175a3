//! A reply: sentences, each with the records it cites; the quick replies;
//! the recommendations; the hand-off to a person. Every reply is written
//! by the assistant, an AI, and says so.

use serde::{Deserialize, Serialize};

use crate::recommend::{AdviserPick, ResourcePick};

/// A question the assistant asks to narrow the need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ask {
    /// What to be helped with (a specialty).
    Need,
    /// Where the business is.
    Place,
    /// The trade, for use cases.
    Sector,
}

/// A record a sentence stands on.
#[derive(Debug, Clone, PartialEq)]
pub enum Citation {
    /// Position in the directory engine.
    Adviser(usize),
    /// Position in the resource engine.
    Resource(usize),
    /// A page of Osez that states the facts (the privacy notice), with
    /// what it says that the sentence repeats.
    Page { url: &'static str, title: &'static str, facts: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    pub text: String,
    /// Indexes into [`Reply::citations`].
    pub cites: Vec<usize>,
}

/// How the turn ended, for the evaluation and the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Asked(Ask),
    Recommended,
    /// In scope, but nothing in Osez supports an answer.
    NothingFound,
    /// Out of scope or refused.
    Refused,
    HandedOff,
    DataRights,
    /// Empty or too long: nothing was understood.
    Unreadable,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub sentences: Vec<Sentence>,
    pub citations: Vec<Citation>,
    pub quick_replies: Vec<String>,
    pub advisers: Vec<AdviserPick>,
    pub resources: Vec<ResourcePick>,
    /// A summary of the need for the contact form, when the reply hands
    /// the person over (it is sent only if they choose to).
    pub handoff: Option<String>,
    pub outcome: Outcome,
    /// What the reply may repeat without citing a record: the place the
    /// person named, what the search said of itself ("rayon élargi à 60
    /// km"). The checker lets sentences repeat it.
    pub context: Vec<String>,
}

impl Reply {
    pub fn new(outcome: Outcome) -> Self {
        Self {
            sentences: Vec::new(),
            citations: Vec::new(),
            quick_replies: Vec::new(),
            advisers: Vec::new(),
            resources: Vec::new(),
            handoff: None,
            outcome,
            context: Vec::new(),
        }
    }

    /// A sentence that cites nothing: framing, questions, refusals.
    pub fn say(&mut self, text: impl Into<String>) {
        self.sentences.push(Sentence { text: text.into(), cites: Vec::new() });
    }

    /// A sentence that stands on a record, cited once.
    pub fn cite(&mut self, text: impl Into<String>, citation: Citation) {
        let n = match self.citations.iter().position(|c| *c == citation) {
            Some(n) => n,
            None => {
                self.citations.push(citation);
                self.citations.len() - 1
            }
        };
        self.sentences.push(Sentence { text: text.into(), cites: vec![n] });
    }

    /// The whole text, one sentence after the other; a cited sentence ends
    /// with its citation numbers ("[1]").
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut after_cited = false;
        for s in &self.sentences {
            if !out.is_empty() {
                out.push(if s.cites.is_empty() && !after_cited { ' ' } else { '\n' });
            }
            after_cited = !s.cites.is_empty();
            out.push_str(&s.text);
            for c in &s.cites {
                out.push_str(&format!(" [{}]", c + 1));
            }
        }
        out
    }
}

/// The first words of a conversation: what the assistant is, what it can
/// and cannot do.
pub const DISCLOSURE: &[&str] = &[
    "Je suis l'assistant d'Osez, une intelligence artificielle : mes réponses sont générées automatiquement.",
    "Je cherche pour vous dans l'annuaire des conseillers et dans le centre de ressources, et je ne cite que ce qui s'y trouve ; je ne prends pas de rendez-vous et je ne remplace pas un conseiller.",
    "N'écrivez pas de données personnelles (adresse e-mail, téléphone, numéro de compte) : celles que je reconnais sont retirées avant tout enregistrement.",
];

/// Always offered: a person, through the contact form.
pub const TALK_TO_PERSON: &str = "Parler à une personne";

/// What the privacy notice says of the assistant, conversations being kept
/// `days` days; the page `/mentions-legales` says the same words.
pub fn privacy_facts(days: u32) -> String {
    format!(
        "Les messages envoyés à l'assistant sont conservés {days} jours après le dernier message, puis supprimés. \
         Les adresses e-mail, numéros de téléphone et numéros de compte reconnus en sont retirés avant tout \
         enregistrement. Ils ne servent à entraîner aucune IA et ne sont transmis à personne. Chacun peut effacer \
         sa conversation à tout moment."
    )
}

/// The privacy notice, cited by replies about the person's data.
pub fn privacy_page(days: u32) -> Citation {
    Citation::Page {
        url: "/mentions-legales",
        title: "Mentions légales et données personnelles",
        facts: privacy_facts(days),
    }
}
