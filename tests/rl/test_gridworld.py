"""reference.rl.gridworld: the tables, the batched rollout and exact planning, by hand."""

from __future__ import annotations

import math

import pytest
import torch

from reference.rl import (
    GridWorld,
    collect_rollout,
    feature_expectations,
    greedy_policy,
    policy_evaluation,
    value_iteration,
)

GAMMA = 0.9
# Optimal route on the default layout: up, four times right along row 2, down onto the goal.
# Five floor cells at -0.05 then the goal's +1, discounted by hand.
OPTIMAL = -0.05 * (1 + 0.9 + 0.81 + 0.729 + 0.6561) + 0.9**5


class TestGridWorld:
    def test_tables_by_hand(self) -> None:
        env = GridWorld()
        assert env.start == 15  # row 3, column 0
        # up, right (mud), down (border: stays), left (border: stays)
        assert env.next_state[15].tolist() == [10, 16, 15, 15]
        assert env.reward[[10, 16, 6, 19]].tolist() == [-0.05, -0.3, -1.0, 1.0]
        assert env.terminal.nonzero().flatten().tolist() == [6, 8, 19]
        torch.testing.assert_close(env.features @ env.true_weights, env.reward)

    def test_rejects_bad_layouts(self) -> None:
        with pytest.raises(ValueError, match="rows of equal length"):
            GridWorld(("S..", ".G"))
        with pytest.raises(ValueError, match="exactly one 'S'"):
            GridWorld(("..G",))
        with pytest.raises(ValueError, match=r"must be one of '.S~XG', but got \['#'\]"):
            GridWorld(("S#G",))
        with pytest.raises(ValueError, match="horizon must be in"):
            GridWorld(horizon=0)


class TestRollout:
    def test_episodes_stop_at_a_terminal_cell(self) -> None:
        env = GridWorld(("S~G",), horizon=4)
        right = torch.tensor([[-10.0, 10.0, -10.0, -10.0]])  # logits: almost surely "right"
        batch = collect_rollout(
            env, lambda s: right.expand(len(s), -1), 3, generator=torch.Generator()
        )
        assert batch.states.tolist() == [[0, 1, 1, 1]] * 3  # a finished episode stays put
        assert batch.rewards.tolist() == [[-0.3, 1.0, 0.0, 0.0]] * 3
        assert batch.terminal.tolist() == [[False, True, False, False]] * 3
        assert batch.mask.tolist() == [[True, True, False, False]] * 3

    def test_seeded(self) -> None:
        env = GridWorld()
        uniform = lambda s: torch.zeros(len(s), 4)  # noqa: E731
        a = collect_rollout(env, uniform, 8, generator=torch.Generator().manual_seed(3))
        b = collect_rollout(env, uniform, 8, generator=torch.Generator().manual_seed(3))
        assert torch.equal(a.actions, b.actions)


class TestPlanning:
    def test_optimal_value_by_hand(self) -> None:
        env = GridWorld()
        V, Q = value_iteration(env, gamma=GAMMA)
        assert V[env.start].item() == pytest.approx(OPTIMAL, abs=1e-12)
        # the greedy route from the start: up, right x4, down
        policy, s, route = greedy_policy(Q), env.start, []
        while not env.terminal[s]:
            a = int(policy[s].argmax())
            route.append(a)
            s = int(env.next_state[s, a])
        assert route == [0, 1, 1, 1, 1, 2]

    def test_feature_expectations_of_the_optimal_policy(self) -> None:
        env = GridWorld()
        _, Q = value_iteration(env, gamma=GAMMA)
        mu = feature_expectations(env, greedy_policy(Q), GAMMA)
        want = [1 + 0.9 + 0.81 + 0.729 + 0.6561, 0.0, 0.0, 0.9**5]  # floor, mud, pit, goal
        torch.testing.assert_close(mu, torch.tensor(want, dtype=torch.float64))
        assert (mu @ env.true_weights).item() == pytest.approx(OPTIMAL, abs=1e-12)

    def test_feature_expectations_match_monte_carlo(self) -> None:
        """Uniform random policy: the exact expectation against 20000 sampled episodes."""
        env = GridWorld()
        uniform = torch.full((env.n_states, env.n_actions), 0.25, dtype=torch.float64)
        exact = feature_expectations(env, uniform, GAMMA) @ env.true_weights
        batch = collect_rollout(
            env, lambda s: torch.zeros(len(s), 4), 20000, generator=torch.Generator().manual_seed(0)
        )
        discount = GAMMA ** torch.arange(env.horizon, dtype=torch.float64)
        sampled = (batch.rewards * discount).sum(dim=1)  # a plain sum, not discounted_returns
        stderr = sampled.std() / 20000**0.5
        assert abs(sampled.mean() - exact) < 4 * stderr

    def test_rejects_bad_arguments(self) -> None:
        env = GridWorld()
        with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\)"):
            value_iteration(env, gamma=1.0)
        with pytest.raises(ValueError, match=r"reward must have shape \(20,\), but got \(3,\)"):
            value_iteration(env, torch.zeros(3))
        with pytest.raises(ValueError, match=r"policy must have shape \(20, 4\)"):
            feature_expectations(env, torch.zeros(20, 3))


class TestPolicyEvaluation:
    def test_the_optimal_policy_has_the_optimal_values(self) -> None:
        env = GridWorld()
        V, Q = value_iteration(env, gamma=GAMMA)
        V_pi = policy_evaluation(env, greedy_policy(Q), GAMMA)
        playable = ~env.terminal
        torch.testing.assert_close(V_pi[playable], V[playable])
        assert V_pi[env.start].item() == pytest.approx(OPTIMAL)

    def test_uniform_policy_against_repeated_backups_and_a_long_horizon(self) -> None:
        env = GridWorld(horizon=600)  # gamma^600: the horizon no longer matters
        uniform = torch.full((env.n_states, env.n_actions), 0.25, dtype=torch.float64)
        V_pi = policy_evaluation(env, uniform, GAMMA)
        V = torch.zeros(env.n_states, dtype=torch.float64)  # Bellman backups, an independent way
        future = (~env.terminal).double()[env.next_state]  # [S, A]
        for _ in range(600):
            V = (uniform * (env.reward[env.next_state] + GAMMA * future * V[env.next_state])).sum(1)
        torch.testing.assert_close(V_pi, V)
        start = feature_expectations(env, uniform, GAMMA) @ env.true_weights
        assert V_pi[env.start].item() == pytest.approx(start.item(), abs=1e-10)

    def test_rejects_bad_policy(self) -> None:
        with pytest.raises(ValueError, match=r"policy must have shape \(20, 4\)"):
            policy_evaluation(GridWorld(), torch.ones(20, 3) / 3)


class TestNoHangs:
    """Regressions: value iteration once looped forever (a strict `<` in `while True`)."""

    @pytest.mark.parametrize("tol", [0.0, -1.0, math.nan, math.inf])
    def test_rejects_a_tolerance_it_could_never_reach(self, tol: float) -> None:
        with pytest.raises(ValueError, match=r"tol must be in \(0, inf\)"):
            value_iteration(GridWorld(), tol=tol)

    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    def test_rejects_a_non_finite_reward(self, bad: float) -> None:
        env = GridWorld()
        reward = env.reward.clone()
        reward[3] = bad
        with pytest.raises(ValueError, match=f"reward must be finite, but got a value of {bad}"):
            value_iteration(env, reward)

    def test_the_iteration_cap_says_so(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # The cap is the contraction bound, which exact arithmetic never exceeds: shrink it
        # (ceil -> 0 leaves the 10 spare iterations) to see the error a rounding cycle gives.
        import reference.rl.gridworld as module

        monkeypatch.setattr(module.math, "ceil", lambda x: 0)
        with pytest.raises(ValueError, match=r"did not reach tol=1e-12 within 10 iterations"):
            value_iteration(GridWorld(("S~",)), gamma=0.99)  # no terminal: slow

    def test_a_tiny_tolerance_still_ends(self) -> None:
        V, _ = value_iteration(GridWorld(), gamma=0.99, tol=1e-300)
        V_loose, _ = value_iteration(GridWorld(), gamma=0.99, tol=1e-9)
        torch.testing.assert_close(V, V_loose, rtol=0, atol=1e-7)

    def test_gamma_zero_is_the_immediate_reward(self) -> None:
        env = GridWorld()
        _, Q = value_iteration(env, gamma=0.0)
        assert Q.tolist() == env.reward[env.next_state].tolist()

    def test_rejects_a_policy_that_is_not_a_distribution(self) -> None:
        env = GridWorld()
        with pytest.raises(ValueError, match="policy must sum to 1 along dim 1, but a sum is 2"):
            feature_expectations(env, torch.full((20, 4), 0.5, dtype=torch.float64))
        with pytest.raises(ValueError, match="policy must hold probabilities >= 0"):
            feature_expectations(env, torch.tensor([[1.5, -0.5, 0.0, 0.0]] * 20))
