"""Where a graded function comes from, and which submissions are identical.

The grader calls these functions in its own process (never in the student's kernel) on the
notebook's code cells, as strings. Everything here is static analysis with :mod:`ast`: no cell
is ever run, a cell that cannot be parsed (a syntax error, an IPython magic this module does
not understand) never raises and is treated conservatively.

* :func:`function_flags` says, for one graded function, what an instructor should look at:

  - ``imported: ...`` when the binding of the name that is in effect at the end of the
    notebook is not a ``def`` written in the notebook (an import, an assignment, a lambda, a
    class, ``exec``, ``globals()[...]``, ``setattr``, a replaced ``__code__`` ...), or when the
    kernel reports a function that was not compiled from a notebook cell;
  - ``calls the package: ...`` when the function, or any notebook-level function, class,
    lambda or value it refers to (transitively, by name), reaches an ``rlcourse`` name other
    than the few helpers an exercise may use (:data:`ALLOWED`);
  - ``dynamic code: ...`` when what it reaches can hide an import (``__import__``,
    ``importlib``, ``sys.modules``, ``eval``/``exec``/``compile``, ``getattr`` with a computed
    name, ``pickle``/``marshal`` ...).

  The points stay; the flag is shown next to them in the table and the JSON.
* :func:`fingerprint` hashes what the student wrote for the graded functions (comments,
  blank lines and docstrings do not count); :func:`identical_groups` lists the notebooks that
  share one.
"""

from __future__ import annotations

import ast
import builtins
import copy
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rlcourse import validation

__all__ = ["ALLOWED", "function_flags", "fingerprint", "identical_groups"]

ALLOWED: dict[str, frozenset[str]] = {
    "rlcourse.config": frozenset({"budget", "is_quick"}),
    "rlcourse.plots": frozenset(
        {"plot_values", "plot_convergence", "plot_learning_curve", "plot_q_table", "moving_average"}
    ),
    "rlcourse.grid": frozenset(
        {"UP", "RIGHT", "DOWN", "LEFT", "ACTION_NAMES", "MOVES", "ARROWS", "ARROW_GLYPHS"}
        | {"PERPENDICULAR"}
    ),
    "rlcourse.validation": frozenset(validation.__all__),
    "rlcourse.utils": frozenset({"as_generator"}),
    "rlcourse._types": frozenset(
        {"ArrayLike", "Transitions", "StartLike", "EpisodeLike", "EnvOrModel", "FeatureMap"}
        | {"Axes", "T"}
    ),
}
"""The ``rlcourse`` names a graded function may use: input checks, budgets, plots, grid
constants, seeding, type aliases; none of them implements a graded idea. Every other
``rlcourse`` name (any function of ``rlcourse.mdp``, ``rlcourse.tabular``, ``rlcourse.envs``,
``rlcourse.grading`` ..., and the modules themselves) is the package's work, not the student's."""

# Modules and builtins that can hide an import or rebuild a function from data.
_DYNAMIC_MODULES = frozenset(
    {
        "importlib",
        "imp",
        "sys",
        "builtins",
        "__builtin__",
        "__main__",
        "pickle",
        "_pickle",
        "cPickle",
        "marshal",
        "dill",
        "cloudpickle",
        "shelve",
        "runpy",
        "pkgutil",
        "types",
        "ctypes",
        "gc",
        "code",
        "codeop",
        "zipimport",
    }
)
_DYNAMIC_BUILTINS = frozenset(
    {"__import__", "eval", "exec", "compile", "globals", "vars", "locals", "__builtins__"}
    | {"__loader__", "__spec__", "breakpoint"}
)
_DYNAMIC_ATTRS = frozenset(
    {
        "__dict__",
        "__globals__",
        "__builtins__",
        "__import__",
        "__code__",
        "__closure__",
        "__getattribute__",
        "__subclasses__",
        "__loader__",
        "__spec__",
        "__reduce__",
        "__reduce_ex__",
        "__setstate__",
        "__wrapped__",
        "__func__",
        "__self__",
        "__kwdefaults__",
        "__defaults__",
    }
)
# Attributes of a function whose replacement after its def replaces what it does.
_REPLACING_ATTRS = frozenset(
    {"__code__", "__defaults__", "__kwdefaults__", "__globals__", "__dict__", "__class__"}
    | {"__call__", "__wrapped__"}
)
# Cell magics whose body is not Python and binds no Python name.
_FOREIGN_CELL_MAGICS = frozenset(
    {"bash", "sh", "html", "markdown", "latex", "javascript", "js", "svg", "script", "perl"}
    | {"ruby", "writefile", "file", "system", "sx"}
)
# Line magics that bind no name and run no Python code of the notebook.
_HARMLESS_LINE_MAGICS = frozenset(
    {"matplotlib", "config", "precision", "pip", "conda", "who", "who_ls", "pwd"}
    | {"whos"}  # codespell:ignore whos
    | {"ls", "env", "xmode", "pdb", "history", "hist", "lsmagic", "magic", "page", "colors"}
    | {"load_ext", "reload_ext", "autoreload", "aimport", "cd", "time", "timeit", "pylab"}
    | {"psearch", "pinfo", "pinfo2", "doctest_mode", "automagic", "autocall", "notebook"}
)
# Line magics whose argument is a Python statement run in the notebook's namespace.
_CODE_LINE_MAGICS = frozenset({"time", "timeit", "prun", "capture"})

_MAX_NAME = 40
_CODE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_MAX_FLAG = 149
_MAX_EXEC_DEPTH = 3
_CELL_FILE = re.compile(
    r"(^|[/\\])ipykernel_\d+[/\\]-?\d+\.py$|^<ipython-input-[\w-]+>$|^<string>$"
)
_SAFE = re.compile(r"[^A-Za-z0-9_.<>/%*()\[\] :,'-]")
_BUILTIN_NAMES = frozenset(dir(builtins)) | {"__name__", "__doc__", "__file__", "display"}


def _clean(text: object, limit: int = _MAX_NAME) -> str:
    """Only plain characters of at most ``limit`` of them: flags echo untrusted names."""
    s = _SAFE.sub("?", str(text))
    return s if len(s) <= limit else s[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# Reading cells


def _strip_magics(source: str) -> tuple[str, list[str]]:
    """IPython-only lines turned into Python that binds the same names (or ``pass``).

    Returns the source and the names of the line magics that may run unknown code (``%run``,
    ``%load``, an unknown magic): each may bind any name.
    """
    wild: list[str] = []
    lines = source.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split(maxsplit=1)
        name = magic[0] if magic else ""
        if name in _FOREIGN_CELL_MAGICS:
            return "", wild
        lines[first] = ""
    out = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        assign = re.match(r"^([A-Za-z_][\w\s,]*?)\s*=\s*[%!]", stripped)
        if assign:
            out.append(f"{indent}{assign.group(1)} = None")
        elif stripped.startswith("!") or stripped.startswith("?") or stripped.endswith("?"):
            out.append(f"{indent}pass")
        elif stripped.startswith("%"):
            parts = stripped[1:].split(maxsplit=1)
            name = parts[0] if parts else ""
            rest = parts[1] if len(parts) > 1 else ""
            if name in _CODE_LINE_MAGICS:
                rest = re.sub(r"^(-\w+(\s+\d+)?\s+)*", "", rest)
                out.append(f"{indent}{rest or 'pass'}")
            else:
                if name not in _HARMLESS_LINE_MAGICS:
                    wild.append("%" + name)
                out.append(f"{indent}pass")
        else:
            out.append(line)
    return "\n".join(out), wild


def _parse(source: str) -> tuple[ast.Module | None, list[str]]:
    """The cell's module, or None when it cannot be parsed even without its magics."""
    if not isinstance(source, str):
        return None, []
    try:
        return ast.parse(source), []
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    stripped, wild = _strip_magics(source)
    try:
        return ast.parse(stripped), wild
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None, wild


# ---------------------------------------------------------------------------------------------
# Scopes: which names inside a function are the notebook's globals


@dataclass(eq=False)
class _Scope:
    kind: str  # "module", "function", "class", "comprehension"
    parent: _Scope | None
    bound: set[str] = field(default_factory=set)
    declared_global: set[str] = field(default_factory=set)
    declared_nonlocal: set[str] = field(default_factory=set)
    imports: dict[str, str] = field(default_factory=dict)


class _Tree:
    """One parsed piece of code with its scopes and parents."""

    def __init__(self, tree: ast.AST, cell: int) -> None:
        self.tree = tree
        self.cell = cell
        self.scope_of: dict[int, _Scope] = {}
        self.parent: dict[int, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parent[id(child)] = node
        self.module_scope = _Scope("module", None)
        self._visit(tree, self.module_scope)

    # -- building
    def _bind(self, scope: _Scope, name: str, path: str | None = None) -> None:
        scope.bound.add(name)
        if path is not None:
            scope.imports[name] = path

    def _params(self, args: ast.arguments, scope: _Scope) -> None:
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            self._bind(scope, a.arg)
        for a in (args.vararg, args.kwarg):
            if a is not None:
                self._bind(scope, a.arg)

    def _visit_all(self, nodes: Iterable[ast.AST | None], scope: _Scope) -> None:
        for n in nodes:
            if n is not None:
                self._visit(n, scope)

    def _visit(self, node: ast.AST, scope: _Scope) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = node.args
            self._visit_all([*args.defaults, *args.kw_defaults], scope)
            inner = _Scope("function", scope)
            self._params(args, inner)
            if isinstance(node, ast.Lambda):
                self._visit(node.body, inner)
                return
            self._bind(scope, node.name)
            self._visit_all(node.decorator_list, scope)
            annotations = [a.annotation for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
            annotations += [a.annotation for a in (args.vararg, args.kwarg) if a is not None]
            self._visit_all([*annotations, node.returns], scope)
            self._visit_all(node.body, inner)
        elif isinstance(node, ast.ClassDef):
            self._bind(scope, node.name)
            self._visit_all([*node.decorator_list, *node.bases, *node.keywords], scope)
            inner = _Scope("class", scope)
            self._visit_all(node.body, inner)
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            gens = node.generators
            if gens:
                self._visit(gens[0].iter, scope)
            inner = _Scope("comprehension", scope)
            for i, gen in enumerate(gens):
                if i:
                    self._visit(gen.iter, inner)
                self._visit(gen.target, inner)
                self._visit_all(gen.ifs, inner)
            if isinstance(node, ast.DictComp):
                self._visit_all([node.key, node.value], inner)
            else:
                self._visit(node.elt, inner)
        elif isinstance(node, ast.NamedExpr):
            target = scope
            while target.kind == "comprehension" and target.parent is not None:
                target = target.parent
            self._visit(node.value, scope)
            if isinstance(node.target, ast.Name):
                self._bind(target, node.target.id)
        elif isinstance(node, ast.Name):
            self.scope_of[id(node)] = scope
            if not isinstance(node.ctx, ast.Load):
                self._bind(scope, node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias, name, path in _import_aliases(node):
                if alias != "*":
                    self._bind(scope, name, path)
        elif isinstance(node, ast.Global):
            scope.declared_global.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            scope.declared_nonlocal.update(node.names)
        else:
            if isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
                self._bind(scope, node.name)
            if isinstance(node, ast.MatchMapping) and node.rest:
                self._bind(scope, node.rest)
            for child in ast.iter_child_nodes(node):
                self._visit(child, scope)

    # -- resolving
    def resolve(self, name_node: ast.Name) -> _Scope | None:
        """The function/class scope a loaded name belongs to; None for a notebook global."""
        scope = self.scope_of.get(id(name_node))
        name = name_node.id
        first = True
        while scope is not None and scope.kind != "module":
            if name in scope.declared_global:
                return None
            visible = first or scope.kind != "class"
            if visible and name in scope.bound and name not in scope.declared_nonlocal:
                return scope
            first = False
            scope = scope.parent
        return None

    def in_code(self, name_node: ast.Name) -> bool:
        """Whether the name sits inside a function, lambda or class (code), not in a value
        computed at notebook level (data)."""
        scope = self.scope_of.get(id(name_node))
        while scope is not None:
            if scope.kind in ("function", "class"):
                return True
            scope = scope.parent
        return False

    def called(self, name_node: ast.Name) -> bool:
        """Whether ``name.attr...`` (or ``getattr(name, "attr")``) is called right there."""
        node: ast.AST = name_node
        for _ in self.chain(name_node):
            node = self.parent[id(node)]
        parent = self.parent.get(id(node))
        return isinstance(parent, ast.Call) and parent.func is node

    def chain(self, name_node: ast.Name) -> tuple[str, ...]:
        """The attributes read off a name: ``m.mdp.f`` or ``getattr(m, "f")``."""
        attrs: list[str] = []
        node: ast.AST = name_node
        while True:
            parent = self.parent.get(id(node))
            if isinstance(parent, ast.Attribute) and parent.value is node:
                attrs.append(parent.attr)
                node = parent
                continue
            if (
                isinstance(parent, ast.Call)
                and isinstance(parent.func, ast.Name)
                and parent.func.id == "getattr"
                and len(parent.args) >= 2
                and parent.args[0] is node
                and isinstance(parent.args[1], ast.Constant)
                and isinstance(parent.args[1].value, str)
            ):
                attrs.append(parent.args[1].value)
                node = parent
                continue
            return tuple(attrs)


def _build(tree: ast.Module, cell: int) -> _Tree | None:
    """The cell's scopes, or None when it is too deeply nested to analyse (like a cell that
    cannot be parsed: treated conservatively)."""
    try:
        return _Tree(tree, cell)
    except (RecursionError, MemoryError):
        return None


def _import_aliases(node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, str, str]]:
    """(alias as written, name bound, dotted path the name refers to) for each alias."""
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.asname:
                yield a.name, a.asname, a.name
            else:
                top = a.name.split(".")[0]
                yield a.name, top, top
    else:
        module = "." * (node.level or 0) + (node.module or "")
        for a in node.names:
            yield a.name, a.asname or a.name, f"{module}.{a.name}"


# ---------------------------------------------------------------------------------------------
# Notebook-level bindings


@dataclass
class _Binding:
    name: str | None  # None: may bind any name
    kind: str  # def, class, import, assign, exec, dynamic, global, del, attr, star, magic, unparsed
    order: float
    unconditional: bool
    detail: str
    node: ast.AST | None = None
    tree: _Tree | None = None
    path: str | None = None  # imports: what the name refers to


def _is_call_to(node: ast.AST, *names: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names


def _is_namespace(node: ast.AST, aliases: set[str]) -> bool:
    """The notebook's own namespace: ``globals()``, ``vars()``, ``sys.modules[...]``,
    ``__main__``, ``f.__globals__``, ``__builtins__`` (and their ``__dict__``)."""
    if _is_call_to(node, "globals", "vars", "locals"):
        return True
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
        return node.value.attr == "modules"
    if isinstance(node, ast.Name):
        return node.id in aliases or node.id == "__builtins__"
    if isinstance(node, ast.Attribute):
        if node.attr in ("__globals__", "__builtins__"):
            return True
        return node.attr == "__dict__" and _is_namespace(node.value, aliases)
    return False


class _Notebook:
    """Every top-level binding of every name, in cell order, and the parsed cells."""

    def __init__(self, sources: list[str]) -> None:
        self.bindings: list[_Binding] = []
        self.written_modules: set[str] = set()
        self._seq = 0
        self._ns_aliases: set[str] = set()
        parsed = [_parse(source) for source in (sources if isinstance(sources, list) else [])]
        for tree, _ in parsed:
            for node in ast.walk(tree) if tree is not None else ():
                if isinstance(node, ast.Import | ast.ImportFrom):
                    for alias, name, _ in _import_aliases(node):
                        if alias in ("sys", "__main__", "builtins"):
                            self._ns_aliases.add(name)
        self.trees: list[_Tree] = []
        for cell, (source, (tree, wild)) in enumerate(zip(sources, parsed, strict=True)):
            m = re.match(r"\s*%%(writefile|file)\s+(?:-a\s+)?(\S+)\.py\b", source or "")
            if m:
                self.written_modules.add(m.group(2).replace("/", ".").split(".")[-1])
            built = _build(tree, cell) if tree is not None else None
            if built is None:
                words = set(re.findall(r"[A-Za-z_]\w*", source)) if isinstance(source, str) else ()
                for word in sorted(words):
                    self._add(word, "unparsed", False, f"cell {cell + 1} could not be parsed")
                continue
            self._collect_tree(built, depth=0, via_exec=False)
            for magic in wild:  # after the cell's own bindings: it may rebind any of them
                self._add(None, "magic", False, f"{_clean(magic, 20)} in cell {cell + 1}")

    def _add(
        self, name: str | None, kind: str, unconditional: bool, detail: str, **kw: Any
    ) -> None:
        self._seq += 1
        order = float("inf") if kind == "global" else float(self._seq)
        self.bindings.append(_Binding(name, kind, order, unconditional, detail, **kw))

    def _collect_tree(self, t: _Tree, depth: int, via_exec: bool) -> None:
        tree = t.tree
        assert isinstance(tree, ast.Module)
        self.trees.append(t)
        for stmt in tree.body:
            self._stmt(stmt, t, top=True, depth=depth, via_exec=via_exec)
        for node in ast.walk(tree):  # `global X` in any function binds X when it is called
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Global):
                        for name in inner.names:
                            detail = f"global statement in {_clean(node.name)}"
                            self._add(name, "global", False, detail, node=node, tree=t)

    def _stmt(self, stmt: ast.stmt, t: _Tree, top: bool, depth: int, via_exec: bool) -> None:
        uncond = top and not via_exec

        def kind(k: str) -> str:
            return "exec" if via_exec else k

        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            self._expressions([*stmt.decorator_list, *stmt.args.defaults], t, depth)
            self._add(
                stmt.name, kind("def"), uncond, "exec" if via_exec else "def", node=stmt, tree=t
            )
            return
        if isinstance(stmt, ast.ClassDef):
            self._expressions([*stmt.decorator_list, *stmt.bases], t, depth)
            # a class body runs at notebook level: its globals()/exec writes count
            for inner in stmt.body:
                self._expressions([inner], t, depth)
            self._add(
                stmt.name, kind("class"), uncond, "exec" if via_exec else "class", node=stmt, tree=t
            )
            return
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias, name, path in _import_aliases(stmt):
                if isinstance(stmt, ast.ImportFrom):
                    module = path.rsplit(".", 1)[0]
                    detail = f"from {_clean(module)} import {'*' if alias == '*' else '...'}"
                else:
                    detail = f"import {_clean(alias)}"
                if via_exec:
                    detail = f"exec: {detail}"
                if alias == "*":
                    if path.startswith("rlcourse"):
                        self._add(None, "star", False, detail, path=path[:-2])
                    continue
                self._add(name, kind("import"), uncond, detail, path=path, node=stmt, tree=t)
            return
        # statements binding names from an expression
        value: ast.AST | None = None
        targets: list[ast.AST] = []
        if isinstance(stmt, ast.Assign):
            targets, value = list(stmt.targets), stmt.value
        elif isinstance(stmt, ast.AugAssign | ast.AnnAssign):
            targets, value = [stmt.target], stmt.value
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            targets, value = [stmt.target], stmt.iter
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                if item.optional_vars is not None:
                    self._targets([item.optional_vars], item.context_expr, t, via_exec)
        elif isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        self._add(n.id, kind("del"), False, "del")
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                for n in ast.walk(case.pattern):
                    name = getattr(n, "name", None) or getattr(n, "rest", None)
                    if isinstance(name, str):
                        self._add(name, kind("assign"), False, "match", node=stmt.subject, tree=t)
        if targets and value is not None:
            self._targets(targets, value, t, via_exec)
        # everything evaluated at notebook level: walrus, exec, globals() writes, setattr
        exprs = [
            c
            for c in ast.iter_child_nodes(stmt)
            if isinstance(c, ast.expr | ast.withitem | ast.match_case)
        ]
        self._expressions(exprs, t, depth)
        for handler in getattr(stmt, "handlers", []):
            if handler.name:
                self._add(
                    handler.name, kind("assign"), False, "except ... as", node=handler.type, tree=t
                )
            self._expressions([handler.type] if handler.type else [], t, depth)
        for body in ("body", "orelse", "finalbody"):
            for inner in getattr(stmt, body, []) or []:
                if isinstance(inner, ast.stmt):
                    self._stmt(inner, t, top=False, depth=depth, via_exec=via_exec)
        for handler in getattr(stmt, "handlers", []):
            for inner in handler.body:
                self._stmt(inner, t, top=False, depth=depth, via_exec=via_exec)
        for case in getattr(stmt, "cases", []):
            for inner in case.body:
                self._stmt(inner, t, top=False, depth=depth, via_exec=via_exec)

    def _targets(self, targets: list[ast.AST], value: ast.AST, t: _Tree, via_exec: bool) -> None:
        detail = "lambda" if isinstance(value, ast.Lambda) else "assignment"
        if via_exec:
            detail = f"exec: {detail}"
        kind = "exec" if via_exec else "assign"
        for target in targets:
            for n in ast.walk(target):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    self._add(n.id, kind, False, detail, node=value, tree=t)
                elif isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store):
                    if _is_namespace(n.value, self._ns_aliases):
                        key = n.slice
                        if isinstance(key, ast.Constant) and isinstance(key.value, str):
                            self._add(key.value, "dynamic", False, "globals()", node=value, tree=t)
                        else:
                            self._add(None, "dynamic", False, "globals()", node=value, tree=t)
                elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store):
                    self._attribute_store(n.value, n.attr, value, t)

    def _attribute_store(
        self, base: ast.AST, attr: str | None, value: ast.AST | None, t: _Tree
    ) -> None:
        if _is_namespace(base, self._ns_aliases):
            self._add(attr, "dynamic", False, "setattr", node=value, tree=t)
        elif isinstance(base, ast.Name) and (attr is None or attr in _REPLACING_ATTRS):
            what = _clean(attr, 20) if attr else "an attribute"
            self._add(base.id, "attr", False, f"{what} replaced after its def", node=value, tree=t)

    def _expressions(self, exprs: list[ast.AST], t: _Tree, depth: int) -> None:
        """Bindings made by expressions run at notebook level (not inside a def or lambda)."""
        stack = list(exprs)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                continue
            stack.extend(ast.iter_child_nodes(node))
            if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                self._add(node.target.id, "assign", False, "assignment", node=node.value, tree=t)
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if _is_call_to(node, "exec", "eval"):
                arg = node.args[0] if node.args else None
                if (
                    isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                    and depth < _MAX_EXEC_DEPTH
                    and len(node.args) == 1
                ):
                    try:
                        sub: ast.Module | None = ast.parse(arg.value)
                    except SyntaxError:
                        continue  # exec raises: it binds nothing
                    except (ValueError, RecursionError, MemoryError):
                        sub = None
                    built = _build(sub, t.cell) if sub is not None else None
                    if built is not None:
                        self._collect_tree(built, depth + 1, via_exec=True)
                        continue
                self._add(None, "exec", False, f"{func.id} of a computed string")
            elif _is_call_to(node, "setattr") and len(node.args) >= 2:
                key = node.args[1]
                name = (
                    key.value
                    if isinstance(key, ast.Constant) and isinstance(key.value, str)
                    else None
                )
                value = node.args[2] if len(node.args) > 2 else None
                self._attribute_store(node.args[0], name, value, t)
            elif (
                isinstance(func, ast.Attribute)
                and func.attr in ("update", "__setitem__", "setdefault", "__init__")
                and _is_namespace(func.value, self._ns_aliases)
            ):
                self._add(None, "dynamic", False, "globals()", node=node, tree=t)

    def of(self, name: str) -> list[_Binding]:
        """Bindings that may give ``name`` its value, in order (wildcards included)."""
        return [b for b in self.bindings if b.name == name or b.name is None]


# ---------------------------------------------------------------------------------------------
# What a function reaches


def _allowed(path: str) -> bool:
    parts = path.split(".")
    if len(parts) < 2:
        return False
    module = ".".join(parts[:2])
    if module not in ALLOWED:
        return False
    return len(parts) == 2 or parts[2] in ALLOWED[module]


@dataclass
class _Reach:
    package: set[str] = field(default_factory=set)
    dynamic: set[str] = field(default_factory=set)
    functions: dict[str, ast.AST] = field(default_factory=dict)  # reached notebook functions


def _classify(path: str, reach: _Reach, written: set[str]) -> None:
    top = path.split(".")[0]
    if top == "rlcourse":
        if not _allowed(path):
            reach.package.add(path)
    elif top in _DYNAMIC_MODULES:
        reach.dynamic.add(".".join(path.split(".")[:2]))
    elif top in written:
        reach.dynamic.add(f"{top} (a module the notebook writes)")


def _alias(b: _Binding) -> tuple[str, tuple[str, ...]] | None:
    """``x = m.f``: the global ``m`` and the attributes ``("f",)``; None for anything else."""
    inner = b.node
    more: list[str] = []
    while isinstance(inner, ast.Attribute):
        more.append(inner.attr)
        inner = inner.value
    if isinstance(inner, ast.Name) and b.tree is not None and b.tree.resolve(inner) is None:
        return inner.id, tuple(reversed(more))
    return None


def _reach(nb: _Notebook, roots: list[_Binding], graded: str) -> _Reach:
    """Package names and dynamic code reached from ``roots``, transitively through the
    notebook-level names they refer to."""
    reach = _Reach()
    seen_nodes: set[int] = set()
    seen_names: set[tuple[str, tuple[str, ...]]] = set()
    work: list[_Binding] = list(roots)
    statically_bound = {b.name for b in nb.bindings if b.name is not None and b.kind != "unparsed"}
    wildcards = [b for b in nb.bindings if b.name is None]

    def follow(name: str, attrs: tuple[str, ...], data_call: bool) -> None:
        """``name.attrs`` is a notebook global the code refers to; ``data_call``: it is called
        while computing a notebook-level value (``env = MineGrid()``), which makes data, not a
        function (a package call there does not count; a package function stored does)."""
        if name == graded and not attrs:
            return
        key = (name, attrs[:3], data_call)
        if key in seen_names:
            return
        seen_names.add(key)
        if name in _DYNAMIC_BUILTINS:
            reach.dynamic.add(name)
        if name not in statically_bound:
            unparsed = [b for b in nb.bindings if b.name == name and b.kind == "unparsed"]
            for b in unparsed[:1]:
                reach.dynamic.add(f"{_clean(name)} ({b.detail})")
            if name in _BUILTIN_NAMES or unparsed:
                return
            for w in wildcards:
                if w.kind == "star" and w.path:
                    _classify(f"{w.path}.{name}", reach, nb.written_modules)
                else:
                    reach.dynamic.add(f"{_clean(name)} (bound only by {w.detail})")
            return
        for b in nb.bindings:
            if b.name != name:
                continue
            if b.kind in ("import", "exec") and b.path is not None:
                if not data_call:
                    _classify(".".join((b.path, *attrs)), reach, nb.written_modules)
            elif b.kind == "unparsed":
                reach.dynamic.add(f"{_clean(name)} ({b.detail})")
            elif _alias(b) is not None:  # x = m.f: follow m.f
                root, more = _alias(b)  # type: ignore[misc]
                follow(root, (*more, *attrs), data_call)
            elif b.node is not None:
                work.append(b)
                if b.kind in ("def", "class") or isinstance(b.node, ast.Lambda):
                    reach.functions[name] = b.node  # the last one is the one called

    while work:
        b = work.pop()
        if b.node is None or b.tree is None or id(b.node) in seen_nodes:
            continue
        seen_nodes.add(id(b.node))
        t = b.tree
        if b.kind == "import" or (b.kind == "exec" and b.path is not None):
            continue
        code = isinstance(b.node, _CODE_NODES)
        for node in ast.walk(b.node):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                scope = t.resolve(node)
                attrs = t.chain(node)
                if scope is None:
                    data_call = not code and not t.in_code(node) and t.called(node)
                    follow(node.id, attrs, data_call)
                elif node.id in scope.imports:
                    _classify(".".join((scope.imports[node.id], *attrs)), reach, nb.written_modules)
                if node.id == "getattr" and scope is None:
                    call = t.parent.get(id(node))
                    if isinstance(call, ast.Call) and len(call.args) >= 2:
                        key = call.args[1]
                        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                            reach.dynamic.add("getattr with a computed name")
                        elif "rlcourse" in key.value:
                            reach.dynamic.add("getattr of a package name")
            elif isinstance(node, ast.Attribute) and node.attr in _DYNAMIC_ATTRS:
                reach.dynamic.add(node.attr)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for alias, _, path in _import_aliases(node):
                    _classify(path[:-2] if alias == "*" else path, reach, nb.written_modules)
    return reach


def _join(prefix: str, items: Iterable[str]) -> str:
    """``prefix`` followed by the sorted items, cut (with ``...``) to stay under 150 characters."""
    out = prefix
    for i, item in enumerate(sorted(items)):
        piece = ("" if i == 0 else ", ") + _clean(item, 70)
        if len(out) + len(piece) > _MAX_FLAG - 5:
            return out + ", ..."
        out += piece
    return out


def _drop_prefixes(paths: set[str]) -> set[str]:
    """``rlcourse.mdp`` is implied by ``rlcourse.mdp.policy_evaluation``: keep the longer."""
    return {p for p in paths if not any(q != p and q.startswith(p + ".") for q in paths)}


def _in_effect(nb: _Notebook, name: str) -> tuple[_Binding | None, list[_Binding]]:
    """The last unconditional ``def`` of ``name`` and every binding that may follow it."""
    bindings = nb.of(name)
    last_def = None
    for b in bindings:
        if b.kind == "def" and b.unconditional:
            last_def = b
    after = [b for b in bindings if last_def is None or b.order > last_def.order]
    return last_def, after


def _runtime_reasons(function: str, runtime: dict) -> list[str]:
    reasons = []
    is_function = runtime.get("is_function")
    module = runtime.get("module")
    filename = runtime.get("filename")
    qualname = runtime.get("qualname")
    if "is_function" in runtime and is_function is not True:
        reasons.append("not a function")
    if "module" in runtime and module != "__main__":
        reasons.append(f"module {_clean(module, 30)}")
    if filename is not None and (not isinstance(filename, str) or not _CELL_FILE.search(filename)):
        base = re.split(r"[/\\]", filename)[-1] if isinstance(filename, str) else filename
        reasons.append(f"code from {_clean(base, 30)}")
    if qualname is not None and qualname != function:
        reasons.append(f"named {_clean(qualname, 30)}")
    return reasons


def function_flags(sources: list[str], function: str, *, runtime: dict | None = None) -> list[str]:
    """Flags for the instructor about where graded ``function`` comes from (empty: written here).

    ``sources`` are the notebook's code cells in order; ``runtime`` (optional) is what the
    kernel reported about the object it found under that name (``module``, ``filename``,
    ``qualname``, ``is_function``). The kernel is untrusted, so ``runtime`` only adds flags.
    Each flag is under 150 characters, deterministic, and names only the names involved.
    """
    nb = _Notebook(sources)
    fname = _clean(function)
    flags: list[str] = []
    last_def, after = _in_effect(nb, function)
    not_def = [b for b in after if b.kind != "def"]
    if not_def:
        detail = not_def[-1].detail[:80]
        flags.append(f"imported: {fname} is not defined by a def in the notebook ({detail})")
    if runtime is not None:
        reasons = (
            _runtime_reasons(function, runtime) if isinstance(runtime, dict) else ["unreadable"]
        )
        if reasons:
            why = "; ".join(reasons)
            flag = f"imported: {fname} is not defined in a notebook cell (reported by the kernel: "
            flag += f"{why})"
            flags.append(flag if len(flag) <= _MAX_FLAG else flag[: _MAX_FLAG - 4] + "...)")
    roots = [b for b in after if b.name is not None]
    if last_def is not None and not (last_def.node is not None and _is_stub(last_def.node)):
        roots.insert(0, last_def)  # a stub always raises: it reaches nothing
    reach = _reach(nb, roots, function)
    if reach.package:
        flags.append(_join(f"calls the package: {fname} uses ", _drop_prefixes(reach.package)))
    if reach.dynamic:
        flags.append(_join(f"dynamic code: {fname} uses ", _drop_prefixes(reach.dynamic)))
    return flags


# ---------------------------------------------------------------------------------------------
# Identical submissions


def _is_stub(node: ast.AST) -> bool:
    """The exercise's stub: the body reaches ``raise NotImplementedError`` before any return."""
    for stmt in getattr(node, "body", []):
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                return True
        if any(isinstance(n, ast.Return | ast.Yield | ast.YieldFrom) for n in ast.walk(stmt)):
            return False
    return False


def _normalized(node: ast.AST) -> str:
    """``ast.dump`` without docstrings (comments and layout are not in the tree anyway)."""
    try:
        return _dump(node)
    except (RecursionError, MemoryError):  # too deep to dump: the names and shapes, in order
        return " ".join(type(n).__name__ + str(getattr(n, "id", "")) for n in ast.walk(node))


def _dump(node: ast.AST) -> str:
    node = copy.deepcopy(node)
    for n in ast.walk(node):
        body = getattr(n, "body", None)
        if (
            isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module)
            and body
        ):
            first = body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                n.body = body[1:] or [ast.Pass()]
    return ast.dump(node)


def fingerprint(sources: list[str], functions: list[str]) -> str | None:
    """sha256 (16 hex digits) of the student's graded functions and the notebook-level
    functions they reach; None when every graded function is missing or still the stub.

    Two notebooks that differ only in comments, blank lines and docstrings share a fingerprint;
    a changed constant or name gives another.
    """
    nb = _Notebook(sources)
    parts: list[str] = []
    helpers: dict[str, str] = {}
    written = False
    for function in functions:
        defs = [b for b in nb.bindings if b.name == function and b.kind == "def"]
        if not defs:
            parts.append(f"{function}: missing")
            continue
        node = defs[-1].node
        assert node is not None
        if _is_stub(node):
            parts.append(f"{function}: stub")
            continue
        written = True
        parts.append(f"{function}: {_normalized(node)}")
        for name, helper in _reach(nb, [defs[-1]], function).functions.items():
            if name not in functions:
                helpers[name] = _normalized(helper)
    if not written:
        return None
    parts += [f"{name}: {dump}" for name, dump in sorted(helpers.items())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def identical_groups(fingerprints: dict[str, str | None]) -> list[list[str]]:
    """Notebooks sharing a non-None fingerprint: sorted groups of 2 or more, by first member."""
    by_print: dict[str, list[str]] = {}
    for notebook, fp in fingerprints.items():
        if fp is not None:
            by_print.setdefault(fp, []).append(notebook)
    groups = [sorted(group) for group in by_print.values() if len(group) > 1]
    return sorted(groups, key=lambda group: group[0])
