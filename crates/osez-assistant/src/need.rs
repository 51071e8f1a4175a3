//! What a person needs, in the closed vocabularies the assistant reasons
//! with: the intent of a message and the slots of a need that are not
//! already vocabularies of `osez-core` (company size, AI maturity).

use serde::{Deserialize, Serialize};

/// What the person wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    FindAdviser,
    FindResource,
    LearnUseCase,
    Precaution,
    TalkToPerson,
    DataRights,
    OutOfScope,
}

impl Intent {
    /// Every intent, in a fixed order.
    pub const ALL: [Intent; 7] = [
        Intent::FindAdviser,
        Intent::FindResource,
        Intent::LearnUseCase,
        Intent::Precaution,
        Intent::TalkToPerson,
        Intent::DataRights,
        Intent::OutOfScope,
    ];
}

/// How big the company is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    /// One person.
    Solo,
    /// 2 to 9 people.
    Tpe,
    /// 10 to 249 people.
    Pme,
}

/// How far along the company is with digital tools and AI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Maturity {
    Debutant,
    EnCours,
    Avance,
}
