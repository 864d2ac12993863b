"""The rules every function of Parts I to III follows (the one pattern of the course):

(a) update functions return a new array and leave their inputs alone; ``out=X`` writes into X,
    returns X and gives the same numbers;
(b) hyperparameters are keyword-only, named as on the slides, alpha before gamma before epsilon;
(c) ties go to the lowest action index everywhere;
(d) an array function given a model object says which function takes the model.
"""

import inspect

import numpy as np
import pytest

import rlcourse.deep as deep_module
import rlcourse.mdp as mdp_module
import rlcourse.tabular as tabular_module
from rlcourse.envs import MineGrid
from rlcourse.mdp import MDP, MRP, MarkovChain, greedy_policy, random_walk_mrp
from rlcourse.tabular import (
    epsilon_greedy,
    gradient_mc_update,
    mc_update,
    q_learning_update,
    sarsa_update,
    semi_gradient_td0_update,
    td0_episode,
    td0_update,
)

# ---------------------------------------------------------------- (a) pure updates, out=
V0 = np.array([0.5, -1.0, 2.0, 0.0])
Q0 = np.array([[0.0, 1.0], [2.0, -3.0], [0.5, 0.5]])
PHI, PHI_NEXT = np.array([1.0, 0.0, 2.0]), np.array([0.0, 1.0, 1.0])
W0 = np.array([0.1, -0.2, 0.3])

# (name, function, positional data, keywords, index of the array that is updated)
UPDATES = [
    ("mc_update", mc_update, (V0, 1, 3.0), {"alpha": 0.1}, 0),
    ("td0_update", td0_update, (V0, 1, 1.0, 2), {"alpha": 0.1, "gamma": 0.9}, 0),
    ("td0_update terminal", td0_update, (V0, 1, 1.0, 2, True), {"alpha": 0.1, "gamma": 0.9}, 0),
    (
        "td0_episode",
        td0_episode,
        (V0, np.array([0, 1, 2, 1, 3]), np.array([1.0, 0.0, -2.0, 5.0])),
        {"alpha": 0.5, "gamma": 0.9},
        0,
    ),
    (
        "td0_episode truncated",
        td0_episode,
        (V0, [0, 1, 2], [1.0, 2.0], False),
        {"alpha": 0.5, "gamma": 0.9},
        0,
    ),
    ("q_learning_update", q_learning_update, (Q0, 0, 1, -1.0, 1), {"alpha": 0.5, "gamma": 0.9}, 0),
    ("sarsa_update", sarsa_update, (Q0, 0, 1, -1.0, 1, 1), {"alpha": 0.5, "gamma": 0.9}, 0),
    ("gradient_mc_update", gradient_mc_update, (W0, PHI, 2.0), {"alpha": 0.1}, 0),
    (
        "semi_gradient_td0_update",
        semi_gradient_td0_update,
        (W0, PHI, 1.0, PHI_NEXT),
        {"alpha": 0.1, "gamma": 0.9},
        0,
    ),
]


def _copies(args):
    return tuple(
        np.array(a, copy=True)
        if isinstance(a, np.ndarray)
        else (list(a) if isinstance(a, list) else a)
        for a in args
    )


def _assert_unchanged(before, after):
    for b, a in zip(before, after):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("name, fn, args, kwargs, k", UPDATES, ids=[u[0] for u in UPDATES])
def test_update_returns_a_new_array_and_leaves_its_inputs(name, fn, args, kwargs, k):
    before = _copies(args)
    result = fn(*args, **kwargs)
    _assert_unchanged(before, args)
    assert isinstance(result, np.ndarray) and result.shape == np.shape(args[k])
    assert not np.shares_memory(result, args[k])
    assert not np.array_equal(result, args[k])  # it did update something


@pytest.mark.parametrize("name, fn, args, kwargs, k", UPDATES, ids=[u[0] for u in UPDATES])
def test_update_with_out_writes_into_out(name, fn, args, kwargs, k):
    expected = fn(*_copies(args), **kwargs)
    # out = the updated array itself (what the trainers do)
    data = list(_copies(args))
    target = data[k]
    assert fn(*data, **kwargs, out=target) is target
    np.testing.assert_array_equal(target, expected)
    # out = another buffer: the input stays as it was, the buffer gets the result
    data = list(_copies(args))
    before = _copies(data)
    buffer = np.full(np.shape(data[k]), np.nan)
    assert fn(*data, **kwargs, out=buffer) is buffer
    np.testing.assert_array_equal(buffer, expected)
    _assert_unchanged(before, data)


def test_update_accepts_a_list_and_returns_an_array():
    np.testing.assert_allclose(mc_update([0.0, 0.0], 0, 1.0, alpha=0.5), [0.5, 0.0])
    np.testing.assert_allclose(
        q_learning_update([[0.0, 0.0]], 0, 1, 1.0, 0, True, alpha=1.0, gamma=1.0), [[0.0, 1.0]]
    )


# ---------------------------------------------------------------- (b) keyword-only hyperparameters
HYPERPARAMETERS = {
    "alpha",
    "gamma",
    "epsilon",
    "lam",
    "beta",
    "tol",
    "seed",
    "max_iter",
    "n_episodes",
    "clip",
    "tau",
    "d_targ",
    "learning_rate",
}
ORDER = ["alpha", "gamma", "epsilon", "lam", "beta"]
# where the hyperparameter's name is the data itself: the function's whole job is that value
AS_DATA = {
    "rlcourse.deep.seeded": "seed",  # `with seeded(0):`
    "rlcourse.deep.seed_env": "seed",  # seeds an env's reset and action space
    "rlcourse.deep.adaptive_kl_beta": "beta",  # the update beta -> beta / 2 or 2 beta
}


def _public_callables():
    for module in (mdp_module, tabular_module, deep_module):
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj):
                yield f"{module.__name__}.{name}", obj


PUBLIC = list(_public_callables())


def test_the_introspection_sees_the_whole_api():
    names = {n.rsplit(".", 1)[1] for n, _ in PUBLIC}
    assert {
        "value_iteration",
        "solve_value_iteration",
        "MDP",
        "q_learning_update",
        "train_q_learning",
        "QLearningConfig",
        "ControlResult",
    } <= names
    assert len(PUBLIC) > 60


@pytest.mark.parametrize("name, obj", PUBLIC, ids=[n for n, _ in PUBLIC])
def test_hyperparameters_are_keyword_only_in_slide_order(name, obj):
    params = inspect.signature(obj).parameters.values()
    positional = [
        p.name
        for p in params
        if p.name in HYPERPARAMETERS
        and p.kind is not p.KEYWORD_ONLY
        and AS_DATA.get(name) != p.name
    ]
    assert not positional, f"{name}: {positional} must be keyword-only (after *)"
    order = [p.name for p in params if p.name in ORDER]
    assert order == sorted(order, key=ORDER.index), f"{name}: {order} is not in the order {ORDER}"


def test_positional_hyperparameters_are_refused():
    with pytest.raises(TypeError):
        mc_update(V0, 1, 3.0, 0.1)  # alpha passed by position
    with pytest.raises(TypeError):
        tabular_module.QLearningConfig(100, 0.5)  # config fields by position


# ---------------------------------------------------------------- (c) ties to the lowest index
def test_epsilon_greedy_with_epsilon_zero_takes_the_first_maximiser():
    rng = np.random.default_rng(0)
    for q, best in [
        ([1.0, 3.0, 3.0, 0.0], 1),
        ([0.0, 0.0, 0.0], 0),
        ([-1.0, -1.0, -2.0], 0),
        ([2.0, 5.0, 1.0, 5.0], 1),
    ]:
        assert {epsilon_greedy(np.array(q), epsilon=0.0, rng=rng) for _ in range(50)} == {best}


def test_greedy_policy_takes_the_first_maximiser():
    Q = np.array([[3.0, 3.0, 1.0], [0.0, 0.0, 0.0], [-1.0, 2.0, 2.0], [1.0, 1.0 + 1e-15, 0.0]])
    np.testing.assert_array_equal(greedy_policy(Q).argmax(axis=1), [0, 0, 1, 0])
    assert np.all(greedy_policy(Q).sum(axis=1) == 1.0)  # one-hot: one action per state


def test_minegrid_greedy_route_takes_the_first_maximiser():
    env = MineGrid("small")
    Q = np.zeros((env.n_states, 4))
    Q[:, 1] = Q[:, 2] = 1.0  # right and down tied everywhere: right
    assert set(env.greedy_route(Q, max_steps=6).actions) == {1}


# ---------------------------------------------------------------- (d) model objects refused
def _stay_or_go():
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = 1.0
    P[1, :, 1] = 1.0
    return MDP(P, [[1.0, 5.0], [0.0, 0.0]], [1], gamma=0.9)


MDP_CALLS = {
    "value_iteration": "solve_value_iteration",
    "policy_iteration": "solve_policy_iteration",
    "policy_evaluation": "evaluate_policy",
    "q_from_v": "q_from_v(mdp.P",
    "bellman_expectation": "bellman_expectation(mdp.P",
    "bellman_optimality": "bellman_optimality(mdp.P",
    "induced_mrp": "MRP.from_policy",
    "greedy_policy": "greedy_policy(Q)",
}


@pytest.mark.parametrize("function, instead", list(MDP_CALLS.items()))
def test_array_functions_given_an_mdp_name_the_function_to_use(function, instead):
    fn = getattr(mdp_module, function)
    with pytest.raises(TypeError) as e:
        fn(_stay_or_go())
    msg = str(e.value)
    assert instead in msg and "MDP" in msg, msg


@pytest.mark.parametrize(
    "function, model, instead",
    [
        ("mrp_value", random_walk_mrp(), "value_closed_form"),
        ("mrp_value_iterative", random_walk_mrp(), "value_iterative"),
        ("on_policy_distribution", random_walk_mrp(), "on_policy_distribution(mrp.P"),
        ("n_step_distribution", MarkovChain(np.eye(2)), "distribution"),
        ("stationary_distribution", MarkovChain(np.eye(2)), "stationary"),
    ],
)
def test_array_functions_given_a_chain_or_mrp_name_the_method(function, model, instead):
    with pytest.raises(TypeError) as e:
        getattr(mdp_module, function)(model)
    assert instead in str(e.value) and type(model).__name__ in str(e.value)


def test_model_object_verbs_refuse_arrays():
    m = _stay_or_go()
    for verb, arrays in [
        (mdp_module.solve_value_iteration, "value_iteration(P, R"),
        (mdp_module.solve_policy_iteration, "policy_iteration(P, R"),
        (lambda x: mdp_module.evaluate_policy(x, np.full((2, 2), 0.5)), "policy_evaluation(P, R"),
    ]:
        with pytest.raises(TypeError) as e:
            verb(m.P)
        assert arrays in str(e.value) and "MDP(P, R" in str(e.value)


def test_constructors_given_a_model_object():
    m = _stay_or_go()
    with pytest.raises(TypeError, match="already built"):
        MDP(m, m.R, gamma=0.9)
    with pytest.raises(TypeError, match="from_policy"):
        MRP(m, [0.0, 0.0], gamma=0.9)
