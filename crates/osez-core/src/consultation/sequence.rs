//! The next proposals served to a participant, as Make.org chooses them:
//! sequences of 12, about 30 % new proposals (fewer than 10 votes) so that
//! every proposal gets its first votes, the rest among the tested ones by
//! Thompson sampling of their scores (a bandit: the best get more votes,
//! the uncertain still get some), never a proposal already voted, never
//! two proposals of one author in a row.
//!
//! The randomness comes from the caller: with a seeded generator the
//! sequence is reproducible, which the tests use.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::{Beta, Distribution};

use super::Vote;
use super::tally::Tally;

pub const LENGTH: usize = 12;
/// A proposal with fewer trusted votes is new.
pub const NEW_BELOW: u64 = 10;
/// A proposal with this many votes is well measured: served only when the
/// sequence cannot be filled otherwise (a small consultation, or a
/// participant who voted on nearly everything).
pub const TESTED_BELOW: u64 = 1_500;
const NEW_SHARE: f64 = 0.3;
/// Of the tested slots, the share given to controversies.
const CONTROVERSY_SHARE: f64 = 0.1;
/// Each slot goes to the least voted of the first this many by sampled
/// score: Make.org's spread of exposure among the best.
const BEST_OF: usize = 10;
/// Make.org's prior on a score's successes.
const PRIOR: f64 = 0.33;

/// A proposal that may be served: accepted, in an open consultation.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub proposal: u64,
    /// Its author's participant id; None for proposals written by the team.
    pub author: Option<u64>,
    pub tally: Tally,
}

/// Up to `LENGTH` proposals for a participant who already voted on
/// `voted` (sorted or not), in the order to show them.
pub fn next<R: Rng + ?Sized>(candidates: &[Candidate], voted: &[u64], rng: &mut R) -> Vec<u64> {
    let mut voted = voted.to_vec();
    voted.sort_unstable();
    let open: Vec<&Candidate> = candidates.iter().filter(|c| voted.binary_search(&c.proposal).is_err()).collect();
    let (mut fresh, rest): (Vec<&Candidate>, Vec<&Candidate>) =
        open.into_iter().partition(|c| c.tally.total() < NEW_BELOW);
    let (tested, mut measured): (Vec<&Candidate>, Vec<&Candidate>) =
        rest.into_iter().partition(|c| c.tally.total() < TESTED_BELOW);

    let mut picked: Vec<&Candidate> = Vec::with_capacity(LENGTH);
    // New proposals: the least voted first, ties in random order.
    fresh.shuffle(rng);
    fresh.sort_by_key(|c| c.tally.total());
    let new_slots = (LENGTH as f64 * NEW_SHARE).round() as usize;
    let take = new_slots.min(fresh.len());
    picked.extend(fresh.drain(..take));

    // Tested proposals: a share for controversies, the rest by top score.
    let tested_slots = LENGTH - picked.len();
    let controversy_slots = (tested_slots as f64 * CONTROVERSY_SHARE).round() as usize;
    let mut by_controversy: Vec<(f64, &Candidate)> =
        tested.iter().map(|&c| (sample(rng, controversy_successes(&c.tally), c.tally.total()), c)).collect();
    let mut by_top: Vec<(f64, &Candidate)> =
        tested.iter().map(|&c| (sample(rng, c.tally.agree, c.tally.total()), c)).collect();
    sort_desc(&mut by_controversy);
    sort_desc(&mut by_top);
    for _ in 0..controversy_slots {
        pick_least_voted(&mut by_controversy, &mut picked);
    }
    while picked.len() < LENGTH && pick_least_voted(&mut by_top, &mut picked) {}

    // Not enough: more new ones, then well-measured ones by top score.
    while picked.len() < LENGTH && !fresh.is_empty() {
        picked.push(fresh.remove(0));
    }
    let mut by_top_measured: Vec<(f64, &Candidate)> =
        measured.drain(..).map(|c| (sample(rng, c.tally.agree, c.tally.total()), c)).collect();
    sort_desc(&mut by_top_measured);
    while picked.len() < LENGTH && pick_least_voted(&mut by_top_measured, &mut picked) {}

    picked.shuffle(rng);
    apart_by_author(picked)
}

/// How often the smaller side won: the controversy's successes.
fn controversy_successes(t: &Tally) -> u64 {
    (t.count(Vote::Agree).min(t.count(Vote::Disagree)) * 2).min(t.total())
}

/// A draw from Beta(successes + prior, failures + 1).
fn sample<R: Rng + ?Sized>(rng: &mut R, successes: u64, trials: u64) -> f64 {
    let successes = successes.min(trials);
    let a = successes as f64 + PRIOR;
    let b = (trials - successes) as f64 + 1.0;
    // Both parameters are positive and finite, so `new` cannot fail; a
    // failure would only cost the proposal its chance in this sequence.
    Beta::new(a, b).map(|d| d.sample(rng)).unwrap_or(0.0)
}

fn sort_desc(ranked: &mut [(f64, &Candidate)]) {
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.proposal.cmp(&b.1.proposal)));
}

/// Moves into `picked` the least voted of the first `BEST_OF` of `ranked`
/// not picked yet; false when none is left.
fn pick_least_voted<'a>(ranked: &mut Vec<(f64, &'a Candidate)>, picked: &mut Vec<&'a Candidate>) -> bool {
    ranked.retain(|(_, c)| !picked.iter().any(|p| p.proposal == c.proposal));
    let Some(best) = ranked.iter().take(BEST_OF).enumerate().min_by_key(|(_, (_, c))| c.tally.total()).map(|(i, _)| i)
    else {
        return false;
    };
    picked.push(ranked.remove(best).1);
    true
}

/// The picked proposals in an order where no author follows themself;
/// a proposal that cannot be placed so is left for a later sequence.
fn apart_by_author(mut rest: Vec<&Candidate>) -> Vec<u64> {
    let mut out: Vec<&Candidate> = Vec::with_capacity(rest.len());
    while !rest.is_empty() {
        let last_author = out.last().and_then(|c| c.author);
        // Among those that may come next, the one whose author has the
        // most proposals left, so that no author is left with several at
        // the end.
        let next =
            (0..rest.len()).filter(|&i| last_author.is_none() || rest[i].author != last_author).max_by_key(|&i| {
                let author = rest[i].author;
                let left = if author.is_some() { rest.iter().filter(|c| c.author == author).count() } else { 0 };
                (left, std::cmp::Reverse(i))
            });
        match next {
            Some(i) => out.push(rest.remove(i)),
            None => break,
        }
    }
    out.into_iter().map(|c| c.proposal).collect()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn candidate(proposal: u64, author: Option<u64>, agree: u64, disagree: u64) -> Candidate {
        Candidate { proposal, author, tally: Tally { agree, disagree, ..Tally::default() } }
    }

    #[test]
    fn a_sequence_has_twelve_proposals_about_thirty_percent_new() {
        let mut candidates: Vec<Candidate> = (0..40).map(|i| candidate(i, None, 50 + i, 20)).collect();
        candidates.extend((100..120).map(|i| candidate(i, None, 1, 2)));
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..50 {
            let s = next(&candidates, &[], &mut rng);
            assert_eq!(s.len(), LENGTH);
            let new = s.iter().filter(|&&p| p >= 100).count();
            assert_eq!(new, 4, "{s:?}");
            let mut unique = s.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), LENGTH, "no proposal twice");
        }
    }

    #[test]
    fn a_voted_proposal_is_never_served_again() {
        let candidates: Vec<Candidate> = (0..30).map(|i| candidate(i, None, 30, 10)).collect();
        let voted: Vec<u64> = (0..25).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut s = next(&candidates, &voted, &mut rng);
        s.sort();
        assert_eq!(s, vec![25, 26, 27, 28, 29]);
        let all: Vec<u64> = (0..30).collect();
        assert!(next(&candidates, &all, &mut rng).is_empty());
    }

    #[test]
    fn no_author_twice_in_a_row() {
        // Half the proposals by one author: they must alternate.
        let mut candidates: Vec<Candidate> = (0..6).map(|i| candidate(i, Some(1), 40, 10)).collect();
        candidates.extend((6..12).map(|i| candidate(i, Some(100 + i), 40, 10)));
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..100 {
            let s = next(&candidates, &[], &mut rng);
            let authors: Vec<Option<u64>> =
                s.iter().map(|p| candidates.iter().find(|c| c.proposal == *p).unwrap().author).collect();
            assert!(authors.windows(2).all(|w| w[0] != w[1]), "{authors:?}");
            assert_eq!(s.len(), 12, "alternation is possible, so nothing is left out");
        }
        // Only one author: one proposal, never two in a row.
        let solo: Vec<Candidate> = (0..5).map(|i| candidate(i, Some(9), 40, 10)).collect();
        assert_eq!(next(&solo, &[], &mut rng).len(), 1);
    }

    #[test]
    fn the_bandit_serves_the_best_more_often_but_not_only() {
        // Tested proposals: 0 is widely agreed, 1..29 little.
        let mut candidates = vec![candidate(0, None, 900, 100)];
        candidates.extend((1..30).map(|i| candidate(i, None, 100, 900)));
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut served = [0u32; 30];
        for _ in 0..300 {
            for p in next(&candidates, &[], &mut rng) {
                served[p as usize] += 1;
            }
        }
        assert_eq!(served[0], 300, "the best is in every sequence");
        assert!(served[1..].iter().all(|&n| n > 0), "every other still gets a chance: {served:?}");
    }

    #[test]
    fn well_measured_proposals_fill_a_sequence_only_when_needed() {
        let mut candidates: Vec<Candidate> = (0..20).map(|i| candidate(i, None, 50, 50)).collect();
        candidates.extend((100..105).map(|i| candidate(i, None, 2_000, 10)));
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let s = next(&candidates, &[], &mut rng);
        assert!(s.iter().all(|&p| p < 100), "{s:?}");
        let voted: Vec<u64> = (0..15).collect();
        let s = next(&candidates, &voted, &mut rng);
        assert_eq!(s.len(), 10, "5 tested left and the 5 measured ones: {s:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let candidates: Vec<Candidate> = (0..50).map(|i| candidate(i, Some(i % 7), 10 + i, 30)).collect();
        let a = next(&candidates, &[3, 4], &mut ChaCha8Rng::seed_from_u64(42));
        let b = next(&candidates, &[4, 3], &mut ChaCha8Rng::seed_from_u64(42));
        assert_eq!(a, b);
        assert!(next(&[], &[], &mut ChaCha8Rng::seed_from_u64(42)).is_empty());
    }
}
