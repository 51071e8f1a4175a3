//! The audit log: its pages, filters and CSV export.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::ToSpan;
use jiff::civil::Date;
use osez_store::{AuditCursor, AuditEntry, AuditQuery, Store, StoreError};

use crate::backoffice::views::{AuditPage, AuditView};
use crate::kit::csv_export::{CsvExport, CsvPages, csv_response};
use crate::kit::error::{ErrorPage, PageError, render};
use crate::kit::format::{day_start_ms, format_time, zoned};
use crate::kit::guard::{Admins, Guard};
use crate::kit::page::no_store;
use crate::kit::params::RawParams;
use crate::kit::state::AppState;
use crate::kit::tokens::now_ms;
use crate::menu::chrome;

// ------------------------------------------------------------------- audit log

const AUDIT_PAGE: i64 = 50;

/// Rows in one export at most.
const AUDIT_EXPORT: usize = 100_000;

/// Rows read from the store at a time while exporting.
pub(crate) const AUDIT_EXPORT_PAGE: usize = 500;

/// The audit entries of an export, a keyset page at a time.
struct AuditRows {
    store: Store,
    query: AuditQuery,
    after: Option<AuditCursor>,
}

impl CsvPages for AuditRows {
    async fn next_page(&mut self, want: usize) -> Result<Vec<Vec<String>>, StoreError> {
        let page = self.store.audit_page(&self.query, self.after, want as i64).await?;
        if let Some((last, _)) = page.last() {
            self.after = Some(*last);
        }
        Ok(page
            .into_iter()
            .map(|(_, e)| {
                vec![
                    zoned(e.at_ms).strftime("%Y-%m-%d %H:%M:%S").to_string(),
                    e.actor,
                    e.action,
                    e.target,
                    e.before.unwrap_or_default(),
                    e.after.unwrap_or_default(),
                ]
            })
            .collect())
    }
}

struct AuditForm {
    query: AuditQuery,
    q: String,
    actor: String,
    action: String,
    from: String,
    to: String,
    page: i64,
}

/// The form as typed, and the first mistake in it.
fn audit_form(raw: &RawParams) -> (AuditForm, Option<&'static str>) {
    let text = |k: &str| raw.get(k).map(|v| v.trim().chars().take(200).collect::<String>()).unwrap_or_default();
    let mut form = AuditForm {
        query: AuditQuery::default(),
        q: text("q"),
        actor: text("acteur"),
        action: text("action"),
        from: text("du"),
        to: text("au"),
        page: raw.get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1).clamp(1, 10_000),
    };
    form.query.text = form.q.clone();
    form.query.actor = form.actor.clone();
    form.query.action = form.action.clone();
    let date = |s: &str| -> Result<Option<Date>, &'static str> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<Date>().map(Some).map_err(|_| "Date invalide : utilisez le format jj/mm/aaaa du sélecteur.")
    };
    let (from, to) = match (date(&form.from), date(&form.to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return (form, Some(e)),
    };
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return (form, Some("La date de début est après la date de fin."));
    }
    form.query.from_ms = from.and_then(day_start_ms);
    form.query.to_ms = to.and_then(|t| t.checked_add(1.day()).ok()).and_then(day_start_ms);
    (form, None)
}

fn audit_url(path: &str, form: &AuditForm, page: Option<i64>) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in
        [("q", &form.q), ("acteur", &form.actor), ("action", &form.action), ("du", &form.from), ("au", &form.to)]
    {
        if !v.is_empty() {
            ser.append_pair(k, v);
        }
    }
    if let Some(p) = page {
        ser.append_pair("page", &p.to_string());
    }
    let q = ser.finish();
    if q.is_empty() { path.to_string() } else { format!("{path}?{q}") }
}

fn audit_view(e: &AuditEntry) -> AuditView {
    AuditView {
        at: format_time(e.at_ms),
        actor: e.actor.clone(),
        action: e.action.clone(),
        target: e.target.clone(),
        before: e.before.clone().unwrap_or_default(),
        after: e.after.clone().unwrap_or_default(),
    }
}

pub async fn audit(
    State(state): State<Arc<AppState>>,
    current: Guard<Admins>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = RawParams::from_query(query.as_deref());
    let (form, error) = audit_form(&raw);
    let error = error.map(str::to_string);
    let (entries, total) = if error.is_none() {
        ready.store.search_audit(&form.query, AUDIT_PAGE, (form.page - 1) * AUDIT_PAGE).await?
    } else {
        (Vec::new(), 0)
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = AuditPage {
        chrome: chrome(&state, &current, "/admin/journal"),
        entries: entries.iter().map(audit_view).collect(),
        total,
        export_url: audit_url("/admin/journal.csv", &form, None),
        previous_url: (form.page > 1).then(|| audit_url("/admin/journal", &form, Some(form.page - 1))),
        next_url: (form.page * AUDIT_PAGE < total).then(|| audit_url("/admin/journal", &form, Some(form.page + 1))),
        q: form.q,
        actor: form.actor,
        action: form.action,
        from: form.from,
        to: form.to,
        error,
        base: state.base(),
    };
    Ok(no_store(render(status, &page)))
}

pub async fn audit_csv(
    State(state): State<Arc<AppState>>,
    current: Guard<Admins>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = RawParams::from_query(query.as_deref());
    let form = match audit_form(&raw) {
        (f, None) => f,
        (_, Some(e)) => {
            let page = ErrorPage { title: "Export impossible", message: e.to_string(), base: state.base() };
            return Ok(no_store(render(StatusCode::BAD_REQUEST, &page)));
        }
    };
    // Logged before the first row is sent: a download cut short was still
    // asked for. The count is of the rows the file will hold.
    let (_, total) = ready.store.search_audit(&form.query, 0, 0).await?;
    let rows = (total.max(0) as usize).min(AUDIT_EXPORT);
    ready
        .store
        .record_audit(current.user.email.as_str(), "journal.export", &format!("{rows} entrées"), None, None)
        .await?;
    let export = CsvExport {
        filename: format!("journal-{}.csv", zoned(now_ms()).strftime("%Y-%m-%d")),
        header: &["date", "auteur", "action", "cible", "avant", "apres"],
        limit: AUDIT_EXPORT,
        page: AUDIT_EXPORT_PAGE,
        cut_upstream: None,
    };
    Ok(csv_response(export, AuditRows { store: ready.store.clone(), query: form.query, after: None }))
}
