//! The starter content of the resource centre, compiled in from
//! `data/resources/` (see its README): at least 30 resources written for the
//! project, loaded on a first start with demo data.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::transcript::parse_vtt;
use super::{Content, Resource, ResourceType, Theme, UseCase, Webinar};
use crate::{Sector, Specialty};

/// One embedded file: slug, Markdown with front matter, WebVTT transcript.
type File = (&'static str, &'static str, Option<&'static str>);

macro_rules! starter {
    ($slug:literal) => {
        ($slug, include_str!(concat!("../../data/resources/", $slug, ".md")), None)
    };
    ($slug:literal, vtt) => {
        (
            $slug,
            include_str!(concat!("../../data/resources/", $slug, ".md")),
            Some(include_str!(concat!("../../data/resources/", $slug, ".vtt"))),
        )
    };
}

/// Every starter file. A test checks that the folder holds no other.
pub const FILES: &[File] = &[
    starter!("ameliorer-son-referencement-local"),
    starter!("analyse-de-la-concurrence-avec-l-ia"),
    starter!("assistant-d-achat-conversationnel"),
    starter!("choisir-ses-reseaux-sociaux"),
    starter!("choisir-un-prestataire-numerique"),
    starter!("creer-des-visuels-avec-l-ia"),
    starter!("demarrer-avec-l-ia-dans-sa-tpe"),
    starter!("devis-et-factures-automatises-pour-un-artisan"),
    starter!("faire-le-point-sur-sa-strategie-numerique"),
    starter!("fiches-de-poste-avec-l-ia"),
    starter!("gagner-du-temps-avec-l-ia-generative"),
    starter!("garder-ses-donnees-sur-des-serveurs-maitrises"),
    starter!("hallucinations-et-biais-de-l-ia"),
    starter!("lecture-automatique-des-bons-de-commande"),
    starter!("newsletter-avec-l-ia"),
    starter!("onboarding-avec-l-ia"),
    starter!("passer-a-la-facture-electronique"),
    starter!("qu-est-ce-qu-un-activateur-france-num"),
    starter!("qu-est-ce-qu-un-ambassadeur-ia"),
    starter!("recruter-avec-le-numerique"),
    starter!("relire-et-verifier-les-resultats-de-l-ia"),
    starter!("repondre-aux-avis-clients-avec-l-ia"),
    starter!("rgpd-et-ia-generative"),
    starter!("se-proteger-des-cyberattaques"),
    starter!("signaler-l-usage-de-l-ia-a-ses-clients"),
    starter!("site-internet-pour-15-euros"),
    starter!("trouver-un-accompagnement-pres-de-chez-vous"),
    starter!("vendre-en-ligne-premiers-pas"),
    starter!("video-produit-a-partir-d-une-photo"),
    starter!("webinaire-ia-et-protection-des-donnees", vtt),
    starter!("webinaire-ia-et-relation-client"),
    starter!("webinaire-premiers-pas-avec-l-ia-generative", vtt),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    #[serde(rename = "type")]
    kind: ResourceType,
    title: String,
    summary: String,
    themes: Vec<Theme>,
    #[serde(default)]
    specialties: Vec<Specialty>,
    #[serde(default)]
    sectors: Vec<Sector>,
    published: Date,
    updated: Date,
    demo: bool,
    use_case: Option<UseCase>,
    webinar: Option<WebinarMatter>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebinarMatter {
    starts_at: Option<DateTime>,
    starts_in_days: Option<i64>,
    start_time: Option<Time>,
    duration_min: u32,
    speakers: Vec<String>,
    capacity: u32,
}

/// A starter file that does not read: a bug of the project, caught by the
/// tests, never a user's mistake.
#[derive(Debug, thiserror::Error)]
#[error("starter resource {slug}: {reason}")]
pub struct StarterError {
    pub slug: &'static str,
    pub reason: String,
}

fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC)
}

/// Milliseconds since the epoch of a Paris wall-clock time.
pub fn paris_ms(dt: DateTime) -> Option<i64> {
    dt.to_zoned_datetime(paris()).ok().map(|z| z.timestamp().as_millisecond())
}

/// Reads one starter file. `now_ms` places the upcoming demo events
/// (`starts_in_days`) from the day the data is loaded.
pub fn read(file: &File, now_ms: i64) -> Result<Resource, StarterError> {
    let (slug, text, vtt) = *file;
    let err = |reason: String| StarterError { slug, reason };
    let rest = text.strip_prefix("+++\n").ok_or_else(|| err("no front matter".into()))?;
    let (front, body) = rest.split_once("\n+++\n").ok_or_else(|| err("unclosed front matter".into()))?;
    let fm: FrontMatter = toml::from_str(front).map_err(|e| err(e.to_string()))?;
    let noon = |d: Date| paris_ms(d.to_datetime(Time::constant(12, 0, 0, 0)));
    let published_at = noon(fm.published).ok_or_else(|| err("published date".into()))?;
    let updated_at = noon(fm.updated).ok_or_else(|| err("updated date".into()))?;
    let webinar = match fm.webinar {
        None => None,
        Some(w) => {
            let starts = match (w.starts_at, w.starts_in_days, w.start_time) {
                (Some(at), None, None) => at,
                (None, Some(days), Some(time)) => {
                    let today = jiff::Timestamp::from_millisecond(now_ms)
                        .map_err(|e| err(e.to_string()))?
                        .to_zoned_datetime(paris())
                        .date();
                    today.checked_add(jiff::Span::new().days(days)).map_err(|e| err(e.to_string()))?.to_datetime(time)
                }
                _ => return Err(err("a webinar has starts_at, or starts_in_days and start_time".into())),
            };
            let starts_at = paris_ms(starts).ok_or_else(|| err("webinar start".into()))?;
            Some(Webinar {
                starts_at,
                duration_min: w.duration_min,
                speakers: w.speakers,
                capacity: w.capacity,
                venue: None,
            })
        }
    };
    let transcript = match vtt {
        Some(v) => parse_vtt(v).map_err(|e| err(e.to_string()))?,
        None => Vec::new(),
    };
    let content = Content {
        kind: fm.kind,
        title: fm.title,
        summary: fm.summary,
        body: body.trim().to_string(),
        themes: fm.themes,
        specialties: fm.specialties,
        sectors: fm.sectors,
        use_case: fm.use_case,
        webinar,
        transcript,
        attachments: Vec::new(),
    };
    Ok(Resource { slug: slug.to_string(), content, published_at, updated_at, is_demo: fm.demo, organiser: None })
}

/// Every starter resource.
pub fn all(now_ms: i64) -> Result<Vec<Resource>, StarterError> {
    FILES.iter().map(|f| read(f, now_ms)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::is_slug;

    const NOW: i64 = 1_796_212_800_000; // 2026-12-02T12:00:00Z

    #[test]
    fn every_starter_file_reads_and_passes_the_editors_checks() {
        let all = all(NOW).unwrap();
        assert!(all.len() >= 30, "{}", all.len());
        for r in &all {
            assert!(is_slug(&r.slug), "{}", r.slug);
            let problems = r.content.check();
            assert!(problems.is_empty(), "{}: {problems:?}", r.slug);
            assert!(r.updated_at >= r.published_at, "{}", r.slug);
        }
        let webinars: Vec<&Resource> = all.iter().filter(|r| r.content.kind == ResourceType::Webinaire).collect();
        assert_eq!(webinars.len(), 3);
        let upcoming = webinars.iter().filter(|r| r.content.webinar.as_ref().unwrap().starts_at > NOW).count();
        assert_eq!(upcoming, 1, "the upcoming demo webinar is placed from the load date");
        assert_eq!(webinars.iter().filter(|r| !r.content.transcript.is_empty()).count(), 2);
        assert!(webinars.iter().all(|r| r.is_demo));
    }

    #[test]
    fn the_folder_holds_no_file_left_out() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/resources");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != "README.md")
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = FILES
            .iter()
            .flat_map(|(slug, _, vtt)| {
                let mut v = vec![format!("{slug}.md")];
                if vtt.is_some() {
                    v.push(format!("{slug}.vtt"));
                }
                v
            })
            .collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn a_paris_time_is_read_with_its_offset() {
        let summer = paris_ms("2026-09-17T10:00".parse().unwrap()).unwrap();
        assert_eq!(summer, "2026-09-17T08:00:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond());
        let winter = paris_ms("2026-12-17T10:00".parse().unwrap()).unwrap();
        assert_eq!(winter, "2026-12-17T09:00:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond());
    }
}
