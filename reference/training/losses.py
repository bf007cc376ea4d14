"""Loss functions: cross-entropy (with class weights, an ignored label and label smoothing),
binary cross-entropy, L1, MSE, smooth L1 and the focal loss, each equal to its PyTorch /
torchvision counterpart.

All are written from log-probabilities (log-sum-exp, ``logsigmoid``), so logits of
+-1e4 give finite losses and gradients. Arguments after ``target`` (``weight`` aside) are
keyword-only: PyTorch's positions there belong to the deprecated ``size_average`` and
``reduce``, so ``F.l1_loss(x, y, "sum")`` would not mean what it seems to.
"""

from __future__ import annotations

# --8<-- [start:imports]
import torch
import torch.nn.functional as F
from torch import Tensor

from reference.checks import (
    check_bounds,
    check_data,
    check_finite,
    check_floating,
    check_range,
    check_real,
    check_same_device,
    check_shape,
)
from reference.reduction import reduce_loss

# --8<-- [end:imports]

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "l1_loss",
    "mse_loss",
    "sigmoid_focal_loss",
    "smooth_l1_loss",
]


# --8<-- [start:checks]
def _check_pair(
    input: Tensor, target: Tensor, names: tuple[str, str] = ("input", "target")
) -> None:
    """Floating predictions and real targets of the same shape, on one device."""
    check_floating(names[0], input)
    check_real(names[1], target)
    check_shape(names[1], target, tuple(input.shape), of=names[0])
    check_same_device(names, input, target)


def _check_weight(name: str, weight: Tensor | None, input: Tensor) -> None:
    """``None``, or a floating weight tensor that broadcasts to ``input``'s shape, on its device.

    Floating only: PyTorch computes ``pos_weight - 1`` in the weight's dtype, which wraps
    around for ``uint8``.
    """
    if weight is None:
        return
    check_floating(name, weight)
    check_same_device(("input", name), input, weight)
    try:
        fits = torch.broadcast_shapes(weight.shape, input.shape) == input.shape
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(
            f"{name} must broadcast to input's shape {tuple(input.shape)}, "
            f"but got {tuple(weight.shape)}"
        )


def _check_logit_pair(
    input: Tensor,
    target: Tensor,
    names: tuple[str, str] = ("input", "target"),
    **weights: Tensor | None,
) -> None:
    """As :func:`_check_pair`, plus finite values and one dtype, and the optional weights:
    ``F.binary_cross_entropy_with_logits`` gives NaN for an infinite logit of the true side
    (where the loss is 0) and for ``-inf`` with target 1 (where it is +inf), and computes in
    the target's dtype."""
    _check_pair(input, target, names)
    if target.dtype != input.dtype:
        raise TypeError(
            f"{names[1]} must have {names[0]}'s dtype {input.dtype}, but got {target.dtype}"
        )
    check_finite(names[0], input)
    check_finite(names[1], target)
    for name, weight in weights.items():
        _check_weight(name, weight, input)


def _check_probabilities(input: Tensor, target: Tensor, weight: Tensor | None) -> None:
    """As :func:`_check_pair`, ``input`` and ``target`` of one dtype, both in ``[0, 1]``
    (NaN refused, as PyTorch does)."""
    _check_pair(input, target)
    if target.dtype != input.dtype:
        raise TypeError(f"target must have input's dtype {input.dtype}, but got {target.dtype}")
    check_bounds("input", input, 0.0, 1.0)
    check_bounds("target", target, 0.0, 1.0)
    _check_weight("weight", weight, input)


def _check_class_targets(
    input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int, smoothing: float
) -> tuple[Tensor, Tensor]:
    """Logits Tensor[N, K], class indices Tensor[N] (int64 or uint8, as torch takes) in
    ``[0, K)`` or ``ignore_index``, weights Tensor[K], ``smoothing`` in ``[0, 1]``; return the
    indices as int64 and the mask of those that count."""
    check_floating("input", check_shape("input", input, ("N", "K")))
    check_shape("target", target, (input.shape[0],), of="input")
    check_same_device(("input", "target"), input, target)
    if target.dtype not in (torch.int64, torch.uint8):
        raise TypeError(
            "target must hold integer class indices (int64 or uint8, as torch takes), "
            f"but got dtype {target.dtype}"
        )
    target = check_data("target", target).long()
    if weight is not None:
        check_shape("weight", weight, (input.shape[1],))
    check_range("label_smoothing", smoothing, 0.0, 1.0)
    counted = target != ignore_index
    used = target[counted]
    num_classes = input.shape[1]
    if used.numel() and not (0 <= int(used.min()) and int(used.max()) < num_classes):
        low, high = int(used.min()), int(used.max())
        raise ValueError(
            f"target must be in [0, {num_classes}) or equal ignore_index={ignore_index}, "
            f"but got values in [{low}, {high}]"
        )
    return target, counted


def _check_focal(
    inputs: Tensor, targets: Tensor, alpha: object, gamma: object
) -> tuple[float, float]:
    """Logits and targets as for :func:`binary_cross_entropy_with_logits`, ``alpha`` in
    ``[0, 1]`` or -1 (torchvision's "disabled"), ``gamma >= 0``; returns both as floats."""
    _check_logit_pair(inputs, targets, ("inputs", "targets"))
    alpha = check_range("alpha", alpha, -1.0, 1.0)
    if -1 < alpha < 0:
        raise ValueError(f"alpha must be in [0, 1], or -1 to disable it, but got {alpha}")
    return alpha, check_range("gamma", gamma, 0.0)


# --8<-- [end:checks]


# --8<-- [start:regression]
def l1_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|x - y|``: robust to outliers, constant-size gradient.

    Args:
        input (Tensor[...]): predictions.
        target (Tensor[...]): targets, same shape.
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.
    """
    _check_pair(input, target)
    return reduce_loss((input - target).abs(), reduction)


def mse_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """Mean squared error ``(x - y)^2``: smooth, but an outlier's gradient grows with its error.

    Args:
        input (Tensor[...]): predictions.
        target (Tensor[...]): targets, same shape.
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.
    """
    _check_pair(input, target)
    return reduce_loss((input - target) ** 2, reduction)


def smooth_l1_loss(
    input: Tensor, target: Tensor, *, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """Quadratic near 0, linear beyond: ``e^2 / (2 beta)`` if ``|e| < beta`` else ``|e| - beta/2``

    The two pieces meet with equal value and slope at ``|e| = beta``; ``beta = 0`` is L1.

    Args:
        input (Tensor[...]): predictions.
        target (Tensor[...]): targets, same shape.
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.
        beta: where the quadratic part ends, ``>= 0``.
    """
    _check_pair(input, target)
    beta = check_range("beta", beta, 0.0)
    error = (input - target).abs()
    if beta == 0:
        return reduce_loss(error, reduction)
    # With q = min(|e|, beta) both pieces are one expression, (|e| - q) + q^2 / (2 beta): the
    # linear excess beyond beta plus the quadratic part up to it. One clamp and one fused
    # multiply-add instead of a comparison, two branches and a where(): several times faster.
    quadratic = error.clamp(max=beta)
    loss = torch.addcmul(error - quadratic, quadratic, quadratic, value=0.5 / beta)
    return reduce_loss(loss, reduction)


# --8<-- [end:regression]


# --8<-- [start:cross_entropy]
def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy with class-index targets, as ``F.cross_entropy``.

    Per sample, with ``w`` the class weights (all 1 by default) and smoothing ``eps``:
    ``(1 - eps) w_y (-log p_y) + (eps / K) sum_k w_k (-log p_k)``; a sample whose target is
    ``ignore_index`` contributes 0. ``"mean"`` divides by the total weight ``sum w_y`` of
    the counted samples (their number when unweighted), as PyTorch does.

    Args:
        input (Tensor[N, K]): logits; ``-inf`` masks a class out.
        target (Tensor[N]): class indices in ``[0, K)``, or ``ignore_index``.
        weight (Tensor[K], optional): a weight per class, for imbalanced classes.
        ignore_index: the target value to skip (-100, what :func:`~reference.attention.mask_tokens`
            puts at unmasked positions).
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.
        label_smoothing: ``eps`` in ``[0, 1]``.

    Returns:
        Tensor[N] for ``"none"``, else Tensor[].

    Differs from ``F.cross_entropy``: targets are class indices of a 2-D ``input`` only (no
    class-probability targets, no extra dimensions ``(N, K, d1, ...)``), and the deprecated
    ``size_average`` and ``reduce`` are not taken.
    """
    target, counted = _check_class_targets(input, target, weight, ignore_index, label_smoothing)
    num_classes = input.shape[1]
    w = input.new_ones(num_classes) if weight is None else weight
    safe_target = torch.where(counted, target, 0)[:, None]  # any valid index where ignored
    # -log p_k = logsumexp(x) - x_k: stable, and no (N, K) log-softmax is materialised.
    log_normaliser = input.logsumexp(dim=1)  # [N]
    true_weight = w.gather(0, safe_target[:, 0]) * counted  # [N], 0 where ignored
    loss = true_weight * (log_normaliser - input.gather(1, safe_target)[:, 0])  # w_y (-log p_y)
    if label_smoothing > 0:  # skipped at 0: a -inf logit would give 0 * inf = NaN
        # sum_k w_k (-log p_k) = lse * sum_k w_k - sum_k w_k x_k
        smooth = log_normaliser * w.sum() - input @ w  # [N]
        loss = (1 - label_smoothing) * loss + label_smoothing / num_classes * smooth * counted
    return reduce_loss(loss, reduction, mean_divisor=true_weight.sum())


# --8<-- [end:cross_entropy]


# --8<-- [start:bce]
def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """``-w [q y log s(x) + (1 - y) log(1 - s(x))]``, s = sigmoid; ``log(1 - s(x)) = log s(-x)``.

    Args:
        input (Tensor[...]): finite logits.
        target (Tensor[...]): labels in [0, 1] (0/1 or soft), same shape and dtype.
        weight (Tensor[...], optional): floating, broadcastable to ``input``'s shape: a
            weight per element.
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.
        pos_weight (Tensor[C], optional): ``q``, floating, the weight of the positive term
            per class (last dimension); ``q > 1`` raises recall at the cost of precision.

    Differs from ``F.binary_cross_entropy_with_logits``: an infinite logit is refused (PyTorch
    returns NaN for ``+inf`` with target 1, where the loss is 0, and for ``-inf`` with target
    1, where it is +inf), and so is a target of another dtype (PyTorch computes in the
    target's dtype).
    """
    _check_logit_pair(input, target, weight=weight, pos_weight=pos_weight)
    positive = F.logsigmoid(input)  # log s(x), finite for any logit
    if pos_weight is not None:
        positive = pos_weight * positive
    loss = -(target * positive + (1 - target) * F.logsigmoid(-input))  # log(1 - s(x)) = log s(-x)
    if weight is not None:
        loss = weight * loss
    return reduce_loss(loss, reduction)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
) -> Tensor:
    """``-w [y log p + (1 - y) log(1 - p)]`` from probabilities, as ``F.binary_cross_entropy``.

    Each log is clamped at -100, as PyTorch does, so that ``p = 0`` or ``1`` gives a loss of
    100 instead of infinity. Prefer :func:`binary_cross_entropy_with_logits`: a sigmoid that
    rounds to exactly 1 has already lost what the loss needs.

    Args:
        input (Tensor[...]): probabilities in ``[0, 1]`` (a sigmoid's output).
        target (Tensor[...]): labels in [0, 1], same shape and dtype.
        weight (Tensor[...], optional): broadcastable to ``input``: a weight per element.
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.

    Returns:
        Tensor[...] for ``"none"``, else Tensor[].
    """
    _check_probabilities(input, target, weight)
    log_p = torch.log(input).clamp(min=-100)
    log_not_p = torch.log1p(-input).clamp(min=-100)  # log(1 - p), accurate for small p
    loss = -(target * log_p + (1 - target) * log_not_p)
    if weight is not None:
        loss = weight * loss
    return reduce_loss(loss, reduction)


# --8<-- [end:bce]


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
        inputs (Tensor[...]): finite logits.
        targets (Tensor[...]): 0/1 labels (or soft labels), same shape and dtype.
        alpha: weight of the positives in ``[0, 1]``; -1 to weight both classes alike.
        gamma: focusing exponent ``>= 0``; 0 gives the (alpha-weighted) cross-entropy.
        reduction: ``"none"`` (the default, as torchvision), ``"mean"`` or ``"sum"``.

    Differs from ``torchvision.ops.sigmoid_focal_loss``: as
    :func:`binary_cross_entropy_with_logits`, an infinite logit and targets of another dtype
    are refused.
    """
    alpha, gamma = _check_focal(inputs, targets, alpha, gamma)
    p = torch.sigmoid(inputs)
    ce = binary_cross_entropy_with_logits(inputs, targets, reduction="none")  # -log p_t
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return reduce_loss(loss, reduction)


# --8<-- [end:focal]
