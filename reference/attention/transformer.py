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

from reference.checks import (
    check_broadcastable,
    check_data,
    check_floating,
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

Generator = torch.Generator | None  # the random source of dropout; None: the global one

# --8<-- [end:imports]

__all__ = [
    "MultiheadAttention",
    "TransformerDecoderLayer",
    "TransformerEncoderLayer",
    "attention_weights",
    "mask_tokens",
    "multi_head_attention",
    "scaled_dot_product_attention",
    "sinusoidal_positional_encoding",
]


# --8<-- [start:checks]
def _check_qk_mask(
    query: Tensor,
    key: Tensor,
    attn_mask: Tensor | None,
    is_causal: bool,
    scale: float | None,
) -> float:
    """Queries Tensor[..., L, E] and keys Tensor[..., S, E] of one floating dtype and device,
    batch dimensions that broadcast; a mask that broadcasts to the scores, or is_causal, not
    both. Returns the scale (``1 / sqrt(E)`` by default)."""
    check_operands(("query", "key"), query, key)
    check_shape("query", query, ("...", "L", "E"))
    check_shape("key", key, ("...", "S", query.shape[-1]), of="query")
    batch = check_broadcastable(
        ("query", "key"), query.shape[:-2], key.shape[:-2], what="batch dimensions"
    )
    if attn_mask is not None:
        if is_causal:
            raise ValueError("attn_mask must be None when is_causal=True, but got a mask")
        check_same_device(("query", "attn_mask"), query, check_tensor("attn_mask", attn_mask))
        scores = (*batch, query.shape[-2], key.shape[-2])
        check_broadcastable(("attn_mask", "the scores Q K^T"), attn_mask.shape, scores)
    return 1 / math.sqrt(query.shape[-1]) if scale is None else check_range("scale", scale)


def _check_value(query: Tensor, key: Tensor, value: Tensor, dropout_p: float) -> None:
    """Values Tensor[..., S, E_v] of the queries' dtype and device; a probability."""
    check_operands(("query", "key", "value"), query, key, value)
    check_shape("value", value, ("...", key.shape[-2], "E_v"), of="key")
    check_broadcastable(
        ("value", "query"), value.shape[:-2], query.shape[:-2], what="batch dimensions"
    )
    check_range("dropout_p", dropout_p, 0.0, 1.0)


def _check_heads(embed_dim: int, num_heads: int, dropout: float) -> None:
    check_int("embed_dim", embed_dim, 1)
    check_int("num_heads", num_heads, 1)
    check_range("dropout", dropout, 0.0, 1.0)
    if embed_dim % num_heads:
        raise ValueError(
            f"embed_dim must be divisible by num_heads, but got {embed_dim} and {num_heads}"
        )


def _check_attend(
    module: nn.Module,
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim: int,
    attn_mask: Tensor | None,
    is_causal: bool,
) -> None:
    """Inputs Tensor[..., E] of the module's width, dtype and device; is_causal only as a
    hint beside the mask it describes."""
    for name, x in (("query", query), ("key", key), ("value", value)):
        check_module_input(name, x, module, ("...", embed_dim), of="embed_dim")
    if is_causal and attn_mask is None:
        raise ValueError("attn_mask must be given with is_causal=True (it is only a hint)")


def _check_multi_head(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    num_heads: int,
    in_proj_weight: Tensor,
    in_proj_bias: Tensor | None,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
) -> int:
    """Batch-first Tensor[B, L, E] queries, Tensor[B, S, E] keys and values, E = h * E/h;
    weights of nn.MultiheadAttention's shapes; one float dtype and one device for all."""
    check_floating("in_proj_weight", check_shape("in_proj_weight", in_proj_weight, ("3E", "E")))
    E = in_proj_weight.shape[1]
    if in_proj_weight.shape[0] != 3 * E:
        raise ValueError(
            f"in_proj_weight must have shape (3E, E), but got {tuple(in_proj_weight.shape)}"
        )
    check_floating("query", check_shape("query", query, ("B", "L", E), of="in_proj_weight"))
    check_shape("key", key, (query.shape[0], "S", E), of="query")
    check_shape("value", value, tuple(key.shape), of="key")
    check_shape("out_proj_weight", out_proj_weight, (E, E), of="in_proj_weight")
    tensors = {"query": query, "key": key, "value": value}
    tensors |= {"in_proj_weight": in_proj_weight, "out_proj_weight": out_proj_weight}
    for name, bias, size in (
        ("in_proj_bias", in_proj_bias, 3 * E),
        ("out_proj_bias", out_proj_bias, E),
    ):
        if bias is not None:
            tensors[name] = check_shape(name, bias, (size,), of="in_proj_weight")
    for name, x in tensors.items():
        if x.dtype != query.dtype:
            raise TypeError(f"{name} must have query's dtype {query.dtype}, but got {x.dtype}")
    check_same_device(tuple(tensors), *tensors.values())
    num_heads = check_int("num_heads", num_heads, 1)
    if E % num_heads:
        raise ValueError(f"embed_dim must be divisible by num_heads, but got {E} and {num_heads}")
    return num_heads


_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"relu": F.relu, "gelu": F.gelu}


def _activation(activation: str | Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    """``"relu"``, ``"gelu"`` or a function, as ``nn.TransformerEncoderLayer`` takes it."""
    if not isinstance(activation, str):
        return activation
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be 'relu' or 'gelu', but got {activation!r}")
    return _ACTIVATIONS[activation]


def _check_encoding_size(length: int, dim: int, base: float) -> None:
    check_int("length", length, 1)
    check_int("dim", dim, 2)
    check_range("base", base, 0.0, low_inclusive=False)
    if dim % 2:
        raise ValueError(f"dim must be even, but got {dim}")


def _check_masking(
    input_ids: Tensor, mask_token_id: int, vocab_size: int, mlm_probability: float
) -> None:
    """Signed integer ids (the labels hold -100), two ids, a probability."""
    check_data("input_ids", check_integer("input_ids", input_ids))
    if input_ids.dtype == torch.uint8:
        raise TypeError(f"input_ids must hold signed integers, but got dtype {input_ids.dtype}")
    check_int("mask_token_id", mask_token_id, 0)
    check_int("vocab_size", vocab_size, 1)
    check_range("mlm_probability", mlm_probability, 0.0, 1.0)


def _check_layer_sizes(
    d_model: int, nhead: int, dim_feedforward: int, layer_norm_eps: float
) -> None:
    """An encoder or decoder layer's widths (whole, >= 1) and its LayerNorms' eps > 0."""
    check_int("d_model", d_model, 1)
    check_int("nhead", nhead, 1)
    check_int("dim_feedforward", dim_feedforward, 1)
    check_range("layer_norm_eps", layer_norm_eps, 0.0, low_inclusive=False)


def _check_src(layer: nn.Module, src: Tensor, d_model: int) -> None:
    """A sequence Tensor[T, B, d_model], Tensor[B, T, d_model] or Tensor[T, d_model] of the
    layer's width, dtype and device."""
    check_module_input("src", src, layer, ("...", d_model), of="d_model")
    if src.dim() not in (2, 3):
        raise ValueError(
            "src must have shape (T, B, d_model), (B, T, d_model) or (T, d_model), "
            f"but got {tuple(src.shape)}"
        )


def _check_decoder_layer(
    layer: nn.Module, tgt: Tensor, memory: Tensor, d_model: int, batch_first: bool
) -> None:
    """Target and memory of the layer's width, dtype and device, both batched (or both
    not) with one batch size."""
    check_module_input("tgt", tgt, layer, ("...", d_model), of="d_model")
    check_module_input("memory", memory, layer, ("...", d_model), of="d_model")
    if tgt.dim() not in (2, 3) or memory.dim() != tgt.dim():
        raise ValueError(
            "tgt and memory must both be Tensor[T, d_model] or both batched, but got shapes "
            f"{tuple(tgt.shape)} and {tuple(memory.shape)}"
        )
    batch = 0 if batch_first else 1
    if tgt.dim() == 3 and tgt.shape[batch] != memory.shape[batch]:
        raise ValueError(
            f"memory must have tgt's batch size {tgt.shape[batch]} in dimension {batch}, "
            f"but got {memory.shape[batch]}"
        )


# --8<-- [end:checks]


# --8<-- [start:mask_helpers]
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


# --8<-- [end:mask_helpers]


# --8<-- [start:sdpa]
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
    if enable_gqa:
        key = _repeat_kv_heads(query, key, "key")
    scale = _check_qk_mask(query, key, attn_mask, is_causal, scale)
    scores = query @ key.transpose(-2, -1) * scale  # [..., L, S]
    if is_causal:
        L, S = scores.shape[-2:]
        future = torch.ones(L, S, dtype=torch.bool, device=scores.device).triu(1)  # j > i
        scores = scores.masked_fill(future, -torch.inf)
    if attn_mask is not None:
        scores = scores + _as_additive("attn_mask", attn_mask, False, scores)
    # A fully masked row has no distribution: its weights are 0. Filling its scores first
    # keeps the softmax (and its gradient) free of NaN.
    dead = torch.isneginf(scores).all(dim=-1, keepdim=True)
    weights = torch.softmax(scores.masked_fill(dead, 0.0), dim=-1)
    return weights.masked_fill(dead, 0.0)  # [..., L, S]


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
    weights = attention_weights(query, key, attn_mask, is_causal, scale, enable_gqa)
    if enable_gqa:
        value = _repeat_kv_heads(query, value, "value")
    _check_value(query, key, value, dropout_p)
    return _dropout(weights, dropout_p, generator=generator) @ value  # [..., L, E_v]


# --8<-- [end:sdpa]


# --8<-- [start:multi_head]
def multi_head_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    num_heads: int,
    in_proj_weight: Tensor,
    in_proj_bias: Tensor | None,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    *,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Multi-head attention: h attentions on projections of size E/h, concatenated, projected.

    The parameters are laid out as in ``nn.MultiheadAttention``: ``W^Q, W^K, W^V`` stacked
    in ``in_proj_weight``; :class:`MultiheadAttention` adds its layouts and masks around it.

    Args:
        query (Tensor[B, L, E]): the positions that ask.
        key (Tensor[B, S, E]): the positions attended to.
        value (Tensor[B, S, E]): what they pass on.
        num_heads: h, dividing E.
        in_proj_weight (Tensor[3E, E]): ``W^Q``, ``W^K`` and ``W^V`` stacked.
        in_proj_bias (Tensor[3E], optional): their biases.
        out_proj_weight (Tensor[E, E]): ``W^O``.
        out_proj_bias (Tensor[E], optional): its bias.
        attn_mask (Tensor[B, h, L, S], optional): broadcastable, as in
            :func:`attention_weights` (bool True = may attend, or added to the scores).
        dropout_p: probability of dropping an attention weight.
        generator: the random source of the dropout (``None``: the global generator).

    Returns:
        (Tensor[B, L, E], Tensor[B, h, L, S]): the output and each head's weights (after
        dropout, as PyTorch returns them).
    """
    num_heads = _check_multi_head(
        query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias
    )
    B, L, E = query.shape
    w_q, w_k, w_v = in_proj_weight.chunk(3)  # each [E, E]
    b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)

    def split_heads(x: Tensor) -> Tensor:  # [B, T, E] -> [B, h, T, E/h]
        return x.unflatten(-1, (num_heads, E // num_heads)).transpose(1, 2)

    q = split_heads(F.linear(query, w_q, b_q))  # X W^Q, cut into h heads
    k = split_heads(F.linear(key, w_k, b_k))
    v = split_heads(F.linear(value, w_v, b_v))
    weights = attention_weights(q, k, attn_mask)  # [B, h, L, S]
    weights = _dropout(weights, dropout_p, generator=generator)
    heads = weights @ v  # [B, h, L, E/h]
    concat = heads.transpose(1, 2).reshape(B, L, E)  # Concat(head_1, ..., head_h)
    return F.linear(concat, out_proj_weight, out_proj_bias), weights  # ... W^O


# --8<-- [end:multi_head]


# --8<-- [start:multi_head_module]
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
        _check_heads(embed_dim, num_heads, dropout)
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.dropout, self.batch_first = dropout, batch_first
        # W^Q, W^K and W^V stacked, as PyTorch stores them
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
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
        _check_attend(self, query, key, value, self.embed_dim, attn_mask, is_causal)
        batched = query.dim() == 3
        if not batched:  # unbatched Tensor[L, E]: a batch of one
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:  # Tensor[L, B, E] -> Tensor[B, L, E]
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        blocked = self._blocked(query, key, key_padding_mask, attn_mask)
        out, weights = multi_head_attention(
            query,
            key,
            value,
            self.num_heads,
            self.in_proj_weight,
            self.in_proj_bias,
            self.out_proj.weight,
            self.out_proj.bias,
            blocked,
            self.dropout if self.training else 0.0,
            generator=generator,
        )
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        weights = weights.mean(dim=1) if average_attn_weights else weights
        return out, weights if batched else weights.squeeze(0)

    def _blocked(
        self, query: Tensor, key: Tensor, padding: Tensor | None, attn_mask: Tensor | None
    ) -> Tensor:
        """Both masks as one additive Tensor[B, h or 1, L, S]: ``-inf`` where blocked."""
        check_shape("query", query, ("B", "L", self.embed_dim))
        check_shape("key", key, (query.shape[0], "S", self.embed_dim), of="query")
        (B, L), S = query.shape[:2], key.shape[1]
        blocked = query.new_zeros(B, 1, 1, S)
        if padding is not None:
            check_shape("key_padding_mask", padding, (B, S))
            padding = _as_additive("key_padding_mask", padding, True, query)
            blocked = blocked + padding[:, None, None]  # the same for every head and query
        if attn_mask is not None:
            mask = _as_additive("attn_mask", attn_mask, True, query)
            check_shape("attn_mask", mask, ("...", L, S))
            blocked = blocked + (mask.view(B, self.num_heads, L, S) if mask.dim() == 3 else mask)
        return blocked


# --8<-- [end:multi_head_module]


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
    _check_encoding_size(length, dim, base)
    position = torch.arange(length, dtype=torch.float64)[:, None]  # [length, 1]
    frequency = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)  # [dim/2]
    angle = position * frequency  # [length, dim/2]
    return torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(length, dim).float()


# --8<-- [end:positional_encoding]


# --8<-- [start:encoder_layer]
class _Sublayers(nn.Module):
    """What encoder and decoder layers share: self-attention, the feed-forward network,
    dropout, and the residual connection with its LayerNorm (post-norm or pre-norm)."""

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
        _check_layer_sizes(d_model, nhead, dim_feedforward, layer_norm_eps)
        self.activation = _activation(activation)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout, bias, batch_first=batch_first)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout_p, self.norm_first = dropout, norm_first

    def _residual(self, x: Tensor, sublayer: Callable[[Tensor], Tensor], norm: nn.Module) -> Tensor:
        if self.norm_first:
            return x + sublayer(norm(x))  # pre-norm: the identity path is never normalised
        return norm(x + sublayer(x))  # post-norm, as in the original Transformer

    def _drop(self, x: Tensor, generator: torch.Generator | None) -> Tensor:
        return _dropout(x, self.dropout_p, self.training, generator=generator)

    def _self_attention(
        self,
        x: Tensor,
        mask: Tensor | None,
        padding: Tensor | None,
        causal: bool,
        g: Generator,
    ) -> Tensor:
        out, _ = self.self_attn(
            x,
            x,
            x,
            padding,
            need_weights=False,
            attn_mask=mask,
            is_causal=causal,
            generator=g,
        )
        return self._drop(out, g)

    def _feed_forward(self, x: Tensor, g: Generator) -> Tensor:
        # the same two-layer MLP at every position
        hidden = self._drop(self.activation(self.linear1(x)), g)
        return self._drop(self.linear2(hidden), g)


class TransformerEncoderLayer(_Sublayers):
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
        _check_src(self, src, self.norm1.normalized_shape[0])
        g = generator

        def attend(x: Tensor) -> Tensor:  # every position gathers from every other
            return self._self_attention(x, src_mask, src_key_padding_mask, is_causal, g)

        x = self._residual(src, attend, self.norm1)
        return self._residual(x, lambda x: self._feed_forward(x, g), self.norm2)


# --8<-- [end:encoder_layer]


# --8<-- [start:decoder_layer]
class TransformerDecoderLayer(_Sublayers):
    """Masked self-attention, cross-attention to the encoder's output, and a feed-forward
    network, each with a residual connection and LayerNorm; ``nn.TransformerDecoderLayer``'s
    parameters, defaults and outputs.

    Args:
        d_model: model width.
        nhead: number of attention heads.
        dim_feedforward: hidden width of the feed-forward network.
        dropout: dropout probability after each sub-layer, inside the feed-forward network,
            and on the attention weights (in training only).
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
        super().__init__(
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            activation,
            layer_norm_eps,
            batch_first,
            norm_first,
            bias,
        )
        self.multihead_attn = MultiheadAttention(
            d_model, nhead, dropout, bias, batch_first=batch_first
        )
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
        *,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """One decoder block.

        Args:
            tgt (Tensor[T, B, d_model]): the target sequence so far (Tensor[B, T, d_model] if
                ``batch_first``).
            memory (Tensor[S, B, d_model]): the encoder's output, same layout.
            tgt_mask (Tensor[T, T], optional): the self-attention mask, usually causal (True or
                ``-inf`` blocks).
            memory_mask (Tensor[T, S], optional): the cross-attention mask.
            tgt_key_padding_mask (Tensor[B, T], optional): True (or ``-inf``) at target padding.
            memory_key_padding_mask (Tensor[B, S], optional): True (or ``-inf``) at source
                padding.
            tgt_is_causal: a hint that ``tgt_mask`` is the causal mask.
            memory_is_causal: a hint that ``memory_mask`` is the causal mask.
            generator: the random source of the dropout (``None``: the global generator).

        Returns:
            Tensor[T, B, d_model]: same shape as ``tgt``.
        """
        d_model = self.norm1.normalized_shape[0]
        _check_decoder_layer(self, tgt, memory, d_model, self.self_attn.batch_first)
        g = generator

        def attend_to_past(x: Tensor) -> Tensor:  # queries, keys and values: the target
            return self._self_attention(
                x,
                tgt_mask,
                tgt_key_padding_mask,
                tgt_is_causal,
                g,
            )

        def attend_to_source(x: Tensor) -> Tensor:  # queries: target; keys, values: memory
            out, _ = self.multihead_attn(
                x,
                memory,
                memory,
                memory_key_padding_mask,
                need_weights=False,
                attn_mask=memory_mask,
                is_causal=memory_is_causal,
                generator=g,
            )
            return self._drop(out, g)

        x = self._residual(tgt, attend_to_past, self.norm1)
        x = self._residual(x, attend_to_source, self.norm2)
        return self._residual(x, lambda x: self._feed_forward(x, g), self.norm3)


# --8<-- [end:decoder_layer]


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
    _check_masking(input_ids, mask_token_id, vocab_size, mlm_probability)

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
