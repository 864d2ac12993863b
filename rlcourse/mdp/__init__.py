"""Part I: Markov chains, MRPs, MDPs and dynamic programming with a known model.

Two layers. The functions named after the slides' symbols take plain numpy arrays and return
plain arrays: they are exactly the functions the exercises ask for, with the same arguments, so a
student's solution and the package's can be swapped. The model objects (:class:`MarkovChain`,
:class:`MRP`, :class:`MDP`) validate a model once, name its states, and the solvers that take
them return records with the iteration history.

Each idea, on arrays -> on a model object:

- return: ``discounted_return(rewards, gamma=)``, ``returns(rewards, gamma=)``
- n-step distribution: ``n_step_distribution(P, mu0, n)`` -> ``chain.distribution(mu0, n)``
- stationary distribution: ``stationary_distribution(P)`` -> ``chain.stationary()``
- MRP values: ``mrp_value(P, R, terminal, gamma=)``, ``mrp_value_iterative(...)``
  -> ``mrp.value_closed_form()``, ``mrp.value_iterative()``
- induced MRP: ``induced_mrp(P, R, pi) -> (P_pi, R_pi)`` -> ``MRP.from_policy(mdp, pi)``
- Q from V: ``q_from_v(P, R, V, terminal, gamma=)``
- Bellman operators: ``bellman_expectation(P, R, pi, V, ...)``, ``bellman_optimality(P, R, V, ...)``
- greedy policy: ``greedy_policy(Q)``
- policy evaluation: ``policy_evaluation(P, R, pi, terminal, gamma=) -> V``
  -> ``evaluate_policy(mdp, pi)``
- policy iteration: ``policy_iteration(P, R, terminal, gamma=) -> (V, pi)``
  -> ``solve_policy_iteration(mdp)``
- value iteration: ``value_iteration(P, R, terminal, gamma=, tol=) -> (V, pi)``
  -> ``solve_value_iteration(mdp)``

Shapes: P (S, A, S) dense or scipy.sparse (S*A, S) with row s*A + a; R (S, A); terminal (S,)
bool (or a list of indices); a policy pi (S, A). Hyperparameters (gamma, tol) are keyword-only.
Only numpy and scipy are used.
"""

from rlcourse.mdp.bellman import (
    TIE_TOL,
    bellman_expectation,
    bellman_optimality,
    greedy_policy,
    induced_mrp,
    q_from_v,
)
from rlcourse.mdp.chain import (
    MarkovChain,
    discounted_return,
    n_step_distribution,
    returns,
    stationary_distribution,
)
from rlcourse.mdp.dp import (
    evaluate_policy,
    policy_evaluation,
    policy_improvement,
    policy_iteration,
    solve_policy_iteration,
    solve_value_iteration,
    value_iteration,
)
from rlcourse.mdp.evaluation import (
    greedy_is_optimal,
    on_policy_distribution,
    reachable_states,
    suboptimal_reachable_states,
)
from rlcourse.mdp.examples import (
    grid_mdp,
    jump_random_walk_mrp,
    random_mdp,
    random_walk_mrp,
    two_state_chain,
)
from rlcourse.mdp.mdp import MDP, uniform_policy
from rlcourse.mdp.mrp import MRP, mrp_value, mrp_value_iterative
from rlcourse.mdp.results import DPResult, EvaluationResult

__all__ = [
    # arrays: the slides' functions
    "discounted_return",
    "returns",
    "n_step_distribution",
    "stationary_distribution",
    "mrp_value",
    "mrp_value_iterative",
    "induced_mrp",
    "q_from_v",
    "bellman_expectation",
    "bellman_optimality",
    "greedy_policy",
    "policy_evaluation",
    "policy_improvement",
    "policy_iteration",
    "value_iteration",
    "on_policy_distribution",
    "TIE_TOL",
    # model objects and the solvers that take them
    "MarkovChain",
    "MRP",
    "MDP",
    "uniform_policy",
    "evaluate_policy",
    "solve_policy_iteration",
    "solve_value_iteration",
    "DPResult",
    "EvaluationResult",
    "reachable_states",
    "suboptimal_reachable_states",
    "greedy_is_optimal",
    # example models
    "grid_mdp",
    "jump_random_walk_mrp",
    "random_mdp",
    "random_walk_mrp",
    "two_state_chain",
]
