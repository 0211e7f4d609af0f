"""The library's public names: each package's `__all__` is exactly what it exports, and every name
in it can be imported (a name left out of `__all__` is missing from `from engine import *` and from
the documented API; a name that cannot be imported breaks it)."""
from __future__ import annotations

import types

import engine
import engine.audit


def test_engine_exports_exactly_the_names_it_loads_on_first_use():
    assert sorted(engine.__all__) == sorted(engine._WHERE)
    namespace: dict = {}
    exec("from engine import *", namespace)  # noqa: S102 - the star import is what is tested
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(engine.__all__)
    assert set(engine.__all__) <= set(dir(engine))


def test_the_audit_package_exports_every_name_it_gathers_from_its_modules():
    public = {n for n, v in vars(engine.audit).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)}
    assert sorted(engine.audit.__all__) == sorted(public)
    assert all(getattr(engine.audit, n) is not None for n in engine.audit.__all__)
