"""BatchNorm2d and LayerNorm against torch.nn: outputs, running statistics, state dicts."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from reference.training import BatchNorm2d, GroupNorm, LayerNorm
from tests.conftest import tol


class TestBatchNorm2d:
    def test_same_state_dict_keys(self) -> None:
        assert list(BatchNorm2d(4).state_dict()) == list(nn.BatchNorm2d(4).state_dict())

    @pytest.mark.parametrize("momentum", [0.1, 0.5])
    def test_train_then_eval_matches_torch(self, momentum: float) -> None:
        g = torch.Generator().manual_seed(0)
        theirs = nn.BatchNorm2d(3, momentum=momentum).double()
        ours = BatchNorm2d(3, momentum=momentum).double()
        with torch.no_grad():
            theirs.weight.copy_(torch.rand(3, generator=g, dtype=torch.float64) + 0.5)
            theirs.bias.copy_(torch.randn(3, generator=g, dtype=torch.float64))
        ours.load_state_dict(theirs.state_dict())
        for _ in range(4):
            x = torch.randn(5, 3, 4, 6, generator=g, dtype=torch.float64) * 3 + 2
            assert_close(ours(x), theirs(x), **tol(torch.float64))
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            assert_close(getattr(ours, name), getattr(theirs, name), **tol(torch.float64))
        ours.eval(), theirs.eval()
        assert_close(ours(x), theirs(x), **tol(torch.float64))

    def test_running_var_is_unbiased_and_output_uses_biased(self) -> None:
        bn = BatchNorm2d(1, momentum=1.0).double()  # momentum 1: running = last batch
        x = torch.tensor([1.0, 2.0, 3.0, 6.0], dtype=torch.float64).reshape(4, 1, 1, 1)
        out = bn(x)
        assert bn.running_var.item() == pytest.approx(
            14 / 3
        )  # sum of squared deviations 14, n - 1 = 3
        assert out.var(unbiased=False).item() == pytest.approx(
            1.0, abs=1e-5
        )  # normalised by 14 / 4

    def test_gradients_match_torch(self) -> None:
        theirs, ours = nn.BatchNorm2d(2).double(), BatchNorm2d(2).double()
        x = torch.randn(3, 2, 4, 4, dtype=torch.float64, requires_grad=True)
        (a,) = torch.autograd.grad((ours(x) ** 3).sum(), x)
        (b,) = torch.autograd.grad((theirs(x) ** 3).sum(), x)
        assert_close(a, b, **tol(torch.float64))

    @pytest.mark.parametrize("training", [True, False])
    def test_float32_precision_at_large_means(self, training: bool) -> None:
        # Regression: x * scale + (bias - mean * scale) cancels two large terms; at channel
        # means of 1e4 that lost about 4 times more float32 precision than torch.
        g = torch.Generator().manual_seed(0)
        x = torch.randn(8, 32, 8, 8, generator=g) + torch.logspace(2, 5, 32)[:, None, None]
        ours, theirs = BatchNorm2d(32), nn.BatchNorm2d(32)
        for bn in (ours, theirs):
            bn.running_mean.copy_(x.mean(dim=(0, 2, 3)))
            bn.running_var.copy_(x.var(dim=(0, 2, 3)))
            bn.train(training)
        exact = nn.BatchNorm2d(32).double().train(training)
        exact.load_state_dict(theirs.state_dict())
        truth = exact(x.double())
        our_error = (ours(x).double() - truth).abs().amax(dim=(0, 2, 3))  # [C]
        their_error = (theirs(x).double() - truth).abs().amax(dim=(0, 2, 3))
        assert our_error.max() <= their_error.max()
        assert our_error.mean() <= their_error.mean()

    def test_rejects_single_value_per_channel_in_training(self) -> None:
        with pytest.raises(
            ValueError,
            match=r"input must have more than 1 value per channel to train, but got \(1, 2, 1, 1\)",
        ):
            BatchNorm2d(2)(torch.zeros(1, 2, 1, 1))
        with pytest.raises(ValueError):
            nn.BatchNorm2d(2)(torch.zeros(1, 2, 1, 1))  # torch refuses too

    def test_rejects_wrong_channels(self) -> None:
        with pytest.raises(
            ValueError,
            match=r"input must have shape \(B, 3, H, W\) to match num_features, "
            r"but got \(2, 4, 5, 5\)",
        ):
            BatchNorm2d(3)(torch.zeros(2, 4, 5, 5))


class TestLayerNorm:
    @pytest.mark.parametrize("shape", [8, (4, 5)])
    def test_matches_torch(self, shape) -> None:
        theirs = nn.LayerNorm(shape).double()
        with torch.no_grad():
            theirs.weight.normal_(), theirs.bias.normal_()
        ours = LayerNorm(shape).double()
        ours.load_state_dict(theirs.state_dict())
        dims = (shape,) if isinstance(shape, int) else shape
        x = torch.randn(3, 2, *dims, dtype=torch.float64) * 4
        assert_close(ours(x), theirs(x), **tol(torch.float64))
        (a,) = torch.autograd.grad(ours(x.requires_grad_()).pow(2).sum(), x)
        (b,) = torch.autograd.grad(theirs(x).pow(2).sum(), x)
        assert_close(a, b, **tol(torch.float64))

    def test_independent_of_the_batch(self) -> None:
        ln = LayerNorm(6).double()
        x = torch.randn(5, 6, dtype=torch.float64)
        assert_close(ln(x)[:1], ln(x[:1]))


class TestGroupNorm:
    def test_same_state_dict_keys(self) -> None:
        assert list(GroupNorm(2, 4).state_dict()) == list(nn.GroupNorm(2, 4).state_dict())

    @pytest.mark.parametrize("groups", [1, 2, 3, 6])
    @pytest.mark.parametrize("shape", [(4, 6, 5, 7), (3, 6, 9), (2, 6)])
    def test_matches_torch(self, groups: int, shape: tuple[int, ...]) -> None:
        g = torch.Generator().manual_seed(groups)
        theirs = nn.GroupNorm(groups, 6).double()
        with torch.no_grad():
            theirs.weight.copy_(torch.rand(6, generator=g, dtype=torch.float64) + 0.5)
            theirs.bias.copy_(torch.randn(6, generator=g, dtype=torch.float64))
        ours = GroupNorm(groups, 6).double()
        ours.load_state_dict(theirs.state_dict())
        x = torch.randn(*shape, generator=g, dtype=torch.float64) * 4 - 1
        assert_close(ours(x), theirs(x), **tol(torch.float64))
        grad_ours = torch.autograd.grad(ours(x.requires_grad_()).pow(3).sum(), x)[0]
        grad_theirs = torch.autograd.grad(theirs(x).pow(3).sum(), x)[0]
        assert_close(grad_ours, grad_theirs, **tol(torch.float64))

    def test_one_group_per_channel_is_instance_norm(self) -> None:
        x = torch.randn(3, 4, 5, 5, dtype=torch.float64)
        instance = nn.InstanceNorm2d(4, affine=True).double()
        assert_close(GroupNorm(4, 4).double()(x), instance(x), **tol(torch.float64))

    def test_one_group_is_layer_norm_over_the_whole_sample(self) -> None:
        x = torch.randn(3, 4, 5, 5, dtype=torch.float64)
        whole = torch.nn.functional.layer_norm(x, (4, 5, 5))
        assert_close(GroupNorm(1, 4).double()(x), whole, **tol(torch.float64))

    def test_a_sample_does_not_depend_on_the_batch(self) -> None:
        x = torch.randn(5, 4, 3, 3, dtype=torch.float64)
        norm = GroupNorm(2, 4).double()
        assert_close(norm(x)[:1], norm(x[:1]), **tol(torch.float64))

    def test_rejects_bad_arguments(self) -> None:
        with pytest.raises(
            ValueError, match="num_channels must be divisible by num_groups=4, but got 6"
        ):
            GroupNorm(4, 6)
        with pytest.raises(
            ValueError,
            match=r"input must have shape \(B, 6, \*\) to match num_channels, but got \(2, 5, 3\)",
        ):
            GroupNorm(3, 6)(torch.zeros(2, 5, 3))
