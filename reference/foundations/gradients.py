"""Gradient clipping, and a probe for vanishing and exploding gradients.

``clip_grad_value_`` and ``clip_grad_norm_`` equal ``torch.nn.utils`` of the same name;
``clip_grad_norm_per_tensor_`` clips each parameter's gradient by its own norm (what
Paddle calls ``ClipGradByNorm`` and TensorFlow ``clip_by_norm``).
"""

from __future__ import annotations

# --8<-- [start:imports]
import math
from collections.abc import Iterable

import torch
from torch import Tensor

from reference.checks import check_in, check_int, check_range, check_tensor

# --8<-- [end:imports]

__all__ = [
    "clip_grad_norm_",
    "clip_grad_norm_per_tensor_",
    "clip_grad_value_",
    "layer_gradient_norms",
]


# --8<-- [start:checks]
def _check_clip_norm(max_norm: object, norm_type: object = 2.0) -> tuple[float, float]:
    """``max_norm >= 0`` and a positive ``norm_type`` (``math.inf`` allowed for both),
    returned as floats."""
    return (
        check_range("max_norm", max_norm, 0.0, allow_inf=True),
        check_range("norm_type", norm_type, 0.0, low_inclusive=False, allow_inf=True),
    )


def _check_probe(activation: object, depth: object, width: object, gain: object) -> None:
    """A known activation, at least one layer of at least one unit, and ``gain >= 0``."""
    check_in("activation", activation, ("sigmoid", "tanh", "relu"))
    check_int("depth", depth, 1)
    check_int("width", width, 1)
    check_range("gain", gain, 0.0)


# --8<-- [end:checks]


# --8<-- [start:clipping]
def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    given: object = parameters  # checked as what a caller may pass, whatever the annotation
    if not isinstance(given, Tensor | Iterable) or isinstance(given, str):
        raise TypeError(
            f"parameters must be a tensor or an iterable of tensors, but got "
            f"{type(parameters).__name__}"
        )
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        check_tensor(f"parameters[{i}]", p)
    return [p.grad for p in params if p.grad is not None]


@torch.no_grad()
def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]``, in place.

    Simple, but it changes the gradient's direction: large entries are cut, small ones kept.

    Args:
        parameters: a tensor or tensors whose ``.grad`` is changed in place.
        clip_value: the largest magnitude an entry keeps.
    """
    clip_value = check_range("clip_value", clip_value, 0.0, allow_inf=True)
    for grad in _grads(parameters):
        grad.clamp_(-clip_value, clip_value)


@torch.no_grad()
def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0
) -> Tensor:
    """Rescale all gradients together so that their joint norm is at most ``max_norm``.

    The joint ("global") norm is the norm of the vector of all gradient entries; when it
    exceeds ``max_norm`` every gradient is multiplied by ``max_norm / (norm + 1e-6)``,
    which keeps the direction of the update and only shortens it.

    Args:
        parameters: a tensor or tensors whose ``.grad`` is changed in place.
        max_norm: the largest joint norm.
        norm_type: ``p`` of the p-norm (``math.inf`` for the largest entry).

    Returns:
        Tensor[]: the joint norm before clipping (useful to log: spikes mean trouble).
    """
    max_norm, norm_type = _check_clip_norm(max_norm, norm_type)
    grads = _grads(parameters)
    if not grads:
        return torch.tensor(0.0)
    per_tensor = torch.stack([torch.linalg.vector_norm(g, norm_type) for g in grads])
    total = torch.linalg.vector_norm(per_tensor, norm_type)  # ||g||: all entries as one vector
    scale = (max_norm / (total + 1e-6)).clamp(max=1.0)  # c / ||g||, 1e-6 as torch
    for grad in grads:
        grad.mul_(scale)
    return total


@torch.no_grad()
def clip_grad_norm_per_tensor_(parameters: Tensor | Iterable[Tensor], max_norm: float) -> None:
    """Rescale each gradient whose own L2 norm exceeds ``max_norm`` to norm ``max_norm``.

    Args:
        parameters: a tensor or tensors whose ``.grad`` is changed in place.
        max_norm: the largest norm of each gradient.
    """
    max_norm, _ = _check_clip_norm(max_norm)
    for grad in _grads(parameters):
        norm = torch.linalg.vector_norm(grad)
        if norm > max_norm:
            grad.mul_(max_norm / norm)


# --8<-- [end:clipping]


# --8<-- [start:probe]
def layer_gradient_norms(
    activation: str,
    depth: int = 20,
    width: int = 64,
    gain: float = 1.0,
    *,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Gradient norms per layer of a deep MLP after one backward pass.

    The MLP has ``depth`` linear layers of ``width`` units with the given activation, weights
    drawn from ``N(0, gain^2 / width)``, a batch of 32 standard-normal inputs and the mean of
    the output as the loss: small enough to run in milliseconds, deep enough to show the
    trend. Two gradients per layer ``l``: the one with respect to its input ``h_(l-1)``, the
    error signal that backpropagation multiplies by one factor per layer; and the one with
    respect to its weight, ``W_l``, which the optimiser uses and which is that signal (one
    layer up) times the layer's input.

    Args:
        activation: ``"sigmoid"``, ``"tanh"`` or ``"relu"``.
        depth: number of layers.
        width: units per layer.
        gain: weights are drawn with standard deviation ``gain / sqrt(width)``.
        generator: the random source of weights and inputs (``None``: the global generator).

    Returns:
        (Tensor[depth], Tensor[depth]): the norms of the input gradients and of the weight
        gradients, first (input-side) layer first.
    """
    _check_probe(activation, depth, width, gain)
    activations = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
    f = activations[activation]
    std = gain / math.sqrt(width)
    weights = [
        (torch.randn(width, width, generator=generator, dtype=torch.float64) * std).requires_grad_()
        for _ in range(depth)
    ]
    h = torch.randn(32, width, generator=generator, dtype=torch.float64).requires_grad_()
    inputs = []  # h_0 (the data), h_1, ..., h_(depth-1): what each layer receives
    for w in weights:
        inputs.append(h)
        h = f(h @ w.T)  # [32, width]
    grads = torch.autograd.grad(h.mean(), inputs + weights)
    norms = torch.stack([g.norm() for g in grads])
    return norms[:depth], norms[depth:]


# --8<-- [end:probe]
