//! Citizen consultations, as Make.org and Pol.is run them: proposals that
//! begin with "Il faut", votes (agree, disagree, neutral) with an optional
//! qualification, and the results computed from the recorded votes.
//!
//! Everything here is a pure function of its arguments. The results are
//! recomputed from the votes alone (`tally`, `groups`), so the published
//! open data reproduces every figure; the sequences of proposals served to
//! a participant (`sequence`) take their randomness from the caller.

pub mod demo;
pub mod groups;
pub mod polis;
pub mod proposal;
pub mod sequence;
pub mod tally;

use serde::{Deserialize, Serialize};

/// A participant's answer to one proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vote {
    Agree,
    Disagree,
    Neutral,
}

impl Vote {
    pub const ALL: [Vote; 3] = [Vote::Agree, Vote::Disagree, Vote::Neutral];

    pub fn slug(self) -> &'static str {
        match self {
            Vote::Agree => "agree",
            Vote::Disagree => "disagree",
            Vote::Neutral => "neutral",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Vote> {
        Vote::ALL.into_iter().find(|v| v.slug() == slug)
    }

    pub fn label(self) -> &'static str {
        match self {
            Vote::Agree => "D'accord",
            Vote::Disagree => "Pas d'accord",
            Vote::Neutral => "Neutre",
        }
    }

    /// The value Pol.is gives it in its exports and its vote matrix: 1 for
    /// agree, −1 for disagree, 0 for pass.
    pub fn polis_value(self) -> i8 {
        match self {
            Vote::Agree => 1,
            Vote::Disagree => -1,
            Vote::Neutral => 0,
        }
    }

    pub fn from_polis_value(value: i8) -> Option<Vote> {
        match value {
            1 => Some(Vote::Agree),
            -1 => Some(Vote::Disagree),
            0 => Some(Vote::Neutral),
            _ => None,
        }
    }

    /// The qualifications that may follow this vote, in the order shown.
    pub fn qualifications(self) -> [Qualification; 3] {
        match self {
            Vote::Agree => [Qualification::LikeIt, Qualification::Doable, Qualification::PlatitudeAgree],
            Vote::Disagree => [Qualification::NoWay, Qualification::Impossible, Qualification::PlatitudeDisagree],
            Vote::Neutral => [Qualification::DoNotUnderstand, Qualification::NoOpinion, Qualification::DoNotCare],
        }
    }
}

/// The optional second click after a vote, as Make.org asks it. Each
/// belongs to one vote: "banalité" exists on both sides, as two values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualification {
    LikeIt,
    Doable,
    PlatitudeAgree,
    NoWay,
    Impossible,
    PlatitudeDisagree,
    DoNotUnderstand,
    NoOpinion,
    DoNotCare,
}

impl Qualification {
    pub const ALL: [Qualification; 9] = [
        Qualification::LikeIt,
        Qualification::Doable,
        Qualification::PlatitudeAgree,
        Qualification::NoWay,
        Qualification::Impossible,
        Qualification::PlatitudeDisagree,
        Qualification::DoNotUnderstand,
        Qualification::NoOpinion,
        Qualification::DoNotCare,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Qualification::LikeIt => "like_it",
            Qualification::Doable => "doable",
            Qualification::PlatitudeAgree => "platitude_agree",
            Qualification::NoWay => "no_way",
            Qualification::Impossible => "impossible",
            Qualification::PlatitudeDisagree => "platitude_disagree",
            Qualification::DoNotUnderstand => "do_not_understand",
            Qualification::NoOpinion => "no_opinion",
            Qualification::DoNotCare => "do_not_care",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Qualification> {
        Qualification::ALL.into_iter().find(|q| q.slug() == slug)
    }

    pub fn label(self) -> &'static str {
        match self {
            Qualification::LikeIt => "Coup de cœur",
            Qualification::Doable => "Réaliste",
            Qualification::PlatitudeAgree | Qualification::PlatitudeDisagree => "Banalité",
            Qualification::NoWay => "Surtout pas",
            Qualification::Impossible => "Infaisable",
            Qualification::DoNotUnderstand => "Pas compris",
            Qualification::NoOpinion => "Pas d'avis",
            Qualification::DoNotCare => "Indifférent",
        }
    }

    /// The vote this qualification belongs to.
    pub fn vote(self) -> Vote {
        match self {
            Qualification::LikeIt | Qualification::Doable | Qualification::PlatitudeAgree => Vote::Agree,
            Qualification::NoWay | Qualification::Impossible | Qualification::PlatitudeDisagree => Vote::Disagree,
            Qualification::DoNotUnderstand | Qualification::NoOpinion | Qualification::DoNotCare => Vote::Neutral,
        }
    }
}

/// One recorded vote, as the results see it: participants and proposals
/// are dense indexes (`0..n`) chosen by the caller, and only the last
/// vote of a participant on a proposal is given (a changed vote replaces
/// the previous one before it reaches here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CastVote {
    pub participant: u32,
    pub proposal: u32,
    pub vote: Vote,
}
