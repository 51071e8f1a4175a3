//! Property tests ("fuzzing" on the stable toolchain) of what the web layer
//! decodes from strangers: query strings of the search pages and API, the
//! bodies of the public forms (contact, abuse report, application, data
//! request), the consultation's vote form and JSON votes, and cookies. They
//! go through the real router, as a client sends them, to a real SQLite
//! store (the decoders do not depend on the backend, and one backend keeps
//! the run short).
//!
//! Properties: the server answers every request without a panic — one
//! caught by a worker pool and turned into a "busy" page counts too, hence
//! the panic hook — and never with a 5xx; the API answers in JSON. The
//! number of cases is proptest's (`PROPTEST_CASES`, 256 by default); see
//! docs/FUZZING.md. A crash found here keeps a named regression test at the
//! end of the file.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use osez_search::{Engine, ResourceEngine};
use osez_store::{Moderation, Store};
use osez_web::{AppState, Directory, Library, Secrets};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

// ------------------------------------------------------------ the server

struct Server {
    runtime: tokio::runtime::Runtime,
    state: Arc<AppState>,
    /// Kept alive: the store's files go with its last clone.
    _store: Store,
    adviser: String,
}

const OPEN: &str = "ouverte";
const CLOSED: &str = "fermee";

/// One app for the whole file, as `common::apps` makes them, on SQLite,
/// with an open and a closed consultation.
fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(SERVER_THREAD)
            .enable_all()
            .build()
            .unwrap();
        let (state, store) = runtime.block_on(async {
            let store = osez_store::testing::sqlite_store().await;
            store.upsert_advisers(advisers()).await.unwrap();
            let state = AppState::new(geo(), test_config());
            let engine = Engine::in_ram(advisers().to_vec(), geo()).unwrap();
            state.set_ready(store.clone(), Secrets { form_key: [9; 32] }, Directory::new(engine));
            store.load_published_resources(&starter()).await.unwrap();
            let library = ResourceEngine::new(store.published_resources().await.unwrap()).unwrap();
            let version = store.resources_version().await.unwrap();
            state.ready().unwrap().replace_library(Library { engine: library, version });
            for (slug, open) in [(OPEN, true), (CLOSED, false)] {
                let id = store.create_consultation(&new_consultation(slug, true)).await.unwrap();
                for text in ["Il faut éduquer les jeunes aux usages de l'IA", "Il faut signaler l'usage de l'IA"] {
                    let p = store.submit_proposal(id, "auteur", None, text, None).await.unwrap();
                    store.moderate_proposal(p.id, Moderation::Accept, "m", |_, _| None).await.unwrap();
                }
                if !open {
                    assert!(store.update_consultation(id, &new_consultation(slug, false)).await.unwrap());
                }
            }
            (state, store)
        });
        Server { runtime, state, _store: store, adviser: advisers()[0].id.as_str().to_string() }
    })
}

// ------------------------------------------------------------ panics

/// The name of the server's threads: its runtime's workers and its
/// blocking pool (where the CPU pools run their jobs).
const SERVER_THREAD: &str = "fuzz-server";

static PANICKED: AtomicBool = AtomicBool::new(false);

/// Runs one request (or a few) of a case and fails the case if a server
/// thread panicked meanwhile: a spawned task, or a worker of a pool that
/// would have turned the panic into a polite refusal. (A panic on the
/// test's own thread fails the case by itself; one on another test's
/// thread, such as proptest's final report of a failure, is not this
/// case's.) Cases run one at a time, so that a panic is blamed on its own
/// input.
fn run_case<T>(work: impl std::future::Future<Output = T>) -> Result<T, TestCaseError> {
    static HOOK: Once = Once::new();
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some(SERVER_THREAD) {
                PANICKED.store(true, Ordering::SeqCst);
            }
            default(info);
        }));
    });
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    PANICKED.store(false, Ordering::SeqCst);
    let out = server().runtime.block_on(work);
    if PANICKED.swap(false, Ordering::SeqCst) {
        return Err(TestCaseError::fail("a panic while serving (see its message above)"));
    }
    Ok(out)
}

fn expect_answer(what: &str, status: StatusCode, body: &str) -> Result<(), TestCaseError> {
    prop_assert!(!status.is_server_error(), "{what}: {status}\n{body}");
    if what.starts_with("GET /api/") || what.starts_with("POST /api/") {
        prop_assert!(serde_json::from_str::<serde_json::Value>(body).is_ok(), "{what}: {status}, not JSON: {body}");
    }
    Ok(())
}

// ------------------------------------------------------------ generators

/// Values that trip up decoders: numbers at and past the limits of every
/// integer type, floats that are not numbers, separators, NUL, BOMs,
/// multibyte and right-to-left characters, and real values so that a form
/// gets far.
const NASTY: &[&str] = &[
    "",
    " ",
    "0",
    "1",
    "-1",
    "2",
    "12",
    "127",
    "128",
    "255",
    "256",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "1e400",
    "-0",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "1.5",
    ",",
    ",,",
    ";",
    "\0",
    "\n",
    "\r\n",
    "\t",
    "\u{feff}",
    "é",
    "😀",
    "\u{202e}",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "\"",
    "'",
    "&",
    "=",
    "%",
    "agree",
    "disagree",
    "neutral",
    "true",
    "false",
    "oui",
    "ia",
    "lyon",
    "69003",
    "2A",
    "Bretagne",
    "activateur",
    "ambassadeur_ia",
    "donnees",
    "webinaire",
    "ia_generative",
    "demarchage",
    "camille@exemple.fr",
    "Camille Martin",
    "https://exemple.fr",
    "2020-01-01",
    "73282932000074",
    "Il faut former les salariés aux usages de l'IA",
];

/// The limits of the integer types a handler may parse a field into.
const LIMITS: &[&str] = &[
    "18446744073709551615",
    "18446744073709551614",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967295",
    "2147483647",
    "-2147483648",
    "65535",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(prop::sample::select(NASTY), 1..3).prop_map(|v| v.concat()),
        1 => prop::sample::select(LIMITS).prop_map(str::to_owned),
        1 => any::<String>().prop_map(|s| s.chars().take(20).collect()),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => (any::<u64>(), 0..6usize).prop_map(|(n, k)| [n.to_string(), "0".repeat(k)].concat()),
    ]
}

/// Raw pieces that a percent-decoder must survive, all valid in a URI.
const RAW: &[&str] = &["%", "%f", "%ff", "%00", "%e9", "%c3", "%C3%A9", "+", "&", "=", "&&", "==", "%26", "%3D"];

/// `key=value` pairs as a browser encodes them, with raw pieces slipped in.
fn pairs(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    let pair = (
        prop_oneof![6 => prop::sample::select(keys).prop_map(str::to_owned), 1 => value()],
        value(),
        prop::option::of(prop::sample::select(RAW)),
    )
        .prop_map(|(k, v, raw)| {
            let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            format!("{}={}{}", enc(&k), enc(&v), raw.unwrap_or(""))
        });
    prop::collection::vec(pair, 0..10).prop_map(|v| v.join("&"))
}

const SEARCH_KEYS: &[&str] = &[
    "q",
    "near",
    "radius_km",
    "kind",
    "specialty",
    "sector",
    "structure_type",
    "region",
    "department",
    "remote",
    "page",
    "per_page",
    "type",
    "theme",
    "live",
];

const CONTACT_KEYS: &[&str] = &["name", "email", "company", "commune", "need", "message", "site_web", "reponse"];
const REPORT_KEYS: &[&str] = &["reason", "message", "site_web", "reponse"];
const APPLICATION_KEYS: &[&str] = &[
    "name",
    "email",
    "siret",
    "activity_start",
    "website",
    "structure_type",
    "commune",
    "area",
    "specialties",
    "in_person",
    "remote",
    "description",
    "password",
    "site_web",
    "reponse",
];
const VOTE_KEYS: &[&str] = &["proposition", "cle", "suite", "position", "vote", "qualification", "choix"];

/// A challenge token as the question's hidden field carries it
/// (`ISSUED.NONCE.HMAC`), forged: any issue time, nonce and signature.
fn forged_question() -> impl Strategy<Value = String> {
    (
        prop_oneof![any::<i64>().prop_map(|n| n.to_string()), value()],
        prop_oneof![3 => "[0-9a-f]{24}", 1 => value()],
        prop_oneof![3 => "[0-9a-f]{64}", 1 => value()],
    )
        .prop_map(|(issued, nonce, sig)| format!("{issued}.{nonce}.{sig}"))
}

/// How a public form's guard fields are filled: the real token and
/// question of the page shown, or forged ones, or none.
#[derive(Debug, Clone)]
struct Guard {
    real_token: bool,
    question: Option<Result<(), String>>,
    answer_right: bool,
    altcha: Option<String>,
}

fn guard() -> impl Strategy<Value = Guard> {
    (
        prop::bool::weighted(0.8),
        prop::option::of(prop_oneof![3 => Just(Ok(())), 2 => forged_question().prop_map(Err)]),
        any::<bool>(),
        prop::option::weighted(0.2, prop_oneof![value(), "[A-Za-z0-9+/=]{0,80}"]),
    )
        .prop_map(|(real_token, question, answer_right, altcha)| Guard {
            real_token,
            question,
            answer_right,
            altcha,
        })
}

/// Shows a public form, then posts `fields` with its guard filled as
/// `guard` says.
async fn post_public_form(path: &str, guard: &Guard, fields: &str) -> (StatusCode, String) {
    let state = &server().state;
    let (status, _, page) = get(state, path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    let mut body = String::new();
    if guard.real_token {
        body.push_str(&format!("jeton={}&", enc(&token_in(&page, path))));
    }
    match &guard.question {
        Some(Ok(())) => {
            body.push_str(&format!("question={}&", enc(&hidden(&page, "question"))));
            let answer = if guard.answer_right { answer_in_words(&page) } else { "99".into() };
            body.push_str(&format!("reponse={answer}&"));
        }
        Some(Err(forged)) => body.push_str(&format!("question={}&reponse=3&", enc(forged))),
        None => {}
    }
    if let Some(a) = &guard.altcha {
        body.push_str(&format!("altcha={}&", enc(a)));
    }
    body.push_str(fields);
    let (status, _, answer) = post(state, path, body, None).await;
    (status, answer)
}

// ------------------------------------------------------------ properties

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
    fn search_pages_and_api_read_any_query_string(path in prop::sample::select(&[
        "/api/v1/advisers", "/api/v1/resources", "/api/v1/search", "/recherche", "/ressources", "/agenda",
    ][..]), qs in pairs(SEARCH_KEYS)) {
        let uri = format!("{path}?{qs}");
        let (status, _, body) = run_case(async { get(&server().state, &uri, None).await })?;
        expect_answer(&format!("GET {uri}"), status, &body)?;
    }

    #[test]
    fn public_forms_read_any_body(
        path in prop::sample::select(&["/contact", "/signaler", "/candidature", "/mes-donnees"][..]),
        body in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let path = if path == "/signaler" { format!("/conseillers/{}/signaler", server().adviser) } else { path.to_string() };
        let (status, _, answer) = run_case(async {
            let req = Request::post(&path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap();
            send(&server().state, req).await
        })?;
        expect_answer(&format!("POST {path}"), status, &answer)?;
    }

    #[test]
    fn contact_form_reads_any_fields(guard in guard(), fields in pairs(CONTACT_KEYS)) {
        let (status, answer) = run_case(post_public_form("/contact", &guard, &fields))?;
        expect_answer("POST /contact", status, &answer)?;
    }

    #[test]
    fn report_form_reads_any_fields(guard in guard(), fields in pairs(REPORT_KEYS)) {
        let path = format!("/conseillers/{}/signaler", server().adviser);
        let (status, answer) = run_case(post_public_form(&path, &guard, &fields))?;
        expect_answer(&format!("POST {path}"), status, &answer)?;
    }

    #[test]
    fn application_form_reads_any_fields(guard in guard(), fields in pairs(APPLICATION_KEYS)) {
        let (status, answer) = run_case(post_public_form("/candidature", &guard, &fields))?;
        expect_answer("POST /candidature", status, &answer)?;
    }

    #[test]
    fn the_vote_page_reads_any_place(slug in prop::sample::select(&[OPEN, CLOSED][..]), qs in pairs(VOTE_KEYS)) {
        let uri = format!("/consultations/{slug}?{qs}");
        let (status, _, body) = run_case(async { get(&server().state, &uri, None).await })?;
        expect_answer(&format!("GET {uri}"), status, &body)?;
    }

    #[test]
    fn the_vote_form_reads_any_fields(slug in prop::sample::select(&[OPEN, CLOSED][..]), fields in pairs(VOTE_KEYS)) {
        let uri = format!("/consultations/{slug}/voter");
        let (status, _, body) = run_case(async { post(&server().state, &uri, fields, None).await })?;
        expect_answer(&format!("POST {uri}"), status, &body)?;
    }

    #[test]
    fn the_vote_api_reads_any_body(
        slug in prop::sample::select(&[OPEN, CLOSED][..]),
        content_type in prop::sample::select(&["application/json", "application/json; charset=utf-8", "text/plain", ""][..]),
        body in prop_oneof![
            // Near-valid: the fields of a vote with any values.
            (prop::option::of(value()), prop::option::of(value()), prop::option::of(value()),
             prop::option::of(value()), any::<bool>())
                .prop_map(|(id, key, vote, qualification, number)| {
                    let mut o = serde_json::Map::new();
                    if let Some(id) = id {
                        let n = id.parse::<i64>().ok().filter(|_| number);
                        o.insert("proposal_id".into(), n.map_or(serde_json::Value::String(id), Into::into));
                    }
                    for (k, v) in [("key", key), ("vote", vote), ("qualification", qualification)] {
                        if let Some(v) = v {
                            o.insert(k.into(), v.into());
                        }
                    }
                    serde_json::Value::Object(o).to_string().into_bytes()
                }),
            prop::collection::vec(any::<u8>(), 0..200),
        ],
    ) {
        let uri = format!("/api/v1/consultations/{slug}/votes");
        let (status, _, answer) = run_case(async {
            let mut req = Request::post(&uri);
            if !content_type.is_empty() {
                req = req.header(header::CONTENT_TYPE, content_type);
            }
            send(&server().state, req.body(Body::from(body)).unwrap()).await
        })?;
        expect_answer(&format!("POST {uri}"), status, &answer)?;
    }

    #[test]
    fn any_cookie_is_read(
        path in prop::sample::select(&["/", "/consultations/ouverte", "/api/v1/consultations/ouverte/sequence", "/admin"][..]),
        cookie in prop_oneof![
            (
                prop::sample::select(
                    &["osez_session", "osez_participant", "__Host-osez_session", "__Host-osez_participant", "x"][..],
                ),
                prop_oneof!["[ -~]{0,100}", "[0-9a-f]{32}\\.[0-9a-f]{0,40}", "[0-9a-f]{32}"],
            )
                .prop_map(|(k, v)| format!("{k}={}", v.replace(';', ""))),
            "[ -~]{0,200}",
        ],
    ) {
        let (status, _, body) = run_case(async { get(&server().state, path, Some(&cookie)).await })?;
        expect_answer(&format!("GET {path}"), status, &body)?;
    }
}

// ------------------------------------------------------------ regressions
//
// The minimal input of each crash the properties found, kept as a plain
// test so that it stays when proptest's own cases change.

#[test]
fn a_question_token_issued_before_1970_is_refused_as_invalid() {
    // Found by `contact_form_reads_any_fields` (and the report and
    // application forms): an issue time of -9,223,372,036,861,976 seconds
    // overflowed its expiry in milliseconds. The panic, on the pool that
    // checks challenges, became "the service is very busy".
    let guard = Guard {
        real_token: true,
        question: Some(Err(format!("-9223372036854775808.{}.{}", "ab".repeat(12), "cd".repeat(32)))),
        answer_right: false,
        altcha: None,
    };
    let (status, page) = run_case(post_public_form("/contact", &guard, "")).unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unescape(&page).contains("La vérification anti-robot a échoué"), "{page}");
}

#[test]
fn a_vote_page_at_the_largest_position_of_a_closed_consultation_is_shown() {
    // Found by `the_vote_page_reads_any_place`: the position in the
    // address, past the end of a closed consultation's sequence, was kept
    // as it was, and the next one (`position + 1`) overflowed.
    let uri = format!("/consultations/{CLOSED}?position={}", usize::MAX);
    let (status, _, page) = run_case(async { get(&server().state, &uri, None).await }).unwrap();
    assert_eq!(status, StatusCode::OK, "{page}");
}
