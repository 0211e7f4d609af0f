"""`ladder init DIR`: a new rules pack that lints and tests clean, to grow into a company's ladder.

The pack is plain files (ladder.yaml, one level file, an empty vocabulary file, one fixture with
its expected verdict and its golden, a README); nothing here is needed to use it afterwards."""

from __future__ import annotations

from pathlib import Path

from ..base.errors import OutputError, UsageError

LADDER = """\
# The ladder: its levels (ids: lower-case letters, digits and '-'), their order and its tracks.
# Packets name these ids (candidate.current_level / target_level) and these track names.
ladder_version: 1
guide: "Our product career framework (say where it is published)"
# Optional: the forms a criterion's `source` may take (`*` stands for any text; plain text, never
# a regular expression); without them, source is free text.
source_forms: ["PM* — *"]
source_example: "PM1 — Delivery"
levels:
  - id: pm-1
    title: Product Manager 1
    guide_level: PM1
    order: 1
    aliases: [pm1]
tracks:
  product: [pm-1]
default_track: product
# Evidence counts when it is inside the packet's period and at most this many days old.
default_window_days: 730
# Integrity policy (docs/rules.md, "Integrity policy"): what integrity warnings and errors, and a
# metric's derived `improved`, measure against. These are ladder's documented defaults; each part
# is your policy to change (say why in its rationale), and a part left out keeps its default.
integrity:
  materiality:
    basis: policy
    rationale: "a change under 1% of its baseline is noise in most product metrics; a move from 0 must reach one whole unit"
    relative: 0.01
    from_zero: 1
  restatement:
    basis: policy
    rationale: "the same metrics in units a power of ten apart (% and basis points) within a week are one outcome told twice"
    within_days: 7
  plausibility:
    basis: policy
    rationale: "a team of 8 or more reports, or a portfolio or company P&L, is far above a first-level PM"
    levels:
      pm-1: {max_reports: 7, max_pl_scope: cross-team}
    no_reports_tracks: []          # tracks of individual contributors, who have no direct reports
  who_may_verify:
    basis: policy
    rationale: "a record is confirmed by an active colleague at or above the candidate's level, or by their manager"
    status: [active]
    min_level: current
    manager_always: true
  higher_is_better:
    basis: policy
    rationale: "money in, customers won and kept: a metric so named that falls is not an improvement"
    words: [revenue, gmv, mrr, arr, bookings, conversion, retention, activation, satisfaction, nps, csat,
            engagement, adoption, arpu, ltv, signup, signups, sign up, sign ups,
            active users, dau, mau, wau, margin, profit, win rate]
  does_not_recur:
    basis: policy
    rationale: "a launch, a decision or an initiative happens once; reviews, updates, feedback and mentoring recur"
    types: [shipped_outcome, decision, org_initiative]
"""

LEVEL = """\
# What it takes to be at PM1: one file per level (docs/rules.md, "Bring your own ladder").
level: pm-1
policy:
  min_supporting: 1          # supporting (required: false) criteria that must be met too
  sufficient_evidence: {min_records: 2, within_days: 730}
criteria:
  - id: pm-1.ships
    title: Has shipped work as part of a team
    source: "PM1 — Delivery"
    required: true
    aspect: delivery
    condition:
      evidence: shipped_outcome
  - id: pm-1.writes-specs
    title: Writes specs or user stories a team can build from
    source: "PM1 — Craft"
    required: true
    aspect: craft
    condition:
      evidence: artifact
      where:
        kind: {in: [user-stories, spec, prd]}
  - id: pm-1.user-research
    title: Takes part in user research
    source: "PM1 — Insight"
    required: false
    aspect: insight
    condition:
      evidence: discovery
  - id: pm-1.good-colleague
    title: Colleagues rate working with them highly
    source: "PM1 — Collaboration"
    required: false
    aspect: collaboration
    condition:
      evidence: stakeholder_feedback
      where:
        rating: {gte: 4}
  - id: pm-1.learns
    title: Learns the product's technology and domain
    source: "PM1 — Craft"
    required: false
    aspect: learning
    condition:
      evidence: learning
  - id: pm-1.raises-risks
    title: Raises blockers and risks early
    source: "PM1 — Communication"
    required: false
    aspect: communication
    condition:
      evidence: risk_raised
"""

VOCABULARY = """\
# The pack's own evidence vocabulary (docs/rules.md, "Bring your own ladder", step 4): themes,
# values and optional fields added to the bundled evidence types, and evidence types of your own.
# Empty, as now, it adds nothing: packets are checked with the bundled packet schema. To start,
# take the leading '# ' off the lines below and keep what your framework needs.
#
# vocabulary_version: 1
# themes: [experimentation]
# extend:                                   # evidence types the packet schema has
#   artifact:
#     fields:
#       kind: {type: string, values: [experiment-brief]}   # more values for an existing field
#       reviewed: {type: boolean}                         # a new optional field
# types:                                    # evidence types of your own
#   experiment:
#     description: A controlled experiment and what the team did with its result.
#     fields:
#       result: {type: string, values: [win, loss, flat], required: true}
#       acted_on: {type: boolean}
#       arms: {type: integer, minimum: 2, maximum: 20}
#       hypothesis: {type: text}             # free text: kept, never read by a rule
"""

FIXTURE = """\
# A fixture: a packet whose verdict `ladder rules test` checks. x-expected-verdict states the
# intent (ready | not_ready | insufficient_evidence); fixtures/expected/ holds the full golden.
schema_version: 1
x-expected-verdict: ready
candidate:
  id: example-1
  track: product
  current_level: external
  target_level: pm-1
period: {start: 2025-01-01, end: 2025-12-31}
evidence:
  - {id: ev-1, type: shipped_outcome, date: 2025-03-04, title: Saved searches, role: contributed, scope: feature}
  - {id: ev-2, type: artifact, date: 2025-02-10, title: Stories for saved searches, kind: user-stories}
  - {id: ev-3, type: discovery, date: 2025-01-20, title: Six user interviews, method: user-interviews}
"""

README = """\
# A ladder rules pack

    ladder rules lint --rules {d}/rules --strict     # the pack is well formed
    ladder rules show --rules {d}/rules              # the criteria, as people read them
    ladder rules test --rules {d}/rules              # every fixture gives its golden verdict
    ladder schema --rules {d}/rules                  # the packet schema packets are checked with
    ladder evaluate PACKET --rules {d}/rules

- `rules/ladder.yaml`: levels, tracks, the form of `source`.
- `rules/<level>.yaml`: one file per level: its policy and criteria.
- `rules/vocabulary.yaml`: evidence types, fields and values of your own (empty to start).
- `fixtures/*.yaml`: packets with their expected verdicts; `fixtures/expected/`: goldens
  (`ladder rules test --update` records them after an intended change).

docs/rules.md, "Bring your own ladder", walks through growing this into your framework.
"""


BUNDLED_README = """\
# The bundled ladder, copied to be changed

    ladder rules lint --rules {d}/rules --strict     # still well formed after your edit
    ladder rules show --rules {d}/rules              # the criteria, as people read them
    ladder evaluate PACKET --rules {d}/rules         # a verdict under your copy
    ladder audit --rules {d}/rules --base HEAD --packets PACKETS   # once committed: whose verdict an edit flips

`rules/` is ladder's own ladder as this version ships it: one file per level, `ladder.yaml` and
`vocabulary.yaml`. Commit it unchanged first, so `ladder audit` can compare your edit with it.
"""


def init_pack(directory: str, bundled: bool = False, source: str | None = None) -> list[Path]:
    """Write a new pack into `directory` (new or empty); returns the files written. `bundled`:
    a copy of the bundled ladder's rules to change, instead of the one-level starter pack;
    `source`: a copy of that rules folder (its .yaml files, paths/ included, and the packet schema
    beside it, as `--rules` finds it), checked to load before anything is written.

    All or nothing: the pack is written into a temporary folder beside `directory`, checked
    (its fixture's golden recorded), and renamed into place only when complete, so a full disk
    or any other failure leaves no half pack behind (and `ladder init` can simply be run again)."""
    import os
    import shutil
    import tempfile

    from ..book.rules import load_rules
    from .ruletools import run_tests

    d = Path(directory)
    if d.exists() and (not d.is_dir() or any(d.iterdir())):
        raise UsageError(summary=f"{d} already exists and is not an empty folder; ladder init writes a new pack")
    fixture = Path("fixtures") / "example-external-to-pm-1-ready.yaml"
    if bundled or source is not None:
        from ..base.resources import default_rules_dir

        src = default_rules_dir() if source is None else Path(source)  # levels, ladder.yaml, paths/
        if source is not None:
            if not src.is_dir():
                raise UsageError(summary=f"--rules {source}: no such rules folder")
            load_rules(src)  # a pack that does not load is not copied (its errors, exit 4)
        files = {
            Path("rules") / p.relative_to(src): p.read_text(encoding="utf-8")
            for p in sorted(src.rglob("*"))
            if p.suffix in (".yaml", ".yml") and p.is_file()
        }
        beside = src.parent / "schemas" / "packet.schema.json"
        if source is not None and beside.is_file():
            files[Path("schemas") / "packet.schema.json"] = beside.read_text(encoding="utf-8")
        readme = (
            BUNDLED_README
            if source is None
            else BUNDLED_README.replace(
                "# The bundled ladder, copied to be changed", "# A rules pack, copied to be changed"
            )
            .replace("`rules/` is ladder's own ladder as this version ships it", "`rules/` is a copy of {src}")
            .replace("{src}", str(source))
        )
        files[Path("README.md")] = readme.replace("{d}", str(d))
    else:
        files = {
            Path("rules") / "ladder.yaml": LADDER,
            Path("rules") / "pm-1.yaml": LEVEL,
            Path("rules") / "vocabulary.yaml": VOCABULARY,
            fixture: FIXTURE,
            Path("README.md"): README.replace("{d}", str(d)),
        }
    tmp: Path | None = None
    try:
        d.absolute().parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{d.absolute().name}.ladder-", suffix=".partial", dir=d.absolute().parent))
        for f, text in files.items():
            (tmp / f).parent.mkdir(parents=True, exist_ok=True)
            (tmp / f).write_text(text, encoding="utf-8")
        if bundled or source is not None:
            load_rules(tmp / "rules")  # the copy loads as the original does
            goldens: list[Path] = []
        else:
            run_tests(load_rules(tmp / "rules"), [tmp / fixture], tmp / "fixtures" / "expected", update=True)
            goldens = sorted(p.relative_to(tmp) for p in (tmp / "fixtures" / "expected").glob("*.golden"))
        try:
            mode = d.stat().st_mode & 0o7777  # an empty folder given: it keeps its mode
        except FileNotFoundError:
            mask = os.umask(0o077)
            os.umask(mask)
            mode = 0o777 & ~mask  # as mkdir would make it (mkdtemp's is 0700)
        os.chmod(tmp, mode)
        os.rename(tmp, d)  # onto an empty folder too; one that filled up meanwhile fails (ENOTEMPTY)
        tmp = None
    except OSError as exc:
        raise OutputError(
            summary=f"cannot write the pack into {d}: {exc.strerror or exc}; nothing was written there"
        ) from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return sorted(d / f for f in files) + [d / g for g in goldens]
