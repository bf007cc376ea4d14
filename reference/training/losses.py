"""Loss functions: cross-entropy (with label smoothing), binary cross-entropy, L1, MSE,
smooth L1 and the focal loss, each equal to its PyTorch / torchvision counterpart.

All are written from log-probabilities (log-sum-exp, ``logsigmoid``), so logits of
+-1e4 give finite losses and gradients.
"""

from __future__ import annotations

# --8<-- [start:imports]
import torch
import torch.nn.functional as F
from torch import Tensor

from reference.checks import (
    check_finite,
    check_floating,
    check_in,
    check_range,
    check_same_device,
    check_shape,
    check_tensor,
)

# --8<-- [end:imports]

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "l1_loss",
    "mse_loss",
    "sigmoid_focal_loss",
    "smooth_l1_loss",
]


# --8<-- [start:reduce]
def _reduce(loss: Tensor, reduction: str) -> Tensor:
    check_in("reduction", reduction, ("none", "mean", "sum"))
    if reduction == "none":
        return loss
    return loss.mean() if reduction == "mean" else loss.sum()


def _check_pair(
    input: Tensor, target: Tensor, names: tuple[str, str] = ("input", "target")
) -> None:
    """Floating predictions and real targets of the same shape, on one device."""
    check_floating(names[0], input)
    check_tensor(names[1], target)
    if target.dtype == torch.bool or target.is_complex():
        raise TypeError(f"{names[1]} must hold real numbers, but got dtype {target.dtype}")
    check_shape(names[1], target, tuple(input.shape), of=names[0])
    check_same_device(names, input, target)


def _check_logit_pair(input: Tensor, target: Tensor, names: tuple[str, str]) -> None:
    """As _check_pair, plus finite values and one dtype: ``F.binary_cross_entropy_with_logits``
    gives NaN or -inf for an infinite logit where the loss is 0 or +inf, and computes in the
    target's dtype."""
    _check_pair(input, target, names)
    if target.dtype != input.dtype:
        raise TypeError(
            f"{names[1]} must have {names[0]}'s dtype {input.dtype}, but got {target.dtype}"
        )
    check_finite(names[0], input)
    check_finite(names[1], target)


# --8<-- [end:reduce]


# --8<-- [start:regression]
def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|x - y|``: robust to outliers, constant-size gradient."""
    _check_pair(input, target)
    return _reduce((input - target).abs(), reduction)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error ``(x - y)^2``: smooth, but an outlier's gradient grows with its error."""
    _check_pair(input, target)
    return _reduce((input - target) ** 2, reduction)


def smooth_l1_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """Quadratic near 0, linear beyond: ``e^2 / (2 beta)`` if ``|e| < beta`` else ``|e| - beta/2``

    The two pieces meet with equal value and slope at ``|e| = beta``; ``beta = 0`` is L1.
    """
    _check_pair(input, target)
    beta = check_range("beta", beta, 0.0)
    error = (input - target).abs()
    if beta == 0:
        return _reduce(error, reduction)
    # With q = min(|e|, beta) both pieces are one expression, (|e| - q) + q^2 / (2 beta): the
    # linear excess beyond beta plus the quadratic part up to it. One clamp and one fused
    # multiply-add instead of a comparison, two branches and a where(): several times faster.
    quadratic = error.clamp(max=beta)
    return _reduce(
        torch.addcmul(error - quadratic, quadratic, quadratic, value=0.5 / beta), reduction
    )


# --8<-- [end:regression]


# --8<-- [start:cross_entropy]
def cross_entropy(
    input: Tensor, target: Tensor, reduction: str = "mean", label_smoothing: float = 0.0
) -> Tensor:
    """Softmax cross-entropy with class-index targets, as ``F.cross_entropy``.

    With label smoothing ``eps`` the target distribution is ``(1 - eps) * onehot + eps / K``:
    every class, the true one included, gets ``eps / K``.

    Args:
        input (Tensor[N, K]): logits.
        target (Tensor[N]): class indices in ``[0, K)``.
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.
        label_smoothing: ``eps`` in ``[0, 1]``.
    """
    check_shape("input", input, ("N", "K"))
    check_shape("target", target, (input.shape[0],))
    check_range("label_smoothing", label_smoothing, 0.0, 1.0)
    if target.is_floating_point():
        raise TypeError(f"target must hold integer class indices, but got dtype {target.dtype}")
    num_classes = input.shape[1]
    if target.numel() and not (0 <= int(target.min()) and int(target.max()) < num_classes):
        low, high = int(target.min()), int(target.max())
        raise ValueError(f"target must be in [0, {num_classes}), but got values in [{low}, {high}]")
    # -log p_k = logsumexp(x) - x_k: stable, and no (N, K) log-softmax is materialised.
    log_normaliser = input.logsumexp(dim=1)  # [N]
    true_class = log_normaliser - input.gather(1, target[:, None])[:, 0]  # -log p_y
    uniform = log_normaliser - input.mean(dim=1)  # cross-entropy against the uniform target
    loss = (1 - label_smoothing) * true_class + label_smoothing * uniform
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor, target: Tensor, reduction: str = "mean"
) -> Tensor:
    """``-[y log s(x) + (1 - y) log(1 - s(x))]``, s = sigmoid; ``log(1 - s(x)) = log s(-x)``.

    Args:
        input (Tensor[...]): finite logits. target (Tensor[...]): probabilities, same dtype.
    """
    _check_logit_pair(input, target, ("input", "target"))
    loss = -(target * F.logsigmoid(input) + (1 - target) * F.logsigmoid(-input))
    return _reduce(loss, reduction)


# --8<-- [end:cross_entropy]


# --8<-- [start:focal]
def sigmoid_focal_loss(
    inputs: Tensor,
    targets: Tensor,
    alpha: float = 0.25,
    gamma: float = 2.0,
    reduction: str = "none",
) -> Tensor:
    """Focal loss (Lin et al., 2017), as ``torchvision.ops.sigmoid_focal_loss``.

    ``FL = -alpha_t (1 - p_t)^gamma log(p_t)``, where ``p_t`` is the predicted probability of
    the true label: easy examples (``p_t`` near 1) are down-weighted by ``(1 - p_t)^gamma``.
    ``alpha_t = alpha`` for positives and ``1 - alpha`` for negatives; ``alpha = -1`` disables
    it (torchvision's rule: other values outside ``[0, 1]`` are refused).

    Args:
        inputs (Tensor[...]): finite logits. targets (Tensor[...]): 0/1 labels (or soft
            labels), same dtype.
    """
    _check_logit_pair(inputs, targets, ("inputs", "targets"))
    alpha = check_range("alpha", alpha, -1.0, 1.0)
    if -1 < alpha < 0:
        raise ValueError(f"alpha must be in [0, 1], or -1 to disable it, but got {alpha}")
    gamma = check_range("gamma", gamma, 0.0)
    p = torch.sigmoid(inputs)
    ce = binary_cross_entropy_with_logits(inputs, targets, reduction="none")  # -log p_t
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return _reduce(loss, reduction)


# --8<-- [end:focal]
