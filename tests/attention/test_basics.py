"""Soft, hard and local attention, Gumbel-softmax and similarity functions against torch."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close

from reference.attention import (
    AdditiveSimilarity,
    cosine_similarity,
    cosine_similarity_matrix,
    dot_similarity,
    gumbel_softmax,
    hard_attention,
    local_attention,
    scaled_dot_similarity,
    soft_attention,
)
from tests.conftest import tol

F64 = tol(torch.float64)


def qkv(seed: int = 0, length: int = 4, source: int = 6, d: int = 8):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(2, length, d, generator=g, dtype=torch.float64)
    k = torch.randn(2, source, d, generator=g, dtype=torch.float64)
    v = torch.randn(2, source, 3, generator=g, dtype=torch.float64)
    return q, k, v


class TestSoftAttention:
    @given(seed=st.integers(0, 2**16))
    def test_matches_torch_sdpa(self, seed: int) -> None:
        q, k, v = qkv(seed)
        out, weights = soft_attention(scaled_dot_similarity(q, k), v.unsqueeze(1))
        assert_close(out, F.scaled_dot_product_attention(q, k, v), **F64)
        assert_close(weights.sum(-1), torch.ones(2, 4, dtype=torch.float64))

    def test_mask_matches_torch(self) -> None:
        q, k, v = qkv(1)
        allowed = torch.tensor([True, False, True, True, False, False])
        out, weights = soft_attention(
            scaled_dot_similarity(q, k), v.unsqueeze(1), mask=allowed.expand(2, 4, 6)
        )
        assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=allowed), **F64)
        assert (weights[..., ~allowed] == 0).all()

    def test_fully_masked_query_is_zero_as_torch(self) -> None:
        # Regression: a query with every position masked gave NaN; SDPA gives 0.
        q, k, v = (t.clone().requires_grad_() for t in qkv(2))
        allowed = torch.ones(4, 6, dtype=torch.bool)
        allowed[1] = False
        out, weights = soft_attention(scaled_dot_similarity(q, k), v.unsqueeze(1), mask=allowed)
        want = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        assert_close(out, want, **F64)
        assert (weights[:, 1] == 0).all()
        grads = torch.autograd.grad(out.sum(), (q, k, v))
        for got, expected in zip(grads, torch.autograd.grad(want.sum(), (q, k, v)), strict=True):
            assert_close(got, expected, **F64)

    def test_rejects_non_bool_mask(self) -> None:
        with pytest.raises(TypeError, match="mask must be bool"):
            soft_attention(torch.randn(3, 5), torch.randn(3, 5, 2), torch.ones(5))

    def test_rejects_mismatched_values(self) -> None:
        with pytest.raises(ValueError, match=r"values must have shape \(\.\.\., 5, d_v\)"):
            soft_attention(torch.randn(3, 5), torch.randn(3, 4, 2))


class TestHardAttention:
    def test_argmax_picks_one_value(self) -> None:
        scores = torch.tensor([[0.1, 2.0, -1.0], [3.0, 0.0, 2.9]], dtype=torch.float64)
        values = torch.arange(2 * 3 * 2, dtype=torch.float64).view(2, 3, 2)
        out, weights = hard_attention(scores, values)
        assert_close(weights, torch.tensor([[0.0, 1, 0], [1, 0, 0]], dtype=torch.float64))
        assert_close(out, torch.stack([values[0, 1], values[1, 0]]))

    def test_sample_frequencies_follow_softmax(self) -> None:
        scores = torch.tensor([1.0, 0.0, -1.0, 2.0], dtype=torch.float64)
        values = torch.eye(4, dtype=torch.float64)
        g = torch.Generator().manual_seed(0)
        n = 20000
        _, weights = hard_attention(scores.expand(n, 4), values.expand(n, 4, 4), True, generator=g)
        assert (weights.sum(-1) == 1).all() and ((weights == 0) | (weights == 1)).all()
        # Binomial standard error at n = 20000 is at most 0.0035; allow 4 of them.
        assert_close(weights.mean(0), torch.softmax(scores, 0), rtol=0, atol=0.014)

    def test_no_gradient_reaches_scores(self) -> None:
        scores = torch.randn(5, requires_grad=True)
        out, _ = hard_attention(scores, torch.randn(5, 3, requires_grad=True))
        assert out.grad_fn is not None  # the values still get a gradient
        out.sum().backward()
        assert scores.grad is None


class TestLocalAttention:
    def test_without_gaussian_is_soft_attention_on_the_window(self) -> None:
        g = torch.Generator().manual_seed(2)
        scores = torch.randn(10, generator=g, dtype=torch.float64)
        values = torch.randn(10, 3, generator=g, dtype=torch.float64)
        out, weights = local_attention(scores, values, torch.tensor(4.3), 2, gaussian=False)
        # |s - 4.3| <= 2 holds for s = 3, 4, 5, 6.
        expected_out, expected_w = soft_attention(scores[3:7], values[3:7])
        assert_close(out, expected_out, **F64)
        assert_close(weights[3:7], expected_w, **F64)
        assert (weights[:3] == 0).all() and (weights[7:] == 0).all()

    def test_gaussian_factor(self) -> None:
        scores = torch.zeros(7, dtype=torch.float64)  # uniform inside the window
        values = torch.eye(7, dtype=torch.float64)
        _, weights = local_attention(scores, values, torch.tensor(3.0), 2)
        # sigma = D / 2 = 1: weight (1/5) exp(-(s - 3)^2 / 2) inside s = 1..5.
        expected = [0.0] + [math.exp(-((s - 3) ** 2) / 2) / 5 for s in range(1, 6)] + [0.0]
        assert_close(weights, torch.tensor(expected, dtype=torch.float64), **F64)

    def test_wide_window_is_global(self) -> None:
        q, k, v = qkv(3)
        scores = dot_similarity(q, k)
        out, _ = local_attention(scores, v.unsqueeze(1), torch.full((2, 4), 2.0), 10, False)
        assert_close(out, soft_attention(scores, v.unsqueeze(1))[0], **F64)

    def test_rejects_empty_window(self) -> None:
        with pytest.raises(ValueError, match="center must put at least one"):
            local_attention(torch.randn(5), torch.randn(5, 2), torch.tensor(9.0), 1)
        with pytest.raises(ValueError, match=r"center must have shape \(2,\)"):
            local_attention(torch.randn(2, 5), torch.randn(2, 5, 2), torch.tensor(1.0), 1)


class TestGumbelSoftmax:
    @pytest.mark.parametrize("hard", [False, True])
    @pytest.mark.parametrize(("tau", "dim"), [(1.0, -1), (0.3, -1), (2.0, 0)])
    def test_same_noise_same_output_as_torch(self, hard: bool, tau: float, dim: int) -> None:
        logits = torch.randn(6, 5, dtype=torch.float64)
        torch.manual_seed(7)
        expected = F.gumbel_softmax(logits, tau=tau, hard=hard, dim=dim)
        torch.manual_seed(7)
        assert_close(gumbel_softmax(logits, tau, hard, dim=dim), expected, **F64)

    def test_hard_is_one_hot_with_the_soft_gradient(self) -> None:
        logits = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
        upstream = torch.randn(4, 6, dtype=torch.float64)
        grads = {}
        for hard in (False, True):
            torch.manual_seed(3)
            y = gumbel_softmax(logits, 0.5, hard)
            (grads[hard],) = torch.autograd.grad((y * upstream).sum(), logits)
            if hard:
                assert ((y == 0) | (y == 1)).all() and (y.sum(-1) == 1).all()
                torch.manual_seed(3)
                soft = gumbel_softmax(logits, 0.5, False)
                assert (y.argmax(-1) == soft.argmax(-1)).all()
        assert_close(grads[True], grads[False], **F64)
        torch.manual_seed(3)
        y_torch = F.gumbel_softmax(logits, tau=0.5, hard=True)
        (grad_torch,) = torch.autograd.grad((y_torch * upstream).sum(), logits)
        assert_close(grads[True], grad_torch, **F64)

    def test_argmax_frequencies_converge_to_softmax(self) -> None:
        logits = torch.tensor([0.5, -1.0, 2.0, 0.0], dtype=torch.float64)
        g = torch.Generator().manual_seed(0)
        samples = gumbel_softmax(logits.expand(40000, 4), 0.1, True, generator=g)
        # The Gumbel-max trick is exact: the argmax is a sample of softmax(logits).
        assert_close(samples.mean(0), torch.softmax(logits, 0), rtol=0, atol=0.01)

    def test_generator_is_reproducible(self) -> None:
        logits = torch.randn(3, 4)
        a = gumbel_softmax(logits, generator=torch.Generator().manual_seed(1))
        b = gumbel_softmax(logits, generator=torch.Generator().manual_seed(1))
        assert torch.equal(a, b)

    def test_rejects_bad_tau(self) -> None:
        with pytest.raises(ValueError, match=r"tau must be in \(0, inf\), but got 0"):
            gumbel_softmax(torch.randn(3), tau=0)


class TestSimilarity:
    def test_dot_and_scaled_dot(self) -> None:
        q, k, _ = qkv(4)
        expected = torch.einsum("bld,bsd->bls", q, k)
        assert_close(dot_similarity(q, k), expected, **F64)
        assert_close(scaled_dot_similarity(q, k), expected / math.sqrt(8), **F64)

    @pytest.mark.parametrize(
        ("shape1", "shape2", "dim"),
        [((5, 8), (5, 8), 1), ((5, 8), (1, 8), 1), ((3, 4, 6), (3, 4, 6), -1), ((4, 3), (4, 3), 0)],
    )
    def test_cosine_matches_torch(self, shape1, shape2, dim: int) -> None:
        # Regression: cosine_similarity returned a pairwise matrix ((5, 8), (5, 8) -> (5, 5))
        # and took eps third; as F's it is element-wise along dim now.
        g = torch.Generator().manual_seed(sum(shape1))
        x1 = torch.randn(shape1, generator=g, dtype=torch.float64, requires_grad=True)
        x2 = torch.randn(shape2, generator=g, dtype=torch.float64, requires_grad=True)
        got, want = cosine_similarity(x1, x2, dim), F.cosine_similarity(x1, x2, dim)
        assert got.shape == want.shape
        assert_close(got, want, **F64)
        for a, b in zip(
            torch.autograd.grad(got.sum(), (x1, x2)),
            torch.autograd.grad(want.sum(), (x1, x2)),
            strict=True,
        ):
            assert_close(a, b, **F64)

    def test_cosine_promotes_dtypes_as_torch(self) -> None:
        # Regression: an integer or float32 x1 beside a float64 x2 crashed in vector_norm;
        # F.cosine_similarity computes in the promoted dtype.
        x2 = torch.randn(5, 3, dtype=torch.float64)
        for x1 in (torch.randint(-3, 4, (5, 3)), torch.randn(5, 3)):
            got, want = cosine_similarity(x1, x2), F.cosine_similarity(x1, x2)
            assert got.dtype == want.dtype == torch.float64
            assert_close(got, want, **F64)
        with pytest.raises(RuntimeError):
            F.cosine_similarity(x2, x2, eps=-1.0)
        with pytest.raises(ValueError, match=r"eps must be in \[0\.0, inf\), but got -1\.0"):
            cosine_similarity(x2, x2, eps=-1.0)
        with pytest.raises(TypeError, match="x1 and x2 must promote to a floating dtype"):
            cosine_similarity(x2.long(), x2.long())

    def test_similarities_name_mismatched_operands(self) -> None:
        q, k, _ = qkv(7)
        with pytest.raises(TypeError, match="query and key must have one floating dtype"):
            dot_similarity(q, k.float())
        with pytest.raises(ValueError, match="query and key must have broadcastable batch"):
            dot_similarity(q[:0], k)
        with pytest.raises(ValueError, match="query, key must be on the same device"):
            cosine_similarity_matrix(q, k.to("meta"))

    def test_cosine_eps_clamps_each_norm_as_torch(self) -> None:
        tiny = torch.tensor([[1e-9, 0.0]], dtype=torch.float64)
        other = torch.tensor([[3.0, 4.0]], dtype=torch.float64)
        for x1, x2 in ((tiny, other), (torch.zeros(1, 2, dtype=torch.float64), other)):
            assert_close(cosine_similarity(x1, x2), F.cosine_similarity(x1, x2), **F64)

    @given(seed=st.integers(0, 2**16))
    def test_cosine_matrix_is_every_pair(self, seed: int) -> None:
        q, k, _ = qkv(seed)
        k[0, 2] = 0.0  # a zero key scores 0, by the eps clamp
        expected = F.cosine_similarity(q.unsqueeze(-2), k.unsqueeze(-3), dim=-1)
        assert_close(cosine_similarity_matrix(q, k), expected, **F64)
        assert cosine_similarity_matrix(q, k).abs().max() <= 1 + 1e-12

    def test_additive_matches_explicit_formula(self) -> None:
        q, k, _ = qkv(5, d=8)
        k = k[..., :5]  # the key size may differ from the query size
        score = AdditiveSimilarity(8, 5, 7).double()
        w_q, w_k, b_k = score.w_query.weight, score.w_key.weight, score.w_key.bias
        v = score.v.weight[0]
        expected = torch.empty(2, 4, 6, dtype=torch.float64)
        for b in range(2):
            for i in range(4):
                for j in range(6):
                    expected[b, i, j] = v @ torch.tanh(w_q @ q[b, i] + w_k @ k[b, j] + b_k)
        assert_close(score(q, k), expected, **F64)

    def test_additive_gradcheck(self) -> None:
        q, k, _ = qkv(6, length=2, source=3, d=4)
        score = AdditiveSimilarity(4, 4, 3).double()
        assert torch.autograd.gradcheck(score, (q.requires_grad_(), k.requires_grad_()))

    def test_rejects_mismatched_sizes(self) -> None:
        with pytest.raises(ValueError, match=r"key must have shape \(\.\.\., S, 8\)"):
            dot_similarity(torch.randn(3, 8), torch.randn(4, 7))
        with pytest.raises(ValueError, match=r"key must have shape \(\.\.\., S, 5\)"):
            AdditiveSimilarity(8, 5, 7)(torch.randn(3, 8), torch.randn(4, 8))
