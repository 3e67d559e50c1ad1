#!/usr/bin/env python3
"""Fault injection at scale: 1,000 switches between two contexts full of staged, unstaged,
untracked, binary, deleted, renamed and executable files, each with the daemon SIGKILLed at
a random moment. After every kill: every byte of the work before the switch and of the
target context is in the working tree or under refs/ses/, and `ses context recover` (when a
journal is pending) brings the pre-switch state back exactly. The normal suite runs 20 of
these (`tests/e2e/test_context.py`).

    ~/.cache/ses-dev/venv/bin/python benches/context_stress.py [--runs 1000] [--seed 7]
        [--max-delay 0.03] [--ses PATH]

Exits 1 on the first lost byte or wrong restore; prints how the kills landed.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import signal
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--max-delay", type=float, default=0.03,
                    help="kills land uniformly in [0, this] seconds after the switch starts")
    ap.add_argument("--ses", help="the ses binary [default: $SES_BIN or the debug build]")
    args = ap.parse_args()
    if args.ses:
        os.environ["SES_BIN"] = args.ses
    import context_faults
    from conftest import SES, Ses, daemon_pids

    base = pathlib.Path(tempfile.mkdtemp(prefix="ses-stress-", dir="/tmp"))
    ses = Ses(base / "home", SES)
    start = time.monotonic()
    try:
        outcomes = context_faults.run(ses, base, args.runs, args.seed, args.max_delay)
    finally:
        for pid in daemon_pids(ses.home):
            os.kill(pid, signal.SIGKILL)
    elapsed = time.monotonic() - start
    print(json.dumps({"runs": args.runs, "seed": args.seed, "outcomes": outcomes,
                      "seconds": round(elapsed, 1)}, sort_keys=True))
    shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
