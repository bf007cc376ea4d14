"""Dropout family (statistical, fixed seed, loose bounds) and penalties against torch.optim.SGD."""

from __future__ import annotations

import pytest
import torch
import torchvision.ops
from torch import nn
from torch.testing import assert_close

from reference.training import (
    DropConnect,
    classic_dropout,
    dropout,
    l1_penalty,
    l2_penalty,
    soft_threshold,
    spatial_dropout,
    stochastic_depth,
)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class TestDropout:
    @pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
    def test_rate_scale_and_expectation(self, p: float) -> None:
        x = torch.rand(200_000, dtype=torch.float64) + 1
        y = dropout(x, p, generator=gen())
        dropped = y == 0
        assert abs(dropped.double().mean().item() - p) < 0.01
        assert_close(y[~dropped], x[~dropped] / (1 - p))  # survivors are scaled up
        assert abs(y.mean().item() - x.mean().item()) < 0.02  # so the mean is kept
        torch_rate = (nn.Dropout(p)(x) == 0).double().mean().item()  # same semantics as torch
        assert abs(torch_rate - p) < 0.01

    def test_eval_is_identity_and_edge_rates(self) -> None:
        x = torch.randn(10)
        assert torch.equal(dropout(x, 0.5, training=False), x)
        assert torch.equal(dropout(x, 0.0), x)
        assert torch.equal(dropout(x, 1.0), torch.zeros(10))

    @pytest.mark.parametrize("fn", [dropout, spatial_dropout], ids=["dropout", "spatial"])
    def test_p_one_stays_in_the_graph(self, fn) -> None:
        # Regression: p = 1 returned zeros_like(input), cut off from autograd, so backward()
        # through it failed; F.dropout returns a zero tensor whose gradient is 0.
        x = torch.randn(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
        ours = fn(x, 1.0)
        theirs = (nn.functional.dropout if fn is dropout else nn.functional.dropout2d)(x, 1.0)
        assert ours.requires_grad and theirs.requires_grad
        (ours_grad,) = torch.autograd.grad(ours.sum(), x)
        (theirs_grad,) = torch.autograd.grad(theirs.sum(), x)
        assert torch.equal(ours, theirs) and torch.equal(ours_grad, theirs_grad)

    def test_classic_dropout_has_the_same_expectation(self) -> None:
        x = torch.rand(200_000, dtype=torch.float64)
        train = classic_dropout(x, 0.3, generator=gen()).mean().item()
        test = classic_dropout(x, 0.3, training=False).mean().item()
        assert abs(train - test) < 0.01
        assert_close(classic_dropout(x, 0.3, training=False), 0.7 * x)

    def test_rejects_bad_p(self) -> None:
        with pytest.raises(ValueError, match=r"p must be in \[0.0, 1.0\], but got 1.5"):
            dropout(torch.zeros(3), 1.5)


class TestSpatialDropout:
    def test_whole_channels(self) -> None:
        x = torch.rand(64, 32, 5, 5) + 1
        y = spatial_dropout(x, 0.4, generator=gen())
        per_channel = (y == 0).flatten(2)
        assert (per_channel.all(-1) | ~per_channel.any(-1)).all()  # a channel is all or nothing
        assert abs(per_channel.all(-1).float().mean().item() - 0.4) < 0.03

    def test_3d_input_is_n_c_l_like_torch(self) -> None:
        x = torch.rand(16, 8, 10) + 1
        ours = spatial_dropout(x, 0.5, generator=gen())
        torch.manual_seed(0)
        with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
            theirs = nn.Dropout2d(0.5)(x)
        for y in (ours, theirs):  # zeros come in whole rows of length L
            zero = y == 0
            assert (zero.all(-1) | ~zero.any(-1)).all()

    def test_rejects_2d(self) -> None:
        with pytest.raises(
            ValueError, match=r"input must have at least 3 dimensions \(N, C, \.\.\.\), but got 2"
        ):
            spatial_dropout(torch.zeros(3, 4))


class TestDropConnect:
    def test_drops_weights_not_activations(self) -> None:
        layer = DropConnect(50, 40, p=0.5)
        x = torch.eye(50)  # row i of the output is column i of the (masked) weight matrix
        out = layer(x, generator=gen()) - layer.bias
        zeros = (out == 0).float().mean().item()
        assert abs(zeros - 0.5) < 0.03
        layer.eval()
        assert_close(layer(x), x @ layer.weight.T + layer.bias)

    def test_expected_output_is_the_linear_layer(self) -> None:
        layer = DropConnect(20, 10, p=0.3).double()
        generator = gen()
        x = torch.randn(4, 20, dtype=torch.float64)
        mean = torch.stack([layer(x, generator=generator) for _ in range(4000)]).mean(0)
        assert_close(mean, nn.functional.linear(x, layer.weight, layer.bias), atol=0.1, rtol=0)


class TestStochasticDepth:
    @pytest.mark.parametrize("mode", ["row", "batch"])
    def test_semantics_of_torchvision(self, mode: str) -> None:
        x = torch.rand(4000, 3, 2, 2) + 1
        ours = stochastic_depth(x, 0.3, mode, generator=gen())
        torch.manual_seed(0)
        theirs = torchvision.ops.stochastic_depth(x, 0.3, mode)
        for y in (ours, theirs):
            kept = (y != 0).flatten(1).all(1)
            assert_close(y[kept], x[kept] / 0.7)
            if mode == "row":
                assert abs(kept.float().mean().item() - 0.7) < 0.03
            else:
                assert kept.all() or not kept.any()

    def test_identity_when_not_training_or_p_zero(self) -> None:
        x = torch.randn(5, 3)
        assert torch.equal(stochastic_depth(x, 0.5, "row", training=False), x)
        assert torch.equal(stochastic_depth(x, 0.0, "row"), x)

    def test_rejects_unknown_mode(self) -> None:
        with pytest.raises(
            ValueError, match="mode must be one of 'row', 'batch', but got 'column'"
        ):
            stochastic_depth(torch.zeros(2), 0.5, "column")


class TestPenalties:
    def test_l2_step_equals_sgd_weight_decay(self) -> None:
        g = gen()
        x, y = (
            torch.randn(32, 5, generator=g, dtype=torch.float64),
            torch.randn(32, 1, generator=g, dtype=torch.float64),
        )
        ours, theirs = nn.Linear(5, 1).double(), nn.Linear(5, 1).double()
        theirs.load_state_dict(ours.state_dict())
        opt_ours = torch.optim.SGD(ours.parameters(), lr=0.1)
        opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1, weight_decay=0.05)
        for _ in range(20):
            opt_ours.zero_grad(), opt_theirs.zero_grad()
            loss = nn.functional.mse_loss(ours(x), y) + l2_penalty(list(ours.parameters()), 0.05)
            loss.backward()
            nn.functional.mse_loss(theirs(x), y).backward()
            opt_ours.step(), opt_theirs.step()
        for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
            assert_close(a, b)

    def test_l1_gradient_is_the_sign(self) -> None:
        w = torch.tensor([-2.0, 0.5, 3.0], requires_grad=True)
        (grad,) = torch.autograd.grad(l1_penalty([w], 0.1), w)
        assert_close(grad, torch.tensor([-0.1, 0.1, 0.1]))
        assert l1_penalty([w], 0.1).item() == pytest.approx(0.55)
        assert l2_penalty([w], 0.1).item() == pytest.approx(0.05 * (4 + 0.25 + 9))


class TestSoftThreshold:
    def test_matches_softshrink(self) -> None:
        x = torch.cat([torch.randn(100, dtype=torch.float64) * 2, torch.tensor([0.0, 0.3, -0.3])])
        for threshold in (0.0, 0.3, 1.0):
            assert_close(soft_threshold(x, threshold), nn.functional.softshrink(x, threshold))
        away = x[(x.abs() - 0.3).abs() > 1e-6].clone().requires_grad_()
        (ours,) = torch.autograd.grad(soft_threshold(away, 0.3).sum(), away)
        (theirs,) = torch.autograd.grad(nn.functional.softshrink(away, 0.3).sum(), away)
        assert_close(ours, theirs)

    def test_rejects_a_negative_threshold(self) -> None:
        with pytest.raises(ValueError, match=r"threshold must be in \[0.0, inf\), but got -1"):
            soft_threshold(torch.zeros(2), -1)


def lasso_problem() -> tuple[torch.Tensor, torch.Tensor]:
    g = gen()
    x = torch.randn(200, 8, generator=g, dtype=torch.float64)
    true_w = torch.tensor([3.0, -2.0, 1.5, 0, 0, 0, 0, 0], dtype=torch.float64)
    return x, x @ true_w + 0.5 * torch.randn(200, generator=g, dtype=torch.float64)


class TestL1Sparsity:
    def test_gradient_steps_on_the_penalty_give_no_exact_zeros(self) -> None:
        x, y = lasso_problem()
        w = torch.zeros(8, dtype=torch.float64, requires_grad=True)
        optimizer = torch.optim.SGD([w], lr=0.01)
        for _ in range(5000):
            optimizer.zero_grad()
            loss = 0.5 * ((x @ w - y) ** 2).mean() + l1_penalty([w], 0.5)
            loss.backward()
            optimizer.step()
        assert int((w == 0).sum()) == 0
        assert w[3:].abs().max() < 0.01  # the useless weights hover near 0, not at it

    def test_the_proximal_step_gives_exact_zeros(self) -> None:
        x, y = lasso_problem()
        w = torch.zeros(8, dtype=torch.float64)
        lr, weight = 0.01, 0.5
        for _ in range(5000):
            w = w - lr * x.T @ (x @ w - y) / len(y)  # gradient step on the loss alone
            w = soft_threshold(w, lr * weight)  # then the penalty's proximal step
        assert torch.equal(w[3:], torch.zeros(5, dtype=torch.float64))
        assert bool((w[:3] != 0).all())
