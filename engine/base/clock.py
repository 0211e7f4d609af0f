"""The day of the run, read from the system clock here and nowhere else.

A verdict depends on the day in two checks only: a period that ends after today is an error, and
a period long past is warned about. The day travels explicitly with the rest of what a packet is
checked against (engine.org.anchors.Anchors.today): the command line reads the clock once (or
takes `--today DATE`) and hands the day on; batch workers get it in their options, a replay
(reverify) the day each verdict line recorded. There is no process-wide day to set or restore."""

from __future__ import annotations

import datetime as dt


def today() -> dt.date:
    """The system's day, for a run that was given none."""
    return dt.date.today()
