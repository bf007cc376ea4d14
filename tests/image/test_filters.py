"""Filters against OpenCV (and SciPy's ndimage): exact for uint8, close for float."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import ndimage, special

from reference.image import (
    box_blur,
    correlate_loop,
    gaussian_blur,
    gaussian_blur_simple,
    gaussian_kernel,
    max_filter,
    max_filter_simple,
    median_blur,
    median_blur_simple,
    min_filter,
    min_filter_simple,
)
from reference.image.filters import fixed_point_kernel
from tests.image.conftest import SHAPES, random_image

SIGMAS = [0.0, -1.0, 0.5, 1.0, 1.7, 4.0]


def _cv(result: np.ndarray, like: np.ndarray) -> np.ndarray:
    return result.reshape(like.shape)  # OpenCV drops a trailing axis of size 1


@pytest.mark.parametrize("ksize", [1, 3, 5, 7, 9, 11, 15, 31])
@pytest.mark.parametrize("sigma", SIGMAS)
def test_gaussian_kernel_equals_opencv(ksize: int, sigma: float) -> None:
    expected = cv2.getGaussianKernel(ksize, sigma).ravel()
    np.testing.assert_allclose(gaussian_kernel(ksize, sigma), expected, rtol=1e-14, atol=1e-16)


def test_small_kernels_are_tables_not_the_sigma_formula() -> None:
    # OpenCV's documented formula for sigma <= 0 gives sigma = 1.1 for ksize 5; the
    # table it really uses is the binomial row [1, 4, 6, 4, 1] / 16.
    np.testing.assert_array_equal(gaussian_kernel(5) * 16, [1, 4, 6, 4, 1])
    assert not np.allclose(gaussian_kernel(5), gaussian_kernel(5, 1.1), atol=1e-3)


def test_notes_273_kernel_is_a_pixel_integrated_sigma_1_gaussian() -> None:
    notes = np.array(
        [
            [1, 4, 7, 4, 1],
            [4, 16, 26, 16, 4],
            [7, 26, 41, 26, 7],
            [4, 16, 26, 16, 4],
            [1, 4, 7, 4, 1],
        ]
    )
    assert notes.sum() == 273
    # the mass of a sigma = 1 Gaussian over each pixel's square, from the normal CDF
    edges = np.arange(-2.5, 3.0)
    cells = np.diff(special.ndtr(edges))
    integrated = np.outer(cells, cells) / cells.sum() ** 2
    assert np.abs(notes / 273 - integrated).max() < 0.002
    sampled = np.outer(gaussian_kernel(5, 1.0), gaussian_kernel(5, 1.0))
    assert np.abs(notes / 273 - sampled).max() > 0.01  # sampling at centres is more peaked
    opencv_default = np.outer(gaussian_kernel(5), gaussian_kernel(5))
    assert np.abs(notes / 273 - opencv_default).max() > 0.005  # no OpenCV call gives it


@pytest.mark.parametrize("ksize", [3, 5, 7, 9, 11, 15, 21, 31])
@pytest.mark.parametrize("sigma", SIGMAS)
def test_fixed_point_kernel_sums_to_256_and_is_symmetric(ksize: int, sigma: float) -> None:
    ints = fixed_point_kernel(gaussian_kernel(ksize, sigma))
    assert ints.sum() == 256
    np.testing.assert_array_equal(ints, ints[::-1])
    assert np.abs(ints - 256 * gaussian_kernel(ksize, sigma)).max() < 1


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "ksize, sigma",
    [
        (1, 0),
        (3, 0),
        (5, 0),
        (7, 0),
        (9, 0),
        (11, 0),
        (5, 1.0),
        (7, 1.5),
        (3, 0.5),
        (15, 3.0),
        (21, 0),
        (31, 5.0),
    ],
)
def test_gaussian_blur_uint8_equals_opencv_exactly(shape, ksize: int, sigma: float) -> None:
    image = random_image(shape, np.uint8, seed=ksize)
    expected = _cv(cv2.GaussianBlur(image, (ksize, ksize), sigma), image)
    np.testing.assert_array_equal(gaussian_blur(image, ksize, sigma), expected)


@pytest.mark.parametrize("dtype, atol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("ksize, sigma", [(3, 0), (5, 0), (9, 2.0), (13, 0)])
def test_gaussian_blur_float_equals_opencv(dtype, atol, shape, ksize, sigma) -> None:
    image = random_image(shape, dtype)
    result = gaussian_blur(image, ksize, sigma)
    assert result.dtype == dtype and result.shape == image.shape
    expected = _cv(cv2.GaussianBlur(image, (ksize, ksize), sigma), image)
    np.testing.assert_allclose(result, expected, atol=atol, rtol=0)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("ksize, sigma", [(1, 0), (3, 0), (5, 0), (7, 1.5), (9, 0), (15, 3.0)])
def test_gaussian_blur_simple_equals_opencv_and_the_fast_version(shape, ksize, sigma) -> None:
    image = random_image(shape, np.uint8, seed=ksize)
    simple = gaussian_blur_simple(image, ksize, sigma)
    assert simple.dtype == np.uint8 and simple.shape == image.shape
    expected = _cv(cv2.GaussianBlur(image, (ksize, ksize), sigma), image)
    np.testing.assert_array_equal(simple, expected)
    np.testing.assert_array_equal(simple, gaussian_blur(image, ksize, sigma))
    for dtype, atol in ((np.float32, 1e-5), (np.float64, 1e-12)):
        floats = random_image(shape, dtype, seed=ksize)
        simple = gaussian_blur_simple(floats, ksize, sigma)
        assert simple.dtype == dtype and simple.shape == floats.shape
        expected = _cv(cv2.GaussianBlur(floats, (ksize, ksize), sigma), floats)
        np.testing.assert_allclose(simple, expected, atol=atol, rtol=0)
        np.testing.assert_allclose(simple, gaussian_blur(floats, ksize, sigma), atol=atol, rtol=0)


def test_gaussian_blur_float_uses_scipy_mirror_border() -> None:
    image = random_image((23, 31), np.float64)
    kernel = gaussian_kernel(7, 1.3)
    expected = ndimage.correlate(image, np.outer(kernel, kernel), mode="mirror")
    np.testing.assert_allclose(gaussian_blur(image, 7, 1.3), expected, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("ksize", [1, 3, 5, 7, 15])
def test_box_blur_equals_opencv(shape, ksize: int) -> None:
    image = random_image(shape, np.uint8, seed=ksize)
    np.testing.assert_array_equal(
        box_blur(image, ksize), _cv(cv2.blur(image, (ksize, ksize)), image)
    )
    floats = random_image(shape, np.float64, seed=ksize)
    expected = _cv(cv2.blur(floats, (ksize, ksize)), floats)
    np.testing.assert_allclose(box_blur(floats, ksize), expected, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("ksize", [1, 3, 5, 7, 9])
def test_median_blur_uint8_equals_opencv_exactly(shape, ksize: int) -> None:
    if len(shape) == 3 and shape[2] == 4 and ksize > 5:
        shape = (*shape[:2], 3)  # OpenCV's medianBlur takes 1, 3 or 4 channels only for k <= 5
    image = random_image(shape, np.uint8, seed=ksize)
    np.testing.assert_array_equal(
        median_blur(image, ksize), _cv(cv2.medianBlur(image, ksize), image)
    )


@pytest.mark.parametrize("shape", [s for s in SHAPES if len(s) == 2 or s[2] in (1, 3, 4)])
@pytest.mark.parametrize("ksize", [3, 5])
def test_median_blur_float32_equals_opencv(shape, ksize: int) -> None:
    image = random_image(shape, np.float32, seed=ksize)
    np.testing.assert_array_equal(
        median_blur(image, ksize), _cv(cv2.medianBlur(image, ksize), image)
    )


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("ksize", [1, 3, 5, 7])
def test_median_blur_simple_equals_opencv_and_the_fast_version(shape, ksize: int) -> None:
    if len(shape) == 3 and shape[2] == 4 and ksize > 5:
        shape = (*shape[:2], 3)  # OpenCV's medianBlur takes 1, 3 or 4 channels only for k <= 5
    image = random_image(shape, np.uint8, seed=ksize)
    simple = median_blur_simple(image, ksize)
    assert simple.dtype == np.uint8 and simple.shape == image.shape
    np.testing.assert_array_equal(simple, _cv(cv2.medianBlur(image, ksize), image))
    np.testing.assert_array_equal(simple, median_blur(image, ksize))
    floats = random_image(shape, np.float32, seed=ksize)
    if ksize in (3, 5):  # OpenCV's float median has no other sizes
        np.testing.assert_array_equal(
            median_blur_simple(floats, ksize), _cv(cv2.medianBlur(floats, ksize), floats)
        )
    np.testing.assert_array_equal(median_blur_simple(floats, ksize), median_blur(floats, ksize))


@pytest.mark.parametrize("ksize", [3, 7, 11])
def test_median_blur_equals_scipy_with_nearest_border(ksize: int) -> None:
    image = random_image((29, 34, 3), np.float64)
    expected = ndimage.median_filter(image, size=(ksize, ksize, 1), mode="nearest")
    np.testing.assert_array_equal(median_blur(image, ksize), expected)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("ksize", [1, 3, 5, 9])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_max_min_filters_equal_dilate_and_erode(shape, ksize: int, dtype) -> None:
    image = random_image(shape, dtype, seed=ksize)
    square = np.ones((ksize, ksize), np.uint8)
    np.testing.assert_array_equal(max_filter(image, ksize), _cv(cv2.dilate(image, square), image))
    np.testing.assert_array_equal(min_filter(image, ksize), _cv(cv2.erode(image, square), image))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("ksize", [1, 3, 5, 9])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_simple_max_min_filters_equal_opencv_and_the_fast_versions(shape, ksize, dtype) -> None:
    image = random_image(shape, dtype, seed=ksize)
    square = np.ones((ksize, ksize), np.uint8)
    largest, smallest = max_filter_simple(image, ksize), min_filter_simple(image, ksize)
    assert largest.dtype == smallest.dtype == dtype and largest.shape == image.shape
    np.testing.assert_array_equal(largest, _cv(cv2.dilate(image, square), image))
    np.testing.assert_array_equal(smallest, _cv(cv2.erode(image, square), image))
    np.testing.assert_array_equal(largest, max_filter(image, ksize))
    np.testing.assert_array_equal(smallest, min_filter(image, ksize))


def test_max_min_filters_equal_scipy() -> None:
    image = random_image((31, 27, 3), np.float64)
    size = (5, 5, 1)
    np.testing.assert_array_equal(max_filter(image, 5), ndimage.maximum_filter(image, size))
    np.testing.assert_array_equal(min_filter(image, 5), ndimage.minimum_filter(image, size))


@pytest.mark.parametrize("name", ["astronaut", "camera", "coffee"])
def test_every_filter_equals_opencv_on_photographs(photos, name: str) -> None:
    photo = photos[name]
    np.testing.assert_array_equal(
        gaussian_blur(photo, 5), _cv(cv2.GaussianBlur(photo, (5, 5), 0), photo)
    )
    np.testing.assert_array_equal(
        gaussian_blur(photo, 9, 2.5), _cv(cv2.GaussianBlur(photo, (9, 9), 2.5), photo)
    )
    np.testing.assert_array_equal(box_blur(photo, 5), _cv(cv2.blur(photo, (5, 5)), photo))
    np.testing.assert_array_equal(median_blur(photo, 5), _cv(cv2.medianBlur(photo, 5), photo))
    np.testing.assert_array_equal(
        gaussian_blur_simple(photo, 9, 1.7), _cv(cv2.GaussianBlur(photo, (9, 9), 1.7), photo)
    )
    np.testing.assert_array_equal(
        median_blur_simple(photo, 3), _cv(cv2.medianBlur(photo, 3), photo)
    )
    square = np.ones((3, 3), np.uint8)
    np.testing.assert_array_equal(max_filter(photo, 3), _cv(cv2.dilate(photo, square), photo))
    np.testing.assert_array_equal(min_filter(photo, 3), _cv(cv2.erode(photo, square), photo))


def test_correlate_loop_equals_filter2d() -> None:
    image = random_image((13, 17), np.float64)
    kernel = np.random.default_rng(1).random((5, 5))
    expected = cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT_101)
    np.testing.assert_allclose(correlate_loop(image, kernel), expected, atol=1e-12)


shapes = st.tuples(st.integers(1, 12), st.integers(1, 12), st.sampled_from([0, 1, 3]))
ksizes = st.sampled_from([1, 3, 5, 7])


@given(shape=shapes, value=st.integers(0, 255), ksize=ksizes)
def test_a_constant_image_is_unchanged_by_every_filter(shape, value: int, ksize: int) -> None:
    h, w, c = shape
    image = np.full((h, w, c) if c else (h, w), value, dtype=np.uint8)
    filters = (gaussian_blur, gaussian_blur_simple, box_blur, median_blur, median_blur_simple)
    for f in (*filters, max_filter, min_filter, max_filter_simple, min_filter_simple):
        np.testing.assert_array_equal(f(image, ksize), image, err_msg=f.__name__)


@given(shape=shapes, seed=st.integers(0, 2**16), ksize=ksizes)
def test_max_is_at_least_median_is_at_least_min(shape, seed: int, ksize: int) -> None:
    h, w, c = shape
    image = random_image((h, w, c) if c else (h, w), np.uint8, seed)
    median = median_blur(image, ksize)
    assert np.all(max_filter(image, ksize) >= median)
    assert np.all(median >= min_filter(image, ksize))


@pytest.mark.parametrize(
    "f",
    [
        gaussian_blur,
        gaussian_blur_simple,
        box_blur,
        median_blur,
        median_blur_simple,
        max_filter,
        min_filter,
        max_filter_simple,
        min_filter_simple,
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(f) -> None:
    image = np.zeros((8, 8), np.uint8)
    with pytest.raises(ValueError, match="ksize must be a positive odd number, but got 4"):
        f(image, 4)
    with pytest.raises(ValueError, match="ksize must be a positive odd number, but got 0"):
        f(image, 0)
    with pytest.raises(ValueError, match="ksize must be a positive odd number, but got -3"):
        f(image, -3)
    with pytest.raises(TypeError, match="ksize must be an int, but got float"):
        f(image, 3.0)
    with pytest.raises(
        ValueError, match=r"image must have shape \(H, W\) or \(H, W, C\), but got \(1, 8, 8, 3\)"
    ):
        f(np.zeros((1, 8, 8, 3), np.uint8), 3)
    with pytest.raises(TypeError, match="image must be uint8, float32 or float64, but got int32"):
        f(image.astype(np.int32), 3)
    with pytest.raises(TypeError, match="image must be a numpy array, but got list"):
        f([[0, 1], [2, 3]], 3)
