"""Measuring a generator: mode coverage on a known mixture, the Inception Score, and
interpolation between latent vectors.

Tests: ``tests/generative/test_evaluation.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import torch
from torch import Tensor

from reference.checks import (
    check_data,
    check_finite,
    check_floating,
    check_int,
    check_nonempty,
    check_range,
    check_same_device,
    check_shape,
)

# --8<-- [end:imports]

__all__ = ["inception_score", "mode_counts", "mode_coverage", "slerp"]


# --8<-- [start:mode_coverage]
def mode_counts(samples: Tensor, centres: Tensor, std: float, n_sigma: float = 3.0) -> Tensor:
    """How many samples lie within ``n_sigma * std`` of each centre.

    Args:
        samples (Tensor[N, D]): generated points.
        centres (Tensor[K, D]): the modes of the true mixture.
        std: the standard deviation of each (isotropic) mode.
        n_sigma: how many standard deviations from a centre still count.

    Returns:
        Tensor[K] of int64 counts. A sample is counted for its nearest centre only, and
        only if it is close enough: a sample between two modes counts for neither.
    """
    check_finite("samples", check_floating("samples", check_shape("samples", samples, ("N", "D"))))
    check_shape("centres", centres, ("K", samples.shape[1]), of="samples")
    check_nonempty("centres", check_finite("centres", check_floating("centres", centres)))
    check_same_device(("samples", "centres"), samples, centres)
    if centres.dtype != samples.dtype:
        raise TypeError(
            f"centres must have samples' dtype {samples.dtype}, but got {centres.dtype}"
        )
    std = check_range("std", std, 0, low_inclusive=False)
    n_sigma = check_range("n_sigma", n_sigma, 0, low_inclusive=False)
    distance, nearest = torch.cdist(samples, centres).min(dim=1)  # [N], [N]
    close = distance < n_sigma * std
    return torch.bincount(nearest[close], minlength=centres.shape[0])


def mode_coverage(
    samples: Tensor, centres: Tensor, std: float, n_sigma: float = 3.0, min_count: int = 1
) -> float:
    """The fraction of modes that received at least ``min_count`` samples (diversity).

    Args:
        samples (Tensor[N, D]): generated points.
        centres (Tensor[K, D]): the modes of the true mixture.
        std: the standard deviation of each (isotropic) mode.
        n_sigma: as in :func:`mode_counts`.
        min_count: the samples a mode needs to count as covered.

    Returns:
        The fraction, in [0, 1].
    """
    counts = mode_counts(samples, centres, std, n_sigma)
    min_count = check_int("min_count", min_count, 0)
    return (counts >= min_count).float().mean().item()


# --8<-- [end:mode_coverage]


# --8<-- [start:inception_score]
def inception_score(probs: Tensor, eps: float = 1e-12) -> Tensor:
    """``exp(E_x KL(p(y|x) || p(y)))`` from a classifier's class probabilities.

    Args:
        probs (Tensor[N, C]): row ``i`` is ``p(y | x_i)`` for generated image ``x_i``;
            rows sum to 1. ``p(y)`` is their mean over the ``N`` images.
        eps: guards ``log 0``; a zero probability contributes ``0 * log 0 = 0``.

    Returns:
        A scalar between 1 (every image gets the same distribution) and C (every image
        is classified with certainty, and the classes are used equally).
    """
    check_floating("probs", check_shape("probs", probs, ("N", "C")))
    check_finite("probs", probs)
    eps = check_range("eps", eps, 0)
    if bool((probs < 0).any()) or not torch.allclose(
        probs.sum(dim=1), probs.new_ones(()), atol=1e-4
    ):
        raise ValueError("probs must hold probabilities: non-negative rows that sum to 1")
    marginal = probs.mean(dim=0, keepdim=True)  # p(y): [1, C]
    kl = (probs * ((probs + eps).log() - (marginal + eps).log())).sum(dim=1)  # [N]
    return kl.mean().exp()


# --8<-- [end:inception_score]


# --8<-- [start:slerp]
def slerp(z0: Tensor, z1: Tensor, t: Tensor) -> Tensor:
    """Spherical interpolation between latent vectors, for each weight in ``t``.

    A Gaussian latent vector in ``d`` dimensions has length close to ``sqrt(d)``; the
    straight line between two of them passes closer to the origin, through vectors the
    generator rarely saw. Slerp follows the great circle instead, and falls back to
    linear interpolation where no great circle is defined: when the two vectors are
    (nearly) parallel or opposite, or one of them is zero.

    Args:
        z0, z1 (Tensor[d]): the end points.
        t (Tensor[T]): weights in [0, 1]; 0 gives ``z0``, 1 gives ``z1``.

    Returns:
        Tensor[T, d].
    """
    check_floating("z0", check_data("z0", check_shape("z0", z0, ("d",))))
    check_floating("z1", check_data("z1", check_shape("z1", z1, z0.shape, of="z0")))
    if z1.dtype != z0.dtype:
        raise TypeError(f"z1 must have z0's dtype {z0.dtype}, but got {z1.dtype}")
    check_floating("t", check_shape("t", t, ("T",)))
    check_same_device(("z0", "z1", "t"), z0, z1, t)
    t = t.unsqueeze(1)  # [T, 1]
    lengths = z0.norm() * z1.norm()
    if lengths == 0:  # a zero vector has no direction
        return torch.lerp(z0, z1, t)
    omega = (torch.dot(z0, z1) / lengths).clamp(-1, 1).acos()
    if torch.sin(omega) < 1e-6:  # parallel or opposite: no unique great circle
        return torch.lerp(z0, z1, t)
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


# --8<-- [end:slerp]
