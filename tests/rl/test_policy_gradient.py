"""reference.rl.policy_gradient: returns and advantages exact, the loss's gradient analytic,
and both training methods reaching a stated return on the gridworld."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference.rl import (
    GridWorld,
    discounted_returns,
    feature_expectations,
    greedy_policy,
    one_step_advantages,
    policy_gradient_loss,
    train,
)
from tests.conftest import tol

OPTIMAL = -0.05 * (1 + 0.9 + 0.81 + 0.729 + 0.6561) + 0.9**5  # see test_gridworld.py
THRESHOLD = 0.3  # expected return of the trained (still stochastic) policy; random: -1.0


def returns_loop(rewards: list[float], gamma: float) -> list[float]:
    out, g = [], 0.0
    for r in reversed(rewards):
        g = r + gamma * g
        out.append(g)
    return out[::-1]


class TestDiscountedReturns:
    def test_by_hand(self) -> None:
        rewards = torch.tensor([[1.0, 0.0, 2.0]], dtype=torch.float64)
        assert discounted_returns(rewards, 0.5).tolist() == [[1.5, 1.0, 2.0]]
        assert discounted_returns(rewards, 0.0).tolist() == rewards.tolist()
        assert discounted_returns(rewards, 1.0).tolist() == [[3.0, 2.0, 2.0]]

    @given(
        st.lists(st.floats(-10, 10), min_size=1, max_size=30),
        st.floats(0, 1),
    )
    def test_matches_the_backward_loop(self, rewards: list[float], gamma: float) -> None:
        got = discounted_returns(torch.tensor(rewards, dtype=torch.float64), gamma)
        want = torch.tensor(returns_loop(rewards, gamma), dtype=torch.float64)
        torch.testing.assert_close(got, want, **tol(torch.float64))

    def test_batched_rows_are_independent(self) -> None:
        rewards = torch.randn(4, 7, dtype=torch.float64)
        got = discounted_returns(rewards, 0.9)
        for row, out in zip(rewards, got, strict=True):
            want = torch.tensor(returns_loop(row.tolist(), 0.9), dtype=torch.float64)
            torch.testing.assert_close(out, want, **tol(torch.float64))

    def test_rejects_bad_arguments(self) -> None:
        with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\], but got 1.5"):
            discounted_returns(torch.zeros(3), 1.5)
        with pytest.raises(ValueError, match="rewards must have shape"):
            discounted_returns(torch.tensor(1.0), 0.9)


class TestOneStepAdvantages:
    def test_by_hand(self) -> None:
        rewards = torch.tensor([1.0, 2.0, -1.0], dtype=torch.float64)
        values = torch.tensor([0.5, 1.0, 0.0], dtype=torch.float64)
        next_values = torch.tensor([1.0, 3.0, 4.0], dtype=torch.float64)
        terminal = torch.tensor([False, True, False])
        got = one_step_advantages(rewards, values, next_values, terminal, 0.9)
        # 1 + 0.9*1 - 0.5; terminal: 2 - 1 (no future); cut-off, not terminal: -1 + 0.9*4
        torch.testing.assert_close(got, torch.tensor([1.4, 1.0, 2.6], dtype=torch.float64))

    def test_rejects_mismatched_shapes(self) -> None:
        x = torch.zeros(2, 3)
        with pytest.raises(
            ValueError, match=r"values must have shape \(2, 3\) to match rewards, but got \(3,\)"
        ):
            one_step_advantages(x, torch.zeros(3), x, x.bool(), 0.9)


class TestPolicyGradientLoss:
    @pytest.mark.parametrize("seed", range(3))
    def test_gradient_is_the_analytic_score(self, seed: int) -> None:
        """d/dz log softmax(z)[a] = onehot(a) - softmax(z), weighted, masked, over B."""
        g = torch.Generator().manual_seed(seed)
        B, T, A = 3, 4, 5
        logits = torch.randn(B, T, A, generator=g, dtype=torch.float64, requires_grad=True)
        actions = torch.randint(0, A, (B, T), generator=g)
        weights = torch.randn(B, T, generator=g, dtype=torch.float64)
        mask = torch.rand(B, T, generator=g) < 0.7
        policy_gradient_loss(logits, actions, weights, mask).backward()
        pi = torch.softmax(logits.detach(), dim=-1)
        onehot = torch.nn.functional.one_hot(actions, A).double()
        want = -(mask * weights)[..., None] * (onehot - pi) / B
        torch.testing.assert_close(logits.grad, want, **tol(torch.float64))

    def test_value_by_hand(self) -> None:
        logits = torch.log(torch.tensor([[[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]]))  # B=1, T=2
        loss = policy_gradient_loss(
            logits, torch.tensor([[0, 2]]), torch.tensor([[2.0, 3.0]]), torch.tensor([[1, 0]])
        )
        assert loss.item() == pytest.approx(-2.0 * torch.log(torch.tensor(0.5)).item())

    def test_rejects_bad_shapes(self) -> None:
        with pytest.raises(ValueError, match=r"logits must have shape \(2, 3, A\)"):
            policy_gradient_loss(
                torch.zeros(2, 3), torch.zeros(2, 3).long(), *[torch.ones(2, 3)] * 2
            )


class TestTrain:
    @pytest.mark.parametrize("method", ["reinforce", "actor-critic"])
    def test_reaches_the_threshold_in_seconds(self, method: str) -> None:
        env = GridWorld()
        model, log = train(env, method, seed=0)
        expected = feature_expectations(env, model.policy()) @ env.true_weights  # exact
        assert expected > THRESHOLD
        assert sum(log.returns[-20:]) / 20 > THRESHOLD - 0.05  # what the batches earned
        assert log.returns[0] < 0  # it started as the random walk
        greedy = feature_expectations(env, greedy_policy(model.logits.detach()))
        assert (greedy @ env.true_weights).item() == pytest.approx(OPTIMAL, abs=1e-12)
        assert log.seconds < 10  # about 0.5 s on an idle core

    def test_is_deterministic(self) -> None:
        env = GridWorld()
        a = train(env, "actor-critic", updates=20, seed=1)
        b = train(env, "actor-critic", updates=20, seed=1)
        assert a[1].returns == b[1].returns
        assert torch.equal(a[0].logits, b[0].logits)

    def test_restores_the_thread_count(self) -> None:
        before = torch.get_num_threads()
        train(GridWorld(), updates=1)
        assert torch.get_num_threads() == before

    def test_rejects_unknown_method(self) -> None:
        with pytest.raises(ValueError, match="method must be one of 'reinforce', 'actor-critic'"):
            train(GridWorld(), "q-learning")


class TestInputContract:
    def test_integer_rewards_are_promoted(self) -> None:
        # Regression: int64 rewards once raised a raw dtype error from the matrix product.
        rewards = torch.tensor([[1, 0, 2]])
        got = discounted_returns(rewards, 0.5)
        assert got.dtype == torch.get_default_dtype()
        assert got.tolist() == [returns_loop([1.0, 0.0, 2.0], 0.5)]

    def test_rejects_non_finite_rewards(self) -> None:
        with pytest.raises(ValueError, match="rewards must be finite, but got a value of nan"):
            discounted_returns(torch.tensor([1.0, float("nan")]), 0.9)

    @pytest.mark.parametrize("name", ["lr", "critic_lr", "entropy"])
    def test_train_rejects_negative_rates(self, name: str) -> None:
        # Regression: lr=-0.1 reached Adam through a parameter group, which torch does not
        # check, and training silently climbed the loss.
        with pytest.raises(ValueError, match=rf"{name} must be in \[0, inf\), but got -0.1"):
            train(GridWorld(), updates=1, **{name: -0.1})

    def test_loss_rejects_actions_out_of_range(self) -> None:
        logits, weights = torch.zeros(1, 2, 4), torch.ones(1, 2)
        mask = torch.ones(1, 2, dtype=torch.bool)
        with pytest.raises(ValueError, match=r"actions must hold values in \[0, 3\], but got 4"):
            policy_gradient_loss(logits, torch.tensor([[0, 4]]), weights, mask)
