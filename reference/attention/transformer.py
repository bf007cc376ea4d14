"""Scaled dot-product attention, multi-head attention, positional encoding, a Transformer
encoder layer, and BERT's masking, each equal to its PyTorch counterpart.

Signatures and defaults are those of ``F.scaled_dot_product_attention``,
``nn.MultiheadAttention`` and ``nn.TransformerEncoderLayer`` (``batch_first=False`` by
default, dropout included), so a state dict loads from one into the other and a call means
the same thing on both; the tests compare them with ``torch.nn``. Random draws (dropout) take
a keyword-only ``generator``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from reference.attention.basics import _check_query_key
from reference.checks import (
    check_broadcastable,
    check_data,
    check_int,
    check_integer,
    check_module_input,
    check_operands,
    check_range,
    check_same_device,
    check_shape,
    check_tensor,
)
from reference.training.regularization import dropout as _dropout

# --8<-- [end:imports]

__all__ = [
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "attention_weights",
    "mask_tokens",
    "scaled_dot_product_attention",
    "sinusoidal_positional_encoding",
]


# --8<-- [start:sdpa]
def _as_additive(name: str, mask: Tensor, blocked_when: bool, like: Tensor) -> Tensor:
    """A bool or float mask as scores to add: 0 where allowed, ``-inf`` where blocked."""
    check_tensor(name, mask)
    if mask.dtype == torch.bool:
        additive = torch.zeros(mask.shape, dtype=like.dtype, device=like.device)
        return additive.masked_fill_(mask == blocked_when, -torch.inf)
    if not mask.is_floating_point():  # PyTorch refuses 0/1 integers too: they are ambiguous
        raise TypeError(
            f"{name} must be bool or floating (added to the scores), but got dtype {mask.dtype}"
        )
    return mask.to(like.dtype)


def _repeat_kv_heads(query: Tensor, x: Tensor, name: str) -> Tensor:
    """Grouped-query attention: repeat each of the ``H_kv`` key/value heads for its group."""
    check_operands(("query", name), query, x)
    if query.dim() < 3 or x.dim() < 3 or query.shape[-3] % x.shape[-3]:
        raise ValueError(
            f"{name} must have a head dimension (-3) dividing the query's for enable_gqa, "
            f"but got {tuple(x.shape)} for a query of {tuple(query.shape)}"
        )
    return x.repeat_interleave(query.shape[-3] // x.shape[-3], dim=-3)


def attention_weights(
    query: Tensor,
    key: Tensor,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(Q K^T * scale + mask)``: the weights that scaled dot-product attention uses.

    Args:
        query (Tensor[..., L, E]): one query per output position.
        key (Tensor[..., S, E]): one key per input position.
        attn_mask (Tensor[..., L, S], optional): broadcastable; bool (True = may attend,
            PyTorch's convention) or floating (added to the scores, ``-inf`` blocks).
        is_causal: position ``i`` attends only to positions ``<= i`` (no ``attn_mask`` then).
        scale: defaults to ``1 / sqrt(E)``.
        enable_gqa: ``key`` may have fewer heads (dimension -3) than ``query``; each is
            shared by a group of query heads.

    Returns:
        Tensor[..., L, S]: each row sums to 1 over the inputs, except that a row whose every
        position is masked is all 0 (as PyTorch's SDPA, not NaN).
    """
    if is_causal and attn_mask is not None:
        raise ValueError("attn_mask must be None when is_causal=True, but got a mask")
    if enable_gqa:
        key = _repeat_kv_heads(query, key, "key")
    _check_query_key(query, key)
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else check_range("scale", scale)
    scores = query @ key.transpose(-2, -1) * scale  # [..., L, S] similarity of every pair
    if is_causal:
        length, source = scores.shape[-2:]
        allowed = torch.ones(length, source, dtype=torch.bool, device=scores.device).tril()
        scores = scores.masked_fill(~allowed, -torch.inf)
    if attn_mask is not None:
        check_same_device(("query", "attn_mask"), query, check_tensor("attn_mask", attn_mask))
        check_broadcastable(("attn_mask", "the scores Q K^T"), attn_mask.shape, scores.shape)
        scores = scores + _as_additive("attn_mask", attn_mask, False, scores)
    # A fully masked row has no distribution: its weights are 0. Filling its scores first
    # keeps the softmax (and its gradient) free of NaN.
    dead = torch.isneginf(scores).all(dim=-1, keepdim=True)
    return torch.softmax(scores.masked_fill(dead, 0.0), dim=-1).masked_fill(dead, 0.0)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    """``softmax(Q K^T / sqrt(E) + mask) V``, as ``F.scaled_dot_product_attention``.

    Args:
        query (Tensor[..., L, E]): one query per output position.
        key (Tensor[..., S, E]): one key per input position.
        value (Tensor[..., S, E_v]): what each input position passes on.
        attn_mask, is_causal, scale, enable_gqa: as :func:`attention_weights`.
        dropout_p: probability of dropping an attention weight (applied whenever it is
            positive, as in PyTorch: pass 0 at evaluation).
        generator: the random source of the dropout (``None``: the global generator).

    Returns:
        Tensor[..., L, E_v]: the output; :func:`attention_weights` gives the weights.
    """
    check_operands(("query", "key", "value"), query, key, value)
    check_range("dropout_p", dropout_p, 0.0, 1.0)
    weights = attention_weights(query, key, attn_mask, is_causal, scale, enable_gqa)
    if enable_gqa:
        value = _repeat_kv_heads(query, value, "value")
    check_shape("value", value, ("...", key.shape[-2], "E_v"), of="key")
    check_broadcastable(
        ("value", "query"), value.shape[:-2], query.shape[:-2], what="batch dimensions"
    )
    return _dropout(weights, dropout_p, generator=generator) @ value


# --8<-- [end:sdpa]


# --8<-- [start:multi_head]
class MultiheadAttention(nn.Module):
    """Multi-head attention with ``nn.MultiheadAttention``'s parameters, defaults and layout.

    Args:
        embed_dim: model width E; must be divisible by ``num_heads``.
        num_heads: h heads, each of size E / h.
        dropout: probability of dropping an attention weight in training.
        bias: add biases to the input and output projections.
        batch_first: inputs are Tensor[B, L, E]; the default (as PyTorch) is Tensor[L, B, E].
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        *,
        batch_first: bool = False,
    ) -> None:
        super().__init__()
        embed_dim = check_int("embed_dim", embed_dim, 1)
        num_heads = check_int("num_heads", num_heads, 1)
        check_range("dropout", dropout, 0.0, 1.0)
        if embed_dim % num_heads:
            raise ValueError(
                f"embed_dim must be divisible by num_heads, but got {embed_dim} and {num_heads}"
            )
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))  # Q, K, V stacked
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim)) if bias else None
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)
        if bias:
            nn.init.zeros_(self.out_proj.bias)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
        *,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` to ``key``/``value``.

        Masks use ``nn.MultiheadAttention``'s convention, the opposite of
        :func:`scaled_dot_product_attention`'s: a bool **True marks a position that may not
        be attended to**; a floating mask is added to the scores.

        Args:
            query (Tensor[L, B, E]): Tensor[B, L, E] if ``batch_first``; Tensor[L, E] unbatched.
            key (Tensor[S, B, E]): the positions attended to, same layout.
            value (Tensor[S, B, E]): what they pass on, same layout.
            key_padding_mask (Tensor[B, S], optional): padding to ignore, bool or float.
            need_weights: also return the attention weights.
            attn_mask (Tensor[L, S] or Tensor[B * h, L, S], optional): bool or float.
            average_attn_weights: average the returned weights over the heads.
            is_causal: a hint that ``attn_mask`` is the causal mask (PyTorch's meaning);
                the mask must be given and is what is applied.
            generator: the random source of the dropout (``None``: the global generator).

        Returns:
            (Tensor[L, B, E], Tensor[B, L, S] or None): the output in the input's layout, and
            the weights (Tensor[B, h, L, S] with ``average_attn_weights=False``). A query whose
            every key is masked gets weights 0 and outputs ``out_proj.bias``; PyTorch gives NaN
            there when ``need_weights=True`` (and the same zeros when it is False).
        """
        for name, x in (("query", query), ("key", key), ("value", value)):
            check_module_input(name, x, self, ("...", self.embed_dim))
        if is_causal and attn_mask is None:
            raise ValueError("attn_mask must be given with is_causal=True (it is only a hint)")
        batched = query.dim() == 3
        if not batched:  # unbatched Tensor[L, E]: a batch of one
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:  # Tensor[L, B, E] -> Tensor[B, L, E]
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        check_shape("query", query, ("B", "L", self.embed_dim))
        check_shape("key", key, (query.shape[0], "S", self.embed_dim), of="query")
        check_shape("value", value, tuple(key.shape), of="key")
        B, L, E = query.shape
        S, h = key.shape[1], self.num_heads
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3)

        def split_heads(x: Tensor, length: int) -> Tensor:
            return x.reshape(B, length, h, E // h).transpose(1, 2)  # [B, h, length, E/h]

        q = split_heads(F.linear(query, w_q, b_q), L)
        k = split_heads(F.linear(key, w_k, b_k), S)
        v = split_heads(F.linear(value, w_v, b_v), S)
        blocked = q.new_zeros(B, 1, 1, S)  # additive: -inf where a key may not be used
        if key_padding_mask is not None:
            check_shape("key_padding_mask", key_padding_mask, (B, S))
            blocked = (
                blocked
                + _as_additive("key_padding_mask", key_padding_mask, True, q)[:, None, None, :]
            )
        if attn_mask is not None:
            mask = _as_additive("attn_mask", attn_mask, True, q)
            check_shape("attn_mask", mask, ("...", L, S))
            blocked = blocked + (mask.view(B, h, L, S) if mask.dim() == 3 else mask)
        weights = attention_weights(q, k, attn_mask=blocked)  # [B, h, L, S]
        p = self.dropout if self.training else 0.0
        weights = _dropout(weights, p, generator=generator)
        out = (weights @ v).transpose(1, 2).reshape(B, L, E)  # concatenate the heads
        out = self.out_proj(out)
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        weights = weights.mean(dim=1) if average_attn_weights else weights
        return out, weights if batched else weights.squeeze(0)


# --8<-- [end:multi_head]


# --8<-- [start:positional_encoding]
def sinusoidal_positional_encoding(length: int, dim: int, base: float = 10000.0) -> Tensor:
    """The Transformer's fixed positional encoding, ``Tensor[length, dim]``.

    ``PE[p, 2i] = sin(p / base^(2i/dim))`` and ``PE[p, 2i+1] = cos(p / base^(2i/dim))``:
    each pair of dimensions is a rotation at its own frequency, from one turn every 2*pi
    positions down to one every ``2*pi*base``, so every position gets a distinct pattern and
    a fixed offset is a linear map of the encoding.

    Args:
        length: number of positions.
        dim: size of each encoding, even.
        base: the longest wavelength is ``2 pi base``.

    Returns:
        Tensor[length, dim]: float32.
    """
    length, dim = check_int("length", length, 1), check_int("dim", dim, 2)
    base = check_range("base", base, 0.0, low_inclusive=False)
    if dim % 2:
        raise ValueError(f"dim must be even, but got {dim}")
    position = torch.arange(length, dtype=torch.float64)[:, None]  # [length, 1]
    frequency = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)  # [dim/2]
    angle = position * frequency  # [length, dim/2]
    return torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(length, dim).float()


# --8<-- [end:positional_encoding]


# --8<-- [start:encoder_layer]
_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"relu": F.relu, "gelu": F.gelu}


class TransformerEncoderLayer(nn.Module):
    """Self-attention and a feed-forward network, each wrapped in a residual connection and
    LayerNorm; ``nn.TransformerEncoderLayer``'s parameters, defaults and outputs.

    ``norm_first=False`` is the original post-norm block ``x = norm(x + sublayer(x))``;
    ``True`` is the pre-norm ``x = x + sublayer(norm(x))`` that trains more stably when deep.

    Args:
        d_model: model width.
        nhead: number of attention heads.
        dim_feedforward: hidden width of the feed-forward network.
        dropout: dropout probability after the attention, inside and after the feed-forward
            network, and on the attention weights (in training only).
        activation: ``"relu"``, ``"gelu"`` or a function, between the two linear layers.
        layer_norm_eps: the LayerNorms' ``eps``.
        batch_first: inputs are Tensor[B, T, d_model]; the default is Tensor[T, B, d_model].
        norm_first: pre-norm instead of post-norm.
        bias: biases in the linear layers and the LayerNorms.
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
    ) -> None:
        super().__init__()
        d_model, nhead = check_int("d_model", d_model, 1), check_int("nhead", nhead, 1)
        dim_feedforward = check_int("dim_feedforward", dim_feedforward, 1)
        layer_norm_eps = check_range("layer_norm_eps", layer_norm_eps, 0.0, low_inclusive=False)
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"activation must be 'relu' or 'gelu', but got {activation!r}")
            activation = _ACTIVATIONS[activation]
        self.self_attn = MultiheadAttention(d_model, nhead, dropout, bias, batch_first=batch_first)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.activation, self.dropout_p = activation, dropout
        self.norm_first = norm_first

    def _drop(self, x: Tensor, generator: torch.Generator | None) -> Tensor:
        return _dropout(x, self.dropout_p, self.training, generator=generator)

    def _attend(
        self,
        x: Tensor,
        mask: Tensor | None,
        padding: Tensor | None,
        is_causal: bool,
        g: torch.Generator | None,
    ) -> Tensor:
        out = self.self_attn(
            x, x, x, padding, need_weights=False, attn_mask=mask, is_causal=is_causal, generator=g
        )[0]
        return self._drop(out, g)

    def _feed_forward(self, x: Tensor, g: torch.Generator | None) -> Tensor:
        hidden = self._drop(self.activation(self.linear1(x)), g)  # the same MLP at every position
        return self._drop(self.linear2(hidden), g)

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
        *,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """One encoder block.

        Args:
            src (Tensor[T, B, d_model]): Tensor[B, T, d_model] if ``batch_first``.
            src_mask (Tensor[T, T], optional): attention mask, as ``MultiheadAttention``'s
                ``attn_mask`` (True or ``-inf`` blocks), e.g. a causal mask.
            src_key_padding_mask (Tensor[B, T], optional): True (or ``-inf``) at padding.
            is_causal: a hint that ``src_mask`` is the causal mask.
            generator: the random source of the dropout (``None``: the global generator).

        Returns:
            Tensor[T, B, d_model]: same shape as ``src``.
        """
        check_module_input("src", src, self, ("...", self.linear1.in_features))
        if src.dim() not in (2, 3):
            raise ValueError(
                "src must have shape (T, B, d_model), (B, T, d_model) or (T, d_model), "
                f"but got {tuple(src.shape)}"
            )
        x, g = src, generator
        if self.norm_first:
            x = x + self._attend(self.norm1(x), src_mask, src_key_padding_mask, is_causal, g)
            return x + self._feed_forward(self.norm2(x), g)
        x = self.norm1(x + self._attend(x, src_mask, src_key_padding_mask, is_causal, g))
        return self.norm2(x + self._feed_forward(x, g))


# --8<-- [end:encoder_layer]


# --8<-- [start:mask_tokens]
def mask_tokens(
    input_ids: Tensor,
    mask_token_id: int,
    vocab_size: int,
    mlm_probability: float = 0.15,
    *,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """BERT's masked-language-model corruption.

    Each token is chosen for prediction with probability ``mlm_probability``; a chosen token
    is replaced by ``mask_token_id`` 80% of the time, by a random token 10% of the time and
    kept 10% of the time (so the model cannot learn that only ``[MASK]`` needs predicting).

    Args:
        input_ids (Tensor[...]): token ids, a signed integer dtype (the labels hold -100).
        mask_token_id: the id of ``[MASK]``.
        vocab_size: random replacements are drawn from ``[0, vocab_size)``.
        mlm_probability: the share of tokens chosen for prediction.
        generator: the random source (``None``: the global generator).

    Returns:
        (Tensor[...], Tensor[...]): the corrupted ids, and the labels: the original id at
        chosen positions, -100 elsewhere (``ignore_index`` of ``F.cross_entropy`` and of
        :func:`~reference.training.cross_entropy`).
    """
    check_data("input_ids", check_integer("input_ids", input_ids))
    if input_ids.dtype == torch.uint8:  # the labels hold -100
        raise TypeError(f"input_ids must hold signed integers, but got dtype {input_ids.dtype}")
    mask_token_id = check_int("mask_token_id", mask_token_id, 0)
    vocab_size = check_int("vocab_size", vocab_size, 1)
    check_range("mlm_probability", mlm_probability, 0.0, 1.0)

    def draw(shape: torch.Size) -> Tensor:
        return torch.rand(shape, generator=generator, device=input_ids.device)

    chosen = draw(input_ids.shape) < mlm_probability
    labels = torch.where(chosen, input_ids, -100)
    roll = draw(input_ids.shape)
    to_mask = chosen & (roll < 0.8)
    to_random = chosen & (roll >= 0.8) & (roll < 0.9)
    random_ids = torch.randint(
        vocab_size,
        input_ids.shape,
        generator=generator,
        device=input_ids.device,
        dtype=input_ids.dtype,
    )
    inputs = torch.where(to_mask, mask_token_id, input_ids)
    inputs = torch.where(to_random, random_ids, inputs)
    return inputs, labels


# --8<-- [end:mask_tokens]
