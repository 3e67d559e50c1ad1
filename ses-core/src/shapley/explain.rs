//! A plain-text account of a game: its players, its characteristic function, its weights,
//! the method [`solve`](super::solve) uses by default and the axioms its answer satisfies.
//! For people deciding whether to trust a payout, so it says what is computed and why it
//! is fair, in words.
//!
//! Invariants: the text is a function of the game alone (same game, same text); long
//! listings are cut at [`LISTED`] lines with a count of the rest, so the text stays
//! readable for a game of any size.

use std::fmt::Write;

use super::parse::ParsedGame;
use super::table::TableGame;
use super::unanimity::UnanimityGame;

/// At most this many terms or coalitions are listed.
pub const LISTED: usize = 20;

/// Explains `game`; see the module documentation.
pub fn explain(game: &ParsedGame) -> String {
    let mut out = String::new();
    let names = game.names();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "Players ({}): {}", names.len(), names.join(", "));
    match game {
        ParsedGame::Unanimity(g) => explain_unanimity(&mut out, g),
        ParsedGame::Table(g) => explain_table(&mut out, g),
    }
    out
}

fn set(names: &[String], members: impl Iterator<Item = usize>) -> String {
    let members: Vec<&str> = members.map(|m| names[m].as_str()).collect();
    if members.is_empty() {
        "∅".to_string()
    } else {
        format!("{{{}}}", members.join(", "))
    }
}

fn explain_unanimity(out: &mut String, g: &UnanimityGame) {
    let names = g.names();
    let terms = g.terms();
    let total: f64 = terms.iter().map(|(_, v)| v).sum();
    let _ = writeln!(
        out,
        "\nCharacteristic function: a unanimity game of {} term{}. v(S) is the sum of the \
         values of the terms whose members are all in S: a term is worth something only \
         when every one of its members takes part.",
        terms.len(),
        if terms.len() == 1 { "" } else { "s" }
    );
    for (t, (members, value)) in terms.iter().enumerate().take(LISTED) {
        let _ = writeln!(
            out,
            "  term {}: {} -> {value}",
            t + 1,
            set(names, members.iter().copied())
        );
    }
    if terms.len() > LISTED {
        let _ = writeln!(out, "  … and {} more terms", terms.len() - LISTED);
    }
    let _ = writeln!(out, "  v(N) = {total} (every term), v(∅) = 0 (no term)");
    let mut in_a_term = vec![false; names.len()];
    for (members, _) in terms {
        for &m in members {
            in_a_term[m] = true;
        }
    }
    let idle: Vec<&str> = names
        .iter()
        .zip(&in_a_term)
        .filter(|(_, in_term)| !**in_term)
        .map(|(n, _)| n.as_str())
        .collect();
    if !idle.is_empty() {
        let _ = writeln!(
            out,
            "  In no term, so null players who get 0: {}",
            idle.join(", ")
        );
    }

    match g.weights() {
        None => {
            let _ = writeln!(
                out,
                "\nWeights: none; the members of a term are treated alike."
            );
            let _ = writeln!(
                out,
                "\nMethod: closed form, exact. Each term's value is split equally among its \
                 members; a player's Shapley value is the sum of its shares. This is the \
                 Shapley value because every game is a sum of unanimity games and the \
                 Shapley value of one unanimity game is that equal split."
            );
            let _ = writeln!(out, "\nAxioms that hold:");
            efficiency(out, total);
            let _ = writeln!(
                out,
                "  symmetry: players who add the same to every coalition get the same value."
            );
            null_player(out);
            additivity(out);
        }
        Some(weights) => {
            let listed: Vec<String> = names
                .iter()
                .zip(weights)
                .map(|(n, w)| format!("{n} {w}"))
                .collect();
            let _ = writeln!(
                out,
                "\nWeights (players not given one have 1): {}",
                listed.join(", ")
            );
            let _ = writeln!(
                out,
                "\nMethod: closed form, exact. Each term's value is split among its members in \
                 proportion to their weights: member i of term c gets value_c · w_i / Σ_(j in c) \
                 w_j. This is the weighted Shapley value of Kalai and Samet (1987), which \
                 equals the Shapley value when all weights are equal."
            );
            let _ = writeln!(out, "\nAxioms that hold:");
            efficiency(out, total);
            null_player(out);
            additivity(out);
            let _ = writeln!(
                out,
                "  weighted proportionality: within a term, members' shares are in the ratio \
                 of their weights. It replaces symmetry, which does not hold: two players who \
                 add the same to every coalition get different values when their weights \
                 differ."
            );
        }
    }
}

fn explain_table(out: &mut String, g: &TableGame) {
    let names = g.names();
    let n = names.len();
    let values = g.values();
    let _ = writeln!(
        out,
        "\nCharacteristic function: a table giving v(S) for each of the 2^{n} = {} coalitions:",
        values.len()
    );
    for (mask, v) in values.iter().enumerate().take(LISTED) {
        let members = (0..n).filter(|&i| (mask >> i) & 1 == 1);
        let _ = writeln!(out, "  v({}) = {v}", set(names, members));
    }
    if values.len() > LISTED {
        let _ = writeln!(out, "  … and {} more coalitions", values.len() - LISTED);
    }
    let _ = writeln!(
        out,
        "\nWeights: none (weights apply only to unanimity games); all players are treated alike."
    );
    let _ = writeln!(
        out,
        "\nMethod: exact enumeration. Each player's value is its marginal contribution \
         v(S ∪ {{i}}) − v(S) averaged over every order in which players can join, computed as \
         φ_i = Σ_(S ⊆ N∖{{i}}) |S|!(n−|S|−1)!/n! · (v(S ∪ {{i}}) − v(S)) over the 2^{} \
         coalitions without i: {} marginal contributions in all.",
        n - 1,
        n << (n - 1)
    );
    let _ = writeln!(out, "\nAxioms that hold:");
    efficiency(out, values[values.len() - 1] - values[0]);
    let _ = writeln!(
        out,
        "  symmetry: players who add the same to every coalition get the same value."
    );
    null_player(out);
    additivity(out);
}

fn efficiency(out: &mut String, shared: f64) {
    let _ = writeln!(
        out,
        "  efficiency: the values sum to v(N) − v(∅) = {shared}; nothing is lost or invented."
    );
}

fn null_player(out: &mut String) {
    let _ = writeln!(
        out,
        "  null player: a player who adds nothing to any coalition gets 0."
    );
}

fn additivity(out: &mut String) {
    let _ = writeln!(
        out,
        "  additivity: the value of the sum of two games is the sum of their values, so \
         revenue from separate sources can be split separately and added."
    );
}

#[cfg(test)]
mod tests {
    use super::super::parse_game;
    use super::*;

    #[test]
    fn explains_an_unweighted_unanimity_game() {
        let game = parse_game(
            r#"{"players": ["a", "b", "c"], "unanimity": [{"members": ["a", "b"], "value": 6}]}"#,
        )
        .unwrap();
        let text = explain(&game);
        assert!(text.starts_with("Players (3): a, b, c\n"), "{text}");
        assert!(text.contains("term 1: {a, b} -> 6"), "{text}");
        assert!(text.contains("null players who get 0: c"), "{text}");
        assert!(text.contains("Method: closed form"), "{text}");
        for axiom in ["efficiency", "symmetry", "null player", "additivity"] {
            assert!(text.contains(&format!("  {axiom}: ")), "{axiom}: {text}");
        }
        assert!(text.contains("v(N) − v(∅) = 6"), "{text}");
        assert_eq!(text, explain(&game), "deterministic");
    }

    #[test]
    fn explains_a_weighted_unanimity_game() {
        let game = parse_game(
            r#"{"players": ["a", "b"], "unanimity": [{"members": ["a", "b"], "value": 6}], "weights": {"a": 2}}"#,
        )
        .unwrap();
        let text = explain(&game);
        assert!(
            text.contains("Weights (players not given one have 1): a 2, b 1"),
            "{text}"
        );
        assert!(text.contains("Kalai and Samet"), "{text}");
        assert!(text.contains("  weighted proportionality: "), "{text}");
        assert!(!text.contains("  symmetry: "), "{text}");
        assert!(text.contains("symmetry, which does not hold"), "{text}");
    }

    #[test]
    fn explains_a_table_game() {
        let game =
            parse_game(r#"{"players": ["a", "b"], "table": {"a": 1, "b": 1, "a,b": 3}}"#).unwrap();
        let text = explain(&game);
        assert!(
            text.contains("v(∅) = 0\n  v({a}) = 1\n  v({b}) = 1\n  v({a, b}) = 3"),
            "{text}"
        );
        assert!(text.contains("Method: exact enumeration"), "{text}");
        assert!(text.contains("4 marginal contributions"), "{text}");
        for axiom in ["efficiency", "symmetry", "null player", "additivity"] {
            assert!(text.contains(&format!("  {axiom}: ")), "{axiom}: {text}");
        }
    }

    #[test]
    fn long_listings_are_cut() {
        let players: Vec<String> = (0..6).map(|i| format!("\"p{i}\"")).collect();
        let mut table = vec![];
        for mask in 1..64usize {
            let key: Vec<String> = (0..6)
                .filter(|i| (mask >> i) & 1 == 1)
                .map(|i| format!("p{i}"))
                .collect();
            table.push(format!("\"{}\": {}", key.join(","), mask));
        }
        let json = format!(
            r#"{{"players": [{}], "table": {{{}}}}}"#,
            players.join(","),
            table.join(",")
        );
        let text = explain(&parse_game(&json).unwrap());
        assert!(text.contains("… and 44 more coalitions"), "{text}");
        assert!(text.contains("192 marginal contributions"), "{text}");
    }
}
