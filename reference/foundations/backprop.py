"""Gradients by finite differences, directional derivatives, and backpropagation by hand.

``numerical_gradient`` approximates the gradient of any scalar function with central
differences, one coordinate at a time; ``TwoLayerNet`` is a small MLP
whose ``backward`` applies the chain rule layer by layer, written out, and equals autograd.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Callable

import torch
from torch import Tensor

from reference.checks import (
    check_bounds,
    check_callable,
    check_finite,
    check_floating,
    check_integer,
    check_range,
    check_same_device,
    check_shape,
)

# --8<-- [end:imports]

__all__ = ["TwoLayerNet", "directional_derivative", "numerical_gradient"]


# --8<-- [start:checks]
def _check_point(f: object, x: Tensor, eps: object) -> float:
    """``f`` callable, ``x`` a finite floating tensor and the step ``eps`` positive (returned)."""
    check_callable("f", f)
    check_finite("x", check_floating("x", x))  # a difference quotient at NaN or inf is no slope
    return check_range("eps", eps, 0.0, low_inclusive=False)


def _check_direction(f: object, x: Tensor, direction: Tensor) -> None:
    """``direction`` a non-zero vector shaped like ``x``, with its dtype and device."""
    check_callable("f", f)
    check_floating("x", x)
    check_shape("direction", check_floating("direction", direction), tuple(x.shape), of="x")
    check_same_device(("x", "direction"), x, direction)
    if direction.dtype != x.dtype:
        raise TypeError(f"direction must have x's dtype {x.dtype}, but got {direction.dtype}")
    if direction.norm() == 0:
        raise ValueError("direction must not be the zero vector, which has no direction")


def _check_layers(w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> None:
    """Weights Tensor[H, D] and Tensor[K, H] with biases Tensor[H] and Tensor[K] that fit,
    all finite, floating, of one dtype and on one device."""
    check_shape("w1", w1, ("H", "D"))
    check_shape("b1", b1, (w1.shape[0],), of="w1")
    check_shape("w2", w2, ("K", w1.shape[0]), of="w1")
    check_shape("b2", b2, (w2.shape[0],), of="w2")
    for name, p in (("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)):
        check_finite(name, check_floating(name, p))
        if p.dtype != w1.dtype or p.device != w1.device:
            raise TypeError(
                f"{name} must have w1's dtype and device ({w1.dtype}, {w1.device}), "
                f"but got {p.dtype} on {p.device}"
            )


def _check_batch(x: Tensor, y: Tensor, w1: Tensor, w2: Tensor) -> None:
    """A batch ``x``, Tensor[B, D] with D the inputs of ``w1`` (its dtype and device), and
    class indices ``y``, Tensor[B] of integers in ``[0, K)``, K the outputs of ``w2``."""
    check_shape("x", x, ("B", w1.shape[1]), of="w1")
    check_shape("y", y, (x.shape[0],), of="x")
    check_finite("x", x)
    if x.dtype != w1.dtype or x.device != w1.device:
        raise TypeError(
            f"x must have the weights' dtype and device ({w1.dtype}, "
            f"{w1.device}), but got {x.dtype} on {x.device}"
        )
    check_same_device(("x", "y"), x, y)
    check_bounds("y", check_integer("y", y), 0, w2.shape[0] - 1)


# --8<-- [end:checks]


# --8<-- [start:numerical_gradient]
def numerical_gradient(f: Callable[[Tensor], Tensor], x: Tensor, eps: float = 1e-6) -> Tensor:
    """Central-difference gradient ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every ``i``.

    One coordinate at a time: nudge it by ``eps`` each way and measure the change of ``f``.
    It costs ``2 n`` evaluations of ``f`` for ``n`` coordinates, which is why training uses
    backpropagation and this is only a check.

    Args:
        f: a scalar function of one tensor.
        x (Tensor[...]): the point, float64 for an accurate estimate.
        eps: the step. The error is O(eps^2) from the formula plus O(machine eps / eps) from
            rounding: 1e-6 balances the two in float64.

    Returns:
        Tensor[...]: the estimated gradient, shaped like ``x``.
    """
    eps = _check_point(f, x, eps)
    grad = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
    for i in range(x.numel()):
        nudge = torch.zeros_like(grad)
        nudge.view(-1)[i] = eps  # eps * e_i: move coordinate i only
        grad.view(-1)[i] = (f(x + nudge) - f(x - nudge)) / (2 * eps)
    return grad


def directional_derivative(f: Callable[[Tensor], Tensor], x: Tensor, direction: Tensor) -> Tensor:
    """Rate of change of ``f`` at ``x`` along ``direction``: ``grad f . v / |v|``.

    It is largest, equal to ``|grad f|``, when ``direction`` is the gradient itself.

    Args:
        f: a scalar function of one tensor.
        x (Tensor[...]): the point.
        direction (Tensor[...]): the direction, same shape (its length does not matter).

    Returns:
        Tensor[]: the derivative.
    """
    _check_direction(f, x, direction)
    x = x.detach().requires_grad_()
    (grad,) = torch.autograd.grad(f(x), x)
    return (grad * direction).sum() / direction.norm()  # grad f . v / |v|


# --8<-- [end:numerical_gradient]


# --8<-- [start:two_layer_net]
class TwoLayerNet:
    """``logits = W2 relu(W1 x + b1) + b2`` with softmax cross-entropy, and its backward pass.

    Args:
        w1 (Tensor[H, D]): the hidden layer's weights.
        b1 (Tensor[H]): its biases.
        w2 (Tensor[K, H]): the output layer's weights.
        b2 (Tensor[K]): its biases.
    """

    def __init__(self, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> None:
        _check_layers(w1, b1, w2, b2)
        self.params = {"w1": w1, "b1": b1, "w2": w2, "b2": b2}

    def loss(self, x: Tensor, y: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """Mean cross-entropy of a batch, and what the backward pass needs.

        Args:
            x (Tensor[B, D]): inputs. y (Tensor[B]): class indices in ``[0, K)``, any integer
                dtype (``F.cross_entropy`` insists on int64).
        """
        p = self.params
        _check_batch(x, y, p["w1"], p["w2"])
        z1 = x @ p["w1"].T + p["b1"]  # [B, H] pre-activation
        h = z1.clamp(min=0)  # [B, H] ReLU
        logits = h @ p["w2"].T + p["b2"]  # [B, K]
        log_probs = logits - logits.logsumexp(dim=1, keepdim=True)
        loss = -log_probs.gather(1, y[:, None]).mean()
        return loss, {"x": x, "y": y, "z1": z1, "h": h, "probs": log_probs.exp()}

    def backward(self, cache: dict[str, Tensor]) -> dict[str, Tensor]:
        """Gradients of the mean loss, by the chain rule from the output back to the input layer."""
        x, y, z1, h, probs = (cache[k] for k in ("x", "y", "z1", "h", "probs"))
        batch = x.shape[0]
        # d loss / d logits of softmax + cross-entropy: p - onehot(y), averaged over the batch
        d_logits = probs.clone()
        # p - onehot(y); long(): indices of another integer dtype (uint8) would act as a mask
        d_logits[torch.arange(batch, device=y.device), y.long()] -= 1
        d_logits /= batch  # [B, K]
        d_w2 = d_logits.T @ h  # [K, H]: logits = h W2^T + b2
        d_b2 = d_logits.sum(dim=0)  # [K]
        d_h = d_logits @ self.params["w2"]  # [B, H]: pass the error back through W2
        d_z1 = d_h * (z1 > 0)  # [B, H]: ReLU passes gradient only where it was active
        d_w1 = d_z1.T @ x  # [H, D]
        d_b1 = d_z1.sum(dim=0)  # [H]
        return {"w1": d_w1, "b1": d_b1, "w2": d_w2, "b2": d_b2}


# --8<-- [end:two_layer_net]
