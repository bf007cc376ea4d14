"""Attention as a weighted average: soft, hard and local weights, Gumbel-softmax, and the
similarity functions that score a query against keys.

``gumbel_softmax`` draws its noise exactly as ``F.gumbel_softmax`` does, so under the same
seed the two give the same sample; ``scaled_dot_similarity`` followed by ``soft_attention``
equals ``F.scaled_dot_product_attention``; ``cosine_similarity`` equals
``F.cosine_similarity`` and ``cosine_similarity_matrix`` is its every-pair version.
Tests: ``tests/attention/test_basics.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math

import torch
from torch import Tensor, nn

from reference.checks import (
    as_floating,
    check_bounds,
    check_broadcastable,
    check_data,
    check_dim,
    check_floating,
    check_int,
    check_module_input,
    check_operands,
    check_range,
    check_same_device,
    check_shape,
    check_tensor,
)

# --8<-- [end:imports]

__all__ = [
    "AdditiveSimilarity",
    "cosine_similarity",
    "cosine_similarity_matrix",
    "dot_similarity",
    "gumbel_softmax",
    "hard_attention",
    "local_attention",
    "scaled_dot_similarity",
    "soft_attention",
]


# --8<-- [start:checks]
def _check_attention_inputs(scores: Tensor, values: Tensor, mask: Tensor | None = None) -> None:
    """One score per position, one value per position (floating, of one dtype and device,
    batch dimensions that broadcast), and a bool mask over the positions."""
    check_operands(("scores", "values"), scores, values)
    check_shape("scores", scores, ("...", "S"))
    check_shape("values", values, ("...", scores.shape[-1], "d_v"), of="scores")
    check_broadcastable(
        ("scores", "values"), scores.shape[:-1], values.shape[:-2], what="batch dimensions"
    )
    if mask is not None:
        check_shape("mask", mask, ("...", scores.shape[-1]), of="scores")
        if mask.dtype != torch.bool:
            raise TypeError(f"mask must be bool (True = may attend), but got dtype {mask.dtype}")
        check_same_device(("scores", "mask"), scores, mask)
        check_broadcastable(("mask", "scores"), mask.shape, scores.shape)


def _check_choice(scores: Tensor, values: Tensor) -> None:
    """As :func:`_check_attention_inputs`, and scores to choose by: NaN and +inf have no
    argmax or softmax (-inf only rules a position out)."""
    _check_attention_inputs(scores, values)
    check_bounds("scores", scores, high=math.inf, high_inclusive=False)


def _check_window(scores: Tensor, values: Tensor, center: Tensor, half_width: int) -> Tensor:
    """As :func:`_check_attention_inputs`, one centre per query (integers become floats), and
    a window that holds at least one position for each. Returns the centres."""
    _check_attention_inputs(scores, values)
    center = as_floating("center", check_shape("center", center, scores.shape[:-1], of="scores"))
    check_same_device(("scores", "center"), scores, center)
    check_int("half_width", half_width, 0)
    positions = torch.arange(scores.shape[-1], device=scores.device, dtype=scores.dtype)
    inside = (positions - center.to(scores.dtype).unsqueeze(-1)).abs() <= half_width
    if not bool(inside.any(dim=-1).all()):
        raise ValueError(
            f"center must put at least one of the {scores.shape[-1]} positions in the window, "
            f"but got centres {center.tolist()} with half_width {half_width}"
        )
    return center


def _check_logits(logits: Tensor, tau: float, dim: int) -> None:
    check_data("logits", check_floating("logits", logits))  # the noise is drawn in its dtype
    check_range("tau", tau, 0, low_inclusive=False)
    check_dim("dim", dim, logits.dim(), of="logits")


def _check_query_key(query: Tensor, key: Tensor, eps: float | None = None) -> None:
    """Queries Tensor[..., L, d] and keys Tensor[..., S, d] of one floating dtype and device,
    batch dimensions that broadcast; ``eps >= 0`` when given."""
    check_operands(("query", "key"), query, key)
    check_shape("query", query, ("...", "L", "d"))
    check_shape("key", key, ("...", "S", query.shape[-1]), of="query")
    check_broadcastable(("query", "key"), query.shape[:-2], key.shape[:-2], what="batch dimensions")
    if eps is not None:
        check_range("eps", eps, 0.0)


def _check_hidden_sizes(**sizes: int) -> None:
    """Layer widths: whole numbers, at least 1 each."""
    for name, size in sizes.items():
        check_int(name, size, 1)


def _check_additive_inputs(
    module: nn.Module, query: Tensor, key: Tensor, d_q: int, d_k: int
) -> None:
    """Queries Tensor[..., L, d_q] and keys Tensor[..., S, d_k] (the sizes may differ) of the
    module's dtype and device, batch dimensions that broadcast."""
    check_module_input("query", query, module, ("...", "L", d_q), of="query_dim")
    check_module_input("key", key, module, ("...", "S", d_k), of="key_dim")
    check_broadcastable(("query", "key"), query.shape[:-2], key.shape[:-2], what="batch dimensions")


def _check_vectors(x1: Tensor, x2: Tensor, dim: int, eps: float) -> tuple[Tensor, Tensor]:
    """Two tensors on one device that broadcast, with ``dim`` in their broadcast shape and
    ``eps >= 0``. Returns them with integer (and bool) operands in the promoted dtype, which
    must be floating; floating ones keep theirs (their norms are taken in it), as in
    ``F.cosine_similarity``."""
    dtype = torch.promote_types(check_tensor("x1", x1).dtype, check_tensor("x2", x2).dtype)
    if not dtype.is_floating_point:
        raise TypeError(
            f"x1 and x2 must promote to a floating dtype, but got {x1.dtype} and {x2.dtype}"
        )
    check_same_device(("x1", "x2"), x1, x2)
    check_dim("dim", dim, len(check_broadcastable(("x1", "x2"), x1.shape, x2.shape)))
    check_range("eps", eps, 0.0)
    return (
        x1 if x1.is_floating_point() else x1.to(dtype),
        x2 if x2.is_floating_point() else x2.to(dtype),
    )


# --8<-- [end:checks]


# --8<-- [start:soft]
def soft_attention(
    scores: Tensor, values: Tensor, mask: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Soft (global) attention: a softmax over every position, then a weighted mean.

    Args:
        scores (Tensor[..., S]): one similarity score per input position.
        values (Tensor[..., S, d_v]): what each position contributes.
        mask (Tensor[..., S], optional): bool, True where a position may be attended to;
            broadcastable to ``scores``.

    Returns:
        (Tensor[..., d_v], Tensor[..., S]): the output and the weights, which sum to 1;
        a query whose every position is masked gets weights and output 0, as
        ``F.scaled_dot_product_attention`` gives (not NaN).
    """
    _check_attention_inputs(scores, values, mask)
    if mask is not None:
        scores = scores.masked_fill(~mask, -torch.inf)
    # A fully masked row has no distribution: 0 weights, and no NaN in the gradient.
    dead = torch.isneginf(scores).all(dim=-1, keepdim=True)  # [..., 1]
    weights = torch.softmax(scores.masked_fill(dead, 0.0), dim=-1)  # [..., S]
    weights = weights.masked_fill(dead, 0.0)
    output = (weights.unsqueeze(-2) @ values).squeeze(-2)  # [..., d_v]
    return output, weights


# --8<-- [end:soft]


# --8<-- [start:hard]
def hard_attention(
    scores: Tensor,
    values: Tensor,
    sample: bool = False,
    *,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Hard attention: all weight on one position, picked by argmax or sampled.

    Args:
        scores (Tensor[..., S]): one score per input position.
        values (Tensor[..., S, d_v]): what each position contributes.
        sample: draw the position from ``softmax(scores)`` instead of taking the argmax
            (what a REINFORCE-trained model does during training).
        generator: the random source for ``sample=True`` (``None``: the global generator).

    Returns:
        (Tensor[..., d_v], Tensor[..., S]): the chosen value and the one-hot weights. No
        gradient reaches ``scores``: the choice is a discrete index.
    """
    _check_choice(scores, values)
    if sample:
        probs = torch.softmax(scores.detach(), dim=-1).reshape(-1, scores.shape[-1])
        index = torch.multinomial(probs, 1, generator=generator).view(*scores.shape[:-1], 1)
    else:
        index = scores.detach().argmax(dim=-1, keepdim=True)  # [..., 1]
    weights = torch.zeros_like(scores).scatter_(-1, index, 1.0)  # one-hot, [..., S]
    return (weights.unsqueeze(-2) @ values).squeeze(-2), weights


# --8<-- [end:hard]


# --8<-- [start:local]
def local_attention(
    scores: Tensor,
    values: Tensor,
    center: Tensor,
    half_width: int,
    gaussian: bool = True,
) -> tuple[Tensor, Tensor]:
    """Local attention (Luong et al., 2015): soft attention inside a window around ``center``.

    Positions ``s`` with ``|s - center| <= half_width`` get a softmax over their scores; with
    ``gaussian=True`` each weight is then multiplied by ``exp(-(s - center)^2 / (2 sigma^2))``,
    ``sigma = half_width / 2``, as in the paper's *local-p* variant (whose weights then no
    longer sum to 1). Everything outside the window gets weight 0.

    Args:
        scores (Tensor[..., S]): one score per input position.
        values (Tensor[..., S, d_v]): what each position contributes.
        center (Tensor[...]): the window's centre per query, a real number in ``[0, S - 1]``
            (predicted by the model in local-p, the current step in local-m).
        half_width: D, the window covers ``2D + 1`` positions.
        gaussian: apply the Gaussian factor.

    Returns:
        (Tensor[..., d_v], Tensor[..., S]): the output and the weights.
    """
    center = _check_window(scores, values, center, half_width)
    positions = torch.arange(scores.shape[-1], device=scores.device, dtype=scores.dtype)
    offset = positions - center.to(scores.dtype).unsqueeze(-1)  # [..., S]: s - p
    inside = offset.abs() <= half_width
    weights = torch.softmax(scores.masked_fill(~inside, -torch.inf), dim=-1)
    if gaussian:
        sigma = max(half_width, 1) / 2
        weights = weights * torch.exp(-(offset**2) / (2 * sigma**2))
    return (weights.unsqueeze(-2) @ values).squeeze(-2), weights


# --8<-- [end:local]


# --8<-- [start:gumbel]
def gumbel_softmax(
    logits: Tensor,
    tau: float = 1.0,
    hard: bool = False,
    *,
    dim: int = -1,
    generator: torch.Generator | None = None,
) -> Tensor:
    """A differentiable sample from ``Categorical(softmax(logits))``, as ``F.gumbel_softmax``.

    Adds Gumbel(0, 1) noise ``g = -log(E)``, ``E ~ Exponential(1)``, and takes
    ``softmax((logits + g) / tau)``. The argmax of ``logits + g`` is an exact sample of the
    categorical distribution (the Gumbel-max trick); the softmax relaxes it so that gradients
    flow. ``hard=True`` returns the one-hot argmax in the forward pass and the soft sample's
    gradient in the backward pass (straight-through).

    Args:
        logits (Tensor[..., K]): unnormalised log-probabilities.
        tau: temperature > 0; small values give nearly one-hot samples (and noisy gradients).
        hard: one-hot output with the straight-through gradient.
        dim: the category dimension.
        generator: the random source; the default draws from the global generator, in the
            same order as ``F.gumbel_softmax``.

    Returns:
        Tensor[..., K]: non-negative, summing to 1 along ``dim``.

    Differs from ``F.gumbel_softmax``: no ``eps`` argument (PyTorch's is deprecated and
    unused), so ``dim`` is keyword-only here.
    """
    _check_logits(logits, tau, dim)
    exponential = torch.empty_like(logits).exponential_(generator=generator)
    gumbels = -exponential.log()  # Gumbel(0, 1)
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = torch.zeros_like(logits).scatter_(dim, index, 1.0)
    # The value is y_hard; the gradient is y_soft's, since the detached term carries none.
    return y_hard - y_soft.detach() + y_soft


# --8<-- [end:gumbel]


# --8<-- [start:similarity]
def dot_similarity(query: Tensor, key: Tensor) -> Tensor:
    """``q . k`` for every query-key pair.

    Args:
        query (Tensor[..., L, d]): one vector per query.
        key (Tensor[..., S, d]): one vector per key.

    Returns:
        Tensor[..., L, S]: the score of every pair.
    """
    _check_query_key(query, key)
    return query @ key.transpose(-2, -1)  # [..., L, S]


def scaled_dot_similarity(query: Tensor, key: Tensor) -> Tensor:
    """``q . k / sqrt(d)``: the dot product at unit variance for unit-variance inputs.

    Args:
        query (Tensor[..., L, d]): one vector per query.
        key (Tensor[..., S, d]): one vector per key.

    Returns:
        Tensor[..., L, S]: the score of every pair.
    """
    return dot_similarity(query, key) / math.sqrt(query.shape[-1])


def _unit(x: Tensor, dim: int, eps: float) -> Tensor:
    """``x / max(|x|, eps)`` along ``dim``: a zero vector stays 0 instead of becoming NaN."""
    return x / torch.linalg.vector_norm(x, dim=dim, keepdim=True).clamp_min(eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``x1 . x2 / (max(|x1|, eps) max(|x2|, eps))`` along ``dim``, as ``F.cosine_similarity``.

    Args:
        x1 (Tensor[...]): vectors along ``dim``.
        x2 (Tensor[...]): broadcastable with ``x1``.
        dim: the dimension that holds the vectors.
        eps: the smallest norm divided by: a zero vector scores 0 against everything.

    Returns:
        Tensor[...]: the broadcast shape without ``dim``, values in [-1, 1].
    """
    x1, x2 = _check_vectors(x1, x2, dim, eps)
    return (_unit(x1, dim, eps) * _unit(x2, dim, eps)).sum(dim)


def cosine_similarity_matrix(query: Tensor, key: Tensor, eps: float = 1e-8) -> Tensor:
    """:func:`cosine_similarity` of every query-key pair, as an attention score.

    Normalising every vector once and taking all dot products costs L + S norms, where
    ``cosine_similarity(query[..., :, None, :], key[..., None, :, :], dim=-1)`` would build
    a Tensor[..., L, S, d].

    Args:
        query (Tensor[..., L, d]): one vector per query.
        key (Tensor[..., S, d]): one vector per key.
        eps: as in :func:`cosine_similarity`.

    Returns:
        Tensor[..., L, S]: values in [-1, 1].
    """
    _check_query_key(query, key, eps)
    return dot_similarity(_unit(query, -1, eps), _unit(key, -1, eps))


class AdditiveSimilarity(nn.Module):
    """Bahdanau's additive score ``v^T tanh(W_q q + W_k k)``: a one-hidden-layer MLP of the pair.

    Args:
        query_dim, key_dim: sizes of q and k (they may differ, unlike the dot product).
        hidden_dim: width of the MLP's hidden layer.
    """

    def __init__(self, query_dim: int, key_dim: int, hidden_dim: int) -> None:
        super().__init__()
        _check_hidden_sizes(query_dim=query_dim, key_dim=key_dim, hidden_dim=hidden_dim)
        self.w_query = nn.Linear(query_dim, hidden_dim, bias=False)
        self.w_key = nn.Linear(key_dim, hidden_dim)
        self.v = nn.Linear(hidden_dim, 1, bias=False)

    def forward(self, query: Tensor, key: Tensor) -> Tensor:
        """The score of every query-key pair.

        Args:
            query (Tensor[..., L, d_q]): one vector per query.
            key (Tensor[..., S, d_k]): one vector per key.

        Returns:
            Tensor[..., L, S]: the scores.
        """
        _check_additive_inputs(self, query, key, self.w_query.in_features, self.w_key.in_features)
        # Project each side once, then broadcast: L + S projections instead of L * S.
        q = self.w_query(query).unsqueeze(-2)  # [..., L, 1, hidden]
        k = self.w_key(key).unsqueeze(-3)  # [..., 1, S, hidden]
        return self.v(torch.tanh(q + k)).squeeze(-1)  # [..., L, S]


# --8<-- [end:similarity]
