//! Template data of the back office's sections.

use askama::Template;

use crate::kit::page::Base;
use crate::kit::page::Chrome;

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
#[template(path = "backoffice/admin_moderation.html")]
pub struct ModerationPage {
    pub chrome: Chrome,
    pub cases: Vec<CaseView>,
    pub hide_after: i64,
    pub notice: Option<String>,
    pub base: Base,
}

pub struct ZeroRowView {
    pub query: String,
    pub count: i64,
    pub filters: Vec<(String, i64)>,
    pub last_at: String,
}

#[derive(Template)]
#[template(path = "backoffice/admin_searches.html")]
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
    pub base: Base,
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
#[template(path = "backoffice/admin_coverage.html")]
pub struct CoveragePage {
    pub chrome: Chrome,
    pub departments: Vec<DepartmentCoverage>,
    pub regions: Vec<RegionCoverage>,
    pub without_ia: Vec<String>,
    pub view_box: &'static str,
    pub shapes: Vec<MapShape>,
    pub insets: Vec<MapInset>,
    pub legend: Vec<LegendEntry>,
    pub base: Base,
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
#[template(path = "backoffice/admin_audit.html")]
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
    pub base: Base,
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
#[template(path = "backoffice/admin_users.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub users: Vec<UserView>,
    pub notice: Option<String>,
    pub base: Base,
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
#[template(path = "backoffice/admin_messages.html")]
pub struct InboxPage {
    pub chrome: Chrome,
    pub rows: Vec<MessageRow>,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub status: &'static str,
    pub mine: bool,
    pub outbox: Option<String>,
    pub base: Base,
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
#[template(path = "backoffice/admin_message.html")]
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
    pub base: Base,
}

pub struct RequestRow {
    pub row: MessageRow,
    pub email: String,
    pub message: String,
    pub outcome: Option<&'static str>,
    pub token: String,
}

#[derive(Template)]
#[template(path = "backoffice/admin_requests.html")]
pub struct RequestsPage {
    pub chrome: Chrome,
    pub has_profile: bool,
    pub rows: Vec<RequestRow>,
    pub outcomes: Vec<(&'static str, &'static str)>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub base: Base,
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
#[template(path = "backoffice/admin_outcomes.html")]
pub struct OutcomesPage {
    pub chrome: Chrome,
    pub from: String,
    pub rows: Vec<OutcomeRow>,
    pub total: OutcomeRow,
    pub error: Option<String>,
    pub base: Base,
}
