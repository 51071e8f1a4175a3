//! What changed between two versions of a resource, line by line, for the
//! editors' history (the `similar` crate's Myers diff).

use similar::{ChangeTag, TextDiff};

use super::Content;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Same,
    Removed,
    Added,
}

/// A version as lines: its fields, then its body.
pub fn as_text(c: &Content) -> String {
    let mut s = format!("Type : {}\nTitre : {}\nRésumé : {}\n", c.kind.label(), c.title, c.summary);
    s.push_str(&format!("Thèmes : {}\n", c.themes.iter().map(|t| t.label()).collect::<Vec<_>>().join(", ")));
    if let Some(u) = &c.use_case {
        s.push_str(&format!(
            "Fonction : {}\nSecteur : {}\nOutils : {}\nGain : {}\nCoût : {}\nPrécautions : {}\nTémoignage : {} ({})\n",
            u.function,
            u.sector,
            u.tools.join(", "),
            u.gain,
            u.cost,
            u.precautions.join(" ; "),
            u.testimonial,
            u.testimonial_by
        ));
    }
    if let Some(w) = &c.webinar {
        s.push_str(&format!(
            "Durée : {} min\nIntervenants : {}\nPlaces : {}\n",
            w.duration_min,
            w.speakers.join(", "),
            w.capacity
        ));
    }
    for a in &c.attachments {
        s.push_str(&format!("Fichier : {} ({})\n", a.label, a.format_and_size()));
    }
    s.push('\n');
    s.push_str(&c.body);
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// The lines of `new` against `old`, each marked same, removed or added.
pub fn diff(old: &Content, new: &Content) -> Vec<(Change, String)> {
    let (a, b) = (as_text(old), as_text(new));
    TextDiff::from_lines(&a, &b)
        .iter_all_changes()
        .map(|c| {
            let tag = match c.tag() {
                ChangeTag::Equal => Change::Same,
                ChangeTag::Delete => Change::Removed,
                ChangeTag::Insert => Change::Added,
            };
            (tag, c.value().trim_end_matches('\n').to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::starter;

    #[test]
    fn only_what_changed_is_marked() {
        let old = starter::all(0).unwrap().remove(0).content;
        let mut new = old.clone();
        new.title = "Un autre titre".into();
        let d = diff(&old, &new);
        let changed: Vec<&(Change, String)> = d.iter().filter(|(c, _)| *c != Change::Same).collect();
        assert_eq!(changed.len(), 2, "{changed:?}");
        assert_eq!(changed[0], &(Change::Removed, format!("Titre : {}", old.title)));
        assert_eq!(changed[1], &(Change::Added, "Titre : Un autre titre".to_string()));
        assert!(diff(&old, &old).iter().all(|(c, _)| *c == Change::Same));
    }
}
