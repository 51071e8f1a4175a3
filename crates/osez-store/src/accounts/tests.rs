use super::*;
use crate::audit::*;
use crate::testing::stores;

#[tokio::test]
async fn accounts_sessions_and_audit_on_every_backend() {
    for (name, store) in stores().await {
        let email = Email::parse("admin@exemple.fr").unwrap();
        let user = store.create_user(&email, "$argon2id$fake", Role::Admin, "system").await.unwrap();
        assert_eq!(user.role, Role::Admin, "{name}");
        assert!(matches!(
            store.create_user(&email, "$argon2id$fake", Role::Editor, "system").await,
            Err(CreateUserError::EmailTaken)
        ));
        assert_eq!(store.user_by_email(&email).await.unwrap().unwrap().id, user.id, "{name}");
        assert_eq!(store.user(user.id).await.unwrap().unwrap().email, email);

        store.create_session("h1", user.id, i64::MAX).await.unwrap();
        store.create_session("h2", user.id, i64::MAX).await.unwrap();
        assert_eq!(store.session("h1").await.unwrap().unwrap().user_id, user.id, "{name}");
        store.touch_session("h1").await.unwrap();
        store.delete_session("h1").await.unwrap();
        assert_eq!(store.session("h1").await.unwrap(), None, "{name}");
        assert_eq!(store.delete_sessions_of(user.id).await.unwrap(), 1, "{name}");

        store.create_session("h3", user.id, i64::MAX).await.unwrap();
        let mail = |n: &str| crate::NewMail {
            message_id: format!("<{n}@osez.test>"),
            kind: "password_reset",
            to: "a@exemple.fr".into(),
            reply_to: None,
            subject: "Lien".into(),
            body: "…".into(),
        };
        store.create_password_reset("r1", user.id, i64::MAX, &mail("r1")).await.unwrap();
        store.create_password_reset("r0", user.id, 1, &mail("r0")).await.unwrap();
        assert_eq!(store.outbox_status().await.unwrap().pending, 2, "{name}: each link has its mail");
        assert_eq!(store.password_reset_user("r1").await.unwrap(), Some(user.id), "{name}");
        assert_eq!(store.password_reset_user("r0").await.unwrap(), None, "{name}: expired");
        assert!(!store.reset_password("r0", "$new").await.unwrap(), "{name}: expired");
        assert!(store.reset_password("r1", "$new").await.unwrap(), "{name}");
        assert!(!store.reset_password("r1", "$newer").await.unwrap(), "{name}: single use");
        assert_eq!(store.user(user.id).await.unwrap().unwrap().password_hash, "$new");
        assert_eq!(store.session("h3").await.unwrap(), None, "{name}: sessions ended");

        store.enable_totp(&user, "SECRET", 100).await.unwrap();
        assert!(!store.accept_totp_step(user.id, 100).await.unwrap(), "{name}: replay");
        assert!(store.accept_totp_step(user.id, 101).await.unwrap(), "{name}");
        assert!(!store.accept_totp_step(user.id, 101).await.unwrap(), "{name}: replay");
        assert_eq!(store.user(user.id).await.unwrap().unwrap().totp_secret.as_deref(), Some("SECRET"));

        let log = store.audit_entries(10).await.unwrap();
        assert_eq!(log.len(), 3, "{name}: creation, reset and TOTP, not the refused duplicate");
        let log: Vec<_> = log.into_iter().rev().collect();
        assert_eq!(log[0].action, "compte.creation");
        assert_eq!(log[0].target, "admin@exemple.fr");

        let other = store
            .create_user(&Email::parse("redac_100%@exemple.fr").unwrap(), "$h", Role::Editor, "admin@exemple.fr")
            .await
            .unwrap();
        store.create_session("h4", other.id, i64::MAX).await.unwrap();
        store.create_session("h5", other.id, 1).await.unwrap();
        let overview = store.users_overview().await.unwrap();
        assert_eq!(overview.len(), 2, "{name}");
        assert_eq!(overview[1].user.id, other.id, "{name}: by e-mail");
        assert_eq!(overview[1].sessions, 1, "{name}: expired sessions do not count");
        assert_eq!(store.end_sessions_of(&other, "admin@exemple.fr").await.unwrap(), 2, "{name}");
        store.create_session("h6", other.id, i64::MAX).await.unwrap();
        store.set_user_disabled(&other, true, "admin@exemple.fr").await.unwrap();
        assert!(store.user(other.id).await.unwrap().unwrap().disabled, "{name}");
        assert_eq!(store.session("h6").await.unwrap(), None, "{name}: disabling ends sessions");

        let all = AuditQuery::default();
        let (entries, total) = store.search_audit(&all, 2, 0).await.unwrap();
        assert_eq!((entries.len(), total), (2, 6), "{name}");
        assert_eq!(entries[0].action, "compte.desactivation", "{name}: most recent first");
        let q = AuditQuery { text: "100%".into(), ..AuditQuery::default() };
        let (entries, total) = store.search_audit(&q, 10, 0).await.unwrap();
        assert_eq!(total, 3, "{name}: creation, sessions ended, disabled; % is literal");
        assert!(entries.iter().all(|e| e.target.contains("100%")));
        let q = AuditQuery { action: "COMPTE.".into(), actor: "admin@".into(), ..AuditQuery::default() };
        assert_eq!(store.search_audit(&q, 10, 0).await.unwrap().1, 5, "{name}: the admin's own reset and TOTP too");
        let q = AuditQuery { from_ms: Some(i64::MAX - 1), ..AuditQuery::default() };
        assert_eq!(store.search_audit(&q, 10, 0).await.unwrap().1, 0, "{name}");
        let q = AuditQuery { text: "desactive true".into(), to_ms: Some(i64::MAX), ..AuditQuery::default() };
        assert_eq!(store.search_audit(&q, 10, 0).await.unwrap().1, 1, "{name}: every word must match");
    }
}

#[tokio::test]
async fn audit_pages_follow_each_other_and_team_members_leave_others_out() {
    for (name, store) in stores().await {
        for i in 0..7 {
            store.record_audit("robot", "essai.page", &format!("cible {i}"), None, None).await.unwrap();
        }
        store.record_audit("robot", "autre", "hors filtre", None, None).await.unwrap();
        let q = AuditQuery { action: "essai.".into(), ..AuditQuery::default() };
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store.audit_page(&q, after, 3).await.unwrap();
            let Some((last, _)) = page.last() else { break };
            after = Some(*last);
            seen.extend(page.into_iter().map(|(_, e)| e.target));
        }
        let expected: Vec<String> = (0..7).rev().map(|i| format!("cible {i}")).collect();
        assert_eq!(seen, expected, "{name}: every row once, most recent first");

        let hash = "$argon2id$fake";
        for (email, role) in [("a@x.fr", Role::Admin), ("c@x.fr", Role::Adviser), ("m@x.fr", Role::Moderator)] {
            store.create_user(&Email::parse(email).unwrap(), hash, role, "test").await.unwrap();
        }
        let off = store.create_user(&Email::parse("e@x.fr").unwrap(), hash, Role::Editor, "test").await.unwrap();
        store.set_user_disabled(&off, true, "test").await.unwrap();
        let team = store.team_members(&[Role::Admin, Role::Editor, Role::Moderator]).await.unwrap();
        let emails: Vec<&str> = team.iter().map(|u| u.email.as_str()).collect();
        assert_eq!(emails, vec!["a@x.fr", "m@x.fr"], "{name}: no adviser, no disabled account");
    }
}
