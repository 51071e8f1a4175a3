//! Latency of the resource search and of one query over advisers and
//! resources together (what `/api/v1/search` runs), in process.
//!
//! `cargo bench -p osez-search --bench resources` prints p50/p90/p99/max
//! for: the resource engine over the 32 starter resources; the same over a
//! library 30 times larger (copies with their transcripts, to see how it
//! scales); and the directory (4,300 demo advisers) plus the starter
//! resources for each query. Queries: the 61 of the resource relevance
//! suite and the directory benchmark's plain queries. Figures go in
//! docs/BENCHMARKS.md.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use osez_core::resource::{Resource, starter};
use osez_core::{Geography, demo};
use osez_search::{Engine, ResourceEngine, ResourceRequest, SearchRequest};

const NOW: i64 = 1_796_212_800_000;

fn queries() -> Vec<String> {
    let mut out: Vec<String> = include_str!("../tests/queries/resources.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    out.extend(
        [
            "ia",
            "site internet",
            "cybersécurité",
            "comptabilité près de Rennes",
            "marketing digital Lyon",
            "ambassadeur ia",
            "rgpd",
            "vendre en ligne",
            "réseaux sociaux",
            "webinaire",
        ]
        .map(String::from),
    );
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(name: &str, rounds: usize, n: usize, mut f: impl FnMut(usize) -> usize) {
    let mut zero = 0;
    for i in 0..n {
        zero += usize::from(f(i) == 0);
    }
    let mut all = Vec::with_capacity(rounds * n);
    for _ in 0..rounds {
        for i in 0..n {
            let t = Instant::now();
            black_box(f(black_box(i)));
            all.push(t.elapsed());
        }
    }
    all.sort_unstable();
    let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
    println!(
        "  {name:<44} p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}  zero-result queries {zero}/{n}",
        ms(percentile(&all, 50.0)),
        ms(percentile(&all, 90.0)),
        ms(percentile(&all, 99.0)),
        ms(*all.last().unwrap()),
    );
}

/// The starter resources `times` times over, each copy with its own slug.
fn scaled(base: &[Resource], times: usize) -> Vec<Resource> {
    (0..times)
        .flat_map(|k| {
            base.iter().map(move |r| {
                let mut r = r.clone();
                r.slug = format!("{}-{k}", r.slug);
                r
            })
        })
        .collect()
}

fn main() {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let rounds: usize =
        std::env::var("OSEZ_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(if bench_mode { 30 } else { 1 });
    let geo = Arc::new(Geography::embedded().expect("geography"));
    let base = starter::all(NOW).expect("starter resources");
    let t = Instant::now();
    let small = ResourceEngine::new(base.clone()).expect("engine");
    let small_build = t.elapsed();
    let big_set = scaled(&base, 30);
    let lines: usize = big_set.iter().map(|r| r.content.transcript.len()).sum();
    let t = Instant::now();
    let big = ResourceEngine::new(big_set).expect("engine");
    let big_build = t.elapsed();
    let directory = Engine::in_ram(demo::generate(&geo, demo::DEFAULT_SEED), geo.clone()).expect("directory");
    let qs = queries();
    println!(
        "{} queries, {rounds} rounds; {} starter resources indexed in {:.1} ms; {} resources and {lines} transcript lines in {:.1} ms; {} advisers",
        qs.len(),
        small.resources().len(),
        small_build.as_secs_f64() * 1e3,
        big.resources().len(),
        big_build.as_secs_f64() * 1e3,
        directory.advisers().len(),
    );
    let rreq =
        |q: &str| ResourceRequest { q: q.to_string(), page: 1, per_page: 12, typing: true, ..Default::default() };
    let areq = |q: &str| SearchRequest { q: q.to_string(), page: 1, per_page: 20, typing: true, ..Default::default() };
    report("resources (32 starter)", rounds, qs.len(), |i| small.search(&rreq(&qs[i]), &geo).total);
    report("resources (960, 30x the starter)", rounds, qs.len(), |i| big.search(&rreq(&qs[i]), &geo).total);
    report("advisers (directory alone)", rounds, qs.len(), |i| directory.search(&areq(&qs[i])).total);
    report("advisers + resources (/api/v1/search)", rounds, qs.len(), |i| {
        directory.search(&areq(&qs[i])).total + small.search(&rreq(&qs[i]), &geo).total
    });
    report("advisers + 960 resources", rounds, qs.len(), |i| {
        directory.search(&areq(&qs[i])).total + big.search(&rreq(&qs[i]), &geo).total
    });
}
