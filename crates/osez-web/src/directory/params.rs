//! Search parameters, parsed at the edge: raw query-string pairs become a
//! typed [`SearchRequest`], or an error naming the parameter, in French.

use osez_core::geo::Place;
use osez_core::{Geography, Kind, Sector, Specialty, StructureType};
use osez_search::SearchRequest;

use crate::kit::params::{ParamError, RawParams, bad, clip, number, paging, query_text, slug};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

pub const MAX_RADIUS_KM: f64 = 1_000.0;

pub const DEFAULT_PER_PAGE: usize = 20;

pub const MAX_PER_PAGE: usize = 100;

pub const MAX_PAGE: usize = 1_000;

/// Parses the search parameters of the page and the API alike.
pub fn parse_search(raw: &RawParams, geo: &Geography) -> Result<SearchRequest, ParamError> {
    let q = query_text(raw, MAX_QUERY_CHARS)?;
    let near: Option<Place> = match raw.get("near") {
        None => None,
        Some(v) if v.chars().count() > 100 => {
            return Err(bad("near", "le lieu est trop long (100 caractères au plus)"));
        }
        Some(v) => Some(geo.resolve(v).ok_or_else(|| {
            bad(
                "near",
                format!(
                    "lieu inconnu « {} » : indiquez une commune, un code postal, un département ou une région",
                    clip(v)
                ),
            )
        })?),
    };
    let radius_km: Option<f64> = number(raw, "radius_km", "un nombre de kilomètres")?;
    if let Some(r) = radius_km
        && !(r.is_finite() && (1.0..=MAX_RADIUS_KM).contains(&r))
    {
        return Err(bad("radius_km", format!("le rayon doit être compris entre 1 et {MAX_RADIUS_KM:.0} km")));
    }
    let kind = slug(raw, "kind", Kind::from_slug, &Kind::ALL.iter().map(|k| k.slug()).collect::<Vec<_>>())?;
    let specialty =
        slug(raw, "specialty", Specialty::from_slug, &Specialty::ALL.iter().map(|k| k.slug()).collect::<Vec<_>>())?;
    let sector = slug(raw, "sector", Sector::from_slug, &Sector::ALL.iter().map(|k| k.slug()).collect::<Vec<_>>())?;
    let structure_type = slug(
        raw,
        "structure_type",
        StructureType::from_slug,
        &StructureType::ALL.iter().map(|k| k.slug()).collect::<Vec<_>>(),
    )?;
    let region = match raw.get("region") {
        None => None,
        Some(v) => Some(
            geo.find_region(v)
                .map(|i| geo.regions[i].code.clone())
                .ok_or_else(|| bad("region", format!("région inconnue « {} »", clip(v))))?,
        ),
    };
    let department = match raw.get("department") {
        None => None,
        Some(v) => Some(
            geo.find_department(v)
                .map(|i| geo.departments[i].code.clone())
                .ok_or_else(|| bad("department", format!("département inconnu « {} »", clip(v))))?,
        ),
    };
    let remote = match raw.get("remote") {
        None => None,
        Some("true" | "1" | "oui") => Some(true),
        Some("false" | "0" | "non") => Some(false),
        Some(v) => {
            return Err(bad("remote", format!("« {} » : true ou false attendu", clip(v))));
        }
    };
    let (page, per_page) = paging(raw, MAX_PAGE, DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    Ok(SearchRequest {
        // As Meilisearch does, the last word is also a prefix, unless the
        // query ends with a space.
        typing: true,
        q,
        near,
        radius_km,
        kind,
        specialty,
        sector,
        structure_type,
        region,
        department,
        remote,
        page,
        per_page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn geo() -> &'static Geography {
        static GEO: OnceLock<Geography> = OnceLock::new();
        GEO.get_or_init(|| Geography::embedded().unwrap())
    }

    fn parse(qs: &str) -> Result<SearchRequest, ParamError> {
        parse_search(&RawParams::from_query(Some(qs)), geo())
    }

    #[test]
    fn bad_parameters_are_named() {
        assert_eq!(parse("radius_km=-5").unwrap_err().parameter, "radius_km");
        assert_eq!(parse("radius_km=1e9").unwrap_err().parameter, "radius_km");
        assert_eq!(parse("radius_km=NaN").unwrap_err().parameter, "radius_km");
        assert_eq!(parse("department=99").unwrap_err().parameter, "department");
        assert_eq!(parse("kind=plombier").unwrap_err().parameter, "kind");
        assert_eq!(parse("near=Atlantide").unwrap_err().parameter, "near");
        assert_eq!(parse("page=0").unwrap_err().parameter, "page");
        assert_eq!(parse("per_page=1000").unwrap_err().parameter, "per_page");
        assert_eq!(parse(&format!("q={}", "a".repeat(10_000))).unwrap_err().parameter, "q");
    }

    #[test]
    fn good_parameters_parse() {
        let r = parse("q=ia&near=69003&radius_km=20&kind=ambassadeur_ia&department=2a&region=Bretagne&remote=true")
            .unwrap();
        assert_eq!(r.kind, Some(Kind::AmbassadeurIa));
        assert_eq!(r.department.as_deref(), Some("2A"));
        assert_eq!(r.region.as_deref(), Some("53"));
        assert_eq!(r.remote, Some(true));
        assert!(r.near.is_some());
    }

    #[test]
    fn invalid_utf8_is_replaced_not_refused() {
        assert!(parse("q=caf%E9").is_ok());
    }

    #[test]
    fn links_keep_filters_and_reset_page() {
        let raw = RawParams::from_query(Some("q=ia+lyon&page=3&kind=activateur"));
        assert_eq!(raw.with("kind", None), "/recherche?q=ia+lyon");
        assert_eq!(raw.with("specialty", Some("donnees")), "/recherche?q=ia+lyon&kind=activateur&specialty=donnees");
        assert_eq!(raw.page_at("/recherche", 2), "/recherche?q=ia+lyon&kind=activateur&page=2");
    }
}
