//! Shapley values: how much of a game's value each player earned, and how to pay it out.
//! Game theory and money only — no I/O, no JSON-RPC, no CLI.
//!
//! A *game* gives every coalition (set of players) a value v(S); a player's Shapley value
//! is its marginal contribution v(S ∪ {i}) − v(S) averaged over every order in which the
//! players can join. It is the one way to share v(N) − v(∅) that is efficient, symmetric,
//! gives null players nothing and is additive over games. In SES the players are
//! contributors and the code they depend on.
//!
//! # Parts
//!
//! * [`game`]: the [`Game`] trait (a black box: player count and v), over [`Coalition`]
//!   bitsets, so that anything — one day a WebAssembly value function — can be sampled.
//! * [`unanimity`]: [`UnanimityGame`], v(S) = Σ value_c · [members_c ⊆ S], solved in
//!   closed form (optionally weighted: Kalai–Samet), linear in the terms' size.
//! * [`table`]: [`TableGame`], v given per coalition, solved exactly by enumeration for
//!   n ≤ [`MAX_EXACT_PLAYERS`].
//! * [`sampling`]: seeded antithetic permutation sampling of any [`Game`], with standard
//!   errors and a stopping target.
//! * [`parse`]: games from JSON ([`parse_game`]).
//! * [`explain`](mod@explain): a plain-text account of a game, its method and its axioms.
//! * [`money`]: splitting minor units by weights with integers only (largest remainder),
//!   reading and writing amounts, ISO 4217 minor digits.
//! * [`rng`]: the seeded generator sampling uses (xoshiro256**).
//!
//! [`solve`] picks the method for a parsed game: closed form for unanimity games, exact
//! enumeration for tables, sampling only when asked; [`solve_game`] does the same for any
//! [`Game`], sampling when it is too large to enumerate and sampling is allowed.
//!
//! # Invariants
//!
//! * Deterministic: the same game and options give the same result bit for bit — values in
//!   player order, sampling seeded, no hash-map order anywhere in the output.
//! * Games are valid by construction ([`UnanimityGame::new`], [`TableGame::new`],
//!   [`parse_game`] check everything); a bad game is a [`ShapleyError`] that names the
//!   problem and the fix, never a panic or a NaN.
//! * Money never touches floating point: amounts are `i64` minor units and every split sums
//!   exactly to its total.
//!
//! # Example
//!
//! ```
//! use ses_core::shapley::{parse_game, solve, split_minor, SolveOptions};
//!
//! let game = parse_game(r#"{"players": ["ann", "bob"],
//!     "unanimity": [{"members": ["ann", "bob"], "value": 2}, {"members": ["ann"], "value": 1}]}"#)
//!     .unwrap();
//! let result = solve(&game, &SolveOptions::default()).unwrap();
//! assert_eq!(result.values, [("ann".to_string(), 2.0), ("bob".to_string(), 1.0)]);
//! // 10.00 paid out by those values, in cents.
//! let paid = split_minor(1000, &result.values).unwrap();
//! assert_eq!(paid, [("ann".to_string(), 667), ("bob".to_string(), 333)]);
//! ```

pub mod explain;
pub mod game;
pub mod money;
pub mod parse;
pub mod rng;
pub mod sampling;
pub mod table;
pub mod unanimity;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod speed;
#[cfg(test)]
mod testgames;

use serde::Serialize;

pub use explain::explain;
pub use game::{Coalition, Game, MAX_EXACT_PLAYERS};
pub use money::{
    CURRENCIES, MAX_MINOR_DIGITS, currency_minor_digits, format_amount, integer_weights,
    parse_amount, split_minor, split_minor_integer,
};
pub use parse::{ParsedGame, parse_game};
pub use sampling::{MIN_PAIRS, Sampled, SamplingOptions, sample};
pub use table::TableGame;
pub use unanimity::UnanimityGame;

/// How a result was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// The unanimity formula: exact.
    ClosedForm,
    /// Enumeration of every coalition: exact.
    Exact,
    /// Antithetic permutation sampling: estimates with standard errors.
    Sampled,
}

impl Method {
    /// A stable lower-case name, for output.
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::ClosedForm => "closed-form",
            Method::Exact => "exact",
            Method::Sampled => "sampled",
        }
    }
}

/// Shapley values of a game's players.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapleyResult {
    pub method: Method,
    /// Each player's value, in player order.
    pub values: Vec<(String, f64)>,
    /// Each player's standard error, in player order; sampled results only.
    pub stderr: Option<Vec<(String, f64)>>,
    /// The antithetic pairs drawn; sampled results only.
    pub samples: Option<usize>,
}

/// How [`solve`] and [`solve_game`] may compute.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveOptions {
    /// Sample even when an exact answer is available (a check on the exact methods, or to
    /// bound the time of an expensive black-box game).
    pub force_sampling: bool,
    /// May [`solve_game`] sample a game too large to enumerate? If not, such a game is an
    /// error.
    pub allow_sampling: bool,
    pub sampling: SamplingOptions,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            force_sampling: false,
            allow_sampling: true,
            sampling: SamplingOptions::default(),
        }
    }
}

/// The Shapley values of a parsed game: unanimity games in closed form, tables by exact
/// enumeration, or either by sampling when `opts.force_sampling` (not for a weighted
/// unanimity game, whose weighted value permutation sampling does not estimate).
pub fn solve(game: &ParsedGame, opts: &SolveOptions) -> Result<ShapleyResult, ShapleyError> {
    let names = game.names();
    match game {
        ParsedGame::Unanimity(g) if opts.force_sampling => {
            if g.weights().is_some() {
                return Err(ShapleyError::SamplingWeighted);
            }
            sampled(game, names, &opts.sampling)
        }
        ParsedGame::Unanimity(g) => Ok(exact(Method::ClosedForm, names, g.closed_form())),
        ParsedGame::Table(_) if opts.force_sampling => sampled(game, names, &opts.sampling),
        ParsedGame::Table(g) => Ok(exact(Method::Exact, names, g.exact())),
    }
}

/// The Shapley values of any game whose players are named `names`: exact by enumeration
/// (2^n calls of [`Game::value`]) up to [`MAX_EXACT_PLAYERS`] players, sampled beyond that
/// if `opts.allow_sampling` (or always, if `opts.force_sampling`).
pub fn solve_game<G: Game + ?Sized>(
    game: &G,
    names: &[String],
    opts: &SolveOptions,
) -> Result<ShapleyResult, ShapleyError> {
    let n = game.players();
    if names.len() != n {
        return Err(ShapleyError::NameCount {
            players: n,
            names: names.len(),
        });
    }
    if opts.force_sampling {
        game::check_players(names)?;
        return sampled(game, names, &opts.sampling);
    }
    if n <= MAX_EXACT_PLAYERS {
        let table = TableGame::from_game(game, names.to_vec())?;
        return Ok(exact(Method::Exact, names, table.exact()));
    }
    if !opts.allow_sampling {
        return Err(ShapleyError::SamplingNotAllowed {
            players: n,
            max: MAX_EXACT_PLAYERS,
        });
    }
    game::check_players(names)?;
    sampled(game, names, &opts.sampling)
}

fn named(names: &[String], values: Vec<f64>) -> Vec<(String, f64)> {
    names.iter().cloned().zip(values).collect()
}

fn exact(method: Method, names: &[String], values: Vec<f64>) -> ShapleyResult {
    ShapleyResult {
        method,
        values: named(names, values),
        stderr: None,
        samples: None,
    }
}

fn sampled<G: Game + ?Sized>(
    game: &G,
    names: &[String],
    opts: &SamplingOptions,
) -> Result<ShapleyResult, ShapleyError> {
    let s = sample(game, opts)?;
    Ok(ShapleyResult {
        method: Method::Sampled,
        values: named(names, s.mean),
        stderr: Some(named(names, s.stderr)),
        samples: Some(s.pairs),
    })
}

fn plural(count: &usize) -> &'static str {
    if *count == 1 { "" } else { "s" }
}

/// Why a game, a solution or a payment could not be made. Each message names the
/// problem and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ShapleyError {
    // Games.
    #[error("the game has no players: list at least one in \"players\"")]
    NoPlayers,
    #[error("player {name:?} is listed twice in \"players\": give each player once")]
    DuplicatePlayer { name: String },
    #[error("player name {name:?} {problem}: rename the player")]
    BadPlayerName { name: String, problem: &'static str },
    #[error(
        "{place} names {name:?}, which is not a player: add it to \"players\" or correct the name"
    )]
    UnknownPlayer { name: String, place: String },
    #[error(
        "unanimity term {term} has no members, so its value could be paid to no one: give it members or remove it"
    )]
    EmptyTerm { term: usize },
    #[error(
        "unanimity term {term} lists {name:?} more than once: list each member once (a term is a set of players)"
    )]
    DuplicateMember { term: usize, name: String },
    #[error(
        "the game has {terms} unanimity terms, more than the 4294967295 supported: merge terms with the same members"
    )]
    TooManyTerms { terms: usize },
    #[error("{place} is not a finite number: give a finite value")]
    NonFiniteValue { place: String },
    #[error("{weights} weights were given for {players} players: give one weight per player")]
    WeightCount { players: usize, weights: usize },
    #[error(
        "the weight of {player:?} is {weight}: weights must be finite and greater than 0 (leave a player out of \"weights\" for the default 1)"
    )]
    BadWeight { player: String, weight: f64 },
    #[error("\"weights\" gives {name:?} more than once: give each player's weight once")]
    DuplicateWeight { name: String },
    #[error(
        "\"weights\" apply only to unanimity games: remove them, or describe the game as \"unanimity\" terms"
    )]
    WeightsWithTable,
    #[error("the game has neither \"unanimity\" nor \"table\": give exactly one of them")]
    NeitherForm,
    #[error("the game has both \"unanimity\" and \"table\": give exactly one of them")]
    BothForms,
    #[error(
        "the game's JSON is invalid at line {line}, column {column}: {detail}: fix it (a game is {{\"players\": [names], \"unanimity\": [{{\"members\": [names], \"value\": number}}, …]}} or {{\"players\": [names], \"table\": {{\"name,name\": number, …}}}})"
    )]
    Json {
        line: usize,
        column: usize,
        detail: String,
    },
    #[error(
        "{players} players is too many for an exact Shapley value by enumeration (at most {max}: there are 2^n coalitions): describe the game as unanimity terms, or estimate it by sampling"
    )]
    TooManyPlayers { players: usize, max: usize },
    #[error(
        "a table game of {players} players needs {expected} values (one per coalition, indexed by bitmask), not {got}"
    )]
    TableSize {
        players: usize,
        expected: usize,
        got: usize,
    },
    #[error(
        "the game has {players} players but {names} names were given: give one name per player"
    )]
    NameCount { players: usize, names: usize },
    #[error(
        "table key {key:?} {problem}: write a coalition as its members' names separated by commas"
    )]
    BadCoalitionKey { key: String, problem: String },
    #[error("table keys {first:?} and {second:?} are the same coalition: give each coalition once")]
    DuplicateCoalition { first: String, second: String },
    #[error(
        "the table lacks {missing} coalition{} (the first is {first:?}): give a value for every coalition except the empty one, which defaults to 0",
        plural(.missing)
    )]
    MissingCoalitions { first: String, missing: usize },

    // Solving.
    #[error(
        "the game has {players} players, more than the {max} an exact Shapley value can enumerate, and sampling is not allowed: allow sampling (SolveOptions::allow_sampling) to estimate the values with standard errors"
    )]
    SamplingNotAllowed { players: usize, max: usize },
    #[error(
        "permutation sampling estimates the unweighted Shapley value, not a weighted one: do not force sampling for a game with \"weights\" (its closed form is exact)"
    )]
    SamplingWeighted,
    #[error("bad sampling options: {problem}")]
    BadSamplingOptions { problem: String },
    #[error(
        "the game's value function returned a value that is not a finite number: every coalition's value must be finite"
    )]
    NonFiniteGameValue,

    // Money.
    #[error("cannot split a negative amount ({total} minor units): the total must be 0 or more")]
    NegativeTotal { total: i64 },
    #[error(
        "the weight of {name:?} is {weight}: a negative share cannot be paid; drop the recipient or set its weight to 0"
    )]
    NegativeSplitWeight { name: String, weight: f64 },
    #[error("the weight of {name:?} is {weight}, not a finite number: give a finite weight")]
    NonFiniteSplitWeight { name: String, weight: f64 },
    #[error(
        "none of the {recipients} recipients has a positive weight, so there is nothing to split the amount by: give at least one a positive weight"
    )]
    ZeroWeights { recipients: usize },
    #[error("recipient {name:?} appears twice: merge its weights into one entry")]
    DuplicateRecipient { name: String },
    #[error("amount {text:?} is negative: give an amount of 0 or more")]
    AmountNegative { text: String },
    #[error(
        "amount {text:?} is not a number: write digits with at most one decimal point, such as 12.34 (no sign, spaces, thousands separators, or point without digits on both sides)"
    )]
    AmountNotNumeric { text: String },
    #[error("amount {text:?} is not a finite number: give digits such as 12.34")]
    AmountNotFinite { text: String },
    #[error("amount {text:?} uses an exponent: write the digits out, such as 1200 for 1.2e3")]
    AmountExponent { text: String },
    #[error(
        "amount {text:?} has {decimals} decimals but the currency has {minor_digits}: round it to {minor_digits} decimals"
    )]
    AmountTooPrecise {
        text: String,
        decimals: usize,
        minor_digits: u32,
    },
    #[error("amount {text:?} is too large: at most {max} fits in 64-bit minor units")]
    AmountOverflow { text: String, max: String },
    #[error(
        "a currency with {digits} minor digits is not supported: at most 18 (10^18 minor units must fit in 64 bits)"
    )]
    TooManyMinorDigits { digits: u32 },
    #[error(
        "unknown currency code {code:?}: use an ISO 4217 code SES knows (such as USD, EUR, JPY), or give the number of minor digits"
    )]
    UnknownCurrency { code: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_module_example() {
        let game = parse_game(
            r#"{"players": ["ann", "bob"],
                "unanimity": [{"members": ["ann", "bob"], "value": 2}, {"members": ["ann"], "value": 1}]}"#,
        )
        .unwrap();
        let result = solve(&game, &SolveOptions::default()).unwrap();
        assert_eq!(
            result.values,
            [("ann".to_string(), 2.0), ("bob".to_string(), 1.0)]
        );
        let paid = split_minor(1000, &result.values).unwrap();
        assert_eq!(paid, [("ann".to_string(), 667), ("bob".to_string(), 333)]);
    }

    #[test]
    fn solve_picks_the_method() {
        let unanimity = parse_game(
            r#"{"players": ["a", "b"], "unanimity": [{"members": ["a", "b"], "value": 4}]}"#,
        )
        .unwrap();
        let r = solve(&unanimity, &SolveOptions::default()).unwrap();
        assert_eq!(r.method, Method::ClosedForm);
        assert_eq!(r.values, [("a".to_string(), 2.0), ("b".to_string(), 2.0)]);
        assert_eq!((r.stderr, r.samples), (None, None));

        let table =
            parse_game(r#"{"players": ["a", "b"], "table": {"a": 1, "b": 0, "a,b": 3}}"#).unwrap();
        let r = solve(&table, &SolveOptions::default()).unwrap();
        assert_eq!(r.method, Method::Exact);
        assert_eq!(r.values, [("a".to_string(), 2.0), ("b".to_string(), 1.0)]);

        let forced = SolveOptions {
            force_sampling: true,
            ..SolveOptions::default()
        };
        for game in [&unanimity, &table] {
            let r = solve(game, &forced).unwrap();
            assert_eq!(r.method, Method::Sampled);
            assert_eq!(r.samples, Some(1000));
            // Two players: a pair of reversed orders is every order, so sampling is exact.
            assert_eq!(
                r.values,
                solve(game, &SolveOptions::default()).unwrap().values
            );
            assert_eq!(
                r.stderr,
                Some(vec![("a".to_string(), 0.0), ("b".to_string(), 0.0)])
            );
        }
    }

    #[test]
    fn weighted_games_are_not_sampled() {
        let weighted = parse_game(
            r#"{"players": ["a", "b"], "unanimity": [{"members": ["a", "b"], "value": 4}], "weights": {"a": 3}}"#,
        )
        .unwrap();
        let forced = SolveOptions {
            force_sampling: true,
            ..SolveOptions::default()
        };
        assert!(matches!(
            solve(&weighted, &forced),
            Err(ShapleyError::SamplingWeighted)
        ));
        let r = solve(&weighted, &SolveOptions::default()).unwrap();
        assert_eq!(r.values, [("a".to_string(), 3.0), ("b".to_string(), 1.0)]);
    }

    /// v(S) = 1 when S holds more than half of the players.
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
    fn solve_game_enumerates_small_games_and_samples_large_ones() {
        let small: Vec<String> = (0..5).map(|i| format!("p{i}")).collect();
        let r = solve_game(&Majority(5), &small, &SolveOptions::default()).unwrap();
        assert_eq!(r.method, Method::Exact);
        for (_, v) in &r.values {
            assert!((v - 0.2).abs() < 1e-15);
        }

        let large: Vec<String> = (0..40).map(|i| format!("p{i}")).collect();
        let opts = SolveOptions {
            sampling: SamplingOptions {
                max_samples: 50,
                ..SamplingOptions::default()
            },
            ..SolveOptions::default()
        };
        let r = solve_game(&Majority(40), &large, &opts).unwrap();
        assert_eq!(r.method, Method::Sampled);
        assert_eq!(r.samples, Some(50));
        let total: f64 = r.values.iter().map(|(_, v)| v).sum();
        // Every order has exactly one pivotal player: efficiency holds sample by sample.
        assert!((total - 1.0).abs() < 1e-12, "{total}");

        let refuse = SolveOptions {
            allow_sampling: false,
            ..SolveOptions::default()
        };
        let e = solve_game(&Majority(40), &large, &refuse).unwrap_err();
        assert!(matches!(
            e,
            ShapleyError::SamplingNotAllowed {
                players: 40,
                max: 25
            }
        ));
        assert!(e.to_string().contains("allow sampling"), "{e}");

        assert!(matches!(
            solve_game(&Majority(3), &names(&["a"]), &SolveOptions::default()),
            Err(ShapleyError::NameCount {
                players: 3,
                names: 1
            })
        ));
    }

    #[test]
    fn results_serialise_with_stable_names() {
        let r = ShapleyResult {
            method: Method::ClosedForm,
            values: vec![("a".to_string(), 1.5)],
            stderr: None,
            samples: None,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"method":"closed-form","values":[["a",1.5]],"stderr":null,"samples":null}"#
        );
        assert_eq!(Method::Sampled.as_str(), "sampled");
    }

    #[test]
    fn missing_coalitions_message_is_singular_for_one() {
        let e = parse_game(r#"{"players": ["a", "b"], "table": {"a": 1, "b": 1}}"#).unwrap_err();
        assert!(
            e.to_string()
                .contains("lacks 1 coalition (the first is \"a,b\")"),
            "{e}"
        );
    }
}
