//! Delivery of the outbox over SMTP. Every e-mail of Osez is first written
//! to the outbox in the transaction that causes it; this worker takes what
//! is due, sends it, and records the result. A failure is retried with
//! exponential backoff until the mail is too old; an SMTP server down for an
//! hour only delays delivery.
//!
//! Exactly once, as far as SMTP allows: a mail is marked sent right after
//! the server accepts it, and its Message-ID and Date are fixed when it is
//! written, so the rare retry after a crash between the two is the same
//! message to the receiving servers. Rejected: sending from the request
//! handler (a slow or absent server would hold the person's page, and a
//! crash would lose the mail).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Tokio1Executor};
use osez_store::{OutboxMail, Store};
use tokio::sync::Notify;

/// Settings of delivery, passed in.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port`, `smtps://user:password@host:465`,
    /// `smtp://host:587?tls=required`; `None`: mail waits in the outbox.
    pub smtp_url: Option<String>,
    /// The `From` of every mail: `Osez <ne-pas-repondre@exemple.fr>`.
    pub from: String,
    /// Delay before the first retry; it doubles at each failure.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// A mail not delivered after this long is given up.
    pub give_up_after: Duration,
    /// How long a taken mail is left to its worker before another may take
    /// it (the worker was killed mid-send).
    pub lease: Duration,
    /// How often to look for mail written by other nodes.
    pub poll: Duration,
    /// The longest one mail may take, from the connection to the server's
    /// answer to its last line. A server that takes the connection and
    /// never answers would otherwise hold a connection for ever (lettre's
    /// own timeout covers only the connect). Must be shorter than `lease`.
    pub send_timeout: Duration,
    /// How many mails are sent at once, each on its own connection: a
    /// stalled one holds one connection, not the others.
    pub connections: usize,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp_url: None,
            from: "Osez <ne-pas-repondre@osez.invalid>".into(),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(15 * 60),
            give_up_after: Duration::from_secs(3 * 24 * 3600),
            lease: Duration::from_secs(120),
            poll: Duration::from_secs(5),
            send_timeout: Duration::from_secs(30),
            connections: 4,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid sender address {0:?}: {1}")]
    From(String, String),
    #[error("invalid SMTP URL: {0}")]
    Url(String),
}

/// Why one mail could not be sent.
#[derive(Debug)]
enum SendError {
    /// Will not get better by retrying (a malformed address, a 5xx).
    Permanent(String),
    Transient(String),
}

/// The worker's half of the outbox.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    config: MailConfig,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The domain of an address, for Message-IDs.
pub fn domain_of(from: &str) -> Option<&str> {
    let addr = from.rsplit_once('<').map(|(_, a)| a.trim_end_matches('>')).unwrap_or(from);
    addr.rsplit_once('@').map(|(_, d)| d.trim()).filter(|d| !d.is_empty())
}

/// Checks a `From` address without starting anything.
/// `Name <address>` or a bare address; the name may hold any character
/// (lettre quotes and encodes it), not only those RFC 5322 allows bare.
pub fn parse_from(from: &str) -> Result<Mailbox, MailError> {
    let bad = |e: lettre::address::AddressError| MailError::From(from.to_string(), e.to_string());
    match from.trim().strip_suffix('>').and_then(|s| s.rsplit_once('<')) {
        Some((name, address)) => {
            let name = name.trim().trim_matches('"').trim();
            Ok(Mailbox::new((!name.is_empty()).then(|| name.to_string()), address.trim().parse().map_err(bad)?))
        }
        None => from.trim().parse().map_err(bad),
    }
}

impl Mailer {
    /// `None` when no SMTP server is configured.
    pub fn new(config: MailConfig) -> Result<Option<Mailer>, MailError> {
        let from = parse_from(&config.from)?;
        let Some(url) = &config.smtp_url else { return Ok(None) };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Some(Mailer { transport, from, config }))
    }

    /// The message as it goes on the wire; the same bytes at every attempt
    /// but for the transport's own headers.
    fn message(&self, mail: &OutboxMail) -> Result<Message, SendError> {
        let to: Mailbox = mail.to.parse().map_err(|e| SendError::Permanent(format!("recipient: {e}")))?;
        let mut b = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .message_id(Some(mail.message_id.clone()))
            .date(UNIX_EPOCH + Duration::from_millis(mail.created_at_ms.max(0) as u64))
            .header(ContentType::TEXT_PLAIN);
        if let Some(r) = &mail.reply_to {
            b = b.reply_to(r.parse().map_err(|e| SendError::Permanent(format!("reply-to: {e}")))?);
        }
        b.body(mail.body.clone()).map_err(|e| SendError::Permanent(e.to_string()))
    }

    async fn send(&self, mail: &OutboxMail) -> Result<(), SendError> {
        let message = self.message(mail)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }

    /// When to try again after `attempts` failures.
    fn retry_delay(&self, attempts: i64) -> Duration {
        let doublings = attempts.clamp(1, 20) as u32 - 1;
        self.config.retry_base.saturating_mul(2u32.saturating_pow(doublings)).min(self.config.retry_max)
    }

    /// Sends what is due now, up to 20 mails; returns how many were taken.
    /// Each mail is leased just before it is sent, so that the lease
    /// (minutes) always outlasts one send (a 20 s timeout at most), and
    /// another node never takes a mail this one is sending.
    pub async fn deliver_due(&self, store: &Store) -> Result<usize, osez_store::StoreError> {
        let mut taken = 0;
        while taken < 20 {
            let Some(mail) = store.take_due_mail(1, self.config.lease.as_millis() as i64).await?.pop() else { break };
            taken += 1;
            self.deliver(store, &mail).await?;
        }
        Ok(taken)
    }

    async fn deliver(&self, store: &Store, mail: &OutboxMail) -> Result<(), osez_store::StoreError> {
        match self.send(mail).await {
            Ok(()) => {
                store.mail_sent(mail.id).await?;
                tracing::info!(target: "osez::mail", id = mail.id, kind = %mail.kind, message_id = %mail.message_id, attempts = mail.attempts, "mail sent");
            }
            Err(SendError::Permanent(error)) => {
                tracing::warn!(target: "osez::mail", id = mail.id, kind = %mail.kind, %error, "mail refused, given up");
                store.mail_failed(mail.id, &error, None).await?;
            }
            Err(SendError::Transient(error)) => {
                let too_old = now_ms() - mail.created_at_ms > self.config.give_up_after.as_millis() as i64;
                let retry_at = (!too_old).then(|| now_ms() + self.retry_delay(mail.attempts).as_millis() as i64);
                tracing::warn!(target: "osez::mail", id = mail.id, attempts = mail.attempts, %error, given_up = too_old, "mail not sent");
                store.mail_failed(mail.id, &error, retry_at).await?;
            }
        }
        Ok(())
    }

    /// Delivers for ever: at once when `wake` is notified (a mail was just
    /// written), when the next retry falls due, and every `poll` for mail
    /// written by other nodes.
    pub async fn run(self, store: Store, wake: Arc<Notify>) {
        loop {
            let taken = match self.deliver_due(&store).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(target: "osez::mail", error = %e, "cannot read the outbox");
                    0
                }
            };
            if taken > 0 {
                continue;
            }
            let mut wait = self.config.poll;
            if let Ok(Some(next)) = store.next_mail_due_ms().await {
                wait = wait.min(Duration::from_millis((next - now_ms()).max(0) as u64));
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = wake.notified() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_read_from_addresses() {
        assert_eq!(domain_of("Osez <ne-pas-repondre@osez.example.fr>"), Some("osez.example.fr"));
        assert_eq!(domain_of("equipe@exemple.fr"), Some("exemple.fr"));
        assert_eq!(domain_of("personne"), None);
    }

    #[test]
    fn senders_may_have_any_name() {
        let m = parse_from("Osez (démo) <ne-pas-repondre@osez.test>").unwrap();
        assert_eq!(m.name.as_deref(), Some("Osez (démo)"));
        assert_eq!(m.email.to_string(), "ne-pas-repondre@osez.test");
        assert!(parse_from("equipe@osez.test").is_ok());
        assert!(parse_from("Osez <pas une adresse>").is_err());
    }

    #[test]
    fn retries_back_off_up_to_a_ceiling() {
        let config = MailConfig { smtp_url: Some("smtp://127.0.0.1:1".into()), ..Default::default() };
        let m = Mailer::new(config).unwrap().unwrap();
        let secs: Vec<u64> = (1..=7).map(|a| m.retry_delay(a).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 900, 900]);
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(Mailer::new(MailConfig { from: "pas une adresse".into(), ..Default::default() }).is_err());
        let bad_url = MailConfig { smtp_url: Some("ftp://x".into()), ..Default::default() };
        assert!(Mailer::new(bad_url).is_err());
        assert!(Mailer::new(MailConfig::default()).unwrap().is_none());
    }
}

#[cfg(any(test, feature = "test-support"))]
pub mod testing;
