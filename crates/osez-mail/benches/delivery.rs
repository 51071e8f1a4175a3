//! How fast the outbox fills and empties: 500 mails written (one
//! transaction each, as a contact form does), then delivered by the worker
//! to a real SMTP server on loopback (aiosmtpd, `tests/smtp/sink.py`), on
//! SQLite. Prints figures; asserts no time. Run:
//! `cargo bench -p osez-mail --bench delivery` (`OSEZ_BENCH_MAILS` to
//! change the count, `OSEZ_BENCH_CONNECTIONS` the mails sent at once,
//! `MailConfig`'s default otherwise). Under `cargo test --benches` it sends
//! 20.

use std::time::{Duration, Instant};

use osez_mail::testing::SmtpSink;
use osez_mail::{MailConfig, Mailer};
use osez_store::{NewMail, Store};

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--test") || !std::env::args().any(|a| a == "--bench");
    let count: usize =
        std::env::var("OSEZ_BENCH_MAILS").ok().and_then(|n| n.parse().ok()).unwrap_or(if quick { 20 } else { 500 });
    let Some(sink) = SmtpSink::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(dir.path()).await.unwrap();
    store.migrate().await.unwrap();

    let started = Instant::now();
    for n in 0..count {
        let mail = NewMail {
            message_id: format!("<bench-{n}@osez.test>"),
            kind: "bench",
            to: format!("destinataire{n}@exemple.fr"),
            reply_to: Some("camille@exemple.fr".into()),
            subject: format!("Nouvelle demande via Osez n°{n}"),
            body: "Bonjour,\n\nUne personne vous écrit depuis l'annuaire.\n\n> Bonjour, j'aimerais un devis.\n"
                .repeat(4),
        };
        store.enqueue_mail(&mail).await.unwrap();
    }
    let written = started.elapsed();

    let connections: usize = std::env::var("OSEZ_BENCH_CONNECTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(MailConfig::default().connections);
    let mailer = Mailer::new(MailConfig {
        smtp_url: Some(sink.url()),
        from: "Osez <ne-pas-repondre@osez.test>".into(),
        connections,
        ..MailConfig::default()
    })
    .unwrap()
    .unwrap();
    let started = Instant::now();
    let mut sent = 0;
    while sent < count {
        let n = mailer.deliver_due(&store).await.unwrap();
        assert!(n > 0, "the outbox ran dry before {count} mails");
        sent += n;
    }
    let delivered = started.elapsed();
    let arrived = sink.wait_for(count, Duration::from_secs(60)).len();
    assert_eq!(arrived, count);
    assert_eq!(store.outbox_status().await.unwrap().sent, count as i64);

    let rate = |d: Duration| count as f64 / d.as_secs_f64();
    println!("outbox on SQLite, {count} mails");
    println!(
        "  written : {:>8.1} mails/s ({:.2} ms each, one transaction per mail)",
        rate(written),
        written.as_secs_f64() * 1000.0 / count as f64
    );
    println!(
        "  delivered to aiosmtpd on loopback: {:>8.1} mails/s ({:.2} ms each, {connections} connections at once, each reused)",
        rate(delivered),
        delivered.as_secs_f64() * 1000.0 / count as f64
    );
}
