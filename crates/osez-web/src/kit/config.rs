//! Settings of the web layer, and their defaults (shared with the command
//! line).

use axum::http::HeaderName;

/// The defaults of the settings, shared with the command line (`osez serve
/// --help` shows these), so that a `WebConfig::default()` is the server a
/// plain `osez serve` runs. Tests that want no limit say so.
pub mod defaults {
    pub const SEARCH_PER_MINUTE: u32 = 600;
    pub const FORMS_PER_MINUTE: u32 = 10;
    pub const CONTACTS_PER_HOUR: u32 = 5;
    /// Votes per minute from one address: a class or an office behind
    /// one address still votes.
    pub const VOTES_PER_MINUTE: u32 = 600;
    /// Votes per minute from one participant: faster than anyone reads.
    pub const PARTICIPANT_VOTES_PER_MINUTE: u32 = 60;
    /// New anonymous participants per hour from one address.
    pub const PARTICIPANTS_PER_HOUR: u32 = 100;
    pub const ALTCHA_COST: u32 = 5000;
    pub const MIN_FILL_SECS: u64 = 3;
    pub const RETENTION_DAYS: u32 = 365;
    pub const ASSISTANT_RETENTION_DAYS: u32 = 30;
    /// The domain of the default sender, `ne-pas-repondre@osez.invalid`.
    pub const MAIL_DOMAIN: &str = "osez.invalid";
    /// Largest replay video, in MiB.
    pub const MAX_VIDEO_MB: u64 = 1024;
}

/// A self-hosted language model behind the OpenAI-compatible chat
/// completions protocol.
#[derive(Clone)]
pub struct LlmConfig {
    /// "http://127.0.0.1:8000/v1": `/chat/completions` is added.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    /// The whole exchange, connection to last byte; past it, the template
    /// reply is shown.
    pub timeout: std::time::Duration,
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs.
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Settings of the web layer, passed in (never global).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Address shown on the contact page.
    pub team_email: Option<String>,
    /// Send `Strict-Transport-Security`: the site is served over TLS.
    pub hsts: bool,
    /// Searches per minute and per IP address (pages and API); 0: no limit.
    pub search_per_minute: u32,
    /// Form submissions per minute and per IP address; 0: no limit.
    pub forms_per_minute: u32,
    /// Consultation votes per minute and per IP address; 0: no limit.
    pub votes_per_minute: u32,
    /// Consultation votes per minute and per participant; 0: no limit.
    pub participant_votes_per_minute: u32,
    /// New anonymous participants of consultations per hour and per IP
    /// address; 0: no limit.
    pub participants_per_hour: u32,
    /// Header in which a trusted reverse proxy gives the client's address
    /// (`X-Forwarded-For`); without it, the peer address counts.
    pub trusted_proxy_header: Option<HeaderName>,
    /// Session cookies are `__Host-` and `Secure`; turn off only for a
    /// plain-http run on a machine of one's own.
    pub secure_cookies: bool,
    /// Public address of the site (`https://osez.example.fr`), for links
    /// sent by e-mail. Never taken from the request's `Host`, which a
    /// client can forge.
    pub public_url: Option<String>,
    /// Domain of the Message-IDs of outgoing mail (that of the sender).
    pub mail_domain: String,
    /// An SMTP server is configured; without one, mail waits in the outbox
    /// and the back office says so.
    pub smtp_configured: bool,
    /// Public forms (contact, claims, data requests, abuse reports,
    /// applications without an account) accepted per hour, per form, per IP address and per e-mail address;
    /// 0: no limit.
    pub contacts_per_hour: u32,
    /// PBKDF2 iterations of an ALTCHA challenge.
    pub altcha_cost: u32,
    /// Less time than this between showing a contact form and sending it
    /// is a robot's.
    pub min_fill_secs: u64,
    /// Contact messages lose their personal data after this many days.
    pub retention_days: u32,
    /// The assistant's conversations are deleted this many days after
    /// their last message.
    pub assistant_retention_days: u32,
    /// The optional language model that rewords the assistant's replies.
    pub llm: Option<LlmConfig>,
    /// Jobs of each CPU-heavy pool (password hashes; proof-of-work
    /// challenges) that run at once; `None`: one per core.
    pub cpu_workers: Option<usize>,
    /// Where the resources' attachments are stored (shared by the nodes
    /// when there are several); `None`: uploads are refused.
    pub files_dir: Option<std::path::PathBuf>,
    /// Largest replay video, in MiB.
    pub max_video_mb: u64,
}

impl Default for WebConfig {
    /// What `osez serve` runs with no flag.
    fn default() -> Self {
        WebConfig {
            team_email: None,
            hsts: false,
            search_per_minute: defaults::SEARCH_PER_MINUTE,
            forms_per_minute: defaults::FORMS_PER_MINUTE,
            votes_per_minute: defaults::VOTES_PER_MINUTE,
            participant_votes_per_minute: defaults::PARTICIPANT_VOTES_PER_MINUTE,
            participants_per_hour: defaults::PARTICIPANTS_PER_HOUR,
            trusted_proxy_header: None,
            secure_cookies: true,
            public_url: None,
            mail_domain: defaults::MAIL_DOMAIN.into(),
            smtp_configured: false,
            contacts_per_hour: defaults::CONTACTS_PER_HOUR,
            altcha_cost: defaults::ALTCHA_COST,
            min_fill_secs: defaults::MIN_FILL_SECS,
            retention_days: defaults::RETENTION_DAYS,
            assistant_retention_days: defaults::ASSISTANT_RETENTION_DAYS,
            llm: None,
            cpu_workers: None,
            files_dir: None,
            max_video_mb: defaults::MAX_VIDEO_MB,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A default configuration once had no retention, no proof of work and
    /// no fill time: whatever used it ran a weaker server than `osez serve`.
    #[test]
    fn the_default_configuration_is_what_osez_serve_runs() {
        let c = WebConfig::default();
        assert_eq!((c.retention_days, c.altcha_cost, c.min_fill_secs), (365, 5000, 3));
        assert_eq!((c.search_per_minute, c.forms_per_minute, c.contacts_per_hour), (600, 10, 5));
        assert_eq!((c.votes_per_minute, c.participant_votes_per_minute, c.participants_per_hour), (600, 60, 100));
        assert!(c.secure_cookies && !c.hsts && c.trusted_proxy_header.is_none());
    }
}
