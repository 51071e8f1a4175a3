//! The security baseline, end to end through the router: cross-site state
//! changes, escaping of everything users type, rate limits, headers.

mod common;

use std::sync::{Arc, OnceLock};

use axum::body::{Body, to_bytes};
use axum::http::{HeaderName, Method, Request, StatusCode, header};
use osez_core::{Adviser, Geography, demo};
use osez_search::Engine;
use osez_store::Store;
use osez_web::{AppState, Directory, Secrets, WebConfig, router};
use tower::ServiceExt;

fn geo() -> Arc<Geography> {
    static GEO: OnceLock<Arc<Geography>> = OnceLock::new();
    GEO.get_or_init(|| Arc::new(Geography::embedded().unwrap())).clone()
}

fn advisers() -> &'static [Adviser] {
    static ADVISERS: OnceLock<Vec<Adviser>> = OnceLock::new();
    ADVISERS.get_or_init(|| demo::generate(&geo(), demo::DEFAULT_SEED).into_iter().take(300).collect())
}

async fn app(config: WebConfig) -> (Arc<AppState>, Store) {
    let (_, store) = osez_store::testing::stores().await.into_iter().next().unwrap();
    store.upsert_advisers(advisers()).await.unwrap();
    let engine = Engine::in_ram(advisers().to_vec(), geo()).unwrap();
    let state = AppState::new(geo(), config);
    state.set_ready(store.clone(), Secrets { form_key: [1; 32] }, Directory::new(engine));
    (state, store)
}

async fn send(state: &Arc<AppState>, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = to_bytes(res.into_body(), 1 << 24).await.unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// Every path the router knows, and some it does not: the refusal is a
/// layer on the whole router, so routes to come are covered as well.
fn paths() -> Vec<String> {
    let id = advisers()[0].id.as_str();
    vec![
        "/".into(),
        "/recherche?q=ia".into(),
        format!("/conseillers/{id}"),
        format!("/conseillers/{id}/signaler"),
        "/accessibilite".into(),
        "/mentions-legales".into(),
        "/contact".into(),
        format!("/conseillers/{id}/contact"),
        "/altcha/defi".into(),
        "/mes-donnees".into(),
        "/mes-donnees/acces?jeton=abc".into(),
        "/static/altcha.min.js".into(),
        "/healthz".into(),
        "/api/v1/advisers".into(),
        format!("/api/v1/advisers/{id}"),
        "/api/openapi.json".into(),
        "/static/style.css".into(),
        "/favicon.ico".into(),
        "/connexion".into(),
        "/deconnexion".into(),
        "/connexion/oubli".into(),
        "/connexion/nouveau".into(),
        "/connexion/code".into(),
        "/connexion/activation".into(),
        "/admin".into(),
        "/admin/session/prolonger".into(),
        "/admin/session/partout".into(),
        "/candidature".into(),
        "/candidature/envoyee".into(),
        "/appels".into(),
        "/appels/1/candidature".into(),
        "/admin/candidature".into(),
        "/admin/candidature/1".into(),
        "/admin/profil".into(),
        "/admin/candidatures".into(),
        "/admin/candidatures/1".into(),
        "/admin/appels".into(),
        "/admin/messages".into(),
        "/admin/messages/1".into(),
        "/admin/demandes".into(),
        "/admin/demandes/1".into(),
        "/admin/suivi".into(),
        "/admin/moderation".into(),
        format!("/admin/moderation/{id}"),
        "/admin/recherches".into(),
        "/admin/recherches.csv".into(),
        "/admin/couverture".into(),
        "/admin/journal".into(),
        "/admin/journal.csv".into(),
        "/admin/comptes".into(),
        "/admin/comptes/1/sessions".into(),
        "/admin/comptes/1/etat".into(),
        "/admin/route-a-venir".into(),
        "/api/v2/route-a-venir".into(),
    ]
}

#[tokio::test]
async fn every_state_changing_request_from_another_site_is_refused() {
    let (state, store) = app(common::test_config()).await;
    let id = advisers()[0].id.as_str();
    let token_page =
        send(&state, Request::get(format!("/conseillers/{id}/signaler")).body(Body::empty()).unwrap()).await.2;
    let token = token_page.split("name=\"jeton\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let body = format!("jeton={token}&reason=demarchage&message=x");
    let attacks: [(&str, &str); 3] =
        [("sec-fetch-site", "cross-site"), ("sec-fetch-site", "same-site"), ("origin", "https://evil.example")];
    for path in paths() {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            for (name, value) in attacks {
                let req = Request::builder()
                    .method(method.clone())
                    .uri(&path)
                    .header(header::HOST, "osez.test")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(HeaderName::from_static(name), value)
                    .body(Body::from(body.clone()))
                    .unwrap();
                let (status, _, text) = send(&state, req).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} with {name}: {value}");
                if path.starts_with("/api/") {
                    assert!(text.contains("\"forbidden\""), "{path}: JSON refusal");
                } else {
                    assert!(text.contains("Requête refusée"), "{path}: French page");
                }
            }
        }
    }
    assert_eq!(store.abuse_report_count(&advisers()[0].id).await.unwrap(), 0, "nothing saved");
    // A GET never changes anything, whatever it carries.
    let get = format!("/conseillers/{id}/signaler?jeton={token}&reason=demarchage&message=x");
    assert_eq!(send(&state, Request::get(get).body(Body::empty()).unwrap()).await.0, StatusCode::OK);
    assert_eq!(store.abuse_report_count(&advisers()[0].id).await.unwrap(), 0, "GET saved nothing");
}

const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "</textarea><script>alert(1)</script>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "{{7*7}}<%= 7*7 %>${7*7}",
    "<iframe src=//evil.example>",
    "\u{202e}<b>gras</b>",
];

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn nothing_anyone_types_is_rendered_unescaped() {
    let (state, _) = app(common::test_config()).await;
    let id = advisers()[1].id.as_str();
    for payload in XSS {
        let p = encode(payload);
        for uri in [
            format!("/recherche?q={p}"),
            format!("/recherche?near={p}"),
            format!("/recherche?q=ia&kind={p}"),
            format!("/recherche?q=ia&department={p}"),
            format!("/recherche?q=ia&radius_km={p}"),
            format!("/recherche?q={p}&specialty=cybersecurite&page=2"),
            format!("/conseillers/{p}"),
        ] {
            let (status, _, body) = send(&state, Request::get(&uri).body(Body::empty()).unwrap()).await;
            assert!(status.is_success() || status.is_client_error(), "{uri}: {status}");
            if payload.contains('<') || payload.contains('"') {
                assert!(!body.contains(payload), "{uri}: rendered unescaped");
            }
            assert!(!body.contains("<script>alert"), "{uri}");
            assert!(!body.contains("onerror=alert(1)>"), "{uri}");
        }
        let page =
            send(&state, Request::get(format!("/conseillers/{id}/signaler")).body(Body::empty()).unwrap()).await.2;
        let token = page.split("name=\"jeton\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let req = Request::post(format!("/conseillers/{id}/signaler"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("jeton={token}&reason={p}&message={p}")))
            .unwrap();
        let (_, _, body) = send(&state, req).await;
        assert!(!body.contains(payload) || !(payload.contains('<') || payload.contains('"')), "report form echo");
        assert!(!body.contains("<script>alert"));
    }
}

#[tokio::test]
async fn too_many_requests_from_one_address_get_a_429_in_french() {
    let config = WebConfig { search_per_minute: 3, forms_per_minute: 2, ..common::test_config() };
    let (state, _) = app(config).await;
    for _ in 0..3 {
        assert_eq!(
            send(&state, Request::get("/api/v1/advisers?q=ia").body(Body::empty()).unwrap()).await.0,
            StatusCode::OK
        );
    }
    let (status, headers, body) =
        send(&state, Request::get("/api/v1/advisers?q=ia").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.get(header::RETRY_AFTER).is_some());
    assert!(body.contains("rate_limited") && body.contains("Réessayez"), "{body}");
    let (status, _, body) = send(&state, Request::get("/recherche?q=ia").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "pages and API share the search quota");
    assert!(body.contains("Trop de requêtes"));
    // Other pages are not limited.
    assert_eq!(send(&state, Request::get("/").body(Body::empty()).unwrap()).await.0, StatusCode::OK);
    let id = advisers()[2].id.as_str();
    let post = || {
        Request::post(format!("/conseillers/{id}/signaler"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("reason=autre"))
            .unwrap()
    };
    assert_eq!(send(&state, post()).await.0, StatusCode::FORBIDDEN, "no token");
    assert_eq!(send(&state, post()).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&state, post()).await.0, StatusCode::TOO_MANY_REQUESTS, "third form post in a minute");
}

#[tokio::test]
async fn a_trusted_proxy_header_tells_clients_apart() {
    let config = WebConfig {
        search_per_minute: 1,
        trusted_proxy_header: Some(HeaderName::from_static("x-forwarded-for")),
        hsts: true,
        ..common::test_config()
    };
    let (state, _) = app(config).await;
    let from = |ip: &str| {
        Request::get("/api/v1/advisers?q=ia")
            .header("x-forwarded-for", format!("203.0.113.9, {ip}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&state, from("198.51.100.1")).await.0, StatusCode::OK);
    assert_eq!(send(&state, from("198.51.100.2")).await.0, StatusCode::OK, "another client");
    assert_eq!(send(&state, from("198.51.100.1")).await.0, StatusCode::TOO_MANY_REQUESTS, "same client again");
    let (_, headers, _) = send(&state, Request::get("/").body(Body::empty()).unwrap()).await;
    assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).unwrap().to_str().unwrap().contains("max-age="));
}

#[tokio::test]
async fn no_hsts_on_plain_http() {
    let (state, _) = app(common::test_config()).await;
    let (_, headers, _) = send(&state, Request::get("/").body(Body::empty()).unwrap()).await;
    assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    assert_eq!(headers.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
}

/// Per-IP limits key an IPv6 client by its /64, the block one subscriber
/// gets: keyed by the whole address, one subscriber had 2^64 quotas.
#[tokio::test]
async fn two_addresses_of_one_ipv6_slash_64_share_a_quota() {
    let (state, _) = app(WebConfig { search_per_minute: 1, ..common::test_config() }).await;
    let from = |ip: &str| {
        let mut req = Request::get("/api/v1/advisers?q=ia").body(Body::empty()).unwrap();
        let peer = std::net::SocketAddr::new(ip.parse().unwrap(), 41_000);
        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        req
    };
    assert_eq!(send(&state, from("2001:db8:5:6::1")).await.0, StatusCode::OK);
    assert_eq!(send(&state, from("2001:db8:5:6:a:b:c:d")).await.0, StatusCode::TOO_MANY_REQUESTS, "same /64");
    assert_eq!(send(&state, from("2001:db8:5:7::1")).await.0, StatusCode::OK, "another /64");
    assert_eq!(send(&state, from("198.51.100.9")).await.0, StatusCode::OK);
    assert_eq!(send(&state, from("::ffff:198.51.100.9")).await.0, StatusCode::TOO_MANY_REQUESTS, "IPv4-mapped");
}
