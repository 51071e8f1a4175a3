use super::*;
use crate::testing::stores;
use osez_core::contact::RawContact;
use osez_core::{Geography, demo};

fn form(geo: &Geography, email: &str, commune: &str, need: &str) -> ContactForm {
    RawContact {
        name: "Camille Martin".into(),
        email: email.into(),
        company: String::new(),
        commune: commune.into(),
        need: need.into(),
        message: "Bonjour, j'aimerais un rendez-vous.".into(),
    }
    .check(geo)
    .unwrap()
}

fn mail(n: &str, to: &str) -> NewMail {
    NewMail {
        message_id: format!("<{n}@osez.test>"),
        kind: "contact_receipt",
        to: to.into(),
        reply_to: None,
        subject: "Votre message".into(),
        body: "Nous avons bien reçu votre message.".into(),
    }
}

fn challenge(key: &str) -> SpentChallenge {
    SpentChallenge { key: key.into(), expires_at_ms: now_ms() + 60_000 }
}

/// A claim ("C'est ma structure") and the mails about a person's own
/// account and applications are theirs: in the copy, and erased.
#[tokio::test]
async fn claims_and_account_mails_are_in_the_copy_and_erased() {
    let geo = Geography::embedded().unwrap();
    let adviser = &demo::generate(&geo, 1)[0];
    for (backend, store) in stores().await {
        store.upsert_advisers(std::slice::from_ref(adviser)).await.unwrap();
        let email = osez_core::account::Email::parse("dirigeante@exemple.fr").unwrap();
        let claim = crate::NewClaim {
            adviser: adviser.id.as_str(),
            email: &email,
            siret: "73282932000074",
            message: "C'est notre structure.",
        };
        store.record_claim(&claim, &challenge("c1")).await.unwrap();
        let mut refused = mail("r", "dirigeante@exemple.fr");
        refused.kind = "claim_refused";
        store.enqueue_mail(&refused).await.unwrap();

        assert!(store.holds_personal_data("dirigeante@exemple.fr").await.unwrap(), "{backend}");
        let copy = store.personal_data("dirigeante@exemple.fr").await.unwrap();
        assert_eq!(copy.claims.len(), 1, "{backend}");
        assert_eq!(copy.claims[0].message, "C'est notre structure.");
        assert_eq!(copy.mails.len(), 1, "{backend}: the refusal is the person's mail");
        store.erase_personal_data("dirigeante@exemple.fr").await.unwrap();
        assert!(store.personal_data("dirigeante@exemple.fr").await.unwrap().is_empty(), "{backend}");
        assert!(!store.holds_personal_data("dirigeante@exemple.fr").await.unwrap(), "{backend}");
    }
}

#[tokio::test]
async fn a_replayed_challenge_saves_nothing() {
    let geo = Geography::embedded().unwrap();
    for (backend, store) in stores().await {
        let f = form(&geo, "camille@exemple.fr", "69003", "ia_generative");
        let first =
            store.record_contact(&Recipient::Team, &f, &[mail("a", "camille@exemple.fr")], &challenge("k1")).await;
        assert!(matches!(first.unwrap(), Recorded::Saved(_)), "{backend}");
        let again =
            store.record_contact(&Recipient::Team, &f, &[mail("b", "camille@exemple.fr")], &challenge("k1")).await;
        assert_eq!(again.unwrap(), Recorded::Replayed, "{backend}");
        assert_eq!(store.team_inbox(&InboxQuery::default()).await.unwrap().len(), 1, "{backend}");
        assert_eq!(store.outbox_status().await.unwrap().pending, 1, "{backend}: the second mail was not kept");
        // A mail that cannot be written (same Message-ID) undoes the message.
        let clash = store.record_contact(&Recipient::Team, &f, &[mail("a", "x@exemple.fr")], &challenge("k2")).await;
        assert!(clash.is_err(), "{backend}");
        assert_eq!(store.team_inbox(&InboxQuery::default()).await.unwrap().len(), 1, "{backend}");
        assert!(store.spend_challenge(&challenge("k2")).await.unwrap(), "{backend}: k2 was rolled back");
    }
}

#[tokio::test]
async fn the_team_follows_messages_and_advisers_record_outcomes() {
    let geo = Geography::embedded().unwrap();
    let advisers: Vec<_> = demo::generate(&geo, 1).into_iter().take(2).collect();
    let (a, b) = (&advisers[0].id, &advisers[1].id);
    for (backend, store) in stores().await {
        store.upsert_advisers(&advisers).await.unwrap();
        let to_a = Recipient::Adviser { id: a.clone(), via_team: false };
        let to_b = Recipient::Adviser { id: b.clone(), via_team: true };
        let mut ids = Vec::new();
        for (i, (to, commune, need)) in [
            (&to_a, "69003", "ia_generative"),
            (&to_a, "69001", "ia_generative"),
            (&to_a, "13001", "cybersecurite"),
            (&to_b, "69002", "ia_generative"),
            (&Recipient::Team, "75001", "autre"),
        ]
        .into_iter()
        .enumerate()
        {
            let f = form(&geo, &format!("p{i}@exemple.fr"), commune, need);
            match store.record_contact(to, &f, &[], &challenge(&format!("c{i}"))).await.unwrap() {
                Recorded::Saved(id) => ids.push(id),
                Recorded::Replayed => panic!("{backend}"),
            }
        }
        let inbox = store.team_inbox(&InboxQuery::default()).await.unwrap();
        assert_eq!(inbox.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[4], ids[3]], "{backend}: team + via team");
        assert_eq!(store.adviser_requests(a.as_str()).await.unwrap().len(), 3, "{backend}");
        assert!(store.record_outcome(ids[0], a.as_str(), Outcome::Met).await.unwrap(), "{backend}");
        assert!(store.record_outcome(ids[1], a.as_str(), Outcome::QuoteSent).await.unwrap(), "{backend}");
        assert!(!store.record_outcome(ids[3], a.as_str(), Outcome::Met).await.unwrap(), "{backend}: not theirs");
        let reply = mail("r", "p4@exemple.fr");
        assert!(store.answer_contact(ids[4], "equipe@osez.test", "Re", "Voici.", &reply).await.unwrap());
        let m = store.contact_message(ids[4]).await.unwrap().unwrap();
        assert_eq!((m.status(), m.replies.len()), (ContactStatus::Open, 1), "{backend}");
        assert!(store.update_contact(ids[4], ContactStatus::Closed, None, "equipe@osez.test").await.unwrap());
        let closed = InboxQuery { status: Some(ContactStatus::Closed), assigned_to: None };
        assert_eq!(store.team_inbox(&closed).await.unwrap().len(), 1, "{backend}");

        // Erasure keeps the counts.
        store.erase_personal_data("p0@exemple.fr").await.unwrap();
        assert!(store.personal_data("p0@exemple.fr").await.unwrap().is_empty(), "{backend}");
        let counts = store.contact_outcomes(0).await.unwrap();
        let lyon_ia = counts.iter().find(|c| c.department == "69" && c.need == "ia_generative").unwrap();
        assert_eq!((lyon_ia.total, lyon_ia.met, lyon_ia.quote_sent, lyon_ia.unknown()), (3, 1, 1, 1), "{backend}");
        assert_eq!(counts.iter().map(|c| c.total).sum::<i64>(), 4, "{backend}: team messages not counted");
    }
}

#[tokio::test]
async fn a_person_gets_a_copy_then_erases_and_retention_purges() {
    let geo = Geography::embedded().unwrap();
    for (backend, store) in stores().await {
        let f = form(&geo, "camille@exemple.fr", "69003", "ia_generative");
        let mails = [mail("m1", "camille@exemple.fr"), mail("m2", "equipe@osez.test")];
        store.record_contact(&Recipient::Team, &f, &mails, &challenge("c1")).await.unwrap();
        let other = form(&geo, "dominique@exemple.fr", "13001", "autre");
        store.record_contact(&Recipient::Team, &other, &[], &challenge("c2")).await.unwrap();

        let copy = store.personal_data("camille@exemple.fr").await.unwrap();
        assert_eq!((copy.messages.len(), copy.mails.len()), (1, 1), "{backend}");
        assert_eq!(copy.messages[0].message, "Bonjour, j'aimerais un rendez-vous.", "{backend}");

        let (link, d1, d2) = (mail("link1", "camille@exemple.fr"), challenge("d1"), challenge("d2"));
        let ask = store.create_data_request("h1", "camille@exemple.fr", now_ms() + 60_000, Some(&link), &d1);
        assert!(ask.await.unwrap(), "{backend}");
        let replay = store.create_data_request("h9", "camille@exemple.fr", now_ms() + 60_000, None, &d1);
        assert!(!replay.await.unwrap(), "{backend}: the challenge was spent");
        assert_eq!(store.data_request_email("h1").await.unwrap().as_deref(), Some("camille@exemple.fr"));
        assert!(store.spend_data_request("h1").await.unwrap().is_some(), "{backend}");
        assert!(store.spend_data_request("h1").await.unwrap().is_none(), "{backend}: single use");
        assert!(store.spend_data_request("nope").await.unwrap().is_none(), "{backend}");
        let link = mail("link2", "camille@exemple.fr");
        let ask = store.create_data_request("h2", "camille@exemple.fr", now_ms() - 1, Some(&link), &d2);
        assert!(ask.await.unwrap(), "{backend}");
        assert!(store.spend_data_request("h2").await.unwrap().is_none(), "{backend}: expired");

        let erased = store.erase_personal_data("camille@exemple.fr").await.unwrap();
        assert_eq!((erased.messages, erased.mails), (1, 4), "{backend}: the two about the message, the two links");
        assert!(store.personal_data("camille@exemple.fr").await.unwrap().is_empty(), "{backend}");
        assert_eq!(store.team_inbox(&InboxQuery::default()).await.unwrap().len(), 1, "{backend}");

        // Retention: everything created before the cutoff loses its
        // personal fields.
        let purged = store.purge_before(now_ms() + 1).await.unwrap();
        assert_eq!(purged.messages, 1, "{backend}");
        assert!(store.team_inbox(&InboxQuery::default()).await.unwrap().is_empty(), "{backend}");
        assert!(store.personal_data("dominique@exemple.fr").await.unwrap().is_empty(), "{backend}");
        assert_eq!(store.purge_before(now_ms() + 1).await.unwrap().messages, 0, "{backend}: once");
    }
}
