//! Claims of imported profiles ("C'est ma structure"), their review by the
//! team, invitations and their single-use links, on every backend.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use osez_core::account::{Email, Role, siret_is_valid};
use osez_store::{Invitation, NewMail, OutboxMail, Store};
use osez_web::{AppState, WebConfig};

fn config() -> WebConfig {
    WebConfig {
        secure_cookies: true,
        team_email: Some("equipe@osez.test".into()),
        public_url: Some("https://osez.example.fr".into()),
        mail_domain: "osez.example.fr".into(),
        ..test_config()
    }
}

/// A SIRET whose key is right (the last digit chosen to fit).
fn good_siret() -> String {
    (0..10).map(|k| format!("7328293200007{k}")).find(|s| siret_is_valid(s)).unwrap()
}

fn bad_siret() -> String {
    (0..10).map(|k| format!("7328293200007{k}")).find(|s| !siret_is_valid(s)).unwrap()
}

/// Shows the claim form of `id` to the client at `ip` and sends it as a
/// person without JavaScript would (the question answered in words); the
/// status, headers and page of the answer, and the body sent.
async fn claim_from(
    state: &Arc<AppState>,
    id: &str,
    ip: &str,
    email: &str,
    siret: &str,
) -> (StatusCode, axum::http::HeaderMap, String, String) {
    let path = format!("/conseillers/{id}/revendiquer");
    let page = send(state, from_ip(Request::get(&path).body(Body::empty()).unwrap(), ip)).await.2;
    let body = format!(
        "jeton={}&email={}&siret={}&message={}&site_web=&question={}&reponse={}",
        enc(&token_in(&page, &path)),
        enc(email),
        enc(siret),
        enc("Je suis la gérante."),
        enc(&hidden(&page, "question")),
        answer_in_words(&page)
    );
    let (status, headers, answer) = post_from(state, &path, body.clone(), ip, None).await;
    (status, headers, unescape(&answer), body)
}

async fn post_from(
    state: &Arc<AppState>,
    path: &str,
    body: String,
    ip: &str,
    cookie: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    send(state, from_ip(req.body(Body::from(body)).unwrap(), ip)).await
}

async fn mails(store: &Store) -> Vec<OutboxMail> {
    store.take_due_mail(1_000, 60_000).await.unwrap()
}

/// The path of the invitation link in a mail.
fn link_in(mail: &OutboxMail) -> String {
    let url = mail.body.split_whitespace().find(|w| w.contains("/invitation?jeton=")).expect("a link");
    url.strip_prefix("https://osez.example.fr").unwrap().to_string()
}

async fn editor(state: &Arc<AppState>) -> String {
    let (status, headers, _) = sign_in(state, "editrice@exemple.fr", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    cookie_of(&headers)
}

/// Decides a claim from its page in the back office.
async fn decide(state: &Arc<AppState>, cookie: &str, claim: i64, decision: &str, reason: &str) -> (StatusCode, String) {
    let path = format!("/admin/revendications/{claim}");
    let (status, _, page) = get(state, &path, Some(cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let body = format!("jeton={}&decision={decision}&motif={}", enc(&token_in(&page, &path)), enc(reason));
    let (status, _, page) = post(state, &path, body, Some(cookie)).await;
    (status, unescape(&page))
}

async fn set_password(state: &Arc<AppState>, link: &str, password: &str) -> (StatusCode, axum::http::HeaderMap) {
    let (status, _, page) = get(state, link, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let token = token_in(&page, "/invitation");
    let lien = hidden(&page, "lien");
    let body = format!("jeton={}&lien={lien}&password={}&password2={}", enc(&token), enc(password), enc(password));
    let (status, headers, _) = post(state, "/invitation", body, None).await;
    (status, headers)
}

#[tokio::test]
async fn a_claim_accepted_gives_an_account_whose_invitation_works_once() {
    for (backend, state, store) in apps_with(config()).await {
        let id = advisers()[1].id.as_str().to_string();
        let profile = get(&state, &format!("/conseillers/{id}"), None).await.2;
        assert!(profile.contains(&format!("href=\"/conseillers/{id}/revendiquer\"")), "{backend}");

        // A bad SIRET key: a French refusal, nothing saved.
        let (status, _, page, _) = claim_from(&state, &id, "198.51.100.1", "gerante@structure.fr", &bad_siret()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(page.contains("SIRET invalide"), "{backend}");
        assert!(store.claims().await.unwrap().is_empty(), "{backend}");

        let (status, headers, _, body) =
            claim_from(&state, &id, "198.51.100.1", "gerante@structure.fr", &good_siret()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{backend}");
        let to = headers.get(header::LOCATION).unwrap().to_str().unwrap().to_string();
        assert_eq!(to, format!("/conseillers/{id}/revendiquer?envoye=1"));
        assert!(unescape(&get(&state, &to, None).await.2).contains("Votre demande a bien été enregistrée"));
        // The same challenge twice: refused, nothing more saved.
        let path = format!("/conseillers/{id}/revendiquer");
        let (status, _, _) = post_from(&state, &path, body, "198.51.100.1", None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}: replay");
        let claims = store.claims().await.unwrap();
        assert_eq!(claims.len(), 1, "{backend}");
        assert_eq!((claims[0].siret.as_str(), claims[0].status.as_str()), (good_siret().as_str(), "pending"));
        assert!(mails(&store).await.is_empty(), "{backend}: a claim writes no mail");

        // The team reviews it.
        let cookie = editor(&state).await;
        let list = unescape(&get(&state, "/admin/revendications", Some(&cookie)).await.2);
        assert!(list.contains("gerante@structure.fr") && list.contains("À examiner"), "{backend}");
        let (status, page) = decide(&state, &cookie, claims[0].id, "accepter", "").await;
        assert_eq!(status, StatusCode::OK, "{backend}: {page}");
        assert!(page.contains("Revendication acceptée"), "{backend}");
        let user = store.user_by_email(&Email::parse("gerante@structure.fr").unwrap()).await.unwrap().unwrap();
        assert_eq!((user.role, user.adviser_id.as_deref()), (Role::Adviser, Some(id.as_str())), "{backend}");
        let sent = mails(&store).await;
        assert_eq!(sent.len(), 1, "{backend}");
        assert_eq!((sent[0].kind.as_str(), sent[0].to.as_str()), ("invitation", "gerante@structure.fr"));
        let audit = store.audit_entries(50).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "revendication.acceptee"), "{backend}");
        assert!(audit.iter().any(|e| e.action == "compte.invitation"), "{backend}");

        assert!(mails(&store).await.is_empty(), "{backend}: taken once");

        // The link sets the password once, then the adviser signs in and
        // edits the profile.
        let link = link_in(&sent[0]);
        let (status, headers) = set_password(&state, &link, "ma structure à moi").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{backend}");
        assert_eq!(headers.get(header::LOCATION).unwrap(), "/connexion?bienvenue=1");
        let (status, headers, _) = sign_in(&state, "gerante@structure.fr", "ma structure à moi").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{backend}");
        let adviser = cookie_of(&headers);
        assert_eq!(get(&state, "/admin/profil", Some(&adviser)).await.0, StatusCode::OK, "{backend}");
        assert_eq!(get(&state, &link, None).await.0, StatusCode::GONE, "{backend}: used once");

        // The profile has an account now: no more claims, the contact form.
        let page = unescape(&get(&state, &path, None).await.2);
        assert!(page.contains("déjà géré par un compte"), "{backend}");
        assert!(page.contains(&format!("/conseillers/{id}/contact")), "{backend}");
    }
}

#[tokio::test]
async fn a_second_decision_on_a_decided_claim_changes_nothing() {
    for (backend, state, store) in apps_with(config()).await {
        let id = advisers()[2].id.as_str().to_string();
        claim_from(&state, &id, "198.51.100.2", "a@structure.fr", &good_siret()).await;
        let claim = store.claims().await.unwrap()[0].id;
        let cookie = editor(&state).await;
        // Both reviewers opened the page before either decided.
        let path = format!("/admin/revendications/{claim}");
        let page = get(&state, &path, Some(&cookie)).await.2;
        let token = token_in(&page, &path);
        let (status, _, _) =
            post(&state, &path, format!("jeton={token}&decision=refuser&motif=Non"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        let (status, _, page) = post(&state, &path, format!("jeton={token}&decision=accepter"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{backend}");
        assert!(unescape(&page).contains("déjà été traitée"), "{backend}");
        assert!(store.user_by_email(&Email::parse("a@structure.fr").unwrap()).await.unwrap().is_none(), "{backend}");
        let sent = mails(&store).await;
        assert_eq!(sent.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>(), ["claim_refused"], "{backend}");
    }
}

#[tokio::test]
async fn a_refusal_needs_a_reason_and_mails_it() {
    for (backend, state, store) in apps_with(config()).await {
        let id = advisers()[3].id.as_str().to_string();
        claim_from(&state, &id, "198.51.100.3", "inconnu@ailleurs.fr", &good_siret()).await;
        let claim = store.claims().await.unwrap()[0].id;
        let cookie = editor(&state).await;
        let (status, page) = decide(&state, &cookie, claim, "refuser", "  ").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(page.contains("motif du refus"), "{backend}");
        assert!(mails(&store).await.is_empty(), "{backend}");
        let (status, page) =
            decide(&state, &cookie, claim, "refuser", "Le SIRET n'est pas celui de la structure.").await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert!(page.contains("Revendication refusée"), "{backend}");
        let sent = mails(&store).await;
        assert_eq!(sent.len(), 1, "{backend}");
        assert_eq!((sent[0].kind.as_str(), sent[0].to.as_str()), ("claim_refused", "inconnu@ailleurs.fr"));
        assert!(sent[0].body.contains("> Le SIRET n'est pas celui de la structure."), "{backend}");
        let c = store.claim(claim).await.unwrap().unwrap();
        assert_eq!((c.status.as_str(), c.decided_by.as_deref()), ("refused", Some("editrice@exemple.fr")));
        assert!(store.user_by_email(&Email::parse("inconnu@ailleurs.fr").unwrap()).await.unwrap().is_none());
        // The retention job deletes decided claims, never waiting ones.
        claim_from(&state, &id, "198.51.100.33", "autre@ailleurs.fr", &good_siret()).await;
        assert_eq!(store.purge_claims_before(i64::MAX).await.unwrap(), 1, "{backend}");
        let left = store.claims().await.unwrap();
        assert_eq!((left.len(), left[0].status.as_str()), (1, "pending"), "{backend}");
    }
}

#[tokio::test]
async fn accepting_a_claim_by_a_team_address_writes_nothing() {
    for (backend, state, store) in apps_with(config()).await {
        let id = advisers()[4].id.as_str().to_string();
        claim_from(&state, &id, "198.51.100.4", "editrice@exemple.fr", &good_siret()).await;
        let claim = store.claims().await.unwrap()[0].id;
        let cookie = editor(&state).await;
        let (status, page) = decide(&state, &cookie, claim, "accepter", "").await;
        assert_eq!(status, StatusCode::CONFLICT, "{backend}");
        assert!(page.contains("compte de l'équipe"), "{backend}");
        // The claim's update was rolled back with the rest.
        assert_eq!(store.claim(claim).await.unwrap().unwrap().status, "pending", "{backend}");
        assert!(mails(&store).await.is_empty(), "{backend}");
        let editor = store.user_by_email(&Email::parse("editrice@exemple.fr").unwrap()).await.unwrap().unwrap();
        assert_eq!((editor.role, editor.adviser_id), (Role::Editor, None), "{backend}");
    }
}

#[tokio::test]
async fn a_profile_takes_a_few_waiting_claims_at_most() {
    for (backend, state, store) in apps_with(config()).await {
        let id = advisers()[5].id.as_str().to_string();
        for i in 0..osez_store::CLAIMS_PER_PROFILE {
            let ip = format!("203.0.113.{}", i + 1);
            let (status, ..) = claim_from(&state, &id, &ip, &format!("p{i}@exemple.fr"), &good_siret()).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{backend}");
        }
        let (status, _, page, _) = claim_from(&state, &id, "203.0.113.99", "trop@exemple.fr", &good_siret()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend}");
        assert!(page.contains("plusieurs demandes en attente"), "{backend}");
        assert_eq!(store.claims().await.unwrap().len() as i64, osez_store::CLAIMS_PER_PROFILE, "{backend}");
    }
}

#[tokio::test]
async fn robots_and_floods_are_refused() {
    let config = WebConfig { contacts_per_hour: 1, ..config() };
    for (backend, state, store) in apps_with(config).await {
        let id = advisers()[6].id.as_str().to_string();
        let path = format!("/conseillers/{id}/revendiquer");
        // The honeypot filled.
        let page = get(&state, &path, None).await.2;
        let body = format!(
            "jeton={}&email=r%40exemple.fr&siret={}&site_web=http%3A%2F%2Fspam&question={}&reponse={}",
            enc(&token_in(&page, &path)),
            good_siret(),
            enc(&hidden(&page, "question")),
            answer_in_words(&page)
        );
        assert_eq!(post(&state, &path, body, None).await.0, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        // No answer to the challenge.
        let page = get(&state, &path, None).await.2;
        let body =
            format!("jeton={}&email=r%40exemple.fr&siret={}&site_web=", enc(&token_in(&page, &path)), good_siret());
        assert_eq!(post(&state, &path, body, None).await.0, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        // One an hour from this address here.
        let ip = "192.0.2.7";
        assert_eq!(claim_from(&state, &id, ip, "a@exemple.fr", &good_siret()).await.0, StatusCode::SEE_OTHER);
        let (status, headers, ..) = claim_from(&state, &id, ip, "b@exemple.fr", &good_siret()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend}");
        assert!(headers.get(header::RETRY_AFTER).is_some(), "{backend}");
        assert_eq!(store.claims().await.unwrap().len(), 1, "{backend}");
    }
}

#[tokio::test]
async fn the_team_invites_an_address_and_the_link_expires() {
    for (backend, state, store) in apps_with(config()).await {
        let id = advisers()[7].id.as_str().to_string();
        let cookie = editor(&state).await;
        let page = get(&state, "/admin/revendications", Some(&cookie)).await.2;
        let token = token_in(&page, "/admin/revendications");
        let body = format!("jeton={token}&identifiant=inconnu-000&email=x%40exemple.fr");
        let (status, _, page) = post(&state, "/admin/revendications", body, Some(&cookie)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(unescape(&page).contains("Aucun profil n'a cet identifiant"), "{backend}");
        let body = format!("jeton={token}&identifiant={id}&email=invite%40structure.fr");
        let (status, _, page) = post(&state, "/admin/revendications", body, Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert!(unescape(&page).contains("Invitation envoyée à invite@structure.fr"), "{backend}");
        let sent = mails(&store).await;
        assert_eq!(sent.len(), 1, "{backend}");
        assert!(sent[0].body.contains("pendant 7 jours"), "{backend}");
        assert_eq!(get(&state, &link_in(&sent[0]), None).await.0, StatusCode::OK, "{backend}");

        // A link whose time is over: refused, and the password unchanged.
        let email = Email::parse("invite@structure.fr").unwrap();
        let mail = NewMail {
            message_id: "<x@osez.test>".into(),
            kind: "invitation",
            to: email.to_string(),
            reply_to: None,
            subject: "s".into(),
            body: "b".into(),
        };
        let token = "0123456789abcdef0123456789abcdef";
        let hash = osez_web::token_hash(token);
        let inv = Invitation {
            adviser: &id,
            email: &email,
            placeholder_hash: "x",
            token_hash: &hash,
            expires_at_ms: 1,
            mail: &mail,
        };
        store.invite_adviser(&inv, "test").await.unwrap();
        let before = store.user_by_email(&email).await.unwrap().unwrap().password_hash;
        assert_eq!(get(&state, &format!("/invitation?jeton={token}"), None).await.0, StatusCode::GONE, "{backend}");
        let body = format!("jeton=x&lien={token}&password=une+phrase+longue&password2=une+phrase+longue");
        assert_eq!(post(&state, "/invitation", body, None).await.0, StatusCode::GONE, "{backend}");
        assert_eq!(store.user_by_email(&email).await.unwrap().unwrap().password_hash, before, "{backend}");
        // The new invitation spent the earlier link too.
        assert_eq!(get(&state, &link_in(&sent[0]), None).await.0, StatusCode::GONE, "{backend}");
    }
}
