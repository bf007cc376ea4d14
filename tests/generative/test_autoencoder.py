"""ROC AUC against torchmetrics and scipy's Mann-Whitney U, the cycle loss against
F.l1_loss and hand-derived values, and the autoencoder's pieces for their behaviour."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu
from torch import nn
from torchmetrics.functional.classification import binary_auroc

from reference.generative import (
    Autoencoder,
    cycle_consistency_loss,
    fit_autoencoder,
    make_digits,
    reconstruction_error,
    roc_auc,
    roc_auc_pairs,
)
from tests.conftest import tol


class TestRocAuc:
    @given(st.integers(2, 60), st.integers(0, 2**31 - 1), st.booleans())
    def test_matches_torchmetrics_and_scipy(self, n: int, seed: int, ties: bool) -> None:
        g = torch.Generator().manual_seed(seed)
        scores = torch.randn(n, generator=g, dtype=torch.float64)
        if ties:
            scores = scores.round()  # many equal scores
        labels = torch.arange(n) % 2  # both classes present
        labels = labels[torch.randperm(n, generator=g)]
        got = roc_auc(scores, labels)
        assert got == pytest.approx(binary_auroc(scores, labels).item(), abs=1e-6)
        assert roc_auc_pairs(scores, labels) == pytest.approx(got, abs=1e-12)
        u = mannwhitneyu(scores[labels == 1].numpy(), scores[labels == 0].numpy()).statistic
        assert got == pytest.approx(
            u / (labels.sum().item() * (n - labels.sum().item())), abs=1e-12
        )

    def test_hand_derived_values(self) -> None:
        labels = torch.tensor([0, 0, 1, 1])
        assert roc_auc(torch.tensor([0.1, 0.2, 0.8, 0.9]), labels) == 1.0
        assert roc_auc(torch.tensor([0.9, 0.8, 0.2, 0.1]), labels) == 0.0
        assert roc_auc(torch.ones(4), labels) == 0.5
        # pairs (pos, neg): (0.3 vs 0.1, 0.5) -> 1, 0 ; (0.5 vs 0.1, 0.5) -> 1, 1/2
        assert roc_auc(torch.tensor([0.1, 0.5, 0.3, 0.5]), labels) == 2.5 / 4

    def test_rejects_one_class(self) -> None:
        with pytest.raises(ValueError, match="labels must contain both classes"):
            roc_auc(torch.rand(5), torch.ones(5))

    def test_rejects_nan_scores(self) -> None:
        # Regression: a NaN score once got a rank and the AUC came out as 1.0.
        with pytest.raises(ValueError, match="scores must be finite, but got a value of nan"):
            roc_auc(torch.tensor([0.1, float("nan"), 0.3]), torch.tensor([0, 1, 1]))

    @pytest.mark.parametrize("bad", [2, -1])
    def test_rejects_labels_other_than_0_and_1(self, bad: int) -> None:
        # Regression: 2 once counted as a positive; torchmetrics refuses it too.
        scores, labels = torch.tensor([0.1, 0.2, 0.3]), torch.tensor([0, 1, bad])
        with pytest.raises(RuntimeError, match="expected only the following values"):
            binary_auroc(scores, labels)
        with pytest.raises(ValueError, match=f"labels must be 0 or 1, but got {bad}"):
            roc_auc(scores, labels)

    def test_rejects_fractional_labels(self) -> None:
        with pytest.raises(ValueError, match=r"labels must be 0 or 1, but got 0\.5"):
            roc_auc(torch.tensor([0.1, 0.2, 0.3]), torch.tensor([0.0, 1.0, 0.5]))

    def test_bool_and_float_labels_match_torchmetrics(self) -> None:
        scores = torch.tensor([0.3, 0.1, 0.8, 0.5, 0.5])
        labels = torch.tensor([0, 0, 1, 1, 0])
        want = binary_auroc(scores, labels).item()
        assert roc_auc(scores, labels.bool()) == pytest.approx(want)
        assert roc_auc(scores, labels.float()) == pytest.approx(want)

    def test_rejects_different_lengths(self) -> None:
        with pytest.raises(ValueError, match="scores and labels must have the same length"):
            roc_auc(torch.rand(5), torch.tensor([0, 1]))


class TestCycleConsistencyLoss:
    def test_matches_l1_loss_with_networks(self) -> None:
        g = nn.Conv2d(3, 3, 3, padding=1).double()
        f = nn.Conv2d(3, 3, 1).double()
        x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
        y = torch.randn(4, 3, 8, 8, dtype=torch.float64)
        expected = F.l1_loss(f(g(x)), x) + F.l1_loss(g(f(y)), y)
        torch.testing.assert_close(
            cycle_consistency_loss(x, y, g, f), expected, **tol(torch.float64)
        )

    def test_inverse_pair_costs_nothing(self) -> None:
        x, y = torch.randn(5, 4), torch.randn(3, 4)
        loss = cycle_consistency_loss(x, y, lambda a: 2 * a + 1, lambda b: (b - 1) / 2)
        assert loss.item() == pytest.approx(0.0, abs=1e-6)

    def test_hand_derived_value(self) -> None:
        # g adds 1, f is the identity: each cycle is off by exactly 1 everywhere
        x, y = torch.randn(5, 4), torch.randn(3, 4)
        assert cycle_consistency_loss(x, y, lambda a: a + 1, lambda b: b).item() == pytest.approx(
            2.0
        )

    def test_rejects_non_tensor(self) -> None:
        with pytest.raises(TypeError, match=r"x must be a torch\.Tensor"):
            cycle_consistency_loss([1.0], torch.zeros(1), lambda a: a, lambda b: b)


class TestAutoencoder:
    def test_digits_are_deterministic_and_in_range(self) -> None:
        def gen(seed: int) -> torch.Generator:
            return torch.Generator().manual_seed(seed)

        x, y = make_digits(3, generator=gen(5))
        assert x.shape == (30, 64) and x.dtype == torch.float32
        assert torch.equal(y, torch.arange(10).repeat_interleave(3))
        assert x.min() >= 0 and x.max() == 1
        assert torch.equal(make_digits(3, generator=gen(5))[0], x)
        assert not torch.equal(make_digits(3, generator=gen(6))[0], x)

    def test_reconstruction_error_is_per_row_mse(self) -> None:
        model = Autoencoder(64, 16, 4)
        x = torch.rand(7, 64)
        expected = F.mse_loss(model(x), x, reduction="none").mean(dim=1)
        torch.testing.assert_close(reconstruction_error(model, x), expected)

    def test_training_lowers_the_reconstruction_error(self) -> None:
        x, _ = make_digits(10)
        model = Autoencoder(64, 32, 8)
        before = reconstruction_error(model, x).mean()
        losses = fit_autoencoder(model, x, steps=300)
        assert len(losses) == 300
        after = reconstruction_error(model, x).mean()
        assert after < 0.5 * before
        # the digits' mean image is the best constant guess: the code must beat it
        assert after < (x - x.mean(dim=0)).pow(2).mean()

    def test_code_is_the_bottleneck(self) -> None:
        model = Autoencoder(64, 32, 3)
        assert model.encoder(torch.rand(2, 64)).shape == (2, 3)

    def test_rejects_images_not_flattened(self) -> None:
        with pytest.raises(ValueError, match="x must have shape"):
            reconstruction_error(Autoencoder(), torch.rand(2, 8, 8))
