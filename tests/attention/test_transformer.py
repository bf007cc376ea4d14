"""Attention building blocks against torch.nn / F.scaled_dot_product_attention."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from reference.attention import (
    MultiheadAttention,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
    attention_weights,
    mask_tokens,
    multi_head_attention,
    scaled_dot_product_attention,
    sinusoidal_positional_encoding,
)
from tests.conftest import tol


def qkv(seed: int = 0, length: int = 5, source: int = 7):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(2, 3, length, 8, generator=g, dtype=torch.float64)
    k = torch.randn(2, 3, source, 8, generator=g, dtype=torch.float64)
    v = torch.randn(2, 3, source, 4, generator=g, dtype=torch.float64)
    return q, k, v


class TestScaledDotProductAttention:
    @pytest.mark.parametrize("scale", [None, 0.1])
    def test_matches_torch(self, scale) -> None:
        q, k, v = qkv()
        out = scaled_dot_product_attention(q, k, v, scale=scale)
        assert isinstance(out, torch.Tensor)  # one tensor, as F returns
        assert_close(
            out, F.scaled_dot_product_attention(q, k, v, scale=scale), **tol(torch.float64)
        )
        weights = attention_weights(q, k, scale=scale)
        assert_close(weights.sum(-1), torch.ones(2, 3, 5, dtype=torch.float64))
        assert_close(weights @ v, out, **tol(torch.float64))

    def test_bool_and_float_masks(self) -> None:
        q, k, v = qkv(1)
        allowed = torch.rand(5, 7, generator=torch.Generator().manual_seed(1)) > 0.4
        allowed[:, 0] = True  # every query may see at least one key
        additive = torch.randn(5, 7, dtype=torch.float64)
        for mask in (allowed, additive):
            out = scaled_dot_product_attention(q, k, v, attn_mask=mask)
            assert_close(
                out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), **tol(torch.float64)
            )
        weights = attention_weights(q, k, attn_mask=allowed)
        assert (weights[..., ~allowed] == 0).all()

    @pytest.mark.parametrize("kind", ["bool", "float"])
    def test_fully_masked_rows_are_zero_as_torch(self, kind: str) -> None:
        # Regression: a query with every key masked gave NaN; torch 2.14's SDPA gives 0.
        q, k, v = (t.clone().requires_grad_() for t in qkv(4))
        allowed = torch.ones(5, 7, dtype=torch.bool)
        allowed[2] = False
        mask = allowed if kind == "bool" else torch.zeros(5, 7).masked_fill(~allowed, -torch.inf)
        out = scaled_dot_product_attention(q, k, v, attn_mask=mask)
        want = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        assert_close(out, want, **tol(torch.float64))
        assert (out[..., 2, :] == 0).all()
        grads = torch.autograd.grad(out.sum(), (q, k, v))
        want_grads = torch.autograd.grad(want.sum(), (q, k, v))
        for got, expected in zip(grads, want_grads, strict=True):
            assert torch.isfinite(got).all()
            assert_close(got, expected, **tol(torch.float64))

    def test_refuses_integer_mask_as_torch(self) -> None:
        # Regression: a 0/1 integer mask was added to the scores as a bias; torch refuses it.
        q, k, v = qkv()
        mask = torch.ones(5, 7, dtype=torch.int64)
        with pytest.raises(RuntimeError):
            F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        with pytest.raises(TypeError, match="attn_mask must be bool or floating"):
            scaled_dot_product_attention(q, k, v, attn_mask=mask)

    def test_causal(self) -> None:
        q, k, v = qkv(2, length=7)
        out = scaled_dot_product_attention(q, k, v, is_causal=True)
        assert_close(
            out, F.scaled_dot_product_attention(q, k, v, is_causal=True), **tol(torch.float64)
        )
        weights = attention_weights(q, k, is_causal=True)
        assert (weights.triu(diagonal=1) == 0).all()  # no look into the future

    def test_causal_and_mask_together_are_refused_as_torch(self) -> None:
        q, k, v = qkv(2, length=7)
        mask = torch.ones(7, 7, dtype=torch.bool)
        with pytest.raises(RuntimeError):
            F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=True)
        with pytest.raises(ValueError, match="attn_mask must be None when is_causal=True"):
            scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=True)

    def test_fifth_positional_argument_is_dropout_p(self) -> None:
        # Regression: the 5th positional argument was is_causal, so sdpa(q, k, v, None, 0.1)
        # silently applied a causal mask. As in F, it is dropout_p now.
        q, k, v = qkv(5, length=6, source=6)
        out = scaled_dot_product_attention(
            q, k, v, None, 1.0, generator=torch.Generator().manual_seed(0)
        )
        assert torch.equal(out, torch.zeros_like(out))  # every weight dropped
        assert torch.equal(F.scaled_dot_product_attention(q, k, v, None, 1.0), out)

    def test_dropout_keeps_the_expectation(self) -> None:
        q, k, v = qkv(6)
        g = torch.Generator().manual_seed(0)
        runs = torch.stack(
            [scaled_dot_product_attention(q, k, v, dropout_p=0.3, generator=g) for _ in range(3000)]
        )
        assert_close(runs.mean(0), scaled_dot_product_attention(q, k, v), atol=0.05, rtol=0)
        again = scaled_dot_product_attention(
            q, k, v, dropout_p=0.3, generator=torch.Generator().manual_seed(0)
        )
        assert torch.equal(again, runs[0])  # the generator makes it reproducible

    def test_grouped_query_attention_matches_torch(self) -> None:
        g = torch.Generator().manual_seed(7)
        q = torch.randn(2, 6, 5, 8, generator=g, dtype=torch.float64)
        k = torch.randn(2, 2, 7, 8, generator=g, dtype=torch.float64)
        v = torch.randn(2, 2, 7, 3, generator=g, dtype=torch.float64)
        assert_close(
            scaled_dot_product_attention(q, k, v, enable_gqa=True),
            F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
            **tol(torch.float64),
        )

    def test_gradcheck(self) -> None:
        q, k, v = (t[:1, :1, :3].clone().requires_grad_() for t in qkv(3))
        assert torch.autograd.gradcheck(scaled_dot_product_attention, (q, k, v))

    def test_rejects_mismatched_head_size(self) -> None:
        q, k, v = qkv()
        message = r"key must have shape \(\.\.\., S, 8\) to match query, but got \(2, 3, 7, 6\)"
        with pytest.raises(ValueError, match=message):
            scaled_dot_product_attention(q, k[..., :6], v)


class TestMultiheadAttention:
    def make(self, embed: int = 16, heads: int = 4, batch_first: bool = True, **kwargs):
        theirs = nn.MultiheadAttention(embed, heads, batch_first=batch_first, **kwargs)
        ours = MultiheadAttention(embed, heads, batch_first=batch_first, **kwargs)
        ours.double().load_state_dict(theirs.double().eval().state_dict())  # same names
        return ours.eval(), theirs

    def test_default_layout_is_sequence_first_as_torch(self) -> None:
        # nn.MultiheadAttention(E, h) reads Tensor[L, B, E]; so must ours, or a reader
        # swapping the two gets silently different results when B == L.
        theirs = nn.MultiheadAttention(16, 4).double().eval()
        ours = MultiheadAttention(16, 4).double().eval()
        ours.load_state_dict(theirs.state_dict())
        x = torch.randn(5, 5, 16, dtype=torch.float64)
        for got, want in zip(ours(x, x, x), theirs(x, x, x), strict=True):
            assert_close(got, want, **tol(torch.float64))

    @pytest.mark.parametrize("average", [True, False])
    def test_self_attention_with_padding(self, average: bool) -> None:
        ours, theirs = self.make()
        x = torch.randn(3, 6, 16, dtype=torch.float64)
        padding = torch.zeros(3, 6, dtype=torch.bool)
        padding[1, 4:] = True
        got = ours(x, x, x, key_padding_mask=padding, average_attn_weights=average)
        want = theirs(x, x, x, key_padding_mask=padding, average_attn_weights=average)
        assert_close(got[0], want[0], **tol(torch.float64))
        assert_close(got[1], want[1], **tol(torch.float64))

    def test_cross_attention_with_causal_mask(self) -> None:
        ours, theirs = self.make(12, 3)
        query, memory = (
            torch.randn(2, 5, 12, dtype=torch.float64),
            torch.randn(2, 5, 12, dtype=torch.float64),
        )
        blocked = torch.ones(5, 5, dtype=torch.bool).triu(diagonal=1)
        got = ours(query, memory, memory, attn_mask=blocked, is_causal=True)
        want = theirs(query, memory, memory, attn_mask=blocked, is_causal=True)
        assert_close(got[0], want[0], **tol(torch.float64))

    def test_float_masks_are_added_as_torch(self) -> None:
        # Regression: a float attn_mask was turned into bool (every output NaN) and a float
        # key_padding_mask raised NotImplementedError.
        ours, theirs = self.make()
        x = torch.randn(2, 6, 16, dtype=torch.float64)
        bias = torch.randn(6, 6, dtype=torch.float64)
        padding = torch.zeros(2, 6, dtype=torch.float64)
        padding[0, 4:] = -torch.inf
        padding[1, 0] = -2.0  # a soft penalty, not a block
        got = ours(x, x, x, key_padding_mask=padding, attn_mask=bias)
        want = theirs(x, x, x, key_padding_mask=padding, attn_mask=bias)
        assert torch.isfinite(got[0]).all()
        for g, w in zip(got, want, strict=True):
            assert_close(g, w, **tol(torch.float64))

    def test_per_head_mask_and_no_weights(self) -> None:
        ours, theirs = self.make(8, 2)
        x = torch.randn(3, 4, 8, dtype=torch.float64)
        mask = torch.randn(3 * 2, 4, 4, dtype=torch.float64)  # [B * h, L, S]
        got = ours(x, x, x, need_weights=False, attn_mask=mask)
        want = theirs(x, x, x, need_weights=False, attn_mask=mask)
        assert got[1] is None and want[1] is None
        assert_close(got[0], want[0], **tol(torch.float64))

    def test_unbatched_input(self) -> None:
        ours, theirs = self.make(8, 2)
        q, kv = torch.randn(3, 8, dtype=torch.float64), torch.randn(5, 8, dtype=torch.float64)
        for got, want in zip(ours(q, kv, kv), theirs(q, kv, kv), strict=True):
            assert_close(got, want, **tol(torch.float64))

    def test_without_bias(self) -> None:
        ours, theirs = self.make(8, 2, bias=False)
        assert ours.in_proj_bias is None and ours.out_proj.bias is None
        x = torch.randn(2, 4, 8, dtype=torch.float64)
        assert_close(ours(x, x, x)[0], theirs(x, x, x)[0], **tol(torch.float64))

    def test_fully_masked_query_gives_zero_weights(self) -> None:
        # Deliberate difference (documented): torch gives NaN here with need_weights=True,
        # and ours gives, in both modes, what torch gives with need_weights=False.
        ours, theirs = self.make(8, 2)
        x = torch.randn(1, 3, 8, dtype=torch.float64)
        blocked = torch.zeros(3, 3, dtype=torch.bool)
        blocked[1] = True
        out, weights = ours(x, x, x, attn_mask=blocked)
        assert (weights[0, 1] == 0).all() and torch.isfinite(out).all()
        want = theirs(x, x, x, attn_mask=blocked, need_weights=False)[0]
        assert_close(out, want, **tol(torch.float64))
        assert torch.isnan(theirs(x, x, x, attn_mask=blocked)[1][0, 1]).all()

    def test_dropout_in_training_only(self) -> None:
        ours = MultiheadAttention(8, 2, dropout=0.5, batch_first=True).double()
        x = torch.randn(2, 4, 8, dtype=torch.float64)
        _, weights = ours(x, x, x, average_attn_weights=False, generator=torch.Generator())
        assert (weights == 0).any()  # training: weights dropped (and the survivors doubled)
        ours.eval()
        assert_close(ours(x, x, x)[1].sum(-1), torch.ones(2, 4, dtype=torch.float64))

    def test_is_causal_needs_the_mask_as_torch(self) -> None:
        ours, theirs = self.make(8, 2)
        x = torch.randn(1, 3, 8, dtype=torch.float64)
        with pytest.raises(RuntimeError):
            theirs(x, x, x, is_causal=True)
        with pytest.raises(ValueError, match="attn_mask must be given with is_causal=True"):
            ours(x, x, x, is_causal=True)

    def test_parameter_count(self) -> None:
        ours, theirs = self.make(32, 8)
        assert sum(p.numel() for p in ours.parameters()) == sum(
            p.numel() for p in theirs.parameters()
        )
        assert sum(p.numel() for p in ours.parameters()) == 4 * 32 * 32 + 4 * 32

    def test_rejects_indivisible_heads(self) -> None:
        with pytest.raises(
            ValueError, match="embed_dim must be divisible by num_heads, but got 10 and 3"
        ):
            MultiheadAttention(10, 3)


class TestEncoderLayer:
    def make(self, *args, **kwargs):
        theirs = nn.TransformerEncoderLayer(*args, **kwargs).double().eval()
        ours = TransformerEncoderLayer(*args, **kwargs).double().eval()
        ours.load_state_dict(theirs.state_dict())
        return ours, theirs

    @pytest.mark.parametrize("norm_first", [False, True])
    def test_matches_torch(self, norm_first: bool) -> None:
        ours, theirs = self.make(16, 4, 32, batch_first=True, norm_first=norm_first)
        x = torch.randn(2, 9, 16, dtype=torch.float64)
        padding = torch.zeros(2, 9, dtype=torch.bool)
        padding[0, 7:] = True
        assert_close(
            ours(x, src_key_padding_mask=padding),
            theirs(x, src_key_padding_mask=padding),
            **tol(torch.float64),
        )

    def test_positional_arguments_mean_what_they_mean_in_torch(self) -> None:
        # Regression: TransformerEncoderLayer(16, 4, 64, 0.1) set layer_norm_eps=0.1, and
        # layer(x, mask) took the mask as padding; with batch = sequence length the two
        # differed from nn by up to 1.04 without an error.
        ours, theirs = self.make(16, 4, 64, 0.1)
        assert ours.dropout_p == 0.1 and ours.norm1.eps == theirs.norm1.eps == 1e-5
        x = torch.randn(6, 6, 16, dtype=torch.float64)  # [T, B, E], T == B
        causal = nn.Transformer.generate_square_subsequent_mask(6, dtype=torch.float64)
        assert_close(ours(x, causal), theirs(x, causal), **tol(torch.float64))
        assert_close(
            ours(x, causal, is_causal=True), theirs(x, causal, is_causal=True), **tol(torch.float64)
        )

    @pytest.mark.parametrize("activation", ["gelu", F.gelu, torch.tanh], ids=str)
    def test_activation_and_no_bias(self, activation) -> None:
        ours, theirs = self.make(8, 2, 16, activation=activation, bias=False, batch_first=True)
        x = torch.randn(3, 5, 8, dtype=torch.float64)
        assert_close(ours(x), theirs(x), **tol(torch.float64))

    def test_training_without_dropout_matches_torch(self) -> None:
        ours, theirs = self.make(8, 2, 16, dropout=0.0)
        ours.train(), theirs.train()
        x = torch.randn(5, 3, 8, dtype=torch.float64)
        assert_close(ours(x), theirs(x), **tol(torch.float64))

    def test_dropout_is_active_in_training(self) -> None:
        layer = TransformerEncoderLayer(8, 2, 16, dropout=0.5).double()
        x = torch.randn(5, 3, 8, dtype=torch.float64)
        first = layer(x, generator=torch.Generator().manual_seed(0))
        assert torch.equal(first, layer(x, generator=torch.Generator().manual_seed(0)))
        assert not torch.allclose(first, layer(x, generator=torch.Generator().manual_seed(1)))
        layer.eval()
        assert torch.equal(layer(x), layer(x))

    def test_rejects_unknown_activation(self) -> None:
        with pytest.raises(ValueError, match="activation must be 'relu' or 'gelu'"):
            TransformerEncoderLayer(8, 2, activation="swish")


class TestPositionalEncoding:
    def test_formula(self) -> None:
        pe = sinusoidal_positional_encoding(50, 16).double()
        position, i = 7, 3
        assert pe[position, 2 * i].item() == pytest.approx(
            math.sin(position / 10000 ** (2 * i / 16)), abs=1e-6
        )
        assert pe[position, 2 * i + 1].item() == pytest.approx(
            math.cos(position / 10000 ** (2 * i / 16)), abs=1e-6
        )
        assert_close(pe[0], torch.tensor([0.0, 1.0] * 8, dtype=torch.float64))

    def test_offset_is_a_rotation(self) -> None:
        # PE[p + k] is PE[p] rotated pair by pair: dot products depend only on the offset.
        pe = sinusoidal_positional_encoding(100, 32).double()
        assert_close(pe[10] @ pe[15], pe[60] @ pe[65], rtol=1e-5, atol=1e-5)

    def test_rejects_odd_dim(self) -> None:
        with pytest.raises(ValueError, match="dim must be even, but got 7"):
            sinusoidal_positional_encoding(10, 7)


class TestMaskTokens:
    def test_proportions(self) -> None:
        g = torch.Generator().manual_seed(0)
        ids = torch.randint(5, 1000, (200, 500), generator=g)
        inputs, labels = mask_tokens(ids, mask_token_id=4, vocab_size=1000, generator=g)
        chosen = labels != -100
        assert abs(chosen.float().mean().item() - 0.15) < 0.005
        assert torch.equal(labels[chosen], ids[chosen])
        assert torch.equal(inputs[~chosen], ids[~chosen])  # unchosen tokens are untouched
        masked = (inputs == 4)[chosen].float().mean().item()
        kept = (inputs == ids)[chosen].float().mean().item()
        assert abs(masked - 0.8) < 0.01 and 0.09 < kept < 0.115  # 10% kept (+ random hits)

    def test_rejects_bad_probability(self) -> None:
        with pytest.raises(
            ValueError, match=r"mlm_probability must be in \[0.0, 1.0\], but got 1.5"
        ):
            mask_tokens(torch.zeros(3, dtype=torch.int64), 1, 10, mlm_probability=1.5)


class TestMultiHeadAttentionFunction:
    def test_matches_torch_and_the_module(self) -> None:
        theirs = nn.MultiheadAttention(12, 3, batch_first=True).double().eval()
        ours = MultiheadAttention(12, 3, batch_first=True).double().eval()
        ours.load_state_dict(theirs.state_dict())
        g = torch.Generator().manual_seed(3)
        query = torch.randn(2, 4, 12, generator=g, dtype=torch.float64)
        memory = torch.randn(2, 6, 12, generator=g, dtype=torch.float64)
        out, weights = multi_head_attention(
            query,
            memory,
            memory,
            3,
            theirs.in_proj_weight,
            theirs.in_proj_bias,
            theirs.out_proj.weight,
            theirs.out_proj.bias,
        )
        want, want_weights = theirs(query, memory, memory, average_attn_weights=False)
        assert_close(out, want, **tol(torch.float64))
        assert_close(weights, want_weights, **tol(torch.float64))
        assert_close(out, ours(query, memory, memory)[0], **tol(torch.float64))

    def test_heads_are_independent_attentions(self) -> None:
        # Head i is scaled dot-product attention on the i-th E/h columns of the projections.
        g = torch.Generator().manual_seed(4)
        x = torch.randn(1, 5, 8, generator=g, dtype=torch.float64)
        w_in = torch.randn(24, 8, generator=g, dtype=torch.float64)
        w_out = torch.eye(8, dtype=torch.float64)
        out, _ = multi_head_attention(x, x, x, 2, w_in, None, w_out, None)
        q, k, v = (x @ w.T for w in w_in.chunk(3))
        for head in range(2):
            cols = slice(4 * head, 4 * head + 4)
            want = F.scaled_dot_product_attention(q[..., cols], k[..., cols], v[..., cols])
            assert_close(out[..., cols], want, **tol(torch.float64))

    def test_rejects_indivisible_heads(self) -> None:
        x = torch.randn(1, 3, 8)
        with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
            multi_head_attention(x, x, x, 3, torch.randn(24, 8), None, torch.randn(8, 8), None)


class TestDecoderLayer:
    def make(self, *args, **kwargs):
        theirs = nn.TransformerDecoderLayer(*args, **kwargs).double().eval()
        ours = TransformerDecoderLayer(*args, **kwargs).double().eval()
        ours.load_state_dict(theirs.state_dict())  # same parameter names
        return ours, theirs

    @pytest.mark.parametrize("norm_first", [False, True])
    def test_matches_torch_with_masks(self, norm_first: bool) -> None:
        ours, theirs = self.make(16, 4, 32, batch_first=True, norm_first=norm_first)
        g = torch.Generator().manual_seed(5)
        tgt = torch.randn(2, 5, 16, generator=g, dtype=torch.float64)
        memory = torch.randn(2, 7, 16, generator=g, dtype=torch.float64)
        causal = torch.ones(5, 5, dtype=torch.bool).triu(1)  # True: may not attend
        source_padding = torch.zeros(2, 7, dtype=torch.bool)
        source_padding[1, 5:] = True
        target_padding = torch.zeros(2, 5, dtype=torch.bool)
        target_padding[0, 4] = True
        kwargs = {
            "tgt_mask": causal,
            "tgt_key_padding_mask": target_padding,
            "memory_key_padding_mask": source_padding,
            "tgt_is_causal": True,
        }
        assert_close(
            ours(tgt, memory, **kwargs), theirs(tgt, memory, **kwargs), **tol(torch.float64)
        )

    def test_sequence_first_positional_arguments(self) -> None:
        ours, theirs = self.make(8, 2, 16, 0.1)
        g = torch.Generator().manual_seed(6)
        tgt = torch.randn(4, 4, 8, generator=g, dtype=torch.float64)  # [T, B, E], T == B
        memory = torch.randn(6, 4, 8, generator=g, dtype=torch.float64)
        memory_mask = torch.zeros(4, 6, dtype=torch.bool)
        memory_mask[:, 0] = True
        assert_close(
            ours(tgt, memory, None, memory_mask),
            theirs(tgt, memory, None, memory_mask),
            **tol(torch.float64),
        )

    def test_rejects_memory_of_another_batch_or_width(self) -> None:
        ours, theirs = self.make(8, 2, 16)  # sequence first: the batch is dimension 1
        tgt = torch.zeros(4, 2, 8, dtype=torch.float64)
        with pytest.raises(ValueError, match="memory must have tgt's batch size 2 in dimension 1"):
            ours(tgt, torch.zeros(6, 3, 8, dtype=torch.float64))
        with pytest.raises(RuntimeError):  # torch refuses it too, deep inside
            theirs(tgt, torch.zeros(6, 3, 8, dtype=torch.float64))
        with pytest.raises(
            ValueError, match=r"memory must have shape \(\.\.\., 8\) to match d_model"
        ):
            ours(tgt, torch.zeros(6, 2, 5, dtype=torch.float64))
        with pytest.raises(TypeError, match="tgt must have the module's dtype and device"):
            ours(tgt.float(), torch.zeros(6, 2, 8, dtype=torch.float64))

    def test_the_future_does_not_change_the_past(self) -> None:
        ours, _ = self.make(8, 2, 16, batch_first=True)
        g = torch.Generator().manual_seed(7)
        tgt = torch.randn(1, 5, 8, generator=g, dtype=torch.float64)
        memory = torch.randn(1, 3, 8, generator=g, dtype=torch.float64)
        causal = nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
        changed = tgt.clone()
        changed[0, 3:] += 1.0
        assert_close(ours(tgt, memory, causal)[0, :3], ours(changed, memory, causal)[0, :3])
        assert not torch.allclose(
            ours(tgt, memory, causal)[0, 3:], ours(changed, memory, causal)[0, 3:]
        )

    def test_parameter_count(self) -> None:
        ours, theirs = self.make(16, 4, 64)
        count = sum(p.numel() for p in ours.parameters())
        assert count == sum(p.numel() for p in theirs.parameters())
        attention, ffn, norms = 4 * 16 * 16 + 4 * 16, 2 * 16 * 64 + 64 + 16, 3 * 2 * 16
        assert count == 2 * attention + ffn + norms
