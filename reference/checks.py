"""Input validation shared by every reference function: the one input contract.

Each check raises a ``TypeError`` or ``ValueError`` whose message names the argument,
says what was expected and repeats what was given, so that a reader who passes the
wrong thing learns what to change without reading a stack trace from inside torch.

The contract every public function follows (``tests/contract/test_contract.py`` enforces it):

* **Tensors** must be ``torch.Tensor`` (a list is refused with a ``TypeError``, as torch
  does). A tensor of the wrong kind is converted the way the production function converts
  it (:func:`as_floating`: integer and bool to the default float dtype) or refused with a
  ``TypeError`` (:func:`check_floating`, :func:`check_integer`).
* **Shapes, sizes and empty inputs** that make no sense give a ``ValueError`` naming the
  argument, the expected shape and the shape given (:func:`check_shape`,
  :func:`check_nonempty`, :func:`check_broadcastable`).
* **NaN and infinity** are refused where they make the result meaningless (scores, boxes,
  rewards, tolerances: :func:`check_finite`); elsewhere they propagate as in torch.
* **Values** of a tensor outside their range (class indices, probabilities) are refused
  (:func:`check_bounds`, :func:`check_distribution`).
* **Sequences** of numbers, sizes or tensors must be lists or tuples: a string or a tensor
  is refused with a ``TypeError`` (:func:`check_sequence`).
* **Scalars**: integer arguments (:func:`check_int`) accept ``int`` and NumPy integers and
  refuse floats and bools; real arguments (:func:`check_range`) accept ints, floats and
  NumPy scalars and refuse NaN, and infinity unless the function asks for it.
* **Devices**: tensors that are read value by value must hold data (a ``meta`` tensor has
  none: :func:`check_data`); tensors combined with each other must share a device
  (:func:`check_same_device`; :func:`check_operands` also asks for one floating dtype);
  outputs are allocated on the inputs' device.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "as_floating",
    "check_bounds",
    "check_broadcastable",
    "check_callable",
    "check_data",
    "check_dim",
    "check_distribution",
    "check_finite",
    "check_floating",
    "check_in",
    "check_instance",
    "check_int",
    "check_integer",
    "check_module_input",
    "check_nonempty",
    "check_operands",
    "check_range",
    "check_real",
    "check_same_device",
    "check_same_length",
    "check_sequence",
    "check_shape",
    "check_tensor",
]


def check_tensor(name: str, value: object) -> Tensor:
    """Raise ``TypeError`` unless ``value`` is a tensor; return it."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, but got {type(value).__name__}")
    return value


def check_shape(
    name: str, value: object, shape: Sequence[int | str | None], *, of: str | None = None
) -> Tensor:
    """Check a tensor's shape against a pattern and return the tensor.

    Args:
        name: the argument's name, used in the message.
        value: the tensor to check.
        shape: one entry per dimension: an ``int`` must match exactly, a ``str`` or
            ``None`` matches any size. A leading ``"..."`` allows any leading dimensions.
        of: the argument(s) the sizes come from, named in the message too
            (``b must have shape (5,) to match w, but got (4,)``): either may be the wrong one.

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
        source = f" to match {of}" if of else ""
        raise ValueError(f"{name} must have shape {want_text}{source}, but got {dims}")
    return tensor


def check_nonempty(name: str, value: Tensor) -> Tensor:
    """Raise ``ValueError`` if ``value`` has no elements (where an empty input has no answer)."""
    if value.numel() == 0:
        raise ValueError(f"{name} must not be empty, but got shape {tuple(value.shape)}")
    return value


def check_same_length(names: tuple[str, str], a: Tensor, b: Tensor) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same first dimension."""
    if a.dim() == 0 or b.dim() == 0:
        raise ValueError(
            f"{names[0]} and {names[1]} must have a first dimension, but got shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same length, "
            f"but got {a.shape[0]} and {b.shape[0]}"
        )


def check_same_device(names: Sequence[str], *tensors: Tensor) -> None:
    """Raise ``ValueError`` unless all ``tensors`` live on one device."""
    devices = [t.device for t in tensors]
    if any(d != devices[0] for d in devices):
        pairs = ", ".join(f"{n} on {d}" for n, d in zip(names, devices, strict=True))
        raise ValueError(f"{', '.join(names)} must be on the same device, but got {pairs}")


def check_operands(names: Sequence[str], *tensors: Tensor) -> None:
    """Tensors that are combined with each other (a matrix product, a weighted sum): each a
    floating tensor, all of one dtype and on one device, as torch's binary ops require.

    Raises:
        TypeError: one is not a floating tensor, or the dtypes differ
            (``query and key must have one floating dtype, but got float64 and float32``).
        ValueError: the devices differ.
    """
    for name, tensor in zip(names, tensors, strict=True):
        check_floating(name, tensor)
    dtypes = [t.dtype for t in tensors]
    if any(d != dtypes[0] for d in dtypes):
        given = " and ".join(str(d).replace("torch.", "") for d in dtypes)
        raise TypeError(f"{' and '.join(names)} must have one floating dtype, but got {given}")
    check_same_device(names, *tensors)


def check_broadcastable(
    names: Sequence[str], *shapes: Sequence[int], what: str = "shapes"
) -> tuple[int, ...]:
    """Raise ``ValueError`` unless ``shapes`` broadcast together; return the broadcast shape.

    ``what`` says which part of the tensors' shapes is meant (``"batch dimensions"``).
    """
    try:
        return tuple(torch.broadcast_shapes(*shapes))
    except RuntimeError:
        given = " and ".join(str(tuple(s)) for s in shapes)
        raise ValueError(
            f"{' and '.join(names)} must have broadcastable {what}, but got {given}"
        ) from None


def check_data(name: str, value: Tensor) -> Tensor:
    """Raise ``ValueError`` for a ``meta`` tensor, which has a shape but no values to read."""
    if value.is_meta:
        raise ValueError(
            f"{name} must hold values (this function reads them), but got a tensor on the "
            "meta device"
        )
    return value


def check_finite(name: str, value: Tensor) -> Tensor:
    """Raise ``ValueError`` if ``value`` holds a NaN or an infinity; return it."""
    check_data(name, value)
    if (value.is_floating_point() or value.is_complex()) and not bool(torch.isfinite(value).all()):
        bad = value[~torch.isfinite(value)][0].item()
        raise ValueError(f"{name} must be finite, but got a value of {bad}")
    return value


def check_floating(name: str, value: object) -> Tensor:
    """Raise ``TypeError`` unless ``value`` is a real floating-point tensor (as torch would)."""
    tensor = check_tensor(name, value)
    if not tensor.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, but got dtype {tensor.dtype}")
    return tensor


def check_real(name: str, value: object) -> Tensor:
    """Raise ``TypeError`` unless ``value`` is a tensor of real numbers (not bool, not complex)."""
    tensor = check_tensor(name, value)
    if tensor.dtype == torch.bool or tensor.is_complex():
        raise TypeError(f"{name} must hold real numbers, but got dtype {tensor.dtype}")
    return tensor


def as_floating(name: str, value: object) -> Tensor:
    """``value`` as a real floating tensor: integers and bools become the default float dtype.

    This is torch's type promotion for ops such as ``torch.sigmoid`` or ``torch.mean``;
    complex tensors are refused with a ``TypeError``.
    """
    tensor = check_tensor(name, value)
    if tensor.is_complex():
        raise TypeError(f"{name} must be a real tensor, but got dtype {tensor.dtype}")
    return tensor if tensor.is_floating_point() else tensor.to(torch.get_default_dtype())


def check_integer(name: str, value: object) -> Tensor:
    """Raise ``TypeError`` unless ``value`` is a tensor of integers (indices, labels, counts)."""
    tensor = check_tensor(name, value)
    if tensor.is_floating_point() or tensor.is_complex() or tensor.dtype == torch.bool:
        raise TypeError(f"{name} must hold integers, but got dtype {tensor.dtype}")
    return tensor


def check_bounds(
    name: str,
    value: Tensor,
    low: float | None = None,
    high: float | None = None,
    *,
    high_inclusive: bool = True,
) -> Tensor:
    """Raise ``ValueError`` unless every element lies in ``[low, high]`` (or ``[low, high)``).

    NaN is out of any range. Empty tensors pass.
    """
    check_data(name, value)
    if value.numel() == 0:
        return value
    inside = torch.ones_like(value, dtype=torch.bool)
    if low is not None:
        inside &= value >= low
    if high is not None:
        inside &= value <= high if high_inclusive else value < high
    if low is None and high is None:
        inside &= value == value
    if not bool(inside.all()):
        right = "]" if high_inclusive else ")"
        span = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        bad = value[~inside][0].item()
        raise ValueError(f"{name} must hold values in {span}, but got {bad}")
    return value


def check_dim(name: str, dim: object, ndim: int, *, of: str = "the input") -> tuple[int, ...]:
    """``dim`` (an int or a tuple of ints, negative from the end) as non-negative indices.

    ``of`` names the tensor it indexes. A 0-d tensor accepts ``0`` and ``-1``, as torch does.
    """
    dims = dim if isinstance(dim, tuple | list) else (dim,)
    size = max(ndim, 1)
    out = []
    for d in dims:
        index = check_int(name, d)
        if not -size <= index < size:
            raise ValueError(
                f"{name} must be in [{-size}, {size - 1}] for {of} with {ndim} dimensions, "
                f"but got {dim}"
            )
        out.append(index % size)
    if len(set(out)) != len(out):
        raise ValueError(f"{name} must not repeat a dimension, but got {dim}")
    return tuple(out)


def check_distribution(name: str, p: Tensor, dim: int = -1, atol: float = 1e-6) -> Tensor:
    """Raise ``ValueError`` unless ``p`` holds probabilities (>= 0, summing to 1 along ``dim``)."""
    check_tensor(name, p)
    check_finite(name, p)
    if p.dim() == 0:
        raise ValueError(
            f"{name} must have a dimension holding a distribution, but got a 0-d tensor"
        )
    check_dim("dim", dim, p.dim())
    if bool((p < 0).any()):
        raise ValueError(f"{name} must hold probabilities >= 0, but got {p.min().item()}")
    sums = p.sum(dim=dim)
    if not torch.allclose(sums, torch.ones_like(sums), rtol=0.0, atol=atol):
        off = sums[(sums - 1).abs() > atol].flatten()[0].item()
        raise ValueError(f"{name} must sum to 1 along dim {dim}, but a sum is {off}")
    return p


def _scalar(name: str, value: object, kinds: str) -> float | int:
    # bool is an int in Python, but True as a learning rate or a size is a mistake.
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        raise TypeError(f"{name} must be {kinds}, but got {type(value).__name__}")
    return int(value) if isinstance(value, int | np.integer) else float(value)


def check_int(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an ``int``; ``TypeError`` for floats and bools, ``ValueError``
    outside ``[low, high]``. NumPy integers are accepted."""
    if isinstance(value, float | np.floating):
        raise TypeError(f"{name} must be an int, but got the float {value!r}")
    number = int(_scalar(name, value, "an int"))
    if (low is not None and number < low) or (high is not None and number > high):
        left = "(-inf" if low is None else f"[{low}"
        right = "inf)" if high is None else f"{high}]"
        raise ValueError(f"{name} must be in {left}, {right}, but got {number}")
    return number


def check_range(
    name: str,
    value: object,
    low: float | None = None,
    high: float | None = None,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    allow_inf: bool = False,
) -> float:
    """Return ``value`` as a ``float`` after checking ``low <= value <= high`` (ends as stated).

    NaN is always refused; so are infinities unless ``allow_inf`` (an open end of the range
    is then printed as ``inf]``). Ints and NumPy scalars are accepted.
    """
    number = float(_scalar(name, value, "a real number"))
    too_low = low is not None and (number < low if low_inclusive else number <= low)
    too_high = high is not None and (number > high if high_inclusive else number >= high)
    infinite = math.isinf(number) and not allow_inf
    if too_low or too_high or math.isnan(number) or infinite:
        left = "[" if low_inclusive and low is not None else "("
        right = "]" if high_inclusive and (high is not None or allow_inf) else ")"
        span = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"{name} must be in {span}, but got {value}")
    return number


def check_sequence(name: str, value: object, what: str, *, nonempty: bool = False) -> None:
    """Raise ``TypeError`` unless ``value`` is a list, tuple or other sequence (a string and
    a tensor are not), and ``ValueError`` if ``nonempty`` and it is empty. ``what`` says what
    it should hold, e.g. ``"a list of ints"``."""
    if isinstance(value, str | bytes | Tensor) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be {what}, but got {type(value).__name__}")
    if nonempty and len(value) == 0:
        raise ValueError(f"{name} must be {what} with at least one element, but got none")


def check_in(name: str, value: object, allowed: Sequence[object]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``."""
    if not any(value is a or (type(value) is type(a) and value == a) for a in allowed):
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}, but got {value!r}")


def _public_name(kind: type) -> str:
    """``torch.nn.Module`` rather than ``torch.nn.modules.module.Module``: the shortest
    module path that exports the class."""
    parts = kind.__module__.split(".")
    for end in range(1, len(parts) + 1):
        module = sys.modules.get(".".join(parts[:end]))
        if module is not None and getattr(module, kind.__qualname__, None) is kind:
            return f"{module.__name__}.{kind.__qualname__}"
    return f"{kind.__module__}.{kind.__qualname__}"


def check_instance(name: str, value: object, kind: type | tuple[type, ...]) -> None:
    """Raise ``TypeError`` unless ``value`` is an instance of ``kind``."""
    if not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        wanted = " or ".join(_public_name(k) for k in kinds)
        raise TypeError(f"{name} must be a {wanted}, but got {type(value).__name__}")


def check_module_input(
    name: str,
    value: object,
    module: torch.nn.Module,
    shape: Sequence[int | str | None],
    *,
    of: str | None = None,
) -> Tensor:
    """A module's input: a floating tensor of ``shape`` with the module's dtype and device.

    ``of`` names the constructor argument the sizes come from, as in :func:`check_shape`.
    """
    x = check_floating(name, check_shape(name, value, shape, of=of))
    parameter = next(iter(module.parameters()), None)
    if parameter is not None and (x.dtype != parameter.dtype or x.device != parameter.device):
        raise TypeError(
            f"{name} must have the module's dtype and device ({parameter.dtype}, "
            f"{parameter.device}), but got {x.dtype} on {x.device}"
        )
    return x


def check_callable(name: str, value: object) -> None:
    """Raise ``TypeError`` unless ``value`` can be called."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, but got {type(value).__name__}")
