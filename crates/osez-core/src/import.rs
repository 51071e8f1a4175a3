//! Parsing of the official "Activateurs France Num" open data as
//! data.gouv.fr publishes it: CSV (`;` or `,`, with or without a BOM) or the
//! JSON export (an array of objects keyed by the same column names).
//!
//! Parsing is pure: it turns bytes into advisers and a list of rejected rows
//! with their line numbers; the caller decides what to store.

use std::collections::HashMap;

use crate::adviser::{Adviser, AdviserId};
use crate::geo::Geography;
use crate::taxonomy::{Category, Kind, StructureType};
use crate::text::fold;

/// A row that cannot be imported, and why (French, for the operator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based line of the CSV file, or 1-based position in the JSON array.
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub advisers: Vec<Adviser>,
    pub rejected: Vec<Rejected>,
    /// "ligne" for CSV, "élément" for JSON: how `line` should be read.
    pub unit: &'static str,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    #[error("le fichier est vide")]
    Empty,
    #[error("colonne obligatoire absente : « {0} »")]
    MissingColumn(&'static str),
    #[error("JSON illisible : {0}")]
    Json(String),
    #[error("CSV illisible : {0}")]
    Csv(String),
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Column {
    Id,
    Name,
    Type,
    Category,
    Address,
    PostalCode,
    City,
    Region,
    Url,
}

const REQUIRED: &[(Column, &str)] = &[
    (Column::Id, "Identifiant de la structure"),
    (Column::Name, "Nom de la structure"),
    (Column::Type, "Type"),
    (Column::PostalCode, "Code postal"),
    (Column::City, "Ville"),
];

fn column_of(header: &str) -> Option<Column> {
    let h = fold(header);
    Some(match h.as_str() {
        "identifiant de la structure" | "identifiant" | "id" => Column::Id,
        "nom de la structure" | "nom" => Column::Name,
        "type" | "type de structure" => Column::Type,
        "categorie" => Column::Category,
        "adresse" => Column::Address,
        "code postal" | "cp" => Column::PostalCode,
        "ville" | "commune" => Column::City,
        "region" => Column::Region,
        _ if h.starts_with("lien url") || h == "url" => Column::Url,
        _ => return None,
    })
}

type Row = HashMap<Column, String>;

/// Parses a whole file. Rows with a problem land in `rejected`; an error is
/// returned only when the file as a whole cannot be read.
pub fn parse(bytes: &[u8], geo: &Geography) -> Result<Parsed, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).ok_or(ImportError::Empty)?;
    let (rows, unit, mut rejected) = if matches!(first, b'[' | b'{') { json_rows(bytes)? } else { csv_rows(bytes)? };
    let mut parsed = Parsed { unit, ..Parsed::default() };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, row) in rows {
        match to_adviser(&row, geo) {
            Ok(a) => {
                if let Some(&first_line) = seen.get(a.id.as_str()) {
                    rejected.push(Rejected {
                        line,
                        reason: format!("identifiant « {} » en double (déjà vu {unit} {first_line})", a.id),
                    });
                } else {
                    seen.insert(a.id.as_str().to_string(), line);
                    parsed.advisers.push(a);
                }
            }
            Err(reason) => rejected.push(Rejected { line, reason }),
        }
    }
    rejected.sort_by_key(|r| r.line);
    parsed.rejected = rejected;
    Ok(parsed)
}

type Rows = (Vec<(usize, Row)>, &'static str, Vec<Rejected>);

fn csv_rows(bytes: &[u8]) -> Result<Rows, ImportError> {
    let header_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter =
        if header_line.iter().filter(|&&b| b == b';').count() >= header_line.iter().filter(|&&b| b == b',').count() {
            b';'
        } else {
            b','
        };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(bytes);
    let headers = reader.byte_headers().map_err(|e| ImportError::Csv(e.to_string()))?.clone();
    let columns: Vec<Option<Column>> = headers.iter().map(|h| column_of(&String::from_utf8_lossy(h))).collect();
    check_required(columns.iter().flatten().copied())?;

    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line() as usize;
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                rejected.push(Rejected { line, reason: format!("ligne CSV illisible : {e}") });
                continue;
            }
        }
        let line = record.position().map(|p| p.line() as usize).unwrap_or(line);
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        let mut row = Row::new();
        let mut bad_utf8 = false;
        for (i, field) in record.iter().enumerate() {
            let Some(Some(col)) = columns.get(i) else {
                continue;
            };
            match std::str::from_utf8(field) {
                Ok(s) => {
                    row.insert(*col, s.trim().to_string());
                }
                Err(_) => bad_utf8 = true,
            }
        }
        if bad_utf8 {
            rejected.push(Rejected { line, reason: "texte mal encodé (UTF-8 attendu)".into() });
        } else {
            rows.push((line, row));
        }
    }
    Ok((rows, "ligne", rejected))
}

fn json_rows(bytes: &[u8]) -> Result<Rows, ImportError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| ImportError::Json(e.to_string()))?;
    // The export is an array; some tools wrap it as {"data": [...]}.
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(map) => map
            .into_iter()
            .find_map(|(_, v)| match v {
                serde_json::Value::Array(a) => Some(a),
                _ => None,
            })
            .ok_or_else(|| ImportError::Json("aucun tableau d'enregistrements".into()))?,
        _ => {
            return Err(ImportError::Json("un tableau d'enregistrements est attendu".into()));
        }
    };
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    let mut columns_seen = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let serde_json::Value::Object(map) = item else {
            rejected.push(Rejected { line: i + 1, reason: "l'élément n'est pas un objet".into() });
            continue;
        };
        let mut row = Row::new();
        for (k, v) in map {
            let Some(col) = column_of(&k) else { continue };
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            if i == 0 {
                columns_seen.push(col);
            }
            row.insert(col, text.trim().to_string());
        }
        rows.push((i + 1, row));
    }
    if !rows.is_empty() {
        check_required(columns_seen.into_iter())?;
    }
    Ok((rows, "élément", rejected))
}

fn check_required(present: impl Iterator<Item = Column>) -> Result<(), ImportError> {
    let present: Vec<Column> = present.collect();
    for (col, label) in REQUIRED {
        if !present.contains(col) {
            return Err(ImportError::MissingColumn(label));
        }
    }
    Ok(())
}

fn field(row: &Row, col: Column) -> &str {
    row.get(&col).map(String::as_str).unwrap_or("")
}

fn to_adviser(row: &Row, geo: &Geography) -> Result<Adviser, String> {
    let raw_id = field(row, Column::Id);
    let id = AdviserId::parse(raw_id).map_err(|e| format!("{e} (« {} »)", truncate(raw_id)))?;
    let name = field(row, Column::Name);
    if name.is_empty() {
        return Err("nom de la structure manquant".into());
    }
    if name.chars().count() > 200 {
        return Err("nom de la structure trop long (200 caractères au plus)".into());
    }
    let type_label = field(row, Column::Type);
    let structure_type = StructureType::from_label(type_label)
        .ok_or_else(|| format!("type de structure inconnu : « {} »", truncate(type_label)))?;
    let category = match field(row, Column::Category) {
        "" if structure_type == StructureType::Public => Category::Publique,
        "" => Category::Privee,
        c => Category::from_label(c)
            .ok_or_else(|| format!("catégorie inconnue : « {} » (Publique ou Privée)", truncate(c)))?,
    };
    let postal_code = field(row, Column::PostalCode);
    let city = field(row, Column::City);
    let commune = locate(geo, postal_code, city)
        .ok_or_else(|| format!("commune introuvable : « {} {} »", truncate(postal_code), truncate(city)))?;
    let c = &geo.communes[commune];
    let url = field(row, Column::Url);
    let source_url = if url.is_empty() {
        None
    } else if url.starts_with("https://") || url.starts_with("http://") {
        Some(url.to_string())
    } else {
        return Err(format!("lien invalide : « {} »", truncate(url)));
    };
    let address = Some(field(row, Column::Address)).filter(|a| !a.is_empty()).map(String::from);
    Ok(Adviser {
        id,
        kind: Kind::Activateur,
        name: name.to_string(),
        structure_type,
        category,
        address,
        commune_insee: c.insee.clone(),
        commune: c.name.clone(),
        postal_code: if postal_code.len() == 5 { postal_code.to_string() } else { c.postal_codes[0].clone() },
        department: c.department.clone(),
        region: c.region.clone(),
        lat: c.lat,
        lon: c.lon,
        approx_location: c.approx,
        specialties: Vec::new(),
        sectors: Vec::new(),
        in_person: true,
        remote: false,
        description: format!(
            "{name} ({}) est référencé comme activateur France Num à {}.",
            structure_type.label().to_lowercase(),
            c.name
        ),
        website: None,
        source_url,
        is_demo: false,
    })
}

/// Finds the commune of an address: by postal code and name, then by name in
/// the department the postal code points to, then the postal code alone.
fn locate(geo: &Geography, postal_code: &str, city: &str) -> Option<usize> {
    // "LYON CEDEX 03" → "lyon".
    let folded = fold(city);
    let name: String = folded.split(' ').take_while(|w| *w != "cedex").collect::<Vec<_>>().join(" ");
    let by_code = geo.communes_by_postal_code(postal_code);
    let by_name = geo.communes_by_name(&name);
    if let Some(&c) = by_code.iter().find(|c| by_name.contains(c)) {
        // "69003 Lyon" is Lyon's 3rd arrondissement, not Lyon as a whole.
        let city = &geo.communes[c].insee;
        let arrondissement = by_code.iter().find(|&&a| geo.communes[a].parent.as_deref() == Some(city.as_str()));
        return Some(*arrondissement.unwrap_or(&c));
    }
    let dep_prefix = postal_code.get(..2).unwrap_or("");
    let in_department = |&&c: &&usize| {
        let d = &geo.communes[c].department;
        d.starts_with(dep_prefix)
            || (dep_prefix == "20" && d.starts_with('2'))
            || (dep_prefix == "97" && postal_code.starts_with(d.as_str()))
    };
    if let Some(&c) = by_name.iter().find(in_department) {
        return Some(c);
    }
    by_code.first().copied()
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn geo() -> &'static Geography {
        static GEO: OnceLock<Geography> = OnceLock::new();
        GEO.get_or_init(|| Geography::embedded().unwrap())
    }

    const HEADER: &str = "Identifiant de la structure;Nom de la structure;Type;Catégorie;Adresse;Code postal;Ville;Région;Lien url (site France Num)\n";

    #[test]
    fn reads_semicolon_csv_with_bom() {
        let csv = format!(
            "\u{feff}{HEADER}A1;Agence Exemple;Agence de communication, marketing;Privée;1 rue X;69003;LYON;Auvergne-Rhône-Alpes;https://www.francenum.gouv.fr/activateurs/a1\n"
        );
        let p = parse(csv.as_bytes(), geo()).unwrap();
        assert_eq!(p.rejected, vec![]);
        let a = &p.advisers[0];
        assert_eq!(a.id.as_str(), "A1");
        assert_eq!(a.commune_insee, "69383", "69003 is Lyon 3e");
        assert_eq!(a.structure_type, StructureType::Agence);
        assert!(!a.is_demo);
    }

    #[test]
    fn reads_comma_csv_and_reports_bad_rows_with_line_numbers() {
        let csv = "Identifiant de la structure,Nom de la structure,Type,Catégorie,Adresse,Code postal,Ville,Région,Lien url\n\
                   B1,Cabinet Test,\"Cabinet d'avocat, expertise-comptable\",Privée,,33000,Bordeaux,,\n\
                   B2,Sans Type,Boulangerie,Privée,,33000,Bordeaux,,\n\
                   B1,Doublon,Indépendant,Privée,,33000,Bordeaux,,\n\
                   B3,Nulle Part,Indépendant,Privée,,00000,Atlantide,,\n";
        let p = parse(csv.as_bytes(), geo()).unwrap();
        assert_eq!(p.advisers.len(), 1);
        let lines: Vec<usize> = p.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(p.rejected[0].reason.contains("type de structure inconnu"));
        assert!(p.rejected[1].reason.contains("en double"), "{}", p.rejected[1].reason);
        assert!(p.rejected[2].reason.contains("commune introuvable"));
    }

    #[test]
    fn invalid_utf8_is_a_rejected_row_not_a_crash() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"C1;Caf\xe9 Num;Ind\xe9pendant;Priv\xe9e;;75001;Paris;;\n");
        let p = parse(&bytes, geo()).unwrap();
        assert_eq!(p.advisers.len(), 0);
        assert_eq!(p.rejected[0].line, 2);
        assert!(p.rejected[0].reason.contains("UTF-8"));
    }

    #[test]
    fn reads_json_export() {
        let json = r#"[{"Identifiant de la structure": 12, "Nom de la structure": "CCI Test", "Type": "Organisme public",
            "Catégorie": "Publique", "Code postal": "35000", "Ville": "Rennes", "Lien url (site France Num)": null}]"#;
        let p = parse(json.as_bytes(), geo()).unwrap();
        assert_eq!(p.rejected, vec![]);
        assert_eq!(p.advisers[0].id.as_str(), "12");
        assert_eq!(p.advisers[0].department, "35");
    }

    #[test]
    fn whole_file_errors() {
        assert_eq!(parse(b"", geo()).unwrap_err(), ImportError::Empty);
        assert_eq!(
            parse(b"foo;bar\n1;2\n", geo()).unwrap_err(),
            ImportError::MissingColumn("Identifiant de la structure")
        );
        assert!(matches!(parse(b"[1,", geo()).unwrap_err(), ImportError::Json(_)));
    }
}
