"""'Did you mean' hints for misspelt level ids, fields and evidence types."""
from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, options: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(str(word), sorted(set(options)), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, options: Iterable[str]) -> str:
    close = closest(word, options)
    return f"; did you mean {close!r}?" if close else ""


def listing(items: Iterable[object], limit: int = 10) -> str:
    """Items joined by commas, the first `limit` of them, then how many more: a list in a message
    (known ids, allowed values) stays a line long however long the pack makes it."""
    shown = [str(i) for i in items]
    if len(shown) <= limit:
        return ", ".join(shown)
    return ", ".join(shown[:limit]) + f" and {len(shown) - limit} more"
