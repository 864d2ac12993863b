"""Where a graded function comes from (rlcourse.grading.provenance): every solution is clean,
every way of importing, aliasing, rebinding or hiding the package's function is flagged, broken
cells never raise, and identical submissions are found while untouched exercises are not."""

from __future__ import annotations

import importlib
from pathlib import Path

import nbformat
import pytest

from rlcourse.grading import items_for_chapter
from rlcourse.grading.provenance import ALLOWED, fingerprint, function_flags, identical_groups

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(p.name[:2] for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))

HEAD = "import numpy as np\nfrom rlcourse.grading import check\n"
MINE = '''def policy_evaluation(P, R, pi, terminal=None, *, gamma, tol=1e-10):
    """V^pi by sweeps."""
    V = np.zeros(P.shape[0])
    while True:
        V_new = np.sum(pi * (R + gamma * P @ V), axis=1)
        if np.max(np.abs(V_new - V)) < tol:
            return V_new
        V = V_new
'''
F = "policy_evaluation"


def _code_cells(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.fixture(scope="module")
def notebooks() -> dict[tuple[str, str], list[str]]:
    out = {}
    for kind in ("solutions", "exercises"):
        for path in sorted((ROOT / kind).glob("[0-9][0-9]_*.ipynb")):
            out[kind, path.name[:2]] = _code_cells(path)
    return out


def _kinds(flags: list[str]) -> list[str]:
    return [f.split(":", 1)[0] for f in flags]


# --- the solutions are clean -----------------------------------------------------------------


def test_every_chapter_has_solutions():
    assert len(CHAPTERS) >= 5


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_flag_on_any_graded_function_of_the_solutions(notebooks, chapter):
    cells = notebooks["solutions", chapter]
    functions = [it.function for it in items_for_chapter(chapter)]
    assert functions
    for function in functions:
        runtime = {
            "module": "__main__",
            "filename": "/tmp/x/ipykernel_4242/1234567.py",
            "qualname": function,
            "is_function": True,
        }
        assert function_flags(cells, function) == [], function
        assert function_flags(cells, function, runtime=runtime) == [], function


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_package_twin_in_a_solution_is_flagged(notebooks, chapter):
    """The same notebooks with one graded function replaced by the package's twin: flagged,
    so the clean result above is not the analysis seeing nothing."""
    cells = notebooks["solutions", chapter]
    function = items_for_chapter(chapter)[0].function
    part = {"01": "mdp", "02": "mdp", "03": "tabular", "04": "tabular", "05": "tabular"}
    module = {**part, "06": "deep"}[chapter]
    cells = [*cells, f"from rlcourse.{module} import {function}"]
    flags = function_flags(cells, function)
    assert flags == [
        f"imported: {function} is not defined by a def in the notebook "
        f"(from rlcourse.{module} import ...)"
    ]


def test_the_allowlist_names_exist_where_it_says():
    for module_name, names in ALLOWED.items():
        module = importlib.import_module(module_name)
        for name in names:
            assert hasattr(module, name), f"{module_name}.{name}"
        assert not any(
            callable(getattr(module, n)) and n.startswith(("solve", "train")) for n in names
        )


# --- imports, aliases, rebinding --------------------------------------------------------------


IMPORTED = {
    "from_import": [HEAD, "from rlcourse.mdp import policy_evaluation"],
    "import_after_def": [HEAD, MINE, "from rlcourse.mdp import policy_evaluation"],
    "module_alias_then_assign": [
        HEAD,
        MINE,
        "import rlcourse.mdp as m\npolicy_evaluation = m.policy_evaluation",
    ],
    "def_then_reassigned": [
        HEAD,
        MINE,
        "def other(P):\n    return P\n",
        "policy_evaluation = other",
    ],
    "lambda": [HEAD, "policy_evaluation = lambda P, R, pi, terminal=None, *, gamma: R[:, 0]"],
    "partial": [
        HEAD,
        MINE,
        "import functools\npolicy_evaluation = functools.partial(policy_evaluation, tol=1e-6)",
    ],
    "class_with_call": [
        HEAD,
        "class policy_evaluation:\n    def __call__(self, P, R, pi, terminal=None, *, gamma):\n"
        "        return R[:, 0]\n",
    ],
    "instance_with_call": [
        HEAD,
        "class Solver:\n    def __call__(self, P, R, pi, terminal=None, *, gamma):\n"
        "        return R[:, 0]\n",
        "policy_evaluation = Solver()",
    ],
    "globals_subscript": [HEAD, MINE, "globals()['policy_evaluation'] = print"],
    "globals_update": [HEAD, MINE, "globals().update(policy_evaluation=print)"],
    "setattr_main": [
        HEAD,
        MINE,
        "import sys\nsetattr(sys.modules[__name__], 'policy_evaluation', print)",
    ],
    "exec_string": [HEAD, MINE, "exec('from rlcourse.mdp import policy_evaluation')"],
    "exec_computed": [HEAD, MINE, "exec(''.join(['from rlcourse.', 'mdp import *']))"],
    "star_import_after": [HEAD, MINE, "from rlcourse.mdp import *"],
    "code_replaced": [
        HEAD,
        MINE,
        "import rlcourse.mdp as m\npolicy_evaluation.__code__ = m.policy_evaluation.__code__",
    ],
    "global_in_function": [
        HEAD,
        MINE,
        "def setup():\n    global policy_evaluation\n    policy_evaluation = print\nsetup()",
    ],
    "walrus": [HEAD, MINE, "[(policy_evaluation := print) for _ in range(1)]"],
    "for_loop": [HEAD, MINE, "for policy_evaluation in [print]:\n    pass"],
    "conditional_import": [
        HEAD,
        MINE,
        "if True:\n    from rlcourse.mdp import policy_evaluation",
    ],
    "unparsable_cell_after": [HEAD, MINE, "policy_evaluation = (  # never closed"],
    "magic_run_after": [HEAD, MINE, "%run other_notebook.py"],
}


@pytest.mark.parametrize("case", sorted(IMPORTED))
def test_every_way_of_not_writing_a_def_is_flagged_imported(case):
    flags = function_flags(IMPORTED[case], F)
    assert "imported" in _kinds(flags), (case, flags)
    imported = next(f for f in flags if f.startswith("imported"))
    assert imported.startswith(f"imported: {F} is not defined by a def in the notebook (")


def test_an_earlier_import_overridden_by_the_def_is_not_flagged():
    cells = [HEAD, "from rlcourse.mdp import policy_evaluation", MINE]
    assert function_flags(cells, F) == []


def test_imported_flag_names_the_module():
    flags = function_flags([HEAD, "from rlcourse.mdp import policy_evaluation"], F)
    assert flags == [
        "imported: policy_evaluation is not defined by a def in the notebook "
        "(from rlcourse.mdp import ...)"
    ]


# --- calls the package ------------------------------------------------------------------------


def _wrapper(body: str, setup: str = "") -> list[str]:
    return [
        HEAD + setup,
        f"def policy_evaluation(P, R, pi, terminal=None, *, gamma, tol=1e-10):\n    {body}\n",
    ]


CALLS = {
    "module_alias": (
        _wrapper(
            "return m.policy_evaluation(P, R, pi, terminal, gamma=gamma)",
            "import rlcourse.mdp as m\n",
        ),
        "rlcourse.mdp.policy_evaluation",
    ),
    "full_path": (
        _wrapper(
            "return rlcourse.mdp.policy_evaluation(P, R, pi, gamma=gamma)", "import rlcourse\n"
        ),
        "rlcourse.mdp.policy_evaluation",
    ),
    "from_package_import_module": (
        _wrapper(
            "return mdp.policy_evaluation(P, R, pi, gamma=gamma)", "from rlcourse import mdp\n"
        ),
        "rlcourse.mdp.policy_evaluation",
    ),
    "from_import_alias": (
        _wrapper(
            "return pe(P, R, pi, gamma=gamma)", "from rlcourse.mdp import policy_evaluation as pe\n"
        ),
        "rlcourse.mdp.policy_evaluation",
    ),
    "verb_solver": (
        _wrapper(
            "return evaluate_policy(None, pi).V", "from rlcourse.mdp import evaluate_policy\n"
        ),
        "rlcourse.mdp.evaluate_policy",
    ),
    "tabular_trainer": (
        _wrapper("return ql(P, R)", "from rlcourse.tabular import q_learning as ql\n"),
        "rlcourse.tabular.q_learning",
    ),
    "import_inside_the_function": (
        _wrapper(
            "from rlcourse.mdp import policy_evaluation as pe; return pe(P, R, pi, gamma=gamma)"
        ),
        "rlcourse.mdp.policy_evaluation",
    ),
    "getattr_constant": (
        _wrapper(
            "return getattr(m, 'policy_evaluation')(P, R, pi, gamma=gamma)",
            "import rlcourse.mdp as m\n",
        ),
        "rlcourse.mdp.policy_evaluation",
    ),
    "grading_check": (
        _wrapper("check('02.policy_evaluation', print); return R[:, 0]"),
        "rlcourse.grading.check",
    ),
    "default_argument": (
        [
            HEAD + "import rlcourse.mdp as m\n",
            "def policy_evaluation(P, R, pi, terminal=None, *, gamma, _f=m.policy_evaluation):\n"
            "    return _f(P, R, pi, gamma=gamma)\n",
        ],
        "rlcourse.mdp.policy_evaluation",
    ),
    "decorator": (
        [
            HEAD + "import rlcourse.mdp as m\n",
            "@lambda f: m.policy_evaluation\n"
            "def policy_evaluation(P, R, pi, terminal=None, *, gamma):\n    return None\n",
        ],
        "rlcourse.mdp.policy_evaluation",
    ),
}


@pytest.mark.parametrize("case", sorted(CALLS))
def test_a_def_that_uses_the_package_is_flagged(case):
    cells, path = CALLS[case]
    flags = function_flags(cells, F)
    assert f"calls the package: {F} uses {path}" in flags, flags
    assert "imported" not in _kinds(flags)


def test_a_helper_that_calls_the_package_is_flagged_transitively():
    cells = [
        HEAD + "import rlcourse.mdp as m\n",
        "def _inner(P, R, pi, gamma):\n    return m.policy_evaluation(P, R, pi, gamma=gamma)\n",
        "def helper(*args, **kw):\n    return _inner(*args, **kw)\n",
        "class Box:\n    solve = staticmethod(helper)\n",
        "def policy_evaluation(P, R, pi, terminal=None, *, gamma):\n"
        "    return Box.solve(P, R, pi, gamma)\n",
    ]
    assert function_flags(cells, F) == [
        f"calls the package: {F} uses rlcourse.mdp.policy_evaluation"
    ]


def test_a_stored_package_function_is_flagged_a_package_result_is_not():
    stored = [
        HEAD,
        "import rlcourse.mdp as m\nsolver = m.policy_evaluation\n",
        *_wrapper("return solver(P)")[1:],
    ]
    assert function_flags(stored, F) == [
        f"calls the package: {F} uses rlcourse.mdp.policy_evaluation"
    ]
    partial = [
        HEAD,
        "import functools, rlcourse.mdp as m\n"
        "solver = functools.partial(m.policy_evaluation, tol=1e-6)\n",
        *_wrapper("return solver(P)")[1:],
    ]
    assert function_flags(partial, F) == [
        f"calls the package: {F} uses rlcourse.mdp.policy_evaluation"
    ]
    # data computed by the package at notebook level is data (a student reading the global P
    # of the MineGrid by mistake is not calling the package)
    data = [HEAD, "from rlcourse.envs import MineGrid\nP_grid = MineGrid().to_mdp(gamma=0.9).P\n"]
    data += _wrapper("return np.zeros(P_grid.shape[0])")[1:]
    assert function_flags(data, F) == []
    # ... but a package function stored in that same data is not
    stored_too = [HEAD, "from rlcourse.envs import MineGrid\nP_grid = [MineGrid, 0]\n", *data[2:]]
    assert function_flags(stored_too, F) == [f"calls the package: {F} uses rlcourse.envs.MineGrid"]


def test_locals_shadowing_a_package_global_are_not_the_package():
    cells = [HEAD + "import rlcourse.mdp as m\n", *_wrapper("m = np.zeros(3); return m.sum()")[1:]]
    assert function_flags(cells, F) == []


def test_allowlisted_helpers_are_not_flagged():
    cells = _wrapper(
        "n = budget(100, 10); check_gamma(gamma); return np.zeros(n) + MOVES[0, 0]",
        "from rlcourse.config import budget\nfrom rlcourse.validation import check_gamma\n"
        "from rlcourse.grid import MOVES\n",
    )
    assert function_flags(cells, F) == []
    # only the named helpers: anything else reached through a helper module is flagged
    cells = _wrapper("return c.os.getcwd()", "import rlcourse.config as c\n")
    assert function_flags(cells, F) == [f"calls the package: {F} uses rlcourse.config.os.getcwd"]


# --- dynamic code -----------------------------------------------------------------------------


DYNAMIC = {
    "__import__": (
        "return __import__('rlcourse.mdp').mdp.policy_evaluation(P, R, pi, gamma=gamma)",
        "__import__",
    ),
    "importlib": ("import importlib; return importlib.import_module('x').f(P)", "importlib"),
    "sys_modules": (
        "import sys; return sys.modules['rlcourse.mdp'].policy_evaluation(P)",
        "sys.modules",
    ),
    "eval": ("return eval('m.policy_evaluation')(P, R, pi, gamma=gamma)", "eval"),
    "exec": ("exec('from rlcourse.mdp import policy_evaluation as pe'); return pe(P)", "exec"),
    "compile": ("return compile('1', 'f', 'eval')", "compile"),
    "getattr_computed": ("return getattr(np, 'lin' + 'alg')", "getattr with a computed name"),
    "pickle": ("import pickle; return pickle.loads(b'')(P)", "pickle.loads"),
    "marshal": ("import marshal; return marshal.loads(b'')", "marshal.loads"),
    "globals": ("return globals()['x'](P)", "globals"),
    "func_globals": ("return (lambda: 0).__globals__['m'].policy_evaluation(P)", "__globals__"),
}


@pytest.mark.parametrize("case", sorted(DYNAMIC))
def test_code_that_can_hide_an_import_is_flagged_dynamic(case):
    body, mechanism = DYNAMIC[case]
    flags = function_flags(_wrapper(body), F)
    dynamic = [f for f in flags if f.startswith("dynamic code:")]
    assert dynamic and dynamic[0].startswith(f"dynamic code: {F} uses "), flags
    assert mechanism in dynamic[0], flags


def test_dynamic_code_in_a_helper_is_flagged():
    cells = [
        HEAD,
        "def helper():\n    return __import__('rlcourse')\n",
        *_wrapper("return helper()")[1:],
    ]
    assert function_flags(cells, F) == [f"dynamic code: {F} uses __import__"]


def test_a_name_bound_only_by_an_exec_of_a_computed_string_is_flagged():
    cells = [HEAD, "exec(bytes([120]).decode())", *_wrapper("return hidden(P)")[1:]]
    (flag,) = function_flags(cells, F)
    assert flag.startswith(f"dynamic code: {F} uses hidden (bound only by exec")


def test_a_constant_exec_is_read_like_a_cell():
    cells = [
        HEAD,
        "exec('import rlcourse.mdp as m')",
        *_wrapper("return m.policy_evaluation(P)")[1:],
    ]
    assert function_flags(cells, F) == [
        f"calls the package: {F} uses rlcourse.mdp.policy_evaluation"
    ]


# --- runtime facts (reported by the untrusted kernel: only add) -------------------------------


GOOD_RUNTIME = {
    "module": "__main__",
    "filename": "/work/private/tmp/ipykernel_77/2871.py",
    "qualname": F,
    "is_function": True,
}


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        ({"module": "rlcourse.mdp.dp"}, "module rlcourse.mdp.dp"),
        ({"filename": "/venv/lib/rlcourse/mdp/dp.py"}, "code from dp.py"),
        ({"is_function": False, "filename": None}, "not a function"),
        ({"qualname": "helper"}, "named helper"),
        ({"module": "\x1b[31mevil\x1b[0m"}, "module ?[31mevil?[0m"),
    ],
)
def test_runtime_facts_add_an_imported_flag(facts, reason):
    cells = [HEAD, MINE]
    assert function_flags(cells, F, runtime=GOOD_RUNTIME) == []
    for filename in ("<ipython-input-3-abc123>", "<string>", "/tmp/ipykernel_1234/123456789.py"):
        assert function_flags(cells, F, runtime={**GOOD_RUNTIME, "filename": filename}) == []
    (flag,) = function_flags(cells, F, runtime={**GOOD_RUNTIME, **facts})
    assert flag.startswith(
        f"imported: {F} is not defined in a notebook cell (reported by the kernel: "
    )
    assert reason in flag
    assert "\x1b" not in flag


def test_runtime_facts_never_remove_a_static_flag():
    cells = [HEAD, "from rlcourse.mdp import policy_evaluation"]
    assert function_flags(cells, F, runtime=GOOD_RUNTIME) == function_flags(cells, F) != []


# --- broken cells, magics, flag hygiene --------------------------------------------------------


def test_syntax_errors_and_magics_never_raise():
    cells = [
        "%matplotlib inline\n!pip install nothing\nimport numpy as np",
        "%%time\nx = 1",
        "%%bash\necho hi",
        "def broken(:\n    pass",
        "files = !ls\nnp?",
        MINE,
        "%timeit -n 1 policy_evaluation",
        "\x00\x1b[2J",
        "",
        None,  # type: ignore[list-item]  (a malformed notebook must not crash the grader)
        "exec('def (')",
        "x = " + "(" * 500 + ")" * 500,
        "y = " + "+".join(["1"] * 20000),  # parses, too deep to walk recursively
    ]
    assert function_flags(cells, F) == []
    assert function_flags(cells, "missing_function") == []
    assert fingerprint(cells, [F]) is not None
    assert function_flags(["def ("], F) == []
    assert fingerprint(["def ("], [F]) is None
    assert function_flags([], F) == []


def test_a_magic_that_runs_code_is_read_as_code():
    cells = [HEAD, MINE, "%time policy_evaluation = print"]
    assert _kinds(function_flags(cells, F)) == ["imported"]


def test_flags_are_short_deterministic_and_clean():
    long_name = "m" + "x" * 300
    cells = [
        HEAD + f"import rlcourse.mdp as {long_name}\nimport rlcourse.tabular as t\n",
        *_wrapper(
            f"__import__('x'); eval('1'); exec('2'); {long_name}.policy_evaluation(P); "
            "t.q_learning(); t.sarsa(); t.td0_episode(); t.first_visit_mc(); t.every_visit_mc(); "
            f"{long_name}.value_iteration(); {long_name}.policy_iteration()"
        )[1:],
    ]
    flags = function_flags(cells, F)
    assert _kinds(flags) == ["calls the package", "dynamic code"]
    assert all(len(f) < 150 for f in flags), [len(f) for f in flags]
    assert flags == function_flags(list(cells), F)
    assert all(f.isprintable() for f in flags)


# --- fingerprints and identical submissions ------------------------------------------------------


def test_fingerprint_ignores_comments_blank_lines_and_docstrings():
    a = [HEAD, MINE]
    b = [
        HEAD + "# a comment\n",
        "# mine\n\n"
        + MINE.replace('"""V^pi by sweeps."""', '"""Another docstring."""\n    # hm\n'),
    ]
    c = [HEAD, MINE.replace('    """V^pi by sweeps."""\n', "").replace("axis=1)", "axis=1)  # sum")]
    assert fingerprint(a, [F]) == fingerprint(b, [F]) == fingerprint(c, [F])
    assert len(fingerprint(a, [F])) == 16


@pytest.mark.parametrize(
    "change",
    [("tol", "tel"), ("axis=1", "axis=0"), ("np.zeros", "np.ones"), (" < tol", " <= tol")],
)
def test_fingerprint_changes_with_a_one_token_logic_change(change):
    old, new = change
    assert old in MINE
    assert fingerprint([HEAD, MINE], [F]) != fingerprint([HEAD, MINE.replace(old, new)], [F])


def test_fingerprint_covers_the_helpers_reached():
    def cells(k: int) -> list[str]:
        return [HEAD, f"def helper(x):\n    return x + {k}\n", *_wrapper("return helper(P)")[1:]]

    assert fingerprint(cells(1), [F]) != fingerprint(cells(2), [F])
    # a notebook-level function nobody reaches does not count
    extra = [*cells(1), "def unused():\n    return 3\n"]
    assert fingerprint(extra, [F]) == fingerprint(cells(1), [F])


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_untouched_exercise_has_no_fingerprint_solution_has_one(notebooks, chapter):
    functions = [it.function for it in items_for_chapter(chapter)]
    assert fingerprint(notebooks["exercises", chapter], functions) is None
    solved = fingerprint(notebooks["solutions", chapter], functions)
    assert solved is not None
    # a solution with a comment added everywhere is still the same submission
    commented = [c + "\n# reviewed" for c in notebooks["solutions", chapter]]
    assert fingerprint(commented, functions) == solved


def test_stub_and_missing_functions_give_none():
    stub = (
        'def policy_evaluation(P):\n    """Doc."""\n    raise NotImplementedError("Exercise 02")\n'
    )
    given = "def policy_evaluation(P):\n    V = 0\n    raise NotImplementedError\n    return V\n"
    assert fingerprint([HEAD, stub], [F]) is None
    assert fingerprint([HEAD, given], [F]) is None
    assert fingerprint([HEAD], [F, "q_from_v"]) is None
    assert fingerprint([HEAD, stub, MINE], [F]) is not None  # the last def is what counts


def test_identical_groups():
    prints = {"c.ipynb": "aa", "a.ipynb": "bb", "b.ipynb": "aa", "d.ipynb": None, "e.ipynb": None}
    prints |= {"f.ipynb": "cc", "g.ipynb": "bb", "h.ipynb": "aa"}
    assert identical_groups(prints) == [["a.ipynb", "g.ipynb"], ["b.ipynb", "c.ipynb", "h.ipynb"]]
    assert identical_groups({}) == []
    assert identical_groups({"x": None, "y": None}) == []


def test_identical_groups_from_notebooks(notebooks):
    functions = [it.function for it in items_for_chapter("02")]
    sol, ex = notebooks["solutions", "02"], notebooks["exercises", "02"]
    renamed = [c.replace("V_new", "V_next") for c in sol]
    prints = {
        "alice.ipynb": fingerprint(sol, functions),
        "bob.ipynb": fingerprint([c + "\n\n# bob" for c in sol], functions),
        "carol.ipynb": fingerprint(renamed, functions),
        "dan.ipynb": fingerprint(ex, functions),
        "erin.ipynb": fingerprint(list(ex), functions),
    }
    assert identical_groups(prints) == [["alice.ipynb", "bob.ipynb"]]
