//! Understanding one message: the intent, the slots of the need, the
//! language, and what must be refused or said plainly (an injection, a
//! request to invent, a place or a topic nothing in Osez covers).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use osez_core::geo::Place;
use osez_core::resource::ResourceType;
use osez_core::{Geography, Kind, Sector, Specialty};
use osez_search::analysis::{is_filler_word, is_stop_word};

use crate::cues::{
    DIGITAL, FABRICATION, INJECTION, KIND, MATURITY, PERSONAL_DATA, REMOTE, RESOURCE_TYPE, TOPIC_MARKERS,
};
use crate::lexicon::{self, Span};
use crate::need::{Intent, Maturity, Size};
use crate::place::{self, Gazetteer};
use crate::semantic::{self, Meaning, Semantic};
use crate::words::{self, Language, Token, number_at};

/// What a message states about the need. Absent: not stated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Slots {
    pub place: Option<Place>,
    pub sector: Option<Sector>,
    pub specialty: Option<Specialty>,
    pub size: Option<Size>,
    pub remote: Option<bool>,
    pub maturity: Option<Maturity>,
    pub kind: Option<Kind>,
}

/// What the assistant made of one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Understanding {
    pub intent: Intent,
    pub slots: Slots,
    /// Every need named, the strongest first (`slots.specialty` is the
    /// first).
    pub specialties: Vec<Specialty>,
    /// The kind of resource asked for, if any.
    pub resource_type: Option<ResourceType>,
    pub language: Language,
    /// The message tries to change the assistant's rules.
    pub injection: bool,
    /// The message asks the assistant to make something up.
    pub fabrication: bool,
    /// A place named that the geography does not hold.
    pub unknown_place: Option<String>,
    /// A topic asked about that nothing in Osez covers.
    pub unknown_topic: Option<String>,
    /// "peu importe", "n'importe": the person does not mind.
    pub any: bool,
    /// Some cue of an intent was read (not only the default).
    pub cued: bool,
    /// The words left once places and quantities are taken out (folded),
    /// for the resource search.
    pub topic_words: Vec<String>,
}

/// Days conversations are kept unless the operator says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// Reads messages against the geography and the words Osez's records use.
pub struct Reader {
    /// Days conversations are kept, as replies about data say.
    pub retention_days: u32,
    geo: Arc<Geography>,
    gazetteer: Gazetteer,
    /// Every word of the lexicon (prefixes end in `*`).
    lexicon: Vec<String>,
    /// Every folded word of the records.
    corpus: HashSet<String>,
    /// The embedding model and the intent classifier, when the operator
    /// fetched the model.
    semantic: Option<Arc<Semantic>>,
    /// The resource centre's records embedded with the same model.
    meaning: Option<Meaning>,
}

impl Reader {
    /// `corpus`: the texts of the records (titles, summaries, bodies).
    pub fn new<'t>(geo: Arc<Geography>, corpus: impl IntoIterator<Item = &'t str>) -> Self {
        let mut lexicon: Vec<String> = lexicon::INTENT
            .iter()
            .map(|c| c.0)
            .chain(lexicon::SPECIALTY.iter().map(|c| c.0))
            .chain(crate::trades::SECTOR.iter().map(|c| c.0))
            .chain(KIND.iter().map(|c| c.0))
            .chain(REMOTE.iter().map(|c| c.0))
            .chain(MATURITY.iter().map(|c| c.0))
            .flat_map(|c| c.split(' '))
            .filter(|w| *w != "~" && w.len() > 2 && !is_stop_word(w))
            .map(str::to_string)
            .collect();
        lexicon.sort();
        lexicon.dedup();
        let mut words = HashSet::new();
        for text in corpus {
            for w in osez_core::text::fold(text).split(' ').filter(|w| !w.is_empty()) {
                words.insert(w.to_string());
            }
        }
        Self {
            retention_days: DEFAULT_RETENTION_DAYS,
            gazetteer: Gazetteer::new(&geo),
            geo,
            lexicon,
            corpus: words,
            semantic: None,
            meaning: None,
        }
    }

    fn in_lexicon(&self, w: &str) -> bool {
        self.lexicon.iter().any(|l| match l.strip_suffix('*') {
            Some(prefix) => w.starts_with(prefix),
            None => l == w,
        })
    }

    pub fn geography(&self) -> &Geography {
        &self.geo
    }

    /// Reads with the embedding model too (`semantic`), the `resources`
    /// embedded for the recommendations; or without.
    pub fn set_semantic(&mut self, semantic: Option<Arc<Semantic>>, resources: &[osez_core::resource::Resource]) {
        self.meaning = semantic.as_ref().map(|s| Meaning::new(s.clone(), resources));
        self.semantic = semantic;
    }

    pub fn semantic(&self) -> Option<&Semantic> {
        self.semantic.as_deref()
    }

    /// The records embedded, for [`crate::recommend::Catalogue::meaning`].
    pub fn meaning(&self) -> Option<&Meaning> {
        self.meaning.as_ref()
    }

    /// Understands one message.
    pub fn understand(&self, message: &str) -> Understanding {
        let (words, language) = words::read(message);
        let known = |w: &str| self.in_lexicon(w);
        let found_place = place::find(&words, &self.geo, &self.gazetteer, &known);
        let unknown_place = if found_place.is_none() { place::unknown(&words, &known) } else { None };
        let place_span = found_place.as_ref().map(|f| f.span);
        // What a refusal, a question about data or an injection says is not
        // a need ("entraîner une IA", "prompt système", "sans dire que tu
        // es une IA").
        let consumed: Vec<Span> = lexicon::INTENT
            .iter()
            .filter(|(_, i, w)| *w >= 4 && matches!(i, Intent::OutOfScope | Intent::DataRights | Intent::TalkToPerson))
            .map(|c| c.0)
            .chain(INJECTION.iter().copied())
            .flat_map(|cue| lexicon::find(cue, &words))
            .collect();

        // Slot cues; one inside a longer cue does not count ("boutique" in
        // "boutique en ligne", "ia" in "ambassadeur IA").
        let mut spans: Vec<(Span, Cue)> = Vec::new();
        for &(cue, s, w) in lexicon::SPECIALTY {
            spans.extend(lexicon::find(cue, &words).into_iter().map(|sp| (sp, Cue::Specialty(s, w))));
        }
        for &(cue, s, w) in crate::trades::SECTOR {
            spans.extend(lexicon::find(cue, &words).into_iter().map(|sp| (sp, Cue::Sector(s, w))));
        }
        for &(cue, k) in KIND {
            spans.extend(lexicon::find(cue, &words).into_iter().map(|sp| (sp, Cue::Kind(k))));
        }
        let kept: Vec<(Span, Cue)> = spans
            .iter()
            .filter(|(sp, _)| {
                !place_span.is_some_and(|p| overlaps(*sp, p))
                    && !consumed.iter().any(|c| overlaps(*sp, *c))
                    && !spans.iter().any(|(other, _)| sp.within(*other))
            })
            .cloned()
            .collect();

        let specialties = ranked(kept.iter().filter_map(|(sp, c)| match c {
            Cue::Specialty(s, w) => Some((*s, *w, sp.start)),
            _ => None,
        }));
        let sectors = ranked(kept.iter().filter_map(|(sp, c)| match c {
            Cue::Sector(s, w) => Some((*s, *w, sp.start)),
            _ => None,
        }));
        let kind = kept.iter().find_map(|(_, c)| match c {
            Cue::Kind(k) => Some(*k),
            _ => None,
        });

        // A remote cue inside a slot's cue is not one; one that holds a
        // slot's cue is ("passer à la boutique").
        let slot_spans: Vec<Span> = kept.iter().map(|(sp, _)| *sp).collect();
        let remote = ranked(REMOTE.iter().flat_map(|&(cue, v, w)| {
            lexicon::find(cue, &words)
                .into_iter()
                .filter(|sp| !slot_spans.iter().any(|s| sp.within(*s)))
                .map(move |sp| (v, w, sp.start))
        }))
        .first()
        .copied();
        let maturity = best(MATURITY.iter().map(|&(cue, v, w)| (cue, v, w)), &words);
        let resource_type = RESOURCE_TYPE.iter().find(|(cue, _)| !lexicon::find(cue, &words).is_empty()).map(|c| c.1);
        let has = |cues: &[&str]| cues.iter().any(|c| !lexicon::find(c, &words).is_empty());
        let injection = has(INJECTION);
        let fabrication = has(FABRICATION);
        let any = has(&["peu importe", "n importe", "pas d importance", "ca m est egal"]);

        let mut slots = Slots {
            place: found_place.map(|f| f.place),
            sector: sectors.first().copied(),
            specialty: specialties.first().copied(),
            size: size(&words),
            remote,
            maturity,
            kind,
        };
        let mut specialties = specialties;
        let (mut intent, cued) = intent(&words, &specialties, &slots);
        if fabrication && specialties.is_empty() {
            // Asked to invent, with no need of its own: refused.
            intent = Intent::OutOfScope;
        }
        // Nothing in the message is about digital tools, a need Osez knows,
        // an adviser or a resource: it is not for Osez ("TVA à 10 ou 20 %
        // ?"), rather than a vague request to ask about.
        let evidence = !specialties.is_empty()
            || slots.kind.is_some()
            || slots.place.is_some()
            || slots.sector.is_some()
            || slots.remote.is_some()
            || cued
            || has(DIGITAL);
        let personal = has(PERSONAL_DATA);
        if (!evidence && !any) || personal {
            intent = Intent::OutOfScope;
        }
        // The classifier, when it is confident: it decides where no cue
        // was read, and it may say that a request the rules would serve is
        // not for Osez ("le site de l'ANTS plante"). A refusal the rules
        // made for personal data or an invention stands.
        let refused_by_rule = personal || (fabrication && specialties.is_empty());
        let reading = self.semantic.as_ref().and_then(|s| s.read(message));
        let in_scope = |i: Intent| {
            matches!(i, Intent::FindAdviser | Intent::FindResource | Intent::LearnUseCase | Intent::Precaution)
        };
        if let Some(vote) = reading.map(|r| r.intent)
            && !refused_by_rule
        {
            if !cued && vote.probability >= semantic::CONFIDENT {
                intent = vote.value;
            } else if vote.value == Intent::OutOfScope && in_scope(intent) && vote.probability >= semantic::OVERRULE {
                intent = Intent::OutOfScope;
            }
        }
        let topic_words: Vec<String> = words
            .iter()
            .enumerate()
            .filter(|(i, t)| {
                !place_span.is_some_and(|p| *i >= p.start && *i < p.end)
                    && t.text.len() > 2
                    && !is_stop_word(&t.text)
                    && !is_filler_word(&t.text)
                    && !t.text.bytes().all(|b| b.is_ascii_digit())
            })
            .map(|(_, t)| t.text.clone())
            .collect();
        // A topic is checked when it is the request: a resource or a use
        // case about it, or an adviser "spécialisé en" it.
        let explicit = |w: &Token| matches!(w.text.as_str(), "specialise" | "specialisee" | "specialises" | "parle");
        let topical = matches!(intent, Intent::FindResource | Intent::LearnUseCase)
            || (intent == Intent::FindAdviser && words.iter().any(explicit));
        let unknown_topic =
            if specialties.is_empty() && slots.kind.is_none() && topical { self.unknown_topic(&words) } else { None };
        // The need and the sector the classifiers read, where the rules
        // read none, for a request Osez serves ("payer les cours en ligne",
        // "mon école de musique"); never over a topic nothing covers.
        if let Some(r) = reading
            && in_scope(intent)
            && unknown_topic.is_none()
        {
            if specialties.is_empty()
                && let Some(Some(s)) = r.specialty.confident()
            {
                specialties.push(s);
                slots.specialty = Some(s);
            }
            if slots.sector.is_none()
                && let Some(Some(s)) = r.sector.confident()
            {
                slots.sector = Some(s);
            }
        }
        Understanding {
            intent,
            slots,
            specialties,
            resource_type,
            language,
            injection,
            fabrication,
            unknown_place,
            unknown_topic,
            any,
            cued,
            topic_words,
        }
    }

    /// The words after "sur", "spécialisé en" or "qui parle" when one of
    /// them is in neither the lexicon nor any record.
    fn unknown_topic(&self, words: &[Token]) -> Option<String> {
        let start = words.iter().position(|t| TOPIC_MARKERS.contains(&t.text.as_str()))? + 1;
        let topic: Vec<&str> = words[start..]
            .iter()
            .map(|t| t.text.as_str())
            .filter(|w| w.len() > 3 && !is_stop_word(w) && !matches!(*w, "en" | "dans"))
            .collect();
        // Long words only: short ones are too often everyday words no
        // record happens to use ("quoi", "trop").
        let unknown = topic.iter().any(|w| w.len() >= 6 && !self.corpus.contains(*w) && !self.in_lexicon(w));
        (unknown && !topic.is_empty()).then(|| topic.join(" "))
    }
}

#[derive(Debug, Clone, Copy)]
enum Cue {
    Specialty(Specialty, i32),
    Sector(Sector, i32),
    Kind(Kind),
}

fn overlaps(a: Span, b: Span) -> bool {
    a.start < b.end && b.start < a.end
}

/// Values by total weight, ties to the one named first.
fn ranked<T: Copy + Eq + std::hash::Hash>(hits: impl Iterator<Item = (T, i32, usize)>) -> Vec<T> {
    let mut totals: HashMap<T, (i32, usize)> = HashMap::new();
    for (v, w, at) in hits {
        let e = totals.entry(v).or_insert((0, at));
        e.0 += w;
        e.1 = e.1.min(at);
    }
    let mut v: Vec<(T, (i32, usize))> = totals.into_iter().collect();
    v.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
    v.into_iter().map(|(t, _)| t).collect()
}

fn best<T: Copy + Eq + std::hash::Hash>(
    cues: impl Iterator<Item = (&'static str, T, i32)>,
    words: &[Token],
) -> Option<T> {
    ranked(cues.flat_map(|(cue, v, w)| lexicon::find(cue, words).into_iter().map(move |sp| (v, w, sp.start))))
        .first()
        .copied()
}

/// The size of the company: a headcount ("on est 6", "45 salariés", "une
/// quinzaine"), or words ("seul à mon compte", "PME").
fn size(words: &[Token]) -> Option<Size> {
    const PEOPLE: &[&str] = &[
        "salaries",
        "salarie",
        "salariees",
        "salariee",
        "salarier",
        "professeurs",
        "gestionnaires",
        "cooperateurs",
        "associes",
        "formateurs",
        "coiffeuses",
        "coiffeurs",
        "collaboratrices",
        "personnes",
        "pers",
        "employes",
        "collaborateurs",
        "agents",
        "gars",
        "consultants",
        "saisonniers",
        "ouvriers",
        "apprentis",
        "moniteurs",
        "vendeuses",
        "vendeurs",
        "serveurs",
        "cuisiniers",
        "techniciens",
        "commerciaux",
        "funcionarios",
        "mitarbeiter",
        "dipendenti",
        "employees",
        "dans",
    ];
    let from_count = |n: u32| match n {
        0 => None,
        1 => Some(Size::Solo),
        2..=9 => Some(Size::Tpe),
        _ => Some(Size::Pme),
    };
    for i in 0..words.len() {
        let Some((n, len)) = number_at(words, i) else { continue };
        let next = words.get(i + len).map(|t| t.text.as_str());
        let prev: Vec<&str> = words[i.saturating_sub(2)..i].iter().map(|t| t.text.as_str()).collect();
        let counted = next.is_some_and(|w| PEOPLE.contains(&w) && w != "dans")
            || matches!(prev.as_slice(), [.., "on", "est"] | [.., "nous", "sommes"] | [.., "equipe", "de"])
                && !matches!(next, Some("ans" | "chambres" | "fois"));
        if counted && (n != 1 || next.is_some_and(|w| PEOPLE.contains(&w))) {
            return from_count(n);
        }
    }
    let has = |cue: &str| !lexicon::find(cue, words).is_empty();
    if ["seul", "seule", "a mon compte", "independant*", "auto entrepren*", "micro entrepr*", "freelance"]
        .iter()
        .any(|c| has(c))
    {
        return Some(Size::Solo);
    }
    if [
        "mon mari et moi",
        "ma femme et moi",
        "mon associe*",
        "mon associee",
        "avec une associee",
        "avec un associe",
        "avec mon frere",
        "avec ma soeur",
        "avec ma femme",
        "avec mon mari",
        "en couple",
        "un couple",
        "tpe",
    ]
    .iter()
    .any(|c| has(c))
    {
        return Some(Size::Tpe);
    }
    has("pme").then_some(Size::Pme)
}

/// The intent: the cues' totals, a stated need adding to the in-scope
/// intent it goes with, so that "invente un conseiller … pour mon site" is
/// served (without inventing) and "invente 3 conseillers" refused.
fn intent(words: &[Token], specialties: &[Specialty], slots: &Slots) -> (Intent, bool) {
    let mut scores: HashMap<Intent, i32> = HashMap::new();
    for &(cue, intent, w) in lexicon::INTENT {
        let n = lexicon::find(cue, words).len() as i32;
        if n > 0 {
            *scores.entry(intent).or_default() += w * n.min(2);
        }
    }
    let cued = !scores.is_empty();
    let need = if specialties.is_empty() { 0 } else { 3 } + i32::from(slots.kind.is_some()) * 2;
    let in_scope = [Intent::FindAdviser, Intent::FindResource, Intent::LearnUseCase, Intent::Precaution];
    let lead = in_scope
        .iter()
        .copied()
        .max_by_key(|i| {
            (scores.get(i).copied().unwrap_or(0), -(in_scope.iter().position(|x| x == i).unwrap_or(0) as i32))
        })
        .unwrap_or(Intent::FindAdviser);
    *scores.entry(lead).or_default() += need;
    let order = [
        Intent::TalkToPerson,
        Intent::DataRights,
        Intent::FindAdviser,
        Intent::FindResource,
        Intent::LearnUseCase,
        Intent::Precaution,
        Intent::OutOfScope,
    ];
    let (best, score) = order
        .iter()
        .map(|i| (*i, scores.get(i).copied().unwrap_or(0)))
        .fold((Intent::FindAdviser, 0), |acc, (i, s)| if s > acc.1 { (i, s) } else { acc });
    (if score == 0 { Intent::FindAdviser } else { best }, cued)
}
