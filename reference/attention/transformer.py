"""Scaled dot-product attention, multi-head attention, positional encoding, a Transformer
encoder layer, and BERT's masking, each equal to its PyTorch counterpart.

``MultiheadAttention`` and ``TransformerEncoderLayer`` use the same parameter names as
``torch.nn`` (``batch_first=True`` layout, no dropout), so a state dict loads from one into
the other; the tests compare them with ``torch.nn`` in eval mode.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from reference.checks import check_range, check_shape, check_tensor

# --8<-- [end:imports]

__all__ = [
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "mask_tokens",
    "scaled_dot_product_attention",
    "sinusoidal_positional_encoding",
]


# --8<-- [start:sdpa]
def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> tuple[Tensor, Tensor]:
    """``softmax(Q K^T / sqrt(d) + mask) V``, as ``F.scaled_dot_product_attention`` (no dropout).

    Args:
        query (Tensor[..., L, d]): one query per output position.
        key (Tensor[..., S, d]): one key per input position.
        value (Tensor[..., S, d_v]): what each input position passes on.
        attn_mask: broadcastable to ``[..., L, S]``; bool (True = may attend, PyTorch's
            convention) or float (added to the scores, ``-inf`` blocks).
        is_causal: position ``i`` attends only to positions ``<= i``.
        scale: defaults to ``1 / sqrt(d)``.

    Returns:
        (Tensor[..., L, d_v], Tensor[..., L, S]): the output and the attention weights.
    """
    check_shape("query", query, ("...", "L", "d"))
    check_shape("key", key, ("...", "S", query.shape[-1]))
    check_shape("value", value, ("...", key.shape[-2], "d_v"))
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ key.transpose(-2, -1) * scale  # [..., L, S] similarity of every pair
    if is_causal:
        length, source = scores.shape[-2:]
        allowed = torch.ones(length, source, dtype=torch.bool, device=scores.device).tril()
        scores = scores.masked_fill(~allowed, -torch.inf)
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, -torch.inf)
        else:
            scores = scores + attn_mask
    weights = torch.softmax(scores, dim=-1)  # each row sums to 1 over the inputs
    return weights @ value, weights


# --8<-- [end:sdpa]


# --8<-- [start:multi_head]
class MultiheadAttention(nn.Module):
    """Multi-head attention with ``nn.MultiheadAttention``'s parameters (batch first, no dropout).

    Args:
        embed_dim: model width E; must be divisible by ``num_heads``.
        num_heads: h heads, each of size E / h.
    """

    def __init__(self, embed_dim: int, num_heads: int) -> None:
        super().__init__()
        check_range("num_heads", num_heads, 1)
        if embed_dim % num_heads:
            raise ValueError(
                f"embed_dim must be divisible by num_heads, but got {embed_dim} and {num_heads}"
            )
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))  # Q, K, V stacked
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim))
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
    ) -> tuple[Tensor, Tensor]:
        """Attend from ``query`` (Tensor[B, L, E]) to ``key``/``value`` (Tensor[B, S, E]).

        ``key_padding_mask`` (Tensor[B, S], bool) and a bool ``attn_mask`` (Tensor[L, S]) use
        ``nn.MultiheadAttention``'s convention: **True marks a position that may not be
        attended to** (the opposite of ``scaled_dot_product_attention``'s).

        Returns:
            (Tensor[B, L, E], Tensor[B, L, S] or Tensor[B, h, L, S]): output, attention weights.
        """
        check_shape("query", query, ("B", "L", self.embed_dim))
        check_shape("key", key, (query.shape[0], "S", self.embed_dim))
        check_shape("value", value, tuple(key.shape))
        B, L, E = query.shape
        S, h = key.shape[1], self.num_heads
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3)

        def split_heads(x: Tensor, length: int) -> Tensor:
            return x.reshape(B, length, h, E // h).transpose(1, 2)  # [B, h, length, E/h]

        q = split_heads(F.linear(query, w_q, b_q), L)
        k = split_heads(F.linear(key, w_k, b_k), S)
        v = split_heads(F.linear(value, w_v, b_v), S)
        blocked = torch.zeros(B, 1, L, S, dtype=torch.bool, device=query.device)
        if key_padding_mask is not None:
            blocked = blocked | key_padding_mask[:, None, None, :]
        if attn_mask is not None:
            blocked = blocked | attn_mask.to(torch.bool)
        out, weights = scaled_dot_product_attention(q, k, v, attn_mask=~blocked)
        out = out.transpose(1, 2).reshape(B, L, E)  # concatenate the heads
        return self.out_proj(out), weights.mean(dim=1) if average_attn_weights else weights


# --8<-- [end:multi_head]


# --8<-- [start:positional_encoding]
def sinusoidal_positional_encoding(length: int, dim: int, base: float = 10000.0) -> Tensor:
    """The Transformer's fixed positional encoding, ``Tensor[length, dim]``.

    ``PE[p, 2i] = sin(p / base^(2i/dim))`` and ``PE[p, 2i+1] = cos(p / base^(2i/dim))``:
    each pair of dimensions is a rotation at its own frequency, from one turn every 2*pi
    positions down to one every ``2*pi*base``, so every position gets a distinct pattern and
    a fixed offset is a linear map of the encoding.
    """
    check_range("length", length, 1)
    check_range("dim", dim, 2)
    if dim % 2:
        raise ValueError(f"dim must be even, but got {dim}")
    position = torch.arange(length, dtype=torch.float64)[:, None]  # [length, 1]
    frequency = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)  # [dim/2]
    angle = position * frequency  # [length, dim/2]
    return torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(length, dim).float()


# --8<-- [end:positional_encoding]


# --8<-- [start:encoder_layer]
class TransformerEncoderLayer(nn.Module):
    """Self-attention and a feed-forward network, each wrapped in a residual connection and
    LayerNorm; ``nn.TransformerEncoderLayer``'s parameters and eval-mode output.

    ``norm_first=False`` is the original post-norm block ``x = norm(x + sublayer(x))``;
    ``True`` is the pre-norm ``x = x + sublayer(norm(x))`` that trains more stably when deep.
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        layer_norm_eps: float = 1e-5,
        norm_first: bool = False,
    ) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm_first = norm_first

    def _attend(self, x: Tensor, padding: Tensor | None) -> Tensor:
        return self.self_attn(x, x, x, key_padding_mask=padding)[0]

    def _feed_forward(self, x: Tensor) -> Tensor:
        return self.linear2(F.relu(self.linear1(x)))  # the same MLP at every position

    def forward(self, src: Tensor, src_key_padding_mask: Tensor | None = None) -> Tensor:
        """``src`` (Tensor[B, T, d_model]) to Tensor[B, T, d_model]."""
        x = src
        if self.norm_first:
            x = x + self._attend(self.norm1(x), src_key_padding_mask)
            return x + self._feed_forward(self.norm2(x))
        x = self.norm1(x + self._attend(x, src_key_padding_mask))
        return self.norm2(x + self._feed_forward(x))


# --8<-- [end:encoder_layer]


# --8<-- [start:mask_tokens]
def mask_tokens(
    input_ids: Tensor,
    mask_token_id: int,
    vocab_size: int,
    mlm_probability: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """BERT's masked-language-model corruption.

    Each token is chosen for prediction with probability ``mlm_probability``; a chosen token
    is replaced by ``mask_token_id`` 80% of the time, by a random token 10% of the time and
    kept 10% of the time (so the model cannot learn that only ``[MASK]`` needs predicting).

    Returns:
        (inputs, labels): the corrupted ids, and the original id at chosen positions with
        -100 elsewhere (the ``ignore_index`` of ``F.cross_entropy``).
    """
    check_tensor("input_ids", input_ids)
    check_range("mlm_probability", mlm_probability, 0.0, 1.0)

    def draw(shape: torch.Size) -> Tensor:
        return torch.rand(shape, generator=generator, device=input_ids.device)

    chosen = draw(input_ids.shape) < mlm_probability
    labels = torch.where(chosen, input_ids, -100)
    roll = draw(input_ids.shape)
    to_mask = chosen & (roll < 0.8)
    to_random = chosen & (roll >= 0.8) & (roll < 0.9)
    random_ids = torch.randint(
        vocab_size, input_ids.shape, generator=generator, device=input_ids.device
    )
    inputs = torch.where(to_mask, mask_token_id, input_ids)
    inputs = torch.where(to_random, random_ids, inputs)
    return inputs, labels


# --8<-- [end:mask_tokens]
