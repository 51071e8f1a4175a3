//! Consultations from the command line: the demo ones loaded on a first
//! start.

use std::time::Instant;

use anyhow::Context;
use osez_core::consultation::demo::{self, DemoProposal, DemoVote};
use osez_store::{BulkProposal, BulkVote, ConsultationStatus, NewConsultation, Origin, Store};

const DEMO_LOADED_KEY: &str = "demo_consultations_loaded";
const DAY_MS: i64 = 86_400_000;

fn paris_ms(date: &str) -> anyhow::Result<i64> {
    let civil: jiff::civil::Date = date.parse().context("demo date")?;
    Ok(civil.at(0, 0, 0, 0).in_tz("Europe/Paris")?.timestamp().as_millisecond())
}

fn bulk(proposals: &[DemoProposal], votes: &[DemoVote], created_at: i64) -> (Vec<BulkProposal>, Vec<BulkVote>) {
    let proposals = (0i64..)
        .zip(proposals)
        .map(|(number, p)| BulkProposal { number, text: p.text.into(), accepted: true, author: None, created_at })
        .collect();
    let votes = votes
        .iter()
        .map(|v| BulkVote {
            participant: v.participant,
            proposal: v.proposal,
            vote: v.vote,
            qualification: None,
            voted_at: v.at_ms,
        })
        .collect();
    (proposals, votes)
}

/// Loads the two demo consultations once: the seed's, closed, with its
/// published figures, and an open one to take part in.
pub async fn load_demo(store: &Store) -> anyhow::Result<()> {
    if store.meta(DEMO_LOADED_KEY).await?.is_some() {
        return Ok(());
    }
    let started = Instant::now();
    let (opens, closes) = (paris_ms("2025-06-12")?, paris_ms("2025-10-06")?);
    let (proposals, votes) = bulk(&demo::SEED_PROPOSALS, &demo::seed_votes(opens, closes), opens);
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
    let (proposals, votes) = bulk(&demo::OPEN_PROPOSALS, &demo::open_votes(opens, now), opens);
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
