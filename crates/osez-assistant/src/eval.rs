//! The evaluation set (`eval/cases.toml`), read into typed cases: each
//! request with what the assistant should make of it. The values are the
//! closed vocabularies of `osez-core`, so a case that names a specialty or
//! a theme that does not exist fails to load.

use osez_core::resource::{ResourceType, Theme};
use osez_core::{Kind, Sector, Specialty};
use serde::Deserialize;

pub use crate::need::{Intent, Maturity, Size};

/// The evaluation set shipped with the crate, that the lexicon was
/// written against.
pub const CASES: &str = include_str!("../eval/cases.toml");

/// A held-out set written separately from the lexicon (by another author,
/// without reading it). It was unseen for the first measurement; the
/// lexicon's gaps it showed were then filled, so it is no longer unseen.
pub const HELDOUT: &str = include_str!("../eval/heldout.toml");

/// A second held-out set, written later by another author who read neither
/// the lexicon nor the first held-out set. Its first measurement is the
/// honest figure of how the assistant generalises (docs/BENCHMARKS.md);
/// the gaps it showed were then filled.
pub const FRESH: &str = include_str!("../eval/fresh.toml");

/// A third held-out set, written like the second; measured once
/// (docs/BENCHMARKS.md), then used like the others.
pub const UNSEEN: &str = include_str!("../eval/unseen.toml");

/// A fourth held-out set, measured once before and once after the
/// embeddings came (docs/BENCHMARKS.md), then used like the others.
pub const UNSEEN2: &str = include_str!("../eval/unseen2.toml");

/// The labelled requests the semantic matcher compares messages with:
/// every set already measured. A set kept for a first measurement is never
/// among them.
pub const EXEMPLARS: &[&str] = &[CASES, HELDOUT, FRESH, UNSEEN, UNSEEN2];

/// The sets shipped, by name.
pub const SETS: &[(&str, &str)] = &[("cases", CASES), ("heldout", HELDOUT), ("fresh", FRESH)];

/// The kind of request a case stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Clear,
    Vague,
    Unanswerable,
    Adversarial,
    TypoSpoken,
}

/// What a request states (or, in a profile, what the person would answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedSlots {
    /// A commune, a postal code or a department, as it should be resolved.
    pub place: Option<String>,
    pub sector: Option<Sector>,
    pub specialty: Option<Specialty>,
    pub size: Option<Size>,
    pub remote: Option<bool>,
    pub maturity: Option<Maturity>,
    pub kind: Option<Kind>,
}

/// What an acceptable recommendation satisfies: constraints, never ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptable {
    #[serde(default)]
    pub adviser_specialty: Vec<Specialty>,
    #[serde(default)]
    pub adviser_sector: Vec<Sector>,
    #[serde(default)]
    pub resource_theme: Vec<Theme>,
    #[serde(default)]
    pub resource_type: Vec<ResourceType>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub category: Category,
    pub text: String,
    pub intent: Intent,
    pub question_needed: bool,
    #[serde(default)]
    pub slots: ExpectedSlots,
    /// Absent when nothing should be recommended.
    pub acceptable: Option<Acceptable>,
    /// Vague cases: the hidden profile a scripted user answers from.
    pub profile: Option<ExpectedSlots>,
}

#[derive(Debug, Deserialize)]
struct File {
    case: Vec<Case>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EvalError {
    #[error("the evaluation set does not read: {0}")]
    Unreadable(String),
    #[error("case {0} appears twice")]
    Duplicate(String),
    #[error("case {0}: its id does not begin with its category")]
    Misfiled(String),
    #[error("case {0}: a vague request needs a question and a hidden profile")]
    VagueWithoutProfile(String),
}

fn category_prefix(c: Category) -> &'static str {
    match c {
        Category::Clear => "clear-",
        Category::Vague => "vague-",
        Category::Unanswerable => "unanswerable-",
        Category::Adversarial => "adversarial-",
        Category::TypoSpoken => "typo_spoken-",
    }
}

/// Reads and checks an evaluation set.
pub fn load(text: &str) -> Result<Vec<Case>, EvalError> {
    let file: File = toml::from_str(text).map_err(|e| EvalError::Unreadable(e.to_string()))?;
    let mut seen = std::collections::HashSet::new();
    for c in &file.case {
        if !seen.insert(c.id.as_str()) {
            return Err(EvalError::Duplicate(c.id.clone()));
        }
        if !c.id.starts_with(category_prefix(c.category)) {
            return Err(EvalError::Misfiled(c.id.clone()));
        }
        if c.category == Category::Vague && (!c.question_needed || c.profile.is_none()) {
            return Err(EvalError::VagueWithoutProfile(c.id.clone()));
        }
    }
    Ok(file.case)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_set_loads_and_covers_every_kind_of_request() {
        let cases = load(CASES).unwrap();
        assert!(cases.len() >= 120, "{} cases", cases.len());
        let count = |c: Category| cases.iter().filter(|k| k.category == c).count();
        assert!(count(Category::Clear) >= 40);
        assert!(count(Category::Vague) >= 30);
        assert!(count(Category::Unanswerable) >= 10);
        assert!(count(Category::Adversarial) >= 10);
        assert!(count(Category::TypoSpoken) >= 15);
        for intent in Intent::ALL {
            assert!(cases.iter().any(|c| c.intent == intent), "{intent:?}");
        }
        // Nothing to recommend for what is out of scope.
        assert!(cases.iter().filter(|c| c.intent == Intent::OutOfScope).all(|c| c.acceptable.is_none()));
    }

    #[test]
    fn a_bad_set_is_refused_with_its_reason() {
        let one = "[[case]]\nid = \"clear-1\"\ncategory = \"clear\"\ntext = \"x\"\nintent = \"find_adviser\"\nquestion_needed = false\n";
        assert_eq!(load(one).unwrap().len(), 1);
        assert_eq!(load(&format!("{one}{one}")), Err(EvalError::Duplicate("clear-1".into())));
        let misfiled = one.replace("category = \"clear\"", "category = \"vague\"");
        assert_eq!(load(&misfiled), Err(EvalError::Misfiled("clear-1".into())));
        let unknown = one.replace("find_adviser", "find_a_unicorn");
        assert!(matches!(load(&unknown), Err(EvalError::Unreadable(_))));
        let bad_value = format!("{one}[case.slots]\nspecialty = \"blockchain\"\n");
        assert!(matches!(load(&bad_value), Err(EvalError::Unreadable(_))));
        let vague = "[[case]]\nid = \"vague-1\"\ncategory = \"vague\"\ntext = \"x\"\nintent = \"find_adviser\"\nquestion_needed = true\n";
        assert_eq!(load(vague), Err(EvalError::VagueWithoutProfile("vague-1".into())));
    }
}
