//! The team's back office: moderation, searches that found nothing,
//! coverage of the territory, the audit log and accounts. Every page checks
//! the role of the signed-in user and is never cached.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::{Date, ISOWeekDate, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, ZonedDateTime};
use osez_core::account::Role;
use osez_core::{AdviserId, Kind};
use osez_store::{AuditCursor, AuditEntry, AuditQuery, Decision, HIDE_AFTER, Store, StoreError};

use super::FormFields;
use super::admin::{checked, no_store, session_binding};
use crate::auth::CurrentUser;
use crate::csv_export::{CsvExport, CsvPages, InMemory, csv_response};
use crate::error::render;
use crate::params::RawParams;
use crate::security::{form_token, now_ms};
use crate::views::{
    AuditPage, AuditView, CaseView, Chrome, CoveragePage, DepartmentCoverage, ErrorPage, LegendEntry, MapInset,
    MapShape, ModerationPage, NavLink, RegionCoverage, ReportView, UserView, UsersPage, ZeroResultsPage, ZeroRowView,
    format_count,
};
use crate::{AppState, PageError};

/// A section of the back office and the roles that open it.
struct Section {
    href: &'static str,
    label: &'static str,
    roles: &'static [Role],
}

pub(crate) const TEAM: &[Role] = &[Role::Admin, Role::Editor, Role::Moderator];
const MODERATION: &[Role] = &[Role::Admin, Role::Moderator];
const EDITORS: &[Role] = &[Role::Admin, Role::Editor];
const ADMINS: &[Role] = &[Role::Admin];

const SECTIONS: &[Section] = &[
    Section { href: "/admin", label: "Accueil", roles: Role::ALL },
    Section { href: "/admin/candidature", label: "Mes candidatures", roles: &[Role::Adviser] },
    Section { href: "/admin/profil", label: "Mon profil", roles: &[Role::Adviser] },
    Section { href: "/admin/demandes", label: "Demandes reçues", roles: &[Role::Adviser] },
    Section { href: "/admin/messages", label: "Messages", roles: TEAM },
    Section { href: "/admin/suivi", label: "Suite des contacts", roles: TEAM },
    Section { href: "/admin/candidatures", label: "Candidatures", roles: EDITORS },
    Section { href: "/admin/appels", label: "Appels", roles: EDITORS },
    Section { href: "/admin/revendications", label: "Revendications", roles: EDITORS },
    Section { href: "/admin/moderation", label: "Modération", roles: MODERATION },
    Section { href: "/admin/recherches", label: "Recherches sans résultat", roles: EDITORS },
    Section { href: "/admin/couverture", label: "Couverture", roles: TEAM },
    Section { href: "/admin/journal", label: "Journal", roles: ADMINS },
    Section { href: "/admin/comptes", label: "Comptes", roles: ADMINS },
];

/// The navigation, session notice and sign-out form of a page at `here`.
pub(crate) fn chrome(state: &AppState, current: &CurrentUser, here: &str) -> Chrome {
    let token = |action: &str| {
        state.ready().map(|r| form_token(&r.secrets, &session_binding(action, current))).unwrap_or_default()
    };
    let idle_ms = (current.idle_deadline_ms - now_ms()).max(0);
    let role = current.user.role;
    Chrome {
        email: current.user.email.to_string(),
        role: role.label(),
        nav: SECTIONS
            .iter()
            .filter(|s| s.roles.contains(&role))
            .map(|s| NavLink { href: s.href, label: s.label, current: s.href == here })
            .collect(),
        idle_seconds: idle_ms / 1000,
        minutes_left: idle_ms / 60_000,
        token_extend: token("/admin/session/prolonger"),
        token_sign_out: token("/deconnexion"),
        here: here.to_string(),
    }
}

/// The French 403 page for a user whose role does not open a page; `None`
/// when it does.
pub(crate) fn refused(current: &CurrentUser, roles: &[Role]) -> Option<Response> {
    if roles.contains(&current.user.role) {
        return None;
    }
    let page = ErrorPage {
        title: "Accès refusé",
        message: format!(
            "Votre rôle ({}) ne donne pas accès à cette page. Demandez à un administrateur si vous en avez besoin.",
            current.user.role.label()
        ),
        demo: false,
    };
    Some(no_store(render(StatusCode::FORBIDDEN, &page)))
}

fn paris() -> &'static TimeZone {
    static TZ: OnceLock<TimeZone> = OnceLock::new();
    TZ.get_or_init(|| TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC))
}

fn zoned(ms: i64) -> ZonedDateTime {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH).to_zoned_datetime(paris().clone())
}

/// "27/11/2026 à 15:30", Paris time.
pub(crate) fn format_time(ms: i64) -> String {
    zoned(ms).strftime("%d/%m/%Y à %H:%M").to_string()
}

/// Today in Paris.
pub(crate) fn today() -> Date {
    zoned(now_ms()).date()
}

/// Start of a day in Paris, as Unix milliseconds.
pub(crate) fn day_start_ms(day: Date) -> Option<i64> {
    day.to_zoned_datetime(paris().clone()).ok().map(|z| z.timestamp().as_millisecond())
}

// ------------------------------------------------------------------ moderation

fn reason_label(slug: &str) -> &'static str {
    super::pages::REPORT_REASONS.iter().find(|(v, _)| *v == slug).map(|(_, l)| *l).unwrap_or("Autre motif")
}

fn moderation_action(id: &str) -> String {
    format!("/admin/moderation/{id}")
}

async fn moderation_page(
    state: &AppState,
    current: &CurrentUser,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let cases = ready.store.moderation_queue().await?;
    let cases = cases
        .into_iter()
        .map(|c| CaseView {
            token: form_token(&ready.secrets, &session_binding(&moderation_action(&c.adviser_id), current)),
            reports: c
                .reports
                .iter()
                .map(|r| ReportView {
                    reason: reason_label(&r.reason),
                    message: r.message.clone(),
                    at: format_time(r.created_at_ms),
                })
                .collect(),
            adviser_id: c.adviser_id,
            name: c.name,
            hidden: c.hidden,
        })
        .collect();
    let page = ModerationPage {
        chrome: chrome(state, current, "/admin/moderation"),
        cases,
        hide_after: HIDE_AFTER,
        notice,
        demo: false,
    };
    Ok(no_store(render(StatusCode::OK, &page)))
}

pub async fn moderation(State(state): State<Arc<AppState>>, current: CurrentUser) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, MODERATION) {
        return Ok(res);
    }
    moderation_page(&state, &current, None).await
}

const MAX_NOTE_CHARS: usize = 1_000;

pub async fn moderation_decide(
    State(state): State<Arc<AppState>>,
    current: CurrentUser,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, MODERATION) {
        return Ok(res);
    }
    let Ok(adviser) = AdviserId::parse(&id) else { return Err(PageError::NotFound) };
    if let Err(res) = checked(&state, &current, &moderation_action(adviser.as_str()), &form).await {
        return Ok(res);
    }
    let decision = match form.get("decision").map(String::as_str) {
        Some("retenir") => Decision::Uphold,
        Some("rejeter") => Decision::Dismiss,
        _ => {
            let page = ErrorPage {
                title: "Décision manquante",
                message: "Choisissez « Retenir » ou « Rejeter ». Revenez à la page précédente.".into(),
                demo: false,
            };
            return Ok(no_store(render(StatusCode::UNPROCESSABLE_ENTITY, &page)));
        }
    };
    let note: String = form.get("note").map(|n| n.trim().chars().take(MAX_NOTE_CHARS).collect()).unwrap_or_default();
    let ready = state.ready().ok_or(PageError::Starting)?;
    if !ready.store.decide_reports(&adviser, decision, current.user.email.as_str(), &note).await? {
        return Err(PageError::NotFound);
    }
    ready.directory_changed();
    let notice = match decision {
        Decision::Uphold => format!("Signalements retenus : le profil {adviser} reste masqué."),
        Decision::Dismiss => format!("Signalements rejetés : le profil {adviser} est de nouveau publié."),
    };
    moderation_page(&state, &current, Some(notice)).await
}

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
    current: CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, EDITORS) {
        return Ok(res);
    }
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
        demo: false,
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
    current: CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, EDITORS) {
        return Ok(res);
    }
    let raw = RawParams::from_query(query.as_deref());
    let report = match week_report(&state, &raw).await? {
        Ok(r) => r,
        Err(e) => {
            let page = ErrorPage { title: "Export impossible", message: e.to_string(), demo: false };
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

// -------------------------------------------------------------------- coverage

/// Department outlines of the map (svg-maps, CC BY 4.0): metropolitan
/// France only.
struct Outlines {
    view_box: &'static str,
    paths: HashMap<&'static str, &'static str>,
}

fn outlines() -> &'static Outlines {
    static OUTLINES: OnceLock<Outlines> = OnceLock::new();
    OUTLINES.get_or_init(|| {
        let text = include_str!("../../data/france-departments.tsv");
        let mut view_box = "0 0 613 585";
        let mut paths = HashMap::new();
        for line in text.lines() {
            let mut cols = line.splitn(3, '\t');
            match (cols.next(), cols.next(), cols.next()) {
                (Some("viewBox"), Some(v), None) => view_box = v,
                (Some(code), Some(_name), Some(path)) => {
                    paths.insert(code, path);
                }
                _ => {}
            }
        }
        Outlines { view_box, paths }
    })
}

/// Sequential blues, light to dark; all meet 3:1 against white borders
/// except the first, which the legend names.
const SCALE: [&str; 5] = ["#f1f5fb", "#c6d6ee", "#8fb0dd", "#4f7fc2", "#1f4e96"];

fn per_100k(count: usize, population: u64) -> f64 {
    if population == 0 { 0.0 } else { count as f64 * 100_000.0 / population as f64 }
}

fn format_rate(r: f64) -> String {
    format!("{r:.1}").replace('.', ",")
}

pub async fn coverage(State(state): State<Arc<AppState>>, current: CurrentUser) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, TEAM) {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let geo = &state.geo;
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for a in directory.engine.advisers() {
        let c = counts.entry(a.department.as_str()).or_default();
        match a.kind {
            Kind::Activateur => c.0 += 1,
            Kind::AmbassadeurIa => c.1 += 1,
        }
    }
    let rates: Vec<f64> = geo
        .departments
        .iter()
        .map(|d| {
            let (act, ia) = counts.get(d.code.as_str()).copied().unwrap_or_default();
            per_100k(act + ia, d.population)
        })
        .collect();
    // Class limits at the quintiles of the departments that have someone.
    let mut sorted: Vec<f64> = rates.iter().copied().filter(|r| *r > 0.0).collect();
    sorted.sort_by(f64::total_cmp);
    let limits: Vec<f64> = (1..4).map(|q| sorted.get(sorted.len() * q / 4).copied().unwrap_or(f64::MAX)).collect();
    let class_of = |r: f64| if r <= 0.0 { 0 } else { 1 + limits.iter().filter(|l| r >= **l).count() };
    let region_name = |code: &str| geo.region(code).map(|r| r.name.clone()).unwrap_or_default();

    let mut departments = Vec::new();
    let mut shapes = Vec::new();
    let mut insets = Vec::new();
    let mut without_ia = Vec::new();
    let outlines = outlines();
    for (d, rate) in geo.departments.iter().zip(&rates) {
        let (act, ia) = counts.get(d.code.as_str()).copied().unwrap_or_default();
        let class = class_of(*rate);
        let label = format!("{} ({})", d.name, d.code);
        let title = format!(
            "{label} : {} conseiller{}, {} pour 100 000 habitants ; {}",
            act + ia,
            if act + ia > 1 { "s" } else { "" },
            format_rate(*rate),
            match ia {
                0 => "aucun ambassadeur IA".to_string(),
                1 => "1 ambassadeur IA".to_string(),
                n => format!("{n} ambassadeurs IA"),
            }
        );
        if ia == 0 {
            without_ia.push(label.clone());
        }
        if let Some(path) = outlines.paths.get(d.code.as_str()) {
            shapes.push(MapShape { path: path.to_string(), fill: SCALE[class], no_ia: ia == 0, title: title.clone() });
        } else {
            let i = insets.len() as u32;
            insets.push(MapInset {
                code: d.code.clone(),
                x: 8,
                y: 380 + i * 38,
                label_y: 400 + i * 38,
                fill: SCALE[class],
                no_ia: ia == 0,
                title: title.clone(),
            });
        }
        departments.push(DepartmentCoverage {
            code: d.code.clone(),
            name: d.name.clone(),
            region: region_name(&d.region),
            population: format_count(d.population as usize),
            activateurs: act,
            ambassadeurs: ia,
            per_100k: format_rate(*rate),
            ia_per_100k: format_rate(per_100k(ia, d.population)),
        });
    }
    let mut regions: Vec<(f64, RegionCoverage)> = geo
        .regions
        .iter()
        .map(|r| {
            let in_region: Vec<&DepartmentCoverage> =
                departments.iter().filter(|d| geo.department(&d.code).is_some_and(|g| g.region == r.code)).collect();
            let ia: usize = in_region.iter().map(|d| d.ambassadeurs).sum();
            let rate = per_100k(ia, r.population);
            let cover = RegionCoverage {
                name: r.name.clone(),
                ambassadeurs: ia,
                ia_per_100k: format_rate(rate),
                without_ia: in_region
                    .iter()
                    .filter(|d| d.ambassadeurs == 0)
                    .map(|d| format!("{} ({})", d.name, d.code))
                    .collect(),
            };
            (rate, cover)
        })
        .collect();
    regions.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    let bound = |i: usize| limits.get(i).map(|l| format_rate(*l)).unwrap_or_else(|| "—".into());
    let legend = vec![
        LegendEntry { fill: SCALE[0], label: "Aucun conseiller".into() },
        LegendEntry { fill: SCALE[1], label: format!("Moins de {} pour 100 000 hab.", bound(0)) },
        LegendEntry { fill: SCALE[2], label: format!("De {} à {}", bound(0), bound(1)) },
        LegendEntry { fill: SCALE[3], label: format!("De {} à {}", bound(1), bound(2)) },
        LegendEntry { fill: SCALE[4], label: format!("{} et plus", bound(2)) },
    ];
    let page = CoveragePage {
        chrome: chrome(&state, &current, "/admin/couverture"),
        departments,
        regions: regions.into_iter().map(|(_, r)| r).collect(),
        without_ia,
        view_box: outlines.view_box,
        shapes,
        insets,
        legend,
        demo: directory.figures.demo > 0,
    };
    Ok(no_store(render(StatusCode::OK, &page)))
}

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
    current: CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, ADMINS) {
        return Ok(res);
    }
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
        demo: false,
    };
    Ok(no_store(render(status, &page)))
}

pub async fn audit_csv(
    State(state): State<Arc<AppState>>,
    current: CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, ADMINS) {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = RawParams::from_query(query.as_deref());
    let form = match audit_form(&raw) {
        (f, None) => f,
        (_, Some(e)) => {
            let page = ErrorPage { title: "Export impossible", message: e.to_string(), demo: false };
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

// -------------------------------------------------------------------- accounts

fn user_action(id: i64, what: &str) -> String {
    format!("/admin/comptes/{id}/{what}")
}

async fn users_page(state: &AppState, current: &CurrentUser, notice: Option<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let token = |action: &str| form_token(&ready.secrets, &session_binding(action, current));
    let users = ready
        .store
        .users_overview()
        .await?
        .into_iter()
        .map(|u| UserView {
            id: u.user.id,
            email: u.user.email.to_string(),
            role: u.user.role.label(),
            totp: u.user.totp_secret.is_some(),
            disabled: u.user.disabled,
            sessions: u.sessions,
            created: format_time(u.created_at_ms),
            is_self: u.user.id == current.user.id,
            token_sessions: token(&user_action(u.user.id, "sessions")),
            token_toggle: token(&user_action(u.user.id, "etat")),
        })
        .collect();
    let page = UsersPage { chrome: chrome(state, current, "/admin/comptes"), users, notice, demo: false };
    Ok(no_store(render(StatusCode::OK, &page)))
}

pub async fn users(State(state): State<Arc<AppState>>, current: CurrentUser) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, ADMINS) {
        return Ok(res);
    }
    users_page(&state, &current, None).await
}

/// The account an admin's form acts on: the role, the account (never the
/// signed-in admin themself: they have "Se déconnecter de tous les
/// appareils") and the form token are checked, or the refusal is returned.
async fn target_user(
    state: &AppState,
    current: &CurrentUser,
    id: &str,
    what: &str,
    form: &HashMap<String, String>,
) -> Result<Result<osez_store::User, Response>, PageError> {
    if let Some(res) = refused(current, ADMINS) {
        return Ok(Err(res));
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Ok(id) = id.parse::<i64>() else { return Err(PageError::NotFound) };
    let Some(user) = ready.store.user(id).await? else { return Err(PageError::NotFound) };
    if user.id == current.user.id {
        let page = ErrorPage {
            title: "Action refusée",
            message: "Vous ne pouvez pas agir ainsi sur votre propre compte depuis cette page.".into(),
            demo: false,
        };
        return Ok(Err(no_store(render(StatusCode::CONFLICT, &page))));
    }
    if let Err(res) = checked(state, current, &user_action(user.id, what), form).await {
        return Ok(Err(res));
    }
    Ok(Ok(user))
}

pub async fn user_sessions(
    State(state): State<Arc<AppState>>,
    current: CurrentUser,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    let user = match target_user(&state, &current, &id, "sessions", &form).await? {
        Ok(u) => u,
        Err(res) => return Ok(res),
    };
    let ready = state.ready().ok_or(PageError::Starting)?;
    let ended = ready.store.end_sessions_of(&user, current.user.email.as_str()).await?;
    let notice = match ended {
        0 => format!("{} n'avait aucune session ouverte.", user.email),
        1 => format!("1 session de {} fermée.", user.email),
        n => format!("{n} sessions de {} fermées.", user.email),
    };
    users_page(&state, &current, Some(notice)).await
}

pub async fn user_state(
    State(state): State<Arc<AppState>>,
    current: CurrentUser,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    let user = match target_user(&state, &current, &id, "etat", &form).await? {
        Ok(u) => u,
        Err(res) => return Ok(res),
    };
    let disabled = match form.get("etat").map(String::as_str) {
        Some("desactive") => true,
        Some("actif") => false,
        _ => {
            let page = ErrorPage {
                title: "Formulaire incomplet",
                message: "L'état demandé est manquant. Revenez à la page précédente.".into(),
                demo: false,
            };
            return Ok(no_store(render(StatusCode::UNPROCESSABLE_ENTITY, &page)));
        }
    };
    let ready = state.ready().ok_or(PageError::Starting)?;
    ready.store.set_user_disabled(&user, disabled, current.user.email.as_str()).await?;
    let notice = if disabled {
        format!("Compte {} désactivé ; ses sessions sont fermées.", user.email)
    } else {
        format!("Compte {} réactivé.", user.email)
    };
    users_page(&state, &current, Some(notice)).await
}

/// Where "Prolonger la session" comes back to: a back-office path of ours,
/// never another site.
pub(crate) fn safe_return(raw: Option<&String>) -> String {
    match raw {
        Some(p)
            if p.starts_with("/admin")
                && !p.contains("//")
                && !p.contains('\\')
                && p.chars().all(|c| c.is_ascii_graphic()) =>
        {
            p.clone()
        }
        _ => "/admin".into(),
    }
}

pub(crate) fn back_to(path: &str) -> Response {
    no_store(Redirect::to(path).into_response())
}
