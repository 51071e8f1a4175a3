//! CSV exports and the record of searches that found nothing, through the
//! router, on every backend.

mod common;

use axum::http::{StatusCode, header};
use common::*;
use osez_core::account::Role;

/// More rows than one page of the export (500): the file is whole, in
/// order, well-formed, and cells are defused.
#[tokio::test]
async fn the_audit_csv_of_more_rows_than_a_page_is_complete_and_well_formed() {
    const ROWS: usize = 1_234;
    for (name, state, store) in apps().await {
        let admin = signed_in(&state, &store, "admin@exemple.fr", Role::Admin).await;
        // A cell with the separator, quotes and a line break.
        let after = |i: usize| format!("n={i}; \"a\"\nb");
        for i in 0..ROWS {
            let target = format!("cible {i}");
            store
                .record_audit("robot", "essai.export", &target, Some("=cmd|' /C calc'!A0"), Some(&after(i)))
                .await
                .unwrap();
        }
        let (status, headers, csv) = get(&state, "/admin/journal.csv?action=essai.", Some(&admin)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment; filename=\"journal-"));
        let text = csv.strip_prefix('\u{feff}').expect("BOM first");
        assert!(!text.contains("# export limité"), "{name}: not cut");
        let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap(), vec!["date", "auteur", "action", "cible", "avant", "apres"]);
        let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("well-formed")).collect();
        assert_eq!(records.len(), ROWS, "{name}: every row, once");
        for (k, r) in records.iter().enumerate() {
            let i = ROWS - 1 - k; // Most recent first.
            assert_eq!(&r[3], format!("cible {i}"), "{name}: row {k}");
            assert_eq!(&r[4], "'=cmd|' /C calc'!A0", "{name}: formula defused");
            assert_eq!(&r[5], after(i), "{name}: quoting kept");
        }
        let log = store.audit_entries(1).await.unwrap();
        assert_eq!((log[0].action.as_str(), log[0].target.as_str()), ("journal.export", "1234 entrées"), "{name}");
    }
}

/// A burst of searches that find nothing is queued and written by the
/// background writer, in batches, none lost.
#[tokio::test]
async fn a_burst_of_searches_without_results_is_recorded() {
    for (name, state, store) in apps().await {
        for i in 0..300 {
            let (status, _, _) = get(&state, &format!("/recherche?q=zzqx{i}wwq"), None).await;
            assert_eq!(status, StatusCode::OK);
        }
        let ready = state.ready().unwrap();
        ready.zero_results.close().await; // Writes what is queued.
        assert_eq!((ready.zero_results.written(), ready.zero_results.dropped()), (300, 0), "{name}");
        assert!(ready.zero_results.batches() <= 300, "{name}");
        assert_eq!(store.zero_result_searches(1_000).await.unwrap().len(), 300, "{name}");
    }
}

/// Regression: every search without results spawned its own INSERT, with
/// no bound. The queue holds 1,024; what does not fit is dropped, counted,
/// and the report says so.
#[tokio::test]
async fn a_full_queue_drops_counts_and_the_report_says_so() {
    for (name, state, store) in apps().await {
        let editor = signed_in(&state, &store, "redaction@exemple.fr", Role::Editor).await;
        let ready = state.ready().unwrap();
        // No await in the loop: on this single-threaded runtime the writer
        // cannot run meanwhile, so the queue fills up.
        for i in 0..2_000 {
            ready.zero_results.record(format!("rafale {i}"), "{}".into());
        }
        assert_eq!(ready.zero_results.dropped(), 2_000 - 1_024, "{name}");
        let (status, _, page) = get(&state, "/admin/recherches", Some(&editor)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(unescape(&page).contains("976 recherches sans résultat n'ont pas été enregistrées"), "{name}");
        ready.zero_results.close().await;
        assert_eq!(store.zero_result_searches(5_000).await.unwrap().len(), 1_024, "{name}");
    }
}
