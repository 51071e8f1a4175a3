//! What the resource pages show, ready for their templates.

use askama::Template;
use osez_core::Geography;
use osez_core::resource::attachment::Attachment;
use osez_core::resource::markdown::Section;
use osez_core::resource::{Cue, Resource, ResourceType, UseCase, Venue, Webinar};
use osez_search::ResourceHit;

use crate::kit::format::{format_date_long, format_datetime_long};
use crate::kit::page::{Base, Chrome, PageLink};

/// A resource in a list.
pub struct ResourceCard {
    pub url: String,
    pub title: String,
    pub summary: String,
    pub kind_slug: &'static str,
    pub kind_label: &'static str,
    pub themes: String,
    pub published: String,
    pub is_demo: bool,
    /// A webinar's date ("jeudi 17 septembre 2026 à 10 h 00").
    pub when: Option<String>,
    /// An event's place ("En ligne", "Lyon (69)").
    pub place: Option<String>,
    /// The transcript line that matched, with its link.
    pub moment: Option<MomentView>,
}

pub struct MomentView {
    pub clock: String,
    pub text: String,
    pub url: String,
}

/// The anchor of a transcript line on the resource page.
pub fn moment_anchor(cue: &Cue) -> String {
    format!("t-{}", cue.start_s())
}

/// Where an event takes place, in a few words: "En ligne",
/// "Lyon 3e Arrondissement (69)".
pub fn place_label(geo: &Geography, w: &Webinar) -> String {
    match &w.venue {
        None => "En ligne".into(),
        Some(v) => match geo.commune_by_insee(&v.commune) {
            Some(c) => format!("{} ({})", c.name, c.department),
            None => v.address.clone(),
        },
    }
}

/// A venue's full address: "3 rue de la République, 69003 Lyon 3e
/// Arrondissement".
pub fn venue_address(geo: &Geography, v: &Venue) -> String {
    match geo.commune_by_insee(&v.commune) {
        Some(c) => format!("{}, {}", v.address, c.postal_label()),
        None => v.address.clone(),
    }
}

/// The public address of a file of a published resource.
pub fn file_url(slug: &str, a: &Attachment) -> String {
    format!("/ressources/{slug}/fichiers/{}.{}", a.id, a.kind.extension())
}

pub fn moment_url(r: &Resource, cue: &Cue) -> String {
    format!("/ressources/{}#{}", r.slug, moment_anchor(cue))
}

impl ResourceCard {
    pub fn new(geo: &Geography, r: &Resource, hit: Option<&ResourceHit>) -> Self {
        let c = &r.content;
        ResourceCard {
            url: format!("/ressources/{}", r.slug),
            title: c.title.clone(),
            summary: c.summary.clone(),
            kind_slug: c.kind.slug(),
            kind_label: c.kind_label(),
            themes: c.themes.iter().map(|t| t.label()).collect::<Vec<_>>().join(" · "),
            published: format_date_long(r.published_at),
            is_demo: r.is_demo,
            when: c.webinar.as_ref().map(|w| format_datetime_long(w.starts_at)),
            place: c.webinar.as_ref().map(|w| place_label(geo, w)),
            moment: hit.and_then(|h| h.moment.as_ref()).map(|cue| MomentView {
                clock: cue.clock(),
                text: cue.text.clone(),
                url: moment_url(r, cue),
            }),
        }
    }
}

/// Resources beside the advisers on the directory's results page.
pub struct ResourceSide {
    pub total: usize,
    pub cards: Vec<ResourceCard>,
    /// The resource search for the same words.
    pub url: String,
    /// The same search narrowed to one type.
    pub types: Vec<FilterLink>,
}

pub struct FilterLink {
    pub label: String,
    pub count: usize,
    pub url: String,
}

pub struct FilterSection {
    pub title: &'static str,
    pub values: Vec<FilterLink>,
}

pub struct ActiveFilter {
    pub label: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "resources/index.html")]
pub struct IndexPage {
    pub base: Base,
    pub title: String,
    pub heading: String,
    pub form_q: String,
    /// Filters kept by the search form.
    pub hidden: Vec<(String, String)>,
    pub error: Option<String>,
    pub status: String,
    pub relaxed: Vec<String>,
    pub total: usize,
    pub searched: bool,
    pub cards: Vec<ResourceCard>,
    pub first_rank: usize,
    pub filters: Vec<FilterSection>,
    pub active_filters: Vec<ActiveFilter>,
    pub pages: Vec<PageLink>,
    pub themes: Vec<(&'static str, &'static str)>,
}

/// One of an adviser's proposals, in their list.
pub struct ProposalView {
    pub title: String,
    pub when: String,
    pub place: String,
    pub status: &'static str,
    /// The public page, once published.
    pub public_url: Option<String>,
    /// The form, while the proposal is the adviser's to change.
    pub edit_url: Option<String>,
}

#[derive(Template)]
#[template(path = "resources/proposals.html")]
pub struct ProposalsPage {
    pub base: Base,
    pub chrome: Chrome,
    pub proposals: Vec<ProposalView>,
    /// Fewer than `open_max` proposals wait for the team.
    pub can_propose: bool,
    pub open_max: i64,
    pub notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "resources/agenda.html")]
pub struct AgendaPage {
    pub base: Base,
    pub coming: Vec<ResourceCard>,
    pub past: Vec<ResourceCard>,
}

/// A webinar's facts, as the page shows them.
pub struct WebinarView {
    /// "Le webinaire" or "L'atelier".
    pub noun: &'static str,
    pub when: String,
    /// "En ligne", or the venue's full address.
    pub place: String,
    /// The adviser who organises it: name and profile.
    pub organiser: Option<AdviserLink>,
    pub duration: String,
    pub speakers: Vec<String>,
    pub capacity: u32,
    pub upcoming: bool,
}

/// The replay: a video served by Osez, its captions track from the
/// transcript.
pub struct Player {
    pub src: String,
    pub mime: &'static str,
    pub captions: Option<String>,
    pub format_size: String,
}

pub struct Download {
    pub url: String,
    pub label: String,
    pub format_size: String,
}

pub struct CueView {
    pub anchor: String,
    /// Seconds from the start, for the player.
    pub start_s: u64,
    pub clock: String,
    pub speaker: Option<String>,
    pub text: String,
}

/// An adviser whose specialties match the resource.
pub struct AdviserLink {
    pub url: String,
    pub name: String,
    pub kind_label: &'static str,
    pub place: String,
    pub is_demo: bool,
}

#[derive(Template)]
#[template(path = "resources/show.html")]
pub struct ShowPage<'a> {
    pub base: Base,
    pub r: &'a Resource,
    pub kind_label: &'static str,
    /// Sanitised by osez_core::resource::markdown.
    pub body_html: String,
    pub sections: Vec<Section>,
    pub published: String,
    pub updated: Option<String>,
    pub themes: Vec<(&'static str, &'static str)>,
    pub use_case: Option<&'a UseCase>,
    pub webinar: Option<WebinarView>,
    pub transcript: Vec<CueView>,
    /// The replay, played in the page.
    pub player: Option<Player>,
    /// Files to download, with their format and size.
    pub downloads: Vec<Download>,
    pub related: Vec<ResourceCard>,
    pub advisers: Vec<AdviserLink>,
    /// The directory search for the resource's first specialty.
    pub more_advisers: Option<(String, &'static str)>,
}

impl ShowPage<'_> {
    pub fn is_dossier(&self) -> bool {
        self.r.content.kind == ResourceType::Dossier
    }
}

/// Duration in French ("1 h 30", "45 min").
pub fn duration_label(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02}"),
    }
}

pub struct AdminRow {
    pub url: String,
    pub title: String,
    pub kind: &'static str,
    pub status: &'static str,
    /// A newer version than the one online waits.
    pub pending: bool,
    pub changed: String,
    pub author: String,
}

#[derive(Template)]
#[template(path = "resources/admin_list.html")]
pub struct AdminListPage {
    pub base: Base,
    pub chrome: Chrome,
    pub rows: Vec<AdminRow>,
    /// (label, link, current)
    pub filters: Vec<(&'static str, String, bool)>,
    pub next: Option<String>,
}

pub struct MoveButton {
    pub to: &'static str,
    pub label: &'static str,
    pub schedule: bool,
}

pub struct DiffLine {
    pub added: bool,
    pub text: String,
}

/// A file of a resource, as a page lists it.
pub struct FileRow {
    pub id: String,
    pub label: String,
    /// "PDF, 1,2 Mo".
    pub format_size: String,
    pub url: String,
    /// Its address once published.
    pub public_url: String,
    pub is_image: bool,
}

pub struct VersionView {
    pub version: i64,
    pub at: String,
    pub author: String,
    pub note: String,
    pub live: bool,
    pub changes: Vec<DiffLine>,
}

#[derive(Template)]
#[template(path = "resources/admin_resource.html")]
pub struct AdminResourcePage {
    pub base: Base,
    pub chrome: Chrome,
    pub slug: String,
    pub title: String,
    pub status: &'static str,
    pub public: bool,
    pub publish_at: Option<String>,
    pub moves: Vec<MoveButton>,
    pub versions: Vec<VersionView>,
    pub token_move: String,
    pub token_restore: String,
    pub token_upload: String,
    pub token_remove: String,
    /// The latest version, which a file upload builds on.
    pub head: i64,
    pub files: Vec<FileRow>,
    /// Lines of the transcript.
    pub cues: usize,
    pub is_webinar: bool,
    /// The adviser who proposed it: id and name.
    pub organiser: Option<(String, String)>,
    /// The size limits, when uploads are configured.
    pub upload_limits: Option<String>,
    /// For the date field's minimum (YYYY-MM-DD).
    pub today: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// A choice of a select or a checkbox group.
pub struct Choice {
    pub slug: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

impl Choice {
    pub fn list(all: impl Iterator<Item = (&'static str, &'static str)>, chosen: &[String]) -> Vec<Choice> {
        all.map(|(slug, label)| Choice { slug, label, checked: chosen.iter().any(|c| c == slug) }).collect()
    }
}

/// One mistake, on the control that holds it.
pub struct FieldError {
    pub id: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "resources/admin_edit.html")]
pub struct EditPage {
    pub base: Base,
    pub chrome: Chrome,
    pub heading: String,
    /// Where the form posts.
    pub action: String,
    pub token: String,
    pub preview_token: String,
    /// Where the live preview posts.
    pub preview_url: &'static str,
    /// An adviser's proposal of an event rather than the editors' form.
    pub proposal: bool,
    /// Online or in person.
    pub places: Vec<Choice>,
    /// `Some(slug)` when editing an existing resource.
    pub slug: Option<String>,
    pub form: crate::resources::draft::Draft,
    pub kinds: Vec<Choice>,
    pub themes: Vec<Choice>,
    pub specialties: Vec<Choice>,
    pub sectors: Vec<Choice>,
    pub errors: Vec<FieldError>,
    /// The body rendered (sanitised), when the editor asked to see it.
    pub preview: Option<String>,
    pub error: Option<String>,
}

impl EditPage {
    /// Every message on the control `id`, as one text.
    pub fn error_text(&self, id: &str) -> Option<String> {
        let messages: Vec<&str> = self.errors.iter().filter(|e| e.id == id).map(|e| e.message.as_str()).collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }

    pub fn has_error(&self, id: &str) -> bool {
        self.errors.iter().any(|e| e.id == id)
    }
}

#[derive(Template)]
#[template(path = "resources/register.html")]
pub struct RegisterPage {
    pub base: Base,
    pub slug: String,
    pub title: String,
    pub when: String,
    pub duration: String,
    pub is_demo: bool,
    pub seats_left: i64,
    pub waiting: i64,
    pub token: String,
    pub question: crate::kit::antispam::Question,
    pub honeypot: &'static str,
    pub name: String,
    pub email: String,
    pub company: String,
    /// Why registrations are closed (the webinar has begun).
    pub closed: Option<String>,
    pub error: Option<String>,
    /// What happened, once registered.
    pub done: Option<String>,
}

#[derive(Template)]
#[template(path = "resources/cancel.html")]
pub struct CancelPage {
    pub base: Base,
    pub slug: String,
    pub title: String,
    pub token: String,
    /// The cancel link's secret, carried by the button's form.
    pub link: String,
    pub waiting: bool,
    /// The link holds a registration.
    pub valid: bool,
    pub done: bool,
}
