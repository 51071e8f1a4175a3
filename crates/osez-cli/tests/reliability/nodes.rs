//! Two nodes on one PostgreSQL database under a mixed load (search, pages,
//! votes); one is killed. The other keeps serving every request it gets,
//! its search results are those of before the kill, and every vote either
//! node acknowledged is counted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use crate::client::{self, Outcome};
use crate::common::{BIN, Server};
use crate::{Backend, OPEN_CONSULTATION, first_vote, unlimited};

const QUERIES: [&str; 6] = [
    "cybersecurite+bordeaux",
    "ia+lyon",
    "site+internet+rennes",
    "comptabilite+lille",
    "reseaux+sociaux+marseille",
    "formation+ia+nantes",
];
const PAGES: [&str; 4] = ["/", "/ressources", "/consultations/ia-dans-les-tpe", "/recherche?q=ia+toulouse"];

/// What one client saw.
#[derive(Default)]
struct Seen {
    answered: usize,
    /// Requests to the killed node that found it gone.
    gone: usize,
    /// Search answers whose total differs from the reference.
    incomplete: Vec<String>,
    /// Answers other than 200 from a live node, or no answer from it.
    failures: Vec<String>,
}

pub fn run(backend: &Backend) {
    let args = backend.serve_args(&unlimited());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Server::start_with(dir_a.path(), &args));
        let b = s.spawn(|| Server::start_with(dir_b.path(), &args));
        (a.join().unwrap(), b.join().unwrap())
    });
    // The reference: each query's total, the same on both nodes.
    let mut reference = HashMap::new();
    for q in QUERIES {
        let path = format!("/api/v1/advisers?q={q}&per_page=5");
        let totals: Vec<u64> = [&a.addr, &b.addr]
            .iter()
            .map(|addr| {
                let answer = client::get(addr, &path, None).expect("search answered");
                let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
                v["total"].as_u64().unwrap()
            })
            .collect();
        assert_eq!(totals[0], totals[1], "{q}: both nodes give the same results");
        assert!(totals[0] > 0, "{q} finds someone");
        reference.insert(q, totals[0]);
    }
    let reference = Arc::new(reference);

    let killed = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let votes: Arc<Mutex<Vec<(String, i64)>>> = Arc::default();
    let clients: Vec<_> = (0..8)
        .map(|i| {
            let (first, other) =
                if i % 2 == 0 { (a.addr.clone(), b.addr.clone()) } else { (b.addr.clone(), a.addr.clone()) };
            let on_a = i % 2 == 0;
            let (reference, killed, stop, votes) = (reference.clone(), killed.clone(), stop.clone(), votes.clone());
            std::thread::spawn(move || {
                let mut rng = rand::rngs::StdRng::seed_from_u64(i);
                let mut seen = Seen::default();
                let mut addr = first;
                let deadline = Instant::now() + Duration::from_secs(30);
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    let outcome = match rng.random_range(0..10) {
                        0..=4 => {
                            let q = QUERIES[rng.random_range(0..QUERIES.len())];
                            let outcome = client::exchange(
                                &addr,
                                &client::get_request(&addr, &format!("/api/v1/advisers?q={q}&per_page=5"), None),
                            );
                            if let Outcome::Answered(answer) = &outcome
                                && answer.status == 200
                            {
                                let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
                                if v["total"].as_u64() != Some(reference[q]) {
                                    seen.incomplete.push(format!("{q}: {} instead of {}", v["total"], reference[q]));
                                }
                            }
                            outcome
                        }
                        5..=7 => client::exchange(
                            &addr,
                            &client::get_request(&addr, PAGES[rng.random_range(0..PAGES.len())], None),
                        ),
                        _ => first_vote(&addr, &votes),
                    };
                    match outcome {
                        Outcome::Answered(answer) if answer.status == 200 => seen.answered += 1,
                        // The killed node is gone: go to the other one, as
                        // the reverse proxy would.
                        _ if on_a && killed.load(Ordering::SeqCst) && addr != other => {
                            seen.gone += 1;
                            addr = other.clone();
                        }
                        outcome => seen.failures.push(format!("{addr}: {outcome:?}")),
                    }
                }
                seen
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(2_000));
    killed.store(true, Ordering::SeqCst);
    a.kill_hard();
    std::thread::sleep(Duration::from_millis(2_000));
    stop.store(true, Ordering::SeqCst);
    let seen: Vec<Seen> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let answered: usize = seen.iter().map(|s| s.answered).sum();
    let gone: usize = seen.iter().map(|s| s.gone).sum();
    let failures: Vec<&String> = seen.iter().flat_map(|s| &s.failures).collect();
    let incomplete: Vec<&String> = seen.iter().flat_map(|s| &s.incomplete).collect();
    assert!(failures.is_empty(), "requests failed on a live node: {failures:?}");
    assert!(incomplete.is_empty(), "incomplete results: {incomplete:?}");
    assert!(answered > 100, "the load ran: {answered} answers");

    // The survivor serves on, and every acknowledged vote is counted.
    let votes = votes.lock().unwrap().clone();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = backend.store().await;
        let c = store.consultation(OPEN_CONSULTATION).await.unwrap().unwrap();
        let mut missing = 0;
        for (hash, p) in &votes {
            if !store.voted_proposals(c.id, hash).await.unwrap().contains(p) {
                missing += 1;
            }
        }
        assert_eq!(missing, 0, "acknowledged votes missing out of {}", votes.len());
        store.close().await;
    });
    let out = std::process::Command::new(BIN)
        .args(["consultation", "check", OPEN_CONSULTATION])
        .args(backend.data_args())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (status, log) = b.stop();
    assert!(status.success(), "{log}");
    eprintln!(
        "two nodes: {answered} answers, {gone} requests found the killed node gone and went to the other, \
         0 failures on the survivor, its results complete, {} acknowledged votes all counted",
        votes.len()
    );
}
