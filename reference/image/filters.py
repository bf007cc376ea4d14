"""Smoothing and rank filters on numpy images, equal to OpenCV's.

Images are ndarray[H, W] or ndarray[H, W, C] of ``uint8``, ``float32`` or ``float64``; every
filter returns the input's shape and dtype and works on each channel separately. Borders
follow OpenCV: ``BORDER_REFLECT_101`` (``dcb|abcd|cba``) for the linear filters, a
replicated edge for the median. ``uint8`` images are filtered in integer arithmetic with
OpenCV's fixed-point kernels, so the results are equal, not merely close.
Tests: ``tests/image/test_filters.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import functools
from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from reference.checks import check_range

# --8<-- [end:imports]

__all__ = [
    "box_blur",
    "check_image",
    "check_ksize",
    "correlate_loop",
    "fixed_point_kernel",
    "gaussian_blur",
    "gaussian_blur_simple",
    "gaussian_kernel",
    "max_filter",
    "max_filter_simple",
    "median_blur",
    "median_blur_simple",
    "min_filter",
    "min_filter_simple",
    "pad",
    "separable_filter",
]

# --8<-- [start:checks]
_DTYPES = (np.uint8, np.float32, np.float64)


def check_image(
    name: str, image: object, ndims: tuple[int, ...] = (2, 3), dtypes: tuple[type, ...] = _DTYPES
) -> np.ndarray:
    """Raise unless ``image`` is a non-empty ndarray[H, W] or ndarray[H, W, C] of ``dtypes``.

    Args:
        name: the argument's name, for the message.
        image: what was passed.
        ndims: the accepted numbers of dimensions, e.g. ``(2,)`` for a grey image only.
        dtypes: the accepted dtypes.

    Returns:
        ndarray: ``image``, checked.
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, but got {type(image).__name__}")
    if image.ndim not in ndims:
        shapes = " or ".join({2: "(H, W)", 3: "(H, W, C)"}[n] for n in ndims)
        raise ValueError(f"{name} must have shape {shapes}, but got {image.shape}")
    if 0 in image.shape:
        raise ValueError(f"{name} must not be empty, but got shape {image.shape}")
    if image.dtype.type not in dtypes:
        names = [np.dtype(d).name for d in dtypes]
        allowed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        raise TypeError(f"{name} must be {allowed}, but got {image.dtype}")
    return image


def check_ksize(ksize: object) -> int:
    """Raise unless ``ksize`` is a positive odd int (a window has a centre pixel)."""
    if isinstance(ksize, bool) or not isinstance(ksize, (int, np.integer)):
        raise TypeError(f"ksize must be an int, but got {type(ksize).__name__}")
    if ksize < 1 or ksize % 2 == 0:
        raise ValueError(f"ksize must be a positive odd number, but got {ksize}")
    return int(ksize)


def _check_kernel(kernel: object) -> int:
    """Raise unless ``kernel`` is a square float array of odd side; return the side."""
    if not isinstance(kernel, np.ndarray) or not np.issubdtype(kernel.dtype, np.floating):
        raise TypeError(f"kernel must be a float array, but got {type(kernel).__name__}")
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f"kernel must have shape (k, k), but got {kernel.shape}")
    return check_ksize(kernel.shape[0])


# --8<-- [end:checks]


# --8<-- [start:pad]
def pad(image: np.ndarray, radius: int, mode: Literal["reflect", "edge"] = "reflect") -> np.ndarray:
    """Pad the two spatial axes by ``radius``; numpy's ``"reflect"`` is OpenCV's REFLECT_101."""
    widths = [(radius, radius), (radius, radius)] + [(0, 0)] * (image.ndim - 2)
    return np.pad(image, widths, mode=mode)


# --8<-- [end:pad]


# --8<-- [start:gaussian_kernel]
# With sigma <= 0 OpenCV does not sample a Gaussian for these sizes: it uses fixed tables.
_SMALL_KERNELS = {
    1: [1],
    3: [1, 2, 1],
    5: [1, 4, 6, 4, 1],
    7: [8, 28, 56, 72, 56, 28, 8],
    9: [4, 13, 30, 51, 60, 51, 30, 13, 4],
}


def gaussian_kernel(ksize: int, sigma: float = 0.0) -> np.ndarray:
    """The 1-D Gaussian weights ``cv2.getGaussianKernel(ksize, sigma)`` returns.

    Args:
        ksize: odd number of taps.
        sigma: standard deviation in pixels; ``<= 0`` derives it from ``ksize``.

    Returns:
        float64 array of shape ``(ksize,)`` that sums to 1.
    """
    ksize = check_ksize(ksize)
    sigma = check_range("sigma", sigma)  # a number; <= 0 picks the default
    if sigma <= 0 and ksize in _SMALL_KERNELS:
        table = np.array(_SMALL_KERNELS[ksize], dtype=np.float64)
        return table / table.sum()
    if sigma <= 0:
        sigma = 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8
    x = np.arange(ksize, dtype=np.float64) - (ksize - 1) / 2
    weights = np.exp(-(x**2) / (2 * sigma**2))
    return weights / weights.sum()


def fixed_point_kernel(kernel: np.ndarray) -> np.ndarray:
    """``kernel`` (symmetric, sums to 1) as integers that sum to 256, as OpenCV uses for uint8.

    Each tap is rounded from the outside in, carrying the rounding error to the next tap
    so that it does not pile up; the centre takes what is left.
    """
    scaled = kernel * 256
    half = len(kernel) // 2
    ints = np.empty(len(kernel), dtype=np.int64)
    error = 0.0
    for i in range(half):  # over taps, not pixels
        ints[i] = ints[-1 - i] = round(scaled[i] + error)
        error += scaled[i] - ints[i]
    ints[half] = 256 - 2 * ints[:half].sum()
    return ints


# --8<-- [end:gaussian_kernel]


# --8<-- [start:gaussian_blur_simple]
def gaussian_blur_simple(image: np.ndarray, ksize: int, sigma: float = 0.0) -> np.ndarray:
    """``cv2.GaussianBlur(image, (ksize, ksize), sigma)`` as the weighted sum it is.

    Each output pixel is ``sum G(dy, dx) * image[y + dy, x + dx]`` over the window,
    with ``G(dy, dx) = g(dy) g(dx)`` and ``g`` from :func:`gaussian_kernel`. The loops
    run over the ``ksize**2`` offsets, each adding a whole shifted image. For uint8
    the weights are OpenCV's integers (:func:`fixed_point_kernel`), the sum is exact
    and rounded half up, so the result equals OpenCV's bit for bit.
    :func:`gaussian_blur` is the fast version.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8, float32 or float64.
        ksize: the side of the square window, odd.
        sigma: the Gaussian's standard deviation in pixels; ``<= 0`` derives it
            from ``ksize`` as OpenCV does.

    Returns:
        ndarray[H, W] or ndarray[H, W, C]: same shape and dtype.
    """
    image = check_image("image", image)
    g = gaussian_kernel(ksize, sigma)  # [k]: exp(-d^2 / 2 sigma^2), d = -r..r
    if image.dtype == np.uint8:
        g = fixed_point_kernel(g)  # [k]: integers summing to 256, as OpenCV's
    r = ksize // 2
    H, W = image.shape[:2]
    padded = pad(image, r).astype(np.float64)  # [H + 2r, W + 2r(, C)]
    total = np.zeros(image.shape)  # [H, W(, C)]
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            weight = g[dy + r] * g[dx + r]  # G(dy, dx) = g(dy) g(dx)
            total += weight * padded[r + dy : r + dy + H, r + dx : r + dx + W]
    if image.dtype == np.uint8:  # total is an exact integer; G sums to 2^16
        return np.floor((total + 2**15) / 2**16).astype(np.uint8)  # half up
    return total.astype(image.dtype)


# --8<-- [end:gaussian_blur_simple]


# --8<-- [start:separable]
_STRIP = 1 << 18  # bytes per strip: its temporaries stay in the CPU cache


def _strips(height: int, row_bytes: int) -> list[slice]:
    """Bands of whole rows, ``_STRIP`` bytes each: the loops below run over these, not pixels.

    Image-sized temporaries would cost more in page faults than in arithmetic, so each
    filter reuses a few strip-sized buffers instead.
    """
    rows = max(1, _STRIP // row_bytes)
    return [slice(top, min(top + rows, height)) for top in range(0, height, rows)]


def _correlate(
    taps: list[np.ndarray], weights: np.ndarray, out: np.ndarray, pair: np.ndarray
) -> None:
    """``out = sum_t weights[t] * taps[t]``, the one correlation loop of the image section.

    The kernel is symmetric (smoothing) or antisymmetric (an odd derivative), as every
    kernel of OpenCV's filters here is: mirrored taps are added (or subtracted) first and
    weighted once, and zero weights cost nothing. Every step is one array operation;
    ``pair`` is scratch space of ``out``'s shape.
    """
    k = len(weights)
    np.multiply(taps[k // 2], weights[k // 2], out=out)
    for t in range(k // 2):
        w, mirror = weights[t], weights[k - 1 - t]
        if w == mirror:
            if w == 0:
                continue
            np.add(taps[t], taps[k - 1 - t], out=pair)
        elif w == -mirror:
            np.subtract(taps[t], taps[k - 1 - t], out=pair)
        else:
            raise ValueError(f"weights must be symmetric or antisymmetric, but got {weights}")
        if w != 1:
            pair *= w
        out += pair


def _centred(kernel: np.ndarray, length: int) -> np.ndarray:
    """``kernel`` (odd length) with zeros added on both sides up to ``length`` taps."""
    extra = (length - len(kernel)) // 2
    return np.pad(kernel, extra)


def separable_filter(
    image: np.ndarray,
    weights: np.ndarray,
    dtypes: tuple[type, type],
    finish: Callable[[np.ndarray], np.ndarray] | None = None,
    step: int = 1,
    *,
    column_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Correlate the columns, then the rows, REFLECT_101 border: every linear filter here.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): the image.
        weights: 1-D symmetric or antisymmetric kernel of odd length for the rows (along x),
            and for the columns too unless ``column_weights`` is given.
        dtypes: the accumulators of the column and the row pass (integers for uint8).
        finish: turns the sums into output values, in place or as a new array.
        step: keep every ``step``-th row and column (from the first), computing only those
            rows: ``step=2`` blurs and halves, as ``cv2.pyrDown`` does.
        column_weights: a different odd-length kernel for the columns (along y), as a
            Sobel derivative takes.

    Returns:
        ndarray[ceil(H / step), ceil(W / step)] (and C): ``image``'s dtype.
    """
    columns_kernel = weights if column_weights is None else column_weights
    k = max(len(weights), len(columns_kernel))
    weights, columns_kernel = _centred(weights, k), _centred(columns_kernel, k)
    H, W = image.shape[:2]
    r = k // 2
    C = image.shape[2] if image.ndim == 3 else 1
    padded = pad(image, r).reshape(H + 2 * r, -1)
    P = padded.shape[1]
    H_out = (H + step - 1) // step
    out = np.empty((H_out, (W + step - 1) // step, C), dtype=image.dtype)
    bands = _strips(H_out, P * np.dtype(dtypes[1]).itemsize * step)
    # zeros, not empty: entries that wrap around a row must hold harmless finite values
    wide = np.zeros(((bands[0].stop - 1) * step + k) * P, dtypes[0])
    columns, columns_pair = np.zeros((2, bands[0].stop * P), dtypes[0])
    tall, sums, sums_pair = np.zeros((3, bands[0].stop * P), dtypes[1])
    col_w: np.ndarray = columns_kernel.astype(dtypes[0])
    row_w: np.ndarray = weights.astype(dtypes[1])
    for band in bands:
        m = band.stop - band.start
        first, n_in = band.start * step, (m - 1) * step + k  # the padded rows this band reads
        source = wide[: n_in * P].reshape(n_in, P)
        np.copyto(source, padded[first : first + n_in])  # one cast per strip, not per tap
        column_taps = [source[t : t + (m - 1) * step + 1 : step] for t in range(k)]
        _correlate(
            column_taps,
            col_w,
            columns[: m * P].reshape(m, P),
            columns_pair[: m * P].reshape(m, P),
        )
        # Flat from here: a pixel to the right is C entries, a row down is P entries; the
        # last 2r pixels of each row wrap around into the next row and are never read.
        np.copyto(tall[: m * P], columns[: m * P])
        n = m * P - 2 * r * C  # up to the last valid output
        row_taps = [tall[t * C : t * C + n] for t in range(k)]
        _correlate(row_taps, row_w, sums[:n], sums_pair[:n])
        done = sums[:n] if finish is None else finish(sums[:n])
        rows = np.lib.stride_tricks.as_strided(
            done, (m, W, C), (P * done.itemsize, C * done.itemsize, done.itemsize)
        )
        np.copyto(out[band], rows[:, ::step], casting="unsafe")
    return out.reshape(out.shape[:2] + image.shape[2:])


# --8<-- [end:separable]


# --8<-- [start:gaussian_blur]
def gaussian_blur(image: np.ndarray, ksize: int, sigma: float = 0.0) -> np.ndarray:
    """``cv2.GaussianBlur(image, (ksize, ksize), sigma)``: same shape and dtype.

    For uint8 each pass uses the kernel as integers summing to 256, so a pixel is the
    exact integer sum ``S`` of the products, divided by ``256 * 256`` and rounded half up.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8, float32 or float64.
        ksize: the side of the square window, odd.
        sigma: the Gaussian's standard deviation along both axes; ``<= 0`` derives it from
            ``ksize`` as OpenCV does.

    Returns:
        ndarray[H, W] or ndarray[H, W, C]: same shape and dtype.

    Differs from ``cv2.GaussianBlur``: the window is square, so ``ksize`` is one int (OpenCV:
    a ``(width, height)`` pair) and one ``sigma`` serves both axes (OpenCV: ``sigmaX``, with
    an optional ``sigmaY``); the image argument is ``image`` (OpenCV's ``src``).
    """
    check_image("image", image)
    kernel = gaussian_kernel(ksize, sigma)
    if image.dtype != np.uint8:
        return separable_filter(image, kernel, (image.dtype.type,) * 2)

    def round_fixed_point(sums: np.ndarray) -> np.ndarray:
        sums += 1 << 15
        sums >>= 16
        return sums

    # A row sum is at most 255 * 256 (fits uint16); a column sum needs 24 bits.
    integers = fixed_point_kernel(kernel)
    return separable_filter(image, integers, (np.uint16, np.uint32), round_fixed_point)


# --8<-- [end:gaussian_blur]


# --8<-- [start:box_blur]
def box_blur(image: np.ndarray, ksize: int) -> np.ndarray:
    """``cv2.blur(image, (ksize, ksize))``: the mean of each window, REFLECT_101 border.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8, float32 or float64.
        ksize: the side of the square window, odd.

    Returns:
        ndarray[H, W] or ndarray[H, W, C]: same shape and dtype.
    """
    check_image("image", image)
    ksize = check_ksize(ksize)
    if image.dtype != np.uint8:
        return separable_filter(image, np.full(ksize, 1 / ksize), (image.dtype.type,) * 2)

    def round_mean(sums: np.ndarray) -> np.ndarray:
        # k*k is odd, so S / k^2 is never half-way: rounding half up is
        # floor((S + (k^2 - 1) / 2) / k^2), and float32's error is far below 1 / k^2.
        sums += ksize**2 // 2
        sums /= ksize**2
        return np.floor(sums, out=sums)

    # float32 holds the integer sums (at most 255 * k^2 < 2**24) exactly
    row_type = np.uint16 if 255 * ksize < 1 << 16 else np.float32
    return separable_filter(image, np.ones(ksize), (row_type, np.float32), round_mean)


# --8<-- [end:box_blur]


# --8<-- [start:window_view]
def _window_view(image: np.ndarray, ksize: int) -> np.ndarray:
    """Every window of ``ksize`` by ``ksize`` pixels, the edge pixel repeated at the border.

    A view, not a copy: ndarray[H, W, k, k] (or ndarray[H, W, C, k, k]).
    """
    padded = pad(image, ksize // 2, mode="edge")  # OpenCV repeats the edge
    return sliding_window_view(padded, (ksize, ksize), axis=(0, 1))


# --8<-- [end:window_view]


# --8<-- [start:median_blur_simple]
def median_blur_simple(image: np.ndarray, ksize: int) -> np.ndarray:
    """``cv2.medianBlur(image, ksize)``: sort each window, take the middle.

    Copies every window (``ksize**2`` values per pixel) and sorts them all: short and
    equal to OpenCV's output, but slow and memory-hungry. :func:`median_blur` is the
    fast version.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8, float32 or float64.
        ksize: the side of the square window, odd.

    Returns:
        ndarray[H, W] or ndarray[H, W, C]: same shape and dtype.
    """
    image = check_image("image", image)
    ksize = check_ksize(ksize)
    windows = _window_view(image, ksize)  # [H, W(, C), k, k]
    values = windows.reshape(*windows.shape[:-2], ksize * ksize)  # a copy: [..., k^2]
    return np.sort(values, axis=-1)[..., ksize * ksize // 2]  # the middle


# --8<-- [end:median_blur_simple]


# --8<-- [start:median_blur]
@functools.lru_cache(maxsize=16)
def _median_network(n: int) -> tuple[tuple[tuple[int, int, bool, bool], ...], int]:
    """Compare-exchange steps that leave the median of ``n`` values in one slot, and that slot.

    Start from Batcher's odd-even merge sort on the next power of two, with the extra
    inputs treated as +inf (the comparators they enter are moves, not work), then keep
    only the steps that the middle output depends on. Each step is ``(a, b, lo, hi)``:
    slot ``a`` gets the minimum if ``lo``, slot ``b`` the maximum if ``hi``.
    """
    size = 1 << (n - 1).bit_length()
    comparators = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        comparators.append((i + j, i + j + k))
            k //= 2
        p *= 2
    slot = list(range(size))  # which physical slot each sorting-network wire holds
    steps = []
    for a, b in comparators:
        if slot[a] >= n and slot[b] < n:  # +inf meets a value: they just swap places
            slot[a], slot[b] = slot[b], slot[a]
        elif slot[a] < n and slot[b] < n:
            steps.append((slot[a], slot[b]))
    needed = {slot[(n - 1) // 2]}
    kept = []
    for a, b in reversed(steps):
        lo, hi = a in needed, b in needed
        if lo or hi:
            kept.append((a, b, lo, hi))
            needed |= {a, b}
    return tuple(reversed(kept)), slot[(n - 1) // 2]


def _median_of_3x3(flat: np.ndarray, P: int, C: int, n: int, scratch: np.ndarray) -> np.ndarray:
    """The first ``n`` medians of the 3 x 3 windows of a flattened strip, from sorted columns.

    Sort each column of three once (it is shared by three windows); the median is then
    the median of: the largest of the three column minima, the median of the column
    medians, and the smallest of the column maxima. 18 operations instead of 40, all
    into ``scratch`` (5 rows of at least ``n + 2C`` entries).
    """
    a, b, c = (flat[i * P : i * P + n + 2 * C] for i in range(3))
    lo, mid, hi, t, u = (row[: n + 2 * C] for row in scratch)
    np.minimum(a, b, out=lo)
    np.maximum(a, b, out=mid)
    np.minimum(mid, c, out=t)
    np.maximum(mid, c, out=hi)
    np.maximum(lo, t, out=mid)
    np.minimum(lo, t, out=lo)  # each column is now sorted: lo <= mid <= hi

    def shifted(x: np.ndarray) -> list[np.ndarray]:
        return [x[j * C : j * C + n] for j in range(3)]

    largest_low, smallest_high = t[:n], u[:n]
    lows, mids, highs = shifted(lo), shifted(mid), shifted(hi)
    np.maximum(np.maximum(lows[0], lows[1], out=largest_low), lows[2], out=largest_low)
    np.minimum(np.minimum(highs[0], highs[1], out=smallest_high), highs[2], out=smallest_high)
    x, y = lo[:n], hi[:n]  # free again: median3(p, q, r) = max(min(p, q), min(max(p, q), r))
    np.minimum(mids[0], mids[1], out=x)
    np.maximum(mids[0], mids[1], out=y)
    np.maximum(x, np.minimum(y, mids[2], out=y), out=x)  # x: median of the column medians
    np.minimum(largest_low, x, out=y)
    np.maximum(largest_low, x, out=x)
    np.maximum(y, np.minimum(x, smallest_high, out=x), out=y)
    return y


def median_blur(image: np.ndarray, ksize: int) -> np.ndarray:
    """``cv2.medianBlur(image, ksize)``: the median of each window, replicated border.

    Runs a pruned sorting network on the ``ksize**2`` shifted copies of a strip of the
    image, so each compare-exchange is one ``np.minimum``/``np.maximum`` over the strip;
    3 x 3 windows take a shortcut that shares work between neighbouring windows.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8, float32 or float64.
        ksize: the side of the square window, odd.

    Returns:
        ndarray[H, W] or ndarray[H, W, C]: same shape and dtype.

    Differs from ``cv2.medianBlur``: the image argument is ``image`` (OpenCV's ``src``);
    float images work with any odd ``ksize`` (OpenCV's only with 3 and 5).
    """
    check_image("image", image)
    ksize = check_ksize(ksize)
    H, W = image.shape[:2]
    C = image.shape[2] if image.ndim == 3 else 1
    padded = pad(image, ksize // 2, mode="edge").reshape(H + ksize - 1, -1)
    P = padded.shape[1]
    out = np.empty((H, W * C), dtype=image.dtype)
    steps, median_slot = _median_network(ksize * ksize)
    bands = _strips(H, P * image.itemsize)
    stack = np.empty((ksize * ksize, bands[0].stop * P), dtype=image.dtype)
    spare_buffer = np.empty(bands[0].stop * P, dtype=image.dtype)
    for band in bands:
        # one flat array per band: a pixel right is C entries, a pixel down is P entries;
        # the last 2r entries of each row wrap around and are dropped at the end
        flat = padded[band.start : band.stop + ksize - 1].ravel()
        m = band.stop - band.start
        n = m * P - (ksize - 1) * C  # up to the last valid output
        if ksize == 3:
            medians = _median_of_3x3(flat, P, C, n, stack[:5])
        else:
            slots = list(stack[:, :n])
            for i in range(ksize):
                for j in range(ksize):  # the window's offsets, not pixels
                    np.copyto(slots[i * ksize + j], flat[i * P + j * C :][:n])
            spare = spare_buffer[:n]
            for a, b, lo, hi in steps:
                if lo and hi:
                    np.minimum(slots[a], slots[b], out=spare)
                    np.maximum(slots[a], slots[b], out=slots[b])
                    slots[a], spare = spare, slots[a]
                elif lo:
                    np.minimum(slots[a], slots[b], out=slots[a])
                else:
                    np.maximum(slots[a], slots[b], out=slots[b])
            medians = slots[median_slot]
        rows = np.lib.stride_tricks.as_strided(
            medians, (m, W * C), (P * image.itemsize, image.itemsize)
        )
        out[band] = rows
    return out.reshape(image.shape)


# --8<-- [end:median_blur]


# --8<-- [start:max_min_simple]
def max_filter_simple(image: np.ndarray, ksize: int) -> np.ndarray:
    """The largest value in each window, as its definition; equals :func:`max_filter`.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8, float32 or float64.
        ksize: the side of the window, odd.

    Returns:
        ndarray[H, W] or ndarray[H, W, C]: same shape and dtype.
    """
    image = check_image("image", image)
    return _window_view(image, check_ksize(ksize)).max(axis=(-2, -1))


def min_filter_simple(image: np.ndarray, ksize: int) -> np.ndarray:
    """The smallest value in each window, as its definition; equals :func:`min_filter`.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8, float32 or float64.
        ksize: the side of the window, odd.

    Returns:
        ndarray[H, W] or ndarray[H, W, C]: same shape and dtype.
    """
    image = check_image("image", image)
    return _window_view(image, check_ksize(ksize)).min(axis=(-2, -1))


# --8<-- [end:max_min_simple]


# --8<-- [start:max_min_filter]
def _rank_extreme(image: np.ndarray, ksize: int, op: np.ufunc) -> np.ndarray:
    # Replicating the edge equals OpenCV's -inf (dilate) / +inf (erode) padding: every
    # replicated value is also inside the window, so it can never change the extreme.
    ksize = check_ksize(ksize)
    H, W = image.shape[:2]
    channels = image.shape[2] if image.ndim == 3 else 1
    width = W * channels
    padded = pad(image, ksize // 2, mode="edge").reshape(H + ksize - 1, -1)
    out = np.empty((H, width), dtype=image.dtype)
    bands = _strips(H, width * image.itemsize)
    rows_buffer = np.empty((bands[0].stop + ksize - 1, width), dtype=image.dtype)
    for band in bands:  # separable: the extreme of a square is that of its rows' extremes
        rows = rows_buffer[: band.stop - band.start + ksize - 1]
        source = padded[band.start : band.stop + ksize - 1]
        np.copyto(rows, source[:, :width])
        for j in range(1, ksize):
            op(rows, source[:, j * channels : j * channels + width], out=rows)
        target = out[band]
        np.copyto(target, rows[: band.stop - band.start])
        for i in range(1, ksize):
            op(target, rows[i : i + band.stop - band.start], out=target)
    return out.reshape(image.shape)


def max_filter(image: np.ndarray, ksize: int) -> np.ndarray:
    """The largest value in each square window: ``cv2.dilate`` with a square kernel.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8, float32 or float64.
        ksize: the side of the window, odd.

    Returns:
        ndarray[H, W] or ndarray[H, W, C]: same shape and dtype.
    """
    return _rank_extreme(check_image("image", image), ksize, np.maximum)


def min_filter(image: np.ndarray, ksize: int) -> np.ndarray:
    """The smallest value in each square window: ``cv2.erode`` with a square kernel.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8, float32 or float64.
        ksize: the side of the window, odd.

    Returns:
        ndarray[H, W] or ndarray[H, W, C]: same shape and dtype.
    """
    return _rank_extreme(check_image("image", image), ksize, np.minimum)


# --8<-- [end:max_min_filter]


# --8<-- [start:correlate_loop]
def correlate_loop(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The loop a beginner writes: ``cv2.filter2D`` on a 2-D float image, one pixel at a time.

    Deliberately slow; it is here to be timed against :func:`gaussian_blur`.

    Args:
        image (ndarray[H, W]): floats.
        kernel (ndarray[k, k]): floats, ``k`` odd.

    Returns:
        ndarray[H, W]: float64.
    """
    check_image("image", image, (2,), (np.uint8, np.float32, np.float64))
    r = _check_kernel(kernel) // 2
    padded = pad(image.astype(np.float64), r)  # every output pixel has a full window
    out = np.empty(image.shape, dtype=np.float64)
    for y in range(image.shape[0]):
        for x in range(image.shape[1]):
            out[y, x] = np.sum(padded[y : y + 2 * r + 1, x : x + 2 * r + 1] * kernel)
    return out


# --8<-- [end:correlate_loop]
