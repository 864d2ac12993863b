"""Plain data across the boundary between the grader and a student's kernel: never pickle.

The grader sends a student's function its arguments, and gets back the return value and the
arguments' state after the call, as JSON text in which

- ``None``, bools, ints, strings, lists and finite floats are themselves;
- everything else is a one-key-tagged object: ``{"$f": "nan"}`` (a non-finite float),
  ``{"$tuple": [...]}``, ``{"$dict": [[key, value], ...]}`` (string keys only),
  ``{"$array": base64 bytes, "dtype": "<f8", "shape": [...], "readonly": false}`` (numbers
  and bools only), ``{"$scalar": base64, "dtype": ...}`` (a numpy scalar),
  ``{"$generator": "PCG64", "state": {...}}`` (a ``np.random.Generator``, by its bit
  generator's state), ``{"$tensor": base64, "dtype": "<f4", "shape": [...]}`` (a torch tensor's
  data, on the CPU, without its autograd history) and ``{"$unsupported": "module.Type"}`` (a
  value that cannot cross: what arrives is an :class:`Unsupported` that fails every check with
  its type's name).

:func:`decode` trusts nothing: it accepts only these forms, numeric dtypes, shapes that match
the bytes, a bounded depth and a bounded total size, and it always builds fresh objects of the
base types (an ndarray subclass, a custom ``__eq__``, a lying ``__len__`` cannot come back). Text
over :data:`MAX_TEXT` characters is refused before it is parsed.
"""

from __future__ import annotations

import base64
import json
import math
import re
import sys
from typing import Any

import numpy as np

MAX_TEXT = 64 * 2**20
"""Characters of JSON text accepted in one message (a bigger answer is refused, not parsed)."""

MAX_DEPTH = 24
"""Nesting depth of lists/tuples/dicts accepted."""

MAX_ELEMENTS = 20_000_000
"""Array elements plus list entries accepted in one message, all values together."""

_KINDS = "biufc"  # bool, signed, unsigned, float, complex
_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")
_TYPE_NAME = re.compile(r"[^A-Za-z0-9_.]")


class WireError(ValueError):
    """What came across is not data of the agreed forms (or is too big)."""


class Unsupported:
    """Stands for a returned value that cannot be sent as plain data (an object of a class of
    the student's, a function, a generator...). ``repr`` names its type; every check fails on
    it, naming that type."""

    type_name = "object"

    def __repr__(self) -> str:
        return f"<{self.type_name} object (not plain data)>"


_UNSUPPORTED: dict[str, type] = {}


def unsupported(type_name: str) -> Unsupported:
    """An :class:`Unsupported` whose class is called like the student's type, so that a check's
    "expected a numpy array, got X" names it."""
    name = _TYPE_NAME.sub("_", str(type_name))[-80:] or "object"  # the class name is last
    cls = _UNSUPPORTED.get(name)
    if cls is None:
        module, _, short = name.rpartition(".")
        short = short if short.isidentifier() else "object"
        cls = type(short, (Unsupported,), {"type_name": name, "__module__": module or "builtins"})
        if len(_UNSUPPORTED) < 1000:
            _UNSUPPORTED[name] = cls
    return cls()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encode(value: Any, _depth: int = 0) -> Any:
    """``value`` as a JSON-able tree of the forms above (never raises for odd values)."""
    if _depth > MAX_DEPTH:
        return {"$unsupported": "too deeply nested"}
    if value is None or isinstance(value, (bool, str)):
        return value if type(value) in (bool, str, type(None)) else encode_other(value)
    if type(value) is int:
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"$f": repr(value)}
    if type(value) is list:
        return [encode(v, _depth + 1) for v in value]
    if type(value) is tuple:
        return {"$tuple": [encode(v, _depth + 1) for v in value]}
    if type(value) is dict:
        if all(type(k) is str for k in value):
            return {"$dict": [[k, encode(v, _depth + 1)] for k, v in value.items()]}
        return {"$unsupported": "dict with non-string keys"}
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(np.asarray(value))
        if array.dtype.kind not in _KINDS:
            return {"$unsupported": f"numpy array of dtype {array.dtype}"}
        return {
            "$array": _b64(array.tobytes()),
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "readonly": not value.flags.writeable,
        }
    if isinstance(value, np.generic) and np.dtype(type(value)).kind in _KINDS:
        return {"$scalar": _b64(np.asarray(value).tobytes()), "dtype": np.asarray(value).dtype.str}
    torch = sys.modules.get("torch")  # a tensor can only exist once torch is imported
    if torch is not None and isinstance(value, torch.Tensor):
        return _encode_tensor(value, torch)
    if isinstance(value, np.random.Generator):
        bit_generator = value.bit_generator
        return {
            "$generator": type(bit_generator).__name__,
            "state": encode(bit_generator.state, _depth + 1),
        }
    return encode_other(value)


def _encode_tensor(value: Any, torch: Any) -> dict:
    try:
        data = value.detach().cpu()
        if data.dtype == torch.bfloat16:  # numpy has no bfloat16
            data = data.float()
        array = np.ascontiguousarray(data.numpy())
    except (RuntimeError, TypeError, ValueError):
        return {"$unsupported": f"torch tensor of dtype {value.dtype}"}
    if array.dtype.kind not in _KINDS:
        return {"$unsupported": f"torch tensor of dtype {value.dtype}"}
    return {"$tensor": _b64(array.tobytes()), "dtype": array.dtype.str, "shape": list(array.shape)}


def encode_other(value: Any) -> dict:
    """The tag for a value of any other type (its module and class name only)."""
    t = type(value)
    module = getattr(t, "__module__", "") or ""
    name = getattr(t, "__qualname__", "object")
    return {"$unsupported": f"{module}.{name}" if module not in ("builtins", "") else str(name)}


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_ELEMENTS

    def take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise WireError(f"more than {MAX_ELEMENTS} values in one message")


def _dtype(text: Any) -> np.dtype:
    if not isinstance(text, str) or len(text) > 8:
        raise WireError("bad dtype")
    try:
        dt = np.dtype(text)
    except TypeError:
        raise WireError(f"bad dtype {text[:8]!r}") from None
    if dt.kind not in _KINDS or dt.fields is not None or dt.subdtype is not None:
        raise WireError(f"dtype {dt} is not a number type")
    return dt.newbyteorder("=")


def _bytes(text: Any) -> bytes:
    if not isinstance(text, str):
        raise WireError("bad array bytes")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise WireError("array bytes are not base64") from None


def _decode_array(data: Any, dtype: Any, shape: Any, budget: _Budget) -> np.ndarray:
    dt = _dtype(dtype)
    if (
        type(shape) is not list
        or len(shape) > 32
        or not all(type(n) is int and 0 <= n <= MAX_ELEMENTS for n in shape)
    ):
        raise WireError("bad array shape")
    size = math.prod(shape)
    budget.take(size)
    raw = _bytes(data)
    if len(raw) != size * dt.itemsize:
        raise WireError("array bytes do not match its shape and dtype")
    return np.frombuffer(raw, dtype=dt).reshape(shape).copy()


def _decode(tree: Any, depth: int, budget: _Budget) -> Any:
    if depth > MAX_DEPTH:
        raise WireError(f"nested deeper than {MAX_DEPTH}")
    if tree is None or type(tree) in (bool, str):
        return tree
    if type(tree) is int:
        return tree
    if type(tree) is float:
        return tree
    if type(tree) is list:
        budget.take(len(tree))
        return [_decode(v, depth + 1, budget) for v in tree]
    if type(tree) is not dict or len(tree) == 0:
        raise WireError(f"unexpected {type(tree).__name__}")
    tag = next(iter(tree))
    if tag == "$f" and len(tree) == 1:
        if tree[tag] not in ("nan", "inf", "-inf"):
            raise WireError("bad float")
        return float(tree[tag])
    if tag == "$tuple" and len(tree) == 1 and type(tree[tag]) is list:
        budget.take(len(tree[tag]))
        return tuple(_decode(v, depth + 1, budget) for v in tree[tag])
    if tag == "$dict" and len(tree) == 1 and type(tree[tag]) is list:
        out = {}
        budget.take(len(tree[tag]))
        for pair in tree[tag]:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise WireError("bad dict entry")
            out[pair[0]] = _decode(pair[1], depth + 1, budget)
        return out
    if tag == "$array" and set(tree) == {"$array", "dtype", "shape", "readonly"}:
        array = _decode_array(tree["$array"], tree["dtype"], tree["shape"], budget)
        if tree["readonly"] is True:
            array.setflags(write=False)
        return array
    if tag == "$tensor" and set(tree) == {"$tensor", "dtype", "shape"}:
        import torch

        data = _decode_array(tree["$tensor"], tree["dtype"], tree["shape"], budget)
        return torch.from_numpy(data)
    if tag == "$scalar" and set(tree) == {"$scalar", "dtype"}:
        dt = _dtype(tree["dtype"])
        raw = _bytes(tree["$scalar"])
        if len(raw) != dt.itemsize:
            raise WireError("scalar bytes do not match its dtype")
        return np.frombuffer(raw, dtype=dt)[0].copy()
    if tag == "$generator" and set(tree) == {"$generator", "state"}:
        name = tree["$generator"]
        if name not in _GENERATORS:
            raise WireError(f"unknown bit generator {str(name)[:20]!r}")
        state = _decode(tree["state"], depth + 1, budget)
        bit_generator = getattr(np.random, name)()
        try:
            bit_generator.state = state
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            raise WireError(f"bad {name} state: {exc}") from None
        return np.random.Generator(bit_generator)
    if tag == "$unsupported" and len(tree) == 1 and type(tree[tag]) is str:
        return unsupported(tree[tag])
    raise WireError(f"unknown form {str(tag)[:20]!r}")


def decode(tree: Any) -> Any:
    """Fresh Python/numpy objects from a tree made by :func:`encode` (:class:`WireError` when
    anything is not of the agreed forms)."""
    return _decode(tree, 0, _Budget())


def dumps(value: Any) -> str:
    """``value`` as JSON text of the agreed forms."""
    return json.dumps(encode(value), allow_nan=False, separators=(",", ":"))


def loads_tree(text: Any) -> Any:
    """The JSON tree of ``text`` (size-checked; not yet decoded)."""
    if not isinstance(text, str):
        raise WireError(f"expected JSON text, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise WireError(f"message of {len(text)} characters is over the limit of {MAX_TEXT}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"not JSON: {str(exc)[:100]}") from None


def loads(text: Any) -> Any:
    """Decode JSON text made by :func:`dumps`."""
    return decode(loads_tree(text))
