//! Coverage of the territory: advisers per 100,000 inhabitants, per
//! department, on a map drawn by the server.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use osez_core::Kind;

use crate::backoffice::views::{CoveragePage, DepartmentCoverage, LegendEntry, MapInset, MapShape, RegionCoverage};
use crate::kit::error::{PageError, render};
use crate::kit::format::format_count;
use crate::kit::guard::{Guard, Team};
use crate::kit::page::no_store;
use crate::kit::state::AppState;
use crate::menu::chrome;

// -------------------------------------------------------------------- coverage

/// Department outlines of the map (svg-maps, CC BY 4.0): metropolitan
/// France only.
struct Outlines {
    view_box: &'static str,
    paths: HashMap<&'static str, &'static str>,
}

fn outlines() -> &'static Outlines {
    static OUTLINES: OnceLock<Outlines> = OnceLock::new();
    OUTLINES.get_or_init(|| {
        let text = include_str!("../../data/france-departments.tsv");
        let mut view_box = "0 0 613 585";
        let mut paths = HashMap::new();
        for line in text.lines() {
            let mut cols = line.splitn(3, '\t');
            match (cols.next(), cols.next(), cols.next()) {
                (Some("viewBox"), Some(v), None) => view_box = v,
                (Some(code), Some(_name), Some(path)) => {
                    paths.insert(code, path);
                }
                _ => {}
            }
        }
        Outlines { view_box, paths }
    })
}

/// Sequential blues, light to dark; all meet 3:1 against white borders
/// except the first, which the legend names.
const SCALE: [&str; 5] = ["#f1f5fb", "#c6d6ee", "#8fb0dd", "#4f7fc2", "#1f4e96"];

fn per_100k(count: usize, population: u64) -> f64 {
    if population == 0 { 0.0 } else { count as f64 * 100_000.0 / population as f64 }
}

fn format_rate(r: f64) -> String {
    format!("{r:.1}").replace('.', ",")
}

pub async fn coverage(State(state): State<Arc<AppState>>, current: Guard<Team>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let geo = &state.geo;
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for a in directory.engine.advisers() {
        let c = counts.entry(a.department.as_str()).or_default();
        match a.kind {
            Kind::Activateur => c.0 += 1,
            Kind::AmbassadeurIa => c.1 += 1,
        }
    }
    let rates: Vec<f64> = geo
        .departments
        .iter()
        .map(|d| {
            let (act, ia) = counts.get(d.code.as_str()).copied().unwrap_or_default();
            per_100k(act + ia, d.population)
        })
        .collect();
    // Class limits at the quintiles of the departments that have someone.
    let mut sorted: Vec<f64> = rates.iter().copied().filter(|r| *r > 0.0).collect();
    sorted.sort_by(f64::total_cmp);
    let limits: Vec<f64> = (1..4).map(|q| sorted.get(sorted.len() * q / 4).copied().unwrap_or(f64::MAX)).collect();
    let class_of = |r: f64| if r <= 0.0 { 0 } else { 1 + limits.iter().filter(|l| r >= **l).count() };
    let region_name = |code: &str| geo.region(code).map(|r| r.name.clone()).unwrap_or_default();

    let mut departments = Vec::new();
    let mut shapes = Vec::new();
    let mut insets = Vec::new();
    let mut without_ia = Vec::new();
    let outlines = outlines();
    for (d, rate) in geo.departments.iter().zip(&rates) {
        let (act, ia) = counts.get(d.code.as_str()).copied().unwrap_or_default();
        let class = class_of(*rate);
        let label = format!("{} ({})", d.name, d.code);
        let title = format!(
            "{label} : {} conseiller{}, {} pour 100 000 habitants ; {}",
            act + ia,
            if act + ia > 1 { "s" } else { "" },
            format_rate(*rate),
            match ia {
                0 => "aucun ambassadeur IA".to_string(),
                1 => "1 ambassadeur IA".to_string(),
                n => format!("{n} ambassadeurs IA"),
            }
        );
        if ia == 0 {
            without_ia.push(label.clone());
        }
        if let Some(path) = outlines.paths.get(d.code.as_str()) {
            shapes.push(MapShape { path: path.to_string(), fill: SCALE[class], no_ia: ia == 0, title: title.clone() });
        } else {
            let i = insets.len() as u32;
            insets.push(MapInset {
                code: d.code.clone(),
                x: 8,
                y: 380 + i * 38,
                label_y: 400 + i * 38,
                fill: SCALE[class],
                no_ia: ia == 0,
                title: title.clone(),
            });
        }
        departments.push(DepartmentCoverage {
            code: d.code.clone(),
            name: d.name.clone(),
            region: region_name(&d.region),
            population: format_count(d.population as usize),
            activateurs: act,
            ambassadeurs: ia,
            per_100k: format_rate(*rate),
            ia_per_100k: format_rate(per_100k(ia, d.population)),
        });
    }
    let mut regions: Vec<(f64, RegionCoverage)> = geo
        .regions
        .iter()
        .map(|r| {
            let in_region: Vec<&DepartmentCoverage> =
                departments.iter().filter(|d| geo.department(&d.code).is_some_and(|g| g.region == r.code)).collect();
            let ia: usize = in_region.iter().map(|d| d.ambassadeurs).sum();
            let rate = per_100k(ia, r.population);
            let cover = RegionCoverage {
                name: r.name.clone(),
                ambassadeurs: ia,
                ia_per_100k: format_rate(rate),
                without_ia: in_region
                    .iter()
                    .filter(|d| d.ambassadeurs == 0)
                    .map(|d| format!("{} ({})", d.name, d.code))
                    .collect(),
            };
            (rate, cover)
        })
        .collect();
    regions.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    let bound = |i: usize| limits.get(i).map(|l| format_rate(*l)).unwrap_or_else(|| "—".into());
    let legend = vec![
        LegendEntry { fill: SCALE[0], label: "Aucun conseiller".into() },
        LegendEntry { fill: SCALE[1], label: format!("Moins de {} pour 100 000 hab.", bound(0)) },
        LegendEntry { fill: SCALE[2], label: format!("De {} à {}", bound(0), bound(1)) },
        LegendEntry { fill: SCALE[3], label: format!("De {} à {}", bound(1), bound(2)) },
        LegendEntry { fill: SCALE[4], label: format!("{} et plus", bound(2)) },
    ];
    let page = CoveragePage {
        chrome: chrome(&state, &current, "/admin/couverture"),
        departments,
        regions: regions.into_iter().map(|(_, r)| r).collect(),
        without_ia,
        view_box: outlines.view_box,
        shapes,
        insets,
        legend,
        base: state.base(),
    };
    Ok(no_store(render(StatusCode::OK, &page)))
}
