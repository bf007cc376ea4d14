"""Input validation shared by every reference function.

Each check raises a ``TypeError`` or ``ValueError`` whose message names the argument,
says what was expected and repeats what was given, so that a reader who passes the
wrong thing learns what to change without reading a stack trace from inside torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = [
    "check_finite",
    "check_in",
    "check_range",
    "check_same_length",
    "check_shape",
    "check_tensor",
]


def check_tensor(name: str, value: object) -> Tensor:
    """Raise ``TypeError`` unless ``value`` is a tensor; return it."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, but got {type(value).__name__}")
    return value


def check_shape(name: str, value: object, shape: Sequence[int | str | None]) -> Tensor:
    """Check a tensor's shape against a pattern and return the tensor.

    Args:
        name: the argument's name, used in the message.
        value: the tensor to check.
        shape: one entry per dimension: an ``int`` must match exactly, a ``str`` or
            ``None`` matches any size. A leading ``"..."`` allows any leading dimensions.

    Raises:
        TypeError: ``value`` is not a tensor.
        ValueError: the shape does not match, e.g. ``boxes must have shape (N, 4), but got (3, 5)``.
    """
    tensor = check_tensor(name, value)
    pattern = list(shape)
    leading = bool(pattern) and pattern[0] == "..."
    fixed = pattern[1:] if leading else pattern
    dims = tuple(tensor.shape)
    size_ok = len(dims) >= len(fixed) if leading else len(dims) == len(fixed)
    tail = dims[len(dims) - len(fixed) :] if size_ok else ()
    ok = size_ok and all(
        isinstance(want, str) or want is None or want == got
        for want, got in zip(fixed, tail, strict=True)
    )
    if not ok:
        want_text = (
            "(" + ", ".join(str(s) for s in pattern) + ("," if len(pattern) == 1 else "") + ")"
        )
        raise ValueError(f"{name} must have shape {want_text}, but got {dims}")
    return tensor


def check_same_length(names: tuple[str, str], a: Tensor, b: Tensor) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same first dimension."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same length, "
            f"but got {a.shape[0]} and {b.shape[0]}"
        )


def check_finite(name: str, value: Tensor) -> None:
    """Raise ``ValueError`` if ``value`` holds a NaN (or an infinity, for floating tensors)."""
    if value.is_floating_point() and not bool(torch.isfinite(value).all()):
        bad = value[~torch.isfinite(value)][0].item()
        raise ValueError(f"{name} must be finite, but got a value of {bad}")


def check_range(
    name: str,
    value: float,
    low: float | None = None,
    high: float | None = None,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Raise ``ValueError`` unless ``low <= value <= high`` (ends as stated); return the value."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, but got {type(value).__name__}")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high or value != value:
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        span = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"{name} must be in {span}, but got {value}")
    return value


def check_in(name: str, value: object, allowed: Sequence[object]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}, but got {value!r}")
