"""reference.rl.inverse: feature expectations of demonstrations and the projection method."""

from __future__ import annotations

import pytest
import torch

from reference.rl import (
    GridWorld,
    collect_rollout,
    demonstration_features,
    feature_expectations,
    greedy_policy,
    projection_irl,
    value_iteration,
)


def expert_and_demos(env: GridWorld, episodes: int = 5):
    _, Q = value_iteration(env)
    expert = greedy_policy(Q)
    # log(0) = -inf logits: the sampled actions are exactly the expert's
    demos = collect_rollout(
        env, lambda s: expert[s].log(), episodes, generator=torch.Generator().manual_seed(0)
    )
    return expert, demos


def route(env: GridWorld, policy: torch.Tensor) -> list[int]:
    s, cells = env.start, []
    while not env.terminal[s] and len(cells) < env.horizon:
        s = int(env.next_state[s, int(policy[s].argmax())])
        cells.append(s)
    return cells


class TestDemonstrationFeatures:
    def test_matches_the_exact_expectation(self) -> None:
        env = GridWorld()
        expert, demos = expert_and_demos(env)
        mu = demonstration_features(env, demos)
        torch.testing.assert_close(mu, feature_expectations(env, expert))
        torch.testing.assert_close(
            mu, torch.tensor([4.0951, 0.0, 0.0, 0.59049], dtype=torch.float64)
        )  # 1 + .9 + .81 + .729 + .6561 floor cells, then the goal at step 6


class TestProjectionIRL:
    def test_expert_is_optimal_under_the_recovered_reward(self) -> None:
        env = GridWorld()
        expert, demos = expert_and_demos(env)
        mu_E = demonstration_features(env, demos)
        result = projection_irl(env, mu_E)
        w = result.weights
        assert w.norm().item() == pytest.approx(1.0)  # not the trivial w = 0
        V, _ = value_iteration(env, env.features @ w)  # an independent planner's optimum
        assert V[env.start].item() == pytest.approx((mu_E @ w).item(), abs=1e-9)
        assert route(env, result.policy) == route(env, expert)
        # the distance from the expert to the mixtures found shrinks
        assert all(b < a for a, b in zip(result.distances, result.distances[1:], strict=False))

    def test_a_different_expert_gives_a_different_reward(self) -> None:
        """An expert that wades through the mud: the recovered w must make mud cheap."""
        env = GridWorld()
        mud_lover = env.true_weights.clone()
        mud_lover[1] = 0.0  # mud costs nothing: the straight route is best
        _, Q = value_iteration(env, env.features @ mud_lover)
        mu_E = feature_expectations(env, greedy_policy(Q))
        result = projection_irl(env, mu_E)
        assert route(env, result.policy) == [16, 17, 18, 19]
        torch.testing.assert_close(feature_expectations(env, result.policy), mu_E)

    def test_rejects_bad_shape(self) -> None:
        with pytest.raises(ValueError, match=r"expert_mu must have shape \(4,\), but got \(3,\)"):
            projection_irl(GridWorld(), torch.zeros(3))


class TestProjectionIRLEdges:
    """Regressions: 0 / 0 in the projection step once gave NaN weights or fed NaN rewards
    to value iteration, which then never returned."""

    def start_mu(self, env: GridWorld) -> torch.Tensor:
        start = greedy_policy(torch.zeros(env.n_states, env.n_actions))
        return feature_expectations(env, start)

    def test_expert_equal_to_the_start_policy(self) -> None:
        env = GridWorld()
        result = projection_irl(env, self.start_mu(env))
        assert result.weights.tolist() == [0.0, 0.0, 0.0, 0.0] and result.distances == []
        torch.testing.assert_close(feature_expectations(env, result.policy), self.start_mu(env))

    def test_expert_close_to_the_start_policy_ends(self) -> None:
        env = GridWorld()
        with pytest.raises(ValueError, match="no policy matched expert_mu"):
            projection_irl(env, self.start_mu(env) + 1e-7)

    @pytest.mark.parametrize("bad", [float("nan"), float("inf")])
    def test_rejects_non_finite_expert(self, bad: float) -> None:
        expert = torch.tensor([1.0, 0.0, bad, 0.0], dtype=torch.float64)
        with pytest.raises(ValueError, match="expert_mu must be finite"):
            projection_irl(GridWorld(), expert)
