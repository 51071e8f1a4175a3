//! A real PostgreSQL restart under load: a private cluster (initdb, on a
//! free loopback port) serves one node; it is stopped for a few seconds and
//! started again while clients search, read a page that needs the database
//! and vote. Search is answered throughout; what needs the database gets
//! 503 while it is down, never a 500; the node recovers by itself.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::client::{self, Outcome};
use crate::common::Server;
use crate::{OPEN_CONSULTATION, first_vote, pg_tool, unlimited};

/// A cluster of our own, stopped and removed when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a PostgreSQL program; as the `postgres` user when we are root
/// (the server refuses to run as root).
fn pg(program: &str, args: &[&str]) -> std::process::Output {
    let tool = pg_tool(program);
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &tool]);
        c
    } else {
        Command::new(&tool)
    };
    let out = cmd.args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Cluster {
    fn create() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            let ok = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap();
            assert!(ok.success());
        }
        let data = dir.path().join("data");
        pg("initdb", &["-D", &data.display().to_string(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cluster = Cluster { dir, port };
        cluster.start();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn start(&self) {
        let options = format!("-p {} -c listen_addresses=127.0.0.1 -k {}", self.port, self.dir.path().display());
        let log = self.dir.path().join("postgres.log");
        pg(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-o",
                &options,
                "-l",
                &log.display().to_string(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    fn stop(&self) {
        pg("pg_ctl", &["-D", &self.data().display().to_string(), "-m", "fast", "-w", "-t", "60", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data: &Path = &self.data();
        let _ = Command::new(if is_root() { "runuser" } else { "true" })
            .args(if is_root() { vec!["-u", "postgres", "--"] } else { vec![] })
            .arg(pg_tool("pg_ctl"))
            .args(["-D", &data.display().to_string(), "-m", "immediate", "stop"])
            .output();
    }
}

#[derive(Default, Debug, Clone)]
struct Seen {
    search_ok: usize,
    search_failed: Vec<String>,
    db_ok: usize,
    db_unavailable: usize,
    db_other: Vec<String>,
}

impl Seen {
    /// What happened between `before` and `self`.
    fn since(&self, before: &Seen) -> Seen {
        Seen {
            search_ok: self.search_ok - before.search_ok,
            search_failed: self.search_failed[before.search_failed.len()..].to_vec(),
            db_ok: self.db_ok - before.db_ok,
            db_unavailable: self.db_unavailable - before.db_unavailable,
            db_other: self.db_other[before.db_other.len()..].to_vec(),
        }
    }
}

/// How long the database stays down: longer than the 5 s a request waits
/// for a connection before its 503.
const DOWN: Duration = Duration::from_secs(8);

pub fn run() {
    let cluster = Cluster::create();
    let node_dir = tempfile::tempdir().unwrap();
    let mut args = unlimited();
    args.extend(["--database-url".to_owned(), cluster.url()]);
    let node = Server::start_with(node_dir.path(), &args.iter().map(String::as_str).collect::<Vec<_>>());
    let addr = node.addr.clone();
    let pid = node.child.id();
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let votes: Arc<Mutex<Vec<(String, i64)>>> = Arc::default();
    // Searchers and clients of what needs the database, apart: a client
    // waiting for the database does not hold a search back.
    let clients: Vec<_> = (0..6)
        .map(|i| {
            let (addr, stop, seen, votes) = (addr.clone(), stop.clone(), seen.clone(), votes.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(120);
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    if i < 2 {
                        let search =
                            client::exchange(&addr, &client::get_request(&addr, "/api/v1/advisers?q=ia+lyon", None));
                        let mut seen = seen.lock().unwrap();
                        match search {
                            Outcome::Answered(a) if a.status == 200 => seen.search_ok += 1,
                            other => seen.search_failed.push(format!("{other:?}")),
                        }
                    } else {
                        let db = if i % 2 == 0 {
                            let page = format!("/consultations/{OPEN_CONSULTATION}");
                            client::exchange(&addr, &client::get_request(&addr, &page, None))
                        } else {
                            first_vote(&addr, &votes)
                        };
                        let mut seen = seen.lock().unwrap();
                        match db {
                            Outcome::Answered(a) if a.status == 200 => seen.db_ok += 1,
                            Outcome::Answered(a) if a.status == 503 && a.header("retry-after").is_some() => {
                                seen.db_unavailable += 1
                            }
                            other => seen.db_other.push(format!("{other:?}")),
                        }
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1_500));
    let before = seen.lock().unwrap().clone();
    cluster.stop();
    let down_at = Instant::now();
    std::thread::sleep(DOWN);
    let during = seen.lock().unwrap().since(&before);
    cluster.start();
    let back = seen.lock().unwrap().clone();
    let up_after = down_at.elapsed();
    // Recovery by itself: the page that needs the database answers again.
    let deadline = Instant::now() + Duration::from_secs(60);
    let page = format!("/consultations/{OPEN_CONSULTATION}");
    loop {
        if client::get(&addr, &page, None).is_some_and(|a| a.status == 200) {
            break;
        }
        assert!(Instant::now() < deadline, "the node did not recover within 60 s of the restart");
        std::thread::sleep(Duration::from_millis(100));
    }
    let recovered = down_at.elapsed() - up_after;
    std::thread::sleep(Duration::from_millis(1_000));
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let after = seen.lock().unwrap().since(&back);
    assert_eq!(node.child.id(), pid, "the same process all along");
    assert!(before.search_ok > 0 && before.db_ok > 0, "the load ran: {before:?}");
    assert!(during.search_failed.is_empty(), "search failed while the database was down: {:?}", during.search_failed);
    assert!(during.search_ok > 0, "searches answered while the database was down");
    assert!(after.search_failed.is_empty(), "search failed after the restart: {:?}", after.search_failed);
    assert!(during.db_unavailable > 0, "503 while the database was down: {during:?}");
    assert!(during.db_other.is_empty(), "answers other than 200 or 503: {:?}", during.db_other);
    assert!(after.db_other.is_empty(), "answers other than 200 or 503 after: {:?}", after.db_other);
    assert!(after.db_ok > 0, "served again after the restart");
    let log = node.log();
    assert!(!log.contains("page failed") && !log.contains("api failed"), "a 500 was logged: {log}");
    let (status, log) = node.stop();
    assert!(status.success(), "{log}");
    eprintln!(
        "database restart: down {up_after:?}; meanwhile {} searches answered, 0 failed, {} requests needing the \
         database answered 503 (Retry-After), {} 200 (begun before); recovered {recovered:?} after the database \
         was back; then {} searches and {} database requests answered, 0 failed",
        during.search_ok, during.db_unavailable, during.db_ok, after.search_ok, after.db_ok
    );
}
