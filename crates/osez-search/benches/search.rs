//! Search latency over the 4,300 demo advisers, and SQLite FTS5 on the same
//! data and queries, side by side.
//!
//! `cargo bench -p osez-search --bench search`
//!
//! Two kinds of figures are printed:
//! 1. "PERCENTILES": a plain timing loop over the whole query set (each
//!    query run `OSEZ_BENCH_ROUNDS` times, 30 by default, every call timed
//!    alone), p50/p90/p99/max per engine, zero-result counts, the ratio, and
//!    the slowest queries of Osez. These are the figures compared with the
//!    targets (p50 ≤ 1 ms, p99 ≤ 5 ms) in docs/BENCHMARKS.md.
//! 2. criterion's own measurements (means per benchmark): the whole set
//!    per iteration, and a few single queries.
//!
//! Nothing here asserts a time. Under `cargo test --benches` (no `--bench`
//! argument) the loop runs one round only.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use osez_core::{Adviser, Geography, Kind, Specialty, demo};
use osez_search::{Engine, SearchRequest};
use rusqlite::{Connection, params};

/// One query of the set, with the filters a form or the API would add.
#[derive(Clone, Copy)]
struct Case {
    group: &'static str,
    q: &'static str,
    kind: Option<Kind>,
    specialty: Option<Specialty>,
    department: Option<&'static str>,
    remote: Option<bool>,
}

const fn q(group: &'static str, q: &'static str) -> Case {
    Case { group, q, kind: None, specialty: None, department: None, remote: None }
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for s in [
        "cybersécurité",
        "comptabilité",
        "référencement",
        "marketing",
        "ia",
        "rgpd",
        "seo",
        "site web",
        "e-commerce",
        "facturation",
        "recrutement",
        "chatgpt",
        "boulangerie",
        "restaurant",
        "tourisme",
        "crm",
        "cloud",
        "paie",
        "newsletter",
        "linkedin",
    ] {
        v.push(q("exact", s));
    }
    for s in [
        "cybersecurite",
        "comptabilite",
        "referencement",
        "donnees",
        "strategie numerique",
        "securite informatique",
        "hotel",
        "batiment",
        "sante",
        "electricien",
        "tresorerie",
        "independant",
        "fidelisation",
        "visibilite",
        "publicite",
    ] {
        v.push(q("accents", s));
    }
    for s in [
        "cyebrsécurité",
        "comptabilté",
        "referencment",
        "marketting",
        "recrutment",
        "facturaton",
        "chatgtp",
        "linkdin",
        "instagramm",
        "boulangrie",
        "restaurnt",
        "rançongicel",
        "logitique",
        "agricultre",
        "cybersécurité et sauvgarde",
    ] {
        v.push(q("typos", s));
    }
    for s in [
        "Je cherche un ambassadeur IA à distance pour mon entreprise",
        "j'ai besoin d'aide pour créer mon site internet à Lille",
        "comment protéger mon entreprise contre le piratage",
        "je voudrais vendre en ligne les produits de ma boulangerie",
        "qui peut m'aider à faire ma comptabilité",
        "un expert près de Nantes pour le référencement",
        "aide pour utiliser chatgpt dans mon restaurant",
        "je veux améliorer ma visibilité sur google",
        "formation réseaux sociaux pour commerçant",
        "mettre en place la facture électronique dans mon cabinet",
        "besoin d'un tableau de bord pour suivre mes ventes",
        "recruter un alternant et gérer la paie",
        "sauvegarde des données de mon cabinet médical",
        "créer une boutique en ligne pour mon gîte",
        "intelligence artificielle pour une PME industrielle",
    ] {
        v.push(q("sentence", s));
    }
    for s in [
        "ia lyon",
        "cybersécurité 33000",
        "marketing en Bretagne",
        "site web st etienne",
        "comptabilité dans le 33",
        "ia corse du sud",
        "seo Toulouse",
        "rgpd Paris",
        "e-commerce Marseille",
        "activateur Lille",
        "cloud 75011",
        "restaurant Nice",
        "ia près de Rennes",
        "référencement Montpellier",
        "cybersécurité en Occitanie",
        "ambassadeur IA Grand Est",
        "site internet Strasbourg",
        "chatgpt Bordeaux",
        "comptabilité 69003",
        "marketing Brest",
    ] {
        v.push(q("place", s));
    }
    let facet = |text: &'static str| q("facets", text);
    v.push(Case { kind: Some(Kind::AmbassadeurIa), ..facet("") });
    v.push(Case { department: Some("33"), ..facet("marketing") });
    v.push(Case { specialty: Some(Specialty::Cybersecurite), department: Some("75"), ..facet("") });
    v.push(Case { remote: Some(true), ..facet("ia") });
    v.push(Case { kind: Some(Kind::Activateur), specialty: Some(Specialty::SiteWebEcommerce), ..facet("site web") });
    v.push(Case { department: Some("69"), ..facet("comptabilité") });
    v.push(Case { department: Some("2A"), ..facet("") });
    v.push(Case { kind: Some(Kind::AmbassadeurIa), remote: Some(true), ..facet("chatgpt") });
    v.push(Case { specialty: Some(Specialty::Donnees), ..facet("rgpd") });
    v.push(Case { department: Some("13"), remote: Some(false), ..facet("restaurant") });
    for s in [
        "c",
        "cy",
        "cyb",
        "cybers",
        "compt",
        "mark",
        "ia ly",
        "site w",
        "référ",
        "rg",
        "chat",
        "boul",
        "marketing bor",
        "seo toul",
        "recru",
        "fact",
        "cloud par",
    ] {
        v.push(q("prefix", s));
    }
    v
}

fn request(c: &Case) -> SearchRequest {
    SearchRequest {
        q: c.q.to_string(),
        kind: c.kind,
        specialty: c.specialty,
        department: c.department.map(str::to_string),
        remote: c.remote,
        page: 1,
        per_page: 20,
        typing: true,
        ..Default::default()
    }
}

// ---------------------------------------------------------------- FTS5 ---

#[derive(Clone, Copy, PartialEq)]
enum Fts5Mode {
    /// Every word must match (as Osez before relaxation).
    And,
    /// Any word may match, bm25 ranks.
    Or,
}

struct Fts5 {
    conn: Connection,
}

impl Fts5 {
    fn build(advisers: &[Adviser]) -> Self {
        let conn = Connection::open_in_memory().expect("in-memory SQLite");
        conn.execute_batch(
            "CREATE VIRTUAL TABLE fts USING fts5(
                 name, tags, description,
                 tokenize = 'unicode61 remove_diacritics 2',
                 prefix = '2 3'
             );
             CREATE TABLE meta(
                 id INTEGER PRIMARY KEY,
                 kind TEXT NOT NULL,
                 department TEXT NOT NULL,
                 remote INTEGER NOT NULL,
                 specialties TEXT NOT NULL
             );",
        )
        .expect("FTS5 is compiled in (rusqlite `bundled`)");
        let tx = conn.unchecked_transaction().expect("transaction");
        {
            let mut fts = tx
                .prepare("INSERT INTO fts(rowid, name, tags, description) VALUES (?1, ?2, ?3, ?4)")
                .expect("insert fts");
            let mut meta = tx
                .prepare("INSERT INTO meta(id, kind, department, remote, specialties) VALUES (?1, ?2, ?3, ?4, ?5)")
                .expect("insert meta");
            for (ord, a) in advisers.iter().enumerate() {
                let id = ord as i64;
                fts.execute(params![id, a.name, osez_search::tags_text(a), a.description]).expect("insert");
                let specialties: String = a.specialties.iter().map(|s| format!(",{},", s.slug())).collect();
                meta.execute(params![id, a.kind.slug(), a.department, a.remote, specialties]).expect("insert");
            }
        }
        tx.commit().expect("commit");
        conn.execute_batch("INSERT INTO fts(fts) VALUES ('optimize');").expect("optimize");
        Fts5 { conn }
    }

    /// The FTS5 MATCH expression for a query typed in a search box: each
    /// token (split on what is not a letter or digit, as unicode61 does)
    /// quoted, so no input is read as FTS5 syntax; the last one a prefix
    /// while typing. `None` when the query has no token.
    fn match_expr(q: &str, mode: Fts5Mode, typing: bool) -> Option<String> {
        let tokens: Vec<String> =
            q.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_lowercase).collect();
        if tokens.is_empty() {
            return None;
        }
        let prefix_last = typing && !q.ends_with(char::is_whitespace);
        let n = tokens.len();
        let quoted: Vec<String> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| {
                // Tokens are alphanumeric only; doubling quotes is the FTS5
                // escape should that ever change.
                let t = t.replace('"', "\"\"");
                if prefix_last && i == n - 1 { format!("\"{t}\"*") } else { format!("\"{t}\"") }
            })
            .collect();
        Some(quoted.join(if mode == Fts5Mode::And { " AND " } else { " OR " }))
    }

    /// Every match ranked by bm25 (same field weights as Osez: name 2, tags
    /// 1.5, description 1), filtered by the structured filters; returns
    /// (total, first page). Place names in the text are plain words here.
    fn search(&self, c: &Case, mode: Fts5Mode) -> (usize, Vec<i64>) {
        let filters = "(?2 IS NULL OR m.kind = ?2)
             AND (?3 IS NULL OR instr(m.specialties, ?3) > 0)
             AND (?4 IS NULL OR m.department = ?4)
             AND (?5 IS NULL OR m.remote = ?5)";
        let kind = c.kind.map(|k| k.slug());
        let specialty = c.specialty.map(|s| format!(",{},", s.slug()));
        let department = c.department;
        let remote = c.remote;
        let mut out = Vec::with_capacity(20);
        let mut total = 0;
        let mut take = |id: i64| {
            if out.len() < 20 {
                out.push(id);
            }
            total += 1;
        };
        match Self::match_expr(c.q, mode, true) {
            Some(expr) => {
                let sql = format!(
                    "SELECT f.rowid FROM fts f JOIN meta m ON m.id = f.rowid
                     WHERE fts MATCH ?1 AND {filters}
                     ORDER BY bm25(fts, 2.0, 1.5, 1.0)"
                );
                let mut st = self.conn.prepare_cached(&sql).expect("prepare");
                let mut rows = st.query(params![expr, kind, specialty, department, remote]).expect("query");
                while let Some(r) = rows.next().expect("row") {
                    take(r.get(0).expect("rowid"));
                }
            }
            None => {
                let sql = format!("SELECT m.id FROM meta m WHERE ?1 IS NULL AND {filters} ORDER BY m.id");
                let mut st = self.conn.prepare_cached(&sql).expect("prepare");
                let none: Option<String> = None;
                let mut rows = st.query(params![none, kind, specialty, department, remote]).expect("query");
                while let Some(r) = rows.next().expect("row") {
                    take(r.get(0).expect("id"));
                }
            }
        }
        (total, out)
    }
}

// --------------------------------------------------------- percentiles ---

struct Stats {
    name: &'static str,
    /// Every call, sorted.
    all: Vec<Duration>,
    zero: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// Runs `f` on every case `rounds` times (round-robin over the set, after
/// one warm-up round), timing each call alone. Returns the stats and the
/// median per case.
fn measure<F: FnMut(usize) -> usize>(
    name: &'static str,
    set: &[Case],
    rounds: usize,
    mut f: F,
) -> (Stats, Vec<Duration>) {
    let mut zero = 0;
    for i in 0..set.len() {
        if f(i) == 0 {
            zero += 1;
        }
    }
    let mut per_case: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); set.len()];
    for _ in 0..rounds {
        for (i, times) in per_case.iter_mut().enumerate() {
            let t = Instant::now();
            black_box(f(black_box(i)));
            times.push(t.elapsed());
        }
    }
    let mut all: Vec<Duration> = per_case.iter().flatten().copied().collect();
    all.sort_unstable();
    let medians = per_case
        .into_iter()
        .map(|mut v| {
            v.sort_unstable();
            percentile(&v, 50.0)
        })
        .collect();
    (Stats { name, all, zero }, medians)
}

fn print_stats(s: &Stats, set_len: usize) {
    let mean = s.all.iter().sum::<Duration>() / s.all.len().max(1) as u32;
    println!(
        "  {:<22} p50 {:>10}  p90 {:>10}  p99 {:>10}  max {:>10}  mean {:>10}  zero-result queries {}/{}",
        s.name,
        ms(percentile(&s.all, 50.0)),
        ms(percentile(&s.all, 90.0)),
        ms(percentile(&s.all, 99.0)),
        ms(*s.all.last().unwrap_or(&Duration::ZERO)),
        ms(mean),
        s.zero,
        set_len,
    );
}

fn percentiles_report(engine: &Engine, fts: &Fts5, set: &[Case], rounds: usize) {
    let reqs: Vec<SearchRequest> = set.iter().map(request).collect();
    println!();
    println!(
        "=== PERCENTILES (plain timing loop, not criterion): {} queries x {} rounds, per-call wall time, one thread ===",
        set.len(),
        rounds
    );
    let (osez, osez_medians) = measure("osez (tantivy)", set, rounds, |i| engine.search(&reqs[i]).total);
    let (and, _) = measure("fts5 AND, prefix last", set, rounds, |i| fts.search(&set[i], Fts5Mode::And).0);
    let (or, _) = measure("fts5 OR, prefix last", set, rounds, |i| fts.search(&set[i], Fts5Mode::Or).0);
    for s in [&osez, &and, &or] {
        print_stats(s, set.len());
    }
    for other in [&and, &or] {
        println!(
            "  ratio osez / {:<22} p50 x{:.2}  p99 x{:.2}",
            other.name,
            percentile(&osez.all, 50.0).as_secs_f64() / percentile(&other.all, 50.0).as_secs_f64(),
            percentile(&osez.all, 99.0).as_secs_f64() / percentile(&other.all, 99.0).as_secs_f64(),
        );
    }
    // Which queries FTS5 (AND) finds nothing for, and how Osez answers them.
    let mut fts_zero = Vec::new();
    let mut relaxed = 0;
    for (c, r) in set.iter().zip(&reqs) {
        let res = engine.search(r);
        if !res.relaxed.is_empty() {
            relaxed += 1;
        }
        if fts.search(c, Fts5Mode::And).0 == 0 {
            fts_zero.push(format!("{:?} (osez: {})", c.q, res.total));
        }
    }
    println!("  osez answers {relaxed} of the queries only after relaxing them");
    println!(
        "  fts5 AND finds nothing for: {}",
        if fts_zero.is_empty() { "-".to_string() } else { fts_zero.join(", ") }
    );

    // Per group, and the slowest queries of Osez.
    println!("  osez median per call, by group:");
    let mut groups: Vec<&str> = set.iter().map(|c| c.group).collect();
    groups.dedup();
    for g in groups {
        let mut m: Vec<Duration> =
            set.iter().zip(&osez_medians).filter(|(c, _)| c.group == g).map(|(_, d)| *d).collect();
        m.sort_unstable();
        println!(
            "    {:<9} {:>3} queries  median {:>10}  slowest {:>10}",
            g,
            m.len(),
            ms(percentile(&m, 50.0)),
            ms(*m.last().unwrap_or(&Duration::ZERO))
        );
    }
    let mut slow: Vec<(Duration, &Case)> = osez_medians.iter().copied().zip(set).collect();
    slow.sort_by_key(|s| std::cmp::Reverse(s.0));
    println!("  osez slowest queries (median of {rounds} calls):");
    for (d, c) in slow.iter().take(10) {
        let r = engine.search(&request(c));
        println!(
            "    {:>10}  {:<9} {:?}  -> {} results, words {:?}, relaxed {}",
            ms(*d),
            c.group,
            c.q,
            r.total,
            r.words,
            r.relaxed.len()
        );
    }
    println!("=== END PERCENTILES ===");
    println!();
}

fn main() {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let rounds: usize =
        std::env::var("OSEZ_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(if bench_mode { 30 } else { 1 });

    let t = Instant::now();
    let geo = Geography::embedded().expect("geography");
    let advisers = demo::generate(&geo, demo::DEFAULT_SEED);
    let engine = Engine::in_ram(advisers, Arc::new(geo)).expect("engine");
    let osez_build = t.elapsed();
    let t = Instant::now();
    let fts = Fts5::build(engine.advisers());
    let fts_build = t.elapsed();
    let set = cases();
    println!(
        "{} advisers; osez engine built in {} (demo generation + index + vocabulary of {} words); FTS5 table built in {}; {} queries",
        engine.advisers().len(),
        ms(osez_build),
        engine.vocabulary_size(),
        ms(fts_build),
        set.len()
    );

    percentiles_report(&engine, &fts, &set, rounds);

    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6))
        .configure_from_args();
    let reqs: Vec<SearchRequest> = set.iter().map(request).collect();
    {
        let mut g = c.benchmark_group("whole_set");
        // One iteration is 112 searches (tens of ms): fewer, longer samples.
        g.sample_size(10).measurement_time(Duration::from_secs(8));
        g.bench_function("osez", |b| {
            b.iter(|| {
                for r in &reqs {
                    black_box(engine.search(black_box(r)));
                }
            })
        });
        g.bench_function("fts5_and", |b| {
            b.iter(|| {
                for case in &set {
                    black_box(fts.search(black_box(case), Fts5Mode::And));
                }
            })
        });
        g.bench_function("fts5_or", |b| {
            b.iter(|| {
                for case in &set {
                    black_box(fts.search(black_box(case), Fts5Mode::Or));
                }
            })
        });
        g.finish();
    }
    {
        let mut g = c.benchmark_group("single");
        for text in
            ["cybersécurité", "cyb", "ia lyon", "marketting", "j'ai besoin d'aide pour créer mon site internet à Lille"]
        {
            let case = set.iter().find(|x| x.q == text).expect("query of the set");
            let r = request(case);
            g.bench_function(format!("osez {text:?}"), |b| b.iter(|| black_box(engine.search(black_box(&r)))));
            g.bench_function(format!("fts5_and {text:?}"), |b| {
                b.iter(|| black_box(fts.search(black_box(case), Fts5Mode::And)))
            });
        }
        g.finish();
    }
    c.final_summary();
}
