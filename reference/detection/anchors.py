"""Anchors: the grid generator, YOLOv2's k-means on box shapes, SSD's prior boxes and mining.

``grid_anchors`` equals ``torchvision.models.detection.anchor_utils.AnchorGenerator``;
``ssd_prior_boxes`` equals torchvision's ``DefaultBoxGenerator``; ``kmeans_anchors`` and
``hard_negative_mining`` are checked against slow loop implementations. Tests:
``tests/detection/test_anchors.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math
from collections.abc import Sequence

import torch
from torch import Tensor

from reference.checks import (
    as_floating,
    check_bounds,
    check_finite,
    check_floating,
    check_in,
    check_int,
    check_integer,
    check_nonempty,
    check_range,
    check_real,
    check_same_device,
    check_shape,
)
from reference.detection.boxes import box_iou

# --8<-- [end:imports]

__all__ = [
    "cell_anchors",
    "grid_anchors",
    "hard_negative_mining",
    "kmeans_anchors",
    "ssd_prior_boxes",
    "ssd_scales",
    "wh_iou",
]


def _positive_numbers(name: str, values: object) -> list[float]:
    """A non-empty sequence of positive finite numbers."""
    if isinstance(values, str | Tensor) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a sequence of numbers, but got {type(values).__name__}")
    if len(values) == 0:
        raise ValueError(f"{name} must not be empty, but got {list(values)}")
    return [check_range(f"{name}[{i}]", v, 0, low_inclusive=False) for i, v in enumerate(values)]


def _size_pair(name: str, value: object) -> tuple[int, int]:
    """``(height, width)``: two positive ints."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (height, width), but got {value!r}")
    return check_int(name, value[0], 1), check_int(name, value[1], 1)


# --8<-- [start:grid_anchors]
def cell_anchors(
    sizes: Sequence[float], aspect_ratios: Sequence[float], dtype: torch.dtype = torch.float32
) -> Tensor:
    """The ``A = len(aspect_ratios) * len(sizes)`` anchors of one cell, centred on 0.

    An anchor of size ``s`` and aspect ratio ``r = h / w`` has ``w = s / sqrt(r)`` and
    ``h = s * sqrt(r)``: every ratio keeps the area ``s^2``. Corners are rounded to whole
    pixels (half to even), as torchvision does.

    Args:
        sizes: anchor side lengths (square roots of the areas), in pixels.
        aspect_ratios: height / width ratios.
        dtype: floating dtype of the result.

    Returns:
        Tensor[A, 4]: ``(x1, y1, x2, y2)``, ratio-major: all sizes of the first ratio first.
    """
    for name, values in (("sizes", sizes), ("aspect_ratios", aspect_ratios)):
        _positive_numbers(name, values)
    scales = torch.as_tensor(sizes, dtype=dtype)  # [S]
    ratios = torch.as_tensor(aspect_ratios, dtype=dtype)  # [R]
    h = (ratios.sqrt()[:, None] * scales).reshape(-1)  # [R*S]
    w = ((1 / ratios.sqrt())[:, None] * scales).reshape(-1)  # [R*S]
    return (torch.stack([-w, -h, w, h], dim=1) / 2).round()  # [A, 4]


def grid_anchors(
    image_size: tuple[int, int],
    feature_sizes: Sequence[tuple[int, int]],
    sizes: Sequence[Sequence[float]],
    aspect_ratios: Sequence[Sequence[float]],
    offset: float = 0.0,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Every anchor of every cell of every feature map, in image pixels.

    Map ``i`` of size ``(H_i, W_i)`` has the stride ``image_size // (H_i, W_i)``; cell
    ``(y, x)`` is centred at ``((x + offset) * stride_w, (y + offset) * stride_h)``.
    torchvision uses ``offset = 0`` (the cell's top-left pixel); ``0.5`` puts anchors at
    cell centres (detectron2's ``offset`` option).

    Args:
        image_size: ``(H, W)`` of the (padded) input image.
        feature_sizes: ``(H_i, W_i)`` of each map, usually finest first.
        sizes, aspect_ratios: one sequence per map (``((32,), (64,), ...)`` for an FPN,
            one size per level).
        offset: where in its cell an anchor is centred, in cells (0: the top-left pixel).
        dtype: floating dtype of the result.

    Returns:
        Tensor[sum_i H_i W_i A_i, 4]: map by map, cell by cell in row-major order, and
        within a cell in the order of ``cell_anchors``.
    """
    H, W = _size_pair("image_size", image_size)
    offset = check_range("offset", offset)
    if not len(feature_sizes) == len(sizes) == len(aspect_ratios):
        raise ValueError(
            "feature_sizes, sizes and aspect_ratios must have one entry per feature map, "
            f"but got {len(feature_sizes)}, {len(sizes)} and {len(aspect_ratios)}"
        )
    out = []
    for i, (size, s, r) in enumerate(zip(feature_sizes, sizes, aspect_ratios, strict=True)):
        Hf, Wf = _size_pair(f"feature_sizes[{i}]", size)
        if not (Hf <= H and Wf <= W):
            raise ValueError(f"feature_sizes must be within [1, {image_size}], but got {(Hf, Wf)}")
        stride_y, stride_x = H // Hf, W // Wf
        ys = (torch.arange(Hf, dtype=dtype) + offset) * stride_y  # [H_i]
        xs = (torch.arange(Wf, dtype=dtype) + offset) * stride_x  # [W_i]
        cy, cx = torch.meshgrid(ys, xs, indexing="ij")  # [H_i, W_i] each
        centres = torch.stack([cx, cy, cx, cy], dim=-1).reshape(-1, 1, 4)  # [H_i*W_i, 1, 4]
        base = cell_anchors(s, r, dtype).unsqueeze(0)  # [1, A, 4]
        out.append((centres + base).reshape(-1, 4))  # [H_i*W_i*A, 4]
    return torch.cat(out)


# --8<-- [end:grid_anchors]


def _device_of(generator: torch.Generator | None) -> torch.device:
    """Where random numbers are drawn: the generator's device, by default the CPU."""
    return generator.device if generator is not None else torch.device("cpu")


# --8<-- [start:kmeans_anchors]
def wh_iou(wh1: Tensor, wh2: Tensor) -> Tensor:
    """IoU of box *shapes*: boxes of widths and heights ``(w, h)`` placed on a common corner.

    Args:
        wh1 (Tensor[N, 2]): non-negative widths and heights.
        wh2 (Tensor[M, 2]): non-negative widths and heights.

    Returns:
        Tensor[N, M]: ``min(w) min(h) / (w1 h1 + w2 h2 - min(w) min(h))``.
    """
    for name, wh in (("wh1", wh1), ("wh2", wh2)):
        check_real(name, check_shape(name, wh, ("N", 2)))
        check_bounds(name, check_finite(name, wh), 0)  # a negative width is no shape
    check_same_device(("wh1", "wh2"), wh1, wh2)
    zeros1, zeros2 = torch.zeros_like(wh1), torch.zeros_like(wh2)
    return box_iou(torch.cat([zeros1, wh1], 1), torch.cat([zeros2, wh2], 1))  # [N, M]


def kmeans_anchors(
    wh: Tensor,
    k: int,
    reduction: str = "mean",
    max_iter: int = 300,
    *,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """YOLOv2's anchor shapes: k-means on ``(w, h)`` with the distance ``1 - IoU``.

    Euclidean k-means would let large boxes dominate (a 10-pixel error matters for a
    20-pixel box, not for a 400-pixel one); ``1 - IoU`` is scale-free. Lloyd's iteration:
    assign each box to the centroid of largest IoU, move each centroid to the
    ``reduction`` (``"mean"``, as in YOLOv2, or ``"median"``, the middle value, averaged
    for an even count as ``numpy.median`` does) of its boxes, until no assignment
    changes. A centroid that loses all its boxes stays where it is.

    Args:
        wh (Tensor[N, 2]): positive widths and heights of the training boxes.
        k: the number of anchors, ``1 <= k <= N``.
        reduction: how a centroid summarises its boxes, ``"mean"`` or ``"median"``.
        max_iter: the most Lloyd iterations.
        generator: the random source of the initial centroids, ``k`` distinct boxes
            (``None``: the global generator).

    Returns:
        (Tensor[k, 2], Tensor[N], Tensor[]): the centroids sorted by area, the index of each
        box's centroid, and the mean IoU of each box with its centroid.
    """
    check_shape("wh", wh, ("N", 2))
    check_nonempty("wh", wh)
    check_finite("wh", as_floating("wh", wh))
    check_in("reduction", reduction, ("mean", "median"))
    k, max_iter = check_int("k", k, 1, wh.shape[0]), check_int("max_iter", max_iter, 1)
    if bool((wh <= 0).any()):
        raise ValueError(f"wh must be positive, but got {wh[(wh <= 0).any(1)][0].tolist()}")
    wh = wh.to(torch.float64)
    first = torch.randperm(wh.shape[0], generator=generator, device=_device_of(generator))[:k]
    centroids = wh[first].clone()  # [k, 2]
    assignment = torch.full((wh.shape[0],), -1, dtype=torch.long, device=wh.device)
    for _ in range(max_iter):
        new_assignment = wh_iou(wh, centroids).argmax(dim=1)  # [N]
        if torch.equal(new_assignment, assignment):
            break
        assignment = new_assignment
        for j in range(k):
            members = wh[assignment == j]  # [n_j, 2]
            if len(members):
                centroids[j] = (
                    members.mean(0) if reduction == "mean" else members.quantile(0.5, dim=0)
                )
    order = centroids.prod(1).argsort()  # small anchors first, as configs list them
    centroids, assignment = centroids[order], order.argsort()[assignment]
    mean_iou = wh_iou(wh, centroids).gather(1, assignment[:, None]).mean()
    return centroids, assignment, mean_iou


# --8<-- [end:kmeans_anchors]


# --8<-- [start:ssd_prior_boxes]
def ssd_scales(num_maps: int, s_min: float = 0.2, s_max: float = 0.9) -> list[float]:
    """SSD's box scales, evenly spaced: ``s_k = s_min + (s_max - s_min)(k - 1)/(m - 1)``.

    Returns ``m + 1`` values: the paper's ``s_1 .. s_m`` and ``s_{m+1} = 1``, which only
    the extra box ``sqrt(s_m s_{m+1})`` of the last map uses (the paper leaves it open;
    this is torchvision's choice).

    Args:
        num_maps: m, at least 2.
        s_min: the first map's scale.
        s_max: the last map's scale.

    Returns:
        ``m + 1`` scales.
    """
    num_maps = check_int("num_maps", num_maps, 2)
    s_min = check_range("s_min", s_min, 0, low_inclusive=False)
    s_max = check_range("s_max", s_max, s_min, 1)
    step = (s_max - s_min) / (num_maps - 1)
    return [s_min + step * k for k in range(num_maps)] + [1.0]


def ssd_prior_boxes(
    feature_sizes: Sequence[tuple[int, int]],
    aspect_ratios: Sequence[Sequence[float]],
    scales: Sequence[float],
    clip: bool = True,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """SSD's default (prior) boxes, relative to the image: ``(cx, cy, w, h)`` in ``[0, 1]``.

    At every cell of map ``k``, centred at ``((x + 0.5) / W_k, (y + 0.5) / H_k)``: a
    square of side ``s_k``, a square of side ``sqrt(s_k s_{k+1})``, and for each ratio
    ``a`` in ``aspect_ratios[k]`` the pair ``(s_k sqrt(a), s_k / sqrt(a))`` and its
    transpose, so ``2 + 2 len(aspect_ratios[k])`` boxes per cell.

    Args:
        feature_sizes: ``(H_k, W_k)`` of the ``m`` maps.
        aspect_ratios: per map, the ratios besides 1 (``[2]`` or ``[2, 3]`` in SSD300).
        scales: ``m + 1`` scales (``ssd_scales`` or a hand-written list).
        clip: clamp ``w, h`` to at most 1 (torchvision's ``clip``; it clips sizes, not
            the boxes at the image border).
        dtype: floating dtype of the result.

    Returns:
        Tensor[sum_k H_k W_k (2 + 2 len(aspect_ratios[k])), 4].
    """
    m = len(feature_sizes)
    if len(aspect_ratios) != m or len(scales) != m + 1:
        raise ValueError(
            f"need one aspect_ratios entry per map and len(feature_sizes) + 1 = {m + 1} scales, "
            f"but got {len(aspect_ratios)} and {len(scales)}"
        )
    scales = _positive_numbers("scales", scales)
    out = []
    for k, size in enumerate(feature_sizes):
        Hk, Wk = _size_pair(f"feature_sizes[{k}]", size)
        s, s_next = scales[k], scales[k + 1]
        wh = [(s, s), (math.sqrt(s * s_next),) * 2]
        if isinstance(aspect_ratios[k], str) or not isinstance(aspect_ratios[k], Sequence):
            raise TypeError(f"aspect_ratios[{k}] must be a sequence of numbers")
        for i, a in enumerate(aspect_ratios[k]):
            a = check_range(f"aspect_ratios[{k}][{i}]", a, 0, low_inclusive=False)
            wh += [(s * math.sqrt(a), s / math.sqrt(a)), (s / math.sqrt(a), s * math.sqrt(a))]
        wh_t = torch.tensor(wh, dtype=dtype)  # [A, 2]
        if clip:
            wh_t = wh_t.clamp(0, 1)
        cy, cx = torch.meshgrid(
            (torch.arange(Hk, dtype=dtype) + 0.5) / Hk,
            (torch.arange(Wk, dtype=dtype) + 0.5) / Wk,
            indexing="ij",
        )  # [H_k, W_k] each
        centres = torch.stack([cx, cy], -1).reshape(-1, 1, 2).expand(-1, len(wh), 2)
        sizes = wh_t.expand(Hk * Wk, -1, -1)  # [H_k*W_k, A, 2]
        out.append(torch.cat([centres, sizes], -1).reshape(-1, 4))  # [H_k*W_k*A, 4]
    return torch.cat(out)


# --8<-- [end:ssd_prior_boxes]


# --8<-- [start:hard_negative_mining]
def hard_negative_mining(loss: Tensor, labels: Tensor, neg_pos_ratio: int = 3) -> Tensor:
    """SSD's hard negative mining: keep the negatives with the largest loss, 3 per positive.

    Almost all of the 8732 priors are background; training on all of them would drown the
    few positives. Per image, the ``neg_pos_ratio * num_positives`` background priors with
    the highest classification loss are kept (all negatives if there are fewer; none
    when the image has no positive, as in torchvision). Equal losses: the earlier prior wins.

    Args:
        loss (Tensor[B, P]): per-prior classification loss (e.g. cross-entropy).
        labels (Tensor[B, P]): class of each prior's match, ``0`` = background.
        neg_pos_ratio: negatives kept per positive.

    Returns:
        Tensor[B, P] (bool): the negatives to train on. Train on ``labels > 0`` as well.
    """
    check_floating("loss", check_shape("loss", loss, ("B", "P")))
    check_finite("loss", loss)  # NaN has no rank
    check_shape("labels", check_integer("labels", labels), tuple(loss.shape), of="loss")
    check_same_device(("loss", "labels"), loss, labels)
    neg_pos_ratio = check_int("neg_pos_ratio", neg_pos_ratio, 0)
    positive = labels > 0  # [B, P]
    num_neg = neg_pos_ratio * positive.sum(dim=1, keepdim=True)  # [B, 1]
    ranked = loss.masked_fill(positive, -math.inf)  # positives go to the back of the queue
    order = ranked.argsort(dim=1, descending=True, stable=True)  # [B, P]
    rank = order.argsort(dim=1)  # rank[b, p]: position of prior p in the queue
    return (rank < num_neg) & ~positive


# --8<-- [end:hard_negative_mining]
