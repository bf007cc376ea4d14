"""Contract failures in code that another issue owns, listed so that they are not fixed twice.

``(callable, argument, category)`` -> what goes wrong; the category may name a variant
(``dtype=int64``) or, for all variants, only the kind (``dtype``). The test requires each listed
problem to still be there: once it is fixed, the entry must go.
"""

from __future__ import annotations

ALLOWED: dict[tuple[str, str, str], str] = {
    # issue 17 owns training.cross_entropy
    **{
        ("training.cross_entropy", "input", f"dtype={d}"): "integer logits reach mean()"
        for d in ("int64", "int32", "uint8", "bool", "complex64")
    },
    ("training.cross_entropy", "input", "empty"): "the target's shape error names target only",
    ("training.cross_entropy", "input", "meta"): "no device check: mixes meta and CPU",
    ("training.cross_entropy", "target", "dtype=int32"): "accepted, torch refuses int32",
    ("training.cross_entropy", "target", "dtype=uint8"): "gather() RuntimeError",
    ("training.cross_entropy", "target", "dtype=bool"): "gather() RuntimeError",
    ("training.cross_entropy", "target", "dtype=complex64"): "min() NotImplementedError",
    ("training.cross_entropy", "target", "meta"): ".item() on a meta tensor: RuntimeError",
    # issue 17 rebuilds reference/detection/boxes.py as one IoU core: eps is not validated
    ("detection.distance_box_iou", "eps", "type"): "TypeError from Tensor + str",
    ("detection.complete_box_iou", "eps", "type"): "TypeError from Tensor + str",
    ("detection.generalized_box_iou_loss", "eps", "type"): "TypeError from Tensor + str",
    ("detection.distance_box_iou_loss", "eps", "type"): "TypeError from Tensor + str",
    ("detection.complete_box_iou_loss", "eps", "type"): "TypeError from Tensor + str",
    ("detection.complete_box_iou_loss", "eps", "negative"): "alpha uses eps: differs from tv",
    ("detection.complete_box_iou_loss", "eps", "inf"): "alpha uses eps: differs from tv",
    ("detection.complete_box_iou_loss", "eps", "-inf"): "alpha uses eps: differs from tv",
}
