"""Greedy non-maximum suppression, for one class and for many.

``nms`` and ``batched_nms`` return the same int64 indices, in the same order, as
``torchvision.ops.nms`` and ``torchvision.ops.batched_nms``. The IoU of every pair is
computed once, as one matrix; the only loop is the greedy pass over that matrix.
"""

from __future__ import annotations

# --8<-- [start:imports]
import numpy as np
import torch
from torch import Tensor

from reference.checks import check_finite, check_range, check_same_length, check_shape
from reference.detection.boxes import _check_boxes, box_iou

# --8<-- [end:imports]

__all__ = ["batched_nms", "nms"]


# --8<-- [start:nms]
def _greedy_keep(overlaps: np.ndarray) -> np.ndarray:
    """Walk boxes from best to worst; keep one unless a kept box overlaps it.

    Args:
        overlaps: ``(N, N)`` bool matrix, ``overlaps[i, j]`` true when box ``i`` would
            suppress box ``j``; boxes are ranked best first. Marks that row ``i`` leaves on
            boxes ``j <= i`` are harmless: their fate is already decided.

    Returns:
        The positions of the kept boxes, in rank order.
    """
    suppressed = np.zeros(len(overlaps), dtype=bool)
    keep = []
    for i in range(len(overlaps)):
        if not suppressed[i]:
            keep.append(i)
            suppressed |= overlaps[i]  # rows of suppressed boxes are never read
    return np.asarray(keep, dtype=np.int64)


def _validate(boxes: Tensor, scores: Tensor, iou_threshold: float) -> None:
    _check_boxes("boxes", boxes)
    check_shape("scores", scores, ("N",))
    check_same_length(("boxes", "scores"), boxes, scores)
    check_finite("scores", scores)
    check_range("iou_threshold", iou_threshold)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression: drop every box that overlaps a better-scoring kept box.

    Args:
        boxes (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``.
        scores (Tensor[N]): one score per box; must be finite.
        iou_threshold: a box is discarded when its IoU with a kept box is **strictly
            greater** than this value (IoU equal to the threshold keeps both boxes).

    Returns:
        Tensor[K] (int64): indices of the kept boxes, by decreasing score. Equal scores
        keep their input order. Two zero-area boxes have IoU NaN and never suppress
        each other.

    Example:
        >>> boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]])
        >>> nms(boxes, torch.tensor([0.9, 0.8, 0.7]), iou_threshold=0.5)
        tensor([0, 2])
    """
    _validate(boxes, scores, iou_threshold)
    order = torch.argsort(scores, descending=True, stable=True)  # [N] best first
    ranked = boxes[order]
    overlaps = box_iou(ranked, ranked) > iou_threshold  # [N, N]
    keep = _greedy_keep(overlaps.cpu().numpy())
    return order[torch.from_numpy(keep).to(order.device)]


# --8<-- [end:nms]


# --8<-- [start:batched_nms]
def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression run separately for each category.

    Boxes of different categories never suppress each other. torchvision gets that by
    shifting each category's boxes far apart (or, for many boxes, by looping over the
    categories); here the pairs of different categories are simply masked out of the
    overlap matrix, which gives the same kept set with no floating-point shift.

    Args:
        boxes (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``.
        scores (Tensor[N]): one finite score per box.
        idxs (Tensor[N]): integer category of each box.
        iou_threshold: as in :func:`nms`.

    Returns:
        Tensor[K] (int64): indices of the kept boxes, by decreasing score.
    """
    _validate(boxes, scores, iou_threshold)
    check_shape("idxs", idxs, ("N",))
    check_same_length(("boxes", "idxs"), boxes, idxs)
    if idxs.is_floating_point() or idxs.is_complex():
        raise TypeError(f"idxs must hold integer categories, but got dtype {idxs.dtype}")
    order = torch.argsort(scores, descending=True, stable=True)
    ranked, classes = boxes[order], idxs[order]
    same_class = classes[:, None] == classes[None, :]  # [N, N]
    overlaps = (box_iou(ranked, ranked) > iou_threshold) & same_class  # [N, N]
    keep = _greedy_keep(overlaps.cpu().numpy())
    return order[torch.from_numpy(keep).to(order.device)]


# --8<-- [end:batched_nms]
