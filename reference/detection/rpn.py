"""Faster R-CNN's region proposal network: anchors, target assignment, sampling, box coding.

``rpn_anchors`` equals ``torchvision.models.detection.anchor_utils.AnchorGenerator`` for
one feature map; ``assign_anchors`` equals ``torchvision.models.detection._utils.Matcher``
with ``allow_low_quality_matches=True`` followed by the RPN's labelling;
``sample_anchors`` follows ``BalancedPositiveNegativeSampler``; ``encode_boxes`` and
``decode_boxes`` equal ``BoxCoder.encode_single`` / ``decode_single``. Tests:
``tests/detection/test_rpn.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math
from collections.abc import Sequence

import torch
from torch import Tensor

from reference.checks import (
    as_floating,
    check_data,
    check_finite,
    check_floating,
    check_int,
    check_nonempty,
    check_range,
    check_same_device,
    check_same_length,
    check_sequence,
    check_shape,
)
from reference.detection.anchors import _device_of, _size_pair, cell_anchors
from reference.detection.boxes import _check_boxes, box_iou

# --8<-- [end:imports]

__all__ = ["assign_anchors", "decode_boxes", "encode_boxes", "rpn_anchors", "sample_anchors"]


# --8<-- [start:anchors]
def rpn_anchors(
    feature_size: tuple[int, int],
    stride: int,
    sizes: Sequence[float] = (128.0, 256.0, 512.0),
    aspect_ratios: Sequence[float] = (0.5, 1.0, 2.0),
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Every anchor of one feature map, in image pixels, as torchvision lays them out.

    Each position ``(row, col)`` of an H x W feature map carries ``len(sizes) *
    len(aspect_ratios)`` anchors centred on the image point ``(col * stride, row * stride)``;
    an anchor of size ``s`` and ratio ``r = h / w`` has area ``s^2``. Half-sides are rounded
    to whole pixels, as in torchvision.

    Args:
        feature_size: ``(H, W)`` of the feature map.
        stride: image pixels per feature-map cell.
        sizes: anchor side lengths (square root of the area), in pixels.
        aspect_ratios: height / width ratios.
        dtype: floating dtype of the result.

    Returns:
        Tensor[H * W * A, 4]: ``(x1, y1, x2, y2)``, position-major: the ``A`` anchors of
        cell ``(0, 0)`` first, ratio-major within a cell.
    """
    H, W = _size_pair("feature_size", feature_size)
    stride = check_int("stride", stride, 1)
    base = cell_anchors(sizes, aspect_ratios, dtype)  # [A, 4] around (0, 0)
    ys, xs = torch.meshgrid(
        torch.arange(H, dtype=dtype) * stride, torch.arange(W, dtype=dtype) * stride, indexing="ij"
    )
    shifts = torch.stack([xs, ys, xs, ys], dim=-1).reshape(-1, 1, 4)  # [H*W, 1, 4]
    return (shifts + base[None]).reshape(-1, 4)


# --8<-- [end:anchors]


# --8<-- [start:assign]
def assign_anchors(
    anchors: Tensor,
    gt_boxes: Tensor,
    high_threshold: float = 0.7,
    low_threshold: float = 0.3,
) -> tuple[Tensor, Tensor]:
    """Label every anchor positive (1), negative (0) or ignored (-1), as the RPN does.

    * IoU with its best ground-truth box ``>= high_threshold``: positive.
    * best IoU ``< low_threshold``: negative (background).
    * in between: ignored, it gets no loss.
    * Then, for each ground-truth box, the anchor(s) with the highest IoU with it are made
      positive whatever that IoU is (ties included), so that no object goes unmatched.
      Such an anchor regresses to the box it overlaps most, which need not be this one.

    Args:
        anchors (Tensor[N, 4]): anchors as ``(x1, y1, x2, y2)``.
        gt_boxes (Tensor[M, 4]): ground-truth boxes, ``M >= 1``.
        high_threshold, low_threshold: IoU thresholds, ``low <= high``.

    Returns:
        (labels, matched): ``labels`` Tensor[N] (float, 1 / 0 / -1) and ``matched``
        Tensor[N] (int64), the index of each anchor's best ground-truth box (meaningful
        only where ``labels == 1``).
    """
    for name, value in (("anchors", anchors), ("gt_boxes", gt_boxes)):
        check_nonempty(name, check_finite(name, _check_boxes(name, value)))
    check_same_device(("anchors", "gt_boxes"), anchors, gt_boxes)
    high_threshold = check_range("high_threshold", high_threshold, 0, 1)
    low_threshold = check_range("low_threshold", low_threshold, 0, 1)
    if low_threshold > high_threshold:
        raise ValueError(
            f"low_threshold must be at most high_threshold, but got {low_threshold} > "
            f"{high_threshold}"
        )
    iou = box_iou(gt_boxes, anchors)  # [M, N]
    best_iou, matched = iou.max(dim=0)  # [N]: each anchor's best box
    # the labels take the anchors' dtype (float32 for integer anchors), as torchvision's
    labels = torch.full_like(best_iou, -1.0, dtype=as_floating("anchors", anchors).dtype)
    labels[best_iou >= high_threshold] = 1.0
    labels[best_iou < low_threshold] = 0.0
    # An object whose best anchor has IoU 0.5 would otherwise have no positive at all.
    best_for_gt = iou.max(dim=1, keepdim=True).values  # [M, 1]
    labels[(iou == best_for_gt).any(dim=0)] = 1.0
    return labels, matched


# --8<-- [end:assign]


# --8<-- [start:sample]
def sample_anchors(
    labels: Tensor,
    batch_size: int = 256,
    positive_fraction: float = 0.5,
    *,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Draw a mini-batch of anchors with at most ``positive_fraction`` positives.

    Up to ``batch_size * positive_fraction`` positives are drawn at random; negatives fill
    the rest of the batch (fewer if there are not enough). Ignored anchors are never drawn.

    Args:
        labels (Tensor[N]): 1 positive, 0 negative, -1 ignored (from :func:`assign_anchors`).
        batch_size: anchors per image (256 in Faster R-CNN).
        positive_fraction: the largest share of positives (0.5).
        generator: the random source (``None``: the global generator).

    Returns:
        (positive, negative): int64 index tensors into ``labels``.
    """
    check_data("labels", check_shape("labels", labels, ("N",)))
    if not bool(((labels == 1) | (labels == 0) | (labels == -1)).all()):
        raise ValueError(f"labels must hold 1, 0 or -1, but got {labels.unique().tolist()}")
    batch_size = check_int("batch_size", batch_size, 1)
    positive_fraction = check_range("positive_fraction", positive_fraction, 0, 1)
    positive = torch.nonzero(labels == 1).flatten()
    negative = torch.nonzero(labels == 0).flatten()
    num_pos = min(int(batch_size * positive_fraction), len(positive))
    num_neg = min(batch_size - num_pos, len(negative))
    draw_on = _device_of(generator)
    pick_pos = torch.randperm(len(positive), generator=generator, device=draw_on)[:num_pos]
    pick_neg = torch.randperm(len(negative), generator=generator, device=draw_on)[:num_neg]
    return positive[pick_pos], negative[pick_neg]


# --8<-- [end:sample]


# --8<-- [start:coding]
def _weights(weights: Sequence[float]) -> tuple[float, float, float, float]:
    check_sequence("weights", weights, "four numbers (wx, wy, ww, wh)")
    if len(weights) != 4:
        raise ValueError(f"weights must be four numbers (wx, wy, ww, wh), but got {weights!r}")
    wx, wy, ww, wh = (
        check_range(f"weights[{i}]", w, 0, low_inclusive=False) for i, w in enumerate(weights)
    )
    return wx, wy, ww, wh


def _centre_size(boxes: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return boxes[:, 0] + 0.5 * w, boxes[:, 1] + 0.5 * h, w, h


def encode_boxes(
    boxes: Tensor, anchors: Tensor, weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0)
) -> Tensor:
    """Regression targets that move each anchor onto its box.

    ``dx = wx (x - xa) / wa``, ``dy = wy (y - ya) / ha``, ``dw = ww log(w / wa)``,
    ``dh = wh log(h / ha)``, with centres ``x, y`` and sizes ``w, h``. Dividing by the
    anchor's size makes the offsets scale-free; the log makes growing and shrinking
    symmetric. The RPN uses weights ``(1, 1, 1, 1)``, the Fast R-CNN head ``(10, 10, 5, 5)``.

    Args:
        boxes (Tensor[N, 4]): target boxes ``(x1, y1, x2, y2)``, positive sizes.
        anchors (Tensor[N, 4]): the anchor (or proposal) of each box.
        weights: ``(wx, wy, ww, wh)``.

    Returns:
        Tensor[N, 4]: ``(dx, dy, dw, dh)``.
    """
    boxes = check_finite("boxes", as_floating("boxes", _check_boxes("boxes", boxes)))
    anchors = check_finite("anchors", as_floating("anchors", _check_boxes("anchors", anchors)))
    if boxes.shape != anchors.shape:
        raise ValueError(
            f"boxes and anchors must have the same shape, but got {tuple(boxes.shape)} "
            f"and {tuple(anchors.shape)}"
        )
    check_same_device(("boxes", "anchors"), boxes, anchors)
    wx, wy, ww, wh = _weights(weights)
    x, y, w, h = _centre_size(boxes)
    xa, ya, wa, ha = _centre_size(anchors)
    return torch.stack(
        [wx * (x - xa) / wa, wy * (y - ya) / ha, ww * torch.log(w / wa), wh * torch.log(h / ha)],
        dim=1,
    )


def decode_boxes(
    deltas: Tensor,
    anchors: Tensor,
    weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
    clip: float = math.log(1000.0 / 16),
) -> Tensor:
    """Invert :func:`encode_boxes`: apply the offsets ``deltas`` to ``anchors``.

    ``dw`` and ``dh`` are clipped at ``clip`` before ``exp`` so that an untrained network
    cannot produce a box a thousand times larger than its anchor (or an overflow).

    Args:
        deltas (Tensor[N, 4]): ``(dx, dy, dw, dh)``.
        anchors (Tensor[N, 4]): the anchors the offsets refer to.
        weights: the ``(wx, wy, ww, wh)`` used to encode.
        clip: upper bound on ``dw / ww`` and ``dh / wh``.

    Returns:
        Tensor[N, 4]: boxes ``(x1, y1, x2, y2)``.
    """
    check_floating("deltas", check_shape("deltas", deltas, ("N", 4)))
    check_finite("anchors", _check_boxes("anchors", anchors))
    check_same_length(("deltas", "anchors"), deltas, anchors)
    check_same_device(("deltas", "anchors"), deltas, anchors)
    wx, wy, ww, wh = _weights(weights)
    clip = check_range("clip", clip, allow_inf=True)
    xa, ya, wa, ha = _centre_size(anchors.to(deltas.dtype))
    x = deltas[:, 0] / wx * wa + xa
    y = deltas[:, 1] / wy * ha + ya
    w = torch.exp((deltas[:, 2] / ww).clamp(max=clip)) * wa
    h = torch.exp((deltas[:, 3] / wh).clamp(max=clip)) * ha
    return torch.stack([x - 0.5 * w, y - 0.5 * h, x + 0.5 * w, y + 0.5 * h], dim=1)


# --8<-- [end:coding]
