"""What makes two records one outcome: titles compared by their Unicode skeleton, metrics by
what they measured whatever the unit, and phases whose numbers chain.

Every key here is internal: none of it is shown (free text is never echoed), and the one key
that leaves a process, `fingerprints`, is a short hash.

Titles are compared after NFKC (compatibility forms: full-width letters, ligatures), case
folding, and the confusable skeleton of Unicode Technical Standard #39 as ICU computes it
(a Cyrillic "е" in a Latin title is the Latin "e"): a title changed by a look-alike letter is
not a new title.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from functools import lru_cache
from typing import Any

_PUNCT = str.maketrans({c: " " for c in ".,;:!?-_/()[]'\"&+|*~`<>{}#%^=@$"})
_SPOOF: Any = None


def _spoof() -> Any:
    """ICU's spoof checker (PyICU), built on first use: the skeleton is TR39's, from ICU's data."""
    global _SPOOF
    if _SPOOF is None:
        import icu

        _SPOOF = icu.SpoofChecker()
    return _SPOOF


def _plain(t: str) -> str:
    return " ".join(t.translate(_PUNCT).split())


@lru_cache(maxsize=65536)
def _title_key(t: str) -> str | None:
    folded = _plain(unicodedata.normalize("NFKC", t).casefold())
    if not folded:
        return None
    sk = _ascii_skeleton(folded) if folded.isascii() else _plain(_spoof().getSkeleton(0, folded))
    return sk or None


# TR39's skeleton of every ASCII character whose skeleton is not itself, as ICU's SpoofChecker gives
# it (tests/test_outcomes_ascii.py holds each of the 128 against ICU): an all-ASCII title, the usual
# case, is folded without loading ICU.
ASCII_SKELETONS = {'"': "''", "%": "\u00ba/\u2080", "0": "O", "1": "l", "I": "l", "`": "'", "m": "rn", "|": "l"}
_ASCII_TABLE = str.maketrans(ASCII_SKELETONS)


def _ascii_skeleton(t: str) -> str:
    """TR39's skeleton of an ASCII text (ICU maps few ASCII characters: l, m, 0, 1...), a character at a time."""
    return _plain(t.translate(_ASCII_TABLE))


def norm_title(t: Any) -> str | None:
    """A title as compared for identity: case, spacing, punctuation, compatibility forms and
    look-alike letters (TR39 confusables) do not make a title new. None: no title."""
    return _title_key(t) if isinstance(t, str) else None


def words_key(text: Any) -> tuple[str, ...]:
    """A metric name's words, folded as titles are (a look-alike letter does not hide a word)."""
    return tuple(key.split()) if isinstance(text, str) and (key := norm_title(text)) else ()


def has_phrase(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return bool(n) and any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


# -- metrics -------------------------------------------------------------------------------------
def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def _mantissa(v: float) -> str:
    """v without its power of ten: 2.1, 210 and 0.021 are one figure in other units."""
    return f"{v:.8e}".split("e")[0]


def _unit(m: dict) -> str:
    u = m.get("unit")
    return norm_title(u) or "" if isinstance(u, str) else ""


def metric_keys(ms: list) -> tuple[tuple, list[tuple], list[tuple]]:
    """One pass over a record's metrics, for engine.book.integrity._repeats:

    - the restated key: the metrics as they would read in any unit that differs by a power of
      ten (% and basis points, $ and $k): per metric its kind, direction, the baseline's figure
      and result/baseline (from 0: the result's figure), in any order;
    - the (starts, ends) of its moved metrics: a record whose start is another's end continues
      it (one outcome told in phases); kind, direction and unit must agree."""
    keys: list[tuple] = []
    starts, ends = [], []
    for m in ms:
        if not isinstance(m, dict):
            continue
        base, res = _num(m.get("baseline")), _num(m.get("result"))
        kind, hib = str(m.get("kind")), m.get("higher_is_better", True)
        if base is None or res is None:
            keys.append((kind, hib, "raw", repr(m.get("baseline")), repr(m.get("result"))))
            continue
        if base == 0:
            keys.append((kind, hib, "from0", _mantissa(res) if res else "0"))
        else:
            keys.append((kind, hib, _mantissa(base), f"{res / base:.9g}"))
        if base != res:
            k = (kind, hib, _unit(m))
            starts.append(k + (base,))
            ends.append(k + (res,))
    return (tuple(keys) if len(keys) < 2 else tuple(sorted(keys))), starts, ends


# -- across packets ------------------------------------------------------------------------------
def fingerprints(evidence: list[dict], once_types: frozenset[str]) -> list[tuple[str, str]]:
    """(evidence id, fingerprint) for each record that is an outcome of its own (a type that does
    not recur, with a title): a short hash of its type and title key, the same for the same
    outcome in any candidate's packet. 12 hex digits: no free text leaves in it."""
    out = []
    for ev in evidence:
        if ev.get("type") not in once_types:
            continue
        t = norm_title(ev.get("title"))
        if t is None:
            continue
        h = hashlib.sha256(f"{ev['type']}\x00{t}".encode()).hexdigest()[:12]
        out.append((ev["id"], h))
    return out


class SharedOutcomes:
    """The outcomes of a batch by fingerprint: the first candidate claiming each, and every
    candidate of an outcome that more than one claims. Co-owners are real (two PMs who co-led a
    launch): a shared outcome is flagged on each candidate's line for the committee to decide,
    never dropped."""

    def __init__(self) -> None:
        self.first: dict[str, tuple[str, str]] = {}  # fingerprint -> (candidate id, evidence id)
        # fingerprint -> the first candidate's further records of it (a repeat): rare, so kept apart
        self.again: dict[str, list[str]] = {}
        self.shared: dict[str, dict[str, list[str]]] = {}  # fingerprint -> candidate id -> evidence ids

    def add(self, cid: str, claims: list[tuple[str, str]]) -> None:
        for eid, fp in claims:
            first = self.first.get(fp)
            if first is None:
                self.first[fp] = (cid, eid)
                continue
            if first[0] == cid and fp not in self.shared:
                # one candidate's own (a repeat, or the same candidate in two inputs: also_in): not
                # shared yet, but kept, so that a later claimant flags every record of it, as it would
                # had it come first (the flags do not depend on the order of the inputs)
                if eid != first[1] and eid not in (again := self.again.setdefault(fp, [])):
                    again.append(eid)
                continue
            if fp not in self.shared:
                self.shared[fp] = {first[0]: [first[1], *self.again.pop(fp, [])]}
            ids = self.shared[fp].setdefault(cid, [])
            if eid not in ids:
                ids.append(eid)

    def flags(self) -> _Flags:
        """candidate id -> its line's `shared_outcomes` (computed line by line, so a launch that
        thousands of generated packets share costs memory linear in the claims)."""
        return _Flags({fp: by for fp, by in self.shared.items() if len(by) > 1})

    def text(self, limit: int) -> list[str]:
        shared = [(fp, sorted(by)) for fp, by in sorted(self.shared.items()) if len(by) > 1]
        if not shared:
            return []
        lines = [
            f"{len(shared)} outcome(s) claimed by more than one candidate (co-owners are real; the committee "
            'decides), flagged on each of their lines ("shared_outcomes"):'
        ]
        return (
            lines
            + [
                f"  outcome {fp}: {', '.join(cids[:MAX_NAMED])}"
                + (f" and {len(cids) - MAX_NAMED} more" if len(cids) > MAX_NAMED else "")
                for fp, cids in shared[:limit]
            ]
            + ([f"  ... and {len(shared) - limit} more outcome(s)"] if len(shared) > limit else [])
        )


MAX_NAMED = 10  # other candidates named on a line per shared outcome; the rest are counted


class _Flags:
    def __init__(self, shared: dict[str, dict[str, list[str]]]) -> None:
        self.shared = shared
        self.names = {fp: sorted(by) for fp, by in shared.items()}  # each outcome's candidates, sorted once
        self.by_cid: dict[str, list[tuple[str, str]]] = {}
        for fp, by in shared.items():
            for cid, eids in by.items():
                self.by_cid.setdefault(cid, []).extend((e, fp) for e in eids)

    def __bool__(self) -> bool:
        return bool(self.by_cid)

    def get(self, cid: str) -> list[dict] | None:
        """[{evidence, outcome, also_claimed_by (at most MAX_NAMED), and_more (when more)}]."""
        got = self.by_cid.get(cid)
        if not got:
            return None
        out = []
        for eid, fp in sorted(got):
            names = self.names[fp]
            others = [c for c in names[: MAX_NAMED + 1] if c != cid][:MAX_NAMED]
            flag: dict[str, Any] = {"evidence": eid, "outcome": fp, "also_claimed_by": others}
            if len(names) - 1 > MAX_NAMED:
                flag["and_more"] = len(names) - 1 - MAX_NAMED
            out.append(flag)
        return out
