//! Helpers shared by the tests that sign in: an app on every backend with
//! an editor account, requests through the router, form tokens and cookies.
#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use osez_core::account::{Email, NewPassword, Role, hash_password};
use osez_core::{Adviser, Geography, demo};
use osez_search::{Engine, ResourceEngine};
use osez_store::Store;
use osez_web::{AppState, Directory, Library, Secrets, WebConfig, router};
use tower::ServiceExt;

pub const PASSWORD: &str = "une phrase de passe longue";

pub fn geo() -> Arc<Geography> {
    static GEO: OnceLock<Arc<Geography>> = OnceLock::new();
    GEO.get_or_init(|| Arc::new(Geography::embedded().unwrap())).clone()
}

pub fn advisers() -> &'static [Adviser] {
    static ADVISERS: OnceLock<Vec<Adviser>> = OnceLock::new();
    ADVISERS.get_or_init(|| demo::generate(&geo(), demo::DEFAULT_SEED).into_iter().take(50).collect())
}

/// The starter resources, with the upcoming demo webinar placed from now.
pub fn starter() -> Vec<osez_core::resource::Resource> {
    osez_core::resource::starter::all(osez_web::now_ms()).unwrap()
}

pub async fn apps() -> Vec<(&'static str, Arc<AppState>, Store)> {
    apps_with(test_config()).await
}

/// The settings of a plain `osez serve` (`WebConfig::default()`), without
/// what would get in a test's way: no rate limit, no minimum fill time, a
/// cheap proof of work. A test of one of these sets it back.
pub fn test_config() -> WebConfig {
    WebConfig {
        search_per_minute: 0,
        forms_per_minute: 0,
        contacts_per_hour: 0,
        votes_per_minute: 0,
        participant_votes_per_minute: 0,
        participants_per_hour: 0,
        min_fill_secs: 0,
        altcha_cost: 20,
        ..WebConfig::default()
    }
}

/// Same, with settings of one's own.
pub async fn apps_with(config: WebConfig) -> Vec<(&'static str, Arc<AppState>, Store)> {
    let hash = hash_password(&NewPassword::parse(PASSWORD).unwrap(), &[3; 16]);
    let mut out = Vec::new();
    for (name, store) in osez_store::testing::stores().await {
        store.create_user(&Email::parse("editrice@exemple.fr").unwrap(), &hash, Role::Editor, "test").await.unwrap();
        store.upsert_advisers(advisers()).await.unwrap();
        let engine = Engine::in_ram(advisers().to_vec(), geo()).unwrap();
        let state = AppState::new(geo(), config.clone());
        state.set_ready(store.clone(), Secrets { form_key: [9; 32] }, Directory::new(engine));
        store.load_published_resources(&starter()).await.unwrap();
        let library = ResourceEngine::new(store.published_resources().await.unwrap()).unwrap();
        let version = store.resources_version().await.unwrap();
        state.ready().unwrap().replace_library(Library { engine: library, version });
        out.push((name, state, store));
    }
    out
}

pub async fn send(state: &Arc<AppState>, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = to_bytes(res.into_body(), 1 << 22).await.unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

pub fn token_in(page: &str, action: &str) -> String {
    let form = page.split(&format!("action=\"{action}\"")).nth(1).expect("form present");
    form.split("name=\"jeton\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

pub async fn get(state: &Arc<AppState>, uri: &str, cookie: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let mut b = Request::get(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(state, b.body(Body::empty()).unwrap()).await
}

pub async fn post(
    state: &Arc<AppState>,
    uri: &str,
    body: String,
    cookie: Option<&str>,
) -> (StatusCode, HeaderMap, String) {
    let mut b = Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(state, b.body(Body::from(body)).unwrap()).await
}

pub async fn sign_in(state: &Arc<AppState>, email: &str, password: &str) -> (StatusCode, HeaderMap, String) {
    let page = get(state, "/connexion", None).await.2;
    let token = token_in(&page, "/connexion");
    let body = format!("jeton={token}&email={}&password={}", enc(email), enc(password));
    post(state, "/connexion", body, None).await
}

pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// "name=value" of the session cookie set by a response.
pub fn cookie_of(headers: &HeaderMap) -> String {
    headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().split(';').next().unwrap().to_string()
}

pub fn hidden(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Creates an account of `role` and signs it in (with a second factor for
/// an admin); returns the session cookie.
pub async fn signed_in(state: &Arc<AppState>, store: &Store, email: &str, role: Role) -> String {
    use osez_core::account::totp;
    let hash = hash_password(&NewPassword::parse(PASSWORD).unwrap(), &[5; 16]);
    let user = store.create_user(&Email::parse(email).unwrap(), &hash, role, "test").await.unwrap();
    let secret = totp::secret_base32(&[7; 20]);
    if role.requires_totp() {
        store.enable_totp(&user, &secret, 0).await.unwrap();
    }
    let (status, headers, page) = sign_in(state, email, PASSWORD).await;
    if !role.requires_totp() {
        assert_eq!(status, StatusCode::SEE_OTHER);
        return cookie_of(&headers);
    }
    let (token, uid) = (hidden(&page, "jeton"), hidden(&page, "uid"));
    let code = totp::code_at(&secret, unix_now()).unwrap();
    let (status, headers, _) =
        post(state, "/connexion/code", format!("jeton={token}&uid={uid}&code={code}"), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    cookie_of(&headers)
}

/// The text of escaped HTML, for the characters the tests meet.
pub fn unescape(html: &str) -> String {
    html.replace("&#38;", "&").replace("&amp;", "&").replace("&#39;", "'").replace("&#x27;", "'")
}

/// The answer, in digits, to the question in words of a form
/// ("Combien font trois plus quatre ?").
pub fn answer_in_words(page: &str) -> String {
    const WORDS: [&str; 10] = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"];
    let text = page.split("Combien font ").nth(1).expect("a question").split(" ?").next().unwrap();
    let (a, b) = text.split_once(" plus ").unwrap();
    let n = |w: &str| WORDS.iter().position(|x| *x == w).unwrap();
    (n(a) + n(b)).to_string()
}

/// A request from the client at `ip`, as the server sees its peer.
pub fn from_ip(mut req: Request<Body>, ip: &str) -> Request<Body> {
    let addr = std::net::SocketAddr::new(ip.parse().unwrap(), 41_000);
    req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
    req
}

/// Shows the report form of a profile to the client at `ip`, then sends
/// it as a person without JavaScript would (the question answered in
/// words); the status and page of the answer.
pub async fn report_from(state: &Arc<AppState>, id: &str, ip: &str, message: &str) -> (StatusCode, String) {
    let path = format!("/conseillers/{id}/signaler");
    let page = send(state, from_ip(Request::get(&path).body(Body::empty()).unwrap(), ip)).await.2;
    let body = format!(
        "jeton={}&reason=demarchage&message={}&site_web=&question={}&reponse={}",
        enc(&token_in(&page, &path)),
        enc(message),
        enc(&hidden(&page, "question")),
        answer_in_words(&page)
    );
    let req = Request::post(&path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let (status, _, page) = send(state, from_ip(req, ip)).await;
    (status, unescape(&page))
}

/// The anti-robot fields of a public form shown as `page`, answered as a
/// person without JavaScript would: the honeypot left empty and the
/// question answered.
pub fn challenge_fields(page: &str) -> String {
    format!("&site_web=&question={}&reponse={}", enc(&hidden(page, "question")), answer_in_words(page))
}

pub const DAY: i64 = 86_400_000;

/// A published consultation, open now or closed since yesterday.
pub fn new_consultation(slug: &str, open: bool) -> osez_store::NewConsultation<'_> {
    let now = osez_web::now_ms();
    let (opens_at, closes_at) = if open { (now - DAY, now + DAY) } else { (now - 2 * DAY, now - DAY) };
    osez_store::NewConsultation {
        slug,
        title: "Encadrer l'IA",
        question: "Comment encadrer l'intelligence artificielle ?",
        description: "Pour les tests.",
        opens_at,
        closes_at,
        status: osez_store::ConsultationStatus::Published,
        origin: osez_store::Origin::Osez,
    }
}
