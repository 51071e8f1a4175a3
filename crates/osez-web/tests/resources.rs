//! The resource centre's pages and API over the starter content, on every
//! backend: lists, filters, a transcript hit that leads to its moment, the
//! pages of each type, the home page's blocks, and bad input.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::Value;

#[tokio::test]
async fn the_list_filters_by_type_and_theme_and_refuses_unknown_values_in_french() {
    for (name, state, _) in apps().await {
        let (status, _, page) = get(&state, "/ressources", None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("ressources trouvées"), "{name}");
        assert!(page.contains("Dossier pratique") && page.contains("Webinaire"), "{name}: the type filter");
        assert!(page.contains("Contenu de démonstration"), "{name}: fiction is labelled");

        let (status, _, page) = get(&state, "/ressources?type=webinaire", None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(page.matches("class=\"card resource-card\"").count(), 3, "{name}: three webinars");
        assert!(page.contains("Retirer le filtre Type : Webinaire"), "{name}");

        let (status, _, page) = get(&state, "/ressources?theme=ressources_humaines", None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("/ressources/fiches-de-poste-avec-l-ia"), "{name}");
        assert!(!page.contains("/ressources/se-proteger-des-cyberattaques\""), "{name}");

        let (status, _, page) = get(&state, "/ressources?type=robot", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        assert!(page.contains("valeur inconnue « robot »"), "{name}");

        // A script in the query is shown as text, never run.
        let (status, _, page) = get(&state, "/ressources?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(!page.contains("<script>alert(1)"), "{name}");
        assert!(page.contains("&lt;script&gt;alert(1)") || page.contains("&#60;script&#62;alert(1)"), "{name}");
    }
}

#[tokio::test]
async fn a_transcript_hit_links_to_its_moment_in_the_replay() {
    let (_, state, _) = apps().await.remove(0);
    let (_, _, page) = get(&state, "/ressources?q=devis&type=webinaire", None).await;
    let link = page
        .split("href=\"/ressources/webinaire-premiers-pas-avec-l-ia-generative#t-")
        .nth(1)
        .expect("a link to a moment of the replay");
    let seconds: String = link.chars().take_while(char::is_ascii_digit).collect();
    // The anchor exists on the resource page, on a line that says "devis".
    let (_, _, show) = get(&state, "/ressources/webinaire-premiers-pas-avec-l-ia-generative", None).await;
    let line =
        show.split(&format!("id=\"t-{seconds}\"")).nth(1).expect("the line's anchor").split("</li>").next().unwrap();
    assert!(line.contains("devis"), "{line}");

    let (_, _, body) = get(&state, "/api/v1/resources?q=devis&type=webinaire", None).await;
    let json: Value = serde_json::from_str(&body).unwrap();
    let hit = json["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "webinaire-premiers-pas-avec-l-ia-generative")
        .unwrap();
    assert_eq!(hit["moment"]["start_s"].as_u64().unwrap().to_string(), seconds);
}

#[tokio::test]
async fn each_type_of_page_shows_what_it_is() {
    let (_, state, _) = apps().await.remove(0);
    // A practical guide: dates, themes, table of contents, related resources.
    let (status, _, page) = get(&state, "/ressources/rgpd-et-ia-generative", None).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "Dossier pratique",
        "Publié le",
        "Mis à jour le",
        "Sommaire",
        "href=\"#section-",
        "À lire aussi",
        "Protection contre les risques",
    ] {
        assert!(page.contains(expected), "{expected}");
    }
    // A use case: its structured facts and testimonial, marked as demo.
    let (_, _, page) = get(&state, "/ressources/lecture-automatique-des-bons-de-commande", None).await;
    for expected in ["Le cas en bref", "Gain mesuré", "Précautions", "<blockquote>", "Contenu de démonstration"] {
        assert!(page.contains(expected), "{expected}");
    }
    // A past webinar: date in Paris time, speakers, transcript.
    let (_, _, page) = get(&state, "/ressources/webinaire-ia-et-protection-des-donnees", None).await;
    for expected in ["Le webinaire a eu lieu", "jeudi 5 novembre 2026 à 14 h 00", "Transcription", "45 min"] {
        assert!(page.contains(expected), "{expected}");
    }
    // The advisers whose specialty matches, from the directory.
    let (_, _, page) = get(&state, "/ressources/se-proteger-des-cyberattaques", None).await;
    assert!(page.contains("Voir tous les conseillers en Cybersécurité"), "link to the directory");

    let (status, _, page) = get(&state, "/ressources/inconnue", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("introuvable") || page.contains("n'existe pas"), "{page}");
}

#[tokio::test]
async fn the_home_page_leads_to_the_next_events_and_the_newest_resources() {
    let (_, state, _) = apps().await.remove(0);
    let (_, _, page) = get(&state, "/", None).await;
    assert!(page.contains("Prochains événements"));
    assert!(page.contains("/ressources/webinaire-ia-et-relation-client"), "the upcoming webinar");
    assert!(page.contains("Dernières ressources"));
    assert!(page.contains("href=\"/ressources\">Ressources</a>"), "the menu");
}

#[tokio::test]
async fn one_query_finds_advisers_and_resources_together() {
    let (_, state, _) = apps().await.remove(0);
    let (status, _, body) = get(&state, "/api/v1/search?q=cybers%C3%A9curit%C3%A9&per_page=3", None).await;
    assert_eq!(status, StatusCode::OK);
    let json: Value = serde_json::from_str(&body).unwrap();
    assert!(json["advisers"]["total"].as_u64().unwrap() > 0, "{json}");
    assert!(
        json["resources"]["hits"].as_array().unwrap().iter().any(|h| h["id"] == "se-proteger-des-cyberattaques"),
        "{json}"
    );
    assert!(json["advisers"]["hits"].as_array().unwrap().len() <= 3);
}

#[tokio::test]
async fn the_directory_results_show_resources_for_the_same_words_beside_the_advisers() {
    let (_, state, _) = apps().await.remove(0);
    let (status, _, page) = get(&state, "/recherche?q=cybers%C3%A9curit%C3%A9", None).await;
    assert_eq!(status, StatusCode::OK);
    let side = page.split("id=\"ressources-zone\"").nth(1).expect("the resources' zone");
    assert!(side.contains("/ressources/se-proteger-des-cyberattaques"), "{side}");
    assert!(side.contains("href=\"/ressources?q=cybers%C3%A9curit%C3%A9\""), "a link to all of them");
    // A place-only search has no words to look up resources with.
    let (_, _, page) = get(&state, "/recherche?near=Rennes", None).await;
    assert!(!page.contains("Ressources pour"), "no resource block without words");
}

/// Every element of `xml` closes: quick-xml reads it to the end.
fn well_formed(xml: &str) -> usize {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut elements = 0;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => return elements,
            quick_xml::events::Event::Start(_) | quick_xml::events::Event::Empty(_) => elements += 1,
            _ => {}
        }
    }
}

#[tokio::test]
async fn the_atom_feed_lists_the_resources_and_the_sitemap_needs_the_public_address() {
    let (_, state, _) = apps().await.remove(0);
    let (status, headers, feed) = get(&state, "/ressources/flux.atom", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[axum::http::header::CONTENT_TYPE].to_str().unwrap().starts_with("application/atom+xml"));
    assert!(well_formed(&feed) > 32);
    assert_eq!(feed.matches("<entry>").count(), starter().len());
    assert!(feed.contains("urn:osez:ressource:rgpd-et-ia-generative"));
    assert!(feed.contains("(démonstration)"), "fiction is labelled in the feed too");

    let (status, _, body) = get(&state, "/sitemap.xml", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("--public-url"), "{body}");

    let config = osez_web::WebConfig { public_url: Some("https://osez.exemple.fr".into()), ..test_config() };
    let (_, state, _) = apps_with(config).await.remove(0);
    let (status, _, map) = get(&state, "/sitemap.xml", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(well_formed(&map) > 50);
    assert!(map.contains("<loc>https://osez.exemple.fr/ressources/rgpd-et-ia-generative</loc>"));
    assert!(map.contains(&format!("<loc>https://osez.exemple.fr/conseillers/{}</loc>", advisers()[0].id)));
    let (_, _, feed) = get(&state, "/ressources/flux.atom", None).await;
    assert!(feed.contains("href=\"https://osez.exemple.fr/ressources/rgpd-et-ia-generative\""));
}

#[tokio::test]
async fn the_agenda_lists_coming_and_past_events_and_gives_their_calendars() {
    let (_, state, _) = apps().await.remove(0);
    let (status, _, page) = get(&state, "/agenda", None).await;
    assert_eq!(status, StatusCode::OK);
    let (coming, past) = page.split_once("id=\"passes\"").expect("both sections");
    assert!(coming.contains("/ressources/webinaire-ia-et-relation-client"), "the upcoming webinar");
    assert!(past.contains("/ressources/webinaire-ia-et-protection-des-donnees"), "a past one with its replay");
    assert!(!coming.contains("/ressources/webinaire-ia-et-protection-des-donnees"));

    let (status, headers, body) = get(&state, "/agenda.ics", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[axum::http::header::CONTENT_TYPE].to_str().unwrap().starts_with("text/calendar"));
    let calendar: icalendar::Calendar = body.parse().expect("a valid iCalendar file");
    assert_eq!(calendar.components.len(), 3, "{body}");
    assert!(body.contains("UID:webinaire-ia-et-relation-client@osez"));
    assert!(body.contains("(démonstration)"));

    let (status, _, one) = get(&state, "/ressources/webinaire-ia-et-relation-client/calendrier.ics", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one.matches("BEGIN:VEVENT").count(), 1);
    let (_, _, show) = get(&state, "/ressources/webinaire-ia-et-relation-client", None).await;
    assert!(show.contains("/ressources/webinaire-ia-et-relation-client/calendrier.ics"), "the page links its calendar");
    // Only events have a calendar.
    let (status, _, _) = get(&state, "/ressources/rgpd-et-ia-generative/calendrier.ics", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_editor_archives_a_resource_and_restores_an_old_version_and_the_public_site_follows() {
    for (name, state, store) in apps().await {
        let slug = "choisir-ses-reseaux-sociaux";
        let (status, headers, _) = get(&state, "/admin/ressources", None).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}: signed out");
        assert!(headers[axum::http::header::LOCATION].to_str().unwrap().starts_with("/connexion"), "{name}");

        let (_, headers, _) = sign_in(&state, "editrice@exemple.fr", PASSWORD).await;
        let cookie = cookie_of(&headers);
        let (status, _, list) = get(&state, "/admin/ressources", Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(list.contains(&format!("href=\"/admin/ressources/{slug}\"")), "{name}");

        let action = format!("/admin/ressources/{slug}/etat");
        let (_, _, page) = get(&state, &format!("/admin/ressources/{slug}"), Some(&cookie)).await;
        assert!(page.contains("Archiver (retirer du site)"), "{name}");
        let token = token_in(&page, &action);
        // A forged token changes nothing.
        let (status, _, _) = post(&state, &action, "jeton=faux&to=archived".into(), Some(&cookie)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
        assert_eq!(get(&state, &format!("/ressources/{slug}"), None).await.0, StatusCode::OK, "{name}");

        let (status, _, page) = post(&state, &action, format!("jeton={token}&to=archived"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("État de la ressource : Archivée."), "{name}");
        assert_eq!(
            get(&state, &format!("/ressources/{slug}"), None).await.0,
            StatusCode::NOT_FOUND,
            "{name}: off the site at once"
        );
        // A move the workflow does not allow is explained, not applied.
        let (status, _, page) = post(&state, &action, format!("jeton={token}&to=published"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("pas possible depuis") && page.contains("« Archivée »"), "{name}");

        // Back to draft, a new version, then restore the first one.
        post(&state, &action, format!("jeton={token}&to=draft"), Some(&cookie)).await;
        let mut content = store.resource_row(slug).await.unwrap().unwrap().content;
        content.title = "Un titre changé".into();
        store.save_resource(slug, 1, &content, "editrice@exemple.fr", "essai").await.unwrap();
        let (_, _, page) = get(&state, &format!("/admin/ressources/{slug}"), Some(&cookie)).await;
        assert!(page.contains("Titre : Un titre changé"), "{name}: the diff shows the change");
        let restore = format!("/admin/ressources/{slug}/restaurer");
        let token = token_in(&page, &restore);
        let (status, _, page) = post(&state, &restore, format!("jeton={token}&version=1"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("La version 1 est redevenue la plus récente (version 3"), "{name}");
        let token = token_in(&page, &action);
        post(&state, &action, format!("jeton={token}&to=published"), Some(&cookie)).await;
        let (status, _, public) = get(&state, &format!("/ressources/{slug}"), None).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(!public.contains("Un titre changé"), "{name}");
        let audit: Vec<String> = store.audit_entries(100).await.unwrap().into_iter().map(|e| e.action).collect();
        assert!(
            audit.iter().any(|a| a == "resource.archived") && audit.iter().any(|a| a == "resource.published"),
            "{name}"
        );
    }
}
