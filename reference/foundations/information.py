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

from reference.checks import check_range, check_tensor

# --8<-- [end:imports]

__all__ = ["cross_entropy_between", "entropy", "information_content", "vector_norm"]


# --8<-- [start:checks]
def _check_norm(x: Tensor, ord: float) -> None:
    """``x`` must be a tensor and ``ord`` positive (``math.inf`` allowed)."""
    check_tensor("x", x)
    check_range("ord", ord, 0.0, low_inclusive=False)


def _check_base(base: float) -> None:
    check_range("base", base, 1.0, low_inclusive=False)


def _check_probabilities(p: Tensor, base: float) -> None:
    """``p`` must be a tensor and the logarithm's ``base`` above 1."""
    check_tensor("p", p)
    _check_base(base)


def _normalised(name: str, x: Tensor, axis: int) -> Tensor:
    """Non-negative weights with a positive sum along ``axis``, divided by that sum."""
    check_tensor(name, x)
    if bool((x < 0).any()):
        raise ValueError(f"{name} must hold probabilities >= 0, but got {x.min().item()}")
    total = x.sum(dim=axis, keepdim=True)
    if not bool((total > 0).all()):
        raise ValueError(f"{name} must have a positive sum along axis {axis}, but a sum is 0")
    return x / total


def _check_entropy(
    pk: Tensor, qk: Tensor | None, base: float | None, axis: int
) -> tuple[Tensor, Tensor | None]:
    """``pk`` (and ``qk``, same shape) as distributions along ``axis``; ``base > 1``."""
    if base is not None:
        _check_base(base)
    if qk is not None and qk.shape != pk.shape:
        raise ValueError(f"qk must have pk's shape {tuple(pk.shape)}, but got {tuple(qk.shape)}")
    return _normalised("pk", pk, axis), None if qk is None else _normalised("qk", qk, axis)


def _check_distributions(p: Tensor, q: Tensor, dim: int, base: float) -> None:
    """``p`` and ``q`` of one shape, each summing to 1 along ``dim``; ``base > 1``."""
    for name, x in (("p", p), ("q", q)):
        check_tensor(name, x)
        if bool((x < 0).any()):
            raise ValueError(f"{name} must hold probabilities >= 0, but got {x.min().item()}")
        sums = x.sum(dim=dim)
        if not torch.allclose(sums, torch.ones_like(sums), atol=1e-6):
            raise ValueError(
                f"{name} must sum to 1 along dim {dim}, but a sum is {sums.flatten()[0].item()}"
            )
    if p.shape != q.shape:
        raise ValueError(
            f"p and q must have the same shape, but got {tuple(p.shape)} and {tuple(q.shape)}"
        )
    _check_base(base)


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
    _check_norm(x, ord)
    magnitude = x.abs()
    if ord == math.inf:
        return magnitude.amax(dim=dim) if dim is not None else magnitude.max()
    # Dividing by the largest entry first keeps |x|^p from overflowing or underflowing.
    scale = magnitude.amax(dim=dim, keepdim=True) if dim is not None else magnitude.max()
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    total = (magnitude / scale).pow(ord).sum(dim=dim, keepdim=dim is not None)
    norm = scale * total.pow(1 / ord)
    return norm.squeeze(dim) if dim is not None else norm


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
    _check_probabilities(p, base)
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
    weights or an all-zero distribution (``ValueError``) where scipy returns NaN or -inf.
    """
    p, q = _check_entropy(pk, qk, base, axis)  # both normalised to sum to 1
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
    _check_distributions(p, q, dim, base)
    terms = torch.where(p > 0, p * torch.log(q), 0.0)
    return -terms.sum(dim=dim) / math.log(base)


# --8<-- [end:entropy]
