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


def test_each_name_is_loaded_from_its_module_on_first_use_and_kept(monkeypatch):
    import importlib

    for name, where in engine._WHERE.items():
        monkeypatch.delitem(vars(engine), name, raising=False)  # as if never used in this process
        real = getattr(importlib.import_module(f"engine.{where}"), name)
        assert getattr(engine, name) is real
        assert vars(engine)[name] is real  # kept: the next look-up is a plain attribute
    try:
        engine.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert str(exc) == "module 'engine' has no attribute 'no_such_name'"
    else:
        raise AssertionError("an unknown name must be an AttributeError")
