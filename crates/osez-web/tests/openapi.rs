//! `openapi.json` is written by hand; this test keeps it true. Every answer
//! the API really gives, for good requests and bad, while starting and when
//! rate-limited, must be a status the description documents for that
//! operation, with a body its schema accepts. Objects are checked strictly
//! (a field the code adds and the description lacks fails), and every
//! operation and every documented status must be met at least once.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use common::*;
use osez_core::consultation::proposal::RefusalReason;
use osez_store::{ConsultationStatus, Moderation, NewConsultation, Origin, Store};
use osez_web::{AppState, WebConfig};
use serde_json::{Value, json};

/// The spec, with `additionalProperties: false` on every object schema that
/// lists its properties and says nothing of others.
fn strict(mut schema: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut schema);
    schema
}

struct Spec {
    doc: Value,
    /// (operation path, status) met by a real answer.
    met: BTreeSet<(String, String)>,
}

impl Spec {
    async fn load(state: &Arc<AppState>) -> Spec {
        let (status, _, body) = get(state, "/api/openapi.json", None).await;
        assert_eq!(status, StatusCode::OK);
        Spec { doc: strict(serde_json::from_str(&body).unwrap()), met: BTreeSet::new() }
    }

    /// Which documented path template `uri` answers to.
    fn operation(&self, uri: &str) -> String {
        let path = uri.split('?').next().unwrap();
        let parts: Vec<&str> = path.split('/').collect();
        self.doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .find(|template| {
                let t: Vec<&str> = template.split('/').collect();
                t.len() == parts.len() && t.iter().zip(&parts).all(|(a, b)| a == b || a.starts_with('{'))
            })
            .unwrap_or_else(|| panic!("{path} answers but is not in openapi.json"))
            .clone()
    }

    /// Sends `uri` to `state` and checks the answer against the description.
    async fn check(&mut self, state: &Arc<AppState>, uri: &str) -> StatusCode {
        self.check_request(state, "get", uri, None, None).await.0
    }

    /// Sends a request (a JSON body for a POST, a cookie) and checks the
    /// answer; gives its status, headers and body.
    async fn check_request(
        &mut self,
        state: &Arc<AppState>,
        method: &str,
        uri: &str,
        body: Option<(&str, &str)>,
        cookie: Option<&str>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut b = Request::builder().method(method.to_uppercase().as_str()).uri(uri);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        let req = match body {
            Some((content_type, body)) => {
                b.header(header::CONTENT_TYPE, content_type).body(Body::from(body.to_owned())).unwrap()
            }
            None => b.body(Body::empty()).unwrap(),
        };
        let (status, headers, body) = send(state, req).await;
        let op = self.operation(uri);
        let code = status.as_u16().to_string();
        let response = &self.doc["paths"][&op][method]["responses"][&code];
        assert!(
            response.is_object(),
            "{method} {uri} answered {status}, which openapi.json does not document for {op}: {body}"
        );
        if status == StatusCode::NO_CONTENT {
            assert!(body.is_empty() && response.get("content").is_none(), "{method} {uri}: 204 with a body");
            self.met.insert((format!("{method} {op}"), code));
            return (status, headers, Value::Null);
        }
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(content_type.starts_with("application/json"), "{method} {uri}: {content_type}");
        let schema = &response["content"]["application/json"]["schema"];
        let instance: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method} {uri}: not JSON ({e})"));
        let validator = jsonschema::validator_for(schema).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{method} {uri} ({status}) does not match openapi.json:\n{}", errors.join("\n"));
        self.met.insert((format!("{method} {op}"), code));
        (status, headers, instance)
    }

    fn documented(&self) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                assert!(matches!(method.as_str(), "get" | "post" | "delete"), "{path}: {method} is not checked here");
                for code in op["responses"].as_object().unwrap().keys() {
                    out.insert((format!("{method} {path}"), code.clone()));
                }
            }
        }
        out
    }
}

/// A sample value for each documented query parameter.
fn sample(param: &Value) -> String {
    if let Some(values) = param["schema"]["enum"].as_array() {
        return values[0].as_str().unwrap().to_string();
    }
    match param["name"].as_str().unwrap() {
        "q" => "ia".into(),
        "near" => "Lyon".into(),
        "radius_km" => "25".into(),
        "region" => "Bretagne".into(),
        "department" => "2A".into(),
        "remote" => "true".into(),
        "page" | "per_page" => "2".into(),
        other => panic!("no sample value for the documented parameter {other}"),
    }
}

#[tokio::test]
async fn every_api_answer_matches_openapi_json() {
    let (_, state, store) = apps_with(common::test_config()).await.remove(0);
    let mut spec = Spec::load(&state).await;
    let id = advisers()[0].id.as_str().to_string();

    // Good requests: every documented parameter, alone.
    let params = spec.doc["paths"]["/api/v1/advisers"]["get"]["parameters"].as_array().unwrap().clone();
    for p in &params {
        let uri = format!("/api/v1/advisers?{}={}", p["name"].as_str().unwrap(), enc(&sample(p)));
        assert_eq!(spec.check(&state, &uri).await, StatusCode::OK, "{uri}");
    }
    for uri in [
        "/api/v1/advisers",
        "/api/v1/advisers?q=comptabilite+pres+de+Rennes",
        "/api/v1/advisers?q=methanisation+xyzzy+plop",
        "/api/v1/advisers?q=ia&page=999",
    ] {
        assert_eq!(spec.check(&state, uri).await, StatusCode::OK, "{uri}");
    }
    assert_eq!(spec.check(&state, &format!("/api/v1/advisers/{id}")).await, StatusCode::OK);
    let params = spec.doc["paths"]["/api/v1/resources"]["get"]["parameters"].as_array().unwrap().clone();
    for p in &params {
        let uri = format!("/api/v1/resources?{}={}", p["name"].as_str().unwrap(), enc(&sample(p)));
        assert_eq!(spec.check(&state, &uri).await, StatusCode::OK, "{uri}");
    }
    for uri in [
        "/api/v1/resources",
        "/api/v1/resources?q=devis&type=webinaire",
        "/api/v1/resources?q=xyzzy+plop",
        "/api/v1/resources/webinaire-premiers-pas-avec-l-ia-generative",
        "/api/v1/resources/lecture-automatique-des-bons-de-commande",
        "/api/v1/resources/rgpd-et-ia-generative",
        "/api/v1/search?q=site+internet",
        "/api/v1/search?q=comptabilite+pres+de+Rennes&per_page=3",
        "/api/v1/search",
    ] {
        assert_eq!(spec.check(&state, uri).await, StatusCode::OK, "{uri}");
    }

    // Bad requests.
    for uri in [
        "/api/v1/advisers?radius_km=-3",
        "/api/v1/advisers?kind=robot",
        "/api/v1/advisers?page=0",
        "/api/v1/resources?type=robot",
        "/api/v1/resources?theme=%3Cscript%3E",
        "/api/v1/search?per_page=0",
    ] {
        assert_eq!(spec.check(&state, uri).await, StatusCode::BAD_REQUEST, "{uri}");
    }
    assert_eq!(spec.check(&state, "/api/v1/advisers/inconnu").await, StatusCode::NOT_FOUND);
    assert_eq!(spec.check(&state, "/api/v1/resources/inconnue").await, StatusCode::NOT_FOUND);

    // Consultations: the list, results, a sequence and votes.
    consultations(&store).await;
    assert_eq!(spec.check(&state, "/api/v1/consultations").await, StatusCode::OK);
    assert_eq!(spec.check(&state, "/api/v1/consultations/ia/results").await, StatusCode::OK);
    assert_eq!(spec.check(&state, "/api/v1/consultations/inconnue/results").await, StatusCode::NOT_FOUND);
    assert_eq!(spec.check(&state, "/api/v1/consultations/close/sequence").await, StatusCode::CONFLICT);
    assert_eq!(spec.check(&state, "/api/v1/consultations/inconnue/sequence").await, StatusCode::NOT_FOUND);
    let (status, headers, served) =
        spec.check_request(&state, "get", "/api/v1/consultations/ia/sequence", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = cookie_of(&headers);
    let first = &served["proposals"][0];
    let good = json!({ "proposal_id": first["id"], "key": first["key"], "vote": "agree", "qualification": "doable" });
    let refused = store.proposals(1, Some(osez_core::consultation::proposal::ProposalStatus::Refused)).await.unwrap();
    let votes: Vec<(&str, String, StatusCode)> = vec![
        ("application/json", good.to_string(), StatusCode::OK),
        ("application/json", "{}".into(), StatusCode::BAD_REQUEST),
        (
            "application/json",
            json!({ "proposal_id": 999_999, "key": "", "vote": "agree" }).to_string(),
            StatusCode::NOT_FOUND,
        ),
        (
            "application/json",
            json!({ "proposal_id": refused[0].id, "key": "", "vote": "agree" }).to_string(),
            StatusCode::CONFLICT,
        ),
        ("application/x-www-form-urlencoded", "vote=agree".into(), StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ];
    for (content_type, body, expected) in votes {
        let uri = "/api/v1/consultations/ia/votes";
        let (status, _, answer) =
            spec.check_request(&state, "post", uri, Some((content_type, &body)), Some(&cookie)).await;
        assert_eq!(status, expected, "{body}: {answer}");
    }

    // The assistant: a whole conversation, to its maximum length.
    let messages = "/api/v1/assistant/messages";
    let json = "application/json";
    let say = |text: &str, id: Option<&str>| json!({ "conversation_id": id, "text": text }).to_string();
    let (status, _, first) =
        spec.check_request(&state, "post", messages, Some((json, &say("Je cherche un conseiller.", None))), None).await;
    assert_eq!(status, StatusCode::OK);
    let conversation = first["conversation_id"].as_str().unwrap().to_string();
    let mut last = StatusCode::OK;
    for turn in 0..25 {
        let text = if turn % 2 == 0 { "Cybersécurité" } else { "Lyon" };
        let body = say(text, Some(&conversation));
        last = spec.check_request(&state, "post", messages, Some((json, &body)), None).await.0;
        if last != StatusCode::OK {
            break;
        }
    }
    assert_eq!(last, StatusCode::CONFLICT, "a conversation is full after its 40 messages");
    for (content_type, body, expected) in [
        (json, say("", None), StatusCode::UNPROCESSABLE_ENTITY),
        (json, say(&"a".repeat(50_000), None), StatusCode::UNPROCESSABLE_ENTITY),
        (json, say(&"é".repeat(50_000), None), StatusCode::PAYLOAD_TOO_LARGE),
        (json, say("bonjour", Some("0123456789abcdef0123456789abcdef")), StatusCode::NOT_FOUND),
        (json, "{\"texte\": 1}".to_string(), StatusCode::BAD_REQUEST),
        ("text/plain", "bonjour".to_string(), StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ] {
        let (status, _, answer) = spec.check_request(&state, "post", messages, Some((content_type, &body)), None).await;
        assert_eq!(status, expected, "{answer}");
    }
    let erase = format!("/api/v1/assistant/conversations/{conversation}");
    for expected in [StatusCode::NO_CONTENT, StatusCode::NOT_FOUND] {
        assert_eq!(spec.check_request(&state, "delete", &erase, None, None).await.0, expected);
    }

    // Starting: not ready yet.
    let starting = AppState::new(geo(), common::test_config());
    for uri in [
        "/api/v1/advisers?q=ia",
        &format!("/api/v1/advisers/{id}"),
        "/api/v1/resources?q=ia",
        "/api/v1/resources/rgpd-et-ia-generative",
        "/api/v1/search?q=ia",
        "/api/v1/consultations",
        "/api/v1/consultations/ia/results",
        "/api/v1/consultations/ia/sequence",
    ] {
        assert_eq!(spec.check(&starting, uri).await, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
    }
    let vote = Some(("application/json", r#"{"proposal_id":1,"key":"","vote":"agree"}"#));
    let (status, _, _) = spec.check_request(&starting, "post", "/api/v1/consultations/ia/votes", vote, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let hello = Some(("application/json", r#"{"text":"bonjour"}"#));
    let (status, _, _) = spec.check_request(&starting, "post", "/api/v1/assistant/messages", hello, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    // Rate-limited.
    let (_, limited, _) = apps_with(WebConfig {
        search_per_minute: 1,
        votes_per_minute: 1,
        forms_per_minute: 1,
        ..common::test_config()
    })
    .await
    .remove(0);
    let mut last = StatusCode::OK;
    for _ in 0..3 {
        last = spec.check(&limited, "/api/v1/advisers?q=ia").await;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    for uri in [
        &format!("/api/v1/advisers/{id}"),
        "/api/v1/resources?q=ia",
        "/api/v1/resources/rgpd-et-ia-generative",
        "/api/v1/search?q=ia",
        "/api/v1/consultations",
        "/api/v1/consultations/ia/results",
        "/api/v1/consultations/ia/sequence",
    ] {
        assert_eq!(spec.check(&limited, uri).await, StatusCode::TOO_MANY_REQUESTS, "{uri}");
    }
    for expected in [StatusCode::NOT_FOUND, StatusCode::TOO_MANY_REQUESTS] {
        let (status, _, _) = spec.check_request(&limited, "post", "/api/v1/consultations/ia/votes", vote, None).await;
        assert_eq!(status, expected);
    }

    for expected in [StatusCode::OK, StatusCode::TOO_MANY_REQUESTS] {
        let (status, _, _) = spec.check_request(&limited, "post", "/api/v1/assistant/messages", hello, None).await;
        assert_eq!(status, expected);
    }

    let unmet: Vec<_> = spec.documented().difference(&spec.met).cloned().collect();
    assert!(unmet.is_empty(), "documented but never met by a real answer: {unmet:?}");
}

/// An open consultation `ia` (two accepted proposals, one refused) and a
/// closed one, `close`.
async fn consultations(store: &Store) {
    let now = osez_web::now_ms();
    for (slug, opens_at, closes_at) in [("ia", now - 1_000, now + 86_400_000), ("close", now - 2_000, now - 1_000)] {
        store
            .create_consultation(&NewConsultation {
                slug,
                title: "Encadrer l'IA",
                question: "Comment encadrer l'IA ?",
                description: "Pour les tests.",
                opens_at,
                closes_at,
                status: ConsultationStatus::Published,
                origin: Origin::Osez,
            })
            .await
            .unwrap();
    }
    for (i, decision) in
        [Moderation::Accept, Moderation::Accept, Moderation::Refuse(RefusalReason::OffTopic)].into_iter().enumerate()
    {
        let p = store.submit_proposal(1, &format!("a{i}"), None, &format!("Il faut l'idée {i}"), None).await.unwrap();
        store.moderate_proposal(p.id, decision, "m", |_, _| None).await.unwrap();
    }
}
