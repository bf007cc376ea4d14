"""Greedy non-maximum suppression, for one class and for many, and Soft-NMS.

``nms`` and ``batched_nms`` return the same int64 indices, in the same order, as
``torchvision.ops.nms`` and ``torchvision.ops.batched_nms``. Only pairs of boxes that can
overlap are compared (a sweep along x, in blocks), so memory and time grow with the number
of overlapping pairs rather than with ``N^2``; the greedy pass then walks those pairs.
"""

from __future__ import annotations

# --8<-- [start:imports]
import numpy as np
import torch
from torch import Tensor

from reference.checks import (
    as_floating,
    check_finite,
    check_floating,
    check_in,
    check_integer,
    check_range,
    check_same_device,
    check_same_length,
    check_shape,
)
from reference.detection.boxes import _check_boxes, box_iou

# --8<-- [end:imports]

__all__ = ["batched_nms", "nms", "soft_nms"]


# --8<-- [start:nms]
BLOCK = 256  # boxes per step of the sweep: one step's IoUs, 256 x ~1,000, fit in the cache


def _suppressing_pairs(
    ranked: Tensor, groups: Tensor, iou_threshold: float
) -> tuple[Tensor, Tensor]:
    """Every pair of boxes of one group whose IoU exceeds the threshold, as rank positions.

    Two boxes overlap only if each starts (``x1``) before the other ends (``x2``). Sorted
    by group, then by ``x1``, the boxes that may overlap box ``p`` and come after it form
    one run, up to the first box of another group or starting at or after ``p``'s ``x2``.
    The sweep takes the sorted boxes in blocks and compares each block with the run
    behind it: the IoU is never computed for pairs that cannot overlap.

    Returns:
        (better, worse): Tensor[P] each, positions in ``ranked`` (best first), ``better <
        worse``: the box ``better`` would suppress the box ``worse``.
    """
    n, device = len(ranked), ranked.device
    x1, x2 = ranked[:, 0].contiguous(), ranked[:, 2].contiguous()
    starts = x1.sort().values
    # Integer keys, exact where adding a per-group offset to coordinates would round:
    # group * (n + 1) + how many boxes start before this box starts (or ends).
    key = groups * (n + 1) + torch.searchsorted(starts, x1)
    key_end = groups * (n + 1) + torch.searchsorted(starts, x2)
    order = torch.argsort(key, stable=True)  # sweep order
    run_end = torch.searchsorted(key[order], key_end[order])  # [n] first box it cannot overlap
    swept = ranked[order]
    better, worse = [], []
    for first in range(0, n, BLOCK):
        last = min(first + BLOCK, n)
        stop = max(int(run_end[first:last].max()), last)
        iou = box_iou(swept[first:last], swept[first:stop])  # [block, run]
        p = torch.arange(first, last, device=device)[:, None]
        q = torch.arange(first, stop, device=device)
        hit = (iou > iou_threshold) & (q > p) & (q < run_end[first:last, None])
        rows, cols = hit.nonzero(as_tuple=True)
        a, b = order[rows + first], order[cols + first]
        better.append(torch.minimum(a, b))
        worse.append(torch.maximum(a, b))
    if not better:
        empty = torch.zeros(0, dtype=torch.int64, device=device)
        return empty, empty
    return torch.cat(better), torch.cat(worse)


def _greedy_keep(better: Tensor, worse: Tensor, n: int) -> Tensor:
    """Walk the boxes from best to worst; keep one unless a kept box suppresses it.

    Args:
        better, worse: the pairs from :func:`_suppressing_pairs`.
        n: the number of boxes.

    Returns:
        Tensor[K] (int64): positions of the kept boxes, best first.
    """
    order = np.argsort(better.cpu().numpy(), kind="stable")
    sources, targets = better.cpu().numpy()[order], worse.cpu().numpy()[order]
    boxes, first = np.unique(sources, return_index=True)  # boxes that overlap a worse one
    ends = np.append(first[1:], len(sources))[: len(first)]
    suppressed = np.zeros(n, dtype=bool)
    for box, start, stop in zip(boxes.tolist(), first.tolist(), ends.tolist(), strict=True):
        if not suppressed[box]:  # kept: a box that is itself suppressed suppresses nothing
            suppressed[targets[start:stop]] = True
    return torch.from_numpy(np.flatnonzero(~suppressed)).to(better.device)


def _validate(boxes: Tensor, scores: Tensor, iou_threshold: float) -> float:
    check_finite("boxes", _check_boxes("boxes", boxes))
    check_shape("scores", scores, ("N",))
    check_floating("scores", scores)
    check_same_length(("boxes", "scores"), boxes, scores)
    check_same_device(("boxes", "scores"), boxes, scores)
    check_finite("scores", scores)
    # IoU is never below 0, so a negative threshold would suppress every pair
    return check_range("iou_threshold", iou_threshold, 0.0)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression: drop every box that overlaps a better-scoring kept box.

    Args:
        boxes (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``, finite; integer boxes are
            converted to float (torchvision wants boxes and scores of one float dtype).
        scores (Tensor[N]): one score per box, floating and finite.
        iou_threshold: ``>= 0``; a box is discarded when its IoU with a kept box is
            **strictly greater** than this value (IoU equal to the threshold keeps both).

    Returns:
        Tensor[K] (int64): indices of the kept boxes, by decreasing score. Equal scores
        keep their input order. Two zero-area boxes have IoU NaN and never suppress
        each other.

    Differs from ``torchvision.ops.nms``: a negative ``iou_threshold`` (with which
    torchvision keeps only the best box, overlapping or not) and non-finite boxes or scores
    are refused with a ``ValueError``; integer boxes, and boxes and scores of different
    floating dtypes, are accepted (torchvision raises a ``RuntimeError``).

    Example:
        >>> boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]])
        >>> nms(boxes, torch.tensor([0.9, 0.8, 0.7]), iou_threshold=0.5)
        tensor([0, 2])
    """
    iou_threshold = _validate(boxes, scores, iou_threshold)
    order = torch.argsort(scores, descending=True, stable=True)  # [N] best first
    one_group = torch.zeros(len(boxes), dtype=torch.int64, device=boxes.device)
    pairs = _suppressing_pairs(as_floating("boxes", boxes)[order], one_group, iou_threshold)
    return order[_greedy_keep(*pairs, len(boxes))]


# --8<-- [end:nms]


# --8<-- [start:batched_nms]
def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression run separately for each category.

    Boxes of different categories never suppress each other. torchvision gets that by
    shifting each category's boxes far apart (or, for many boxes, by looping over the
    categories); here the category is the first sort key of the sweep, so boxes of two
    categories are never even compared, with no floating-point shift and no loop.

    Args:
        boxes (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``.
        scores (Tensor[N]): one finite score per box.
        idxs (Tensor[N]): integer category of each box.
        iou_threshold: as in :func:`nms`.

    Returns:
        Tensor[K] (int64): indices of the kept boxes, by decreasing score.

    Differs from ``torchvision.ops.batched_nms`` as :func:`nms` differs from
    ``torchvision.ops.nms``.
    """
    iou_threshold = _validate(boxes, scores, iou_threshold)
    check_shape("idxs", idxs, ("N",))
    check_same_length(("boxes", "idxs"), boxes, idxs)
    check_same_device(("boxes", "idxs"), boxes, idxs)
    check_integer("idxs", idxs)
    order = torch.argsort(scores, descending=True, stable=True)
    groups = torch.unique(idxs, return_inverse=True)[1]  # categories as 0, 1, 2, ...
    pairs = _suppressing_pairs(as_floating("boxes", boxes)[order], groups[order], iou_threshold)
    return order[_greedy_keep(*pairs, len(boxes))]


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

    Boxes whose score falls below ``score_threshold`` (``> 0``) are dropped. The defaults are
    those of the authors' code; unlike that code, areas have no ``+1`` (torchvision's
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
    iou_threshold = _validate(boxes, scores, iou_threshold)
    sigma = check_range("sigma", sigma, 0.0, low_inclusive=False)
    # at 0 a box whose score was zeroed would still be kept, at the end, with score 0
    score_threshold = check_range("score_threshold", score_threshold, 0.0, low_inclusive=False)
    check_in("method", method, ("linear", "gaussian", "hard"))
    boxes = as_floating("boxes", boxes)
    overlaps = box_iou(boxes, boxes)  # [N, N], computed once
    current = scores.clone()
    alive = current >= score_threshold
    keep, kept_scores = [], []
    while bool(alive.any()):
        best = int(torch.where(alive, current, -torch.inf).argmax())  # ties: the lower index
        keep.append(best)
        kept_scores.append(current[best])
        alive[best] = False
        # Two zero-area boxes have IoU 0 / 0 = NaN: as in nms, no overlap (weight 1)
        iou = overlaps[best].nan_to_num(nan=0.0)
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
