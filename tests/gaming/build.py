#!/usr/bin/env python3
"""Rebuild tests/gaming/packets/ from the fixtures: one packet per way of gaming a verdict that
issue 11 found (a committee member trying to reach `ready` with claims nobody checks).

    python tests/gaming/build.py     # rewrites every packet; review the diff like code

Each packet is a bundled fixture with one gaming edit, and a header that says what was tried.
What each must get (a verdict, an error, a warning) is in manifest.yaml, checked by
tests/test_gaming.py. The people are fictional, as in the fixtures.
"""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parents[1] / "fixtures"


class _Loader(yaml.SafeLoader):
    """Dates stay the strings the packet has (YAML would make them date objects)."""


_Loader.yaml_implicit_resolvers = {k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
                                   for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load(name: str) -> dict:
    return yaml.load((FIXTURES / name).read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader


def of_type(d: dict, t: str) -> list[dict]:
    return [e for e in d["evidence"] if e["type"] == t]


def without(d: dict, *types: str, keep=lambda e: False) -> dict:
    d["evidence"] = [e for e in d["evidence"] if e["type"] not in types or keep(e)]
    return d


def write(name: str, what: str, d: dict) -> None:
    head = "".join(f"# {line}\n" for line in what.strip().splitlines())
    body = yaml.safe_dump(d, sort_keys=False, allow_unicode=True, default_flow_style=False, width=110)
    (HERE / "packets" / f"{name}.yaml").write_text(head + body, encoding="utf-8")


def main() -> None:
    beatrix = "beatrix-lowmoor-senior-to-director-ready.yaml"

    d = load(beatrix)
    d["evidence"].append({"id": "ev-self", "type": "stakeholder_feedback", "date": "2026-02-10",
                          "from": {"id": "EMP-0541", "relationship": "peer"}, "rating": 5,
                          "themes": ["alignment"]})
    write("self-feedback-in-another-case", "Feedback written by the candidate, under their own id in upper case.", d)

    d = load(beatrix)
    for e in of_type(d, "stakeholder_feedback"):
        e["from"].pop("id")
    write("feedback-without-giver-ids", "Every piece of feedback with the giver's id left out: whose voices are "
          "they?", d)

    d = load(beatrix)
    rels = ["manager", "peer", "cross-functional", "skip-level", "report"]
    for i, e in enumerate(of_type(d, "stakeholder_feedback")):
        e["from"] = {"id": "emp-0112", "relationship": rels[i % len(rels)]}
    write("one-person-many-relationships", "One colleague entered as manager, peer, cross-functional partner and "
          "more, to look like several voices.", d)

    d = load("linnea-quillfeather-apm-to-mid-ready.yaml")
    launches = of_type(d, "shipped_outcome")
    kept = launches[-1]
    without(d, "shipped_outcome", keep=lambda e: e is kept)
    d["evidence"].append(dict(copy.deepcopy(kept), id="ev-again", title=kept["title"].upper() + "!"))
    write("same-launch-twice", "One launch entered twice, the second time with its title in capitals, to reach "
          "the two launches the level asks for.", d)

    d = load("noor-ashgrove-mid-to-senior-ready.yaml")
    for e in d["evidence"]:
        for m in e.get("metrics", []):
            m["result"] = round(m["baseline"] * 1.00003 + (0.0001 if m["baseline"] == 0 else 0), 6)
            m["higher_is_better"] = True
    write("metrics-that-barely-moved", "Every metric moved by a rounding error (3.1 to 3.1001), each claimed as "
          "an improvement.", d)

    d = load("noor-ashgrove-mid-to-senior-ready.yaml")
    for e in d["evidence"]:
        if e.get("metrics"):
            e["metrics"] = [{"name": "revenue per visitor", "kind": "business", "baseline": 1.20, "result": 0.95,
                             "higher_is_better": False, "unit": "EUR"}]
    write("falling-revenue-marked-lower-is-better", "Revenue per visitor fell from 1.20 to 0.95, declared "
          "`higher_is_better: false` so that the fall reads as a gain.", d)

    d = load(beatrix)
    for e, t in zip([e for e in d["evidence"] if "title" in e], ["TBD", "x", "."]):
        e["title"] = t
    write("placeholder-titles", "Titles left as placeholders: TBD, x and a full stop.", d)

    d = load(beatrix)
    d["period"] = {"start": "2026-06-01", "end": "2027-06-30"}
    for e in d["evidence"]:
        e["date"] = "2027" + e["date"][4:]
    write("dated-next-year", "Every record dated in 2027 and the period ending then: evidence from the future.", d)

    d = load(beatrix)
    for e in d["evidence"]:
        if e["type"] in ("roadmap", "decision", "stakeholder_feedback", "executive_engagement",
                         "people_leadership", "mentoring"):
            e["date"] = f"{2009 + int(e['date'][3]) % 4}{e['date'][4:]}"
    write("evidence-from-2009-to-2012", "Feedback, decisions and leadership records from 2009-2012, in a "
          "packet whose period ends in 2026.", d)

    d = load("linnea-quillfeather-apm-to-mid-ready.yaml")
    d["candidate"]["target_level"] = "vp"
    d["evidence"] += [
        {"id": "ev-reports", "type": "people_leadership", "date": "2025-10-01", "title": "Leads the product org",
         "activity": "managing", "reports": 12, "people": 40, "levels": ["director", "senior-pm"],
         "scope": "company"},
        {"id": "ev-pnl", "type": "business_ownership", "date": "2025-09-01", "title": "Company P&L",
         "area": "p-and-l", "accountable": True, "scope": "company", "outcome": "target-met"},
        {"id": "ev-board", "type": "executive_engagement", "date": "2025-11-01", "title": "Board strategy session",
         "forum": "board", "part": "presented", "topic": "strategy", "outcome": "approved",
         "influenced_decision": True}]
    write("associate-claims-vp", "An associate PM claiming twelve reports, the company P&L and board sessions, "
          "asking for vp.", d)

    d = load("yara-kestrelton-senior-to-principal-ready.yaml")
    ms = of_type(d, "mentoring")
    ms[0]["mentee"] = {"level": "mid-pm", "discipline": "product"}
    ms[0]["outcome"] = "none"
    ms[1]["mentee"] = {"level": "mid-pm", "discipline": "engineering"}
    d["evidence"].append({"id": "ev-team", "type": "people_leadership", "date": "2025-09-01",
                          "title": "Manages the fraud product team", "activity": "managing", "reports": 6,
                          "scope": "product-area"})
    write("principal-on-anonymous-mentees", "Principal PM (individual contributor track) claimed on two anonymous "
          "mentees, one an engineer, with no outcome, and six direct reports.", d)

    d = without(load(beatrix), "people_leadership")
    write("director-without-people-leadership", "Ready for director, they say, with no record of leading people "
          "at all.", d)

    d = load("ottoline-marsh-director-to-vp-ready.yaml")
    without(d, "business_ownership")
    for e in of_type(d, "executive_engagement"):
        if e.get("forum") in ("board", "investors"):
            e["forum"] = "exec-team"
    write("vp-without-business-mechanics", "Ready for vp, they say, with no P&L, budget or pricing ownership and "
          "no board or investor contact.", d)

    d = load(beatrix)
    d["evidence"].append({"id": "ev-honest", "type": "stakeholder_feedback", "date": "2026-02-12",
                          "from": {"id": "emp-0400", "relationship": "peer"}, "rating": 2,
                          "themes": ["collaboration"]})
    write("honest-criticism-added", "A ready packet plus one honest 2-of-5 rating from a peer: leaving criticism "
          "out must never pay.", d)

    d = load("kofi-lanternwick-mid-to-director-ready.yaml")
    write("ready-for-director-asked-for-senior", "A packet ready for director, evaluated with --target senior-pm: "
          "the ladder is cumulative.", d)


if __name__ == "__main__":
    main()
