//! Graceful shutdown under load: SIGTERM while clients search, read pages
//! and vote. Every request the node took is answered in full and none with
//! a 5xx; the node exits cleanly and the votes it acknowledged are kept.
//! Requests that come after it stopped listening are refused at the door,
//! where a reverse proxy sends them to another node.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use crate::client::{self, Outcome};
use crate::common::Server;
use crate::{Backend, OPEN_CONSULTATION, first_vote, unlimited};

#[derive(Default, Debug)]
struct Tally {
    answered: usize,
    server_errors: Vec<String>,
    cut: usize,
    unanswered: usize,
    refused: usize,
}

pub fn run(backend: &Backend) {
    let args = backend.serve_args(&unlimited());
    let server = Server::start_with(backend.dir(), &args.iter().map(String::as_str).collect::<Vec<_>>());
    let addr = server.addr.clone();
    let stopping = Arc::new(AtomicBool::new(false));
    let votes: Arc<Mutex<Vec<(String, i64)>>> = Arc::default();
    let clients: Vec<_> = (0..16)
        .map(|i| {
            let (addr, stopping, votes) = (addr.clone(), stopping.clone(), votes.clone());
            std::thread::spawn(move || {
                let mut rng = rand::rngs::StdRng::seed_from_u64(i);
                let mut tally = Tally::default();
                let deadline = Instant::now() + Duration::from_secs(30);
                while Instant::now() < deadline {
                    let outcome = match rng.random_range(0..10) {
                        0..=4 => client::exchange(
                            &addr,
                            &client::get_request(&addr, "/api/v1/advisers?q=ia+lyon&per_page=20", None),
                        ),
                        5..=7 => client::exchange(
                            &addr,
                            &client::get_request(&addr, "/recherche?q=site+internet+rennes", None),
                        ),
                        _ => first_vote(&addr, &votes),
                    };
                    match outcome {
                        Outcome::Answered(a) if a.status >= 500 => {
                            tally.server_errors.push(format!("{}: {}", a.status, a.body))
                        }
                        Outcome::Answered(_) => tally.answered += 1,
                        Outcome::Cut => tally.cut += 1,
                        Outcome::Unanswered => tally.unanswered += 1,
                        Outcome::Refused => {
                            tally.refused += 1;
                            // Nothing listens any more: the node is stopping.
                            if stopping.load(Ordering::SeqCst) {
                                return tally;
                            }
                        }
                    }
                }
                tally
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1_500));
    stopping.store(true, Ordering::SeqCst);
    let signalled = Instant::now();
    let (status, log) = server.stop();
    let took = signalled.elapsed();
    let tallies: Vec<Tally> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let sum = |f: fn(&Tally) -> usize| tallies.iter().map(f).sum::<usize>();
    let errors: Vec<&String> = tallies.iter().flat_map(|t| &t.server_errors).collect();
    assert!(status.success(), "the node exits cleanly on SIGTERM: {status:?}\n{log}");
    assert!(errors.is_empty(), "5xx during the shutdown: {errors:?}");
    assert_eq!(sum(|t| t.cut), 0, "answers cut short");
    assert!(sum(|t| t.answered) > 100, "the load ran");
    let votes = votes.lock().unwrap().clone();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = backend.store().await;
        let c = store.consultation(OPEN_CONSULTATION).await.unwrap().unwrap();
        for (hash, p) in &votes {
            assert!(store.voted_proposals(c.id, hash).await.unwrap().contains(p), "an acknowledged vote is lost");
        }
        store.close().await;
    });
    eprintln!(
        "shutdown under load: stopped {took:?} after SIGTERM; {} answered in full, 0 with 5xx, 0 cut short, \
         {} closed before the node read them, {} refused once it stopped listening; {} acknowledged votes kept",
        sum(|t| t.answered),
        sum(|t| t.unanswered),
        sum(|t| t.refused),
        votes.len()
    );
}
