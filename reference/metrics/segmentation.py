"""Semantic-segmentation IoU per class and its mean, from a confusion matrix.

Equal to torchmetrics' ``MulticlassConfusionMatrix`` and ``MulticlassJaccardIndex``
(``average="none"`` and ``"macro"``), including how absent classes are treated.
"""

from __future__ import annotations

# --8<-- [start:imports]
import torch
from torch import Tensor

from reference.checks import (
    check_data,
    check_int,
    check_integer,
    check_same_device,
    check_shape,
)

# --8<-- [end:imports]

__all__ = ["confusion_matrix", "iou_per_class", "mean_iou"]


# --8<-- [start:segmentation]
def confusion_matrix(
    preds: Tensor, target: Tensor, num_classes: int, *, ignore_index: int | None = None
) -> Tensor:
    """``M[t, p]`` = number of pixels of true class ``t`` predicted as ``p``.

    Args:
        preds (Tensor[...]): predicted class per pixel.
        target (Tensor[...]): true class per pixel, same shape.
        num_classes: K.
        ignore_index: pixels whose *target* is this value are left out.

    Returns:
        Tensor[K, K]: int64 counts, rows true classes, columns predictions.

    Differs from torchmetrics' ``confusion_matrix``: multiclass only, so ``num_classes`` is
    the third argument where torchmetrics takes ``task`` (it is the order of torchmetrics'
    ``multiclass_confusion_matrix``).
    """
    check_integer("preds", preds)
    check_shape("target", check_integer("target", target), tuple(preds.shape), of="preds")
    check_same_device(("preds", "target"), preds, target)
    check_data("preds", preds)
    check_data("target", target)
    num_classes = check_int("num_classes", num_classes, 1)
    if ignore_index is not None:
        ignore_index = check_int("ignore_index", ignore_index)
    keep = (
        target != ignore_index
        if ignore_index is not None
        else torch.ones_like(target, dtype=torch.bool)
    )
    preds, target = preds[keep], target[keep]
    values = torch.cat([preds, target])
    if values.numel() and (int(values.min()) < 0 or int(values.max()) >= num_classes):
        low, high = int(values.min()), int(values.max())
        raise ValueError(
            f"preds and target must be in [0, {num_classes}), but got values in [{low}, {high}]"
        )
    pair = target * num_classes + preds  # one id per (true, predicted) pair
    return torch.bincount(pair, minlength=num_classes**2).reshape(num_classes, num_classes)


def _iou_and_presence(matrix: Tensor, ignore_index: int | None) -> tuple[Tensor, Tensor]:
    true_positive = matrix.diagonal().double()
    union = (matrix.sum(0) + matrix.sum(1)).double() - true_positive  # predicted + actual - both
    iou = torch.where(union > 0, true_positive / union.clamp(min=1), 0.0)
    present = union > 0
    if ignore_index is not None and 0 <= ignore_index < len(iou):
        iou[ignore_index], present[ignore_index] = 0.0, False
    return iou, present


def iou_per_class(
    preds: Tensor, target: Tensor, num_classes: int, *, ignore_index: int | None = None
) -> Tensor:
    """``TP / (TP + FP + FN)`` for each class.

    A class that appears in neither ``preds`` nor ``target`` (0 / 0) gets 0 here, and is
    left out of :func:`mean_iou`, as torchmetrics does; so does the ``ignore_index`` class.

    Args:
        preds (Tensor[...]): predicted class per pixel.
        target (Tensor[...]): true class per pixel, same shape.
        num_classes: K.
        ignore_index: pixels whose target is this value are left out.

    Returns:
        Tensor[K]: float64.
    """
    matrix = confusion_matrix(preds, target, num_classes, ignore_index=ignore_index)
    return _iou_and_presence(matrix, ignore_index)[0]


def mean_iou(
    preds: Tensor, target: Tensor, num_classes: int, *, ignore_index: int | None = None
) -> Tensor:
    """Mean IoU over the classes present in ``preds`` or ``target`` (``ignore_index`` excluded).

    Equal to torchmetrics' ``multiclass_jaccard_index(average="macro")``.

    Args:
        preds (Tensor[...]): predicted class per pixel.
        target (Tensor[...]): true class per pixel, same shape.
        num_classes: K.
        ignore_index: pixels whose target is this value are left out.

    Returns:
        Tensor[]: float64; 0 when no class is present.

    Differs from torchmetrics' ``segmentation.mean_iou``: takes class indices (its
    ``input_format="index"``; torchmetrics defaults to one-hot input), requires
    ``num_classes``, and has ``ignore_index`` instead of ``include_background`` and
    ``per_class`` (see :func:`iou_per_class`).
    """
    matrix = confusion_matrix(preds, target, num_classes, ignore_index=ignore_index)
    iou, present = _iou_and_presence(matrix, ignore_index)
    return iou[present].mean() if bool(present.any()) else iou.new_zeros(())


# --8<-- [end:segmentation]
