//! Applications to join the directory, as the real extranet takes them: an
//! organisation gives its SIRET (checked with its Luhn key), the date its
//! activity started (more than 6 months ago), its website, the area it
//! covers and its specialties; the team reviews it.

use serde::{Deserialize, Serialize};

use crate::account::siret_is_valid;
use crate::geo::Geography;
use crate::taxonomy::{Category, Kind, Specialty, StructureType};
use crate::{Adviser, AdviserId};

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 3_000;
pub const MIN_DESCRIPTION_CHARS: usize = 40;

/// What the applicant typed, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawApplication {
    pub name: String,
    pub siret: String,
    /// `AAAA-MM-JJ`, as a date field sends it.
    pub activity_start: String,
    pub website: String,
    pub structure_type: String,
    /// Commune of the organisation: name, postal code, or both.
    pub commune: String,
    /// Department codes covered.
    pub area: Vec<String>,
    pub specialties: Vec<String>,
    pub in_person: bool,
    pub remote: bool,
    pub description: String,
}

/// A checked application, kept as JSON with the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationForm {
    pub name: String,
    /// 14 digits, key checked.
    pub siret: String,
    pub activity_start: String,
    pub website: String,
    pub structure_type: StructureType,
    pub commune_insee: String,
    pub area: Vec<String>,
    pub specialties: Vec<Specialty>,
    pub in_person: bool,
    pub remote: bool,
    pub description: String,
}

/// A mistake in one field, in French, for the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u8>().unwrap_or(0))
}

impl RawApplication {
    /// Checks every field and reports every mistake at once.
    /// `started_before` is the latest accepted start of activity
    /// (`AAAA-MM-JJ`, six months before today), given by the caller, who
    /// knows the date.
    pub fn check(&self, geo: &Geography, started_before: &str) -> Result<ApplicationForm, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(err("name", "Indiquez le nom de la structure."));
        } else if name.chars().count() > MAX_NAME_CHARS {
            errors.push(err("name", format!("Le nom dépasse {MAX_NAME_CHARS} caractères.")));
        }
        let siret: String = self.siret.chars().filter(|c| !c.is_whitespace()).collect();
        if siret.is_empty() {
            errors.push(err("siret", "Indiquez le numéro SIRET de la structure (14 chiffres)."));
        } else if !siret_is_valid(&siret) {
            errors.push(err(
                "siret",
                "Ce numéro SIRET n'est pas valide : vérifiez les 14 chiffres (la clé de contrôle ne correspond pas).",
            ));
        }
        let start = self.activity_start.trim();
        if !is_date(start) {
            errors.push(err("activity_start", "Indiquez la date de début d'activité (jj/mm/aaaa)."));
        } else if start > started_before {
            errors.push(err(
                "activity_start",
                "La structure doit exercer depuis plus de 6 mois pour être référencée. Vous pourrez candidater ensuite.",
            ));
        }
        let website = self.website.trim();
        let host_ok =
            website.strip_prefix("https://").or_else(|| website.strip_prefix("http://")).is_some_and(|rest| {
                rest.split('/').next().is_some_and(|h| h.contains('.') && !h.contains(['<', '>', '"']))
            });
        if !host_ok || website.len() > 300 || website.chars().any(char::is_whitespace) {
            errors.push(err(
                "website",
                "Indiquez l'adresse du site web, commençant par https:// (ex. https://exemple.fr).",
            ));
        }
        let structure_type = StructureType::from_slug(self.structure_type.trim());
        if structure_type.is_none() {
            errors.push(err("structure_type", "Choisissez le type de structure."));
        }
        let commune = match geo.find_commune(&self.commune) {
            Some(i) => Some(geo.communes[i].insee.clone()),
            None => {
                errors.push(err(
                    "commune",
                    "Commune introuvable : indiquez le nom de la commune ou son code postal (ex. 69003 ou Lyon).",
                ));
                None
            }
        };
        let mut area: Vec<String> = self.area.iter().map(|a| a.trim().to_string()).collect();
        area.sort();
        area.dedup();
        if area.is_empty() {
            errors.push(err("area", "Choisissez au moins un département couvert."));
        } else if area.iter().any(|a| geo.department(a).is_none()) {
            errors.push(err("area", "Un des départements choisis est inconnu."));
        }
        let mut specialties = Vec::new();
        for s in &self.specialties {
            match Specialty::from_slug(s.trim()) {
                Some(sp) if !specialties.contains(&sp) => specialties.push(sp),
                Some(_) => {}
                None => {
                    errors.push(err("specialties", "Une des spécialités choisies est inconnue."));
                    break;
                }
            }
        }
        if specialties.is_empty() && !errors.iter().any(|e| e.field == "specialties") {
            errors.push(err("specialties", "Choisissez au moins une spécialité."));
        }
        if !self.in_person && !self.remote {
            errors.push(err("modes", "Indiquez si vous accompagnez en présentiel, à distance, ou les deux."));
        }
        let description = self.description.trim();
        let chars = description.chars().count();
        if chars < MIN_DESCRIPTION_CHARS {
            errors.push(err(
                "description",
                format!("Décrivez votre accompagnement en {MIN_DESCRIPTION_CHARS} caractères au moins."),
            ));
        } else if chars > MAX_DESCRIPTION_CHARS {
            errors.push(err("description", format!("La présentation dépasse {MAX_DESCRIPTION_CHARS} caractères.")));
        }
        match (errors.is_empty(), structure_type, commune) {
            (true, Some(structure_type), Some(commune_insee)) => Ok(ApplicationForm {
                name: name.to_string(),
                siret,
                activity_start: start.to_string(),
                website: website.to_string(),
                structure_type,
                commune_insee,
                area,
                specialties,
                in_person: self.in_person,
                remote: self.remote,
                description: description.to_string(),
            }),
            _ => Err(errors),
        }
    }
}

impl ApplicationForm {
    /// The raw form again, to fill the fields of a form being corrected.
    pub fn to_raw(&self, geo: &Geography) -> RawApplication {
        let commune = geo.commune_by_insee(&self.commune_insee).map(|c| c.postal_label()).unwrap_or_default();
        RawApplication {
            name: self.name.clone(),
            siret: self.siret.clone(),
            activity_start: self.activity_start.clone(),
            website: self.website.clone(),
            structure_type: self.structure_type.slug().to_string(),
            commune,
            area: self.area.clone(),
            specialties: self.specialties.iter().map(|s| s.slug().to_string()).collect(),
            in_person: self.in_person,
            remote: self.remote,
            description: self.description.clone(),
        }
    }

    /// The directory profile of an accepted application.
    pub fn to_adviser(&self, id: AdviserId, kind: Kind, geo: &Geography) -> Option<Adviser> {
        let c = geo.commune_by_insee(&self.commune_insee)?;
        Some(Adviser {
            id,
            kind,
            name: self.name.clone(),
            structure_type: self.structure_type,
            category: if self.structure_type == StructureType::Public { Category::Publique } else { Category::Privee },
            address: None,
            commune_insee: c.insee.clone(),
            commune: c.name.clone(),
            postal_code: c.postal_codes.first().cloned().unwrap_or_default(),
            department: c.department.clone(),
            region: c.region.clone(),
            lat: c.lat,
            lon: c.lon,
            approx_location: c.approx,
            specialties: self.specialties.clone(),
            sectors: Vec::new(),
            in_person: self.in_person,
            remote: self.remote,
            description: self.description.clone(),
            website: Some(self.website.clone()),
            source_url: None,
            is_demo: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> &'static Geography {
        static GEO: std::sync::OnceLock<Geography> = std::sync::OnceLock::new();
        GEO.get_or_init(|| Geography::embedded().unwrap())
    }

    fn good() -> RawApplication {
        RawApplication {
            name: "Atelier Numérique du Rhône".into(),
            siret: "732 829 320 00074".into(),
            activity_start: "2020-03-01".into(),
            website: "https://atelier-numerique.example".into(),
            structure_type: "independant".into(),
            commune: "69003".into(),
            area: vec!["69".into(), "01".into(), "69".into()],
            specialties: vec!["cybersecurite".into()],
            in_person: true,
            remote: false,
            description: "Nous aidons les artisans à sécuriser leurs postes et leurs sauvegardes.".into(),
        }
    }

    #[test]
    fn a_good_application_becomes_a_profile() {
        let form = good().check(geo(), "2026-05-27").unwrap();
        assert_eq!(form.siret, "73282932000074");
        assert_eq!(form.area, vec!["01", "69"], "sorted, without duplicates");
        let a = form.to_adviser(AdviserId::parse("cand-1").unwrap(), Kind::Activateur, geo()).unwrap();
        assert_eq!(a.department, "69");
        assert_eq!(a.commune, "Lyon 3e Arrondissement");
        assert!(!a.is_demo);
        assert_eq!(form.to_raw(geo()).check(geo(), "2026-05-27").unwrap(), form, "round trip");
    }

    #[test]
    fn every_mistake_is_reported_in_french() {
        let bad = RawApplication {
            siret: "73282932000075".into(),
            activity_start: "2026-09-01".into(),
            website: "javascript:alert(1)".into(),
            structure_type: "inconnu".into(),
            commune: "Atlantide".into(),
            area: vec!["999".into()],
            specialties: vec!["magie".into()],
            description: "court".into(),
            ..RawApplication::default()
        };
        let errors = bad.check(geo(), "2026-05-27").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "name",
                "siret",
                "activity_start",
                "website",
                "structure_type",
                "commune",
                "area",
                "specialties",
                "modes",
                "description"
            ]
        );
        assert!(errors[1].message.contains("clé de contrôle"));
        assert!(errors[2].message.contains("plus de 6 mois"));
        let mut late = good();
        late.activity_start = "2026-05-28".into();
        assert!(late.check(geo(), "2026-05-27").is_err(), "one day short of six months");
        late.activity_start = "2026-05-27".into();
        assert!(late.check(geo(), "2026-05-27").is_ok());
        late.activity_start = "2026-13-01".into();
        assert!(late.check(geo(), "2026-05-27").is_err());
    }
}
