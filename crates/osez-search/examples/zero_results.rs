//! Zero-result report over the demo directory:
//! `cargo run --release -p osez-search --example zero_results`.
//!
//! Runs every meaningful query of `tests/queries/meaningful.json` (shared
//! with `tests/relevance.rs`: real needs the directory can serve, in
//! various phrasings, with typos, places and whole sentences) as the search
//! box sends them while typing, and prints the zero-result rate (target
//! ≤ 2 %), the queries that found nothing, the relaxation rate and the
//! latency (wall clock, informative only). It is a report: the exit code
//! is always 0.
//!
//! With arguments, explains those queries instead:
//! `cargo run -p osez-search --example zero_results -- "ia lyon" "75011"`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use osez_core::{Geography, demo};
use osez_search::{Engine, SearchRequest, SearchResults};

const QUERIES: &str = include_str!("../tests/queries/meaningful.json");
const TARGET_ZERO_RATE: f64 = 0.02;
/// Timed runs of each query, after one warm-up run.
const RUNS: usize = 5;

fn request(q: &str, typing: bool) -> SearchRequest {
    SearchRequest { q: q.to_string(), page: 1, per_page: 10, typing, ..Default::default() }
}

fn explain(engine: &Engine, q: &str) {
    let r = engine.search(&request(q, true));
    println!(
        "{q:?}: {} results, words {:?}, place {:?}, kind {:?}, remote {:?}",
        r.total,
        r.words,
        r.place.as_ref().map(|p| (&p.label, p.radius_km)),
        r.kind,
        r.remote
    );
    for x in &r.relaxed {
        println!("  relaxed: {}", x.message());
    }
    for h in &r.hits {
        let a = &engine.advisers()[h.ord];
        println!(
            "  {:.3} {:>7} {} [{}] {} ({}) remote={} {:?} {:?}",
            h.score,
            h.distance_km.map_or(String::new(), |d| format!("{d:.1} km")),
            a.name,
            a.kind.slug(),
            a.commune,
            a.department,
            a.remote,
            a.specialties.iter().map(|s| s.slug()).collect::<Vec<_>>(),
            a.sectors.iter().map(|s| s.slug()).collect::<Vec<_>>()
        );
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let geo = Arc::new(Geography::embedded().expect("embedded geography"));
    let started = Instant::now();
    let engine = Engine::in_ram(demo::generate(&geo, demo::DEFAULT_SEED), geo).expect("engine");
    let build = started.elapsed();

    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        for q in &args {
            explain(&engine, q);
        }
        return;
    }

    let queries: Vec<String> = match serde_json::from_str(QUERIES) {
        Ok(q) => q,
        Err(e) => {
            println!("tests/queries/meaningful.json is not a JSON list of strings: {e}");
            return;
        }
    };
    let n = queries.len();
    let mut zero: Vec<&str> = Vec::new();
    let mut relaxed: Vec<(&str, SearchResults)> = Vec::new();
    let mut zero_submitted = 0usize;
    let mut times: Vec<Duration> = Vec::with_capacity(n * RUNS);
    for q in &queries {
        let r = engine.search(&request(q, true));
        for _ in 0..RUNS {
            let t = Instant::now();
            let again = engine.search(&request(q, true));
            times.push(t.elapsed());
            std::hint::black_box(again);
        }
        if engine.search(&request(q, false)).total == 0 {
            zero_submitted += 1;
        }
        if r.total == 0 {
            zero.push(q);
        } else if !r.relaxed.is_empty() {
            relaxed.push((q, r));
        }
    }
    times.sort_unstable();
    let pct = |k: usize| 100.0 * k as f64 / n.max(1) as f64;
    let zero_rate = zero.len() as f64 / n.max(1) as f64;

    println!("Osez search — zero-result report");
    println!(
        "demo directory: {} advisers, seed {}, engine built in {build:.2?}",
        engine.advisers().len(),
        demo::DEFAULT_SEED
    );
    println!("queries: {n} meaningful queries (tests/queries/meaningful.json), typed as you go");
    println!();
    println!(
        "ZERO RESULTS: {} of {n} = {:.1} % (target ≤ {:.0} %) → {}",
        zero.len(),
        pct(zero.len()),
        TARGET_ZERO_RATE * 100.0,
        if zero_rate <= TARGET_ZERO_RATE { "OK" } else { "ABOVE TARGET" }
    );
    for q in &zero {
        println!("  - {q:?}");
    }
    println!(
        "  (same queries submitted, no prefix on the last word: {} with zero results, {:.1} %)",
        zero_submitted,
        pct(zero_submitted)
    );
    println!();
    println!(
        "RELAXED: {} of {n} = {:.1} % found something only after relaxing the request",
        relaxed.len(),
        pct(relaxed.len())
    );
    for (q, r) in &relaxed {
        let why: Vec<String> = r.relaxed.iter().map(|x| x.message()).collect();
        println!("  - {q:?} ({} results): {}", r.total, why.join(" "));
    }
    println!();
    println!(
        "LATENCY over {} searches (wall clock, informative only): p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        times.len(),
        percentile(&times, 50.0),
        percentile(&times, 99.0),
        times.last().copied().unwrap_or_default()
    );
}
