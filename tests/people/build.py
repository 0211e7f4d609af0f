#!/usr/bin/env python3
"""Rebuild tests/people/packets/ from the fixtures: one packet per claim that the organisation's
own records (people.csv, cycles.yaml here) contradict, and one per claim they bear out.

    python tests/people/build.py     # rewrites every packet; review the diff like code

Each packet is a bundled fixture with one edit, and a header that says what it tries. What each
must get, with the directory and calendar and without them, is in manifest.yaml, checked by
tests/test_people.py. The people are fictional, as in the fixtures.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "gaming"))

from build import load, of_type  # noqa: E402 - tests/gaming/build.py: fixtures with dates kept as text

import yaml  # noqa: E402

NOOR = "noor-ashgrove-mid-to-senior-ready.yaml"
TAMSIN = "tamsin-brightwater-external-to-associate-ready.yaml"


def write(name: str, what: str, d: dict) -> None:
    head = "".join(f"# {line}\n" for line in what.strip().splitlines())
    body = yaml.safe_dump(d, sort_keys=False, allow_unicode=True, default_flow_style=False, width=110)
    (HERE / "packets" / f"{name}.yaml").write_text(head + body, encoding="utf-8")


def feedback(d: dict, pid: str, rel: str) -> dict:
    e = next(e for e in of_type(d, "stakeholder_feedback") if e["from"].get("id") == pid)
    e["from"]["relationship"] = rel
    return e


def first_of(d: dict, t: str) -> dict:
    return of_type(d, t)[0]


def main() -> None:
    for old in (HERE / "packets").glob("*.yaml"):
        old.unlink()
    write("as-recorded", "The fixture as it is: every person and relationship matches the directory.", load(NOOR))

    d = load(NOOR)
    d["candidate"]["cycle"] = "2026-h1"
    d["candidate"]["manager"] = "EMP-0207"
    d["candidate"]["track"] = "management"
    write("cycle-manager-and-track-as-recorded", "Cycle, manager (in upper case) and track, all as the records have them.", d)

    d = load(NOOR)
    first_of(d, "shipped_outcome")["verified_by"] = "emp_0988"
    write("verified-by-self-with-underscore", "The candidate verifies their own launch, under their id with '_' for '-'.", d)

    d = load(NOOR)
    feedback(d, "emp-0833", "peer")["from"]["id"] = "emp-0988."
    write("feedback-from-self-with-trailing-dot", "Feedback from the candidate's own id with a trailing full stop.", d)

    d = load(NOOR)
    d["candidate"]["id"] = "emp-9999"
    write("candidate-not-in-directory", "A candidate id the directory does not know.", d)

    d = load(NOOR)
    d["candidate"]["current_level"] = "external"
    write("internal-candidate-claims-external", "An internal mid-level PM presented as an external candidate.", d)

    d = load(NOOR)
    d["candidate"]["track"] = "ic"
    write("track-not-as-recorded", "The candidate is on the management track; the packet says ic.", d)

    d = load(NOOR)
    d["candidate"]["manager"] = "emp-0833"
    write("manager-not-as-recorded", "The candidate's manager given as a peer.", d)

    d = load(NOOR)
    feedback(d, "emp-0602", "cross-functional")["from"]["id"] = "emp-7777"
    write("giver-not-in-directory", "Feedback from an id no one in the company has.", d)

    d = load(TAMSIN)
    write("external-candidate-with-referees", "An external candidate listed by HR; their referees worked with them "
          "elsewhere, so no directory lists them.", d)

    d = load(TAMSIN)
    feedback(d, "ref-2232", "manager")["from"]["id"] = "emp-0150"
    write("external-candidate-claims-a-director-as-manager", "An external candidate's 'manager' is a director of "
          "this company, who does not manage them.", d)

    d = load(NOOR)
    feedback(d, "emp-0833", "customer")
    write("colleague-as-customer", "A peer's feedback presented as a customer's (external givers are not in the directory).", d)

    d = load(NOOR)
    feedback(d, "emp-0833", "manager")
    write("peer-as-manager", "A peer's feedback presented as the manager's.", d)

    d = load(NOOR)
    feedback(d, "emp-0602", "direct-report")
    write("engineer-as-direct-report", "An engineer who reports elsewhere presented as a direct report.", d)

    d = load(NOOR)
    feedback(d, "emp-0207", "skip-level")
    write("manager-as-skip-level", "The direct manager presented as a skip-level manager (a second voice).", d)

    d = load(NOOR)
    feedback(d, "emp-0207", "peer")
    write("manager-as-peer", "The candidate's manager presented as a peer.", d)

    d = load(NOOR)
    first_of(d, "mentoring")["mentee"]["id"] = "emp-0207"
    write("mentee-is-the-manager", "The candidate's own manager given as their mentee.", d)

    d = load(NOOR)
    first_of(d, "mentoring")["mentee"]["id"] = "emp-0833"
    write("mentee-level-not-as-recorded", "A mid-level peer given as an associate-PM mentee.", d)

    d = load(NOOR)
    first_of(d, "shipped_outcome")["verified_by"] = "emp-3300"
    write("verified-by-a-report", "A launch verified by someone who reports to the candidate.", d)

    d = load(NOOR)
    first_of(d, "shipped_outcome")["verified_by"] = "emp-4001"
    write("verified-by-someone-who-left", "A launch verified by someone who has left the company.", d)

    d = load(NOOR)
    first_of(d, "shipped_outcome")["verified_by"] = "emp-0400"
    write("verified-by-a-junior-outside-the-chain", "A launch verified by an associate PM outside the manager chain.", d)

    d = load(NOOR)
    first_of(d, "shipped_outcome")["verified_by"] = "emp-1421"
    write("verified-by-the-mentee", "A launch verified by the candidate's own mentee (no directory needed to see it).", d)

    d = load(NOOR)
    first_of(d, "shipped_outcome")["verified_by"] = "emp-0301"
    write("verified-by-a-senior-outside-the-chain", "A launch verified by a senior PM in another group: allowed "
          "(at or above the target level).", d)

    d = load(NOOR)
    d["candidate"]["cycle"] = "2031-h1"
    write("unknown-cycle", "A cycle the calendar does not have.", d)

    d = load(NOOR)
    d["candidate"]["cycle"] = "2026-h1"
    shift(d, -14)
    write("moved-back-fourteen-years", "Every date moved back 14 years, still under cycle 2026-h1.", d)

    bram = "bram-ellingworth-apm-to-mid-not-ready.yaml"
    d = load(bram)
    out = subprocess.run([sys.executable, str(ROOT / "cli.py"), "evaluate", str(ROOT / "fixtures" / bram),
                          "--target", "vp", "--today", "2026-11-30", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    d["candidate"]["target_level"] = "vp"
    d["evidence"] += json.loads(out)["plan"]
    write("plan-pasted-in", "An associate PM's packet with the tool's own plan for VP pasted in as evidence.", d)


def shift(d: dict, years: int) -> None:
    def back(s: str) -> str:
        y, rest = s[:4], s[4:]
        return f"{int(y) + years:04d}{rest if rest != '-02-29' else '-02-28'}"
    d["period"] = {k: back(v) for k, v in d["period"].items()}
    for e in d["evidence"]:
        e["date"] = back(e["date"])


if __name__ == "__main__":
    main()
