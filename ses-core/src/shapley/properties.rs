//! Property tests: every method against the definition (brute force over n! orders) on
//! seeded random games of up to 8 players, and the Shapley axioms on the exact method.

use super::game::{Coalition, Game};
use super::rng::Rng;
use super::sampling::{SamplingOptions, sample};
use super::table::TableGame;
use super::testgames::{brute_force, kalai_samet, names, random_table, random_unanimity};

fn assert_close(got: &[f64], want: &[f64], tolerance: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tolerance * (1.0 + w.abs()),
            "{what}: player {i}: {g} vs {w}\n got {got:?}\nwant {want:?}"
        );
    }
}

/// A table game with values from `v` by bitmask.
fn table(n: usize, v: impl Fn(usize) -> f64) -> TableGame {
    TableGame::new(names(n), (0..1usize << n).map(v).collect()).unwrap()
}

#[test]
fn exact_enumeration_equals_the_definition() {
    let mut rng = Rng::seed_from_u64(1);
    for round in 0..40 {
        let n = 1 + round % 8;
        let game = random_table(&mut rng, n);
        assert_close(
            &game.exact(),
            &brute_force(&game),
            1e-10,
            &format!("n = {n}"),
        );
    }
}

#[test]
fn efficiency() {
    let mut rng = Rng::seed_from_u64(2);
    for round in 0..40 {
        let n = 1 + round % 8;
        let game = random_table(&mut rng, n);
        let v = game.values();
        let shared = v[v.len() - 1] - v[0];
        let exact: f64 = game.exact().iter().sum();
        let brute: f64 = brute_force(&game).iter().sum();
        assert!(
            (exact - shared).abs() < 1e-9,
            "n = {n}: {exact} vs {shared}"
        );
        assert!(
            (brute - shared).abs() < 1e-9,
            "n = {n}: {brute} vs {shared}"
        );

        let unanimity = random_unanimity(&mut rng, n, 1 + round % 5, round % 2 == 1);
        let shared = unanimity.value(&Coalition::full(n)) - unanimity.value(&Coalition::empty(n));
        let closed: f64 = unanimity.closed_form().iter().sum();
        assert!(
            (closed - shared).abs() < 1e-9,
            "n = {n}: {closed} vs {shared}"
        );
    }
}

#[test]
fn symmetry() {
    let mut rng = Rng::seed_from_u64(3);
    for round in 0..30 {
        let n = 2 + round % 7;
        let base = random_table(&mut rng, n);
        let i = rng.below(n as u64) as usize;
        let j = (i + 1 + rng.below(n as u64 - 1) as usize) % n;
        // v(S) + v(σS) with σ swapping i and j is invariant under the swap.
        let swap = |m: usize| {
            let (bi, bj) = ((m >> i) & 1, (m >> j) & 1);
            (m & !(1 << i) & !(1 << j)) | (bi << j) | (bj << i)
        };
        let game = table(n, |m| base.values()[m] + base.values()[swap(m)]);
        for phi in [game.exact(), brute_force(&game)] {
            assert!(
                (phi[i] - phi[j]).abs() < 1e-9,
                "n = {n}, players {i} and {j}: {phi:?}"
            );
        }
    }
}

#[test]
fn null_player() {
    let mut rng = Rng::seed_from_u64(4);
    for round in 0..30 {
        let n = 2 + round % 7;
        let base = random_table(&mut rng, n);
        let null = rng.below(n as u64) as usize;
        // v(S) = v(S ∖ {null}): the null player never changes anything.
        let game = table(n, |m| base.values()[m & !(1 << null)]);
        for phi in [game.exact(), brute_force(&game)] {
            assert_eq!(phi[null], 0.0, "n = {n}, null player {null}: {phi:?}");
        }
    }
    // In a unanimity game, a player in no term.
    let game = super::unanimity::UnanimityGame::new(
        names(3),
        vec![(vec![0, 2], 5.0), (vec![0], 1.0)],
        Some(vec![1.0, 3.0, 2.0]),
    )
    .unwrap();
    assert_eq!(game.closed_form()[1], 0.0);
}

#[test]
fn additivity() {
    let mut rng = Rng::seed_from_u64(5);
    for round in 0..30 {
        let n = 1 + round % 8;
        let v = random_table(&mut rng, n);
        let w = random_table(&mut rng, n);
        let sum = table(n, |m| v.values()[m] + w.values()[m]);
        let separately: Vec<f64> = v
            .exact()
            .iter()
            .zip(w.exact())
            .map(|(a, b)| a + b)
            .collect();
        assert_close(&sum.exact(), &separately, 1e-10, &format!("n = {n}"));
        assert_close(&brute_force(&sum), &separately, 1e-10, &format!("n = {n}"));
    }
}

#[test]
fn closed_form_equals_enumeration_for_unanimity_games() {
    let mut rng = Rng::seed_from_u64(6);
    for round in 0..40 {
        let n = 1 + round % 8;
        let game = random_unanimity(&mut rng, n, 1 + round % 7, false);
        let closed = game.closed_form();
        let enumerated = TableGame::from_game(&game, names(n)).unwrap().exact();
        assert_close(&closed, &enumerated, 1e-10, &format!("n = {n}"));
        assert_close(&closed, &brute_force(&game), 1e-10, &format!("n = {n}"));
    }
}

#[test]
fn weighted_closed_form_equals_kalai_samet() {
    let mut rng = Rng::seed_from_u64(7);
    for round in 0..30 {
        let n = 1 + round % 6;
        let game = random_unanimity(&mut rng, n, 1 + round % 4, true);
        let weights = game.weights().unwrap().to_vec();
        assert_close(
            &game.closed_form(),
            &kalai_samet(&game, &weights),
            1e-10,
            &format!("n = {n}, weights {weights:?}"),
        );
    }
    // Equal weights give the ordinary Shapley value.
    let game = random_unanimity(&mut rng, 5, 4, false);
    assert_close(
        &kalai_samet(&game, &[2.0; 5]),
        &game.closed_form(),
        1e-10,
        "equal weights",
    );
}

#[test]
fn sampled_estimates_are_within_four_standard_errors() {
    let mut rng = Rng::seed_from_u64(8);
    let opts = SamplingOptions {
        seed: 11,
        max_samples: 2000,
        target_error: None,
    };
    let mut checked = 0;
    for round in 0..12 {
        let n = 3 + round % 6;
        let games: [Box<dyn Game>; 2] = [
            Box::new(random_table(&mut rng, n)),
            Box::new(random_unanimity(&mut rng, n, 6, false)),
        ];
        for game in &games {
            let exact = brute_force(game.as_ref());
            let s = sample(game.as_ref(), &opts).unwrap();
            assert_eq!(s.pairs, 2000);
            for (i, want) in exact.iter().enumerate() {
                let (mean, stderr) = (s.mean[i], s.stderr[i]);
                assert!(
                    (mean - want).abs() <= 4.0 * stderr + 1e-9,
                    "n = {n}, player {i}: estimate {mean} ± {stderr} vs exact {want}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100);
}

#[test]
fn sampling_is_reproducible_from_the_seed() {
    let mut rng = Rng::seed_from_u64(9);
    let game = random_table(&mut rng, 7);
    let opts = |seed| SamplingOptions {
        seed,
        max_samples: 500,
        target_error: Some(0.05),
    };
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let a = sample(&game, &opts(42)).unwrap();
    let b = sample(&game, &opts(42)).unwrap();
    let c = sample(&game, &opts(43)).unwrap();
    assert_eq!(bits(&a.mean), bits(&b.mean));
    assert_eq!(bits(&a.stderr), bits(&b.stderr));
    assert_eq!(a.pairs, b.pairs);
    assert_ne!(bits(&a.mean), bits(&c.mean));
}

#[test]
fn sampling_stops_at_the_target() {
    let mut rng = Rng::seed_from_u64(10);
    let game = random_table(&mut rng, 8);
    let target = 0.1;
    let s = sample(
        &game,
        &SamplingOptions {
            seed: 1,
            max_samples: 100_000,
            target_error: Some(target),
        },
    )
    .unwrap();
    assert!(
        s.pairs >= super::sampling::MIN_PAIRS && s.pairs < 100_000,
        "{}",
        s.pairs
    );
    assert!(s.stderr.iter().all(|&e| e <= target), "{:?}", s.stderr);
    // One pair fewer would not have met it (the stop is the first pair that does).
    let fewer = sample(
        &game,
        &SamplingOptions {
            seed: 1,
            max_samples: s.pairs - 1,
            target_error: None,
        },
    )
    .unwrap();
    assert!(
        s.pairs == super::sampling::MIN_PAIRS || fewer.stderr.iter().any(|&e| e > target),
        "stopped late"
    );
}
