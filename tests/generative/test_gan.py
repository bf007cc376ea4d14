"""The GAN losses against F.binary_cross_entropy_with_logits and hand-derived values;
the training step for its behaviour."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from reference.generative import (
    discriminator_loss,
    gan_step,
    generator_loss,
    mlp,
    ring_centres,
    sample_ring,
)
from tests.conftest import tol


class TestDiscriminatorLoss:
    def test_matches_bce_with_logits(self) -> None:
        real = torch.randn(37, 1, dtype=torch.float64) * 3
        fake = torch.randn(23, 1, dtype=torch.float64) * 3
        expected = F.binary_cross_entropy_with_logits(
            real, torch.ones_like(real)
        ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
        torch.testing.assert_close(discriminator_loss(real, fake), expected, **tol(torch.float64))

    def test_undecided_discriminator_costs_two_log_two(self) -> None:
        # D = 1/2 everywhere: -log(1/2) for the real half and again for the fake half
        zeros = torch.zeros(8, dtype=torch.float64)
        assert discriminator_loss(zeros, zeros).item() == pytest.approx(2 * math.log(2))

    def test_large_logits_stay_finite(self) -> None:
        loss = discriminator_loss(torch.tensor([200.0]), torch.tensor([-200.0]))
        assert loss.item() == 0.0
        assert torch.isfinite(discriminator_loss(torch.tensor([-200.0]), torch.tensor([200.0])))

    def test_rejects_scalar(self) -> None:
        with pytest.raises(ValueError, match="real_logits must have shape"):
            discriminator_loss(torch.tensor(1.0), torch.zeros(3))


class TestGeneratorLoss:
    def test_non_saturating_is_bce_against_real_labels(self) -> None:
        fake = torch.randn(50, 1, dtype=torch.float64) * 4
        expected = F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
        torch.testing.assert_close(generator_loss(fake), expected, **tol(torch.float64))

    def test_minimax_is_minus_the_discriminators_fake_term(self) -> None:
        fake = torch.randn(50, dtype=torch.float64) * 4
        expected = -F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
        torch.testing.assert_close(generator_loss(fake, False), expected, **tol(torch.float64))

    def test_gradients_when_the_discriminator_rejects_the_samples(self) -> None:
        # logit a = -10, D = sigmoid(a) ~ 4.5e-5. d/da softplus(-a) = -(1 - sigmoid(a)) ~ -1;
        # d/da (-softplus(a)) = -sigmoid(a) ~ -4.5e-5: the minimax loss has almost no gradient.
        a = torch.tensor([-10.0], dtype=torch.float64, requires_grad=True)
        (grad_ns,) = torch.autograd.grad(generator_loss(a, True), a)
        (grad_mm,) = torch.autograd.grad(generator_loss(a, False), a)
        sig = 1 / (1 + math.exp(10))
        assert grad_ns.item() == pytest.approx(-(1 - sig), rel=1e-12)
        assert grad_mm.item() == pytest.approx(-sig, rel=1e-12)

    def test_gradcheck(self) -> None:
        a = torch.randn(6, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(generator_loss, (a,))
        assert torch.autograd.gradcheck(lambda x: discriminator_loss(x, x.flip(0)), (a,))


class TestRing:
    def test_centres_lie_on_the_circle(self) -> None:
        centres = ring_centres(8, radius=2.0)
        torch.testing.assert_close(centres.norm(dim=1), torch.full((8,), 2.0))
        torch.testing.assert_close(centres[2], torch.tensor([0.0, 2.0]), atol=1e-6, rtol=0)

    def test_samples_are_near_centres_in_equal_shares(self) -> None:
        g = torch.Generator().manual_seed(1)
        x = sample_ring(16000, std=0.05, generator=g)
        distance, nearest = torch.cdist(x, ring_centres()).min(dim=1)
        assert distance.max() < 6 * 0.05
        shares = torch.bincount(nearest, minlength=8) / 16000
        assert (shares - 1 / 8).abs().max() < 0.015  # binomial sd is 0.0026
        assert x.std(dim=0).mean() == pytest.approx(math.sqrt(2), rel=0.05)

    def test_rejects_negative_std(self) -> None:
        with pytest.raises(ValueError, match="std must be in"):
            sample_ring(3, std=-1.0)


class TestGanStep:
    def _setup(self, lr_g: float, lr_d: float):
        torch.manual_seed(0)
        G, D = mlp(2, 32, 2), mlp(2, 32, 1)
        return (
            G,
            D,
            torch.optim.Adam(G.parameters(), lr=lr_g),
            torch.optim.Adam(D.parameters(), lr=lr_d),
        )

    def test_discriminator_loss_falls_against_a_fixed_generator(self) -> None:
        G, D, opt_g, opt_d = self._setup(lr_g=0.0, lr_d=1e-2)
        before = [p.clone() for p in G.parameters()]
        g = torch.Generator().manual_seed(0)
        losses = [
            gan_step(G, D, opt_g, opt_d, sample_ring(128, generator=g), 2)[0] for _ in range(150)
        ]
        assert losses[0] == pytest.approx(2 * math.log(2), abs=0.2)  # an untrained D is unsure
        assert sum(losses[-10:]) / 10 < 0.3  # a fixed generator is easy to tell apart
        assert all(torch.equal(a, b) for a, b in zip(before, G.parameters(), strict=True))

    def test_generator_step_raises_the_fixed_discriminators_score(self) -> None:
        G, D, opt_g, opt_d = self._setup(lr_g=1e-2, lr_d=0.0)
        D_before = [p.clone() for p in D.parameters()]
        z = torch.randn(512, 2)
        with torch.no_grad():
            before = D(G(z)).mean()
        real = sample_ring(128)
        for _ in range(20):
            gan_step(G, D, opt_g, opt_d, real, 2)
        with torch.no_grad():
            after = D(G(z)).mean()
        assert after > before
        assert all(torch.equal(a, b) for a, b in zip(D_before, D.parameters(), strict=True))

    def test_rejects_flat_batch(self) -> None:
        G, D, opt_g, opt_d = self._setup(1e-3, 1e-3)
        with pytest.raises(ValueError, match="real must have shape"):
            gan_step(G, D, opt_g, opt_d, torch.zeros(4), 2)
