//! The open data reproduces every figure of the results: counts, shares,
//! zones, participants, and the opinion groups recomputed from votes.csv
//! alone.

mod common;

use std::collections::{BTreeMap, HashMap};

use axum::http::{StatusCode, header};
use common::*;
use osez_core::consultation::demo;
use osez_core::consultation::groups::opinion_groups;
use osez_core::consultation::polis::{read_comments, read_votes};
use osez_core::consultation::tally::tally;
use osez_core::consultation::{CastVote, Vote};
use osez_store::{ConsultationStatus, NewConsultation, Origin, demo_bulk};
use serde_json::Value;

#[tokio::test]
async fn the_open_data_reproduces_the_results() {
    for (name, state, store) in apps().await {
        let (proposals, votes) = demo_bulk(&demo::OPEN_PROPOSALS, &demo::open_votes(0, 1_000), 0);
        let new = NewConsultation {
            slug: "tpe",
            title: "L'IA dans les TPE, avec des = et des \"guillemets\"",
            question: "Comment ?",
            description: "Test.",
            opens_at: 0,
            closes_at: 1_000,
            status: ConsultationStatus::Published,
            origin: Origin::Demo,
        };
        store.import_consultation(&new, &proposals, &votes).await.unwrap();

        let (status, _, body) = get(&state, "/api/v1/consultations/tpe/results", None).await;
        assert_eq!(status, StatusCode::OK);
        let results: Value = serde_json::from_str(&body).unwrap();

        let download = |file: &'static str| {
            let state = state.clone();
            async move {
                let (status, headers, body) = get(&state, &format!("/consultations/tpe/donnees/{file}"), None).await;
                assert_eq!(status, StatusCode::OK, "{file}");
                assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
                body
            }
        };
        let comments = read_comments(download("comments.csv").await.as_bytes()).unwrap();
        let votes_csv = download("votes.csv").await;
        let votes = read_votes(votes_csv.as_bytes(), &comments).unwrap();
        assert_eq!(votes.len() as u64, results["votes"].as_u64().unwrap(), "{name}");

        // Counts, shares and zones.
        let index: HashMap<i64, u32> = (0u32..).zip(&comments).map(|(i, c)| (c.id, i)).collect();
        let counts = tally(votes.iter().map(|v| (index[&v.comment], v.vote, None)), comments.len());
        for p in results["proposals"].as_array().unwrap() {
            let t = &counts[index[&p["number"].as_i64().unwrap()] as usize];
            assert_eq!(
                (t.agree, t.disagree, t.neutral),
                (p["agree"].as_u64().unwrap(), p["disagree"].as_u64().unwrap(), p["neutral"].as_u64().unwrap())
            );
            assert_eq!(p["zone"], t.zone().slug());
            assert_eq!(p["agree_share"].as_f64().unwrap(), t.share(Vote::Agree));
        }
        let mut voters: Vec<i64> = votes.iter().map(|v| v.voter).collect();
        voters.sort_unstable();
        voters.dedup();
        assert_eq!(voters.len() as i64, results["participants"].as_i64().unwrap(), "{name}");

        // Opinion groups, from votes.csv alone, as the page computes them.
        let cast: Vec<CastVote> = votes
            .iter()
            .map(|v| CastVote {
                participant: voters.binary_search(&v.voter).unwrap() as u32,
                proposal: index[&v.comment],
                vote: v.vote,
            })
            .collect();
        let groups = opinion_groups(&cast, voters.len(), comments.len());
        let sizes: Vec<u64> = groups.groups.iter().map(|g| u64::from(g.size)).collect();
        let api_sizes: Vec<u64> =
            results["groups"].as_array().unwrap().iter().map(|g| g["size"].as_u64().unwrap()).collect();
        assert_eq!(sizes, api_sizes, "{name}");
        assert!(!sizes.is_empty(), "{name}: the demo has groups");
        for (p, c) in results["proposals"].as_array().unwrap().iter().zip(&groups.consensus) {
            assert_eq!(p["group_informed_consensus"].as_f64(), *c);
        }

        // participants-votes.csv: one line per voter, with the group the
        // recomputation gives them, and their votes.
        let lines = download("participants-votes.csv").await;
        let mut reader = csv::Reader::from_reader(lines.as_bytes());
        let header = reader.headers().unwrap().clone();
        assert_eq!(
            &header.iter().take(6).collect::<Vec<_>>(),
            &["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"]
        );
        let by_voter: BTreeMap<i64, u32> =
            groups.points.iter().map(|p| (voters[p.participant as usize], p.group)).collect();
        let mut rows = 0;
        for record in reader.records() {
            let record = record.unwrap();
            let participant: i64 = record[0].parse().unwrap();
            let expected = by_voter.get(&participant).map(|g| g.to_string()).unwrap_or_default();
            assert_eq!(&record[1], expected.as_str(), "{name}: participant {participant}");
            let n_votes: usize = record[3].parse().unwrap();
            assert_eq!(n_votes, votes.iter().filter(|v| v.voter == participant).count());
            rows += 1;
        }
        assert_eq!(rows, voters.len(), "{name}");

        let summary = download("summary.csv").await;
        assert!(summary.contains(&format!("voters,{}", voters.len())), "{summary}");
        assert!(summary.contains(&format!("groups,{}", sizes.len())));
        assert!(summary.contains("topic,\"L'IA dans les TPE"), "{summary}");
        assert_eq!(get(&state, "/consultations/inconnue/donnees/votes.csv", None).await.0, StatusCode::NOT_FOUND);
    }
}
