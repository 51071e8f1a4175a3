//! Template data of applications and calls.

use askama::Template;
use osez_core::application::RawApplication;

use crate::kit::antispam::Question;
use crate::kit::page::Base;
use crate::kit::page::Chrome;

/// The answer to every application sent, whether the address had an account
/// or not.
#[derive(Template)]
#[template(path = "applications/apply_sent.html")]
pub struct ApplySentPage {
    pub base: Base,
}

/// The fields of an application form, filled with what was typed, and the
/// mistakes found, per field.
pub struct ApplicationFields {
    pub raw: RawApplication,
    pub errors: Vec<(&'static str, String)>,
    pub structure_types: Vec<(&'static str, &'static str)>,
    pub all_specialties: Vec<(&'static str, &'static str)>,
    /// (code, "Nom (code)").
    pub departments: Vec<(String, String)>,
}

impl ApplicationFields {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }

    pub fn has_area(&self, code: &str) -> bool {
        self.raw.area.iter().any(|a| a == code)
    }

    pub fn has_specialty(&self, slug: &str) -> bool {
        self.raw.specialties.iter().any(|s| s == slug)
    }
}

#[derive(Template)]
#[template(path = "applications/apply.html")]
pub struct ApplyPage {
    pub title: String,
    pub action: String,
    pub intro: String,
    pub call_criteria: Option<String>,
    pub token: String,
    pub email: String,
    /// The signed-in adviser's address, when they apply from their
    /// account: the form then asks for no account.
    pub account: Option<String>,
    pub fields: ApplicationFields,
    /// Why the form was refused as a whole (token, robot checks, challenge,
    /// limits), as opposed to a field.
    pub error: Option<String>,
    /// The challenge of a form without an account (none when signed in).
    pub question: Option<Question>,
    pub honeypot: &'static str,
    pub base: Base,
}

pub struct CallView {
    pub id: i64,
    pub title: String,
    pub criteria: String,
    pub dates: String,
    pub regions: String,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "applications/calls.html")]
pub struct CallsPage {
    pub calls: Vec<CallView>,
    pub base: Base,
}

pub struct ApplicationView {
    pub id: i64,
    pub kind: &'static str,
    pub status: &'static str,
    pub name: String,
    pub email: String,
    pub team_note: Option<String>,
    pub submitted: String,
    pub updated: String,
    pub call: Option<String>,
    pub adviser_id: Option<String>,
}

#[derive(Template)]
#[template(path = "applications/admin_my_applications.html")]
pub struct MyApplicationsPage {
    pub chrome: Chrome,
    pub applications: Vec<ApplicationView>,
    /// The application waiting for corrections, with its form.
    pub correcting: Option<(i64, String, ApplicationFields)>,
    pub notice: Option<String>,
    pub base: Base,
}

#[derive(Template)]
#[template(path = "applications/admin_profile.html")]
pub struct OwnProfilePage {
    pub chrome: Chrome,
    pub adviser_id: String,
    pub token: String,
    /// The profile's version this form was loaded at.
    pub version: i64,
    pub fields: ApplicationFields,
    pub notice: Option<String>,
    /// The profile changed since the form was loaded: nothing was saved.
    pub conflict: Option<String>,
    pub base: Base,
}

#[derive(Template)]
#[template(path = "applications/admin_applications.html")]
pub struct ApplicationsPage {
    pub chrome: Chrome,
    pub applications: Vec<ApplicationView>,
    pub base: Base,
}

#[derive(Template)]
#[template(path = "applications/admin_application.html")]
pub struct ApplicationPage {
    pub chrome: Chrome,
    pub app: ApplicationView,
    pub is_open: bool,
    pub can_shortlist: bool,
    pub facts: Vec<(&'static str, String)>,
    pub siret_ok: bool,
    pub token: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub base: Base,
}

#[derive(Template)]
#[template(path = "applications/admin_calls.html")]
pub struct AdminCallsPage {
    pub chrome: Chrome,
    pub calls: Vec<CallView>,
    pub token: String,
    pub regions: Vec<(String, String)>,
    pub form_title: String,
    pub form_criteria: String,
    pub form_opens: String,
    pub form_closes: String,
    pub form_regions: Vec<String>,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub base: Base,
}
