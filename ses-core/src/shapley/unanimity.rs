//! Unanimity games: v(S) = Σ_c value_c · [members_c ⊆ S], the shape of a dependency game
//! (a term is "this code needs all of these contributions"), with their closed-form
//! Shapley value.
//!
//! Every game is a sum of unanimity games (its Harsanyi dividends), and the Shapley value
//! is additive, so each term is solved alone: the value of a term is split among its
//! members — equally, or in proportion to positive player weights, which is the weighted
//! Shapley value of Kalai and Samet (1987) for a single weight class. Time and memory are
//! linear in Σ|members|.
//!
//! Invariants (checked by [`UnanimityGame::new`], so every value of the type holds them):
//! player names pass [`check_players`]; every term has at least one member, names each
//! member once, and only players of the game; term values are finite; weights, when
//! given, are one per player, finite and positive.

use super::ShapleyError;
use super::game::{Coalition, Game, check_players};

/// A game given as unanimity terms; see the module documentation.
#[derive(Debug, Clone)]
pub struct UnanimityGame {
    players: Vec<String>,
    terms: Vec<(Vec<usize>, f64)>,
    weights: Option<Vec<f64>>,
    /// Per term, its member count and value, contiguous for the sampling walk.
    term_size: Vec<u32>,
    term_value: Vec<f64>,
    /// The terms each player belongs to, as compressed rows: player `p`'s terms are
    /// `player_terms[player_start[p]..player_start[p + 1]]`.
    player_start: Vec<usize>,
    player_terms: Vec<u32>,
}

impl UnanimityGame {
    /// The game over `players` with `terms` (member indices into `players`, value) and
    /// optional per-player `weights` (`None`: all equal, the ordinary Shapley value).
    pub fn new(
        players: Vec<String>,
        terms: Vec<(Vec<usize>, f64)>,
        weights: Option<Vec<f64>>,
    ) -> Result<Self, ShapleyError> {
        check_players(&players)?;
        let n = players.len();
        if terms.len() > u32::MAX as usize {
            return Err(ShapleyError::TooManyTerms { terms: terms.len() });
        }
        if let Some(w) = &weights {
            if w.len() != n {
                return Err(ShapleyError::WeightCount {
                    players: n,
                    weights: w.len(),
                });
            }
            if let Some((p, &bad)) = w
                .iter()
                .enumerate()
                .find(|(_, w)| !(w.is_finite() && **w > 0.0))
            {
                return Err(ShapleyError::BadWeight {
                    player: players[p].clone(),
                    weight: bad,
                });
            }
        }
        // Scratch: the last term that named each player, to find repeats in one pass.
        let mut last_term = vec![usize::MAX; n];
        let mut per_player = vec![0usize; n];
        for (t, (members, value)) in terms.iter().enumerate() {
            if members.is_empty() {
                return Err(ShapleyError::EmptyTerm { term: t + 1 });
            }
            if !value.is_finite() {
                return Err(ShapleyError::NonFiniteValue {
                    place: format!("unanimity term {}", t + 1),
                });
            }
            for &m in members {
                if m >= n {
                    return Err(ShapleyError::UnknownPlayer {
                        name: format!("#{m}"),
                        place: format!("unanimity term {}", t + 1),
                    });
                }
                if last_term[m] == t {
                    return Err(ShapleyError::DuplicateMember {
                        term: t + 1,
                        name: players[m].clone(),
                    });
                }
                last_term[m] = t;
                per_player[m] += 1;
            }
        }

        let mut player_start = Vec::with_capacity(n + 1);
        player_start.push(0);
        for count in &per_player {
            let last = *player_start.last().expect("invariant: starts with 0");
            player_start.push(last + count);
        }
        let mut fill = player_start[..n].to_vec();
        let mut player_terms = vec![0u32; player_start[n]];
        for (t, (members, _)) in terms.iter().enumerate() {
            for &m in members {
                // t < u32::MAX: checked above.
                player_terms[fill[m]] = t as u32;
                fill[m] += 1;
            }
        }
        let term_size = terms.iter().map(|(m, _)| m.len() as u32).collect();
        let term_value = terms.iter().map(|(_, v)| *v).collect();
        Ok(UnanimityGame {
            players,
            terms,
            weights,
            term_size,
            term_value,
            player_start,
            player_terms,
        })
    }

    /// The players' names, in index order.
    pub fn names(&self) -> &[String] {
        &self.players
    }

    /// The terms: member indices and value, as given.
    pub fn terms(&self) -> &[(Vec<usize>, f64)] {
        &self.terms
    }

    /// The players' weights, when the game is weighted.
    pub fn weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }

    /// The (weighted) Shapley value in closed form: each member of a term gets
    /// value · w_i / Σ_{j ∈ members} w_j (w ≡ 1 without weights). Exact up to floating-point
    /// rounding; Σφ = Σ values = v(N) − v(∅).
    pub fn closed_form(&self) -> Vec<f64> {
        let mut phi = vec![0.0; self.players.len()];
        for (members, value) in &self.terms {
            match &self.weights {
                None => {
                    let share = value / members.len() as f64;
                    for &m in members {
                        phi[m] += share;
                    }
                }
                Some(w) => {
                    let total: f64 = members.iter().map(|&m| w[m]).sum();
                    for &m in members {
                        phi[m] += value * (w[m] / total);
                    }
                }
            }
        }
        phi
    }
}

impl Game for UnanimityGame {
    fn players(&self) -> usize {
        self.players.len()
    }

    fn value(&self, coalition: &Coalition) -> f64 {
        self.terms
            .iter()
            .filter(|(members, _)| members.iter().all(|&m| coalition.contains(m)))
            .map(|(_, v)| v)
            .sum()
    }

    /// Counts, per term, how many members have joined; a player's marginal contribution is
    /// the value of the terms it completes. O(Σ|members|) per permutation instead of
    /// n + 1 full evaluations.
    fn marginals(&self, order: &[usize], out: &mut [f64]) {
        let mut joined = vec![0u32; self.term_size.len()];
        for &p in order {
            let mut completed = 0.0;
            for &t in &self.player_terms[self.player_start[p]..self.player_start[p + 1]] {
                let t = t as usize;
                joined[t] += 1;
                if joined[t] == self.term_size[t] {
                    completed += self.term_value[t];
                }
            }
            out[p] = completed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn closed_form_splits_each_term_among_its_members() {
        let game = UnanimityGame::new(
            names(&["a", "b", "c"]),
            vec![(vec![0, 1], 6.0), (vec![2], 1.0), (vec![0, 1, 2], 3.0)],
            None,
        )
        .unwrap();
        assert_eq!(game.closed_form(), [4.0, 4.0, 2.0]);
        assert_eq!(game.value(&Coalition::from_mask(3, 0b011)), 6.0);
        assert_eq!(game.value(&Coalition::full(3)), 10.0);
    }

    #[test]
    fn weights_split_in_proportion() {
        let game = UnanimityGame::new(
            names(&["a", "b"]),
            vec![(vec![0, 1], 9.0)],
            Some(vec![2.0, 1.0]),
        )
        .unwrap();
        assert_eq!(game.closed_form(), [6.0, 3.0]);
    }

    #[test]
    fn incremental_marginals_match_evaluation() {
        let game = UnanimityGame::new(
            names(&["a", "b", "c", "d"]),
            vec![(vec![0, 1], 6.0), (vec![3], 1.0), (vec![0, 2, 3], -2.5)],
            None,
        )
        .unwrap();
        let order = [2, 0, 3, 1];
        let mut fast = [0.0; 4];
        game.marginals(&order, &mut fast);
        let mut c = Coalition::empty(4);
        let mut slow = [0.0; 4];
        for &p in &order {
            let before = game.value(&c);
            c.insert(p);
            slow[p] = game.value(&c) - before;
        }
        assert_eq!(fast, slow);
    }

    #[test]
    fn invalid_games_are_refused() {
        let n = || names(&["a", "b"]);
        let err = |terms, weights| UnanimityGame::new(n(), terms, weights).unwrap_err();
        assert!(matches!(
            err(vec![(vec![], 1.0)], None),
            ShapleyError::EmptyTerm { term: 1 }
        ));
        assert!(matches!(
            err(vec![(vec![0], 1.0), (vec![1, 1], 1.0)], None),
            ShapleyError::DuplicateMember { term: 2, name } if name == "b"
        ));
        assert!(matches!(
            err(vec![(vec![2], 1.0)], None),
            ShapleyError::UnknownPlayer { .. }
        ));
        assert!(matches!(
            err(vec![(vec![0], f64::NAN)], None),
            ShapleyError::NonFiniteValue { .. }
        ));
        assert!(matches!(
            err(vec![], Some(vec![1.0])),
            ShapleyError::WeightCount {
                players: 2,
                weights: 1
            }
        ));
        for bad in [0.0, -1.0, f64::INFINITY, f64::NAN] {
            assert!(matches!(
                err(vec![], Some(vec![1.0, bad])),
                ShapleyError::BadWeight { player, .. } if player == "b"
            ));
        }
    }
}
