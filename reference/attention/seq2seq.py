"""A GRU encoder-decoder with additive (Bahdanau) attention, greedy decoding and beam search.

The decoders take a *step function* ``step(tokens, state) -> (log_probs, state)``, so the same
beam search runs on the trained model and on a hand-made transition table whose best
sequence is known. Tests: ``tests/attention/test_seq2seq.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from reference.attention.basics import AdditiveSimilarity

# --8<-- [start:pitfall_imports]
from reference.checks import (
    check_bounds,
    check_distribution,
    check_floating,
    check_int,
    check_integer,
    check_nonempty,
    check_range,
    check_same_device,
    check_shape,
)

# --8<-- [end:pitfall_imports]

# What the decoders need from a model: next-token log-probabilities and a batched state.
State = Tensor | tuple[Tensor, ...]
StepFunction = Callable[[Tensor, State], tuple[Tensor, State]]

# --8<-- [end:imports]

__all__ = [
    "BOS",
    "EOS",
    "PAD",
    "Seq2Seq",
    "beam_search",
    "copy_distribution",
    "greedy_decode",
    "guided_attention_loss",
    "reversal_data",
    "scheduled_sampling",
]


# --8<-- [start:data]
PAD, BOS, EOS = 0, 1, 2  # digits 0-9 are tokens 3-12


def reversal_data(
    n: int, min_len: int, max_len: int, *, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """``n`` random digit strings and their reversals, as padded token batches.

    Args:
        n: number of strings.
        min_len: shortest string length, ``>= 1``.
        max_len: longest string length, ``>= min_len``.
        generator: the random source (``None``: the global generator).

    Returns:
        (Tensor[n, max_len], Tensor[n], Tensor[n, max_len + 2]): source tokens (PAD after the
        end), source lengths, and targets ``BOS reversed-digits EOS PAD...``.
    """
    n, min_len = check_int("n", n, 0), check_int("min_len", min_len, 1)
    max_len = check_int("max_len", max_len, min_len)
    lengths = torch.randint(min_len, max_len + 1, (n,), generator=generator)
    digits = torch.randint(3, 13, (n, max_len), generator=generator)
    positions = torch.arange(max_len)
    source = digits.masked_fill(positions >= lengths[:, None], PAD)  # [n, max_len]
    target = torch.full((n, max_len + 2), PAD)
    target[:, 0] = BOS
    for i, length in enumerate(lengths.tolist()):
        target[i, 1 : length + 1] = source[i, :length].flip(0)
        target[i, length + 1] = EOS
    return source, lengths, target


# --8<-- [end:data]


# --8<-- [start:model]
def _check_tokens(
    name: str, tokens: Tensor, shape: tuple[int | str, ...], vocab: int, of: str | None = None
) -> None:
    """Token ids as ``nn.Embedding`` takes them: int64 or int32, in ``[0, vocab)``."""
    check_integer(name, check_shape(name, tokens, shape, of=of))
    if tokens.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"{name} must hold int64 or int32 token ids, but got dtype {tokens.dtype}")
    check_bounds(name, tokens, 0, vocab - 1)


def _check_source(source: Tensor, lengths: Tensor, vocab: int) -> None:
    """A padded batch of token ids Tensor[B, S] and each row's length, in [1, S]."""
    _check_tokens("source", source, ("B", "S"), vocab)
    check_integer("lengths", check_shape("lengths", lengths, (source.shape[0],), of="source"))
    check_same_device(("source", "lengths"), source, lengths)
    check_bounds("lengths", lengths, 1, source.shape[1])


def _check_target(source: Tensor, target_in: Tensor, vocab: int) -> None:
    """Decoder inputs Tensor[B, T]: token ids for the source's batch, on its device."""
    _check_tokens("target_in", target_in, (source.shape[0], "T"), vocab, of="source")
    check_same_device(("source", "target_in"), source, target_in)


class Seq2Seq(nn.Module):
    """Bidirectional GRU encoder, GRU decoder that attends to the encoder states at every step.

    Args:
        vocab_size: number of tokens, shared by source and target.
        embed_dim, hidden_dim: embedding size; hidden size of each GRU direction and of the decoder.
    """

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_dim: int = 64) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.encoder = nn.GRU(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden_dim, hidden_dim)  # final encoder states -> s_0
        self.score = AdditiveSimilarity(hidden_dim, 2 * hidden_dim, hidden_dim)
        self.decoder = nn.GRUCell(embed_dim + 2 * hidden_dim, hidden_dim)
        self.out = nn.Linear(hidden_dim + 2 * hidden_dim, vocab_size)

    def encode(self, source: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Encode a padded batch.

        Args:
            source (Tensor[B, S]): token ids, PAD after each sequence's end.
            lengths (Tensor[B]): each sequence's length.

        Returns:
            (Tensor[B, S, 2H], Tensor[B, S], Tensor[B, H]): the encoder states, the mask of
            real positions, and the decoder's initial state.
        """
        _check_source(source, lengths, self.embed.num_embeddings)
        # Packing keeps the backward direction from reading the padding first.
        packed = pack_padded_sequence(
            self.embed(source), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        states, last = self.encoder(packed)  # last: [2, B, H], one per direction
        states, _ = pad_packed_sequence(states, batch_first=True, total_length=source.shape[1])
        mask = torch.arange(source.shape[1], device=source.device) < lengths[:, None]  # [B, S]
        hidden = torch.tanh(self.bridge(torch.cat([last[0], last[1]], dim=-1)))  # [B, H]
        return states, mask, hidden

    def step(
        self, tokens: Tensor, hidden: Tensor, states: Tensor, mask: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """One decoder step.

        Args:
            tokens (Tensor[B]): the previous tokens.
            hidden (Tensor[B, H]): the decoder state.
            states (Tensor[B, S, 2H]): the encoder states.
            mask (Tensor[B, S]): the real source positions.

        Returns:
            (Tensor[B, V], Tensor[B, H], Tensor[B, S]): next-token logits, new decoder state,
            attention weights over the source.
        """
        scores = self.score(hidden.unsqueeze(1), states).squeeze(1)  # [B, S]
        weights = torch.softmax(scores.masked_fill(~mask, -torch.inf), dim=-1)
        context = (weights.unsqueeze(1) @ states).squeeze(1)  # [B, 2H]
        hidden = self.decoder(torch.cat([self.embed(tokens), context], dim=-1), hidden)
        logits = self.out(torch.cat([hidden, context], dim=-1))  # [B, V]
        return logits, hidden, weights

    def forward(self, source: Tensor, lengths: Tensor, target_in: Tensor) -> tuple[Tensor, Tensor]:
        """Teacher forcing: feed the true previous token at every step.

        Args:
            source (Tensor[B, S]): the padded source batch.
            lengths (Tensor[B]): the source lengths.
            target_in (Tensor[B, T]): ``BOS y_1 ... y_{T-1}``.

        Returns:
            (Tensor[B, T, V], Tensor[B, T, S]): logits for ``y_1 ... y_T``, attention weights.
        """
        states, mask, hidden = self.encode(source, lengths)
        _check_target(source, target_in, self.embed.num_embeddings)
        all_logits, all_weights = [], []
        for t in range(target_in.shape[1]):
            logits, hidden, weights = self.step(target_in[:, t], hidden, states, mask)
            all_logits.append(logits)
            all_weights.append(weights)
        return torch.stack(all_logits, dim=1), torch.stack(all_weights, dim=1)

    def step_function(self, source: Tensor, lengths: Tensor) -> tuple[StepFunction, State]:
        """The model as ``step(tokens, state) -> (log_probs, state)`` for the decoders below.

        Args:
            source (Tensor[B, S]): the padded source batch.
            lengths (Tensor[B]): the source lengths.

        Returns:
            (StepFunction, State): the step function and its initial state.
        """
        states, mask, hidden = self.encode(source, lengths)

        def step(tokens: Tensor, state: State) -> tuple[Tensor, State]:
            hidden, states, mask = state
            logits, hidden, _ = self.step(tokens, hidden, states, mask)
            return torch.log_softmax(logits, dim=-1), (hidden, states, mask)

        return step, (hidden, states, mask)


# --8<-- [end:model]


def _check_greedy(batch: int, max_len: int) -> None:
    check_int("batch", batch, 1)
    check_int("max_len", max_len, 1)


def _check_beam(beam_width: int, max_len: int, length_penalty: float) -> None:
    check_int("beam_width", beam_width, 1)
    check_int("max_len", max_len, 1)
    check_range("length_penalty", length_penalty, 0.0)


def _device(state: State) -> torch.device:
    """Where the decoder's state lives: the tokens fed back must be made there too."""
    return (state if isinstance(state, Tensor) else state[0]).device


def _select(state: State, index: Tensor) -> State:
    """Rows ``index`` of every tensor in the state: the beams that survive, in their new order."""
    if isinstance(state, Tensor):
        return state[index]
    return tuple(part[index] for part in state)


# --8<-- [start:greedy]
def greedy_decode(
    step: StepFunction, state: State, batch: int, max_len: int
) -> tuple[Tensor, Tensor]:
    """Pick the most probable next token at every step, for a batch of ``batch`` sequences.

    Args:
        step: ``step(tokens Tensor[B], state) -> (log_probs Tensor[B, V], state)``.
        state: the initial state, batched along dim 0.
        batch: B, the number of sequences.
        max_len: the longest output, EOS included.

    Returns:
        (Tensor[B, max_len], Tensor[B]): the tokens (EOS repeated after the end) and the
        log-probability of each sequence up to and including its first EOS.
    """
    _check_greedy(batch, max_len)
    device = _device(state)
    tokens = torch.full((batch,), BOS, device=device)
    done = torch.zeros(batch, dtype=torch.bool, device=device)
    score = torch.zeros(batch, dtype=torch.float64, device=device)
    out = []
    for _ in range(max_len):
        log_probs, state = step(tokens, state)  # [B, V]
        best, tokens = log_probs.max(dim=-1)
        tokens = tokens.masked_fill(done, EOS)  # finished sequences stay finished
        score = score + best.double().masked_fill(done, 0.0)
        out.append(tokens)
        done = done | (tokens == EOS)
        if bool(done.all()):
            break
    result = torch.stack(out, dim=1)
    padding = torch.full((batch, max_len - len(out)), EOS, device=device)
    return torch.cat([result, padding], dim=1), score


# --8<-- [end:greedy]


# --8<-- [start:beam]
def beam_search(
    step: StepFunction,
    state: State,
    beam_width: int,
    max_len: int,
    length_penalty: float = 0.0,
) -> tuple[list[int], float]:
    """The most probable output sequence found by keeping the ``beam_width`` best prefixes.

    At each step every live prefix is extended by every token; the ``beam_width`` best
    extensions by total log-probability are kept. An extension that ends in EOS leaves the
    beam as a finished hypothesis (so the beam narrows). Hypotheses still alive after
    ``max_len`` tokens are finished as they are. The winner maximises
    ``log p / len ** length_penalty`` (0 = plain log-probability, which favours short outputs).

    Args:
        step: ``step(tokens Tensor[K], state) -> (log_probs Tensor[K, V], state)``.
        state: the initial state for one sequence, batch dimension 1.
        beam_width: K >= 1; K = 1 is greedy decoding.
        max_len: the longest output, EOS included.
        length_penalty: the winner maximises ``log p / len ** length_penalty``.

    Returns:
        (list[int], float): the tokens (without BOS, with EOS if it ended) and their
        total log-probability.
    """
    _check_beam(beam_width, max_len, length_penalty)
    device = _device(state)
    prefixes: list[list[int]] = [[]]
    scores = torch.zeros(1, dtype=torch.float64, device=device)  # [K] log-probability per prefix
    tokens = torch.full((1,), BOS, device=device)
    finished: list[tuple[list[int], float]] = []
    for _ in range(max_len):
        log_probs, state = step(tokens, state)  # [K, V]
        vocab = log_probs.shape[-1]
        total = (scores[:, None] + log_probs.double()).flatten()  # [K * V]
        best, flat = total.topk(min(beam_width, total.numel()))
        beam, token = flat // vocab, flat % vocab
        keep = []
        for score, b, t in zip(best.tolist(), beam.tolist(), token.tolist(), strict=True):
            if t == EOS:
                finished.append((prefixes[b] + [t], score))
            else:
                keep.append((b, t, score))
        if not keep:
            break
        prefixes = [prefixes[b] + [t] for b, t, _ in keep]
        scores = torch.tensor([s for _, _, s in keep], dtype=torch.float64, device=device)
        tokens = torch.tensor([t for _, t, _ in keep], device=device)
        state = _select(state, torch.tensor([b for b, _, _ in keep], device=device))
    else:
        finished += list(zip(prefixes, scores.tolist(), strict=True))
    best_tokens, best_score = max(finished, key=lambda hyp: hyp[1] / len(hyp[0]) ** length_penalty)
    return best_tokens, best_score


# --8<-- [end:beam]


# --8<-- [start:pitfall_checks]
def _check_decoder_inputs(target_in: Tensor, predicted: Tensor, p: float) -> float:
    """Two batches of token ids of one shape, dtype and device; a probability ``p``."""
    check_nonempty(
        "target_in", check_integer("target_in", check_shape("target_in", target_in, ("B", "T")))
    )
    check_integer(
        "predicted", check_shape("predicted", predicted, tuple(target_in.shape), of="target_in")
    )
    if predicted.dtype != target_in.dtype:
        raise TypeError(
            f"predicted must have target_in's dtype {target_in.dtype}, but got {predicted.dtype}"
        )
    check_same_device(("target_in", "predicted"), target_in, predicted)
    return check_range("p", p, 0, 1)


def _check_copy(vocab_probs: Tensor, attention: Tensor, source: Tensor, p_gen: Tensor) -> Tensor:
    """One distribution over V tokens and one over S source positions per row, the S
    source tokens as ids in [0, V), and one probability of generating per row.
    Returns ``source`` as int64 (scatter takes no other indices)."""
    check_shape("vocab_probs", vocab_probs, ("B", "V"))
    check_nonempty("vocab_probs", check_floating("vocab_probs", vocab_probs))
    check_shape("attention", attention, (vocab_probs.shape[0], "S"), of="vocab_probs")
    check_shape("source", source, tuple(attention.shape), of="attention")
    check_shape("p_gen", p_gen, (vocab_probs.shape[0],), of="vocab_probs")
    check_same_device(
        ("vocab_probs", "attention", "source", "p_gen"), vocab_probs, attention, source, p_gen
    )
    for name, x in (("attention", attention), ("p_gen", p_gen)):
        if x.dtype != vocab_probs.dtype:
            raise TypeError(
                f"{name} must have vocab_probs's dtype {vocab_probs.dtype}, but got {x.dtype}"
            )
    check_distribution("attention", attention, dim=1)
    check_bounds("source", check_integer("source", source), 0, vocab_probs.shape[1] - 1)
    check_bounds("p_gen", p_gen, 0, 1)
    return source.long()


def _check_alignment(weights: Tensor, g: float) -> float:
    """Attention weights Tensor[..., T, S] (floats, T and S at least 1); a width ``g > 0``."""
    check_nonempty(
        "weights", check_floating("weights", check_shape("weights", weights, ("...", "T", "S")))
    )
    return check_range("g", g, 0, low_inclusive=False)


# --8<-- [end:pitfall_checks]


# --8<-- [start:pitfalls]
def scheduled_sampling(
    target_in: Tensor,
    predicted: Tensor,
    p: float,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Decoder inputs where each true previous token is replaced by the model's own with
    probability ``p`` (Bengio et al., 2015); the first token (BOS) is always kept.

    Teacher forcing (``p = 0``) trains the decoder only on true prefixes, while at test time
    it reads its own outputs: its mistakes lead it into prefixes it never saw (*exposure
    bias*). Raising ``p`` during training lets it practise on its own mistakes. For a
    Transformer, ``predicted`` comes from a first, teacher-forced pass (two-pass scheduled
    sampling, Mihaylova and Martins, 2019).

    Args:
        target_in (Tensor[B, T]): ``BOS y_1 ... y_{T-1}``, the teacher-forced inputs.
        predicted (Tensor[B, T]): the model's token at each input position (column ``t``
            replaces ``y_t``); column 0 is ignored.
        p: probability of feeding the model's token, in [0, 1].
        generator: the random source (``None``: the global generator).

    Returns:
        Tensor[B, T]: the decoder inputs.
    """
    p = _check_decoder_inputs(target_in, predicted, p)
    # drawn where the generator lives (the CPU by default), then moved to the tokens
    draw_on = generator.device if generator is not None else torch.device("cpu")
    coin = torch.rand(target_in.shape, generator=generator, device=draw_on).to(target_in.device)
    use_model = coin < p
    use_model[:, 0] = False  # the start token is never predicted
    return torch.where(use_model, predicted, target_in)


def copy_distribution(
    vocab_probs: Tensor, attention: Tensor, source: Tensor, p_gen: Tensor
) -> Tensor:
    """The pointer-generator's output (See et al., 2017): generate or copy a source token.

    ``P(w) = p_gen P_vocab(w) + (1 - p_gen) sum_{s: x_s = w} a_s``: with probability
    ``p_gen`` the decoder generates from its vocabulary distribution, otherwise it copies
    the source token it attends to, so names and rare words can be reproduced exactly.

    Args:
        vocab_probs (Tensor[B, V]): the decoder's distribution over the vocabulary.
        attention (Tensor[B, S]): the attention weights over the source positions (rows
            sum to 1).
        source (Tensor[B, S]): the source token ids, in ``[0, V)``.
        p_gen (Tensor[B]): the probability of generating, in [0, 1].

    Returns:
        Tensor[B, V]: a distribution over the vocabulary (rows sum to 1).
    """
    source = _check_copy(vocab_probs, attention, source, p_gen)
    copy = torch.zeros_like(vocab_probs).scatter_add_(1, source, attention)  # [B, V]
    p = p_gen.unsqueeze(1)  # [B, 1]
    return p * vocab_probs + (1 - p) * copy


def guided_attention_loss(weights: Tensor, g: float = 0.2) -> Tensor:
    """Guided attention (Tachibana et al., 2018): a penalty on attention far from the diagonal.

    ``W[t, s] = 1 - exp(-(t/T - s/S)^2 / (2 g^2))`` is 0 on the diagonal and near 1 far
    from it; the loss is the mean of ``weights * W``. Where the output follows the source
    in order (speech from text, transliteration), it makes the attention learn the
    monotonic alignment in far fewer steps.

    Args:
        weights (Tensor[..., T, S]): attention of each output step over the source.
        g: the width of the band that is not penalised, as a fraction of the length.

    Returns:
        Tensor[]: the loss.
    """
    g = _check_alignment(weights, g)
    T, S = weights.shape[-2:]
    t = torch.arange(T, dtype=weights.dtype, device=weights.device)[:, None] / T
    s = torch.arange(S, dtype=weights.dtype, device=weights.device)[None, :] / S
    penalty = 1 - torch.exp(-((t - s) ** 2) / (2 * g**2))  # [T, S]
    return (weights * penalty).mean()


# --8<-- [end:pitfalls]
