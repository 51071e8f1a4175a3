//! Prints the top results of a query over the demo directory:
//! `cargo run -p osez-search --example try -- "ia lyon"`.

use std::sync::Arc;

use osez_core::{Geography, demo};
use osez_search::{Engine, SearchRequest};

fn main() {
    let geo = Arc::new(Geography::embedded().expect("geography"));
    let engine = Engine::in_ram(demo::generate(&geo, demo::DEFAULT_SEED), geo).expect("engine");
    for q in std::env::args().skip(1) {
        let t = std::time::Instant::now();
        let r = engine.search(&SearchRequest { q: q.clone(), page: 1, per_page: 5, ..Default::default() });
        println!(
            "{q:?}: {} results in {:?}, words {:?}, place {:?}",
            r.total,
            t.elapsed(),
            r.words,
            r.place.as_ref().map(|p| &p.label)
        );
        for rel in &r.relaxed {
            println!("  relaxed: {}", rel.message());
        }
        for h in &r.hits {
            let a = &engine.advisers()[h.ord];
            println!(
                "  {:.3} {:>6?} km  {} [{}] {} — {:?}",
                h.score,
                h.distance_km,
                a.name,
                a.kind.slug(),
                a.commune,
                a.specialties.iter().map(|s| s.slug()).collect::<Vec<_>>()
            );
        }
    }
}
