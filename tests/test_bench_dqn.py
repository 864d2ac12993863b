"""benchmarks/bench_dqn.py: its bookkeeping, its tables, and a tiny run of the SB3 peer.

No timings are asserted (the benchmark is never a timed test). The peer (Stable-Baselines3) is
an optional benchmark dependency: the test that runs it is skipped when it is not installed;
everything else runs without it.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("bench_dqn", REPO / "benchmarks" / "bench_dqn.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


bench = _load_benchmark()


def make_run(learner: str, seed: int, returns: list[float], seconds: list[float]):
    run = bench.Run(learner, seed)
    for k, (ret, sec) in enumerate(zip(returns, seconds), start=1):
        run.record(2000 * k, ret, sec)
    return run


# ---------------------------------------------------------------- bookkeeping
def test_a_run_is_solved_at_its_first_evaluation_of_475_and_ends_with_its_last():
    run = make_run("x", 0, [20.0, 474.9, 475.0, 500.0, 130.0], [1.0, 2.0, 3.5, 4.0, 5.0])
    assert (run.solved_index, run.solved_steps, run.solved_seconds) == (2, 6000, 3.5)
    assert run.final_return == 130.0  # a later collapse shows in the final evaluation
    never = make_run("x", 1, [20.0, 474.9], [1.0, 2.0])
    assert (never.solved_index, never.solved_steps, never.solved_seconds) == (None, None, None)


def test_median_to_solve_counts_an_unsolved_seed_as_the_slowest():
    assert bench.median_to_solve([10.0, None, 30.0, 20.0, 40.0]) == 30.0  # not 25 (solved only)
    assert bench.median_to_solve([10.0, 20.0, 30.0]) == 20.0
    assert bench.median_to_solve([10.0, None, None]) is None  # most seeds never solved
    assert bench.median_to_solve([10.0, None]) is None  # (10 + inf) / 2
    assert bench.median_to_solve([]) is None


def _runs(ours_seconds, sb3_seconds):
    """Runs that solve at their first evaluation with the given seconds (None: never)."""

    def runs(name, seconds):
        return [
            make_run(name, s, [10.0 if sec is None else 500.0], [sec or 99.0])
            for s, sec in enumerate(seconds)
        ]

    return {"ours": runs("ours", ours_seconds), "sb3": runs("SB3 DQN", sb3_seconds)}


def test_ratio_of_medians_and_its_verdict():
    line = bench.ratio_line(_runs([5.0, 6.0, 100.0], [12.0, 30.0, 20.0]))
    assert "ours / SB3: 0.30 (meets the target <= 0.50)" in line  # 6 / 20
    line = bench.ratio_line(_runs([11.0, 12.0, 13.0], [12.0, 30.0, 20.0]))
    assert "ours / SB3: 0.60 (misses" in line
    assert "undefined" in bench.ratio_line(_runs([None, None, 1.0], [12.0, 30.0, 20.0]))
    assert bench.ratio_line({"sb3": _runs([], [1.0])["sb3"]}) == ""  # one learner: no ratio


def test_tables_pair_the_learners_by_seed_and_show_unsolved_seeds():
    runs = _runs([5.0, None, 7.0], [12.0, 30.0, None])
    rows = bench.per_seed_table(runs)
    learners_and_seeds = [tuple(c.strip() for c in row.split("|")[1:3]) for row in rows[2:]]
    assert learners_and_seeds == [
        ("ours", "0"),
        ("SB3 DQN", "0"),
        ("ours", "1"),
        ("SB3 DQN", "1"),
        ("ours", "2"),
        ("SB3 DQN", "2"),
    ]
    assert "| ours | 1 | not solved | not solved | 10.0 |" in rows[4]
    medians = bench.median_table(runs)
    assert medians[2].startswith("| ours | 2/3 | 2,000 | 7.0 | 500.0 |")
    assert medians[3].startswith("| SB3 DQN | 2/3 | 2,000 | 30.0 | 500.0 |")


# ---------------------------------------------------------------- the command
def test_without_sb3_the_peer_is_refused_with_the_install_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "stable_baselines3", None)  # import fails as if missing
    with pytest.raises(SystemExit) as exc:
        bench.main(["--only", "sb3", "--seeds", "1"])
    assert "Stable-Baselines3 is not installed" in str(exc.value)
    assert '".[bench]"' in str(exc.value) and "--only ours" in str(exc.value)


def test_a_budget_below_one_evaluation_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--steps", "1999"])
    assert exc.value.code == 2 and "--steps >= 2000" in capsys.readouterr().err


def test_a_tiny_sb3_run_evaluates_at_the_protocols_cadence(capsys):
    pytest.importorskip("stable_baselines3", reason="optional benchmark peer (.[bench])")
    threads = bench.torch.get_num_threads()
    assert bench.main(["--only", "sb3", "--seeds", "1", "--steps", "2000", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "stable-baselines3 " in out and "1 torch thread" in out
    row = next(line for line in out.splitlines() if line.startswith("| SB3 DQN | 0 |"))
    cells = [c.strip() for c in row.split("|")[1:-1]]
    final, train_s, eval_s = float(cells[4]), float(cells[5]), float(cells[6])
    assert 8.0 <= final <= 500.0  # a CartPole return, from one evaluation at 2,000 steps
    assert train_s > 0 and eval_s >= 0
    assert re.search(r"\| SB3 DQN \| [01]/1 \|", out)
    assert bench.torch.get_num_threads() == threads  # one thread while it ran, then put back


def test_sb3_training_clock_stops_while_evaluating(monkeypatch):
    pytest.importorskip("stable_baselines3", reason="optional benchmark peer (.[bench])")
    calls = []  # (start, end, seed) of each evaluation

    def slow_evaluation(policy, env, *, episodes, seed):
        start = bench.time.perf_counter()
        assert (env, episodes) == ("CartPole-v1", 20)
        assert policy(np.zeros((3, 4), dtype=np.float32)).shape == (3,)  # greedy actions, a batch
        bench.time.sleep(0.2)
        calls.append((start, bench.time.perf_counter(), seed))
        return 100.0, 0.0

    monkeypatch.setattr(bench, "evaluate", slow_evaluation)
    monkeypatch.setattr(bench, "EVAL_EVERY", 400)  # two evaluations before learning starts
    run = bench.run_sb3(3, steps=800, device=bench.torch.device("cpu"))
    assert run.steps == [400, 800] and run.returns == [100.0, 100.0]
    assert [seed for *_, seed in calls] == [bench.EVAL_SEED_OFFSET + 3] * 2
    (s1, e1, _), (s2, e2, _) = calls
    assert run.eval_seconds == pytest.approx((e1 - s1) + (e2 - s2), abs=0.02)
    # training time between the two evaluations = wall time between them less the first one
    assert run.train_seconds[1] - run.train_seconds[0] == pytest.approx(s2 - e1, abs=0.02)


def test_ours_alone_runs_without_sb3(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "stable_baselines3", None)  # as if not installed
    seen = []

    def train_dqn(env, **kwargs):
        seen.append((env, kwargs))
        return real_train_dqn(env, **kwargs)

    real_train_dqn = bench.train_dqn
    monkeypatch.setattr(bench, "train_dqn", train_dqn)
    argv = ["--only", "ours", "--seeds", "1", "--steps", "2000", "--set", "hidden_sizes=(8,)"]
    assert bench.main([*argv, "--device", "cpu"]) == 0
    assert seen == [
        (
            "CartPole-v1",
            {
                "seed": 0,
                "device": bench.torch.device("cpu"),
                "total_steps": 2000,
                "eval_every": 2000,
                "eval_episodes": 20,
                "hidden_sizes": (8,),
            },
        )
    ]
    out = capsys.readouterr().out
    assert "stable-baselines3" not in out and "ours: DQNConfig(total_steps=2000," in out
    assert "hidden_sizes=(8,)" in out
    rows = [line for line in out.splitlines() if line.startswith("| ours | 0 |")]
    assert len(rows) == 1  # one seed, one evaluation row
    assert "| ours | 0/1 |" in out or "| ours | 1/1 |" in out
    assert "ratio of medians" not in out  # a ratio needs both learners


def test_set_overrides_our_config_and_refuses_what_the_protocol_fixes():
    errors = []

    def error(message):
        errors.append(message)
        raise SystemExit(2)

    parsed = bench.parse_overrides(
        ["hidden_sizes=(64, 64)", "loss=mse", "gradient_steps = 64"], steps=50_000, error=error
    )
    assert parsed == {"hidden_sizes": (64, 64), "loss": "mse", "gradient_steps": 64}
    for bad, says in [
        ("eval_every=1000", "set by the protocol"),
        ("total_steps=10", "set by --steps"),
        ("gamma=1.5", "gamma"),  # DQNConfig's own check
        ("no_such_field=1", "no_such_field"),
        ("hidden_sizes", "KEY=VALUE"),
    ]:
        with pytest.raises(SystemExit):
            bench.parse_overrides([bad], steps=50_000, error=error)
        assert says in errors[-1], (bad, errors[-1])


def test_zoo_settings_as_our_config_are_the_peers():
    """--zoo-too runs our trainer with exactly the peer's hyperparameters, field by field."""
    zoo, ours = bench.ZOO_CARTPOLE, bench.ZOO_AS_OURS
    renamed = {"exploration_final_eps": "exploration_end", "policy_kwargs": "hidden_sizes"}
    for key, value in zoo.items():
        if key == "policy_kwargs":
            assert ours["hidden_sizes"] == tuple(value["net_arch"])
        else:
            assert ours[renamed.get(key, key)] == value, key
    assert len(ours) == len(zoo)
    bench.DQNConfig(**ours)  # valid fields
