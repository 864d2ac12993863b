"""Part II: learning from experience, with tables and linear features (numpy only).

- :mod:`~rlcourse.tabular.episodes`   sample_episode, Episode, episode_returns
- :mod:`~rlcourse.tabular.prediction` MC (first/every visit, sample average or constant alpha)
  and TD(0) prediction of V^pi (deck 001)
- :mod:`~rlcourse.tabular.control`    epsilon-greedy Q-learning and SARSA (deck 003)
- :mod:`~rlcourse.tabular.features`   feature maps phi(s) as (S, d) matrices
- :mod:`~rlcourse.tabular.linear`     v_hat(s, w) = phi(s)^T w, gradient MC, semi-gradient TD(0)

Every learner accepts a gymnasium env with Discrete spaces (e.g. MineGrid) or an rlcourse
MRP/MDP sampled directly, takes a config dataclass (fields can be overridden by keyword) and
returns a dataclass.
"""
from rlcourse.tabular.control import (ControlResult, QLearningConfig, SarsaConfig,
                                      epsilon_greedy, greedy_action, greedy_is_optimal,
                                      greedy_policy_from_q, q_learning, q_learning_update,
                                      reachable_states, sarsa, sarsa_update,
                                      suboptimal_reachable_states)
from rlcourse.tabular.episodes import Episode, episode_returns, sample_episode
from rlcourse.tabular.features import (as_feature_matrix, coordinate_features,
                                       one_hot_features, rbf_features,
                                       state_aggregation_features, tile_features)
from rlcourse.tabular.linear import (LinearPredictionResult, gradient_mc, gradient_mc_update,
                                     semi_gradient_td0, semi_gradient_td0_update, v_hat)
from rlcourse.tabular.prediction import (MCConfig, PredictionResult, TD0Config,
                                         mc_episode_update, mc_prediction, mc_update,
                                         rms_error, td0_episode_update, td0_prediction,
                                         td0_update)

__all__ = [
    "Episode", "sample_episode", "episode_returns",
    "mc_update", "td0_update", "mc_episode_update", "td0_episode_update",
    "mc_prediction", "td0_prediction", "MCConfig", "TD0Config", "PredictionResult", "rms_error",
    "epsilon_greedy", "greedy_action", "greedy_policy_from_q", "q_learning_update",
    "sarsa_update", "q_learning", "sarsa", "QLearningConfig", "SarsaConfig", "ControlResult",
    "reachable_states", "suboptimal_reachable_states", "greedy_is_optimal",
    "one_hot_features", "state_aggregation_features", "rbf_features", "tile_features",
    "coordinate_features", "as_feature_matrix",
    "v_hat", "gradient_mc_update", "semi_gradient_td0_update", "gradient_mc",
    "semi_gradient_td0", "LinearPredictionResult",
]
