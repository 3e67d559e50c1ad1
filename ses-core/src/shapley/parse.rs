//! Games from JSON files, which are data and so are read here, with plain serde.
//!
//! Two shapes, with exactly one of `unanimity` and `table`:
//!
//! ```json
//! {"players": ["a", "b", "c"],
//!  "unanimity": [{"members": ["a", "b"], "value": 6}, {"members": ["c"], "value": 1}],
//!  "weights": {"a": 2}}
//! ```
//! ```json
//! {"players": ["a", "b"], "table": {"": 0, "a": 1, "b": 1, "b, a": 3}}
//! ```
//!
//! A table key is a coalition: its members' names joined by commas, in any order, spaces
//! around names ignored; `""` is the empty coalition, which may be left out (it is then
//! worth 0), while every other coalition must be given once (a missing one is reported
//! with the count of all missing and the first in bitmask order, the first player being
//! the lowest bit). Weights (unanimity only) default to 1 for players not listed.
//!
//! Invariants: a file is either a valid game or a [`ShapleyError`] naming the first
//! problem and the fix; nothing is guessed (a misspelt name or field is an error, not an
//! ignored entry).

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};

use super::ShapleyError;
use super::game::{Coalition, Game, MAX_EXACT_PLAYERS, check_players};
use super::table::TableGame;
use super::unanimity::UnanimityGame;

/// A game read from JSON.
#[derive(Debug, Clone)]
pub enum ParsedGame {
    Unanimity(UnanimityGame),
    Table(TableGame),
}

impl ParsedGame {
    /// The players' names, in index order.
    pub fn names(&self) -> &[String] {
        match self {
            ParsedGame::Unanimity(g) => g.names(),
            ParsedGame::Table(g) => g.names(),
        }
    }
}

impl Game for ParsedGame {
    fn players(&self) -> usize {
        self.names().len()
    }

    fn value(&self, coalition: &Coalition) -> f64 {
        match self {
            ParsedGame::Unanimity(g) => g.value(coalition),
            ParsedGame::Table(g) => g.value(coalition),
        }
    }

    fn marginals(&self, order: &[usize], out: &mut [f64]) {
        match self {
            ParsedGame::Unanimity(g) => g.marginals(order, out),
            ParsedGame::Table(g) => g.marginals(order, out),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGame {
    players: Vec<String>,
    unanimity: Option<Vec<RawTerm>>,
    table: Option<Entries>,
    weights: Option<Entries>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerm {
    members: Vec<String>,
    value: f64,
}

/// A JSON object of numbers, in file order and with repeated keys kept, so that a key
/// given twice is reported rather than silently overwritten.
struct Entries(Vec<(String, f64)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of numbers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry::<String, f64>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// Player indices by name.
struct Index<'a>(HashMap<&'a str, usize>);

impl<'a> Index<'a> {
    fn new(players: &'a [String]) -> Self {
        Index(
            players
                .iter()
                .enumerate()
                .map(|(i, name)| (name.as_str(), i))
                .collect(),
        )
    }

    /// The index of `name`, or an error saying that `place` names a stranger.
    fn lookup(&self, name: &str, place: impl FnOnce() -> String) -> Result<usize, ShapleyError> {
        self.0
            .get(name)
            .copied()
            .ok_or_else(|| ShapleyError::UnknownPlayer {
                name: name.to_string(),
                place: place(),
            })
    }
}

/// Reads a game; see the module documentation for the two shapes.
pub fn parse_game(json: &str) -> Result<ParsedGame, ShapleyError> {
    let raw: RawGame = serde_json::from_str(json).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        let text = e.to_string();
        // serde_json appends the position, which the message already carries.
        let suffix = format!(" at line {line} column {column}");
        let detail = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
        ShapleyError::Json {
            line,
            column,
            detail,
        }
    })?;
    check_players(&raw.players)?;
    let index = Index::new(&raw.players);

    match (raw.unanimity, raw.table) {
        (None, None) => Err(ShapleyError::NeitherForm),
        (Some(_), Some(_)) => Err(ShapleyError::BothForms),
        (Some(terms), None) => {
            let mut indexed = Vec::with_capacity(terms.len());
            for (t, term) in terms.into_iter().enumerate() {
                let place = || format!("unanimity term {}", t + 1);
                let members = term
                    .members
                    .iter()
                    .map(|m| index.lookup(m, place))
                    .collect::<Result<Vec<_>, _>>()?;
                indexed.push((members, term.value));
            }
            let weights = match raw.weights {
                None => None,
                Some(Entries(entries)) => {
                    let mut weights = vec![1.0; raw.players.len()];
                    let mut given = vec![false; raw.players.len()];
                    for (name, weight) in entries {
                        let p = index.lookup(&name, || "\"weights\"".to_string())?;
                        if std::mem::replace(&mut given[p], true) {
                            return Err(ShapleyError::DuplicateWeight { name });
                        }
                        weights[p] = weight;
                    }
                    Some(weights)
                }
            };
            Ok(ParsedGame::Unanimity(UnanimityGame::new(
                raw.players,
                indexed,
                weights,
            )?))
        }
        (None, Some(Entries(entries))) => {
            if raw.weights.is_some() {
                return Err(ShapleyError::WeightsWithTable);
            }
            let n = raw.players.len();
            if n > MAX_EXACT_PLAYERS {
                return Err(ShapleyError::TooManyPlayers {
                    players: n,
                    max: MAX_EXACT_PLAYERS,
                });
            }
            let mut values = vec![0.0; 1 << n];
            let mut seen = vec![false; 1 << n];
            for (e, (key, value)) in entries.iter().enumerate() {
                let mask = coalition_mask(key, &index)?;
                if std::mem::replace(&mut seen[mask], true) {
                    let first = entries[..e]
                        .iter()
                        .find(|(k, _)| coalition_mask(k, &index).ok() == Some(mask))
                        .map_or_else(String::new, |(k, _)| k.clone());
                    return Err(ShapleyError::DuplicateCoalition {
                        first,
                        second: key.clone(),
                    });
                }
                values[mask] = *value;
            }
            let mut missing = (1..1usize << n).filter(|&m| !seen[m]);
            if let Some(first) = missing.next() {
                return Err(ShapleyError::MissingCoalitions {
                    first: (0..n)
                        .filter(|&i| (first >> i) & 1 == 1)
                        .map(|i| raw.players[i].as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    missing: 1 + missing.count(),
                });
            }
            Ok(ParsedGame::Table(TableGame::new(raw.players, values)?))
        }
    }
}

/// The bitmask of a table key such as `"b, a"`.
fn coalition_mask(key: &str, index: &Index) -> Result<usize, ShapleyError> {
    if key.trim().is_empty() {
        return Ok(0);
    }
    let mut mask = 0usize;
    for name in key.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(ShapleyError::BadCoalitionKey {
                key: key.to_string(),
                problem: "has an empty name next to a comma".to_string(),
            });
        }
        let p = index.lookup(name, || format!("table key {key:?}"))?;
        if (mask >> p) & 1 == 1 {
            return Err(ShapleyError::BadCoalitionKey {
                key: key.to_string(),
                problem: format!("names {name:?} twice"),
            });
        }
        mask |= 1 << p;
    }
    Ok(mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> ShapleyError {
        match parse_game(json) {
            Ok(game) => panic!("parsed {game:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn parses_a_unanimity_game() {
        let game = parse_game(
            r#"{"players": ["a", "b", "c"],
                "unanimity": [{"members": ["a", "b"], "value": 6}, {"members": ["c"], "value": 1}],
                "weights": {"a": 2}}"#,
        )
        .unwrap();
        let ParsedGame::Unanimity(g) = &game else {
            panic!("{game:?}")
        };
        assert_eq!(g.terms(), [(vec![0, 1], 6.0), (vec![2], 1.0)]);
        assert_eq!(g.weights(), Some(&[2.0, 1.0, 1.0][..]));
        assert_eq!(g.closed_form(), [4.0, 2.0, 1.0]);
    }

    #[test]
    fn parses_a_table_game_with_keys_in_any_order() {
        let game =
            parse_game(r#"{"players": ["a", "b"], "table": {"a": 1, " b , a ": 3, "b": 2}}"#)
                .unwrap();
        let ParsedGame::Table(g) = &game else {
            panic!("{game:?}")
        };
        assert_eq!(g.values(), [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(game.names(), ["a", "b"]);
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let e = err("{\"players\": [\"a\",\n ]}");
        let ShapleyError::Json { line, column, .. } = e else {
            panic!("{e:?}")
        };
        assert_eq!((line, column), (2, 2));
        let message = err("{\"players\": [\"a\"], \"unanimity\": [], \"wieghts\": {}}").to_string();
        assert!(
            message.contains("wieghts") && message.contains("line 1"),
            "{message}"
        );
        assert!(
            !message.contains(" at line 1 column"),
            "position given twice: {message}"
        );
        assert!(matches!(
            err(r#"{"players": ["a"], "table": {"a": "1"}}"#),
            ShapleyError::Json { .. }
        ));
    }

    #[test]
    fn shape_errors() {
        assert!(matches!(
            err(r#"{"players": ["a"]}"#),
            ShapleyError::NeitherForm
        ));
        assert!(matches!(
            err(r#"{"players": ["a"], "unanimity": [], "table": {"a": 1}}"#),
            ShapleyError::BothForms
        ));
        assert!(matches!(
            err(r#"{"players": ["a"], "table": {"a": 1}, "weights": {"a": 1}}"#),
            ShapleyError::WeightsWithTable
        ));
        assert!(matches!(
            err(r#"{"players": [], "unanimity": []}"#),
            ShapleyError::NoPlayers
        ));
    }

    #[test]
    fn player_errors() {
        assert!(matches!(
            err(r#"{"players": ["a", "b", "a"], "unanimity": []}"#),
            ShapleyError::DuplicatePlayer { name } if name == "a"
        ));
        assert!(matches!(
            err(r#"{"players": ["a", ""], "unanimity": []}"#),
            ShapleyError::BadPlayerName { name, .. } if name.is_empty()
        ));
        let e = err(r#"{"players": ["a,b"], "unanimity": []}"#);
        assert!(matches!(&e, ShapleyError::BadPlayerName { name, .. } if name == "a,b"));
        assert!(e.to_string().contains("comma"), "{e}");
    }

    #[test]
    fn unanimity_errors() {
        let e = err(r#"{"players": ["a"], "unanimity": [{"members": ["a", "x"], "value": 1}]}"#);
        assert!(
            matches!(&e, ShapleyError::UnknownPlayer { name, place } if name == "x" && place == "unanimity term 1"),
            "{e:?}"
        );
        assert!(matches!(
            err(r#"{"players": ["a"], "unanimity": [{"members": [], "value": 1}]}"#),
            ShapleyError::EmptyTerm { term: 1 }
        ));
        assert!(matches!(
            err(r#"{"players": ["a"], "unanimity": [{"members": ["a", "a"], "value": 1}]}"#),
            ShapleyError::DuplicateMember { term: 1, .. }
        ));
        assert!(matches!(
            err(r#"{"players": ["a"], "unanimity": [], "weights": {"z": 1}}"#),
            ShapleyError::UnknownPlayer { name, place } if name == "z" && place == "\"weights\""
        ));
        assert!(matches!(
            err(r#"{"players": ["a"], "unanimity": [], "weights": {"a": 1, "a": 2}}"#),
            ShapleyError::DuplicateWeight { name } if name == "a"
        ));
        for bad in ["0", "-1"] {
            let json =
                format!(r#"{{"players": ["a"], "unanimity": [], "weights": {{"a": {bad}}}}}"#);
            assert!(
                matches!(err(&json), ShapleyError::BadWeight { .. }),
                "{bad}"
            );
        }
        // Too large for an f64: serde_json refuses it as out of range.
        assert!(matches!(
            err(r#"{"players": ["a"], "unanimity": [], "weights": {"a": 1e999}}"#),
            ShapleyError::Json { .. }
        ));
        // A missing weight is 1.
        let ParsedGame::Unanimity(g) =
            parse_game(r#"{"players": ["a", "b"], "unanimity": [], "weights": {"b": 3}}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(g.weights(), Some(&[1.0, 3.0][..]));
    }

    #[test]
    fn table_errors() {
        let e = err(r#"{"players": ["a", "b"], "table": {"a": 1, "b": 1, "a,c": 2}}"#);
        assert!(
            matches!(&e, ShapleyError::UnknownPlayer { name, place } if name == "c" && place.contains("\"a,c\"")),
            "{e:?}"
        );
        let e = err(r#"{"players": ["a", "b"], "table": {"a,b": 1, "a": 1, "b": 1, "b, a": 2}}"#);
        assert!(
            matches!(&e, ShapleyError::DuplicateCoalition { first, second } if first == "a,b" && second == "b, a"),
            "{e:?}"
        );
        let e = err(r#"{"players": ["a", "b"], "table": {"a": 1, "a": 2, "b": 1, "a,b": 2}}"#);
        assert!(
            matches!(e, ShapleyError::DuplicateCoalition { .. }),
            "{e:?}"
        );
        let e = err(r#"{"players": ["a", "b", "c"], "table": {"a": 1, "c": 1}}"#);
        assert!(
            matches!(&e, ShapleyError::MissingCoalitions { first, missing: 5 } if first == "b"),
            "{e:?}"
        );
        assert!(e.to_string().contains("5 coalitions"), "{e}");
        for (key, problem) in [
            ("a,,b", "empty name"),
            ("a,a", "twice"),
            ("a,", "empty name"),
        ] {
            let json = format!(r#"{{"players": ["a", "b"], "table": {{"{key}": 1}}}}"#);
            let e = err(&json);
            assert!(
                matches!(&e, ShapleyError::BadCoalitionKey { key: k, problem: p } if k == key && p.contains(problem)),
                "{e:?}"
            );
        }
        let players: Vec<String> = (0..26).map(|i| format!("\"p{i}\"")).collect();
        let json = format!(r#"{{"players": [{}], "table": {{}}}}"#, players.join(","));
        let e = err(&json);
        assert!(matches!(
            e,
            ShapleyError::TooManyPlayers {
                players: 26,
                max: 25
            }
        ));
        assert!(e.to_string().contains("sampl"), "{e}");
        // The empty coalition may be given (as "" or blanks) or left out.
        for empty in [r#""": 5, "#, r#"" ": 5, "#, ""] {
            let json = format!(r#"{{"players": ["a"], "table": {{{empty}"a": 7}}}}"#);
            let ParsedGame::Table(g) = parse_game(&json).unwrap() else {
                panic!()
            };
            assert_eq!(g.values()[1], 7.0);
        }
    }
}
