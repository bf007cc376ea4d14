"""Precision and recall, for classifiers and for detectors (deciding TP/FP by IoU)."""

from __future__ import annotations

# --8<-- [start:imports]
import torch
from torch import Tensor

from reference.checks import check_range, check_same_length, check_shape
from reference.detection import box_iou

# --8<-- [end:imports]

__all__ = ["binary_counts", "match_detections", "precision_recall"]


# --8<-- [start:counts]
def binary_counts(pred: Tensor, target: Tensor) -> dict[str, int]:
    """TP, FP, FN, TN of boolean predictions against boolean labels (1 = positive)."""
    check_shape("target", target, tuple(pred.shape))
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
    boxes: Tensor, scores: Tensor, gt_boxes: Tensor, iou_threshold: float = 0.5
) -> tuple[Tensor, Tensor]:
    """Mark each detection of one image and one class as a true or a false positive.

    Detections are visited by decreasing score (ties keep their order); each takes the
    not-yet-matched ground truth with the highest IoU, if that IoU is at least
    ``iou_threshold``. A second detection of an already matched object is a false positive:
    the best-scoring detection wins.

    Args:
        boxes (Tensor[N, 4]), scores (Tensor[N]): detections. gt_boxes (Tensor[M, 4]): ground truth.

    Returns:
        (Tensor[N] bool, Tensor[N] int64): in score order, whether each detection is a TP,
        and the index of its ground truth (-1 for a FP). Nothing is returned for the
        unmatched ground truths: they are the false negatives.
    """
    check_same_length(("boxes", "scores"), boxes, scores)
    check_range("iou_threshold", iou_threshold, 0.0, 1.0)
    order = torch.argsort(scores, descending=True, stable=True)
    overlaps = box_iou(boxes[order], gt_boxes)  # [N, M], computed once
    taken = torch.zeros(gt_boxes.shape[0], dtype=torch.bool)
    matched = torch.full((boxes.shape[0],), -1, dtype=torch.int64)
    for i in range(boxes.shape[0]):  # greedy: an earlier match removes the object for later ones
        candidates = overlaps[i].masked_fill(taken, -1.0)
        if candidates.numel() and candidates.max() >= iou_threshold:
            j = int(candidates.argmax())
            taken[j], matched[i] = True, j
    return matched >= 0, matched


def precision_recall(is_tp: Tensor, num_gt: int) -> tuple[Tensor, Tensor]:
    """Precision and recall after each detection, for detections sorted by decreasing score.

    ``precision[k] = TP_k / (k + 1)`` and ``recall[k] = TP_k / num_gt``: walking down the
    ranking, recall only grows while precision falls with every false positive.
    """
    check_shape("is_tp", is_tp, ("N",))
    check_range("num_gt", num_gt, 1)
    true_positives = torch.cumsum(is_tp.double(), dim=0)
    ranks = torch.arange(1, is_tp.shape[0] + 1, dtype=torch.float64)
    return true_positives / ranks, true_positives / num_gt


# --8<-- [end:match]
