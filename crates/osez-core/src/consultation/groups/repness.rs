//! What sets each group apart, and what the groups share, from counts of
//! votes per group and proposal.
//!
//! Every share is smoothed as `(n + 1) / (ns + 2)` (a uniform prior), so
//! a proposal few have seen sits near one half and no ratio divides by
//! zero. The z-tests use the same smoothed counts: `n + 1` successes out
//! of `ns + 2` trials.

use super::{MAX_REPRESENTATIVES, Representative, VoteMatrix, Z_90};
use crate::consultation::Vote;

/// Agrees, disagrees and votes seen (neutral included) per group and
/// proposal, and over all the participants on the map.
pub(super) struct Counts {
    n_proposals: usize,
    /// Per group, then proposal: `[agree, disagree, seen]`.
    groups: Vec<[u64; 3]>,
    /// Per proposal, over all groups.
    all: Vec<[u64; 3]>,
}

impl Counts {
    /// Counts the votes of each row into its group.
    pub(super) fn tally(m: &VoteMatrix, group_of_row: &[u32], n_groups: usize) -> Counts {
        let n = m.n_proposals;
        let mut groups = vec![[0u64; 3]; n_groups * n];
        for (r, &g) in group_of_row.iter().enumerate().take(m.rows()) {
            let block = &mut groups[g as usize * n..(g as usize + 1) * n];
            let (cols, vals) = m.row(r);
            for (&j, &x) in cols.iter().zip(vals) {
                let c = &mut block[j as usize];
                c[0] += u64::from(x == 1);
                c[1] += u64::from(x == -1);
                c[2] += 1;
            }
        }
        let mut all = vec![[0u64; 3]; n];
        for block in groups.chunks(n.max(1)) {
            for (a, c) in all.iter_mut().zip(block) {
                for k in 0..3 {
                    a[k] += c[k];
                }
            }
        }
        Counts { n_proposals: n, groups, all }
    }

    fn group(&self, g: usize) -> &[[u64; 3]] {
        &self.groups[g * self.n_proposals..(g + 1) * self.n_proposals]
    }

    fn n_groups(&self) -> usize {
        self.groups.len().checked_div(self.n_proposals).unwrap_or(0)
    }

    /// Group `g`'s representative proposals: those where both the group's
    /// share (against one half) and its difference with the rest (two
    /// proportions) pass the one-sided 90% z-test, the better of agree and
    /// disagree per proposal, ranked by `ratio × z_rest × share × z_half`.
    pub(super) fn representatives(&self, g: usize) -> Vec<Representative> {
        let mut found: Vec<(f64, Representative)> = Vec::new();
        for (p, (inside, all)) in self.group(g).iter().zip(&self.all).enumerate() {
            let seen = inside[2];
            let rest_seen = all[2] - seen;
            let candidates = [(Vote::Agree, 0), (Vote::Disagree, 1)].map(|(vote, k)| {
                let stats = Stats::new(inside[k], seen, all[k] - inside[k], rest_seen);
                (stats.passes().then(|| stats.score()), vote, stats)
            });
            let best = candidates
                .into_iter()
                .filter_map(|(score, vote, stats)| score.map(|s| (s, vote, stats)))
                .reduce(|a, b| if b.0 > a.0 { b } else { a });
            if let Some((score, vote, stats)) = best {
                let representative = Representative {
                    proposal: p as u32,
                    vote,
                    share: stats.share,
                    ratio: stats.ratio,
                    votes: u32::try_from(seen).unwrap_or(u32::MAX),
                };
                found.push((score, representative));
            }
        }
        // Highest score first; the lower proposal index in a tie.
        found.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.proposal.cmp(&b.1.proposal)));
        found.into_iter().take(MAX_REPRESENTATIVES).map(|(_, r)| r).collect()
    }

    /// Group-informed consensus on agreeing, per proposal:
    /// `Π_g (A_g + 1) / (S_g + 2)`.
    pub(super) fn consensus(&self) -> Vec<f64> {
        (0..self.n_proposals)
            .map(|p| (0..self.n_groups()).map(|g| smoothed(self.group(g)[p][0], self.group(g)[p][2])).product())
            .collect()
    }
}

/// The figures of one proposal and one way of voting for one group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Stats {
    /// Smoothed share of the group voting that way (`pa`).
    pub(super) share: f64,
    /// `share` over the same share among the rest (`ra`).
    pub(super) ratio: f64,
    /// z of the group's share against one half (`pat`).
    pub(super) z_half: f64,
    /// z of the group's share against the rest's (`rat`).
    pub(super) z_rest: f64,
}

impl Stats {
    /// From `n` votes that way out of `seen` in the group, and `rest_n`
    /// out of `rest_seen` among the other participants on the map.
    pub(super) fn new(n: u64, seen: u64, rest_n: u64, rest_seen: u64) -> Stats {
        let share = smoothed(n, seen);
        let rest = smoothed(rest_n, rest_seen);
        Stats { share, ratio: share / rest, z_half: z_half(n, seen), z_rest: z_two(n, seen, rest_n, rest_seen) }
    }

    /// Whether both z-tests exceed the 90% threshold.
    pub(super) fn passes(&self) -> bool {
        self.z_half > Z_90 && self.z_rest > Z_90
    }

    /// Ranking score, `ra × rat × pa × pat`.
    pub(super) fn score(&self) -> f64 {
        self.ratio * self.z_rest * self.share * self.z_half
    }
}

/// `(n + 1) / (seen + 2)`.
fn smoothed(n: u64, seen: u64) -> f64 {
    (n as f64 + 1.0) / (seen as f64 + 2.0)
}

/// One-proportion z of the smoothed share against one half:
/// `(p − ½) / sqrt(¼ / (seen + 2))`, that is `(2n − seen) / sqrt(seen + 2)`.
pub(super) fn z_half(n: u64, seen: u64) -> f64 {
    (2.0 * n as f64 - seen as f64) / (seen as f64 + 2.0).sqrt()
}

/// Two-proportion z (pooled) of the smoothed shares of the group and of
/// the rest; the smoothing keeps the pooled share strictly between 0 and
/// 1, so the denominator is never zero.
pub(super) fn z_two(n: u64, seen: u64, rest_n: u64, rest_seen: u64) -> f64 {
    let (n1, n2) = (seen as f64 + 2.0, rest_seen as f64 + 2.0);
    let (x1, x2) = (n as f64 + 1.0, rest_n as f64 + 1.0);
    let pooled = (x1 + x2) / (n1 + n2);
    let spread = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    (x1 / n1 - x2 / n2) / spread
}
