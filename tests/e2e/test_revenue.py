"""`ses revenue record|list|split`: signed records, exact splits, receipts, bad input."""

from __future__ import annotations

import json

import pytest
from test_attribution import Repo


@pytest.fixture
def project(scratch):
    r = Repo(scratch / "proj")
    r.write("src/lib.rs", "mod util;\n\npub fn run() {\n    util::go();\n}\n")
    r.write("src/util.rs", "pub fn go() {\n    let x = 1;\n}\n")
    r.commit("Alice", "start")
    r.write("src/util.rs", "pub fn go() {\n    let x = 1;\n    let y = 2;\n}\n")
    r.commit("Bob", "grow util")
    return r


def test_records_split_exactly_with_a_receipt(ses, project):
    repo = str(project.path)
    a = ses.run("revenue", "record", "--repo", repo, "--target", "src/lib.rs", "--amount", "10.01", check=True).stdout.strip()
    b = ses.json("revenue", "record", "--repo", repo, "--target", "src/util.rs::go", "--amount", "3", "--memo", "tips")
    assert a.startswith("bafkr4") and b["id"].startswith("bafkr4")
    assert b["record"]["amount_minor"] == 300 and b["record"]["memo"] == "tips"
    listed = ses.json("revenue", "list", "--repo", repo)["records"]
    assert [r["id"] for r in listed] == [a, b["id"]]

    split = ses.json("revenue", "split", "--repo", repo)
    assert split["currency"] == "USD" and split["total_minor"] == 1301
    assert sum(c["amount_minor"] for c in split["contributors"]) == 1301
    assert {c["email"]: c["amount_minor"] for c in split["contributors"]} == {
        "alice@example.com": 1115,
        "bob@example.com": 186,
    }
    assert split["records"] == [a, b["id"]]
    # The same records give byte-identical output, and the receipt names every input.
    first = ses.run("revenue", "split", "--repo", repo, "--json", check=True).stdout
    assert ses.run("revenue", "split", "--repo", repo, "--json", check=True).stdout == first
    receipt = json.loads(ses.run("store", "get", split["receipt"], check=True).stdout)
    assert receipt["records"] == split["records"] and receipt["rev"] == split["rev"]
    assert receipt["total_minor"] == 1301 and "index_version" in receipt
    text = ses.run("revenue", "split", "--repo", repo, check=True).stdout
    assert "13.01 USD" in text and "receipt " + split["receipt"] in text


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--target", "src/lib.rs", "--amount", "-5"], "negative"),
        (["--target", "src/lib.rs", "--amount", "ten"], "not a number"),
        (["--target", "src/lib.rs", "--amount", "1.001"], "decimals"),
        (["--target", "src/lib.rs", "--amount", "1", "--currency", "XYZ"], "XYZ"),
        (["--target", "missing.rs", "--amount", "1"], "is not in the repository"),
        (["--target", "src/lib.rs::nope", "--amount", "1"], "is not in the repository"),
    ],
)
def test_bad_records_are_refused(ses, project, args, needle):
    proc = ses.run("revenue", "record", "--repo", str(project.path), *args)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], proc.stderr
    assert ses.json("revenue", "list", "--repo", str(project.path))["records"] == []


def test_splits_need_records_and_one_currency(ses, project):
    repo = str(project.path)
    proc = ses.run("revenue", "split", "--repo", repo)
    assert proc.returncode == 1 and "no revenue recorded" in proc.stderr
    ses.run("revenue", "record", "--repo", repo, "--target", "src/lib.rs", "--amount", "1", check=True)
    ses.run("revenue", "record", "--repo", repo, "--target", "src/lib.rs", "--amount", "2", "--currency", "EUR", check=True)
    mixed = ses.run("revenue", "split", "--repo", repo)
    assert mixed.returncode == 1 and "--currency" in mixed.stderr
    assert ses.json("revenue", "split", "--repo", repo, "--currency", "eur")["total_minor"] == 200
