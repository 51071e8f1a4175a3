//! Abuse reports on a profile: one open report per reporter (a keyed
//! pseudonym of the client) and profile, a cap per profile and day, the
//! same challenge as the contact forms.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::directory::views::ReportPage;
use crate::kit::antispam::{HONEYPOT, new_question};
use crate::kit::error::{PageError, render};
use crate::kit::public_form::{FormKind, PublicForm};
use crate::kit::state::{AppState, Ready};
use crate::kit::tokens::{Secrets, client_pseudonym, form_token};

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

fn report_page<'a>(state: &AppState, ready: &Ready, a: &'a osez_core::Adviser) -> ReportPage<'a> {
    let token = form_token(&ready.secrets, &report_path(a.id.as_str()));
    ReportPage::blank(a, REPORT_REASONS, token, new_question(&ready.secrets), HONEYPOT, state.base())
}

/// Who reports, as the store counts reporters: a keyed hash of the
/// client's IPv4 address or IPv6 /64 and of the profile, never the address.
/// One client thus keeps one open report per profile, whatever the day, and
/// its pseudonyms on two profiles cannot be matched without the key.
/// Rejected: the raw address (personal data kept for months); a hash of the
/// day (one client reporting on three days counted as three reporters and
/// hid the profile); a hash without a scope (one pseudonym per person
/// across every report).
fn reporter(secrets: &Secrets, adviser: &str, ip: std::net::IpAddr) -> String {
    client_pseudonym(secrets, &format!("signalement|{adviser}"), 0, ip)
}

pub async fn report_form(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let a = directory.engine.find(&id).ok_or(PageError::NotFound)?;
    Ok(render(StatusCode::OK, &report_page(&state, ready, a)))
}

/// Cross-site posts never get here (see `security::refuse_cross_site`); the
/// signed token also stops a post from a client that sends no `Origin`.
/// Then, as on the contact forms: the honeypot, the minimum fill time and
/// the challenge, spent in the transaction that saves the report.
/// An abuse report: its own hourly budget per client (a report names no
/// address; one open report per reporter and profile is kept by the store).
pub(crate) struct Report;

impl FormKind for Report {
    const BUDGET: &'static str = "signalement";
    const WHAT: &'static str = "signalements";
    const PERSON: Option<&'static str> = None;
}

pub async fn report_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    PublicForm { form, client: ip, checked, .. }: PublicForm<Report>,
) -> Result<Response, PageError> {
    use crate::kit::antispam;
    use osez_store::{NewReport, ReportOutcome};
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let a = directory.engine.find(&id).ok_or(PageError::NotFound)?;
    let mut page = report_page(&state, ready, a);
    let reason = form.text("reason").trim().to_string();
    let message = form.text("message").trim().to_string();
    page.form_reason = reason.clone();
    page.form_message = message.chars().take(MAX_REPORT_CHARS).collect();
    let refuse = |mut page: ReportPage, status: StatusCode, message: &str| {
        page.error = Some(message.to_string());
        Ok(render(status, &page))
    };
    let challenge = match checked {
        Ok(c) => c,
        Err(refusal) => {
            page.error = Some(refusal.message.clone());
            return Ok(refusal.render(&page));
        }
    };
    if !REPORT_REASONS.iter().any(|(v, _)| *v == reason) {
        return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, "Choisissez un motif de signalement.");
    }
    if message.chars().count() > MAX_REPORT_CHARS {
        let too_long = format!("Le message dépasse {MAX_REPORT_CHARS} caractères : raccourcissez-le.");
        return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, &too_long);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reporter_is_one_client_on_one_profile_at_any_time() {
        let secrets = Secrets { form_key: [1; 32] };
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let one = reporter(&secrets, "demo-act-0001", ip("2001:db8:1:2::1"));
        assert_eq!(one, reporter(&secrets, "demo-act-0001", ip("2001:db8:1:2::ffff")), "one /64");
        assert_ne!(one, reporter(&secrets, "demo-act-0002", ip("2001:db8:1:2::1")), "not linkable across profiles");
        assert_ne!(one, reporter(&secrets, "demo-act-0001", ip("2001:db8:1:3::1")));
        assert_eq!(one.len(), 64);
        assert!(!one.contains("2001"));
    }
}
