"""Bundled data: the default rules and the JSON Schemas.

Installed from a wheel they live in ladder/engine/_bundled/; in a checkout they are the
top-level rules/ and schemas/ folders. Both are found without depending on the working directory,
and whichever name this package was imported under (`ladder.engine` installed, `engine` in a
checkout).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

from .errors import RulesError

_CHECKOUT = Path(__file__).resolve().parents[2]  # engine/base/resources.py -> the checkout


def _bundled(name: str) -> Path:
    packaged = resources.files(__package__.rpartition(".")[0]) / "_bundled" / name
    if packaged.is_dir():
        return Path(str(packaged))
    local = _CHECKOUT / name
    if local.is_dir():
        return local
    raise RulesError(summary=f"bundled {name}/ not found (looked in {packaged} and {local}); reinstall ladder")


def default_rules_dir() -> Path:
    return _bundled("rules")


def schemas_dir() -> Path:
    return _bundled("schemas")


@cache
def load_schema(name: str) -> dict:
    """A JSON Schema by file stem, e.g. 'packet' -> schemas/packet.schema.json.

    A schema naming another in `x-ladder-defs-from` gets that one's `$defs` under its own (the
    path profiles' signals use the rule language's conditions: one definition, never two)."""
    path = schemas_dir() / f"{name}.schema.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RulesError(summary=f"{path}: cannot load schema: {exc}") from None
    base = data.get("x-ladder-defs-from")
    if isinstance(base, str) and base != name:
        data["$defs"] = {**load_schema(base).get("$defs", {}), **data.get("$defs", {})}
    return data
