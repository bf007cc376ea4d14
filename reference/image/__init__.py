"""Image processing on numpy arrays, equal to OpenCV: filters, noise, pyramids, essentials."""

from reference.image.essentials import (
    equalize_hist,
    gradient_magnitude,
    laplacian,
    sobel,
    sobel_kernels,
    to_gray,
    to_rgb,
)
from reference.image.filters import (
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
from reference.image.intensity import gamma_correct, gaussian_noise, salt_pepper_noise
from reference.image.pyramids import (
    blend,
    gaussian_pyramid,
    laplacian_pyramid,
    pyr_down,
    pyr_up,
    reconstruct,
)

__all__ = [
    "blend",
    "box_blur",
    "correlate_loop",
    "equalize_hist",
    "gamma_correct",
    "gaussian_blur",
    "gaussian_blur_simple",
    "gaussian_kernel",
    "gaussian_noise",
    "gaussian_pyramid",
    "gradient_magnitude",
    "laplacian",
    "laplacian_pyramid",
    "max_filter",
    "max_filter_simple",
    "median_blur",
    "median_blur_simple",
    "min_filter",
    "min_filter_simple",
    "pyr_down",
    "pyr_up",
    "reconstruct",
    "salt_pepper_noise",
    "sobel",
    "sobel_kernels",
    "to_gray",
    "to_rgb",
]
