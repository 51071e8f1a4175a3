//! The worker against a real SMTP server on loopback (aiosmtpd) and real
//! databases.

use std::sync::Arc;
use std::time::Duration;

use osez_mail::testing::{SmtpSink, StallFirst};
use osez_mail::{MailConfig, Mailer};
use osez_store::NewMail;
use osez_store::testing::stores;

fn mail(n: usize) -> NewMail {
    NewMail {
        message_id: format!("<test-{n}@osez.test>"),
        kind: "test",
        to: format!("destinataire{n}@exemple.fr"),
        reply_to: Some("camille@exemple.fr".into()),
        subject: format!("Votre demande n°{n} – accusé de réception"),
        body: format!("Bonjour,\n\nNous avons bien reçu votre message n°{n}.\nL'équipe France Num"),
    }
}

fn config(url: String) -> MailConfig {
    MailConfig {
        smtp_url: Some(url),
        from: "Osez (démo) <ne-pas-repondre@osez.test>".into(),
        retry_base: Duration::from_millis(200),
        retry_max: Duration::from_millis(400),
        poll: Duration::from_millis(100),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_mail_reaches_the_server_with_its_headers_and_body() {
    let Some(sink) = SmtpSink::start() else { return };
    for (backend, store) in stores().await {
        let before = sink.received().len();
        store.enqueue_mail(&mail(1)).await.unwrap();
        let mailer = Mailer::new(config(sink.url())).unwrap().unwrap();
        assert_eq!(mailer.deliver_due(&store).await.unwrap(), 1, "{backend}");
        let got = sink.wait_for(before + 1, Duration::from_secs(10));
        let m = &got[before];
        assert_eq!(m.rcpt_tos, ["destinataire1@exemple.fr"], "{backend}");
        assert_eq!(m.mail_from, "ne-pas-repondre@osez.test", "{backend}");
        assert_eq!(m.message_id, "<test-1@osez.test>", "{backend}");
        assert_eq!(m.subject, "Votre demande n°1 – accusé de réception", "{backend}");
        assert_eq!(m.reply_to, "camille@exemple.fr", "{backend}");
        assert!(m.from.contains("ne-pas-repondre@osez.test"), "{backend}: {}", m.from);
        assert!(m.content_type.starts_with("text/plain"), "{backend}: {}", m.content_type);
        assert!(m.content_type.to_lowercase().contains("utf-8"), "{backend}: {}", m.content_type);
        assert_eq!(
            m.body.replace("\r\n", "\n").trim_end(),
            "Bonjour,\n\nNous avons bien reçu votre message n°1.\nL'équipe France Num"
        );
        assert_eq!(store.outbox_status().await.unwrap().sent, 1, "{backend}");
        assert_eq!(mailer.deliver_due(&store).await.unwrap(), 0, "{backend}: nothing sent twice");
    }
}

#[tokio::test]
async fn a_mail_with_a_calendar_file_arrives_as_text_and_attachment() {
    let Some(sink) = SmtpSink::start() else { return };
    for (backend, store) in stores().await {
        let before = sink.received().len();
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:osez\r\nBEGIN:VEVENT\r\nSUMMARY:Atelier IA\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let file = osez_store::MailAttachment {
            name: "atelier-ia.ics".into(),
            content_type: "text/calendar; charset=utf-8; method=PUBLISH".into(),
            body: ics.into(),
        };
        store.enqueue_mail_with(&mail(7), &file).await.unwrap();
        let mailer = Mailer::new(config(sink.url())).unwrap().unwrap();
        assert_eq!(mailer.deliver_due(&store).await.unwrap(), 1, "{backend}");
        let got = sink.wait_for(before + 1, Duration::from_secs(10));
        let m = &got[before];
        assert!(m.content_type.starts_with("multipart/mixed"), "{backend}: {}", m.content_type);
        assert!(m.body.contains("Nous avons bien reçu votre message n°7."), "{backend}: the text part");
        assert_eq!(m.attachments.len(), 1, "{backend}");
        let a = &m.attachments[0];
        assert_eq!((a.filename.as_str(), a.content_type.as_str()), ("atelier-ia.ics", "text/calendar"), "{backend}");
        assert!(a.content.contains("SUMMARY:Atelier IA"), "{backend}: {}", a.content);
    }
}

#[tokio::test]
async fn twenty_mails_written_while_the_server_is_down_arrive_once_when_it_is_back() {
    let Some(mut sink) = SmtpSink::start() else { return };
    for (backend, store) in stores().await {
        let before = sink.received().len();
        sink.stop();
        let mailer = Mailer::new(config(sink.url())).unwrap().unwrap();
        let wake = Arc::new(tokio::sync::Notify::new());
        let worker = tokio::spawn(mailer.run(store.clone(), wake.clone()));
        for n in 0..20 {
            store.enqueue_mail(&NewMail { message_id: format!("<{backend}-{n}@osez.test>"), ..mail(n) }).await.unwrap();
            wake.notify_one();
        }
        // The worker tries, fails and backs off, several times.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let s = store.outbox_status().await.unwrap();
        assert_eq!((s.pending, s.sent), (20, 0), "{backend}: the server is down");
        sink.restart();
        let got = wait_for_async(&sink, before + 20).await;
        // The worker marks a mail sent just after the server accepted it:
        // let it mark the last one before it is stopped (bounded).
        for _ in 0..100 {
            if store.outbox_status().await.unwrap().sent == 20 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        worker.abort();
        let mut ids: Vec<&str> = got[before..].iter().map(|m| m.message_id.as_str()).collect();
        ids.sort_unstable();
        let mut want: Vec<String> = (0..20).map(|n| format!("<{backend}-{n}@osez.test>")).collect();
        want.sort_unstable();
        assert_eq!(ids, want, "{backend}: each of the 20 exactly once");
        // Nothing more comes later.
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(sink.received().len(), before + 20, "{backend}");
        assert_eq!(store.outbox_status().await.unwrap().sent, 20, "{backend}");
    }
}

/// Issue 9: a server that took the connection and never answered held the
/// worker (and every mail behind it) for minutes, with no retry and no log.
#[tokio::test]
async fn a_stalled_server_holds_one_mail_until_its_timeout_and_not_the_others() {
    let Some(sink) = SmtpSink::start() else { return };
    for (backend, store) in stores().await {
        let before = sink.received().len();
        let front = StallFirst::start(sink.port).await;
        let mailer =
            Mailer::new(MailConfig { send_timeout: Duration::from_secs(3), connections: 4, ..config(front.url()) })
                .unwrap()
                .unwrap();
        for n in 0..5 {
            store
                .enqueue_mail(&NewMail { message_id: format!("<{backend}-stall-{n}@osez.test>"), ..mail(n) })
                .await
                .unwrap();
        }
        let wake = Arc::new(tokio::sync::Notify::new());
        let worker = tokio::spawn(mailer.run(store.clone(), wake.clone()));
        wake.notify_one();

        // Four mails arrive while the first connection is still held.
        let got = wait_for_async(&sink, before + 4).await;
        assert!(got.len() >= before + 4, "{backend}: {} of 4 arrived: held behind the stalled one", got.len() - before);
        assert!(!front.stalled_dropped(), "{backend}: the others came only after the timeout");
        // The fifth comes after its timeout, on a retry over another
        // connection (a new one, or one that delivered an earlier mail).
        let got = wait_for_async(&sink, before + 5).await;
        assert!(front.stalled_dropped(), "{backend}: the stalled connection was never given up");
        assert!(front.accepted() >= 2, "{backend}: {} connections", front.accepted());
        let mut ids: Vec<&str> = got[before..].iter().map(|m| m.message_id.as_str()).collect();
        ids.sort_unstable();
        let want: Vec<String> = (0..5).map(|n| format!("<{backend}-stall-{n}@osez.test>")).collect();
        assert_eq!(ids, want, "{backend}: each of the 5 exactly once");
        tokio::time::sleep(Duration::from_millis(600)).await;
        worker.abort();
        assert_eq!(sink.received().len(), before + 5, "{backend}: nothing sent twice");
        let s = store.outbox_status().await.unwrap();
        assert_eq!((s.pending, s.sent), (0, 5), "{backend}");
    }
}

/// Issue 9: a new connection per mail (a TCP and SMTP handshake each)
/// halved the rate; a worker's connection now carries its next mails.
#[tokio::test]
async fn one_connection_carries_several_mails() {
    let Some(sink) = SmtpSink::start() else { return };
    for (backend, store) in stores().await {
        let before = sink.received().len();
        let front = StallFirst::counting(sink.port).await;
        let mailer = Mailer::new(MailConfig { connections: 1, ..config(front.url()) }).unwrap().unwrap();
        for n in 0..10 {
            store
                .enqueue_mail(&NewMail { message_id: format!("<{backend}-reuse-{n}@osez.test>"), ..mail(n) })
                .await
                .unwrap();
        }
        assert_eq!(mailer.deliver_due(&store).await.unwrap(), 10, "{backend}");
        let got = wait_for_async(&sink, before + 10).await;
        assert_eq!(got.len(), before + 10, "{backend}");
        assert_eq!(front.accepted(), 1, "{backend}: one connection for the 10 mails, one after the other");
        assert_eq!(store.outbox_status().await.unwrap().sent, 10, "{backend}");
    }
}

async fn wait_for_async(sink: &SmtpSink, n: usize) -> Vec<osez_mail::testing::Received> {
    for _ in 0..300 {
        let got = sink.received();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sink.received()
}
