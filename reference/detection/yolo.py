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

__all__ = ["yolo_decode", "yolo_encode", "yolo_loss", "yolov1_loss"]


# --8<-- [start:yolov3_checks]
def _check_anchors(anchors: Tensor) -> None:
    """At least one anchor ``(w, h)``, every size positive and finite."""
    check_nonempty("anchors", check_real("anchors", check_shape("anchors", anchors, ("A", 2))))
    check_finite("anchors", anchors)
    if bool((anchors <= 0).any()):
        raise ValueError(f"anchors must have positive sizes, but got {anchors.tolist()}")


def _check_encode(
    boxes: Tensor,
    labels: Tensor,
    anchors: Tensor,
    grid_size: tuple[int, int],
    stride: int,
    num_classes: int,
) -> tuple[Tensor, tuple[int, int], int, int]:
    """``yolo_encode``'s arguments; returns floating boxes, ``(H, W)``, stride, classes."""
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
    if bool((boxes[:, 2:] <= boxes[:, :2]).any()):
        raise ValueError(f"boxes must have positive width and height, but got {boxes.tolist()}")
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2 / stride  # [N, 2] in cells
    limit = torch.tensor([W, H], dtype=centre.dtype, device=centre.device)
    if bool(((centre < 0) | (centre >= limit)).any()):
        raise ValueError(
            f"box centres must lie inside the {W * stride} x {H * stride} image, but got "
            f"{(centre * stride).tolist()}"
        )
    return boxes, (H, W), stride, num_classes


def _check_decode(output: Tensor, anchors: Tensor, stride: int) -> int:
    """``yolo_decode``'s arguments: Tensor[..., A, H, W, 5 + C], C >= 1; returns the stride."""
    _check_anchors(anchors)
    check_shape("output", output, ("...", len(anchors), "H", "W", "D"), of="anchors")
    check_floating("output", output)
    check_same_device(("output", "anchors"), output, anchors)
    if output.shape[-1] < 6:
        raise ValueError(f"output's last dimension must be 5 + C >= 6, but got {output.shape[-1]}")
    return check_int("stride", stride, 1)


def _check_loss(
    output: Tensor, target: Tensor, anchors: Tensor, stride: int, ignore_threshold: float
) -> tuple[int, float]:
    """``yolo_loss``'s arguments; returns the stride and the ignore threshold."""
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
    return stride, check_range("ignore_threshold", ignore_threshold, 0, 1)


# --8<-- [end:yolov3_checks]


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
    boxes, (H, W), stride, num_classes = _check_encode(
        boxes, labels, anchors, grid_size, stride, num_classes
    )
    wh = boxes[:, 2:] - boxes[:, :2]  # [N, 2]
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2 / stride  # [N, 2] in cells
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
    stride = _check_decode(output, anchors, stride)
    H, W = output.shape[-3:-1]
    rows, cols = torch.meshgrid(
        torch.arange(H, dtype=output.dtype, device=output.device),
        torch.arange(W, dtype=output.dtype, device=output.device),
        indexing="ij",
    )
    grid = torch.stack([cols, rows], dim=-1)  # [H, W, 2] as (x, y)
    centre = (grid + torch.sigmoid(output[..., :2])) * stride
    prior = anchors.to(output.dtype)[:, None, None, :]  # [A, 1, 1, 2]
    size = prior * torch.exp(output[..., 2:4])  # [..., A, H, W, 2]
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
    stride, ignore_threshold = _check_loss(output, target, anchors, stride, ignore_threshold)
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


# --8<-- [start:yolov1_loss]
def yolov1_loss(
    output: Tensor,
    boxes: Tensor,
    labels: Tensor,
    image_size: int = 448,
    num_boxes: int = 2,
    lambda_coord: float = 5.0,
    lambda_noobj: float = 0.5,
) -> dict[str, Tensor]:
    """The YOLOv1 loss (Redmon et al., 2016) of one image: five sums of squared errors.

    The image is a grid of S by S cells; the cell holding an object's centre is responsible for
    it, and of the cell's ``num_boxes`` predictors the one whose box has the highest IoU
    with the object. Each predictor outputs ``(x, y, sqrt(w), sqrt(h), confidence)``:
    ``x, y`` the centre's offset inside the cell, ``w, h`` relative to the image.

    Args:
        output (Tensor[S, S, 5 * num_boxes + C]): the predictors of each cell, then the
            cell's ``C`` class probabilities.
        boxes (Tensor[N, 4]): ``(x1, y1, x2, y2)`` in pixels; at most one centre per cell,
            which is all YOLOv1 can represent.
        labels (Tensor[N]): class indices in ``[0, C)``.
        image_size: side of the square input image, in pixels.
        num_boxes: predictors per cell (B = 2 in the paper).
        lambda_coord: weight of the coordinate terms.
        lambda_noobj: weight of the confidence of predictors that are responsible for nothing.

    Returns:
        dict with the terms ``"xy"``, ``"wh"``, ``"object"``, ``"no_object"``, ``"class"``
        and their sum ``"total"``.
    """
    boxes, row, col, offset, sqrt_wh = _check_yolov1(
        output, boxes, labels, image_size, num_boxes, lambda_coord, lambda_noobj
    )
    S, n = output.shape[0], len(boxes)
    objects = torch.arange(n, device=output.device)  # [N]
    pred = output[..., : 5 * num_boxes].unflatten(-1, (num_boxes, 5))  # [S, S, B, 5]
    cell = pred[row, col]  # [N, B, 5]: the predictors of each object's cell
    centre = (torch.stack([col, row], dim=1)[:, None] + cell[..., :2]) * (image_size / S)
    size = cell[..., 2:4] ** 2 * image_size  # [N, B, 2] in pixels
    predicted = torch.cat([centre - size / 2, centre + size / 2], dim=-1)  # [N, B, 4]
    with torch.no_grad():
        iou = box_iou(predicted.reshape(-1, 4), boxes).view(n, num_boxes, n)
        iou = iou[objects, :, objects]  # [N, B]: with its own object
    best = iou.argmax(dim=1)  # [N] the responsible predictor
    chosen = cell[objects, best]  # [N, 5]
    responsible = torch.zeros(pred.shape[:3], dtype=torch.bool, device=output.device)
    responsible[row, col, best] = True  # [S, S, B]
    classes = F.one_hot(labels.long(), output.shape[-1] - 5 * num_boxes).to(output.dtype)
    terms = {
        "xy": lambda_coord * ((chosen[:, :2] - offset) ** 2).sum(),
        "wh": lambda_coord * ((chosen[:, 2:4] - sqrt_wh) ** 2).sum(),
        "object": ((chosen[:, 4] - iou[objects, best]) ** 2).sum(),
        "no_object": lambda_noobj * (pred[..., 4][~responsible] ** 2).sum(),
        "class": ((output[row, col, 5 * num_boxes :] - classes) ** 2).sum(),
    }
    terms["total"] = sum(terms.values(), output.new_zeros(()))
    return terms


# --8<-- [end:yolov1_loss]


# --8<-- [start:yolov1_checks]
def _check_yolov1(
    output: Tensor,
    boxes: Tensor,
    labels: Tensor,
    image_size: int,
    num_boxes: int,
    lambda_coord: float,
    lambda_noobj: float,
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Check the inputs; return the boxes in the output's dtype, each object's cell
    (row, col) and its targets (offset in the cell, square root of the relative size)."""
    num_boxes = check_int("num_boxes", num_boxes, 1)
    image_size = check_int("image_size", image_size, 1)
    check_range("lambda_coord", lambda_coord, 0.0)
    check_range("lambda_noobj", lambda_noobj, 0.0)
    S = check_shape("output", output, ("S", "S", "D")).shape[0]
    if output.shape[1] != S or output.shape[2] <= 5 * num_boxes:
        raise ValueError(
            f"output must have shape (S, S, 5 * {num_boxes} + C) with C >= 1, "
            f"but got {tuple(output.shape)}"
        )
    check_finite("output", check_floating("output", output))
    check_finite("boxes", _check_boxes("boxes", boxes))
    check_shape("labels", check_integer("labels", labels), (len(boxes),), of="boxes")
    check_same_device(("output", "boxes", "labels"), output, boxes, labels)
    num_classes = output.shape[2] - 5 * num_boxes
    check_bounds("labels", labels, 0, num_classes, high_inclusive=False)
    boxes = boxes.to(output.dtype)
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2 / (image_size / S)  # [N, 2] in cells
    if bool(((centre < 0) | (centre >= S)).any()):
        raise ValueError(f"boxes must have their centres inside the {image_size}-pixel image")
    col, row = centre.floor().long().unbind(dim=1)
    if len(torch.unique(row * S + col)) < len(boxes):
        raise ValueError(
            "boxes must have at most one centre per cell: YOLOv1 predicts one object each"
        )
    wh = (boxes[:, 2:] - boxes[:, :2]) / image_size
    return boxes, row, col, centre - centre.floor(), wh.sqrt()


# --8<-- [end:yolov1_checks]
