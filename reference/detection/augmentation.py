"""Mosaic augmentation: four training images and their boxes combined into one.

Tests: ``tests/detection/test_augmentation.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Sequence

import torch
from torch import Tensor

from reference.checks import (
    check_finite,
    check_int,
    check_nonempty,
    check_range,
    check_same_device,
    check_shape,
    check_tensor,
)
from reference.detection.boxes import _check_boxes

# --8<-- [end:imports]

__all__ = ["mosaic"]


# --8<-- [start:mosaic]
def _check_mosaic_inputs(
    images: Sequence[Tensor], boxes: Sequence[Tensor], labels: Sequence[Tensor]
) -> None:
    for name, items in (("images", images), ("boxes", boxes), ("labels", labels)):
        if not isinstance(items, list | tuple):
            raise TypeError(f"{name} must be a list of 4 tensors, but got {type(items).__name__}")
        if len(items) != 4:
            raise ValueError(f"{name} must hold 4 items, one per image, but got {len(items)}")
    for k in range(4):
        image = check_shape(f"images[{k}]", images[k], ("H", "W", "C"))
        if image.shape[2] != images[0].shape[2] or image.dtype != images[0].dtype:
            raise ValueError(
                "images must share channels and dtype, but images[0] is "
                f"{tuple(images[0].shape)} {images[0].dtype} and images[{k}] is "
                f"{tuple(image.shape)} {image.dtype}"
            )
        check_nonempty(f"images[{k}]", image)
        check_finite(
            f"boxes[{k}]", _check_boxes(f"boxes[{k}]", check_tensor(f"boxes[{k}]", boxes[k]))
        )
        check_shape(f"labels[{k}]", labels[k], (len(boxes[k]),), of=f"boxes[{k}]")
        check_same_device(
            ("images[0]", f"images[{k}]", f"boxes[{k}]", f"labels[{k}]"),
            images[0], image, boxes[k], labels[k],
        )  # fmt: skip


def mosaic(
    images: Sequence[Tensor],
    boxes: Sequence[Tensor],
    labels: Sequence[Tensor],
    size: int,
    min_size: float = 2.0,
    fill: float = 114,
    *,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Tile four images around a random centre into one ``size x size`` image.

    A centre ``(xc, yc)`` is drawn uniformly (whole pixels) from the middle half of the
    canvas. Image 0 is placed with its bottom-right corner on the centre, image 1 with its
    bottom-left, image 2 with its top-right and image 3 with its top-left corner, so each
    fills one quadrant; what overhangs the canvas is cut off, and a quadrant larger than its
    image keeps the ``fill`` value. Boxes are shifted with their image, clipped to the part
    of it that stays visible, and dropped when less than ``min_size`` pixels wide or high.

    Args:
        images: four Tensor[H_k, W_k, C], same ``C`` and dtype; sizes may differ.
        boxes: four Tensor[N_k, 4] ``(x1, y1, x2, y2)`` in the pixels of their image.
        labels: four Tensor[N_k], one label per box.
        size: side of the output image.
        min_size: smallest width and height a clipped box must keep, in pixels.
        fill: value of the canvas where no image reaches.
        generator: the random source of the centre (``None``: the global generator).

    Returns:
        (image, boxes, labels): Tensor[size, size, C], Tensor[M, 4] (float64) and
        Tensor[M]; boxes in the order image 0's, then image 1's, and so on.
    """
    _check_mosaic_inputs(images, boxes, labels)
    size = check_int("size", size, 2)
    min_size = check_range("min_size", min_size, 0)
    fill = check_range("fill", fill)
    if not images[0].is_floating_point():  # the canvas must hold the fill value exactly
        info = torch.iinfo(images[0].dtype)
        if fill != int(fill) or not info.min <= fill <= info.max:
            raise ValueError(
                f"fill must be an integer in [{info.min}, {info.max}] for {images[0].dtype} "
                f"images, but got {fill}"
            )
    device = images[0].device
    lo, hi = size // 4, size - size // 4
    # drawn on the CPU (and with the generator's device, if one is given): two integers
    draw_on = generator.device if generator is not None else torch.device("cpu")
    xc, yc = (int(v) for v in torch.randint(lo, hi + 1, (2,), generator=generator, device=draw_on))
    canvas = torch.full(
        (size, size, images[0].shape[2]), fill, dtype=images[0].dtype, device=device
    )
    kept_boxes, kept_labels = [], []
    for k, (image, box, label) in enumerate(zip(images, boxes, labels, strict=True)):
        h, w = image.shape[:2]
        # Where the image's top-left pixel lands on the canvas.
        dx = xc - w if k in (0, 2) else xc
        dy = yc - h if k in (0, 1) else yc
        x0, y0 = max(dx, 0), max(dy, 0)  # the visible part, in canvas pixels
        x1, y1 = min(dx + w, size), min(dy + h, size)
        canvas[y0:y1, x0:x1] = image[y0 - dy : y1 - dy, x0 - dx : x1 - dx]
        corners = box.new_tensor(
            [[dx, dy, dx, dy], [x0, y0, x0, y0], [x1, y1, x1, y1]], dtype=torch.float64
        )
        shifted, low, high = box.to(torch.float64) + corners[0], corners[1], corners[2]
        clipped = torch.maximum(torch.minimum(shifted, high), low)  # [N_k, 4]
        wh = clipped[:, 2:] - clipped[:, :2]
        keep = (wh > 0).all(dim=1) & (wh >= min_size).all(dim=1)
        kept_boxes.append(clipped[keep])
        kept_labels.append(label[keep])
    return canvas, torch.cat(kept_boxes), torch.cat(kept_labels)


# --8<-- [end:mosaic]
