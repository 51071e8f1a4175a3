//! Understanding a query typed in French: the place it names ("près de
//! Nantes", "33000", "en Bretagne"), the kind of adviser ("ambassadeur IA"),
//! "à distance", and the words left to match, each with its synonyms.

use std::collections::HashSet;
use std::sync::OnceLock;

use osez_core::geo::{Place, is_department_number, place_key};
use osez_core::text::{fold, words};
use osez_core::{Geography, Kind, Sector, Specialty, StructureType};

use crate::analysis::{is_filler_word, is_stop_word, stem, synonym_at};

/// Most words a query may match on; the rest is ignored and said so.
pub const MAX_WORDS: usize = 10;

/// A word (or synonym phrase) of the query, to be matched.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryWord {
    /// As typed, folded ("cybersecurite", "vente en ligne").
    pub text: String,
    /// The index term it stands for: a stem or a canonical synonym token.
    pub term: String,
    /// Typo tolerance and prefix expansion apply (not to synonym tokens).
    pub fuzzy: bool,
    /// Last word of a query being typed: also matches longer words.
    pub prefix: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedQuery {
    pub words: Vec<QueryWord>,
    pub place: Option<Place>,
    /// The words that named the place, as typed (folded).
    pub place_text: Option<String>,
    pub kind: Option<Kind>,
    pub remote: Option<bool>,
    /// Words dropped because there were more than [`MAX_WORDS`].
    pub truncated: bool,
    /// The words read as the kind or remote intents ("ambassadeur", "ia",
    /// "distance"): taken out of `words` for advisers, where they are
    /// filters, and matched as words by the resource search.
    pub intent_words: Vec<QueryWord>,
}

/// Words before a place name that mark it as one.
pub const PLACE_MARKERS: &[&str] = &[
    "a",
    "au",
    "aux",
    "en",
    "dans",
    "pres",
    "proche",
    "autour",
    "vers",
    "sur",
    "de",
    "du",
    "d",
    "cote",
    "region",
    "departement",
    "ville",
    "secteur",
];

/// Single-word department names that are also everyday words: taken as
/// places only after a marker ("dans le Cher", not "pas cher").
const AMBIGUOUS_DEPARTMENTS: &[&str] = &[
    "cher", "lot", "somme", "var", "nord", "ain", "orne", "eure", "gard", "indre", "doubs", "aude", "vienne", "manche",
    "loire", "marne", "oise", "gers", "tarn", "allier", "landes", "vosges", "creuse", "meuse", "charente",
];

/// Words that must never be read as a commune without a marker: every word
/// of the taxonomy (a commune named "Vente" would otherwise eat queries).
fn vocabulary_words() -> &'static HashSet<String> {
    static WORDS: OnceLock<HashSet<String>> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut set = HashSet::new();
        let mut add = |s: &str| {
            for w in words(&fold(s)) {
                set.insert(w.to_string());
            }
        };
        for s in Specialty::ALL {
            add(s.label());
            s.keywords().iter().for_each(|k| add(k));
        }
        for s in Sector::ALL {
            add(s.label());
            s.keywords().iter().for_each(|k| add(k));
        }
        for s in StructureType::ALL {
            add(s.label());
            s.keywords().iter().for_each(|k| add(k));
        }
        for w in [
            "ligne",
            "web",
            "internet",
            "site",
            "digital",
            "numerique",
            "formation",
            "marketing",
            "ia",
            "data",
            "distance",
            "creation",
            "mode",
            "conseil",
            "services",
            "gestion",
        ] {
            set.insert(w.to_string());
        }
        set
    })
}

fn find_place(geo: &Geography, ws: &[&str], i: usize, len: usize) -> Option<Place> {
    // "dans le 35", "dans la Manche", "près de l'Isère": look past articles.
    let mut before = i;
    while before > 0 && matches!(ws[before - 1], "le" | "la" | "les" | "l") {
        before -= 1;
    }
    let marked = before > 0 && PLACE_MARKERS.contains(&ws[before - 1]);
    let phrase = ws[i..i + len].join(" ");
    if len == 1 {
        let w = ws[i];
        if w.len() == 5 && w.bytes().all(|b| b.is_ascii_digit()) {
            return geo.resolve(w);
        }
        if is_department_number(w) {
            // "2A" or "974" cannot be a quantity; "35" can ("35 salariés").
            let unambiguous = w.len() == 3 || w.bytes().any(|b| b.is_ascii_alphabetic());
            return if marked || unambiguous { geo.find_department(w).map(Place::Department) } else { None };
        }
        if is_stop_word(w) || is_filler_word(w) || w.len() < 2 {
            return None;
        }
    }
    let key = place_key(&phrase);
    let place = geo.place_by_key(&key)?;
    let accepted = match place {
        Place::Region(_) => true,
        Place::Department(_) => marked || len > 1 || !AMBIGUOUS_DEPARTMENTS.contains(&key.as_str()),
        Place::Commune(c) | Place::PostalCode(c, _) => {
            marked
                || (len == 1 && !vocabulary_words().contains(&key) && geo.communes[c].population >= 2_000)
                || (len > 1 && ws[i..i + len].iter().any(|w| !is_stop_word(w)) && geo.communes[c].population >= 500)
        }
    };
    accepted.then_some(place)
}

/// Parses a query. `typing` marks a query typed as you go: its last word
/// is also a prefix.
pub fn parse(q: &str, geo: &Geography, typing: bool) -> ParsedQuery {
    let folded = fold(q);
    let ws: Vec<&str> = words(&folded).collect();
    let mut out = ParsedQuery::default();
    let mut used = vec![false; ws.len()];

    // 1. Synonym phrases first, so that "vente en ligne" is never read as
    //    the commune of Ligné.
    let mut phrases: Vec<(usize, usize, &'static str)> = Vec::new();
    let mut i = 0;
    while i < ws.len() {
        if let Some((len, canon)) = synonym_at(&ws[i..]) {
            phrases.push((i, len, canon));
            i += len;
        } else {
            i += 1;
        }
    }
    let in_phrase = |k: usize| phrases.iter().any(|&(s, l, _)| k >= s && k < s + l);

    // 2. Kind and remote intents.
    for k in 0..ws.len() {
        if in_phrase(k) || used[k] {
            continue;
        }
        match ws[k] {
            "ambassadeur" | "ambassadeurs" | "ambassadrice" | "ambassadrices" => {
                out.kind = Some(Kind::AmbassadeurIa);
                used[k] = true;
                // "ambassadeur IA", "ambassadeur de l'IA": the IA is the kind.
                let mut j = k + 1;
                while j < ws.len() && matches!(ws[j], "de" | "d" | "l" | "la") {
                    j += 1;
                }
                if j < ws.len() && ws[j] == "ia" {
                    (k + 1..=j).for_each(|x| used[x] = true);
                }
            }
            "activateur" | "activateurs" | "activatrice" | "activatrices" => {
                out.kind = Some(Kind::Activateur);
                used[k] = true;
                if ws.get(k + 1) == Some(&"france") && ws.get(k + 2) == Some(&"num") {
                    used[k + 1] = true;
                    used[k + 2] = true;
                }
            }
            "distanciel" => {
                out.remote = Some(true);
                used[k] = true;
            }
            // "en visio" is how the meeting happens; "visioconférence" alone
            // is a need (collaborative tools).
            "visio" | "visioconference" if k > 0 && matches!(ws[k - 1], "en" | "par") => {
                out.remote = Some(true);
                used[k] = true;
            }
            "distance" if k > 0 && ws[k - 1] == "a" => {
                out.remote = Some(true);
                used[k] = true;
            }
            "ligne" if k > 0 && ws[k - 1] == "en" => {
                out.remote = Some(true);
                used[k] = true;
            }
            _ => {}
        }
    }
    let in_phrase = |k: usize| phrases.iter().any(|&(s, l, _)| k >= s && k < s + l);
    for k in (0..ws.len()).filter(|&k| used[k]) {
        if !is_stop_word(ws[k]) && !is_filler_word(ws[k]) {
            out.intent_words.push(QueryWord { text: ws[k].to_string(), term: stem(ws[k]), fuzzy: true, prefix: false });
        }
    }

    // 3. The place: the first, longest name that reads as one.
    let longest = geo.longest_name_words().min(6);
    'scan: for i in 0..ws.len() {
        if used[i] || in_phrase(i) {
            continue;
        }
        for len in (1..=longest.min(ws.len() - i)).rev() {
            if (i..i + len).any(|k| used[k] || in_phrase(k)) {
                continue;
            }
            if let Some(place) = find_place(geo, &ws, i, len) {
                out.place = Some(place);
                out.place_text = Some(ws[i..i + len].join(" "));
                (i..i + len).for_each(|k| used[k] = true);
                break 'scan;
            }
        }
    }

    // 4. The words left to match.
    let mut k = 0;
    while k < ws.len() {
        if let Some(&(_, len, canon)) = phrases.iter().find(|&&(s, _, _)| s == k) {
            if !(k..k + len).any(|x| used[x]) {
                out.words.push(QueryWord {
                    text: ws[k..k + len].join(" "),
                    term: canon.to_string(),
                    fuzzy: false,
                    prefix: false,
                });
            }
            k += len;
            continue;
        }
        let w = ws[k];
        if !used[k] && !is_stop_word(w) && !is_filler_word(w) {
            out.words.push(QueryWord { text: w.to_string(), term: stem(w), fuzzy: true, prefix: false });
        }
        k += 1;
    }
    if typing
        && !q.ends_with(char::is_whitespace)
        && let Some(last) = out.words.last_mut()
        && last.fuzzy
        && ws.last() == Some(&last.text.as_str())
    {
        if last.text.chars().count() < 2 {
            // "site w": one letter says nothing yet. Dropped here, silently,
            // rather than by relaxation, which would announce it.
            out.words.pop();
        } else {
            last.prefix = true;
        }
    }
    if out.words.len() > MAX_WORDS {
        out.words.truncate(MAX_WORDS);
        out.truncated = true;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> &'static Geography {
        static GEO: OnceLock<Geography> = OnceLock::new();
        GEO.get_or_init(|| Geography::embedded().unwrap())
    }

    fn place_name(p: &ParsedQuery) -> String {
        match p.place {
            Some(Place::Commune(i)) | Some(Place::PostalCode(i, _)) => geo().communes[i].name.clone(),
            Some(Place::Department(i)) => geo().departments[i].name.clone(),
            Some(Place::Region(i)) => geo().regions[i].name.clone(),
            None => String::new(),
        }
    }

    fn terms(p: &ParsedQuery) -> Vec<&str> {
        p.words.iter().map(|w| w.term.as_str()).collect()
    }

    #[test]
    fn places_are_taken_out_of_the_words() {
        let p = parse("ia lyon", geo(), false);
        assert_eq!(place_name(&p), "Lyon");
        assert_eq!(terms(&p), vec!["ia"]);
        let p = parse("cybersécurité 33000", geo(), false);
        assert_eq!(place_name(&p), "Bordeaux");
        assert_eq!(terms(&p), vec!["cybersecurite"]);
        assert_eq!(place_name(&parse("un expert près de Nantes", geo(), false)), "Nantes");
        assert_eq!(place_name(&parse("marketing en Bretagne", geo(), false)), "Bretagne");
        assert_eq!(place_name(&parse("site web st etienne", geo(), false)), "Saint-Étienne");
        assert_eq!(place_name(&parse("comptabilité dans le 33", geo(), false)), "Gironde");
        assert_eq!(place_name(&parse("ia corse du sud", geo(), false)), "Corse-du-Sud");
    }

    #[test]
    fn everyday_words_are_not_places() {
        assert_eq!(parse("site pas cher", geo(), false).place, None);
        assert_eq!(parse("vente en ligne", geo(), false).place, None);
        assert_eq!(parse("formation marketing", geo(), false).place, None);
        assert_eq!(parse("2 salariés", geo(), false).place, None);
        assert_eq!(parse("35 salariés", geo(), false).place, None);
    }

    #[test]
    fn intents_and_fillers() {
        let p = parse("Je cherche un ambassadeur IA à distance pour mon entreprise", geo(), false);
        assert_eq!(p.kind, Some(Kind::AmbassadeurIa));
        assert_eq!(p.remote, Some(true));
        assert!(p.words.is_empty(), "{:?}", p.words);
        let intents: Vec<&str> = p.intent_words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(intents, ["ambassadeur", "ia", "distance"]);
        assert_eq!(parse("formation en visio", geo(), false).remote, Some(true));
        let p = parse("j'ai besoin d'aide pour créer mon site internet à Lille", geo(), false);
        assert_eq!(place_name(&p), "Lille");
        assert!(terms(&p).contains(&"siteweb"), "{:?}", terms(&p));
    }

    #[test]
    fn last_word_is_a_prefix_while_typing() {
        let p = parse("marketing cyb", geo(), true);
        assert!(p.words.last().unwrap().prefix);
        assert!(!parse("marketing cyb ", geo(), true).words.last().unwrap().prefix);
    }

    #[test]
    fn a_one_letter_last_word_is_dropped_silently_while_typing() {
        let typing = parse("site w", geo(), true);
        assert!(typing.words.iter().all(|w| w.text != "w"), "{:?}", typing.words);
        assert!(!typing.words.is_empty());
        // Sent as a whole, the letter is a word like any other (relaxation
        // may drop it, and says so).
        assert!(parse("site w", geo(), false).words.iter().any(|w| w.text == "w"));
        assert!(parse("site w ", geo(), true).words.iter().any(|w| w.text == "w"));
    }
}
