//! The router end to end, in process (tower's `oneshot`), against a real
//! store. Tests of what the store keeps run on every backend (SQLite, and
//! PostgreSQL when configured, `apps`); tests of pages drawn from the search
//! engine alone run on SQLite (`app`), which changes nothing for them.

mod common;

use std::sync::{Arc, OnceLock};

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use osez_core::{Adviser, Geography, demo};
use osez_search::Engine;
use osez_store::Store;
use osez_web::{AppState, Directory, Secrets, WebConfig, router};
use serde_json::Value;
use tower::ServiceExt;

fn geo() -> Arc<Geography> {
    static GEO: OnceLock<Arc<Geography>> = OnceLock::new();
    GEO.get_or_init(|| Arc::new(Geography::embedded().unwrap())).clone()
}

fn advisers() -> &'static [Adviser] {
    static ADVISERS: OnceLock<Vec<Adviser>> = OnceLock::new();
    ADVISERS.get_or_init(|| demo::generate(&geo(), demo::DEFAULT_SEED))
}

/// An app ready to serve, on each backend, with the demo directory.
async fn apps() -> Vec<(&'static str, Arc<AppState>, Store)> {
    let mut out = Vec::new();
    for (name, store) in osez_store::testing::stores().await {
        out.push((name, ready_on(store.clone()).await, store));
    }
    out
}

/// The same on SQLite alone, for pages that only the search engine draws.
async fn app() -> (Arc<AppState>, Store) {
    let store = osez_store::testing::sqlite_store().await;
    (ready_on(store.clone()).await, store)
}

async fn ready_on(store: Store) -> Arc<AppState> {
    store.upsert_advisers(advisers()).await.unwrap();
    let engine = Engine::in_ram(advisers().to_vec(), geo()).unwrap();
    let state =
        AppState::new(geo(), WebConfig { team_email: Some("equipe@example.org".into()), ..common::test_config() });
    state.set_ready(store, secrets(), Directory::new(engine));
    state
}

fn secrets() -> Secrets {
    Secrets { form_key: [42; 32] }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

async fn send(state: &Arc<AppState>, req: Request<Body>) -> Answer {
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = to_bytes(res.into_body(), 1 << 24).await.unwrap();
    Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

async fn get(state: &Arc<AppState>, uri: &str) -> Answer {
    send(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn healthz_says_starting_until_ready() {
    let state = AppState::new(geo(), common::test_config());
    assert_eq!(get(&state, "/healthz").await.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(get(&state, "/").await.status, StatusCode::SERVICE_UNAVAILABLE);
    let api = get(&state, "/api/v1/advisers?q=ia").await;
    assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.json()["error"]["code"], "starting");
    let (ready, _) = app().await;
    assert_eq!(get(&ready, "/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn every_page_is_french_with_one_title() {
    let (state, _) = app().await;
    let first = &advisers()[0].id;
    for uri in [
        "/".to_string(),
        "/recherche".into(),
        "/recherche?q=ia+lyon".into(),
        "/recherche?q=zzzzqqqq".into(),
        format!("/conseillers/{first}"),
        format!("/conseillers/{first}/signaler"),
        "/accessibilite".into(),
        "/mentions-legales".into(),
        "/contact".into(),
        "/mes-donnees".into(),
        "/connexion".into(),
        "/connexion/oubli".into(),
        "/candidature".into(),
        "/candidature/envoyee".into(),
        "/appels".into(),
    ] {
        let a = get(&state, &uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        assert!(a.body.contains("<html lang=\"fr\">"), "{uri}");
        assert_eq!(a.body.matches("<h1").count(), 1, "{uri}: one h1");
        assert!(a.body.contains("Instance de démonstration"), "{uri}: demo data is labelled");
    }
    let missing = get(&state, "/nexiste-pas").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Page introuvable"));
    assert_eq!(get(&state, "/conseillers/inconnu").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let (state, _) = app().await;
    for uri in ["/", "/recherche?q=ia", "/api/v1/advisers", "/static/style.css", "/nexiste-pas"] {
        let a = get(&state, uri).await;
        let csp = a.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{uri}");
        assert_eq!(a.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff", "{uri}");
        assert!(a.headers.get(header::REFERRER_POLICY).is_some(), "{uri}");
    }
}

#[tokio::test]
async fn profile_says_listing_is_not_certification_and_offers_a_report() {
    let (state, _) = app().await;
    let a = &advisers()[10];
    let page = get(&state, &format!("/conseillers/{}", a.id)).await;
    assert!(page.body.contains("n'est pas une certification"));
    assert!(page.body.contains(&format!("/conseillers/{}/signaler", a.id)));
    assert!(page.body.contains("Profil de démonstration"));
}

#[tokio::test]
async fn api_search_has_the_documented_shape() {
    let (state, _) = app().await;
    let a = get(&state, "/api/v1/advisers?q=cybers%C3%A9curit%C3%A9+33000&per_page=5").await;
    assert_eq!(a.status, StatusCode::OK);
    let v = a.json();
    for key in ["total", "took_ms", "relaxed", "hits", "facets"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    for key in [
        "id",
        "name",
        "kind",
        "structure_type",
        "category",
        "specialties",
        "sectors",
        "commune",
        "postal_code",
        "department",
        "region",
        "lat",
        "lon",
        "distance_km",
        "remote",
        "url",
    ] {
        assert!(hits[0].get(key).is_some(), "hit misses {key}");
    }
    assert!(hits[0]["distance_km"].as_f64().unwrap() <= 30.0);
    assert!(hits[0]["specialties"].as_array().unwrap().iter().any(|s| s == "cybersecurite"));
    for facet in ["kind", "specialty", "sector", "structure_type", "region", "department", "remote"] {
        assert!(v["facets"][facet].is_array(), "facet {facet}");
    }
    let id = hits[0]["id"].as_str().unwrap();
    let one = get(&state, &format!("/api/v1/advisers/{id}")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["id"], id);
    let none = get(&state, "/api/v1/advisers/absent").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert_eq!(none.json()["error"]["code"], "not_found");
}

#[tokio::test]
async fn api_bad_parameters_get_a_400_naming_them() {
    let (state, _) = app().await;
    let long = "a".repeat(10_000);
    for (query, parameter) in [
        ("radius_km=100000".to_string(), "radius_km"),
        ("radius_km=abc".into(), "radius_km"),
        ("department=99".into(), "department"),
        ("region=Atlantide".into(), "region"),
        ("kind=plombier".into(), "kind"),
        ("near=Zzyzx".into(), "near"),
        ("page=0".into(), "page"),
        ("per_page=-1".into(), "per_page"),
        ("remote=peut-etre".into(), "remote"),
        (format!("q={long}"), "q"),
    ] {
        let a = get(&state, &format!("/api/v1/advisers?{query}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{parameter}");
        let v = a.json();
        assert_eq!(v["error"]["parameter"], parameter);
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
    // The page shows the same mistakes in French, with a 400, not a 500.
    let page = get(&state, "/recherche?department=99").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("département inconnu"));
}

#[tokio::test]
async fn odd_queries_are_searched_not_refused() {
    let (state, _) = app().await;
    for q in [
        "%22%20OR%201%3D1%20--",
        "*%3F~%5E%3A()%5B%5D%7B%7D",
        "caf%E9%FF",
        "%F0%9F%98%80",
        "le+la+les+de",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ] {
        let api = get(&state, &format!("/api/v1/advisers?q={q}")).await;
        assert_eq!(api.status, StatusCode::OK, "{q}");
        let page = get(&state, &format!("/recherche?q={q}")).await;
        assert_eq!(page.status, StatusCode::OK, "{q}");
        assert!(!page.body.contains("<script>alert"), "{q}: escaped");
    }
}

#[tokio::test]
async fn a_search_that_finds_nothing_is_recorded_and_offers_a_person() {
    for (name, state, store) in apps().await {
        let page = get(&state, "/recherche?q=zzzzqqqq&kind=ambassadeur_ia").await;
        assert!(page.body.contains("Aucun conseiller"), "{name}");
        assert!(page.body.contains("href=\"/contact\""), "{name}");
        // Live updates while typing are not recorded.
        get(&state, "/recherche?q=zzzzqqqqx&live=1").await;
        let mut rows = Vec::new();
        for _ in 0..50 {
            rows = store.zero_result_searches(10).await.unwrap();
            if !rows.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(rows.len(), 1, "{name}");
        assert_eq!(rows[0].query, "zzzzqqqq");
        assert!(rows[0].filters.contains("ambassadeur_ia"), "{name}: {}", rows[0].filters);
    }
}

#[tokio::test]
async fn relaxation_is_said_on_the_page() {
    let (state, _) = app().await;
    let page = get(&state, "/recherche?q=ressources+humaines&near=Aurillac&radius_km=2").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("rayon élargi") || page.body.contains("à distance ajoutés"), "{}", page.body);
}

fn post_report(id: &str, body: &str, origin: Option<&str>) -> Request<Body> {
    let mut b = Request::post(format!("/conseillers/{id}/signaler"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "osez.test");
    if let Some(o) = origin {
        b = b.header(header::ORIGIN, o);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

/// The value of a hidden field of a page, as a browser would read it.
fn field(page: &str, name: &str) -> String {
    let start = page.find(&format!("name=\"{name}\" value=\"")).expect("the form has the field")
        + format!("name=\"{name}\" value=\"").len();
    page[start..].split('"').next().unwrap().to_string()
}

/// The form token of the report page.
async fn report_token(state: &Arc<AppState>, id: &str) -> String {
    field(&get(state, &format!("/conseillers/{id}/signaler")).await.body, "jeton")
}

/// The anti-robot fields of a report page, the question answered as a
/// person without JavaScript would.
async fn report_challenge(state: &Arc<AppState>, id: &str) -> String {
    const WORDS: [&str; 10] = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"];
    let page = get(state, &format!("/conseillers/{id}/signaler")).await.body;
    let text = page.split("Combien font ").nth(1).expect("a question").split(" ?").next().unwrap();
    let (a, b) = text.split_once(" plus ").unwrap();
    let n = |w: &str| WORDS.iter().position(|x| *x == w).unwrap();
    let question: String = form_urlencoded::byte_serialize(field(&page, "question").as_bytes()).collect();
    format!("&site_web=&question={question}&reponse={}", n(a) + n(b))
}

#[tokio::test]
async fn abuse_reports_are_checked_then_kept() {
    for (name, state, store) in apps().await {
        let a = &advisers()[5];
        let id = a.id.as_str();
        let token = report_token(&state, id).await;
        let cross = send(
            &state,
            post_report(id, &format!("jeton={token}&reason=demarchage&message=x"), Some("https://evil.example")),
        )
        .await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN, "{name}");
        let no_token = send(&state, post_report(id, "reason=demarchage&message=x", None)).await;
        assert_eq!(no_token.status, StatusCode::FORBIDDEN, "{name}");
        assert!(no_token.body.contains("Rechargez la page"), "{name}");
        let other = report_token(&state, advisers()[6].id.as_str()).await;
        let wrong_form = send(&state, post_report(id, &format!("jeton={other}&reason=demarchage"), None)).await;
        assert_eq!(wrong_form.status, StatusCode::FORBIDDEN, "{name}: a token is bound to its form");
        // The public-form checks come first: the fields are read once the
        // challenge passed.
        let unchallenged = send(&state, post_report(id, &format!("jeton={token}&reason=nimporte"), None)).await;
        assert_eq!(unchallenged.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(!unchallenged.body.contains("Choisissez un motif"), "{name}");
        let challenge = report_challenge(&state, id).await;
        let no_reason = send(
            &state,
            post_report(id, &format!("jeton={token}&reason=nimporte&message=x{challenge}"), Some("http://osez.test")),
        )
        .await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(no_reason.body.contains("Choisissez un motif"));
        let too_long = format!("jeton={token}&reason=autre&message={}{challenge}", "x".repeat(2_001));
        assert_eq!(send(&state, post_report(id, &too_long, None)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let huge = format!("jeton={token}&reason=autre&message={}", "x".repeat(10 * 1024 * 1024));
        assert!(send(&state, post_report(id, &huge, None)).await.status.is_client_error(), "{name}");
        assert_eq!(store.abuse_report_count(&a.id).await.unwrap(), 0, "{name}: nothing saved");
        let ok = send(
            &state,
            post_report(
                id,
                &format!(
                    "jeton={token}&reason=demarchage&message=Appels+r%C3%A9p%C3%A9t%C3%A9s{}",
                    report_challenge(&state, id).await
                ),
                Some("http://osez.test"),
            ),
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK, "{name}");
        assert!(ok.body.contains("signalement a été enregistré"));
        assert_eq!(store.abuse_report_count(&a.id).await.unwrap(), 1, "{name}");
    }
}

#[tokio::test]
async fn healthz_says_so_when_the_database_is_gone() {
    for (name, state, store) in apps().await {
        assert_eq!(get(&state, "/healthz").await.status, StatusCode::OK, "{name}");
        store.close().await;
        assert_eq!(get(&state, "/healthz").await.status, StatusCode::SERVICE_UNAVAILABLE, "{name}");
        // Searching needs only the index: it goes on.
        assert_eq!(get(&state, "/api/v1/advisers?q=ia").await.status, StatusCode::OK, "{name}");
    }
}

/// The API's answer for one query, whole: a change of shape or of ranking
/// shows up here as a diff to review (`cargo insta review`).
#[tokio::test]
async fn api_answer_snapshot() {
    let (state, _) = app().await;
    let v = get(&state, "/api/v1/advisers?q=cybers%C3%A9curit%C3%A9+pr%C3%A8s+de+Rennes&per_page=3&radius_km=20")
        .await
        .json();
    insta::assert_json_snapshot!("search_cybersecurite_rennes", v, { ".took_ms" => "[took_ms]" });
    let one = get(&state, "/api/v1/advisers/demo-ia-001").await.json();
    insta::assert_json_snapshot!("adviser_demo_ia_001", one);
}

/// The results page for one query, as HTML: the structure the browser suite
/// and screen readers rely on (form, live status, facets, result links).
#[tokio::test]
async fn results_page_snapshot() {
    let (state, _) = app().await;
    let page = get(&state, "/recherche?q=ia+lyon&per_page=2").await.body;
    let main = page.split("<main").nth(1).and_then(|m| m.split("</main>").next()).unwrap_or_default();
    insta::assert_snapshot!("results_ia_lyon", main);
}
