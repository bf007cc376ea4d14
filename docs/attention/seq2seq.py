# %% [markdown]
# # Seq2seq with attention · 序列到序列
# <a id="seq2seq"></a>
#
# A sequence-to-sequence (seq2seq) model maps one sequence to another of a different length:
# a sentence to its translation, an audio clip to its transcript. An **encoder** reads the
# input; a **decoder** writes the output one token at a time, each conditioned on the tokens
# it has written so far. This page trains a small one with additive attention
# ([similarity functions](../overview/#qkv)) to reverse strings of 3 to 8 digits, then
# compares ways of decoding it: greedy, beam search, and what non-autoregressive decoders
# give up. It is an executed notebook: the numbers below are the ones the site's build
# measured. Code: `reference/attention/seq2seq.py`; tests: `tests/attention/test_seq2seq.py`.

# %%
import inspect
import math

import torch
from IPython.display import HTML, Markdown

from reference.attention import (
    BOS,
    EOS,
    PAD,
    Seq2Seq,
    beam_search,
    greedy_decode,
    reversal_data,
)
from reference.plotting import figure, figure_html

# Tiny matrices: one thread avoids the cost of splitting every small op between cores.
torch.set_num_threads(1)
torch.manual_seed(0)
DIGITS = "0123456789"


def text(tokens: list[int]) -> str:
    """Digits as a string, EOS as '.'; stops after the first EOS."""
    out = ""
    for t in tokens:
        if t == EOS:
            return out + "."
        if t not in (PAD, BOS):
            out += DIGITS[t - 3]
    return out


source, lengths, target = reversal_data(
    64 * 400, 3, 8, generator=torch.Generator().manual_seed(0)
)
print(source.shape, target.shape)
for i in range(3):
    print(text(source[i].tolist()), "->", text(target[i].tolist()))

# %% [markdown]
# ## The model · 编码器与解码器
#
# * **Encoder**: an embedding and a bidirectional GRU, so each source position's state
#   $h_s$ (size 2 × 32) describes its digit and both sides of it. Sequences are
#   packed so that the backward direction does not start from the padding.
# * **Attention**: at decoder step $t$, the additive score
#   $e_{ts} = v^\top \tanh(W_q s_{t-1} + W_k h_s)$
#   compares the decoder's state with every source state; a softmax over the unpadded
#   positions gives weights $\alpha_{ts}$, and the context is
#   $c_t = \sum_s \alpha_{ts} h_s$.
# * **Decoder**: a GRU cell fed the previous token and $c_t$; a linear layer on its new
#   state and $c_t$ gives the next-token logits.
#
# One decoder step, written out with the model's own layers; `Seq2Seq.step` does exactly
# this, which the last line checks:

# %%
model = Seq2Seq(vocab_size=13, embed_dim=16, hidden_dim=32)
print(f"{sum(p.numel() for p in model.parameters()):,} parameters")
with torch.no_grad():
    # encoder states h_s [2, 8, 64], and the decoder's first state s [2, 32]
    states, mask, s = model.encode(source[:2], lengths[:2])
    previous = torch.full((2,), BOS)  # the token written at the last step
    # e_s = v^T tanh(W_q s + W_k h_s) for every source position s
    scores = model.score(s.unsqueeze(1), states).squeeze(1)
    # alpha_s: a softmax over the real (unpadded) positions
    alpha = torch.softmax(scores.masked_fill(~mask, -torch.inf), dim=-1)
    context = (alpha.unsqueeze(1) @ states).squeeze(1)  # c = sum_s alpha_s h_s
    # the GRU cell reads the previous token and the context
    token_and_context = torch.cat([model.embed(previous), context], dim=-1)
    s_new = model.decoder(token_and_context, s)
    logits = model.out(torch.cat([s_new, context], dim=-1))  # [2, 13]
    by_step = model.step(previous, s, states, mask)
    assert all(
        torch.equal(a, b)
        for a, b in zip((logits, s_new, alpha), by_step, strict=True)
    )
print(logits.shape, alpha.shape, f"{alpha[0].sum():.4f}")

# %% [markdown]
# ## Training with teacher forcing · 教师强制
# <a id="teacher-forcing"></a>
#
# During training the decoder is fed the *true* previous token at every step (teacher
# forcing), so all steps of a batch are computed in one pass of the loop, and the loss is
# the cross-entropy of each next token, padding excluded. 400 Adam steps on batches of 64:

# %%
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD)
for it in range(400):
    batch = slice(64 * it, 64 * (it + 1))
    logits, _ = model(source[batch], lengths[batch], target[batch, :-1])
    loss = loss_fn(logits.flatten(0, 1), target[batch, 1:].flatten())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if it % 100 == 99:
        print(f"step {it + 1}: loss {loss.item():.4f}")

# %% [markdown]
# ## Greedy decoding · 贪心解码
#
# At test time there is no true previous token: the decoder feeds back its own output. The
# simplest rule takes the most probable token at every step, until EOS. On 1000 new strings
# (a string counts as right only if every digit and the EOS are):

# %%
model.eval()
test_source, test_lengths, test_target = reversal_data(
    1000, 3, 8, generator=torch.Generator().manual_seed(1)
)
# EOS after the end, as greedy_decode pads its output
expected = test_target[:, 1:].masked_fill(test_target[:, 1:] == PAD, EOS)
with torch.no_grad():
    step, state = model.step_function(test_source, test_lengths)
    greedy, greedy_scores = greedy_decode(step, state, batch=1000, max_len=9)
correct = (greedy == expected).all(dim=1)
print(f"greedy: {correct.float().mean():.3f} of strings exactly right")
for i in range(4):
    print(text(test_source[i].tolist()), "->", text(greedy[i].tolist()))
assert correct.float().mean() > 0.9, "training did not converge"

# %% [markdown]
# The model never saw strings longer than 8. On 9 and 10 digits it has to extrapolate, and
# a good share of its outputs go wrong: a seq2seq model learns the lengths it is shown.

# %%
long_source, long_lengths, long_target = reversal_data(
    500, 9, 10, generator=torch.Generator().manual_seed(2)
)
with torch.no_grad():
    step, state = model.step_function(long_source, long_lengths)
    long_out, _ = greedy_decode(step, state, batch=500, max_len=11)
long_expected = long_target[:, 1:].masked_fill(long_target[:, 1:] == PAD, EOS)
long_right = (long_out == long_expected).all(dim=1).float().mean().item()
print(f"9-10 digits: {long_right:.3f} exactly right")
assert long_right < 0.9 < correct.float().mean(), "longer strings are harder"

# %% [markdown]
# <a id="exposure-bias"></a>
# How do the mistakes arise? Fed the *true* previous tokens (teacher forcing, as in
# training), the model gets almost every next token of these strings right. Decoding on its
# own, its first mistake puts it on a prefix it was never trained on, and most of the tokens
# after that mistake go wrong too: errors compound. This gap between training and
# generation is *exposure bias* ([remedies](../transformer/#training-pitfalls)):

# %%
with torch.no_grad():
    teacher_logits, _ = model(long_source, long_lengths, long_target[:, :-1])
real = long_target[:, 1:] != PAD  # the digits and the EOS of each target
teacher_wrong = (teacher_logits.argmax(-1) != long_target[:, 1:]) & real
own_wrong = (long_out != long_expected) & real
first = torch.where(
    own_wrong.any(1), own_wrong.float().argmax(1), own_wrong.shape[1]
)
after_first = (torch.arange(own_wrong.shape[1]) > first[:, None]) & real
rate_teacher = teacher_wrong[real].float().mean().item()
rate_after = own_wrong[after_first].float().mean().item()
print(f"tokens wrong, fed the true prefix: {rate_teacher:.3f}")
print(f"tokens wrong after its own first mistake: {rate_after:.3f}")
assert rate_after > 10 * rate_teacher

# %% [markdown]
# ## Attention alignment · 注意力对齐
# <a id="alignment"></a>
#
# The attention weights $\alpha_{ts}$ of one string, output steps as rows and source
# digits as columns. To reverse a string of n digits, the t-th output digit must read
# source digit n + 1 − t: the weights form the anti-diagonal, learnt without ever being told
# about positions. The diagonal is smeared, most towards the end of the output: each
# bidirectional encoder state also describes its neighbours, so reading from a neighbour
# still finds the right digit.

# %%
with torch.no_grad():
    i = int((test_lengths == 8).nonzero()[0])
    _, weights = model(
        test_source[i : i + 1],
        test_lengths[i : i + 1],
        test_target[i : i + 1, :-1],
    )
source_text = text(test_source[i].tolist())
output_text = text(test_target[i].tolist())
copied = torch.arange(7, -1, -1)  # output digit t copies source digit 7 - t
# the source position each output digit reads most
reads = weights[0, :8].argmax(dim=-1)
# the copied digit and its neighbours
band = (torch.arange(8)[None] - copied[:, None]).abs() <= 1
assert ((reads - copied).abs() <= 1).all(), "the anti-diagonal"
assert (weights[0, :8] * band).sum(-1).min() > 0.8, (
    "the weight stays near the anti-diagonal"
)
exact = int((reads == copied).sum())
# the weight on the copied digit, over the first and the second half of the output
on_copied = weights[0, :8].gather(1, copied[:, None]).squeeze(1)
early, late = on_copied[:4].mean().item(), on_copied[4:].mean().item()
assert late < early, "the diagonal smears most towards the end of the output"
with figure(1, 1, figsize=(4.2, 4.0)) as (fig, ax):
    image = ax.imshow(weights[0].numpy(), cmap="viridis", vmin=0, vmax=1)
    ax.set(
        xticks=range(8),
        xticklabels=list(source_text),
        yticks=range(9),
        yticklabels=list(output_text),
        xlabel="source digit",
        ylabel="output token",
    )
    ax.grid(False)
    fig.colorbar(image, ax=ax, shrink=0.8)
    caption = (
        f"Attention weights while writing {output_text[:-1]} (then EOS) from {source_text}: "
        f"{exact} of the 8 output digits attend most to the source digit they copy, the others "
        "to its neighbour, and more than 80% of every row's weight lies on the copied digit or "
        f"next to it. The copied digit itself gets {early:.2f} of the weight on average over the "
        f"first four output digits and {late:.2f} over the last four."
    )
    html = figure_html(fig, caption)
HTML(html)

# %% [markdown]
# ## Beam search · 集束搜索
#
# Greedy decoding commits to each token for good. The most probable *sequence* can start
# with a token that is not the most probable *first* token: greedy misses it. A small
# example with a hand-made next-token table, tokens `a`, `b` and EOS (written `.`):
# after the start, `a` has probability 0.6 and `b` 0.4; after `a`, at best 0.4; after `b`,
# EOS has 0.9. Greedy writes `a.` with probability 0.6 × 0.4 = 0.24; the best
# sequence is `b.` with 0.4 × 0.9 = 0.36.
#
# **Beam search** keeps the K most probable prefixes. Each step extends every prefix by
# every token, scores the extensions by total log-probability, and keeps the best K; an
# extension that ends in EOS is set aside as a finished hypothesis. The best finished one
# wins. K = 1 is greedy decoding; a K as large as the number of possible prefixes is
# an exhaustive search (both are tested). The cost is K decoder steps per output token.

# %% [markdown]
# The trap above, as a step function that ignores its state and looks up the last token's
# row of a table of log-probabilities:

# %%
table = torch.tensor(
    [
        [0.2, 0.2, 0.2, 0.2, 0.2],  # PAD (never used)
        [0.0, 0.0, 0.0, 0.6, 0.4],  # after BOS: a 0.6, b 0.4
        [0.2, 0.2, 0.2, 0.2, 0.2],  # after EOS (never used)
        [0.0, 0.0, 0.4, 0.3, 0.3],  # after a
        [0.0, 0.0, 0.9, 0.05, 0.05],  # after b
    ]
).log()


def table_step(tokens, state):
    return table[tokens], state


names = {3: "a", 4: "b", EOS: "."}

# %% [markdown]
# The first two steps of beam search with K = 2, by hand. Step 1 extends the empty prefix by
# every token and keeps the two best; step 2 extends both by every token and ranks all the
# extensions by their total log-probability:

# %%
K = 2
first = table[BOS].topk(K)  # step 1: the K best first tokens
prefixes = [[int(t)] for t in first.indices]
# step 2: [K prefixes, V tokens]
totals = first.values[:, None] + table[first.indices]
best = totals.flatten().topk(K)
for total, flat in zip(best.values, best.indices, strict=True):
    prefix, token = prefixes[flat // 5], int(flat % 5)
    words = "".join(names[t] for t in [*prefix, token])
    print(
        f"{words}: p = {total.exp():.2f}"
        + (" (ends: finished)" if token == EOS else "")
    )

# %% [markdown]
# Both survivors end in EOS, so the search is over and the more probable one, `b.`, wins:
# the sequence greedy decoding missed. The function does the same bookkeeping for any step
# function (finished hypotheses set aside, the beam narrowing as they finish):

# %%
greedy_tokens, greedy_score = greedy_decode(
    table_step, torch.zeros(1, 1), batch=1, max_len=4
)
greedy_text = "".join(names[t] for t in greedy_tokens[0].tolist()[:2])
print("greedy:", greedy_text, f"p = {greedy_score.exp().item():.2f}")
for width in (1, 2):
    tokens, score = beam_search(
        table_step, torch.zeros(1, 1), beam_width=width, max_len=4
    )
    print(
        f"beam {width}:",
        "".join(names[t] for t in tokens),
        f"p = {math.exp(score):.2f}",
    )
code = inspect.getsource(beam_search)
summary = "<summary>The code of <code>beam_search</code></summary>"
Markdown(f"<details>{summary}\n\n```python\n{code}```\n\n</details>")

# %% [markdown]
# On the trained model: 200 of the test strings, and 150 of the harder 9-10 digit strings
# where the model is unsure.


# %%
def decode_all(src, lens, width, max_len):
    outputs = []
    with torch.no_grad():
        for j in range(len(src)):
            step, state = model.step_function(src[j : j + 1], lens[j : j + 1])
            outputs.append(
                beam_search(step, state, beam_width=width, max_len=max_len)
            )
    return outputs


def exact(outputs, targets):
    """Fraction of outputs equal to their target (BOS and padding removed)."""
    rows = [[t for t in row.tolist() if t != PAD][1:] for row in targets]
    return sum(
        tokens == row for (tokens, _), row in zip(outputs, rows, strict=True)
    ) / len(rows)


results = {}
for width in (1, 3):
    short = decode_all(test_source[:200], test_lengths[:200], width, 9)
    long = decode_all(long_source[:150], long_lengths[:150], width, 11)
    results[width] = (short, long)
    mean_log_p = sum(score for _, score in long) / len(long)
    print(
        f"beam {width}: right {exact(short, test_target[:200]):.3f} (3-8 digits), "
        f"{exact(long, long_target[:150]):.3f} (9-10 digits, mean log p {mean_log_p:.2f})"
    )
(short_1, long_1), (short_3, long_3) = results[1], results[3]
# the same sequence scores a little differently in a batch of 3 (float32)
at_least = sum(
    b[1] >= g[1] - 1e-4 for g, b in zip(long_1, long_3, strict=True)
)
same = sum(g[0] == b[0] for g, b in zip(short_1, short_3, strict=True))
print(
    f"9-10 digits: beam 3 at least as probable as greedy on {at_least} of 150"
)
print(f"3-8 digits: the same output from both on {same} of 200")
assert at_least >= 140 and same >= 190

# %% [markdown]
# Beam search finds sequences at least as probable as greedy's (almost always: a beam can in
# principle prune the prefix that greedy follows). A more probable sequence is not always
# the right one, though: beam search can only fix the decoder's search errors, not the
# model's. For a well-trained model on an easy task the two decoders agree almost
# everywhere; machine translation typically uses K = 4 to 10 with a
# **length penalty** (`length_penalty` divides the log-probability by $\text{length}^\alpha$),
# because every extra token multiplies the probability by a number below 1 and plain beam
# search favours short outputs.
#
# ## Autoregressive vs non-autoregressive decoding · 自回归与非自回归解码
# <a id="autoregressive"></a>
#
# The decoder above is **autoregressive**: token t is computed from tokens 1 … t − 1, so
# $p(y) = \prod_t p(y_t \mid y_{<t}, x)$ and an output of length T needs T
# sequential decoder steps (T × K for beam search). The Transformer's decoder is
# autoregressive too; only its training is parallel, thanks to teacher forcing and a causal
# mask ([masking](../transformer/#scaled-dot-product)).
#
# A **non-autoregressive** decoder (Gu et al., 2018) predicts the length first and then all
# tokens at once, $p(y) = p(T \mid x) \prod_t p(y_t \mid x)$: one parallel step, many times
# faster. The cost is the independence assumption. When several outputs are right, each
# position is predicted without knowing what the others chose, and the choices can mix.
# Suppose the correct outputs for some input are `12` and `21`, each with probability ½.
# A perfect non-autoregressive model learns the marginals, ½ for `1` and ½ for `2` at
# each position, and samples from their product:

# %%
right = {("1", "2"): 0.5, ("2", "1"): 0.5}
marginals = [
    {d: sum(p for y, p in right.items() if y[t] == d) for d in "12"}
    for t in range(2)
]
product = {
    (a, b): marginals[0][a] * marginals[1][b] for a in "12" for b in "12"
}
for y, p in product.items():
    print("".join(y), f"p = {p:.2f}", "right" if y in right else "wrong")
wrong = sum(p for y, p in product.items() if y not in right)
print(f"probability of a wrong output: {wrong:.2f}")

# %% [markdown]
# Half the outputs are `11` or `22`, which no target contains: in translation, repeated
# or missing words. An autoregressive decoder avoids it because its second token is
# conditioned on its first. Non-autoregressive models close the gap by making the target
# less ambiguous (training on the outputs of an autoregressive teacher, *distillation*) or
# by refining their output over a few parallel passes; the trade is speed against accuracy.

# %% [markdown]
# <details class="question"><summary>Interview questions · 面试题</summary>
#
# 1. **Seq2seq 为什么要加 attention？** *Why add attention to an encoder–decoder?* Without
#    it the decoder sees the source only through one fixed-size vector, and quality falls
#    with the length of the input; with it, every output step reads a fresh weighted mean of
#    all encoder states, and the weights show the alignment.
#    [Attention alignment](#alignment)
# 2. **什么是 teacher forcing？有什么问题？** *What is teacher forcing, and what goes wrong?*
#    Training feeds the true previous token at every step, so all steps run in one pass;
#    at test time the decoder reads its own outputs, and a mistake puts it on prefixes it was
#    never trained on (exposure bias): here the tokens after the model's first mistake go
#    wrong far more often than with the true prefix. [Exposure bias](#exposure-bias)
# 3. **Greedy decoding 和 beam search 的区别？** *Greedy decoding or beam search?* Greedy
#    keeps the single most likely token per step and can miss the most likely sequence;
#    beam search keeps the K best prefixes by total log-probability, at K times the cost;
#    K = 1 is greedy. [Beam search](#beam-search)
# 4. **Beam search 为什么要 length penalty？** *Why a length penalty?* Every extra token
#    multiplies the probability by a number below 1, so plain beam search prefers short
#    outputs; dividing the log-probability by $\text{length}^\alpha$ compensates.
#    [Beam search](#beam-search)
# 5. **自回归和非自回归解码的区别？** *Autoregressive or non-autoregressive decoding?*
#    Autoregressive: one token at a time, each conditioned on the previous ones, slow but
#    accurate. Non-autoregressive: all tokens at once, fast, but the tokens are predicted
#    independently and can mix several right answers into a wrong one.
#    [Autoregressive vs non-autoregressive](#autoregressive)
# 6. **为什么编码器用双向 RNN？** *Why a bidirectional encoder?* Each source state then
#    describes its token with the context on both sides; packing the padded batch keeps the
#    backward direction from starting in the padding. [The model](#seq2seq)
#
# </details>
