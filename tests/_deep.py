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
