"""Pretext tasks of self-supervised learning: rotation prediction, masking, and the
InfoNCE contrastive loss.

Tests: ``tests/generative/test_self_supervised.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import torch
import torch.nn.functional as F
from torch import Tensor

from reference.checks import check_floating, check_int, check_range, check_same_device, check_shape

# --8<-- [end:imports]

__all__ = ["info_nce", "mask_patches", "rotation_pretext"]


# --8<-- [start:checks]
def _check_square_images(images: Tensor) -> None:
    check_shape("images", images, ("B", "C", "H", "W"))
    H, W = images.shape[2:]
    if H != W:
        raise ValueError(f"images must be square, but got H x W = {H} x {W}")


def _check_patches(images: Tensor, patch: int, ratio: float) -> tuple[int, float]:
    """Images Tensor[B, C, H, W] cut into whole ``patch x patch`` squares; a share in [0, 1]."""
    check_shape("images", images, ("B", "C", "H", "W"))
    patch = check_int("patch", patch, 1)
    ratio = check_range("ratio", ratio, 0, 1)
    H, W = images.shape[2:]
    if H % patch or W % patch:
        raise ValueError(f"images' H and W must be multiples of patch={patch}, but got {H} x {W}")
    return patch, ratio


def _check_pairs(query: Tensor, key: Tensor, temperature: float) -> float:
    """Two float batches of the same shape, dtype and device; a temperature > 0."""
    check_floating("query", check_shape("query", query, ("B", "d")))
    check_floating("key", check_shape("key", key, query.shape, of="query"))
    check_same_device(("query", "key"), query, key)
    if key.dtype != query.dtype:
        raise TypeError(f"key must have query's dtype {query.dtype}, but got {key.dtype}")
    return check_range("temperature", temperature, 0, low_inclusive=False)


# --8<-- [end:checks]


# --8<-- [start:rotation_pretext]
def rotation_pretext(images: Tensor) -> tuple[Tensor, Tensor]:
    """Every image turned by 0, 90, 180 and 270 degrees, labelled 0..3 (Gidaris et al., 2018).

    Predicting the rotation needs no human label, but a network can only do it if it
    knows which way up a cat, a face or a digit is: it has to learn what objects look like.

    Args:
        images (Tensor[B, C, H, W]): square images (H == W), so that every turn keeps the shape.

    Returns:
        rotated (Tensor[4B, C, H, W]), all B images at 0 degrees, then at 90, ...;
        labels (Tensor[4B]) int64, the number of quarter turns (counter-clockwise).
    """
    _check_square_images(images)
    B = images.shape[0]
    rotated = torch.cat([torch.rot90(images, k, dims=(2, 3)) for k in range(4)])  # [4B, C, H, W]
    labels = torch.arange(4, device=images.device).repeat_interleave(B)  # [4B]
    return rotated, labels


# --8<-- [end:rotation_pretext]


# --8<-- [start:mask_patches]
def mask_patches(
    images: Tensor, patch: int, ratio: float, *, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """Hide a random ``ratio`` of the ``patch x patch`` squares of each image (set them to 0).

    A masked-prediction model (MAE, BEiT) is trained to fill them in; its loss is
    computed on the hidden squares only, since copying visible pixels teaches nothing.

    Args:
        images (Tensor[B, C, H, W]): H and W divisible by ``patch``.
        patch: side of the square patches, in pixels.
        ratio: the share of patches to hide, in [0, 1].
        generator: the random source (``None``: the global generator).

    Returns:
        masked (Tensor[B, C, H, W]) and mask (Tensor[B, 1, H, W], bool, True where hidden).
        Exactly ``round(ratio * number of patches)`` patches are hidden in each image.
    """
    patch, ratio = _check_patches(images, patch, ratio)
    B, _, H, W = images.shape
    gh, gw = H // patch, W // patch
    hidden = round(ratio * gh * gw)
    # the first `hidden` entries of a random permutation of the patches, drawn where the
    # generator lives (the CPU by default) and then moved to the images
    draw_on = generator.device if generator is not None else torch.device("cpu")
    order = torch.rand(B, gh * gw, generator=generator, device=draw_on).argsort(dim=1)
    grid = torch.zeros(B, gh * gw, dtype=torch.bool, device=draw_on)  # [B, gh*gw]
    grid.scatter_(1, order[:, :hidden], True)
    cells = grid.view(B, 1, gh, gw)  # one flag per patch
    mask = cells.repeat_interleave(patch, 2).repeat_interleave(patch, 3)  # per pixel
    mask = mask.to(images.device)  # [B, 1, H, W]
    return images.masked_fill(mask, 0.0), mask


# --8<-- [end:mask_patches]


# --8<-- [start:info_nce]
def info_nce(query: Tensor, key: Tensor, temperature: float = 0.1) -> Tensor:
    """InfoNCE: each query must pick out its own key among all B keys of the batch.

    Row ``i`` of ``query`` and of ``key`` embed two views (two random augmentations) of
    the same image: a positive pair. The other ``B - 1`` keys are negatives. The loss is
    a B-way classification whose logits are cosine similarities over ``temperature``:

        L = -1/B sum_i log( exp(s_ii / t) / sum_j exp(s_ij / t) ),  s_ij = cos(q_i, k_j)

    Args:
        query (Tensor[B, d]): embeddings of the first views; they are L2-normalised here.
        key (Tensor[B, d]): embeddings of the second views, row ``i`` pairs with query ``i``.
        temperature: > 0; smaller values weight the hardest negatives more.

    Returns:
        A scalar. Its minimum tends to 0. Embeddings that cannot tell the pairs apart
        (all equal) cost exactly ``log B``; random ones cost about ``log B`` only while
        ``temperature`` is large against the spread of their similarities (in ``d``
        dimensions about ``1 / sqrt(d)``), and more at small temperatures.
    """
    temperature = _check_pairs(query, key, temperature)
    q = F.normalize(query, dim=1)
    k = F.normalize(key, dim=1)
    logits = q @ k.T / temperature  # [B, B]: s_ij / t
    log_prob = logits.diagonal() - logits.logsumexp(dim=1)  # log softmax at the positive
    return -log_prob.mean()


# --8<-- [end:info_nce]
