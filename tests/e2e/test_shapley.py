"""`ses shapley GAME.json` through the daemon: closed form, exact, sampled, bad input."""

from __future__ import annotations

import itertools
import json
import math

import pytest


def write(scratch, name, game) -> str:
    path = scratch / name
    path.write_text(game if isinstance(game, str) else json.dumps(game))
    return str(path)


def brute_force(players, v):
    """Average marginal contributions over every order (independent of the product)."""
    phi = {p: 0.0 for p in players}
    orders = list(itertools.permutations(players))
    for order in orders:
        seen = []
        for p in order:
            phi[p] += v(frozenset(seen + [p])) - v(frozenset(seen))
            seen.append(p)
    return {p: x / len(orders) for p, x in phi.items()}


def test_unanimity_game_is_closed_form_and_weighted(ses, scratch):
    game = {
        "players": ["alice", "bob", "lib"],
        "unanimity": [{"members": ["alice", "lib"], "value": 100}, {"members": ["bob"], "value": 10}],
        "weights": {"alice": 3, "lib": 1},
    }
    out = ses.json("shapley", write(scratch, "u.json", game))
    assert out["method"] == "closed-form"
    assert out["values"] == {"alice": 75.0, "bob": 10.0, "lib": 25.0}
    assert "stderr" not in out


def test_table_game_is_exact_and_matches_brute_force(ses, scratch):
    players = ["a", "b", "c", "d"]
    v = lambda s: len(s) ** 2 + (3 if {"a", "c"} <= s else 0)  # noqa: E731
    table = {}
    for r in range(len(players) + 1):
        for coalition in itertools.combinations(players, r):
            table[",".join(reversed(coalition))] = v(frozenset(coalition))
    out = ses.json("shapley", write(scratch, "t.json", {"players": players, "table": table}))
    assert out["method"] == "exact"
    expected = brute_force(players, v)
    for p in players:
        assert math.isclose(out["values"][p], expected[p], abs_tol=1e-9)


def test_sampling_is_reproducible_and_within_its_error(ses, scratch):
    players = ["a", "b", "c"]
    table = {"": 0, "a": 1, "b": 1, "c": 2, "a,b": 3, "a,c": 4, "b,c": 4, "a,b,c": 6}
    path = write(scratch, "s.json", {"players": players, "table": table})
    first = ses.json("shapley", path, "--samples", "400", "--seed", "7")
    again = ses.json("shapley", path, "--samples", "400", "--seed", "7")
    other = ses.json("shapley", path, "--samples", "400", "--seed", "8")
    assert first == again and first != other
    assert first["method"] == "sampled" and set(first["stderr"]) == set(players)
    exact = ses.json("shapley", path)["values"]
    for p in players:
        assert abs(first["values"][p] - exact[p]) <= 4 * first["stderr"][p] + 1e-12
    targeted = ses.json("shapley", path, "--target-error", "0.02")
    assert max(targeted["stderr"].values()) <= 0.02


def test_explain_names_the_game_and_the_axioms(ses, scratch):
    path = write(scratch, "e.json", {"players": ["a", "b"], "unanimity": [{"members": ["a", "b"], "value": 2}]})
    text = ses.run("shapley", path, "--explain", check=True).stdout
    assert "efficiency" in text and "null player" in text and "a" in text
    assert "explain" in ses.json("shapley", path, "--explain")


@pytest.mark.parametrize(
    "game, needle",
    [
        ("{not json", "line 1"),
        ({"players": ["a", "a"], "table": {"a": 1}}, "listed twice"),
        ({"players": ["a"], "unanimity": [{"members": ["zed"], "value": 1}]}, "zed"),
        ({"players": ["a", "b"], "table": {"a": 1, "b": 1}}, "lacks 1 coalition"),
        ({"players": [f"p{i}" for i in range(40)], "table": {"": 0}}, "sampling"),
        ({"players": ["a"]}, "unanimity"),
    ],
)
def test_bad_games_are_clear_errors(ses, scratch, game, needle):
    proc = ses.run("shapley", write(scratch, "bad.json", game))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], proc.stderr
