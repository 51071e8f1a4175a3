//! The place a message names, read as people write in a conversation:
//! "à Lyon", "dans le 33", "Brest (29200)", "au Tampon à la Réunion",
//! "a marseil", "in Straßburg"; and not "on est 3", "45 salariés" or "ça
//! part dans tous les sens".

use std::collections::HashMap;

use osez_core::geo::{Place, is_department_number, place_key};
use osez_core::{Geography, text::fold};
use osez_search::analysis::{is_filler_word, is_stop_word};
use osez_search::query::PLACE_MARKERS;

use crate::lexicon::Span;
use crate::words::{Token, sound_key};

/// Words before a place name in other languages ("in Straßburg"); the
/// French ones are the search's (`query::PLACE_MARKERS`).
const FOREIGN_MARKERS: &[&str] = &["in", "nach", "near"];

/// Words after a number that make it a quantity, never a department.
const UNITS: &[&str] = &[
    "salaries",
    "salarie",
    "personnes",
    "personne",
    "employes",
    "employe",
    "collaborateurs",
    "agents",
    "chambres",
    "couverts",
    "ans",
    "an",
    "euros",
    "euro",
    "etoiles",
    "mois",
    "jours",
    "heures",
    "km",
    "fois",
    "clients",
];

/// Names of French towns in other languages.
const EXONYMS: &[(&str, &str)] = &[
    ("strassburg", "Strasbourg"),
    ("strasburgo", "Strasbourg"),
    ("perpinan", "Perpignan"),
    ("marsella", "Marseille"),
    ("marseilles", "Marseille"),
    ("lyons", "Lyon"),
    ("burdeos", "Bordeaux"),
    ("niza", "Nice"),
    ("nizza", "Nice"),
    ("parigi", "Paris"),
    ("tolosa", "Toulouse"),
    ("dunkirk", "Dunkerque"),
    ("hagenau", "Haguenau"),
    ("mulhausen", "Mulhouse"),
    ("kolmar", "Colmar"),
    ("schlettstadt", "Sélestat"),
    ("zabern", "Saverne"),
    ("mentone", "Menton"),
    ("hendaya", "Hendaye"),
    ("brittany", "Bretagne"),
    ("normandy", "Normandie"),
    ("corsica", "Corse"),
];

/// A place found in a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub place: Place,
    pub span: Span,
}

/// What the assistant knows of the geography beyond exact names: the
/// sound of every town of 20,000 people or more.
pub struct Gazetteer {
    by_sound: HashMap<String, usize>,
}

impl Gazetteer {
    pub fn new(geo: &Geography) -> Self {
        let mut by_sound: HashMap<String, usize> = HashMap::new();
        for (i, c) in geo.communes.iter().enumerate() {
            if c.population < 20_000 || c.parent.is_some() {
                continue;
            }
            let key = sound_key(&fold(&c.name));
            match by_sound.get(&key) {
                Some(&j) if geo.communes[j].population >= c.population => {}
                _ => {
                    by_sound.insert(key, i);
                }
            }
        }
        Self { by_sound }
    }
}

fn is_number(w: &str) -> bool {
    !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit())
}

/// Markers that are everywhere in French ("de", "sur"): after them, a
/// lowercase word is a place only if it names a town of some size.
const WEAK_MARKERS: &[&str] = &["de", "du", "d", "sur"];

/// Whether the word before `i` (past articles) marks a place, and whether
/// strongly ("à", "dans", "près de") or weakly ("de", "sur").
fn marker(words: &[Token], i: usize) -> Option<bool> {
    let mut before = i;
    while before > 0 && matches!(words[before - 1].text.as_str(), "le" | "la" | "les" | "l") {
        before -= 1;
    }
    let w = words.get(before.checked_sub(1)?)?.text.as_str();
    (PLACE_MARKERS.contains(&w) || FOREIGN_MARKERS.contains(&w)).then(|| !WEAK_MARKERS.contains(&w))
}

fn marked(words: &[Token], i: usize) -> bool {
    marker(words, i).is_some()
}

/// Words that correct what came before ("à Lille, non pardon, à Lens").
const CORRECTIONS: &[&str] = &["pardon", "plutot", "rectification"];

/// A number that counts something ("45 salariés", "on est 3").
fn is_quantity(words: &[Token], i: usize) -> bool {
    let next = words.get(i + 1).map(|t| t.text.as_str());
    let prev = i.checked_sub(1).map(|p| words[p].text.as_str());
    let team = i >= 2 && words[i - 2].text == "equipe" && prev == Some("de");
    // "de 5 consultants", "3 boutiques": a plural noun after the number.
    let plural = next.is_some_and(|n| {
        n.len() > 3
            && (n.ends_with('s') || n.ends_with('x'))
            && !matches!(n, "depuis" | "mais" | "vous" | "nous" | "puis" | "sans" | "dans" | "sous" | "tous")
    });
    // "50 000 euros": thousands.
    let thousands = next.is_some_and(|n| n.len() == 3 && is_number(n));
    team || plural
        || thousands
        || next.is_some_and(|n| UNITS.contains(&n))
        || matches!(prev, Some("est" | "sommes" | "etes"))
}

/// Most specific first: a postal code, a commune, a department, a region.
fn rank(place: Place) -> u8 {
    match place {
        Place::PostalCode(..) => 0,
        Place::Commune(_) => 1,
        Place::Department(_) => 2,
        Place::Region(_) => 3,
    }
}

/// The place a message names, the most specific one where it names several
/// ("au Tampon à la Réunion" is Le Tampon). `known` says which words belong
/// to the lexicon and are never read as a town without a marker.
pub fn find(words: &[Token], geo: &Geography, gazetteer: &Gazetteer, known: &dyn Fn(&str) -> bool) -> Option<Found> {
    let mut found: Vec<Found> = Vec::new();
    let longest = geo.longest_name_words().min(6);
    for i in 0..words.len() {
        let w = words[i].text.as_str();
        let is_marked = marked(words, i);
        let strongly = marker(words, i) == Some(true);
        if is_number(w) {
            if w.len() == 5 {
                if let Some(place) = geo.resolve(w) {
                    found.push(Found { place, span: Span { start: i, end: i + 1 } });
                }
                continue;
            }
            // "dans le 33", "le 974", "06": a department; "on est 3", "a 1
            // vrai personne": not.
            let unambiguous = w.len() == 3 || (w.len() == 2 && w.starts_with('0'));
            let one_digit = w.len() == 1 && i.checked_sub(1).map(|p| words[p].text.as_str()) != Some("departement");
            if is_department_number(w)
                && !one_digit
                && !is_quantity(words, i)
                && (is_marked || unambiguous)
                && let Some(d) = geo.find_department(w)
            {
                found.push(Found { place: Place::Department(d), span: Span { start: i, end: i + 1 } });
            }
            continue;
        }
        for len in (1..=longest.min(words.len() - i)).rev() {
            let phrase: Vec<&str> = words[i..i + len].iter().map(|t| t.text.as_str()).collect();
            if phrase.iter().any(|w| is_number(w)) {
                continue;
            }
            let mut key = place_key(&phrase.join(" "));
            let mut place = geo.place_by_key(&key);
            // "au Tampon", "près du Havre": the article is in the name.
            if place.is_none() && i > 0 && matches!(words[i - 1].text.as_str(), "au" | "du") {
                key = place_key(&format!("le {}", phrase.join(" ")));
                place = geo.place_by_key(&key);
            }
            if place.is_none()
                && len == 1
                && let Some((_, name)) = EXONYMS.iter().find(|(k, _)| *k == w)
            {
                place = geo.place_by_key(&place_key(name));
            }
            let Some(place) = place else { continue };
            let capital = words[i].capital;
            let plain = len == 1 && (is_stop_word(w) || is_filler_word(w) || known(w) || w.len() < 2);
            let accepted = match place {
                Place::Region(_) => !plain,
                Place::Department(_) => (is_marked || len > 1 || capital) && !plain,
                Place::Commune(c) | Place::PostalCode(c, _) => {
                    let population = geo.communes[c].population;
                    if len > 1 {
                        population >= 500 && (is_marked || capital || population >= 20_000)
                    } else if plain {
                        false
                    } else if strongly {
                        population >= 500 || capital
                    } else if is_marked {
                        capital || population >= 20_000
                    } else {
                        (capital && population >= 2_000) || population >= 100_000
                    }
                }
            };
            if accepted {
                found.push(Found { place, span: Span { start: i, end: i + len } });
                break;
            }
        }
    }
    if found.is_empty() {
        // "a marseil", "a bordo": a big town as it sounds, after a marker.
        for (i, t) in words.iter().enumerate() {
            if t.text.len() >= 4
                && marked(words, i)
                && !known(&t.text)
                && !is_stop_word(&t.text)
                && let Some(&c) = gazetteer.by_sound.get(&sound_key(&t.text))
            {
                found.push(Found { place: Place::Commune(c), span: Span { start: i, end: i + 1 } });
                break;
            }
        }
    }
    // "à Lille, non pardon, à Lens": what follows a correction wins.
    if let Some(k) = words.iter().rposition(|t| CORRECTIONS.contains(&t.text.as_str()))
        && found.iter().any(|f| f.span.start > k)
    {
        found.retain(|f| f.span.start > k);
    }
    found.into_iter().min_by_key(|f| (rank(f.place), f.span.start))
}

/// A name the person gave as a place that the geography does not hold
/// ("à Papeete"): a capitalised, unknown word right after "à", "en" or
/// "dans". Called when no place was found.
pub fn unknown(words: &[Token], known: &dyn Fn(&str) -> bool) -> Option<String> {
    words.iter().enumerate().find_map(|(i, t)| {
        let after = i.checked_sub(1).map(|p| words[p].text.as_str());
        (t.capital
            && matches!(after, Some("a" | "en" | "dans" | "vers" | "pres" | "in"))
            && t.text.len() >= 3
            && !known(&t.text)
            // "en CSV": an acronym, not a town.
            && !t.upper
            && !is_stop_word(&t.text)
            && !is_number(&t.text))
        .then(|| t.text.clone())
    })
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::words::tokens;

    fn geo() -> &'static (Geography, Gazetteer) {
        static GEO: OnceLock<(Geography, Gazetteer)> = OnceLock::new();
        GEO.get_or_init(|| {
            let geo = Geography::embedded().unwrap();
            let g = Gazetteer::new(&geo);
            (geo, g)
        })
    }

    fn label(text: &str) -> Option<String> {
        let (geo, g) = geo();
        let known = |w: &str| matches!(w, "site" | "boutique" | "sens");
        find(&tokens(text), geo, g, &known).map(|f| geo.place_label(f.place))
    }

    #[test]
    fn places_as_people_write_them() {
        assert_eq!(label("je tiens un restaurant à Lyon, on est 6").as_deref(), Some("Lyon (69)"));
        assert_eq!(label("une PME de 45 salariés à Saint-Étienne").as_deref(), Some("Saint-Étienne (42)"));
        assert_eq!(label("je suis dans le 33").as_deref(), Some("Gironde (33)"));
        assert_eq!(label("à Brest (29200), on est 6 personnes").as_deref(), Some("29200 (Brest)"));
        assert_eq!(label("au tampon a la reunion").as_deref(), Some("Le Tampon (974)"));
        assert_eq!(label("jcherche qqun pr mon site a marseil").as_deref(), Some("Marseille (13)"));
        assert_eq!(label("cherche ambassadeur ia 06 pr hotel 30 salaries").as_deref(), Some("Alpes-Maritimes (06)"));
        assert_eq!(label("Ich suche einen Berater in Straßburg").as_deref(), Some("Strasbourg (67)"));
    }

    #[test]
    fn quantities_and_everyday_words_are_not_places() {
        assert_eq!(label("on est 3 personnes"), None);
        assert_eq!(label("Hôtel de 25 chambres, 14 salariés"), None);
        assert_eq!(label("ça part dans tous les sens"), None);
        assert_eq!(label("on est une PME de 60 personnes"), None);
    }

    #[test]
    fn an_unknown_name_after_a_marker_is_told() {
        let known = |_: &str| false;
        assert_eq!(unknown(&tokens("un conseiller à Papeete spécialisé"), &known).as_deref(), Some("papeete"));
        assert_eq!(unknown(&tokens("un conseiller à distance"), &known), None);
    }
}
