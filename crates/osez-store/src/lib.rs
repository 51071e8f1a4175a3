//! Storage of Osez. SQLite (embedded, WAL) is the default; PostgreSQL serves
//! several nodes. Both are read and written through sqlx's `Any` driver with
//! one set of queries (`$1` placeholders work on both), and each backend has
//! its own migrations folder.
//!
//! Rejected: two pools behind an enum with every query written twice; the
//! schema is small and portable enough for one dialect.

mod accounts;
mod advisers;
mod applications;
mod assistant;
mod audit;
mod changes;
mod claims;
mod consultations;
mod contacts;
mod error;
mod jobs;
mod limits;
mod outbox;
mod personal_data;
mod registrations;
mod reports;
mod resources;
mod searches;

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use accounts::{CreateUserError, Session, User, UserSummary};
pub use advisers::UpsertReport;
pub use applications::{Application, ApplicationKind, ApplicationStatus, Call, Review};
pub use assistant::{Appended, Conversation, ConversationMessage, Speaker};
pub use audit::{AuditCursor, AuditEntry, AuditQuery};
pub use changes::{Changes, Heard};
pub use claims::{CLAIMS_PER_PROFILE, Claim, ClaimOutcome, Invitation, InviteError, NewClaim};
pub use consultations::{
    BulkProposal, BulkVote, Confirmation, ConfirmationRequest, Consultation, ConsultationError, ConsultationStatus,
    Moderation, NewConsultation, NewVote, Origin, ParticipantEmail, ProposalRow, VoteKey, VoteMatrix, VoteOutcome,
    VoteRow, demo_bulk,
};
pub use contacts::{ContactMessage, InboxQuery, OutcomeCount, Recipient, Recorded, Reply, SpentChallenge};
pub use error::{StoreError, is_disk_full, is_unavailable};
pub use limits::LimitState;
pub use outbox::{MailAttachment, NewMail, OutboxMail, OutboxStatus};
pub use personal_data::{
    AccountCopy, ClaimCopy, Erased, MailCopy, ParticipationCopy, PersonalData, ProposalCopy, RegistrationCopy,
};
pub use registrations::{Attendance, Letter, NewRegistration, RegisterError, Registration, Seat};
pub use reports::{AbuseReport, Decision, HIDE_AFTER, ModerationCase, NewReport, REPORTS_PER_DAY, ReportOutcome};
pub use resources::{EditError, OPEN_PROPOSALS_MAX, ResourceRow, ResourceVersion, STARTER_AUTHOR, workflow_allows};
pub use searches::{NewZeroResult, ZeroResultQuery, ZeroResultReport, ZeroResultSearch};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The PostgreSQL URL, for the connection that listens to changes.
    url: Option<std::sync::Arc<str>>,
    /// A test store's files or database, removed with its last clone.
    #[cfg(any(test, feature = "test-support"))]
    cleanup: Option<std::sync::Arc<testing::Cleanup>>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Adds one to the counter `key` of the meta table, inside the caller's
/// transaction. One atomic increment, so that two nodes changing the data
/// at once never write the same version. On PostgreSQL the other nodes
/// are notified when the transaction commits.
pub(crate) async fn bump_counter(tx: &mut sqlx::Transaction<'_, sqlx::Any>, key: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ($1, '1') ON CONFLICT (key) \
         DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)",
    )
    .bind(key)
    .execute(&mut **tx)
    .await?;
    changes::notify(tx, key).await
}

impl Store {
    /// Opens (creating if needed) the embedded database `osez.db` in `data_dir`.
    pub async fn open_sqlite(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Io(data_dir.display().to_string(), e))?;
        let path = data_dir.join("osez.db");
        Self::connect(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    /// Connects to `sqlite://…` or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            // A request waits this long for a connection, then gets a 503:
            // while the database is down (sqlx keeps trying to connect
            // meanwhile), or when the pool is overwhelmed.
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers go on while a write commits. FULL
                        // syncs the log at every commit: a message the site
                        // has acknowledged survives a power cut, not only a
                        // crash (NORMAL could lose the last commits). Writes
                        // are few; reads do not pay for it. The journal mode
                        // is switched only when it is not WAL yet (the
                        // database's first connection): switching takes an
                        // exclusive lock that the busy timeout cannot wait
                        // for, so a connection opened while another one
                        // writes failed with "database is locked".
                        conn.execute(
                            "PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *conn).await?;
                        if !mode.eq_ignore_ascii_case("wal") {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Store {
            pool,
            backend,
            url: (backend == Backend::Postgres).then(|| std::sync::Arc::from(url)),
            #[cfg(any(test, feature = "test-support"))]
            cleanup: None,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations of this backend. A database that a newer
    /// Osez migrated, or whose migration stopped half way, or whose applied
    /// migrations differ from this binary's, is refused before anything is
    /// applied ([`StoreError::Schema`]); sqlx checks the applied ones first
    /// and runs each migration in a transaction.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await.map_err(schema_error)
    }

    /// The newest migration this binary knows.
    pub fn schema_version(&self) -> i64 {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Holds the start-up of this node apart from other nodes' (PostgreSQL:
    /// a session advisory lock on one connection, released by
    /// [`StartLock::release`] or when the connection closes): nodes that
    /// start together on an empty database load the demo data once.
    pub async fn start_lock(&self) -> Result<StartLock, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(StartLock { conn: None });
        }
        let mut conn = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)").bind(START_LOCK_KEY).execute(&mut *conn).await?;
        Ok(StartLock { conn: Some(conn) })
    }

    /// Cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1").bind(key).fetch_optional(&self.pool).await?)
    }

    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The value of `key`, storing `value` first if there is none. Nodes
    /// that race on a first start all get the one value that won.
    pub async fn meta_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1").bind(key).fetch_one(&self.pool).await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The advisory lock of [`Store::start_lock`] ("osez" in ASCII).
const START_LOCK_KEY: i64 = 0x6f73_657a;

/// See [`Store::start_lock`].
pub struct StartLock {
    conn: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
}

impl StartLock {
    pub async fn release(mut self) -> Result<(), StoreError> {
        if let Some(mut conn) = self.conn.take() {
            sqlx::query("SELECT pg_advisory_unlock($1)").bind(START_LOCK_KEY).execute(&mut *conn).await?;
        }
        Ok(())
    }
}

impl Drop for StartLock {
    fn drop(&mut self) {
        // Not released (an error on the way): the connection must not go
        // back to the pool holding the lock.
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
    }
}

/// Says in French what is wrong with a database's migrations, and what to
/// do; nothing was applied.
fn schema_error(e: sqlx::migrate::MigrateError) -> StoreError {
    use sqlx::migrate::MigrateError as M;
    let message = match &e {
        M::VersionMissing(v) => format!(
            "la base de données a été mise à jour par une version plus récente d'Osez (migration {v}, inconnue de \
             ce programme) : installez cette version ou une plus récente ; rien n'a été modifié"
        ),
        M::Dirty(v) => format!(
            "la migration {v} de la base de données s'est arrêtée en cours de route : restaurez la dernière \
             sauvegarde (voir docs/DEPLOYMENT.md) ; rien n'a été modifié"
        ),
        M::VersionMismatch(v) => format!(
            "la migration {v} appliquée à cette base de données diffère de celle de ce programme : la base \
             vient d'une autre version d'Osez ; rien n'a été modifié"
        ),
        M::VersionTooOld(v, latest) | M::VersionTooNew(v, latest) => {
            format!("la base de données est à la migration {v} et ce programme à la {latest} : rien n'a été modifié")
        }
        _ => return StoreError::Migrate(e),
    };
    StoreError::Schema(message)
}

#[cfg(any(test, feature = "test-support"))]
pub mod testing;
