//! The back office through the router, on every backend: who may open
//! what, moderation, the zero-result report, coverage, the audit log and
//! accounts.

mod common;

use axum::http::{StatusCode, header};
use common::*;
use osez_core::account::Role;

/// Every back-office page, with the roles that may open it.
const PAGES: &[(&str, &[Role])] = &[
    ("/admin", &[Role::Admin, Role::Editor, Role::Moderator, Role::Adviser]),
    ("/admin/candidature", &[Role::Adviser]),
    ("/admin/profil", &[Role::Adviser]),
    ("/admin/demandes", &[Role::Adviser]),
    ("/admin/messages", &[Role::Admin, Role::Editor, Role::Moderator]),
    ("/admin/suivi", &[Role::Admin, Role::Editor, Role::Moderator]),
    ("/admin/candidatures", &[Role::Admin, Role::Editor]),
    ("/admin/appels", &[Role::Admin, Role::Editor]),
    ("/admin/revendications", &[Role::Admin, Role::Editor]),
    ("/admin/moderation", &[Role::Admin, Role::Moderator]),
    ("/admin/recherches", &[Role::Admin, Role::Editor]),
    ("/admin/recherches.csv", &[Role::Admin, Role::Editor]),
    ("/admin/couverture", &[Role::Admin, Role::Editor, Role::Moderator]),
    ("/admin/journal", &[Role::Admin]),
    ("/admin/journal.csv", &[Role::Admin]),
    ("/admin/comptes", &[Role::Admin]),
];

#[tokio::test]
async fn each_role_opens_its_pages_and_no_other() {
    for (_backend, state, store) in apps().await {
        for (path, _) in PAGES {
            let (status, headers, _) = get(&state, path, None).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{path} without a session");
            assert_eq!(headers.get(header::LOCATION).unwrap(), "/connexion");
        }
        for role in Role::ALL {
            let cookie = signed_in(&state, &store, &format!("{}@exemple.fr", role.slug()), *role).await;
            for (path, roles) in PAGES {
                let (status, headers, page) = get(&state, path, Some(&cookie)).await;
                let allowed = roles.contains(role);
                let expected = if allowed { StatusCode::OK } else { StatusCode::FORBIDDEN };
                assert_eq!(status, expected, "{role:?} on {path}");
                assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store", "{path}");
                if !allowed {
                    assert!(page.contains("Accès refusé"), "{path}");
                }
                if allowed && !path.ends_with(".csv") {
                    // Every page of a demo instance says so: the banner
                    // once showed on public pages only.
                    assert!(page.contains("Instance de démonstration"), "{role:?} on {path}: no demo banner");
                    // The menu offers exactly the pages the role opens.
                    for (other, other_roles) in PAGES.iter().filter(|(p, _)| !p.ends_with(".csv")) {
                        let linked = page.contains(&format!("<a href=\"{other}\""));
                        assert_eq!(linked, other_roles.contains(role), "{role:?}: link to {other} on {path}");
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn three_reports_hide_a_profile_and_a_moderator_decides() {
    for (name, state, store) in apps().await {
        let id = advisers()[0].id.as_str().to_string();
        let listed = || async { store.listed_advisers().await.unwrap().iter().any(|a| a.id.as_str() == id) };
        // Three different clients: one client counts once.
        for i in 1..=2 {
            let ip = format!("198.51.100.{i}");
            assert_eq!(report_from(&state, &id, &ip, &format!("Démarchage n°{i}")).await.0, StatusCode::OK);
        }
        assert!(listed().await, "{name}: two reports are not enough");
        assert_eq!(report_from(&state, &id, "198.51.100.3", "<script>alert(1)</script>").await.0, StatusCode::OK);
        assert!(!listed().await, "{name}: hidden after the third");

        let cookie = signed_in(&state, &store, "moderatrice@exemple.fr", Role::Moderator).await;
        let home = get(&state, "/admin", Some(&cookie)).await.2;
        assert!(home.contains("1 profil en attente de modération"), "{name}");
        let page = get(&state, "/admin/moderation", Some(&cookie)).await.2;
        assert!(page.contains(&advisers()[0].name) && page.contains("Masqué"), "{name}");
        assert!(page.contains("3 signalements ouverts") && page.contains("Démarchage n°1"));
        assert!(page.contains("alert(1)") && !page.contains("<script>alert"), "{name}: escaped");

        let action = format!("/admin/moderation/{id}");
        let token = token_in(&page, &action);
        let (status, _, _) = post(&state, &action, format!("jeton={token}&decision=peut-etre"), Some(&cookie)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let (status, _, _) = post(&state, &action, "jeton=faux&decision=rejeter".into(), Some(&cookie)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}: forged token");
        assert!(!listed().await, "{name}: nothing done");

        let body = format!("jeton={token}&decision=rejeter&note={}", enc("Profil conforme"));
        let (status, _, page) = post(&state, &action, body, Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("de nouveau publié") && page.contains("Aucun signalement en attente"), "{name}");
        assert!(listed().await, "{name}: published again");
        let log = store.audit_entries(20).await.unwrap();
        let decision = log.iter().find(|e| e.action == "moderation.signalements_rejetes").expect("logged");
        assert_eq!(decision.actor, "moderatrice@exemple.fr");
        assert!(decision.after.as_deref().unwrap().contains("Profil conforme"));
        assert!(log.iter().any(|e| e.action == "moderation.masquage_automatique"), "{name}");

        let unknown = "/admin/moderation/inconnu";
        let (status, _, _) = post(&state, unknown, format!("jeton={token}&decision=retenir"), Some(&cookie)).await;
        assert!(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND, "{name}: {status}");
    }
}

#[tokio::test]
async fn searches_that_found_nothing_are_reported_by_week_and_exported() {
    for (name, state, store) in apps().await {
        // Recorded by the search pages in the background; written here
        // directly so that the test does not wait on a spawned task.
        store.record_zero_result("méthanisation agricole", "{\"kind\":\"ambassadeur_ia\"}").await.unwrap();
        store.record_zero_result("Méthanisation agricole", "{}").await.unwrap();
        store.record_zero_result("=HYPERLINK(\"http://x\")", "{}").await.unwrap();
        let cookie = signed_in(&state, &store, "redaction@exemple.fr", Role::Editor).await;
        let (status, _, page) = get(&state, "/admin/recherches", Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("3 recherches sans résultat, 2 requêtes distinctes"), "{name}");
        assert!(page.contains("thanisation agricole</th><td>2</td>"), "{name}");
        assert!(page.contains("kind=ambassadeur_ia"), "{name}");

        let (status, headers, csv) = get(&state, "/admin/recherches.csv", Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), "text/csv; charset=utf-8");
        assert!(headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap().starts_with("attachment"));
        let mut lines = csv.trim_start_matches('\u{feff}').lines();
        assert_eq!(lines.next(), Some("semaine;requete;nombre;filtres;derniere"));
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len(), 2, "{name}: {csv}");
        assert!(rows[0].contains("thanisation agricole;2;"), "{name}: {csv}");
        assert!(rows[1].contains(";\"'=HYPERLINK(\"\"http://x\"\")\";"), "{name}: formula defused: {csv}");

        for bad in ["2026-W99", "semaine", "2026-W"] {
            let (status, _, page) = get(&state, &format!("/admin/recherches?semaine={bad}"), Some(&cookie)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(page.contains("Semaine invalide"), "{bad}");
            let (status, _, _) = get(&state, &format!("/admin/recherches.csv?semaine={bad}"), Some(&cookie)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        }
        let (status, _, page) = get(&state, "/admin/recherches?semaine=2020-W10", Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Aucune recherche sans résultat cette semaine") && page.contains("du 02/03/2020"));
    }
}

#[tokio::test]
async fn coverage_draws_every_department_and_names_those_without_an_ambassadeur() {
    for (_backend, state, store) in apps().await {
        let cookie = signed_in(&state, &store, "redaction@exemple.fr", Role::Editor).await;
        let (status, _, page) = get(&state, "/admin/couverture", Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK);
        let geo = geo();
        // 96 outlines and 5 overseas insets, each with its title.
        assert_eq!(page.matches("stroke=\"#ffffff\" stroke-width=\"0.6\"><title>").count(), 96);
        assert_eq!(page.matches("width=\"30\" height=\"30\" fill=\"#").count(), 5);
        let rows = page.split("<th scope=\"row\">").count() - 1;
        assert_eq!(rows, geo.departments.len() + geo.regions.len(), "a row per department and per region");
        let without: Vec<&str> = geo
            .departments
            .iter()
            .filter(|d| !advisers().iter().any(|a| a.department == d.code && a.kind == osez_core::Kind::AmbassadeurIa))
            .map(|d| d.name.as_str())
            .collect();
        assert!(!without.is_empty(), "50 demo advisers leave departments uncovered");
        assert!(page.contains(&format!("Départements sans ambassadeur IA ({})", without.len())));
        let listed = page.split("<h2 id=\"sans-ia\">").nth(1).unwrap().split("<figure").next().unwrap();
        for d in &without {
            assert!(unescape(listed).contains(*d), "{d}");
        }
        assert!(page.contains("role=\"img\"") && page.contains("<desc id=\"carte-desc\">"), "text alternative");
    }
}

#[tokio::test]
async fn the_audit_log_is_searched_paged_and_exported() {
    for (name, state, store) in apps().await {
        let cookie = signed_in(&state, &store, "admin@exemple.fr", Role::Admin).await;
        for i in 0..60 {
            store
                .record_audit("robot@exemple.fr", "essai.action", &format!("cible-{i}"), None, Some("{}"))
                .await
                .unwrap();
        }
        let (status, _, page) = get(&state, "/admin/journal?acteur=robot", Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("60 entrées"), "{name}");
        assert_eq!(page.matches("<td>essai.action</td>").count(), 50, "{name}: one page");
        assert!(page.contains("cible-59") && !page.contains("cible-9<"), "{name}: most recent first");
        let next = "/admin/journal?acteur=robot&page=2";
        assert!(unescape(&page).contains(next), "{name}");
        let page = get(&state, next, Some(&cookie)).await.2;
        assert_eq!(page.matches("<td>essai.action</td>").count(), 10, "{name}");

        let (status, _, page) = get(&state, "/admin/journal?q=connexion.reussie", Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("1 entrée") && page.contains("admin@exemple.fr"), "{name}");
        let (status, _, page) = get(&state, "/admin/journal?du=2026-13-01", Some(&cookie)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        assert!(page.contains("Date invalide"));
        let (status, _, page) = get(&state, "/admin/journal?du=2026-05-02&au=2026-05-01", Some(&cookie)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        assert!(page.contains("après la date de fin"));
        let (status, _, page) = get(&state, "/admin/journal?au=2000-01-01", Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("0 entrée"), "{name}");

        let (status, _, csv) = get(&state, "/admin/journal.csv?action=essai.", Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(csv.lines().count(), 61, "{name}: header and 60 rows");
        assert!(csv.trim_start_matches('\u{feff}').starts_with("date;auteur;action;cible;avant;apres"));
        let log = store.audit_entries(1).await.unwrap();
        assert_eq!(log[0].action, "journal.export", "{name}: exports are logged too");
    }
}

#[tokio::test]
async fn an_admin_ends_someone_elses_sessions_and_disables_their_account() {
    for (name, state, store) in apps().await {
        let admin = signed_in(&state, &store, "admin@exemple.fr", Role::Admin).await;
        let editor = cookie_of(&sign_in(&state, "editrice@exemple.fr", PASSWORD).await.1);
        let editor_id = store.user_by_email(&osez_core::account::Email::parse("editrice@exemple.fr").unwrap()).await;
        let editor_id = editor_id.unwrap().unwrap().id;
        let page = get(&state, "/admin/comptes", Some(&admin)).await.2;
        assert!(page.contains("editrice@exemple.fr") && page.contains("admin@exemple.fr (vous)"), "{name}");

        let action = format!("/admin/comptes/{editor_id}/sessions");
        let token = token_in(&page, &action);
        let (status, _, page) = post(&state, &action, format!("jeton={token}"), Some(&admin)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(page.contains("1 session de editrice@exemple.fr fermée"), "{name}");
        assert_eq!(get(&state, "/admin", Some(&editor)).await.0, StatusCode::SEE_OTHER, "{name}: signed out");

        let action = format!("/admin/comptes/{editor_id}/etat");
        let token = token_in(&page, &action);
        let (status, _, _) = post(&state, &action, format!("jeton={token}&etat=desactive"), Some(&admin)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let (status, _, _) = sign_in(&state, "editrice@exemple.fr", PASSWORD).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: a disabled account cannot sign in");
        let (status, _, _) = post(&state, &action, format!("jeton={token}&etat=actif"), Some(&admin)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(sign_in(&state, "editrice@exemple.fr", PASSWORD).await.0, StatusCode::SEE_OTHER, "{name}");

        // Not on oneself, not on an unknown account, not with a bad state.
        let admin_id = store.user_by_email(&osez_core::account::Email::parse("admin@exemple.fr").unwrap()).await;
        let own = format!("/admin/comptes/{}/sessions", admin_id.unwrap().unwrap().id);
        assert_eq!(post(&state, &own, format!("jeton={token}"), Some(&admin)).await.0, StatusCode::CONFLICT);
        assert_eq!(
            post(&state, "/admin/comptes/999/etat", "jeton=x".into(), Some(&admin)).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            post(&state, "/admin/comptes/abc/etat", "jeton=x".into(), Some(&admin)).await.0,
            StatusCode::NOT_FOUND
        );
        let (status, _, _) = post(&state, &action, format!("jeton={token}&etat=autre"), Some(&admin)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let log = store.audit_entries(30).await.unwrap();
        for action in ["compte.sessions_fermees", "compte.desactivation", "compte.reactivation"] {
            assert!(log.iter().any(|e| e.action == action && e.actor == "admin@exemple.fr"), "{name}: {action}");
        }
    }
}

#[tokio::test]
async fn extending_a_session_comes_back_to_the_page_and_never_leaves_the_site() {
    for (_backend, state, store) in apps().await {
        let cookie = signed_in(&state, &store, "redaction@exemple.fr", Role::Editor).await;
        let page = get(&state, "/admin/couverture", Some(&cookie)).await.2;
        assert!(page.contains("data-idle-seconds=\"") && page.contains("name=\"retour\" value=\"/admin/couverture\""));
        let token = token_in(&page, "/admin/session/prolonger");
        for (retour, expected) in [
            ("/admin/couverture", "/admin/couverture"),
            ("https://evil.example", "/admin"),
            ("//evil.example/admin", "/admin"),
            ("/admin//evil.example", "/admin"),
        ] {
            let body = format!("jeton={token}&retour={}", enc(retour));
            let (status, headers, _) = post(&state, "/admin/session/prolonger", body, Some(&cookie)).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{retour}");
            assert_eq!(headers.get(header::LOCATION).unwrap(), expected, "{retour}");
        }
    }
}

const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</code><iframe src=//evil.example>",
];

#[tokio::test]
async fn nothing_typed_into_the_back_office_is_rendered_unescaped() {
    for (_backend, state, store) in apps().await {
        let cookie = signed_in(&state, &store, "admin@exemple.fr", Role::Admin).await;
        for payload in XSS {
            let p = enc(payload);
            // What visitors typed, shown to the team.
            store.record_zero_result(payload, &serde_json::json!({ "near": payload }).to_string()).await.unwrap();
            store.record_audit(payload, payload, payload, Some(payload), Some(payload)).await.unwrap();
            for uri in [
                format!("/admin/journal?q={p}&acteur={p}&action={p}&du={p}&au={p}"),
                "/admin/journal".to_string(),
                format!("/admin/recherches?semaine={p}"),
                "/admin/recherches".to_string(),
            ] {
                let (status, _, body) = get(&state, &uri, Some(&cookie)).await;
                assert!(status == StatusCode::OK || status == StatusCode::BAD_REQUEST, "{uri}: {status}");
                assert!(!body.contains(payload), "{uri}: rendered unescaped");
                assert!(!body.contains("<script>alert") && !body.contains("<iframe"), "{uri}");
            }
        }
    }
}
