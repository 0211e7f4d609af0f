"""Adjacent career paths (issue 12, contract section 6): fit profiles in rules/paths/ fired by
durable_rules; `ladder paths`, and `--paths` on evaluate and batch, never touching a verdict."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import yaml

from engine import load_rules
from engine.base.errors import RulesError
from engine.core.evidence import check_document
from engine.core.firing import Firing, RulesEngine
from engine.base.loader import load_file
from engine.book.career_paths import load_paths
from engine.core.career_fit import PathAssessor
from engine.outputs.report import paths_dict

from conftest import FIXTURES, ROOT

PATH_IDS = ["founder-gm", "innovation-rd", "partnerships", "product-marketing", "product-operations"]
# Each path's own fixture: a packet whose evidence the guide's description of that role fits.
PATH_FIXTURES = {
    "product-operations": "wilhelmina-thornquist-senior-to-director-not-ready.yaml",
    "partnerships": "bastien-okonkwo-reyes-mid-to-senior-not-ready.yaml",
    "founder-gm": "ilse-marchetti-vos-director-to-vp-not-ready.yaml",
    "product-marketing": "ambrose-kettleby-mid-to-senior-not-ready.yaml",
    "innovation-rd": "petra-silvermoss-senior-to-principal-not-ready.yaml",
}
TODAY = "2026-11-30"


def _paths_json(run_cli, *args) -> dict:
    return json.loads(run_cli("paths", *args, "--format", "json", "--today", TODAY).stdout)


def _packet(evidence: list, **cand) -> dict:
    return {"schema_version": 1, "candidate": {"id": "emp-9001", "current_level": "senior-pm", **cand},
            "period": {"start": "2025-01-01", "end": "2025-12-31"}, "evidence": evidence}


def test_the_bundled_paths_are_the_contracts_five():
    paths = load_paths(load_rules())
    assert list(paths.paths) == PATH_IDS
    assert all(p.signals and any(s.required for s in p.signals) for p in paths.paths.values())


@pytest.mark.parametrize("path_id", PATH_IDS)
def test_each_paths_fixture_is_a_strong_fit_for_it(run_cli, path_id):
    """The fixture written for a path is `strong` for it, and listed first (strongest first)."""
    out = _paths_json(run_cli, FIXTURES / PATH_FIXTURES[path_id])
    fits = {p["id"]: p for p in out["paths"]}
    assert fits[path_id]["fit"] == "strong", fits[path_id]
    assert out["paths"][0]["id"] == path_id
    required = [s.id for s in load_paths(load_rules()).paths[path_id].signals if s.required]
    assert fits[path_id]["evidence"] and set(required) <= set(fits[path_id]["met"])


def test_json_is_the_contracts_shape_strongest_first(run_cli):
    """`{"candidate": ..., "paths": [{"id", "title", "fit", "evidence", "missing"}]}`, every path
    once, ordered strong > some > none, then by signals met, then by id."""
    out = _paths_json(run_cli, FIXTURES / PATH_FIXTURES["founder-gm"])
    assert out["candidate"]["id"] == "emp-2911"
    assert sorted(p["id"] for p in out["paths"]) == PATH_IDS
    rank = {"strong": 0, "some": 1, "none": 2}
    profiles = load_paths(load_rules()).paths
    for p in out["paths"]:
        assert {"id", "title", "fit", "evidence", "missing"} <= set(p)
        signals = profiles[p["id"]].signals
        assert list(p["met"]) == [s.id for s in signals if s.id not in p["missing"]]  # profile order
        assert p["missing"] == [s.id for s in signals if s.id not in p["met"] and s.required] + \
            [s.id for s in signals if s.id not in p["met"] and not s.required]
        assert p["evidence"] == sorted({e for ids in p["met"].values() for e in ids})
    keys = [(rank[p["fit"]], -len(p["met"]), p["id"]) for p in out["paths"]]
    assert keys == sorted(keys)


@pytest.mark.parametrize("evidence", [[], [{"id": "ev-01", "type": "learning", "date": "2025-06-01",
                                            "title": "Read up on the payments domain", "area": "domain"}]],
                         ids=["empty", "nothing a path reads"])
def test_an_empty_packet_fits_no_path(tmp_path, evidence):
    """No evidence (or none a signal can use), no fit: `none` for every path, nothing cited. Run in
    a child process: a session where no rule fires would crash the engine (docs/engine.md)."""
    f = tmp_path / "p.json"
    f.write_text(json.dumps(_packet(evidence, target_level="director")), encoding="utf-8")
    cp = subprocess.run([sys.executable, "-c", "import cli; cli.run()", "paths", str(f), "--format", "json",
                         "--today", TODAY], cwd=ROOT, capture_output=True, timeout=120)
    assert cp.returncode == 0, cp.stderr.decode()
    out = json.loads(cp.stdout)
    assert [(p["id"], p["fit"], p["evidence"]) for p in out["paths"]] == [(i, "none", []) for i in PATH_IDS]


def test_the_engine_decides_the_fit(monkeypatch):
    """A fit comes from what durable_rules fired: silence the engine and every path is `none`."""
    book = load_rules()
    packet = check_document(load_file(FIXTURES / PATH_FIXTURES["innovation-rd"]), book)
    assessor = PathAssessor(book, load_paths(book))
    assert any(p.fit == "strong" for p in assessor.assess(packet).paths)
    monkeypatch.setattr(RulesEngine, "fire", lambda self, plan, facts: Firing())
    assert {p.fit for p in assessor.assess(packet).paths} == {"none"}


def test_a_packet_needs_no_target_for_paths(run_cli, tmp_path):
    """Paths are no promotion: a VP (top of the track) and an external candidate without a target
    can be assessed; `evaluate` still refuses them."""
    for cand in ({"current_level": "vp"}, {"current_level": "external"}):
        f = tmp_path / "p.json"
        f.write_text(json.dumps(_packet([], **cand)), encoding="utf-8")
        assert len(_paths_json(run_cli, f)["paths"]) == 5
        run_cli("evaluate", f, "--today", TODAY, exit_code=3)


def test_an_invalid_packet_is_refused_as_by_validate(run_cli, tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump(_packet([{"id": "ev-01", "type": "stakeholder_feedback", "date": "2025-03-01",
                                          "from": {"relationship": "peer"}, "rating": 9}])), encoding="utf-8")
    r = run_cli("paths", f, "--today", TODAY, exit_code=3)
    assert "/evidence/0/rating" in r.stderr and "Traceback" not in r.stderr


# -- the verdict is byte for byte the same with --paths -----------------------------------------
@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.yaml"))[::4] +
                         [PATH_FIXTURES["founder-gm"]])
def test_evaluate_verdict_bytes_are_unchanged_by_paths(run_cli, fixture):
    """--paths appends; it never changes a byte of the verdict: JSON gains a last key `paths`, text
    and markdown a section after the verdict."""
    for fmt in ("json", "text", "markdown"):
        plain = run_cli("evaluate", FIXTURES / fixture, "--format", fmt, "--today", TODAY).stdout
        both = run_cli("evaluate", FIXTURES / fixture, "--format", fmt, "--today", TODAY, "--paths").stdout
        if fmt == "json":
            head = plain.rstrip("\n")
            assert both.startswith(head[:-1] + ',"paths":['), fixture
            assert json.loads(both)["paths"] == _paths_json(run_cli, FIXTURES / fixture)["paths"]
        else:
            assert both.startswith(plain.rstrip("\n")), fixture
            assert "Adjacent paths" in both[len(plain.rstrip("\n")):]


def test_batch_verdict_lines_are_unchanged_by_paths(run_cli, tmp_path):
    """Every batch line with --paths is the line without it, with `paths` appended (and error lines
    are the same lines); no regression without --paths is the same files byte for byte."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\n", encoding="utf-8")
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    run_cli("batch", FIXTURES, bad, "--out", a, "--jobs", "1", "--quiet", "--today", TODAY, exit_code=3)
    run_cli("batch", FIXTURES, bad, "--out", b, "--jobs", "1", "--quiet", "--today", TODAY, "--paths", exit_code=3)
    plain, both = a.read_text().splitlines(), b.read_text().splitlines()
    assert len(plain) == len(both) > len(list(FIXTURES.glob("*.yaml")))  # (and fixtures/invalid/)
    for x, y in zip(plain, both):
        if '"error":' in x:
            assert x == y
        else:  # the options the line records come last (they say --paths was given)
            x, y = x.rsplit(',"options":', 1)[0] + "}", y.rsplit(',"options":', 1)[0] + "}"
            assert y.startswith(x[:-1] + ',"paths":['), x[:80]
            assert [p["id"] for p in json.loads(y)["paths"]][0] in PATH_IDS


def test_paths_output_is_deterministic(run_cli):
    f = FIXTURES / PATH_FIXTURES["partnerships"]
    for fmt in ("text", "json", "markdown"):
        runs = {run_cli("paths", f, "--format", fmt, "--today", TODAY).stdout for _ in range(2)}
        assert len(runs) == 1


def test_redact_leaves_names_and_titles_out(run_cli):
    f = FIXTURES / PATH_FIXTURES["partnerships"]
    for fmt in ("text", "json", "markdown"):
        out = run_cli("paths", f, "--format", fmt, "--today", TODAY, "--redact").stdout
        assert "Bastien" not in out and "bank" not in out


# -- rules: show, lint, bad path files -----------------------------------------------------------
def test_rules_show_lists_the_paths(run_cli):
    text = run_cli("rules", "show").stdout
    assert "Adjacent career paths" in text and all(f"{i} · " in text for i in PATH_IDS)
    d = json.loads(run_cli("rules", "show", "--format", "json").stdout)
    assert [p["id"] for p in d["paths"]] == PATH_IDS
    assert all(s["needs"] and s["evidence_types"] for p in d["paths"] for s in p["signals"])
    assert "# Adjacent career paths" in run_cli("rules", "show", "--format", "markdown").stdout


def _pack(tmp_path):
    root = tmp_path / "pack"
    shutil.copytree(ROOT / "rules", root / "rules")
    shutil.copytree(ROOT / "schemas", root / "schemas")
    return root / "rules"


def _edit(rules, name: str, old: str, new: str) -> None:
    f = rules / "paths" / name
    text = f.read_text(encoding="utf-8")
    assert old in text, old
    f.write_text(text.replace(old, new, 1), encoding="utf-8")


BAD_PATH_FILES = {
    # (file, old text, new text) -> (JSON path in the message, words in it)
    "unknown evidence type": (("partnerships.yaml", "evidence: stakeholder_feedback", "evidence: stakeholder_feedbak"),
                              "/signals/0/condition/evidence", "did you mean 'stakeholder_feedback'"),
    "misspelt field": (("partnerships.yaml", "area: partnership\n", "aera: partnership\n"),
                       "/signals/3/condition/where/aera", "did you mean 'area'"),
    "value the schema never allows": (("founder-gm.yaml", "activity: hiring", "activity: hireing"),
                                      "/signals/5/condition/where/activity", "did you mean 'hiring'"),
    "unknown operator": (("innovation-rd.yaml", "ambiguity: high", "ambiguity: {above: high}"),
                         "/signals/3/condition/where/ambiguity", "unknown operator 'above'"),
    "signal id of another path": (("innovation-rd.yaml", "id: innovation-rd.builds-from-nothing",
                                   "id: innovation.builds-from-nothing"), "/signals/0/id", "must start with"),
    "path not named after its file": (("founder-gm.yaml", "path: founder-gm", "path: founder"), "/path",
                                      "name it founder.yaml"),
    "policy that cannot be met": (("product-marketing.yaml", "min_supporting: 1", "min_supporting: 4"),
                                  "/policy/min_supporting", "only 3"),
    "missing title": (("product-operations.yaml", "title: Product operations / program management\n", ""), "",
                      "'title' is a required property"),
    "tenure gating": (("partnerships.yaml", "area: partnership\n        accountable: true\n",
                       "area: partnership\n        accountable: true\n        years_in_role: 3\n"),
                      "/signals/3/condition/where/years_in_role", "tenure"),
    "not YAML": (("partnerships.yaml", "path: partnerships", "path: [partnerships"), "", ""),
}


@pytest.mark.parametrize(("edit", "pointer", "fragment"), BAD_PATH_FILES.values(), ids=BAD_PATH_FILES.keys())
def test_a_bad_path_file_is_a_located_rules_error(run_cli, tmp_path, edit, pointer, fragment):
    """Every broken profile: exit 4 from lint and from `ladder paths`, a message naming the file,
    its line and the field, never a traceback. The promotion verdict does not read path files."""
    rules = _pack(tmp_path)
    _edit(rules, *edit)
    name = edit[0]
    r = run_cli("rules", "lint", "--rules", rules, exit_code=4)
    line = next(ln for ln in r.stderr.splitlines() if f"paths/{name}:" in ln)
    assert f"paths/{name}:" in line and line.split(f"paths/{name}:")[1].split(":")[0].isdigit(), line
    assert pointer in line and fragment in line, r.stderr
    fx = FIXTURES / PATH_FIXTURES["partnerships"]
    r2 = run_cli("paths", fx, "--rules", rules, "--today", TODAY, exit_code=4)
    assert f"paths/{name}:" in r2.stderr and "Traceback" not in r2.stderr
    run_cli("evaluate", fx, "--rules", rules, "--today", TODAY, "--paths", exit_code=4)
    run_cli("batch", fx, "--out", tmp_path / "o.jsonl", "--rules", rules, "--today", TODAY, "--paths", exit_code=4)
    run_cli("evaluate", fx, "--rules", rules, "--today", TODAY)  # without --paths: no path file is read


def test_lint_labels_path_policy_numbers(run_cli, tmp_path):
    """As for levels: a number the guide does not give, in a signal, must be labelled policy."""
    rules = _pack(tmp_path)
    _edit(rules, "partnerships.yaml", "    basis: policy\n    basis_note: \"rating 4 of 5: feedback counts only "
          "when it is clearly positive\"\n", "")
    r = run_cli("rules", "lint", "--rules", rules, exit_code=4)
    assert "partnerships.trusted-outside: rating gte 4: a number the guide does not give" in r.stderr


def test_a_pack_without_paths_has_none(run_cli, tmp_path):
    rules = _pack(tmp_path)
    shutil.rmtree(rules / "paths")
    assert run_cli("rules", "lint", "--rules", rules, "--strict").stdout.strip() == "rules ok"
    out = json.loads(run_cli("paths", FIXTURES / PATH_FIXTURES["partnerships"], "--rules", rules, "--format",
                             "json", "--today", TODAY).stdout)
    assert out["paths"] == []
    assert "paths" not in json.loads(run_cli("rules", "show", "--rules", rules, "--format", "json").stdout)


def test_load_paths_raises_rules_error_with_every_problem(tmp_path):
    rules = _pack(tmp_path)
    _edit(rules, "partnerships.yaml", "area: partnership", "aera: partnership")
    _edit(rules, "founder-gm.yaml", "path: founder-gm", "path: founder")
    with pytest.raises(RulesError) as exc:
        load_paths(load_rules(rules))
    assert {p.source.rsplit("/", 1)[-1] for p in exc.value.problems} == {"partnerships.yaml", "founder-gm.yaml"}
    assert all(p.line for p in exc.value.problems)


def test_paths_dict_carries_no_free_text_with_redact():
    book = load_rules()
    d = paths_dict(PathAssessor(book, load_paths(book)).assess(
        check_document(load_file(FIXTURES / PATH_FIXTURES["founder-gm"]), book)), redact=True)
    assert "name" not in d["candidate"]


def test_coverage_maps_every_signal_and_labels_every_policy_number():
    """rules/COVERAGE.md names every signal against the guide's sentence it encodes, and lists
    every path policy and labelled signal with its note (as for criteria)."""
    cov = (ROOT / "rules" / "COVERAGE.md").read_text(encoding="utf-8")
    paths = load_paths(load_rules())
    for p in paths.paths.values():
        assert f"| `{p.id}` policy |" in cov and p.basis_note in cov, p.id
        for s in p.signals:
            assert f"`{s.id}`" in cov, s.id
            if s.basis == "policy":
                assert f"| `{s.id}` |" in cov and s.basis_note in cov, s.id
