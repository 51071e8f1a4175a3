//! The crash suite: a node is killed (SIGKILL) at a random moment while
//! clients vote, write to the team and create resources, 20 times; after
//! each kill, every write the node acknowledged is in the database, none
//! is there twice, the kept vote counts equal a recount, and the database
//! passes its integrity check.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use sqlx::{Connection, Row};

use crate::client::{self, Answer};
use crate::common::{BIN, Server};
use crate::{Backend, EDITOR, OPEN_CONSULTATION, editor_password, sign_in, unlimited};

/// What the node acknowledged: answered with success, in full.
#[derive(Default)]
struct Acked {
    /// (participant's token hash, proposal id).
    votes: Vec<(String, i64)>,
    /// The unique text of each message to the team.
    messages: Vec<String>,
    /// The address of each resource created.
    resources: Vec<String>,
}

/// Client threads per round.
const CLIENTS: usize = 6;

pub fn run(backend: &Backend, rounds: usize) {
    let password = editor_password(backend);
    let acked = Arc::new(Mutex::new(Acked::default()));
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x05e2);
    let mut totals = Vec::new();
    for round in 0..rounds {
        let args = backend.serve_args(&unlimited());
        let server = Server::start_with(backend.dir(), &args.iter().map(String::as_str).collect::<Vec<_>>());
        let addr = server.addr.clone();
        let editor = sign_in(&addr, EDITOR, &password).expect("the editor signs in");
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (addr, editor, stop, acked) = (addr.clone(), editor.clone(), stop.clone(), acked.clone());
                std::thread::spawn(move || work(&addr, &editor, round, client, &stop, &acked))
            })
            .collect();
        // Killed somewhere between 0.3 and 1.5 s into the load.
        let at = Duration::from_millis(rng.random_range(300..1500));
        std::thread::sleep(at);
        server.kill_hard();
        stop.store(true, Ordering::SeqCst);
        let done: usize = clients.into_iter().map(|c| c.join().unwrap()).sum();
        let acked = acked.lock().unwrap();
        verify(backend, &acked, round);
        totals.push(done);
        eprintln!(
            "crash {} round {round}: killed after {at:?}, {done} writes acknowledged this round \
             ({} votes, {} messages, {} resources in all), all present, none twice",
            backend.name(),
            acked.votes.len(),
            acked.messages.len(),
            acked.resources.len()
        );
    }
    let total: usize = totals.iter().sum();
    assert!(total > rounds * 10, "the load ran: {total} writes acknowledged in {rounds} rounds");
    eprintln!("crash {}: {rounds} kills, {total} acknowledged writes, every one kept once", backend.name());
}

/// One client: writes until the node is gone or the round stops; how many
/// writes were acknowledged.
fn work(addr: &str, editor: &str, round: usize, client: usize, stop: &AtomicBool, acked: &Mutex<Acked>) -> usize {
    let mut rng = rand::rngs::StdRng::seed_from_u64((round * 100 + client) as u64);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut done = 0;
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        n += 1;
        let ok = match rng.random_range(0..10) {
            0..=6 => vote(addr, acked),
            7 | 8 => message(addr, &format!("Panne {round}-{client}-{n} : message de l'essai de fiabilité."), acked),
            _ => resource(addr, editor, &format!("Essai de panne {round} {client} {n}"), acked),
        };
        match ok {
            Some(k) => done += k,
            None => return done,
        }
    }
    done
}

/// A new participant votes on the proposals served to them; how many
/// votes were acknowledged (`None`: the node is gone).
fn vote(addr: &str, acked: &Mutex<Acked>) -> Option<usize> {
    let seq = client::get(addr, &format!("/api/v1/consultations/{OPEN_CONSULTATION}/sequence"), None)?;
    assert_eq!(seq.status, 200, "{}", seq.body);
    let cookie = seq.cookie().expect("a participant's cookie");
    let hash = client::token_hash(&cookie);
    let served: serde_json::Value = serde_json::from_str(&seq.body).unwrap();
    let mut n = 0;
    for p in served["proposals"].as_array().unwrap().iter().take(4) {
        let body = serde_json::json!({ "proposal_id": p["id"], "key": p["key"], "vote": "agree" }).to_string();
        let answer = client::post(
            addr,
            &format!("/api/v1/consultations/{OPEN_CONSULTATION}/votes"),
            &body,
            Some(&cookie),
            true,
        )?;
        assert_eq!(answer.status, 200, "vote: {}", answer.body);
        acked.lock().unwrap().votes.push((hash.clone(), p["id"].as_i64().unwrap()));
        n += 1;
    }
    Some(n)
}

/// A message to the team, as a person without JavaScript sends it.
fn message(addr: &str, text: &str, acked: &Mutex<Acked>) -> Option<usize> {
    let page = client::get(addr, "/contact", None)?;
    assert_eq!(page.status, 200);
    let body = format!(
        "jeton={}&name=Camille+Essai&email=camille%40exemple.fr&company=&commune=29200&need=ia_generative&message={}\
         &site_web=&question={}&reponse={}",
        client::enc(&client::token_in(&page.body, "/contact").unwrap()),
        client::enc(text),
        client::enc(&client::hidden(&page.body, "question").unwrap()),
        client::answer_in_words(&page.body).unwrap()
    );
    let answer = client::post(addr, "/contact", &body, None, false)?;
    assert_eq!(answer.status, 303, "message: {}", answer.body);
    acked.lock().unwrap().messages.push(text.to_owned());
    Some(1)
}

/// A resource created by the editor (a draft article).
fn resource(addr: &str, editor: &str, title: &str, acked: &Mutex<Acked>) -> Option<usize> {
    const NEW: &str = "/admin/ressources/nouvelle";
    let page = client::get(addr, NEW, Some(editor))?;
    assert_eq!(page.status, 200);
    let body = format!(
        "jeton={}&kind=article&title={}&summary=R%C3%A9sum%C3%A9&themes=intelligence_artificielle&body=Texte&note=",
        client::enc(&client::token_in(&page.body, NEW).unwrap()),
        client::enc(title)
    );
    let answer: Answer = client::post(addr, NEW, &body, Some(editor), false)?;
    assert_eq!(answer.status, 303, "resource: {}", answer.body);
    let to = answer.header("location").unwrap();
    let slug = to.strip_prefix("/admin/ressources/").unwrap().split('?').next().unwrap().to_owned();
    acked.lock().unwrap().resources.push(slug);
    Some(1)
}

/// Every acknowledged write is there once; the counts equal a recount;
/// the database is sound.
fn verify(backend: &Backend, acked: &Acked, round: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = backend.store().await;
        let c = store.consultation(OPEN_CONSULTATION).await.unwrap().unwrap();
        let mut by_participant: HashMap<&str, Vec<i64>> = HashMap::new();
        for (hash, p) in &acked.votes {
            by_participant.entry(hash).or_default().push(*p);
        }
        let mut missing = 0;
        for (hash, wanted) in by_participant {
            let voted = store.voted_proposals(c.id, hash).await.unwrap();
            missing += wanted.iter().filter(|p| !voted.contains(p)).count();
        }
        assert_eq!(missing, 0, "round {round}: acknowledged votes missing");
        for slug in &acked.resources {
            let row = store.resource_row(slug).await.unwrap();
            assert!(row.is_some_and(|r| r.head == 1), "round {round}: resource {slug} missing or saved twice");
        }
        store.close().await;

        sqlx::any::install_default_drivers();
        let mut db = sqlx::AnyConnection::connect(&backend.url()).await.unwrap();
        let kept: Vec<String> = sqlx::query("SELECT message FROM contact_messages WHERE message LIKE 'Panne %'")
            .fetch_all(&mut db)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for m in &kept {
            *seen.entry(m).or_default() += 1;
        }
        assert!(seen.values().all(|n| *n == 1), "round {round}: a message kept twice");
        for m in &acked.messages {
            assert!(seen.contains_key(m.as_str()), "round {round}: acknowledged message missing: {m}");
        }
        if backend.is_sqlite() {
            let ok: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut db).await.unwrap();
            assert_eq!(ok, "ok", "round {round}: SQLite integrity check");
        }
        let _ = db.close().await;
    });
    if !backend.is_sqlite() {
        backend.amcheck();
    }
    let out = std::process::Command::new(BIN)
        .args(["consultation", "check", OPEN_CONSULTATION])
        .args(backend.data_args())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "round {round}: counts differ from a recount: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
