"""Mode coverage against a brute-force count, the Inception Score against hand-derived
values and a KL formulation, slerp against its geometry."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from reference.generative import (
    inception_score,
    mode_counts,
    mode_coverage,
    ring_centres,
    sample_ring,
    slerp,
)
from tests.conftest import tol


class TestModeCoverage:
    def test_matches_brute_force(self) -> None:
        centres = ring_centres()
        samples = torch.randn(300, 2) * 1.5
        expected = torch.zeros(8, dtype=torch.long)
        for point in samples:
            distances = [float((point - c).norm()) for c in centres]
            best = min(range(8), key=distances.__getitem__)
            if distances[best] < 3 * 0.2:
                expected[best] += 1
        assert torch.equal(mode_counts(samples, centres, std=0.2), expected)

    def test_three_of_eight_modes(self) -> None:
        centres = ring_centres()
        samples = centres[[0, 0, 3, 5]] + 0.01
        assert mode_coverage(samples, centres, std=0.05) == 3 / 8
        assert mode_coverage(samples, centres, std=0.05, min_count=2) == 1 / 8

    def test_threshold_is_three_sigma(self) -> None:
        centres = ring_centres()
        inside = centres[:1] + torch.tensor([[0.1499, 0.0]])
        outside = centres[:1] + torch.tensor([[0.1501, 0.0]])
        assert mode_counts(inside, centres, std=0.05)[0] == 1
        assert mode_counts(outside, centres, std=0.05)[0] == 0

    def test_true_distribution_covers_every_mode(self) -> None:
        samples = sample_ring(2000, std=0.05, generator=torch.Generator().manual_seed(0))
        assert mode_coverage(samples, ring_centres(), std=0.05) == 1.0
        # 3 sigma in 2-D holds 1 - exp(-9/2) = 98.9 % of a Gaussian's mass
        share = mode_counts(samples, ring_centres(), 0.05).sum().item() / 2000
        assert share == pytest.approx(1 - math.exp(-4.5), abs=0.01)

    def test_rejects_mismatched_dimensions(self) -> None:
        with pytest.raises(ValueError, match="centres must have shape"):
            mode_counts(torch.zeros(3, 2), torch.zeros(4, 3), 1.0)


class TestInceptionScore:
    @pytest.mark.parametrize("classes", [2, 5, 10])
    def test_confident_and_uniform_gives_the_number_of_classes(self, classes: int) -> None:
        probs = torch.eye(classes, dtype=torch.float64).repeat(3, 1)
        assert inception_score(probs).item() == pytest.approx(classes, rel=1e-9)

    def test_identical_predictions_give_one(self) -> None:
        probs = torch.tensor([[0.7, 0.2, 0.1]] * 6, dtype=torch.float64)
        assert inception_score(probs).item() == pytest.approx(1.0, abs=1e-12)

    def test_hand_derived_two_class_case(self) -> None:
        # p(y) = (0.75, 0.25); KL_1 = log(4/3); KL_2 = 0.5 log(2/3) + 0.5 log 2 = 0.5 log(4/3)
        probs = torch.tensor([[1.0, 0.0], [0.5, 0.5]], dtype=torch.float64)
        assert inception_score(probs).item() == pytest.approx((4 / 3) ** 0.75, rel=1e-10)

    def test_matches_kl_div(self) -> None:
        probs = torch.rand(40, 7, dtype=torch.float64).softmax(dim=1)
        marginal = probs.mean(dim=0, keepdim=True).expand_as(probs)
        kl = F.kl_div(marginal.log(), probs, reduction="none").sum(dim=1)  # KL(probs || marginal)
        torch.testing.assert_close(inception_score(probs), kl.mean().exp(), **tol(torch.float64))

    @given(st.integers(1, 20), st.integers(2, 12), st.integers(0, 2**31 - 1))
    def test_between_one_and_number_of_classes(self, n: int, c: int, seed: int) -> None:
        logits = torch.randn(n, c, generator=torch.Generator().manual_seed(seed)) * 5
        score = inception_score(logits.double().softmax(dim=1)).item()
        assert 1 - 1e-9 <= score <= c + 1e-9

    def test_rejects_unnormalised_rows(self) -> None:
        with pytest.raises(ValueError, match="probs must hold probabilities"):
            inception_score(torch.ones(2, 3))


class TestSlerp:
    def test_endpoints_and_midpoint_of_orthogonal_unit_vectors(self) -> None:
        z0 = torch.tensor([1.0, 0.0], dtype=torch.float64)
        z1 = torch.tensor([0.0, 1.0], dtype=torch.float64)
        path = slerp(z0, z1, torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64))
        expected = torch.tensor([[1.0, 0.0], [0.5**0.5, 0.5**0.5], [0.0, 1.0]], dtype=torch.float64)
        torch.testing.assert_close(path, expected, **tol(torch.float64))

    def test_keeps_the_length_where_lerp_shrinks_it(self) -> None:
        z0, z1 = torch.randn(2, 64, dtype=torch.float64)
        z1 = z1 / z1.norm() * z0.norm()
        t = torch.linspace(0, 1, 9, dtype=torch.float64)
        torch.testing.assert_close(slerp(z0, z1, t).norm(dim=1), z0.norm().expand(9))
        assert torch.lerp(z0, z1, torch.tensor(0.5)).norm() < 0.9 * z0.norm()

    def test_parallel_vectors_fall_back_to_lerp(self) -> None:
        z0 = torch.tensor([1.0, 2.0], dtype=torch.float64)
        t = torch.tensor([0.25], dtype=torch.float64)
        torch.testing.assert_close(slerp(z0, 3 * z0, t), torch.lerp(z0, 3 * z0, t[:, None]))

    def test_rejects_different_sizes(self) -> None:
        with pytest.raises(ValueError, match="z1 must have shape"):
            slerp(torch.zeros(3), torch.zeros(4), torch.zeros(2))

    @pytest.mark.parametrize("which", ["z0", "z1"])
    def test_zero_end_point_is_lerp(self, which: str) -> None:
        # Regression: 0 / 0 in the cosine once made the whole path NaN.
        z = {"z0": torch.tensor([1.0, 2.0]), "z1": torch.tensor([-3.0, 0.5])}
        z[which] = torch.zeros(2)
        t = torch.linspace(0, 1, 5)
        torch.testing.assert_close(
            slerp(z["z0"], z["z1"], t), torch.lerp(z["z0"], z["z1"], t[:, None])
        )

    def test_opposite_vectors_are_lerp(self) -> None:
        z0 = torch.tensor([1.0, 2.0], dtype=torch.float64)
        t = torch.linspace(0, 1, 5, dtype=torch.float64)
        path = slerp(z0, -z0, t)
        assert torch.isfinite(path).all()
        torch.testing.assert_close(path, torch.lerp(z0, -z0, t[:, None]))
