"""The graded items of every chapter: one module ``chNN.py`` (or ``chNN_anything.py``) each.

Modules are imported on demand, one chapter at a time (:func:`load_chapter`), so a broken
chapter module cannot stop another chapter from being checked or graded. Adding a chapter
means adding a module here; nothing needs registering by hand.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

_MODULE = re.compile(r"^ch(\d{2})(_\w+)?$")
_LOADED: set[str] = set()


def chapter_modules() -> dict[str, list[str]]:
    """``{"NN": [module names]}`` for every ``chNN*.py`` module in this package."""
    found: dict[str, list[str]] = {}
    for info in pkgutil.iter_modules(__path__):
        m = _MODULE.match(info.name)
        if m:
            found.setdefault(m.group(1), []).append(info.name)
    return {nn: sorted(names) for nn, names in sorted(found.items())}


def load_chapter(chapter: str) -> None:
    """Import the item modules of chapter ``NN`` (once)."""
    nn = f"{int(chapter):02d}"
    if nn in _LOADED:
        return
    for name in chapter_modules().get(nn, []):
        importlib.import_module(f"{__name__}.{name}")
    _LOADED.add(nn)


def load_all() -> None:
    """Import every chapter's item module."""
    for nn in chapter_modules():
        load_chapter(nn)
