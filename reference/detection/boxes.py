"""Box areas, IoU and its generalisations, and the IoU-based regression losses.

Boxes are ``(x1, y1, x2, y2)`` in pixels with ``x1 <= x2`` and ``y1 <= y2``; no ``+1`` is
added anywhere (this is torchvision's convention, not the old VOC one). The pairwise
functions compare every box of ``boxes1`` with every box of ``boxes2`` and return an
Tensor[N, M]; the losses compare the boxes of two equally shaped Tensor[..., 4] element
by element.

Everything here equals ``torchvision.ops`` of the same name (values and gradients); the
tests in ``tests/detection/test_boxes.py`` check it.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math

import torch
from torch import Tensor

from reference.checks import check_data, check_range, check_real, check_shape
from reference.reduction import reduce_loss

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
    """Validate boxes Tensor[N, 4] (Tensor[..., 4] if not pairwise) with x1 <= x2, y1 <= y2."""
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
Columns = tuple[Tensor, Tensor, Tensor, Tensor]


def _columns(boxes: Tensor) -> Columns:
    """``x1, y1, x2, y2`` of Tensor[..., 4] as four contiguous Tensor[...].

    Broadcasting contiguous columns into a Tensor[N, M] is several times faster than
    broadcasting the strided columns of a Tensor[N, 4].
    """
    x1, y1, x2, y2 = _upcast(boxes).movedim(-1, 0).contiguous()
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
def _pair_columns(boxes1: Tensor, boxes2: Tensor, pairwise: bool) -> tuple[Columns, Columns]:
    """The corner columns of both sets, shaped to broadcast into the result.

    ``pairwise``: Tensor[N, 4] and Tensor[M, 4] give columns Tensor[N, 1] and Tensor[M]
    (every pair, an ``(N, M)`` result); otherwise two Tensor[..., 4] of one shape are
    compared box by box.
    """
    a, b = _columns(boxes1), _columns(boxes2)
    if pairwise:
        a = (a[0][:, None], a[1][:, None], a[2][:, None], a[3][:, None])
    return a, b


def _inter_union(
    a: Columns, b: Columns, offset: float = 0.0, strict: bool = False
) -> tuple[Tensor, Tensor]:
    """Intersection and union areas of the boxes ``a`` and ``b`` (columns that broadcast).

    This is the one IoU core of the package. ``offset=1`` is Pascal VOC's convention:
    corners are inclusive pixel indices, so a box covers ``x2 - x1 + 1`` pixels.
    ``strict``: boxes that only touch pass no gradient through their (zero) intersection,
    as in torchvision's box losses; ``box_iou`` clamps, as torchvision's does.
    """
    ax1, ay1, ax2, ay2 = a
    bx1, by1, bx2, by2 = b
    area1 = (ax2 - ax1 + offset) * (ay2 - ay1 + offset)
    area2 = (bx2 - bx1 + offset) * (by2 - by1 + offset)
    # A negative overlap means the boxes do not meet on that axis: clamp it to 0. The
    # updates are in place because every new (N, M) temporary costs fresh memory pages.
    w = torch.minimum(ax2, bx2).sub_(torch.maximum(ax1, bx1))
    h = torch.minimum(ay2, by2).sub_(torch.maximum(ay1, by1))
    if offset:
        w, h = w.add_(offset), h.add_(offset)
    if strict:
        inter = torch.where((w > 0) & (h > 0), w * h, torch.zeros_like(w))
    else:
        inter = w.clamp_(min=0).mul_(h.clamp_(min=0))
    return inter, (area1 + area2).sub_(inter)


def _divide(numerator: Tensor, denominator: Tensor) -> Tensor:
    # In place for floats (no new (N, M) buffer); integer boxes give a float IoU, as
    # torchvision's, and an integer tensor cannot hold one.
    if numerator.is_floating_point():
        return numerator.div_(denominator)
    return numerator / denominator


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Intersection over union of every pair of boxes.

    Args:
        boxes1 (Tensor[N, 4]): boxes as ``(x1, y1, x2, y2)``.
        boxes2 (Tensor[M, 4]): boxes as ``(x1, y1, x2, y2)``.

    Returns:
        Tensor[N, M]: IoU in ``[0, 1]`` (float32 for integer boxes); NaN for two boxes
        that both have zero area (0 / 0), exactly as ``torchvision.ops.box_iou``.

    Example:
        >>> a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
        >>> b = torch.tensor([[1.0, 0.0, 3.0, 2.0], [5.0, 5.0, 6.0, 6.0]])
        >>> box_iou(a, b)
        tensor([[0.3333, 0.0000]])
    """
    _check_boxes("boxes1", boxes1)
    _check_boxes("boxes2", boxes2)
    inter, union = _inter_union(*_pair_columns(boxes1, boxes2, pairwise=True))
    return _divide(inter, union)


# --8<-- [end:box_iou]


# --8<-- [start:generalized_box_iou]
def _enclosing_wh(a: Columns, b: Columns) -> tuple[Tensor, Tensor]:
    """Width and height of the smallest box enclosing each pair."""
    w = (torch.maximum(a[2], b[2]) - torch.minimum(a[0], b[0])).clamp(min=0)
    h = (torch.maximum(a[3], b[3]) - torch.minimum(a[1], b[1])).clamp(min=0)
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
    _check_boxes("boxes1", boxes1)
    _check_boxes("boxes2", boxes2)
    a, b = _pair_columns(boxes1, boxes2, pairwise=True)
    inter, union = _inter_union(a, b)
    w, h = _enclosing_wh(a, b)
    enclosing = w * h  # [N, M]
    return inter / union - (enclosing - union) / enclosing


# --8<-- [end:generalized_box_iou]


# --8<-- [start:distance_box_iou]
def _center_distance_ratio(a: Columns, b: Columns, eps: float) -> Tensor:
    """Squared centre distance over squared enclosing diagonal, for each pair."""
    w, h = _enclosing_wh(a, b)
    dx = (a[0] + a[2]) / 2 - (b[0] + b[2]) / 2  # centre offsets
    dy = (a[1] + a[3]) / 2 - (b[1] + b[3]) / 2
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
    iou = box_iou(boxes1, boxes2)
    eps = check_range("eps", eps, 0.0)
    return iou - _center_distance_ratio(*_pair_columns(boxes1, boxes2, pairwise=True), eps)


# --8<-- [end:distance_box_iou]


# --8<-- [start:complete_box_iou]
def _aspect_term(a: Columns, b: Columns) -> Tensor:
    """CIoU's ``v``: how far apart the aspect ratios of two boxes are, in ``[0, 1]``."""
    angle_a = torch.atan((a[2] - a[0]) / (a[3] - a[1]))
    angle_b = torch.atan((b[2] - b[0]) / (b[3] - b[1]))
    return (4 / math.pi**2) * (angle_b - angle_a) ** 2


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
    eps = check_range("eps", eps, 0.0)
    a, b = _pair_columns(boxes1, boxes2, pairwise=True)
    diou = iou - _center_distance_ratio(a, b, eps)
    v = _aspect_term(a, b)  # [N, M]
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


# --8<-- [end:complete_box_iou]


# --8<-- [start:losses]
def _elementwise_terms(boxes1: Tensor, boxes2: Tensor, eps: float) -> dict[str, Tensor]:
    """IoU, enclosing area and DIoU's distance ratio of matched boxes Tensor[..., 4]."""
    _check_boxes("boxes1", boxes1, pairwise=False)
    _check_boxes("boxes2", boxes2, pairwise=False)
    eps = check_range("eps", eps, 0.0)
    if boxes1.shape != boxes2.shape:
        raise ValueError(
            "boxes1 and boxes2 must have the same shape, "
            f"but got {tuple(boxes1.shape)} and {tuple(boxes2.shape)}"
        )
    # Integer boxes are computed in float32, like torchvision.
    a, b = _pair_columns(_as_float(boxes1), _as_float(boxes2), pairwise=False)
    inter, union = _inter_union(a, b, strict=True)
    w, h = _enclosing_wh(a, b)
    return {
        "iou": inter / (union + eps),
        "union": union,
        "enclosing_area": w * h,
        "distance_ratio": _center_distance_ratio(a, b, eps),
        "v": _aspect_term(a, b),
    }


def _as_float(boxes: Tensor) -> Tensor:
    return boxes if boxes.dtype in (torch.float32, torch.float64) else boxes.float()


def generalized_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """``1 - GIoU`` of matched pairs of boxes; equals ``torchvision.ops.generalized_box_iou_loss``.

    Args:
        boxes1 (Tensor[..., 4]): predicted boxes as ``(x1, y1, x2, y2)``.
        boxes2 (Tensor[..., 4]): target boxes, same shape.
        reduction: ``"none"`` (a Tensor[...]), ``"mean"`` or ``"sum"``.
        eps: keeps the divisions finite for degenerate boxes.

    Returns:
        Tensor: the loss, in ``[0, 2)``.
    """
    t = _elementwise_terms(boxes1, boxes2, eps)
    giou = t["iou"] - (t["enclosing_area"] - t["union"]) / (t["enclosing_area"] + eps)
    return reduce_loss(1 - giou, reduction, zero_if_empty=True)


def distance_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """``1 - DIoU`` of matched pairs; equals ``torchvision.ops.distance_box_iou_loss``.

    Args:
        boxes1 (Tensor[..., 4]): predicted boxes as ``(x1, y1, x2, y2)``.
        boxes2 (Tensor[..., 4]): target boxes, same shape.
        reduction: ``"none"`` (a Tensor[...]), ``"mean"`` or ``"sum"``.
        eps: keeps the divisions finite for degenerate boxes.

    Returns:
        Tensor: the loss, in ``[0, 2)``.
    """
    t = _elementwise_terms(boxes1, boxes2, eps)
    return reduce_loss(1 - t["iou"] + t["distance_ratio"], reduction, zero_if_empty=True)


def complete_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """``1 - CIoU`` of matched pairs; equals ``torchvision.ops.complete_box_iou_loss``.

    ``alpha`` gets no gradient, as in :func:`complete_box_iou`.

    Args:
        boxes1 (Tensor[..., 4]): predicted boxes as ``(x1, y1, x2, y2)``.
        boxes2 (Tensor[..., 4]): target boxes, same shape.
        reduction: ``"none"`` (a Tensor[...]), ``"mean"`` or ``"sum"``.
        eps: keeps the divisions finite for degenerate boxes.

    Returns:
        Tensor: the loss.
    """
    t = _elementwise_terms(boxes1, boxes2, eps)
    with torch.no_grad():
        alpha = t["v"] / (1 - t["iou"] + t["v"] + eps)
    loss = 1 - t["iou"] + t["distance_ratio"] + alpha * t["v"]
    return reduce_loss(loss, reduction, zero_if_empty=True)


# --8<-- [end:losses]
