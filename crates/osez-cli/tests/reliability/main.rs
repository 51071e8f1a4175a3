//! The reliability suites of issue 13, run by `scripts/reliability.sh` (and
//! so by `.ci/run`) on the release binary: `cargo test --release -p
//! osez-cli --test reliability -- --ignored --test-threads 1`. They are
//! ignored by the plain `cargo test`: each takes minutes and wants the
//! optimised binary. Every node listens on loopback; every wait is bounded.

#[path = "../common/mod.rs"]
mod common;

mod client;
mod crash;
mod load;
mod nodes;
mod restart;
mod shutdown;

use std::path::Path;
use std::process::Command;

use common::BIN;

/// The demo's open consultation.
pub const OPEN_CONSULTATION: &str = "ia-dans-les-tpe";
/// The editor account the suites create.
pub const EDITOR: &str = "editeur@exemple.fr";

/// Where a suite's nodes keep their data: SQLite in a directory, or a
/// fresh PostgreSQL database (each node still has its own directory for
/// its search index).
pub enum Backend {
    Sqlite { dir: tempfile::TempDir },
    Postgres { dir: tempfile::TempDir, url: String },
}

impl Backend {
    pub fn sqlite() -> Backend {
        Backend::Sqlite { dir: tempfile::tempdir().unwrap() }
    }

    /// A fresh database on the server of `OSEZ_TEST_DATABASE_URL`; `None`
    /// outside CI when it is not set (under CI its absence fails).
    pub fn postgres() -> Option<Backend> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let url = runtime.block_on(osez_store::testing::fresh_postgres_url())?;
        Some(Backend::Postgres { dir: tempfile::tempdir().unwrap(), url })
    }

    pub fn name(&self) -> &'static str {
        if self.is_sqlite() { "sqlite" } else { "postgres" }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Backend::Sqlite { .. })
    }

    pub fn dir(&self) -> &Path {
        match self {
            Backend::Sqlite { dir } | Backend::Postgres { dir, .. } => dir.path(),
        }
    }

    pub fn url(&self) -> String {
        match self {
            Backend::Sqlite { dir } => format!("sqlite://{}", dir.path().join("osez.db").display()),
            Backend::Postgres { url, .. } => url.clone(),
        }
    }

    /// The data options of a command other than `serve`.
    pub fn data_args(&self) -> Vec<String> {
        let mut args = vec!["--data-dir".to_owned(), self.dir().display().to_string()];
        if let Backend::Postgres { url, .. } = self {
            args.extend(["--database-url".to_owned(), url.clone()]);
        }
        args
    }

    /// `serve`'s options besides the data directory (which the server
    /// helper adds).
    pub fn serve_args(&self, extra: &[String]) -> Vec<String> {
        let mut args = extra.to_vec();
        if let Backend::Postgres { url, .. } = self {
            args.extend(["--database-url".to_owned(), url.clone()]);
        }
        args
    }

    pub async fn store(&self) -> osez_store::Store {
        match self {
            Backend::Sqlite { dir } => osez_store::Store::open_sqlite(dir.path()).await.unwrap(),
            Backend::Postgres { url, .. } => osez_store::Store::connect(url).await.unwrap(),
        }
    }

    /// PostgreSQL's check of its tables and indexes (`pg_amcheck`, with the
    /// amcheck extension installed if missing).
    pub fn amcheck(&self) {
        let Backend::Postgres { url, .. } = self else { return };
        let out = Command::new(pg_tool("pg_amcheck"))
            .args(["--install-missing", "--heapallindexed", url])
            .output()
            .expect("pg_amcheck runs");
        assert!(
            out.status.success(),
            "pg_amcheck: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A PostgreSQL client tool: on the PATH, or in Debian's versioned folder.
pub fn pg_tool(name: &str) -> String {
    if Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success()) {
        return name.to_owned();
    }
    let mut found: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop().map(|p| p.display().to_string()).unwrap_or_else(|| panic!("{name} is not installed"))
}

/// Limits off: the load comes from one address.
pub fn unlimited() -> Vec<String> {
    [
        "--search-per-minute",
        "0",
        "--forms-per-minute",
        "0",
        "--votes-per-minute",
        "0",
        "--participant-votes-per-minute",
        "0",
        "--participants-per-hour",
        "0",
        "--contacts-per-hour",
        "0",
        "--min-fill-secs",
        "0",
    ]
    .map(String::from)
    .to_vec()
}

/// Creates the editor account (the database is prepared on the way);
/// its generated password.
pub fn editor_password(backend: &Backend) -> String {
    let out = Command::new(BIN)
        .args(["admin", "create", "--email", EDITOR, "--role", "editor", "--generate-password"])
        .args(backend.data_args())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("generated password (shown once): "))
        .expect("the password is printed")
        .to_owned()
}

/// Signs in; the session cookie.
pub fn sign_in(addr: &str, email: &str, password: &str) -> Option<String> {
    let page = client::get(addr, "/connexion", None)?;
    let body = format!(
        "jeton={}&email={}&password={}",
        client::enc(&client::token_in(&page.body, "/connexion")?),
        client::enc(email),
        client::enc(password)
    );
    let answer = client::post(addr, "/connexion", &body, None, false)?;
    (answer.status == 303).then(|| answer.cookie()).flatten()
}

/// A new participant's first vote on the open consultation; the outcome,
/// and the vote added to `votes` when acknowledged.
pub fn first_vote(addr: &str, votes: &std::sync::Mutex<Vec<(String, i64)>>) -> client::Outcome {
    use client::Outcome;
    let path = format!("/api/v1/consultations/{OPEN_CONSULTATION}/sequence");
    let outcome = client::exchange(addr, &client::get_request(addr, &path, None));
    let Outcome::Answered(seq) = outcome else { return outcome };
    if seq.status != 200 {
        return Outcome::Answered(seq);
    }
    let cookie = seq.cookie().expect("a participant's cookie");
    let served: serde_json::Value = serde_json::from_str(&seq.body).unwrap();
    let p = &served["proposals"][0];
    let body = serde_json::json!({ "proposal_id": p["id"], "key": p["key"], "vote": "agree" }).to_string();
    let path = format!("/api/v1/consultations/{OPEN_CONSULTATION}/votes");
    let outcome = client::exchange(addr, &client::post_request(addr, &path, &body, Some(&cookie), true));
    if let Outcome::Answered(answer) = &outcome
        && answer.status == 200
    {
        votes.lock().unwrap().push((client::token_hash(&cookie), p["id"].as_i64().unwrap()));
    }
    outcome
}

#[test]
#[ignore = "a reliability suite: scripts/reliability.sh runs it on the release binary"]
fn crash_sqlite() {
    crash::run(&Backend::sqlite(), 20);
}

#[test]
#[ignore = "a reliability suite: scripts/reliability.sh runs it on the release binary"]
fn crash_postgres() {
    let Some(backend) = Backend::postgres() else { return };
    crash::run(&backend, 20);
}

#[test]
#[ignore = "a reliability suite: scripts/reliability.sh runs it on the release binary"]
fn two_nodes() {
    let Some(backend) = Backend::postgres() else { return };
    nodes::run(&backend);
}

#[test]
#[ignore = "a reliability suite: scripts/reliability.sh runs it on the release binary"]
fn shutdown_under_load() {
    shutdown::run(&Backend::sqlite());
}

#[test]
#[ignore = "a reliability suite: scripts/reliability.sh runs it on the release binary"]
fn load() {
    load::run(&Backend::sqlite(), load_secs(), load_connections());
}

#[test]
#[ignore = "a reliability suite: scripts/reliability.sh runs it on the release binary"]
fn load_postgres() {
    let Some(backend) = Backend::postgres() else { return };
    load::run(&backend, load_secs(), load_connections());
}

/// `LOAD_SECS`, 60 by default.
fn load_secs() -> u64 {
    std::env::var("LOAD_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60)
}

/// `LOAD_CONNECTIONS`, 1,000 by default.
fn load_connections() -> usize {
    std::env::var("LOAD_CONNECTIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(1000)
}

#[test]
#[ignore = "a reliability suite: scripts/reliability.sh runs it on the release binary"]
fn database_restart() {
    restart::run();
}
