//! The resource centre: articles, practical guides ("dossiers pratiques"),
//! AI use cases and webinars, with their themes and the advisers'
//! specialties and sectors they are about.
//!
//! A resource's content is one value ([`Content`]), kept whole in every
//! version; the store keeps the versions and the workflow, the search engine
//! indexes the published ones. [`Content::check`] says, in French, every
//! mistake of an edited version at once.

pub mod attachment;
pub mod diff;
pub mod markdown;
pub mod starter;
pub mod transcript;

use serde::{Deserialize, Serialize};

use crate::taxonomy::vocabulary;
use crate::{AdviserId, Sector, Specialty};
pub use transcript::Cue;

vocabulary! {
    /// What a resource is.
    ResourceType {
        Article => "article", "Article", ["article"];
        Dossier => "dossier", "Dossier pratique", ["dossier", "guide", "fiche pratique", "pas à pas"];
        CasUsage => "cas_usage", "Cas d'usage", ["cas d'usage", "exemple", "témoignage", "retour d'expérience"];
        Webinaire => "webinaire", "Webinaire", ["webinaire", "webinar", "replay", "conférence en ligne", "vidéo"];
    }
}

vocabulary! {
    /// The themes of the real France Num site.
    Theme {
        StrategieNumerique => "strategie_numerique", "Stratégie numérique",
            ["stratégie", "numérique", "transformation numérique", "digitalisation"];
        SiteVenteEnLigne => "site_vente_en_ligne", "Site internet et vente en ligne",
            ["site internet", "site web", "e-commerce", "boutique en ligne", "vente en ligne"];
        VisibiliteReferencement => "visibilite_referencement", "Visibilité et référencement",
            ["visibilité", "référencement", "réseaux sociaux", "publicité"];
        GestionEntreprise => "gestion_entreprise", "Gestion de l'entreprise",
            ["gestion", "comptabilité", "facturation", "devis"];
        RisquesDonnees => "risques_donnees", "Protection contre les risques et données personnelles",
            ["sécurité", "cybersécurité", "rgpd", "données personnelles", "protection des données"];
        RessourcesHumaines => "ressources_humaines", "Ressources humaines",
            ["rh", "recrutement", "salariés", "embauche"];
        IntelligenceArtificielle => "intelligence_artificielle", "Intelligence artificielle",
            ["ia", "intelligence artificielle", "ia générative"];
    }
}

vocabulary! {
    /// Where a resource stands in the editorial workflow.
    Status {
        Draft => "draft", "Brouillon", [];
        Review => "review", "En relecture", [];
        Scheduled => "scheduled", "Publication programmée", [];
        Published => "published", "Publiée", [];
        Archived => "archived", "Archivée", [];
    }
}

impl Status {
    /// Whether an adviser's proposal in this state is still theirs to
    /// change: the team has not published, scheduled or archived it.
    pub fn is_open_proposal(self) -> bool {
        matches!(self, Status::Draft | Status::Review)
    }
}

/// Longest title, in characters.
pub const TITLE_MAX: usize = 140;
/// Longest summary, in characters.
pub const SUMMARY_MAX: usize = 300;
/// Longest body, in bytes of Markdown.
pub const BODY_MAX: usize = 200_000;
/// Fewest `##` sections of a practical guide.
pub const DOSSIER_MIN_SECTIONS: usize = 2;

/// The structured part of an AI use case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UseCase {
    /// The business function ("Ressources humaines").
    pub function: String,
    pub sector: String,
    pub tools: Vec<String>,
    /// The measured gain, with its figure.
    pub gain: String,
    pub cost: String,
    pub precautions: Vec<String>,
    pub testimonial: String,
    pub testimonial_by: String,
}

/// When and how a webinar happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webinar {
    /// Start, milliseconds since the epoch (shown in Europe/Paris time).
    pub starts_at: i64,
    pub duration_min: u32,
    pub speakers: Vec<String>,
    /// Seats; registrations beyond go to the waiting list.
    pub capacity: u32,
    /// Where it takes place; none for an event online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<Venue>,
}

/// Where an event in person takes place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Venue {
    /// The commune's INSEE code (see [`crate::Geography::commune_by_insee`]).
    pub commune: String,
    /// Street address and room, as the organiser wrote it.
    pub address: String,
}

/// Longest venue address, in characters.
pub const ADDRESS_MAX: usize = 200;

impl Webinar {
    pub fn ends_at(&self) -> i64 {
        self.starts_at + i64::from(self.duration_min) * 60_000
    }
}

/// One version of a resource, whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    pub kind: ResourceType,
    pub title: String,
    pub summary: String,
    /// CommonMark; rendered and sanitised by [`markdown::render`].
    pub body: String,
    pub themes: Vec<Theme>,
    #[serde(default)]
    pub specialties: Vec<Specialty>,
    #[serde(default)]
    pub sectors: Vec<Sector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_case: Option<UseCase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webinar: Option<Webinar>,
    /// A webinar's transcript, from its captions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transcript: Vec<Cue>,
    /// Slides, replay, images: named by content, stored apart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<attachment::Attachment>,
}

/// A published resource, as the public sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    pub slug: String,
    pub content: Content,
    /// First publication, milliseconds since the epoch.
    pub published_at: i64,
    /// Last published change.
    pub updated_at: i64,
    /// Fictional material (a company, a testimonial, an event).
    pub is_demo: bool,
    /// The adviser who proposed it (an event), if any.
    pub organiser: Option<AdviserId>,
}

/// One mistake of an edited version, on one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> Problem {
    Problem { field, message: message.into() }
}

/// Whether a one-line text holds what reads as an HTML tag ("<script>",
/// "</b>", "<!--"): refused in titles and summaries rather than shown
/// escaped, so that the editor sees at once what went wrong.
pub fn has_markup(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(2).any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

fn check_line(field: &'static str, name: &str, value: &str, max: usize, out: &mut Vec<Problem>) {
    let value = value.trim();
    if value.is_empty() {
        out.push(problem(field, format!("{name} est obligatoire.")));
    } else if value.chars().count() > max {
        out.push(problem(field, format!("{name} dépasse {max} caractères ({}).", value.chars().count())));
    }
    if has_markup(value) {
        out.push(problem(field, format!("{name} ne peut pas contenir de balise HTML (« < » suivi d'une lettre).")));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        out.push(problem(field, format!("{name} tient sur une ligne, sans caractère de contrôle.")));
    }
}

/// A body rendered for a resource of `kind` (none when it is too long to
/// render), with what is wrong with it: what the editor's preview shows.
pub fn render_body(kind: ResourceType, body: &str) -> (Option<markdown::Rendered>, Vec<String>) {
    if body.len() > BODY_MAX {
        return (None, vec![format!("Le texte dépasse {} Ko.", BODY_MAX / 1000)]);
    }
    let mut rendered = markdown::render(body);
    let mut problems = std::mem::take(&mut rendered.problems);
    if kind == ResourceType::Dossier && rendered.sections.len() < DOSSIER_MIN_SECTIONS {
        problems.push(format!("Un dossier pratique compte au moins {DOSSIER_MIN_SECTIONS} sections (titres « ## »)."));
    }
    (Some(rendered), problems)
}

impl Content {
    /// Every mistake of this version at once, in French; empty when it can
    /// be saved.
    pub fn check(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        check_line("title", "Le titre", &self.title, TITLE_MAX, &mut out);
        check_line("summary", "Le résumé", &self.summary, SUMMARY_MAX, &mut out);
        if self.themes.is_empty() {
            out.push(problem("themes", "Choisissez au moins un thème."));
        }
        let (_, body_problems) = render_body(self.kind, &self.body);
        out.extend(body_problems.into_iter().map(|m| problem("body", m)));
        match (&self.use_case, self.kind) {
            (Some(u), ResourceType::CasUsage) => {
                for (field, name, value) in [
                    ("use_case.function", "La fonction de l'entreprise", &u.function),
                    ("use_case.sector", "Le secteur", &u.sector),
                    ("use_case.gain", "Le gain mesuré", &u.gain),
                    ("use_case.cost", "Le coût", &u.cost),
                    ("use_case.testimonial", "Le témoignage", &u.testimonial),
                    ("use_case.testimonial_by", "L'auteur du témoignage", &u.testimonial_by),
                ] {
                    check_line(field, name, value, 600, &mut out);
                }
                if u.tools.iter().all(|t| t.trim().is_empty()) {
                    out.push(problem("use_case.tools", "Indiquez au moins un outil."));
                }
                if u.precautions.iter().all(|t| t.trim().is_empty()) {
                    out.push(problem("use_case.precautions", "Indiquez au moins une précaution."));
                }
                for t in u.tools.iter().chain(&u.precautions) {
                    if has_markup(t) {
                        out.push(problem("use_case", "Les outils et précautions ne contiennent pas de HTML."));
                        break;
                    }
                }
            }
            (None, ResourceType::CasUsage) => {
                out.push(problem("use_case", "Un cas d'usage décrit la fonction, le secteur, les outils, le gain, le coût, les précautions et un témoignage."))
            }
            (Some(_), _) => out.push(problem("use_case", "Seul un cas d'usage a une fiche de cas d'usage.")),
            (None, _) => {}
        }
        match (&self.webinar, self.kind) {
            (Some(w), ResourceType::Webinaire) => {
                if !(15..=480).contains(&w.duration_min) {
                    out.push(problem("webinar.duration_min", "La durée va de 15 minutes à 8 heures."));
                }
                if !(1..=10_000).contains(&w.capacity) {
                    out.push(problem("webinar.capacity", "Le nombre de places va de 1 à 10 000."));
                }
                if w.speakers.iter().all(|s| s.trim().is_empty()) {
                    out.push(problem("webinar.speakers", "Indiquez au moins un intervenant."));
                }
                if w.speakers.iter().any(|s| has_markup(s)) {
                    out.push(problem("webinar.speakers", "Les intervenants ne contiennent pas de HTML."));
                }
                if let Some(v) = &w.venue {
                    check_line("webinar.venue.address", "L'adresse", &v.address, ADDRESS_MAX, &mut out);
                    if v.commune.len() != 5 || !v.commune.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        out.push(problem("webinar.venue.commune", "Indiquez la commune du lieu."));
                    }
                }
            }
            (None, ResourceType::Webinaire) => out.push(problem(
                "webinar",
                "Un webinaire a une date, une durée, des intervenants et un nombre de places.",
            )),
            (Some(_), _) => out.push(problem("webinar", "Seul un webinaire a une date et des intervenants.")),
            (None, _) => {}
        }
        self.check_attachments(&mut out);
        out
    }

    fn check_attachments(&self, out: &mut Vec<Problem>) {
        use attachment::{LABEL_MAX, MAX_FILES};
        if self.attachments.len() > MAX_FILES {
            out.push(problem("attachments", format!("Une ressource a au plus {MAX_FILES} fichiers.")));
        }
        let videos = self.attachments.iter().filter(|a| a.kind.is_video()).count();
        if videos > 0 && self.kind != ResourceType::Webinaire {
            out.push(problem("attachments", "Seul un webinaire a une vidéo (sa rediffusion)."));
        }
        if videos > 1 {
            out.push(problem(
                "attachments",
                "Un webinaire a une seule vidéo : retirez l'ancienne avant d'en joindre une autre.",
            ));
        }
        for a in &self.attachments {
            let label = a.label.trim();
            if label.is_empty() || label.chars().count() > LABEL_MAX || has_markup(label) {
                out.push(problem(
                    "attachments",
                    format!("L'intitulé d'un fichier tient en 1 à {LABEL_MAX} caractères, sans HTML."),
                ));
                break;
            }
        }
    }

    /// What the resource is, as a reader sees it: an event in person is a
    /// workshop ("Atelier"), one online a webinar.
    pub fn kind_label(&self) -> &'static str {
        match &self.webinar {
            Some(w) if w.venue.is_some() => "Atelier",
            _ => self.kind.label(),
        }
    }

    /// The video of the replay, if any.
    pub fn video(&self) -> Option<&attachment::Attachment> {
        self.attachments.iter().find(|a| a.kind.is_video())
    }

    /// The text the search engine indexes besides the title: summary, body
    /// as plain text and the use case's fields.
    pub fn search_text(&self) -> String {
        let mut s = String::with_capacity(self.summary.len() + self.body.len());
        s.push_str(&self.summary);
        s.push('\n');
        s.push_str(&markdown::plain_text(&self.body));
        if let Some(u) = &self.use_case {
            for part in [&u.function, &u.sector, &u.gain, &u.cost, &u.testimonial] {
                s.push('\n');
                s.push_str(part);
            }
            for part in u.tools.iter().chain(&u.precautions) {
                s.push('\n');
                s.push_str(part);
            }
        }
        if let Some(w) = &self.webinar {
            for part in &w.speakers {
                s.push('\n');
                s.push_str(part);
            }
        }
        s
    }

    /// Labels and keywords of the type, themes, specialties and sectors.
    pub fn tags_text(&self) -> String {
        let mut s = String::new();
        let mut push = |label: &str, keywords: &[&str]| {
            s.push_str(label);
            s.push_str(". ");
            for k in keywords {
                s.push_str(k);
                s.push_str(". ");
            }
        };
        push(self.kind.label(), self.kind.keywords());
        for t in &self.themes {
            push(t.label(), t.keywords());
        }
        for sp in &self.specialties {
            push(sp.label(), sp.keywords());
        }
        for se in &self.sectors {
            push(se.label(), se.keywords());
        }
        s
    }
}

/// A slug for a new resource, from its title: lower-case ASCII words joined
/// by hyphens, at most 80 characters.
pub fn slug_from_title(title: &str) -> String {
    let folded = crate::text::fold(title);
    let mut out = String::new();
    for w in crate::text::words(&folded) {
        if out.len() + w.len() + 1 > 80 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(w);
    }
    out
}

/// Whether `slug` is a well-formed resource slug.
pub fn is_slug(slug: &str) -> bool {
    (1..=80).contains(&slug.len())
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article() -> Content {
        Content {
            kind: ResourceType::Article,
            title: "Gagner du temps".into(),
            summary: "Un résumé.".into(),
            body: "## Une section\n\nDu texte.".into(),
            themes: vec![Theme::IntelligenceArtificielle],
            specialties: vec![],
            sectors: vec![],
            use_case: None,
            webinar: None,
            transcript: vec![],
            attachments: vec![],
        }
    }

    #[test]
    fn a_script_tag_in_a_title_is_refused_in_french() {
        let mut c = article();
        c.title = "Bonjour <script>alert(1)</script>".into();
        let problems = c.check();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].field, "title");
        assert!(problems[0].message.contains("balise HTML"));
        // A comparison is not markup.
        c.title = "Moins de 10 salariés : 3 < 5".into();
        assert!(c.check().is_empty());
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        let mut c = article();
        c.title = String::new();
        c.summary = "x".repeat(SUMMARY_MAX + 1);
        c.themes.clear();
        c.kind = ResourceType::CasUsage;
        let fields: Vec<&str> = c.check().iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["title", "summary", "themes", "use_case"]);
    }

    #[test]
    fn a_dossier_needs_sections() {
        let mut c = article();
        c.kind = ResourceType::Dossier;
        assert!(c.check().iter().any(|p| p.field == "body"));
        c.body = "## Un\n\nA\n\n## Deux\n\nB".into();
        assert!(c.check().is_empty());
    }

    #[test]
    fn slugs() {
        assert_eq!(slug_from_title("L'IA : premiers pas, à 15 € !"), "l-ia-premiers-pas-a-15-eur");
        assert!(is_slug("fiches-de-poste-avec-l-ia"));
        assert!(!is_slug("Fiche"));
        assert!(!is_slug("a--b"));
        assert!(!is_slug(""));
    }
}
