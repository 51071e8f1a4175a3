//! Relevance of the resource search over the starter content: queries in
//! plain business words (`queries/resources.tsv`), each with the resources
//! that answer it. Reports success@3, MRR@10 and the zero-result rate;
//! `cargo test -p osez-search --test resource_relevance -- --nocapture`
//! prints every miss.

use std::sync::OnceLock;

use osez_core::Geography;
use osez_core::resource::starter;
use osez_search::{ResourceEngine, ResourceRequest};

/// 2026-12-02, noon UTC: places the upcoming demo webinar.
const NOW: i64 = 1_796_212_800_000;
/// Share of queries with an acceptable resource in the top 3.
const SUCCESS_AT_3_GOAL: f64 = 0.90;
const ZERO_RESULT_GOAL: f64 = 0.02;

fn geo() -> &'static Geography {
    static GEO: OnceLock<Geography> = OnceLock::new();
    GEO.get_or_init(|| Geography::embedded().expect("embedded geography"))
}

fn cases() -> Vec<(String, Vec<String>)> {
    include_str!("queries/resources.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (q, expected) = l.split_once('\t').expect("query<TAB>slugs");
            (q.to_string(), expected.split(',').map(String::from).collect())
        })
        .collect()
}

#[test]
fn resource_queries_find_an_answer_in_the_top_3() {
    let engine = ResourceEngine::new(starter::all(NOW).unwrap()).unwrap();
    let cases = cases();
    assert!(cases.len() >= 40, "the suite holds at least 40 queries ({})", cases.len());
    for (_, expected) in &cases {
        for slug in expected {
            assert!(engine.find(slug).is_some(), "unknown slug {slug}");
        }
    }
    let (mut success, mut rr, mut zero) = (0usize, 0.0f64, 0usize);
    let mut misses = Vec::new();
    for (q, expected) in &cases {
        let req = ResourceRequest { q: q.clone(), page: 1, per_page: 10, ..Default::default() };
        let res = engine.search(&req, geo());
        if res.total == 0 {
            zero += 1;
        }
        let slugs: Vec<&str> = res.hits.iter().map(|h| engine.resources()[h.ord].slug.as_str()).collect();
        let rank = slugs.iter().position(|s| expected.iter().any(|e| e == s));
        if let Some(r) = rank {
            rr += 1.0 / (r as f64 + 1.0);
        }
        if rank.is_some_and(|r| r < 3) {
            success += 1;
        } else {
            misses.push(format!(
                "{q:?}: rank {:?}, top 3 {:?}, relaxed {:?}",
                rank.map(|r| r + 1),
                &slugs[..slugs.len().min(3)],
                res.relaxed
            ));
        }
    }
    let n = cases.len() as f64;
    let (success_rate, mrr, zero_rate) = (success as f64 / n, rr / n, zero as f64 / n);
    println!(
        "{} resource queries: success@3 {success_rate:.3}, MRR@10 {mrr:.3}, zero results {zero_rate:.3}",
        cases.len()
    );
    for m in &misses {
        println!("  miss {m}");
    }
    assert!(zero_rate <= ZERO_RESULT_GOAL, "zero-result rate {zero_rate:.3}");
    assert!(success_rate >= SUCCESS_AT_3_GOAL, "success@3 {success_rate:.3} < {SUCCESS_AT_3_GOAL}");
}
