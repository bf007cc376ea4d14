"""Vector norms, and the information-theory trio: information content, entropy, cross-entropy.

``vector_norm`` equals ``torch.linalg.vector_norm``. ``entropy`` equals
``scipy.stats.entropy`` (same arguments: it normalises ``pk``, gives the KL divergence when
``qk`` is passed, works along ``axis=0`` by default) on tensors; ``cross_entropy_between``
works on probability distributions (not logits) along ``dim`` and equals ``F.cross_entropy``
fed with log-probabilities and probability targets. Nats by default, bits with ``base=2``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math

import torch
from torch import Tensor

from reference.checks import (
    as_floating,
    check_bounds,
    check_dim,
    check_distribution,
    check_finite,
    check_floating,
    check_range,
    check_same_device,
)

# --8<-- [end:imports]

__all__ = ["cross_entropy_between", "entropy", "information_content", "vector_norm"]


# --8<-- [start:checks]
def _check_norm(x: Tensor, ord: object, dim: object) -> tuple[float, tuple[int, ...]]:
    """``x`` a floating tensor, ``ord`` positive (``math.inf`` allowed) and ``dim`` its
    dimensions (``None``: all); returns ``ord`` as a float and the dimensions as a tuple."""
    check_floating("x", x)
    ord = check_range("ord", ord, 0.0, low_inclusive=False, allow_inf=True)
    dims = tuple(range(x.dim())) if dim is None else check_dim("dim", dim, x.dim(), of="x")
    return ord, dims


def _check_base(base: object) -> float:
    """A logarithm's base: a real number above 1."""
    return check_range("base", base, 1.0, low_inclusive=False)


def _check_probabilities(p: Tensor, base: object) -> float:
    """``p`` a floating tensor of probabilities in [0, 1]; returns the checked ``base``."""
    check_bounds("p", check_floating("p", p), 0.0, 1.0)
    return _check_base(base)


def _normalised(name: str, x: Tensor, axis: int) -> Tensor:
    """Finite non-negative weights with a positive sum along ``axis``, divided by that sum.

    Integer counts are promoted to the default float dtype, as scipy computes in floats.
    """
    x = check_finite(name, as_floating(name, x))
    if bool((x < 0).any()):
        raise ValueError(f"{name} must hold probabilities >= 0, but got {x.min().item()}")
    total = x.sum(dim=axis, keepdim=True)
    if not bool((total > 0).all()):
        raise ValueError(f"{name} must have a positive sum along axis {axis}, but a sum is 0")
    return x / total


def _check_entropy(
    pk: Tensor, qk: Tensor | None, base: object, axis: object
) -> tuple[Tensor, Tensor | None, float | None, int]:
    """``pk`` (and ``qk``: same shape, same device) normalised along ``axis``; ``base > 1``
    or ``None``. Returns ``p``, ``q``, the base and ``axis`` as a non-negative index."""
    (axis,) = check_dim("axis", axis, as_floating("pk", pk).dim(), of="pk")
    p = _normalised("pk", pk, axis)
    if base is not None:
        base = _check_base(base)
    if qk is None:
        return p, None, base, axis
    q = _normalised("qk", qk, axis)
    if q.shape != p.shape:
        raise ValueError(f"qk must have pk's shape {tuple(p.shape)}, but got {tuple(q.shape)}")
    check_same_device(("pk", "qk"), p, q)
    return p, q, base, axis


def _check_distributions(p: Tensor, q: Tensor, dim: int, base: object) -> float:
    """``p`` and ``q`` floating, of one shape and device, each a distribution along ``dim``;
    returns the checked ``base``."""
    check_floating("p", p)
    check_floating("q", q)
    if p.shape != q.shape:
        raise ValueError(
            f"p and q must have the same shape, but got {tuple(p.shape)} and {tuple(q.shape)}"
        )
    check_same_device(("p", "q"), p, q)
    check_distribution("p", p, dim)
    check_distribution("q", q, dim)
    return _check_base(base)


# --8<-- [end:checks]


# --8<-- [start:vector_norm]
def vector_norm(x: Tensor, ord: float = 2.0, dim: int | tuple[int, ...] | None = None) -> Tensor:
    """The p-norm ``(sum |x_i|^p)^(1/p)``, with ``ord = inf`` the largest ``|x_i|``.

    Args:
        x (Tensor[...]): a floating tensor.
        ord: ``p > 0``, or ``math.inf``. ``ord = 1`` sums absolute values (L1), ``ord = 2``
            is the Euclidean length (L2). Values below 1 are allowed but give no norm (the
            triangle inequality fails); they draw the star-shaped "balls" on this page.
        dim: the dimensions to reduce; ``None`` reduces all of them.

    Returns:
        Tensor: the norms, with ``dim`` removed.
    """
    ord, dims = _check_norm(x, ord, dim)
    magnitude = x.abs()
    if ord == math.inf:
        if any(x.shape[d] == 0 for d in dims if d < x.dim()):
            raise ValueError(f"x must not be empty along dim for ord=inf, but got {tuple(x.shape)}")
        return magnitude.amax(dim=dims)
    # Dividing by the largest entry first keeps |x|^p from overflowing or underflowing. The
    # norm is homogeneous, so the scale is a constant for autograd: detach() is exact.
    scale = magnitude.amax(dim=dims, keepdim=True).detach() if x.numel() else magnitude.sum()
    scale = torch.where((scale > 0) & (scale < math.inf), scale, torch.ones_like(scale))
    ratio = magnitude / scale
    # 0^p has an infinite slope for p < 1, and so has total^(1/p) at a zero total: both are
    # taken at 1 on the branch that where() discards, so that the gradient at a zero entry
    # or at the zero vector is 0 (torch's choice), not 0 * inf = NaN. NaN still propagates.
    powered = torch.where(ratio == 0, 0.0, torch.where(ratio == 0, 1.0, ratio).pow(ord))
    total = powered.sum(dim=dims, keepdim=True)
    root = torch.where(total == 0, 0.0, torch.where(total == 0, 1.0, total).pow(1 / ord))
    return (scale * root).sum(dim=dims)  # a sum over size-1 dimensions drops them


# --8<-- [end:vector_norm]


# --8<-- [start:entropy]
def information_content(p: Tensor, base: float = math.e) -> Tensor:
    """``-log p``: how surprising an event of probability ``p`` is (0 for a sure event).

    Args:
        p (Tensor[...]): probabilities.
        base: the logarithm's base (2 for bits).

    Returns:
        Tensor[...]: same shape.
    """
    base = _check_probabilities(p, base)
    return -torch.log(p) / math.log(base)


def entropy(
    pk: Tensor, qk: Tensor | None = None, base: float | None = None, axis: int = 0
) -> Tensor:
    """Entropy ``H(p) = -sum p_i log p_i``, or ``D(p || q) = sum p_i log(p_i / q_i)`` given ``qk``.

    As ``scipy.stats.entropy``: ``pk`` (and ``qk``) are normalised to sum to 1 along
    ``axis``, so counts work as well as probabilities. Terms with ``p_i = 0`` contribute 0
    (the limit of ``p log p``), not NaN; ``q_i = 0 < p_i`` makes the divergence infinite.

    Args:
        pk (Tensor[...]): non-negative weights of the outcomes along ``axis``.
        qk (Tensor[...], optional): a second distribution, same shape: return the relative
            entropy (KL divergence) of ``pk`` from ``qk``.
        base: the logarithm's base (2 for bits); ``None`` is ``e`` (nats).
        axis: the dimension that holds the outcomes (scipy's default 0, not -1).

    Returns:
        Tensor[...]: ``pk``'s shape without ``axis``.

    Example:
        >>> import torch
        >>> entropy(torch.tensor([1.0, 1.0]), base=2)
        tensor(1.)

    Differs from ``scipy.stats.entropy``: takes and returns tensors, and refuses negative
    weights, non-finite weights or an all-zero distribution (``ValueError``) where scipy
    returns NaN or -inf.
    """
    p, q, base, axis = _check_entropy(pk, qk, base, axis)  # both normalised to sum to 1
    tiny = torch.finfo(p.dtype).tiny
    if q is None:
        terms = torch.where(p > 0, p * torch.log(p.clamp(min=tiny)), 0.0)  # p log p
        total = -terms.sum(dim=axis)
    else:
        ratio = p.clamp(min=tiny) / q  # inf where q = 0 < p: the divergence is infinite
        total = torch.where(p > 0, p * torch.log(ratio), 0.0).sum(dim=axis)
    return total if base is None else total / math.log(base)


def cross_entropy_between(p: Tensor, q: Tensor, dim: int = -1, base: float = math.e) -> Tensor:
    """``H(p, q) = -sum p_i log q_i``: average surprise when ``p``'s events are coded with ``q``.

    ``H(p, q) >= H(p)``, with equality only for ``q = p``; the gap is the KL divergence.
    An event that ``p`` allows but ``q`` rules out (``q_i = 0 < p_i``) makes it infinite.

    Args:
        p (Tensor[...]): the true distribution along ``dim``.
        q (Tensor[...]): the coding distribution, same shape.
        dim: the dimension that holds the outcomes.
        base: the logarithm's base (2 for bits).

    Returns:
        Tensor[...]: ``p``'s shape without ``dim``.
    """
    base = _check_distributions(p, q, dim, base)
    # log q only where p > 0: elsewhere log(1), so that a class with p = q = 0 passes no
    # 0 * log(0) = NaN into the gradient through the branch where() discards
    terms = torch.where(p > 0, p * torch.log(torch.where(p > 0, q, 1.0)), 0.0)
    return -terms.sum(dim=dim) / math.log(base)


# --8<-- [end:entropy]
