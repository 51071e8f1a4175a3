//! Consultations through the real binary: a Pol.is conversation imported
//! and exported row for row, a malformed file refused in French with
//! nothing saved, and votes acknowledged under load that survive a
//! SIGKILL.

mod common;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use osez_store::{ConsultationStatus, Moderation, NewConsultation, Origin, Store};
use sha2::{Digest, Sha256};

fn osez(args: &[&str], data_dir: &Path) -> std::process::Output {
    std::process::Command::new(BIN).args(args).arg("--data-dir").arg(data_dir).output().expect("run osez")
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A small conversation: 6 comments (one moderated out), 40 voters.
fn conversation(dir: &Path) {
    let mut comments =
        String::from("timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n");
    for i in 0..6 {
        let moderated = if i == 4 { -1 } else { 1 };
        comments.push_str(&format!(
            "{},x,{},{},0,0,{moderated},\"Commentaire {i}, avec une virgule\"\n",
            1_534_000_000 + i,
            i + 10,
            i % 3
        ));
    }
    write(dir, "comments.csv", &comments);
    let mut votes = String::from("timestamp,datetime,comment-id,voter-id,vote\n");
    let mut t = 1_534_100_000;
    for voter in 0..40 {
        for c in 0..6 {
            t += 1;
            let v = if (voter + c) % 3 == 0 {
                -1
            } else if voter % 2 == 0 {
                1
            } else {
                0
            };
            votes.push_str(&format!("{t},x,{},{},{v}\n", c + 10, voter * 7));
        }
    }
    write(dir, "votes.csv", &votes);
    write(dir, "summary.csv", "topic,Une conversation\nurl,https://pol.is/x\n");
}

/// The lines of a CSV file without the given columns (those that are ours
/// to recompute: the datetime text, the counts).
fn columns(text: &str, keep: &[usize]) -> Vec<String> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let mut out: Vec<String> = r
        .records()
        .map(|rec| keep.iter().map(|&i| rec.as_ref().unwrap()[i].to_owned()).collect::<Vec<_>>().join("|"))
        .collect();
    out.sort();
    out
}

#[test]
fn a_polis_conversation_comes_back_out_row_for_row() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, data, output) = (tmp.path().join("conversation"), tmp.path().join("data"), tmp.path().join("export"));
    std::fs::create_dir_all(&input).unwrap();
    conversation(&input);
    let out = osez(&["consultation", "import-polis", input.to_str().unwrap(), "--slug", "conversation"], &data);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = osez(&["consultation", "check", "conversation"], &data);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = osez(&["consultation", "export", "conversation", output.to_str().unwrap()], &data);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let read = |dir: &Path, name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    // timestamp, comment-id, voter-id, vote
    assert_eq!(columns(&read(&input, "votes.csv"), &[0, 2, 3, 4]), columns(&read(&output, "votes.csv"), &[0, 2, 3, 4]));
    // timestamp, comment-id, author-id, moderated, comment-body
    assert_eq!(
        columns(&read(&input, "comments.csv"), &[0, 2, 3, 6, 7]),
        columns(&read(&output, "comments.csv"), &[0, 2, 3, 6, 7])
    );
    let summary = read(&output, "summary.csv");
    assert!(summary.contains("topic,Une conversation") && summary.contains("voters,40"), "{summary}");
    let results: serde_json::Value = serde_json::from_str(&read(&output, "results.json")).unwrap();
    assert_eq!(results["proposals"].as_array().unwrap().len(), 5, "the moderated-out comment is out of the results");
    assert_eq!(results["participants"], 40);
    let participants = read(&output, "participants-votes.csv");
    assert_eq!(participants.lines().count(), 41);
    assert!(participants.lines().next().unwrap().ends_with(",10,11,12,13,14,15"));

    // The same address again: refused, in French.
    let out = osez(&["consultation", "import-polis", input.to_str().unwrap(), "--slug", "conversation"], &data);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("a déjà l'adresse"));
}

#[test]
fn a_malformed_polis_file_is_refused_in_french_and_saves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, data) = (tmp.path().join("cassee"), tmp.path().join("data"));
    std::fs::create_dir_all(&input).unwrap();
    conversation(&input);
    let mut votes = std::fs::read_to_string(input.join("votes.csv")).unwrap();
    votes.push_str("1534200000,x,10,3,2\n");
    write(&input, "votes.csv", &votes);
    let out = osez(&["consultation", "import-polis", input.to_str().unwrap()], &data);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("votes.csv, ligne 242") && err.contains("rien n'a été enregistré"), "{err}");
    let out = osez(&["consultation", "check", "cassee"], &data);
    assert!(String::from_utf8_lossy(&out.stderr).contains("aucune consultation"), "nothing was saved");
}

/// A raw HTTP exchange; the status, the head and the body.
fn http(addr: &str, request: &str) -> Option<(u16, String, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(15))).ok()?;
    s.write_all(request.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    Some((status, head.to_owned(), body.to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_votes_survive_a_sigkill_under_load() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().to_path_buf();
    // An open consultation of 40 accepted proposals, written before the
    // server starts.
    let store = Store::open_sqlite(&data).await.unwrap();
    store.migrate().await.unwrap();
    let now = osez_web::now_ms();
    let id = store
        .create_consultation(&NewConsultation {
            slug: "charge",
            title: "Charge",
            question: "Charge ?",
            description: "",
            opens_at: now - 1_000,
            closes_at: now + 86_400_000,
            status: ConsultationStatus::Published,
            origin: Origin::Osez,
        })
        .await
        .unwrap();
    for i in 0..40 {
        let p =
            store.submit_proposal(id, &format!("auteur{i}"), None, &format!("Il faut l'idée {i}"), None).await.unwrap();
        store.moderate_proposal(p.id, Moderation::Accept, "m", |_, _| None).await.unwrap();
    }
    store.close().await;

    let unlimited = [
        "--no-demo",
        "--search-per-minute",
        "0",
        "--votes-per-minute",
        "0",
        "--participant-votes-per-minute",
        "0",
        "--participants-per-hour",
        "0",
    ];
    let server = Server::start_with(&data, &unlimited);
    let addr = server.addr.clone();
    // (token hash, proposal id) of every vote answered 200.
    let acked: Arc<Mutex<Vec<(String, i64)>>> = Arc::default();
    let stop_at = Instant::now() + Duration::from_millis(1_500);
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (addr, acked) = (addr.clone(), acked.clone());
            std::thread::spawn(move || {
                // Bounded: at most 60 participants per client.
                for _ in 0..60 {
                    let get = format!("GET /api/v1/consultations/charge/sequence HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
                    let Some((200, head, body)) = http(&addr, &get) else { return };
                    let cookie = head
                        .lines()
                        .find_map(|l| l.strip_prefix("set-cookie: "))
                        .and_then(|c| c.split(';').next())
                        .unwrap()
                        .to_owned();
                    let token = cookie.split_once('=').unwrap().1.split('.').next().unwrap().to_owned();
                    let hash: String = Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
                    let served: serde_json::Value = serde_json::from_str(&body).unwrap();
                    for p in served["proposals"].as_array().unwrap() {
                        let body = serde_json::json!({ "proposal_id": p["id"], "key": p["key"], "vote": "agree" }).to_string();
                        let post = format!(
                            "POST /api/v1/consultations/charge/votes HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        match http(&addr, &post) {
                            Some((200, _, _)) => acked.lock().unwrap().push((hash.clone(), p["id"].as_i64().unwrap())),
                            Some((status, _, answer)) => panic!("vote answered {status}: {answer}"),
                            None => return, // The server is gone.
                        }
                    }
                    if Instant::now() > stop_at {
                        // Keep voting until killed, but not forever.
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            })
        })
        .collect();
    while Instant::now() < stop_at {
        std::thread::sleep(Duration::from_millis(50));
    }
    let before_kill = acked.lock().unwrap().len();
    server.kill_hard();
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(before_kill > 50, "the load ran: {before_kill} votes acknowledged before the kill");

    let store = Store::open_sqlite(&data).await.unwrap();
    let mut missing = 0;
    let people: HashSet<&String> = acked.iter().map(|(h, _)| h).collect();
    for hash in people {
        let voted: HashSet<i64> = store.voted_proposals(id, hash).await.unwrap().into_iter().collect();
        missing += acked.iter().filter(|(h, p)| h == hash && !voted.contains(p)).count();
    }
    assert_eq!(missing, 0, "every acknowledged vote is there ({} acknowledged)", acked.len());
    // The kept counts equal a recount, and the database is sound.
    let recount = store.recount(id).await.unwrap();
    for p in store.proposals(id, None).await.unwrap() {
        assert_eq!(p.tally, recount[&p.id]);
    }
    let total: u64 = recount.values().map(|t| t.total()).sum();
    assert!(total >= acked.len() as u64, "{total} counted, {} acknowledged", acked.len());
    eprintln!("{} votes acknowledged before or during the kill, {total} counted after it", acked.len());
    let out = osez(&["consultation", "check", "charge"], &data);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
