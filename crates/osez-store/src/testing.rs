//! Stores for tests: a fresh SQLite file, and a fresh PostgreSQL database
//! when `OSEZ_TEST_DATABASE_URL` names a server. Under `CI=true` a missing or
//! unreachable PostgreSQL fails the test instead of skipping it.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

use crate::Store;

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub struct TestStores {
    pub list: Vec<(&'static str, Store)>,
    _dir: tempfile::TempDir,
}

impl IntoIterator for TestStores {
    type Item = (&'static str, Store);
    type IntoIter = std::vec::IntoIter<(&'static str, Store)>;
    fn into_iter(self) -> Self::IntoIter {
        // The temporary directory lives as long as the process needs it:
        // SQLite keeps the file open, and tests are short.
        std::mem::forget(self._dir);
        self.list.into_iter()
    }
}

/// Creates a fresh, migrated database on the server named by
/// `OSEZ_TEST_DATABASE_URL` and returns its URL, or `None` when the variable
/// is unset outside CI.
pub async fn fresh_postgres_url() -> Option<String> {
    let Ok(admin_url) = std::env::var("OSEZ_TEST_DATABASE_URL") else {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but OSEZ_TEST_DATABASE_URL is not set");
        eprintln!("note: OSEZ_TEST_DATABASE_URL unset, PostgreSQL tests skipped");
        return None;
    };
    let name =
        format!("osez_test_{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), crate::now_ms());
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at OSEZ_TEST_DATABASE_URL: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
    let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
    Some(format!("{base}/{name}"))
}

pub async fn stores() -> TestStores {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open_sqlite(dir.path()).await.unwrap();
    sqlite.migrate().await.unwrap();
    let mut list = vec![("sqlite", sqlite)];
    if let Some(url) = fresh_postgres_url().await {
        let pg = Store::connect(&url).await.unwrap();
        pg.migrate().await.unwrap();
        list.push(("postgres", pg));
    }
    TestStores { list, _dir: dir }
}
