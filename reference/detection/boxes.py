"""Box areas, IoU and its generalisations, and the IoU-based regression losses.

Boxes are ``(x1, y1, x2, y2)`` in pixels with ``x1 <= x2`` and ``y1 <= y2``; no ``+1`` is
added anywhere (this is torchvision's convention, not the old VOC one). The pairwise
functions compare every box of ``boxes1`` with every box of ``boxes2`` and return an
``(N, M)`` matrix; the losses compare the boxes of two equally shaped ``(..., 4)`` tensors
element by element.

Everything here equals ``torchvision.ops`` of the same name (values and gradients); the
tests in ``tests/detection/test_boxes.py`` check it.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math

import torch
from torch import Tensor

from reference.checks import check_data, check_in, check_real, check_shape

# --8<-- [end:imports]

__all__ = [
    "box_area",
    "box_iou",
    "complete_box_iou",
    "complete_box_iou_loss",
    "distance_box_iou",
    "distance_box_iou_loss",
    "generalized_box_iou",
    "generalized_box_iou_loss",
]


# --8<-- [start:check_boxes]
def _check_boxes(name: str, boxes: Tensor, pairwise: bool = True) -> Tensor:
    """Validate boxes ``(N, 4)`` (or ``(..., 4)`` when not pairwise) with x1 <= x2, y1 <= y2."""
    check_data(
        name, check_real(name, check_shape(name, boxes, ("N", 4) if pairwise else ("...", 4)))
    )
    bad = (boxes[..., 2] < boxes[..., 0]) | (boxes[..., 3] < boxes[..., 1])
    if bool(bad.any()):
        first = boxes.reshape(-1, 4)[bad.reshape(-1)][0].tolist()
        raise ValueError(f"{name} must satisfy x1 <= x2 and y1 <= y2, but got the box {first}")
    return boxes


def _upcast(t: Tensor) -> Tensor:
    # Products of coordinates overflow float16 and int16: compute in the wider type.
    if t.is_floating_point():
        return t if t.dtype in (torch.float32, torch.float64) else t.float()
    return t if t.dtype in (torch.int32, torch.int64) else t.int()


# --8<-- [end:check_boxes]


# --8<-- [start:box_area]
def _columns(boxes: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``x1, y1, x2, y2`` as four contiguous ``[N]`` tensors.

    Broadcasting contiguous columns into an ``(N, M)`` matrix is several times faster
    than broadcasting the strided columns of an ``(N, 4)`` tensor.
    """
    x1, y1, x2, y2 = _upcast(boxes).T.contiguous()
    return x1, y1, x2, y2


def box_area(boxes: Tensor) -> Tensor:
    """Area of each box.

    Args:
        boxes (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``.

    Returns:
        Tensor[N]: ``(x2 - x1) * (y2 - y1)``.

    Example:
        >>> box_area(torch.tensor([[0.0, 0.0, 2.0, 3.0]]))
        tensor([6.])
    """
    x1, y1, x2, y2 = _columns(_check_boxes("boxes", boxes))
    return (x2 - x1) * (y2 - y1)


# --8<-- [end:box_area]


# --8<-- [start:box_iou]
def _inter_union(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    """Validate two sets of boxes; return their pairwise intersection and union, ``(N, M)``."""
    _check_boxes("boxes1", boxes1)
    _check_boxes("boxes2", boxes2)
    ax1, ay1, ax2, ay2 = (c[:, None] for c in _columns(boxes1))  # 4 x [N, 1]
    bx1, by1, bx2, by2 = _columns(boxes2)  # 4 x [M]
    area1 = (ax2 - ax1) * (ay2 - ay1)  # [N, 1]
    area2 = (bx2 - bx1) * (by2 - by1)  # [M]
    # A negative overlap means the boxes do not meet on that axis: clamp it to 0. The
    # updates are in place because every new (N, M) temporary costs fresh memory pages.
    w = torch.minimum(ax2, bx2).sub_(torch.maximum(ax1, bx1)).clamp_(min=0)  # [N, M]
    h = torch.minimum(ay2, by2).sub_(torch.maximum(ay1, by1)).clamp_(min=0)  # [N, M]
    inter = w.mul_(h)
    return inter, (area1 + area2).sub_(inter)


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Intersection over union of every pair of boxes.

    Args:
        boxes1 (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``.
        boxes2 (Tensor[M, 4]): boxes as ``(x1, y1, x2, y2)``.

    Returns:
        Tensor[N, M]: IoU in ``[0, 1]``; NaN for two boxes that both have zero area
        (0 / 0), exactly as ``torchvision.ops.box_iou``.

    Example:
        >>> a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
        >>> b = torch.tensor([[1.0, 0.0, 3.0, 2.0], [5.0, 5.0, 6.0, 6.0]])
        >>> box_iou(a, b)
        tensor([[0.3333, 0.0000]])
    """
    inter, union = _inter_union(boxes1, boxes2)
    return inter.div_(union)


# --8<-- [end:box_iou]


# --8<-- [start:generalized_box_iou]
def _enclosing_wh(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    """Width and height ``(N, M)`` of the smallest box enclosing each pair."""
    ax1, ay1, ax2, ay2 = (c[:, None] for c in _columns(boxes1))
    bx1, by1, bx2, by2 = _columns(boxes2)
    w = (torch.maximum(ax2, bx2) - torch.minimum(ax1, bx1)).clamp(min=0)
    h = (torch.maximum(ay2, by2) - torch.minimum(ay1, by1)).clamp(min=0)
    return w, h


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Generalized IoU (Rezatofighi et al., 2019, arXiv:1902.09630) of every pair.

    ``GIoU = IoU - (C - U) / C`` with ``C`` the area of the smallest enclosing box and
    ``U`` the union. It lies in ``(-1, 1]`` and keeps falling as disjoint boxes move apart.

    Args:
        boxes1 (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``.
        boxes2 (Tensor[M, 4]): boxes as ``(x1, y1, x2, y2)``.

    Returns:
        Tensor[N, M]: the generalized IoU.
    """
    inter, union = _inter_union(boxes1, boxes2)
    w, h = _enclosing_wh(boxes1, boxes2)
    enclosing = w * h  # [N, M]
    return inter / union - (enclosing - union) / enclosing


# --8<-- [end:generalized_box_iou]


# --8<-- [start:distance_box_iou]
def _center_distance_ratio(boxes1: Tensor, boxes2: Tensor, eps: float) -> Tensor:
    """Squared centre distance over squared enclosing diagonal, ``(N, M)``."""
    w, h = _enclosing_wh(boxes1, boxes2)
    ax1, ay1, ax2, ay2 = (c[:, None] for c in _columns(boxes1))
    bx1, by1, bx2, by2 = _columns(boxes2)
    dx = (ax1 + ax2) / 2 - (bx1 + bx2) / 2  # [N, M] centre offsets
    dy = (ay1 + ay2) / 2 - (by1 + by2) / 2
    return (dx**2 + dy**2) / (w**2 + h**2 + eps)


def distance_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Distance IoU (Zheng et al., 2020, arXiv:1911.08287) of every pair.

    ``DIoU = IoU - d^2 / c^2`` with ``d`` the distance between the box centres and ``c`` the
    diagonal of the smallest enclosing box.

    Args:
        boxes1 (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``.
        boxes2 (Tensor[M, 4]): boxes as ``(x1, y1, x2, y2)``.
        eps: added to ``c^2`` so that two identical points do not divide by zero.

    Returns:
        Tensor[N, M]: the distance IoU, in ``[-1, 1]``.
    """
    return box_iou(boxes1, boxes2) - _center_distance_ratio(boxes1, boxes2, eps)


# --8<-- [end:distance_box_iou]


# --8<-- [start:complete_box_iou]
def _aspect_term(w1: Tensor, h1: Tensor, w2: Tensor, h2: Tensor) -> Tensor:
    """CIoU's ``v``: how far apart two aspect ratios are, in ``[0, 1]``."""
    return (4 / math.pi**2) * (torch.atan(w1 / h1) - torch.atan(w2 / h2)) ** 2


def complete_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Complete IoU (Zheng et al., 2020, arXiv:1911.08287) of every pair.

    ``CIoU = DIoU - alpha * v``: ``v`` compares the aspect ratios and the trade-off
    ``alpha = v / (1 - IoU + v)`` is treated as a constant (no gradient), as in the paper.

    Args:
        boxes1 (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``.
        boxes2 (Tensor[M, 4]): boxes as ``(x1, y1, x2, y2)``.
        eps: keeps the divisions finite for degenerate boxes.

    Returns:
        Tensor[N, M]: the complete IoU.
    """
    iou = box_iou(boxes1, boxes2)
    diou = iou - _center_distance_ratio(boxes1, boxes2, eps)
    ax1, ay1, ax2, ay2 = (c[:, None] for c in _columns(boxes1))
    bx1, by1, bx2, by2 = _columns(boxes2)
    v = _aspect_term(ax2 - ax1, ay2 - ay1, bx2 - bx1, by2 - by1)  # [N, M]
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


# --8<-- [end:complete_box_iou]


# --8<-- [start:losses]
def _reduce(loss: Tensor, reduction: str) -> Tensor:
    check_in("reduction", reduction, ("none", "mean", "sum"))
    if reduction == "mean":
        # The mean of nothing is 0 here (torchvision's choice), not NaN.
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    return loss.sum() if reduction == "sum" else loss


def _elementwise_terms(boxes1: Tensor, boxes2: Tensor, eps: float) -> dict[str, Tensor]:
    """IoU, enclosing area and DIoU's distance ratio for matched pairs of boxes ``(..., 4)``."""
    _check_boxes("boxes1", boxes1, pairwise=False)
    _check_boxes("boxes2", boxes2, pairwise=False)
    if boxes1.shape != boxes2.shape:
        raise ValueError(
            "boxes1 and boxes2 must have the same shape, "
            f"but got {tuple(boxes1.shape)} and {tuple(boxes2.shape)}"
        )
    # Integer boxes are computed in float32, like torchvision.
    b1 = boxes1 if boxes1.dtype in (torch.float32, torch.float64) else boxes1.float()
    b2 = boxes2 if boxes2.dtype in (torch.float32, torch.float64) else boxes2.float()
    wh1, wh2 = b1[..., 2:] - b1[..., :2], b2[..., 2:] - b2[..., :2]  # [..., 2]
    overlap = torch.minimum(b1[..., 2:], b2[..., 2:]) - torch.maximum(b1[..., :2], b2[..., :2])
    # Boxes that only touch or do not meet have no intersection and pass no gradient through it.
    meets = (overlap > 0).all(dim=-1)
    inter = torch.where(meets, overlap.prod(dim=-1), torch.zeros_like(overlap[..., 0]))
    union = wh1.prod(dim=-1) + wh2.prod(dim=-1) - inter
    enclosing = torch.maximum(b1[..., 2:], b2[..., 2:]) - torch.minimum(b1[..., :2], b2[..., :2])
    center_distance2 = ((b1[..., :2] + b1[..., 2:]) / 2 - (b2[..., :2] + b2[..., 2:]) / 2).pow(2)
    return {
        "iou": inter / (union + eps),
        "union": union,
        "enclosing_area": enclosing.prod(dim=-1),
        "distance_ratio": center_distance2.sum(-1) / (enclosing.pow(2).sum(-1) + eps),
        "v": _aspect_term(wh2[..., 0], wh2[..., 1], wh1[..., 0], wh1[..., 1]),
    }


def generalized_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """``1 - GIoU`` of matched pairs of boxes; equals ``torchvision.ops.generalized_box_iou_loss``.

    Args:
        boxes1 (Tensor[..., 4]): predicted boxes as ``(x1, y1, x2, y2)``.
        boxes2 (Tensor[..., 4]): target boxes, same shape.
        reduction: ``"none"`` (shape ``[...]``), ``"mean"`` or ``"sum"``.
        eps: keeps the divisions finite for degenerate boxes.

    Returns:
        Tensor: the loss, in ``[0, 2)``.
    """
    t = _elementwise_terms(boxes1, boxes2, eps)
    giou = t["iou"] - (t["enclosing_area"] - t["union"]) / (t["enclosing_area"] + eps)
    return _reduce(1 - giou, reduction)


def distance_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """``1 - DIoU`` of matched pairs; equals ``torchvision.ops.distance_box_iou_loss``.

    Args and Returns as :func:`generalized_box_iou_loss`; the loss lies in ``[0, 2)``.
    """
    t = _elementwise_terms(boxes1, boxes2, eps)
    return _reduce(1 - t["iou"] + t["distance_ratio"], reduction)


def complete_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """``1 - CIoU`` of matched pairs; equals ``torchvision.ops.complete_box_iou_loss``.

    Args and Returns as :func:`generalized_box_iou_loss`; ``alpha`` gets no gradient.
    """
    t = _elementwise_terms(boxes1, boxes2, eps)
    with torch.no_grad():
        alpha = t["v"] / (1 - t["iou"] + t["v"] + eps)
    return _reduce(1 - t["iou"] + t["distance_ratio"] + alpha * t["v"], reduction)


# --8<-- [end:losses]
