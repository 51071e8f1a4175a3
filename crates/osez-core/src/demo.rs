//! Deterministic demo directory: 4,000 activateurs France Num and 300
//! ambassadeurs IA spread over every department roughly in proportion to
//! population. Every generated profile has `is_demo = true` and a `demo-` id.
//!
//! Names, addresses and descriptions are invented from word lists written
//! here; no real person or company is described.

use rand::prelude::*;
use rand_chacha::ChaCha8Rng;

use crate::adviser::{Adviser, AdviserId};
use crate::geo::{CommuneKind, Geography};
use crate::taxonomy::{Category, Kind, Sector, Specialty, StructureType};

/// Seed of the demo directory loaded on a first start.
pub const DEFAULT_SEED: u64 = 2026;
pub const ACTIVATEURS: usize = 4_000;
pub const AMBASSADEURS_IA: usize = 300;
/// Every region gets at least this many ambassadeurs IA.
const MIN_AMBASSADEURS_PER_REGION: usize = 3;

const FIRST_NAMES: &[&str] = &[
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Julie",
    "Emma",
    "Claire",
    "Nadia",
    "Aurélie",
    "Sophie",
    "Hélène",
    "Fatou",
    "Yasmine",
    "Marion",
    "Élodie",
    "Anne",
    "Lucie",
    "Céline",
    "Thomas",
    "Nicolas",
    "Julien",
    "Maxime",
    "Hugo",
    "Lucas",
    "Karim",
    "Mehdi",
    "Antoine",
    "Pierre",
    "Olivier",
    "Sébastien",
    "Mathieu",
    "Romain",
    "Yann",
    "Loïc",
    "Guillaume",
    "François",
    "Bruno",
    "Malik",
    "Théo",
    "Baptiste",
    "Jérôme",
    "Kevin",
    "Samuel",
];
const LAST_NAMES: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Le Gall",
    "Kerbrat",
    "Nguyen",
    "Benali",
    "Diallo",
    "Haddad",
    "Payet",
    "Hoarau",
    "Jean-Baptiste",
];
const BRAND_WORDS: &[&str] = &[
    "Horizon",
    "Pixel",
    "Boussole",
    "Déclic",
    "Tremplin",
    "Atelier",
    "Passerelle",
    "Éclaireur",
    "Levier",
    "Sillon",
    "Cap",
    "Alizé",
    "Ancre",
    "Phare",
    "Ruche",
    "Étincelle",
    "Relais",
    "Lumen",
    "Agora",
    "Sentier",
    "Mosaïque",
    "Envol",
    "Clairière",
    "Vigie",
    "Comète",
    "Rivage",
    "Canopée",
    "Archipel",
    "Fil Rouge",
    "Cordée",
];
const STREETS: &[&str] = &[
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "place de la Mairie",
    "rue du Commerce",
    "boulevard Gambetta",
    "rue Pasteur",
    "rue des Écoles",
    "avenue de la Gare",
    "rue Nationale",
    "allée des Tilleuls",
    "chemin du Moulin",
    "rue de l'Église",
    "quai des Entrepreneurs",
    "impasse des Artisans",
];

fn specialty_phrase(s: Specialty) -> &'static str {
    match s {
        Specialty::IaGenerative => {
            "l'adoption de l'intelligence artificielle générative (rédaction, images, automatisation des tâches répétitives)"
        }
        Specialty::MarketingDigital => "le marketing digital et l'animation des réseaux sociaux",
        Specialty::SiteWebEcommerce => "la création de site internet et la vente en ligne",
        Specialty::Referencement => "le référencement naturel et la visibilité sur les moteurs de recherche",
        Specialty::Cybersecurite => "la cybersécurité : sauvegardes, mots de passe et prévention des rançongiciels",
        Specialty::GestionComptabilite => "la gestion, la comptabilité et le passage à la facture électronique",
        Specialty::RelationClient => "la relation client, le CRM et la prise de rendez-vous en ligne",
        Specialty::RessourcesHumaines => "les ressources humaines : recrutement, fiches de poste et onboarding",
        Specialty::Donnees => "la valorisation des données et la conformité au RGPD",
        Specialty::StrategieNumerique => "le diagnostic et la stratégie de transformation numérique",
        Specialty::OutilsCollaboratifs => "les outils collaboratifs, le cloud et le travail à distance",
    }
}

fn sector_phrase(s: Sector) -> &'static str {
    match s {
        Sector::Commerce => "commerçants",
        Sector::Artisanat => "artisans",
        Sector::Btp => "entreprises du bâtiment",
        Sector::HotellerieRestauration => "hôtels, cafés et restaurants",
        Sector::Tourisme => "acteurs du tourisme",
        Sector::Agriculture => "exploitations agricoles et entreprises agroalimentaires",
        Sector::Industrie => "PME industrielles",
        Sector::Sante => "professionnels de santé et du bien-être",
        Sector::ProfessionsLiberales => "professions libérales",
        Sector::ServicesEntreprises => "entreprises de services",
        Sector::TransportLogistique => "transporteurs et logisticiens",
        Sector::CultureMedias => "créateurs, artistes et marques de mode",
        Sector::Immobilier => "agences immobilières",
        Sector::Associations => "associations et structures de l'économie sociale",
    }
}

/// Specialties that each structure type tends to offer, most likely first.
fn specialty_pool(t: StructureType) -> &'static [Specialty] {
    use Specialty::*;
    match t {
        StructureType::Agence => {
            &[MarketingDigital, SiteWebEcommerce, Referencement, RelationClient, IaGenerative, StrategieNumerique]
        }
        StructureType::Esn => {
            &[Cybersecurite, SiteWebEcommerce, OutilsCollaboratifs, Donnees, IaGenerative, GestionComptabilite]
        }
        StructureType::Independant => &[
            SiteWebEcommerce,
            MarketingDigital,
            IaGenerative,
            Referencement,
            StrategieNumerique,
            OutilsCollaboratifs,
            Cybersecurite,
        ],
        StructureType::Formation => &[
            IaGenerative,
            StrategieNumerique,
            MarketingDigital,
            OutilsCollaboratifs,
            RessourcesHumaines,
            Cybersecurite,
        ],
        StructureType::Cabinet => {
            &[GestionComptabilite, Donnees, RessourcesHumaines, Cybersecurite, StrategieNumerique]
        }
        StructureType::Public => {
            &[StrategieNumerique, SiteWebEcommerce, Cybersecurite, IaGenerative, RessourcesHumaines, RelationClient]
        }
    }
}

/// Largest-remainder apportionment of `total` seats by `weights`, each part
/// getting at least `floor` seats.
fn apportion(total: usize, weights: &[f64], floor: usize) -> Vec<usize> {
    let reserved = floor * weights.len();
    assert!(reserved <= total, "not enough seats for the floor");
    let rest = total - reserved;
    let sum: f64 = weights.iter().sum();
    let quotas: Vec<f64> = weights.iter().map(|w| rest as f64 * w / sum).collect();
    let mut seats: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (quotas[b] - quotas[b].floor()).total_cmp(&(quotas[a] - quotas[a].floor())).then(a.cmp(&b)));
    let given: usize = seats.iter().sum();
    for &i in order.iter().take(rest - given) {
        seats[i] += 1;
    }
    seats.iter().map(|s| s + floor).collect()
}

struct Generator<'g> {
    geo: &'g Geography,
    rng: ChaCha8Rng,
    /// Per department: communes (not arrondissements) and cumulative weights.
    towns: Vec<(Vec<usize>, Vec<f64>)>,
}

impl<'g> Generator<'g> {
    fn new(geo: &'g Geography, seed: u64) -> Self {
        let towns = geo
            .departments
            .iter()
            .map(|d| {
                let mut list: Vec<usize> = (0..geo.communes.len())
                    .filter(|&i| {
                        let c = &geo.communes[i];
                        c.department == d.code && c.kind == CommuneKind::Commune
                    })
                    .collect();
                list.sort_unstable();
                // Advisers sit where businesses are: weight by population,
                // a little flattened so that small towns get some too.
                let mut acc = 0.0;
                let cumulative = list
                    .iter()
                    .map(|&i| {
                        acc += f64::from(geo.communes[i].population.max(1)).powf(0.9);
                        acc
                    })
                    .collect();
                (list, cumulative)
            })
            .collect();
        Generator { geo, rng: ChaCha8Rng::seed_from_u64(seed), towns }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }

    fn commune_in(&mut self, department: usize) -> usize {
        let (list, cumulative) = &self.towns[department];
        let total = *cumulative.last().expect("every department has communes");
        let x = self.rng.random_range(0.0..total);
        let pos = cumulative.partition_point(|&c| c <= x).min(list.len() - 1);
        list[pos]
    }

    fn structure_type(&mut self) -> StructureType {
        let x = self.rng.random_range(0..100);
        match x {
            0..25 => StructureType::Agence,
            25..45 => StructureType::Esn,
            45..70 => StructureType::Independant,
            70..85 => StructureType::Formation,
            85..93 => StructureType::Cabinet,
            _ => StructureType::Public,
        }
    }

    fn name(&mut self, t: StructureType, commune: usize, department: usize) -> String {
        let first = self.pick(FIRST_NAMES);
        let last = self.pick(LAST_NAMES);
        let brand = self.pick(BRAND_WORDS);
        let town = self.geo.communes[commune].name.clone();
        let dep = self.geo.departments[department].name.clone();
        match (t, self.rng.random_range(0..3)) {
            (StructureType::Agence, 0) => format!("Agence {brand}"),
            (StructureType::Agence, 1) => format!("{brand} Communication"),
            (StructureType::Agence, _) => format!("Studio {brand} {town}"),
            (StructureType::Esn, 0) => format!("{brand} Informatique"),
            (StructureType::Esn, 1) => format!("{brand} Numérique Services"),
            (StructureType::Esn, _) => format!("{last} Systèmes"),
            (StructureType::Independant, 0) => format!("{first} {last}"),
            (StructureType::Independant, 1) => format!("{first} {last} Conseil"),
            (StructureType::Independant, _) => format!("{first} {last} – {brand} Digital"),
            (StructureType::Formation, 0) => format!("{brand} Formation"),
            (StructureType::Formation, 1) => format!("Institut {brand}"),
            (StructureType::Formation, _) => format!("École du numérique de {town}"),
            (StructureType::Cabinet, 0) => format!("Cabinet {last} & Associés"),
            (StructureType::Cabinet, 1) => format!("{last} Expertise Comptable"),
            (StructureType::Cabinet, _) => format!("{last} Avocats"),
            (StructureType::Public, 0) => format!("CCI {dep}"),
            (StructureType::Public, 1) => format!("Chambre de métiers et de l'artisanat – {dep}"),
            (StructureType::Public, _) => format!("Maison de l'entreprise de {town}"),
        }
    }

    fn specialties(&mut self, t: StructureType, kind: Kind) -> Vec<Specialty> {
        let pool = specialty_pool(t);
        let n = self.rng.random_range(1..=3);
        let mut out: Vec<Specialty> = Vec::new();
        if kind == Kind::AmbassadeurIa {
            out.push(Specialty::IaGenerative);
        }
        while out.len() < n + usize::from(kind == Kind::AmbassadeurIa) {
            // Earlier entries of the pool are likelier: take the smaller of two draws.
            let i = self.rng.random_range(0..pool.len()).min(self.rng.random_range(0..pool.len()));
            let s = if self.rng.random_range(0..10) == 0 { self.pick(Specialty::ALL) } else { pool[i] };
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    fn sectors(&mut self) -> Vec<Sector> {
        let n = self.rng.random_range(1..=3);
        let mut out = Vec::new();
        while out.len() < n {
            let s = self.pick(Sector::ALL);
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    fn adviser(&mut self, kind: Kind, number: usize, department: usize) -> Adviser {
        let commune = self.commune_in(department);
        let c = &self.geo.communes[commune];
        let (insee, commune_name, region, lat, lon, approx) =
            (c.insee.clone(), c.name.clone(), c.region.clone(), c.lat, c.lon, c.approx);
        let postal_code = c.postal_codes.first().cloned().unwrap_or_default();
        let dep_code = self.geo.departments[department].code.clone();
        let structure_type = self.structure_type();
        let name = self.name(structure_type, commune, department);
        let specialties = self.specialties(structure_type, kind);
        let sectors = self.sectors();
        let remote_chance = if kind == Kind::AmbassadeurIa { 70 } else { 55 };
        let mut remote = self.rng.random_range(0..100) < remote_chance;
        let in_person = self.rng.random_range(0..100) < 85;
        if !in_person {
            remote = true;
        }
        let street = self.pick(STREETS);
        let address = format!("{} {street}", self.rng.random_range(1..120));

        let mut description = format!(
            "{name} accompagne les {} de {} dans {}",
            sector_phrase(sectors[0]),
            if self.rng.random_bool(0.5) {
                commune_name.clone()
            } else {
                self.geo.departments[department].name.clone()
            },
            specialty_phrase(specialties[0]),
        );
        if let Some(&second) = specialties.get(1) {
            description.push_str(&format!(", ainsi que dans {}", specialty_phrase(second)));
        }
        description.push('.');
        description.push_str(match (in_person, remote) {
            (true, true) => " Rendez-vous sur place ou à distance.",
            (true, false) => " Accompagnement sur place uniquement.",
            _ => " Accompagnement entièrement à distance.",
        });
        if kind == Kind::AmbassadeurIa {
            description.push_str(" Ambassadeur IA : ateliers de découverte de l'IA pour les TPE et PME, cas concrets et précautions (RGPD, hallucinations, souveraineté des données).");
        }

        let id = match kind {
            Kind::Activateur => format!("demo-act-{number:04}"),
            Kind::AmbassadeurIa => format!("demo-ia-{number:03}"),
        };
        Adviser {
            id: AdviserId::parse(&id).expect("generated ids are valid"),
            kind,
            name,
            structure_type,
            category: if structure_type == StructureType::Public { Category::Publique } else { Category::Privee },
            address: Some(address),
            commune_insee: insee,
            commune: commune_name,
            postal_code,
            department: dep_code,
            region,
            lat,
            lon,
            approx_location: approx,
            specialties,
            sectors,
            in_person,
            remote,
            description,
            website: None,
            source_url: None,
            is_demo: true,
        }
    }
}

/// The demo directory; the same seed always gives the same advisers.
pub fn generate(geo: &Geography, seed: u64) -> Vec<Adviser> {
    let mut g = Generator::new(geo, seed);
    let mut out = Vec::with_capacity(ACTIVATEURS + AMBASSADEURS_IA);

    let dep_weights: Vec<f64> = geo.departments.iter().map(|d| d.population as f64).collect();
    let per_department = apportion(ACTIVATEURS, &dep_weights, 1);
    let mut number = 0;
    for (d, &n) in per_department.iter().enumerate() {
        for _ in 0..n {
            number += 1;
            out.push(g.adviser(Kind::Activateur, number, d));
        }
    }

    let region_weights: Vec<f64> = geo.regions.iter().map(|r| r.population as f64).collect();
    let per_region = apportion(AMBASSADEURS_IA, &region_weights, MIN_AMBASSADEURS_PER_REGION);
    let mut number = 0;
    for (r, &n) in per_region.iter().enumerate() {
        let deps: Vec<usize> =
            (0..geo.departments.len()).filter(|&d| geo.departments[d].region == geo.regions[r].code).collect();
        let weights: Vec<f64> = deps.iter().map(|&d| geo.departments[d].population as f64).collect();
        let spread = apportion(n, &weights, 0);
        for (k, &m) in spread.iter().enumerate() {
            for _ in 0..m {
                number += 1;
                out.push(g.adviser(Kind::AmbassadeurIa, number, deps[k]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn apportion_respects_total_and_floor() {
        let seats = apportion(10, &[1.0, 1.0, 8.0], 1);
        assert_eq!(seats.iter().sum::<usize>(), 10);
        assert!(seats.iter().all(|&s| s >= 1));
        assert_eq!(seats, vec![2, 2, 6], "quotas 0.7, 0.7, 5.6 over 7 free seats");
    }

    #[test]
    fn demo_directory_covers_france_and_is_deterministic() {
        let geo = Geography::embedded().unwrap();
        let a = generate(&geo, 42);
        assert_eq!(a.len(), ACTIVATEURS + AMBASSADEURS_IA);
        assert_eq!(a.iter().filter(|x| x.kind == Kind::AmbassadeurIa).count(), AMBASSADEURS_IA);
        let ids: HashSet<_> = a.iter().map(|x| x.id.clone()).collect();
        assert_eq!(ids.len(), a.len(), "ids are unique");
        for d in &geo.departments {
            assert!(a.iter().any(|x| x.department == d.code), "department {} has an adviser", d.code);
        }
        for r in &geo.regions {
            let n = a.iter().filter(|x| x.region == r.code && x.kind == Kind::AmbassadeurIa).count();
            assert!(n >= MIN_AMBASSADEURS_PER_REGION, "region {} has {n} ambassadeurs", r.name);
        }
        assert!(a.iter().all(|x| x.is_demo && x.id.as_str().starts_with("demo-")));
        assert!(a.iter().all(|x| x.in_person || x.remote));
        assert!(
            a.iter()
                .filter(|x| x.kind == Kind::AmbassadeurIa)
                .all(|x| x.specialties.contains(&Specialty::IaGenerative))
        );
        assert_eq!(generate(&geo, 42), a);
        // Proportional: Paris has far more advisers than Lozère.
        let count = |code: &str| a.iter().filter(|x| x.department == code && x.kind == Kind::Activateur).count();
        assert!(count("75") > 10 * count("48"), "{} vs {}", count("75"), count("48"));
    }
}
