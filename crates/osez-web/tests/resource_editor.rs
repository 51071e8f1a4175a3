//! The editors' form: creating a resource and saving versions of it, the
//! live preview, and every bad input refused in French with nothing saved.

mod common;

use axum::http::{StatusCode, header};
use common::*;
use osez_core::account::Role;
use serde_json::Value;

const NEW: &str = "/admin/ressources/nouvelle";
const PREVIEW: &str = "/admin/ressources/apercu";

fn article(title: &str, body: &str) -> String {
    format!(
        "kind=article&title={}&summary={}&themes=intelligence_artificielle&themes=ressources_humaines&specialties=ia_generative&body={}&note=",
        enc(title),
        enc("Un résumé de deux phrases. Il dit de quoi parle la ressource."),
        enc(body)
    )
}

#[tokio::test]
async fn an_editor_writes_a_resource_then_a_new_version_and_a_late_save_keeps_the_text() {
    for (name, state, store) in apps().await {
        let cookie = sign_in(&state, "editrice@exemple.fr", PASSWORD).await.1;
        let cookie = cookie_of(&cookie);
        let (status, _, page) = get(&state, NEW, Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("Nouvelle ressource") && page.contains("Aperçu"), "{name}");
        let token = token_in(&page, NEW);

        let body = "## Pourquoi\n\nUne fiche de poste **claire**.\n\n## Comment\n\n- relire\n- publier\n";
        let (status, headers, _) = post(
            &state,
            NEW,
            format!("jeton={token}&{}", article("Écrire une fiche de poste avec l'IA", body)),
            Some(&cookie),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        let slug = "ecrire-une-fiche-de-poste-avec-l-ia";
        assert_eq!(headers[header::LOCATION], format!("/admin/ressources/{slug}?fait=creee"), "{name}");
        let row = store.resource_row(slug).await.unwrap().unwrap();
        assert_eq!((row.head, row.status.slug()), (1, "draft"), "{name}");
        assert_eq!(row.content.specialties.len(), 1, "{name}");
        let (_, _, page) = get(&state, &format!("/admin/ressources/{slug}?fait=creee"), Some(&cookie)).await;
        assert!(page.contains("La ressource est créée, en brouillon"), "{name}");

        // The same address again is refused on its field.
        let (status, _, page) = post(
            &state,
            NEW,
            format!("jeton={token}&{}", article("Écrire une fiche de poste avec l'IA", body)),
            Some(&cookie),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(unescape(&page).contains("Une ressource a déjà l'adresse"), "{name}");

        // Editing starts from the saved version, whole.
        let edit = format!("/admin/ressources/{slug}/modifier");
        let (status, _, page) = get(&state, &edit, Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("Une fiche de poste **claire**."), "{name}: the Markdown as written");
        assert_eq!(hidden(&page, "from_head"), "1", "{name}");
        let token = token_in(&page, &edit);
        let changed = article("Écrire une fiche de poste avec l'IA, pas à pas", body);
        let (status, headers, _) =
            post(&state, &edit, format!("jeton={token}&from_head=1&{changed}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        assert!(headers[header::LOCATION].to_str().unwrap().ends_with("?fait=enregistree"), "{name}");
        assert_eq!(store.resource_row(slug).await.unwrap().unwrap().head, 2, "{name}");

        // Someone else saved version 2 meanwhile: this save is refused,
        // the text is kept in the form, and the form now starts from 2.
        let late = article("Un titre écrit en retard", body);
        let (status, _, page) = post(&state, &edit, format!("jeton={token}&from_head=1&{late}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(page.contains("a enregistré la version 2 pendant que vous écriviez"), "{name}");
        assert!(page.contains("Un titre écrit en retard"), "{name}: nothing typed is lost");
        assert_eq!(hidden(&page, "from_head"), "2", "{name}");
        let row = store.resource_row(slug).await.unwrap().unwrap();
        assert_eq!(
            (row.head, row.content.title.as_str()),
            (2, "Écrire une fiche de poste avec l'IA, pas à pas"),
            "{name}"
        );
        let audit: Vec<String> = store.audit_entries(50).await.unwrap().into_iter().map(|e| e.action).collect();
        assert!(audit.iter().any(|a| a == "resource.create") && audit.iter().any(|a| a == "resource.save"), "{name}");
    }
}

#[tokio::test]
async fn bad_input_gets_every_mistake_in_french_on_its_field_and_nothing_is_saved() {
    for (name, state, store) in apps().await {
        let cookie = cookie_of(&sign_in(&state, "editrice@exemple.fr", PASSWORD).await.1);
        let token = token_in(&get(&state, NEW, Some(&cookie)).await.2, NEW);
        let before = store.resource_rows(None, 1000, 0).await.unwrap().len();
        let cases: &[(&str, &str, &str)] = &[
            // A script tag in a title.
            (
                "kind=article&title=%3Cscript%3Ealert(1)%3C%2Fscript%3E&summary=R&themes=intelligence_artificielle&body=Texte",
                "title",
                "ne peut pas contenir de balise HTML",
            ),
            // Markdown with raw HTML, an image without text, a level-1 title.
            (
                "kind=article&title=T&summary=R&themes=intelligence_artificielle&body=%23+Titre%0A%0A%3Cdiv%3Ex%3C%2Fdiv%3E%0A%0A!%5B%5D(%2Fimage.png)",
                "body",
                "image(s) sans texte alternatif",
            ),
            // A practical guide of one section.
            (
                "kind=dossier&title=T&summary=R&themes=intelligence_artificielle&body=%23%23+Seule",
                "body",
                "au moins 2 sections",
            ),
            // No theme, an unknown type.
            ("kind=podcast&title=T&summary=R&body=x", "kind", "Choisissez le type"),
            // A webinar without date, with captions that are not WebVTT.
            (
                "kind=webinaire&title=T&summary=R&themes=intelligence_artificielle&body=x&w_duration=60&w_capacity=10&w_speakers=A&w_transcript=%25PDF-1.7",
                "w_transcript",
                "WEBVTT",
            ),
            // A use case without its structured part.
            (
                "kind=cas_usage&title=T&summary=R&themes=intelligence_artificielle&body=x",
                "uc_gain",
                "Le gain mesuré est obligatoire",
            ),
            // An address that is not one.
            (
                "kind=article&title=T&summary=R&themes=intelligence_artificielle&body=x&slug=Pas+Une+Adresse",
                "slug",
                "lettres minuscules",
            ),
        ];
        for (form, field, message) in cases {
            let (status, _, page) = post(&state, NEW, format!("jeton={token}&{form}"), Some(&cookie)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {form}");
            let text = unescape(&page);
            assert!(text.contains("Rien n'a été enregistré"), "{name}: {form}");
            assert!(text.contains(message), "{name}: {form}: {message}");
            assert!(
                page.contains(&format!("id=\"{field}-erreur\"")) && page.contains(&format!("href=\"#{field}\"")),
                "{name}: {form}: the mistake sits on {field} and the summary links to it"
            );
            assert!(!page.contains("<script>alert"), "{name}: escaped");
        }
        assert_eq!(store.resource_rows(None, 1000, 0).await.unwrap().len(), before, "{name}: nothing saved");

        // "Prévisualiser" shows the rendered text and saves nothing either.
        let form = article("Un aperçu", "## Une section\n\nDu **gras** et <script>alert(1)</script>.");
        let (status, _, page) = post(&state, NEW, format!("jeton={token}&apercu=1&{form}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("<strong>gras</strong>") && !page.contains("<script>alert"), "{name}");
        assert_eq!(store.resource_rows(None, 1000, 0).await.unwrap().len(), before, "{name}: nothing saved");
    }
}

#[tokio::test]
async fn the_live_preview_renders_sanitised_html_for_editors_only() {
    for (name, state, store) in apps().await {
        let cookie = cookie_of(&sign_in(&state, "editrice@exemple.fr", PASSWORD).await.1);
        let page = get(&state, NEW, Some(&cookie)).await.2;
        let token = page.split("data-apercu-jeton=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let body = "## Étapes\n\n[lien](javascript:alert(1)) <img src=x onerror=alert(1)> **fin**";
        let (status, headers, answer) =
            post(&state, PREVIEW, format!("jeton={token}&kind=dossier&body={}", enc(body)), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"), "{name}");
        let answer: Value = serde_json::from_str(&answer).unwrap();
        let html = answer["html"].as_str().unwrap();
        assert!(html.contains("<strong>fin</strong>") && html.contains("id=\"section-etapes\""), "{name}: {html}");
        assert!(!html.contains("javascript:") && !html.contains("onerror") && !html.contains("<img"), "{name}: {html}");
        let problems: Vec<&str> = answer["problems"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        assert!(problems.iter().any(|p| p.contains("HTML")), "{name}: {problems:?}");
        assert!(problems.iter().any(|p| p.contains("au moins 2 sections")), "{name}: {problems:?}");

        // A forged token: a JSON refusal.
        let (status, _, answer) = post(&state, PREVIEW, "jeton=faux&body=x".into(), Some(&cookie)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
        assert!(answer.contains("\"invalid_token\""), "{name}");
        // Not for advisers, nor for the public.
        let adviser = signed_in(&state, &store, "conseil@exemple.fr", Role::Adviser).await;
        assert_eq!(post(&state, PREVIEW, "body=x".into(), Some(&adviser)).await.0, StatusCode::FORBIDDEN, "{name}");
        assert_eq!(get(&state, NEW, Some(&adviser)).await.0, StatusCode::FORBIDDEN, "{name}");
        assert_eq!(post(&state, PREVIEW, "body=x".into(), None).await.0, StatusCode::SEE_OTHER, "{name}");
    }
}

#[tokio::test]
async fn a_webinar_with_its_captions_goes_through_the_form_and_its_transcript_is_searchable_once_published() {
    for (name, state, store) in apps().await {
        let cookie = cookie_of(&sign_in(&state, "editrice@exemple.fr", PASSWORD).await.1);
        let token = token_in(&get(&state, NEW, Some(&cookie)).await.2, NEW);
        let vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Alice Martin>Bienvenue à cet atelier.\n\n00:02:05.000 --> 00:02:09.000\n<v Alice Martin>Parlons de la facturation électronique obligatoire.\n";
        let form = format!(
            "kind=webinaire&title={}&summary={}&themes=gestion_entreprise&body={}&w_starts=2026-03-10T10%3A00&w_duration=45&w_speakers={}&w_capacity=30&w_transcript={}",
            enc("Atelier facturation électronique"),
            enc("Ce qui change en 2026 pour les petites entreprises."),
            enc("## Au programme\n\nLes obligations.\n"),
            enc("Alice Martin, experte-comptable\nBruno Petit"),
            enc(vtt)
        );
        let (status, _, page) = post(&state, NEW, format!("jeton={token}&{form}"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}: {page}");
        let slug = "atelier-facturation-electronique";
        let row = store.resource_row(slug).await.unwrap().unwrap();
        let webinar = row.content.webinar.clone().unwrap();
        assert_eq!((webinar.duration_min, webinar.capacity, webinar.speakers.len()), (45, 30, 2), "{name}");
        assert_eq!(row.content.transcript.len(), 2, "{name}");
        assert_eq!(row.content.transcript[1].start_ms, 125_000, "{name}");
        // The form shows the captions back.
        let (_, _, page) = get(&state, &format!("/admin/ressources/{slug}/modifier"), Some(&cookie)).await;
        assert!(page.contains("00:02:05.000 --") && page.contains("Parlons de la facturation"), "{name}");

        let action = format!("/admin/ressources/{slug}/etat");
        let page = get(&state, &format!("/admin/ressources/{slug}"), Some(&cookie)).await.2;
        let token = token_in(&page, &action);
        let (status, _, _) = post(&state, &action, format!("jeton={token}&to=published"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let (_, _, found) = get(&state, "/api/v1/resources?q=facturation+electronique+obligatoire", None).await;
        let found: Value = serde_json::from_str(&found).unwrap();
        let hit = found["hits"].as_array().unwrap().iter().find(|h| h["id"] == slug).expect("found");
        assert_eq!(hit["moment"]["start_s"], 125, "{name}: the hit leads to the moment said");
        let (_, _, public) = get(&state, &format!("/ressources/{slug}"), None).await;
        assert!(public.contains("id=\"t-125\""), "{name}: the transcript line has its anchor");
    }
}
