"""The names used in the package's type hints (for readers and type checkers only).

Every public function of the course is annotated with these, so that its signature says what
it takes: an ``ArrayLike`` is anything ``np.asarray`` accepts (a list, a tuple, an array);
``Transitions`` is a transition matrix P, dense or scipy.sparse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from numpy.typing import ArrayLike

# scipy, matplotlib and the Episode class are not imported when rlcourse is: type checkers see
# the precise types, the running program (typing.get_type_hints) sees Any for those three.
if TYPE_CHECKING:
    from collections.abc import Sequence

    import scipy.sparse as sp
    from matplotlib.axes import Axes

    from rlcourse.tabular.episodes import Episode

    Transitions: TypeAlias = ArrayLike | sp.spmatrix | sp.sparray
    EpisodeLike: TypeAlias = Episode | tuple[Sequence[int], Sequence[float]]
else:
    Transitions = Any
    EpisodeLike = Any
    Axes = Any

__all__ = [
    "ArrayLike",
    "Transitions",
    "StartLike",
    "EpisodeLike",
    "EnvOrModel",
    "FeatureMap",
    "Axes",
    "T",
]

# Transitions: P, a dense array-like ((S, A, S) or (S, S)) or a scipy.sparse matrix.
# EpisodeLike: an rlcourse.tabular.Episode or a pair (states S_0 .. S_T, rewards R_1 .. R_T).
# Axes: a matplotlib Axes.

StartLike: TypeAlias = int | str | ArrayLike | None
"""A start state (index or name), a start distribution (S,), or None (the default start)."""

EnvOrModel: TypeAlias = Any
"""A gymnasium env with Discrete spaces (e.g. MineGrid), or an rlcourse MRP / MDP."""

FeatureMap: TypeAlias = ArrayLike | Callable[[int], ArrayLike]
"""Features: an (S, d) matrix Phi, or a function s -> phi(s) of shape (d,)."""

T = TypeVar("T")
