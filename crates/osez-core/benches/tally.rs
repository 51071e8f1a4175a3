//! Time of a consultation's counts and rankings from its votes: the pure
//! part of the results, for 1,000,000 participants and 10,000,000 votes
//! on 10,000 proposals (Make.org's "Ma France 2022" had 34,000 proposals
//! and 7 M votes). The server keeps these counts with every batch of
//! votes; this is what recomputing them from the open data costs.
//!
//! `cargo bench -p osez-core --bench tally`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use osez_core::consultation::tally::{consensual, controversial, tally};
use osez_core::consultation::{Qualification, Vote};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const PROPOSALS: usize = 10_000;
const VOTES: usize = 10_000_000;

fn votes() -> Vec<(u32, Vote, Option<Qualification>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    (0..VOTES)
        .map(|_| {
            let proposal = rng.random_range(0..PROPOSALS as u32);
            // Each proposal leans its own way.
            let lean = (proposal % 10) as f64 / 10.0;
            let vote = if rng.random_bool(lean) {
                Vote::Agree
            } else if rng.random_bool(0.6) {
                Vote::Disagree
            } else {
                Vote::Neutral
            };
            let q = rng.random_bool(0.2).then(|| vote.qualifications()[rng.random_range(0..3)]);
            (proposal, vote, q)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let votes = votes();
    let mut g = c.benchmark_group("results");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("10M votes, 10k proposals: tally, zones, rankings", |b| {
        b.iter(|| {
            let t = tally(black_box(votes.iter().copied()), PROPOSALS);
            (consensual(&t), controversial(&t))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
