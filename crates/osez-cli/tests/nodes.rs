//! Several nodes on one PostgreSQL database, started as an operator would:
//! each follows what the others commit through the database's
//! notifications, catches up after being down, and rides out a database
//! outage (503 where the database is needed, search served throughout).

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

mod common;
use common::*;

/// Imports one adviser into the database at `url`, as `osez import` run by
/// the operator on any machine.
fn import_one(url: &str, dir: &std::path::Path, id: u32, name: &str) {
    let file = dir.join(format!("import-{id}.csv"));
    std::fs::write(&file, format!("{HEADER}{id};{name};Indépendant;Privée;;29200;Brest;;\n")).unwrap();
    let out = Command::new(BIN)
        .args(["import", "advisers", "--keep-demo", "--database-url", url, "--data-dir"])
        .arg(dir)
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Waits (bounded) until `path` answers 200 on `addr`; how long it took.
fn until_found(addr: &str, path: &str) -> Duration {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(30);
    loop {
        if http_get(addr, path).0 == 200 {
            return started.elapsed();
        }
        assert!(Instant::now() < deadline, "{addr} never served {path}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Nodes that never look for changes by themselves (`--reload-secs 0`):
/// only the notifications can tell them. Started at once on an empty
/// database, they load the demo data once between them.
#[tokio::test(flavor = "multi_thread")]
async fn nodes_follow_each_others_changes_by_notification_and_catch_up_after_being_down() {
    let Some(url) = osez_store::testing::fresh_postgres_url().await else {
        return;
    };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let quiet = ["--database-url", &url, "--reload-secs", "0"];
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Server::start_with(dir_a.path(), &quiet));
        let b = s.spawn(|| Server::start_with(dir_b.path(), &quiet));
        (a.join().unwrap(), b.join().unwrap())
    });
    for node in [&a, &b] {
        let (status, body) = http_get(&node.addr, "/api/v1/advisers?per_page=1");
        assert_eq!(status, 200);
        assert!(body.contains("\"total\":4300"), "the demo directory, loaded once: {body}");
    }

    import_one(&url, dir_a.path(), 901, "Agence Notifiée");
    let took = [until_found(&a.addr, "/api/v1/advisers/901"), until_found(&b.addr, "/api/v1/advisers/901")];
    eprintln!("change followed by notification in {:?} and {:?}", took[0], took[1]);

    // B is down while a change is made; it catches up when it starts.
    let (status, log) = b.stop();
    assert!(status.success(), "{log}");
    import_one(&url, dir_a.path(), 902, "Agence Pendant La Panne");
    until_found(&a.addr, "/api/v1/advisers/902");
    let b = Server::start_with(dir_b.path(), &quiet);
    assert_eq!(http_get(&b.addr, "/api/v1/advisers/902").0, 200, "caught up at start");
    for node in [a, b] {
        let (status, log) = node.stop();
        assert!(status.success(), "{log}");
    }
}

/// A TCP relay in front of PostgreSQL that can be cut: `down` closes its
/// port (connections are refused, as by a server that is restarting) and
/// every connection through it; `up` opens the same port again.
struct Relay {
    addr: SocketAddr,
    target: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: Option<JoinHandle<()>>,
}

impl Relay {
    async fn start(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut relay = Relay { addr: listener.local_addr().unwrap(), target, tasks: Arc::default(), accept: None };
        relay.serve(listener);
        relay
    }

    fn serve(&mut self, listener: TcpListener) {
        let (target, tasks) = (self.target, self.tasks.clone());
        self.accept = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                let mut tasks = tasks.lock().await;
                tasks.retain(|t| !t.is_finished());
                tasks.push(relay);
            }
        }));
    }

    async fn down(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
            let _ = accept.await;
        }
        for t in self.tasks.lock().await.drain(..) {
            t.abort();
        }
    }

    async fn up(&mut self) {
        // The port was closed when the accepting task ended; take it again.
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) => {
                    assert!(Instant::now() < deadline, "cannot reopen {}: {e}", self.addr);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        self.serve(listener);
    }
}

/// GET in a blocking task (the helpers are blocking): status and body.
async fn get(addr: &str, path: &str) -> (u16, String) {
    let (addr, path) = (addr.to_owned(), path.to_owned());
    tokio::task::spawn_blocking(move || http_get(&addr, &path)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_outage_gives_503_keeps_search_serving_and_heals_by_itself() {
    let Some(url) = osez_store::testing::fresh_postgres_url().await else {
        return;
    };
    // The node reaches the database through the relay.
    let (base, rest) = url.split_once("@").unwrap();
    let (host, db) = rest.split_once('/').unwrap();
    let target: SocketAddr = tokio::net::lookup_host(host).await.unwrap().next().unwrap();
    let mut relay = Relay::start(target).await;
    let relayed = format!("{base}@{}/{db}", relay.addr);
    let dir = tempfile::tempdir().unwrap();
    let node = tokio::task::spawn_blocking({
        let (dir, relayed) = (dir.path().to_path_buf(), relayed.clone());
        move || Server::start_with(&dir, &["--database-url", &relayed])
    })
    .await
    .unwrap();
    let addr = node.addr.clone();
    let needs_db = "/consultations/ia-dans-les-tpe";
    assert_eq!(get(&addr, needs_db).await.0, 200);

    relay.down().await;
    let (status, body) = get(&addr, needs_db).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("momentanément indisponible"), "{body}");
    let (status, body) = get(&addr, "/api/v1/consultations").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"code\":\"unavailable\""), "{body}");
    assert_eq!(get(&addr, "/healthz").await.0, 503);
    // Search comes from the node's own index: served all along.
    let (status, body) = get(&addr, "/recherche?q=cybersecurite+bordeaux").await;
    assert_eq!(status, 200);
    assert!(body.contains("class=\"result-link\""));
    let (status, body) = get(&addr, "/api/v1/advisers?q=ia+lyon&per_page=1").await;
    assert_eq!(status, 200, "{body}");

    relay.up().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if get(&addr, needs_db).await.0 == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the node never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(get(&addr, "/healthz").await.0, 200);
    let log = tokio::task::spawn_blocking(move || node.stop()).await.unwrap().1;
    assert!(!log.contains("page failed") && !log.contains("api failed"), "no 500 during the outage: {log}");
}
