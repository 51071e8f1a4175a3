//! The Atom feed of the newest resources and the sitemap of the site.
//!
//! XML is written with quick-xml, which escapes text and attributes. Links
//! are absolute when the site's public address is configured
//! (`--public-url`); the feed then falls back to links relative to itself
//! (Atom allows them), while a sitemap, which must list absolute
//! addresses, answers that it is not available.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use osez_core::resource::Resource;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::kit::error::PageError;
use crate::kit::format::rfc3339;
use crate::kit::state::AppState;

/// Entries in the feed.
const FEED_ENTRIES: usize = 50;

fn base(state: &AppState) -> String {
    state.config.public_url.as_deref().unwrap_or("").trim_end_matches('/').to_string()
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(value))?;
    Ok(())
}

fn xml(content_type: &'static str, body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=300")], body).into_response()
}

/// `/ressources/flux.atom`: the newest resources, newest change first.
pub async fn atom(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let library = ready.library();
    let mut newest: Vec<&Resource> = library.engine.resources().iter().collect();
    newest.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.slug.cmp(&b.slug)));
    newest.truncate(FEED_ENTRIES);
    let base = base(&state);
    let updated = newest.first().map(|r| r.updated_at).unwrap_or(0);
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("feed")
        .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
        .with_attribute(("xml:lang", "fr"))
        .write_inner_content(|w| {
            text(w, "title", "Osez – nouvelles ressources")?;
            text(w, "subtitle", "Articles, dossiers pratiques, cas d'usage de l'IA et webinaires pour les TPE et PME")?;
            text(w, "id", "urn:osez:ressources")?;
            text(w, "updated", &rfc3339(updated))?;
            w.create_element("link")
                .with_attribute(("rel", "self"))
                .with_attribute(("href", format!("{base}/ressources/flux.atom").as_str()))
                .write_empty()?;
            w.create_element("link")
                .with_attribute(("rel", "alternate"))
                .with_attribute(("type", "text/html"))
                .with_attribute(("href", format!("{base}/ressources").as_str()))
                .write_empty()?;
            w.create_element("author").write_inner_content(|w| text(w, "name", "Osez"))?;
            for r in &newest {
                let c = &r.content;
                w.create_element("entry").write_inner_content(|w| {
                    let title = if r.is_demo { format!("{} (démonstration)", c.title) } else { c.title.clone() };
                    text(w, "title", &title)?;
                    text(w, "id", &format!("urn:osez:ressource:{}", r.slug))?;
                    w.create_element("link")
                        .with_attribute(("rel", "alternate"))
                        .with_attribute(("type", "text/html"))
                        .with_attribute(("href", format!("{base}/ressources/{}", r.slug).as_str()))
                        .write_empty()?;
                    text(w, "published", &rfc3339(r.published_at))?;
                    text(w, "updated", &rfc3339(r.updated_at))?;
                    text(w, "summary", &c.summary)?;
                    w.create_element("category")
                        .with_attribute(("term", c.kind.slug()))
                        .with_attribute(("label", c.kind.label()))
                        .write_empty()?;
                    for t in &c.themes {
                        w.create_element("category")
                            .with_attribute(("term", t.slug()))
                            .with_attribute(("label", t.label()))
                            .write_empty()?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(xml("application/atom+xml; charset=utf-8", w.into_inner()))
}

/// `/sitemap.xml`: the public pages, the resources and the advisers'
/// profiles, with absolute addresses.
pub async fn sitemap(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    if state.config.public_url.is_none() {
        return Ok((
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Plan du site indisponible : l'adresse publique du site n'est pas configurée (--public-url).",
        )
            .into_response());
    }
    let base = base(&state);
    let library = ready.library();
    let directory = ready.directory();
    let mut w = Writer::new(Vec::with_capacity(512 * 1024));
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("urlset")
        .with_attribute(("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9"))
        .write_inner_content(|w| {
            for path in
                ["/", "/recherche", "/ressources", "/contact", "/candidature", "/accessibilite", "/mentions-legales"]
            {
                w.create_element("url").write_inner_content(|w| text(w, "loc", &format!("{base}{path}")))?;
            }
            for r in library.engine.resources() {
                w.create_element("url").write_inner_content(|w| {
                    text(w, "loc", &format!("{base}/ressources/{}", r.slug))?;
                    text(w, "lastmod", &rfc3339(r.updated_at))
                })?;
            }
            for a in directory.engine.advisers() {
                w.create_element("url")
                    .write_inner_content(|w| text(w, "loc", &format!("{base}/conseillers/{}", a.id)))?;
            }
            Ok(())
        })?;
    Ok(xml("application/xml; charset=utf-8", w.into_inner()))
}
