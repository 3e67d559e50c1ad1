//! Table games: v given for every coalition, indexed by bitmask, and their exact Shapley
//! value by enumeration,
//!
//! φ_i = Σ_{S ⊆ N∖{i}} |S|! (n − |S| − 1)! / n! · (v(S ∪ {i}) − v(S)),
//!
//! in O(n · 2^n) time. The weight of a coalition of size s is 1 / (n · C(n−1, s)); the
//! binomial is computed in integers (exact up to C(24, 12)) and divided once, so nothing
//! overflows and each weight is correctly rounded.
//!
//! Invariants (checked by [`TableGame::new`]): 1 ≤ n ≤ [`MAX_EXACT_PLAYERS`], player names
//! pass [`check_players`], exactly 2^n finite values, bit `i` of an index meaning
//! "player i is a member".

use super::ShapleyError;
use super::game::{Coalition, Game, MAX_EXACT_PLAYERS, check_players};

/// A game given by the value of every coalition; see the module documentation.
#[derive(Debug, Clone)]
pub struct TableGame {
    players: Vec<String>,
    values: Vec<f64>,
}

impl TableGame {
    /// The game over `players` whose coalition with bitmask `m` is worth `values[m]`.
    pub fn new(players: Vec<String>, values: Vec<f64>) -> Result<Self, ShapleyError> {
        check_players(&players)?;
        let n = players.len();
        if n > MAX_EXACT_PLAYERS {
            return Err(ShapleyError::TooManyPlayers {
                players: n,
                max: MAX_EXACT_PLAYERS,
            });
        }
        if values.len() != 1 << n {
            return Err(ShapleyError::TableSize {
                players: n,
                expected: 1 << n,
                got: values.len(),
            });
        }
        if let Some(m) = values.iter().position(|v| !v.is_finite()) {
            return Err(ShapleyError::NonFiniteValue {
                place: format!("the table's value of coalition #{m}"),
            });
        }
        Ok(TableGame { players, values })
    }

    /// The table of any game of at most [`MAX_EXACT_PLAYERS`] players, asking it for the 2^n
    /// values in Gray-code order so that consecutive coalitions differ by one player.
    pub fn from_game<G: Game + ?Sized>(
        game: &G,
        players: Vec<String>,
    ) -> Result<Self, ShapleyError> {
        let n = game.players();
        if players.len() != n {
            return Err(ShapleyError::NameCount {
                players: n,
                names: players.len(),
            });
        }
        if n > MAX_EXACT_PLAYERS {
            return Err(ShapleyError::TooManyPlayers {
                players: n,
                max: MAX_EXACT_PLAYERS,
            });
        }
        let mut values = vec![0.0; 1 << n];
        let mut coalition = Coalition::empty(n);
        values[0] = game.value(&coalition);
        for k in 1usize..1 << n {
            let flipped = k.trailing_zeros() as usize;
            if coalition.contains(flipped) {
                coalition.remove(flipped);
            } else {
                coalition.insert(flipped);
            }
            values[k ^ (k >> 1)] = game.value(&coalition);
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err(ShapleyError::NonFiniteGameValue);
        }
        TableGame::new(players, values)
    }

    /// The players' names, in index (bit) order.
    pub fn names(&self) -> &[String] {
        &self.players
    }

    /// v by bitmask.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The exact Shapley value, φ_i for each player in index order.
    pub fn exact(&self) -> Vec<f64> {
        let n = self.players.len();
        let weights = size_weights(n);
        let v = &self.values;
        (0..n)
            .map(|i| {
                let bit = 1usize << i;
                let mut phi = 0.0;
                // Coalitions without i, as `high` bits above i and `low` bits below it:
                // both halves run over contiguous memory.
                for high in 0..(1usize << (n - 1 - i)) {
                    let base = high << (i + 1);
                    let high_size = base.count_ones();
                    for low in 0..bit {
                        let s = base | low;
                        let size = (high_size + low.count_ones()) as usize;
                        phi += weights[size] * (v[s | bit] - v[s]);
                    }
                }
                phi
            })
            .collect()
    }
}

/// s! (n − s − 1)! / n! for s in 0..n, as 1 / (n · C(n − 1, s)).
fn size_weights(n: usize) -> Vec<f64> {
    let mut binomial: u64 = 1; // C(n − 1, s), exact: at most C(24, 12) here
    (0..n as u64)
        .map(|s| {
            let w = 1.0 / (n as f64 * binomial as f64);
            // C(n−1, s+1) = C(n−1, s) · (n−1−s) / (s+1), exactly divisible.
            binomial = binomial * (n as u64 - 1 - s) / (s + 1);
            w
        })
        .collect()
}

impl Game for TableGame {
    fn players(&self) -> usize {
        self.players.len()
    }

    fn value(&self, coalition: &Coalition) -> f64 {
        let mask = coalition
            .mask()
            .expect("invariant: a table game has at most 25 players");
        self.values[mask as usize]
    }

    /// Tracks the bitmask as players join: O(n) per permutation.
    fn marginals(&self, order: &[usize], out: &mut [f64]) {
        let mut mask = 0usize;
        let mut before = self.values[0];
        for &p in order {
            mask |= 1 << p;
            let after = self.values[mask];
            out[p] = after - before;
            before = after;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("p{i}")).collect()
    }

    #[test]
    fn size_weights_are_the_shapley_weights() {
        // n = 4: 1/4, 1/12, 1/12, 1/4.
        assert_eq!(size_weights(4), [0.25, 1.0 / 12.0, 1.0 / 12.0, 0.25]);
        // Over every coalition not containing i they sum to 1.
        for n in 1..=25 {
            let w = size_weights(n);
            let mut binomial = 1.0;
            let mut total = 0.0;
            for (s, ws) in w.iter().enumerate() {
                total += ws * binomial;
                binomial = binomial * (n - 1 - s) as f64 / (s + 1) as f64;
            }
            assert!((total - 1.0).abs() < 1e-12, "n = {n}: {total}");
        }
    }

    #[test]
    fn glove_game() {
        // Players 0 and 1 hold left gloves, 2 a right glove; a pair is worth 1.
        let v = |m: usize| {
            let left = (m & 1) + ((m >> 1) & 1);
            let right = (m >> 2) & 1;
            left.min(right) as f64
        };
        let game = TableGame::new(names(3), (0..8).map(v).collect()).unwrap();
        let phi = game.exact();
        let want = [1.0 / 6.0, 1.0 / 6.0, 2.0 / 3.0];
        for (got, want) in phi.iter().zip(want) {
            assert!((got - want).abs() < 1e-15, "{phi:?}");
        }
    }

    #[test]
    fn table_from_game_visits_every_coalition() {
        let source = TableGame::new(names(5), (0..32).map(|m| (m * m) as f64).collect()).unwrap();
        let copy = TableGame::from_game(&source, names(5)).unwrap();
        assert_eq!(copy.values(), source.values());
    }

    #[test]
    fn bad_tables_are_refused() {
        assert!(matches!(
            TableGame::new(names(2), vec![0.0; 3]),
            Err(ShapleyError::TableSize {
                players: 2,
                expected: 4,
                got: 3
            })
        ));
        assert!(matches!(
            TableGame::new(names(26), vec![]),
            Err(ShapleyError::TooManyPlayers {
                players: 26,
                max: 25
            })
        ));
        assert!(matches!(
            TableGame::new(names(1), vec![0.0, f64::INFINITY]),
            Err(ShapleyError::NonFiniteValue { .. })
        ));
        let source = TableGame::new(names(2), vec![0.0; 4]).unwrap();
        assert!(matches!(
            TableGame::from_game(&source, names(3)),
            Err(ShapleyError::NameCount {
                players: 2,
                names: 3
            })
        ));
    }
}
