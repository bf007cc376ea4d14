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
    TransformerEncoderLayer,
    mask_tokens,
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
        out, weights = scaled_dot_product_attention(q, k, v, scale=scale)
        assert_close(
            out, F.scaled_dot_product_attention(q, k, v, scale=scale), **tol(torch.float64)
        )
        assert_close(weights.sum(-1), torch.ones(2, 3, 5, dtype=torch.float64))

    def test_bool_and_float_masks(self) -> None:
        q, k, v = qkv(1)
        allowed = torch.rand(5, 7, generator=torch.Generator().manual_seed(1)) > 0.4
        allowed[:, 0] = True  # every query may see at least one key
        additive = torch.randn(5, 7, dtype=torch.float64)
        for mask in (allowed, additive):
            out, weights = scaled_dot_product_attention(q, k, v, attn_mask=mask)
            assert_close(
                out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), **tol(torch.float64)
            )
        _, weights = scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        assert (weights[..., ~allowed] == 0).all()

    def test_causal(self) -> None:
        q, k, v = qkv(2, length=7)
        out, weights = scaled_dot_product_attention(q, k, v, is_causal=True)
        assert_close(
            out, F.scaled_dot_product_attention(q, k, v, is_causal=True), **tol(torch.float64)
        )
        assert (weights.triu(diagonal=1) == 0).all()  # no look into the future

    def test_gradcheck(self) -> None:
        q, k, v = (t[:1, :1, :3].clone().requires_grad_() for t in qkv(3))
        assert torch.autograd.gradcheck(lambda *a: scaled_dot_product_attention(*a)[0], (q, k, v))

    def test_rejects_mismatched_head_size(self) -> None:
        q, k, v = qkv()
        with pytest.raises(
            ValueError, match=r"key must have shape \(\.\.\., S, 8\), but got \(2, 3, 7, 6\)"
        ):
            scaled_dot_product_attention(q, k[..., :6], v)


class TestMultiheadAttention:
    def make(self, embed: int = 16, heads: int = 4):
        theirs = nn.MultiheadAttention(embed, heads, batch_first=True).double().eval()
        ours = MultiheadAttention(embed, heads).double()
        ours.load_state_dict(theirs.state_dict())  # same parameter names and shapes
        return ours, theirs

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
        got = ours(query, memory, memory, attn_mask=blocked)
        want = theirs(query, memory, memory, attn_mask=blocked)
        assert_close(got[0], want[0], **tol(torch.float64))

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
    @pytest.mark.parametrize("norm_first", [False, True])
    def test_matches_torch(self, norm_first: bool) -> None:
        theirs = (
            nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, norm_first=norm_first)
            .double()
            .eval()
        )
        ours = TransformerEncoderLayer(16, 4, 32, norm_first=norm_first).double()
        ours.load_state_dict(theirs.state_dict())
        x = torch.randn(2, 9, 16, dtype=torch.float64)
        padding = torch.zeros(2, 9, dtype=torch.bool)
        padding[0, 7:] = True
        assert_close(
            ours(x, padding), theirs(x, src_key_padding_mask=padding), **tol(torch.float64)
        )


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
