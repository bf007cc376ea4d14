"""YOLOv3 on one output scale: target encoding, decoding and the loss.

The output of one YOLOv3 scale is a grid of H x W cells with ``A`` anchors each; every
(anchor, cell) predicts ``5 + C`` raw numbers ``(tx, ty, tw, th, objectness, classes...)``.
Here the grid is laid out as Tensor[A, H, W, 5 + C] (Tensor[B, A, H, W, 5 + C] for a batch).
Boxes are ``(x1, y1, x2, y2)`` in pixels and anchors ``(w, h)`` in pixels.
Tests: ``tests/detection/test_yolo.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import torch
import torch.nn.functional as F
from torch import Tensor

from reference.checks import (
    as_floating,
    check_bounds,
    check_finite,
    check_floating,
    check_int,
    check_integer,
    check_nonempty,
    check_range,
    check_real,
    check_same_device,
    check_shape,
    check_tensor,
)
from reference.detection.anchors import wh_iou
from reference.detection.boxes import _check_boxes, box_iou

# --8<-- [end:imports]

__all__ = ["yolo_decode", "yolo_encode", "yolo_loss"]


def _check_anchors(anchors: Tensor) -> None:
    """At least one anchor ``(w, h)``, every size positive and finite."""
    check_nonempty("anchors", check_real("anchors", check_shape("anchors", anchors, ("A", 2))))
    check_finite("anchors", anchors)
    if bool((anchors <= 0).any()):
        raise ValueError(f"anchors must have positive sizes, but got {anchors.tolist()}")


# --8<-- [start:encode]
def yolo_encode(
    boxes: Tensor,
    labels: Tensor,
    anchors: Tensor,
    grid_size: tuple[int, int],
    stride: int,
    num_classes: int,
) -> Tensor:
    """The training target of one image on one YOLOv3 scale.

    Each box is the job of one (anchor, cell): the cell that contains its centre and the
    anchor whose shape fits it best (highest :func:`wh_iou`, the IoU of the two shapes).
    That slot gets

    * ``x, y``: the centre's offset inside the cell, in ``[0, 1)``, which the network
      predicts as ``sigmoid(tx), sigmoid(ty)``;
    * ``tw, th = log(w / anchor_w), log(h / anchor_h)``, predicted directly;
    * objectness 1 and the one-hot class. Every other slot is all zeros (no object).

    Two boxes that want the same slot: the later one wins, as in Darknet.

    Args:
        boxes (Tensor[N, 4]): ``(x1, y1, x2, y2)`` in pixels, positive sizes, centres
            inside the ``W * stride`` by ``H * stride`` image.
        labels (Tensor[N]): class indices in ``[0, num_classes)``.
        anchors (Tensor[A, 2]): anchor ``(w, h)`` in pixels.
        grid_size: ``(H, W)``, cells of the output grid.
        stride: image pixels per cell.
        num_classes: ``C``.

    Returns:
        Tensor[A, H, W, 5 + C] in the dtype of ``boxes`` (integer boxes: the default float).
    """
    boxes = check_finite("boxes", as_floating("boxes", _check_boxes("boxes", boxes)))
    check_shape("labels", labels, (len(boxes),), of="boxes")
    _check_anchors(anchors)
    check_same_device(("boxes", "labels", "anchors"), boxes, labels, anchors)
    if not isinstance(grid_size, tuple | list) or len(grid_size) != 2:
        raise TypeError(f"grid_size must be a pair (H, W), but got {grid_size!r}")
    H, W = (check_int("grid_size", n, 1) for n in grid_size)
    stride = check_int("stride", stride, 1)
    num_classes = check_int("num_classes", num_classes, 1)
    check_bounds("labels", check_integer("labels", labels), 0, num_classes - 1)
    wh = boxes[:, 2:] - boxes[:, :2]  # [N, 2]
    if bool((wh <= 0).any()):
        raise ValueError(f"boxes must have positive width and height, but got {boxes.tolist()}")
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2 / stride  # [N, 2] in cells
    limit = torch.tensor([W, H], dtype=centre.dtype, device=centre.device)
    if bool(((centre < 0) | (centre >= limit)).any()):
        raise ValueError(
            f"box centres must lie inside the {W * stride} x {H * stride} image, but got "
            f"{(centre * stride).tolist()}"
        )
    target = boxes.new_zeros(len(anchors), H, W, 5 + num_classes)
    cell = centre.floor().long()  # [N, 2] as (col, row)
    best = wh_iou(wh, anchors.to(wh.dtype)).argmax(dim=1)  # [N]
    slot = torch.cat(
        [
            centre - cell,  # offsets in [0, 1)
            torch.log(wh / anchors.to(wh.dtype)[best]),
            torch.ones_like(centre[:, :1]),
            F.one_hot(labels.long(), num_classes).to(boxes.dtype),
        ],
        dim=1,
    )  # [N, 5 + C]
    # Index assignment writes in order, so a later box overwrites an earlier one.
    target[best, cell[:, 1], cell[:, 0]] = slot
    return target


# --8<-- [end:encode]


# --8<-- [start:decode]
def yolo_decode(output: Tensor, anchors: Tensor, stride: int) -> tuple[Tensor, Tensor, Tensor]:
    """Turn raw network outputs into boxes, objectness and class probabilities.

    ``x = (col + sigmoid(tx)) * stride``, ``w = anchor_w * exp(tw)`` (and the same for
    ``y, h``); objectness and classes go through independent sigmoids (YOLOv3 dropped the
    softmax so that one box may carry overlapping labels).

    Args:
        output (Tensor[..., A, H, W, 5 + C]): raw outputs.
        anchors (Tensor[A, 2]): anchor ``(w, h)`` in pixels.
        stride: image pixels per cell.

    Returns:
        (boxes, objectness, classes): Tensor[..., A, H, W, 4] as ``(x1, y1, x2, y2)``,
        Tensor[..., A, H, W] and Tensor[..., A, H, W, C], probabilities.
    """
    _check_anchors(anchors)
    check_shape("output", output, ("...", len(anchors), "H", "W", "D"), of="anchors")
    check_floating("output", output)
    check_same_device(("output", "anchors"), output, anchors)
    stride = check_int("stride", stride, 1)
    if output.shape[-1] < 6:
        raise ValueError(f"output's last dimension must be 5 + C >= 6, but got {output.shape[-1]}")
    H, W = output.shape[-3:-1]
    rows, cols = torch.meshgrid(
        torch.arange(H, dtype=output.dtype, device=output.device),
        torch.arange(W, dtype=output.dtype, device=output.device),
        indexing="ij",
    )
    grid = torch.stack([cols, rows], dim=-1)  # [H, W, 2] as (x, y)
    centre = (grid + torch.sigmoid(output[..., :2])) * stride
    size = anchors.to(output.dtype)[:, None, None, :] * torch.exp(
        output[..., 2:4]
    )  # [..., A, H, W, 2]
    boxes = torch.cat([centre - size / 2, centre + size / 2], dim=-1)
    return boxes, torch.sigmoid(output[..., 4]), torch.sigmoid(output[..., 5:])


# --8<-- [end:decode]


# --8<-- [start:loss]
def yolo_loss(
    output: Tensor,
    target: Tensor,
    anchors: Tensor,
    stride: int,
    ignore_threshold: float = 0.5,
) -> dict[str, Tensor]:
    """The YOLOv3 loss of one scale, summed over the grid and averaged over the batch.

    With ``obj`` the target's objectness (1 on the responsible slots) and
    ``scale = 2 - w h / (image area)`` (small boxes weigh up to twice as much):

    * ``xy``: ``obj * scale * BCE(sigmoid(tx), x)`` and the same for ``y``;
    * ``wh``: ``obj * scale * 0.5 * ((tw - tw*)^2 + (th - th*)^2)``;
    * ``objectness``: BCE towards 1 on responsible slots and towards 0 elsewhere, except
      that a slot whose decoded box already has IoU above ``ignore_threshold`` with some
      object of its image is left out: it is a good box, just not the responsible one;
    * ``class``: ``obj * BCE`` of every class sigmoid against the one-hot label.

    Args:
        output (Tensor[B, A, H, W, 5 + C]): raw network outputs.
        target (Tensor[B, A, H, W, 5 + C]): stacked :func:`yolo_encode` results.
        anchors (Tensor[A, 2]): anchor ``(w, h)`` in pixels.
        stride: image pixels per cell.
        ignore_threshold: IoU above which a non-responsible prediction gets no objectness loss.

    Returns:
        dict with the scalar terms ``"xy"``, ``"wh"``, ``"objectness"``, ``"class"`` and
        their sum ``"total"``.
    """
    _check_anchors(anchors)
    check_shape("output", output, ("B", len(anchors), "H", "W", "D"), of="anchors")
    check_floating("output", output)
    check_tensor("target", target)
    if target.shape != output.shape:
        raise ValueError(
            f"target must have the output's shape {tuple(output.shape)}, "
            f"but got {tuple(target.shape)}"
        )
    check_same_device(("output", "target", "anchors"), output, target, anchors)
    if check_finite("target", check_floating("target", target)).dtype != output.dtype:
        raise TypeError(f"target must have output's dtype {output.dtype}, but got {target.dtype}")
    stride = check_int("stride", stride, 1)
    ignore_threshold = check_range("ignore_threshold", ignore_threshold, 0, 1)
    B, _, H, W, _ = output.shape
    obj = target[..., 4]  # [B, A, H, W]
    size = anchors.to(target.dtype)[:, None, None, :] * torch.exp(target[..., 2:4])  # true w, h
    scale = 2 - size.prod(dim=-1) / (H * stride * W * stride)

    def bce(logits: Tensor, goal: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(logits, goal, reduction="none")

    xy = (obj * scale * bce(output[..., :2], target[..., :2]).sum(-1)).sum()
    wh = (obj * scale * 0.5 * (output[..., 2:4] - target[..., 2:4]).pow(2).sum(-1)).sum()
    with torch.no_grad():
        predicted, _, _ = yolo_decode(output, anchors, stride)
        truth, _, _ = yolo_decode(_as_raw(target), anchors, stride)
        keep = torch.ones_like(obj)  # 1 where the no-object loss applies
        for b in range(B):
            objects = truth[b][obj[b] > 0]  # [M, 4]
            if len(objects):
                best = box_iou(predicted[b].reshape(-1, 4), objects).max(dim=1).values
                keep[b] = (best <= ignore_threshold).to(obj.dtype).view_as(obj[b])
    objectness = (
        obj * bce(output[..., 4], obj) + (1 - obj) * keep * bce(output[..., 4], obj)
    ).sum()
    classes = (obj * bce(output[..., 5:], target[..., 5:]).sum(-1)).sum()
    terms = {"xy": xy / B, "wh": wh / B, "objectness": objectness / B, "class": classes / B}
    terms["total"] = terms["xy"] + terms["wh"] + terms["objectness"] + terms["class"]
    return terms


def _as_raw(target: Tensor) -> Tensor:
    """A target with its ``x, y`` offsets turned back into logits, so that it decodes."""
    raw = target.clone()
    raw[..., :2] = torch.logit(target[..., :2])  # logit(0) = -inf, and sigmoid(-inf) = 0
    return raw


# --8<-- [end:loss]
