//! French geography: regions, departments, communes and arrondissements
//! municipaux, with coordinates, parsed from the compact files in `data/`
//! (built by `tools/geo/build.mjs`; see `data/SOURCES.md`).
//!
//! The files are compiled into the binary so that a fresh start needs no
//! download and no data directory.

use std::collections::HashMap;

use crate::text::{fold, words};

const REGIONS_TSV: &str = include_str!("../data/regions.tsv");
const DEPARTMENTS_TSV: &str = include_str!("../data/departments.tsv");
const COMMUNES_TSV: &str = include_str!("../data/communes.tsv");

#[derive(Debug, Clone)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub population: u64,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub region: String,
    pub chief_town: String,
    pub population: u64,
    /// Population-weighted centre of its communes.
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommuneKind {
    Commune,
    /// Arrondissement municipal of Paris, Lyon or Marseille.
    Arrondissement,
}

#[derive(Debug, Clone)]
pub struct Commune {
    pub insee: String,
    pub name: String,
    pub kind: CommuneKind,
    pub postal_codes: Vec<String>,
    pub department: String,
    pub region: String,
    pub population: u32,
    pub lat: f64,
    pub lon: f64,
    /// True when GeoNames had no coordinates for this commune and those of
    /// its arrondissement's chief town stand in.
    pub approx: bool,
    /// For an arrondissement municipal, the INSEE code of its city.
    pub parent: Option<String>,
}

impl Commune {
    /// Its first postal code and its name, as a form shows a commune and
    /// [`Geography::find_commune`] reads it back: "69003 Lyon 3e
    /// Arrondissement".
    pub fn postal_label(&self) -> String {
        format!("{} {}", self.postal_codes.first().map_or("", String::as_str), self.name)
    }
}

/// A place a user named, resolved against the geography.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Commune(usize),
    /// A postal code (as a number, printed on 5 digits) and the commune
    /// that stands for it: an arrondissement where the code is one, else
    /// the most populous commune of the code.
    PostalCode(usize, u32),
    Department(usize),
    Region(usize),
}

#[derive(Debug, thiserror::Error)]
#[error("geography data, line {line}: {reason}")]
pub struct GeoDataError {
    pub line: usize,
    pub reason: String,
}

#[derive(Debug)]
pub struct Geography {
    pub regions: Vec<Region>,
    pub departments: Vec<Department>,
    pub communes: Vec<Commune>,
    by_insee: HashMap<String, usize>,
    by_postal: HashMap<String, Vec<usize>>,
    /// Folded, "st"-expanded name → communes, most populous first.
    by_name: HashMap<String, Vec<usize>>,
    department_by_key: HashMap<String, usize>,
    region_by_key: HashMap<String, usize>,
    longest_name_words: usize,
    /// Point of a commune with coordinates of its own → that commune (the
    /// most populous where several share one), to name the chief town whose
    /// point an approximate commune borrows.
    by_point: HashMap<(u64, u64), usize>,
}

/// Normal form of a place name for look-ups: folded, "st"/"ste" expanded,
/// ordinal suffixes of arrondissements unified ("16e", "16eme" → "16").
pub fn place_key(name: &str) -> String {
    let folded = fold(name);
    let mut out = Vec::new();
    for w in words(&folded) {
        let w = match w {
            "st" => "saint",
            "ste" => "sainte",
            "arrondissement" | "arr" => continue,
            "1er" | "1ere" => "1",
            _ => w,
        };
        let trimmed = w
            .strip_suffix("eme")
            .or_else(|| w.strip_suffix('e'))
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
        out.push(trimmed.unwrap_or(w).to_string());
    }
    out.join(" ")
}

fn parse_f64(s: &str, line: usize, what: &str) -> Result<f64, GeoDataError> {
    s.parse().map_err(|_| GeoDataError { line, reason: format!("bad {what} {s:?}") })
}

fn rows(tsv: &str, columns: usize) -> impl Iterator<Item = Result<(usize, Vec<&str>), GeoDataError>> {
    tsv.lines().enumerate().skip(1).filter(|(_, l)| !l.is_empty()).map(move |(i, l)| {
        let cols: Vec<&str> = l.split('\t').collect();
        if cols.len() == columns {
            Ok((i + 1, cols))
        } else {
            Err(GeoDataError { line: i + 1, reason: format!("{} columns, expected {columns}", cols.len()) })
        }
    })
}

impl Geography {
    /// The geography compiled into the binary.
    pub fn embedded() -> Result<Self, GeoDataError> {
        Self::parse(REGIONS_TSV, DEPARTMENTS_TSV, COMMUNES_TSV)
    }

    pub fn parse(regions_tsv: &str, departments_tsv: &str, communes_tsv: &str) -> Result<Self, GeoDataError> {
        let mut regions = Vec::new();
        for row in rows(regions_tsv, 2) {
            let (_, c) = row?;
            regions.push(Region { code: c[0].into(), name: c[1].into(), population: 0, lat: 0.0, lon: 0.0 });
        }
        let mut departments = Vec::new();
        for row in rows(departments_tsv, 4) {
            let (_, c) = row?;
            departments.push(Department {
                code: c[0].into(),
                name: c[1].into(),
                region: c[2].into(),
                chief_town: c[3].into(),
                population: 0,
                lat: 0.0,
                lon: 0.0,
            });
        }
        let mut communes = Vec::new();
        for row in rows(communes_tsv, 11) {
            let (line, c) = row?;
            communes.push(Commune {
                insee: c[0].into(),
                name: c[1].into(),
                kind: if c[2] == "a" { CommuneKind::Arrondissement } else { CommuneKind::Commune },
                postal_codes: c[3].split(',').filter(|p| !p.is_empty()).map(String::from).collect(),
                department: c[4].into(),
                region: c[5].into(),
                population: c[6].parse().map_err(|_| GeoDataError { line, reason: "bad population".into() })?,
                lat: parse_f64(c[7], line, "latitude")?,
                lon: parse_f64(c[8], line, "longitude")?,
                approx: c[9] == "1",
                parent: (!c[10].is_empty()).then(|| c[10].to_string()),
            });
        }

        let mut geo = Geography {
            regions,
            departments,
            communes,
            by_insee: HashMap::new(),
            by_postal: HashMap::new(),
            by_name: HashMap::new(),
            department_by_key: HashMap::new(),
            region_by_key: HashMap::new(),
            longest_name_words: 1,
            by_point: HashMap::new(),
        };
        geo.build_indexes();
        Ok(geo)
    }

    fn build_indexes(&mut self) {
        // Population-weighted centres of departments and regions; communes
        // (not arrondissements, which would count their city twice).
        let mut dep_acc: HashMap<&str, (f64, f64, f64)> = HashMap::new();
        for c in self.communes.iter().filter(|c| c.kind == CommuneKind::Commune) {
            let w = f64::from(c.population.max(1));
            let e = dep_acc.entry(&c.department).or_default();
            e.0 += w;
            e.1 += w * c.lat;
            e.2 += w * c.lon;
        }
        for d in &mut self.departments {
            if let Some(&(w, la, lo)) = dep_acc.get(d.code.as_str()) {
                d.population = w as u64;
                d.lat = la / w;
                d.lon = lo / w;
            }
        }
        for r in &mut self.regions {
            let (mut w, mut la, mut lo) = (0.0, 0.0, 0.0);
            for d in self.departments.iter().filter(|d| d.region == r.code) {
                let dw = d.population as f64;
                w += dw;
                la += dw * d.lat;
                lo += dw * d.lon;
            }
            if w > 0.0 {
                r.population = w as u64;
                r.lat = la / w;
                r.lon = lo / w;
            }
        }

        for (i, c) in self.communes.iter().enumerate() {
            self.by_insee.insert(c.insee.clone(), i);
            if !c.approx && c.kind == CommuneKind::Commune {
                let slot = self.by_point.entry((c.lat.to_bits(), c.lon.to_bits())).or_insert(i);
                if self.communes[*slot].population < c.population {
                    *slot = i;
                }
            }
            for p in &c.postal_codes {
                self.by_postal.entry(p.clone()).or_default().push(i);
            }
            let key = place_key(&c.name);
            self.longest_name_words = self.longest_name_words.max(key.split(' ').count());
            self.by_name.entry(key).or_default().push(i);
        }
        let communes = &self.communes;
        let by_population = |list: &mut Vec<usize>| {
            list.sort_by(|&a, &b| communes[b].population.cmp(&communes[a].population).then(a.cmp(&b)));
        };
        self.by_postal.values_mut().for_each(by_population);
        self.by_name.values_mut().for_each(by_population);

        for (i, d) in self.departments.iter().enumerate() {
            self.department_by_key.insert(d.code.to_ascii_lowercase(), i);
            self.department_by_key.insert(place_key(&d.name), i);
        }
        for (i, r) in self.regions.iter().enumerate() {
            self.region_by_key.insert(place_key(&r.name), i);
        }
    }

    pub fn commune_by_insee(&self, insee: &str) -> Option<&Commune> {
        self.by_insee.get(insee).map(|&i| &self.communes[i])
    }

    /// For a commune without coordinates of its own, the chief town whose
    /// point it borrows ("Château-Thébaud" → Nantes); `None` for a commune
    /// placed precisely. A distance from such a point is only a sector. The
    /// few whose point is no commune's own (6 of about 20,000) stand for
    /// their own sector.
    pub fn sector_town<'a>(&'a self, commune: &'a Commune) -> Option<&'a Commune> {
        if !commune.approx {
            return None;
        }
        let town = self.by_point.get(&(commune.lat.to_bits(), commune.lon.to_bits())).map(|&i| &self.communes[i]);
        Some(town.unwrap_or(commune))
    }

    /// The chief town of an approximate place (a commune or a postal code
    /// that stands for one), as [`Geography::sector_town`].
    pub fn place_sector_town(&self, place: Place) -> Option<&Commune> {
        match place {
            Place::Commune(i) | Place::PostalCode(i, _) => self.sector_town(&self.communes[i]),
            Place::Department(_) | Place::Region(_) => None,
        }
    }

    pub fn commune_index(&self, insee: &str) -> Option<usize> {
        self.by_insee.get(insee).copied()
    }

    pub fn communes_by_postal_code(&self, code: &str) -> &[usize] {
        self.by_postal.get(code).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Communes of that name (any spelling), most populous first.
    pub fn communes_by_name(&self, name: &str) -> &[usize] {
        self.by_name.get(&place_key(name)).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.code.eq_ignore_ascii_case(code))
    }

    pub fn region(&self, code: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.code == code)
    }

    /// A department from its number ("33", "2a", "971", "01" or "1") or name.
    pub fn find_department(&self, input: &str) -> Option<usize> {
        let t = input.trim();
        if t.len() == 1 && t.as_bytes()[0].is_ascii_digit() {
            return self.department_by_key.get(&format!("0{t}")).copied();
        }
        self.department_by_key
            .get(&t.to_ascii_lowercase())
            .or_else(|| self.department_by_key.get(&place_key(t)))
            .copied()
    }

    /// A region from its name or its INSEE code.
    pub fn find_region(&self, input: &str) -> Option<usize> {
        let t = input.trim();
        self.regions.iter().position(|r| r.code == t).or_else(|| self.region_by_key.get(&place_key(t)).copied())
    }

    /// Longest number of words in a commune name, for n-gram scans.
    pub fn longest_name_words(&self) -> usize {
        self.longest_name_words
    }

    /// Looks up a place key (see [`place_key`]) exactly: region, then
    /// department, then commune name.
    pub fn place_by_key(&self, key: &str) -> Option<Place> {
        if let Some(&r) = self.region_by_key.get(key) {
            return Some(Place::Region(r));
        }
        if let Some(&d) = self.department_by_key.get(key) {
            // A department named like a big city (Paris) is the city.
            if let Some(&c) = self.by_name.get(key).and_then(|v| v.first())
                && self.communes[c].population >= 100_000
            {
                return Some(Place::Commune(c));
            }
            return Some(Place::Department(d));
        }
        self.by_name.get(key).and_then(|v| v.first()).map(|&c| Place::Commune(c))
    }

    /// Resolves what a user typed as a place: a postal code, a department
    /// number, or the name of a region, department or commune.
    pub fn resolve(&self, input: &str) -> Option<Place> {
        let t = input.trim();
        if t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit()) {
            if let Some(list) = self.by_postal.get(t) {
                let code: u32 = t.parse().unwrap_or(0);
                // "75011" is Paris 11e, not Paris as a whole.
                let c = list
                    .iter()
                    .copied()
                    .find(|&c| self.communes[c].kind == CommuneKind::Arrondissement)
                    .unwrap_or(list[0]);
                return Some(Place::PostalCode(c, code));
            }
            if let Some(&c) = self.by_insee.get(t) {
                return Some(Place::Commune(c));
            }
            return None;
        }
        if is_department_number(t) {
            return self.find_department(t).map(Place::Department);
        }
        self.place_by_key(&place_key(t))
    }

    /// A commune typed as a name, a postal code, or both ("69003 Lyon 3e
    /// Arrondissement").
    pub fn find_commune(&self, input: &str) -> Option<usize> {
        let t = input.trim();
        let resolved = |t: &str| match self.resolve(t) {
            Some(Place::Commune(i) | Place::PostalCode(i, _)) => Some(i),
            _ => None,
        };
        if let Some((code, name)) = t.split_once(' ')
            && code.len() == 5
            && code.bytes().all(|b| b.is_ascii_digit())
        {
            let key = place_key(name);
            let named =
                self.communes_by_postal_code(code).iter().copied().find(|&c| place_key(&self.communes[c].name) == key);
            return named.or_else(|| resolved(code));
        }
        resolved(t)
    }

    /// Point of a place: a commune's coordinates, a department's or region's
    /// population-weighted centre.
    pub fn point(&self, place: Place) -> (f64, f64) {
        match place {
            Place::Commune(i) | Place::PostalCode(i, _) => (self.communes[i].lat, self.communes[i].lon),
            Place::Department(i) => (self.departments[i].lat, self.departments[i].lon),
            Place::Region(i) => (self.regions[i].lat, self.regions[i].lon),
        }
    }

    /// French name of a place, for messages: "Lyon", "33000 (Bordeaux)",
    /// "Gironde (33)", "Bretagne".
    pub fn place_label(&self, place: Place) -> String {
        match place {
            Place::Commune(i) => {
                let c = &self.communes[i];
                format!("{} ({})", c.name, c.department)
            }
            Place::PostalCode(i, code) => format!("{code:05} ({})", self.communes[i].name),
            Place::Department(i) => format!("{} ({})", self.departments[i].name, self.departments[i].code),
            Place::Region(i) => self.regions[i].name.clone(),
        }
    }
}

/// "33", "2A", "971", "1" (one digit is taken as 01).
pub fn is_department_number(t: &str) -> bool {
    let b = t.as_bytes();
    match b.len() {
        1 => b[0].is_ascii_digit(),
        2 => {
            (b[0].is_ascii_digit() && b[1].is_ascii_digit())
                || (b[0] == b'2' && matches!(b[1], b'a' | b'A' | b'b' | b'B'))
        }
        3 => t.starts_with("97") && b[2].is_ascii_digit(),
        _ => false,
    }
}

/// Great-circle distance in kilometres.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn geo() -> &'static Geography {
        static GEO: OnceLock<Geography> = OnceLock::new();
        GEO.get_or_init(|| Geography::embedded().expect("embedded geography parses"))
    }

    fn commune(place: Option<Place>) -> &'static Commune {
        match place {
            Some(Place::Commune(i)) | Some(Place::PostalCode(i, _)) => &geo().communes[i],
            other => panic!("expected a commune, got {other:?}"),
        }
    }

    #[test]
    fn counts_match_the_official_division() {
        let g = geo();
        assert_eq!(g.regions.len(), 18);
        assert_eq!(g.departments.len(), 101);
        assert!(g.communes.len() > 34_000, "{}", g.communes.len());
        assert!(g.communes.iter().all(|c| c.lat.is_finite() && c.lon.is_finite()));
    }

    #[test]
    fn an_approximate_commune_names_the_chief_town_it_borrows_its_point_from() {
        let g = geo();
        let thebaud = g.commune_by_insee("44037").unwrap();
        assert!(thebaud.approx);
        assert_eq!(g.sector_town(thebaud).map(|c| c.name.as_str()), Some("Nantes"));
        assert!(g.sector_town(g.commune_by_insee("44109").unwrap()).is_none(), "Nantes is placed precisely");
        let approx: Vec<&Commune> = g.communes.iter().filter(|c| c.approx).collect();
        let elsewhere = approx.iter().filter(|c| g.sector_town(c).is_some_and(|t| t.insee != c.insee)).count();
        assert!(approx.iter().all(|c| g.sector_town(c).is_some()));
        assert!(elsewhere * 100 > approx.len() * 99, "{elsewhere} of {} borrow a chief town's point", approx.len());
    }

    #[test]
    fn communes_are_found_with_or_without_accents_hyphens_and_saint() {
        assert_eq!(commune(geo().resolve("Saint-Étienne")).insee, "42218");
        assert_eq!(commune(geo().resolve("st etienne")).insee, "42218");
        assert_eq!(commune(geo().resolve("ST-ETIENNE")).insee, "42218");
        assert_eq!(commune(geo().resolve("lyon")).insee, "69123");
        // The most populous of homonyms wins.
        assert_eq!(commune(geo().resolve("Saint-Denis")).department, "974");
    }

    #[test]
    fn arrondissements_of_paris_lyon_marseille() {
        assert_eq!(commune(geo().resolve("Paris 16e")).insee, "75116");
        assert_eq!(commune(geo().resolve("paris 16")).insee, "75116");
        assert_eq!(commune(geo().resolve("Lyon 3e Arrondissement")).insee, "69383");
        assert_eq!(commune(geo().resolve("marseille 1er")).insee, "13201");
    }

    #[test]
    fn postal_codes_departments_and_regions() {
        assert_eq!(commune(geo().resolve("33000")).name, "Bordeaux");
        assert_eq!(commune(geo().resolve("75011")).insee, "75111");
        assert_eq!(geo().place_label(geo().resolve("75011").unwrap()), "75011 (Paris 11e Arrondissement)");
        assert_eq!(geo().place_label(geo().resolve("01000").unwrap()), "01000 (Bourg-en-Bresse)");
        let dep = |s| match geo().resolve(s) {
            Some(Place::Department(i)) => geo().departments[i].code.clone(),
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(dep("33"), "33");
        assert_eq!(dep("2A"), "2A");
        assert_eq!(dep("2b"), "2B");
        assert_eq!(dep("974"), "974");
        assert_eq!(dep("Gironde"), "33");
        assert_eq!(dep("cotes d armor"), "22");
        assert_eq!(dep("1"), "01");
        assert!(matches!(geo().resolve("Bretagne"), Some(Place::Region(_))));
        assert!(matches!(geo().resolve("provence alpes cote d azur"), Some(Place::Region(_))));
        assert_eq!(geo().resolve("99999"), None);
        assert_eq!(geo().resolve("Atlantide"), None);
    }

    #[test]
    fn distances_are_sane() {
        let paris = geo().point(geo().resolve("Paris").unwrap());
        let lyon = geo().point(geo().resolve("Lyon").unwrap());
        let d = distance_km(paris, lyon);
        assert!((380.0..410.0).contains(&d), "{d}");
    }
}
