"""The training loop against a closed-form fit, and the spiral walkthrough's accuracies."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from reference.foundations import make_spiral, top1_accuracy, train


class TestTrain:
    def test_converges_to_the_least_squares_solution(self) -> None:
        # A model that is linear in its parameters has a closed-form best fit: lstsq.
        g = torch.Generator().manual_seed(0)
        t = torch.linspace(-1, 1, 50, dtype=torch.float64)
        features = torch.stack([t, t**2, t**3], dim=1)  # [50, 3]
        target = torch.sin(3 * t)[:, None] + 0.05 * torch.randn(
            50, 1, generator=g, dtype=torch.float64
        )
        model = nn.Linear(3, 1).double()
        losses = train(
            model, features, target, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.5), 4000
        )
        design = torch.cat([features, torch.ones(50, 1, dtype=torch.float64)], dim=1)
        best = torch.linalg.lstsq(design, target).solution  # [4, 1]
        assert_close(model.weight.detach().T, best[:3], rtol=1e-4, atol=1e-4)
        assert_close(model.bias.detach(), best[3], rtol=1e-4, atol=1e-4)
        assert losses[-1] < losses[0]

    def test_records_every_kth_loss(self) -> None:
        model = nn.Linear(1, 1)
        x, y = torch.randn(8, 1), torch.randn(8, 1)
        losses = train(
            model,
            x,
            y,
            nn.MSELoss(),
            torch.optim.SGD(model.parameters(), lr=0.1),
            10,
            record_every=3,
        )
        assert len(losses) == 4  # steps 0, 3, 6, 9

    def test_rejects_mismatched_data(self) -> None:
        model = nn.Linear(1, 1)
        with pytest.raises(ValueError, match="x and y must have the same length, but got 8 and 7"):
            train(
                model,
                torch.zeros(8, 1),
                torch.zeros(7, 1),
                nn.MSELoss(),
                torch.optim.SGD(model.parameters()),
                1,
            )


class TestSpiral:
    def test_shape_and_balance(self) -> None:
        x, y = make_spiral(100, classes=3, generator=torch.Generator().manual_seed(0))
        assert x.shape == (300, 2) and y.shape == (300,)
        assert torch.bincount(y).tolist() == [100, 100, 100]
        assert (x.norm(dim=1) <= 1 + 1e-6).all()

    def test_deterministic(self) -> None:
        assert torch.equal(
            make_spiral(50, generator=torch.Generator().manual_seed(3))[0],
            make_spiral(50, generator=torch.Generator().manual_seed(3))[0],
        )

    def test_linear_model_fails_and_two_layer_net_succeeds(self) -> None:
        """The walkthrough's claim, on held-out points, with the same optimiser for both."""
        x, y = make_spiral(500, classes=4, generator=torch.Generator().manual_seed(0))
        x_test, y_test = make_spiral(500, classes=4, generator=torch.Generator().manual_seed(1))
        torch.manual_seed(0)
        linear = nn.Linear(2, 4)
        net = nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 4))
        for model in (linear, net):
            sgd = torch.optim.SGD(model.parameters(), lr=0.5)
            train(model, x, y, nn.CrossEntropyLoss(), sgd, 500)
        with torch.no_grad():
            assert 0.25 < top1_accuracy(linear(x_test), y_test) < 0.45
            assert top1_accuracy(net(x_test), y_test) > 0.85

    def test_rejects_bad_arguments(self) -> None:
        with pytest.raises(ValueError, match=r"noise must be in \[0.0, inf\), but got -1"):
            make_spiral(noise=-1)
