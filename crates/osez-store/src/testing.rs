//! Stores for tests: a fresh SQLite file, and a fresh PostgreSQL database
//! when `OSEZ_TEST_DATABASE_URL` names a server. Under `CI=true` a missing or
//! unreachable PostgreSQL fails the test instead of skipping it.
//!
//! Nothing is left behind: a store from [`stores`] removes its directory or
//! drops its database when its last clone goes, and the first store a test
//! process makes sweeps away what earlier processes left (they were killed,
//! or made a database with [`fresh_postgres_url`] and never dropped it).
//! Names carry the process id, so a sweep never touches a run still going.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;
use tokio::sync::OnceCell;

use crate::Store;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Prefix of every test database; the next part is the process id.
const DB_PREFIX: &str = "osez_test_";

pub struct TestStores {
    pub list: Vec<(&'static str, Store)>,
}

impl IntoIterator for TestStores {
    type Item = (&'static str, Store);
    type IntoIter = std::vec::IntoIter<(&'static str, Store)>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

/// Removes a test store's files or database when the last clone of the
/// store is dropped.
pub(crate) struct Cleanup {
    #[cfg_attr(not(test), expect(dead_code, reason = "held only to be removed on drop"))]
    dir: Option<tempfile::TempDir>,
    database: Option<(String, String)>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        // The directory goes with `dir`. A database is dropped from a thread
        // of its own: this may run inside a runtime, which cannot block on
        // another. `WITH (FORCE)` ends the pool's connections still open.
        if let Some((admin_url, name)) = self.database.take() {
            let dropped = std::thread::spawn(move || drop_database(&admin_url, &name)).join();
            if let Ok(Err(e)) = dropped {
                eprintln!("note: test database not dropped: {e}");
            }
        }
    }
}

fn drop_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(admin_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await?;
        conn.close().await
    })
}

/// Where test directories go: one folder per process under the system's
/// temporary directory.
fn scratch_root() -> PathBuf {
    std::env::temp_dir().join("osez-tests")
}

/// False only when we can tell that process `pid` is gone (Linux's /proc).
fn process_alive(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// The process id a leftover's name starts with (`1234-…` or
/// `osez_test_1234_…`).
fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(DB_PREFIX).unwrap_or(name);
    rest.split(['-', '_']).next()?.parse().ok()
}

/// Removes the test directories and databases of processes that are gone.
/// Runs once per process.
async fn sweep_leftovers(admin_url: Option<&str>) {
    static SWEPT: OnceCell<()> = OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            if let Ok(entries) = std::fs::read_dir(scratch_root()) {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if owner_pid(&name).is_some_and(|pid| !process_alive(pid)) {
                        let _ = std::fs::remove_dir_all(entry.path());
                    }
                }
            }
            let Some(admin_url) = admin_url else { return };
            let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await else { return };
            let names: Vec<String> =
                sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'osez\\_test\\_%'")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap_or_default();
            for name in names {
                let stale = owner_pid(&name).is_some_and(|pid| !process_alive(pid));
                // Names are ours (prefix, digits, underscores): safe to splice.
                if stale && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
                }
            }
            let _ = conn.close().await;
        })
        .await;
}

fn admin_url() -> Option<String> {
    let Ok(admin_url) = std::env::var("OSEZ_TEST_DATABASE_URL") else {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but OSEZ_TEST_DATABASE_URL is not set");
        eprintln!("note: OSEZ_TEST_DATABASE_URL unset, PostgreSQL tests skipped");
        return None;
    };
    Some(admin_url)
}

/// Creates a fresh database on the server named by `OSEZ_TEST_DATABASE_URL`;
/// returns the server's URL and the database's name.
async fn create_postgres_database(admin_url: &str) -> (String, String) {
    let name =
        format!("{DB_PREFIX}{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), crate::now_ms());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at OSEZ_TEST_DATABASE_URL: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
    let _ = conn.close().await;
    let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
    (format!("{base}/{name}"), name)
}

/// Creates a fresh database on the server named by `OSEZ_TEST_DATABASE_URL`
/// and returns its URL, or `None` when the variable is unset outside CI. The
/// caller's process owns it: it is dropped by the first test process that
/// starts after this one ended.
pub async fn fresh_postgres_url() -> Option<String> {
    let admin_url = admin_url()?;
    sweep_leftovers(Some(&admin_url)).await;
    Some(create_postgres_database(&admin_url).await.0)
}

/// A fresh, migrated SQLite store alone, removed when dropped: for tests of
/// what does not depend on the backend (pages drawn from the search engine).
pub async fn sqlite_store() -> Store {
    let root = scratch_root();
    std::fs::create_dir_all(&root).unwrap();
    let dir = tempfile::Builder::new().prefix(&format!("{}-", std::process::id())).tempdir_in(&root).unwrap();
    let mut sqlite = Store::open_sqlite(dir.path()).await.unwrap();
    sqlite.migrate().await.unwrap();
    sqlite.cleanup = Some(Arc::new(Cleanup { dir: Some(dir), database: None }));
    sqlite
}

/// A fresh, migrated store on each backend: SQLite, and PostgreSQL when
/// configured. Each removes its files or database when dropped.
pub async fn stores() -> TestStores {
    let admin_url = admin_url();
    sweep_leftovers(admin_url.as_deref()).await;
    let mut list = vec![("sqlite", sqlite_store().await)];
    if let Some(admin_url) = admin_url {
        let (url, name) = create_postgres_database(&admin_url).await;
        let mut pg = Store::connect(&url).await.unwrap();
        pg.migrate().await.unwrap();
        pg.cleanup = Some(Arc::new(Cleanup { dir: None, database: Some((admin_url, name)) }));
        list.push(("postgres", pg));
    }
    TestStores { list }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_named_after_their_process() {
        assert_eq!(owner_pid("osez_test_4242_3_1700000000000"), Some(4242));
        assert_eq!(owner_pid("4242-abc123"), Some(4242));
        assert_eq!(owner_pid("osez_test_x"), None);
        assert!(process_alive(std::process::id()));
    }

    #[tokio::test]
    async fn a_dropped_store_leaves_nothing_behind() {
        for (backend, store) in stores().await {
            store.ping().await.unwrap();
            let cleanup = store.cleanup.clone().unwrap();
            let dir = cleanup.dir.as_ref().map(|d| d.path().to_path_buf());
            let database = cleanup.database.as_ref().map(|(_, name)| name.clone());
            drop(cleanup);
            drop(store);
            if let Some(dir) = dir {
                assert!(!dir.exists(), "{backend}: {} left behind", dir.display());
            }
            if let Some(name) = database {
                let mut conn = sqlx::PgConnection::connect(&admin_url().unwrap()).await.unwrap();
                let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
                    .bind(&name)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                assert_eq!(left, 0, "{backend}: database {name} left behind");
            }
        }
    }
}
