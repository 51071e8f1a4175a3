//! Template data. Askama escapes every value; no template marks anything
//! safe.

use askama::Template;
use osez_core::application::RawApplication;
use osez_core::{Adviser, Specialty};

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: &'static str,
    pub message: String,
    pub demo: bool,
}

/// The answer to every application sent, whether the address had an account
/// or not.
#[derive(Template)]
#[template(path = "apply_sent.html")]
pub struct ApplySentPage {
    pub demo: bool,
}

/// Key figures, already written the French way ("4 300").
pub struct FiguresView {
    pub total: String,
    pub activateurs: String,
    pub ambassadeurs: String,
    pub departments: String,
    pub remote: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub figures: FiguresView,
    pub demo: bool,
    pub specialties: Vec<(&'static str, &'static str)>,
    pub form_q: String,
    pub form_near: String,
    pub hidden: Vec<(String, String)>,
}

pub struct HitView {
    pub id: String,
    pub name: String,
    pub kind_slug: &'static str,
    pub kind_label: &'static str,
    pub is_demo: bool,
    pub structure_type: &'static str,
    pub commune: String,
    pub department: String,
    pub distance: Option<String>,
    pub in_person: bool,
    pub remote: bool,
    pub specialties: String,
}

pub struct FacetLink {
    pub label: String,
    pub count: usize,
    pub url: String,
}

/// One collapsible box of facets: one section, or several related ones
/// (région and département under "Lieu").
pub struct FacetGroup {
    pub title: &'static str,
    pub sections: Vec<FacetSection>,
}

impl FacetGroup {
    pub fn choices(&self) -> usize {
        self.sections.iter().map(|s| s.values.len()).sum()
    }
}

pub struct FacetSection {
    pub title: &'static str,
    pub values: Vec<FacetLink>,
}

pub struct ActiveFilter {
    pub label: String,
    pub url: String,
}

pub struct PageLink {
    pub label: String,
    pub url: String,
    pub current: bool,
    pub aria: Option<String>,
}

#[derive(Template)]
#[template(path = "results.html")]
pub struct ResultsPage {
    pub title: String,
    pub heading: String,
    pub form_q: String,
    pub form_near: String,
    pub hidden: Vec<(String, String)>,
    pub error: Option<String>,
    pub status: String,
    pub relaxed: Vec<String>,
    pub total: usize,
    pub searched: bool,
    pub hits: Vec<HitView>,
    pub first_rank: usize,
    pub facet_groups: Vec<FacetGroup>,
    pub active_filters: Vec<ActiveFilter>,
    pub pages: Vec<PageLink>,
    pub specialties: Vec<(&'static str, &'static str)>,
    pub demo: bool,
}

#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage<'a> {
    pub a: &'a Adviser,
    pub department: String,
    pub region: String,
    pub demo: bool,
}

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage<'a> {
    pub a: &'a Adviser,
    pub reasons: &'static [(&'static str, &'static str)],
    pub sent: bool,
    /// This client already has an open report of this profile.
    pub already_reported: bool,
    pub error: Option<String>,
    pub form_reason: String,
    pub form_message: String,
    /// Signed form token (see `security::form_token`).
    pub token: String,
    /// The anti-robot challenge, as on the contact forms.
    pub question: crate::antispam::Question,
    pub honeypot: &'static str,
    pub demo: bool,
}

impl<'a> ReportPage<'a> {
    /// The empty form for an adviser.
    pub fn blank(
        a: &'a Adviser,
        reasons: &'static [(&'static str, &'static str)],
        token: String,
        question: crate::antispam::Question,
        honeypot: &'static str,
    ) -> Self {
        ReportPage {
            a,
            reasons,
            token,
            question,
            honeypot,
            sent: false,
            already_reported: false,
            error: None,
            form_reason: String::new(),
            form_message: String::new(),
            demo: a.is_demo,
        }
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub email: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub token: String,
    pub demo: bool,
}

#[derive(Template)]
#[template(path = "totp_code.html")]
pub struct TotpCodePage {
    pub user_id: i64,
    pub token: String,
    pub error: Option<String>,
    pub demo: bool,
}

#[derive(Template)]
#[template(path = "totp_enrol.html")]
pub struct TotpEnrolPage {
    pub user_id: i64,
    pub secret: String,
    pub secret_grouped: String,
    pub otpauth: String,
    pub token: String,
    pub error: Option<String>,
    pub demo: bool,
}

#[derive(Template)]
#[template(path = "forgot.html")]
pub struct ForgotPage {
    pub token: String,
    pub sent: bool,
    pub error: Option<String>,
    pub demo: bool,
}

#[derive(Template)]
#[template(path = "reset.html")]
pub struct ResetPage {
    /// The reset link's own token, carried by the form.
    pub link: String,
    pub token: String,
    pub error: Option<String>,
    pub demo: bool,
}

/// What every back-office page shows around its content: who is signed
/// in, the sections their role opens, and the session's idle deadline.
pub struct Chrome {
    pub email: String,
    pub role: &'static str,
    pub nav: Vec<NavLink>,
    /// Seconds before the session closes without activity.
    pub idle_seconds: i64,
    pub minutes_left: i64,
    pub token_extend: String,
    pub token_sign_out: String,
    /// Path of this page, where "Prolonger la session" comes back to.
    pub here: String,
}

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "admin_home.html")]
pub struct AdminHomePage {
    pub chrome: Chrome,
    pub token_everywhere: String,
    pub open_cases: Option<usize>,
    pub demo: bool,
}

pub struct CaseView {
    pub adviser_id: String,
    pub name: String,
    pub hidden: bool,
    pub reports: Vec<ReportView>,
    pub token: String,
}

pub struct ReportView {
    pub reason: &'static str,
    pub message: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "admin_moderation.html")]
pub struct ModerationPage {
    pub chrome: Chrome,
    pub cases: Vec<CaseView>,
    pub hide_after: i64,
    pub notice: Option<String>,
    pub demo: bool,
}

pub struct ZeroRowView {
    pub query: String,
    pub count: i64,
    pub filters: Vec<(String, i64)>,
    pub last_at: String,
}

#[derive(Template)]
#[template(path = "admin_searches.html")]
pub struct ZeroResultsPage {
    pub chrome: Chrome,
    pub week: String,
    pub week_label: String,
    pub previous_week: String,
    pub next_week: Option<String>,
    pub rows: Vec<ZeroRowView>,
    pub total: i64,
    /// The report counts only this many most recent (query, filters) pairs.
    pub truncated: Option<String>,
    /// Searches not recorded since start: the queue was full.
    pub dropped: u64,
    pub error: Option<String>,
    pub demo: bool,
}

pub struct DepartmentCoverage {
    pub code: String,
    pub name: String,
    pub region: String,
    pub population: String,
    pub activateurs: usize,
    pub ambassadeurs: usize,
    pub per_100k: String,
    pub ia_per_100k: String,
}

pub struct RegionCoverage {
    pub name: String,
    pub ambassadeurs: usize,
    pub ia_per_100k: String,
    pub without_ia: Vec<String>,
}

pub struct MapShape {
    pub path: String,
    pub fill: &'static str,
    pub no_ia: bool,
    pub title: String,
}

pub struct MapInset {
    pub code: String,
    pub x: u32,
    pub y: u32,
    pub label_y: u32,
    pub fill: &'static str,
    pub no_ia: bool,
    pub title: String,
}

pub struct LegendEntry {
    pub fill: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin_coverage.html")]
pub struct CoveragePage {
    pub chrome: Chrome,
    pub departments: Vec<DepartmentCoverage>,
    pub regions: Vec<RegionCoverage>,
    pub without_ia: Vec<String>,
    pub view_box: &'static str,
    pub shapes: Vec<MapShape>,
    pub insets: Vec<MapInset>,
    pub legend: Vec<LegendEntry>,
    pub demo: bool,
}

pub struct AuditView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub q: String,
    pub actor: String,
    pub action: String,
    pub from: String,
    pub to: String,
    pub entries: Vec<AuditView>,
    pub total: i64,
    pub export_url: String,
    pub previous_url: Option<String>,
    pub next_url: Option<String>,
    pub error: Option<String>,
    pub demo: bool,
}

pub struct UserView {
    pub id: i64,
    pub email: String,
    pub role: &'static str,
    pub totp: bool,
    pub disabled: bool,
    pub sessions: i64,
    pub created: String,
    pub is_self: bool,
    pub token_sessions: String,
    pub token_toggle: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub users: Vec<UserView>,
    pub notice: Option<String>,
    pub demo: bool,
}

#[derive(Template)]
#[template(path = "accessibility.html")]
pub struct AccessibilityPage {
    pub demo: bool,
}

#[derive(Template)]
#[template(path = "legal.html")]
pub struct LegalPage {
    pub demo: bool,
    /// How long contact messages are kept ("12 mois").
    pub retention: String,
}

/// One message in a list of the back office.
pub struct MessageRow {
    pub id: i64,
    pub at: String,
    pub name: String,
    pub company: String,
    pub commune: String,
    pub need: &'static str,
    pub status: &'static str,
    pub assigned_to: String,
    /// For a message passed on by the team: the adviser's name.
    pub adviser: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_messages.html")]
pub struct InboxPage {
    pub chrome: Chrome,
    pub rows: Vec<MessageRow>,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub status: &'static str,
    pub mine: bool,
    pub outbox: Option<String>,
    pub demo: bool,
}

pub struct ReplyView {
    pub author: String,
    pub at: String,
    pub subject: String,
    pub body: String,
}

pub struct TeamMember {
    pub id: i64,
    pub email: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin_message.html")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub row: MessageRow,
    pub email: String,
    pub message: String,
    pub replies: Vec<ReplyView>,
    pub statuses: Vec<(&'static str, &'static str, bool)>,
    pub team: Vec<TeamMember>,
    pub token: String,
    pub subject: String,
    pub body: String,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub outbox: Option<String>,
    pub demo: bool,
}

pub struct RequestRow {
    pub row: MessageRow,
    pub email: String,
    pub message: String,
    pub outcome: Option<&'static str>,
    pub token: String,
}

#[derive(Template)]
#[template(path = "admin_requests.html")]
pub struct RequestsPage {
    pub chrome: Chrome,
    pub has_profile: bool,
    pub rows: Vec<RequestRow>,
    pub outcomes: Vec<(&'static str, &'static str)>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub demo: bool,
}

pub struct OutcomeRow {
    pub department: String,
    pub need: &'static str,
    pub total: i64,
    pub met: i64,
    pub quote_sent: i64,
    pub no_follow_up: i64,
    pub unknown: i64,
}

#[derive(Template)]
#[template(path = "admin_outcomes.html")]
pub struct OutcomesPage {
    pub chrome: Chrome,
    pub from: String,
    pub rows: Vec<OutcomeRow>,
    pub total: OutcomeRow,
    pub error: Option<String>,
    pub demo: bool,
}

/// Where a person is on the "Mes données" pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MyDataStep {
    Ask,
    Asked,
    Access,
    Erased,
    Gone,
}

#[derive(Template)]
#[template(path = "my_data.html")]
pub struct MyDataPage {
    pub demo: bool,
    pub step: MyDataStep,
    pub token: String,
    pub question: crate::antispam::Question,
    pub honeypot: &'static str,
    pub email: String,
    pub error: Option<String>,
    pub retention: String,
    /// The single-use link's token, carried by the access forms.
    pub link: String,
    pub access_token: String,
    pub messages: usize,
    pub mails: usize,
    pub account: bool,
    pub claims: usize,
    /// How long a link can be used.
    pub link_minutes: u64,
}

/// The contact form, to the team or to one adviser, and its confirmation.
#[derive(Template)]
#[template(path = "contact.html")]
pub struct ContactPage {
    pub demo: bool,
    pub title: String,
    /// Id and name of the adviser written to; `None`: the team.
    pub adviser: Option<(String, String)>,
    pub action: String,
    pub token: String,
    pub raw: osez_core::contact::RawContact,
    pub errors: Vec<(&'static str, String)>,
    /// A refusal of the whole form (challenge, robot, too many messages).
    pub error: Option<String>,
    pub needs: Vec<(&'static str, &'static str)>,
    pub question: crate::antispam::Question,
    pub honeypot: &'static str,
    pub sent: bool,
    /// The adviser has no account: the team passes the message on.
    pub via_team: bool,
    /// "12 mois".
    pub retention: String,
    pub max_message: usize,
}

impl ContactPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }
}

pub fn specialty_links() -> Vec<(&'static str, &'static str)> {
    Specialty::ALL.iter().map(|s| (s.slug(), s.label())).collect()
}

/// "moins d'1 km", "3,2 km", "12 km": French decimal comma, one decimal
/// under 10 km.
pub fn format_km(d: f64) -> String {
    if d < 1.0 {
        "moins d'1 km".into()
    } else if d < 10.0 {
        format!("{d:.1} km").replace('.', ",")
    } else {
        format!("{d:.0} km")
    }
}

/// Below this, a distance to or from a borrowed point says nothing more
/// than "same sector": the chief town stands for communes up to about this
/// far from it.
const SECTOR_KM: f64 = 15.0;

/// How far a result is, in words. `sector` is the chief town whose point
/// stands in for the adviser's commune or the searched place, when one of
/// them has no coordinates of its own: then no precise distance is given
/// ("secteur de Nantes", "à environ 45 km").
pub fn distance_phrase(d: f64, sector: Option<&str>) -> String {
    match sector {
        None => format!("à {}", format_km(d)),
        Some(town) if d < SECTOR_KM => format!("secteur de {town}"),
        Some(_) => format!("à environ {} km", ((d / 5.0).round() * 5.0) as u32),
    }
}

/// A count written the French way: groups of three digits separated by a
/// no-break space ("4\u{a0}300").
pub fn format_count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_distances_read_the_french_way() {
        assert_eq!(format_count(7), "7");
        assert_eq!(format_count(300), "300");
        assert_eq!(format_count(4300), "4\u{a0}300");
        assert_eq!(format_count(1_234_567), "1\u{a0}234\u{a0}567");
        assert_eq!(format_km(0.4), "moins d'1 km");
        assert_eq!(format_km(3.25), "3,2 km");
        assert_eq!(format_km(12.6), "13 km");
    }

    #[test]
    fn a_borrowed_point_gives_a_sector_never_a_precise_distance() {
        assert_eq!(distance_phrase(0.4, None), "à moins d'1 km");
        assert_eq!(distance_phrase(0.0, Some("Nantes")), "secteur de Nantes");
        assert_eq!(distance_phrase(14.0, Some("Nantes")), "secteur de Nantes");
        assert_eq!(distance_phrase(43.2, Some("Nantes")), "à environ 45 km");
    }
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
#[template(path = "apply.html")]
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
    pub demo: bool,
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
#[template(path = "calls.html")]
pub struct CallsPage {
    pub calls: Vec<CallView>,
    pub demo: bool,
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
#[template(path = "admin_my_applications.html")]
pub struct MyApplicationsPage {
    pub chrome: Chrome,
    pub applications: Vec<ApplicationView>,
    /// The application waiting for corrections, with its form.
    pub correcting: Option<(i64, String, ApplicationFields)>,
    pub notice: Option<String>,
    pub demo: bool,
}

#[derive(Template)]
#[template(path = "admin_profile.html")]
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
    pub demo: bool,
}

#[derive(Template)]
#[template(path = "admin_applications.html")]
pub struct ApplicationsPage {
    pub chrome: Chrome,
    pub applications: Vec<ApplicationView>,
    pub demo: bool,
}

#[derive(Template)]
#[template(path = "admin_application.html")]
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
    pub demo: bool,
}

#[derive(Template)]
#[template(path = "admin_calls.html")]
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
    pub demo: bool,
}

// ------------------------------------------------------- claims, invitations

/// "C'est ma structure": the public claim form of a profile, and its
/// confirmation.
#[derive(Template)]
#[template(path = "claim.html")]
pub struct ClaimPage {
    pub demo: bool,
    pub adviser_id: String,
    pub adviser_name: String,
    pub action: String,
    /// The profile already has an account: no claim, the contact form.
    pub linked: bool,
    pub sent: bool,
    pub token: String,
    pub email: String,
    pub siret: String,
    pub message: String,
    pub error: Option<String>,
    pub question: crate::antispam::Question,
    pub honeypot: &'static str,
    pub max_message: usize,
}

/// One claim, as the team sees it.
pub struct ClaimView {
    pub id: i64,
    pub adviser_id: String,
    pub adviser_name: String,
    pub email: String,
    pub siret: String,
    pub message: String,
    pub pending: bool,
    pub status: &'static str,
    pub reason: String,
    pub decided: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin_claims.html")]
pub struct AdminClaimsPage {
    pub chrome: Chrome,
    pub claims: Vec<ClaimView>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub token_invite: String,
    pub invite_id: String,
    pub invite_email: String,
    pub invite_days: u64,
    pub demo: bool,
}

#[derive(Template)]
#[template(path = "admin_claim.html")]
pub struct AdminClaimPage {
    pub chrome: Chrome,
    pub claim: ClaimView,
    pub token: String,
    pub error: Option<String>,
    pub invite_days: u64,
    pub demo: bool,
}

/// The invitation link's page: the account's first password.
#[derive(Template)]
#[template(path = "invitation.html")]
pub struct InvitationPage {
    pub email: String,
    /// The invitation link's own token, carried by the form.
    pub link: String,
    pub token: String,
    pub error: Option<String>,
    pub demo: bool,
}
