//! The closed vocabularies of the directory: adviser kinds, specialties,
//! sectors, structure types and categories.
//!
//! Each entry has a stable slug (used in URLs, the API and the store), a
//! French label shown to users, and for specialties and sectors the words a
//! business owner would type for them, which the search index adds to every
//! profile that carries the entry.

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident { $( $variant:ident => $slug:literal, $label:literal, [$($kw:literal),* $(,)?] ; )+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Stable identifier used in URLs, the API and the store.
            pub fn slug(self) -> &'static str {
                match self { $($name::$variant => $slug),+ }
            }

            /// French label shown to users.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Words a user may type for this entry (French, lower case).
            pub fn keywords(self) -> &'static [&'static str] {
                match self { $($name::$variant => &[$($kw),*]),+ }
            }

            pub fn from_slug(slug: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.slug() == slug)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary! {
    /// The two networks of advisers.
    Kind {
        Activateur => "activateur", "Activateur France Num", ["activateur", "activateurs", "france num"];
        AmbassadeurIa => "ambassadeur_ia", "Ambassadeur IA", ["ambassadeur", "ambassadeurs", "ambassadrice"];
    }
}

vocabulary! {
    /// What an adviser helps with. Designed from the themes of the France Num
    /// site and the use cases of the seed document.
    Specialty {
        IaGenerative => "ia_generative", "IA générative",
            ["intelligence artificielle", "ia", "ia générative", "chatgpt", "mistral", "prompt", "automatisation", "agent conversationnel"];
        MarketingDigital => "marketing_digital", "Marketing digital et réseaux sociaux",
            ["marketing", "réseaux sociaux", "facebook", "instagram", "linkedin", "communication", "newsletter", "publicité"];
        SiteWebEcommerce => "site_web_ecommerce", "Site web et e-commerce",
            ["site internet", "site web", "e-commerce", "vente en ligne", "boutique en ligne", "click and collect"];
        Referencement => "referencement", "Référencement et visibilité en ligne",
            ["référencement", "seo", "google", "visibilité", "avis clients", "fiche établissement"];
        Cybersecurite => "cybersecurite", "Cybersécurité",
            ["cybersécurité", "sécurité informatique", "piratage", "rançongiciel", "sauvegarde", "mot de passe"];
        GestionComptabilite => "gestion_comptabilite", "Gestion et comptabilité",
            ["gestion", "comptabilité", "compta", "facturation", "facture électronique", "logiciel de gestion", "trésorerie"];
        RelationClient => "relation_client", "Relation client",
            ["relation client", "crm", "service client", "fidélisation", "chatbot", "prise de rendez-vous"];
        RessourcesHumaines => "ressources_humaines", "Ressources humaines",
            ["ressources humaines", "rh", "recrutement", "paie", "onboarding", "fiche de poste"];
        Donnees => "donnees", "Données et RGPD",
            ["données", "data", "rgpd", "données personnelles", "tableau de bord", "ocr"];
        StrategieNumerique => "strategie_numerique", "Stratégie numérique",
            ["stratégie numérique", "transformation numérique", "diagnostic numérique", "digitalisation"];
        OutilsCollaboratifs => "outils_collaboratifs", "Outils collaboratifs et cloud",
            ["outils collaboratifs", "cloud", "visioconférence", "bureautique", "travail à distance", "messagerie"];
    }
}

vocabulary! {
    /// Business sectors an adviser knows well.
    Sector {
        Commerce => "commerce", "Commerce de proximité", ["commerce", "commerçant", "boutique", "magasin"];
        Artisanat => "artisanat", "Artisanat", ["artisan", "artisanat", "boulangerie", "coiffure"];
        Btp => "btp", "Bâtiment et travaux publics", ["btp", "bâtiment", "plombier", "électricien", "travaux"];
        HotellerieRestauration => "hotellerie_restauration", "Hôtellerie et restauration", ["hôtel", "restaurant", "restauration", "café"];
        Tourisme => "tourisme", "Tourisme et loisirs", ["tourisme", "gîte", "camping", "loisirs"];
        Agriculture => "agriculture", "Agriculture et agroalimentaire", ["agriculture", "agriculteur", "viticulture", "agroalimentaire", "ferme"];
        Industrie => "industrie", "Industrie", ["industrie", "usine", "production", "pme industrielle"];
        Sante => "sante", "Santé et bien-être", ["santé", "pharmacie", "bien-être", "cabinet médical"];
        ProfessionsLiberales => "professions_liberales", "Professions libérales", ["profession libérale", "avocat", "architecte", "expert-comptable"];
        ServicesEntreprises => "services_entreprises", "Services aux entreprises", ["services", "conseil", "b2b"];
        TransportLogistique => "transport_logistique", "Transport et logistique", ["transport", "logistique", "livraison", "taxi"];
        CultureMedias => "culture_medias", "Culture, médias et création", ["culture", "artiste", "création", "luxe", "mode"];
        Immobilier => "immobilier", "Immobilier", ["immobilier", "agence immobilière", "location"];
        Associations => "associations", "Associations et économie sociale", ["association", "ess", "économie sociale"];
    }
}

vocabulary! {
    /// Structure types exactly as the official open data names them.
    StructureType {
        Agence => "agence_communication", "Agence de communication, marketing", ["agence"];
        Esn => "esn", "Entreprise de services numériques", ["esn", "ssii", "informatique"];
        Independant => "independant", "Indépendant", ["indépendant", "freelance"];
        Formation => "organisme_formation", "Organisme de formation", ["formation", "formateur"];
        Cabinet => "cabinet_avocat_expertise", "Cabinet d'avocat, expertise-comptable", ["cabinet", "avocat", "expert-comptable"];
        Public => "organisme_public", "Organisme public", ["cci", "chambre de métiers", "collectivité"];
    }
}

vocabulary! {
    /// Public or private, as in the official open data ("Catégorie").
    Category {
        Publique => "publique", "Publique", [];
        Privee => "privee", "Privée", [];
    }
}

impl StructureType {
    /// Reads the label of the official data, tolerant of case, accents and
    /// spacing ("Agence de communication,marketing").
    pub fn from_label(label: &str) -> Option<Self> {
        let wanted = crate::text::fold(label);
        Self::ALL.iter().copied().find(|t| crate::text::fold(t.label()) == wanted || t.slug() == label)
    }
}

impl Category {
    pub fn from_label(label: &str) -> Option<Self> {
        match crate::text::fold(label).as_str() {
            "publique" | "public" => Some(Category::Publique),
            "privee" | "prive" => Some(Category::Privee),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip_and_are_unique() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            slug: fn(T) -> &'static str,
            from: fn(&str) -> Option<T>,
        ) {
            let mut seen = std::collections::HashSet::new();
            for &v in all {
                assert!(seen.insert(slug(v)), "duplicate slug {}", slug(v));
                assert_eq!(from(slug(v)), Some(v));
            }
        }
        check(Kind::ALL, Kind::slug, Kind::from_slug);
        check(Specialty::ALL, Specialty::slug, Specialty::from_slug);
        check(Sector::ALL, Sector::slug, Sector::from_slug);
        check(StructureType::ALL, StructureType::slug, StructureType::from_slug);
    }

    #[test]
    fn official_structure_labels_parse() {
        assert_eq!(StructureType::from_label("Agence de communication, marketing"), Some(StructureType::Agence));
        assert_eq!(StructureType::from_label("cabinet d’avocat, expertise-comptable"), Some(StructureType::Cabinet));
        assert_eq!(StructureType::from_label("Indépendant"), Some(StructureType::Independant));
        assert_eq!(Category::from_label("Privée"), Some(Category::Privee));
        assert_eq!(StructureType::from_label("Boulangerie"), None);
    }
}
