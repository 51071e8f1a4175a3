//! Property tests ("fuzzing" on the stable toolchain) of what reads a
//! user's query: the parser that finds its place, intents and words, and
//! both engines that run it. For any query, and any request the web layer
//! lets through, they answer and never panic. The number of cases is
//! proptest's (`PROPTEST_CASES`, 256 by default); see docs/FUZZING.md.

use std::sync::{Arc, OnceLock};

use osez_core::resource::{ResourceType, Theme, starter};
use osez_core::{Geography, Kind, Sector, Specialty, StructureType, demo};
use osez_search::query::{MAX_WORDS, parse};
use osez_search::{Engine, ResourceEngine, ResourceRequest, SearchRequest};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

const NOW: i64 = 1_796_212_800_000;

fn geo() -> Arc<Geography> {
    static GEO: OnceLock<Arc<Geography>> = OnceLock::new();
    GEO.get_or_init(|| Arc::new(Geography::embedded().expect("embedded geography"))).clone()
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::in_ram(demo::generate(&geo(), demo::DEFAULT_SEED), geo()).expect("engine"))
}

fn library() -> &'static ResourceEngine {
    static LIBRARY: OnceLock<ResourceEngine> = OnceLock::new();
    LIBRARY.get_or_init(|| ResourceEngine::new(starter::all(NOW).expect("starter resources")).expect("engine"))
}

/// Words a query is made of: places and their markers, intents, synonyms
/// and stop words, numbers that may or may not be a department, words with
/// typos, and characters that folding must survive.
const WORDS: &[&str] = &[
    "à",
    "a",
    "en",
    "dans",
    "le",
    "la",
    "l'",
    "près",
    "de",
    "du",
    "d'",
    "sur",
    "région",
    "département",
    "Lyon",
    "lyon 3e",
    "Saint-Étienne",
    "st",
    "Corse-du-Sud",
    "Bretagne",
    "Cher",
    "pas cher",
    "Paris",
    "75011",
    "69003",
    "33",
    "2A",
    "974",
    "00000",
    "99999",
    "1er",
    "arrondissement",
    "cedex",
    "ambassadeur",
    "ambassadrice",
    "IA",
    "activateur",
    "france",
    "num",
    "distance",
    "distanciel",
    "en visio",
    "ligne",
    "vente en ligne",
    "site web",
    "intelligence artificielle",
    "cybersécurité",
    "cyebr",
    "comptabilité",
    "compta",
    "rgpd",
    "je cherche",
    "quelqu'un",
    "pour",
    "mon",
    "entreprise",
    "marketing",
    "hallucinasions",
    "webinaire",
    "devis",
    "x",
    "w",
    "",
    " ",
    "-",
    "'",
    "’",
    ",",
    "\u{a0}",
    "é",
    "œ",
    "ß",
    "😀",
    "𝔸",
    "\u{202e}",
    "ǅ",
    "ﬁ",
    "İ",
    "\u{301}",
    "0",
    "18446744073709551616",
    "9223372036854775808",
];

fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(prop::sample::select(WORDS), 0..16).prop_map(|w| w.join(" ")),
        2 => prop::collection::vec(prop::sample::select(WORDS), 0..24).prop_map(|w| w.concat()),
        1 => any::<String>(),
        // The longest query the web layer accepts, of one long word: the
        // typo automata and prefix scans are built from its length.
        1 => "[a-zé]{150,200}",
    ]
}

fn one_of<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = Option<T>> {
    prop::option::of(prop::sample::select(all))
}

/// A request as the web layer hands it over: `near` is a place the
/// geography resolved, the radius 1 to 1,000 km; page and size are
/// anything (the engines clamp them).
fn request() -> impl Strategy<Value = SearchRequest> {
    (
        query(),
        prop::option::of(prop::sample::select(WORDS)),
        prop::option::of(1.0f64..=1_000.0),
        (one_of(Kind::ALL), one_of(Specialty::ALL), one_of(Sector::ALL), one_of(StructureType::ALL)),
        (
            prop::option::of("[0-9]{2}|2A|975"),
            prop::option::of("[0-9]{1,3}|2A|2B|971"),
            prop::option::of(any::<bool>()),
        ),
        (any::<usize>(), any::<usize>(), any::<bool>()),
    )
        .prop_map(
            |(
                q,
                near,
                radius_km,
                (kind, specialty, sector, structure_type),
                (region, department, remote),
                (page, per_page, typing),
            )| {
                let geo = geo();
                SearchRequest {
                    q,
                    near: near.and_then(|n| geo.resolve(n)),
                    radius_km,
                    kind,
                    specialty,
                    sector,
                    structure_type,
                    region,
                    department,
                    remote,
                    page,
                    per_page,
                    typing,
                }
            },
        )
}

/// proptest's defaults (`PROPTEST_CASES` and the other variables are read
/// there), with failures kept in the crate's `proptest-regressions/`: by
/// default they land beside a test file, as `tests/fuzz.proptest-regressions`.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/fuzz.txt"))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_query_parses(q in query(), typing in any::<bool>()) {
        let geo = geo();
        let p = parse(&q, &geo, typing);
        prop_assert!(p.words.len() <= MAX_WORDS);
        prop_assert!(!p.truncated || p.words.len() == MAX_WORDS);
        let folded = osez_core::text::fold(&q);
        for w in p.words.iter().chain(&p.intent_words) {
            prop_assert!(!w.text.is_empty() && !w.term.is_empty(), "{:?}", w);
            prop_assert!(folded.contains(&w.text), "{:?} not in {:?}", w.text, folded);
        }
        if let Some(text) = &p.place_text {
            prop_assert!(p.place.is_some() && folded.contains(text.as_str()));
        }
    }

    #[test]
    fn the_directory_answers_any_request(req in request()) {
        let r = engine().search(&req);
        prop_assert!(r.hits.len() <= req.per_page.clamp(1, 100));
        prop_assert!(r.hits.len() <= r.total);
        prop_assert!(r.hits.iter().all(|h| h.score.is_finite() && h.ord < engine().advisers().len()));
        prop_assert!(r.relaxed.iter().all(|x| !x.message().is_empty()));
    }

    #[test]
    fn the_library_answers_any_request(
        q in query(),
        kind in one_of(ResourceType::ALL),
        theme in one_of(Theme::ALL),
        page in any::<usize>(),
        per_page in any::<usize>(),
        typing in any::<bool>(),
    ) {
        let req = ResourceRequest { q, kind, theme, page, per_page, typing };
        let r = library().search(&req, &geo());
        prop_assert!(r.hits.len() <= per_page.clamp(1, 100) && r.hits.len() <= r.total);
        prop_assert!(r.hits.iter().all(|h| h.score.is_finite() && h.ord < library().resources().len()));
    }
}
