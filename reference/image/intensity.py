"""Gamma correction and synthetic noise: salt, pepper and Gaussian.

Tests: ``tests/image/test_intensity.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import numpy as np

from reference.checks import check_range
from reference.image.filters import check_image

# --8<-- [end:imports]

__all__ = ["gamma_correct", "gaussian_noise", "salt_pepper_noise"]


# --8<-- [start:gamma]
def _check_unit_range(image: np.ndarray) -> None:
    if image.dtype != np.uint8 and not np.all((image >= 0) & (image <= 1)):
        raise ValueError(
            f"a float image must hold values in [0, 1], but got [{image.min()}, {image.max()}]"
        )


def gamma_correct(image: np.ndarray, gamma: float) -> np.ndarray:
    """``out = in ** gamma`` on intensities scaled to [0, 1]: ``gamma < 1`` brightens the darks.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8 (0..255) or float in [0, 1].
        gamma: positive exponent.

    Returns:
        ndarray[H, W] or ndarray[H, W, C]: the input's shape and dtype; uint8 goes through
        a 256-entry lookup table.
    """
    check_image("image", image)
    gamma = check_range("gamma", gamma, 0, low_inclusive=False)
    _check_unit_range(image)
    if image.dtype == np.uint8:
        levels = np.arange(256) / 255
        table = np.floor(255 * levels**gamma + 0.5).astype(np.uint8)
        return table[image]  # one table lookup per pixel instead of a power
    return image**gamma


# --8<-- [end:gamma]


# --8<-- [start:noise]
def _generator(generator: np.random.Generator | None) -> np.random.Generator:
    if generator is None:
        return np.random.default_rng()  # fresh entropy: numpy's global state is never touched
    if not isinstance(generator, np.random.Generator):
        raise TypeError(
            f"generator must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"but got {type(generator).__name__}"
        )
    return generator


def _check_fraction(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number in [0, 1], but got {value!r}")


def salt_pepper_noise(
    image: np.ndarray,
    amount: float,
    salt_vs_pepper: float = 0.5,
    *,
    generator: np.random.Generator | None = None,
) -> np.ndarray:
    """Set a random ``amount`` of the pixels to white (salt) or black (pepper).

    A pixel is hit in all its channels at once, as a dead or stuck sensor cell would be.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8, or float in [0, 1].
        amount: probability that a pixel is replaced.
        salt_vs_pepper: probability that a replaced pixel becomes white rather than black.
        generator: the random source, a ``numpy.random.Generator`` as the image is an array
            (``None``: fresh entropy).

    Returns:
        a noisy copy of the same shape and dtype.
    """
    check_image("image", image)
    _check_fraction("amount", amount)
    _check_fraction("salt_vs_pepper", salt_vs_pepper)
    rng = _generator(generator)
    hit = rng.random(image.shape[:2]) < amount
    salt = rng.random(image.shape[:2]) < salt_vs_pepper
    out = image.copy()
    out[hit & salt] = 255 if image.dtype == np.uint8 else 1
    out[hit & ~salt] = 0
    return out


def gaussian_noise(
    image: np.ndarray, sigma: float, *, generator: np.random.Generator | None = None
) -> np.ndarray:
    """Add independent ``N(0, sigma^2)`` noise to every value, then clip to the valid range.

    Args:
        image (ndarray[H, W] or ndarray[H, W, C]): uint8, or float in [0, 1].
        sigma: standard deviation in the image's units (grey levels for uint8).
        generator: the random source, a ``numpy.random.Generator`` (``None``: fresh entropy).

    Returns:
        a noisy copy of the same shape and dtype; uint8 is rounded to the nearest level.
    """
    check_image("image", image)
    sigma = check_range("sigma", sigma, 0)
    noisy = image + _generator(generator).normal(0.0, sigma, image.shape)
    if image.dtype == np.uint8:
        return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
    return np.clip(noisy, 0, 1).astype(image.dtype)


# --8<-- [end:noise]
