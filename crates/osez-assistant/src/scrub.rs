//! Personal data removed from what a person types to the assistant before
//! anything is logged or kept: e-mail addresses, phone numbers, IBANs,
//! payment card numbers and French social security numbers, each replaced
//! by a French marker that says what was removed. What the assistant needs
//! stays: postal codes, headcounts, years, prices.

use std::sync::LazyLock;

use regex::Regex;

/// A kind of personal data the scrubber removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pii {
    Email,
    Phone,
    Iban,
    Card,
    SocialSecurity,
}

impl Pii {
    /// What replaces it in the text.
    pub fn marker(self) -> &'static str {
        match self {
            Pii::Email => "[adresse e-mail retirée]",
            Pii::Phone => "[numéro de téléphone retiré]",
            Pii::Iban => "[IBAN retiré]",
            Pii::Card => "[numéro de carte retiré]",
            Pii::SocialSecurity => "[numéro de sécurité sociale retiré]",
        }
    }
}

/// A text without its personal data, and what was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrubbed {
    pub text: String,
    pub removed: Vec<Pii>,
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a constant pattern")
}

// An address, also written out ("jean arobase exemple point fr").
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)[a-z0-9][a-z0-9._%+\-]*\s*(?:@|\(at\)|\[at\]|\barobase\b)\s*[a-z0-9\-]+(?:(?:\.|\s+(?:point|dot)\s+)[a-z0-9\-]+)*(?:\.|\s+(?:point|dot)\s+)[a-z]{2,}\b",
    )
});
// FR76 3000 6000 0112 3456 7890 189, and other countries' IBANs.
static IBAN: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\b[a-z]{2}\d{2}(?:[ \-]?[a-z0-9]{4}){2,7}(?:[ \-]?[a-z0-9]{1,4})?\b"));
// 1 85 05 78 006 084 36: sex, year, month, department, commune, order, key.
static NIR: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"\b[12][ .]?\d{2}[ .]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .]?(?:\d{2}|2[abAB])[ .]?\d{3}[ .]?\d{3}(?:[ .]?\d{2})?\b")
});
// 13 to 19 digits, grouped or not; kept only if the Luhn check holds.
static CARD: LazyLock<Regex> = LazyLock::new(|| regex(r"\b\d(?:[ \-]?\d){12,18}\b"));
// 06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78, +33 (0)6…, 0033…,
// and international numbers written with their prefix.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?:(?:\+|\b00)\s?33\s?(?:\(0\)\s?)?[1-9]|\b0[1-9])(?:[ .\-]?\d{2}){4}\b|(?:\+|\b00)[1-9]\d{0,2}(?:[ .\-]?\d){7,13}\b",
    )
});

fn luhn(digits: &str) -> bool {
    let digits: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    sum.is_multiple_of(10)
}

fn replace(text: &str, pattern: &Regex, pii: Pii, keep: impl Fn(&str) -> bool, removed: &mut Vec<Pii>) -> String {
    let mut found = false;
    let out = pattern.replace_all(text, |caps: &regex::Captures<'_>| {
        let m = &caps[0];
        if keep(m) {
            m.to_owned()
        } else {
            found = true;
            pii.marker().to_owned()
        }
    });
    let out = out.into_owned();
    if found {
        removed.push(pii);
    }
    out
}

/// `text` without the personal data it holds.
pub fn scrub(text: &str) -> Scrubbed {
    let mut removed = Vec::new();
    let text = replace(text, &EMAIL, Pii::Email, |_| false, &mut removed);
    // An IBAN has a letter pair then digits: a run of digits alone is not one.
    let text = replace(&text, &IBAN, Pii::Iban, |m| !m.chars().skip(4).any(|c| c.is_ascii_digit()), &mut removed);
    let text = replace(
        &text,
        &NIR,
        Pii::SocialSecurity,
        |m| m.chars().filter(char::is_ascii_digit).count() < 13,
        &mut removed,
    );
    let text = replace(&text, &CARD, Pii::Card, |m| !luhn(m), &mut removed);
    let text = replace(&text, &PHONE, Pii::Phone, |_| false, &mut removed);
    Scrubbed { text, removed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(text: &str) -> String {
        scrub(text).text
    }

    #[test]
    fn addresses_and_phone_numbers_go_in_every_usual_spelling() {
        for (typed, pii) in [
            ("écrivez-moi à jean.dupont+tpe@exemple.fr merci", Pii::Email),
            ("mon mail : Jean.Dupont@Exemple.CO.UK", Pii::Email),
            ("jean arobase exemple point fr", Pii::Email),
            ("joignable au 06 12 34 56 78 le matin", Pii::Phone),
            ("tel 06.12.34.56.78", Pii::Phone),
            ("tél: 0612345678", Pii::Phone),
            ("appelez le +33 6 12 34 56 78", Pii::Phone),
            ("+33 (0)1 42 68 53 00", Pii::Phone),
            ("0033 612345678", Pii::Phone),
            ("+49 30 1234567", Pii::Phone),
            ("IBAN FR76 3000 6000 0112 3456 7890 189 pour le virement", Pii::Iban),
            ("ma carte 4111 1111 1111 1111", Pii::Card),
            ("sécu 1 85 05 78 006 084 36", Pii::SocialSecurity),
        ] {
            let s = scrub(typed);
            assert_eq!(s.removed, vec![pii], "{typed} → {}", s.text);
            assert!(s.text.contains(pii.marker()), "{typed} → {}", s.text);
            let digits = s.text.chars().filter(char::is_ascii_digit).count();
            assert!(digits <= 2, "{typed} → {}: nothing of it is left", s.text);
        }
    }

    #[test]
    fn what_the_assistant_needs_stays() {
        for typed in [
            "je cherche un conseiller à Lyon 69003",
            "boulangerie de 35 salariés, 2 boutiques",
            "on a démarré en 2024, budget 1 500 €",
            "code postal 13001, SIRET non communiqué",
            "un site e-commerce pour 20 000 euros de CA",
            "besoin d'aide sur l'IA générative pour ma TPE de 8 personnes",
            "rendez-vous le 12/03/2026 à 14h30",
            "ma carte 4111 1111 1111 1112",
        ] {
            let s = scrub(typed);
            assert_eq!(s.text, typed, "{typed}");
            assert!(s.removed.is_empty(), "{typed}");
        }
    }

    #[test]
    fn several_pieces_of_personal_data_in_one_message() {
        let s = scrub("Jean, jean@exemple.fr, 06 12 34 56 78, à Rennes (35000)");
        assert_eq!(s.removed, vec![Pii::Email, Pii::Phone]);
        assert_eq!(
            clean("Jean, jean@exemple.fr, 06 12 34 56 78, à Rennes (35000)"),
            "Jean, [adresse e-mail retirée], [numéro de téléphone retiré], à Rennes (35000)"
        );
    }

    #[test]
    fn luhn_holds_for_a_valid_number_only() {
        assert!(luhn("4111111111111111"));
        assert!(!luhn("4111111111111112"));
    }
}
