//! Sign-in, sessions and sign-out, through the router, on every backend.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use osez_core::account::{Email, NewPassword, Role, hash_password};

#[tokio::test]
async fn sign_in_sets_a_host_cookie_and_opens_the_back_office() {
    for (name, state, store) in apps().await {
        let (status, headers, _) = sign_in(&state, "Editrice@Exemple.fr", PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        let set = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        assert!(set.starts_with("__Host-osez_session="), "{set}");
        for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(set.contains(attr), "{set}");
        }
        let cookie = cookie_of(&headers);
        let (status, headers, page) = get(&state, "/admin", Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("editrice@exemple.fr") && page.contains("Éditeur"));
        assert!(page.contains("Prolonger la session"), "RGAA 13.1: a way to extend");
        assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
        // A second sign-in gets another token.
        let other = cookie_of(&sign_in(&state, "editrice@exemple.fr", PASSWORD).await.1);
        assert_ne!(other, cookie);
        let log = store.audit_entries(10).await.unwrap();
        assert!(log.iter().any(|e| e.action == "connexion.reussie"), "{name}");
    }
}

#[tokio::test]
async fn no_session_or_a_forged_one_goes_to_the_sign_in_page() {
    for (_backend, state, _) in apps().await {
        for cookie in
            [None, Some("__Host-osez_session=00000000000000000000000000000000"), Some("__Host-osez_session=<script>")]
        {
            let (status, headers, _) = get(&state, "/admin", cookie).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{cookie:?}");
            assert_eq!(headers.get(header::LOCATION).unwrap(), "/connexion");
        }
    }
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_throttled() {
    for (name, state, store) in apps().await {
        for attempt in 1..=5 {
            let (status, _, page) = sign_in(&state, "editrice@exemple.fr", "mauvais mot de passe").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: attempt {attempt}");
            assert!(page.contains("Adresse e-mail ou mot de passe incorrect"));
        }
        // The sixth attempt in a minute: 429, even with the right password.
        let (status, _, page) = sign_in(&state, "editrice@exemple.fr", PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{name}");
        assert!(page.contains("Trop de tentatives"));
        let log = store.audit_entries(20).await.unwrap();
        assert_eq!(log.iter().filter(|e| e.action == "connexion.echec").count(), 5, "{name}");
        assert!(log.iter().any(|e| e.action == "connexion.bloquee"), "{name}");
    }
}

#[tokio::test]
async fn unknown_accounts_and_bad_forms_get_the_same_french_answer() {
    for (_backend, state, _) in apps().await {
        let (status, _, page) = sign_in(&state, "personne@exemple.fr", PASSWORD).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(page.contains("Adresse e-mail ou mot de passe incorrect"));
        let (status, _, page) = post(&state, "/connexion", format!("email=a&password={}", enc(PASSWORD)), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "no form token");
        assert!(page.contains("Rechargez la page"));
    }
}

#[tokio::test]
async fn sign_out_and_sign_out_everywhere() {
    for (name, state, _) in apps().await {
        let first = cookie_of(&sign_in(&state, "editrice@exemple.fr", PASSWORD).await.1);
        let second = cookie_of(&sign_in(&state, "editrice@exemple.fr", PASSWORD).await.1);
        let page = get(&state, "/admin", Some(&first)).await.2;

        // A token of one session does not work for another.
        let foreign = token_in(&page, "/deconnexion");
        assert_eq!(
            post(&state, "/deconnexion", format!("jeton={foreign}"), Some(&second)).await.0,
            StatusCode::FORBIDDEN
        );

        let (status, headers, _) = post(&state, "/deconnexion", format!("jeton={foreign}"), Some(&first)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        assert!(headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().contains("Max-Age=0"));
        assert_eq!(get(&state, "/admin", Some(&first)).await.0, StatusCode::SEE_OTHER, "{name}: first session ended");
        assert_eq!(get(&state, "/admin", Some(&second)).await.0, StatusCode::OK, "{name}: second still open");

        let third = cookie_of(&sign_in(&state, "editrice@exemple.fr", PASSWORD).await.1);
        let page = get(&state, "/admin", Some(&second)).await.2;
        let everywhere = token_in(&page, "/admin/session/partout");
        assert_eq!(
            post(&state, "/admin/session/partout", format!("jeton={everywhere}"), Some(&second)).await.0,
            StatusCode::SEE_OTHER
        );
        for c in [&second, &third] {
            assert_eq!(get(&state, "/admin", Some(c)).await.0, StatusCode::SEE_OTHER, "{name}: every session ended");
        }
    }
}

#[tokio::test]
async fn admins_set_up_a_second_factor_and_codes_never_work_twice() {
    use osez_core::account::totp;
    for (name, state, store) in apps().await {
        let hash = hash_password(&NewPassword::parse(PASSWORD).unwrap(), &[4; 16]);
        store.create_user(&Email::parse("admin@exemple.fr").unwrap(), &hash, Role::Admin, "test").await.unwrap();

        // First sign-in: the password opens the set-up page, not a session.
        let (status, headers, page) = sign_in(&state, "admin@exemple.fr", PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(headers.get(header::SET_COOKIE).is_none(), "{name}: no session yet");
        assert!(page.contains("Activer la double authentification"));
        let (secret, uid, token) = (hidden(&page, "secret"), hidden(&page, "uid"), hidden(&page, "jeton"));

        let wrong = format!("jeton={token}&uid={uid}&secret={secret}&code=000000");
        let (status, _, page) = post(&state, "/connexion/activation", wrong, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
        assert!(page.contains("Code incorrect"));
        // A secret other than the one offered is refused: the token binds it.
        let other = totp::secret_base32(&[1; 20]);
        let code = totp::code_at(&other, unix_now()).unwrap();
        let swapped = format!("jeton={token}&uid={uid}&secret={other}&code={code}");
        assert_eq!(post(&state, "/connexion/activation", swapped, None).await.0, StatusCode::FORBIDDEN, "{name}");

        let code = totp::code_at(&secret, unix_now()).unwrap();
        let (status, headers, _) =
            post(&state, "/connexion/activation", format!("jeton={token}&uid={uid}&secret={secret}&code={code}"), None)
                .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        let cookie = cookie_of(&headers);
        assert_eq!(get(&state, "/admin", Some(&cookie)).await.0, StatusCode::OK);

        // Next sign-in: password, then a code; the code just used is refused.
        let (status, _, page) = sign_in(&state, "admin@exemple.fr", PASSWORD).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Code de vérification"));
        let token = hidden(&page, "jeton");
        let (status, _, page) =
            post(&state, "/connexion/code", format!("jeton={token}&uid={uid}&code={code}"), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: replayed code");
        assert!(page.contains("déjà utilisé"));
        let next = totp::code_at(&secret, unix_now() + 30).unwrap();
        let (status, headers, _) =
            post(&state, "/connexion/code", format!("jeton={token}&uid={uid}&code={next}"), None).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}: the next code works");
        assert!(headers.get(header::SET_COOKIE).is_some());

        // A token for one account does not let in another.
        let forged = format!("jeton={token}&uid=1&code={next}");
        assert_eq!(post(&state, "/connexion/code", forged, None).await.0, StatusCode::FORBIDDEN, "{name}");
        let log = store.audit_entries(50).await.unwrap();
        assert!(log.iter().any(|e| e.action == "compte.double_authentification"), "{name}");
        assert!(log.iter().any(|e| e.action == "connexion.code_refuse"), "{name}");
    }
}

#[tokio::test]
async fn unreadable_or_huge_forms_get_a_french_4xx() {
    for (_backend, state, _) in apps().await {
        for path in ["/connexion", "/connexion/code", "/connexion/activation", "/connexion/oubli", "/connexion/nouveau"]
        {
            let huge = format!("email={}", "x".repeat(10 * 1024 * 1024));
            let (status, _, _) = post(&state, path, huge, None).await;
            assert!(status.is_client_error(), "{path}: {status}");
            let req =
                Request::post(path).header(header::CONTENT_TYPE, "application/json").body(Body::from("{}")).unwrap();
            let (status, _, page) = send(&state, req).await;
            assert!(status.is_client_error(), "{path}: {status}");
            assert!(page.contains("lang=\"fr\""), "{path}: a French page, not plain text: {page}");
        }
    }
}

/// Signs in from `ip` (given by the trusted proxy header).
async fn sign_in_from(state: &std::sync::Arc<osez_web::AppState>, ip: &str, email: &str, password: &str) -> StatusCode {
    let page = get(state, "/connexion", None).await.2;
    let token = token_in(&page, "/connexion");
    let req = Request::post("/connexion")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", ip)
        .body(Body::from(format!("jeton={token}&email={}&password={}", enc(email), enc(password))))
        .unwrap();
    send(state, req).await.0
}

/// Regression: a password typed in the e-mail field stayed in the audit log
/// in clear, next to the raw IP address, forever.
#[tokio::test]
async fn the_audit_log_keeps_no_typed_password_and_no_raw_address() {
    let config = osez_web::WebConfig {
        secure_cookies: true,
        trusted_proxy_header: Some(axum::http::HeaderName::from_static("x-forwarded-for")),
        ..common::test_config()
    };
    for (name, state, store) in apps_with(config).await {
        let typed = "MonSecret 2026 tres long";
        assert_eq!(sign_in_from(&state, "203.0.113.7", typed, PASSWORD).await, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(
            sign_in_from(&state, "2001:db8:7:8::5", "editrice@exemple.fr", "mauvais").await,
            StatusCode::UNAUTHORIZED,
            "{name}"
        );
        assert_eq!(
            sign_in_from(&state, "2001:db8:7:8:aaaa::9", "editrice@exemple.fr", PASSWORD).await,
            StatusCode::SEE_OTHER,
            "{name}"
        );
        let log = store.audit_entries(50).await.unwrap();
        let signs: Vec<_> = log.iter().filter(|e| e.action.starts_with("connexion.")).collect();
        assert_eq!(signs.len(), 3, "{name}: {log:?}");
        for e in &log {
            let all = format!("{} {} {} {:?} {:?}", e.actor, e.action, e.target, e.before, e.after);
            for secret in ["MonSecret", "203.0.113", "2001:db8", "203", "db8"] {
                assert!(!all.contains(secret), "{name}: {secret} kept in {all}");
            }
        }
        let failed = log.iter().filter(|e| e.action == "connexion.echec").collect::<Vec<_>>();
        assert!(failed.iter().any(|e| e.actor == "(adresse non valide)"), "{name}: {failed:?}");
        assert!(failed.iter().any(|e| e.actor == "editrice@exemple.fr"), "{name}: an address is kept");
        let ok = log.iter().find(|e| e.action == "connexion.reussie").unwrap();
        let wrong = failed.iter().find(|e| e.actor == "editrice@exemple.fr").unwrap();
        assert_eq!(ok.target, wrong.target, "{name}: one IPv6 /64, one pseudonym");
        assert!(ok.target.starts_with("ip:"), "{name}: {}", ok.target);
    }
}

/// The page with the values of its form tokens cut out.
fn without_tokens(page: &str) -> String {
    let mut parts = page.split("name=\"jeton\" value=\"");
    let mut out = parts.next().unwrap_or_default().to_string();
    for p in parts {
        out.push_str(p.split_once('"').map(|(_, rest)| rest).unwrap_or(p));
    }
    out
}

/// Regression: a reset spent only the link used (an older mail could change
/// the password again), and anyone could send an account any number of links.
#[tokio::test]
async fn a_reset_spends_every_link_and_links_are_throttled_per_account() {
    let config = osez_web::WebConfig {
        secure_cookies: true,
        public_url: Some("https://osez.example.fr".into()),
        ..common::test_config()
    };
    for (name, state, store) in apps_with(config).await {
        let mut answers = Vec::new();
        for _ in 0..4 {
            let page = get(&state, "/connexion/oubli", None).await.2;
            let token = token_in(&page, "/connexion/oubli");
            let (status, _, page) =
                post(&state, "/connexion/oubli", format!("jeton={token}&email=editrice%40exemple.fr"), None).await;
            answers.push((status, without_tokens(&page)));
        }
        assert!(answers.iter().all(|a| a == &answers[0]), "{name}: the same neutral answer every time");
        assert_eq!(answers[0].0, StatusCode::OK, "{name}");
        let mails = store.take_due_mail(10, 60_000).await.unwrap();
        assert_eq!(mails.len(), 3, "{name}: three links in an hour, no fourth mail");
        let links: Vec<String> =
            mails.iter().map(|m| m.body.split("jeton=").nth(1).unwrap().chars().take(32).collect()).collect();
        let page = get(&state, &format!("/connexion/nouveau?jeton={}", links[1]), None).await.2;
        let token = token_in(&page, "/connexion/nouveau");
        let new = "un tout nouveau mot de passe";
        let body = format!("jeton={token}&lien={}&password={}&password2={}", links[1], enc(new), enc(new));
        let (status, _, _) = post(&state, "/connexion/nouveau", body, None).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        for other in [&links[0], &links[2]] {
            let (status, _, _) = get(&state, &format!("/connexion/nouveau?jeton={other}"), None).await;
            assert_eq!(status, StatusCode::GONE, "{name}: the other links are spent too");
        }
    }
}

/// Regression: Argon2id ran on the blocking pool without a cap.
#[tokio::test]
async fn sign_in_answers_a_french_503_with_retry_after_when_every_password_worker_is_busy() {
    let config = osez_web::WebConfig { secure_cookies: true, cpu_workers: Some(0), ..common::test_config() };
    let (_, state, store) = apps_with(config).await.remove(0);
    let (status, headers, page) = sign_in(&state, "editrice@exemple.fr", PASSWORD).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers.get(header::RETRY_AFTER).unwrap(), "5");
    assert!(page.contains("lang=\"fr\"") && page.contains("Réessayez dans 5 secondes"), "{page}");
    assert!(headers.get(header::SET_COOKIE).is_none());
    assert!(store.audit_entries(10).await.unwrap().iter().all(|e| e.action != "connexion.echec"), "not a failure");

    let config = osez_web::WebConfig { secure_cookies: true, cpu_workers: Some(1), ..common::test_config() };
    let (_, state, _) = apps_with(config).await.remove(0);
    assert_eq!(sign_in(&state, "editrice@exemple.fr", PASSWORD).await.0, StatusCode::SEE_OTHER, "one worker is enough");
}
