"""What the deep chapters' tests share."""

from __future__ import annotations

import numpy as np
import torch


def assert_same_run(a, b) -> None:
    """Two training results are the same run: every history column (wall time aside, the one
    column that may differ) and every weight of the final model equal, bit for bit."""
    assert a.history.keys() == b.history.keys()
    for k in a.history:
        if k != "wall_seconds":
            np.testing.assert_array_equal(a.history[k], b.history[k], err_msg=k)
    for (name, pa), pb in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(pa, pb), name


def global_draws_around(train):
    """``(result, before, after)``: ``train()`` run between two identical reseedings of python's,
    numpy's and torch's global generators; ``before == after`` (the next draw of each) exactly
    when training drew nothing from them and left them as it found them."""
    import random

    def reseed_and_draw(draw: bool):
        random.seed(5)
        np.random.seed(5)
        torch.manual_seed(5)
        return (random.random(), np.random.random(), torch.rand(1).item()) if draw else None

    before = reseed_and_draw(True)
    reseed_and_draw(False)
    result = train()
    after = (random.random(), np.random.random(), torch.rand(1).item())
    return result, before, after
