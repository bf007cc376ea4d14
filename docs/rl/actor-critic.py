# %% [markdown]
# # Reinforcement learning: rewards, policy gradient, actor–critic and inverse RL · 强化学习
#
# Supervised learning is told the right answer for every input. Reinforcement learning
# is only told, now and then, how well things are going, and has to work out which of
# its earlier decisions deserve the credit. This page builds the whole loop on a world
# small enough to solve exactly, so every learned number can be checked against the
# optimum: a 4 × 5 gridworld, a policy-gradient learner with a baseline, a one-step
# actor–critic, and, in the other direction, inverse RL, which recovers a reward from an
# expert's behaviour. The code is in `reference/rl/` and its tests in `tests/rl/`; this
# page is an executed notebook, so the numbers below are the ones the site's build measured.

# %%
import ast
import inspect

import numpy as np
import torch
from IPython.display import HTML, Markdown
from matplotlib.patches import Rectangle

from reference.plotting import COLORS, INK, figure, figure_html
from reference.rl import (
    ACTIONS,
    GridWorld,
    TabularActorCritic,
    actor_critic_loss,
    collect_rollout,
    demonstration_features,
    discounted_returns,
    discounted_returns_loop,
    feature_expectations,
    greedy_policy,
    policy_evaluation,
    projection_irl,
    train_actor_critic,
    value_iteration,
)


def code_of(function, folded: str = "") -> Markdown:
    """A reference function's code, its docstring left out (it is in the repository);
    in a collapsed box titled ``folded`` if one is given."""
    lines = inspect.getsource(function).splitlines()
    first = ast.parse("\n".join(lines)).body[0].body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        del lines[first.lineno - 1 : first.end_lineno]
    block = "```python\n" + "\n".join(lines) + "\n```"
    if folded:
        block = f"<details><summary>{folded}</summary>\n\n{block}\n\n</details>"
    return Markdown(block)


torch.manual_seed(0)
# The tables are tiny: waking a pool of threads for each operation costs far
# more than the arithmetic, so this notebook runs on one thread (a choice for
# the process, made here).
torch.set_num_threads(1)
env = GridWorld()
print("\n".join(env.layout))
print("features:", ".~XG", "true reward weights:", env.true_weights.tolist())

# %% [markdown]
# The world, drawn: each cell with the reward for landing on it. Pits and the goal end the
# episode; a move into the border leaves the agent where it is (and it pays the floor's
# price again). The dashed line is the best route, planned below.


# %%
def draw_grid(ax, labels=None, arrows=None, values=None, label_y=0.0):
    """The gridworld: cell types shaded, optional text per cell and arrows."""
    shade = {"~": COLORS[5], "X": COLORS[3], "G": COLORS[2]}
    for s in range(env.n_states):
        row, col = divmod(s, env.width)
        y, cell = env.height - 1 - row, env.layout[row][col]
        box = (col - 0.5, y - 0.5)
        ax.add_patch(Rectangle(box, 1, 1, fill=False, ec=INK, lw=0.4))
        if cell in shade:
            ax.add_patch(
                Rectangle(box, 1, 1, color=shade[cell], alpha=0.35, lw=0)
            )
        if labels is not None:
            ax.text(col, y + label_y, labels[s], ha="center", va="center")
        if arrows is not None and not env.terminal[s]:
            dx, dy = arrows[s]
            ax.arrow(col, y, dx, dy, width=0.04, color=COLORS[0],
                     length_includes_head=True)
        if values is not None and not env.terminal[s]:
            ax.text(col - 0.44, y - 0.44, values[s], va="bottom")
    ax.set(xlim=(-0.5, env.width - 0.5), ylim=(-0.5, env.height - 0.5))
    ax.set(aspect="equal", xticks=[], yticks=[])
    ax.grid(False)
    ax.spines[:].set_visible(False)


V, Q = value_iteration(env, gamma=0.9)
route, s = [env.start], env.start
while not env.terminal[s]:
    s = int(env.next_state[s, Q[s].argmax()])
    route.append(s)
names = {".": "floor", "S": "start", "~": "mud", "X": "pit", "G": "goal"}
cells = "".join(env.layout)
labels = [f"{names[c]}\n{env.reward[s].item():+.2f}" for s, c in enumerate(cells)]
returns = discounted_returns(env.reward[route[1:]][None], 0.9)[0]
assert len(route) == 7 and torch.isclose(returns[0], V[env.start]), "6 steps"
assert not any(cells[s] == "~" for s in route), "the best route avoids the mud"
with figure(figsize=(5.6, 4.4)) as (fig, ax):
    draw_grid(ax, labels=labels, label_y=0.15)
    xs = [s % env.width for s in route]
    ys = [env.height - 1.25 - s // env.width for s in route]  # below the text
    ax.plot(xs, ys, ls="--", color=COLORS[0], lw=1.5)
    html = figure_html(
        fig,
        "The 4 × 5 gridworld and the reward for landing on each cell. Dashed: "
        f"the best route, 6 steps worth {V[env.start]:.4f} (γ = 0.9).",
    )
HTML(html)

# %% [markdown]
# ## Reinforcement learning basics · 强化学习
# <a id="basics"></a>
#
# Five words carry the whole subject:
#
# * The **environment** is the world: it has a **state** $s_t$ (here, the cell the agent
#   stands on) and changes when acted upon. It alone decides the **reward**.
# * The **actor** (or agent) chooses an **action** $a_t$ (up, right, down, left); the
#   environment moves to $s_{t+1}$ and pays a reward $r_t$. In this world, landing on floor
#   costs 0.05 (time is not free), mud `~` costs 0.3, a pit `X` costs 1 and ends the
#   episode, and the goal `G` pays 1 and ends it.
# * A **policy** $\pi(a \mid s)$ is the actor's rule: a probability for each action in each
#   state. Here it is a table of logits, one row per cell, through a softmax.
# * The **return** is what the actor tries to maximise: not the next reward but the
#   discounted sum of all that follow, $G_t = r_t + \gamma r_{t+1} + \gamma^2 r_{t+2} + \dots$
#   With $\gamma = 0.9$ a reward ten steps away is worth $0.9^{10} \approx 0.35$ of one now.
#
# The layout is a trap for a greedy learner. The straight road from `S` to `G` crosses
# three mud cells; the best route climbs one row, walks along it and comes down: six
# steps instead of four, but no mud. Standing still is not safe either, since every
# step on the floor costs something. Planning with the known tables (value iteration)
# gives the optimum to compare against, and the exact expected return of the uniformly
# random policy shows where learning starts:

# %%
uniform = torch.full((env.n_states, env.n_actions), 0.25, dtype=torch.float64)
random_return = (feature_expectations(env, uniform) @ env.true_weights).item()
mud_road = discounted_returns(torch.tensor([[-0.3, -0.3, -0.3, 1.0]]), 0.9)
print(f"optimal return from S: {V[env.start]:.4f}")
print(f"straight through the mud: {mud_road[0, 0]:.4f}")
print(f"random policy's expected return: {random_return:.4f}")
# terminal cells are never acted from: their value is not defined
print("optimal state values:")
print(V.masked_fill(env.terminal, torch.nan).view(4, 5).numpy().round(3))

# %% [markdown]
# **When RL beats supervised learning.** Three situations make labels the wrong tool:
#
# 1. *Nobody knows the right action.* A supervised learner needs the correct move for
#    each state. For a game or a robot, a human can say whether the outcome was good
#    much more easily than which move was right, and experts disagree on moves.
# 2. *The reward is delayed.* Here the first step (up) earns −0.05, exactly like a step
#    into a corner; only five steps later does the goal show that it was the right one.
#    Assigning that credit backwards through time is what returns and critics do.
# 3. *The actor's choices change its data.* A policy trained on expert states visits
#    states the expert never did and has no labels there; an RL agent collects its own
#    experience where it actually goes.
#
# The price is efficiency: reward is one number per step, not a label per decision, so
# RL needs many more trials. When labels are cheap, use them.
#
# ## Returns · 回报
#
# The return of every step of an episode follows from the backward recursion
# $G_t = r_t + \gamma G_{t+1}$, starting from $G_T = 0$ after the last step:

# %%
code_of(discounted_returns_loop)

# %% [markdown]
# The reference also computes all of them at once, as one product with an
# upper-triangular matrix of powers of $\gamma$, $G = r M$ with $M_{t't} = \gamma^{t'-t}$
# for $t' \ge t$; the tests check both against each other and against SciPy's
# `lfilter`, the recursion as a filter:

# %%
code_of(discounted_returns, "The matrix form, <code>discounted_returns</code>")

# %%
rewards = env.reward[route[1:]][None]  # [1, 6]: along the best route
print("rewards along the best route:", rewards.tolist()[0])
returns = discounted_returns_loop(rewards, 0.9)
torch.testing.assert_close(returns, discounted_returns(rewards, 0.9))
print("returns G_t:", returns.numpy().round(4).tolist()[0])

# %% [markdown]
# ## Policy gradient and actor–critic · 策略梯度与演员-评论家
# <a id="actor-critic"></a>
#
# **Policy gradient.** Increase the log-probability of each action taken, in proportion
# to how good it turned out. The policy-gradient theorem gives the gradient of the
# expected discounted return $J(\theta) = \mathbb E[G_0]$ exactly:
#
# $$
# \nabla_\theta J = \mathbb{E}\left[\sum_t \gamma^t\, \nabla_\theta \log \pi_\theta(a_t
# \mid s_t)\,\bigl(G_t - b(s_t)\bigr)\right].
# $$
#
# With $b = 0$ this is **REINFORCE**. Any baseline $b(s_t)$ that does not depend on the
# action leaves the expectation unchanged (the score $\nabla \log \pi$ has mean zero under
# $\pi$), but a good one, the state value $V(s_t)$, removes most of the variance: an action
# is now pushed up only if it did better than usual *from that state*. The code below,
# like most implementations, leaves out the factor $\gamma^t$: it weights every step as if
# the episode started there. That is no longer the exact gradient of $J$ (Thomas, 2014)
# but the usual approximation; it matters little when the important decisions come early,
# as here. For a softmax policy the gradient with respect to the logits of one step is
# $\text{onehot}(a) - \pi$, which `tests/rl/test_policy_gradient.py` checks against
# autograd.
#
# **Actor–critic.** Learn the baseline as a second table, the **critic** $V(s)$, and use
# it a second time: instead of waiting for the episode's end to know $G_t$, estimate it
# after one step as $r_t + \gamma V(s_{t+1})$. The weight of $\log \pi$ becomes the
# **TD error**
#
# $$
# \delta_t = r_t + \gamma V(s_{t+1}) - V(s_t),
# $$
#
# lower variance than $G_t - V(s_t)$ (one random reward instead of all of them), at the
# cost of bias while the critic is wrong. Note who does what: the *environment* pays the
# reward $r_t$; the critic pays nothing, it only **predicts** the return, and it learns
# that prediction from the rewards the environment paid. (The notes say the critic gives
# the reward; it gives a judgement of the action, $\delta_t$, computed from the real
# reward.) The actor proposes, the critic judges each action against its own expectation,
# and both improve together, a division of labour that recalls a GAN's
# [generator and discriminator](../../generative/gan/#alternating), except that here the
# judge learns from real rewards rather than from telling real from fake.
#
# One update, written out. On a batch of $B$ episodes: the critic's target is
# $y_t = r_t + \gamma V(s_{t+1})$ (no future after a terminal step; REINFORCE uses
# $G_t$), the advantage is $\delta_t = y_t - V(s_t)$ with the critic held fixed, and
#
# $$
# L = \underbrace{-\sum_t \delta_t \log \pi(a_t \mid s_t)}_{\text{actor}}
# + \underbrace{\sum_t \big(V(s_t) - y_t\big)^2}_{\text{critic}}
# - \beta \underbrace{\sum_t H\big(\pi(\cdot \mid s_t)\big)}_{\text{entropy bonus}},
# $$
#
# each sum over the steps that happened, divided by $B$. The entropy
# $H = -\sum_a \pi(a \mid s) \log \pi(a \mid s)$ rewards keeping several actions
# possible, so that the policy does not commit before it has explored; $\beta = 0.03$.
# One gradient step on $L$ moves the actor along the policy gradient and the critic
# towards its targets at once. `actor_critic_loss` computes the same number, as the cell
# checks:

# %%
gamma, beta = 0.9, 0.03
model = TabularActorCritic(env.n_states, env.n_actions)  # all zeros: uniform
optimiser = torch.optim.Adam(
    [{"params": [model.logits], "lr": 0.1}, {"params": [model.values], "lr": 0.3}]
)
with torch.no_grad():  # acting does not need gradients
    batch = collect_rollout(
        env,
        lambda s: model(s)[0],
        16,
        generator=torch.Generator().manual_seed(0),
    )
logits, values = model(batch.states)  # [B, T, A], [B, T]
next_values = model(batch.next_states)[1].detach()  # V(s_t+1), held fixed
done = batch.terminal.double()  # 1 where the step ended the episode
targets = batch.rewards + gamma * next_values * (1 - done)  # y_t
advantages = targets - values.detach()  # delta_t: the critic is not pushed
log_pi = torch.log_softmax(logits, dim=-1)  # [B, T, A]
taken = log_pi.gather(-1, batch.actions[..., None])[..., 0]  # log pi(a_t|s_t)
happened = batch.mask.double()  # steps after the episode ended count 0
B = batch.states.shape[0]
actor_loss = -(happened * advantages * taken).sum() / B
critic_loss = (happened * (values - targets) ** 2).sum() / B
entropy = -(happened * (log_pi.exp() * log_pi).sum(-1)).sum() / B
loss = actor_loss + critic_loss - beta * entropy
torch.testing.assert_close(loss, actor_critic_loss(model, batch, "actor-critic"))
optimiser.zero_grad()
loss.backward()
optimiser.step()
print(f"actor {actor_loss:.4f}, critic {critic_loss:.4f}, entropy {entropy:.4f}")
print(f"total loss {loss:.4f}")

# %% [markdown]
# Training repeats this: 200 updates, each on 16 fresh episodes of at most 20 steps, Adam
# with a step of 0.1 for the actor's table and 0.3 for the critic's. Without the entropy
# bonus, some seeds settle for wading through the mud or for bumping into a wall forever,
# both local optima of this layout. `train_actor_critic` is this loop; three seeds of each
# method:

# %%
runs = {
    method: [
        train_actor_critic(
            env, method, generator=torch.Generator().manual_seed(seed)
        )
        for seed in range(3)
    ]
    for method in ("reinforce", "actor-critic")
}
optimum = V[env.start].item()
for method, results in runs.items():
    for seed, (model, log) in enumerate(results):
        weights = env.true_weights
        expected = (feature_expectations(env, model.policy()) @ weights).item()
        most_likely = greedy_policy(model.logits.detach())
        greedy = (feature_expectations(env, most_likely) @ weights).item()
        assert abs(greedy - optimum) < 1e-9 and expected > 0.3
        print(
            f"{method:>12} seed {seed}: "
            f"last 20 batches {np.mean(log.returns[-20:]):.3f}, "
            f"expected {expected:.3f}, greedy {greedy:.4f}"
        )

# %% [markdown]
# "Expected" is the exact expected return of the learned, still stochastic policy;
# "greedy" is the return of always taking its most likely action, which matches the
# optimum for every run (the cell asserts both, and the tests that seed 0 of both methods
# passes 0.3; random: −1.00).

# %%
window = 10
with figure(figsize=(7.5, 3.6)) as (fig, ax):
    for colour, (method, results) in zip(COLORS, runs.items(), strict=False):
        for seed, (_, log) in enumerate(results):
            kernel = np.ones(window) / window
            smooth = np.convolve(log.returns, kernel, mode="valid")
            episodes = 16 * np.arange(window, len(log.returns) + 1)
            label = method if seed == 0 else None
            ax.plot(episodes, smooth, color=colour, lw=1.4, label=label)
    ax.axhline(optimum, color=COLORS[2], ls="--", lw=1, label="optimum")
    ax.axhline(random_return, color=COLORS[7], ls=":", lw=1, label="random")
    ax.set(xlabel="episodes", ylabel="discounted return", ylim=(-1.2, 0.6))
    ax.legend(loc="lower right")
    html = figure_html(
        fig,
        "Mean return of each batch of 16 episodes (moving average over 10 "
        "batches), three seeds per method.",
    )
HTML(html)

# %% [markdown]
# On this small world both methods reach the optimum at a similar pace; actor–critic's
# advantage, lower variance, matters more as episodes get long and rewards noisy, and
# its one-step updates do not need the episode to end.
#
# The learned policy of the first actor–critic run: the arrow in each cell is its most
# likely action, its length the probability. Beside it, what its critic believes, $\hat
# V(s)$, against the true value of that policy, $V^\pi(s)$, computed exactly by solving the
# Bellman equations (`policy_evaluation`):

# %%
model = runs["actor-critic"][0][0]
probs = model.policy()
critic = model.values.detach()
true_value = policy_evaluation(env, probs)
with torch.no_grad():  # where the policy goes: visits over 1000 episodes
    visited = collect_rollout(
        env,
        lambda s: model(s)[0],
        1000,
        generator=torch.Generator().manual_seed(1),
    )
visits = torch.bincount(visited.states[visited.mask], minlength=env.n_states)
playable = ~env.terminal
often, never = playable & (visits >= 100), playable & (visits == 0)
error = (critic - true_value).abs()
assert error[often].max() < 0.2, "right where the policy goes"
assert error[never].max() > 0.5, "wrong where it never goes"
assert critic.max() > 1 >= true_value[playable].max(), "no return exceeds 1"
step = {0: (0, 0.35), 1: (0.35, 0), 2: (0, -0.35), 3: (-0.35, 0)}
arrows = [
    tuple(probs[s].max().item() * np.array(step[int(probs[s].argmax())]))
    for s in range(env.n_states)
]
true_labels = [
    "" if env.terminal[s] else f"{v:.2f}" for s, v in enumerate(true_value)
]
with figure(1, 2, figsize=(7.6, 3.4)) as (fig, axes):
    draw_grid(axes[0], arrows=arrows, values=[f"{v:.2f}" for v in critic])
    axes[0].set_title("the policy, and its critic V̂(s)")
    draw_grid(axes[1], labels=true_labels)
    axes[1].set_title("the true value Vπ(s)")
    html = figure_html(
        fig,
        "Left: most likely action per cell (arrow length = probability) and the "
        "critic's estimate. Right: the true values. Where the policy goes (cells "
        f"visited at least 100 times in 1000 episodes) the critic is within "
        f"{error[often].max():.2f}; where it never goes, it is off by up to "
        f"{error[never].max():.2f}, and it even claims {critic.max():.2f}, more "
        "than any return can be.",
    )
HTML(html)

# %%
s, steps = env.start, []
while not env.terminal[s]:
    a = int(probs[s].argmax())
    steps.append(f"{ACTIONS[a]} ({probs[s, a]:.2f})")
    s = int(env.next_state[s, a])
print(" -> ".join(steps))

# %% [markdown]
# The route from `S` goes up, along the row, and down onto the goal, avoiding the mud.
# Cells the policy never visits (the top row) have flatter action probabilities and
# critic values that were never corrected: an agent learns only about where it goes.
# The critic is a learnt *estimate* of the return, not a source of reward.

# %% [markdown]
# ## Inverse reinforcement learning · 逆强化学习
# <a id="inverse-rl"></a>
#
# RL goes from a reward to behaviour. **Inverse RL** goes back: given demonstrations of
# an expert, find a reward under which the expert's behaviour is optimal. It is useful
# when good behaviour is easy to show and hard to score by hand (driving, manipulation),
# and a learned reward carries over to new layouts or bodies in a way that copied
# actions do not. Once a reward is learned, an ordinary RL agent can be trained on it,
# possibly with extra terms (finish faster, use less energy) so that it may end up
# better than the demonstrator.
#
# The problem is ill-posed as stated: the zero reward makes *every* behaviour optimal, and
# so do many others. The classic remedy (Abbeel and Ng, 2004) assumes the reward is linear
# in features, $r(s) = \phi(s) \cdot w$. Then a policy's expected return is
# $\mu(\pi) \cdot w$, where $\mu(\pi) = \mathbb E[\sum_t \gamma^t \phi(s_{t+1})]$ are its
# **feature expectations**, and a policy with the expert's $\mu_E$ earns the expert's
# return under every such reward. The **projection method** alternates: set
# $w = \mu_E - \bar\mu$ (the direction in which the expert still beats what has been
# found), plan the optimal policy for that $w$, and project $\mu_E$ onto the segment toward
# the new policy's $\mu$ to get the next $\bar\mu$. It stops when a planned policy
# reproduces $\mu_E$: the expert is then optimal under that $w$, normalised to length 1.
#
# The expert here is the optimal policy of the true reward; five demonstrations give
# $\mu_E$ (only the cells visited are used, never the rewards):

# %%
expert = greedy_policy(Q)
demos = collect_rollout(
    env,
    lambda s: expert[s].log(),
    5,
    generator=torch.Generator().manual_seed(0),
)
mu_E = demonstration_features(env, demos)
result = projection_irl(env, mu_E)
w, true_w = result.weights, env.true_weights / env.true_weights.norm()
print("expert's mu (floor, mud, pit, goal):", mu_E.numpy().round(4).tolist())
print("distance to expert per iteration:", np.round(result.distances, 3).tolist())
print("recovered w:", w.numpy().round(3).tolist())
print("true w     :", true_w.numpy().round(3).tolist())
V_irl, _ = value_iteration(env, env.features @ w)
print(f"optimum under recovered w {V_irl[env.start]:.4f}")
print(f"expert under recovered w  {mu_E @ w:.4f}")
assert torch.isclose(V_irl[env.start], mu_E @ w), "the expert is optimal"
assert w[1] < true_w[1] and w[2] > true_w[2], "mud costlier, pits cheaper"

# %%
code_of(projection_irl, "The code of <code>projection_irl</code>")

# %% [markdown]
# The recovered weights are not the true ones, and need not be: they penalise mud much
# more than the truth and pits much less, yet under them the expert's route is optimal
# (the two numbers above agree) and planning with them walks the same route. Where the
# expert never went, the reward is not identified, and the recovered policy shows it:

# %%
pits = {s for s in range(env.n_states) if "".join(env.layout)[s] == "X"}
into_pit = [
    s
    for s in range(env.n_states)
    if int(env.next_state[s, result.policy[s].argmax()]) in pits
    and not env.terminal[s]
]
for name, policy in [("expert", expert), ("from recovered w", result.policy)]:
    grid = np.array([ACTIONS[int(a)][0].upper() for a in policy.argmax(dim=1)])
    ends = env.terminal.numpy()
    grid[ends] = np.array(list("".join(env.layout)))[ends]
    rows = grid.reshape(env.height, -1)
    print(f"{name}:\n" + "\n".join(" ".join(row) for row in rows))
print("cells whose recovered policy steps into a pit:", into_pit)
assert into_pit and not set(route) & set(into_pit)

# %% [markdown]
# Along the expert's route (up, along the row above the mud, down) both policies agree.
# From some cells next to a pit the recovered reward says stepping into the pit is
# cheaper than walking to the goal; the expert's demonstrations, which never pass there,
# cannot contradict it. More varied demonstrations (other start cells, a noisier expert)
# pin the reward down further; maximum-entropy IRL and adversarial imitation (GAIL, which
# trains a GAN-style discriminator on expert and agent behaviour) are the modern
# descendants of this feature-matching idea.
#
# Policy gradients reach beyond control: any network whose output is a discrete choice
# without a gradient can be trained this way, from
# [hard attention](../../attention/overview/#soft-hard-local) to
# [text GANs](../../generative/gan/#instability) and sequence models trained on their
# evaluation metric ([training pitfalls](../../attention/transformer/#training-pitfalls)).
# The other way through a discrete choice is to relax it:
# [Gumbel-softmax](../../attention/overview/#gumbel-softmax) replaces the sample by a
# differentiable soft one, trading the score function's variance for a bias.
#
# <details class="question"><summary>Interview questions · 面试题</summary>
#
# 1. **强化学习和监督学习的区别？什么时候用强化学习？** *RL or supervised learning?* RL
#    learns from a scalar reward, often delayed, for actions it chose itself; use it when
#    nobody can label the right action, when credit must be assigned over time, or when
#    the agent's choices change its data. [Basics](#basics)
# 2. **Actor 和 critic 分别做什么？奖励是 critic 给的吗？** *What do the actor and the
#    critic do, and does the critic give the reward?* The actor is the policy; the critic
#    predicts the return $V(s)$. The environment gives the reward; the critic turns it into
#    a judgement of each action, the TD error $\delta_t = r_t + \gamma V(s_{t+1}) - V(s_t)$.
#    [Actor–critic](#actor-critic)
# 3. **策略梯度公式？为什么要 baseline？** *The policy gradient, and why a baseline?*
#    $\nabla J = \mathbb E[\sum_t \gamma^t \nabla \log \pi(a_t|s_t)(G_t - b(s_t))]$; a
#    baseline that does not depend on the action keeps the estimate unbiased and removes
#    variance, so actions are judged against what usually happens from that state.
#    [Policy gradient](#actor-critic)
# 4. **Actor-critic 的损失由哪几部分组成？** *What is in the actor–critic loss?* The actor's
#    $-\delta_t \log \pi(a_t|s_t)$ (with $\delta$ held fixed), the critic's squared error
#    to $r_t + \gamma V(s_{t+1})$, and minus $\beta$ times the policy's entropy (a bonus:
#    minimising the sum raises the entropy, which keeps the policy exploring).
#    [Actor–critic](#actor-critic)
# 5. **REINFORCE 和 actor-critic 的区别？** *REINFORCE or actor–critic?* REINFORCE weights
#    by the whole Monte-Carlo return (unbiased, high variance, needs the episode to end);
#    actor–critic by the one-step TD error (lower variance, biased while the critic is
#    wrong, updates at every step). [Actor–critic](#actor-critic)
# 6. **折扣因子 γ 的作用？** *What does the discount do?* It weights a reward $k$ steps
#    away by $\gamma^k$ (here $0.9^{10} \approx 0.35$): it keeps returns finite and makes
#    the agent prefer earlier rewards. [Returns](#returns)
# 7. **什么是逆强化学习？** *What is inverse RL?* Recovering a reward under which an
#    expert's demonstrations are optimal, for instance by matching feature expectations;
#    the reward is not unique and is undetermined where the expert never went.
#    [Inverse RL](#inverse-rl)
#
# </details>
