use super::*;
use crate::testing::stores;

fn reset_mail(n: &str) -> crate::NewMail {
    crate::NewMail {
        message_id: format!("<{n}@osez.test>"),
        kind: "password_reset",
        to: "a@exemple.fr".into(),
        reply_to: None,
        subject: "Lien".into(),
        body: "…".into(),
    }
}

/// Regression: `insert_user` read before it wrote, so concurrent
/// creations hit SQLITE_BUSY, and a race on one address was a store
/// error instead of `EmailTaken`.
#[tokio::test]
async fn concurrent_creations_of_one_address_make_one_account_on_every_backend() {
    for (name, store) in stores().await {
        let email = Email::parse("course@exemple.fr").unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let (store, email) = (store.clone(), email.clone());
                tokio::spawn(async move { store.create_user(&email, &format!("$h{i}"), Role::Adviser, "t").await })
            })
            .collect();
        let (mut created, mut taken) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => created += 1,
                Err(CreateUserError::EmailTaken) => taken += 1,
                Err(e) => panic!("{name}: {e}"),
            }
        }
        assert_eq!((created, taken), (1, 15), "{name}");
        assert_eq!(store.audit_entries(100).await.unwrap().len(), 1, "{name}: one creation logged");
    }
}

#[tokio::test]
async fn a_reset_spends_every_open_link_and_links_are_throttled_on_every_backend() {
    for (name, store) in stores().await {
        let user =
            store.create_user(&Email::parse("oubli@exemple.fr").unwrap(), "$h", Role::Editor, "t").await.unwrap();
        for n in ["l1", "l2", "l3"] {
            assert!(store.create_password_reset(n, user.id, i64::MAX, &reset_mail(n)).await.unwrap(), "{name}");
        }
        assert!(
            !store.create_password_reset("l4", user.id, i64::MAX, &reset_mail("l4")).await.unwrap(),
            "{name}: a fourth link in the hour is refused"
        );
        assert_eq!(store.outbox_status().await.unwrap().pending, 3, "{name}: and gets no mail");
        assert_eq!(store.password_reset_user("l4").await.unwrap(), None, "{name}");
        assert!(store.reset_password("l2", "$new").await.unwrap(), "{name}");
        for n in ["l1", "l3"] {
            assert_eq!(store.password_reset_user(n).await.unwrap(), None, "{name}: {n} spent too");
            assert!(!store.reset_password(n, "$other").await.unwrap(), "{name}: {n}");
        }
        assert_eq!(store.user(user.id).await.unwrap().unwrap().password_hash, "$new", "{name}");
    }
}

#[tokio::test]
async fn a_second_enrolment_keeps_the_first_secret_on_every_backend() {
    for (name, store) in stores().await {
        let user = store.create_user(&Email::parse("totp@exemple.fr").unwrap(), "$h", Role::Admin, "t").await.unwrap();
        assert!(store.enable_totp(&user, "FIRST", 10).await.unwrap(), "{name}");
        assert!(!store.enable_totp(&user, "SECOND", 11).await.unwrap(), "{name}: already enrolled");
        let now = store.user(user.id).await.unwrap().unwrap();
        assert_eq!((now.totp_secret.as_deref(), now.totp_last_step), (Some("FIRST"), Some(10)), "{name}");
        let logged = store.audit_entries(10).await.unwrap();
        assert_eq!(logged.iter().filter(|e| e.action == "compte.double_authentification").count(), 1, "{name}");
    }
}

#[tokio::test]
async fn the_audit_purge_deletes_old_rows_only_on_every_backend() {
    for (name, store) in stores().await {
        store.record_audit("a@exemple.fr", "essai.ancien", "x", None, None).await.unwrap();
        let cutoff = now_ms() + 1;
        sqlx::query("UPDATE audit_log SET at = at - 1000").execute(&store.pool).await.unwrap();
        sqlx::query("INSERT INTO audit_log (at, actor, action, target) VALUES ($1, 'b', 'essai.recent', 'y')")
            .bind(cutoff + 5)
            .execute(&store.pool)
            .await
            .unwrap();
        assert_eq!(store.purge_audit_before(cutoff).await.unwrap(), 1, "{name}");
        let left = store.audit_entries(10).await.unwrap();
        assert_eq!(left.len(), 1, "{name}");
        assert_eq!(left[0].action, "essai.recent", "{name}");
    }
}
