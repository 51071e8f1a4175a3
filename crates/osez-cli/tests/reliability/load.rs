//! The load suite: mixed traffic from wrk at 1,000 concurrent connections
//! for 60 s (`LOAD_SECS`, `LOAD_CONNECTIONS`), each connection a visitor
//! who waits 250–750 ms between requests (wrk's `delay`), so that the node
//! is offered about 2,000 requests a second, the national peak of searches
//! on one node. One wrk process per route, run together, gives each route
//! its own error count and latency percentiles; the table goes to the
//! standard error and to `target/reliability/load.md`.
//!
//! The suite fails on any error (a socket error or a status other than
//! 2xx/3xx); the latencies are reported, never asserted (shared machines).
//! `LOAD_THINK_MS=20,60` shortens the wait to find the node's limit; it
//! is meant to be reported, and may then fail on timeouts.

use std::fmt::Write as _;
use std::process::{Command, Stdio};

use crate::client;
use crate::common::Server;
use crate::{Backend, OPEN_CONSULTATION, unlimited};

/// A route of the mix: its name, its share of the connections, and its
/// wrk script.
struct Route {
    name: &'static str,
    share: f64,
    script: String,
}

/// What wrk said about one route.
#[derive(Debug, Default)]
struct Measured {
    requests: u64,
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    socket_errors: u64,
    timeouts: u64,
    non_2xx_3xx: u64,
}

/// Each connection's wait between two requests, in ms: 250–750 unless
/// `LOAD_THINK_MS` says otherwise ("20,60" offers about ten times as many
/// requests: the node's limit).
fn think_ms() -> (u32, u32) {
    std::env::var("LOAD_THINK_MS")
        .ok()
        .and_then(|v| {
            let (a, b) = v.split_once(',')?;
            Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
        })
        .filter(|(a, b)| a <= b)
        .unwrap_or((250, 750))
}

pub fn run(backend: &Backend, secs: u64, connections: usize) {
    let wrk = which("wrk").unwrap_or_else(|| panic!("wrk is missing (Debian: apt-get install -y wrk)"));
    let args = backend.serve_args(&unlimited());
    let server = Server::start_with(backend.dir(), &args.iter().map(String::as_str).collect::<Vec<_>>());
    let addr = server.addr.clone();
    let routes = routes(&addr);
    let work = tempfile::tempdir().unwrap();
    let children: Vec<_> = routes
        .iter()
        .map(|r| {
            let script = work.path().join(format!("{}.lua", r.name.replace(' ', "_")));
            std::fs::write(&script, &r.script).unwrap();
            let conns = ((connections as f64 * r.share).round() as usize).max(1);
            let child = Command::new(&wrk)
                .args(["-t1", &format!("-c{conns}"), &format!("-d{secs}s"), "--timeout", "10s", "--latency", "-s"])
                .arg(&script)
                .arg(format!("http://{addr}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("wrk starts");
            (r.name, conns, child)
        })
        .collect();
    let mut table = format!(
        "Load: {connections} connections for {secs} s, each waiting {}–{} ms between requests; {} backend\n\n\
         | route | connections | requests | requests/s | p50 | p99 | max | errors |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        think_ms().0,
        think_ms().1,
        backend.name()
    );
    let mut errors = 0;
    let mut total = Measured::default();
    for (name, conns, child) in children {
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "wrk failed for {name}: {text}{}", String::from_utf8_lossy(&out.stderr));
        let m = parse(&text);
        let e = m.socket_errors + m.timeouts + m.non_2xx_3xx;
        errors += e;
        total.requests += m.requests;
        total.rate += m.rate;
        let _ = writeln!(
            table,
            "| {name} | {conns} | {} | {:.0} | {:.1} ms | {:.1} ms | {:.0} ms | {e}{} |",
            m.requests,
            m.rate,
            m.p50_ms,
            m.p99_ms,
            m.max_ms,
            if e > 0 {
                format!(" ({} socket, {} timeouts, {} non-2xx/3xx)", m.socket_errors, m.timeouts, m.non_2xx_3xx)
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(table, "| all | {connections} | {} | {:.0} | | | | {errors} |", total.requests, total.rate);
    let (status, log) = server.stop();
    eprintln!("\n{table}");
    let report = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/reliability");
    let _ = std::fs::create_dir_all(&report);
    let _ = std::fs::write(report.join(format!("load-{}.md", backend.name())), &table);
    assert!(status.success(), "{log}");
    assert_eq!(errors, 0, "errors under load:\n{table}");
    assert!(!log.contains("page failed") && !log.contains("api failed"), "failures logged: {log}");
}

/// The mix: searches through the API and the page, pages read, votes.
fn routes(addr: &str) -> Vec<Route> {
    let searches = [
        "cybersecurite bordeaux",
        "ia lyon",
        "site internet rennes",
        "comptabilite lille",
        "reseaux sociaux marseille",
        "formation ia nantes",
        "boulangerie toulouse",
        "e-commerce strasbourg",
        "devis ia generative",
        "activateur 35",
    ];
    let enc: Vec<String> = searches.iter().map(|q| client::enc(q)).collect();
    let api: Vec<String> = enc.iter().map(|q| format!("/api/v1/advisers?q={q}&per_page=10")).collect();
    let page: Vec<String> = enc.iter().map(|q| format!("/recherche?q={q}")).collect();
    let advisers: serde_json::Value =
        serde_json::from_str(&client::get(addr, "/api/v1/advisers?per_page=20", None).unwrap().body).unwrap();
    let resources: serde_json::Value =
        serde_json::from_str(&client::get(addr, "/api/v1/resources?per_page=10", None).unwrap().body).unwrap();
    let mut pages = vec!["/".to_owned(), "/ressources".to_owned(), format!("/consultations/{OPEN_CONSULTATION}")];
    for a in advisers["hits"].as_array().into_iter().flatten().take(10) {
        pages.push(format!("/conseillers/{}", a["id"].as_str().unwrap()));
    }
    for r in resources["hits"].as_array().into_iter().flatten().take(5) {
        pages.push(format!("/ressources/{}", r["id"].as_str().unwrap()));
    }
    assert!(pages.len() > 10, "advisers and resources to read: {pages:?}");
    vec![
        Route { name: "search API", share: 0.35, script: get_script(&api) },
        Route { name: "search page", share: 0.25, script: get_script(&page) },
        Route { name: "pages", share: 0.25, script: get_script(&pages) },
        Route { name: "votes", share: 0.15, script: vote_script(addr) },
    ]
}

fn think() -> String {
    format!(
        "math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16))\n\
         delay = function() return math.random({}, {}) end\n",
        think_ms().0,
        think_ms().1
    )
}

fn lua_list(items: &[String]) -> String {
    items.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
}

fn get_script(paths: &[String]) -> String {
    format!(
        "{}paths = {{ {} }}\nrequest = function() return wrk.format(\"GET\", paths[math.random(#paths)]) end\n",
        think(),
        lua_list(paths)
    )
}

/// Votes of 100 participants, each on the proposals served to them.
fn vote_script(addr: &str) -> String {
    let mut people = Vec::new();
    for _ in 0..100 {
        let seq = client::get(addr, &format!("/api/v1/consultations/{OPEN_CONSULTATION}/sequence"), None).unwrap();
        let cookie = seq.cookie().unwrap();
        let served: serde_json::Value = serde_json::from_str(&seq.body).unwrap();
        let proposals: Vec<String> = served["proposals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{{ id = {}, key = {:?} }}", p["id"], p["key"].as_str().unwrap()))
            .collect();
        people.push(format!("{{ c = {cookie:?}, p = {{ {} }} }}", proposals.join(", ")));
    }
    format!(
        "{}people = {{ {} }}\nchoices = {{ \"agree\", \"disagree\", \"neutral\" }}\n\
         request = function()\n\
           local who = people[math.random(#people)]\n\
           local p = who.p[math.random(#who.p)]\n\
           local body = string.format('{{\"proposal_id\":%d,\"key\":\"%s\",\"vote\":\"%s\"}}', p.id, p.key, choices[math.random(3)])\n\
           return wrk.format(\"POST\", \"/api/v1/consultations/{OPEN_CONSULTATION}/votes\", {{ [\"Cookie\"] = who.c, [\"Content-Type\"] = \"application/json\" }}, body)\n\
         end\n",
        think(),
        people.join(",\n")
    )
}

/// Reads wrk's report (`--latency`).
fn parse(text: &str) -> Measured {
    let mut m = Measured::default();
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => m.p50_ms = ms(v),
            ["99%", v] => m.p99_ms = ms(v),
            ["Latency", _avg, _dev, max, ..] => m.max_ms = ms(max),
            ["Requests/sec:", v] => m.rate = v.parse().unwrap_or(0.0),
            [n, "requests", "in", ..] => m.requests = n.parse().unwrap_or(0),
            ["Non-2xx", "or", "3xx", "responses:", n] => m.non_2xx_3xx = n.parse().unwrap_or(0),
            ["Socket", "errors:", rest @ ..] => {
                // "connect 0, read 0, write 0, timeout 0"
                let numbers: Vec<u64> = rest.iter().filter_map(|w| w.trim_end_matches(',').parse().ok()).collect();
                if let [connect, read, write, timeout] = numbers.as_slice() {
                    m.socket_errors = connect + read + write;
                    m.timeouts = *timeout;
                }
            }
            _ => {}
        }
    }
    m
}

/// "1.25ms", "850.00us", "1.02s" in milliseconds.
fn ms(v: &str) -> f64 {
    let (number, factor) = if let Some(n) = v.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (v, 1.0)
    };
    number.parse::<f64>().unwrap_or(f64::NAN) * factor
}

fn which(tool: &str) -> Option<String> {
    let out = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn wrk_reports_are_read() {
    let text = "Running 1s test @ http://127.0.0.1:1\n  1 threads and 10 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     1.20ms  300.00us  15.03ms   90.00%\n  Latency Distribution\n     50%  850.00us\n     75%    1.10ms\n     90%    1.50ms\n     99%    2.25ms\n  1234 requests in 1.00s, 1.00MB read\n  Socket errors: connect 1, read 2, write 0, timeout 3\n  Non-2xx or 3xx responses: 4\nRequests/sec:   1234.00\n";
    let m = parse(text);
    assert_eq!((m.requests, m.socket_errors, m.timeouts, m.non_2xx_3xx), (1234, 3, 3, 4));
    assert!((m.p50_ms - 0.85).abs() < 1e-9 && (m.p99_ms - 2.25).abs() < 1e-9 && (m.max_ms - 15.03).abs() < 1e-9);
    assert!((m.rate - 1234.0).abs() < 1e-9);
}
