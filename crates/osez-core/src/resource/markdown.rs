//! Markdown of resources: CommonMark read by pulldown-cmark, HTML cleaned
//! by ammonia's allow-list, sections collected for the table of contents.
//!
//! Raw HTML is not part of what editors write: it is reported, and dropped
//! from the output, so that a pasted `<script>` never reaches a page. Every
//! input is valid CommonMark; what is called malformed here is what the
//! site refuses to publish (raw HTML, a level-1 heading, an image without
//! alternative text, a link to a `javascript:` address).

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// A `##` section of the body, for the table of contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The anchor, unique in the document ("section-le-besoin").
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Sanitised HTML, safe to insert in a page as it is.
    pub html: String,
    pub sections: Vec<Section>,
    /// What the editor must fix, in French.
    pub problems: Vec<String>,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION
}

fn sanitiser() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_tag_attributes("h2", &["id"])
        .add_tag_attributes("h3", &["id"])
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .link_rel(Some("noopener noreferrer"));
    b
}

/// Renders a body: HTML, sections and the problems to fix.
pub fn render(markdown: &str) -> Rendered {
    let mut events: Vec<Event> = Parser::new_ext(markdown, options()).collect();
    let mut problems = Vec::new();
    let mut sections = Vec::new();
    let mut used_ids: HashSet<String> = HashSet::new();
    // The next number to try after each base anchor: without it, n
    // headings of one title tried 1 + 2 + … + n anchors, minutes of work
    // for a body of 100 KB.
    let mut next_number: HashMap<String, usize> = HashMap::new();
    let mut raw_html = false;
    let mut h1 = false;
    let mut bad_link = false;
    let mut external_image = false;

    // Headings: give h2 and h3 an id from their text; collect the h2.
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { level, .. }) = &events[i] {
            let level = *level;
            let end = events[i..].iter().position(|e| matches!(e, Event::End(TagEnd::Heading(_)))).map(|p| i + p);
            let text: String = events[i + 1..end.unwrap_or(events.len())]
                .iter()
                .filter_map(|e| match e {
                    Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                    _ => None,
                })
                .collect();
            if level == HeadingLevel::H1 {
                h1 = true;
            }
            if matches!(level, HeadingLevel::H2 | HeadingLevel::H3) {
                let base = format!("section-{}", super::slug_from_title(&text));
                let mut id = base.clone();
                let n = next_number.entry(base.clone()).or_insert(2);
                while !used_ids.insert(id.clone()) {
                    id = format!("{base}-{n}");
                    *n += 1;
                }
                if level == HeadingLevel::H2 {
                    sections.push(Section { id: id.clone(), title: text.trim().to_string() });
                }
                if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[i] {
                    *slot = Some(CowStr::from(id));
                }
            }
        }
        i += 1;
    }

    // Raw HTML goes; images need a text; links must be safe.
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut image_alt: Option<String> = None;
    let mut images_without_alt = 0;
    for e in events {
        match &e {
            Event::Html(_) | Event::InlineHtml(_) => {
                raw_html = true;
                continue;
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                // Nothing is loaded from another site: images are the
                // resource's own files.
                external_image |= !dest_url.starts_with('/') || dest_url.starts_with("//");
                image_alt = Some(String::new());
            }
            Event::End(TagEnd::Image) => {
                let alt = image_alt.take().unwrap_or_default();
                images_without_alt += usize::from(alt.trim().is_empty());
            }
            Event::Text(t) if image_alt.is_some() => {
                if let Some(alt) = image_alt.as_mut() {
                    alt.push_str(t);
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                let scheme = dest_url.split(':').next().unwrap_or("").to_ascii_lowercase();
                if dest_url.contains(':')
                    && !dest_url.starts_with('/')
                    && !dest_url.starts_with('#')
                    && !["http", "https", "mailto", "tel"].contains(&scheme.trim())
                {
                    bad_link = true;
                }
            }
            _ => {}
        }
        out.push(e);
    }
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, out.into_iter());
    let html = sanitiser().clean(&unsafe_html).to_string();

    if raw_html {
        problems.push(
            "Le texte contient du HTML, qui n'est pas accepté : utilisez la syntaxe Markdown (## titre, **gras**, [lien](adresse))."
                .to_string(),
        );
    }
    if h1 {
        problems.push(
            "Le titre de niveau 1 (« # ») est réservé au titre de la ressource : commencez les sections par « ## »."
                .into(),
        );
    }
    if images_without_alt > 0 {
        problems.push(format!(
            "{images_without_alt} image(s) sans texte alternatif : écrivez-le entre les crochets, ![description de l'image](adresse)."
        ));
    }
    if external_image {
        problems.push(
            "Une image doit être un fichier joint à la ressource (adresse commençant par « /ressources/ ») : rien n'est chargé depuis un autre site."
                .into(),
        );
    }
    if bad_link {
        problems.push(
            "Un lien a une adresse refusée : seules les adresses http, https, mailto et tel sont acceptées.".into(),
        );
    }
    Rendered { html, sections, problems }
}

/// The body as plain text, for the search index and summaries: text and
/// code, with a space at every block boundary.
pub fn plain_text(markdown: &str) -> String {
    let mut s = String::with_capacity(markdown.len());
    for e in Parser::new_ext(markdown, options()) {
        match e {
            Event::Text(t) | Event::Code(t) => s.push_str(&t),
            Event::SoftBreak | Event::HardBreak => s.push(' '),
            Event::End(end)
                if !matches!(
                    end,
                    TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link | TagEnd::Image
                ) =>
            {
                s.push(' ')
            }
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_never_reach_the_page() {
        let r =
            render("Bonjour <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[clic](javascript:alert(1))");
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(!r.html.contains("onerror"), "{}", r.html);
        assert!(!r.html.contains("javascript:"), "{}", r.html);
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
        assert!(r.problems[0].contains("HTML"));
        assert!(r.problems[1].contains("lien"));
    }

    #[test]
    fn sections_get_unique_anchors() {
        let r = render("## Le besoin\n\nA\n\n### Détail\n\n## Le besoin\n\nB");
        assert_eq!(
            r.sections,
            vec![
                Section { id: "section-le-besoin".into(), title: "Le besoin".into() },
                Section { id: "section-le-besoin-2".into(), title: "Le besoin".into() },
            ]
        );
        assert!(r.html.contains(r#"<h2 id="section-le-besoin">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h3 id="section-detail">"#), "{}", r.html);
        assert!(r.problems.is_empty());
    }

    #[test]
    fn images_come_from_the_resource_itself() {
        let r = render("![Logo](https://cdn.example.com/logo.png) ![Plan](//cdn.example.com/p.png)");
        assert!(r.problems.iter().any(|p| p.contains("fichier joint")), "{:?}", r.problems);
        let r = render("![Le schéma](/ressources/x/fichiers/ab.png)");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }

    #[test]
    fn images_need_a_text_and_h1_is_reserved() {
        let r = render("# Titre\n\n![](/photo.jpg)\n\n![Une boulangère](/b.jpg)");
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
        assert!(r.html.contains(r#"alt="Une boulangère""#), "{}", r.html);
    }

    #[test]
    fn links_are_kept_and_marked() {
        let r = render("[la CNIL](https://www.cnil.fr) et [chercher](/recherche?q=rgpd)");
        assert!(r.html.contains(r#"href="https://www.cnil.fr""#), "{}", r.html);
        assert!(r.html.contains("noopener"), "{}", r.html);
        assert!(r.html.contains(r#"href="/recherche?q=rgpd""#), "{}", r.html);
        assert!(r.problems.is_empty());
    }

    #[test]
    fn plain_text_keeps_words_apart() {
        assert_eq!(
            plain_text("## Titre\n\nUn *mot*.\n- a\n- b").split_whitespace().collect::<Vec<_>>(),
            ["Titre", "Un", "mot.", "a", "b"]
        );
    }
}
