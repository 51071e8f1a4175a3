//! The results of a large consultation through the real router, on SQLite:
//! 1,000,000 participants, 10,000,000 votes on 1,000 proposals (10 votes
//! each, drawn from three latent camps). Prints the time to import them,
//! the first answer of `GET /api/v1/consultations/{slug}/results` (which
//! computes the opinion groups: every vote read back, then PCA and
//! k-means), the answers after it (counts read from the proposals' rows,
//! groups from the memo), and the answer after a batch of new votes (the
//! counts current, the groups refreshed in the background).
//!
//! `cargo bench -p osez-web --bench results` (a few minutes; set
//! `PARTICIPANTS` for a smaller run).

use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::http::Request;
use osez_core::consultation::Vote;
use osez_store::{BulkProposal, BulkVote, ConsultationStatus, NewConsultation, NewVote, Origin, Store};
use osez_web::{AppState, Directory, Secrets, WebConfig, router};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tower::ServiceExt;

const PROPOSALS: i64 = 1_000;
const PER_PARTICIPANT: usize = 10;

async fn get(state: &std::sync::Arc<AppState>, uri: &str) -> (u16, usize) {
    let res = router(state.clone()).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status().as_u16();
    let body = to_bytes(res.into_body(), usize::MAX).await.unwrap();
    (status, body.len())
}

fn main() {
    let participants: i64 = std::env::var("PARTICIPANTS").ok().and_then(|p| p.parse().ok()).unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(dir.path()).await.unwrap();
        store.migrate().await.unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let leans: Vec<[f64; 3]> = (0..PROPOSALS).map(|_| [rng.random(), rng.random(), rng.random()]).collect();
        let mut votes = Vec::with_capacity(participants as usize * PER_PARTICIPANT);
        for p in 0..participants {
            let camp = (p % 3) as usize;
            let mut seen = std::collections::HashSet::new();
            while seen.len() < PER_PARTICIPANT {
                let proposal = rng.random_range(0..PROPOSALS);
                if !seen.insert(proposal) {
                    continue;
                }
                let lean = leans[proposal as usize][camp];
                let draw: f64 = rng.random();
                let vote = if draw < lean * 0.8 {
                    Vote::Agree
                } else if draw < 0.9 {
                    Vote::Disagree
                } else {
                    Vote::Neutral
                };
                votes.push(BulkVote { participant: p, proposal, vote, qualification: None, voted_at: p });
            }
        }
        let proposals: Vec<BulkProposal> = (0..PROPOSALS)
            .map(|n| BulkProposal {
                number: n,
                text: format!("Il faut l'idée numéro {n}"),
                accepted: true,
                author: None,
                created_at: 0,
            })
            .collect();
        let now = osez_web::now_ms();
        let new = NewConsultation {
            slug: "grande",
            title: "Grande consultation",
            question: "?",
            description: "",
            opens_at: now - 1_000,
            closes_at: now + 86_400_000,
            status: ConsultationStatus::Published,
            origin: Origin::Demo,
        };
        let t = Instant::now();
        let id = store.import_consultation(&new, &proposals, &votes).await.unwrap();
        println!(
            "imported {} participants, {} votes on {PROPOSALS} proposals in {:.1} s",
            participants,
            votes.len(),
            t.elapsed().as_secs_f64()
        );
        drop(votes);

        let geo = std::sync::Arc::new(osez_core::Geography::embedded().unwrap());
        let engine = osez_search::Engine::in_ram(Vec::new(), geo.clone()).unwrap();
        let state = AppState::new(geo, WebConfig { search_per_minute: 0, ..WebConfig::default() });
        state.set_ready(store.clone(), Secrets { form_key: [7; 32] }, Directory::new(engine));
        let uri = "/api/v1/consultations/grande/results";

        let t = Instant::now();
        let (status, bytes) = get(&state, uri).await;
        println!(
            "first results (counts; groups started in the background): {:.1} ms, status {status}, {bytes} bytes",
            t.elapsed().as_secs_f64() * 1000.0
        );
        // Until the groups are in: the answer grows by them.
        let t = Instant::now();
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            let (_, now_bytes) = get(&state, uri).await;
            if now_bytes > bytes + 100 || t.elapsed().as_secs() > 900 {
                break;
            }
        }
        println!(
            "groups ready in the background after {:.1} s (every trusted vote read back, then PCA and k-means)",
            t.elapsed().as_secs_f64()
        );
        let mut times = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            get(&state, uri).await;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!("results after it, 10 requests: median {:.1} ms, max {:.1} ms", times[5], times[9]);

        // New votes: the counts move at once, the groups follow in the
        // background.
        let accepted = store.proposals(id, None).await.unwrap();
        let batch: Vec<NewVote> = (0..1_000)
            .map(|i| NewVote {
                consultation_id: id,
                token_hash: format!("nouveau{i}"),
                proposal_id: accepted[i % accepted.len()].id,
                vote: Vote::Agree,
                qualification: None,
                trusted: true,
            })
            .collect();
        let t = Instant::now();
        store.record_votes(&batch).await.unwrap();
        println!("a batch of 1,000 new votes recorded in {:.1} ms", t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        get(&state, uri).await;
        println!(
            "results after new votes (current counts, groups from before while they refresh): {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
    });
}
