"""The bundled rules against the bundled fixtures: the golden verdicts a reviewer trusts."""
from __future__ import annotations

import re
from collections import Counter

from engine import load_rules
from engine.base.loader import load_file

from conftest import FIXTURES


def test_rules_lint_is_clean(run_cli):
    """The shipped rules pass their own lint with no warnings (--strict)."""
    assert run_cli("rules", "lint", "--strict").stdout.strip() == "rules ok"


def test_every_fixture_matches_its_golden_and_every_criterion_is_covered(run_cli):
    """`ladder rules test` passes, and each criterion is both met and unmet by some fixture."""
    out = run_cli("rules", "test").stdout
    n = len(list(FIXTURES.glob("*.yaml")))
    assert f"{n} passed, 0 failed" in out
    total = len(load_rules().all_criteria())
    assert f"coverage: {total} of {total} criteria are both met and unmet" in out


def test_fixture_names_state_their_verdict(run_cli):
    """A fixture's file name says the verdict its golden records; the set covers every level."""
    import json

    seen = Counter()
    for p in sorted(FIXTURES.glob("*.yaml")):
        golden = json.loads((FIXTURES / "expected" / f"{p.stem}.golden").read_text())
        word = re.search(r"-(ready|not-ready|insufficient)$", p.stem).group(1)
        assert golden["verdict"] == {"ready": "ready", "not-ready": "not_ready",
                                     "insufficient": "insufficient_evidence"}[word], p.name
        seen[(golden["target_level"], golden["verdict"])] += 1
        assert load_file(p).data["candidate"]["id"] == golden["candidate"]["id"]
    for level in ("associate-pm", "mid-pm", "senior-pm", "director", "vp", "principal-pm"):
        assert seen[(level, "ready")] and seen[(level, "not_ready")], level
    assert sum(v for (lv, verdict), v in seen.items() if verdict == "insufficient_evidence") >= 2
