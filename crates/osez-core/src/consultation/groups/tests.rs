use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::kmeans::{self, Clustering};
use super::pca;
use super::repness::{self, Counts, Stats};
use super::*;

/// Votes from one string per participant, one character per proposal:
/// `a` agree, `d` disagree, `n` neutral, `.` no vote.
fn votes(rows: &[String]) -> Vec<CastVote> {
    let mut out = Vec::new();
    for (participant, row) in rows.iter().enumerate() {
        for (proposal, c) in row.chars().enumerate() {
            let vote = match c {
                'a' => Vote::Agree,
                'd' => Vote::Disagree,
                'n' => Vote::Neutral,
                _ => continue,
            };
            out.push(CastVote { participant: participant as u32, proposal: proposal as u32, vote });
        }
    }
    out
}

fn groups_of(rows: &[String]) -> OpinionGroups {
    opinion_groups(&votes(rows), rows.len(), rows.iter().map(|r| r.len()).max().unwrap_or(0))
}

/// Every number in the result is finite, shares within [0, 1].
fn assert_finite(r: &OpinionGroups) {
    for p in &r.points {
        assert!(p.x.is_finite() && p.y.is_finite(), "{p:?}");
    }
    for g in &r.groups {
        assert!(g.x.is_finite() && g.y.is_finite(), "{g:?}");
        for rep in &g.representatives {
            assert!(rep.share > 0.0 && rep.share < 1.0 && rep.ratio.is_finite(), "{rep:?}");
        }
    }
    for c in r.consensus.iter().flatten() {
        assert!(*c > 0.0 && *c < 1.0, "{c}");
    }
    let pca = &r.pca;
    assert!(pca.center.iter().chain(&pca.components[0]).chain(&pca.components[1]).all(|x| x.is_finite()));
    assert!(pca.explained_variance.iter().all(|x| (0.0..=1.0).contains(x)));
    assert!(r.silhouette.is_none_or(|s| (-1.0..=1.0).contains(&s)));
}

/// Twelve participants (camp A) agree on 0–3 and disagree on 4–5, eight
/// (camp B) the reverse; all agree on 6; 7–9 are split alike in both
/// camps. Participant 20 voted on too few proposals to count.
fn two_camps() -> Vec<String> {
    let mixed = ["and", "dna", "nad"];
    let mut rows: Vec<String> = (0..12).map(|i| format!("aaaadda{}", mixed[i % 3])).collect();
    rows.extend((0..8).map(|i| format!("ddddaaa{}", mixed[i % 3])));
    rows.push("a.a.a.".to_owned());
    rows
}

#[test]
fn two_camps_make_two_groups_told_apart_by_the_dividing_proposals() {
    let r = groups_of(&two_camps());
    assert_finite(&r);
    assert_eq!(r.points.len(), 20, "participant 20 has 3 votes, under the threshold");
    assert_eq!(r.groups.iter().map(|g| g.size).collect::<Vec<_>>(), [12, 8]);
    for p in &r.points {
        assert_eq!(p.group, u32::from(p.participant >= 12), "{p:?}");
    }
    // The camps sit on either side of the first component.
    let side = r.points[0].x.signum();
    for p in &r.points {
        let expected = if p.group == 0 { side } else { -side };
        assert!(p.x.signum() == expected && p.x.abs() > 0.5, "{p:?}");
    }
    assert!(r.pca.explained_variance[0] > 0.6, "{:?}", r.pca.explained_variance);

    // Each dividing proposal scores the same; ties go to the lower index.
    let reps = |g: usize| r.groups[g].representatives.iter().map(|p| (p.proposal, p.vote)).collect::<Vec<_>>();
    use Vote::{Agree as A, Disagree as D};
    assert_eq!(reps(0), [(0, A), (1, A), (2, A), (3, A), (4, D)]);
    assert_eq!(reps(1), [(0, D), (1, D), (2, D), (3, D), (4, A)]);
    let first = r.groups[0].representatives[0];
    assert_eq!((first.share, first.votes), (13.0 / 14.0, 12));
    assert!((first.ratio - (13.0 / 14.0) / (1.0 / 10.0)).abs() < 1e-12);

    let consensus: Vec<f64> = r.consensus.iter().map(|c| c.expect("groups exist")).collect();
    assert!((consensus[6] - 13.0 / 14.0 * 9.0 / 10.0).abs() < 1e-12, "all agree: {}", consensus[6]);
    // A agrees 12/12 and B 0/8 on 0–3, the reverse on 4–5.
    for (p, expected) in
        consensus.iter().zip([13.0 / 14.0 * 1.0 / 10.0; 4].into_iter().chain([1.0 / 14.0 * 9.0 / 10.0; 2]))
    {
        assert!((p - expected).abs() < 1e-12, "dividing: {p} {expected}");
    }
    assert!(consensus[7] < consensus[6] && consensus[7] > consensus[0]);
}

/// Three camps of 16, 14 and 12 participants, each agreeing on its own
/// pair of proposals among 0–5 and disagreeing on the others, with
/// per-participant variation on 6–11 (agree or neutral) so that points
/// are distinct.
fn three_camps() -> Vec<String> {
    let camps = [("aadddd", 16), ("ddaadd", 14), ("ddddaa", 12)];
    let mut rows = Vec::new();
    for (pattern, size) in camps {
        for i in 0..size {
            let noise: String = (0..6).map(|b| if ((i * 5 + 3) >> b) & 1 == 1 { 'a' } else { 'n' }).collect();
            rows.push(format!("{pattern}{noise}"));
        }
    }
    rows
}

#[test]
fn three_camps_make_three_groups() {
    let r = groups_of(&three_camps());
    assert_finite(&r);
    assert_eq!(r.groups.iter().map(|g| g.size).collect::<Vec<_>>(), [16, 14, 12]);
    for p in &r.points {
        let camp = match p.participant {
            0..16 => 0,
            16..30 => 1,
            _ => 2,
        };
        assert_eq!(p.group, camp, "{p:?}");
    }
    for (g, agreed) in r.groups.iter().zip([[0, 1], [2, 3], [4, 5]]) {
        let top = &g.representatives[0];
        assert!(agreed.contains(&top.proposal) && top.vote == Vote::Agree, "{g:?}");
    }
    assert!(r.silhouette.is_some_and(|s| s > 0.5), "{:?}", r.silhouette);
}

#[test]
fn participants_under_the_threshold_are_left_off_the_map() {
    // Ten proposals: 7 votes count, 6 do not (neutral votes included).
    let rows = ["aaaaaaa...", "nnnnnnn...", "aaaaaa....", "dddddddddd", ".nnnnnn..."].map(String::from);
    let r = groups_of(&rows);
    assert_eq!(r.points.iter().map(|p| p.participant).collect::<Vec<_>>(), [0, 1, 3]);
    assert!(r.groups.is_empty(), "3 participants are too few for groups");
    assert!(r.consensus.iter().all(Option::is_none));

    // Four proposals: voting on all four is enough.
    let rows = ["aadd", "ddaa", "aad.", "nadd", "dd.a"].map(String::from);
    let r = groups_of(&rows);
    assert_eq!(r.points.iter().map(|p| p.participant).collect::<Vec<_>>(), [0, 1, 3]);
}

#[test]
fn the_order_of_the_votes_does_not_matter() {
    let mut rows = three_camps();
    rows.extend(two_camps().into_iter().map(|r| format!("{r}.d.a")));
    let mut cast = votes(&rows);
    // A repeated vote is resolved the same way whatever its place.
    cast.push(CastVote { participant: 3, proposal: 2, vote: Vote::Agree });
    let n_proposals = 16;
    let reference = opinion_groups(&cast, rows.len(), n_proposals);
    assert_finite(&reference);
    assert!(reference.groups.len() >= 2);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..5 {
        cast.shuffle(&mut rng);
        assert_eq!(opinion_groups(&cast, rows.len(), n_proposals), reference);
    }
    cast.reverse();
    assert_eq!(opinion_groups(&cast, rows.len(), n_proposals), reference);
}

#[test]
fn edge_cases_give_finite_results_without_panicking() {
    let empty = opinion_groups(&[], 0, 0);
    assert!(empty.points.is_empty() && empty.groups.is_empty() && empty.consensus.is_empty());
    assert_finite(&empty);

    let no_votes = opinion_groups(&[], 10, 5);
    assert!(no_votes.points.is_empty() && no_votes.consensus == [None; 5]);
    assert_eq!(no_votes.pca.components[0], [0.0; 5]);

    // Everyone votes alike: one point, at the origin, no groups.
    let same = groups_of(&vec!["aadnaadn".to_owned(); 10]);
    assert_finite(&same);
    assert_eq!(same.points.len(), 10);
    assert!(same.points.iter().all(|p| p.x == 0.0 && p.y == 0.0 && p.group == 0));
    assert!(same.groups.is_empty() && same.consensus.iter().all(Option::is_none));
    assert_eq!(same.pca.explained_variance, [0.0, 0.0]);

    let single = groups_of(&["adnadnad".to_owned()]);
    assert_finite(&single);
    assert_eq!(single.points.len(), 1);
    assert!(single.groups.is_empty());

    // One proposal: one component, two camps on it.
    let one = groups_of(&["a", "a", "d", "d", "a"].map(String::from));
    assert_finite(&one);
    assert_eq!(one.pca.components, [vec![1.0], vec![0.0]]);
    assert_eq!(one.groups.iter().map(|g| g.size).collect::<Vec<_>>(), [3, 2]);

    // Out-of-range indexes are ignored.
    let mut cast = votes(&two_camps());
    let reference = opinion_groups(&cast, 21, 10);
    cast.push(CastVote { participant: 21, proposal: 0, vote: Vote::Agree });
    cast.push(CastVote { participant: 0, proposal: 10, vote: Vote::Agree });
    cast.push(CastVote { participant: u32::MAX, proposal: u32::MAX, vote: Vote::Disagree });
    assert_eq!(opinion_groups(&cast, 21, 10), reference);

    // Two distinct points, four participants: the smallest grouping.
    let pairs = groups_of(&["aaaaaaa", "aaaaaaa", "ddddddd", "ddddddd"].map(String::from));
    assert_finite(&pairs);
    assert_eq!(pairs.groups.len(), 2);
    // Three participants, two opinions: no groups, but a map.
    let three = groups_of(&["aaaaaaa", "aaaaaaa", "ddddddd"].map(String::from));
    assert!(three.groups.is_empty() && three.points.len() == 3 && three.points[2].x != 0.0);
}

#[test]
fn shares_ratios_and_z_tests_match_a_table_computed_by_hand() {
    // Group: 8 agree out of 10 votes seen; rest: 2 out of 10.
    let s = Stats::new(8, 10, 2, 10);
    assert!((s.share - 0.75).abs() < 1e-15); // 9/12
    assert!((s.ratio - 3.0).abs() < 1e-15); // (9/12) / (3/12)
    assert!((s.z_half - 6.0 / 12f64.sqrt()).abs() < 1e-12); // (2·8 − 10)/√12 ≈ 1.732
    assert!((s.z_rest - 6f64.sqrt()).abs() < 1e-12); // pooled 1/2: 0.5 / √(¼·(1/12 + 1/12)) ≈ 2.449
    assert!(s.passes());
    assert!((s.score() - 3.0 * 6f64.sqrt() * 0.75 * 6.0 / 12f64.sqrt()).abs() < 1e-12);

    // 6 out of 10: (12 − 10)/√12 ≈ 0.58, not significant against one half.
    assert!(!Stats::new(6, 10, 0, 10).passes());
    // 10 out of 10 against 9 out of 10: z_rest ≈ 0.43, not different enough.
    let close = Stats::new(10, 10, 9, 10);
    assert!(close.z_half > Z_90 && close.z_rest < Z_90 && !close.passes());
    // Nothing seen: one half, z = 0.
    assert_eq!((repness::z_half(0, 0), repness::z_two(0, 0, 0, 0)), (0.0, 0.0));

    // Through the counts: group 0 = rows 0–1, group 1 = rows 2–5.
    let rows = ["aaaaaaa", "aaaaaan", "ddddddd", "dddddda", "ddddddn", "nnnnnnd"].map(String::from);
    let matrix = VoteMatrix::build(&votes(&rows), 6, 7);
    let counts = Counts::tally(&matrix, &[0, 0, 1, 1, 1, 1], 2);
    // Proposal 0: group 0 agrees 2/2 (pa = 3/4), rest 0/4 (1/6): ra = 4.5,
    // z_half = 2/√4 = 1, not significant: group 0 is too small.
    assert!(counts.representatives(0).is_empty());
    // Group 1 disagrees 3/4 on 0–5 (pd = 4/6), rest 0/2 (1/4): z_half =
    // 2/√6 ≈ 0.82, not significant either.
    assert!(counts.representatives(1).is_empty());
    let consensus = counts.consensus();
    assert!((consensus[0] - 3.0 / 4.0 * 1.0 / 6.0).abs() < 1e-15);
    // Proposal 6: group 0 saw 2 votes, 1 agree (2/4); group 1 saw 4, 1 agree (2/6).
    assert!((consensus[6] - 2.0 / 4.0 * 2.0 / 6.0).abs() < 1e-15);
}

/// Eigenvalues and vectors of a small symmetric matrix by Jacobi
/// rotations, to check the power iteration against.
#[expect(clippy::needless_range_loop, reason = "rotations read as in the textbook, by index")]
fn jacobi(mut a: Vec<Vec<f64>>) -> Vec<(f64, Vec<f64>)> {
    let n = a.len();
    let mut v: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect()).collect();
    for _ in 0..100 {
        for p in 0..n {
            for q in p + 1..n {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = 0.5 * (2.0 * a[p][q]).atan2(a[q][q] - a[p][p]);
                let (s, c) = theta.sin_cos();
                for k in 0..n {
                    let (akp, akq) = (a[k][p], a[k][q]);
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p][k], a[q][k]);
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in v.iter_mut() {
                    let (vp, vq) = (row[p], row[q]);
                    row[p] = c * vp - s * vq;
                    row[q] = s * vp + c * vq;
                }
            }
        }
    }
    let mut pairs: Vec<(f64, Vec<f64>)> = (0..n).map(|k| (a[k][k], v.iter().map(|row| row[k]).collect())).collect();
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0));
    pairs
}

#[test]
fn power_iteration_finds_the_components_of_the_dense_covariance() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (n, p) = (60, 12);
    let rows: Vec<String> = (0..n)
        .map(|i| {
            (0..p)
                .map(|j| match rng.random_range(0..10) {
                    0..2 => '.',
                    // Two latent directions, so that the top two stand out.
                    2..7 if (i % 3 == 0) == (j < 4) || (i % 2 == 0) == (j >= 8) => 'a',
                    2..7 => 'd',
                    7..9 => 'n',
                    _ => 'a',
                })
                .collect()
        })
        .collect();
    let r = groups_of(&rows);
    let matrix = VoteMatrix::build(&votes(&rows), n, p);
    let mut cov = vec![vec![0.0; p]; p];
    for row in 0..matrix.rows() {
        let (cols, vals) = matrix.row(row);
        let y: Vec<(usize, f64)> =
            cols.iter().zip(vals).map(|(&j, &x)| (j as usize, f64::from(x) - r.pca.center[j as usize])).collect();
        for &(a, ya) in &y {
            for &(b, yb) in &y {
                cov[a][b] += ya * yb / matrix.rows() as f64;
            }
        }
    }
    let total: f64 = (0..p).map(|j| cov[j][j]).sum();
    let eigen = jacobi(cov);
    assert!(eigen[1].0 > 1.2 * eigen[2].0, "a gap to converge on: {:?}", eigen.iter().map(|e| e.0).collect::<Vec<_>>());
    for (k, (value, vector)) in eigen.iter().take(2).enumerate() {
        let explained = value / total;
        assert!(
            (r.pca.explained_variance[k] - explained).abs() < 1e-9,
            "{k}: {:?} {explained}",
            r.pca.explained_variance
        );
        let cosine: f64 = r.pca.components[k].iter().zip(vector).map(|(a, b)| a * b).sum();
        assert!(cosine.abs() > 1.0 - 1e-9, "{k}: {cosine}");
        let largest = r.pca.components[k].iter().fold(0.0f64, |m, x| if x.abs() > m.abs() { *x } else { m });
        assert!(largest > 0.0, "oriented");
    }
    // A participant's point: their centred votes on the components, scaled.
    let (cols, vals) = matrix.row(0);
    let dot: f64 = cols
        .iter()
        .zip(vals)
        .map(|(&j, &x)| (f64::from(x) - r.pca.center[j as usize]) * r.pca.components[0][j as usize])
        .sum();
    assert!((r.points[0].x - dot * (p as f64 / cols.len() as f64).sqrt()).abs() < 1e-12);
}

#[test]
fn silhouette_weighs_each_base_point_by_its_participants() {
    // Two participants at (0, 0) and one at (1, 0) in one group, one at
    // (10, 0) alone in the other:
    // (0, 0): a = (2·0 + 1)/2 = 0.5, b = 10, s = 0.95, twice;
    // (1, 0): a = 2/2 = 1, b = 9, s = 8/9; (10, 0): alone, 0.
    let s = kmeans::silhouette(&[[0.0, 0.0], [1.0, 0.0], [10.0, 0.0]], &[2.0, 1.0, 1.0], &[0, 0, 1], 2);
    assert!((s - (2.0 * 0.95 + 8.0 / 9.0) / 4.0).abs() < 1e-15, "{s}");
}

#[test]
fn weighted_kmeans_finds_separated_blobs() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
    let points: Vec<[f64; 2]> =
        (0..300).map(|i| centres[i % 3]).map(|[x, y]| [x + rng.random::<f64>(), y + rng.random::<f64>()]).collect();
    let weights = vec![1.0; points.len()];
    let Clustering { assign, centres: found, .. } = kmeans::kmeans(&points, &weights, 3, 100, &mut rng);
    for i in 0..points.len() {
        assert_eq!(assign[i], assign[i % 3], "point {i}");
    }
    for c in found {
        assert!(centres.iter().any(|t| (t[0] + 0.5 - c[0]).abs() < 0.2 && (t[1] + 0.5 - c[1]).abs() < 0.2), "{c:?}");
    }
}

#[test]
fn nearest_centres_by_abscissa_match_a_full_scan() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    // Coordinates on a coarse grid, so that ties happen; centre 7 repeats centre 2.
    let mut grid = || f64::from(rng.random_range(0..8u8)) / 2.0;
    let mut centres: Vec<[f64; 2]> = (0..30).map(|_| [grid(), grid()]).collect();
    centres[7] = centres[2];
    let search = kmeans::ByAbscissa::new(&centres);
    for _ in 0..2000 {
        let p = [grid(), grid()];
        let mut by_distance: Vec<(f64, u32)> = centres
            .iter()
            .enumerate()
            .map(|(i, c)| ((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2), i as u32))
            .collect();
        by_distance.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let (best, d1, d2) = search.nearest_two(&p);
        assert_eq!((best, d1, d2), (by_distance[0].1, by_distance[0].0.sqrt(), by_distance[1].0.sqrt()), "{p:?}");
    }
    let alone = kmeans::ByAbscissa::new(&[[1.0, 1.0]]);
    assert_eq!(alone.nearest_two(&[4.0, 5.0]), (0, 5.0, f64::INFINITY));
    assert_eq!(alone.nearest_two(&[-4.0, 1.0]), (0, 5.0, f64::INFINITY));
}

#[test]
fn random_small_consultations_give_finite_results() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut with_groups = 0;
    for _ in 0..200 {
        let (n_participants, n_proposals) = (rng.random_range(0..40), rng.random_range(0..12));
        let cast: Vec<CastVote> = (0..rng.random_range(0..400))
            .map(|_| CastVote {
                // A few indexes out of range on purpose.
                participant: rng.random_range(0..n_participants as u32 + 2),
                proposal: rng.random_range(0..n_proposals as u32 + 2),
                vote: Vote::ALL[rng.random_range(0..3)],
            })
            .collect();
        let r = opinion_groups(&cast, n_participants, n_proposals);
        assert_finite(&r);
        assert_eq!(r.consensus.len(), n_proposals);
        assert!(
            r.groups.len() <= MAX_GROUPS && r.groups.iter().all(|g| g.representatives.len() <= MAX_REPRESENTATIVES)
        );
        assert_eq!(
            r.groups.iter().map(|g| g.size as usize).sum::<usize>(),
            if r.groups.is_empty() { 0 } else { r.points.len() }
        );
        assert!(r.groups.windows(2).all(|w| w[0].size >= w[1].size));
        with_groups += usize::from(!r.groups.is_empty());
    }
    assert!(with_groups > 50, "{with_groups} of 200 with groups");
}

#[test]
fn two_by_two_eigenvalues_come_largest_first() {
    let (values, [c, s]) = pca::eigen2([2.0, 1.0, 2.0]);
    assert!((values[0] - 3.0).abs() < 1e-15 && (values[1] - 1.0).abs() < 1e-15, "{values:?}");
    assert!((c - s).abs() < 1e-15, "first vector along (1, 1): {c} {s}");
    let (values, [c, s]) = pca::eigen2([1.0, 0.0, 4.0]);
    assert_eq!((values, c.abs() < 1e-15, s), ([4.0, 1.0], true, 1.0));
    assert_eq!(pca::eigen2([0.0, 0.0, 0.0]), ([0.0, 0.0], [1.0, 0.0]));
}
