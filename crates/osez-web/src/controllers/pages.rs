//! Server-rendered pages, in French.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use osez_core::{Geography, Kind, Sector, Specialty, StructureType};
use osez_search::{FacetValue, Hit, PlaceInfo, SearchResults};

use super::run_search;
use crate::error::render;
use crate::params::RawParams;
use crate::security::{check_form_token, form_token};
use crate::views::{
    AccessibilityPage, ActiveFilter, FacetGroup, FacetLink, FacetSection, FiguresView, HitView, HomePage, LegalPage,
    PageLink, ProfilePage, ReportPage, ResultsPage, distance_phrase, format_count, specialty_links,
};
use crate::{AppState, Directory, PageError};

pub(crate) fn is_demo(state: &AppState) -> bool {
    state.ready().is_some_and(|r| r.directory().figures.demo > 0)
}

pub async fn home(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let d = ready.directory();
    let f = &d.figures;
    Ok(render(
        StatusCode::OK,
        &HomePage {
            figures: FiguresView {
                total: format_count(f.total),
                activateurs: format_count(f.activateurs),
                ambassadeurs: format_count(f.ambassadeurs),
                departments: format_count(f.departments),
                remote: format_count(f.remote),
            },
            demo: f.demo > 0,
            specialties: specialty_links(),
            form_q: String::new(),
            form_near: String::new(),
            hidden: Vec::new(),
        },
    ))
}

/// Filters shown as facets, with the parameter that sets them.
/// (parameter, title, most values shown, group): facets of one group share
/// one collapsible box, so that the keyboard meets fewer stops before the
/// results.
const FACETS: &[(&str, &str, usize, &str)] = &[
    ("kind", "Réseau", 10, "Réseau"),
    ("specialty", "Spécialité", 20, "Spécialité"),
    ("sector", "Secteur", 20, "Secteur"),
    ("structure_type", "Type de structure", 10, "Type de structure"),
    ("remote", "Modalités", 2, "Modalités"),
    ("region", "Région", 18, "Lieu"),
    ("department", "Département", 12, "Lieu"),
];

fn facet_values<'r>(results: &'r SearchResults, key: &str) -> &'r [FacetValue] {
    let f = &results.facets;
    match key {
        "kind" => &f.kind,
        "specialty" => &f.specialty,
        "sector" => &f.sector,
        "structure_type" => &f.structure_type,
        "remote" => &f.remote,
        "region" => &f.region,
        "department" => &f.department,
        _ => &[],
    }
}

fn active_filter_label(state: &AppState, key: &str, value: &str) -> Option<String> {
    let geo = &state.geo;
    Some(match key {
        "kind" => format!("Réseau : {}", Kind::from_slug(value)?.label()),
        "specialty" => format!("Spécialité : {}", Specialty::from_slug(value)?.label()),
        "sector" => format!("Secteur : {}", Sector::from_slug(value)?.label()),
        "structure_type" => format!("Type : {}", StructureType::from_slug(value)?.label()),
        "remote" => {
            if matches!(value, "true" | "1" | "oui") {
                "À distance".into()
            } else {
                "Sur place uniquement".into()
            }
        }
        "region" => format!("Région : {}", geo.regions[geo.find_region(value)?].name),
        "department" => format!("Département : {}", geo.departments[geo.find_department(value)?].name),
        "radius_km" => format!("Rayon : {value} km"),
        _ => return None,
    })
}

fn pagination(raw: &RawParams, page: usize, per_page: usize, total: usize) -> Vec<PageLink> {
    let last = total.div_ceil(per_page).clamp(1, crate::params::MAX_PAGE);
    let mut out = Vec::new();
    if page > 1 {
        out.push(PageLink {
            label: "Précédente".into(),
            url: raw.page(page - 1),
            current: false,
            aria: Some("Page précédente".into()),
        });
    }
    let mut shown: Vec<usize> = vec![1, last];
    shown.extend(page.saturating_sub(2).max(1)..=(page + 2).min(last));
    shown.sort_unstable();
    shown.dedup();
    for p in shown {
        out.push(PageLink {
            label: p.to_string(),
            url: raw.page(p),
            current: p == page,
            aria: Some(format!("Page {p}")),
        });
    }
    if page < last {
        out.push(PageLink {
            label: "Suivante".into(),
            url: raw.page(page + 1),
            current: false,
            aria: Some("Page suivante".into()),
        });
    }
    out
}

fn hit_view(geo: &Geography, directory: &Directory, hit: &Hit, place: Option<&PlaceInfo>) -> HitView {
    let a = &directory.engine.advisers()[hit.ord];
    // A point borrowed from a chief town, the adviser's or the place's,
    // gives only a sector.
    let own_sector =
        || geo.commune_by_insee(&a.commune_insee).and_then(|c| geo.sector_town(c)).map(|c| c.name.as_str());
    let sector = own_sector().or_else(|| place.and_then(|p| p.sector.as_deref()));
    HitView {
        id: a.id.to_string(),
        name: a.name.clone(),
        kind_slug: a.kind.slug(),
        kind_label: a.kind.label(),
        is_demo: a.is_demo,
        structure_type: a.structure_type.label(),
        commune: a.commune.clone(),
        department: a.department.clone(),
        distance: hit.distance_km.map(|d| distance_phrase(d, sector)),
        in_person: a.in_person,
        remote: a.remote,
        specialties: a.specialties.iter().map(|s| s.label()).collect::<Vec<_>>().join(" · "),
    }
}

pub async fn search(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let raw = RawParams::from_query(query.as_deref());
    let form_q = raw.get("q").unwrap_or("").chars().take(crate::params::MAX_QUERY_CHARS).collect::<String>();
    let form_near = raw.get("near").unwrap_or("").chars().take(100).collect::<String>();
    // Filters set by facets travel with the form as hidden fields.
    let hidden: Vec<(String, String)> = raw
        .pairs
        .iter()
        .filter(|(k, v)| !matches!(k.as_str(), "q" | "near" | "page" | "live") && !v.trim().is_empty())
        .filter(|(k, _)| FACETS.iter().any(|(f, ..)| f == k) || k == "radius_km" || k == "per_page")
        .cloned()
        .collect();
    let searched = raw.pairs.iter().any(|(k, v)| k != "page" && k != "live" && !v.trim().is_empty());
    let demo = directory.figures.demo > 0;
    let mut page = ResultsPage {
        title: "Trouver un conseiller".into(),
        heading: "Trouver un conseiller".into(),
        form_q: form_q.clone(),
        form_near,
        hidden,
        error: None,
        status: String::new(),
        relaxed: Vec::new(),
        total: 0,
        searched,
        hits: Vec::new(),
        first_rank: 1,
        facet_groups: Vec::new(),
        active_filters: Vec::new(),
        pages: Vec::new(),
        specialties: specialty_links(),
        demo,
    };
    let s = match run_search(&state, ready, &directory, &raw) {
        Ok(s) => s,
        Err(e) => {
            page.title = "Recherche impossible".into();
            page.error = Some(format!("{} (paramètre « {} »).", e.message, e.parameter));
            page.searched = false;
            page.status = "La recherche n'a pas pu être lancée.".into();
            return Ok(render(StatusCode::BAD_REQUEST, &page));
        }
    };
    let r = &s.results;
    if !form_q.is_empty() {
        page.heading = format!("Conseillers pour « {form_q} »");
        page.title = format!("{} – recherche « {form_q} »", plural(r.total, "conseiller", "conseillers"));
    } else if searched {
        page.title = format!("{} – recherche", plural(r.total, "conseiller", "conseillers"));
    }
    let mut status = if r.total == 0 {
        "Aucun conseiller trouvé.".to_string()
    } else {
        format!("{} {}", plural(r.total, "conseiller", "conseillers"), if r.total > 1 { "trouvés" } else { "trouvé" })
    };
    if let Some(p) = &r.place {
        match p.radius_km {
            Some(radius) => status.push_str(&format!(" à moins de {radius:.0} km de {}", p.label)),
            None => status.push_str(&format!(" – {}", p.label)),
        }
    }
    status.push('.');
    page.status = status;
    page.relaxed = r.relaxed.iter().map(|x| x.message()).collect();
    page.total = r.total;
    page.first_rank = (s.request.page - 1) * s.request.per_page + 1;
    page.hits = r.hits.iter().map(|h| hit_view(&state.geo, &directory, h, r.place.as_ref())).collect();
    for (key, value) in &raw.pairs {
        if value.trim().is_empty() {
            continue;
        }
        if let Some(label) = active_filter_label(&state, key, value.trim()) {
            page.active_filters.push(ActiveFilter { label, url: raw.with(key, None) });
        }
    }
    for &(key, title, limit, group) in FACETS {
        if raw.get(key).is_some() {
            continue;
        }
        let values: Vec<FacetLink> = facet_values(r, key)
            .iter()
            .take(limit)
            .map(|v| FacetLink { label: v.label.clone(), count: v.count, url: raw.with(key, Some(&v.value)) })
            .collect();
        if values.len() > 1 || (values.len() == 1 && values[0].count < r.total) {
            let section = FacetSection { title, values };
            match page.facet_groups.iter_mut().find(|g| g.title == group) {
                Some(g) => g.sections.push(section),
                None => page.facet_groups.push(FacetGroup { title: group, sections: vec![section] }),
            }
        }
    }
    page.pages = pagination(&raw, s.request.page, s.request.per_page, r.total);
    Ok(render(StatusCode::OK, &page))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", format_count(n), if n > 1 { many } else { one })
}

pub async fn profile(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let a = directory.engine.find(&id).ok_or(PageError::NotFound)?;
    let geo = &state.geo;
    Ok(render(
        StatusCode::OK,
        &ProfilePage {
            a,
            department: geo.department(&a.department).map(|d| format!("{} ({})", d.name, d.code)).unwrap_or_default(),
            region: geo.region(&a.region).map(|r| r.name.clone()).unwrap_or_default(),
            demo: a.is_demo,
        },
    ))
}

/// Reasons offered on the abuse-report form.
pub(crate) const REPORT_REASONS: &[(&str, &str)] = &[
    ("fausses_informations", "Informations fausses ou trompeuses"),
    ("demarchage", "Démarchage abusif"),
    ("certification", "Se présente comme « certifié » ou « labellisé » par France Num"),
    ("contenu_inapproprie", "Contenu inapproprié"),
    ("autre", "Autre motif"),
];
const MAX_REPORT_CHARS: usize = 2_000;

fn report_path(id: &str) -> String {
    format!("/conseillers/{id}/signaler")
}

fn report_page<'a>(ready: &crate::Ready, a: &'a osez_core::Adviser) -> ReportPage<'a> {
    let token = form_token(&ready.secrets, &report_path(a.id.as_str()));
    ReportPage::blank(
        a,
        REPORT_REASONS,
        token,
        crate::antispam::new_question(&ready.secrets),
        crate::antispam::HONEYPOT,
    )
}

/// Who reports, as the store counts reporters: a keyed hash of the
/// client's IPv4 address or IPv6 /64 and of the profile, never the address.
/// One client thus keeps one open report per profile, whatever the day, and
/// its pseudonyms on two profiles cannot be matched without the key.
/// Rejected: the raw address (personal data kept for months); a hash of the
/// day (one client reporting on three days counted as three reporters and
/// hid the profile); a hash without a scope (one pseudonym per person
/// across every report).
fn reporter(secrets: &crate::Secrets, adviser: &str, ip: std::net::IpAddr) -> String {
    crate::security::client_pseudonym(secrets, &format!("signalement|{adviser}"), 0, ip)
}

pub async fn report_form(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let a = directory.engine.find(&id).ok_or(PageError::NotFound)?;
    Ok(render(StatusCode::OK, &report_page(ready, a)))
}

/// Cross-site posts never get here (see `security::refuse_cross_site`); the
/// signed token also stops a post from a client that sends no `Origin`.
/// Then, as on the contact forms: the honeypot, the minimum fill time and
/// the challenge, spent in the transaction that saves the report.
pub async fn report_submit(
    State(state): State<Arc<AppState>>,
    crate::security::ClientIp(ip): crate::security::ClientIp,
    Path(id): Path<String>,
    form: super::FormList,
) -> Result<Response, PageError> {
    use crate::antispam;
    use osez_store::{NewReport, ReportOutcome};
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let a = directory.engine.find(&id).ok_or(PageError::NotFound)?;
    let path = report_path(a.id.as_str());
    let mut page = report_page(ready, a);
    let reason = form.text("reason").trim().to_string();
    let message = form.text("message").trim().to_string();
    page.form_reason = reason.clone();
    page.form_message = message.chars().take(MAX_REPORT_CHARS).collect();
    let refuse = |mut page: ReportPage, status: StatusCode, message: &str| {
        page.error = Some(message.to_string());
        Ok(render(status, &page))
    };
    if let Err(e) = check_form_token(&ready.secrets, &path, form.get("jeton")) {
        return refuse(page, StatusCode::FORBIDDEN, e.message());
    }
    if let Some(refusal) = super::contact::robot_refusal(&state, &form) {
        return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, refusal);
    }
    if !REPORT_REASONS.iter().any(|(v, _)| *v == reason) {
        return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, "Choisissez un motif de signalement.");
    }
    if message.chars().count() > MAX_REPORT_CHARS {
        let too_long = format!("Le message dépasse {MAX_REPORT_CHARS} caractères : raccourcissez-le.");
        return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, &too_long);
    }
    let challenge = match antispam::checked_challenge(&state.challenges, ready, &form).await? {
        Ok(c) => c,
        Err(e) => return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, e.message()),
    };
    let reporter = reporter(&ready.secrets, a.id.as_str(), ip);
    let report = NewReport { adviser: &a.id, reason: &reason, message: &message, reporter: &reporter };
    match ready.store.record_abuse_report(&report, &challenge).await? {
        ReportOutcome::Saved { hid_profile } => {
            if hid_profile {
                tracing::info!(adviser = %a.id, "profile hidden pending review after repeated reports");
                ready.directory_changed();
            }
            page.sent = true;
        }
        ReportOutcome::AlreadyReported => page.already_reported = true,
        ReportOutcome::DailyCapReached => {
            return refuse(
                page,
                StatusCode::TOO_MANY_REQUESTS,
                "Ce profil a déjà reçu beaucoup de signalements aujourd'hui : l'équipe de modération en est informée. \
                 Votre signalement n'a pas été enregistré. Si vous avez une information nouvelle, écrivez à l'équipe \
                 France Num depuis la page Contact.",
            );
        }
        ReportOutcome::Replayed => {
            return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, antispam::ChallengeError::Expired.message());
        }
        ReportOutcome::UnknownProfile => return Err(PageError::NotFound),
    }
    Ok(render(StatusCode::OK, &page))
}

pub async fn accessibility(State(state): State<Arc<AppState>>) -> Response {
    render(StatusCode::OK, &AccessibilityPage { demo: is_demo(&state) })
}

pub async fn legal(State(state): State<Arc<AppState>>) -> Response {
    let retention = crate::mail::retention_label(state.config.retention_days);
    render(StatusCode::OK, &LegalPage { demo: is_demo(&state), retention })
}

pub async fn not_found() -> PageError {
    PageError::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reporter_is_one_client_on_one_profile_at_any_time() {
        let secrets = crate::Secrets { form_key: [1; 32] };
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let one = reporter(&secrets, "demo-act-0001", ip("2001:db8:1:2::1"));
        assert_eq!(one, reporter(&secrets, "demo-act-0001", ip("2001:db8:1:2::ffff")), "one /64");
        assert_ne!(one, reporter(&secrets, "demo-act-0002", ip("2001:db8:1:2::1")), "not linkable across profiles");
        assert_ne!(one, reporter(&secrets, "demo-act-0001", ip("2001:db8:1:3::1")));
        assert_eq!(one.len(), 64);
        assert!(!one.contains("2001"));
    }
}
