//! Text normalisation shared by geography look-ups and search.

/// Lowercases, strips accents and turns every run of non-alphanumeric
/// characters (hyphens, apostrophes, punctuation) into one space.
///
/// "Saint-Étienne" and "saint etienne" fold alike; so do "L'Haÿ-les-Roses"
/// and "l hay les roses".
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for ch in input.chars() {
        if ch.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(ch.to_ascii_lowercase());
        } else if ch.is_ascii() {
            pending_space = true;
        } else {
            // Non-ASCII: transliterate (é → e, œ → oe, ß → ss), then keep
            // only its alphanumeric part.
            let mut buf = [0u8; 4];
            let translit = deunicode::deunicode_with_tofu(ch.encode_utf8(&mut buf), " ");
            for t in translit.chars() {
                if t.is_ascii_alphanumeric() {
                    if pending_space && !out.is_empty() {
                        out.push(' ');
                    }
                    pending_space = false;
                    out.push(t.to_ascii_lowercase());
                } else {
                    pending_space = true;
                }
            }
        }
    }
    out
}

/// Words of a folded string.
pub fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(' ').filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_hyphens_and_apostrophes() {
        assert_eq!(fold("Saint-Étienne"), "saint etienne");
        assert_eq!(fold("L'Haÿ-les-Roses"), "l hay les roses");
        assert_eq!(fold("  Cybersécurité,  PME! "), "cybersecurite pme");
        assert_eq!(fold("Œuvre"), "oeuvre");
        assert_eq!(fold(""), "");
    }
}
