"""Bad inputs, built from a valid call: where an argument can go wrong and how.

A *site* is a place in a call's arguments that holds a tensor, an array or a scalar: a
top-level argument, or an element of a list, tuple or dict inside one (``("images", 0)``).
Each site gets the categories of bad input that make sense for its value, and each
category draws its details (which element becomes NaN, which dtype, which shape) from
hypothesis.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st
from torch import Tensor

Path = tuple[str | int, ...]

SHAPES = ("lead", "trail", "drop", "longer")  # a new first or last dimension, one less, +1 size
TENSOR_CATEGORIES = ("nan", "inf", "dtype", "shape", "empty", "list", "meta", "type")
ARRAY_CATEGORIES = ("nan", "inf", "dtype", "shape", "empty", "list", "type")
INT_CATEGORIES = ("negative", "zero", "float", "bool", "numpy", "type")
FLOAT_CATEGORIES = ("nan", "inf", "-inf", "negative", "zero", "numpy", "type")
STR_CATEGORIES = ("option", "type")
SCALAR_CATEGORIES = frozenset(INT_CATEGORIES + FLOAT_CATEGORIES)

TENSOR_DTYPES = (
    torch.float32,
    torch.float64,
    torch.int64,
    torch.int32,
    torch.uint8,
    torch.bool,
    torch.complex64,
)
ARRAY_DTYPES = (np.uint8, np.float32, np.float64, np.int16, np.uint16, np.int64, np.bool_)


def sites(value: object, path: Path = (), depth: int = 0) -> Iterator[tuple[Path, object]]:
    """Every mutable place in ``value``: tensors, arrays, numbers, strings, nested one level."""
    if isinstance(value, Tensor | np.ndarray | str) or (
        isinstance(value, int | float) and not isinstance(value, bool)
    ):
        yield path, value
    elif depth < 2 and isinstance(value, list | tuple) and value:
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            yield path, value  # a size or a pair: mutated as a whole
        else:
            yield from sites(value[0], (*path, 0), depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for key, item in value.items():
            yield from sites(item, (*path, key), depth + 1)


def base(category: str) -> str:
    """``dtype`` for ``dtype=int64``: the category without its variant."""
    return category.split("=")[0]


def _variants(value: Tensor | np.ndarray, names: tuple[str, ...]) -> tuple[str, ...]:
    """Dtype and shape categories split into one per variant, so that each is always tried."""
    out: list[str] = []
    for name in names:
        if name == "dtype":
            dtypes = TENSOR_DTYPES if isinstance(value, Tensor) else ARRAY_DTYPES
            out += [
                f"dtype={_dtype_name(d)}"
                for d in dtypes
                if _dtype_name(d) != _dtype_name(value.dtype)
            ]
        elif name == "shape":
            out += [f"shape={s}" for s in SHAPES]
        else:
            out.append(name)
    return tuple(out)


def _dtype_name(dtype: object) -> str:
    return (
        str(dtype).replace("torch.", "") if isinstance(dtype, torch.dtype) else np.dtype(dtype).name
    )


def categories(value: object) -> tuple[str, ...]:
    """The categories of bad input that apply to a value."""
    if isinstance(value, Tensor):
        return _variants(value, TENSOR_CATEGORIES)
    if isinstance(value, np.ndarray):
        return _variants(value, ARRAY_CATEGORIES)
    if isinstance(value, str):
        return STR_CATEGORIES
    if isinstance(value, int):
        return INT_CATEGORIES
    if isinstance(value, float):
        return FLOAT_CATEGORIES
    if isinstance(value, list | tuple):
        return ("negative", "float", "nan", "empty", "length")
    raise TypeError(f"no categories for {type(value).__name__}")


def get(args: dict[str, Any], path: Path) -> object:
    value: Any = args
    for key in path:
        value = value[key]
    return value


def replace(args: dict[str, Any], path: Path, new: object) -> dict[str, Any]:
    """A copy of ``args`` with the value at ``path`` replaced (containers copied on the way)."""
    out = dict(args)
    if len(path) == 1:
        out[path[0]] = new
        return out
    container = copy.copy(args[path[0]])
    if isinstance(container, tuple):
        items = list(container)
        items[path[1]] = replace({"x": items[path[1]]}, ("x", *path[2:]), new)["x"]
        out[path[0]] = tuple(items)
    else:
        container[path[1]] = replace({"x": container[path[1]]}, ("x", *path[2:]), new)["x"]
        out[path[0]] = container
    return out


def applicable(value: object, category: str) -> bool:
    """Whether a category can be applied (NaN needs a floating tensor with elements, ...)."""
    category = base(category)
    if isinstance(value, Tensor | np.ndarray):
        floating = (
            value.dtype.is_floating_point
            if isinstance(value, Tensor)
            else (np.issubdtype(value.dtype, np.floating))
        )
        if category in ("nan", "inf"):
            return (
                floating and value.size != 0
                if isinstance(value, np.ndarray)
                else (floating and value.numel() > 0)
            )
        if category in ("empty", "shape"):
            return value.ndim >= 1
    if isinstance(value, list | tuple) and category in ("nan",):
        return any(isinstance(v, float) for v in value)
    return True


def strategy(value: object, category: str) -> st.SearchStrategy[object]:
    """Hypothesis strategy for the mutated value."""
    if isinstance(value, Tensor):
        return _tensor(value, category)
    if isinstance(value, np.ndarray):
        return _array(value, category)
    if isinstance(value, str):
        return st.just("nonsense" if category == "option" else 1)
    if isinstance(value, int):
        return {
            "negative": st.just(-1),
            "zero": st.just(0),
            "float": st.sampled_from([value + 0.5, float(value)]),
            "bool": st.just(True),
            "numpy": st.sampled_from([np.int64(value), np.int32(value)]),
            "type": st.just("1"),
        }[category]
    if isinstance(value, float):
        return {
            "nan": st.just(math.nan),
            "inf": st.just(math.inf),
            "-inf": st.just(-math.inf),
            "negative": st.sampled_from([-abs(value) - 1.0, -1e-3]),
            "zero": st.just(0.0),
            "numpy": st.just(np.float64(value)),
            "type": st.just("0.5"),
        }[category]
    items = list(value)  # a list or tuple of numbers
    kind = type(value)
    at = st.integers(0, len(items) - 1)

    def setting(new: Callable[[object], object]) -> st.SearchStrategy[object]:
        return at.map(lambda i: kind(new(v) if j == i else v for j, v in enumerate(items)))

    return {
        "negative": setting(lambda v: -1),
        "float": setting(lambda v: v + 0.5),
        "nan": setting(lambda v: math.nan),
        "empty": st.just(kind()),
        "length": st.just(kind([*items, items[-1]])),
    }[category]


def _tensor(value: Tensor, category: str) -> st.SearchStrategy[object]:
    return _bad_tensor(value, category).map(lambda m: _like_leaf(m, value))


def _like_leaf(mutant: object, value: Tensor) -> object:
    """A mutant that is a leaf again (it can be deep-copied), with the original's grad flag."""
    if not isinstance(mutant, Tensor):
        return mutant
    mutant = mutant.detach()
    if value.requires_grad and (mutant.is_floating_point() or mutant.is_complex()):
        mutant.requires_grad_()
    return mutant


def _bad_tensor(value: Tensor, category: str) -> st.SearchStrategy[object]:
    if category in ("nan", "inf"):
        bad = math.nan if category == "nan" else math.inf
        signs = st.sampled_from([1.0, -1.0]) if category == "inf" else st.just(1.0)

        def poison(i: int, sign: float) -> Tensor:
            out = value.detach().clone()
            out.view(-1)[i] = sign * bad
            return out

        return st.builds(poison, st.integers(0, value.numel() - 1), signs)
    if category.startswith("dtype="):
        dtype = getattr(torch, category.split("=")[1])
        return st.just(value.detach().to(dtype))
    if category.startswith("shape="):
        variant = category.split("=")[1]
        return st.just(
            {
                "lead": lambda: value.unsqueeze(0),
                "trail": lambda: value.unsqueeze(-1),
                "drop": lambda: value[..., 0],
                "longer": lambda: torch.cat([value, value[..., :1]], dim=-1),
            }[variant]()
        )
    if category == "empty":
        return st.just(value.narrow(0, 0, 0))
    if category == "list":
        return st.just(value.tolist())
    if category == "meta":
        return st.just(value.detach().to("meta"))
    return st.just("tensor")


def _array(value: np.ndarray, category: str) -> st.SearchStrategy[object]:
    if category in ("nan", "inf"):
        bad = math.nan if category == "nan" else math.inf

        def poison(i: int) -> np.ndarray:
            out = value.copy()
            out.reshape(-1)[i] = bad
            return out

        return st.builds(poison, st.integers(0, value.size - 1))
    if category.startswith("dtype="):
        return st.just(value.astype(category.split("=")[1]))
    if category.startswith("shape="):
        variant = category.split("=")[1]
        return st.just(
            {
                "lead": lambda: value[None],
                "trail": lambda: value[..., None],
                "drop": lambda: value[..., 0],
                "longer": lambda: np.concatenate([value, value[..., :1]], axis=-1),
            }[variant]()
        )
    if category == "empty":
        return st.just(value[:0])
    if category == "list":
        return st.just(value.tolist())
    return st.just("image")
