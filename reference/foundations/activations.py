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

from reference.checks import check_range, check_tensor

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
def _check_input(name: str, value: Tensor, **nonnegative: float) -> None:
    """``value`` must be a tensor, and every keyword (a slope, a scale) a number ``>= 0``."""
    check_tensor(name, value)
    for key, number in nonnegative.items():
        check_range(key, number, 0.0)


def _check_logits(input: Tensor, dim: int) -> None:
    """``input`` must be a tensor with a dimension ``dim`` (negative counts from the end)."""
    check_tensor("input", input)
    if not -input.dim() <= dim < max(input.dim(), 1):
        raise ValueError(
            f"dim must be in [{-input.dim()}, {input.dim() - 1}] for a {input.dim()}-D input, "
            f"but got {dim}"
        )


# --8<-- [end:checks]


# --8<-- [start:sigmoid]
def sigmoid(input: Tensor) -> Tensor:
    """Logistic function ``1 / (1 + exp(-x))``, squashing any real number into (0, 1).

    Written with ``exp(-|x|)``, which never overflows: for large negative ``x`` the
    textbook form computes ``exp(-x) = inf``.

    Args:
        input (Tensor[...]): any floating tensor.

    Returns:
        Tensor[...]: values in [0, 1], same shape.
    """
    _check_input("input", input)
    z = torch.exp(-input.abs())  # in (0, 1]: safe for any input
    return torch.where(input >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_derivative(x: Tensor) -> Tensor:
    """``sigmoid(x) * (1 - sigmoid(x))``: at most 0.25, reached at ``x = 0``.

    Args:
        x (Tensor[...]): where to take the derivative.

    Returns:
        Tensor[...]: values in [0, 0.25].
    """
    s = sigmoid(x)
    return s * (1 - s)


# --8<-- [end:sigmoid]


# --8<-- [start:tanh]
def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent, a sigmoid rescaled to (-1, 1): ``tanh(x) = 2 sigmoid(2x) - 1``.

    Args:
        input (Tensor[...]): any floating tensor.

    Returns:
        Tensor[...]: values in [-1, 1], zero-centred.
    """
    _check_input("input", input)
    z = torch.exp(-2 * input.abs())  # as in sigmoid: never overflows
    return torch.sign(input) * (1 - z) / (1 + z)


def tanh_derivative(x: Tensor) -> Tensor:
    """``1 - tanh(x)^2``: at most 1, at ``x = 0``.

    Args:
        x (Tensor[...]): where to take the derivative.

    Returns:
        Tensor[...]: values in [0, 1].
    """
    return 1 - tanh(x) ** 2


# --8<-- [end:tanh]


# --8<-- [start:relu]
def relu(input: Tensor) -> Tensor:
    """Rectified linear unit ``max(x, 0)``.

    Args:
        input (Tensor[...]): any floating tensor.

    Returns:
        Tensor[...]: same shape, ``>= 0``.
    """
    _check_input("input", input)
    return input.clamp(min=0)


def relu_derivative(x: Tensor) -> Tensor:
    """1 for ``x > 0``, else 0 (PyTorch takes 0 at the kink ``x = 0``).

    Args:
        x (Tensor[...]): where to take the derivative.

    Returns:
        Tensor[...]: 0 or 1.
    """
    _check_input("x", x)
    return (x > 0).to(x.dtype)


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
    _check_input("input", input, negative_slope=negative_slope)
    return torch.where(input > 0, input, negative_slope * input)


def leaky_relu_derivative(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """1 for ``x > 0``, else ``negative_slope`` (also at ``x = 0``, as PyTorch).

    Args:
        x (Tensor[...]): where to take the derivative.
        negative_slope: the slope for ``x <= 0``.

    Returns:
        Tensor[...]: 1 or ``negative_slope``.
    """
    _check_input("x", x, negative_slope=negative_slope)
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
    _check_input("input", input, alpha=alpha)
    return torch.where(input > 0, input, alpha * torch.expm1(input.clamp(max=0)))


def elu_derivative(x: Tensor, alpha: float = 1.0) -> Tensor:
    """1 for ``x > 0``, else ``alpha * exp(x)``.

    Args:
        x (Tensor[...]): where to take the derivative.
        alpha: as in :func:`elu`.

    Returns:
        Tensor[...]: values in (0, max(1, alpha)].
    """
    _check_input("x", x, alpha=alpha)
    return torch.where(x > 0, torch.ones_like(x), alpha * torch.exp(x.clamp(max=0)))


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
    _check_logits(input, dim)
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
    _check_logits(input, dim)
    shifted = input - input.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


# --8<-- [end:softmax]
