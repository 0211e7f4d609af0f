"""The day of the run: the one read of the clock, for the one check that needs it (a period that
ends after today is an error). Read once per process, before workers fork; `--today DATE`
replaces it (tests, replaying an old cycle). Nothing else in a verdict depends on the clock."""
from __future__ import annotations

import datetime as dt

_TODAY: dt.date | None = None


def today() -> dt.date:
    global _TODAY
    if _TODAY is None:
        _TODAY = dt.date.today()
    return _TODAY


def set_today(day: dt.date | None) -> None:
    """Use `day` as the day of the run (None: read the clock again on next use)."""
    global _TODAY
    _TODAY = day
