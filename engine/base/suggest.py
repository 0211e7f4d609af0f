"""'Did you mean' hints for misspelt level ids, fields and evidence types."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option nearest `word`: the one it equals but for case (`'RICE'` -> `'rice'`) when there
    is exactly one, else the nearest by spelling, compared as written and then ignoring case."""
    import difflib  # only a misspelling needs it: a command that finds none never loads it

    opts = sorted({str(o) for o in options})
    word = str(word)
    same = [o for o in opts if o.casefold() == word.casefold()]
    if len(same) == 1 and same[0] != word:
        return same[0]
    close = difflib.get_close_matches(word, opts, n=1, cutoff=0.6)
    if close:
        return close[0]
    folded: dict[str, str] = {}
    for o in opts:
        folded.setdefault(o.casefold(), o)
    close = difflib.get_close_matches(word.casefold(), sorted(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


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
