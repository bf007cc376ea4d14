"""Softer-NMS (He et al., 2019, arXiv:1809.08545): box regression with uncertainty.

The detector predicts, for each box coordinate, a mean and a log-variance ``alpha = log s^2``.
``kl_box_loss`` trains both (the KL divergence from the ground truth, a Dirac delta, to the
predicted Gaussian); ``variance_voting`` then moves each box kept by NMS to an average of its
overlapping neighbours, weighted by their overlap and by how certain each neighbour is.
"""

from __future__ import annotations

# --8<-- [start:imports]
import torch
from torch import Tensor

from reference.checks import (
    check_bounds,
    check_finite,
    check_floating,
    check_integer,
    check_range,
    check_same_device,
    check_shape,
)
from reference.detection.boxes import _check_boxes, box_iou
from reference.reduction import reduce_loss

# --8<-- [end:imports]

__all__ = ["kl_box_loss", "variance_voting"]


# --8<-- [start:kl_box_loss]
def kl_box_loss(pred: Tensor, log_var: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """KL loss between a predicted Gaussian per coordinate and the ground-truth coordinate.

    With ``d = target - pred`` and ``alpha = log(sigma^2)``, per coordinate:
    ``exp(-alpha) * d^2 / 2 + alpha / 2`` for ``|d| <= 1`` and
    ``exp(-alpha) * (|d| - 1/2) + alpha / 2`` beyond (the smooth-L1 form the paper uses
    against outliers). Predicting ``alpha`` instead of ``sigma`` keeps the loss finite and its
    gradient bounded; with ``alpha = 0`` the loss is exactly smooth L1.

    Args:
        pred (Tensor[..., 4]): predicted coordinates.
        log_var (Tensor[..., 4]): predicted log-variances ``alpha``.
        target (Tensor[..., 4]): ground-truth coordinates.
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.
    """
    check_floating("pred", check_shape("pred", pred, ("...", 4)))
    for name, value in (("log_var", log_var), ("target", target)):
        check_shape(name, value, tuple(pred.shape), of="pred")
        if check_floating(name, value).dtype != pred.dtype:
            raise TypeError(f"{name} must have pred's dtype {pred.dtype}, but got {value.dtype}")
    check_same_device(("pred", "log_var", "target"), pred, log_var, target)
    error = (target - pred).abs()
    distance = torch.where(error <= 1, error**2 / 2, error - 0.5)
    return reduce_loss(torch.exp(-log_var) * distance + log_var / 2, reduction)


# --8<-- [end:kl_box_loss]


# --8<-- [start:variance_voting]
def variance_voting(
    boxes: Tensor, variances: Tensor, keep: Tensor, sigma_t: float = 0.02
) -> Tensor:
    """Refine the boxes selected by NMS with their overlapping neighbours.

    For a kept box ``b``, every box ``b_j`` that overlaps it (IoU > 0) votes with weight
    ``p_j / sigma_j^2`` per coordinate, where ``p_j = exp(-(1 - IoU(b_j, b))^2 / sigma_t)``:
    close neighbours and confident (low-variance) ones count most. ``b`` itself always votes
    (IoU 1).

    Args:
        boxes (Tensor[N, 4]): all detections, suppressed ones included.
        variances (Tensor[N, 4]): predicted variance ``sigma^2`` of each coordinate, > 0.
        keep (Tensor[K]): indices of the boxes NMS (or Soft-NMS) selected.
        sigma_t: how fast the vote decays with decreasing overlap.

    Returns:
        Tensor[K, 4]: the refined kept boxes.
    """
    check_finite("boxes", check_floating("boxes", _check_boxes("boxes", boxes)))
    check_shape("variances", variances, (boxes.shape[0], 4), of="boxes")
    if check_finite("variances", check_floating("variances", variances)).dtype != boxes.dtype:
        raise TypeError(
            f"variances must have boxes' dtype {boxes.dtype}, but got {variances.dtype}"
        )
    if bool((variances <= 0).any()):
        raise ValueError(f"variances must be > 0, but got {variances.min().item()}")
    check_shape("keep", check_integer("keep", keep), ("K",))
    check_same_device(("boxes", "variances", "keep"), boxes, variances, keep)
    keep = check_bounds("keep", keep, 0, boxes.shape[0] - 1).long()  # uint8 would be a mask
    sigma_t = check_range("sigma_t", sigma_t, 0.0, low_inclusive=False)
    overlap = box_iou(boxes[keep], boxes)  # [K, N]
    vote = torch.where(overlap > 0, torch.exp(-((1 - overlap) ** 2) / sigma_t), 0.0)  # [K, N]
    weights = vote[:, :, None] / variances[None, :, :]  # [K, N, 4]
    return (weights * boxes[None]).sum(dim=1) / weights.sum(dim=1)


# --8<-- [end:variance_voting]
