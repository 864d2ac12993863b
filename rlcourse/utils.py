"""Small helpers shared by every part of the course."""

from __future__ import annotations

from typing import Any

import numpy as np

SeedLike = int | np.random.Generator | None


def as_generator(seed: SeedLike = None) -> np.random.Generator:
    """Return a numpy Generator for ``seed``.

    An ``int`` (or ``None``) seeds a fresh ``np.random.default_rng``; a Generator is returned
    as it is, so a caller can thread one stream of random numbers through several functions.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}; pass e.g. seed=0.")
        return np.random.default_rng(seed)
    raise TypeError(
        f"seed must be an int, a numpy.random.Generator or None, got {type(seed).__name__}; "
        "pass e.g. seed=0 for reproducible numbers."
    )


class _NoBar:
    """Stands in for a tqdm bar when progress is off: every method does nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, enabled: bool, desc: str) -> Any:
    """A tqdm bar over ``total`` steps when ``enabled`` (``progress=True``), else a silent stand-in.

    Long loops (value iteration on big models, many training episodes) take ``progress=False``
    by default so that notebooks and tests print nothing extra; pass ``progress=True`` to watch.
    """
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)
