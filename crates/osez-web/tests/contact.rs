//! Writing to the team and to advisers: what is saved and queued for
//! mail, and every refusal (bad fields, robots, replays, floods), on every
//! backend. Delivery itself is tested in osez-mail and osez-cli against a
//! real SMTP server.

mod common;

use std::sync::Arc;

use altcha::{Payload, SolveChallengeOptions, solve_challenge};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use base64::Engine;
use common::*;
use osez_core::account::{Email, Role, hash_password};
use osez_store::{InboxQuery, Store};
use osez_web::{AppState, WebConfig};

fn config() -> WebConfig {
    WebConfig {
        secure_cookies: true,
        team_email: Some("equipe@osez.test".into()),
        public_url: Some("https://osez.example.fr".into()),
        mail_domain: "osez.example.fr".into(),
        altcha_cost: 20,
        retention_days: 365,
        ..common::test_config()
    }
}

/// The answer to the question in words ("Combien font trois plus quatre ?").
fn sum_asked(page: &str) -> String {
    const WORDS: [&str; 10] = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"];
    let text = page.split("Combien font ").nth(1).expect("a question").split(" ?").next().unwrap();
    let (a, b) = text.split_once(" plus ").unwrap();
    let n = |w: &str| WORDS.iter().position(|x| *x == w).unwrap();
    (n(a) + n(b)).to_string()
}

struct Fields {
    name: String,
    email: String,
    company: String,
    commune: String,
    need: String,
    message: String,
}

fn good() -> Fields {
    Fields {
        name: "Camille Martin".into(),
        email: "camille@exemple.fr".into(),
        company: "Boulangerie Martin".into(),
        commune: "69003".into(),
        need: "ia_generative".into(),
        message: "Bonjour,\nje voudrais de l'aide pour rédiger mes devis avec l'IA.".into(),
    }
}

/// A filled form for the page just shown, answered through the question.
fn body(page: &str, action: &str, f: &Fields) -> String {
    format!(
        "jeton={}&name={}&email={}&company={}&commune={}&need={}&message={}&site_web=&question={}&reponse={}",
        enc(&token_in(page, action)),
        enc(&f.name),
        enc(&f.email),
        enc(&f.company),
        enc(&f.commune),
        enc(&f.need),
        enc(&f.message),
        enc(&hidden(page, "question")),
        sum_asked(page)
    )
}

async fn messages(store: &Store) -> usize {
    store.team_inbox(&InboxQuery::default()).await.unwrap().len()
}

/// Shows the form, sends it filled, and follows the redirect of a success
/// (so that reloading the confirmation sends nothing again).
async fn send_form(state: &Arc<AppState>, action: &str, f: &Fields) -> (StatusCode, String) {
    let page = get(state, action, None).await.2;
    let (status, headers, answer) = post(state, action, body(&page, action, f), None).await;
    if status == StatusCode::SEE_OTHER {
        let to = headers[axum::http::header::LOCATION].to_str().unwrap().to_string();
        assert_eq!(to, format!("{action}?envoye=1"));
        let (status, _, page) = get(state, &to, None).await;
        return (status, unescape(&page));
    }
    (status, unescape(&answer))
}

#[tokio::test]
async fn a_message_to_the_team_is_saved_with_its_mails() {
    for (backend, state, store) in apps_with(config()).await {
        let (status, _, page) = get(&state, "/contact", None).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        for part in ["<altcha-widget", "/static/altcha.min.js", "Combien font ", "name=\"site_web\"", "Mes données"] {
            assert!(page.contains(part), "{backend}: {part}");
        }
        let (status, answer) = send_form(&state, "/contact", &good()).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {answer}");
        assert!(answer.contains("Votre message a bien été envoyé"), "{backend}");
        let inbox = store.team_inbox(&InboxQuery::default()).await.unwrap();
        assert_eq!(inbox.len(), 1, "{backend}");
        assert_eq!(inbox[0].email, "camille@exemple.fr", "{backend}");
        assert_eq!(inbox[0].department, "69", "{backend}");
        assert_eq!(inbox[0].message, "Bonjour,\nje voudrais de l'aide pour rédiger mes devis avec l'IA.", "{backend}");
        let copy = store.personal_data("camille@exemple.fr").await.unwrap();
        assert_eq!(copy.mails.len(), 1, "{backend}: the receipt");
        assert!(!copy.mails[0].body.contains("je voudrais de l'aide"), "{backend}: no copy of the text to any address");
        assert!(copy.mails[0].body.contains("https://osez.example.fr/mes-donnees"), "{backend}");
        assert_eq!(store.outbox_status().await.unwrap().pending, 2, "{backend}: receipt and team");
    }
}

#[tokio::test]
async fn a_message_to_an_adviser_goes_to_their_account_or_through_the_team() {
    for (backend, state, store) in apps_with(config()).await {
        let (a, b) = (&advisers()[0], &advisers()[1]);
        let hash = hash_password(&osez_core::account::NewPassword::parse(PASSWORD).unwrap(), &[1; 16]);
        let email = Email::parse("conseil@exemple.fr").unwrap();
        let user = store.create_user(&email, &hash, Role::Adviser, "test").await.unwrap();
        store.link_adviser(user.id, a.id.as_str(), "test").await.unwrap();

        let profile = get(&state, &format!("/conseillers/{}", a.id), None).await.2;
        assert!(profile.contains(&format!("/conseillers/{}/contact", a.id)), "{backend}");
        let (status, answer) = send_form(&state, &format!("/conseillers/{}/contact", a.id), &good()).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {answer}");
        assert!(answer.contains("Le conseiller vous répondra directement"), "{backend}");
        let requests = store.adviser_requests(a.id.as_str()).await.unwrap();
        assert_eq!(requests.len(), 1, "{backend}");
        assert!(!requests[0].via_team, "{backend}");
        assert_eq!(messages(&store).await, 0, "{backend}: not in the team's inbox");

        let (status, answer) = send_form(&state, &format!("/conseillers/{}/contact", b.id), &good()).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert!(answer.contains("n'a pas encore de compte"), "{backend}");
        let inbox = store.team_inbox(&InboxQuery::default()).await.unwrap();
        assert_eq!(inbox.len(), 1, "{backend}");
        assert!(inbox[0].via_team, "{backend}");
        assert_eq!(inbox[0].adviser_id.as_deref(), Some(b.id.as_str()), "{backend}");
        // Adviser, team (for b), and two receipts.
        assert_eq!(store.outbox_status().await.unwrap().pending, 4, "{backend}");

        let (status, _, _) = get(&state, "/conseillers/inconnu/contact", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend}");
    }
}

#[tokio::test]
async fn bad_fields_get_french_messages_and_save_nothing() {
    for (backend, state, store) in apps_with(config()).await {
        let cases: Vec<(Fields, &str)> = vec![
            (Fields { name: String::new(), ..good() }, "Indiquez votre nom."),
            (Fields { email: "camille.exemple.fr".into(), ..good() }, "Cette adresse e-mail n'est pas valide"),
            (Fields { name: "Camille\r\nBcc: cible@exemple.fr".into(), ..good() }, "retirez les retours à la ligne"),
            (Fields { email: "a@b.fr\r\nBcc: cible@exemple.fr".into(), ..good() }, "retirez les retours à la ligne"),
            (Fields { company: "X\nSubject: promo".into(), ..good() }, "retirez les retours à la ligne"),
            (Fields { commune: "Atlantide".into(), ..good() }, "Commune introuvable"),
            (Fields { need: "rien".into(), ..good() }, "Choisissez votre besoin"),
            (Fields { message: "Salut".into(), ..good() }, "10 caractères au moins"),
            (Fields { message: "x".repeat(5_001), ..good() }, "dépasse 5000 caractères"),
        ];
        for (fields, expected) in cases {
            let (status, answer) = send_form(&state, "/contact", &fields).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}: {expected}");
            assert!(answer.contains(expected), "{backend}: {expected}");
            assert!(answer.contains("Le message n'a pas été envoyé"), "{backend}");
        }
        // Kept in the form for correction.
        let (_, answer) = send_form(&state, "/contact", &Fields { need: "rien".into(), ..good() }).await;
        assert!(answer.contains("Boulangerie Martin"), "{backend}");
        // A megabyte, and a body that is not a form.
        let big = format!("message={}", "x".repeat(1 << 20));
        let (status, _, answer) = post(&state, "/contact", big, None).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{backend}");
        assert!(unescape(&answer).contains("trop volumineux"), "{backend}");
        let req = axum::http::Request::post("/contact")
            .header("content-type", "application/json")
            .body(axum::body::Body::from("{\"name\":\"x\"}"))
            .unwrap();
        let (status, _, answer) = send(&state, req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}");
        assert!(unescape(&answer).contains("illisible"), "{backend}");
        assert_eq!(messages(&store).await, 0, "{backend}");
        assert_eq!(store.outbox_status().await.unwrap().pending, 0, "{backend}: nothing sent");
    }
}

#[tokio::test]
async fn robots_are_refused() {
    for (backend, state, store) in apps_with(config()).await {
        let page = get(&state, "/contact", None).await.2;
        let honeypot = body(&page, "/contact", &good()).replace("site_web=", "site_web=https%3A%2F%2Fpromo.example");
        let (status, _, answer) = post(&state, "/contact", honeypot, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(unescape(&answer).contains("seuls les robots remplissent"), "{backend}");

        let wrong_page = get(&state, "/contact", None).await.2;
        let right = body(&wrong_page, "/contact", &good());
        let wrong = right.replace("&reponse=", "&reponse=99");
        let (status, _, answer) = post(&state, "/contact", wrong, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(unescape(&answer).contains("réponse à la question de vérification est inexacte"), "{backend}");
        // That question is spent: the right answer now comes too late.
        let (status, _, answer) = post(&state, "/contact", right, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(unescape(&answer).contains("a expiré ou a déjà servi"), "{backend}");

        let none = body(&page, "/contact", &good()).replace("&reponse=", "&autre=");
        let (status, _, answer) = post(&state, "/contact", none, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(unescape(&answer).contains("Je ne suis pas un robot"), "{backend}");

        let forged = base64::engine::general_purpose::STANDARD.encode(
            r#"{"challenge":{"parameters":{"algorithm":"PBKDF2/SHA-256","cost":1,"keyLength":32,"keyPrefix":"00","nonce":"00","salt":"00"},"signature":"00"},"solution":{"counter":1,"derivedKey":"00"}}"#,
        );
        let forged = format!("{}&altcha={}", body(&page, "/contact", &good()), enc(&forged));
        let (status, _, answer) = post(&state, "/contact", forged, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(unescape(&answer).contains("La vérification anti-robot a échoué"), "{backend}");

        // A solved challenge passes once; replayed, it is refused.
        let challenge: altcha::Challenge = serde_json::from_str(&get(&state, "/altcha/defi", None).await.2).unwrap();
        let solution = solve_challenge(SolveChallengeOptions::new(&challenge)).unwrap().unwrap();
        let payload = base64::engine::general_purpose::STANDARD
            .encode(serde_json::to_vec(&Payload { challenge, solution }).unwrap());
        let with_pow = |page: &str| {
            body(page, "/contact", &good()).replace(&format!("&reponse={}", sum_asked(page)), "&reponse=")
                + &format!("&altcha={}", enc(&payload))
        };
        let (status, _, answer1) = post(&state, "/contact", with_pow(&page), None).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{backend}: {answer1}");
        let page2 = get(&state, "/contact", None).await.2;
        let (status, _, answer2) = post(&state, "/contact", with_pow(&page2), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(unescape(&answer2).contains("a expiré ou a déjà servi"), "{backend}");

        // The question too is spent once.
        let page3 = get(&state, "/contact", None).await.2;
        let once = body(&page3, "/contact", &good());
        assert_eq!(post(&state, "/contact", once.clone(), None).await.0, StatusCode::SEE_OTHER, "{backend}");
        let (status, _, _) = post(&state, "/contact", once, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert_eq!(messages(&store).await, 2, "{backend}: one by proof of work, one by the question");
    }
}

#[tokio::test]
async fn too_quick_or_too_many_is_refused() {
    for (backend, state, store) in apps_with(WebConfig { min_fill_secs: 60, ..config() }).await {
        let (status, answer) = send_form(&state, "/contact", &good()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(answer.contains("envoyé trop vite"), "{backend}");
        assert_eq!(messages(&store).await, 0, "{backend}");
    }
    for (backend, state, store) in apps_with(WebConfig { contacts_per_hour: 2, ..config() }).await {
        for _ in 0..2 {
            assert_eq!(send_form(&state, "/contact", &good()).await.0, StatusCode::OK, "{backend}");
        }
        let (status, answer) = send_form(&state, "/contact", &good()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend}");
        assert!(answer.contains("Trop de messages envoyés depuis votre adresse"), "{backend}");
        assert_eq!(messages(&store).await, 2, "{backend}");
    }
}

/// Making and checking proofs of work runs on a bounded pool: with every
/// worker busy (here: none at all), the widget's fetch gets a 503 with
/// `Retry-After`, and a form is shown again with a French message, nothing
/// saved and nothing spent.
#[tokio::test]
async fn challenges_wait_for_a_free_worker_and_say_so_when_none_is() {
    for (backend, state, store) in apps_with(WebConfig { cpu_workers: Some(0), ..config() }).await {
        let (status, headers, body) = get(&state, "/altcha/defi", None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{backend}: {body}");
        assert_eq!(headers.get("retry-after").unwrap(), "5", "{backend}");
        assert!(body.contains("\"busy\""), "{backend}: {body}");
        let (status, answer) = send_form(&state, "/contact", &good()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(answer.contains("très demandé"), "{backend}");
        assert_eq!(messages(&store).await, 0, "{backend}");
    }
    for (backend, state, _) in apps_with(WebConfig { cpu_workers: Some(1), ..config() }).await {
        let (status, _, body) = get(&state, "/altcha/defi", None).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
    }
}

/// The link of the last mail to `to` in the outbox (what the person
/// receives), as the path on this site.
async fn link_sent_to(store: &Store, to: &str) -> String {
    let data = store.personal_data(to).await.unwrap();
    let mail = data.mails.iter().rev().find(|m| m.subject.contains("lien d'accès")).expect("a link mail");
    let url = mail.body.split_whitespace().find(|w| w.starts_with("https://")).unwrap();
    url.strip_prefix("https://osez.example.fr").unwrap().to_string()
}

async fn ask_link(state: &Arc<AppState>, email: &str) -> (StatusCode, String) {
    let page = get(state, "/mes-donnees", None).await.2;
    let body = format!(
        "jeton={}&email={}&site_web=&question={}&reponse={}",
        enc(&token_in(&page, "/mes-donnees")),
        enc(email),
        enc(&hidden(&page, "question")),
        sum_asked(&page)
    );
    let (status, _, answer) = post(state, "/mes-donnees", body, None).await;
    (status, unescape(&answer))
}

#[tokio::test]
async fn a_person_downloads_then_erases_their_data_with_single_use_links() {
    for (backend, state, store) in apps_with(config()).await {
        assert_eq!(send_form(&state, "/contact", &good()).await.0, StatusCode::OK, "{backend}");
        let before = store.outbox_status().await.unwrap().pending;
        // Nothing held: the same answer, and no mail.
        let (status, answer) = ask_link(&state, "inconnu@exemple.fr").await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert!(answer.contains("Si des données sont associées"), "{backend}");
        assert_eq!(store.outbox_status().await.unwrap().pending, before, "{backend}: no mail to a stranger");
        let (status, _) = ask_link(&state, "pas une adresse").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");

        let (status, answer) = ask_link(&state, "Camille@Exemple.fr").await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert!(answer.contains("Si des données sont associées"), "{backend}");
        let link = link_sent_to(&store, "camille@exemple.fr").await;
        let (status, _, page) = get(&state, &link, None).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        let page = unescape(&page);
        assert!(page.contains("1 message envoyé"), "{backend}: {page}");
        let form = |page: &str, action: &str, extra: &str| {
            format!(
                "jeton={}&lien={}&action={action}{extra}",
                enc(&token_in(page, "/mes-donnees/acces")),
                enc(&hidden(page, "lien"))
            )
        };
        let (status, headers, json) = post(&state, "/mes-donnees/acces", form(&page, "telecharger", ""), None).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert!(headers[axum::http::header::CONTENT_DISPOSITION].to_str().unwrap().contains("attachment"));
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(json["donnees"]["email"], "camille@exemple.fr", "{backend}");
        assert_eq!(json["donnees"]["messages"][0]["company"], "Boulangerie Martin", "{backend}");
        assert!(json["donnees"]["mails"].as_array().unwrap().len() >= 2, "{backend}: receipt and link");
        // Used once: gone.
        let (status, _, answer) = post(&state, "/mes-donnees/acces", form(&page, "telecharger", ""), None).await;
        assert_eq!(status, StatusCode::GONE, "{backend}");
        assert!(unescape(&answer).contains("Ce lien n'est plus valable"), "{backend}");
        assert_eq!(get(&state, &link, None).await.0, StatusCode::GONE, "{backend}");

        // A second link to erase; without the confirmation nothing happens.
        ask_link(&state, "camille@exemple.fr").await;
        let link = link_sent_to(&store, "camille@exemple.fr").await;
        let page = get(&state, &link, None).await.2;
        let (status, _, answer) = post(&state, "/mes-donnees/acces", form(&page, "effacer", ""), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(unescape(&answer).contains("Cochez la case de confirmation"), "{backend}");
        assert_eq!(store.team_inbox(&InboxQuery::default()).await.unwrap().len(), 1, "{backend}");
        let (status, _, answer) =
            post(&state, "/mes-donnees/acces", form(&page, "effacer", "&confirmer=oui"), None).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert!(unescape(&answer).contains("Vos données ont été effacées"), "{backend}");
        assert!(store.personal_data("camille@exemple.fr").await.unwrap().is_empty(), "{backend}");
        assert_eq!(store.team_inbox(&InboxQuery::default()).await.unwrap().len(), 0, "{backend}");
        assert_eq!(
            store.contact_outcomes(0).await.unwrap().len(),
            0,
            "{backend}: team messages are not adviser counts"
        );
        let (status, _, _) = post(&state, "/mes-donnees/acces", form(&page, "effacer", "&confirmer=oui"), None).await;
        assert_eq!(status, StatusCode::GONE, "{backend}: used twice");
        // A forged link.
        assert_eq!(get(&state, "/mes-donnees/acces?jeton=abc", None).await.0, StatusCode::GONE, "{backend}");
    }
}

#[tokio::test]
async fn the_team_answers_and_advisers_record_what_came_of_requests() {
    for (backend, state, store) in apps_with(config()).await {
        assert_eq!(send_form(&state, "/contact", &good()).await.0, StatusCode::OK, "{backend}");
        let team = signed_in(&state, &store, "moderatrice@exemple.fr", Role::Moderator).await;
        let (status, _, page) = get(&state, "/admin/messages", Some(&team)).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        let page = unescape(&page);
        assert!(page.contains("Camille Martin (Boulangerie Martin)"), "{backend}");
        assert!(page.contains("Aucun serveur d'envoi (SMTP) n'est configuré"), "{backend}: said plainly");
        assert!(page.contains("2 courriels attendent"), "{backend}");
        let id = store.team_inbox(&InboxQuery::default()).await.unwrap()[0].id;
        let path = format!("/admin/messages/{id}");
        let (status, _, page) = get(&state, &path, Some(&team)).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert!(unescape(&page).contains("je voudrais de l'aide"), "{backend}");
        let token = token_in(&page, &path);
        let me = store.user_by_email(&Email::parse("moderatrice@exemple.fr").unwrap()).await.unwrap().unwrap();

        let follow = format!("jeton={}&action=suivi&statut=open&attribue={}", enc(&token), me.id);
        let (status, _, answer) = post(&state, &path, follow, Some(&team)).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert!(unescape(&answer).contains("Suivi enregistré : En cours."), "{backend}");
        let mine = store.team_inbox(&InboxQuery { status: None, assigned_to: Some(me.id) }).await.unwrap();
        assert_eq!(mine.len(), 1, "{backend}");
        let editor = store.user_by_email(&Email::parse("editrice@exemple.fr").unwrap()).await.unwrap().unwrap();
        let stranger = format!("jeton={}&action=suivi&statut=open&attribue=999999", enc(&token));
        assert_eq!(post(&state, &path, stranger, Some(&team)).await.0, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        let other = format!("jeton={}&action=suivi&statut=closed&attribue={}", enc(&token), editor.id);
        assert_eq!(post(&state, &path, other, Some(&team)).await.0, StatusCode::OK, "{backend}");

        let pending = store.outbox_status().await.unwrap().pending;
        let injected = format!(
            "jeton={}&action=repondre&objet={}&reponse={}",
            enc(&token),
            enc("Re : devis\r\nBcc: cible@exemple.fr"),
            enc("Bonjour, voici un conseiller près de chez vous.")
        );
        let (status, _, answer) = post(&state, &path, injected, Some(&team)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(unescape(&answer).contains("retirez les retours à la ligne"), "{backend}");
        assert_eq!(store.outbox_status().await.unwrap().pending, pending, "{backend}: nothing sent");
        let reply = format!(
            "jeton={}&action=repondre&objet={}&reponse={}",
            enc(&token),
            enc("Votre demande d'aide pour vos devis"),
            enc("Bonjour,\nvoici un conseiller près de chez vous.")
        );
        let (status, _, answer) = post(&state, &path, reply, Some(&team)).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert!(unescape(&answer).contains("Réponse envoyée à camille@exemple.fr"), "{backend}");
        let m = store.contact_message(id).await.unwrap().unwrap();
        assert_eq!(m.replies.len(), 1, "{backend}: kept with the thread");
        let copy = store.personal_data("camille@exemple.fr").await.unwrap();
        let sent = copy.mails.iter().find(|m| m.subject == "Votre demande d'aide pour vos devis").unwrap();
        assert!(sent.body.starts_with("Bonjour,\nvoici un conseiller"), "{backend}");
        assert!(sent.body.contains("> je voudrais de l'aide"), "{backend}: the message quoted");

        // The adviser's side.
        let a = &advisers()[0];
        let adviser = signed_in(&state, &store, "conseil@exemple.fr", Role::Adviser).await;
        let user = store.user_by_email(&Email::parse("conseil@exemple.fr").unwrap()).await.unwrap().unwrap();
        store.link_adviser(user.id, a.id.as_str(), "test").await.unwrap();
        let contact_path = format!("/conseillers/{}/contact", a.id);
        for commune in ["69003", "69001", "13001"] {
            let f = Fields { commune: commune.into(), ..good() };
            assert_eq!(send_form(&state, &contact_path, &f).await.0, StatusCode::OK, "{backend}");
        }
        let (status, _, page) = get(&state, "/admin/demandes", Some(&adviser)).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        let ids: Vec<i64> = store.adviser_requests(a.id.as_str()).await.unwrap().iter().map(|m| m.id).collect();
        assert_eq!(ids.len(), 3, "{backend}");
        for (id, outcome) in ids.iter().zip(["met", "quote_sent"]) {
            let action = format!("/admin/demandes/{id}");
            let body = format!("jeton={}&suite={outcome}", enc(&token_in(&page, &action)));
            let (status, _, answer) = post(&state, &action, body, Some(&adviser)).await;
            assert_eq!(status, StatusCode::OK, "{backend}");
            assert!(unescape(&answer).contains("Suite enregistrée"), "{backend}");
        }
        // Another adviser's request, or a message to the team: not found.
        let action = format!("/admin/demandes/{id}");
        let body = format!("jeton={}&suite=met", enc(&token_in(&page, &format!("/admin/demandes/{}", ids[2]))));
        assert_ne!(post(&state, &action, body, Some(&adviser)).await.0, StatusCode::OK, "{backend}");
        // The team may not read an adviser's messages.
        assert_eq!(get(&state, &format!("/admin/messages/{}", ids[0]), Some(&team)).await.0, StatusCode::NOT_FOUND);

        let (status, _, page) = get(&state, "/admin/suivi", Some(&team)).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        let page = unescape(&page);
        // Newest first: Marseille met, Lyon 1er quote sent, Lyon 3e unknown.
        assert!(
            page.contains("(13)</th><td>IA générative</td><td>1</td><td>1</td><td>0</td><td>0</td><td>0</td>"),
            "{backend}"
        );
        assert!(
            page.contains("(69)</th><td>IA générative</td><td>2</td><td>0</td><td>1</td><td>0</td><td>1</td>"),
            "{backend}"
        );
        assert!(page.contains("<td>3</td><td>1</td><td>1</td><td>0</td><td>1</td>"), "{backend}: totals");
        let (status, _, _) = get(&state, "/admin/suivi?depuis=hier", Some(&team)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
    }
}

/// The contact form sent from the client at `ip`: status, headers, page.
async fn send_form_from(state: &Arc<AppState>, ip: &str, f: &Fields) -> (StatusCode, HeaderMap, String) {
    let page = send(state, from_ip(Request::get("/contact").body(Body::empty()).unwrap(), ip)).await.2;
    let req = Request::post("/contact")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body(&page, "/contact", f)))
        .unwrap();
    let (status, headers, answer) = send(state, from_ip(req, ip)).await;
    (status, headers, unescape(&answer))
}

/// One address writing from many clients meets the per-person limit (its
/// own budget, told apart from the client's), and each public form has its
/// own budget: a data request is not refused because messages were sent.
#[tokio::test]
async fn one_sender_from_many_clients_is_limited_and_each_form_has_its_budget() {
    for (backend, state, store) in apps_with(WebConfig { contacts_per_hour: 2, ..config() }).await {
        for ip in ["198.51.100.1", "198.51.100.2"] {
            assert_eq!(send_form_from(&state, ip, &good()).await.0, StatusCode::SEE_OTHER, "{backend}: {ip}");
        }
        let (status, headers, answer) = send_form_from(&state, "198.51.100.3", &good()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend}");
        assert!(answer.contains("Trop de messages envoyés pour cette adresse e-mail"), "{backend}");
        assert!(headers.get(header::RETRY_AFTER).is_some(), "{backend}");
        assert_eq!(messages(&store).await, 2, "{backend}");
        // The case of the address does not make another person.
        let shouted = Fields { email: "CAMILLE@exemple.fr".into(), ..good() };
        assert_eq!(send_form_from(&state, "198.51.100.4", &shouted).await.0, StatusCode::TOO_MANY_REQUESTS);
        // Another sender from a client that has not used its budget.
        let other = Fields { email: "dominique@exemple.fr".into(), ..good() };
        assert_eq!(send_form_from(&state, "198.51.100.5", &other).await.0, StatusCode::SEE_OTHER, "{backend}");
        // The data request has a budget of its own.
        assert_eq!(ask_link(&state, "camille@exemple.fr").await.0, StatusCode::OK, "{backend}");
    }
}

/// "Mes données" takes the same guard as the other public forms: it once
/// had no minimum fill time.
#[tokio::test]
async fn a_data_request_sent_too_quickly_is_refused() {
    for (backend, state, store) in apps_with(WebConfig { min_fill_secs: 60, ..config() }).await {
        let (status, answer) = ask_link(&state, "camille@exemple.fr").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(answer.contains("envoyé trop vite"), "{backend}: {answer}");
        assert_eq!(store.outbox_status().await.unwrap().pending, 0, "{backend}");
    }
}
