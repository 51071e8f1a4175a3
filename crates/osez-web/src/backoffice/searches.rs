//! Searches that found nothing: the weekly report and its CSV.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::ToSpan;
use jiff::civil::{ISOWeekDate, Weekday};

use crate::backoffice::views::{ZeroResultsPage, ZeroRowView};
use crate::kit::csv_export::{CsvExport, InMemory, csv_response};
use crate::kit::error::{ErrorPage, PageError, render};
use crate::kit::format::{day_start_ms, format_count, format_time, zoned};
use crate::kit::guard::{Editors, Guard};
use crate::kit::page::no_store;
use crate::kit::params::RawParams;
use crate::kit::state::AppState;
use crate::kit::tokens::now_ms;
use crate::menu::chrome;

// ------------------------------------------------- searches that found nothing

/// The ISO week asked for ("2026-W48"), or the current one.
fn parse_week(raw: Option<&str>) -> Result<ISOWeekDate, &'static str> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(zoned(now_ms()).date().iso_week_date());
    };
    let bad = "Semaine invalide : choisissez-la dans le sélecteur, ou écrivez-la ainsi : 2026-W48.";
    let (year, week) = raw.split_once("-W").or_else(|| raw.split_once("-w")).ok_or(bad)?;
    let year: i16 = year.parse().map_err(|_| bad)?;
    let week: i8 = week.parse().map_err(|_| bad)?;
    ISOWeekDate::new(year, week, Weekday::Monday).map_err(|_| bad)
}

fn week_slug(w: ISOWeekDate) -> String {
    format!("{:04}-W{:02}", w.year(), w.week())
}

/// Distinct (query, filters) pairs read for one week's report at most, the
/// most recent first.
const REPORT_PAIRS: i64 = 5_000;

struct WeekReport {
    week: ISOWeekDate,
    rows: Vec<osez_store::ZeroResultQuery>,
    truncated: bool,
}

async fn week_report(state: &AppState, raw: &RawParams) -> Result<Result<WeekReport, &'static str>, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let week = match parse_week(raw.get("semaine")) {
        Ok(w) => w,
        Err(e) => return Ok(Err(e)),
    };
    let monday = week.date();
    let next_monday = monday.checked_add(7.days()).unwrap_or(monday);
    let (Some(from), Some(to)) = (day_start_ms(monday), day_start_ms(next_monday)) else {
        return Ok(Err("Semaine hors des dates prises en charge."));
    };
    let report = ready.store.zero_result_report(from, to, REPORT_PAIRS).await?;
    Ok(Ok(WeekReport { week, rows: report.queries, truncated: report.truncated }))
}

pub async fn zero_results(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let raw = RawParams::from_query(query.as_deref());
    let (report, error, status) = match week_report(&state, &raw).await? {
        Ok(r) => (r, None, StatusCode::OK),
        Err(e) => (
            week_report(&state, &RawParams::from_query(None)).await?.map_err(|e| PageError::Internal(e.into()))?,
            Some(e.to_string()),
            StatusCode::BAD_REQUEST,
        ),
    };
    let monday = report.week.date();
    let this_week = zoned(now_ms()).date().iso_week_date();
    let shift = |days: i64| monday.checked_add(days.days()).map(|d| week_slug(d.iso_week_date())).unwrap_or_default();
    let page = ZeroResultsPage {
        chrome: chrome(&state, &current, "/admin/recherches"),
        week: week_slug(report.week),
        week_label: format!(
            "Semaine {} de {} (du {} au {})",
            report.week.week(),
            report.week.year(),
            monday.strftime("%d/%m/%Y"),
            monday.checked_add(6.days()).unwrap_or(monday).strftime("%d/%m/%Y")
        ),
        previous_week: shift(-7),
        next_week: (report.week.date() < this_week.date()).then(|| shift(7)),
        total: report.rows.iter().map(|r| r.count).sum(),
        rows: report
            .rows
            .iter()
            .map(|r| ZeroRowView {
                query: r.query.clone(),
                count: r.count,
                filters: r.filters.iter().map(|(f, n)| (describe_filters(f), *n)).collect(),
                last_at: format_time(r.last_at_ms),
            })
            .collect(),
        truncated: report.truncated.then(|| format_count(REPORT_PAIRS as usize)),
        dropped: state.ready().map(|r| r.zero_results.dropped()).unwrap_or(0),
        error,
        base: state.base(),
    };
    Ok(no_store(render(status, &page)))
}

/// `{"kind":"ambassadeur_ia","near":"Lyon"}` as "kind=ambassadeur_ia, near=Lyon";
/// "aucun" for none.
fn describe_filters(json: &str) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(json) else {
        return json.to_string();
    };
    if map.is_empty() {
        return "aucun".into();
    }
    map.iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn zero_results_csv(
    State(state): State<Arc<AppState>>,
    _editor: Guard<Editors>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let raw = RawParams::from_query(query.as_deref());
    let report = match week_report(&state, &raw).await? {
        Ok(r) => r,
        Err(e) => {
            let page = ErrorPage { title: "Export impossible", message: e.to_string(), base: state.base() };
            return Ok(no_store(render(StatusCode::BAD_REQUEST, &page)));
        }
    };
    let week = week_slug(report.week);
    let mut rows = Vec::with_capacity(report.rows.len());
    for r in &report.rows {
        let filters = r.filters.iter().map(|(f, n)| format!("{} ({n})", describe_filters(f))).collect::<Vec<_>>();
        rows.push(vec![
            week.clone(),
            r.query.clone(),
            r.count.to_string(),
            filters.join(" | "),
            zoned(r.last_at_ms).strftime("%Y-%m-%d %H:%M").to_string(),
        ]);
    }
    let export = CsvExport {
        filename: format!("recherches-sans-resultat-{week}.csv"),
        header: &["semaine", "requete", "nombre", "filtres", "derniere"],
        limit: usize::MAX,
        page: 1_000,
        cut_upstream: report.truncated.then(|| {
            format!(
                "export limité aux {} couples requête et filtres les plus récents de la semaine.",
                format_count(REPORT_PAIRS as usize)
            )
        }),
    };
    Ok(csv_response(export, InMemory(rows)))
}
