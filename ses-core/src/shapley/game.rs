//! Games as black boxes: the [`Game`] trait that every estimator works through, and the
//! [`Coalition`] bitset it is asked about.
//!
//! A game is its number of players and its characteristic function v, which gives every
//! coalition (set of players) a value. Anything that can answer v — a table, unanimity
//! terms, one day a WebAssembly function — can be sampled; games that can walk a
//! permutation incrementally override [`Game::marginals`] to make sampling fast.
//!
//! Invariants: players are the indices `0..players()`; a coalition only ever holds
//! players below its universe size (bits above it stay zero).

use super::ShapleyError;

/// The largest game whose Shapley value is computed exactly, by enumerating all 2^n
/// coalitions (2^25 values is 256 MiB of `f64`); larger games are sampled.
pub const MAX_EXACT_PLAYERS: usize = 25;

/// A set of players of an `n`-player game, as a bitset (bit `i` of word `i / 64`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Coalition {
    n: usize,
    words: Vec<u64>,
}

impl Coalition {
    /// The empty coalition of an `n`-player game.
    pub fn empty(n: usize) -> Self {
        Coalition {
            n,
            words: vec![0; n.div_ceil(64)],
        }
    }

    /// The grand coalition: every player.
    pub fn full(n: usize) -> Self {
        let mut c = Coalition::empty(n);
        for (k, word) in c.words.iter_mut().enumerate() {
            let bits = (n - 64 * k).min(64);
            *word = if bits == 64 {
                u64::MAX
            } else {
                (1 << bits) - 1
            };
        }
        c
    }

    /// The coalition whose members are the set bits of `mask` (bits at or above `n` are
    /// ignored).
    pub fn from_mask(n: usize, mask: u64) -> Self {
        let mut c = Coalition::empty(n);
        if let Some(word) = c.words.first_mut() {
            *word = if n >= 64 { mask } else { mask & ((1 << n) - 1) };
        }
        c
    }

    /// The number of players of the game this coalition belongs to.
    pub fn universe(&self) -> usize {
        self.n
    }

    /// Whether player `i` is a member; players outside the game never are.
    pub fn contains(&self, i: usize) -> bool {
        i < self.n && (self.words[i / 64] >> (i % 64)) & 1 == 1
    }

    /// Adds player `i`. Panics if `i` is not a player of the game, like indexing would.
    pub fn insert(&mut self, i: usize) {
        assert!(i < self.n, "player {i} of a {}-player game", self.n);
        self.words[i / 64] |= 1 << (i % 64);
    }

    /// Removes player `i`. Panics if `i` is not a player of the game.
    pub fn remove(&mut self, i: usize) {
        assert!(i < self.n, "player {i} of a {}-player game", self.n);
        self.words[i / 64] &= !(1 << (i % 64));
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// The members, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(k, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    64 * k + bit
                })
            })
        })
    }

    /// The bitset's words, least significant player first: the form a value function in
    /// another language (WebAssembly) receives.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// The members as a bitmask, for games of at most 64 players.
    pub fn mask(&self) -> Option<u64> {
        match self.words.len() {
            0 => Some(0),
            1 => Some(self.words[0]),
            _ => None,
        }
    }
}

/// A cooperative game with transferable utility, seen as a black box.
pub trait Game {
    /// The number of players, n; players are `0..n`.
    fn players(&self) -> usize;

    /// v(S): the value of the coalition (whose universe is `players()`). v(∅) need not be
    /// 0; Shapley values share v(N) − v(∅).
    fn value(&self, coalition: &Coalition) -> f64;

    /// Walks `order` (a permutation of all players), adding players one at a time, and
    /// writes into `out[p]` the marginal contribution v(before ∪ {p}) − v(before) of each
    /// player `p`. `out` has `players()` entries.
    ///
    /// The default asks [`Game::value`] n + 1 times; games that can update their value as
    /// one player joins override it, since sampling spends its time here.
    fn marginals(&self, order: &[usize], out: &mut [f64]) {
        let mut coalition = Coalition::empty(self.players());
        let mut before = self.value(&coalition);
        for &p in order {
            coalition.insert(p);
            let after = self.value(&coalition);
            out[p] = after - before;
            before = after;
        }
    }
}

/// Checks that player names can name players everywhere: unique, non-empty, no commas
/// (a table key joins names with commas) and no surrounding whitespace (table keys
/// ignore it, so such a name could never be written in one).
pub(crate) fn check_players(players: &[String]) -> Result<(), ShapleyError> {
    if players.is_empty() {
        return Err(ShapleyError::NoPlayers);
    }
    let mut seen = std::collections::HashSet::with_capacity(players.len());
    for name in players {
        let problem = if name.is_empty() {
            Some("is empty")
        } else if name.contains(',') {
            Some("contains a comma, which separates names in table keys")
        } else if name.trim() != name {
            Some("has leading or trailing whitespace, which table keys ignore")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(ShapleyError::BadPlayerName {
                name: name.clone(),
                problem,
            });
        }
        if !seen.insert(name.as_str()) {
            return Err(ShapleyError::DuplicatePlayer { name: name.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalition_bitset_operations() {
        let mut c = Coalition::empty(130);
        assert!(c.is_empty());
        for i in [0, 63, 64, 129] {
            c.insert(i);
        }
        assert_eq!(c.len(), 4);
        assert_eq!(c.iter().collect::<Vec<_>>(), [0, 63, 64, 129]);
        assert!(c.contains(64) && !c.contains(65) && !c.contains(500));
        c.remove(63);
        assert_eq!(c.iter().collect::<Vec<_>>(), [0, 64, 129]);
        assert_eq!(c.mask(), None);

        let full = Coalition::full(130);
        assert_eq!(full.len(), 130);
        assert_eq!(Coalition::full(64).mask(), Some(u64::MAX));
        assert_eq!(Coalition::full(3).mask(), Some(0b111));
        assert_eq!(Coalition::full(0).mask(), Some(0));
        assert_eq!(Coalition::from_mask(3, 0b1101).mask(), Some(0b101));
    }

    #[test]
    #[should_panic(expected = "player 3 of a 3-player game")]
    fn inserting_a_stranger_panics() {
        Coalition::empty(3).insert(3);
    }

    struct Majority(usize);
    impl Game for Majority {
        fn players(&self) -> usize {
            self.0
        }
        fn value(&self, c: &Coalition) -> f64 {
            if 2 * c.len() > self.0 { 1.0 } else { 0.0 }
        }
    }

    #[test]
    fn default_marginals_walk_the_order() {
        let game = Majority(3);
        let mut out = [0.0; 3];
        game.marginals(&[2, 0, 1], &mut out);
        assert_eq!(out, [1.0, 0.0, 0.0]);
    }

    #[test]
    fn player_names_are_checked() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_players(&names(&["a", "b"])).is_ok());
        assert!(matches!(check_players(&[]), Err(ShapleyError::NoPlayers)));
        assert!(matches!(
            check_players(&names(&["a", "a"])),
            Err(ShapleyError::DuplicatePlayer { name }) if name == "a"
        ));
        for bad in ["", "a,b", " a"] {
            assert!(matches!(
                check_players(&names(&[bad])),
                Err(ShapleyError::BadPlayerName { name, .. }) if name == bad
            ));
        }
    }
}
