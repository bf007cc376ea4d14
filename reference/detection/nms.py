"""Greedy non-maximum suppression, for one class and for many, and Soft-NMS.

``nms`` and ``batched_nms`` return the same int64 indices, in the same order, as
``torchvision.ops.nms`` and ``torchvision.ops.batched_nms``. The IoU of every pair is
computed once, as one matrix; the only loop is the greedy pass over that matrix.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from reference.checks import check_finite, check_in, check_range, check_same_length, check_shape
from reference.detection.boxes import _check_boxes, box_iou, distance_box_iou

# --8<-- [end:imports]

__all__ = ["batched_nms", "diou_nms", "nms", "nms_simple", "soft_nms"]


# --8<-- [start:checks]
def _validate(boxes: Tensor, scores: Tensor, iou_threshold: float) -> None:
    """Boxes Tensor[N, 4] with x1 <= x2 and y1 <= y2, finite scores Tensor[N], a number."""
    _check_boxes("boxes", boxes)
    check_shape("scores", scores, ("N",))
    check_same_length(("boxes", "scores"), boxes, scores)
    check_finite("scores", scores)
    check_range("iou_threshold", iou_threshold)


# --8<-- [end:checks]


# --8<-- [start:nms_simple]
def _greedy_suppression(
    boxes: Tensor, scores: Tensor, threshold: float, overlap: Callable[[Tensor, Tensor], Tensor]
) -> Tensor:
    """Keep the best remaining box, drop the boxes that overlap it by more than ``threshold``."""
    order = torch.argsort(scores, descending=True, stable=True)  # [N] best first
    keep = []
    while len(order) > 0:
        best, rest = order[0], order[1:]
        keep.append(best)
        overlaps = overlap(boxes[best][None], boxes[rest])[0]  # [len(rest)]
        order = rest[~(overlaps > threshold)]  # NaN (two empty boxes) is not > threshold
    return torch.stack(keep) if keep else order


def nms_simple(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression written as the greedy loop it is.

    The same indices, in the same order, as :func:`nms` and ``torchvision.ops.nms``; those
    compute the overlaps in bulk, which is faster when many boxes are kept.

    Args:
        boxes (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``.
        scores (Tensor[N]): one finite score per box.
        iou_threshold: a box is discarded when its IoU with a kept box is strictly greater.

    Returns:
        Tensor[K] (int64): indices of the kept boxes, by decreasing score.

    Example:
        >>> boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]])
        >>> nms_simple(boxes, torch.tensor([0.9, 0.8, 0.7]), iou_threshold=0.5)
        tensor([0, 2])
    """
    _validate(boxes, scores, iou_threshold)
    return _greedy_suppression(boxes, scores, iou_threshold, box_iou)


# --8<-- [end:nms_simple]


# --8<-- [start:diou_nms]
def diou_nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """DIoU-NMS (Zheng et al., 2020, arXiv:1911.08287): NMS that compares boxes by DIoU.

    A box is discarded when ``IoU - d^2 / c^2`` with a kept box is strictly greater than the
    threshold (``d``: distance of the centres, ``c``: diagonal of the enclosing box). Two
    boxes that overlap but whose centres lie far apart, such as two people side by side,
    are more likely to both survive than with plain NMS.

    Args:
        boxes (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``.
        scores (Tensor[N]): one finite score per box.
        iou_threshold: a box is discarded when its DIoU with a kept box is strictly greater.

    Returns:
        Tensor[K] (int64): indices of the kept boxes, by decreasing score.
    """
    _validate(boxes, scores, iou_threshold)
    return _greedy_suppression(boxes, scores, iou_threshold, distance_box_iou)


# --8<-- [end:diou_nms]


# --8<-- [start:nms]
def _greedy_keep(overlaps: np.ndarray) -> np.ndarray:
    """Walk boxes from best to worst; keep one unless a kept box overlaps it.

    Args:
        overlaps (ndarray[N, N]): bool, ``overlaps[i, j]`` true when box ``i`` would
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


# --8<-- [start:soft_nms]
def soft_nms(
    boxes: Tensor,
    scores: Tensor,
    iou_threshold: float = 0.3,
    sigma: float = 0.5,
    score_threshold: float = 0.001,
    method: str = "gaussian",
) -> tuple[Tensor, Tensor]:
    """Soft-NMS (Bodla et al., 2017, arXiv:1704.04503): decay overlapping scores, do not delete.

    Repeatedly take the remaining box with the highest (current) score, keep it, and multiply
    the score of every other remaining box ``b`` by a weight that falls with its IoU ``o``:

    * ``"linear"``: ``1 - o`` if ``o > iou_threshold``, else 1;
    * ``"gaussian"``: ``exp(-o^2 / sigma)`` (``iou_threshold`` is not used);
    * ``"hard"``: 0 if ``o > iou_threshold``, else 1, which is plain NMS.

    Boxes whose score falls below ``score_threshold`` are dropped. ``iou_threshold``,
    ``sigma`` and ``score_threshold`` default to the values of the authors' ``cpu_soft_nms``;
    its ``method`` defaults to 0, plain NMS, where this function defaults to the Gaussian
    decay that the paper recommends. Unlike that code, areas have no ``+1`` (torchvision's
    convention).

    Args:
        boxes (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``.
        scores (Tensor[N]): finite scores.
        iou_threshold: where ``"linear"`` and ``"hard"`` start to decay a score.
        sigma: the width of ``"gaussian"``'s decay.
        score_threshold: boxes whose score falls below this are dropped.
        method: ``"linear"``, ``"gaussian"`` or ``"hard"``.

    Returns:
        (Tensor[K] int64, Tensor[K]): indices of the kept boxes in the order they were
        selected (by decreasing rescored score), and their rescored scores.
    """
    _validate(boxes, scores, iou_threshold)
    check_range("sigma", sigma, 0.0, low_inclusive=False)
    check_range("score_threshold", score_threshold, 0.0)
    check_in("method", method, ("linear", "gaussian", "hard"))
    overlaps = box_iou(boxes, boxes)  # [N, N], computed once
    current = scores.clone()
    alive = current >= score_threshold
    keep, kept_scores = [], []
    while bool(alive.any()):
        best = int(torch.where(alive, current, -torch.inf).argmax())  # ties: the lower index
        keep.append(best)
        kept_scores.append(current[best])
        alive[best] = False
        iou = overlaps[best]
        if method == "gaussian":
            weight = torch.exp(-(iou**2) / sigma)
        elif method == "linear":
            weight = torch.where(iou > iou_threshold, 1 - iou, torch.ones_like(iou))
        else:
            weight = (iou <= iou_threshold).to(current.dtype)
        current = torch.where(alive, current * weight, current)
        alive &= current >= score_threshold
    index = torch.tensor(keep, dtype=torch.int64, device=boxes.device)
    values = torch.stack(kept_scores) if kept_scores else scores.new_zeros(0)
    return index, values


# --8<-- [end:soft_nms]
