//! Time of `opinion_groups` (accumulating the votes included) on
//! synthetic consultations: participants drawn from three latent opinion
//! groups plus noise, votes given in random order.
//!
//! `cargo bench -p osez-core --bench groups`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use osez_core::consultation::groups::opinion_groups;
use osez_core::consultation::{CastVote, Vote};
use rand::seq::{SliceRandom, index};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution};

const PROPOSALS: usize = 300;

/// `participants` participants, each voting on `per_participant` distinct
/// proposals out of [`PROPOSALS`] (all of them when equal), shuffled.
fn consultation(participants: usize, per_participant: usize, seed: u64) -> Vec<CastVote> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Each latent group leans one way on each proposal.
    let leans: Vec<Vec<Vote>> =
        (0..3).map(|_| (0..PROPOSALS).map(|_| Vote::ALL[rng.random_range(0..3)]).collect()).collect();
    // How closely a participant follows their group.
    let conviction = Beta::new(4.0, 2.0).expect("valid parameters");
    let mut votes = Vec::with_capacity(participants * per_participant);
    for participant in 0..participants {
        let lean = &leans[match rng.random_range(0..10) {
            0..5 => 0,
            5..8 => 1,
            _ => 2,
        }];
        let follow: f64 = conviction.sample(&mut rng);
        let proposals: Vec<usize> = if per_participant >= PROPOSALS {
            (0..PROPOSALS).collect()
        } else {
            index::sample(&mut rng, PROPOSALS, per_participant).into_vec()
        };
        for proposal in proposals {
            let vote = if rng.random_bool(follow) { lean[proposal] } else { Vote::ALL[rng.random_range(0..3)] };
            votes.push(CastVote { participant: participant as u32, proposal: proposal as u32, vote });
        }
    }
    votes.shuffle(&mut rng);
    votes
}

fn bench(c: &mut Criterion) {
    let dense = consultation(35_000, PROPOSALS, 1);
    c.bench_function("groups 35,000 × 300 (all vote on all, 10.5 M votes)", |b| {
        b.iter(|| opinion_groups(black_box(&dense), 35_000, PROPOSALS))
    });
    drop(dense);

    let sparse = consultation(35_000, 30, 2);
    c.bench_function("groups 35,000 × 30 of 300 (1.05 M votes)", |b| {
        b.iter(|| opinion_groups(black_box(&sparse), 35_000, PROPOSALS))
    });
    drop(sparse);

    let crowd = consultation(1_000_000, 10, 3);
    c.bench_function("groups 1,000,000 × 10 of 300 (10 M votes)", |b| {
        b.iter(|| opinion_groups(black_box(&crowd), 1_000_000, PROPOSALS))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
