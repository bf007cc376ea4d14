"""Precision and recall, for classifiers and for detectors (deciding TP/FP by IoU)."""

from __future__ import annotations

# --8<-- [start:imports]
import torch
from torch import Tensor

from reference.checks import (
    check_data,
    check_finite,
    check_floating,
    check_in,
    check_int,
    check_range,
    check_real,
    check_same_device,
    check_same_length,
    check_shape,
    check_tensor,
)
from reference.detection import box_iou
from reference.detection.boxes import _inter_union, _pair_columns

# --8<-- [end:imports]

__all__ = ["binary_counts", "match_detections", "precision_recall", "voc_box_iou", "voc_match"]


# --8<-- [start:counts]
def binary_counts(pred: Tensor, target: Tensor) -> dict[str, int]:
    """TP, FP, FN, TN of boolean predictions against boolean labels (1 = positive).

    Args:
        pred (Tensor[...]): predictions, 0/1 or bool.
        target (Tensor[...]): labels, same shape, 0/1 or bool.

    Returns:
        ``{"tp": ..., "fp": ..., "fn": ..., "tn": ...}`` as ints.
    """
    check_tensor("pred", pred)
    check_shape("target", target, tuple(pred.shape), of="pred")
    check_same_device(("pred", "target"), pred, target)
    for name, value in (("pred", pred), ("target", target)):
        check_data(name, value)
        if not bool(((value == 0) | (value == 1)).all()):
            raise ValueError(
                f"{name} must hold 0/1 or bool values, but got {value.unique().tolist()}"
            )
    pred, target = pred.bool(), target.bool()
    return {
        "tp": int((pred & target).sum()),  # said positive, is positive
        "fp": int((pred & ~target).sum()),  # said positive, is negative
        "fn": int((~pred & target).sum()),  # said negative, is positive: a miss
        "tn": int((~pred & ~target).sum()),
    }


# --8<-- [end:counts]


# --8<-- [start:match]
def match_detections(
    boxes: Tensor,
    scores: Tensor,
    gt_boxes: Tensor,
    iou_threshold: float = 0.5,
    convention: str = "coco",
) -> tuple[Tensor, Tensor]:
    """Mark each detection of one image and one class as a true or a false positive.

    Detections are visited by decreasing score (ties keep their order); each takes the
    not-yet-matched ground truth with the highest IoU, if that IoU is at least
    ``iou_threshold`` (of several equally good ones the last, as ``COCOeval``). A second
    detection of an already matched object is a false positive: the best-scoring detection
    wins. ``convention="voc"`` applies Pascal VOC's rules instead
    (see ``voc_match``): +1-pixel IoU, IoU strictly above the threshold, and no fall-back
    to another ground truth when the best one is taken.

    Args:
        boxes (Tensor[N, 4]): the detections' boxes.
        scores (Tensor[N]): their scores.
        gt_boxes (Tensor[M, 4]): the ground truth.
        iou_threshold: the least IoU of a match (strictly more for ``"voc"``).
        convention: ``"coco"`` (pycocotools) or ``"voc"`` (py-faster-rcnn's ``voc_eval``).

    Returns:
        (Tensor[N] bool, Tensor[N] int64): in score order, whether each detection is a TP,
        and the index of its ground truth (-1 for a FP). Nothing is returned for the
        unmatched ground truths: they are the false negatives.
    """
    for name, value in (("boxes", boxes), ("gt_boxes", gt_boxes)):
        check_finite(name, check_real(name, check_shape(name, value, ("N", 4))))
    check_finite("scores", check_floating("scores", check_shape("scores", scores, ("N",))))
    check_same_length(("boxes", "scores"), boxes, scores)
    check_same_device(("boxes", "scores", "gt_boxes"), boxes, scores, gt_boxes)
    iou_threshold = check_range("iou_threshold", iou_threshold, 0.0, 1.0)
    check_in("convention", convention, ("coco", "voc"))
    order = torch.argsort(scores, descending=True, stable=True)
    if convention == "voc":
        is_tp, claimed = voc_match(voc_box_iou(boxes[order], gt_boxes), iou_threshold)
        return is_tp, torch.where(is_tp, claimed, -1)
    overlaps = box_iou(boxes[order], gt_boxes)  # [N, M], computed once
    floor = min(iou_threshold, 1 - 1e-10)  # COCOeval's: an IoU of 1 must still match at 1.0
    taken = torch.zeros(gt_boxes.shape[0], dtype=torch.bool, device=boxes.device)
    matched = torch.full((boxes.shape[0],), -1, dtype=torch.int64, device=boxes.device)
    for i in range(boxes.shape[0]):  # greedy: an earlier match removes the object for later ones
        candidates = overlaps[i].masked_fill(taken, -1.0)
        best = candidates.max() if candidates.numel() else None
        if best is not None and best >= floor:
            j = int((candidates == best).nonzero()[-1])  # COCOeval keeps the last of equals
            taken[j], matched[i] = True, j
    return matched >= 0, matched


def precision_recall(is_tp: Tensor, num_gt: int) -> tuple[Tensor, Tensor]:
    """Precision and recall after each detection, for detections sorted by decreasing score.

    ``precision[k] = TP_k / (k + 1)`` and ``recall[k] = TP_k / num_gt``: walking down the
    ranking, recall only grows while precision falls with every false positive.

    Args:
        is_tp (Tensor[N]): whether each detection, by decreasing score, is a TP.
        num_gt: the number of objects to find, ``>= 1``.

    Returns:
        (Tensor[N], Tensor[N]): precision and recall, float64.
    """
    check_data("is_tp", check_shape("is_tp", is_tp, ("N",)))
    num_gt = check_int("num_gt", num_gt, 1)
    true_positives = torch.cumsum(is_tp.double(), dim=0)
    if true_positives.numel() and true_positives[-1] > num_gt:
        raise ValueError(
            f"num_gt must be at least the number of true positives, "
            f"{int(true_positives[-1])}, but got {num_gt}"
        )
    ranks = torch.arange(1, is_tp.shape[0] + 1, dtype=torch.float64, device=is_tp.device)
    return true_positives / ranks, true_positives / num_gt


# --8<-- [end:match]


# --8<-- [start:voc]
def voc_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """IoU of every pair in VOC's pixel convention, in float64.

    VOC's corners are inclusive pixel indices, so a box ``(x1, y1, x2, y2)`` covers
    ``(x2 - x1 + 1) * (y2 - y1 + 1)`` pixels, and so does an intersection: the IoU core of
    :func:`~reference.detection.box_iou` with an offset of 1.

    Args:
        boxes1 (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``.
        boxes2 (Tensor[M, 4]): boxes as ``(x1, y1, x2, y2)``.

    Returns:
        Tensor[N, M]: the IoU, float64.
    """
    for name, value in (("boxes1", boxes1), ("boxes2", boxes2)):
        check_finite(name, check_real(name, check_shape(name, value, ("N", 4))))
    check_same_device(("boxes1", "boxes2"), boxes1, boxes2)
    inter, union = _inter_union(*_pair_columns(boxes1.double(), boxes2.double(), True), offset=1)
    return inter / union


def voc_match(overlaps: Tensor, iou_threshold: float = 0.5) -> tuple[Tensor, Tensor]:
    """VOC's greedy matching, from the IoUs ``(N, M)`` of detections sorted by decreasing score.

    Each detection looks only at the ground truth it overlaps most (the first one on a tie).
    If that IoU is *strictly* above the threshold, the detection claims it, and the first
    claim on a ground truth is the TP. A later claim is a FP even when another free ground
    truth overlaps enough: VOC does not fall back, unlike COCO. Because the claimed ground
    truth does not depend on earlier matches, no loop over detections is needed.

    Args:
        overlaps (Tensor[N, M]): IoU of each detection (by decreasing score) with each
            ground truth.
        iou_threshold: a claim needs an IoU strictly above this.

    Returns:
        (Tensor[N] bool, Tensor[N] int64): whether each detection is a TP, and the ground
        truth it claims (-1 when its best IoU is not above the threshold).
    """
    check_floating("overlaps", check_shape("overlaps", overlaps, ("N", "M")))
    check_finite("overlaps", overlaps)
    iou_threshold = check_range("iou_threshold", iou_threshold, 0.0, 1.0)
    n, m = overlaps.shape
    device = overlaps.device
    if m == 0:
        return (
            torch.zeros(n, dtype=torch.bool, device=device),
            torch.full((n,), -1, dtype=torch.int64, device=device),
        )
    best = overlaps.argmax(1)  # torch.argmax returns the first maximum, as np.argmax
    claims = overlaps.gather(1, best[:, None])[:, 0] > iou_threshold
    claimed = torch.where(claims, best, -1)
    # Number of claims on each ground truth so far, down the ranking: 1 marks the first.
    count = torch.zeros(n, m, dtype=torch.int64, device=device)
    count[claims, best[claims]] = 1
    count = count.cumsum(0).gather(1, best[:, None])[:, 0]
    return claims & (count == 1), claimed


# --8<-- [end:voc]
