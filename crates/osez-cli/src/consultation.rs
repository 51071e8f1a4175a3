//! Consultations from the command line: the demo ones loaded on a first
//! start, a Pol.is conversation imported, the open data exported, the kept
//! counts checked against a recount.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use osez_core::consultation::demo;
use osez_core::consultation::polis::{self, PolisError};
use osez_store::{
    BulkProposal, BulkVote, ConsultationError, ConsultationStatus, NewConsultation, Origin, Store, demo_bulk,
};

use crate::DataArgs;
use crate::directory::open_store;

const DEMO_LOADED_KEY: &str = "demo_consultations_loaded";
const DAY_MS: i64 = 86_400_000;

fn paris_ms(date: &str) -> anyhow::Result<i64> {
    let civil: jiff::civil::Date = date.parse().context("demo date")?;
    Ok(civil.at(0, 0, 0, 0).in_tz("Europe/Paris")?.timestamp().as_millisecond())
}

/// Loads the two demo consultations once: the seed's, closed, with its
/// published figures, and an open one to take part in.
pub async fn load_demo(store: &Store) -> anyhow::Result<()> {
    if store.meta(DEMO_LOADED_KEY).await?.is_some() {
        return Ok(());
    }
    let started = Instant::now();
    let (opens, closes) = (paris_ms("2025-06-12")?, paris_ms("2025-10-06")?);
    let (proposals, votes) = demo_bulk(&demo::SEED_PROPOSALS, &demo::seed_votes(opens, closes), opens);
    let seed = NewConsultation {
        slug: "encadrer-l-ia",
        title: "Les enjeux éthiques et sociaux de l'IA (démonstration)",
        question: "Comment encadrer l'intelligence artificielle pour qu'elle serve l'intérêt général ?",
        description: "Données de démonstration : les propositions et les votes sont générés par Osez pour reproduire \
                      les chiffres publiés de la consultation citoyenne Make.org sur l'encadrement de l'IA \
                      (33 922 participants, 102 236 votes, du 12 juin au 5 octobre 2025) et les parts d'accord \
                      de ses idées. Ce ne sont pas les votes réels. Trois idées consensuelles et les parts que la \
                      synthèse publiée ne donne pas sont rédigées par Osez.",
        opens_at: opens,
        closes_at: closes,
        status: ConsultationStatus::Published,
        origin: Origin::Demo,
    };
    store.import_consultation(&seed, &proposals, &votes).await.context("cannot load the demo consultation")?;

    let now = osez_web::now_ms();
    let (opens, closes) = (now - 30 * DAY_MS, now + 365 * DAY_MS);
    let (proposals, votes) = demo_bulk(&demo::OPEN_PROPOSALS, &demo::open_votes(opens, now), opens);
    let open = NewConsultation {
        slug: "ia-dans-les-tpe",
        title: "L'IA dans les petites entreprises (démonstration)",
        question: "Comment aider les petites entreprises à adopter l'IA ?",
        description: "Consultation de démonstration : propositions rédigées par Osez et premiers votes générés. \
                      Vous pouvez voter et proposer vos idées pour essayer.",
        opens_at: opens,
        closes_at: closes,
        status: ConsultationStatus::Published,
        origin: Origin::Demo,
    };
    store.import_consultation(&open, &proposals, &votes).await.context("cannot load the open demo consultation")?;
    store.set_meta(DEMO_LOADED_KEY, "1").await?;
    tracing::info!(took_ms = started.elapsed().as_millis() as u64, "demo consultations loaded");
    Ok(())
}

fn read(dir: &Path, name: &str) -> anyhow::Result<Vec<u8>> {
    let path = dir.join(name);
    std::fs::read(&path).with_context(|| format!("impossible de lire {}", path.display()))
}

/// The topic of a Pol.is `summary.csv`, if there is one.
fn topic(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("summary.csv")).ok()?;
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    r.records().flatten().find(|rec| rec.get(0) == Some("topic")).and_then(|rec| rec.get(1).map(str::to_owned))
}

/// `osez consultation import-polis DIR`: a new consultation, closed (its
/// dates those of its first and last vote), with the export's comment and
/// participant ids. Comments moderated out (−1) are archived: out of the
/// results, their votes kept in the open data as in the original; the
/// others are accepted. All or nothing: a mistake in a file saves
/// nothing.
pub async fn import_polis(data: &DataArgs, dir: &Path, slug: Option<&str>, title: Option<&str>) -> anyhow::Result<()> {
    let refused = |e: PolisError| anyhow::anyhow!("import Pol.is refusé, rien n'a été enregistré : {e}");
    let comments = polis::read_comments(&read(dir, "comments.csv")?).map_err(refused)?;
    let votes = polis::read_votes(&read(dir, "votes.csv")?, &comments).map_err(refused)?;
    let default_slug = dir.file_name().and_then(|n| n.to_str()).unwrap_or("polis").to_lowercase();
    let slug = slug.map(str::to_owned).unwrap_or(default_slug);
    if slug.is_empty() || !slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        bail!("adresse « {slug} » invalide : lettres minuscules, chiffres et tirets (--slug)");
    }
    let title = title.map(str::to_owned).or_else(|| topic(dir)).unwrap_or_else(|| slug.clone());
    let first = votes.iter().map(|v| v.at_ms).chain(comments.iter().map(|c| c.created_at_ms)).min().unwrap_or(0);
    let last = votes.iter().map(|v| v.at_ms).chain(comments.iter().map(|c| c.created_at_ms)).max().unwrap_or(0);
    let proposals: Vec<BulkProposal> = comments.iter().map(BulkProposal::from).collect();
    let bulk: Vec<BulkVote> = votes.iter().map(BulkVote::from).collect();
    let new = NewConsultation {
        slug: &slug,
        title: &title,
        question: &title,
        description: "Conversation importée d'un export Pol.is.",
        opens_at: first,
        closes_at: last + 1,
        status: ConsultationStatus::Published,
        origin: Origin::Polis,
    };
    let store = open_store(data).await?;
    store.migrate().await?;
    match store.import_consultation(&new, &proposals, &bulk).await {
        Ok(_) => {}
        Err(ConsultationError::SlugTaken) => bail!("une consultation a déjà l'adresse « {slug} » (--slug)"),
        Err(e) => return Err(e).context("import Pol.is"),
    }
    println!(
        "consultation « {slug} » importée : {} commentaires, {} votes lus ({} retenus : le dernier de chaque participant)",
        comments.len(),
        votes.len(),
        store
            .recount(store.consultation(&slug).await?.map_or(0, |c| c.id))
            .await?
            .values()
            .map(|t| t.total())
            .sum::<u64>()
    );
    Ok(())
}

/// `osez consultation export SLUG DIR`.
pub async fn export(data: &DataArgs, slug: &str, dir: &Path, public_url: Option<&str>) -> anyhow::Result<()> {
    let store = open_store(data).await?;
    store.migrate().await?;
    let done = osez_web::export_consultation(&store, slug, dir, public_url).await.map_err(|e| anyhow::anyhow!(e))?;
    println!(
        "{} votes de {} participants, {} groupes d'opinion : {}",
        done.votes,
        done.participants,
        done.groups,
        done.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}

/// `osez consultation check SLUG`: the counts kept in each proposal's row
/// against a recount of the votes.
pub async fn check(data: &DataArgs, slug: &str) -> anyhow::Result<()> {
    let store = open_store(data).await?;
    store.migrate().await?;
    let c = store.consultation(slug).await?.with_context(|| format!("aucune consultation n'a l'adresse « {slug} »"))?;
    let recount = store.recount(c.id).await?;
    let mut wrong = 0;
    for p in store.proposals(c.id, None).await? {
        if recount.get(&p.id).copied().unwrap_or_default() != p.tally {
            wrong += 1;
            eprintln!("proposition {} : compte gardé {:?}, recompte {:?}", p.number, p.tally, recount.get(&p.id));
        }
    }
    if wrong > 0 {
        bail!("{wrong} proposition(s) dont le compte diffère du recompte");
    }
    println!("{} propositions : les comptes gardés égalent le recompte des votes", recount.len());
    Ok(())
}
