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

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use osez_store::{OutboxMail, Store};
use tokio::sync::Notify;
use tokio::task::JoinSet;

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
    /// stalled one holds one connection, not the others. 8 by default: a
    /// modest load for a relay (Postfix itself opens up to 20 connections
    /// at once to one destination); a connection that delivered a mail
    /// carries a next one (see docs/BENCHMARKS.md for the rates).
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
            connections: 8,
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

/// The worker's half of the outbox. Cheap to clone: every send in flight
/// holds one.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

struct Inner {
    server: Server,
    /// Connections that delivered their last mail and wait for the next,
    /// most recently used last; at most `connections`. Only a send that
    /// ended well puts its connection back: one cut by the timeout or
    /// failed in any way is dropped (closed) with its future, so no mail
    /// ever goes over a connection left mid-dialogue.
    idle: Mutex<Vec<Idle>>,
    from: Mailbox,
    config: MailConfig,
    /// `config.send_timeout`, at most half the lease: a send still running
    /// when its lease ends could be sent again by another node.
    send_timeout: Duration,
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
        let send_timeout = config.send_timeout.min(config.lease / 2).max(Duration::from_millis(1));
        let server = Server::parse(url)?;
        Ok(Some(Mailer { inner: Arc::new(Inner { server, idle: Mutex::new(Vec::new()), from, config, send_timeout }) }))
    }

    /// The message as it goes on the wire; the same bytes at every attempt
    /// but for the transport's own headers.
    fn message(&self, mail: &OutboxMail) -> Result<Message, SendError> {
        let to: Mailbox = mail.to.parse().map_err(|e| SendError::Permanent(format!("recipient: {e}")))?;
        let mut b = Message::builder()
            .from(self.inner.from.clone())
            .to(to)
            .subject(&mail.subject)
            .message_id(Some(mail.message_id.clone()))
            .date(UNIX_EPOCH + Duration::from_millis(mail.created_at_ms.max(0) as u64));
        if let Some(r) = &mail.reply_to {
            b = b.reply_to(r.parse().map_err(|e| SendError::Permanent(format!("reply-to: {e}")))?);
        }
        let built = match &mail.attachment {
            None => b.header(ContentType::TEXT_PLAIN).body(mail.body.clone()),
            // The text, then the file (an event's .ics).
            Some(a) => {
                let kind = ContentType::parse(&a.content_type)
                    .map_err(|e| SendError::Permanent(format!("attachment type: {e}")))?;
                b.multipart(
                    MultiPart::mixed()
                        .singlepart(SinglePart::plain(mail.body.clone()))
                        .singlepart(Attachment::new(a.name.clone()).body(a.body.clone(), kind)),
                )
            }
        };
        built.map_err(|e| SendError::Permanent(e.to_string()))
    }

    /// One mail, from the connection to the server's last answer, within
    /// the send timeout; a timeout is a transient failure (the server may
    /// be back, or another connection may get through).
    async fn send(&self, mail: &OutboxMail) -> Result<(), SendError> {
        let message = self.message(mail)?;
        let limit = self.inner.send_timeout;
        let attempt = async {
            let mut conn = match self.take_idle().await {
                Some(idle) => idle.conn,
                None => self.inner.server.connect().await?,
            };
            conn.send(message.envelope(), &message.formatted()).await.map_err(smtp_error)?;
            // Reached only when the server took the mail: after any error
            // above, or when the timeout drops this future, the connection
            // is dropped (closed) with it.
            if !conn.has_broken() {
                self.put_idle(conn);
            }
            Ok(())
        };
        match tokio::time::timeout(limit, attempt).await {
            Err(_) => {
                Err(SendError::Transient(format!("no answer from the SMTP server within {} ms", limit.as_millis())))
            }
            Ok(result) => result,
        }
    }

    /// The most recently used idle connection still alive, if any. One
    /// idle for a while is asked a NOOP first: the server may have closed
    /// it (its own idle timeout, a restart), and a mail sent over it would
    /// wait for a retry.
    async fn take_idle(&self) -> Option<Idle> {
        loop {
            let idle = self.inner.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()?;
            let age = idle.since.elapsed();
            if age > IDLE_MAX {
                continue;
            }
            let mut idle = idle;
            if age <= IDLE_TRUSTED || idle.conn.test_connected().await {
                return Some(idle);
            }
        }
    }

    fn put_idle(&self, conn: AsyncSmtpConnection) {
        let mut idle = self.inner.idle.lock().unwrap_or_else(|e| e.into_inner());
        // Never more than could be in flight; stale ones are dropped.
        idle.retain(|c| c.since.elapsed() <= IDLE_MAX);
        if idle.len() < self.inner.config.connections.max(1) {
            idle.push(Idle { conn, since: Instant::now() });
        }
    }

    /// When to try again after `attempts` failures.
    fn retry_delay(&self, attempts: i64) -> Duration {
        let doublings = attempts.clamp(1, 20) as u32 - 1;
        let c = &self.inner.config;
        c.retry_base.saturating_mul(2u32.saturating_pow(doublings)).min(c.retry_max)
    }

    /// Sends what is due now, `connections` mails at a time, until nothing
    /// is due and nothing is in flight; returns how many were taken.
    pub async fn deliver_due(&self, store: &Store) -> Result<usize, osez_store::StoreError> {
        let mut sending = JoinSet::new();
        let mut taken = 0;
        let mut error = None;
        loop {
            if error.is_none() {
                match self.fill(store, &mut sending).await {
                    Ok(n) => taken += n,
                    Err(e) => error = Some(e),
                }
            }
            let Some(done) = sending.join_next().await else { break };
            if let Err(e) = finished(done) {
                error.get_or_insert(e);
            }
        }
        error.map_or(Ok(taken), Err)
    }

    /// Takes due mails until `connections` are in flight or none is due,
    /// and starts sending each. A mail is leased just before its send
    /// starts, one at a time, so that the lease (minutes) always outlasts
    /// the send (the send timeout, at most half the lease), and another
    /// node never takes a mail this one is sending.
    async fn fill(&self, store: &Store, sending: &mut JoinSet<Sent>) -> Result<usize, osez_store::StoreError> {
        let lease_ms = self.inner.config.lease.as_millis() as i64;
        let mut taken = 0;
        while sending.len() < self.inner.config.connections.max(1) {
            let Some(mail) = store.take_due_mail(1, lease_ms).await?.pop() else { break };
            let (mailer, store) = (self.clone(), store.clone());
            sending.spawn(async move { mailer.deliver(&store, &mail).await });
            taken += 1;
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
                let too_old = now_ms() - mail.created_at_ms > self.inner.config.give_up_after.as_millis() as i64;
                let retry_at = (!too_old).then(|| now_ms() + self.retry_delay(mail.attempts).as_millis() as i64);
                tracing::warn!(target: "osez::mail", id = mail.id, kind = %mail.kind, attempts = mail.attempts, %error, given_up = too_old, "mail not sent");
                store.mail_failed(mail.id, &error, retry_at).await?;
            }
        }
        Ok(())
    }

    /// Delivers for ever, `connections` mails at a time: a free connection
    /// takes the next due mail at once when one is written (`wake`), when a
    /// retry falls due, and every `poll` for mail written by other nodes.
    pub async fn run(self, store: Store, wake: Arc<Notify>) {
        let mut sending = JoinSet::new();
        loop {
            let filled = self.fill(&store, &mut sending).await;
            if let Err(e) = &filled {
                tracing::warn!(target: "osez::mail", error = %e, "cannot read the outbox");
            }
            // All connections busy: only a finished send frees one.
            let idle = sending.len() < self.inner.config.connections.max(1);
            let mut wait = self.inner.config.poll;
            if idle
                && filled.is_ok()
                && let Ok(Some(next)) = store.next_mail_due_ms().await
            {
                wait = wait.min(Duration::from_millis((next - now_ms()).max(0) as u64));
            }
            tokio::select! {
                Some(done) = sending.join_next(), if !sending.is_empty() => {
                    if let Err(e) = finished(done) {
                        tracing::warn!(target: "osez::mail", error = %e, "cannot record a delivery in the outbox");
                    }
                }
                _ = tokio::time::sleep(wait), if idle => {}
                _ = wake.notified(), if idle => {}
            }
        }
    }
}

/// A connection idle for longer than this is closed rather than reused:
/// servers close theirs after a few minutes (Postfix after 300 s).
const IDLE_MAX: Duration = Duration::from_secs(60);
/// A connection idle for less than this is reused without a NOOP first.
const IDLE_TRUSTED: Duration = Duration::from_secs(2);

/// An open SMTP session, ready for its next mail.
struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// A lettre error as a failure of one mail: a 5xx is permanent, the rest
/// (4xx, network, TLS) may pass on a retry.
fn smtp_error(e: lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() { SendError::Permanent(e.to_string()) } else { SendError::Transient(e.to_string()) }
}

/// How to reach the SMTP server, read from `--smtp-url` with the same
/// rules as lettre's `AsyncSmtpTransport::from_url`: `smtp://` plain
/// (port 25), `smtp://…?tls=required` or `?tls=opportunistic` with
/// STARTTLS (port 587), `smtps://` implicit TLS (port 465); the path names
/// the EHLO, user and password (percent-encoded) authenticate.
struct Server {
    /// For the TCP connection (an IPv6 address without its brackets).
    host: String,
    port: u16,
    security: Security,
    hello: ClientId,
    credentials: Option<Credentials>,
}

enum Security {
    Plain,
    StartTls { params: TlsParameters, required: bool },
    Implicit(TlsParameters),
}

impl Server {
    fn parse(url: &str) -> Result<Server, MailError> {
        let bad = |e: &dyn std::fmt::Display| MailError::Url(e.to_string());
        let parsed = url::Url::parse(url).map_err(|e| bad(&e))?;
        let tls = parsed.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let name = parsed.host_str().ok_or_else(|| bad(&"smtp host undefined"))?.to_string();
        let host = match parsed.host() {
            Some(url::Host::Ipv6(a)) => a.to_string(),
            _ => name.clone(),
        };
        let params = || TlsParameters::new(name.clone()).map_err(|e| bad(&e));
        let (security, default_port) = match (parsed.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some("required")) => (Security::StartTls { params: params()?, required: true }, 587),
            ("smtp", Some("opportunistic")) => (Security::StartTls { params: params()?, required: false }, 587),
            ("smtps", _) => (Security::Implicit(params()?), 465),
            (scheme, tls) => return Err(bad(&format!("unknown scheme {scheme:?} or tls parameter {tls:?}"))),
        };
        let hello = match parsed.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_string()),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s).decode_utf8().map(|s| s.into_owned()).map_err(|e| bad(&e))
        };
        let credentials = match parsed.password() {
            Some(password) => Some(Credentials::new(decode(parsed.username())?, decode(password)?)),
            None => None,
        };
        Ok(Server { host, port: parsed.port().unwrap_or(default_port), security, hello, credentials })
    }

    /// A new session, greeted, encrypted as the URL asks, authenticated.
    /// We open the TCP connection ourselves to turn Nagle's algorithm off,
    /// which lettre 0.11.23 leaves on: it writes a mail's body and its
    /// final `.` apart, and the second write would wait for the server's
    /// delayed ACK, 40 ms a mail. Implicit TLS (`smtps://`) keeps lettre's
    /// own connection (and so Nagle's algorithm): lettre can only wrap its
    /// own socket in TLS before the greeting, and doing it here would mean
    /// our own rustls setup (roots, verification) beside lettre's.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let mut conn = match &self.security {
            Security::Implicit(params) => AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                None,
                &self.hello,
                Some(params.clone()),
                None,
            )
            .await
            .map_err(smtp_error)?,
            Security::Plain | Security::StartTls { .. } => {
                let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                    .await
                    .map_err(|e| SendError::Transient(format!("connection to the SMTP server: {e}")))?;
                tcp.set_nodelay(true)
                    .map_err(|e| SendError::Transient(format!("connection to the SMTP server: {e}")))?;
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await.map_err(smtp_error)?
            }
        };
        if let Security::StartTls { params, required } = &self.security
            && (*required || conn.can_starttls())
        {
            conn.starttls(params.clone(), &self.hello).await.map_err(smtp_error)?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await.map_err(smtp_error)?;
        }
        Ok(conn)
    }
}

/// What one send task returns.
type Sent = Result<(), osez_store::StoreError>;

/// The result of a finished send task; a panic is logged here, since
/// nothing else will see it.
fn finished(done: Result<Sent, tokio::task::JoinError>) -> Sent {
    done.unwrap_or_else(|e| {
        tracing::error!(target: "osez::mail", error = %e, "a mail's send task failed");
        Ok(())
    })
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
    fn a_send_never_outlasts_half_its_lease() {
        let config = |send_timeout, lease| MailConfig {
            smtp_url: Some("smtp://127.0.0.1:1".into()),
            send_timeout,
            lease,
            ..Default::default()
        };
        let limit = |c| Mailer::new(c).unwrap().unwrap().inner.send_timeout;
        assert_eq!(limit(config(Duration::from_secs(30), Duration::from_secs(120))), Duration::from_secs(30));
        assert_eq!(limit(config(Duration::from_secs(30), Duration::from_secs(2))), Duration::from_secs(1));
    }

    /// Every form of `--smtp-url` the README documents, read as lettre's
    /// `from_url` reads it.
    #[test]
    fn smtp_urls_are_read_as_lettre_reads_them() {
        let mode = |s: &Server| match &s.security {
            Security::Plain => "plain",
            Security::StartTls { required: true, .. } => "starttls required",
            Security::StartTls { required: false, .. } => "starttls opportunistic",
            Security::Implicit(_) => "implicit tls",
        };
        let s = Server::parse("smtp://relais.exemple.fr:25").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, mode(&s), s.credentials.is_none()),
            ("relais.exemple.fr", 25, "plain", true)
        );
        let s = Server::parse("smtp://relais.exemple.fr").unwrap();
        assert_eq!((s.port, mode(&s)), (25, "plain"));
        let s = Server::parse("smtp://osez:secret@relais.exemple.fr:587?tls=required").unwrap();
        assert_eq!((s.port, mode(&s)), (587, "starttls required"));
        assert!(s.credentials == Some(Credentials::new("osez".into(), "secret".into())));
        let s = Server::parse("smtp://relais.exemple.fr?tls=opportunistic").unwrap();
        assert_eq!((s.port, mode(&s)), (587, "starttls opportunistic"));
        let s = Server::parse("smtps://osez%40exemple.fr:mot%20de%20passe@relais.exemple.fr:465").unwrap();
        assert_eq!((s.port, mode(&s)), (465, "implicit tls"));
        assert!(s.credentials == Some(Credentials::new("osez@exemple.fr".into(), "mot de passe".into())));
        assert_eq!(Server::parse("smtps://relais.exemple.fr").unwrap().port, 465);
        let s = Server::parse("smtp://[::1]:2525/osez.exemple.fr").unwrap();
        assert_eq!((s.host.as_str(), s.port), ("::1", 2525));
        assert_eq!(s.hello, ClientId::Domain("osez.exemple.fr".into()));
        for bad in ["ftp://x", "smtp://relais.exemple.fr?tls=toujours", "smtp:relais", "pas une url"] {
            assert!(Server::parse(bad).is_err(), "{bad}");
        }
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
