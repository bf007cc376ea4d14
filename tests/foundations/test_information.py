"""Norms against torch.linalg; entropy and cross-entropy against scipy and F.cross_entropy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close

from reference.foundations import cross_entropy_between, entropy, information_content, vector_norm
from tests.conftest import tol


def random_distribution(*shape: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(*shape, generator=g, dtype=torch.float64) * 2, dim=-1)


class TestVectorNorm:
    @pytest.mark.parametrize("ord", [0.5, 1.0, 2.0, 3.0, math.inf])
    @pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)])
    def test_matches_torch(self, ord: float, dim) -> None:
        x = torch.randn(4, 5, 3, dtype=torch.float64)
        assert_close(
            vector_norm(x, ord, dim), torch.linalg.vector_norm(x, ord, dim), **tol(torch.float64)
        )

    def test_hand_derived(self) -> None:
        x = torch.tensor([3.0, -4.0])
        assert vector_norm(x, 1).item() == 7.0  # |3| + |-4|
        assert vector_norm(x, 2).item() == 5.0  # sqrt(9 + 16)
        assert vector_norm(x, math.inf).item() == 4.0

    def test_no_overflow_or_underflow(self) -> None:
        big, small = torch.tensor([3e30, 4e30]), torch.tensor([3e-30, 4e-30])
        assert_close(vector_norm(big), torch.tensor(5e30))
        assert_close(vector_norm(small), torch.tensor(5e-30))
        assert vector_norm(torch.zeros(3)).item() == 0.0

    def test_gradients_match_torch(self) -> None:
        x = torch.randn(6, dtype=torch.float64, requires_grad=True)
        for ord in (1.0, 2.0, 3.0):
            (ours,) = torch.autograd.grad(vector_norm(x, ord), x)
            (theirs,) = torch.autograd.grad(torch.linalg.vector_norm(x, ord), x)
            assert_close(ours, theirs, **tol(torch.float64))

    @given(
        st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=8),
        st.lists(st.floats(-1e3, 1e3), min_size=8, max_size=8),
    )
    def test_triangle_inequality_and_ordering(self, a: list[float], b: list[float]) -> None:
        x = torch.tensor(a, dtype=torch.float64)
        y = torch.tensor(b[: len(a)], dtype=torch.float64)
        for ord in (1.0, 2.0, math.inf):
            assert vector_norm(x + y, ord) <= vector_norm(x, ord) + vector_norm(y, ord) + 1e-9
        assert vector_norm(x, math.inf) <= vector_norm(x, 2) + 1e-9 <= vector_norm(x, 1) + 2e-9

    @pytest.mark.parametrize("ord", [0.5, 1.0, 2.0, 3.0])
    @pytest.mark.parametrize(
        "values", [[0.0, 0.0, 0.0], [0.0, 1.0, -2.0], [0.0, -3.0, 4.0]], ids=["zero", "one", "two"]
    )
    def test_gradient_with_zero_entries_matches_torch(self, ord: float, values) -> None:
        # Regression: 0 ** p (p < 1) and total ** (1/p) at a zero total once gave NaN slopes.
        x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        (ours,) = torch.autograd.grad(vector_norm(x, ord), x)
        (theirs,) = torch.autograd.grad(torch.linalg.vector_norm(x, ord), x)
        assert_close(ours, theirs, **tol(torch.float64))

    @pytest.mark.parametrize("ord", [0.5, 1.0, 2.0, math.inf])
    def test_infinite_and_nan_entries_match_torch(self, ord: float) -> None:
        # Regression: [inf, 1] was scaled by inf, giving inf / inf = NaN instead of inf.
        for values in ([math.inf, 1.0], [-math.inf, 0.0], [math.nan, 1.0], [math.nan, math.inf]):
            x = torch.tensor(values, dtype=torch.float64)
            assert_close(vector_norm(x, ord), torch.linalg.vector_norm(x, ord), equal_nan=True)

    def test_empty_matches_torch(self) -> None:
        for x, dim in ((torch.zeros(0), None), (torch.zeros(2, 0), 1), (torch.zeros(2, 0), 0)):
            assert_close(vector_norm(x, 2.0, dim), torch.linalg.vector_norm(x, 2.0, dim))

    def test_rejects_bad_ord(self) -> None:
        with pytest.raises(ValueError, match=r"ord must be in \(0.0, inf\], but got 0"):
            vector_norm(torch.ones(3), ord=0)


class TestEntropy:
    @pytest.mark.parametrize("base", [None, math.e, 2.0, 10.0])
    def test_matches_scipy(self, base: float | None) -> None:
        p = random_distribution(4, 7)
        expected = torch.from_numpy(np.asarray(scipy.stats.entropy(p.numpy(), base=base, axis=-1)))
        assert_close(entropy(p, base=base, axis=-1), expected, **tol(torch.float64))

    def test_defaults_are_scipys(self) -> None:
        # Regression: entropy defaulted to the last axis and did not normalise, so a 2-D
        # input gave [0.611, 0.325] where scipy gives [0.377, 0.562] (columns, normalised).
        counts = torch.tensor([[1.0, 2.0], [3.0, 1.0]], dtype=torch.float64)
        expected = torch.from_numpy(scipy.stats.entropy(counts.numpy()))
        assert_close(entropy(counts), expected, **tol(torch.float64))
        assert_close(entropy(counts), torch.tensor([0.5623351446, 0.6365141683]).double())

    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_relative_entropy_matches_scipy(self, axis: int) -> None:
        g = torch.Generator().manual_seed(axis + 5)
        p = torch.rand(5, 6, generator=g, dtype=torch.float64) * 3  # unnormalised weights
        q = torch.rand(5, 6, generator=g, dtype=torch.float64)
        p[1, 2] = 0.0  # 0 log 0 = 0
        expected = scipy.stats.entropy(p.numpy(), q.numpy(), base=2, axis=axis)
        assert_close(entropy(p, q, 2, axis), torch.from_numpy(expected), **tol(torch.float64))

    def test_divergence_is_infinite_where_q_rules_out_an_event(self) -> None:
        p = torch.tensor([0.5, 0.5], dtype=torch.float64)
        q = torch.tensor([1.0, 0.0], dtype=torch.float64)
        assert entropy(p, q).item() == math.inf == scipy.stats.entropy(p.numpy(), q.numpy())

    def test_hand_derived(self) -> None:
        fair_coin = torch.tensor([0.5, 0.5], dtype=torch.float64)
        assert entropy(fair_coin, base=2).item() == pytest.approx(1.0)  # one bit
        assert (
            entropy(torch.tensor([1.0, 0.0])).item() == 0.0
        )  # a sure event carries no information
        assert information_content(torch.tensor(0.25), base=2).item() == pytest.approx(2.0)

    def test_uniform_is_the_maximum(self) -> None:
        p = random_distribution(50, 8)
        assert (entropy(p, axis=1) <= math.log(8) + 1e-12).all()

    def test_other_axis(self) -> None:
        p = random_distribution(3, 5).T.contiguous()  # distributions along dim 0
        assert_close(entropy(p), entropy(p.T, axis=-1))

    def test_integer_counts_match_scipy(self) -> None:
        # counts work as probabilities, in the default float dtype (scipy: float64)
        counts = torch.tensor([[3, 0, 1], [1, 1, 2]])
        got = entropy(counts, axis=1, base=2)
        assert got.dtype == torch.get_default_dtype()
        want = scipy.stats.entropy(counts.numpy(), base=2, axis=1)
        assert_close(got.double(), torch.from_numpy(want), rtol=1e-6, atol=1e-7)

    def test_rejects_nan_and_bad_axis(self) -> None:
        with pytest.raises(ValueError, match="pk must be finite, but got a value of nan"):
            entropy(torch.tensor([0.5, float("nan")]))
        with pytest.raises(ValueError, match=r"axis must be in \[-1, 0\] for pk with 1 dim"):
            entropy(torch.tensor([0.5, 0.5]), axis=1)

    def test_rejects_non_distribution(self) -> None:
        with pytest.raises(ValueError, match=r"pk must have a positive sum along axis 0"):
            entropy(torch.tensor([0.0, 0.0]))
        with pytest.raises(ValueError, match=r"pk must hold probabilities >= 0, but got -0\.5"):
            entropy(torch.tensor([1.5, -0.5]))
        with pytest.raises(ValueError, match=r"qk must have pk's shape \(2,\), but got \(3,\)"):
            entropy(torch.tensor([0.5, 0.5]), torch.ones(3))


class TestCrossEntropy:
    def test_matches_torch_with_probability_targets(self) -> None:
        p, q = random_distribution(5, 6, seed=1), random_distribution(5, 6, seed=2)
        expected = F.cross_entropy(
            q.log(), p, reduction="none"
        )  # log q as logits: softmax(log q) = q
        assert_close(cross_entropy_between(p, q), expected, **tol(torch.float64))

    def test_gap_is_the_kl_divergence(self) -> None:
        p, q = random_distribution(5, 6, seed=3), random_distribution(5, 6, seed=4)
        kl = torch.from_numpy(np.asarray(scipy.stats.entropy(p.numpy(), q.numpy(), axis=-1)))
        assert_close(cross_entropy_between(p, q) - entropy(p, axis=-1), kl, **tol(torch.float64))
        assert_close(cross_entropy_between(p, p), entropy(p, axis=-1), **tol(torch.float64))

    def test_one_hot_target_is_minus_log_q(self) -> None:
        p = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
        q = torch.tensor([0.2, 0.5, 0.3], dtype=torch.float64)
        assert cross_entropy_between(p, q).item() == pytest.approx(-math.log(0.5))

    def test_ruled_out_event_is_infinite(self) -> None:
        assert (
            cross_entropy_between(torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0])).item()
            == math.inf
        )

    def test_gradient_where_p_and_q_are_zero(self) -> None:
        # Regression: the discarded branch 0 * log(0) once leaked NaN into the gradient.
        p = torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64)
        q = torch.tensor([0.25, 0.75, 0.0], dtype=torch.float64, requires_grad=True)
        (grad,) = torch.autograd.grad(cross_entropy_between(p, q), q)
        # d/dq_i of -sum p_i log q_i is -p_i / q_i, and 0 for a class with p_i = 0
        assert_close(grad, torch.tensor([-2.0, -2.0 / 3.0, 0.0], dtype=torch.float64))

    def test_rejects_shape_mismatch(self) -> None:
        with pytest.raises(
            ValueError, match=r"p and q must have the same shape, but got \(2, 3\) and \(3,\)"
        ):
            cross_entropy_between(random_distribution(2, 3), random_distribution(3))
