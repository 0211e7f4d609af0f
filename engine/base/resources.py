"""Bundled data: the default rules and the JSON Schemas.

Installed from a wheel they live in ladder/engine/_bundled/; in a checkout they are the
top-level rules/ and schemas/ folders. Both are found without depending on the working directory,
and whichever name this package was imported under (`ladder.engine` installed, `engine` in a
checkout).
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
from functools import cache
from pathlib import Path

from .errors import RulesError

_ENGINE = Path(__file__).resolve().parents[1]  # engine/base/resources.py -> engine/ (ladder/engine/ installed)
_CHECKOUT = _ENGINE.parent  # -> the checkout


def _bundled(name: str) -> Path:
    # The package's own folder, as importlib.resources.files would give it for a package installed as
    # files (ladder is never imported from a zip: durable_rules' C core cannot be); importing
    # importlib.resources would cost a cold start about 10 ms.
    packaged = _ENGINE / "_bundled" / name
    if packaged.is_dir():
        return packaged
    local = _CHECKOUT / name
    if local.is_dir():
        return local
    raise RulesError(summary=f"bundled {name}/ not found (looked in {packaged} and {local}); reinstall ladder")


def installed_version(dist: str, module: str) -> str | None:
    """The version of the installed distribution `dist` that provides the top-level `module`; None if
    it is not installed. Read from the METADATA of the one `dist-*.dist-info` beside the module (a
    wheel's layout), or else through importlib.metadata, whose import (the email package with it)
    would cost every cold start about 15 ms."""
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.origin:
        where = os.path.dirname(spec.origin)  # a module's folder; a package's own folder...
        if spec.submodule_search_locations is not None:
            where = os.path.dirname(where)  # ... whose parent holds the dist-info
        found = glob.glob(os.path.join(glob.escape(where), f"{dist}-*.dist-info", "METADATA"))
        if len(found) == 1:
            with open(found[0], encoding="utf-8") as fh:
                for line in fh:
                    if not line.strip():
                        break  # the end of the headers
                    if line.startswith("Version:"):
                        return line.partition(":")[2].strip()
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


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
