//! The demo consultations, generated deterministically.
//!
//! The first reproduces the figures the seed reports of the Make.org
//! consultation on framing AI (12 June to 5 October 2025): 33,922
//! participants, 102,236 votes, and the published shares of its twelve
//! consensual ideas and three controversial proposals. The proposals are
//! worded by us from the seed's summary; three consensual ideas the seed
//! does not name, and the shares it does not give, are written by us and
//! say so. The votes are generated: participants hold latent opinions
//! (three camps), and on each proposal the most favourable of its voters
//! agree, the least favourable disagree, in exactly the published
//! proportions. Nothing here is a real vote.
//!
//! The second is open, with fewer votes, so that a demo instance has a
//! consultation to take part in.

use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::Vote;

pub const SEED: u64 = 2025;
pub const PARTICIPANTS: usize = 33_922;
pub const VOTES: usize = 102_236;

/// A demo proposal: its text, its agree and disagree shares (neutral is
/// the rest), whether the seed publishes them, and how its agreement
/// follows the two latent opinions (for AI, for framing it).
pub struct DemoProposal {
    pub text: &'static str,
    pub agree: f64,
    pub disagree: f64,
    /// The seed gives this share ("93 % d'accord"); else it is ours.
    pub share_from_seed: bool,
    /// The seed names this idea; else we wrote it in the same spirit.
    pub from_seed: bool,
    loading: (f64, f64),
}

const fn p(
    text: &'static str,
    agree: f64,
    disagree: f64,
    share_from_seed: bool,
    from_seed: bool,
    loading: (f64, f64),
) -> DemoProposal {
    DemoProposal { text, agree, disagree, share_from_seed, from_seed, loading }
}

/// The seed's consultation: twelve consensual ideas, then three
/// controversial proposals.
pub const SEED_PROPOSALS: [DemoProposal; 15] = [
    p("Il faut éduquer les jeunes aux usages et aux enjeux de l'IA", 0.93, 0.03, true, true, (0.2, 0.4)),
    p(
        "Il faut former et sensibiliser tous les citoyens à une utilisation responsable de l'IA",
        0.89,
        0.04,
        true,
        true,
        (0.1, 0.5),
    ),
    p("Il faut rendre obligatoire la signalisation de l'utilisation de l'IA", 0.88, 0.05, true, true, (-0.3, 0.8)),
    p("Il faut assurer la transparence et la fiabilité des systèmes d'IA", 0.86, 0.05, false, true, (0.0, 0.7)),
    p(
        "Il faut maintenir le contrôle et la décision humaine, surtout en justice et dans le recrutement",
        0.85,
        0.07,
        true,
        true,
        (-0.4, 0.8),
    ),
    p(
        "Il faut protéger les données personnelles et la propriété intellectuelle face à l'IA",
        0.87,
        0.05,
        true,
        true,
        (-0.2, 0.7),
    ),
    p("Il faut encadrer l'IA selon un cadre éthique, juridique et démocratique", 0.87, 0.06, true, true, (-0.3, 0.9)),
    p("Il faut mettre l'IA au service des personnes vulnérables", 0.81, 0.06, true, true, (0.5, 0.2)),
    p("Il faut prendre en compte l'impact environnemental et énergétique de l'IA", 0.79, 0.08, true, true, (-0.3, 0.6)),
    p(
        "Il faut garantir un recours humain contre toute décision prise par une IA",
        0.84,
        0.06,
        false,
        false,
        (-0.4, 0.8),
    ),
    p("Il faut accompagner les salariés dont le métier change avec l'IA", 0.82, 0.05, false, false, (0.3, 0.4)),
    p("Il faut soutenir une IA française et européenne fidèle à nos valeurs", 0.76, 0.09, false, false, (0.6, 0.3)),
    p(
        "Il faut remplacer par l'IA toutes les tâches possibles des services publics pour réduire les coûts",
        0.36,
        0.44,
        true,
        true,
        (1.0, -0.6),
    ),
    p("Il faut utiliser l'IA comme outil d'accompagnement scolaire personnalisé", 0.37, 0.42, true, true, (0.9, -0.3)),
    p(
        "Il faut limiter strictement ou interdire l'IA dans certains contextes : mineurs, éducation, réseaux sociaux",
        0.45,
        0.38,
        true,
        true,
        (-0.9, 0.7),
    ),
];

/// The open demo consultation's proposals (written by us).
pub const OPEN_PROPOSALS: [DemoProposal; 10] = [
    p(
        "Il faut un conseiller France Num dans chaque bassin d'emploi pour accompagner les TPE",
        0.74,
        0.08,
        false,
        false,
        (0.2, 0.3),
    ),
    p("Il faut aider les artisans à financer leur premier outil d'IA", 0.58, 0.18, false, false, (0.7, -0.2)),
    p("Il faut des ateliers gratuits près de chez soi pour découvrir l'IA", 0.81, 0.05, false, false, (0.4, 0.1)),
    p("Il faut un label pour les outils d'IA hébergés en France", 0.69, 0.10, false, false, (0.1, 0.6)),
    p(
        "Il faut obliger les vendeurs de logiciels à expliquer ce que fait leur IA",
        0.77,
        0.07,
        false,
        false,
        (-0.2, 0.8),
    ),
    p(
        "Il faut laisser chaque entreprise libre d'utiliser l'IA sans nouvelle règle",
        0.33,
        0.45,
        false,
        false,
        (0.8, -0.9),
    ),
    p("Il faut partager entre commerçants les retours d'expérience sur l'IA", 0.72, 0.06, false, false, (0.3, 0.2)),
    p(
        "Il faut former les experts-comptables à conseiller leurs clients sur l'IA",
        0.62,
        0.12,
        false,
        false,
        (0.4, 0.2),
    ),
    p("Il faut réserver les aides publiques aux outils d'IA open source", 0.31, 0.36, false, false, (-0.2, 0.5)),
    p("Il faut un guichet unique pour les questions de RGPD et d'IA des TPE", 0.79, 0.04, false, false, (0.0, 0.6)),
];

/// A generated vote: participant and proposal by their numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoVote {
    pub participant: i64,
    pub proposal: i64,
    pub vote: Vote,
    pub at_ms: i64,
}

/// How many votes each participant casts: `engaged` of them vote on 7
/// proposals or more (enough to be placed in an opinion group), the
/// others on 1 to 3; the total is exactly `votes`.
fn votes_per_participant(
    rng: &mut ChaCha8Rng,
    participants: usize,
    votes: usize,
    engaged: usize,
    max: usize,
) -> Vec<usize> {
    let mut k: Vec<usize> = (0..participants)
        .map(|i| if i < engaged { rng.random_range(7..=max) } else { rng.random_range(1..=3) })
        .collect();
    let mut total: usize = k.iter().sum();
    // Bring the total to `votes` a vote at a time among the casual ones.
    while total != votes {
        let i = rng.random_range(engaged..participants);
        if total < votes && k[i] < 3 {
            k[i] += 1;
            total += 1;
        } else if total > votes && k[i] > 1 {
            k[i] -= 1;
            total -= 1;
        }
    }
    k.shuffle(rng);
    k
}

/// Votes for `proposals` from `participants` casting `votes` in all,
/// between `from_ms` and `to_ms`, each proposal getting exactly its shares
/// (rounded to the vote) of the voters it drew.
pub fn generate(
    proposals: &[DemoProposal],
    participants: usize,
    votes: usize,
    engaged: usize,
    from_ms: i64,
    to_ms: i64,
    seed: u64,
) -> Vec<DemoVote> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = proposals.len();
    let per = votes_per_participant(&mut rng, participants, votes, engaged.min(participants), n.max(7));
    // Latent opinions: three camps (sceptical of AI and for framing it;
    // enthusiastic; pragmatic), then a spread around each.
    let camps = [(-0.8, 0.9, 0.45), (1.1, -0.6, 0.25), (0.3, 0.2, 0.30)];
    let noise = Normal::new(0.0, 0.45).expect("a positive spread");
    let opinions: Vec<(f64, f64)> = (0..participants)
        .map(|_| {
            let draw: f64 = rng.random();
            let mut acc = 0.0;
            let camp = camps.iter().find(|c| {
                acc += c.2;
                draw < acc
            });
            let (x, y, _) = camp.copied().unwrap_or(camps[2]);
            (x + noise.sample(&mut rng), y + noise.sample(&mut rng))
        })
        .collect();
    // Who votes on what.
    let mut voters: Vec<Vec<usize>> = vec![Vec::new(); n];
    let all: Vec<usize> = (0..n).collect();
    for (participant, &k) in per.iter().enumerate() {
        for &j in all.choose_multiple(&mut rng, k.min(n)) {
            voters[j].push(participant);
        }
    }
    let span = (to_ms - from_ms).max(1);
    let mut out = Vec::with_capacity(votes);
    for (j, proposal) in proposals.iter().enumerate() {
        // The voters of this proposal, the most favourable first.
        let mut ranked: Vec<(f64, usize)> = voters[j]
            .iter()
            .map(|&v| {
                let (x, y) = opinions[v];
                (proposal.loading.0 * x + proposal.loading.1 * y + noise.sample(&mut rng), v)
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let total = ranked.len();
        let agree = (proposal.agree * total as f64).round() as usize;
        let disagree = ((proposal.disagree * total as f64).round() as usize).min(total - agree);
        for (rank, &(_, participant)) in ranked.iter().enumerate() {
            let vote = if rank < agree {
                Vote::Agree
            } else if rank >= total - disagree {
                Vote::Disagree
            } else {
                Vote::Neutral
            };
            out.push(DemoVote {
                participant: participant as i64,
                proposal: j as i64,
                vote,
                at_ms: from_ms + rng.random_range(0..span),
            });
        }
    }
    out.sort_by_key(|v| (v.at_ms, v.participant, v.proposal));
    out
}

/// The seed's consultation's votes.
pub fn seed_votes(from_ms: i64, to_ms: i64) -> Vec<DemoVote> {
    generate(&SEED_PROPOSALS, PARTICIPANTS, VOTES, 4_000, from_ms, to_ms, SEED)
}

/// The open demo consultation's votes: 300 participants, 1,200 votes.
pub fn open_votes(from_ms: i64, to_ms: i64) -> Vec<DemoVote> {
    generate(&OPEN_PROPOSALS, 300, 1_200, 60, from_ms, to_ms, SEED + 1)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::consultation::tally::{Zone, tally};

    #[test]
    fn the_seed_consultation_has_the_seeds_totals_and_shares() {
        let votes = seed_votes(0, 1_000_000);
        assert_eq!(votes.len(), VOTES);
        let people: HashSet<i64> = votes.iter().map(|v| v.participant).collect();
        assert_eq!(people.len(), PARTICIPANTS);
        let pairs: HashSet<(i64, i64)> = votes.iter().map(|v| (v.participant, v.proposal)).collect();
        assert_eq!(pairs.len(), VOTES, "one vote per participant and proposal");
        let t = tally(votes.iter().map(|v| (v.proposal as u32, v.vote, None)), SEED_PROPOSALS.len());
        for (p, t) in SEED_PROPOSALS.iter().zip(&t) {
            let pct = |v| (t.share(v) * 100.0).round();
            assert_eq!(pct(Vote::Agree), (p.agree * 100.0).round(), "{}", p.text);
            assert_eq!(pct(Vote::Disagree), (p.disagree * 100.0).round(), "{}", p.text);
        }
        // The seed's labels: twelve consensual ideas, three controversies.
        let zones: Vec<Zone> = t.iter().map(|t| t.zone()).collect();
        assert_eq!(zones[..12], [Zone::Consensus; 12]);
        assert_eq!(zones[12..], [Zone::Controversy; 3]);
        // Enough engaged participants for opinion groups.
        let mut per: HashMap<i64, usize> = HashMap::new();
        for v in &votes {
            *per.entry(v.participant).or_default() += 1;
        }
        assert!(per.values().filter(|&&k| k >= 7).count() >= 3_000);
        assert!(SEED_PROPOSALS.iter().all(|p| crate::consultation::proposal::ProposalText::parse(p.text).is_ok()));
    }

    #[test]
    fn the_demo_is_the_same_every_time() {
        assert_eq!(open_votes(0, 10), open_votes(0, 10));
        assert_eq!(open_votes(0, 10).len(), 1_200);
        assert!(OPEN_PROPOSALS.iter().all(|p| crate::consultation::proposal::ProposalText::parse(p.text).is_ok()));
    }
}
