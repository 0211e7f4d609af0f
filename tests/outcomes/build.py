#!/usr/bin/env python3
"""Rebuild tests/outcomes/packets/ from the fixtures: one packet per case of issue 23 ("evidence
anchored to the organisation's own records"), parts 4 and 5. Each is a bundled fixture with one
edit, and a header that says what was tried: inflating a case (which must now be caught), or an
honest record the checks used to hurt (which must now count).

    python tests/outcomes/build.py     # rewrites every packet; review the diff like code

What each must get is in manifest.yaml, checked by tests/test_outcomes.py. The people are
fictional, as in the fixtures.
"""
from __future__ import annotations

import copy
import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "gaming"))
from build import load, of_type  # noqa: E402 - the gaming corpus's loader (dates stay strings)

import yaml  # noqa: E402


def write(name: str, what: str, d: dict) -> None:
    head = "".join(f"# {line}\n" for line in what.strip().splitlines())
    body = yaml.safe_dump(d, sort_keys=False, allow_unicode=True, default_flow_style=False, width=110)
    (HERE / "packets" / f"{name}.yaml").write_text(head + body, encoding="utf-8")


def day(iso: str, plus: int) -> str:
    return (dt.date.fromisoformat(iso) + dt.timedelta(days=plus)).isoformat()


def one_launch(d: dict) -> dict:
    """The fixture with only its launch that moved a metric kept (the level asks for two launches)."""
    kept = next(e for e in of_type(d, "shipped_outcome") if e.get("metrics"))
    d["evidence"] = [e for e in d["evidence"] if e["type"] != "shipped_outcome" or e is kept]
    return kept


def main() -> None:
    linnea = "linnea-quillfeather-apm-to-mid-ready.yaml"
    noor = "noor-ashgrove-mid-to-senior-ready.yaml"

    d = load(noor)
    for e in d["evidence"]:
        if e.get("metrics"):
            e["metrics"] = [{"name": "GMV", "kind": "business", "baseline": 41.0, "result": 36.5, "unit": "EUR m",
                             "higher_is_better": False},
                            {"name": "MRR (self-serve)", "kind": "business", "baseline": 820, "result": 760,
                             "unit": "EUR k", "higher_is_better": False}]
            e.pop("verified_by", None)
    write("gmv-and-mrr-falling-marked-lower-is-better", "GMV and MRR fell; each metric says higher_is_better: false "
          "so that the fall reads as a gain, and nobody confirms it.", d)

    d = load(linnea)
    kept = one_launch(d)
    base = copy.deepcopy(kept)
    phases = []
    for n, (b, r) in enumerate([(3.0, 3.4), (3.4, 3.9), (3.9, 4.3)], start=1):
        p = dict(copy.deepcopy(base), id=f"ev-phase-{n}", title=f"Delivery-slot reminders, phase {n}",
                 date=day(base["date"], 21 * (n - 3)))
        p["metrics"] = [{"name": "slot reminder opt-in", "kind": "user", "baseline": b, "result": r, "unit": "%"}]
        phases.append(p)
    d["evidence"] = [e for e in d["evidence"] if e is not kept] + phases
    write("one-launch-in-three-phases", "One launch split into three phases, three weeks apart, whose numbers "
          "chain (each phase's baseline is the last one's result), to reach the two launches the level asks for.", d)

    d = load(linnea)
    kept = one_launch(d)
    kept["metrics"] = [{"name": "slot reminder opt-in", "kind": "user", "baseline": 2.1, "result": 2.6, "unit": "%"}]
    again = dict(copy.deepcopy(kept), id="ev-again", title="Reminder opt-in uplift (basis points)")
    again["metrics"] = [{"name": "opt-in", "kind": "user", "baseline": 210, "result": 260, "unit": "bp"}]
    again.pop("end_to_end", None)
    d["evidence"].append(again)
    write("same-launch-in-basis-points", "The same launch entered again under another title, its metric restated "
          "in basis points (210 to 260 bp for 2.1 to 2.6 %).", d)

    d = load(linnea)
    kept = one_launch(d)
    title = kept["title"]
    i = next(k for k, c in enumerate(title) if c in "aeo")
    swapped = title[:i] + {"a": "\u0430", "e": "\u0435", "o": "\u043e"}[title[i]] + title[i + 1:]
    d["evidence"].append(dict(copy.deepcopy(kept), id="ev-again", title=swapped, date=day(kept["date"], 1)))
    write("same-launch-cyrillic-letter-and-a-day-later", "The same launch entered again with one Latin letter of "
          "its title replaced by the Cyrillic letter that looks the same, and its date moved a day.", d)

    d = load(noor)
    for e in d["evidence"]:
        for m in e.get("metrics", []):
            m.update(baseline=0, result=0.01, higher_is_better=True)
    write("metrics-from-zero-to-a-hundredth", "Every metric moved from 0 to 0.01, each claimed as an improvement "
          "(from 0, any move is an infinite share of the baseline).", d)

    d = load("beatrix-lowmoor-senior-to-director-ready.yaml")
    reviews = [e for e in of_type(d, "executive_engagement") if e.get("part") in ("led", "presented")
               and e.get("topic") in ("strategy", "risk", "results", "roadmap", "trade-off")]
    for e in reviews[1:]:
        e["title"] = reviews[0]["title"]
    write("quarterly-reviews-sharing-a-title", "Honest: two different quarterly reviews, on different dates, under "
          "the same title (a review recurs; it is not one review entered twice).", d)

    d = load(noor)
    start = d["period"]["start"]
    for e in of_type(d, "mentoring"):
        e["date"] = day(start, -62)
        e["months"] = 10
    write("mentoring-that-began-before-the-period", "Honest: the mentoring began two months before the period and "
          "ran ten months, well into it.", d)

    d = load("wren-halloway-external-to-associate-not-ready.yaml")
    update = next(e for e in of_type(d, "artifact") if e.get("kind") == "status-update")
    d["evidence"] = [update, dict(copy.deepcopy(update), id="ev-next-month", date=day(update["date"], 30))]
    write("monthly-updates-sharing-a-title", "Honest: two monthly status updates under the same title, a month "
          "apart (an update recurs; it is not one update entered twice).", d)


if __name__ == "__main__":
    main()
