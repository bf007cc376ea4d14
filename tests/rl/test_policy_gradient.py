"""reference.rl.policy_gradient: returns and advantages exact, the loss's gradient analytic,
and both training methods reaching a stated return on the gridworld."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference.rl import (
    GridWorld,
    TabularActorCritic,
    actor_critic_loss,
    collect_rollout,
    discounted_returns,
    discounted_returns_loop,
    feature_expectations,
    greedy_policy,
    one_step_advantages,
    policy_gradient_loss,
    train_actor_critic,
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

    def test_readable_loop_equals_the_matrix_form_and_scipy(self) -> None:
        from scipy.signal import lfilter

        rewards = torch.randn(5, 9, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        loop = discounted_returns_loop(rewards, 0.9)
        torch.testing.assert_close(loop, discounted_returns(rewards, 0.9), **tol(torch.float64))
        # G = r + gamma G(next): a first-order filter run backwards in time
        want = lfilter([1.0], [1.0, -0.9], rewards.flip(-1).numpy(), axis=-1)
        torch.testing.assert_close(
            loop, torch.from_numpy(want.copy()).flip(-1), **tol(torch.float64)
        )

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


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture
def one_thread():
    # The tables are tiny: one thread is many times faster than two on a busy machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class TestActorCriticLoss:
    def batch_and_model(self, seed: int) -> tuple[TabularActorCritic, object]:
        env = GridWorld()
        model = TabularActorCritic(env.n_states, env.n_actions)
        with torch.no_grad():  # a non-uniform policy: at uniform the entropy's gradient is 0
            model.logits.copy_(torch.randn(env.n_states, env.n_actions, generator=gen(seed)))
            model.values.copy_(torch.randn(env.n_states, generator=gen(seed + 1)))
        with torch.no_grad():
            batch = collect_rollout(env, lambda s: model(s)[0], 6, generator=gen(seed + 2))
        return model, batch

    @pytest.mark.parametrize("method", ["reinforce", "actor-critic"])
    def test_entropy_bonus_adds_its_analytic_gradient(self, method: str) -> None:
        # Kills the mutant that drops (or flips) the entropy bonus: the gradient of
        # -c * sum_t H(pi_t) / B with respect to a step's logits z is
        # c * pi * (log pi + H) / B (dH/dz_a = -pi_a (log pi_a + H)), on the steps that happened.
        model, batch = self.batch_and_model(3)
        grads = {}
        for c in (0.0, 0.25):
            model.zero_grad()
            actor_critic_loss(model, batch, method, 0.9, entropy=c).backward()
            grads[c] = model.logits.grad.clone()
        pi = torch.softmax(model.logits.detach(), dim=1)[batch.states]  # [B, T, A]
        log_pi = pi.log()
        h = -(pi * log_pi).sum(-1, keepdim=True)
        per_step = 0.25 * batch.mask[..., None] * pi * (log_pi + h) / batch.states.shape[0]
        expected = torch.zeros_like(grads[0.0]).index_put_(
            (batch.states.flatten(),), per_step.reshape(-1, 4), accumulate=True
        )
        assert expected.abs().max() > 1e-3  # the bonus matters here
        torch.testing.assert_close(grads[0.25] - grads[0.0], expected, **tol(torch.float64))

    def test_critic_gradient_is_the_regression_error(self) -> None:
        # d/dV(s) of sum_t mask (V - target)^2 / B = 2 mask (V - target) / B, summed per state
        model, batch = self.batch_and_model(5)
        actor_critic_loss(model, batch, "reinforce", 0.9, entropy=0.0).backward()
        values = model.values.detach()[batch.states]
        targets = discounted_returns(batch.rewards, 0.9)
        per_step = 2 * batch.mask * (values - targets) / batch.states.shape[0]
        expected = torch.zeros_like(model.values).index_put_(
            (batch.states.flatten(),), per_step.flatten(), accumulate=True
        )
        torch.testing.assert_close(model.values.grad, expected, **tol(torch.float64))


class TestTrain:
    @pytest.mark.parametrize("method", ["reinforce", "actor-critic"])
    def test_reaches_the_threshold(self, method: str, one_thread) -> None:
        env = GridWorld()
        model, log = train_actor_critic(env, method, generator=gen(0))
        expected = feature_expectations(env, model.policy()) @ env.true_weights  # exact
        assert expected > THRESHOLD
        assert sum(log.returns[-20:]) / 20 > THRESHOLD - 0.05  # what the batches earned
        assert log.returns[0] < 0  # it started as the random walk
        greedy = feature_expectations(env, greedy_policy(model.logits.detach()))
        assert (greedy @ env.true_weights).item() == pytest.approx(OPTIMAL, abs=1e-12)

    @pytest.mark.parametrize("method", ["reinforce", "actor-critic"])
    def test_is_the_loop_of_its_pieces(self, method: str, one_thread) -> None:
        # Adam on the two tables, a fresh rollout and actor_critic_loss per update, with
        # every argument passed through (a train() that dropped the entropy bonus, the
        # discount or a learning rate would not reproduce this).
        env, kwargs = GridWorld(), {"gamma": 0.8, "entropy": 0.5}
        model, log = train_actor_critic(
            env, method, updates=4, episodes=5, lr=0.2, critic_lr=0.1, generator=gen(4), **kwargs
        )
        mine = TabularActorCritic(env.n_states, env.n_actions)
        optimiser = torch.optim.Adam(
            [{"params": [mine.logits], "lr": 0.2}, {"params": [mine.values], "lr": 0.1}]
        )
        g, returns = gen(4), []
        for _ in range(4):
            with torch.no_grad():
                batch = collect_rollout(env, lambda s: mine(s)[0], 5, generator=g)
            optimiser.zero_grad()
            actor_critic_loss(mine, batch, method, **kwargs).backward()
            optimiser.step()
            returns.append(discounted_returns(batch.rewards, 0.8)[:, 0].mean().item())
        assert torch.equal(model.logits, mine.logits) and torch.equal(model.values, mine.values)
        assert log.returns == returns

    def test_is_deterministic(self, one_thread) -> None:
        env = GridWorld()
        a = train_actor_critic(env, "actor-critic", updates=20, generator=gen(1))
        b = train_actor_critic(env, "actor-critic", updates=20, generator=gen(1))
        assert a[1].returns == b[1].returns
        assert torch.equal(a[0].logits, b[0].logits)

    def test_leaves_threads_and_global_generator_alone(self) -> None:
        threads, state = torch.get_num_threads(), torch.get_rng_state()
        train_actor_critic(GridWorld(), updates=2, generator=gen(0))
        assert torch.get_num_threads() == threads
        assert torch.equal(torch.get_rng_state(), state)

    def test_rejects_unknown_method(self) -> None:
        with pytest.raises(ValueError, match="method must be one of 'reinforce', 'actor-critic'"):
            train_actor_critic(GridWorld(), "q-learning")


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
            train_actor_critic(GridWorld(), updates=1, **{name: -0.1})

    def test_loss_rejects_actions_out_of_range(self) -> None:
        logits, weights = torch.zeros(1, 2, 4), torch.ones(1, 2)
        mask = torch.ones(1, 2, dtype=torch.bool)
        with pytest.raises(ValueError, match=r"actions must hold values in \[0, 3\], but got 4"):
            policy_gradient_loss(logits, torch.tensor([[0, 4]]), weights, mask)
            train_actor_critic(GridWorld(), "q-learning")
