//! The dialogue policy: from the state of a conversation and a new
//! message, the next state and the reply. It asks at most two questions,
//! each about what best splits the candidates, never asks again what it
//! was told, accepts "peu importe", and then recommends from the records,
//! or says plainly that nothing in Osez answers and offers a person.

use std::collections::HashMap;

use osez_core::geo::Place;
use osez_core::resource::ResourceType;
use osez_core::{Geography, Kind, Sector, Specialty};
use serde::{Deserialize, Serialize};

use crate::need::{Intent, Maturity, Size};
use crate::recommend::{Catalogue, Need};
use crate::reply::{Ask, Reply};
use crate::scrub::scrub;
use crate::understand::{Reader, Slots, Understanding};
use crate::{compose, words::Language};

/// Longest message read, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// Most clarifying questions in one conversation.
pub const MAX_QUESTIONS: usize = 2;

/// A place as a conversation keeps it: codes that outlive a new build of
/// the geography, unlike positions in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlaceRef {
    Commune { insee: String },
    PostalCode { insee: String, code: u32 },
    Department { code: String },
    Region { code: String },
}

impl PlaceRef {
    pub fn new(geo: &Geography, place: Place) -> Self {
        match place {
            Place::Commune(i) => PlaceRef::Commune { insee: geo.communes[i].insee.clone() },
            Place::PostalCode(i, code) => PlaceRef::PostalCode { insee: geo.communes[i].insee.clone(), code },
            Place::Department(d) => PlaceRef::Department { code: geo.departments[d].code.clone() },
            Place::Region(r) => PlaceRef::Region { code: geo.regions[r].code.clone() },
        }
    }

    pub fn resolve(&self, geo: &Geography) -> Option<Place> {
        match self {
            PlaceRef::Commune { insee } => geo.commune_index(insee).map(Place::Commune),
            PlaceRef::PostalCode { insee, code } => geo.commune_index(insee).map(|i| Place::PostalCode(i, *code)),
            PlaceRef::Department { code } => {
                geo.departments.iter().position(|d| d.code == *code).map(Place::Department)
            }
            PlaceRef::Region { code } => geo.regions.iter().position(|r| r.code == *code).map(Place::Region),
        }
    }
}

/// What a conversation has established so far. Kept between turns; holds
/// no text the person typed beyond the folded words of the need.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub intent: Option<Intent>,
    pub place: Option<PlaceRef>,
    #[serde(default)]
    pub specialties: Vec<Specialty>,
    pub sector: Option<Sector>,
    pub size: Option<Size>,
    pub remote: Option<bool>,
    pub maturity: Option<Maturity>,
    pub kind: Option<Kind>,
    pub resource_type: Option<ResourceType>,
    /// Words of the need, for the resource search.
    #[serde(default)]
    pub words: Vec<String>,
    #[serde(default)]
    pub asked: Vec<Ask>,
    /// Questions answered "peu importe".
    #[serde(default)]
    pub waived: Vec<Ask>,
    /// The question the next message answers.
    pub pending: Option<Ask>,
    #[serde(default)]
    pub turns: u32,
}

impl State {
    pub fn need(&self, geo: &Geography) -> Need {
        Need {
            place: self.place.as_ref().and_then(|p| p.resolve(geo)),
            specialties: self.specialties.clone(),
            sector: self.sector,
            kind: self.kind,
            remote: self.remote,
            resource_type: self
                .resource_type
                .or((self.intent == Some(Intent::LearnUseCase)).then_some(ResourceType::CasUsage)),
            words: self.words.clone(),
        }
    }
}

/// One turn: the new state, the reply, and the message as it may be kept
/// (personal data removed).
pub struct Turn {
    pub state: State,
    pub reply: Reply,
    pub kept_message: String,
    /// Kinds of personal data removed from the message, in French.
    pub removed: Vec<&'static str>,
    pub language: Language,
}

/// Answers one message.
pub fn respond(state: &State, message: &str, reader: &Reader, catalogue: Catalogue<'_>) -> Turn {
    respond_with(state, message, reader, catalogue, None)
}

/// Answers one message, with slots the language model read in it
/// (`llm::read_slots`): each fills only a slot the rules left empty.
pub fn respond_with(
    state: &State,
    message: &str,
    reader: &Reader,
    catalogue: Catalogue<'_>,
    extracted: Option<&Slots>,
) -> Turn {
    let scrubbed = scrub(message);
    let removed: Vec<&'static str> = scrubbed.removed.iter().map(|p| p.marker()).collect();
    let text = scrubbed.text.trim().to_string();
    let first = state.turns == 0;
    let mut next = state.clone();
    next.turns += 1;
    if text.is_empty() || text.chars().count() > MAX_MESSAGE_CHARS {
        let reply = compose::unreadable(first, text.chars().count());
        return Turn { state: next, reply, kept_message: String::new(), removed, language: Language::French };
    }
    let mut u = reader.understand(&text);
    if let Some(x) = extracted {
        fill(&mut u, x);
    }
    merge(&mut next, &u, &text, reader.geography());
    let reply = decide(&mut next, &u, first, reader, catalogue);
    Turn { state: next, reply, kept_message: text, removed, language: u.language }
}

/// The model's slots where the rules read none.
fn fill(u: &mut Understanding, x: &Slots) {
    let s = &mut u.slots;
    s.place = s.place.or(x.place);
    s.sector = s.sector.or(x.sector);
    s.size = s.size.or(x.size);
    s.remote = s.remote.or(x.remote);
    s.maturity = s.maturity.or(x.maturity);
    s.kind = s.kind.or(x.kind);
    if u.specialties.is_empty()
        && let Some(sp) = x.specialty
    {
        s.specialty = Some(sp);
        u.specialties.push(sp);
    }
    if s.place.is_some() {
        u.unknown_place = None;
    }
}

/// Folds what a message says into the state.
fn merge(state: &mut State, u: &Understanding, text: &str, geo: &Geography) {
    let answering = state.pending.take();
    let switch = matches!(u.intent, Intent::TalkToPerson | Intent::DataRights | Intent::OutOfScope) && u.cued;
    if switch || state.intent.is_none() || (answering.is_none() && u.cued) {
        state.intent = Some(u.intent);
    }
    let mut place = u.slots.place;
    let mut specialties = u.specialties.clone();
    if let Some(ask) = answering {
        if u.any {
            state.waived.push(ask);
            if ask == Ask::Place {
                state.remote = Some(true);
            }
        }
        // A quick reply is a label, a place typed alone is a name.
        match ask {
            Ask::Need => {
                if let Some(s) = Specialty::ALL.iter().find(|s| fold_eq(s.label(), text)) {
                    specialties = vec![*s];
                }
            }
            Ask::Place if place.is_none() => place = geo.resolve(text),
            Ask::Sector => {
                if let Some(s) = Sector::ALL.iter().find(|s| fold_eq(s.label(), text)) {
                    state.sector = Some(*s);
                }
            }
            _ => {}
        }
    }
    if let Some(p) = place {
        state.place = Some(PlaceRef::new(geo, p));
    }
    if !specialties.is_empty() {
        state.specialties = specialties;
        state.words = u.topic_words.clone();
    } else if state.words.len() < osez_search::query::MAX_WORDS {
        state.words.extend(u.topic_words.iter().cloned());
        state.words.truncate(osez_search::query::MAX_WORDS);
    }
    let s = &u.slots;
    state.sector = s.sector.or(state.sector);
    state.size = s.size.or(state.size);
    state.remote = s.remote.or(state.remote);
    state.maturity = s.maturity.or(state.maturity);
    state.kind = s.kind.or(state.kind);
    state.resource_type = u.resource_type.or(state.resource_type);
}

fn fold_eq(a: &str, b: &str) -> bool {
    osez_core::text::fold(a) == osez_core::text::fold(b)
}

fn decide(state: &mut State, u: &Understanding, first: bool, reader: &Reader, catalogue: Catalogue<'_>) -> Reply {
    let geo = reader.geography();
    let reader_retention = reader.retention_days;
    let intent = state.intent.unwrap_or(Intent::FindAdviser);
    let mut reply = match intent {
        Intent::OutOfScope => compose::refusal(u),
        Intent::TalkToPerson => compose::handoff(state, geo),
        Intent::DataRights => compose::data_rights(reader_retention),
        _ if state.place.is_none() && u.unknown_place.is_some() => compose::unknown_place(u),
        _ if state.specialties.is_empty() && u.unknown_topic.is_some() => compose::unknown_topic(u),
        _ => match next_question(state, intent, catalogue) {
            Some((ask, options)) => {
                state.asked.push(ask);
                state.pending = Some(ask);
                compose::question(ask, options, state, geo)
            }
            None => compose::recommendations(state, intent, u, catalogue),
        },
    };
    compose::frame(&mut reply, u, first);
    if reply.handoff.is_none() {
        reply.handoff = Some(compose::summary(state, geo));
    }
    reply
}

/// The question to ask, if any, with its quick replies: among the slots
/// still unknown that the intent needs, the one whose values split the
/// candidate advisers most evenly (Gini impurity), weighted by how much it
/// matters for the intent.
fn next_question(state: &State, intent: Intent, catalogue: Catalogue<'_>) -> Option<(Ask, Vec<String>)> {
    if state.asked.len() >= MAX_QUESTIONS {
        return None;
    }
    let open = |a: Ask| !state.asked.contains(&a) && !state.waived.contains(&a);
    let mut needed: Vec<(Ask, f64)> = Vec::new();
    if state.specialties.is_empty() && state.kind != Some(Kind::AmbassadeurIa) && open(Ask::Need) {
        needed.push((Ask::Need, 1.0));
    }
    if intent == Intent::FindAdviser && state.place.is_none() && state.remote != Some(true) && open(Ask::Place) {
        needed.push((Ask::Place, 0.8));
    }
    if intent == Intent::LearnUseCase && state.sector.is_none() && open(Ask::Sector) {
        needed.push((Ask::Sector, 0.9));
    }
    if needed.is_empty() {
        return None;
    }
    let geo = catalogue.geography();
    let need = state.need(geo);
    let candidates: Vec<&osez_core::Adviser> = catalogue
        .directory
        .advisers()
        .iter()
        .filter(|a| need.kind.is_none_or(|k| a.kind == k))
        .filter(|a| need.specialties.first().is_none_or(|s| a.specialties.contains(s)))
        .filter(|a| need.sector.is_none_or(|s| a.sectors.contains(&s)))
        .filter(|a| need.remote != Some(true) || a.remote)
        .collect();
    let options = |ask: Ask| -> Vec<(String, usize)> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for a in &candidates {
            match ask {
                Ask::Need => a.specialties.iter().for_each(|s| *counts.entry(s.label().to_string()).or_default() += 1),
                Ask::Sector => a.sectors.iter().for_each(|s| *counts.entry(s.label().to_string()).or_default() += 1),
                Ask::Place => {
                    if let Some(r) = geo.region(&a.region) {
                        *counts.entry(r.name.clone()).or_default() += 1;
                    }
                }
            }
        }
        let mut v: Vec<(String, usize)> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    };
    let (ask, values) = needed
        .into_iter()
        .map(|(ask, weight)| {
            let values = options(ask);
            let total: usize = values.iter().map(|v| v.1).sum();
            let gini = if total == 0 {
                0.0
            } else {
                1.0 - values.iter().map(|v| (v.1 as f64 / total as f64).powi(2)).sum::<f64>()
            };
            (ask, values, gini * weight)
        })
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(ask, values, _)| (ask, values))?;
    let shown = if ask == Ask::Place { 5 } else { 8 };
    Some((ask, values.into_iter().take(shown).map(|v| v.0).collect()))
}
