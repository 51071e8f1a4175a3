//! The results' charts, drawn as SVG by the server (no script, nothing
//! fetched): a bar per proposal split into agree, neutral and disagree with
//! the interval of its agree share, and the opinion space's scatter. Each
//! chart has an accessible name; the page puts its figures in a table
//! beside it for screen readers. Groups differ by shape as well as colour.
//!
//! Only numbers and fixed strings go into the markup: text reaches it
//! escaped.

use std::fmt::Write;

use osez_core::consultation::Vote;
use osez_core::consultation::groups::{Group, Point};
use osez_core::consultation::tally::Tally;

/// Colours with a contrast of 4.5:1 at least on white.
pub const AGREE: &str = "#1e6b34";
pub const NEUTRAL: &str = "#6b7280";
pub const DISAGREE: &str = "#b00020";
/// A colour and a shape per opinion group.
pub const GROUP_COLOURS: [&str; 5] = ["#1d3f8a", "#b34700", "#1e6b34", "#7a1d7a", "#5c4400"];
pub const GROUP_SHAPES: [&str; 5] = ["rond", "carré", "triangle", "losange", "croix"];
/// Points drawn at most; beyond, one in so many (the same ones every time).
const MAX_POINTS: usize = 3_000;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn percent(share: f64) -> String {
    format!("{} %", (share * 100.0).round())
}

/// A bar 0..100 wide: agree, neutral, disagree, and the agree interval.
pub fn split_bar(t: &Tally, label: &str) -> String {
    let (a, n) = (t.share(Vote::Agree) * 100.0, t.share(Vote::Neutral) * 100.0);
    let d = if t.total() == 0 { 0.0 } else { 100.0 - a - n };
    let i = t.interval(Vote::Agree);
    let name = format!(
        "{} : {} d'accord, {} neutres, {} pas d'accord",
        label,
        percent(t.share(Vote::Agree)),
        percent(t.share(Vote::Neutral)),
        percent(t.share(Vote::Disagree))
    );
    let mut s = format!(
        r#"<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="{}" focusable="false">"#,
        escape(&name)
    );
    let _ = write!(s, r##"<rect x="0" y="0" width="100" height="10" fill="#f3f5f9"/>"##);
    let _ = write!(s, r#"<rect x="0" y="0" width="{a:.2}" height="10" fill="{AGREE}"/>"#);
    let _ = write!(s, r#"<rect x="{a:.2}" y="0" width="{n:.2}" height="10" fill="{NEUTRAL}"/>"#);
    let _ = write!(s, r#"<rect x="{:.2}" y="0" width="{d:.2}" height="10" fill="{DISAGREE}"/>"#, a + n);
    if t.total() > 0 {
        let (low, high) = (i.low * 100.0, i.high * 100.0);
        let _ = write!(
            s,
            r##"<line x1="{low:.2}" x2="{high:.2}" y1="5" y2="5" stroke="#ffffff" stroke-width="1.6"/><line x1="{low:.2}" x2="{high:.2}" y1="5" y2="5" stroke="#1b1b1b" stroke-width="0.8"/>"##
        );
    }
    s.push_str("</svg>");
    s
}

fn shape(s: &mut String, group: usize, x: f64, y: f64, r: f64) {
    let colour = GROUP_COLOURS[group % GROUP_COLOURS.len()];
    let _ = match group % GROUP_SHAPES.len() {
        0 => write!(s, r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="{colour}"/>"#),
        1 => write!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="{}" height="{}" fill="{colour}"/>"#,
            x - r,
            y - r,
            2.0 * r,
            2.0 * r
        ),
        2 => write!(
            s,
            r#"<path d="M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z" fill="{colour}"/>"#,
            y - r * 1.2,
            x + r * 1.1,
            y + r * 0.8,
            x - r * 1.1,
            y + r * 0.8
        ),
        3 => write!(
            s,
            r#"<path d="M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z" fill="{colour}"/>"#,
            y - r * 1.3,
            x + r * 1.3,
            y + r * 1.3,
            x - r * 1.3
        ),
        _ => write!(
            s,
            r#"<path d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke="{colour}" stroke-width="1.2"/>"#,
            x - r,
            y - r,
            x + r,
            y + r,
            x - r,
            y + r,
            x + r,
            y - r
        ),
    };
}

/// A legend's symbol for a group, 18 by 18.
pub fn legend_symbol(group: usize) -> String {
    let mut s = String::from(r#"<svg viewBox="0 0 18 18" aria-hidden="true" focusable="false">"#);
    shape(&mut s, group, 9.0, 9.0, 6.0);
    s.push_str("</svg>");
    s
}

/// The participants in the opinion space (the first two components of
/// the PCA), by group.
pub fn scatter(points: &[Point], groups: &[Group]) -> String {
    const W: f64 = 600.0;
    const H: f64 = 400.0;
    const M: f64 = 12.0;
    let name = format!(
        "Carte des opinions : {} participants placés selon leurs votes, en {} groupes",
        points.len(),
        groups.len()
    );
    let mut s = format!(
        r##"<svg class="scatter" viewBox="0 0 {W} {H}" role="img" aria-label="{}" focusable="false"><rect width="{W}" height="{H}" fill="#ffffff" stroke="#c8ccd6"/>"##,
        escape(&name)
    );
    if points.is_empty() {
        s.push_str("</svg>");
        return s;
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in points {
        x0 = x0.min(p.x);
        x1 = x1.max(p.x);
        y0 = y0.min(p.y);
        y1 = y1.max(p.y);
    }
    let sx = if x1 > x0 { (W - 2.0 * M) / (x1 - x0) } else { 0.0 };
    let sy = if y1 > y0 { (H - 2.0 * M) / (y1 - y0) } else { 0.0 };
    let _ = write!(
        s,
        r##"<line x1="{M}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#c8ccd6"/><line y1="{M}" y2="{:.1}" x1="{:.1}" x2="{:.1}" stroke="#c8ccd6"/>"##,
        W - M,
        H / 2.0,
        H / 2.0,
        H - M,
        W / 2.0,
        W / 2.0
    );
    let step = points.len().div_ceil(MAX_POINTS).max(1);
    for p in points.iter().step_by(step) {
        let x = if sx > 0.0 { M + (p.x - x0) * sx } else { W / 2.0 };
        let y = if sy > 0.0 { H - M - (p.y - y0) * sy } else { H / 2.0 };
        shape(&mut s, p.group as usize, x, y, 2.2);
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_names_its_figures_and_escapes_its_label() {
        let t = Tally { agree: 93, disagree: 3, neutral: 4, ..Tally::default() };
        let svg = split_bar(&t, "Il faut <b>former</b> & \"éduquer\"");
        assert!(svg.contains("93 % d'accord, 4 % neutres, 3 % pas d'accord"), "{svg}");
        assert!(svg.contains("&lt;b&gt;former&lt;/b&gt; &amp; &quot;éduquer&quot;"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains(r#"width="93.00""#));
        let empty = split_bar(&Tally::default(), "x");
        assert!(!empty.contains("<line"), "no interval without votes");
    }

    #[test]
    fn a_scatter_draws_every_point_up_to_its_limit_by_group_shape() {
        let points: Vec<Point> =
            (0..10).map(|i| Point { participant: i, x: i as f64, y: (i % 3) as f64, group: i % 2 }).collect();
        let svg = scatter(&points, &[]);
        assert_eq!(svg.matches("<circle").count(), 5);
        assert_eq!(svg.matches("<rect x=").count(), 5);
        let many: Vec<Point> = (0..10_000).map(|i| Point { participant: i, x: 0.0, y: 0.0, group: 0 }).collect();
        assert!(scatter(&many, &[]).matches("<circle").count() <= MAX_POINTS);
        assert!(scatter(&[], &[]).ends_with("</svg>"));
    }
}
