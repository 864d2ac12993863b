"""Checkpoints as plain tensors and containers, loaded with ``torch.load(weights_only=True)``.

``weights_only=True`` refuses to run code from the file (a pickled checkpoint from an unknown
source can run anything), so a checkpoint holds only tensors, numbers, strings, None, lists,
tuples and dicts: state dicts, the config as a dict, the history as tensors, RNG states as
dicts of ints. :func:`save_checkpoint` turns numpy arrays into tensors on the way in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["save_checkpoint", "load_checkpoint"]


def _plain(x: Any) -> Any:
    """numpy arrays -> tensors, numpy scalars -> python numbers, containers recursively."""
    if isinstance(x, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(x))
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, torch.Tensor):
        return x.detach().cpu()
    if isinstance(x, Mapping):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    return x


def save_checkpoint(path: str | os.PathLike, state: Mapping[str, Any]) -> Path:
    """Write ``state`` (a dict of state dicts, config, history ...) to ``path``; returns the path.

    The file is written next to ``path`` first and then renamed over it, so an interrupted save
    never leaves half a checkpoint behind. Tensors are moved to the CPU.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(_plain(dict(state)), tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (tensors on the CPU).

    Uses ``torch.load(weights_only=True)``: a file holding anything but tensors and plain
    containers is refused instead of being executed.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no checkpoint at {path}; pass the checkpoint_path a run wrote (train_dqn(..., "
            "checkpoint_path=..., checkpoint_every=...))."
        )
    return torch.load(path, map_location="cpu", weights_only=True)
