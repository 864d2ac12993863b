"""Every graded item of chapter 03 can pass and can fail (in-process, no kernels).

The solution notebook's functions score full marks, the exercise stub scores 0, and each planted
wrong answer below (a mistake students really make in MC and TD prediction) loses points, caught
by the item's test aimed at it, without check() printing the correct values.
"""

from __future__ import annotations

import numpy as np

from rlcourse.grading import items_for_chapter

from _solutions import Planted, item_tests, run_check

CHAPTER = "03"
ITEMS = items_for_chapter(CHAPTER)


# ----------------------------------------------------------------------------- 03.mc_update
def mc_update_every_state(V, s, G, *, alpha):
    """V + alpha (G - V): moves every state toward G."""
    V = np.array(V, dtype=float)
    return V + alpha * (G - V)


def mc_update_in_place(V, s, G, *, alpha):
    """Right value, but written into the caller's array."""
    V[s] += alpha * (G - V[s])
    return V


def mc_update_in_place_no_return(V, s, G, *, alpha):
    """Updates the caller's V in place and returns nothing (ignores the update contract)."""
    V[s] += alpha * (G - V[s])


def mc_update_sign_error(V, s, G, *, alpha):
    """The error taken as V(s) - G: moves away from the return."""
    V = np.array(V, dtype=float)
    V[s] += alpha * (V[s] - G)
    return V


def mc_update_returns_scalar(V, s, G, *, alpha):
    """Returns the new V(s) (a float) instead of the updated array."""
    return float(V[s] + alpha * (G - V[s]))


# ----------------------------------------------------------------------------- 03.td0_update
def td0_update_discounts_reward(V, s, r, s_next, terminal=False, *, alpha, gamma):
    """gamma (r + V(s')): the reward discounted too."""
    V = np.array(V, dtype=float)
    target = gamma * r if terminal else gamma * (r + V[s_next])
    V[s] += alpha * (target - V[s])
    return V


def td0_update_bootstraps_terminal(V, s, r, s_next, terminal=False, *, alpha, gamma):
    """r + gamma V(s') even when s' is terminal."""
    V = np.array(V, dtype=float)
    V[s] += alpha * (r + gamma * V[s_next] - V[s])
    return V


def td0_update_two_steps(V, s, r, s_next, terminal=False, *, alpha, gamma):
    """Shrinks V(s) first, then adds alpha * target: the target sees the new V(s) when s' = s."""
    V = np.array(V, dtype=float)
    V[s] -= alpha * V[s]
    V[s] += alpha * (r if terminal else r + gamma * V[s_next])
    return V


def td0_update_in_place(V, s, r, s_next, terminal=False, *, alpha, gamma):
    """Right value, but written into the caller's array."""
    target = r if terminal else r + gamma * V[s_next]
    V[s] += alpha * (target - V[s])
    return V


def td0_update_old_signature(V, s, r, s_next, alpha, gamma, terminal):
    """Right values, but the old header: alpha and gamma positional, terminal required."""
    V = np.array(V, dtype=float)
    target = r if terminal else r + gamma * V[s_next]
    V[s] += alpha * (target - V[s])
    return V


# ----------------------------------------------------------------------------- 03.first_visit_mc
def _average(G_sum, N):
    V = np.zeros(len(G_sum))
    np.divide(G_sum, N, out=V, where=N > 0)
    return V


def mc_every_visit(episodes, n_states, *, gamma):
    """Counts every visit (the every-visit estimate)."""
    G_sum, N = np.zeros(n_states), np.zeros(n_states)
    for states, rewards in episodes:
        G = 0.0
        for t in reversed(range(len(rewards))):
            G = rewards[t] + gamma * G
            G_sum[states[t]] += G
            N[states[t]] += 1
    return _average(G_sum, N)


def mc_first_visit(episodes, n_states, *, gamma):
    """Counts only the first visit (the first-visit estimate)."""
    G_sum, N = np.zeros(n_states), np.zeros(n_states)
    for states, rewards in episodes:
        G = 0.0
        for t in reversed(range(len(rewards))):
            G = rewards[t] + gamma * G
            if states[t] not in states[:t]:
                G_sum[states[t]] += G
                N[states[t]] += 1
    return _average(G_sum, N)


def mc_last_visit(episodes, n_states, *, gamma):
    """Keeps the return of the LAST visit: tests `s in states[t+1:]` instead of `states[:t]`."""
    G_sum, N = np.zeros(n_states), np.zeros(n_states)
    for states, rewards in episodes:
        G = 0.0
        for t in reversed(range(len(rewards))):
            G = rewards[t] + gamma * G
            if states[t] not in states[t + 1 : len(rewards)]:
                G_sum[states[t]] += G
                N[states[t]] += 1
    return _average(G_sum, N)


def mc_first_visit_G_carried_over(episodes, n_states, *, gamma):
    """G set to 0 once, before the episodes loop: the return leaks into the next episode."""
    G_sum, N = np.zeros(n_states), np.zeros(n_states)
    G = 0.0
    for states, rewards in episodes:
        for t in reversed(range(len(rewards))):
            G = rewards[t] + gamma * G
            if states[t] not in states[:t]:
                G_sum[states[t]] += G
                N[states[t]] += 1
    return _average(G_sum, N)


def mc_first_visit_per_episode_count(episodes, n_states, *, gamma):
    """Divides each state's sum of returns by the number of episodes."""
    G_sum, N = np.zeros(n_states), np.zeros(n_states)
    for states, rewards in episodes:
        G = 0.0
        for t in reversed(range(len(rewards))):
            G = rewards[t] + gamma * G
            if states[t] not in states[:t]:
                G_sum[states[t]] += G
                N[states[t]] += 1
    return np.where(N > 0, G_sum / len(episodes), 0.0)


def mc_first_visit_discount_all(episodes, n_states, *, gamma):
    """G = gamma (G + r): the first reward after S_t is discounted too."""
    G_sum, N = np.zeros(n_states), np.zeros(n_states)
    for states, rewards in episodes:
        G = 0.0
        for t in reversed(range(len(rewards))):
            G = gamma * (G + rewards[t])
            if states[t] not in states[:t]:
                G_sum[states[t]] += G
                N[states[t]] += 1
    return _average(G_sum, N)


# ----------------------------------------------------------------------------- 03.every_visit_mc
def mc_every_visit_mean_of_episode_means(episodes, n_states, *, gamma):
    """Averages within each episode first, then averages those means over episodes."""
    totals, counts = np.zeros(n_states), np.zeros(n_states)
    for states, rewards in episodes:
        G_sum, N = np.zeros(n_states), np.zeros(n_states)
        G = 0.0
        for t in reversed(range(len(rewards))):
            G = rewards[t] + gamma * G
            G_sum[states[t]] += G
            N[states[t]] += 1
        seen = N > 0
        totals[seen] += G_sum[seen] / N[seen]
        counts[seen] += 1
    return _average(totals, counts)


def mc_every_visit_G_carried_over(episodes, n_states, *, gamma):
    """G set to 0 once, before the episodes loop."""
    G_sum, N = np.zeros(n_states), np.zeros(n_states)
    G = 0.0
    for states, rewards in episodes:
        for t in reversed(range(len(rewards))):
            G = rewards[t] + gamma * G
            G_sum[states[t]] += G
            N[states[t]] += 1
    return _average(G_sum, N)


def mc_every_visit_discounted_from_start(episodes, n_states, *, gamma):
    """G_t = sum_{k >= t} gamma^k R_{k+1}: discounting from the start of the episode."""
    G_sum, N = np.zeros(n_states), np.zeros(n_states)
    for states, rewards in episodes:
        r = np.asarray(rewards, dtype=float)
        for t in range(len(r)):
            G_sum[states[t]] += np.sum(gamma ** np.arange(t, len(r)) * r[t:])
            N[states[t]] += 1
    return _average(G_sum, N)


# ----------------------------------------------------------------------------- 03.td0_episode
def td0_episode_old_targets(V, states, rewards, terminated=True, *, alpha, gamma):
    """All targets from the values before the episode (a batch update)."""
    V_old = np.array(V, dtype=float)
    V = V_old.copy()
    T = len(rewards)
    for t in range(T):
        last = terminated and t == T - 1
        target = rewards[t] if last else rewards[t] + gamma * V_old[states[t + 1]]
        V[states[t]] += alpha * (target - V_old[states[t]])
    return V


def td0_episode_bootstraps_terminal(V, states, rewards, terminated=True, *, alpha, gamma):
    """Bootstraps from V of the final (terminal) state as well."""
    V = np.array(V, dtype=float)
    for t in range(len(rewards)):
        V[states[t]] += alpha * (rewards[t] + gamma * V[states[t + 1]] - V[states[t]])
    return V


def td0_episode_discounts_reward(V, states, rewards, terminated=True, *, alpha, gamma):
    """gamma (r + V(s')) as the target."""
    V = np.array(V, dtype=float)
    T = len(rewards)
    for t in range(T):
        last = terminated and t == T - 1
        target = gamma * rewards[t] if last else gamma * (rewards[t] + V[states[t + 1]])
        V[states[t]] += alpha * (target - V[states[t]])
    return V


def td0_episode_in_place(V, states, rewards, terminated=True, *, alpha, gamma):
    """Right values, but written into the caller's array."""
    T = len(rewards)
    for t in range(T):
        last = terminated and t == T - 1
        target = rewards[t] if last else rewards[t] + gamma * V[states[t + 1]]
        V[states[t]] += alpha * (target - V[states[t]])
    return V


def td0_episode_ignores_terminated(V, states, rewards, terminated=True, *, alpha, gamma):
    """Treats the last state as terminal whatever `terminated` says (a truncated episode too)."""
    V = np.array(V, dtype=float)
    T = len(rewards)
    for t in range(T):
        target = rewards[t] if t == T - 1 else rewards[t] + gamma * V[states[t + 1]]
        V[states[t]] += alpha * (target - V[states[t]])
    return V


def td0_episode_skips_truncated_step(V, states, rewards, terminated=True, *, alpha, gamma):
    """Drops the last transition of a truncated episode instead of bootstrapping from V(S_T)."""
    V = np.array(V, dtype=float)
    T = len(rewards) if terminated else len(rewards) - 1
    for t in range(T):
        last = terminated and t == T - 1
        target = rewards[t] if last else rewards[t] + gamma * V[states[t + 1]]
        V[states[t]] += alpha * (target - V[states[t]])
    return V


# ----------------------------------------------------------------------------- the planted cases
# answer: the correct values the catching test checks (worked out in ch03.py's comments)
PLANTED = [
    Planted("03.mc_update", mc_update_every_state, "only_state_s_moves", answer=(6.0,)),
    Planted("03.mc_update", mc_update_in_place, "only_state_s_moves"),
    Planted("03.mc_update", mc_update_in_place_no_return, "only_state_s_moves"),
    Planted("03.mc_update", mc_update_sign_error, "moves_toward_G", answer=(0.3, 3.0, -2.0)),
    Planted("03.mc_update", mc_update_returns_scalar, "mc_deck_example"),
    Planted(
        "03.td0_update",
        td0_update_discounts_reward,
        "gamma_discounts_only_the_next_value",
        answer=(3.5,),
    ),
    Planted(
        "03.td0_update", td0_update_bootstraps_terminal, "no_bootstrap_from_terminal", answer=(1.5,)
    ),
    Planted("03.td0_update", td0_update_two_steps, "self_loop_uses_old_value", answer=(3.0,)),
    Planted("03.td0_update", td0_update_in_place, "no_bootstrap_from_terminal"),
    Planted("03.td0_update", td0_update_old_signature, "td_deck_example", answer=(0.1,)),
    Planted("03.first_visit_mc", mc_every_visit, "revisits", answer=(2.0, 4.0)),
    Planted("03.first_visit_mc", mc_last_visit, "revisits", answer=(2.0, 4.0)),
    Planted("03.first_visit_mc", mc_first_visit_G_carried_over, "two_episodes", answer=(2.25, 1.5)),
    Planted(
        "03.first_visit_mc", mc_first_visit_per_episode_count, "two_episodes", answer=(2.25, 1.5)
    ),
    Planted("03.first_visit_mc", mc_first_visit_discount_all, "discounting", answer=(2.71, 1.9)),
    Planted("03.every_visit_mc", mc_first_visit, "revisits", answer=(3.0, 2.0, 4.0)),
    Planted("03.every_visit_mc", mc_every_visit_mean_of_episode_means, "random_episodes"),
    Planted(
        "03.every_visit_mc", mc_every_visit_G_carried_over, "two_episodes", answer=(3.0, 2.25, 1.5)
    ),
    Planted(
        "03.every_visit_mc", mc_every_visit_discounted_from_start, "discounting", answer=(2.71, 1.9)
    ),
    Planted("03.td0_episode", td0_episode_old_targets, "updates_in_time_order", answer=(2.0,)),
    Planted(
        "03.td0_episode", td0_episode_bootstraps_terminal, "random_walk_episode", answer=(0.55,)
    ),
    Planted(
        "03.td0_episode",
        td0_episode_discounts_reward,
        "gamma_and_reward_of_each_step",
        answer=(4.0,),
    ),
    Planted("03.td0_episode", td0_episode_in_place, "random_walk_episode"),
    Planted(
        "03.td0_episode",
        td0_episode_ignores_terminated,
        "truncated_episode_bootstraps",
        answer=(1.5, 2.5),
    ),
    Planted(
        "03.td0_episode",
        td0_episode_skips_truncated_step,
        "truncated_episode_bootstraps",
        answer=(1.5, 2.5),
    ),
]


# ----------------------------------------------------------------------------- tests
globals().update(item_tests(CHAPTER, ITEMS, PLANTED))  # the eight checks every chapter gets


def test_update_contract_is_explained(capsys):
    """An update that writes into V (and returns it, or returns nothing) fails with a hint that
    names V and states the contract."""
    _, printed = run_check("03.mc_update", mc_update_in_place, capsys)
    assert "changed its argument `V`" in printed and "NEW array" in printed
    _, printed = run_check("03.mc_update", mc_update_in_place_no_return, capsys)
    assert "returned None" in printed and "NEW array" in printed
