"""Every public function and method of the package carries type hints (the issue's habit for the
people who carry on the work), and the hints resolve (no name is missing)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing

import pytest

import rlcourse
from rlcourse.mdp import MDP, MRP


def _public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(rlcourse.__path__, "rlcourse."):
        private = any(part.startswith("_") for part in info.name.split(".")[1:])
        if not private:
            names.append(info.name)
    return names


def _public_callables(module):
    for attr, obj in vars(module).items():
        if attr.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj):
            yield attr, obj
        elif inspect.isclass(obj):
            for name, member in vars(obj).items():
                if inspect.isfunction(member) and (not name.startswith("_") or name == "__init__"):
                    yield f"{attr}.{name}", member


@pytest.mark.parametrize("module_name", _public_modules())
def test_public_functions_have_type_hints(module_name):
    module = importlib.import_module(module_name)
    missing = []
    for qualname, fn in _public_callables(module):
        fn = inspect.unwrap(fn)
        sig = inspect.signature(fn)
        for p in sig.parameters.values():
            if p.name in ("self", "cls") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if p.annotation is inspect.Parameter.empty:
                missing.append(f"{qualname}({p.name})")
        if not qualname.endswith("__init__") and sig.return_annotation is inspect.Signature.empty:
            missing.append(f"{qualname} -> ?")
        # every name in the hints resolves (the model classes are imported for type checkers only
        # where importing them at run time would pull scipy into `rlcourse --help`)
        typing.get_type_hints(fn, localns={"MDP": MDP, "MRP": MRP})
    assert not missing, f"{module_name}: no type hint for " + ", ".join(missing)
