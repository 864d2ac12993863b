"""Part I: Markov chains, MRPs, MDPs and dynamic programming with a known model.

Shapes (see ``rlcourse.mdp.mdp``): P (S, A, S) dense or scipy.sparse (S*A, S) with row
s*A + a; R (S, A); terminal (S,) bool; a policy pi (S, A). Only numpy and scipy are used.
"""
from rlcourse.mdp.bellman import (
    bellman_expectation,
    bellman_optimality,
    greedy_policy,
    induced_mrp,
    q_from_v,
)
from rlcourse.mdp.chain import MarkovChain, discounted_return, returns
from rlcourse.mdp.dp import policy_evaluation, policy_improvement, policy_iteration, value_iteration
from rlcourse.mdp.examples import (grid_mdp, jump_random_walk_mrp, random_mdp, random_walk_mrp,
                                   two_state_chain)
from rlcourse.mdp.mdp import MDP, uniform_policy, validate_policy
from rlcourse.mdp.mrp import MRP
from rlcourse.mdp.results import DPResult, EvaluationResult

__all__ = [
    "MarkovChain", "MRP", "MDP", "induced_mrp", "bellman_expectation", "bellman_optimality",
    "q_from_v", "greedy_policy", "policy_evaluation", "policy_improvement", "policy_iteration",
    "value_iteration", "discounted_return", "returns", "uniform_policy", "validate_policy",
    "DPResult", "EvaluationResult", "grid_mdp", "jump_random_walk_mrp", "random_mdp", "random_walk_mrp",
    "two_state_chain",
]
