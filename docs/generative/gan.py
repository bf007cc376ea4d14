# %% [markdown]
# # Generative adversarial networks · 生成对抗网络
# <a id="gan"></a>
#
# A **generative adversarial network** (GAN, 生成对抗网络; Goodfellow et al., 2014) learns to
# produce new samples that look like its training data, without ever writing down a
# probability density. Two networks play against each other:
#
# * the **generator** $G$ (生成器) turns a random vector $z \sim \mathcal N(0, I)$ into a
#   sample $G(z)$: an image, or here a point in the plane;
# * the **discriminator** $D$ (判别器) takes a sample and outputs the probability that it
#   came from the data rather than from $G$: a binary classifier, trained with the
#   [binary cross-entropy](../../foundations/information/#cross-entropy) of any classifier.
#
# This page trains a small GAN on a distribution whose answer is known: eight Gaussian
# blobs on a circle. Because the true modes are known, we can *count* what the generator
# gets right and what it misses, which is rarely possible with images. The page is an
# executed notebook: the numbers below are the ones measured when the site was built.
#
# ## Why a random input vector · 为什么要输入随机向量
# <a id="random-input"></a>
#
# A network is a deterministic function: the same input always gives the same output. To
# produce *many different* samples, the generator needs a source of randomness, and the
# simplest is an input drawn afresh each time. $G$ then transforms a distribution that is
# easy to sample (a standard Gaussian) into one that is hard to write down (the data).
# Every $z$ gives one sample; nearby $z$ give similar samples, which is what makes the
# latent space useful for interpolation (see the end of the page). Without $z$, a GAN
# could only learn a single output: a conditional model such as an image-to-image
# translator still needs noise (or dropout) to produce more than one answer per input.

# %%
import copy

import torch
import torch.nn.functional as F
from IPython.display import HTML

from reference.generative import (
    discriminator_loss,
    gan_step,
    generator_loss,
    inception_score,
    mlp,
    mode_counts,
    mode_coverage,
    ring_centres,
    sample_ring,
    slerp,
)
from reference.plotting import COLORS, INK, figure, figure_html

# Networks this small train faster on one thread than on two.
torch.set_num_threads(1)
torch.manual_seed(0)
STD = 0.05
centres = ring_centres(8, radius=2.0)
data = sample_ring(2000, std=STD, generator=torch.Generator().manual_seed(1))
print(centres.shape, data.shape, f"{mode_coverage(data, centres, STD):.3f}")

# %% [markdown]
# ## The losses · 损失函数
# <a id="losses"></a>
#
# The discriminator is a classifier with labels real = 1 and fake = 0, trained with
# [binary cross-entropy](../../training/losses/#losses):
#
# $$
# L_D = -\mathbb E_{x}\, \log D(x) - \mathbb E_{z} \log\big(1 - D(G(z))\big).
# $$
#
# The original paper writes the two players as one minimax game over the value
# $V(D, G) = \mathbb E_x \log D(x) + \mathbb E_z \log(1 - D(G(z)))$: $D$ maximises it
# ($L_D = -V$), $G$ minimises it, so the generator's loss would be
# $\mathbb E_z \log(1 - D(G(z)))$. Early in training, though, $D$ rejects the fakes
# easily, $D(G(z)) \approx 0$, and this loss is flat there. With $D = \sigma(a)$ for a logit
# $a$, its gradient is
#
# $$
# \frac{\partial}{\partial a} \log\big(1 - \sigma(a)\big) = -\sigma(a) \approx 0 .
# $$
#
# The **non-saturating** loss that everyone uses instead,
# $L_G = -\mathbb E_z \log D(G(z))$, has the gradient
# $\partial(-\log \sigma(a))/\partial a = -(1 - \sigma(a)) \approx -1$, largest exactly when
# the generator is worst. The reference writes both on logits with `softplus`
# ($-\log\sigma(a) = \operatorname{softplus}(-a)$,
# $-\log(1 - \sigma(a)) = \operatorname{softplus}(a)$), so they never take the log of 0.
# Written out, and checked against `F.binary_cross_entropy_with_logits` and autograd:

# %%
real_logits = torch.tensor([2.0, 0.5, -1.0])  # D's logits a: 3 real samples
fake_logits = torch.tensor([-4.0, -2.0, 1.0])  # ... and 3 generated ones
d_loss = (
    -torch.sigmoid(real_logits).log().mean()
    - (1 - torch.sigmoid(fake_logits)).log().mean()
)
bce = F.binary_cross_entropy_with_logits
assert torch.isclose(
    d_loss, bce(real_logits, torch.ones(3)) + bce(fake_logits, torch.zeros(3))
)
assert torch.isclose(d_loss, discriminator_loss(real_logits, fake_logits))
print(f"L_D = {d_loss:.4f}")
a = torch.tensor([-4.0], requires_grad=True)  # D rejects a fake
print(f"D(G(z)) = sigmoid(-4) = {torch.sigmoid(a).item():.3f}")
for name, non_saturating in [("minimax", False), ("non-saturating", True)]:
    (grad,) = torch.autograd.grad(generator_loss(a, non_saturating), a)
    print(f"{name:>14}: dL/da = {grad.item():.3f}")

# %% [markdown]
# ## Alternating updates · 交替训练
# <a id="alternating"></a>
#
# Each step trains $D$ on a batch of real samples and a batch of fakes, with the fakes
# detached so that only $D$ learns; then it trains $G$ through a fixed $D$: the gradient
# of $G$'s loss flows back *through* $D$ into $G$, but only $G$'s optimizer takes a step.
# One discriminator step per generator step works here; the original paper allowed $k$
# steps of $D$ per step of $G$, and WGAN used five. One full update, written out; `gan_step`,
# which trains the GAN below, does exactly this, as the last line checks by running it on
# copies of the two networks with the same random draws:

# %%
LATENT = 2
torch.manual_seed(0)
G_demo, D_demo = mlp(LATENT, 64, 2), mlp(2, 64, 1)  # 2 hidden layers of 64
G_copy, D_copy = copy.deepcopy(G_demo), copy.deepcopy(D_demo)


def adam(model):  # a lower momentum than the default, as in DCGAN
    return torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))


g_opt, d_opt = adam(G_demo), adam(D_demo)
real = sample_ring(128, std=STD, generator=torch.Generator().manual_seed(5))
noise = torch.Generator().manual_seed(6)

# 1. the discriminator: real samples labelled 1, fakes 0; detach() keeps G fixed
fake = G_demo(torch.randn(128, LATENT, generator=noise)).detach()
d_loss = F.softplus(-D_demo(real)).mean() + F.softplus(D_demo(fake)).mean()
d_opt.zero_grad()
d_loss.backward()
d_opt.step()
# 2. the generator, judged by the updated D: -log D(G(z)); only G steps
fake = G_demo(torch.randn(128, LATENT, generator=noise))
g_loss = F.softplus(-D_demo(fake)).mean()
g_opt.zero_grad()
g_loss.backward()
g_opt.step()
print(f"D loss {d_loss.item():.4f}, G loss {g_loss.item():.4f}")

losses = gan_step(
    G_copy,
    D_copy,
    adam(G_copy),
    adam(D_copy),
    real,
    LATENT,
    generator=torch.Generator().manual_seed(6),
)
assert losses == (d_loss.item(), g_loss.item())
written_out = [*G_demo.parameters(), *D_demo.parameters()]
by_gan_step = [*G_copy.parameters(), *D_copy.parameters()]
assert all(
    torch.equal(a, b) for a, b in zip(written_out, by_gan_step, strict=True)
)

# %% [markdown]
# Both networks are MLPs with two hidden layers of 64 ReLU units; the latent vector is
# 2-D, so that the latent space can be drawn. Adam with $\beta_1 = 0.5$ and batches of 128,
# 2000 steps:

# %%
STEPS, EVERY = 2000, 250
torch.manual_seed(0)
G, D = mlp(LATENT, 64, 2), mlp(2, 64, 1)
g_opt, d_opt = adam(G), adam(D)
batches = torch.Generator().manual_seed(2)
z_fixed = torch.randn(1000, LATENT, generator=torch.Generator().manual_seed(3))

snapshots, history = {}, []
for step in range(STEPS + 1):
    if step == 250:
        G_early = copy.deepcopy(G)  # kept for the instability experiment below
    if step in (0, 250, 500, 1000, STEPS):
        with torch.no_grad():
            snapshots[step] = G(z_fixed)
    if step % EVERY == 0:
        with torch.no_grad():
            fake = G(z_fixed)
        near = mode_counts(fake, centres, STD).sum().item() / len(fake)
        history.append((step, mode_coverage(fake, centres, STD), near))
    if step < STEPS:
        losses = gan_step(
            G,
            D,
            g_opt,
            d_opt,
            sample_ring(128, std=STD, generator=batches),
            LATENT,
        )
print(f"last losses: D {losses[0]:.3f}, G {losses[1]:.3f}")
for step, coverage, near in history:
    print(
        f"step {step:4d}: modes covered {coverage:.3f}, samples within 3 sigma {near:.3f}"
    )

# %% [markdown]
# ## Samples over training · 训练过程中的样本

# %%
spread = {
    step: points.norm(dim=1).mean().item()
    for step, points in snapshots.items()
}
outside = {
    step: (p.abs() > 2.8).any(dim=1).float().mean().item()
    for step, p in snapshots.items()
}
assert spread[0] < 0.3, "step 0: a dot near the origin"
assert outside[250] > 0.1 and outside[STEPS] == 0, (
    "step 250: samples leave the picture"
)
assert history[2][1] == 1.0, "step 500: every mode receives samples"
assert history[-1][2] > 5 * history[2][2], (
    "then the samples move onto the modes"
)
with figure(1, 5, figsize=(9.6, 2.3), sharex=True, sharey=True) as (fig, axes):
    for ax, (step, points) in zip(axes, snapshots.items(), strict=True):
        ax.scatter(
            data[:, 0],
            data[:, 1],
            s=2,
            color=COLORS[7],
            alpha=0.3,
            rasterized=True,
        )
        ax.scatter(
            points[:, 0], points[:, 1], s=2, color=COLORS[0], rasterized=True
        )
        ax.set(
            title=f"step {step}",
            aspect="equal",
            xlim=(-2.8, 2.8),
            ylim=(-2.8, 2.8),
        )
        ax.set(xticks=[], yticks=[])
    html = figure_html(
        fig,
        "1000 generator samples (blue) for one fixed set of latent vectors; data in grey.",
    )
print(f"step 0: mean distance from the origin {spread[0]:.2f}")
print(f"step 250: {outside[250]:.0%} of the samples outside the picture")
print(f"step 500: {history[2][2]:.0%} of the samples on a mode")
HTML(html)

# %% [markdown]
# The untrained generator sends every latent vector to nearly the same point, so at step 0
# its samples are a dot near the origin. The discriminator's gradient then pushes them
# around as a whole: at step 250 they form a sheet, partly outside the picture; by step 500
# every one of the eight modes receives samples, though few of the samples land on a mode
# (the numbers are printed above); from then on the generator moves
# its mass onto the blobs. The printed log shows the two things we can measure on this toy
# problem: which fraction of the eight modes receives any sample, and which fraction of the
# samples lands on a mode at all (within three standard deviations).
#
# ## What the discriminator sees · 判别器的输出
# <a id="discriminator"></a>
#
# For a fixed generator whose samples have density $p_g$, the best discriminator is
# $D^*(x) = p_\text{data}(x) / (p_\text{data}(x) + p_g(x))$ (Goodfellow et al., 2014): 1
# where only real data lie, 0 where only fakes do, and ½ where the generator matches the
# data. The trained discriminator over the whole plane, with the generator's samples:

# %%
with torch.no_grad():
    axis = torch.linspace(-3, 3, 150)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    surface = torch.sigmoid(
        D(torch.stack([xx.flatten(), yy.flatten()], dim=1))
    ).view(150, 150)
    on_modes = torch.sigmoid(D(centres))[:, 0]
    angles = (torch.arange(8) + 0.5) * (2 * torch.pi / 8)
    between = torch.sigmoid(
        D(2 * torch.stack([angles.cos(), angles.sin()], dim=1))
    )[:, 0]
    on_real = torch.sigmoid(D(data)).mean().item()
    on_fake = torch.sigmoid(D(G(z_fixed))).mean().item()
assert on_modes.min() > 0.4 and on_modes.max() < 0.8, (
    "about 1/2 where the generator matches"
)
assert between.max() < 0.1 and surface.min() < 0.01, "near 0 off the data"
with figure(1, 1, figsize=(4.6, 3.8)) as (fig, ax):
    image = ax.imshow(
        surface.numpy(),
        origin="lower",
        extent=(-3, 3, -3, 3),
        cmap="magma",
        vmin=0,
        vmax=1,
        interpolation="bilinear",
    )
    ax.scatter(*snapshots[STEPS][:300].T, s=4, color=COLORS[0], label="G(z)")
    ax.set(aspect="equal", xticks=[-2, 0, 2], yticks=[-2, 0, 2])
    ax.grid(False)
    ax.legend(loc="upper right", fontsize=9)
    fig.colorbar(image, ax=ax, shrink=0.85, label="D(x)")
    caption = (
        f"D(x) after training: {on_modes.min():.2f} to {on_modes.max():.2f} at the eight centres, "
        f"below {between.max():.2f} between them and near 0 at the centre. On average D gives the "
        f"real data {on_real:.2f} and the fakes {on_fake:.2f}: close to the ½ of a generator "
        "that matches the data."
    )
    html = figure_html(fig, caption)
HTML(html)

# %% [markdown]
# Where the generator still puts samples between the modes, $D$ is near 0 and its gradient
# pushes them out; on the modes it has nothing left to say. That gradient is the only
# training signal $G$ ever gets: the generator never sees the data, only the
# discriminator's opinion of its own samples.
#
# ## GAN difficulties and evaluation · GAN的问题与评估
# <a id="gan-issues"></a>
#
# ### Mode collapse · 模式崩溃
#
# The generator is rewarded for samples that fool the *current* discriminator, not for
# covering the data. If one mode fools $D$ best, moving every sample there lowers $G$'s
# loss; $D$ then learns that this mode is suspicious, $G$ jumps to another, and so on:
# the generator chases the discriminator around the modes instead of covering them all.
# The extreme case is easy to provoke: freeze the trained discriminator and keep training
# the generator alone (with a larger step, 0.01, to get there in a few hundred steps). The
# best response to a *fixed* $D$ is to put every sample where $D$ is most convinced.

# %%
G_alone = copy.deepcopy(G)
alone_opt = torch.optim.Adam(G_alone.parameters(), lr=1e-2, betas=(0.5, 0.999))
frozen = torch.optim.SGD(D.parameters(), lr=0.0)  # D's steps change nothing
D_before = copy.deepcopy(D)
for _ in range(300):
    gan_step(
        G_alone,
        D,
        alone_opt,
        frozen,
        sample_ring(128, std=STD, generator=batches),
        LATENT,
    )
assert all(
    torch.equal(a, b)
    for a, b in zip(D.parameters(), D_before.parameters(), strict=True)
)
with torch.no_grad():
    trained, collapsed = G(z_fixed), G_alone(z_fixed)
print("modes covered, trained:  ", mode_coverage(trained, centres, STD))
print("modes covered, collapsed:", mode_coverage(collapsed, centres, STD))
print(
    "samples per mode, trained:  ", mode_counts(trained, centres, STD).tolist()
)
print(
    "samples per mode, collapsed:",
    mode_counts(collapsed, centres, STD).tolist(),
)
assert mode_coverage(collapsed, centres, STD) < mode_coverage(
    trained, centres, STD
)

# %%
with figure(1, 2, figsize=(6.0, 3.0), sharex=True, sharey=True) as (fig, axes):
    for ax, points, title in [
        (axes[0], trained, "alternating"),
        (axes[1], collapsed, "D frozen"),
    ]:
        ax.scatter(
            data[:, 0],
            data[:, 1],
            s=2,
            color=COLORS[7],
            alpha=0.3,
            rasterized=True,
        )
        ax.scatter(
            points[:, 0], points[:, 1], s=2, color=COLORS[1], rasterized=True
        )
        ax.set(title=title, aspect="equal", xticks=[], yticks=[])
    caption = "The trained generator, then the same after 300 steps against a frozen discriminator."
    html = figure_html(fig, caption)
HTML(html)

# %% [markdown]
# Remedies change what the generator is rewarded for: minibatch discrimination lets $D$
# compare samples within a batch (a batch of identical samples is then easy to spot);
# unrolled GANs let $G$ anticipate $D$'s response; Wasserstein GANs replace the
# classifier by a critic whose gradients do not vanish.
#
# ### Divergence and instability · 训练不稳定
# <a id="instability"></a>
#
# Real data occupy a thin, low-dimensional set in the input space (here, eight small
# blobs; for images, a manifold of far lower dimension than the number of pixels), and so
# does the generator's output. Two such sets barely overlap, so a discriminator with
# enough capacity can separate them perfectly. In theory, with an optimal $D$, the
# minimax generator minimises the Jensen–Shannon divergence between the two distributions,
# and that divergence is the constant $\log 2$ whenever they do not overlap, however close
# or far the fakes are: **no signal about which direction is better.** In practice the
# discriminator wins, its loss falls towards 0 and $D(G(z))$ towards 0, and what is left of
# the generator's gradient depends on the loss. Train $D$ alone against a frozen generator
# (the one from step 250, whose samples are still off the data) and measure the gradient
# that each generator loss would give, over all of $G$'s parameters:

# %%
G_frozen = copy.deepcopy(G_early)
D_strong = copy.deepcopy(D)
strong_opt = torch.optim.Adam(D_strong.parameters(), lr=1e-3)
still = torch.optim.SGD(G_frozen.parameters(), lr=0.0)
rows = []
for step in range(301):
    real = sample_ring(128, std=STD, generator=batches)
    d_loss, _ = gan_step(G_frozen, D_strong, still, strong_opt, real, LATENT)
    if step % 100 == 0:
        logits = D_strong(G_frozen(z_fixed))
        grads = []
        for non_saturating in (True, False):
            G_frozen.zero_grad()
            generator_loss(logits, non_saturating).backward(retain_graph=True)
            grads.append(
                torch.cat([p.grad.flatten() for p in G_frozen.parameters()])
                .norm()
                .item()
            )
        fooled = torch.sigmoid(logits).mean().item()
        rows.append((d_loss, fooled, *grads))
        print(
            f"D step {step:3d}: D loss {d_loss:.3f}, mean D(G(z)) {fooled:.3f}, "
            f"|grad G|: non-saturating {grads[0]:.2f}, minimax {grads[1]:.2f}"
        )
assert rows[-1][0] < rows[0][0] / 2 and rows[-1][1] < rows[0][1], "D wins"
assert all(ns > 5 * mm for _, _, ns, mm in rows), (
    "the non-saturating gradient is much larger"
)
assert rows[-1][2] > rows[0][2], (
    "the non-saturating gradient grows as D sharpens"
)
assert max(mm for *_, mm in rows) < 1, "the minimax gradient stays small"
assert rows[-1][3] <= rows[0][3], "the minimax gradient is no larger at the end"

# %% [markdown]
# As $D$ becomes sure, its loss falls and $D(G(z))$ drops. The minimax loss's gradient is
# $-\sigma(a)$ per sample, so it stays small (below 1 here, and no larger at the end than at
# the start, although $D$'s own slopes steepen); the non-saturating loss's is
# $-(1 - \sigma(a)) \approx -1$ per sample, and its total is more than five times larger
# throughout and grows as $D$ sharpens. That is why the non-saturating loss is the default.
# Other sources of instability: the two players' updates can orbit a solution instead of
# converging to it (a game, unlike a single loss, has no guarantee that gradient steps go
# downhill); and the losses printed during training say little about sample quality,
# because each is measured against an opponent that keeps changing. Practitioners
# therefore balance the two: several steps of $D$ per step of $G$ (WGAN), or the opposite
# when $D$ wins too easily, chosen by watching samples rather than losses.
#
# **Text is harder still**: sampling a word is a discrete choice, so $D$'s gradient cannot
# reach $G$ through it at all. Text GANs train the generator with policy-gradient
# estimators, as in [reinforcement learning](../../rl/actor-critic/#actor-critic) (the
# discriminator's score is the reward), or with a continuous relaxation such as
# [Gumbel-softmax](../../attention/overview/#gumbel-softmax).
#
# ### Quality and diversity: the Inception Score · 质量与多样性
# <a id="inception-score"></a>
#
# A good generator has two properties: each sample on its own looks real (**quality**),
# and the samples together cover the data (**diversity**). For images, the Inception Score
# (Salimans et al., 2016) measures both with a pretrained classifier giving $p(y \mid x)$:
#
# * quality: a convincing image is classified confidently, so $p(y \mid x)$ is peaked;
# * diversity: over many images, the classes are used evenly, so the marginal
#   $p(y) = \mathbb E_x\, p(y \mid x)$ is flat.
#
# $$
# \mathrm{IS} = \exp\Big(\mathbb E_x\, \mathrm{KL}\big(p(y \mid x) \,\|\, p(y)\big)\Big),
# $$
#
# which ranges from 1 (all images get the same distribution) to the number of classes
# $C$ (every image certain, all classes equally often). It cannot see diversity *within* a
# class, nor whether the generator merely copies training images, and its value depends on
# the classifier; FID, which compares feature statistics of real and generated images, is
# the usual replacement. By hand, for two classes, and with `inception_score`:

# %%
probs = {
    "confident and diverse": torch.tensor([[1.0, 0.0], [0.0, 1.0]]),
    "confident, one class": torch.tensor([[1.0, 0.0], [1.0, 0.0]]),
    "unsure": torch.tensor([[0.5, 0.5], [0.5, 0.5]]),
}
for name, p in probs.items():
    marginal = p.mean(dim=0)  # p(y)
    # KL(p(y|x) || p(y)) for each image; a zero probability contributes 0 log 0 = 0
    kl = torch.where(p > 0, p * (p / marginal).log(), 0.0).sum(dim=1)
    by_hand = kl.mean().exp()
    assert torch.isclose(by_hand, inception_score(p))
    print(f"{name:>22}: IS = {by_hand:.2f}")

# %% [markdown]
# On the ring we can build the "classifier" ourselves: $p(y \mid x)$ is the posterior of
# mode $y$ under the true mixture, a softmax of $-\lVert x - \mu_y\rVert^2 / 2\sigma^2$.
# We use $\sigma = 0.5$ rather than the data's 0.05, so that points between modes get an
# uncertain (low-quality) prediction instead of a confident one.


# %%
def ring_posterior(points: torch.Tensor, sigma: float = 0.5) -> torch.Tensor:
    # [N, 8]
    return (-torch.cdist(points, centres).pow(2) / (2 * sigma**2)).softmax(
        dim=1
    )


scores = {}
for name, points in [
    ("real data", data),
    ("trained G", trained),
    ("collapsed G", collapsed),
    ("G at step 0", snapshots[0]),
]:
    scores[name] = inception_score(ring_posterior(points)).item()
    print(f"{name:12s} IS = {scores[name]:.2f}")
covered = int(mode_coverage(collapsed, centres, STD) * 8)
assert (
    scores["real data"]
    > scores["trained G"]
    > scores["collapsed G"]
    > scores["G at step 0"]
)
assert (
    abs(scores["collapsed G"] - covered) < 0.5 and scores["G at step 0"] < 1.5
)

# %% [markdown]
# The real data score close to 8 (not exactly: the blobs overlap a little under the
# classifier's wide $\sigma$); a generator that covers all modes is close behind; the
# collapsed generator scores about its number of modes; the untrained one, a blob at the
# centre, scores near 1. The notes' rule of thumb, "confident predictions and many
# different classes", is exactly this formula.
#
# ### Latent interpolation · 隐空间插值
# <a id="interpolation"></a>
#
# Walking in a straight line (or along a great circle, `slerp`, for high-dimensional
# Gaussian latents whose length is nearly fixed) between two latent vectors and decoding
# each point shows what the generator does between its samples. For image GANs this is
# the familiar smooth morph from one face to another: the generator has learnt a
# continuous map, not a lookup table of training images, which is evidence against
# memorisation. It is also how two images are **blended** (the notes ask whether
# interpolation can fuse images: yes, in latent space rather than pixel space), once each
# image has been mapped back to a latent vector: **GAN inversion**, which finds the $z$
# whose $G(z)$ is closest to the image, by gradient descent on $z$ or with an encoder
# trained to invert $G$. A continuous map from a connected latent space cannot jump between
# separated modes, so it must pass through the empty space between them: the left panel
# colours the latent plane by the mode each $z$ is sent to.

# %%
with torch.no_grad():
    axis = torch.linspace(-3, 3, 200)
    zy, zx = torch.meshgrid(axis, axis, indexing="ij")
    grid = torch.stack([zx.flatten(), zy.flatten()], dim=1)  # [40000, 2]
    out = G(grid)
    distance, nearest = torch.cdist(out, centres).min(dim=1)
    region = torch.where(distance < 3 * STD, nearest, -1).view(200, 200)
    z0, z1 = torch.tensor([-2.0, -1.0]), torch.tensor([2.0, 1.5])
    t = torch.linspace(0, 1, 40)
    path_lerp = torch.lerp(z0, z1, t[:, None])
    path_slerp = slerp(z0, z1, t)

from matplotlib.colors import ListedColormap

with torch.no_grad(), figure(1, 2, figsize=(8.0, 3.8)) as (fig, axes):
    cmap = ListedColormap(["#94a3b833", *COLORS[:8]])
    axes[0].imshow(
        region + 1,
        origin="lower",
        extent=(-3, 3, -3, 3),
        cmap=cmap,
        vmin=0,
        vmax=8,
        interpolation="nearest",
    )
    axes[0].plot(
        path_lerp[:, 0], path_lerp[:, 1], "-", color=INK, lw=1.5, label="lerp"
    )
    axes[0].plot(
        path_slerp[:, 0],
        path_slerp[:, 1],
        "--",
        color=INK,
        lw=1.5,
        label="slerp",
    )
    axes[0].set(title="latent plane: mode of G(z)", xlabel="$z_1$")
    # Upright: a rotated label at the left edge is wider in the browser's font than
    # matplotlib measured, and would stick out of the cropped figure.
    axes[0].set_ylabel("$z_2$", rotation=0, labelpad=12)
    axes[0].legend(loc="lower right")
    axes[0].grid(False)
    axes[1].scatter(
        data[:, 0],
        data[:, 1],
        s=2,
        color=COLORS[7],
        alpha=0.3,
        rasterized=True,
    )
    for path, marker in [(path_lerp, "o"), (path_slerp, "s")]:
        decoded = G(path)
        axes[1].scatter(
            *decoded.T,
            c=t,
            cmap="viridis",
            s=14,
            marker=marker,
            rasterized=True,
        )
    axes[1].set(
        title="G along the two paths", aspect="equal", xticks=[], yticks=[]
    )
    caption = (
        "Left: each latent vector coloured by the mode its sample lands on (grey: on none). "
        "Right: the decoded paths, coloured from start (purple) to end (yellow)."
    )
    html = figure_html(fig, caption)
HTML(html)

# %% [markdown]
# Inside a coloured region the samples stay on one blob; crossing a border, they travel
# quickly through empty space to the next. The grey areas are the latent vectors whose
# samples land on no blob at all. On images, these are the blurry or malformed in-between
# pictures; a generator that made its border regions narrower would produce fewer of them
# at the same diversity.
#
# Large image GANs trade diversity for quality with the **truncation trick** (BigGAN):
# sample $z$ closer to the origin, where the training latents were densest. On this small
# generator it would backfire, because the region borders meet near the origin:

# %%
radius = grid.norm(dim=1)
on_mode = (distance < 3 * STD).float()
near_origin, everywhere = (
    on_mode[radius < 0.5].mean().item(),
    on_mode[radius < 3].mean().item(),
)
print(f"on a mode: {near_origin:.2f} of the latents with |z| < 0.5")
print(f"           {everywhere:.2f} of those with |z| < 3")
assert near_origin < everywhere

# %% [markdown]
# Whether truncation helps depends on where a generator puts its in-between samples, which
# is why it is tuned by looking at the outputs.
#
# <details class="question"><summary>Interview questions · 面试题</summary>
#
# 1. **GAN 的原理？generator 和 discriminator 怎么训练？** *How is a GAN trained?* $D$ is a
#    binary classifier (real 1, fake 0) trained with binary cross-entropy; $G$ is trained
#    through the fixed $D$ to make $D$ call its samples real; the two alternate, one or
#    more $D$ steps per $G$ step. [Alternating updates](#alternating)
# 2. **为什么要有 generator 的随机输入？为啥要用一组分布的向量？** *Why a random input
#    vector?* A network is deterministic: different samples need different inputs. $G$
#    maps an easy distribution (a Gaussian) onto the data's, and nearby $z$ give similar
#    samples. [Why a random input vector](#random-input)
# 3. **训练 G 时为什么用 $-\log D(G(z))$？** *Why the non-saturating loss?* The minimax
#    loss $\log(1 - D(G(z)))$ has gradient $-\sigma(a) \approx 0$ when $D$ rejects the
#    fakes, exactly when $G$ needs to learn; $-\log D(G(z))$ has gradient near $-1$ there.
#    [The losses](#losses), [instability](#instability)
# 4. **最优的判别器是什么？** *What is the optimal discriminator?*
#    $D^* = p_\text{data}/(p_\text{data} + p_g)$: ½ wherever the generator matches the data;
#    against it, the minimax generator minimises the Jensen–Shannon divergence.
#    [What the discriminator sees](#discriminator)
# 5. **GAN 训练为什么难？生成文本为什么更难？** *Why are GANs hard to train, text GANs
#    harder?* Thin, non-overlapping supports give a perfect $D$ and little signal; the
#    game can orbit instead of converge; losses do not track quality; mode collapse. For
#    text, sampling a token is discrete, so no gradient passes from $D$ to $G$: policy
#    gradients or Gumbel-softmax are needed. [Instability](#instability)
# 6. **什么是 mode collapse？** *What is mode collapse?* The generator puts its samples on
#    a few modes that fool the current $D$; against a frozen $D$ it collapses onto the
#    points $D$ likes best. [Mode collapse](#mode-collapse)
# 7. **怎么评价 GAN？** *How is a GAN evaluated?* Quality and diversity: the Inception Score
#    $\exp \mathbb E_x \mathrm{KL}(p(y|x) \| p(y))$ (confident and varied class
#    predictions), FID (feature statistics of real against generated images), and checks
#    for copying training images. [Inception Score](#inception-score)
# 8. **隐空间插值能做图片融合吗？反向生成器怎么做？** *Can latent interpolation blend
#    images, and how is a generator inverted?* Yes: map both images to latent vectors (GAN
#    inversion: optimise $z$ so that $G(z)$ matches the image, or train an encoder) and
#    decode points between them. [Latent interpolation](#interpolation)
#
# </details>
