//! `osez`: the one binary. `serve` runs the platform; `import`, `reindex`
//! and `migrate` are the operator's tools.

mod admin;
mod assistant;
mod consultation;
mod directory;
mod import;
mod invite;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "osez", version, about = "Osez : annuaire des activateurs France Num et des ambassadeurs IA")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives; shared by every subcommand.
#[derive(Args, Clone, Debug)]
pub struct DataArgs {
    /// Directory of the embedded database and the search index.
    #[arg(long, env = "OSEZ_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// PostgreSQL URL (postgres://…); without it, the embedded SQLite database in the data directory.
    /// Its value may hold a password: `--help` does not print it.
    #[arg(long, env = "OSEZ_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

/// Contact messages and the mail that carries them.
#[derive(Args, Clone, Debug)]
pub struct ContactArgs {
    /// SMTP server of outgoing mail: smtp://host:25, smtp://user:password@host:587?tls=required or
    /// smtps://user:password@host:465. Without it, mail waits in the outbox (the back office says so).
    /// Needs --public-url. Its value may hold a password: `--help` does not print it.
    #[arg(long, env = "OSEZ_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of every mail, "Name <address>".
    #[arg(long, env = "OSEZ_MAIL_FROM", default_value = "Osez <ne-pas-repondre@osez.invalid>")]
    pub mail_from: String,
    /// Seconds before retrying a mail the SMTP server did not take; doubles at each failure, up to 15 minutes.
    #[arg(long, env = "OSEZ_MAIL_RETRY_SECS", default_value_t = 30)]
    pub mail_retry_secs: u64,
    /// Seconds a mail being sent stays with its worker before another node may take it.
    #[arg(long, env = "OSEZ_MAIL_LEASE_SECS", default_value_t = 120)]
    pub mail_lease_secs: u64,
    /// Seconds one mail may take, from the connection to the server's last answer (at most half the
    /// lease); a server slower than that is tried again later.
    #[arg(long, env = "OSEZ_MAIL_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub mail_timeout_secs: u64,
    /// Mails sent at once, each on its own connection to the SMTP server.
    #[arg(long, env = "OSEZ_MAIL_CONNECTIONS", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub mail_connections: u16,
    /// Public forms (contact, claims, data requests, abuse reports,
    /// applications without an account) accepted per hour, per form, per IP
    /// address and per e-mail address (0: no limit).
    #[arg(long, env = "OSEZ_CONTACTS_PER_HOUR", default_value_t = osez_web::defaults::CONTACTS_PER_HOUR)]
    pub contacts_per_hour: u32,
    /// Days after which contact messages lose their personal data (the counts stay) and searches without results are deleted.
    #[arg(long, env = "OSEZ_RETENTION_DAYS", default_value_t = osez_web::defaults::RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..))]
    pub retention_days: u32,
    /// Days after which the assistant's conversations are deleted (counted from their last message).
    #[arg(long, env = "OSEZ_ASSISTANT_RETENTION_DAYS", default_value_t = osez_web::defaults::ASSISTANT_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..))]
    pub assistant_retention_days: u32,
    /// PBKDF2 iterations of the anti-robot challenge solved by the browser.
    #[arg(long, env = "OSEZ_ALTCHA_COST", default_value_t = osez_web::defaults::ALTCHA_COST)]
    pub altcha_cost: u32,
    /// Seconds a person takes at least to fill a contact form; quicker is a robot.
    #[arg(long, env = "OSEZ_MIN_FILL_SECS", default_value_t = osez_web::defaults::MIN_FILL_SECS)]
    pub min_fill_secs: u64,
}

/// The optional self-hosted language model that rewords the assistant's
/// replies (OpenAI-compatible chat completions). Without it, the assistant
/// answers with its templates; nothing is sent anywhere.
#[derive(Args, Clone, Debug)]
pub struct LlmArgs {
    /// Base URL of the model's API, e.g. http://127.0.0.1:8000/v1 (`/chat/completions` is added).
    #[arg(long, env = "OSEZ_LLM_BASE_URL", requires = "llm_model")]
    pub llm_base_url: Option<String>,
    /// The model's name, as its server knows it.
    #[arg(long, env = "OSEZ_LLM_MODEL", requires = "llm_base_url")]
    pub llm_model: Option<String>,
    /// Bearer key of the model's API, if it wants one. Its value is not printed by `--help`.
    #[arg(long, env = "OSEZ_LLM_API_KEY", hide_env_values = true)]
    pub llm_api_key: Option<String>,
    /// Milliseconds the whole exchange with the model may take; past it, the template reply is shown.
    #[arg(long, env = "OSEZ_LLM_TIMEOUT_MS", default_value_t = 4000, value_parser = clap::value_parser!(u64).range(100..=60_000))]
    pub llm_timeout_ms: u64,
}

impl LlmArgs {
    pub fn config(&self) -> Option<osez_web::LlmConfig> {
        Some(osez_web::LlmConfig {
            base_url: self.llm_base_url.clone()?,
            model: self.llm_model.clone()?,
            api_key: self.llm_api_key.clone().filter(|k| !k.is_empty()),
            timeout: std::time::Duration::from_millis(self.llm_timeout_ms),
        })
    }
}

// Parsed once at start: the size of `Serve` costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Runs the web server.
    Serve {
        #[command(flatten)]
        data: DataArgs,
        /// Address to listen on.
        #[arg(long, env = "OSEZ_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Do not load the demo directory into an empty database.
        #[arg(long, env = "OSEZ_NO_DEMO")]
        no_demo: bool,
        /// E-mail address of the France Num team, shown on the contact page.
        #[arg(long, env = "OSEZ_TEAM_EMAIL")]
        team_email: Option<String>,
        /// The site is served over TLS (directly or by a proxy): send HSTS.
        #[arg(long, env = "OSEZ_HSTS")]
        hsts: bool,
        /// Searches per minute and per IP address, pages and API (0: no limit).
        #[arg(long, env = "OSEZ_SEARCH_PER_MINUTE", default_value_t = osez_web::defaults::SEARCH_PER_MINUTE)]
        search_per_minute: u32,
        /// Form submissions per minute and per IP address (0: no limit).
        #[arg(long, env = "OSEZ_FORMS_PER_MINUTE", default_value_t = osez_web::defaults::FORMS_PER_MINUTE)]
        forms_per_minute: u32,
        /// Consultation votes per minute and per IP address (0: no limit).
        #[arg(long, env = "OSEZ_VOTES_PER_MINUTE", default_value_t = osez_web::defaults::VOTES_PER_MINUTE)]
        votes_per_minute: u32,
        /// Consultation votes per minute and per participant (0: no limit).
        #[arg(long, env = "OSEZ_PARTICIPANT_VOTES_PER_MINUTE", default_value_t = osez_web::defaults::PARTICIPANT_VOTES_PER_MINUTE)]
        participant_votes_per_minute: u32,
        /// New anonymous consultation participants per hour and per IP address (0: no limit).
        #[arg(long, env = "OSEZ_PARTICIPANTS_PER_HOUR", default_value_t = osez_web::defaults::PARTICIPANTS_PER_HOUR)]
        participants_per_hour: u32,
        /// Header in which a trusted reverse proxy gives the client's address, e.g. X-Forwarded-For.
        /// Also turns HSTS on: the proxy is taken to terminate TLS.
        #[arg(long, env = "OSEZ_TRUSTED_PROXY_HEADER")]
        trusted_proxy_header: Option<String>,
        /// Public address of the site, for links sent by e-mail (https://osez.example.fr).
        #[arg(long, env = "OSEZ_PUBLIC_URL")]
        public_url: Option<String>,
        /// Plain-http run on one's own machine: session cookie without `Secure` and `__Host-`.
        #[arg(long, env = "OSEZ_INSECURE_COOKIES")]
        insecure_cookies: bool,
        /// Seconds between checks for directory changes made by another process (0: never).
        #[arg(long, env = "OSEZ_RELOAD_SECS", default_value_t = 10)]
        reload_secs: u64,
        /// Days the audit log keeps an entry (sign-ins, changes, decisions) before deleting it.
        #[arg(long, env = "OSEZ_AUDIT_RETENTION_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..))]
        audit_retention_days: u32,
        /// Directory of the resources' attachments (slides, replays, images); share it between the
        /// nodes when there are several. Default: `fichiers` in the data directory.
        #[arg(long, env = "OSEZ_FILES_DIR")]
        files_dir: Option<PathBuf>,
        /// Largest replay video an editor may upload, in MiB.
        #[arg(long, env = "OSEZ_MAX_VIDEO_MB", default_value_t = osez_web::defaults::MAX_VIDEO_MB, value_parser = clap::value_parser!(u64).range(1..=1900))]
        max_video_mb: u64,
        #[command(flatten)]
        contact: ContactArgs,
        #[command(flatten)]
        llm: LlmArgs,
        /// The assistant's local embedding model (scripts/fetch-e5-model.sh): intents read by a
        /// classifier where the rules read none, and resources ranked by meaning too. Without it,
        /// rules only.
        #[arg(long, env = "OSEZ_EMBEDDINGS_MODEL")]
        embeddings_model: Option<PathBuf>,
    },
    /// Imports data.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Manages back-office accounts.
    Admin {
        #[command(subcommand)]
        what: AdminWhat,
    },
    /// Citizen consultations: import a Pol.is conversation, export open data, check counts.
    Consultation {
        #[command(subcommand)]
        what: ConsultationWhat,
    },
    /// The assistant: `eval` answers the evaluation sets and prints the figures.
    Assistant {
        #[command(subcommand)]
        what: AssistantWhat,
    },
    /// Rebuilds the search index from the database.
    Reindex {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Applies pending database migrations.
    Migrate {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum AssistantWhat {
    /// Answers every request of the evaluation sets (the shipped ones, or FILES) from the demo
    /// directory and the starter resources, a scripted user answering the questions, and prints
    /// relevance@3, intent accuracy, slot F1, question rates, refusals, unsupported claims and
    /// reply times.
    Eval {
        /// Evaluation sets in the format of crates/osez-assistant/eval/cases.toml.
        files: Vec<PathBuf>,
        /// Also print every miss, case by case.
        #[arg(long)]
        verbose: bool,
        /// Fail when a figure misses its goal (reply times excepted: they depend on the machine).
        #[arg(long)]
        check: bool,
        /// The local embedding model (scripts/fetch-e5-model.sh); without it, rules only.
        #[arg(long, env = "OSEZ_EMBEDDINGS_MODEL")]
        embeddings_model: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ConsultationWhat {
    /// Imports a Pol.is export (comments.csv and votes.csv in DIR) into a new, closed consultation,
    /// its comment and participant ids kept as they were.
    ImportPolis {
        #[command(flatten)]
        data: DataArgs,
        /// Directory holding comments.csv and votes.csv (and summary.csv, for the topic).
        dir: PathBuf,
        /// Address of the new consultation (default: the directory's name).
        #[arg(long)]
        slug: Option<String>,
        /// Title (default: the summary's topic, else the address).
        #[arg(long)]
        title: Option<String>,
    },
    /// Writes a consultation's open data into DIR: comments.csv, votes.csv,
    /// participants-votes.csv, summary.csv (Pol.is's format) and results.json.
    Export {
        #[command(flatten)]
        data: DataArgs,
        slug: String,
        dir: PathBuf,
        /// Public address of the site, for the summary's url.
        #[arg(long, env = "OSEZ_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Recounts a consultation's votes and compares with the counts kept.
    Check {
        #[command(flatten)]
        data: DataArgs,
        slug: String,
    },
}

#[derive(Subcommand)]
enum AdminWhat {
    /// Creates an account. The password is typed twice (or read as two lines
    /// from standard input), or generated and printed once.
    Create {
        #[command(flatten)]
        data: DataArgs,
        /// E-mail address of the account.
        #[arg(long)]
        email: String,
        /// admin, editor, moderator or adviser.
        #[arg(long, default_value = "admin")]
        role: String,
        /// Generate a password and print it once.
        #[arg(long)]
        generate_password: bool,
        /// For an adviser account: the id of the published profile it runs.
        #[arg(long)]
        adviser: Option<String>,
    },
    /// Invites advisers to the profiles they run, from a CSV file of `identifiant;email` lines
    /// (header optional): an adviser account linked to each profile and a mail with a link valid
    /// 7 days. All or nothing.
    Invite {
        #[command(flatten)]
        data: DataArgs,
        /// The CSV file.
        #[arg(long)]
        csv: PathBuf,
        /// Public address of the site, for the links in the mails.
        #[arg(long, env = "OSEZ_PUBLIC_URL")]
        public_url: Option<String>,
        /// Sender of the mails, "Name <address>" (its domain names the messages).
        #[arg(long, env = "OSEZ_MAIL_FROM", default_value = "Osez <ne-pas-repondre@osez.invalid>")]
        mail_from: String,
        /// Check the file and report, without saving anything.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// The official "Activateurs France Num" open data (CSV or JSON export of data.gouv.fr).
    Advisers {
        #[command(flatten)]
        data: DataArgs,
        /// The file to import.
        file: PathBuf,
        /// Import the valid rows even when some are rejected.
        #[arg(long)]
        skip_invalid: bool,
        /// Keep the demo profiles (by default an import replaces them).
        #[arg(long)]
        keep_demo: bool,
        /// Check the file and report, without saving anything.
        #[arg(long)]
        dry_run: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OSEZ_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tantivy=warn")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("osez: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve {
                data,
                addr,
                no_demo,
                team_email,
                hsts,
                search_per_minute,
                forms_per_minute,
                votes_per_minute,
                participant_votes_per_minute,
                participants_per_hour,
                trusted_proxy_header,
                insecure_cookies,
                public_url,
                reload_secs,
                audit_retention_days,
                files_dir,
                max_video_mb,
                contact,
                llm,
                embeddings_model,
            } => {
                let trusted_proxy_header = match trusted_proxy_header.as_deref().map(str::parse) {
                    None => None,
                    Some(Ok(name)) => Some(name),
                    Some(Err(_)) => {
                        return Err(anyhow::anyhow!("--trusted-proxy-header: not a valid header name"));
                    }
                };
                let web = osez_web::WebConfig {
                    team_email,
                    hsts: hsts || trusted_proxy_header.is_some(),
                    search_per_minute,
                    forms_per_minute,
                    votes_per_minute,
                    participant_votes_per_minute,
                    participants_per_hour,
                    trusted_proxy_header,
                    secure_cookies: !insecure_cookies,
                    public_url,
                    mail_domain: osez_mail::domain_of(&contact.mail_from)
                        .unwrap_or(osez_web::defaults::MAIL_DOMAIN)
                        .to_string(),
                    smtp_configured: contact.smtp_url.is_some(),
                    contacts_per_hour: contact.contacts_per_hour,
                    altcha_cost: contact.altcha_cost,
                    min_fill_secs: contact.min_fill_secs,
                    retention_days: contact.retention_days,
                    assistant_retention_days: contact.assistant_retention_days,
                    llm: llm.config(),
                    cpu_workers: None,
                    files_dir: Some(files_dir.unwrap_or_else(|| data.data_dir.join("fichiers"))),
                    max_video_mb,
                };
                serve::run(serve::ServeConfig {
                    data,
                    addr,
                    load_demo: !no_demo,
                    web,
                    contact,
                    reload_every: (reload_secs > 0).then(|| std::time::Duration::from_secs(reload_secs)),
                    audit_retention_days,
                    embeddings_model,
                })
                .await
            }
            Command::Import { what: ImportWhat::Advisers { data, file, skip_invalid, keep_demo, dry_run } } => {
                import::advisers(&data, &file, import::Options { skip_invalid, keep_demo, dry_run }).await
            }
            Command::Admin { what: AdminWhat::Create { data, email, role, generate_password, adviser } } => {
                admin::create(&data, &email, &role, generate_password, adviser.as_deref()).await
            }
            Command::Admin { what: AdminWhat::Invite { data, csv, public_url, mail_from, dry_run } } => {
                invite::csv(&data, &csv, invite::Options { public_url, mail_from, dry_run }).await
            }
            Command::Consultation { what: ConsultationWhat::ImportPolis { data, dir, slug, title } } => {
                consultation::import_polis(&data, &dir, slug.as_deref(), title.as_deref()).await
            }
            Command::Consultation { what: ConsultationWhat::Export { data, slug, dir, public_url } } => {
                consultation::export(&data, &slug, &dir, public_url.as_deref()).await
            }
            Command::Consultation { what: ConsultationWhat::Check { data, slug } } => {
                consultation::check(&data, &slug).await
            }
            Command::Assistant { what: AssistantWhat::Eval { files, verbose, check, embeddings_model } } => {
                assistant::eval(&files, verbose, check, embeddings_model.as_deref())
            }
            Command::Reindex { data } => directory::reindex(&data).await,
            Command::Migrate { data } => {
                let store = directory::open_store(&data).await?;
                store.migrate().await?;
                println!("migrations applied");
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("osez: {e:#}");
            if e.chain().any(osez_store::is_disk_full) {
                eprintln!(
                    "osez: le disque de la base de données est plein : libérez de la place, puis relancez ; \
                     ce qui était enregistré n'a pas été modifié (chaque écriture est une transaction annulée en entier)"
                );
            }
            ExitCode::FAILURE
        }
    }
}
