//! Opinion groups, as Pol.is computes them: a map of the participants drawn
//! from how they voted, the groups it shows, what sets each group apart
//! (its representative proposals) and what all groups share (the
//! group-informed consensus).
//!
//! The steps, each in its own file:
//! 1. the votes become a sparse participants × proposals matrix (1 agree,
//!    −1 disagree, 0 neutral), keeping the participants who voted on at
//!    least `min(MIN_VOTES, n_proposals)` proposals (here);
//! 2. a principal component analysis in two dimensions places each of them
//!    on a plane (`pca`);
//! 3. k-means gathers the points into up to 100 base clusters, then the
//!    base clusters into 2 to 5 groups, the number chosen by the silhouette
//!    (`kmeans`);
//! 4. counts of votes per group give the representative proposals and the
//!    consensus (`repness`).
//!
//! Everything is a pure function of the votes: no I/O, no threads, no clock
//! and no randomness from the system (the k-means seeds come from a ChaCha8
//! generator with a fixed seed). The result does not depend on the order of
//! the votes and is the same, to the bit, from one run to the next, so the
//! published open data can be recomputed and checked.

mod kmeans;
mod pca;
mod repness;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use super::{CastVote, Vote};

/// Votes a participant needs (on distinct proposals, neutral ones
/// included) before they are placed on the map; when there are fewer
/// proposals in play, voting on all of them is enough.
pub const MIN_VOTES: usize = 7;

/// Fewest participants on the map for groups to be formed: below it, the
/// points are still given, all in group 0, and there are no groups.
pub const MIN_PARTICIPANTS: usize = 4;

/// Most base clusters the participants are first gathered into.
pub const MAX_BASE_CLUSTERS: usize = 100;

/// Most opinion groups.
pub const MAX_GROUPS: usize = 5;

/// Most representative proposals given for a group.
pub const MAX_REPRESENTATIVES: usize = 5;

/// Threshold both z-tests of a representative proposal must exceed: 90%
/// confidence, one-sided.
pub const Z_90: f64 = 1.2816;

/// The opinion groups of a consultation, computed from its votes by
/// [`opinion_groups`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpinionGroups {
    /// One per participant on the map, sorted by participant.
    pub points: Vec<Point>,
    /// The groups, ids `0..`, by decreasing size; empty when fewer than two
    /// groups make sense.
    pub groups: Vec<Group>,
    /// Group-informed consensus on agreeing, per proposal index (length
    /// `n_proposals`): the product over the groups of each group's share
    /// of agreement, `Π (A_g + 1) / (S_g + 2)`. `None` when there are no
    /// groups.
    pub consensus: Vec<Option<f64>>,
    /// The principal components the map is drawn from.
    pub pca: Pca,
    /// Weighted silhouette of the chosen grouping, in [−1, 1]; `None` when
    /// there are no groups.
    pub silhouette: Option<f64>,
}

/// A participant on the map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The participant's index, as given in the votes.
    pub participant: u32,
    /// Coordinate on the first principal component.
    pub x: f64,
    /// Coordinate on the second principal component.
    pub y: f64,
    /// The id of the participant's group (0 when there are no groups).
    pub group: u32,
}

/// An opinion group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Rank of the group, from 0 for the largest; ties go to the group
    /// holding the lowest participant index.
    pub id: u32,
    /// Number of participants in the group.
    pub size: u32,
    /// Mean position of its participants on the map, first component.
    pub x: f64,
    /// Mean position of its participants on the map, second component.
    pub y: f64,
    /// The proposals that set the group apart from the others, most
    /// representative first, at most [`MAX_REPRESENTATIVES`].
    pub representatives: Vec<Representative>,
}

/// A proposal on which a group votes one way notably more than the other
/// participants on the map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Representative {
    /// The proposal's index.
    pub proposal: u32,
    /// The way the group leans: [`Vote::Agree`] or [`Vote::Disagree`].
    pub vote: Vote,
    /// Share of the group voting that way, smoothed: `(n + 1) / (ns + 2)`
    /// (Pol.is `pa` or `pd`).
    pub share: f64,
    /// `share` divided by the same share among the other participants on
    /// the map (Pol.is `ra` or `rd`).
    pub ratio: f64,
    /// Votes the group's members cast on the proposal, neutral included
    /// (Pol.is `ns`).
    pub votes: u32,
}

/// The two principal components of the centred vote matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    /// Mean vote per proposal over the participants on the map (0 where
    /// none voted): the value a missing vote is taken to be.
    pub center: Vec<f64>,
    /// The two components, unit vectors of length `n_proposals`, each
    /// oriented so that its largest loading is positive; all zeros when
    /// the votes leave no variance in that direction.
    pub components: [Vec<f64>; 2],
    /// Share of the total variance each component explains, in [0, 1].
    pub explained_variance: [f64; 2],
}

/// Computes the opinion groups from the last vote of each participant on
/// each proposal in play. Participants and proposals are dense indexes;
/// votes whose indexes are out of range are ignored, and should a
/// participant appear twice on a proposal, one vote is kept whatever the
/// order (the lowest, disagree before neutral before agree).
pub fn opinion_groups(votes: &[CastVote], n_participants: usize, n_proposals: usize) -> OpinionGroups {
    let matrix = VoteMatrix::build(votes, n_participants, n_proposals);
    let fit = pca::fit(&matrix);
    let projections = pca::project(&matrix, &fit);
    let grouping = kmeans::group(&projections);

    let group_of = |row: usize| grouping.as_ref().map_or(0, |g| g.group_of_row[row]);
    let points: Vec<Point> = matrix
        .participants
        .iter()
        .zip(&projections)
        .enumerate()
        .map(|(row, (&participant, &[x, y]))| Point { participant, x, y, group: group_of(row) })
        .collect();
    let pca = Pca { explained_variance: fit.explained_variance(), center: fit.center, components: fit.components };
    let Some(grouping) = grouping else {
        return OpinionGroups { points, groups: Vec::new(), consensus: vec![None; n_proposals], pca, silhouette: None };
    };

    let counts = repness::Counts::tally(&matrix, &grouping.group_of_row, grouping.sizes.len());
    let mut sums = vec![[0.0; 2]; grouping.sizes.len()];
    for p in &points {
        let s = &mut sums[p.group as usize];
        s[0] += p.x;
        s[1] += p.y;
    }
    let groups = grouping
        .sizes
        .iter()
        .zip(&sums)
        .enumerate()
        .map(|(g, (&size, sum))| {
            let n = size.max(1) as f64;
            Group {
                id: g as u32,
                size: u32::try_from(size).unwrap_or(u32::MAX),
                x: sum[0] / n,
                y: sum[1] / n,
                representatives: counts.representatives(g),
            }
        })
        .collect();
    OpinionGroups {
        points,
        groups,
        consensus: counts.consensus().into_iter().map(Some).collect(),
        pca,
        silhouette: Some(grouping.silhouette),
    }
}

/// The votes of the participants on the map, as a sparse matrix in
/// compressed rows: row `r` is participant `participants[r]`, its votes
/// are `cols[starts[r]..starts[r + 1]]` (proposal indexes, increasing)
/// with the values in `vals` (1, −1, 0).
struct VoteMatrix {
    n_proposals: usize,
    participants: Vec<u32>,
    starts: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<i8>,
}

impl VoteMatrix {
    /// Counting sort by participant, then each row sorted by proposal: the
    /// matrix, and every sum later taken over it, is then the same whatever
    /// the order of `votes`. Rejected: one global sort of the votes (n log n
    /// over ten million votes, where this is linear but for short sorts of
    /// rows), and a hash map per participant (order-dependent iteration).
    fn build(votes: &[CastVote], n_participants: usize, n_proposals: usize) -> VoteMatrix {
        let in_range = |v: &CastVote| (v.participant as usize) < n_participants && (v.proposal as usize) < n_proposals;
        // Rows up to the last participant who voted: `n_participants` may be
        // far larger than the voters.
        let n_rows = votes.iter().filter(|v| in_range(v)).map(|v| v.participant as usize + 1).max().unwrap_or(0);
        let mut offsets = vec![0usize; n_rows + 1];
        for v in votes.iter().filter(|v| in_range(v)) {
            offsets[v.participant as usize + 1] += 1;
        }
        for i in 0..n_rows {
            offsets[i + 1] += offsets[i];
        }
        // Key: proposal in the high bits, the vote's value + 1 in the low
        // two, so sorting a row orders it by proposal, then by value.
        let mut keys = vec![0u64; offsets[n_rows]];
        let mut cursor = offsets.clone();
        for v in votes.iter().filter(|v| in_range(v)) {
            let slot = &mut cursor[v.participant as usize];
            keys[*slot] = (u64::from(v.proposal) << 2) | (v.vote.polis_value() + 1) as u64;
            *slot += 1;
        }
        drop(cursor);

        let threshold = MIN_VOTES.min(n_proposals).max(1);
        let mut matrix = VoteMatrix {
            n_proposals,
            participants: Vec::new(),
            starts: vec![0],
            cols: Vec::with_capacity(keys.len()),
            vals: Vec::with_capacity(keys.len()),
        };
        for participant in 0..n_rows {
            let row = &mut keys[offsets[participant]..offsets[participant + 1]];
            if row.len() < threshold {
                continue;
            }
            // Rows read in order (votes exported by participant) need no sort.
            if !row.is_sorted() {
                row.sort_unstable();
            }
            let start = matrix.cols.len();
            let mut previous = None;
            for &key in row.iter() {
                let proposal = (key >> 2) as u32;
                if previous == Some(proposal) {
                    continue;
                }
                previous = Some(proposal);
                matrix.cols.push(proposal);
                matrix.vals.push((key & 3) as i8 - 1);
            }
            if matrix.cols.len() - start < threshold {
                matrix.cols.truncate(start);
                matrix.vals.truncate(start);
                continue;
            }
            matrix.participants.push(participant as u32);
            matrix.starts.push(matrix.cols.len());
        }
        matrix
    }

    /// Number of rows (participants on the map).
    fn rows(&self) -> usize {
        self.participants.len()
    }

    /// The proposals and values of row `r`.
    fn row(&self, r: usize) -> (&[u32], &[i8]) {
        let range = self.starts[r]..self.starts[r + 1];
        (&self.cols[range.clone()], &self.vals[range])
    }
}
