"""What a few everyday OpenCV calls compute, in NumPy.

``to_rgb`` and ``to_gray`` equal ``cv2.cvtColor`` with ``COLOR_BGR2RGB`` / ``COLOR_BGR2GRAY``
(the grey conversion exactly, in OpenCV's 15-bit fixed point, for ``uint8``);
``equalize_hist`` equals ``cv2.equalizeHist`` exactly; ``sobel`` equals
``cv2.Sobel(image, cv2.CV_64F, dx, dy, ksize=ksize)`` and ``laplacian`` equals
``cv2.Laplacian(image, cv2.CV_64F, ksize=ksize)``, both with OpenCV's default border
``BORDER_REFLECT_101``; ``gradient_magnitude`` equals ``cv2.magnitude`` of the two Sobel
derivatives. Arrays in and out, ndarray[H, W] or ndarray[H, W, C], as OpenCV's Python API.
Tests: ``tests/image/test_essentials.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import numpy as np

from reference.checks import check_int
from reference.image.filters import check_image, separable_filter

# --8<-- [end:imports]

__all__ = [
    "equalize_hist",
    "gradient_magnitude",
    "laplacian",
    "sobel",
    "sobel_kernels",
    "to_gray",
    "to_rgb",
]


# --8<-- [start:checks]
def _check_bgr(image: object) -> np.ndarray:
    image = check_image("image", image, (3,))
    if image.shape[2] != 3:
        raise ValueError(f"image must have shape (H, W, 3) in BGR order, but got {image.shape}")
    return image


# --8<-- [end:checks]


# --8<-- [start:color]
def to_rgb(image: np.ndarray) -> np.ndarray:
    """``cv2.cvtColor(image, cv2.COLOR_BGR2RGB)``: reverse the order of the three channels.

    Nothing else changes: no channel is computed from another, and applying it twice
    gives the input back. (The same call converts RGB to BGR.)

    Args:
        image (ndarray[H, W, 3]): ``uint8``, ``float32`` or ``float64``, channels B, G, R.

    Returns:
        ndarray[H, W, 3], same dtype, channels R, G, B (a contiguous copy).
    """
    image = _check_bgr(image)
    return np.ascontiguousarray(image[..., ::-1])


# OpenCV's uint8 weights: 0.114, 0.587 and 0.299 scaled by 2**15 and rounded so that they
# sum to exactly 2**15 (white stays 255).
_GRAY_WEIGHTS_Q15 = (3735, 19235, 9798)  # B, G, R


def to_gray(image: np.ndarray) -> np.ndarray:
    """``cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)``: ``Y = 0.299 R + 0.587 G + 0.114 B``.

    For ``uint8`` the sum is computed as OpenCV does, in integers with 15 fractional bits,
    rounded half up: ``Y = (3735 B + 19235 G + 9798 R + 2**14) >> 15``.

    Args:
        image (ndarray[H, W, 3]): ``uint8``, ``float32`` or ``float64``, channels B, G, R.

    Returns:
        ndarray[H, W], same dtype.
    """
    image = _check_bgr(image)
    if image.dtype == np.uint8:
        weights = np.array(_GRAY_WEIGHTS_Q15, dtype=np.int32)
        total = image.astype(np.int32) @ weights  # [H, W], at most 255 * 2**15
        return ((total + (1 << 14)) >> 15).astype(np.uint8)
    weights = np.array([0.114, 0.587, 0.299], dtype=image.dtype)
    return image @ weights


# --8<-- [end:color]


# --8<-- [start:equalize_hist]
def equalize_hist(gray: np.ndarray) -> np.ndarray:
    """``cv2.equalizeHist``: map each grey level through the normalised cumulative histogram.

    With ``h`` the histogram, ``c`` its cumulative sum, ``N`` the number of pixels and
    ``m`` the darkest level present, level ``v`` becomes
    ``round((c[v] - h[m]) * 255 / (N - h[m]))``: the darkest level present maps to 0,
    the brightest to 255, and levels in between spread out in proportion to how many
    pixels lie below them. OpenCV computes the factor ``255 / (N - h[m])`` in float32
    and rounds half to even; a constant image is returned unchanged.

    Args:
        gray (ndarray[H, W]): ``uint8``.

    Returns:
        ndarray[H, W]: ``uint8``.

    Differs from ``cv2.equalizeHist``: the image argument is called ``gray`` (OpenCV's
    ``src``), and there is no ``dst`` to write into.
    """
    gray = check_image("gray", gray, (2,), (np.uint8,))
    hist = np.bincount(gray.ravel(), minlength=256)  # [256]
    darkest = int(np.flatnonzero(hist)[0])
    n_rest = gray.size - hist[darkest]  # pixels brighter than the darkest level
    if n_rest == 0:
        return gray.copy()
    scale = np.float32(255) / np.float32(n_rest)
    lut = np.rint((np.cumsum(hist) - hist[darkest]).astype(np.float32) * scale)  # [256]
    lut[:darkest] = 0  # levels that do not occur; the value is never looked up
    return lut.astype(np.uint8)[gray]


# --8<-- [end:equalize_hist]


# --8<-- [start:sobel]
_NUMERIC = (np.uint8, np.uint16, np.int16, np.float32, np.float64)


def sobel_kernels(order: int, ksize: int) -> np.ndarray:
    """The 1-D kernel that ``cv2.Sobel`` applies along an axis for a derivative of ``order``.

    A binomial (smoothing) kernel of length ``ksize - order`` convolved ``order`` times
    with the difference ``[-1, 1]``: for ``ksize=3``, order 0 gives ``[1, 2, 1]``, order 1
    ``[-1, 0, 1]``, order 2 ``[1, -2, 1]``. ``ksize=1`` means no smoothing: order 0 is
    ``[1]`` and orders 1 and 2 use the 3-tap kernels.

    Args:
        order: the derivative's order, below ``ksize`` (0, 1 or 2 for ``ksize=1``).
        ksize: the kernel size of ``cv2.Sobel``: 1, 3, 5, ..., 31.

    Returns:
        ndarray[n]: float64 taps.
    """
    ksize = _check_sobel_ksize(ksize)
    order = check_int("order", order, 0, 2 if ksize == 1 else ksize - 1)
    length = 1 if ksize == 1 and order == 0 else max(ksize, 3)
    kernel = np.ones(1)
    for _ in range(length - order - 1):
        kernel = np.convolve(kernel, [1.0, 1.0])
    for _ in range(order):
        kernel = np.convolve(kernel, [-1.0, 1.0])
    return kernel


def _check_sobel_ksize(ksize: object) -> int:
    ksize = check_int("ksize", ksize, 1, 31)
    if ksize % 2 == 0:
        raise ValueError(f"ksize must be odd and in [1, 31], but got {ksize}")
    return ksize


def _check_sobel_orders(dx: int, dy: int, ksize: int) -> int:
    """Derivative orders below ``ksize`` (2 at most for ``ksize=1``), not both 0."""
    ksize = _check_sobel_ksize(ksize)
    limit = 3 if ksize == 1 else ksize
    for name, order in (("dx", dx), ("dy", dy)):
        if not 0 <= check_int(name, order) < limit:
            raise ValueError(
                f"{name} must be in [0, {limit - 1}] for ksize={ksize}, but got {order}"
            )
    if dx + dy == 0:
        raise ValueError("dx and dy must not both be 0, but got dx=0, dy=0")
    return ksize


def sobel(image: np.ndarray, dx: int, dy: int, ksize: int = 3) -> np.ndarray:
    """``cv2.Sobel(image, cv2.CV_64F, dx, dy, ksize=ksize)``: a smoothed image derivative.

    Separable: the derivative kernel of order ``dx`` along the columns (x) times the one
    of order ``dy`` along the rows (y); for ``dx=1, dy=0, ksize=3`` that is
    ``[1, 2, 1]^T [-1, 0, 1]``, which is positive where the image gets brighter to the
    right. Correlation, not convolution (the kernel is not flipped), as in OpenCV.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): ``uint8``, ``uint16``, ``int16``,
            ``float32`` or ``float64``; channels are filtered separately.
        dx: derivative order along x, ``>= 0``, below ``ksize`` (at most 2 for ``ksize=1``).
        dy: derivative order along y, likewise; ``dx`` and ``dy`` are not both 0.
        ksize: 1, 3, 5, ..., 31.

    Returns:
        ndarray[H, W] or ndarray[H, W, C]: the input's shape, ``float64``.

    Differs from ``cv2.Sobel``: there is no ``ddepth`` (the output is always ``CV_64F``,
    float64), so ``dx`` and ``dy`` come second and third; the image argument is ``image``
    (OpenCV's ``src``); no ``dst``, ``scale``, ``delta`` or ``borderType``.
    """
    image = check_image("image", image, (2, 3), _NUMERIC)
    ksize = _check_sobel_orders(dx, dy, ksize)
    # the derivative of order dx along x (the rows' pass), of order dy along y (the columns')
    return separable_filter(
        image.astype(np.float64),
        sobel_kernels(dx, ksize),
        (np.float64, np.float64),
        column_weights=sobel_kernels(dy, ksize),
    )


def laplacian(image: np.ndarray, *, ksize: int = 1) -> np.ndarray:
    """``cv2.Laplacian(image, cv2.CV_64F, ksize=ksize)``: ``d2/dx2 + d2/dy2``.

    The sum of two second-order Sobel derivatives. With the default ``ksize=1`` that is
    the 4-neighbour kernel ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]``; ``ksize=3`` gives
    ``[[2, 0, 2], [0, -8, 0], [2, 0, 2]]``.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): as :func:`sobel`.
        ksize: 1, 3, 5, ..., 31.

    Returns:
        ndarray[H, W] or ndarray[H, W, C]: ``float64``.

    Differs from ``cv2.Laplacian``: there is no ``ddepth`` (always float64), so ``ksize``
    is keyword-only (OpenCV's second argument is ``ddepth``: ``laplacian(img, 3)`` must not
    silently mean something else); the image argument is ``image`` (OpenCV's ``src``).
    """
    return sobel(image, 2, 0, ksize) + sobel(image, 0, 2, ksize)


def gradient_magnitude(image: np.ndarray, ksize: int = 3) -> np.ndarray:
    """``sqrt(Gx**2 + Gy**2)`` of the two first Sobel derivatives, as ``cv2.magnitude``.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): as :func:`sobel`.
        ksize: 1, 3, ..., 31.

    Returns:
        ndarray of the input's shape, ``float64``, ``>= 0``.
    """
    gx, gy = sobel(image, 1, 0, ksize), sobel(image, 0, 1, ksize)
    return np.sqrt(gx * gx + gy * gy)


# --8<-- [end:sobel]
