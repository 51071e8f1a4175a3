//! An adviser of the directory: an activateur France Num or an ambassadeur IA.

use serde::{Deserialize, Serialize};

use crate::taxonomy::{Category, Kind, Sector, Specialty, StructureType};

/// Identifier of an adviser: the official "Identifiant de la structure" for
/// imported rows, `demo-…` for generated ones. 1 to 64 characters among
/// letters, digits, `-`, `_` and `.`, so it is safe in URLs as is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AdviserId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdviserIdError {
    #[error("l'identifiant est vide")]
    Empty,
    #[error("l'identifiant dépasse 64 caractères")]
    TooLong,
    #[error("l'identifiant contient un caractère non autorisé ({0:?})")]
    BadChar(char),
}

impl AdviserId {
    pub fn parse(raw: &str) -> Result<Self, AdviserIdError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(AdviserIdError::Empty);
        }
        if s.len() > 64 {
            return Err(AdviserIdError::TooLong);
        }
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
            return Err(AdviserIdError::BadChar(c));
        }
        Ok(AdviserId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AdviserId {
    type Error = AdviserIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        AdviserId::parse(&s)
    }
}

impl From<AdviserId> for String {
    fn from(id: AdviserId) -> String {
        id.0
    }
}

impl std::fmt::Display for AdviserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adviser {
    pub id: AdviserId,
    pub kind: Kind,
    pub name: String,
    pub structure_type: StructureType,
    pub category: Category,
    pub address: Option<String>,
    /// INSEE code of the commune.
    pub commune_insee: String,
    pub commune: String,
    pub postal_code: String,
    /// Department code ("33", "2A", "971").
    pub department: String,
    /// Region INSEE code ("84").
    pub region: String,
    pub lat: f64,
    pub lon: f64,
    /// The coordinates are those of a nearby chief town, not the commune's.
    pub approx_location: bool,
    pub specialties: Vec<Specialty>,
    pub sectors: Vec<Sector>,
    pub in_person: bool,
    pub remote: bool,
    pub description: String,
    /// The structure's own website.
    pub website: Option<String>,
    /// Its page on the France Num site ("Lien url" of the open data).
    pub source_url: Option<String>,
    /// Generated demo profile, shown as such.
    pub is_demo: bool,
}
