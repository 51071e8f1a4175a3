//! The count of each proposal's votes and what the results page says of
//! it: shares with a confidence interval, the zone as Make.org draws it,
//! and the consensual and controversial proposals ranked by the lower
//! bound of their share, so that a proposal seen by few cannot outrank a
//! well-tested one by luck.

use serde::Serialize;

use super::{Qualification, Vote};

/// z of the intervals: Make.org's 2 (≈ 95 %).
const Z: f64 = 2.0;

/// The votes of one proposal, trusted ones only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub agree: u64,
    pub disagree: u64,
    pub neutral: u64,
    /// Counts per qualification, in the order of `Qualification::ALL`.
    pub qualifications: [u64; 9],
}

impl Tally {
    pub fn count(&self, vote: Vote) -> u64 {
        match vote {
            Vote::Agree => self.agree,
            Vote::Disagree => self.disagree,
            Vote::Neutral => self.neutral,
        }
    }

    pub fn total(&self) -> u64 {
        self.agree + self.disagree + self.neutral
    }

    pub fn qualification(&self, qualification: Qualification) -> u64 {
        let i = Qualification::ALL.iter().position(|&q| q == qualification).unwrap_or(0);
        self.qualifications[i]
    }

    /// Adds one vote (or, with `delta` −1, takes back a replaced one). A
    /// qualification that does not belong to the vote is not counted.
    pub fn add(&mut self, vote: Vote, qualification: Option<Qualification>, delta: i64) {
        let slot = match vote {
            Vote::Agree => &mut self.agree,
            Vote::Disagree => &mut self.disagree,
            Vote::Neutral => &mut self.neutral,
        };
        *slot = slot.saturating_add_signed(delta);
        if let Some(q) = qualification.filter(|q| q.vote() == vote)
            && let Some(i) = Qualification::ALL.iter().position(|&x| x == q)
        {
            self.qualifications[i] = self.qualifications[i].saturating_add_signed(delta);
        }
    }

    /// The share of `vote` among all votes; 0 when there is none.
    pub fn share(&self, vote: Vote) -> f64 {
        let total = self.total();
        if total == 0 { 0.0 } else { self.count(vote) as f64 / total as f64 }
    }

    /// The Agresti–Coull interval of the share of `vote` (two successes and
    /// two failures added, z = 2), as Make.org computes its confidence.
    pub fn interval(&self, vote: Vote) -> Interval {
        let n = self.total() as f64 + Z * Z;
        let p = (self.count(vote) as f64 + Z * Z / 2.0) / n;
        let half = Z * (p * (1.0 - p) / n).sqrt();
        Interval { low: (p - half).max(0.0), high: (p + half).min(1.0) }
    }

    pub fn zone(&self) -> Zone {
        Zone::of(self.share(Vote::Agree), self.share(Vote::Disagree), self.share(Vote::Neutral), self.total())
    }

    /// A lower bound of the share of the less followed side, agree or
    /// disagree: high only when both sides are large and well measured.
    pub fn controversy_low(&self) -> f64 {
        self.interval(Vote::Agree).low.min(self.interval(Vote::Disagree).low)
    }
}

/// Adds up votes given as (proposal index, vote, qualification): the
/// count of each of `n_proposals` proposals. Votes on an index out of
/// range are left out.
pub fn tally<I>(votes: I, n_proposals: usize) -> Vec<Tally>
where
    I: IntoIterator<Item = (u32, Vote, Option<Qualification>)>,
{
    let mut tallies = vec![Tally::default(); n_proposals];
    for (proposal, vote, qualification) in votes {
        if let Some(t) = tallies.get_mut(proposal as usize) {
            t.add(vote, qualification, 1);
        }
    }
    tallies
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// Where a proposal stands, by Make.org's rule on the shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Zone {
    Consensus,
    Rejection,
    /// Many neutral votes: no clear opinion either way (also a proposal
    /// without any vote yet).
    Limbo,
    Controversy,
}

impl Zone {
    pub const ALL: [Zone; 4] = [Zone::Consensus, Zone::Controversy, Zone::Rejection, Zone::Limbo];

    /// Consensus if agree ≥ 60 %, or neutral < 40 % with disagree < 15 %;
    /// else rejection, the same rule the other way round; else limbo if
    /// neutral ≥ 40 %; else controversy.
    pub fn of(agree: f64, disagree: f64, neutral: f64, total: u64) -> Zone {
        if total == 0 {
            Zone::Limbo
        } else if agree >= 0.6 || (neutral < 0.4 && disagree < 0.15) {
            Zone::Consensus
        } else if disagree >= 0.6 || (neutral < 0.4 && agree < 0.15) {
            Zone::Rejection
        } else if neutral >= 0.4 {
            Zone::Limbo
        } else {
            Zone::Controversy
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Zone::Consensus => "consensus",
            Zone::Rejection => "rejection",
            Zone::Limbo => "limbo",
            Zone::Controversy => "controversy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Zone::Consensus => "Consensus",
            Zone::Rejection => "Rejet",
            Zone::Limbo => "Sans avis tranché",
            Zone::Controversy => "Controverse",
        }
    }
}

/// The indexes of the proposals in the consensus zone, the best measured
/// first: by the lower bound of their agree share, then by index.
pub fn consensual(tallies: &[Tally]) -> Vec<u32> {
    ranked(tallies, Zone::Consensus, |t| t.interval(Vote::Agree).low)
}

/// The indexes of the proposals in the controversy zone, by the lower
/// bound of their smaller side, then by index.
pub fn controversial(tallies: &[Tally]) -> Vec<u32> {
    ranked(tallies, Zone::Controversy, Tally::controversy_low)
}

/// The indexes of the proposals in the rejection zone, by the lower bound
/// of their disagree share, then by index.
pub fn rejected(tallies: &[Tally]) -> Vec<u32> {
    ranked(tallies, Zone::Rejection, |t| t.interval(Vote::Disagree).low)
}

fn ranked(tallies: &[Tally], zone: Zone, key: impl Fn(&Tally) -> f64) -> Vec<u32> {
    let mut hits: Vec<(f64, u32)> =
        (0u32..).zip(tallies).filter(|(_, t)| t.zone() == zone).map(|(i, t)| (key(t), i)).collect();
    hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    hits.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(agree: u64, disagree: u64, neutral: u64) -> Tally {
        Tally { agree, disagree, neutral, ..Tally::default() }
    }

    #[test]
    fn the_seeds_four_published_splits_fall_in_the_seeds_zones() {
        // "93 % d'accord": the most popular idea (its other shares are not
        // published; any split with 93 % agree is a consensus).
        assert_eq!(Zone::of(0.93, 0.04, 0.03, 100), Zone::Consensus);
        // The three controversial proposals, with neutral the remainder.
        assert_eq!(Zone::of(0.36, 0.44, 0.20, 100), Zone::Controversy);
        assert_eq!(Zone::of(0.37, 0.42, 0.21, 100), Zone::Controversy);
        assert_eq!(Zone::of(0.45, 0.38, 0.17, 100), Zone::Controversy);
        // And from counts, as the results compute it.
        assert_eq!(split(36, 44, 20).zone(), Zone::Controversy);
        assert_eq!(split(93, 4, 3).zone(), Zone::Consensus);
    }

    #[test]
    fn the_zone_rule_at_its_edges() {
        assert_eq!(Zone::of(0.60, 0.40, 0.0, 10), Zone::Consensus);
        assert_eq!(Zone::of(0.50, 0.14, 0.36, 10), Zone::Consensus, "few against, few neutral");
        assert_eq!(Zone::of(0.14, 0.50, 0.36, 10), Zone::Rejection);
        assert_eq!(Zone::of(0.10, 0.60, 0.30, 10), Zone::Rejection);
        assert_eq!(Zone::of(0.30, 0.30, 0.40, 10), Zone::Limbo);
        assert_eq!(Zone::of(0.35, 0.35, 0.30, 10), Zone::Controversy);
        assert_eq!(Zone::of(0.0, 0.0, 0.0, 0), Zone::Limbo, "no vote yet");
        // 60 % agree wins even with many neutral votes.
        assert_eq!(Zone::of(0.60, 0.0, 0.40, 10), Zone::Consensus);
    }

    #[test]
    fn tally_counts_by_hand() {
        use Qualification::*;
        use Vote::*;
        let votes = [
            (0, Agree, Some(LikeIt)),
            (0, Agree, None),
            (0, Disagree, Some(NoWay)),
            (1, Neutral, Some(DoNotCare)),
            // A qualification of another vote is not counted.
            (1, Agree, Some(NoWay)),
            // Out of range: left out.
            (7, Agree, None),
        ];
        let t = tally(votes, 2);
        assert_eq!((t[0].agree, t[0].disagree, t[0].neutral), (2, 1, 0));
        assert_eq!(t[0].qualification(LikeIt), 1);
        assert_eq!(t[0].qualification(NoWay), 1);
        assert_eq!((t[1].agree, t[1].disagree, t[1].neutral), (1, 0, 1));
        assert_eq!(t[1].qualification(DoNotCare), 1);
        assert_eq!(t[1].qualification(NoWay), 0);
        assert_eq!(t[0].share(Agree), 2.0 / 3.0);
        assert_eq!(tally([], 0), Vec::<Tally>::new());
    }

    #[test]
    fn a_replaced_vote_is_taken_back() {
        let mut t = Tally::default();
        t.add(Vote::Agree, Some(Qualification::Doable), 1);
        t.add(Vote::Agree, Some(Qualification::Doable), -1);
        t.add(Vote::Disagree, None, 1);
        assert_eq!(t, split(0, 1, 0));
        // Never below zero, whatever the caller does.
        t.add(Vote::Neutral, None, -1);
        assert_eq!(t.neutral, 0);
    }

    #[test]
    fn the_interval_is_agresti_coull_with_z_2() {
        // 8 of 10: p' = (8 + 2) / 14, half = 2·sqrt(p'(1 − p')/14).
        let i = split(8, 2, 0).interval(Vote::Agree);
        let p = 10.0 / 14.0;
        let half = 2.0 * (p * (1.0 - p) / 14.0_f64).sqrt();
        assert!((i.low - (p - half)).abs() < 1e-12);
        assert!((i.high - (p + half)).abs() < 1e-12);
        // No votes: the whole range, nothing undefined.
        let none = Tally::default().interval(Vote::Agree);
        assert_eq!((none.low, none.high), (0.0, 1.0));
        assert_eq!(Tally::default().share(Vote::Agree), 0.0);
        // More votes, narrower interval.
        let wide = split(8, 2, 0).interval(Vote::Agree);
        let narrow = split(800, 200, 0).interval(Vote::Agree);
        assert!(narrow.high - narrow.low < wide.high - wide.low);
    }

    #[test]
    fn rankings_put_the_well_measured_first() {
        let tallies = [
            split(9, 1, 0),       // 90 % of 10
            split(850, 100, 50),  // 85 % of 1000: a higher lower bound
            split(30, 40, 30),    // controversy
            split(400, 400, 200), // controversy, better measured
            split(1, 9, 0),       // rejection
            split(2, 2, 6),       // limbo
        ];
        assert_eq!(consensual(&tallies), vec![1, 0]);
        assert_eq!(controversial(&tallies), vec![3, 2]);
        assert_eq!(rejected(&tallies), vec![4]);
    }
}
