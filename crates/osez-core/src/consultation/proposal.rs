//! A participant's proposal: its text, checked as it is typed ("Il faut…",
//! 140 characters at most, plain text), where moderation puts it, the
//! reasons of a refusal, and the near-duplicates pointed out to its author
//! while writing.

use serde::{Deserialize, Serialize};

use crate::text::{fold, words};

pub const MAX_CHARS: usize = 140;
pub const PREFIX: &str = "Il faut";
/// Fewer characters after "Il faut" is not yet an idea.
const MIN_IDEA_CHARS: usize = 5;

/// A proposal's text once checked: trimmed, runs of spaces and line
/// breaks made one space, "il faut" written "Il faut".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ProposalText(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("Écrivez votre proposition : elle commence par « Il faut ».")]
    Empty,
    #[error("Une proposition commence par « Il faut ».")]
    Prefix,
    #[error("Complétez votre proposition après « Il faut ».")]
    TooShort,
    #[error("Votre proposition fait {0} caractères : {MAX_CHARS} au plus.")]
    TooLong(usize),
    #[error("Écrivez votre proposition en texte simple, sans balise HTML ni caractère « < » ou « > ».")]
    Markup,
}

impl ProposalText {
    pub fn parse(input: &str) -> Result<ProposalText, TextError> {
        let text = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return Err(TextError::Empty);
        }
        // Checked before the length: someone who pasted a page of HTML
        // learns what is wrong with it, not only that it is long.
        if text.contains(['<', '>']) || text.chars().any(char::is_control) {
            return Err(TextError::Markup);
        }
        let chars = text.chars().count();
        if chars > MAX_CHARS {
            return Err(TextError::TooLong(chars));
        }
        let head: String = text.chars().take(PREFIX.chars().count()).collect();
        if !head.eq_ignore_ascii_case(PREFIX) {
            return Err(TextError::Prefix);
        }
        let rest = &text[PREFIX.len()..];
        if !rest.is_empty() && !rest.starts_with(' ') {
            // "Il fautrait…": not the words "Il faut".
            return Err(TextError::Prefix);
        }
        if rest.trim().chars().filter(|c| c.is_alphanumeric()).count() < MIN_IDEA_CHARS {
            return Err(TextError::TooShort);
        }
        Ok(ProposalText(format!("{PREFIX}{rest}")))
    }

    /// A text recorded before (or imported): taken as it is.
    pub fn from_trusted(text: String) -> ProposalText {
        ProposalText(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Where a proposal stands in moderation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProposalStatus {
    /// Waiting for a moderator.
    Pending,
    /// Served in sequences and counted in the results.
    Accepted,
    Refused,
    /// Set aside for later: neither served nor refused.
    Postponed,
    /// Withdrawn from sequences; its votes stay in the open data.
    Archived,
}

impl ProposalStatus {
    pub const ALL: [ProposalStatus; 5] = [
        ProposalStatus::Pending,
        ProposalStatus::Accepted,
        ProposalStatus::Refused,
        ProposalStatus::Postponed,
        ProposalStatus::Archived,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ProposalStatus::Pending => "pending",
            ProposalStatus::Accepted => "accepted",
            ProposalStatus::Refused => "refused",
            ProposalStatus::Postponed => "postponed",
            ProposalStatus::Archived => "archived",
        }
    }

    pub fn from_slug(slug: &str) -> Option<ProposalStatus> {
        ProposalStatus::ALL.into_iter().find(|s| s.slug() == slug)
    }

    pub fn label(self) -> &'static str {
        match self {
            ProposalStatus::Pending => "En attente de modération",
            ProposalStatus::Accepted => "Acceptée",
            ProposalStatus::Refused => "Refusée",
            ProposalStatus::Postponed => "Reportée",
            ProposalStatus::Archived => "Archivée",
        }
    }

    /// Whether participants may vote on it.
    pub fn is_votable(self) -> bool {
        self == ProposalStatus::Accepted
    }
}

/// Why a moderator refused a proposal; the author is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    Incomprehensible,
    OffTopic,
    Discriminatory,
    Partisan,
    Advertising,
    SeveralIdeas,
    Insulting,
}

impl RefusalReason {
    pub const ALL: [RefusalReason; 7] = [
        RefusalReason::Incomprehensible,
        RefusalReason::OffTopic,
        RefusalReason::Discriminatory,
        RefusalReason::Partisan,
        RefusalReason::Advertising,
        RefusalReason::SeveralIdeas,
        RefusalReason::Insulting,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            RefusalReason::Incomprehensible => "incomprehensible",
            RefusalReason::OffTopic => "off_topic",
            RefusalReason::Discriminatory => "discriminatory",
            RefusalReason::Partisan => "partisan",
            RefusalReason::Advertising => "advertising",
            RefusalReason::SeveralIdeas => "several_ideas",
            RefusalReason::Insulting => "insulting",
        }
    }

    pub fn from_slug(slug: &str) -> Option<RefusalReason> {
        RefusalReason::ALL.into_iter().find(|r| r.slug() == slug)
    }

    pub fn label(self) -> &'static str {
        match self {
            RefusalReason::Incomprehensible => "Incompréhensible",
            RefusalReason::OffTopic => "Hors sujet",
            RefusalReason::Discriminatory => "Discriminatoire",
            RefusalReason::Partisan => "Partisane",
            RefusalReason::Advertising => "Publicitaire",
            RefusalReason::SeveralIdeas => "Plusieurs idées",
            RefusalReason::Insulting => "Injurieuse",
        }
    }

    /// The sentence the author reads.
    pub fn explanation(self) -> &'static str {
        match self {
            RefusalReason::Incomprehensible => {
                "Nous n'avons pas compris l'idée proposée ; reformulez-la plus simplement."
            }
            RefusalReason::OffTopic => "La proposition ne répond pas à la question posée par la consultation.",
            RefusalReason::Discriminatory => {
                "La proposition vise des personnes pour ce qu'elles sont : elle est discriminatoire."
            }
            RefusalReason::Partisan => {
                "La proposition soutient ou attaque un parti, un élu ou un candidat : la consultation reste non partisane."
            }
            RefusalReason::Advertising => {
                "La proposition fait la promotion d'une entreprise, d'un produit ou d'un site."
            }
            RefusalReason::SeveralIdeas => {
                "La proposition contient plusieurs idées : proposez-les séparément, pour que chacune soit votée."
            }
            RefusalReason::Insulting => "La proposition contient des propos injurieux.",
        }
    }
}

/// Words that say nothing of an idea: "Il faut", articles, and the most
/// common verbs of a proposal.
const EMPTY_WORDS: &[&str] = &[
    "il", "faut", "a", "au", "aux", "avec", "c", "ce", "ces", "est", "d", "dans", "de", "des", "du", "en", "et", "l",
    "la", "le", "les", "leur", "leurs", "n", "ne", "ou", "par", "pas", "plus", "pour", "qu", "que", "qui", "s", "sa",
    "se", "ses", "son", "sur", "un", "une", "tout", "tous", "toute", "toutes", "mieux", "faire", "mettre", "rendre",
];

/// A crude French stem: the first six letters. Enough to bring together
/// "former", "formation" and "formations", and cheap enough to run over
/// every accepted proposal at each keystroke; a stemmer would merge fewer
/// forms of the same idea.
fn stems(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut out: Vec<String> =
        words(&folded).filter(|w| !EMPTY_WORDS.contains(w)).map(|w| w.chars().take(6).collect()).collect();
    out.sort();
    out.dedup();
    out
}

/// How close two proposals are, from 0 to 1: the Jaccard index of their
/// stems, "Il faut" and empty words left out.
pub fn similarity(a: &str, b: &str) -> f64 {
    jaccard(&stems(a), &stems(b))
}

fn jaccard(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.iter().filter(|s| b.binary_search(s).is_ok()).count();
    common as f64 / (a.len() + b.len() - common) as f64
}

/// Above this, a proposal is pointed out as possibly the same idea.
pub const NEAR_DUPLICATE: f64 = 0.4;

/// The indexes of `others` close to `draft`, the closest first (at most
/// `limit`): shown to the author while writing, so that they vote for an
/// idea already there instead of writing it again.
pub fn near_duplicates<'a>(draft: &str, others: impl IntoIterator<Item = &'a str>, limit: usize) -> Vec<(usize, f64)> {
    NearIndex::new(others).find(draft, limit)
}

/// The stems of many proposals, computed once: looking a draft up costs
/// its own stems and a comparison per proposal, so that hints can follow
/// the author's typing over thousands of proposals.
#[derive(Debug, Clone, Default)]
pub struct NearIndex {
    stems: Vec<Vec<String>>,
}

impl NearIndex {
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> NearIndex {
        NearIndex { stems: texts.into_iter().map(stems).collect() }
    }

    /// The indexes of the proposals close to `draft`, the closest first.
    pub fn find(&self, draft: &str, limit: usize) -> Vec<(usize, f64)> {
        let mine = stems(draft);
        let mut hits: Vec<(usize, f64)> = self
            .stems
            .iter()
            .enumerate()
            .map(|(i, other)| (i, jaccard(&mine, other)))
            .filter(|&(_, score)| score >= NEAR_DUPLICATE)
            .collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.truncate(limit);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proposal_begins_with_il_faut_and_fits_in_140_characters() {
        let ok = ProposalText::parse("  il faut   former les jeunes\n aux usages de l'IA ").unwrap();
        assert_eq!(ok.as_str(), "Il faut former les jeunes aux usages de l'IA");
        assert_eq!(ProposalText::parse(""), Err(TextError::Empty));
        assert_eq!(ProposalText::parse(" \n "), Err(TextError::Empty));
        assert_eq!(ProposalText::parse("Former les jeunes"), Err(TextError::Prefix));
        assert_eq!(ProposalText::parse("Il fautrait former"), Err(TextError::Prefix));
        assert_eq!(ProposalText::parse("Il faut"), Err(TextError::TooShort));
        assert_eq!(ProposalText::parse("Il faut !!"), Err(TextError::TooShort));

        let exactly = format!("Il faut {}", "a".repeat(MAX_CHARS - 8));
        assert_eq!(exactly.chars().count(), 140);
        assert!(ProposalText::parse(&exactly).is_ok());
        let over = format!("{exactly}é");
        assert_eq!(ProposalText::parse(&over), Err(TextError::TooLong(141)));
        // Characters, not bytes: 140 accented letters fit.
        let accents = format!("Il faut {}", "é".repeat(MAX_CHARS - 8));
        assert!(ProposalText::parse(&accents).is_ok());
    }

    #[test]
    fn html_is_refused_with_its_own_message() {
        assert_eq!(ProposalText::parse("Il faut <b>former</b> les jeunes"), Err(TextError::Markup));
        assert_eq!(ProposalText::parse("Il faut <script>alert(1)</script>"), Err(TextError::Markup));
        assert_eq!(ProposalText::parse("Il faut que 3 > 2"), Err(TextError::Markup));
        let long_html = format!("Il faut <p>{}</p>", "x".repeat(300));
        assert_eq!(ProposalText::parse(&long_html), Err(TextError::Markup));
        assert_eq!(ProposalText::parse("Il faut former\u{0}les jeunes"), Err(TextError::Markup));
        assert!(TextError::Markup.to_string().contains("HTML"));
    }

    #[test]
    fn near_duplicates_find_the_same_idea_in_other_words() {
        let accepted = [
            "Il faut éduquer les jeunes aux usages et aux enjeux de l'IA",
            "Il faut rendre obligatoire la signalisation de l'utilisation de l'IA",
            "Il faut protéger les données personnelles face à l'IA",
        ];
        let hits = near_duplicates("Il faut éduquer les jeunes aux enjeux de l'IA", accepted, 3);
        assert_eq!(hits.first().map(|h| h.0), Some(0));
        assert_eq!(hits.len(), 1, "{hits:?}");
        let hits = near_duplicates("il faut signaler l'utilisation de l'IA, c'est obligatoire", accepted, 3);
        assert_eq!(hits.first().map(|h| h.0), Some(1), "{hits:?}");
        assert!(near_duplicates("Il faut planter des arbres en ville", accepted, 3).is_empty());
        assert!(near_duplicates("Il faut", accepted, 3).is_empty());
        assert_eq!(similarity("Il faut former", "Il faut former"), 1.0);
    }

    #[test]
    fn slugs_go_both_ways() {
        for s in ProposalStatus::ALL {
            assert_eq!(ProposalStatus::from_slug(s.slug()), Some(s));
        }
        for r in RefusalReason::ALL {
            assert_eq!(RefusalReason::from_slug(r.slug()), Some(r));
            assert!(r.explanation().ends_with('.'));
        }
    }
}
