//! Test support: seeded random games, and the Shapley value by definition — brute force
//! over all n! orders, written independently of the fast methods so it can catch them out.

use super::game::{Coalition, Game};
use super::rng::Rng;
use super::table::TableGame;
use super::unanimity::UnanimityGame;

pub fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("p{i}")).collect()
}

/// Values uniform in [−10, 10), v(∅) included (so efficiency is about v(N) − v(∅)).
pub fn random_table(rng: &mut Rng, n: usize) -> TableGame {
    let values = (0..1usize << n)
        .map(|_| rng.next_f64() * 20.0 - 10.0)
        .collect();
    TableGame::new(names(n), values).expect("invariant: a valid random table")
}

/// `terms` terms of 1..=n distinct random members, values in [−5, 15), and random weights
/// in [0.1, 5.1) when `weighted`.
pub fn random_unanimity(rng: &mut Rng, n: usize, terms: usize, weighted: bool) -> UnanimityGame {
    let mut pool: Vec<usize> = (0..n).collect();
    let terms = (0..terms)
        .map(|_| {
            let size = 1 + rng.below(n as u64) as usize;
            rng.shuffle(&mut pool);
            (pool[..size].to_vec(), rng.next_f64() * 20.0 - 5.0)
        })
        .collect();
    let weights = weighted.then(|| (0..n).map(|_| 0.1 + rng.next_f64() * 5.0).collect());
    UnanimityGame::new(names(n), terms, weights).expect("invariant: a valid random game")
}

/// A dependency-shaped game: `terms` terms over `n` players with 1..=2·mean − 1 members
/// (mean `mean`), values in (0, 100).
pub fn dependency_game(seed: u64, n: usize, terms: usize, mean: usize) -> UnanimityGame {
    let mut rng = Rng::seed_from_u64(seed);
    let mut pool: Vec<usize> = (0..n).collect();
    let terms = (0..terms)
        .map(|_| {
            let size = 1 + rng.below(2 * mean as u64 - 1) as usize;
            // A partial Fisher–Yates shuffle: the first `size` entries are a random subset.
            for k in 0..size {
                let j = k + rng.below((n - k) as u64) as usize;
                pool.swap(k, j);
            }
            let mut members = pool[..size].to_vec();
            members.sort_unstable();
            (members, 100.0 * (1.0 - rng.next_f64()))
        })
        .collect();
    UnanimityGame::new(names(n), terms, None).expect("invariant: a valid dependency game")
}

/// The next permutation in lexicographic order, or `false` after the last.
fn next_permutation(p: &mut [usize]) -> bool {
    let Some(i) = (1..p.len()).rev().find(|&i| p[i - 1] < p[i]) else {
        return false;
    };
    let j = (i..p.len())
        .rev()
        .find(|&j| p[j] > p[i - 1])
        .expect("invariant: p[i] itself is larger");
    p.swap(i - 1, j);
    p[i..].reverse();
    true
}

/// Calls `visit` with every order of `0..n` and each player's marginal contribution in it,
/// computed from v alone.
fn for_each_order(game: &dyn Game, mut visit: impl FnMut(&[usize], &[f64])) {
    let n = game.players();
    let mut order: Vec<usize> = (0..n).collect();
    let mut marginal = vec![0.0; n];
    loop {
        let mut coalition = Coalition::empty(n);
        let mut before = game.value(&coalition);
        for &p in &order {
            coalition.insert(p);
            let after = game.value(&coalition);
            marginal[p] = after - before;
            before = after;
        }
        visit(&order, &marginal);
        if !next_permutation(&mut order) {
            return;
        }
    }
}

/// The Shapley value by definition: the mean marginal contribution over all n! orders.
pub fn brute_force(game: &dyn Game) -> Vec<f64> {
    let n = game.players();
    let mut sum = vec![0.0; n];
    let mut orders = 0u64;
    for_each_order(game, |_, marginal| {
        orders += 1;
        for (s, m) in sum.iter_mut().zip(marginal) {
            *s += m;
        }
    });
    sum.iter().map(|s| s / orders as f64).collect()
}

/// The weighted Shapley value by Kalai and Samet's random-order definition: players join
/// in an order whose last player is drawn with probability proportional to weight, then
/// the last of the rest, and so on, so P(π) = Π_k w_π(k) / Σ_(j ≤ k) w_π(j); the value is
/// the expected marginal contribution.
pub fn kalai_samet(game: &dyn Game, weights: &[f64]) -> Vec<f64> {
    let n = game.players();
    let mut value = vec![0.0; n];
    for_each_order(game, |order, marginal| {
        let mut probability = 1.0;
        let mut prefix = 0.0;
        for &p in order {
            prefix += weights[p];
            probability *= weights[p] / prefix;
        }
        for (v, m) in value.iter_mut().zip(marginal) {
            *v += probability * m;
        }
    });
    value
}

#[test]
fn brute_force_enumerates_every_order() {
    let mut p = vec![0, 1, 2, 3];
    let mut count = 1;
    while next_permutation(&mut p) {
        count += 1;
    }
    assert_eq!(count, 24);
    assert_eq!(p, [3, 2, 1, 0]);
}
