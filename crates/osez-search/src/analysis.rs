//! French text analysis, the same at index and query time: fold case and
//! accents (before stemming, or "securite" and "sécurité" stem apart), split
//! elisions (l', d', qu' become stop words), drop stop words, map synonyms to
//! one canonical token, stem with Snowball French.

use std::collections::HashMap;
use std::sync::OnceLock;

use osez_core::text::{fold, words};
use rust_stemmers::{Algorithm, Stemmer};

/// French stop words, folded. Elided forms (l, d, qu, j, m, n, s, t, c) are
/// here because folding turns "l'IA" into "l ia".
const STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "avec", "c", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du", "elle", "elles", "en",
    "est", "et", "etre", "il", "ils", "j", "je", "l", "la", "le", "les", "leur", "leurs", "lui", "m", "ma", "mais",
    "me", "mes", "moi", "mon", "n", "ne", "nos", "notre", "nous", "on", "ou", "par", "pas", "pour", "qu", "que", "qui",
    "s", "sa", "se", "ses", "son", "sont", "sur", "t", "ta", "te", "tes", "toi", "ton", "tu", "un", "une", "vos",
    "votre", "vous", "y", "sans", "tres", "plus", "ai", "as", "ont", "avoir", "faire", "fait", "comme", "tout", "tous",
    "toute", "toutes", "ca", "cela", "ceci", "quel", "quelle", "quels", "quelles", "dont", "ni", "si", "aussi",
    "quand", "contre", "avant", "apres", "depuis", "chez", "entre", "donc", "alors", "suis", "es", "etes", "sommes",
    "ete", "avons", "avez", "fais",
];

/// Words of a request that say what the person wants ("je cherche
/// quelqu'un pour m'aider") rather than what they want it about. They are
/// dropped from queries only: matching them would favour profiles that
/// happen to use them.
const FILLER_WORDS: &[&str] = &[
    "cherche",
    "cherchons",
    "recherche",
    "trouver",
    "besoin",
    "aide",
    "aider",
    "m",
    "veux",
    "voudrais",
    "souhaite",
    "souhaiterais",
    "aimerais",
    "quelqu",
    "quelqu un",
    "personne",
    "conseiller",
    "conseillere",
    "conseillers",
    "expert",
    "experte",
    "experts",
    "specialiste",
    "specialistes",
    "prestataire",
    "prestataires",
    "accompagnement",
    "accompagner",
    "accompagne",
    "entreprise",
    "societe",
    "ma",
    "mon",
    "mes",
    "tpe",
    "pme",
    "comment",
    "peut",
    "pouvez",
    "qui",
    "pourrait",
    "bonjour",
    "merci",
    "svp",
    "stp",
    "urgent",
    "bien",
    "bon",
    "bonne",
    "meilleur",
    "meilleure",
    "proche",
    "pres",
    "autour",
    "cote",
    "vers",
    "chez",
    "moi",
    "mettre",
    "place",
    "mise",
    "avoir",
    "un",
    "une",
    "des",
    "creer",
    "faire",
    "lancer",
    "utiliser",
    "ameliorer",
    "developper",
    "installer",
    "mettre",
    "passer",
    "savoir",
    "connaitre",
    "apprendre",
    "voudrions",
    "cherchez",
    "trouve",
    "quelque",
    "chose",
    "idee",
];

/// Multi-word and single-word synonyms, folded, to a canonical token. The
/// canonical tokens are not stemmed. Index side, a profile gets the
/// canonical token *and* its own words; query side, a phrase becomes its
/// canonical token only, counted as one word.
const SYNONYMS: &[(&str, &str)] = &[
    ("intelligence artificielle", "ia"),
    ("intelligences artificielles", "ia"),
    ("ia generative", "ia"),
    ("ai", "ia"),
    ("chatgpt", "ia"),
    ("chat gpt", "ia"),
    ("e commerce", "ecommerce"),
    ("ecommerce", "ecommerce"),
    ("vente en ligne", "ecommerce"),
    ("ventes en ligne", "ecommerce"),
    ("commerce en ligne", "ecommerce"),
    ("boutique en ligne", "ecommerce"),
    ("boutique internet", "ecommerce"),
    ("site marchand", "ecommerce"),
    ("vendre en ligne", "ecommerce"),
    ("vendre sur internet", "ecommerce"),
    ("site internet", "siteweb"),
    ("sites internet", "siteweb"),
    ("site web", "siteweb"),
    ("sites web", "siteweb"),
    ("site vitrine", "siteweb"),
    ("reseaux sociaux", "reseausocial"),
    ("reseau social", "reseausocial"),
    ("social media", "reseausocial"),
    ("ressources humaines", "rh"),
    ("ressource humaine", "rh"),
    ("compta", "comptabilite"),
    ("comptable", "comptabilite"),
    ("cyber", "cybersecurite"),
    ("cyber securite", "cybersecurite"),
    ("securite informatique", "cybersecurite"),
    ("securite numerique", "cybersecurite"),
    ("piratage", "cybersecurite"),
    ("seo", "referencement"),
    ("referencement naturel", "referencement"),
    ("crm", "relationclient"),
    ("relation client", "relationclient"),
    ("relations clients", "relationclient"),
    ("relation clients", "relationclient"),
    ("service client", "relationclient"),
    ("rgpd", "rgpd"),
    ("gdpr", "rgpd"),
    ("donnees personnelles", "rgpd"),
    ("protection des donnees", "rgpd"),
    ("agent conversationnel", "chatbot"),
    ("chat bot", "chatbot"),
    ("facture electronique", "efacture"),
    ("facturation electronique", "efacture"),
    ("factures electroniques", "efacture"),
    ("transformation numerique", "digitalisation"),
    ("transition numerique", "digitalisation"),
    ("digitaliser", "digitalisation"),
    ("numeriser", "digitalisation"),
    ("web", "internet"),
];

/// Plurals and forms that Snowball French does not join.
const STEM_EXCEPTIONS: &[(&str, &str)] = &[
    ("reseaux", "reseau"),
    ("francaise", "francais"),
    ("francaises", "francais"),
    ("francais", "francais"),
    ("travaux", "travail"),
    ("bureaux", "bureau"),
    ("journaux", "journal"),
    ("locaux", "local"),
    ("agricoles", "agricol"),
    ("agricole", "agricol"),
];

struct Tables {
    stop: std::collections::HashSet<&'static str>,
    filler: std::collections::HashSet<&'static str>,
    /// First word of a synonym phrase → (phrase words, canonical), longest first.
    synonyms: HashMap<&'static str, Vec<(Vec<&'static str>, &'static str)>>,
    exceptions: HashMap<&'static str, &'static str>,
    stemmer: Stemmer,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut synonyms: HashMap<&str, Vec<(Vec<&str>, &str)>> = HashMap::new();
        for (phrase, canon) in SYNONYMS {
            let ws: Vec<&str> = phrase.split(' ').collect();
            synonyms.entry(ws[0]).or_default().push((ws, canon));
        }
        // A canonical token that is also a word ("comptabilite") stands for
        // itself, so that a profile saying "comptabilité" matches "compta".
        for (_, canon) in SYNONYMS {
            let list = synonyms.entry(canon).or_default();
            if !list.iter().any(|(ws, _)| ws.len() == 1 && ws[0] == *canon) {
                list.push((vec![canon], canon));
            }
        }
        for list in synonyms.values_mut() {
            list.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
        }
        Tables {
            stop: STOP_WORDS.iter().copied().collect(),
            filler: FILLER_WORDS.iter().copied().collect(),
            synonyms,
            exceptions: STEM_EXCEPTIONS.iter().copied().collect(),
            stemmer: Stemmer::create(Algorithm::French),
        }
    })
}

pub fn is_stop_word(folded_word: &str) -> bool {
    tables().stop.contains(folded_word)
}

pub fn is_filler_word(folded_word: &str) -> bool {
    tables().filler.contains(folded_word)
}

/// Stem of one folded word. Short words and words with digits are kept as
/// they are. Canonical synonym tokens never come here: callers emit them as
/// they are.
pub fn stem(folded_word: &str) -> String {
    let t = tables();
    if folded_word.bytes().any(|b| b.is_ascii_digit()) || folded_word.len() <= 3 {
        return folded_word.to_string();
    }
    if let Some(e) = t.exceptions.get(folded_word) {
        return (*e).to_string();
    }
    t.stemmer.stem(folded_word).into_owned()
}

/// Matches a synonym phrase at the start of `ws`: (words consumed, canonical).
pub fn synonym_at(ws: &[&str]) -> Option<(usize, &'static str)> {
    let list = tables().synonyms.get(ws.first()?)?;
    list.iter()
        .find(|(phrase, _)| ws.len() >= phrase.len() && ws[..phrase.len()] == phrase[..])
        .map(|(p, c)| (p.len(), *c))
}

/// Index-side terms of a text: stems of its words without stop words, plus
/// the canonical token of every synonym phrase found.
pub fn index_terms(text: &str) -> Vec<String> {
    let folded = fold(text);
    let ws: Vec<&str> = words(&folded).collect();
    let mut out = Vec::with_capacity(ws.len() + 4);
    for i in 0..ws.len() {
        if let Some((_, canon)) = synonym_at(&ws[i..]) {
            out.push(canon.to_string());
        }
        if !is_stop_word(ws[i]) {
            out.push(stem(ws[i]));
        }
    }
    out
}

/// Folded words of a text that are worth typo and prefix matching: the
/// vocabulary the query words are compared with.
pub fn vocabulary_words(text: &str) -> Vec<String> {
    let folded = fold(text);
    words(&folded).filter(|w| !is_stop_word(w)).map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_fold_before_stemming() {
        assert_eq!(index_terms("sécurité"), index_terms("securite"));
        assert_eq!(index_terms("Cybersécurité"), index_terms("CYBERSECURITE"));
    }

    #[test]
    fn elisions_and_stop_words_go() {
        assert_eq!(index_terms("l'entreprise"), index_terms("entreprise"));
        assert_eq!(index_terms("qu'il"), Vec::<String>::new());
    }

    #[test]
    fn synonyms_share_a_canonical_token() {
        assert!(index_terms("Intelligence artificielle générative").contains(&"ia".to_string()));
        assert!(index_terms("vente en ligne").contains(&"ecommerce".to_string()));
        assert!(index_terms("e-commerce").contains(&"ecommerce".to_string()));
        assert!(
            index_terms("compta").contains(&stem("comptabilite"))
                || index_terms("compta").contains(&"comptabilite".to_string())
        );
    }

    #[test]
    fn plurals_and_genders_join() {
        assert_eq!(stem("reseaux"), stem("reseau"));
        assert_eq!(stem("francaise"), stem("francais"));
        assert_eq!(stem("comptabilite"), stem("comptabilites"));
        assert_eq!(stem("artisans"), stem("artisan"));
    }
}
