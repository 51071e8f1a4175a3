use super::*;
use crate::testing::stores;
use osez_core::application::RawApplication;
use osez_core::{Geography, Kind};

/// A challenge never spent before.
fn challenge() -> SpentChallenge {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    SpentChallenge { key: format!("question:test-{n}"), expires_at_ms: now_ms() + 60_000 }
}

#[tokio::test]
async fn one_challenge_makes_one_account() {
    let geo = Geography::embedded().unwrap();
    for (name, store) in stores().await {
        let once = challenge();
        let first = Email::parse("un@exemple.fr").unwrap();
        store
            .apply_with_new_account(&first, "$h", ApplicationKind::Activateur, None, &form(&geo), &once)
            .await
            .unwrap();
        let second = Email::parse("deux@exemple.fr").unwrap();
        let replayed =
            store.apply_with_new_account(&second, "$h", ApplicationKind::Activateur, None, &form(&geo), &once).await;
        assert!(matches!(replayed, Err(CreateUserError::Replayed)), "{name}");
        assert_eq!(store.applications().await.unwrap().len(), 1, "{name}: nothing half-saved");
        assert!(store.user_by_email(&second).await.unwrap().is_none(), "{name}: no account");
    }
}

fn form(geo: &Geography) -> ApplicationForm {
    RawApplication {
        name: "Atelier Numérique du Rhône".into(),
        siret: "73282932000074".into(),
        activity_start: "2020-03-01".into(),
        website: "https://atelier.example".into(),
        structure_type: "independant".into(),
        commune: "69003".into(),
        area: vec!["69".into()],
        specialties: vec!["cybersecurite".into()],
        in_person: true,
        remote: true,
        description: "Nous aidons les artisans à sécuriser leurs postes et leurs sauvegardes.".into(),
    }
    .check(geo, "2026-01-01")
    .unwrap()
}

#[tokio::test]
async fn an_application_is_reviewed_corrected_accepted_and_published() {
    let geo = Geography::embedded().unwrap();
    for (name, store) in stores().await {
        let email = Email::parse("atelier@exemple.fr").unwrap();
        let f = form(&geo);
        let (user_id, app_id) = store
            .apply_with_new_account(&email, "$h", ApplicationKind::Activateur, None, &f, &challenge())
            .await
            .unwrap();
        assert!(matches!(
            store.apply_with_new_account(&email, "$h", ApplicationKind::Activateur, None, &f, &challenge()).await,
            Err(CreateUserError::EmailTaken)
        ));
        assert_eq!(store.applications().await.unwrap().len(), 1, "{name}: nothing half-saved");
        let app = store.application(app_id).await.unwrap().unwrap();
        assert_eq!((app.status, app.user_id, app.form.clone()), (ApplicationStatus::Submitted, user_id, f.clone()));
        assert_eq!(store.user(user_id).await.unwrap().unwrap().role, Role::Adviser);

        assert!(
            store.review_application(&app, Review::AskChanges("Précisez le site."), "equipe@x.fr", &[]).await.unwrap()
        );
        assert!(
            !store.review_application(&app, Review::Refuse("non"), "equipe@x.fr", &[]).await.unwrap(),
            "{name}: not open"
        );
        assert!(!store.resubmit_application(app_id, user_id + 1, "x", &f).await.unwrap(), "{name}: not theirs");
        assert!(store.resubmit_application(app_id, user_id, "atelier@exemple.fr", &f).await.unwrap());
        let app = store.application(app_id).await.unwrap().unwrap();
        assert_eq!(app.status, ApplicationStatus::Submitted);
        assert_eq!(app.team_note.as_deref(), Some("Précisez le site."), "{name}: kept for the record");

        let v0 = store.advisers_version().await.unwrap();
        let id = AdviserId::parse(&format!("candidature-{app_id}")).unwrap();
        let adviser = f.to_adviser(id.clone(), Kind::Activateur, &geo).unwrap();
        assert!(store.accept_application(&app, &adviser, "equipe@x.fr", &[]).await.unwrap());
        assert!(!store.accept_application(&app, &adviser, "equipe@x.fr", &[]).await.unwrap(), "{name}: once");
        assert!(store.listed_advisers().await.unwrap().iter().any(|a| a.id == id), "{name}: published");
        assert!(store.advisers_version().await.unwrap() > v0);
        assert_eq!(store.user(user_id).await.unwrap().unwrap().adviser_id.as_deref(), Some(id.as_str()));

        // A change of name goes back to review; the profile keeps its name.
        let mut renamed = f.clone();
        renamed.name = "Atelier Numérique Rhône-Alpes".into();
        let change = store.apply_for_change(user_id, "atelier@exemple.fr", &id, &renamed).await.unwrap();
        let again = store.apply_for_change(user_id, "atelier@exemple.fr", &id, &renamed).await.unwrap();
        let mine = store.applications_of(user_id).await.unwrap();
        assert_eq!(mine.len(), 3, "{name}");
        assert_eq!(mine.iter().find(|a| a.id == change).unwrap().status, ApplicationStatus::Refused, "replaced");
        assert_eq!(store.adviser(&id).await.unwrap().unwrap().name, f.name, "{name}: unchanged until accepted");
        let pending = store.application(again).await.unwrap().unwrap();
        let updated = Adviser { name: renamed.name.clone(), ..adviser.clone() };
        assert!(store.accept_application(&pending, &updated, "equipe@x.fr", &[]).await.unwrap());
        assert_eq!(store.adviser(&id).await.unwrap().unwrap().name, renamed.name, "{name}");

        let mut edited = updated.clone();
        edited.description = "Nouvelle présentation de l'atelier, plus détaillée qu'avant.".into();
        let version = store.profile_version(&id).await.unwrap().unwrap();
        assert!(store.update_own_profile(&updated, &edited, "atelier@exemple.fr", version).await.unwrap());
        assert_eq!(store.adviser(&id).await.unwrap().unwrap().description, edited.description);

        let actions: Vec<String> = store.audit_entries(20).await.unwrap().into_iter().rev().map(|e| e.action).collect();
        for a in [
            "candidature.depot",
            "candidature.modifications_demandees",
            "candidature.nouvel_envoi",
            "candidature.acceptation",
            "profil.modification",
        ] {
            assert!(actions.iter().any(|x| x == a), "{name}: {a} in {actions:?}");
        }
    }
}

#[tokio::test]
async fn calls_for_ambassadeurs() {
    for (name, store) in stores().await {
        let id = store
            .create_call(
                "AMI ambassadeurs IA 2027",
                "Expérience de l'IA",
                jiff::civil::date(2027, 1, 1),
                jiff::civil::date(2027, 3, 31),
                &["84".into()],
                "a@x.fr",
            )
            .await
            .unwrap();
        let call = store.call(id).await.unwrap().unwrap();
        assert_eq!(call.regions, vec!["84"], "{name}");
        let day = jiff::civil::date;
        assert!(call.is_open_on(day(2027, 1, 1)) && call.is_open_on(day(2027, 3, 31)));
        assert!(!call.is_open_on(day(2026, 12, 31)) && !call.is_open_on(day(2027, 4, 1)));
        assert_eq!(store.calls().await.unwrap().len(), 1);
        assert!(store.call(id + 1).await.unwrap().is_none());
    }
}

/// Regression: two saves of a profile, or a save and an accepted change
/// of name, overwrote each other.
#[tokio::test]
async fn profile_edits_do_not_overwrite_each_other() {
    let geo = Geography::embedded().unwrap();
    for (name, store) in stores().await {
        let f = form(&geo);
        let email = Email::parse("atelier@exemple.fr").unwrap();
        let (user_id, app_id) = store
            .apply_with_new_account(&email, "$h", ApplicationKind::Activateur, None, &f, &challenge())
            .await
            .unwrap();
        let app = store.application(app_id).await.unwrap().unwrap();
        let id = AdviserId::parse("act-1").unwrap();
        let published = f.to_adviser(id.clone(), Kind::Activateur, &geo).unwrap();
        assert!(store.accept_application(&app, &published, "equipe@x.fr", &[]).await.unwrap());

        // Two saves from the same loaded version: the second is refused.
        let loaded = store.profile_version(&id).await.unwrap().unwrap();
        let first =
            Adviser { description: "Première version de la présentation, assez longue.".into(), ..published.clone() };
        let second =
            Adviser { description: "Seconde version, écrite dans un autre onglet.".into(), ..published.clone() };
        assert!(store.update_own_profile(&published, &first, "atelier@exemple.fr", loaded).await.unwrap());
        assert!(!store.update_own_profile(&published, &second, "atelier@exemple.fr", loaded).await.unwrap(), "{name}");
        assert_eq!(store.adviser(&id).await.unwrap().unwrap().description, first.description, "{name}");

        // A change of name read before the adviser's next save, and
        // accepted after it, keeps that save.
        let mut renamed = f.clone();
        renamed.name = "Atelier Rhône-Alpes".into();
        let change = store.apply_for_change(user_id, "atelier@exemple.fr", &id, &renamed).await.unwrap();
        let stale = store.adviser(&id).await.unwrap().unwrap();
        let loaded = store.profile_version(&id).await.unwrap().unwrap();
        let edited = Adviser {
            description: "Présentation enregistrée pendant l'examen du nouveau nom.".into(),
            ..stale.clone()
        };
        assert!(store.update_own_profile(&stale, &edited, "atelier@exemple.fr", loaded).await.unwrap());
        let after_save = store.profile_version(&id).await.unwrap().unwrap();
        let pending = store.application(change).await.unwrap().unwrap();
        let accepted = Adviser { name: renamed.name.clone(), ..stale.clone() };
        assert!(store.accept_application(&pending, &accepted, "equipe@x.fr", &[]).await.unwrap());
        let now = store.adviser(&id).await.unwrap().unwrap();
        assert_eq!(
            (now.name.as_str(), now.description.as_str()),
            (renamed.name.as_str(), edited.description.as_str()),
            "{name}"
        );
        // And a form loaded before the rename cannot put the old name back.
        assert!(store.profile_version(&id).await.unwrap().unwrap() > after_save, "{name}: the rename bumps it");
        assert!(!store.update_own_profile(&edited, &stale, "atelier@exemple.fr", after_save).await.unwrap(), "{name}");
    }
}

/// Migration 0010 rewrites call dates stored as typed without dashes,
/// which compared as text after every "2026-…" day and never closed.
#[tokio::test]
async fn call_dates_stored_as_typed_are_normalised_by_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    let mut stores = vec![("sqlite", crate::Store::open_sqlite(&dir.path().join("db")).await.unwrap())];
    if let Some(url) = crate::testing::fresh_postgres_url().await {
        stores.push(("postgres", crate::Store::connect(&url).await.unwrap()));
    }
    for (name, store) in stores {
        // The schema as it was before 0010.
        let old = dir.path().join(format!("before-0010-{name}"));
        std::fs::create_dir_all(&old).unwrap();
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(name);
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            if file.as_str() < "0010" {
                std::fs::copy(&path, old.join(&file)).unwrap();
            }
        }
        sqlx::migrate::Migrator::new(old.as_path()).await.unwrap().run(&store.pool).await.unwrap();
        sqlx::query(
            "INSERT INTO calls (title, criteria, opens_on, closes_on, regions, created_by, created_at) \
             VALUES ('AMI', 'Critères', '20260101', '20260301', '', 'test', 0)",
        )
        .execute(&store.pool)
        .await
        .unwrap();
        store.migrate().await.unwrap();
        let stored: String = sqlx::query_scalar("SELECT closes_on FROM calls").fetch_one(&store.pool).await.unwrap();
        assert_eq!(stored, "2026-03-01", "{name}");
        let call = store.calls().await.unwrap().remove(0);
        assert_eq!((call.opens_on, call.closes_on), (jiff::civil::date(2026, 1, 1), jiff::civil::date(2026, 3, 1)));
        assert!(!call.is_open_on(jiff::civil::date(2026, 3, 2)), "{name}: closed after its date");
    }
}
