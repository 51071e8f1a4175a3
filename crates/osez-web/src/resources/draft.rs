//! The editor's form, field by field, both ways: from a saved version to
//! the fields shown, and from the fields posted to a version to save (or
//! every mistake at once, in French, each on its field).

use osez_core::Geography;
use osez_core::resource::transcript::{parse_vtt, to_vtt};
use osez_core::resource::{
    Content, Problem, ResourceType, Theme, UseCase, Venue, Webinar, has_markup, is_slug, slug_from_title,
};
use osez_core::taxonomy::{Sector, Specialty};

use crate::kit::format::zoned;
use crate::kit::forms::FormList;

/// Longest version note, in characters.
const NOTE_MAX: usize = 200;
/// Slugs that name pages of the back office, not resources.
const RESERVED: &[&str] = &["nouvelle", "nouveau", "apercu"];

/// The form as typed: shown back unchanged when something is wrong.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub themes: Vec<String>,
    pub specialties: Vec<String>,
    pub sectors: Vec<String>,
    /// The address of a new resource; empty: made from the title.
    pub slug: String,
    /// What this version changes, for the history.
    pub note: String,
    /// The version the editor started from (0 for a new resource).
    pub from_head: i64,
    pub uc_function: String,
    pub uc_sector: String,
    /// One per line.
    pub uc_tools: String,
    pub uc_gain: String,
    pub uc_cost: String,
    /// One per line.
    pub uc_precautions: String,
    pub uc_testimonial: String,
    pub uc_testimonial_by: String,
    /// `YYYY-MM-DDTHH:MM`, Paris time (an `<input type="datetime-local">`).
    pub w_starts: String,
    pub w_duration: String,
    /// One per line.
    pub w_speakers: String,
    pub w_capacity: String,
    /// WebVTT captions, from which the transcript is read.
    pub w_transcript: String,
    /// "en_ligne" or "presentiel".
    pub w_place: String,
    /// The venue's commune as typed: name, postal code, or both.
    pub w_commune: String,
    pub w_address: String,
}

/// The two ways an event takes place, for the form's radio buttons.
pub const PLACES: &[(&str, &str)] = &[(ONLINE, "En ligne"), (IN_PERSON, "En présentiel")];
const ONLINE: &str = "en_ligne";
const IN_PERSON: &str = "presentiel";

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn problem(field: &'static str, message: impl Into<String>) -> Problem {
    Problem { field, message: message.into() }
}

/// The id of the form control (or group) that a problem's field names.
pub fn field_id(field: &str) -> &'static str {
    match field {
        "kind" => "kind",
        "title" => "title",
        "summary" => "summary",
        "body" => "body",
        "themes" => "themes",
        "slug" => "slug",
        "note" => "note",
        "use_case.function" => "uc_function",
        "use_case.sector" => "uc_sector",
        "use_case.tools" => "uc_tools",
        "use_case.gain" => "uc_gain",
        "use_case.cost" => "uc_cost",
        "use_case.precautions" => "uc_precautions",
        "use_case.testimonial" => "uc_testimonial",
        "use_case.testimonial_by" => "uc_testimonial_by",
        "use_case" => "uc",
        "webinar.starts_at" => "w_starts",
        "webinar.duration_min" => "w_duration",
        "webinar.speakers" => "w_speakers",
        "webinar.capacity" => "w_capacity",
        "transcript" => "w_transcript",
        "webinar.venue" => "w_place",
        "webinar.venue.commune" => "w_commune",
        "webinar.venue.address" => "w_address",
        "webinar" => "w",
        _ => "body",
    }
}

impl Draft {
    /// A blank form for a new resource of `kind`.
    pub fn blank() -> Self {
        Draft {
            kind: ResourceType::Article.slug().into(),
            w_duration: "60".into(),
            w_capacity: "100".into(),
            w_place: ONLINE.into(),
            ..Draft::default()
        }
    }

    /// The fields of a saved version.
    pub fn from_content(c: &Content, head: i64, geo: &Geography) -> Self {
        let mut d = Draft {
            kind: c.kind.slug().into(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            body: c.body.clone(),
            themes: c.themes.iter().map(|t| t.slug().to_string()).collect(),
            specialties: c.specialties.iter().map(|s| s.slug().to_string()).collect(),
            sectors: c.sectors.iter().map(|s| s.slug().to_string()).collect(),
            from_head: head,
            w_duration: "60".into(),
            w_capacity: "100".into(),
            w_place: ONLINE.into(),
            ..Draft::default()
        };
        if let Some(u) = &c.use_case {
            d.uc_function = u.function.clone();
            d.uc_sector = u.sector.clone();
            d.uc_tools = u.tools.join("\n");
            d.uc_gain = u.gain.clone();
            d.uc_cost = u.cost.clone();
            d.uc_precautions = u.precautions.join("\n");
            d.uc_testimonial = u.testimonial.clone();
            d.uc_testimonial_by = u.testimonial_by.clone();
        }
        if let Some(w) = &c.webinar {
            d.w_starts = zoned(w.starts_at).strftime("%Y-%m-%dT%H:%M").to_string();
            d.w_duration = w.duration_min.to_string();
            d.w_speakers = w.speakers.join("\n");
            d.w_capacity = w.capacity.to_string();
            if let Some(v) = &w.venue {
                d.w_place = IN_PERSON.into();
                d.w_commune = match geo.commune_by_insee(&v.commune) {
                    Some(c) => c.postal_label(),
                    None => v.commune.clone(),
                };
                d.w_address = v.address.clone();
            }
        }
        if !c.transcript.is_empty() {
            d.w_transcript = to_vtt(&c.transcript);
        }
        d
    }

    /// The fields as posted.
    pub fn from_form(f: &FormList) -> Self {
        Draft {
            kind: f.text("kind"),
            title: f.text("title"),
            summary: f.text("summary"),
            body: f.text("body").replace("\r\n", "\n"),
            themes: f.all("themes"),
            specialties: f.all("specialties"),
            sectors: f.all("sectors"),
            slug: f.text("slug").trim().to_string(),
            note: f.text("note"),
            from_head: f.get("from_head").and_then(|v| v.parse().ok()).unwrap_or(0),
            uc_function: f.text("uc_function"),
            uc_sector: f.text("uc_sector"),
            uc_tools: f.text("uc_tools"),
            uc_gain: f.text("uc_gain"),
            uc_cost: f.text("uc_cost"),
            uc_precautions: f.text("uc_precautions"),
            uc_testimonial: f.text("uc_testimonial"),
            uc_testimonial_by: f.text("uc_testimonial_by"),
            w_starts: f.text("w_starts"),
            w_duration: f.text("w_duration"),
            w_speakers: f.text("w_speakers"),
            w_capacity: f.text("w_capacity"),
            w_transcript: f.text("w_transcript").replace("\r\n", "\n"),
            w_place: f.text("w_place"),
            w_commune: f.text("w_commune"),
            w_address: f.text("w_address"),
        }
    }

    /// The version these fields describe, or every mistake in them.
    pub fn content(&self, geo: &Geography) -> Result<Content, Vec<Problem>> {
        let mut problems = Vec::new();
        let kind = ResourceType::from_slug(&self.kind).unwrap_or_else(|| {
            problems.push(problem("kind", "Choisissez le type de la ressource."));
            ResourceType::Article
        });
        let mut themes = Vec::new();
        for slug in &self.themes {
            match Theme::from_slug(slug) {
                Some(t) if !themes.contains(&t) => themes.push(t),
                Some(_) => {}
                None => problems.push(problem("themes", "Un des thèmes choisis n'existe pas.")),
            }
        }
        let specialties: Vec<Specialty> = self.specialties.iter().filter_map(|s| Specialty::from_slug(s)).collect();
        let sectors: Vec<Sector> = self.sectors.iter().filter_map(|s| Sector::from_slug(s)).collect();
        if specialties.len() != self.specialties.len() || sectors.len() != self.sectors.len() {
            problems.push(problem("themes", "Une des spécialités ou un des secteurs choisis n'existe pas."));
        }
        let use_case = (kind == ResourceType::CasUsage).then(|| UseCase {
            function: self.uc_function.trim().into(),
            sector: self.uc_sector.trim().into(),
            tools: lines(&self.uc_tools),
            gain: self.uc_gain.trim().into(),
            cost: self.uc_cost.trim().into(),
            precautions: lines(&self.uc_precautions),
            testimonial: self.uc_testimonial.trim().into(),
            testimonial_by: self.uc_testimonial_by.trim().into(),
        });
        let mut transcript = Vec::new();
        let webinar = if kind == ResourceType::Webinaire {
            let starts_at = self
                .w_starts
                .trim()
                .parse::<jiff::civil::DateTime>()
                .ok()
                .and_then(osez_core::resource::starter::paris_ms);
            if starts_at.is_none() {
                problems
                    .push(problem("webinar.starts_at", "Indiquez la date et l'heure de l'événement (heure de Paris)."));
            }
            let duration_min = self.w_duration.trim().parse::<u32>().unwrap_or_else(|_| {
                problems.push(problem("webinar.duration_min", "Indiquez la durée en minutes (un nombre entier)."));
                60
            });
            let capacity = self.w_capacity.trim().parse::<u32>().unwrap_or_else(|_| {
                problems.push(problem("webinar.capacity", "Indiquez le nombre de places (un nombre entier)."));
                1
            });
            if !self.w_transcript.trim().is_empty() {
                match parse_vtt(&self.w_transcript) {
                    Ok(cues) => transcript = cues,
                    Err(e) => problems.push(problem("transcript", format!("Sous-titres : {e}"))),
                }
            }
            Some(Webinar {
                starts_at: starts_at.unwrap_or(0),
                duration_min,
                speakers: lines(&self.w_speakers),
                capacity,
                venue: self.venue(geo, &mut problems),
            })
        } else {
            None
        };
        if self.note.chars().count() > NOTE_MAX || has_markup(&self.note) {
            problems.push(problem("note", format!("La note de version tient en {NOTE_MAX} caractères, sans HTML.")));
        }
        let content = Content {
            kind,
            title: self.title.trim().into(),
            summary: self.summary.trim().into(),
            body: self.body.clone(),
            themes,
            specialties,
            sectors,
            use_case,
            webinar,
            transcript,
            attachments: Vec::new(),
        };
        problems.extend(content.check());
        if problems.is_empty() { Ok(content) } else { Err(problems) }
    }

    /// Where the event takes place: none online; in person, the commune
    /// typed must be found.
    fn venue(&self, geo: &Geography, problems: &mut Vec<Problem>) -> Option<Venue> {
        match self.w_place.as_str() {
            "" | ONLINE => None,
            IN_PERSON => {
                let commune = geo.find_commune(&self.w_commune).map(|i| geo.communes[i].insee.clone());
                if commune.is_none() {
                    problems.push(problem(
                        "webinar.venue.commune",
                        "Commune introuvable : indiquez le nom de la commune ou son code postal (ex. 69003 ou Lyon).",
                    ));
                }
                // An unknown commune is said once, not again by the check.
                Some(Venue {
                    commune: commune.unwrap_or_else(|| "00000".into()),
                    address: self.w_address.trim().into(),
                })
            }
            _ => {
                problems.push(problem("webinar.venue", "Choisissez en ligne ou en présentiel."));
                None
            }
        }
    }

    /// The address of a new resource: the one typed, or one made from the
    /// title.
    pub fn new_slug(&self) -> Result<String, Problem> {
        let slug = if self.slug.is_empty() { slug_from_title(&self.title) } else { self.slug.clone() };
        if RESERVED.contains(&slug.as_str()) {
            return Err(problem("slug", format!("L'adresse « {slug} » est réservée : choisissez-en une autre.")));
        }
        if !is_slug(&slug) {
            return Err(problem(
                "slug",
                "L'adresse ne contient que des lettres minuscules sans accent, des chiffres et des tirets simples (80 au plus).",
            ));
        }
        Ok(slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use osez_core::resource::starter;

    #[test]
    fn every_starter_resource_goes_through_the_form_unchanged() {
        let geo = Geography::embedded().unwrap();
        for r in starter::all(1_800_000_000_000).unwrap() {
            let draft = Draft::from_content(&r.content, 3, &geo);
            let back = draft.content(&geo).unwrap_or_else(|p| panic!("{}: {p:?}", r.slug));
            // The form shows minutes, not milliseconds.
            let mut expected = r.content.clone();
            if let Some(w) = expected.webinar.as_mut() {
                w.starts_at -= w.starts_at % 60_000;
            }
            assert_eq!(back, expected, "{}", r.slug);
        }
    }

    #[test]
    fn every_mistake_is_named_on_its_field() {
        let draft = Draft {
            kind: "webinaire".into(),
            title: "<script>alert(1)</script>".into(),
            themes: vec!["inconnu".into()],
            w_starts: "demain".into(),
            w_duration: "une heure".into(),
            w_capacity: "10".into(),
            w_transcript: "%PDF-1.7".into(),
            ..Draft::default()
        };
        let problems = draft.content(&Geography::embedded().unwrap()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        for f in [
            "title",
            "summary",
            "themes",
            "webinar.starts_at",
            "webinar.duration_min",
            "transcript",
            "webinar.speakers",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        assert!(problems.iter().all(|p| !p.message.is_empty()));
        assert_ne!(field_id("use_case.gain"), "body");
    }

    #[test]
    fn a_venue_is_found_from_what_was_typed_and_shown_back_the_same() {
        let geo = Geography::embedded().unwrap();
        let mut c = starter::all(1_800_000_000_000).unwrap().into_iter().find(|r| r.content.webinar.is_some()).unwrap();
        c.content.transcript.clear();
        let mut draft = Draft::from_content(&c.content, 1, &geo);
        assert_eq!(draft.w_place, "en_ligne");
        draft.w_place = "presentiel".into();
        draft.w_commune = "69003".into();
        draft.w_address = "3 rue de la République, salle 2".into();
        let content = draft.content(&geo).unwrap();
        let venue = content.webinar.as_ref().unwrap().venue.clone().unwrap();
        assert_eq!(venue.commune, "69383", "Lyon 3e Arrondissement");
        let shown = Draft::from_content(&content, 2, &geo);
        assert_eq!(shown.w_commune, "69003 Lyon 3e Arrondissement");
        assert_eq!(shown.content(&geo).unwrap(), content);

        draft.w_commune = "Atlantide".into();
        draft.w_address = " ".into();
        let fields: Vec<&str> = draft.content(&geo).unwrap_err().iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["webinar.venue.commune", "webinar.venue.address"]);
        draft.w_place = "sur la lune".into();
        let fields: Vec<&str> = draft.content(&geo).unwrap_err().iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["webinar.venue"]);
    }

    #[test]
    fn a_new_address_comes_from_the_title_unless_typed() {
        let mut d = Draft { title: "Écrire une fiche de poste".into(), ..Draft::default() };
        assert_eq!(d.new_slug().unwrap(), "ecrire-une-fiche-de-poste");
        d.slug = "Avec Espaces".into();
        assert_eq!(d.new_slug().unwrap_err().field, "slug");
        d.slug = "nouvelle".into();
        assert_eq!(d.new_slug().unwrap_err().field, "slug");
    }
}
