"""Activation functions, their derivatives, and a numerically stable softmax.

Each function equals its ``torch.nn.functional`` counterpart of the same name and takes its
arguments (``input`` first), and each
``*_derivative`` equals what autograd computes for it, including the value PyTorch picks at
the kink ``x = 0``. All work element-wise on tensors of any shape.
"""

from __future__ import annotations

# --8<-- [start:imports]
import torch
from torch import Tensor

from reference.checks import as_floating, check_dim, check_floating, check_range, check_real

# --8<-- [end:imports]

__all__ = [
    "elu",
    "elu_derivative",
    "leaky_relu",
    "leaky_relu_derivative",
    "log_softmax",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "softmax",
    "tanh",
    "tanh_derivative",
]


# --8<-- [start:checks]
def _check_input(name: str, value: object, key: str, number: object) -> float:
    """``value`` must be a floating tensor and ``number`` (the argument ``key``: a slope, a
    scale) a real number ``>= 0``; returns ``number`` as a float."""
    check_floating(name, value)
    return check_range(key, number, 0.0)


def _check_logits(input: object, dim: object) -> int:
    """``input`` must be a floating tensor with a dimension ``dim`` (negative counts from
    the end); returns ``dim`` as a non-negative index."""
    (index,) = check_dim("dim", dim, check_floating("input", input).dim(), of="input")
    return index


# --8<-- [end:checks]


# --8<-- [start:sigmoid]
def sigmoid(input: Tensor) -> Tensor:
    """Logistic function ``1 / (1 + exp(-x))``, squashing any real number into (0, 1).

    Written with ``exp(-|x|)``, which never overflows: for large negative ``x`` the
    textbook form computes ``exp(-x) = inf``.

    Args:
        input (Tensor[...]): any tensor; integers are promoted to the default float dtype.

    Returns:
        Tensor[...]: values in [0, 1], same shape.
    """
    x = as_floating("input", input)
    # -|x| as a choice between two linear branches: abs() would pass no gradient at 0
    z = torch.exp(torch.where(x >= 0, -x, x))  # in (0, 1]: safe for any x
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_derivative(x: Tensor) -> Tensor:
    """``sigmoid(x) * (1 - sigmoid(x))``: at most 0.25, reached at ``x = 0``.

    Args:
        x (Tensor[...]): where to take the derivative.

    Returns:
        Tensor[...]: values in [0, 0.25].
    """
    s = sigmoid(check_floating("x", x))
    return s * (1 - s)


# --8<-- [end:sigmoid]


# --8<-- [start:tanh]
def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent, a sigmoid rescaled to (-1, 1): ``tanh(x) = 2 sigmoid(2x) - 1``.

    Args:
        input (Tensor[...]): any tensor; integers are promoted to the default float dtype.

    Returns:
        Tensor[...]: values in [-1, 1], zero-centred.
    """
    x = as_floating("input", input)
    # e^(-2|x|) - 1, as in sigmoid never overflowing; expm1 keeps tanh(1e-8) = 1e-8, where
    # 1 - e^(-2|x|) would round to 0 in float32
    m = torch.expm1(torch.where(x >= 0, -2 * x, 2 * x))  # in [-1, 0]
    magnitude = -m / (2 + m)  # tanh(|x|)
    return torch.where(x >= 0, magnitude, -magnitude)


def tanh_derivative(x: Tensor) -> Tensor:
    """``1 - tanh(x)^2``: at most 1, at ``x = 0``.

    Args:
        x (Tensor[...]): where to take the derivative.

    Returns:
        Tensor[...]: values in [0, 1].
    """
    return 1 - tanh(check_floating("x", x)) ** 2


# --8<-- [end:tanh]


# --8<-- [start:relu]
def relu(input: Tensor) -> Tensor:
    """Rectified linear unit ``max(x, 0)``.

    Args:
        input (Tensor[...]): any real tensor, floating or integer (as ``F.relu``).

    Returns:
        Tensor[...]: same shape and dtype, ``>= 0``.
    """
    check_real("input", input)
    return input.clamp(min=0)


def relu_derivative(x: Tensor) -> Tensor:
    """1 for ``x > 0``, else 0 (PyTorch takes 0 at the kink ``x = 0``, and 1 at NaN).

    Args:
        x (Tensor[...]): where to take the derivative.

    Returns:
        Tensor[...]: 0 or 1.
    """
    check_floating("x", x)
    return torch.where(x <= 0, 0.0, 1.0).to(x.dtype)


# --8<-- [end:relu]


# --8<-- [start:leaky_elu]
def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``x`` for ``x > 0``, else ``negative_slope * x``: negative inputs keep a small gradient.

    Args:
        input (Tensor[...]): any floating tensor.
        negative_slope: the slope for ``x <= 0``, ``>= 0``.

    Returns:
        Tensor[...]: same shape.
    """
    negative_slope = _check_input("input", input, "negative_slope", negative_slope)
    return torch.where(input > 0, input, negative_slope * input)


def leaky_relu_derivative(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """1 for ``x > 0``, else ``negative_slope`` (also at ``x = 0``, as PyTorch).

    Args:
        x (Tensor[...]): where to take the derivative.
        negative_slope: the slope for ``x <= 0``.

    Returns:
        Tensor[...]: 1 or ``negative_slope``.
    """
    negative_slope = _check_input("x", x, "negative_slope", negative_slope)
    return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, negative_slope))


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: ``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Smooth at 0 for ``alpha = 1``, and its negative outputs (down to ``-alpha``) push the
    mean activation towards 0. ``expm1`` keeps ``exp(x) - 1`` accurate near 0.

    Args:
        input (Tensor[...]): any floating tensor.
        alpha: the negative saturation value is ``-alpha``.

    Returns:
        Tensor[...]: same shape, ``> -alpha``.
    """
    alpha = _check_input("input", input, "alpha", alpha)
    return torch.where(input > 0, input, alpha * torch.expm1(input.clamp(max=0)))


def elu_derivative(x: Tensor, alpha: float = 1.0) -> Tensor:
    """1 for ``x > 0``, else ``alpha * exp(x)`` (also at NaN, as autograd).

    Args:
        x (Tensor[...]): where to take the derivative.
        alpha: as in :func:`elu`.

    Returns:
        Tensor[...]: values in (0, max(1, alpha)].
    """
    alpha = _check_input("x", x, "alpha", alpha)
    return torch.where(x <= 0, alpha * torch.exp(x.clamp(max=0)), torch.ones_like(x))


# --8<-- [end:leaky_elu]


# --8<-- [start:softmax]
def softmax(input: Tensor, dim: int = -1) -> Tensor:
    """Softmax along ``dim``: ``exp(x_i) / sum_j exp(x_j)``, a probability distribution.

    Subtracting the maximum first changes nothing mathematically (the factor
    ``exp(-max)`` cancels) but keeps every exponent <= 0, so logits of 1e4 do not overflow.

    Args:
        input (Tensor[..., K, ...]): logits.
        dim: the dimension that holds the K classes.

    Returns:
        Tensor[..., K, ...]: same shape, non-negative, summing to 1 along ``dim``.

    Differs from ``F.softmax``: ``dim`` defaults to -1, the last dimension (``F.softmax``'s
    default ``None`` picks a dimension from the input's rank, a deprecated rule that warns).

    Example:
        >>> softmax(torch.tensor([1000.0, 1000.0, 0.0]))
        tensor([0.5000, 0.5000, 0.0000])
    """
    dim = _check_logits(input, dim)
    if input.numel() == 0:  # no maximum to subtract; the result is empty too
        return input.clone()
    shifted = input - input.amax(dim=dim, keepdim=True)
    exp = shifted.exp()
    return exp / exp.sum(dim=dim, keepdim=True)


def log_softmax(input: Tensor, dim: int = -1) -> Tensor:
    """``log(softmax(x))`` computed as ``x - max - log(sum(exp(x - max)))`` (log-sum-exp).

    Taking the log of :func:`softmax` instead would give ``log(0) = -inf`` for classes whose
    probability underflows; this form stays finite.

    Args:
        input (Tensor[..., K, ...]): logits.
        dim: the dimension that holds the K classes.

    Returns:
        Tensor[..., K, ...]: same shape, ``<= 0``.

    Differs from ``F.log_softmax``: ``dim`` defaults to -1, as in :func:`softmax`.
    """
    dim = _check_logits(input, dim)
    if input.numel() == 0:
        return input.clone()
    shifted = input - input.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


# --8<-- [end:softmax]
