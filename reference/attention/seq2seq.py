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
from reference.checks import (
    check_bounds,
    check_int,
    check_integer,
    check_range,
    check_same_device,
    check_shape,
)

# What the decoders need from a model: next-token log-probabilities and a batched state.
State = Tensor | tuple[Tensor, ...]
StepFunction = Callable[[Tensor, State], tuple[Tensor, State]]

# --8<-- [end:imports]

__all__ = ["BOS", "EOS", "PAD", "Seq2Seq", "beam_search", "greedy_decode", "reversal_data"]


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
        _check_tokens("source", source, ("B", "S"), self.embed.num_embeddings)
        check_integer("lengths", check_shape("lengths", lengths, (source.shape[0],), of="source"))
        check_same_device(("source", "lengths"), source, lengths)
        check_bounds("lengths", lengths, 1, source.shape[1])
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
        vocab = self.embed.num_embeddings
        _check_tokens("target_in", target_in, (source.shape[0], "T"), vocab, of="source")
        check_same_device(("source", "target_in"), source, target_in)
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
    batch, max_len = check_int("batch", batch, 1), check_int("max_len", max_len, 1)
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
    beam_width, max_len = check_int("beam_width", beam_width, 1), check_int("max_len", max_len, 1)
    length_penalty = check_range("length_penalty", length_penalty, 0.0)
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
