//! Template data of the directory's pages. Askama escapes every value; no
//! template marks anything safe.

use askama::Template;
use osez_core::{Adviser, Specialty};

use crate::kit::antispam::Question;
use crate::kit::page::{Base, PageLink};
use crate::resources::views::{ResourceCard, ResourceSide};

/// Key figures, already written the French way ("4 300").
pub struct FiguresView {
    pub total: String,
    pub activateurs: String,
    pub ambassadeurs: String,
    pub departments: String,
    pub remote: String,
}

#[derive(Template)]
#[template(path = "directory/home.html")]
pub struct HomePage {
    pub figures: FiguresView,
    pub base: Base,
    pub specialties: Vec<(&'static str, &'static str)>,
    pub form_q: String,
    pub form_near: String,
    pub hidden: Vec<(String, String)>,
    /// The next events and the newest resources of the resource centre.
    pub events: Vec<ResourceCard>,
    pub latest: Vec<ResourceCard>,
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

#[derive(Template)]
#[template(path = "directory/results.html")]
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
    pub base: Base,
    /// Resources for the same words, beside the advisers.
    pub resources: Option<ResourceSide>,
    /// Coming workshops near the place searched, and its name.
    pub events: Vec<ResourceCard>,
    pub events_near: String,
}

#[derive(Template)]
#[template(path = "directory/profile.html")]
pub struct ProfilePage<'a> {
    pub a: &'a Adviser,
    pub department: String,
    pub region: String,
    /// Coming events the adviser organises.
    pub events: Vec<ResourceCard>,
    pub base: Base,
}

#[derive(Template)]
#[template(path = "directory/report.html")]
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
    pub question: Question,
    pub honeypot: &'static str,
    pub base: Base,
}

impl<'a> ReportPage<'a> {
    /// The empty form for an adviser.
    pub fn blank(
        a: &'a Adviser,
        reasons: &'static [(&'static str, &'static str)],
        token: String,
        question: Question,
        honeypot: &'static str,
        base: Base,
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
            base,
        }
    }
}

#[derive(Template)]
#[template(path = "directory/accessibility.html")]
pub struct AccessibilityPage {
    pub base: Base,
}

#[derive(Template)]
#[template(path = "directory/legal.html")]
pub struct LegalPage {
    pub base: Base,
    /// How long contact messages are kept ("12 mois").
    pub retention: String,
    /// What the privacy notice says of the assistant (the assistant cites
    /// these very words).
    pub assistant: String,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::format::format_count;

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
