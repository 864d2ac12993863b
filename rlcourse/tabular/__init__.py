"""Part II: learning from experience, with tables and linear features (numpy only).

- :mod:`~rlcourse.tabular.episodes`   sample_episode, Episode
- :mod:`~rlcourse.tabular.prediction` MC (first/every visit, sample average or constant alpha)
  and TD(0) prediction of V^pi ([D001])
- :mod:`~rlcourse.tabular.control`    epsilon-greedy Q-learning and SARSA ([D003])
- :mod:`~rlcourse.tabular.features`   feature maps phi(s) as (S, d) matrices
- :mod:`~rlcourse.tabular.linear`     v_hat(s, w) = phi(s)^T w, gradient MC, semi-gradient TD(0),
  the best linear fit and the TD fixed point
- :mod:`~rlcourse.tabular.experiments` the figures the chapters reproduce, named after them

Two layers, as in Part I. The functions named after the slides' updates take plain arrays and
return new ones (``mc_update``, ``td0_update``, ``q_learning_update``, ``epsilon_greedy``,
``gradient_mc_update`` ...): they are the exercises' functions, with the same arguments. The
trainers ``train_*`` run a whole algorithm on a gymnasium env (Discrete spaces, e.g. MineGrid) or
an rlcourse MRP / MDP sampled directly, take a config dataclass (fields can be overridden by
keyword) and a ``seed``, and return a record with the learned values, the config and the
history (one column per quantity, one entry per episode). Hyperparameters are keyword-only, in
the order alpha, gamma, epsilon.
"""

from rlcourse.tabular import experiments  # noqa: F401  (rlcourse.tabular.experiments)
from rlcourse.tabular.control import (
    ControlResult,
    QLearningConfig,
    SarsaConfig,
    epsilon_greedy,
    epsilon_greedy_policy,
    q_learning,
    q_learning_update,
    sarsa,
    sarsa_update,
    train_q_learning,
    train_sarsa,
)
from rlcourse.tabular.episodes import Episode, sample_episode
from rlcourse.tabular.features import (
    as_feature_matrix,
    coordinate_features,
    one_hot_features,
    rbf_features,
    state_aggregation_features,
    tile_features,
)
from rlcourse.tabular.linear import (
    LinearPredictionResult,
    gradient_mc_update,
    least_squares_weights,
    semi_gradient_td0_update,
    td_fixed_point,
    train_gradient_mc,
    train_semi_gradient_td0,
    v_hat,
)
from rlcourse.tabular.prediction import (
    MCConfig,
    PredictionResult,
    TD0Config,
    every_visit_mc,
    first_visit_mc,
    mc_update,
    rms_error,
    td0_episode,
    td0_update,
    train_mc_prediction,
    train_td0_prediction,
)

__all__ = [
    "Episode",
    "sample_episode",
    "mc_update",
    "td0_update",
    "first_visit_mc",
    "every_visit_mc",
    "td0_episode",
    "train_mc_prediction",
    "train_td0_prediction",
    "MCConfig",
    "TD0Config",
    "PredictionResult",
    "rms_error",
    "epsilon_greedy",
    "epsilon_greedy_policy",
    "q_learning_update",
    "sarsa_update",
    "q_learning",
    "sarsa",
    "train_q_learning",
    "train_sarsa",
    "QLearningConfig",
    "SarsaConfig",
    "ControlResult",
    "one_hot_features",
    "state_aggregation_features",
    "rbf_features",
    "tile_features",
    "coordinate_features",
    "as_feature_matrix",
    "v_hat",
    "gradient_mc_update",
    "semi_gradient_td0_update",
    "least_squares_weights",
    "td_fixed_point",
    "train_gradient_mc",
    "train_semi_gradient_td0",
    "LinearPredictionResult",
]
