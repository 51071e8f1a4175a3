//! Messages written through the site to the France Num team or to one
//! adviser. Addresses are never published: people write through a form and
//! the platform delivers by e-mail, so every field that may reach a mail
//! header is refused if it holds a line break (header injection).

use serde::{Deserialize, Serialize};

use crate::Specialty;
use crate::account::Email;
use crate::application::FieldError;
use crate::geo::Geography;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_COMPANY_CHARS: usize = 150;
pub const MIN_MESSAGE_CHARS: usize = 10;
pub const MAX_MESSAGE_CHARS: usize = 5_000;
/// Subject of an answer from the team.
pub const MAX_SUBJECT_CHARS: usize = 200;

/// What a contact is about: one of the specialties, or something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Need {
    Specialty(Specialty),
    Other,
}

impl Need {
    pub const OTHER_SLUG: &'static str = "autre";

    pub fn slug(self) -> &'static str {
        match self {
            Need::Specialty(s) => s.slug(),
            Need::Other => Self::OTHER_SLUG,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Need::Specialty(s) => s.label(),
            Need::Other => "Autre besoin, ou je ne sais pas encore",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Need> {
        if slug == Self::OTHER_SLUG { Some(Need::Other) } else { Specialty::from_slug(slug).map(Need::Specialty) }
    }

    /// Every need, in the order of the form.
    pub fn all() -> impl Iterator<Item = Need> {
        Specialty::ALL.iter().map(|&s| Need::Specialty(s)).chain(std::iter::once(Need::Other))
    }
}

/// Where a message stands in the team's inbox or an adviser's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContactStatus {
    New,
    Open,
    Closed,
}

impl ContactStatus {
    pub const ALL: [ContactStatus; 3] = [ContactStatus::New, ContactStatus::Open, ContactStatus::Closed];

    pub fn slug(self) -> &'static str {
        match self {
            ContactStatus::New => "new",
            ContactStatus::Open => "open",
            ContactStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ContactStatus::New => "Nouveau",
            ContactStatus::Open => "En cours",
            ContactStatus::Closed => "Traité",
        }
    }

    pub fn from_slug(slug: &str) -> Option<ContactStatus> {
        Self::ALL.into_iter().find(|s| s.slug() == slug)
    }
}

/// What came of a message to an adviser, as the adviser records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Met,
    QuoteSent,
    NoFollowUp,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Met, Outcome::QuoteSent, Outcome::NoFollowUp];

    pub fn slug(self) -> &'static str {
        match self {
            Outcome::Met => "met",
            Outcome::QuoteSent => "quote_sent",
            Outcome::NoFollowUp => "no_follow_up",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Met => "Rendez-vous ou échange réalisé",
            Outcome::QuoteSent => "Devis ou proposition envoyés",
            Outcome::NoFollowUp => "Sans suite",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Outcome> {
        Self::ALL.into_iter().find(|s| s.slug() == slug)
    }
}

/// What the person typed, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawContact {
    pub name: String,
    pub email: String,
    pub company: String,
    /// Commune name, postal code, or both.
    pub commune: String,
    pub need: String,
    pub message: String,
}

/// A checked message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactForm {
    pub name: String,
    pub email: Email,
    pub company: Option<String>,
    pub commune_insee: String,
    /// "Lyon (69)", for people.
    pub commune_label: String,
    pub department: String,
    pub need: Need,
    /// Line breaks kept, as `\n`.
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// True when the text holds a line break or another control character:
/// such a value must never reach a mail header.
pub fn breaks_header(text: &str) -> bool {
    text.chars().any(char::is_control)
}

const LINE_BREAK: &str = "Ce champ ne doit tenir que sur une ligne : retirez les retours à la ligne.";

/// One line of text, 1 to `max` characters.
fn one_line(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    raw: &str,
    max: usize,
    missing: &str,
    what: &str,
) -> String {
    let t = raw.trim();
    if t.is_empty() {
        errors.push(err(field, missing));
    } else if breaks_header(t) {
        errors.push(err(field, LINE_BREAK));
    } else if t.chars().count() > max {
        errors.push(err(field, format!("{what} dépasse {max} caractères.")));
    }
    t.to_string()
}

/// The message body: line breaks normalised to `\n`, other control
/// characters (but tabs) refused.
pub fn check_body(raw: &str, field: &'static str) -> Result<String, FieldError> {
    let text = raw.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    let chars = text.chars().count();
    if chars < MIN_MESSAGE_CHARS {
        Err(err(field, format!("Écrivez votre message ({MIN_MESSAGE_CHARS} caractères au moins).")))
    } else if chars > MAX_MESSAGE_CHARS {
        Err(err(field, format!("Le message dépasse {MAX_MESSAGE_CHARS} caractères : raccourcissez-le.")))
    } else if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        Err(err(field, "Le message contient des caractères de contrôle : retirez-les."))
    } else {
        Ok(text.to_string())
    }
}

/// The subject of an answer: one line.
pub fn check_subject(raw: &str) -> Result<String, FieldError> {
    let mut errors = Vec::new();
    let s = one_line(&mut errors, "subject", raw, MAX_SUBJECT_CHARS, "Indiquez l'objet de la réponse.", "L'objet");
    errors.pop().map_or(Ok(s), Err)
}

impl RawContact {
    /// Checks every field and reports every mistake at once.
    pub fn check(&self, geo: &Geography) -> Result<ContactForm, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = one_line(&mut errors, "name", &self.name, MAX_NAME_CHARS, "Indiquez votre nom.", "Le nom");
        let email = if breaks_header(self.email.trim()) {
            errors.push(err("email", LINE_BREAK));
            None
        } else {
            match Email::parse(&self.email) {
                Ok(e) => Some(e),
                Err(_) if self.email.trim().is_empty() => {
                    errors.push(err("email", "Indiquez votre adresse e-mail, pour que l'on puisse vous répondre."));
                    None
                }
                Err(_) => {
                    errors.push(err("email", "Cette adresse e-mail n'est pas valide (ex. prenom.nom@exemple.fr)."));
                    None
                }
            }
        };
        let company = self.company.trim();
        if breaks_header(company) {
            errors.push(err("company", LINE_BREAK));
        } else if company.chars().count() > MAX_COMPANY_CHARS {
            errors.push(err("company", format!("Le nom de l'entreprise dépasse {MAX_COMPANY_CHARS} caractères.")));
        }
        let commune = if breaks_header(self.commune.trim()) {
            errors.push(err("commune", LINE_BREAK));
            None
        } else {
            let found = geo.find_commune(&self.commune).map(|i| &geo.communes[i]);
            if found.is_none() {
                errors.push(err(
                    "commune",
                    "Commune introuvable : indiquez le nom de votre commune ou son code postal (ex. 69003 ou Lyon).",
                ));
            }
            found
        };
        let need = Need::from_slug(self.need.trim());
        if need.is_none() {
            errors.push(err("need", "Choisissez votre besoin dans la liste."));
        }
        let message = check_body(&self.message, "message").map_err(|e| errors.push(e)).ok();
        match (errors.is_empty(), email, commune, need, message) {
            (true, Some(email), Some(c), Some(need), Some(message)) => Ok(ContactForm {
                name,
                email,
                company: (!company.is_empty()).then(|| company.to_string()),
                commune_insee: c.insee.clone(),
                commune_label: format!("{} ({})", c.name, c.department),
                department: c.department.clone(),
                need,
                message,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> &'static Geography {
        static GEO: std::sync::OnceLock<Geography> = std::sync::OnceLock::new();
        GEO.get_or_init(|| Geography::embedded().unwrap())
    }

    fn raw() -> RawContact {
        RawContact {
            name: "Camille Martin".into(),
            email: " Camille@Exemple.FR ".into(),
            company: "Boulangerie Martin".into(),
            commune: "69003".into(),
            need: "ia_generative".into(),
            message: "Bonjour,\r\nje voudrais utiliser l'IA pour mes devis.".into(),
        }
    }

    fn fields(r: &RawContact) -> Vec<&'static str> {
        r.check(geo()).err().unwrap_or_default().iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_good_message_is_normalised() {
        let c = raw().check(geo()).unwrap();
        assert_eq!(c.email.as_str(), "camille@exemple.fr");
        assert_eq!(c.department, "69");
        assert_eq!(c.need, Need::Specialty(Specialty::IaGenerative));
        assert_eq!(c.message, "Bonjour,\nje voudrais utiliser l'IA pour mes devis.");
        assert_eq!(c.company.as_deref(), Some("Boulangerie Martin"));
    }

    #[test]
    fn line_breaks_in_one_line_fields_are_refused() {
        for (i, bad) in ["Camille\r\nBcc: x@evil.example", "Camille\nX", "Camille\rX"].iter().enumerate() {
            let mut r = raw();
            match i % 3 {
                0 => r.name = bad.to_string(),
                1 => r.company = bad.to_string(),
                _ => r.email = format!("a@b.fr{bad}"),
            }
            let errors = r.check(geo()).unwrap_err();
            assert_eq!(errors.len(), 1, "{bad:?}");
            assert!(errors[0].message.contains("une ligne"), "{errors:?}");
        }
        assert!(check_subject("Re: devis\r\nBcc: x@evil.example").is_err());
        assert_eq!(check_subject(" Votre demande ").unwrap(), "Votre demande");
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        let r = RawContact { message: "court".into(), ..Default::default() };
        assert_eq!(fields(&r), ["name", "email", "commune", "need", "message"]);
        let r = RawContact { email: "pas-une-adresse".into(), message: "x".repeat(MAX_MESSAGE_CHARS + 1), ..raw() };
        assert_eq!(fields(&r), ["email", "message"]);
        let r = RawContact { message: "Bonjour\u{0}, un octet nul".into(), need: "inconnu".into(), ..raw() };
        assert_eq!(fields(&r), ["need", "message"]);
    }

    #[test]
    fn needs_round_trip() {
        for n in Need::all() {
            assert_eq!(Need::from_slug(n.slug()), Some(n));
        }
        assert_eq!(Need::all().count(), Specialty::ALL.len() + 1);
    }
}
