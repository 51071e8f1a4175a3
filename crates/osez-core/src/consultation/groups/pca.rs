//! Principal component analysis of the vote matrix, in two dimensions.
//!
//! A missing vote is taken to be the proposal's mean vote, so after
//! centring it is 0: the centred matrix `Y` has exactly the nonzeros of
//! the votes, and the covariance `YᵀY` is never formed. Its two leading
//! eigenvectors come from subspace iteration (power iteration on a block
//! of two vectors, with a Rayleigh–Ritz step to separate them): one pass
//! over the votes per iteration, each computing `Yᵀ(Y V)`.
//!
//! Rejected: the dense covariance, which costs Σ (votes of a participant)²
//! (3 billion products for 35,000 participants voting on 300 proposals,
//! against 40 million per iteration here); power iteration on one vector
//! at a time with deflation, which reads the votes twice as often and
//! converges as λ₂/λ₁ for the first component where the block converges
//! as λ₃/λ₁.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::VoteMatrix;

/// Most iterations; one costs a pass over the votes (25 ms for ten
/// million). Votes with a clear structure converge in 10 to 50; without
/// one, the leading eigenvalues are close and any vectors of their
/// subspace do as well as the exact ones.
const MAX_ITERATIONS: usize = 100;

/// Convergence: the residual ‖C v − λ v‖ of both Ritz vectors, relative to
/// the largest eigenvalue.
const TOLERANCE: f64 = 1e-8;

/// A component whose eigenvalue is below this share of the total variance
/// is rounding noise: it is set to zero rather than given a random
/// direction.
const NEGLIGIBLE: f64 = 1e-10;

/// Seed of the start vectors.
const SEED: u64 = 0x0505_0CA1_2D15_0001;

/// The fitted components and what they explain.
pub(super) struct Fit {
    pub(super) center: Vec<f64>,
    pub(super) components: [Vec<f64>; 2],
    /// Variance along each component (eigenvalues of `YᵀY / rows`).
    pub(super) variances: [f64; 2],
    /// Total variance (trace of `YᵀY / rows`).
    pub(super) total: f64,
}

impl Fit {
    /// Share of the total variance explained by each component.
    pub(super) fn explained_variance(&self) -> [f64; 2] {
        self.variances.map(|v| if self.total > 0.0 { (v / self.total).clamp(0.0, 1.0) } else { 0.0 })
    }
}

/// Fits the two principal components of the matrix.
pub(super) fn fit(m: &VoteMatrix) -> Fit {
    let n = m.n_proposals;
    let center = column_means(m);
    let mut total = 0.0;
    for r in 0..m.rows() {
        let (cols, vals) = m.row(r);
        for (&j, &x) in cols.iter().zip(vals) {
            let y = f64::from(x) - center[j as usize];
            total += y * y;
        }
    }
    if m.rows() == 0 || n == 0 || total <= 0.0 {
        return Fit { center, components: [vec![0.0; n], vec![0.0; n]], variances: [0.0; 2], total: 0.0 };
    }

    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let start: Vec<[f64; 2]> = (0..n).map(|_| [rng.random::<f64>() - 0.5, rng.random::<f64>() - 0.5]).collect();
    let mut v = orthonormalise(&start, &start);
    let mut w = vec![[0.0; 2]; n];
    let mut ritz = v.clone();
    let mut values = [0.0; 2];
    for _ in 0..MAX_ITERATIONS {
        multiply(m, &center, &v, &mut w);
        let h = [dot(&v, &w, 0, 0), 0.5 * (dot(&v, &w, 0, 1) + dot(&v, &w, 1, 0)), dot(&v, &w, 1, 1)];
        let (lambda, [c, s]) = eigen2(h);
        values = lambda;
        // Ritz vectors V R and their images W R.
        let rotate = |a: &[f64; 2]| [c * a[0] + s * a[1], -s * a[0] + c * a[1]];
        ritz = v.iter().map(rotate).collect();
        let image: Vec<[f64; 2]> = w.iter().map(rotate).collect();
        let residual = (0..2)
            .map(|k| image.iter().zip(&ritz).map(|(wi, vi)| (wi[k] - lambda[k] * vi[k]).powi(2)).sum::<f64>().sqrt())
            .fold(0.0, f64::max);
        if residual <= TOLERANCE * lambda[0].abs() || lambda[0] <= 0.0 {
            break;
        }
        v = orthonormalise(&image, &ritz);
    }

    let rows = m.rows() as f64;
    let mut components = [vec![0.0; n], vec![0.0; n]];
    let mut variances = [0.0; 2];
    for k in 0..2 {
        if values[k] <= NEGLIGIBLE * total {
            continue;
        }
        variances[k] = values[k] / rows;
        components[k] = ritz.iter().map(|r| r[k]).collect();
        orient(&mut components[k]);
    }
    Fit { center, components, variances, total: total / rows }
}

/// Each participant's place on the two components, from their own votes
/// only, scaled by `sqrt(n_proposals / votes)` so that someone who voted
/// on few proposals is not drawn towards the centre.
pub(super) fn project(m: &VoteMatrix, fit: &Fit) -> Vec<[f64; 2]> {
    let n = m.n_proposals as f64;
    let [c0, c1] = &fit.components;
    (0..m.rows())
        .map(|r| {
            let (cols, vals) = m.row(r);
            let mut p = [0.0; 2];
            for (&j, &x) in cols.iter().zip(vals) {
                let y = f64::from(x) - fit.center[j as usize];
                p[0] += y * c0[j as usize];
                p[1] += y * c1[j as usize];
            }
            let scale = (n / cols.len() as f64).sqrt();
            // `+ 0.0` turns −0.0 into 0.0: equal points must have equal bits.
            [p[0] * scale + 0.0, p[1] * scale + 0.0]
        })
        .collect()
}

/// Mean vote per proposal over the rows, 0 where nobody voted.
fn column_means(m: &VoteMatrix) -> Vec<f64> {
    let mut sums = vec![0i64; m.n_proposals];
    let mut counts = vec![0u64; m.n_proposals];
    for (&j, &x) in m.cols.iter().zip(&m.vals) {
        sums[j as usize] += i64::from(x);
        counts[j as usize] += 1;
    }
    sums.iter().zip(&counts).map(|(&s, &c)| if c == 0 { 0.0 } else { s as f64 / c as f64 }).collect()
}

/// `w = Yᵀ (Y v)` for the two columns of `v`, in one pass over the rows.
fn multiply(m: &VoteMatrix, center: &[f64], v: &[[f64; 2]], w: &mut [[f64; 2]]) {
    w.fill([0.0; 2]);
    for r in 0..m.rows() {
        let (cols, vals) = m.row(r);
        let mut s = [0.0; 2];
        for (&j, &x) in cols.iter().zip(vals) {
            let y = f64::from(x) - center[j as usize];
            let vj = v[j as usize];
            s[0] += y * vj[0];
            s[1] += y * vj[1];
        }
        for (&j, &x) in cols.iter().zip(vals) {
            let y = f64::from(x) - center[j as usize];
            let wj = &mut w[j as usize];
            wj[0] += s[0] * y;
            wj[1] += s[1] * y;
        }
    }
}

/// Dot product of column `a` of `x` with column `b` of `y`.
fn dot(x: &[[f64; 2]], y: &[[f64; 2]], a: usize, b: usize) -> f64 {
    x.iter().zip(y).map(|(p, q)| p[a] * q[b]).sum()
}

/// Eigen-decomposition of the symmetric 2×2 matrix `[[a, b], [b, d]]`
/// given as `[a, b, d]`: the eigenvalues, largest first, and the rotation
/// `[cos θ, sin θ]` whose columns `(c, s)` and `(−s, c)` are their
/// eigenvectors.
pub(super) fn eigen2([a, b, d]: [f64; 3]) -> ([f64; 2], [f64; 2]) {
    let theta = 0.5 * (2.0 * b).atan2(a - d);
    let (s, c) = theta.sin_cos();
    let first = c * c * a + 2.0 * c * s * b + s * s * d;
    let second = s * s * a - 2.0 * c * s * b + c * c * d;
    ([first, second], [c, s])
}

/// Gram–Schmidt on the two columns of `x`; a column that vanishes (rank
/// one, or a single proposal) is taken from `fallback`, or left at zero.
fn orthonormalise(x: &[[f64; 2]], fallback: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let norm0 = dot(x, x, 0, 0).sqrt();
    if norm0 == 0.0 {
        return x.to_vec();
    }
    let q0: Vec<f64> = x.iter().map(|p| p[0] / norm0).collect();
    let second = |src: &[[f64; 2]]| {
        let proj: f64 = q0.iter().zip(src).map(|(q, p)| q * p[1]).sum();
        let rest: Vec<f64> = q0.iter().zip(src).map(|(q, p)| p[1] - proj * q).collect();
        let before = src.iter().map(|p| p[1] * p[1]).sum::<f64>().sqrt();
        let after = rest.iter().map(|r| r * r).sum::<f64>().sqrt();
        (after > 1e-12 * before && after > 0.0).then(|| rest.into_iter().map(|r| r / after).collect::<Vec<f64>>())
    };
    let q1 = second(x).or_else(|| second(fallback)).unwrap_or_else(|| vec![0.0; x.len()]);
    q0.into_iter().zip(q1).map(|(a, b)| [a, b]).collect()
}

/// Flips `v` so that its largest loading (the first one in a tie) is
/// positive: eigenvectors have no sign of their own.
fn orient(v: &mut [f64]) {
    let mut best = 0.0f64;
    let mut sign = 1.0;
    for &x in v.iter() {
        if x.abs() > best {
            best = x.abs();
            sign = x.signum();
        }
    }
    if sign < 0.0 {
        for x in v.iter_mut() {
            // Not `-*x`, which would turn 0.0 into −0.0.
            *x = 0.0 - *x;
        }
    }
}
