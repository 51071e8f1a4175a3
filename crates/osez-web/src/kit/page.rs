//! What every page shares: the frame of `base.html` ([`Base`]: the demo
//! banner), the back-office chrome (navigation, session notice, sign-out)
//! and the response helpers of pages that are never cached or that send
//! back to where the user was.

use crate::kit::params::RawParams;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

/// What `base.html` shows around every page. Every page's view has one,
/// and outside the kit it can only be had from the state
/// (`AppState::base`), so that no page can leave out the demo banner of a
/// demo instance.
#[derive(Debug, Clone)]
pub struct Base {
    demo: bool,
}

impl Base {
    /// The frame of a page; see `AppState::base`.
    pub(in crate::kit) fn new(demo: bool) -> Base {
        Base { demo }
    }

    /// The frame of an answer made where the state is not at hand: the
    /// refusals of the layers and extractors (token, rate limit, unreadable
    /// form, busy pool) and the generic error pages. They show no banner.
    pub(crate) fn bare() -> Base {
        Base { demo: false }
    }

    /// The instance shows demo data: the banner says so.
    pub fn demo(&self) -> bool {
        self.demo
    }
}

/// What every back-office page shows around its content: who is signed
/// in, the sections their role opens, and the session's idle deadline.
pub struct Chrome {
    pub email: String,
    pub role: &'static str,
    pub nav: Vec<NavLink>,
    /// Seconds before the session closes without activity.
    pub idle_seconds: i64,
    pub minutes_left: i64,
    pub token_extend: String,
    pub token_sign_out: String,
    /// Path of this page, where "Prolonger la session" comes back to.
    pub here: String,
}

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// Back-office pages are never kept by a cache.
pub(crate) fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Where "Prolonger la session" comes back to: a back-office path of ours,
/// never another site.
pub(crate) fn safe_return(raw: Option<&String>) -> String {
    match raw {
        Some(p)
            if p.starts_with("/admin")
                && !p.contains("//")
                && !p.contains('\\')
                && p.chars().all(|c| c.is_ascii_graphic()) =>
        {
            p.clone()
        }
        _ => "/admin".into(),
    }
}

pub(crate) fn back_to(path: &str) -> Response {
    no_store(Redirect::to(path).into_response())
}

/// A link to one page of results.
pub struct PageLink {
    pub label: String,
    pub url: String,
    pub current: bool,
    pub aria: Option<String>,
}

/// Links to the pages of results at `path`: previous, first, two on each
/// side of the current one, last, next.
pub(crate) fn pagination(raw: &RawParams, path: &str, page: usize, per_page: usize, total: usize) -> Vec<PageLink> {
    let last = total.div_ceil(per_page).max(1);
    let mut out = Vec::new();
    if page > 1 {
        out.push(PageLink {
            label: "Précédente".into(),
            url: raw.page_at(path, page - 1),
            current: false,
            aria: Some("Page précédente".into()),
        });
    }
    let mut shown: Vec<usize> = vec![1, last];
    shown.extend(page.saturating_sub(2).max(1)..=(page + 2).min(last));
    shown.sort_unstable();
    shown.dedup();
    for p in shown {
        out.push(PageLink {
            label: p.to_string(),
            url: raw.page_at(path, p),
            current: p == page,
            aria: Some(format!("Page {p}")),
        });
    }
    if page < last {
        out.push(PageLink {
            label: "Suivante".into(),
            url: raw.page_at(path, page + 1),
            current: false,
            aria: Some("Page suivante".into()),
        });
    }
    out
}
