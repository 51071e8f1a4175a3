//! The words of a message as people type them: folded, with the spellings
//! of text messages and dictation written out ("jcherche", "qq1", "pr"),
//! numbers read ("deux", "une quinzaine"), and the language guessed.

use osez_core::text::fold;

/// One word of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Folded: lowercase, no accents ("cybersecurite").
    pub text: String,
    /// Began with a capital letter as typed ("Papeete"): a hint that an
    /// unknown word is a name.
    pub capital: bool,
    /// Was all capitals, two letters or more ("CSV", "RGPD").
    pub upper: bool,
}

/// A language the assistant recognises a message to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    French,
    English,
    Spanish,
    German,
    Italian,
    Portuguese,
}

/// Short forms written out. Only forms that cannot be a French word of
/// their own are here ("sa" and "peu" are handled in context).
const SHORT_FORMS: &[(&str, &str)] = &[
    ("qqun", "quelqu un"),
    ("qqn", "quelqu un"),
    ("qq1", "quelqu un"),
    ("qlq1", "quelqu un"),
    ("quelquun", "quelqu un"),
    ("pr", "pour"),
    ("bjr", "bonjour"),
    ("bsr", "bonsoir"),
    ("slt", "salut"),
    ("svp", "s il vous plait"),
    ("stp", "s il te plait"),
    ("mieu", "mieux"),
    ("tt", "tout"),
    ("dun", "d un"),
    ("dune", "d une"),
    ("boutik", "boutique"),
    ("kel", "quel"),
    ("kelle", "quelle"),
    ("koi", "quoi"),
    ("conai", "connait"),
    ("connai", "connait"),
    ("conait", "connait"),
    ("sui", "suis"),
    ("chui", "je suis"),
    ("resto", "restaurant"),
    ("restos", "restaurants"),
    ("insta", "instagram"),
    ("fb", "facebook"),
    ("gogle", "google"),
    ("gougle", "google"),
    ("cybersecu", "cybersecurite"),
    ("ya", "il y a"),
    ("ds", "dans"),
    ("vs", "vous"),
    ("cmb", "combien"),
    ("tps", "temps"),
    ("fer", "faire"),
    ("stokez", "stockez"),
    ("dautre", "d autres"),
    ("dautres", "d autres"),
    ("lia", "l ia"),
    ("lentreprise", "l entreprise"),
    ("pa", "pas"),
    ("bcp", "beaucoup"),
    ("pcq", "parce que"),
    ("vx", "veux"),
    ("veu", "veux"),
    ("ve", "veux"),
    ("jai", "j ai"),
    ("jaimerais", "j aimerais"),
    ("jaimerai", "j aimerais"),
    ("jutilise", "j utilise"),
    ("jy", "j y"),
    ("jen", "j en"),
    ("jarrive", "j arrive"),
    ("jhabite", "j habite"),
    ("maider", "m aider"),
    ("maide", "m aide"),
    ("qd", "quand"),
    ("infos", "informations"),
    ("ordi", "ordinateur"),
    ("appli", "application"),
];

/// The words of a message, short forms written out, and its language.
pub fn read(message: &str) -> (Vec<Token>, Language) {
    let mut raw: Vec<Token> = Vec::new();
    for piece in message.split(|c: char| !c.is_alphanumeric()) {
        if piece.is_empty() {
            continue;
        }
        let capital = piece.chars().next().is_some_and(char::is_uppercase);
        let upper = piece.chars().count() > 1 && piece.chars().all(|c| !c.is_lowercase());
        for w in fold(piece).split(' ').filter(|w| !w.is_empty()) {
            raw.push(Token { text: w.to_string(), capital, upper });
        }
    }
    let lang = language(&raw);
    let mut out = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let next = raw.get(i + 1).map(|t| t.text.as_str());
        let prev = i.checked_sub(1).map(|p| raw[p].text.as_str());
        let expanded: Option<&str> = match t.text.as_str() {
            // "qq1 peu m aider": the verb; "un peu perdu": the adverb.
            "peu" if matches!(next, Some("m" | "me" | "nous" | "vous" | "t" | "te")) => Some("peut"),
            // "sa marche": ça; "sa boutique": the possessive.
            "sa" if matches!(next, Some("marche" | "me" | "m" | "va" | "peut" | "sert" | "fait")) => Some("ca"),
            // "g un food truck", "g besoin": j'ai.
            "g" if i == 0 || matches!(prev, Some("et" | "mais" | "slt" | "salut" | "bonjour" | "bjr")) => Some("j ai"),
            // "on c fait pirater": s'est.
            "c" if prev == Some("on") => Some("s est"),
            // "on é 4": on est.
            "e" if prev == Some("on") => Some("est"),
            "c" if !matches!(next, Some("est" | "etait" | "etaient" | "sont" | "serait" | "sera")) => Some("c est"),
            // "ki" is "qui" in French text messages, AI in German.
            "ki" if lang != Language::German => Some("qui"),
            "1" if matches!(next, Some("boutik" | "boutique" | "restaurant" | "resto" | "site" | "magasin")) => {
                Some("un")
            }
            w => SHORT_FORMS.iter().find(|(k, _)| *k == w).map(|(_, v)| *v).or_else(|| split_je(w)),
        };
        match expanded {
            Some(e) => {
                for (k, w) in e.split(' ').enumerate() {
                    out.push(Token { text: w.to_string(), capital: t.capital && k == 0, upper: false });
                }
            }
            None => out.push(t.clone()),
        }
    }
    (out, lang)
}

/// The words of a message, short forms written out.
pub fn tokens(message: &str) -> Vec<Token> {
    read(message).0
}

/// "jcherche" → "je cherche", "jvoudrai" → "je voudrai": a j glued to a
/// verb that begins with a consonant.
fn split_je(w: &str) -> Option<&'static str> {
    const VERBS: &[(&str, &str)] = &[
        ("jcherche", "je cherche"),
        ("jsuis", "je suis"),
        ("jsui", "je suis"),
        ("jveux", "je veux"),
        ("jveu", "je veux"),
        ("jvoudrai", "je voudrais"),
        ("jvoudrais", "je voudrais"),
        ("jcomprend", "je comprends"),
        ("jcomprends", "je comprends"),
        ("jsais", "je sais"),
        ("jsai", "je sais"),
        ("jpeux", "je peux"),
        ("jpeu", "je peux"),
        ("jme", "je me"),
        ("jfais", "je fais"),
        ("jsp", "je ne sais pas"),
        ("jpense", "je pense"),
        ("jtravaille", "je travaille"),
        ("jdois", "je dois"),
    ];
    VERBS.iter().find(|(k, _)| *k == w).map(|(_, v)| *v)
}

/// A number written in figures or in words ("3", "trois", "une quinzaine").
/// `next` is the word after, for "une dizaine"-style approximations that
/// span two words.
pub fn number_at(words: &[Token], i: usize) -> Option<(u32, usize)> {
    let w = words.get(i)?.text.as_str();
    if let Ok(n) = w.parse::<u32>() {
        return Some((n, 1));
    }
    if matches!(w, "une" | "un")
        && let Some(next) = words.get(i + 1)
    {
        let approx = match next.text.as_str() {
            "dizaine" => Some(10),
            "douzaine" => Some(12),
            "quinzaine" => Some(15),
            "vingtaine" => Some(20),
            "trentaine" => Some(30),
            "quarantaine" => Some(40),
            "cinquantaine" => Some(50),
            "centaine" => Some(100),
            _ => None,
        };
        if let Some(n) = approx {
            return Some((n, 2));
        }
    }
    const WORDS: &[(&str, u32)] = &[
        ("un", 1),
        ("une", 1),
        ("deux", 2),
        ("trois", 3),
        ("quatre", 4),
        ("cinq", 5),
        ("six", 6),
        ("sept", 7),
        ("huit", 8),
        ("neuf", 9),
        ("dix", 10),
        ("onze", 11),
        ("douze", 12),
        ("treize", 13),
        ("quatorze", 14),
        ("quinze", 15),
        ("seize", 16),
        ("vingt", 20),
        ("trente", 30),
        ("quarante", 40),
        ("cinquante", 50),
        ("soixante", 60),
        ("cent", 100),
    ];
    WORDS.iter().find(|(k, _)| *k == w).map(|&(_, n)| (n, 1))
}

/// Guesses the language from its most common words. French unless another
/// language has clearly more of them.
pub fn language(words: &[Token]) -> Language {
    const FR: &[&str] = &[
        "je", "j", "le", "la", "les", "un", "une", "des", "et", "pour", "mon", "ma", "mes", "est", "suis", "de", "du",
        "vous", "nous", "on", "qui", "que", "avec", "dans", "pas", "ne", "il", "au", "en", "ai",
    ];
    const EN: &[&str] = &[
        "the", "i", "my", "and", "is", "are", "for", "to", "looking", "someone", "help", "with", "what", "you", "me",
        "run", "only", "answer", "like", "today", "build", "website", "who", "will", "where", "how", "can", "please",
        "tonight", "this", "that", "of", "be", "have", "your", "would", "could", "should", "it", "s", "m", "d", "ll",
        "hi", "hello", "there", "own", "love", "some", "want", "need", "does", "do",
    ];
    const ES: &[&str] = &[
        "el",
        "los",
        "las",
        "y",
        "me",
        "puedes",
        "ayudar",
        "encontrar",
        "un",
        "una",
        "por",
        "para",
        "mi",
        "es",
        "con",
        "de",
        "en",
        "hola",
        "asesor",
        "quiero",
        "busco",
    ];
    const DE: &[&str] = &[
        "ich", "und", "der", "die", "das", "ein", "einen", "eine", "mein", "meine", "fur", "nicht", "suche", "alle",
        "uber", "schreib", "ist", "mit", "in",
    ];
    let count = |list: &[&str]| words.iter().filter(|t| list.contains(&t.text.as_str())).count();
    let fr = count(FR);
    const IT: &[&str] = &[
        "ciao",
        "buongiorno",
        "ho",
        "sono",
        "il",
        "lo",
        "gli",
        "della",
        "per",
        "che",
        "vorrei",
        "avete",
        "un",
        "una",
        "con",
        "mio",
        "mia",
        "grazie",
        "come",
        "cerco",
    ];
    const PT: &[&str] = &[
        "ola", "tenho", "uma", "um", "com", "nao", "posso", "falar", "pessoa", "obrigado", "obrigada", "meu", "minha",
        "voces", "por", "favor", "sou", "quero", "empresa", "de", "em",
    ];
    let others = [
        (Language::English, count(EN)),
        (Language::Spanish, count(ES)),
        (Language::German, count(DE)),
        (Language::Italian, count(IT)),
        (Language::Portuguese, count(PT)),
    ];
    let (lang, best) = others.iter().copied().max_by_key(|&(_, n)| n).unwrap_or((Language::French, 0));
    if best >= 2 && best > fr { lang } else { Language::French }
}

/// A rough French sound key, to recognise a town spelt as it sounds
/// ("bordo", "marseil", "montpelier"): double letters single, "eaux",
/// "aux", "eau", "au" read "o", "eille" read "eil", silent endings dropped.
pub fn sound_key(word: &str) -> String {
    let mut s = word.replace(' ', "");
    for (from, to) in [
        ("eaux", "o"),
        ("eau", "o"),
        ("aux", "o"),
        ("au", "o"),
        ("eille", "eil"),
        ("ille", "il"),
        ("ph", "f"),
        ("qu", "k"),
        ("ck", "k"),
        ("y", "i"),
        ("h", ""),
    ] {
        s = s.replace(from, to);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    while out.len() > 3 && (out.ends_with('s') || out.ends_with('x') || out.ends_with('t') || out.ends_with('e')) {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        tokens(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn text_message_spellings_are_written_out() {
        assert_eq!(texts("jcherche qqun pr mon site"), ["je", "cherche", "quelqu", "un", "pour", "mon", "site"]);
        assert_eq!(texts("qq1 peu m aider"), ["quelqu", "un", "peut", "m", "aider"]);
        assert_eq!(texts("un peu perdu"), ["un", "peu", "perdu"]);
        assert_eq!(texts("comment sa marche"), ["comment", "ca", "marche"]);
        assert_eq!(texts("sa boutique"), ["sa", "boutique"]);
        assert_eq!(texts("g un food truck"), ["j", "ai", "un", "food", "truck"]);
        assert!(tokens("Bonjour de Papeete")[2].capital);
    }

    #[test]
    fn numbers_in_figures_and_words() {
        let w = tokens("on est une quinzaine, pas 3");
        assert_eq!(number_at(&w, 2), Some((15, 2)));
        assert_eq!(number_at(&w, 5), Some((3, 1)));
        assert_eq!(number_at(&tokens("quatre"), 0), Some((4, 1)));
    }

    #[test]
    fn languages() {
        assert_eq!(language(&tokens("Je cherche un conseiller à Lyon")), Language::French);
        assert_eq!(language(&tokens("Hi, I run a bakery and I'm looking for someone")), Language::English);
        assert_eq!(language(&tokens("Hola, ¿me puedes ayudar a encontrar un asesor?")), Language::Spanish);
        assert_eq!(language(&tokens("Ich suche einen Berater für mein Hotel")), Language::German);
    }

    #[test]
    fn towns_spelt_as_they_sound() {
        assert_eq!(sound_key("bordo"), sound_key("bordeaux"));
        assert_eq!(sound_key("marseil"), sound_key("marseille"));
        assert_eq!(sound_key("montpelier"), sound_key("montpellier"));
        assert_ne!(sound_key("lyon"), sound_key("lille"));
    }
}
