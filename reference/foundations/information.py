"""Vector norms, and the information-theory trio: information content, entropy, cross-entropy.

``vector_norm`` equals ``torch.linalg.vector_norm``. ``entropy`` and ``cross_entropy_between``
work on probability distributions (not logits) along ``dim``, in nats by default or bits
with ``base=2``; they equal ``scipy.stats.entropy`` and, for the cross-entropy,
``F.cross_entropy`` fed with log-probabilities and probability targets.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math

import torch
from torch import Tensor

from reference.checks import check_range, check_tensor

# --8<-- [end:imports]

__all__ = ["cross_entropy_between", "entropy", "information_content", "vector_norm"]


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
    check_tensor("x", x)
    check_range("ord", ord, 0.0, low_inclusive=False)
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
def _check_distribution(name: str, p: Tensor, dim: int) -> None:
    check_tensor(name, p)
    if bool((p < 0).any()):
        raise ValueError(f"{name} must hold probabilities >= 0, but got {p.min().item()}")
    sums = p.sum(dim=dim)
    if not torch.allclose(sums, torch.ones_like(sums), atol=1e-6):
        raise ValueError(
            f"{name} must sum to 1 along dim {dim}, but a sum is {sums.flatten()[0].item()}"
        )


def information_content(p: Tensor, base: float = math.e) -> Tensor:
    """``-log p``: how surprising an event of probability ``p`` is (0 for a sure event)."""
    check_tensor("p", p)
    check_range("base", base, 1.0, low_inclusive=False)
    return -torch.log(p) / math.log(base)


def entropy(p: Tensor, dim: int = -1, base: float = math.e) -> Tensor:
    """Expected information ``H(p) = -sum p_i log p_i`` of a distribution along ``dim``.

    Terms with ``p_i = 0`` contribute 0 (the limit of ``p log p``), not NaN.
    """
    _check_distribution("p", p, dim)
    check_range("base", base, 1.0, low_inclusive=False)
    terms = torch.where(p > 0, p * torch.log(p.clamp(min=torch.finfo(p.dtype).tiny)), 0.0)
    return -terms.sum(dim=dim) / math.log(base)


def cross_entropy_between(p: Tensor, q: Tensor, dim: int = -1, base: float = math.e) -> Tensor:
    """``H(p, q) = -sum p_i log q_i``: average surprise when ``p``'s events are coded with ``q``.

    ``H(p, q) >= H(p)``, with equality only for ``q = p``; the gap is the KL divergence.
    An event that ``p`` allows but ``q`` rules out (``q_i = 0 < p_i``) makes it infinite.
    """
    _check_distribution("p", p, dim)
    _check_distribution("q", q, dim)
    if p.shape != q.shape:
        raise ValueError(
            f"p and q must have the same shape, but got {tuple(p.shape)} and {tuple(q.shape)}"
        )
    check_range("base", base, 1.0, low_inclusive=False)
    terms = torch.where(p > 0, p * torch.log(q), 0.0)
    return -terms.sum(dim=dim) / math.log(base)


# --8<-- [end:entropy]
