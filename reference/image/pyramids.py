"""Gaussian and Laplacian pyramids, exact reconstruction, and pyramid blending.

``pyr_down`` and ``pyr_up`` equal ``cv2.pyrDown`` / ``cv2.pyrUp`` (exactly for uint8:
OpenCV rounds its fixed-point sums half up, and so do these). Laplacian pyramids are
kept in float64, where ``reconstruct`` undoes ``laplacian_pyramid`` to rounding error.
Tests: ``tests/image/test_pyramids.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import itertools

import numpy as np

from reference.image.filters import check_image, separable_filter

# --8<-- [end:imports]

__all__ = ["blend", "gaussian_pyramid", "laplacian_pyramid", "pyr_down", "pyr_up", "reconstruct"]

# --8<-- [start:pyr_down]
_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0])  # sums to 16; squared, to 256


def pyr_down(image: np.ndarray) -> np.ndarray:
    """``cv2.pyrDown``: blur by ``outer(b, b) / 256``, ``b = [1, 4, 6, 4, 1]``, keep even rows/cols.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8 or float.

    Returns:
        ndarray[(H + 1) // 2, (W + 1) // 2] (and C): the same dtype.

    Differs from ``cv2.pyrDown``: the image argument is ``image`` (OpenCV's ``src``); the
    output size is always OpenCV's default (no ``dstsize``, ``dst`` or ``borderType``).
    """
    check_image("image", image)
    if image.dtype != np.uint8:
        return separable_filter(image, _BINOMIAL / 16, (image.dtype.type,) * 2, step=2)
    else:

        def round_half_up(sums: np.ndarray) -> np.ndarray:
            sums += 128
            sums >>= 8
            return sums

    return separable_filter(image, _BINOMIAL, (np.uint16, np.uint32), round_half_up, step=2)


# --8<-- [end:pyr_down]


# --8<-- [start:pyr_checks]
def _check_dstsize(dstsize: tuple[int, int] | None, h: int, w: int) -> tuple[int, int]:
    """``(width, height)`` of ``pyr_up``'s output: twice the input's, or one off when odd."""
    if dstsize is not None and (not isinstance(dstsize, tuple | list) or len(dstsize) != 2):
        raise TypeError(f"dstsize must be a pair (width, height), but got {dstsize!r}")
    width, height = (2 * w, 2 * h) if dstsize is None else dstsize
    for name, got, source in (("width", width, w), ("height", height, h)):
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
            raise TypeError(f"dstsize {name} must be an int, but got {type(got).__name__}")
        if abs(got - 2 * source) > got % 2:
            raise ValueError(
                f"dstsize {name} must be {2 * source} (or {2 * source - 1} or "
                f"{2 * source + 1}) for an input of {name} {source}, but got {got}"
            )
    return int(width), int(height)


def _check_levels(levels: object) -> int:
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 0:
        raise ValueError(f"levels must be a non-negative int, but got {levels!r}")
    return int(levels)


def _check_blend(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Images of one shape and dtype, a mask of weights in [0, 1]: the mask in float64."""
    check_image("a", a)
    check_image("b", b)
    if a.shape != b.shape or a.dtype != b.dtype:
        raise ValueError(
            f"a and b must have the same shape and dtype, but got {a.shape} {a.dtype} "
            f"and {b.shape} {b.dtype}"
        )
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"mask must be a numpy array, but got {type(mask).__name__}")
    if not (np.issubdtype(mask.dtype, np.floating) or mask.dtype == np.bool_):
        raise TypeError(f"mask must hold float or bool weights, but got {mask.dtype}")
    weights = mask.astype(np.float64)
    if weights.shape != a.shape[:2]:
        raise ValueError(f"mask must have shape {a.shape[:2]}, but got {weights.shape}")
    if not np.all((weights >= 0) & (weights <= 1)):
        raise ValueError("mask must hold weights in [0, 1]")
    return weights


def _check_pyramid(pyramid: list[np.ndarray]) -> list[np.ndarray]:
    """The levels of a Laplacian pyramid, each about twice the size of the next."""
    if not isinstance(pyramid, (list, tuple)) or not pyramid:
        raise ValueError("pyramid must be a non-empty list of arrays from laplacian_pyramid")
    levels = [check_image(f"pyramid[{i}]", level) for i, level in enumerate(pyramid)]
    for i, (fine, coarse) in enumerate(itertools.pairwise(levels)):
        if (
            fine.shape[2:] != coarse.shape[2:]
            or not 0 <= 2 * coarse.shape[0] - fine.shape[0] <= 1
            or not 0 <= 2 * coarse.shape[1] - fine.shape[1] <= 1
        ):
            raise ValueError(
                f"pyramid[{i}] must be about twice the size of pyramid[{i + 1}] "
                f"{coarse.shape}, as laplacian_pyramid makes them, but got {fine.shape}"
            )
    return levels


# --8<-- [end:pyr_checks]


# --8<-- [start:pyr_up]
def pyr_up(image: np.ndarray, *, dstsize: tuple[int, int] | None = None) -> np.ndarray:
    """``cv2.pyrUp``: put the pixels on the even rows/cols of a zero image, blur with 4x the kernel.

    Args:
        image (ndarray[h, w] or ndarray[h, w, C]): uint8 or float.
        dstsize: ``(width, height)`` as in OpenCV; each is twice the input's (the default),
            or one less (a crop) or one more when odd. OpenCV fills an extra row with the
            last-but-one row (REFLECT_101) but an extra column with the last column.

    Returns:
        ndarray[height, width] (and C): the same dtype.

    Differs from ``cv2.pyrUp``: the image argument is ``image`` (OpenCV's ``src``), and
    ``dstsize`` is keyword-only, as OpenCV's second argument is ``dst``.
    """
    check_image("image", image)
    h, w = image.shape[:2]
    width, height = _check_dstsize(dstsize, h, w)
    zeros = np.zeros((2 * h, 2 * w, *image.shape[2:]), dtype=image.dtype)
    zeros[::2, ::2] = image
    if image.dtype != np.uint8:
        # each pass doubles the weights: the zeros leave a quarter of the kernel's mass
        up = separable_filter(zeros, _BINOMIAL / 8, (image.dtype.type,) * 2)
    else:

        def round_half_up(sums: np.ndarray) -> np.ndarray:  # S * 4 / 256 = S / 64
            sums += 32
            sums >>= 6
            return sums

        up = separable_filter(zeros, _BINOMIAL, (np.uint16, np.uint32), round_half_up)
    if height > 2 * h:
        up = np.concatenate([up, up[-2:-1]])
    if width > 2 * w:
        up = np.concatenate([up, up[:, -1:]], axis=1)
    return np.ascontiguousarray(up[:height, :width])


# --8<-- [end:pyr_up]


# --8<-- [start:pyramids]
def gaussian_pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    """The image and ``levels`` successive ``pyr_down`` halvings.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8 or float.
        levels: number of halvings, ``>= 0``.

    Returns:
        ``levels + 1`` arrays, the image first.
    """
    check_image("image", image)
    pyramid = [image]
    for _ in range(_check_levels(levels)):
        pyramid.append(pyr_down(pyramid[-1]))
    return pyramid


def laplacian_pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    """Band-pass residuals ``G[i] - pyr_up(G[i+1])`` and the coarsest Gaussian level.

    Computed in float64 whatever the input dtype: residuals are signed, and no rounding
    may be lost if ``reconstruct`` is to give the image back.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8 or float.
        levels: number of halvings, ``>= 0``.

    Returns:
        ``levels + 1`` float64 arrays; level ``i`` has the size of Gaussian level ``i``.
    """
    check_image("image", image)
    gaussians = gaussian_pyramid(image.astype(np.float64), levels)
    residuals = [
        fine - pyr_up(coarse, dstsize=(fine.shape[1], fine.shape[0]))
        for fine, coarse in itertools.pairwise(gaussians)
    ]
    return [*residuals, gaussians[-1]]


def reconstruct(pyramid: list[np.ndarray]) -> np.ndarray:
    """Undo ``laplacian_pyramid``: upsample the coarsest level and add each residual back.

    Args:
        pyramid: what :func:`laplacian_pyramid` returned.

    Returns:
        ndarray: the image, float64.
    """
    levels = _check_pyramid(pyramid)
    image = levels[-1]  # G_n = L_n
    for residual in reversed(levels[:-1]):
        height, width = residual.shape[:2]
        image = residual + pyr_up(image, dstsize=(width, height))  # G_i = L_i + up(G_i+1)
    return image


# --8<-- [end:pyramids]


# --8<-- [start:blend]
def blend(a: np.ndarray, b: np.ndarray, mask: np.ndarray, levels: int) -> np.ndarray:
    """Pyramid blending: ``a`` where ``mask`` is 1, ``b`` where it is 0, seams mixed per band.

    Each Laplacian level of the two images is mixed with the Gaussian level of the mask
    of the same size, so coarse structure is mixed over a wide region and fine detail
    over a narrow one; then the mixed pyramid is reconstructed.

    Args:
        a, b (ndarray[H, W] or ndarray[H, W, C]): images of the same shape and dtype.
        mask (ndarray[H, W]): weights of ``a``, in [0, 1] (bool is allowed).
        levels: number of halvings.

    Returns:
        array of ``a``'s shape and dtype (uint8 is rounded and clipped).
    """
    weights = gaussian_pyramid(_check_blend(a, b, mask), levels)  # mask as float64
    mixed = [
        (m[..., None] if la.ndim == 3 else m) * (la - lb) + lb  # m * la + (1 - m) * lb
        for m, la, lb in zip(
            weights, laplacian_pyramid(a, levels), laplacian_pyramid(b, levels), strict=True
        )
    ]
    out = reconstruct(mixed)
    if a.dtype == np.uint8:
        return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)
    return out.astype(a.dtype)


# --8<-- [end:blend]
