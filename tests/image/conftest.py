"""Images for the image tests: random arrays of awkward sizes and real photographs."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

SHAPES = [(1, 1), (2, 3), (5, 7), (37, 53), (16, 12, 3), (33, 17, 3), (9, 8, 1), (6, 11, 4)]


def random_image(shape: tuple[int, ...], dtype: type, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        return rng.integers(0, 256, shape, dtype=np.uint8)
    return rng.random(shape).astype(dtype)


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    """Real photographs, cropped to odd sizes so that no size is a power of two."""
    return {
        "astronaut": data.astronaut()[:201, :157],
        "camera": data.camera()[100:333, 50:301],
        "coffee": data.coffee()[::3, ::3],
    }
