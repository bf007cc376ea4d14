"""What the contract test knows about one public callable: a valid call and its oracle."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

Args = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """A valid call of a public callable and how to judge its answers to bad input.

    Attributes:
        name: ``section.Name`` as exported, plus an optional ``:suffix`` when one callable
            has several cases.
        call: calls the public callable with keyword arguments (for a class: builds it
            and calls its main method).
        args: returns fresh, valid keyword arguments (fresh, because some callables change
            their arguments in place).
        production: the production library's equivalent, same keywords; ``None`` if there
            is none. When a bad input returns a result, it must equal this one's.
        domains: for scalar arguments without a production oracle, the values that are
            valid (``lambda v: v >= 0``): the test tries values on both sides.
        accept: ``"argument:category"`` (or ``"*:category"``) to a judge of a returned
            result that no production oracle can check: ``"propagate"`` (the result
            shows the NaN or infinity), ``"converts"`` (equals the result with the argument
            converted to float), ``"valid"`` (the mutation is still a valid input: any result,
            and errors must still name the argument), ``"any"`` (any result or error: a
            deliberate difference, say why in a comment), ``"raises"`` (an error from code
            the caller passed in, such as a model).
        fixed: arguments that are not mutated (objects whose bad values other cases test).
        tolerance: ``rtol``/``atol`` for comparing with ``production``.
        device: whether the valid call is run with the default device set to ``meta``,
            which catches tensors allocated without ``device=`` (only for callables whose
            output is built from tensor inputs).
    """

    name: str
    call: Callable[..., object]
    args: Callable[[], Args]
    production: Callable[..., object] | None = None
    domains: Mapping[str, Callable[[Any], bool]] = field(default_factory=dict)
    accept: Mapping[str, str | Callable[[object, Args], None]] = field(default_factory=dict)
    fixed: tuple[str, ...] = ()
    tolerance: Mapping[str, float] | None = None
    device: bool = True

    @property
    def callable_name(self) -> str:
        return self.name.split(":")[0]


def nonneg(v: float) -> bool:
    return v >= 0 and math.isfinite(v)


def positive(v: float) -> bool:
    return v > 0 and math.isfinite(v)


def unit(v: float) -> bool:
    return 0 <= v <= 1


def unit_open(v: float) -> bool:
    return 0 <= v < 1


def at_least(low: int) -> Callable[[Any], bool]:
    return lambda v: v >= low


def anything(v: object) -> bool:
    return True


def assert_same(ours: object, theirs: object, tolerance: Mapping[str, float] | None = None) -> None:
    """Equal values (NaN equal to NaN), shapes, dtypes and devices, recursively."""
    if isinstance(theirs, Tensor):
        assert isinstance(ours, Tensor), f"a tensor was expected, got {type(ours).__name__}"
        assert ours.shape == theirs.shape, f"shape {tuple(ours.shape)} != {tuple(theirs.shape)}"
        assert ours.dtype == theirs.dtype, f"dtype {ours.dtype} != {theirs.dtype}"
        assert ours.device == theirs.device, f"device {ours.device} != {theirs.device}"
        if ours.is_meta:
            return
        loose = ours.dtype in (torch.float16, torch.bfloat16, torch.float32, torch.complex64)
        tol = dict(tolerance or ({"rtol": 1e-4, "atol": 1e-5} if loose else {}))
        torch.testing.assert_close(ours.detach(), theirs.detach(), equal_nan=True, **tol)
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), f"an array was expected, got {type(ours).__name__}"
        assert ours.shape == theirs.shape, f"shape {ours.shape} != {theirs.shape}"
        tol = dict(tolerance or {"rtol": 1e-5, "atol": 1e-6})
        if np.issubdtype(theirs.dtype, np.integer) or theirs.dtype == np.bool_:
            np.testing.assert_array_equal(ours, theirs)
        else:
            np.testing.assert_allclose(ours, theirs, equal_nan=True, **tol)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and sorted(ours) == sorted(theirs), (ours, theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key], tolerance)
    elif isinstance(theirs, list | tuple):
        assert isinstance(ours, list | tuple) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert_same(a, b, tolerance)
    elif isinstance(theirs, nn.Module):
        assert isinstance(ours, nn.Module)
        shapes = [(k, tuple(v.shape)) for k, v in ours.state_dict().items()]
        assert shapes == [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    elif dataclasses.is_dataclass(theirs) and not isinstance(theirs, type):
        assert type(ours) is type(theirs)
        for f in dataclasses.fields(theirs):
            assert_same(getattr(ours, f.name), getattr(theirs, f.name), tolerance)
    elif isinstance(theirs, float | np.floating) and not isinstance(theirs, bool):
        assert isinstance(ours, float | int | np.number), type(ours)
        a, b = float(ours), float(theirs)
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(
            a,
            b,
            rel_tol=(tolerance or {}).get("rtol", 1e-6),
            abs_tol=(tolerance or {}).get("atol", 1e-9),
        ), (a, b)
    else:
        assert ours == theirs, (ours, theirs)
