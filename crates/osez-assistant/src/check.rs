//! The checker: every claim of a sentence — a number, a name, a web
//! address, an e-mail address — must be found in the records the sentence
//! cites. A sentence that cites nothing may only hold the words of the
//! vocabularies, of the framing, and of what the person wrote. The
//! template replies are checked by it in the evaluation; a language
//! model's rewording is checked by it before anyone sees it.

use osez_core::resource::{ResourceType, Theme};
use osez_core::text::fold;
use osez_core::{Kind, Sector, Specialty, StructureType};

use crate::recommend::Catalogue;
use crate::reply::{Citation, Reply};

/// Capitalised words the framing sentences use.
const FRAMING: &[&str] = &[
    "Osez",
    "IA",
    "France",
    "Num",
    "Parler",
    "Peu",
    "Effacer",
    "I",
    "French",
    "Ich",
    "Französisch",
    "Begleitung",
    "Unternehmen",
    "Antwort",
    "RGPD",
];

/// The claims of a sentence: numbers, web and e-mail addresses, and
/// capitalised words other than the first.
pub fn claims(sentence: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut first = true;
    for raw in sentence.split(|c: char| c.is_whitespace()) {
        let w =
            raw.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '.' | '!' | '?' | '(' | ')' | '«' | '»' | '"'));
        let starts_sentence = first;
        first = raw.ends_with(['.', '!', '?', ':']);
        if w.is_empty() {
            continue;
        }
        if w.contains("://") || w.starts_with("www.") || w.contains('@') || w.chars().any(|c| c.is_ascii_digit()) {
            // A number is claimed with its suffix ("7e", "2A").
            out.push(w.to_string());
        } else {
            // "L'IA", "d'Osez": the word after the apostrophe.
            let name = w.rsplit(['\'', '’']).next().unwrap_or(w);
            let elided = name.len() < w.len();
            if name.chars().next().is_some_and(char::is_uppercase) && (!starts_sentence || elided) {
                out.push(name.to_string());
            }
        }
    }
    out
}

fn vocabulary_text() -> String {
    let mut s = String::new();
    let mut add = |l: &str| {
        s.push_str(l);
        s.push(' ');
    };
    Specialty::ALL.iter().for_each(|v| add(v.label()));
    Sector::ALL.iter().for_each(|v| add(v.label()));
    Kind::ALL.iter().for_each(|v| add(v.label()));
    StructureType::ALL.iter().for_each(|v| add(v.label()));
    Theme::ALL.iter().for_each(|v| add(v.label()));
    ResourceType::ALL.iter().for_each(|v| add(v.label()));
    FRAMING.iter().for_each(|v| add(v));
    crate::compose::SIZE_LABELS.iter().for_each(|v| add(v));
    s
}

fn record_text(citation: &Citation, reply: &Reply, catalogue: Catalogue<'_>) -> String {
    match citation {
        Citation::Adviser(ord) => {
            let a = catalogue.adviser(*ord);
            let geo = catalogue.geography();
            let mut t = format!(
                "{} {} {} {} {} {} {} {} {}",
                a.name,
                a.kind.label(),
                a.structure_type.label(),
                a.commune,
                a.postal_code,
                a.department,
                geo.department(&a.department).map_or("", |d| d.name.as_str()),
                geo.region(&a.region).map_or("", |r| r.name.as_str()),
                a.description
            );
            a.specialties.iter().for_each(|s| t.push_str(&format!(" {}", s.label())));
            a.sectors.iter().for_each(|s| t.push_str(&format!(" {}", s.label())));
            for u in a.website.iter().chain(a.source_url.iter()) {
                t.push_str(&format!(" {u}"));
            }
            // The distance is computed from the record's coordinates.
            if let Some(d) = reply.advisers.iter().find(|p| p.ord == *ord).and_then(|p| p.distance_km) {
                t.push_str(&format!(" {d:.0} km"));
            }
            t
        }
        Citation::Resource(ord) => {
            let c = &catalogue.resource(*ord).content;
            let mut t = format!("{} {} {} {}", c.title, c.summary, c.kind.label(), c.body);
            c.themes.iter().for_each(|s| t.push_str(&format!(" {}", s.label())));
            c.specialties.iter().for_each(|s| t.push_str(&format!(" {}", s.label())));
            c.sectors.iter().for_each(|s| t.push_str(&format!(" {}", s.label())));
            t
        }
        Citation::Page { title, facts, .. } => format!("{title} {facts}"),
    }
}

fn supported(claim: &str, haystack: &str) -> bool {
    let c = fold(claim);
    if c.is_empty() {
        return true;
    }
    if c.bytes().any(|b| b.is_ascii_digit()) {
        // A whole number of the record, not a digit of a longer one.
        return haystack.contains(&format!(" {c} "));
    }
    haystack.contains(&c)
}

/// The sentences of `reply` that state something their citations (or,
/// for a sentence that cites nothing, the framing) do not support, with the
/// claim that fails. `context`: what else the reply may repeat (the
/// person's message, the place they named, the search's own messages).
pub fn unsupported(reply: &Reply, catalogue: Catalogue<'_>, context: &[String]) -> Vec<(String, String)> {
    let base = fold(&format!("{} {} {}", vocabulary_text(), context.join(" "), reply.context.join(" ")));
    let mut out = Vec::new();
    for s in &reply.sentences {
        if s.cites.iter().any(|&c| c >= reply.citations.len()) {
            out.push((s.text.clone(), "citation inconnue".into()));
            continue;
        }
        let mut haystack = base.clone();
        for &c in &s.cites {
            haystack.push(' ');
            haystack.push_str(&fold(&record_text(&reply.citations[c], reply, catalogue)));
        }
        let haystack = format!(" {haystack} ");
        if let Some(claim) = claims(&s.text).into_iter().find(|c| !supported(c, &haystack)) {
            out.push((s.text.clone(), claim));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_numbers_addresses_and_names() {
        let c = claims("Voici Marie Dupont, à 12 km de Lyon : https://exemple.fr ou marie@exemple.fr.");
        assert_eq!(c, ["Marie", "Dupont", "12", "Lyon", "https://exemple.fr", "marie@exemple.fr"]);
        // The first word of each sentence is not a name.
        assert!(claims("Je cherche. Voici tout.").is_empty());
        assert_eq!(claims("Parlez à l'assistant d'Osez"), ["Osez"]);
    }

    #[test]
    fn a_number_is_supported_whole() {
        assert!(supported("12", " a 12 km "));
        assert!(!supported("2", " a 12 km "));
        assert!(supported("7e", " lyon 7e arrondissement "));
        assert!(supported("Lyon", " lyon 3e arrondissement "));
        assert!(!supported("Martin", " lyon "));
    }
}
