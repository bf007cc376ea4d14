"""reference.detection.augmentation.mosaic: the boxes follow the pixels."""

from __future__ import annotations

import pytest
import torch

from reference.detection import mosaic

FILL = 255


def painted(seed: int, first_colour: int):
    """An image of non-overlapping filled rectangles, one colour each; its boxes and colours.

    Rectangles sit in separate cells of a 3 x 3 layout, so none overlaps another, and the
    background (0) and the canvas fill (255) are colours no rectangle uses.
    """
    g = torch.Generator().manual_seed(seed)
    h, w = (int(v) for v in torch.randint(40, 90, (2,), generator=g))
    image = torch.zeros(h, w, 1, dtype=torch.uint8)
    boxes, colours = [], []
    for k in range(int(torch.randint(1, 7, (1,), generator=g))):
        row, col = divmod(k, 3)
        cell_h, cell_w = h // 3, w // 3
        x1 = col * cell_w + int(torch.randint(0, cell_w // 2, (1,), generator=g))
        y1 = row * cell_h + int(torch.randint(0, cell_h // 2, (1,), generator=g))
        x2 = x1 + 1 + int(torch.randint(0, cell_w // 2, (1,), generator=g))
        y2 = y1 + 1 + int(torch.randint(0, cell_h // 2, (1,), generator=g))
        colour = first_colour + k
        image[y1:y2, x1:x2] = colour
        boxes.append([x1, y1, x2, y2])
        colours.append(colour)
    return image, torch.tensor(boxes, dtype=torch.float64), torch.tensor(colours)


def extent(image: torch.Tensor, colour: int) -> list[float] | None:
    """The bounding box of the pixels of one colour, in (x1, y1, x2, y2) pixel edges."""
    ys, xs = torch.nonzero(image[..., 0] == colour, as_tuple=True)
    if len(xs) == 0:
        return None
    return [xs.min().item(), ys.min().item(), xs.max().item() + 1, ys.max().item() + 1]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("min_size", [0.0, 3.0])
def test_boxes_follow_the_pixels(seed: int, min_size: float) -> None:
    sources = [painted(10 * seed + k, first_colour=1 + 10 * k) for k in range(4)]
    images, boxes, labels = (list(t) for t in zip(*sources, strict=True))
    out, out_boxes, out_labels = mosaic(
        images,
        boxes,
        labels,
        size=96,
        min_size=min_size,
        fill=FILL,
        generator=torch.Generator().manual_seed(seed),
    )
    assert out.shape == (96, 96, 1) and out.dtype == torch.uint8
    kept = dict(zip(out_labels.tolist(), out_boxes.tolist(), strict=True))
    for colour in torch.cat(labels).tolist():
        seen = extent(out, colour)
        if colour in kept:
            # The rectangle is a solid block: its visible pixels are exactly the output box.
            assert seen == kept[colour]
            x1, y1, x2, y2 = (int(v) for v in kept[colour])
            assert bool((out[y1:y2, x1:x2] == colour).all())
            assert x2 - x1 >= min_size and y2 - y1 >= min_size
        else:
            assert seen is None or seen[2] - seen[0] < min_size or seen[3] - seen[1] < min_size
    assert bool((out_boxes >= 0).all()) and bool((out_boxes <= 96).all())


def test_quadrants_and_fill_hand_derived() -> None:
    # size 8: the centre is drawn from [2, 6]. Four 3 x 3 images of values 1..4.
    images = [torch.full((3, 3, 1), v, dtype=torch.uint8) for v in (1, 2, 3, 4)]
    empty = [torch.zeros(0, 4)] * 4
    out, _, _ = mosaic(
        images,
        empty,
        [torch.zeros(0)] * 4,
        size=8,
        fill=9,
        generator=torch.Generator().manual_seed(0),
    )
    xc, yc = (int(v) for v in torch.randint(2, 7, (2,), generator=torch.Generator().manual_seed(0)))
    want = torch.full((8, 8), 9, dtype=torch.uint8)
    want[max(yc - 3, 0) : yc, max(xc - 3, 0) : xc] = 1
    want[max(yc - 3, 0) : yc, xc : xc + 3] = 2
    want[yc : yc + 3, max(xc - 3, 0) : xc] = 3
    want[yc : yc + 3, xc : xc + 3] = 4
    assert torch.equal(out[..., 0], want)


@pytest.mark.parametrize("seed", range(8))
def test_clipping_hand_derived(seed: int) -> None:
    # Four 100 x 100 images on a 100 x 100 canvas, centre (xc, yc) in [25, 75]. Image k is
    # shifted by (xc - 100 or xc, yc - 100 or yc); a box keeps the part inside the canvas.
    xc, yc = (
        int(v) for v in torch.randint(25, 76, (2,), generator=torch.Generator().manual_seed(seed))
    )
    images = [torch.zeros(100, 100, 3) for _ in range(4)]
    boxes = [torch.tensor([[40.0, 40.0, 90.0, 90.0]])] + [
        torch.tensor([[0.0, 0.0, 95.0, 30.0]])
    ] * 3
    labels = [torch.tensor([k]) for k in range(4)]
    _, got, got_labels = mosaic(
        images, boxes, labels, 100, min_size=1, generator=torch.Generator().manual_seed(seed)
    )
    by_label = dict(zip(got_labels.tolist(), got.tolist(), strict=True))
    assert by_label[0] == [max(xc - 60, 0), max(yc - 60, 0), xc - 10, yc - 10]
    # Image 1 shows only its rows from 100 - yc on: the box (rows 0..30) survives only if yc > 70.
    assert (1 in by_label) == (yc > 70)
    assert by_label[2] == [max(xc - 100, 0), yc, xc - 5, min(yc + 30, 100)]
    assert by_label[3] == [xc, yc, min(xc + 95, 100), min(yc + 30, 100)]


def test_seed_determines_the_result() -> None:
    sources = [painted(k, first_colour=1 + 10 * k) for k in range(4)]
    images, boxes, labels = (list(t) for t in zip(*sources, strict=True))
    runs = [
        mosaic(images, boxes, labels, 64, generator=torch.Generator().manual_seed(s))
        for s in (1, 1, 2)
    ]
    assert all(torch.equal(a, b) for a, b in zip(runs[0], runs[1], strict=True))
    assert not torch.equal(runs[0][0], runs[2][0])


def test_rejects_bad_input() -> None:
    image = torch.zeros(10, 10, 3)
    box = torch.tensor([[0.0, 0.0, 5.0, 5.0]])
    label = torch.tensor([0])
    with pytest.raises(ValueError, match="images must hold 4 items"):
        mosaic([image] * 3, [box] * 3, [label] * 3, 20)
    with pytest.raises(ValueError, match="images must share channels"):
        mosaic([image] * 3 + [torch.zeros(10, 10, 1)], [box] * 4, [label] * 4, 20)
    with pytest.raises(ValueError, match=r"images\[0\] must have shape \(H, W, C\)"):
        mosaic([torch.zeros(10, 10)] * 4, [box] * 4, [label] * 4, 20)
    with pytest.raises(ValueError, match=r"labels\[2\] must have shape \(1,\)"):
        mosaic([image] * 4, [box] * 4, [label, label, torch.tensor([0, 1]), label], 20)
    with pytest.raises(ValueError, match=r"boxes\[1\] must satisfy x1 <= x2"):
        mosaic([image] * 4, [box, box.flip(1), box, box], [label] * 4, 20)
    with pytest.raises(ValueError, match="size must be in"):
        mosaic([image] * 4, [box] * 4, [label] * 4, 1)
