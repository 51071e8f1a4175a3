//! From points on the map to opinion groups, in two stages as Pol.is does:
//! k-means into up to [`MAX_BASE_CLUSTERS`] base clusters, then weighted
//! k-means of the base centres into k = 2 … min(5, 2 + ⌊bases / 12⌋)
//! groups, k chosen by the silhouette.
//!
//! Seeds come from k-means++ driven by a ChaCha8 generator with a fixed
//! seed, over the distinct points sorted by coordinates: the same points
//! give the same groups. Lloyd's iterations use Hamerly's bounds, which
//! skip the points whose nearest centre cannot have changed, and look for
//! the nearest centres among those sorted by abscissa (a million
//! participants × 100 centres would otherwise cost 10⁸ distances per
//! iteration). Rejected: a farthest-point start, deterministic without a
//! generator but drawn to outliers; mini-batch k-means, which needs many
//! more random draws and does not settle exactly.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{MAX_BASE_CLUSTERS, MAX_GROUPS, MIN_PARTICIPANTS};

/// Seed of the k-means++ draws.
const SEED: u64 = 0x0505_0CA1_2D15_0002;

/// Most Lloyd iterations for the base clusters. They only compress the
/// map, and with a million points the later iterations each move a few
/// points by little (100 took 2.6 s there, 20 take under 1 s).
const BASE_ITERATIONS: usize = 20;

/// Most Lloyd iterations for the groups (at most 100 base points).
const GROUP_ITERATIONS: usize = 100;

/// Runs of the group-level k-means for each k, the one of least inertia
/// kept: the bases are at most 100, so this costs nothing and makes the
/// grouping depend less on one unlucky draw.
const RESTARTS: usize = 10;

/// The groups of the rows (participants on the map).
#[derive(Debug)]
pub(super) struct Grouping {
    /// Group id of each row, groups ranked by decreasing size.
    pub(super) group_of_row: Vec<u32>,
    /// Number of rows in each group.
    pub(super) sizes: Vec<usize>,
    /// Weighted silhouette of the grouping.
    pub(super) silhouette: f64,
}

/// Groups the points, or `None` when fewer than two groups make sense:
/// fewer than [`MIN_PARTICIPANTS`] points, or fewer than two distinct ones.
pub(super) fn group(points: &[[f64; 2]]) -> Option<Grouping> {
    if points.len() < MIN_PARTICIPANTS {
        return None;
    }
    let (unique, weights, unique_of_row) = distinct(points);
    if unique.len() < 2 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let k = unique.len().min(MAX_BASE_CLUSTERS);
    let base = compact(kmeans(&unique, &weights, k, BASE_ITERATIONS, &mut rng), &weights);
    if base.centres.len() < 2 {
        return None;
    }
    let base_weights = cluster_weights(&base.assign, &weights, base.centres.len());

    let n_base = base.centres.len();
    let k_max = MAX_GROUPS.min(2 + n_base / 12).min(n_base);
    let mut best: Option<(f64, Clustering)> = None;
    for k in 2..=k_max {
        let candidate = (0..RESTARTS)
            .map(|_| kmeans(&base.centres, &base_weights, k, GROUP_ITERATIONS, &mut rng))
            .reduce(|a, b| if b.inertia < a.inertia { b } else { a });
        let Some(candidate) = candidate.map(|c| compact(c, &base_weights)) else { continue };
        if candidate.centres.len() < 2 {
            continue;
        }
        let score = silhouette(&base.centres, &base_weights, &candidate.assign, candidate.centres.len());
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, candidate));
        }
    }
    let (silhouette, groups) = best?;

    // Rank the groups by decreasing size, then by their lowest row (rows
    // are sorted by participant).
    let n_groups = groups.centres.len();
    let raw_of_row: Vec<usize> =
        unique_of_row.iter().map(|&u| groups.assign[base.assign[u as usize] as usize] as usize).collect();
    let mut sizes = vec![0usize; n_groups];
    let mut first_row = vec![usize::MAX; n_groups];
    for (row, &g) in raw_of_row.iter().enumerate() {
        sizes[g] += 1;
        first_row[g] = first_row[g].min(row);
    }
    let mut order: Vec<usize> = (0..n_groups).collect();
    order.sort_by_key(|&g| (std::cmp::Reverse(sizes[g]), first_row[g]));
    let mut rank = vec![0u32; n_groups];
    for (r, &g) in order.iter().enumerate() {
        rank[g] = r as u32;
    }
    Some(Grouping {
        group_of_row: raw_of_row.iter().map(|&g| rank[g]).collect(),
        sizes: order.iter().map(|&g| sizes[g]).collect(),
        silhouette,
    })
}

/// The distinct points, sorted, with how many rows sit on each, and the
/// distinct point of each row.
fn distinct(points: &[[f64; 2]]) -> (Vec<[f64; 2]>, Vec<f64>, Vec<u32>) {
    let mut sorted: Vec<([f64; 2], u32)> = points.iter().enumerate().map(|(i, &p)| (p, i as u32)).collect();
    sorted.sort_unstable_by(|(a, i), (b, j)| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])).then(i.cmp(j)));
    let mut unique: Vec<[f64; 2]> = Vec::new();
    let mut weights: Vec<f64> = Vec::new();
    let mut unique_of_row = vec![0u32; points.len()];
    for (p, row) in sorted {
        match weights.last_mut() {
            Some(w) if unique.last() == Some(&p) => *w += 1.0,
            _ => {
                unique.push(p);
                weights.push(1.0);
            }
        }
        unique_of_row[row as usize] = (unique.len() - 1) as u32;
    }
    (unique, weights, unique_of_row)
}

/// A partition of weighted points around centres.
#[derive(Debug)]
pub(super) struct Clustering {
    pub(super) centres: Vec<[f64; 2]>,
    pub(super) assign: Vec<u32>,
    /// Σ weight × squared distance to the point's centre.
    pub(super) inertia: f64,
}

/// Weighted k-means: k-means++ seeds, then Lloyd's iterations.
pub(super) fn kmeans(
    points: &[[f64; 2]],
    weights: &[f64],
    k: usize,
    iterations: usize,
    rng: &mut ChaCha8Rng,
) -> Clustering {
    let centres = seed(points, weights, k, rng);
    lloyd(points, weights, centres, iterations)
}

/// Weighted k-means++: the first centre drawn by weight, each next one by
/// weight × squared distance to the nearest centre so far. Stops early
/// when every point sits on a centre.
fn seed(points: &[[f64; 2]], weights: &[f64], k: usize, rng: &mut ChaCha8Rng) -> Vec<[f64; 2]> {
    let mut centres = Vec::with_capacity(k);
    let Some(first) = draw(weights, weights.iter().sum(), |i| weights[i], rng) else { return centres };
    let mut d2 = vec![f64::INFINITY; points.len()];
    let mut next = first;
    loop {
        let c = points[next];
        centres.push(c);
        if centres.len() == k {
            break;
        }
        // Distances and their total in one pass: with a million points and
        // 100 centres, passes over the points are what this costs.
        let mut total = 0.0;
        for ((d, p), w) in d2.iter_mut().zip(points).zip(weights) {
            *d = d.min(dist2(p, &c));
            total += w * *d;
        }
        match draw(weights, total, |i| weights[i] * d2[i], rng) {
            Some(i) => next = i,
            None => break,
        }
    }
    centres
}

/// An index drawn with probability proportional to `mass(i)`, whose sum
/// over the indexes of `weights` is `total`; `None` when it is zero.
fn draw(weights: &[f64], total: f64, mass: impl Fn(usize) -> f64, rng: &mut ChaCha8Rng) -> Option<usize> {
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    let target = rng.random::<f64>() * total;
    let mut acc = 0.0;
    let mut chosen = None;
    for i in 0..weights.len() {
        let m = mass(i);
        if m > 0.0 {
            chosen = Some(i);
            acc += m;
            if acc > target {
                break;
            }
        }
    }
    chosen
}

/// Lloyd's iterations from the given centres, with Hamerly's bounds: per
/// point an upper bound on the distance to its centre and a lower bound on
/// the distance to any other; a point is looked at again only when the
/// bounds, moved by how far the centres moved, no longer settle it. Empty
/// clusters keep their centre.
fn lloyd(points: &[[f64; 2]], weights: &[f64], mut centres: Vec<[f64; 2]>, iterations: usize) -> Clustering {
    let k = centres.len();
    let mut assign = vec![0u32; points.len()];
    let mut upper = vec![0.0; points.len()];
    let mut lower = vec![0.0; points.len()];
    let search = ByAbscissa::new(&centres);
    for (i, p) in points.iter().enumerate() {
        (assign[i], upper[i], lower[i]) = search.nearest_two(p);
    }
    let mut moved = vec![0.0; k];
    let mut half_gap = vec![0.0; k];
    for _ in 0..iterations {
        let mut sums = vec![[0.0; 3]; k];
        for ((p, &w), &a) in points.iter().zip(weights).zip(&assign) {
            let s = &mut sums[a as usize];
            s[0] += w * p[0];
            s[1] += w * p[1];
            s[2] += w;
        }
        let (mut first, mut second, mut arg) = (0.0f64, 0.0f64, usize::MAX);
        for (c, s) in sums.iter().enumerate() {
            moved[c] = 0.0;
            if s[2] > 0.0 {
                let new = [s[0] / s[2], s[1] / s[2]];
                moved[c] = dist2(&new, &centres[c]).sqrt();
                centres[c] = new;
            }
            if moved[c] > first {
                (second, first, arg) = (first, moved[c], c);
            } else if moved[c] > second {
                second = moved[c];
            }
        }
        if first == 0.0 {
            break;
        }
        let search = ByAbscissa::new(&centres);
        for (c, gap) in half_gap.iter_mut().enumerate() {
            let nearest =
                (0..k).filter(|&o| o != c).map(|o| dist2(&centres[c], &centres[o])).fold(f64::INFINITY, f64::min);
            *gap = 0.5 * nearest.sqrt();
        }
        for (i, p) in points.iter().enumerate() {
            let a = assign[i] as usize;
            upper[i] += moved[a];
            lower[i] -= if a == arg { second } else { first };
            let bound = half_gap[a].max(lower[i]);
            if upper[i] <= bound {
                continue;
            }
            upper[i] = dist2(p, &centres[a]).sqrt();
            if upper[i] <= bound {
                continue;
            }
            (assign[i], upper[i], lower[i]) = search.nearest_two(p);
        }
    }
    let inertia = points.iter().zip(weights).zip(&assign).map(|((p, w), &a)| w * dist2(p, &centres[a as usize])).sum();
    Clustering { centres, assign, inertia }
}

/// The centres sorted by abscissa, so that a search for the nearest ones
/// looks only at those whose abscissa is near enough: about a tenth of 100
/// centres, where a full scan looks at all of them.
pub(super) struct ByAbscissa {
    xs: Vec<f64>,
    centres: Vec<([f64; 2], u32)>,
}

impl ByAbscissa {
    pub(super) fn new(centres: &[[f64; 2]]) -> ByAbscissa {
        let mut sorted: Vec<([f64; 2], u32)> = centres.iter().enumerate().map(|(i, &c)| (c, i as u32)).collect();
        sorted.sort_unstable_by(|a, b| a.0[0].total_cmp(&b.0[0]).then(a.1.cmp(&b.1)));
        ByAbscissa { xs: sorted.iter().map(|(c, _)| c[0]).collect(), centres: sorted }
    }

    /// The nearest centre (the lowest index in a tie), its distance, and
    /// the distance to the second nearest (infinite when there is one
    /// centre). Centres are visited by increasing |dx|, until |dx| alone
    /// exceeds the second distance found.
    pub(super) fn nearest_two(&self, p: &[f64; 2]) -> (u32, f64, f64) {
        let (mut best, mut d1, mut d2) = (u32::MAX, f64::INFINITY, f64::INFINITY);
        let mut right = self.xs.partition_point(|&x| x < p[0]);
        let mut left = right;
        while left > 0 || right < self.xs.len() {
            let dx_left = if left > 0 { p[0] - self.xs[left - 1] } else { f64::INFINITY };
            let dx_right = if right < self.xs.len() { self.xs[right] - p[0] } else { f64::INFINITY };
            let (dx, i) = if left > 0 && dx_left <= dx_right {
                left -= 1;
                (dx_left, left)
            } else {
                right += 1;
                (dx_right, right - 1)
            };
            // Not `>=`: a centre at exactly the second distance may tie
            // the first and hold a lower index.
            if dx * dx > d2 {
                break;
            }
            let (c, id) = self.centres[i];
            let d = dist2(p, &c);
            if d < d1 || (d == d1 && id < best) {
                (best, d2, d1) = (id, d1, d);
            } else if d < d2 {
                d2 = d;
            }
        }
        (best, d1.sqrt(), d2.sqrt())
    }
}

/// Drops the clusters left empty, keeping the others in order.
fn compact(c: Clustering, weights: &[f64]) -> Clustering {
    let mass = cluster_weights(&c.assign, weights, c.centres.len());
    let mut new_index = vec![u32::MAX; c.centres.len()];
    let mut centres = Vec::new();
    for (i, (&centre, &m)) in c.centres.iter().zip(&mass).enumerate() {
        if m > 0.0 {
            new_index[i] = centres.len() as u32;
            centres.push(centre);
        }
    }
    let assign = c.assign.iter().map(|&a| new_index[a as usize]).collect();
    Clustering { centres, assign, inertia: c.inertia }
}

/// Total weight of each cluster.
fn cluster_weights(assign: &[u32], weights: &[f64], k: usize) -> Vec<f64> {
    let mut mass = vec![0.0; k];
    for (&a, &w) in assign.iter().zip(weights) {
        mass[a as usize] += w;
    }
    mass
}

/// Mean silhouette of the participants, each base point standing for
/// `weight` participants at the same place: `a` is the mean distance to
/// the other participants of one's group (those on the same base point
/// count, at distance 0), `b` the least mean distance to another group,
/// and a participant alone in their group scores 0.
pub(super) fn silhouette(points: &[[f64; 2]], weights: &[f64], assign: &[u32], k: usize) -> f64 {
    let mass = cluster_weights(assign, weights, k);
    let total: f64 = mass.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let mut sum = 0.0;
    let mut distance = vec![0.0; k];
    for (i, p) in points.iter().enumerate() {
        let own = assign[i] as usize;
        if mass[own] <= 1.0 {
            continue;
        }
        distance.fill(0.0);
        for ((q, &w), &c) in points.iter().zip(weights).zip(assign) {
            distance[c as usize] += w * dist2(p, q).sqrt();
        }
        let a = distance[own] / (mass[own] - 1.0);
        let b =
            (0..k).filter(|&c| c != own && mass[c] > 0.0).map(|c| distance[c] / mass[c]).fold(f64::INFINITY, f64::min);
        let spread = a.max(b);
        if b.is_finite() && spread > 0.0 {
            sum += weights[i] * (b - a) / spread;
        }
    }
    sum / total
}

fn dist2(p: &[f64; 2], q: &[f64; 2]) -> f64 {
    let (dx, dy) = (p[0] - q[0], p[1] - q[1]);
    dx * dx + dy * dy
}
