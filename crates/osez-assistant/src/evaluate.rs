//! Running the evaluation set: each request answered as a person would
//! see it, a scripted user answering the questions from the case's hidden
//! profile, and the figures the issue asks for.

use std::time::Instant;

use osez_core::geo::place_key;

use crate::check;
use crate::dialogue::{State, respond};
use crate::eval::{Acceptable, Case, Category, ExpectedSlots};
use crate::need::Intent;
use crate::recommend::{Catalogue, short_place};
use crate::reply::{Ask, Outcome, Reply};
use crate::understand::{Reader, Understanding};

/// Most turns of one scripted conversation.
const MAX_TURNS: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub cases: usize,
    /// Cases with acceptable recommendations, and those whose top three
    /// advisers and top three resources each hold an acceptable one.
    pub answerable: usize,
    pub relevant: usize,
    /// Acceptable share of every adviser and resource recommended.
    pub recommended: usize,
    pub acceptable_recommended: usize,
    pub intent_ok: usize,
    pub slot_true_pos: usize,
    pub slot_false_pos: usize,
    pub slot_false_neg: usize,
    pub clear: usize,
    pub clear_asked: usize,
    pub vague: usize,
    pub vague_asked: usize,
    /// Cases where nothing may be recommended (out of scope, impossible),
    /// and those refused or answered "nothing found" without recommending.
    pub to_refuse: usize,
    pub refused: usize,
    /// Sentences whose claims their citations do not support.
    pub unsupported: usize,
    pub sentences: usize,
    /// Reply times, in microseconds, of every turn.
    pub times_us: Vec<u64>,
    /// What went wrong, case by case.
    pub misses: Vec<String>,
}

impl Report {
    pub fn relevance_at_3(&self) -> f64 {
        ratio(self.relevant, self.answerable)
    }

    pub fn precision_at_3(&self) -> f64 {
        ratio(self.acceptable_recommended, self.recommended)
    }

    pub fn intent_accuracy(&self) -> f64 {
        ratio(self.intent_ok, self.cases)
    }

    pub fn slot_f1(&self) -> f64 {
        let p = ratio(self.slot_true_pos, self.slot_true_pos + self.slot_false_pos);
        let r = ratio(self.slot_true_pos, self.slot_true_pos + self.slot_false_neg);
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }

    pub fn clear_question_rate(&self) -> f64 {
        ratio(self.clear_asked, self.clear)
    }

    pub fn vague_question_rate(&self) -> f64 {
        ratio(self.vague_asked, self.vague)
    }

    pub fn refusal_rate(&self) -> f64 {
        ratio(self.refused, self.to_refuse)
    }

    /// The `p`-th percentile of the reply times, in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        let mut t = self.times_us.clone();
        t.sort_unstable();
        if t.is_empty() {
            return 0.0;
        }
        let i = ((p / 100.0) * (t.len() - 1) as f64).round() as usize;
        t[i] as f64 / 1000.0
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Runs every case.
pub fn run(cases: &[Case], reader: &Reader, catalogue: Catalogue<'_>) -> Report {
    let mut report = Report { cases: cases.len(), ..Report::default() };
    for case in cases {
        run_case(case, reader, catalogue, &mut report);
    }
    report
}

fn run_case(case: &Case, reader: &Reader, catalogue: Catalogue<'_>, report: &mut Report) {
    let geo = reader.geography();
    let u = reader.understand(&case.text);
    score_slots(case, &u, reader, report);

    let mut state = State::default();
    let mut message = case.text.clone();
    let mut context = vec![case.text.clone()];
    let mut first_outcome = None;
    let mut last: Option<Reply> = None;
    for _ in 0..MAX_TURNS {
        let started = Instant::now();
        let turn = respond(&state, &message, reader, catalogue);
        report.times_us.push(started.elapsed().as_micros() as u64);
        state = turn.state;
        if let Some(p) = state.place.as_ref().and_then(|p| p.resolve(geo)) {
            context.push(short_place(geo, p));
        }
        report.sentences += turn.reply.sentences.len();
        for (sentence, claim) in check::unsupported(&turn.reply, catalogue, &context) {
            report.unsupported += 1;
            report.misses.push(format!("{}: unsupported « {claim} » in « {sentence} »", case.id));
        }
        first_outcome.get_or_insert(turn.reply.outcome);
        let outcome = turn.reply.outcome;
        last = Some(turn.reply);
        let Outcome::Asked(ask) = outcome else { break };
        message = scripted_answer(ask, case.profile.as_ref().unwrap_or(&case.slots));
        context.push(message.clone());
    }
    if state.intent == Some(case.intent) {
        report.intent_ok += 1;
    } else {
        report.misses.push(format!("{}: intent {:?}, expected {:?}", case.id, state.intent, case.intent));
    }
    let asked = matches!(first_outcome, Some(Outcome::Asked(_)));
    match case.category {
        Category::Clear => {
            report.clear += 1;
            report.clear_asked += usize::from(asked);
        }
        Category::Vague => {
            report.vague += 1;
            report.vague_asked += usize::from(asked);
        }
        _ => {}
    }
    if asked != case.question_needed {
        report.misses.push(format!("{}: asked {asked}, expected {}", case.id, case.question_needed));
    }
    let Some(reply) = last else { return };
    match &case.acceptable {
        Some(acceptable) => score_recommendations(case, acceptable, &reply, catalogue, report),
        None if !matches!(case.intent, Intent::TalkToPerson | Intent::DataRights) => {
            report.to_refuse += 1;
            let refused = matches!(reply.outcome, Outcome::Refused | Outcome::NothingFound)
                && reply.advisers.is_empty()
                && reply.resources.is_empty();
            if refused {
                report.refused += 1;
            } else {
                report.misses.push(format!("{}: not refused ({:?})", case.id, reply.outcome));
            }
        }
        None => {
            let expected = if case.intent == Intent::TalkToPerson { Outcome::HandedOff } else { Outcome::DataRights };
            if reply.outcome != expected {
                report.misses.push(format!("{}: {:?}, expected {expected:?}", case.id, reply.outcome));
            }
        }
    }
}

/// What the scripted user answers: the quick reply of its profile's value,
/// or "Peu importe".
fn scripted_answer(ask: Ask, profile: &ExpectedSlots) -> String {
    match ask {
        Ask::Need => profile.specialty.map_or("Peu importe".into(), |s| s.label().to_string()),
        Ask::Place => profile.place.clone().unwrap_or_else(|| "Peu importe, à distance".into()),
        Ask::Sector => profile.sector.map_or("Peu importe".into(), |s| s.label().to_string()),
    }
}

fn score_recommendations(
    case: &Case,
    acceptable: &Acceptable,
    reply: &Reply,
    catalogue: Catalogue<'_>,
    report: &mut Report,
) {
    report.answerable += 1;
    let adviser_ok = |ord: usize| {
        let a = catalogue.adviser(ord);
        a.specialties.iter().any(|s| acceptable.adviser_specialty.contains(s))
            && (acceptable.adviser_sector.is_empty() || a.sectors.iter().any(|s| acceptable.adviser_sector.contains(s)))
    };
    let resource_ok = |ord: usize| {
        let c = &catalogue.resource(ord).content;
        c.themes.iter().any(|t| acceptable.resource_theme.contains(t))
            && (acceptable.resource_type.is_empty() || acceptable.resource_type.contains(&c.kind))
    };
    let advisers_ok = acceptable.adviser_specialty.is_empty() || reply.advisers.iter().any(|p| adviser_ok(p.ord));
    let resources_ok = acceptable.resource_theme.is_empty() || reply.resources.iter().any(|p| resource_ok(p.ord));
    report.recommended += reply.advisers.len() + reply.resources.len();
    report.acceptable_recommended += reply.advisers.iter().filter(|p| adviser_ok(p.ord)).count()
        + reply.resources.iter().filter(|p| resource_ok(p.ord)).count();
    if advisers_ok && resources_ok {
        report.relevant += 1;
    } else {
        report.misses.push(format!(
            "{}: not relevant (advisers {}, resources {}; {:?})",
            case.id,
            if advisers_ok { "ok" } else { "missed" },
            if resources_ok { "ok" } else { "missed" },
            reply.outcome
        ));
    }
}

fn score_slots(case: &Case, u: &Understanding, reader: &Reader, report: &mut Report) {
    let geo = reader.geography();
    let e = &case.slots;
    let s = &u.slots;
    let place_got =
        s.place.map(|p| place_key(&short_place(geo, p))).or_else(|| u.unknown_place.as_deref().map(place_key));
    let place_expected = e.place.as_deref().map(|p| match geo.resolve(p) {
        Some(place) => place_key(&short_place(geo, place)),
        None => place_key(p),
    });
    let pairs = [
        (place_got, place_expected),
        (s.sector.map(|v| v.slug().to_string()), e.sector.map(|v| v.slug().to_string())),
        (s.specialty.map(|v| v.slug().to_string()), e.specialty.map(|v| v.slug().to_string())),
        (s.size.map(|v| format!("{v:?}")), e.size.map(|v| format!("{v:?}"))),
        (s.remote.map(|v| v.to_string()), e.remote.map(|v| v.to_string())),
        (s.maturity.map(|v| format!("{v:?}")), e.maturity.map(|v| format!("{v:?}"))),
        (s.kind.map(|v| v.slug().to_string()), e.kind.map(|v| v.slug().to_string())),
    ];
    for (got, expected) in pairs {
        match (got, expected) {
            (Some(g), Some(x)) if g == x => report.slot_true_pos += 1,
            (Some(g), Some(x)) => {
                report.slot_false_pos += 1;
                report.slot_false_neg += 1;
                report.misses.push(format!("{}: slot {g}, expected {x}", case.id));
            }
            (Some(g), None) => {
                report.slot_false_pos += 1;
                report.misses.push(format!("{}: slot {g} not expected", case.id));
            }
            (None, Some(x)) => {
                report.slot_false_neg += 1;
                report.misses.push(format!("{}: slot {x} missed", case.id));
            }
            (None, None) => {}
        }
    }
}

/// The demo directory and the starter resources, as the evaluation and the
/// tests answer from them: generated and embedded data, no I/O.
pub struct Fixture {
    pub directory: osez_search::Engine,
    pub resources: osez_search::ResourceEngine,
    pub reader: Reader,
}

impl Fixture {
    /// `now_ms`: the time the starter resources are published at.
    pub fn demo(now_ms: i64) -> Result<Self, String> {
        let geo = std::sync::Arc::new(osez_core::Geography::embedded().map_err(|e| e.to_string())?);
        let resources = osez_core::resource::starter::all(now_ms).map_err(|e| e.to_string())?;
        let reader = Reader::new(geo.clone(), corpus(&resources).iter().map(String::as_str));
        let advisers = osez_core::demo::generate(&geo, osez_core::demo::DEFAULT_SEED);
        let directory = osez_search::Engine::in_ram(advisers, geo).map_err(|e| e.to_string())?;
        let resources = osez_search::ResourceEngine::new(resources).map_err(|e| e.to_string())?;
        Ok(Self { directory, resources, reader })
    }

    pub fn catalogue(&self) -> Catalogue<'_> {
        Catalogue { directory: &self.directory, resources: &self.resources, meaning: self.reader.meaning() }
    }

    /// Answers with the embedding model too, or without.
    pub fn set_semantic(&mut self, semantic: Option<std::sync::Arc<crate::semantic::Semantic>>) {
        self.reader.set_semantic(semantic, self.resources.resources());
    }
}

/// The texts of the resources whose words the reader knows as covered.
pub fn corpus(resources: &[osez_core::resource::Resource]) -> Vec<String> {
    resources.iter().map(|r| format!("{} {} {}", r.content.title, r.content.summary, r.content.body)).collect()
}
