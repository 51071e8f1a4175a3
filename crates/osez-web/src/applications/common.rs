//! What the three sides of applications share: form fields and views of
//! applications and calls.

use jiff::ToSpan;
use jiff::civil::Date;
use osez_core::application::{FieldError, RawApplication};
use osez_core::{Specialty, StructureType};
use osez_store::{Application, ApplicationKind, Call};

use crate::applications::views::{ApplicationFields, ApplicationView, CallView};
use crate::kit::format::{format_time, today};
use crate::kit::forms::FormList;
use crate::kit::state::AppState;

pub(crate) fn fields(state: &AppState, raw: &RawApplication, errors: &[FieldError]) -> ApplicationFields {
    ApplicationFields {
        raw: raw.clone(),
        errors: errors.iter().map(|e| (e.field, e.message.clone())).collect(),
        structure_types: StructureType::ALL.iter().map(|t| (t.slug(), t.label())).collect(),
        all_specialties: Specialty::ALL.iter().map(|s| (s.slug(), s.label())).collect(),
        departments: state
            .geo
            .departments
            .iter()
            .map(|d| (d.code.clone(), format!("{} ({})", d.name, d.code)))
            .collect(),
    }
}

pub(crate) fn raw_of(form: &FormList) -> RawApplication {
    let text = |k: &str| form.text(k).chars().take(4_000).collect::<String>();
    RawApplication {
        name: text("name"),
        siret: text("siret"),
        activity_start: text("activity_start"),
        website: text("website"),
        structure_type: text("structure_type"),
        commune: text("commune"),
        area: form.all("area").into_iter().take(120).collect(),
        specialties: form.all("specialties").into_iter().take(20).collect(),
        in_person: form.get("in_person").is_some(),
        remote: form.get("remote").is_some(),
        description: text("description"),
    }
}

/// The latest start of activity accepted today: six months ago.
pub(crate) fn started_before() -> String {
    let day = today();
    day.checked_sub(6.months()).unwrap_or(day).to_string()
}

fn kind_label(kind: ApplicationKind) -> &'static str {
    match kind {
        ApplicationKind::Activateur => "Référencement comme activateur France Num",
        ApplicationKind::AmbassadeurIa => "Candidature ambassadeur IA",
        ApplicationKind::Modification => "Changement de nom ou de SIRET",
    }
}

pub(crate) fn application_view(a: &Application, calls: &[Call]) -> ApplicationView {
    ApplicationView {
        id: a.id,
        kind: kind_label(a.kind),
        status: a.status.label(),
        name: a.form.name.clone(),
        email: a.email.clone(),
        team_note: a.team_note.clone(),
        submitted: format_time(a.created_at_ms),
        updated: format_time(a.updated_at_ms),
        call: a.call_id.and_then(|id| calls.iter().find(|c| c.id == id)).map(|c| c.title.clone()),
        adviser_id: a.adviser_id.clone(),
    }
}

pub(crate) fn call_view(state: &AppState, c: &Call, today: Date) -> CallView {
    let regions = if c.regions.is_empty() {
        "toutes les régions".to_string()
    } else {
        c.regions.iter().filter_map(|r| state.geo.region(r)).map(|r| r.name.clone()).collect::<Vec<_>>().join(", ")
    };
    let date = |d: Date| d.strftime("%d/%m/%Y").to_string();
    CallView {
        id: c.id,
        title: c.title.clone(),
        criteria: c.criteria.clone(),
        dates: format!("du {} au {}", date(c.opens_on), date(c.closes_on)),
        regions,
        open: c.is_open_on(today),
    }
}
