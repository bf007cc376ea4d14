"""Seq2seq with attention: data, padding invariance, greedy decoding and beam search."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close

from reference.attention import (
    BOS,
    EOS,
    PAD,
    Seq2Seq,
    beam_search,
    copy_distribution,
    greedy_decode,
    guided_attention_loss,
    reversal_data,
    scheduled_sampling,
)
from tests.conftest import tol

F64 = tol(torch.float64)


def markov_step(table: torch.Tensor):
    """A step function whose next-token distribution depends only on the last token."""
    log_table = table.log()

    def step(tokens: torch.Tensor, state: torch.Tensor):
        return log_table[tokens], state

    return step


def sequence_log_prob(table: torch.Tensor, tokens: list[int]) -> float:
    previous, total = BOS, 0.0
    for token in tokens:
        total += math.log(table[previous, token].item())
        previous = token
    return total


def brute_force_best(
    table: torch.Tensor, max_len: int, length_penalty: float = 0.0
) -> tuple[list[int], float]:
    """Every output beam search may return: EOS-terminated up to max_len, or cut at max_len."""
    others = [t for t in range(table.shape[0]) if t != EOS]
    candidates = [[*p, EOS] for n in range(max_len) for p in itertools.product(others, repeat=n)]
    candidates += [list(p) for p in itertools.product(others, repeat=max_len)]
    best = max(candidates, key=lambda c: sequence_log_prob(table, c) / len(c) ** length_penalty)
    return best, sequence_log_prob(table, best)


def random_table(seed: int, vocab: int = 4) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(2 * torch.randn(vocab, vocab, generator=g, dtype=torch.float64), -1)


# Tokens: 0 PAD, 1 BOS, 2 EOS, 3 "a", 4 "b". Greedy takes "a" (0.6) and then at best 0.4;
# "b" (0.4) is followed by EOS with 0.9, so "b EOS" (0.36) beats every sequence through "a".
TRAP = torch.tensor(
    [
        [0.2, 0.2, 0.2, 0.2, 0.2],
        [0.0, 0.0, 0.0, 0.6, 0.4],  # after BOS
        [0.2, 0.2, 0.2, 0.2, 0.2],
        [0.0, 0.0, 0.4, 0.3, 0.3],  # after "a"
        [0.0, 0.0, 0.9, 0.05, 0.05],  # after "b"
    ],
    dtype=torch.float64,
)


class TestReversalData:
    def test_targets_are_reversed_sources(self) -> None:
        source, lengths, target = reversal_data(
            50, 2, 6, generator=torch.Generator().manual_seed(0)
        )
        assert source.shape == (50, 6) and target.shape == (50, 8)
        for src, n, tgt in zip(source.tolist(), lengths.tolist(), target.tolist(), strict=True):
            assert 2 <= n <= 6 and all(3 <= t <= 12 for t in src[:n])
            assert src[n:] == [PAD] * (6 - n)
            assert tgt == [BOS] + src[:n][::-1] + [EOS] + [PAD] * (6 - n)

    def test_rejects_bad_lengths(self) -> None:
        with pytest.raises(ValueError, match=r"max_len must be in \[4, inf\), but got 3"):
            reversal_data(5, 4, 3)


class TestSeq2Seq:
    def model(self) -> Seq2Seq:
        torch.manual_seed(0)
        return Seq2Seq(13, 8, 16).double().eval()

    def test_padding_does_not_change_the_output(self) -> None:
        model = self.model()
        source, lengths, target = reversal_data(4, 2, 7, generator=torch.Generator().manual_seed(1))
        logits, weights = model(source, lengths, target[:, :-1])
        assert_close(weights.sum(-1), torch.ones(4, 8, dtype=torch.float64), **F64)
        for i in range(4):
            n = lengths[i].item()
            assert (weights[i, :, n:] == 0).all()  # no attention on padding
            alone, w_alone = model(
                source[i : i + 1, :n], lengths[i : i + 1], target[i : i + 1, :-1]
            )
            assert_close(logits[i : i + 1], alone, **F64)
            assert_close(weights[i : i + 1, :, :n], w_alone, **F64)

    def test_step_function_matches_teacher_forcing(self) -> None:
        model = self.model()
        source, lengths, target = reversal_data(3, 3, 5, generator=torch.Generator().manual_seed(2))
        logits, _ = model(source, lengths, target[:, :-1])
        step, state = model.step_function(source, lengths)
        for t in range(target.shape[1] - 1):
            log_probs, state = step(target[:, t], state)
            assert_close(log_probs, torch.log_softmax(logits[:, t], -1), **F64)

    def test_beam_width_one_is_greedy_on_the_model(self) -> None:
        model = self.model()
        source, lengths, _ = reversal_data(4, 3, 6, generator=torch.Generator().manual_seed(3))
        with torch.no_grad():
            for i in range(4):
                step, state = model.step_function(source[i : i + 1], lengths[i : i + 1])
                greedy, greedy_score = greedy_decode(step, state, 1, 8)
                step, state = model.step_function(source[i : i + 1], lengths[i : i + 1])
                beam, beam_score = beam_search(step, state, 1, 8)
                assert beam == strip_after_eos(greedy[0].tolist())
                assert math.isclose(beam_score, greedy_score.item(), rel_tol=1e-12)


def strip_after_eos(tokens: list[int]) -> list[int]:
    return tokens[: tokens.index(EOS) + 1] if EOS in tokens else tokens


class TestGreedyDecode:
    def test_falls_into_the_trap(self) -> None:
        tokens, score = greedy_decode(markov_step(TRAP), torch.zeros(1, 1), 1, 4)
        assert tokens.tolist() == [[3, EOS, EOS, EOS]]  # "a" then EOS: 0.6 * 0.4
        assert math.isclose(score.item(), math.log(0.24), rel_tol=1e-12)

    def test_batch_rows_are_independent(self) -> None:
        table = random_table(5)
        step = markov_step(table)
        tokens, scores = greedy_decode(step, torch.zeros(3, 1), 3, 5)
        single, single_score = greedy_decode(step, torch.zeros(1, 1), 1, 5)
        assert (tokens == single).all() and (scores == single_score).all()
        row = strip_after_eos(single[0].tolist())
        assert math.isclose(single_score.item(), sequence_log_prob(table, row), rel_tol=1e-12)


class TestBeamSearch:
    def test_escapes_the_trap(self) -> None:
        tokens, score = beam_search(markov_step(TRAP), torch.zeros(1, 1), 2, 4)
        assert tokens == [4, EOS]
        assert math.isclose(score, math.log(0.36), rel_tol=1e-12)
        assert beam_search(markov_step(TRAP), torch.zeros(1, 1), 1, 4)[0] == [3, EOS]

    @given(seed=st.integers(0, 2**16), penalty=st.sampled_from([0.0, 1.0]))
    def test_wide_beam_is_exact(self, seed: int, penalty: float) -> None:
        # 3 tokens besides EOS: at most 27 live prefixes, so a width of 27 drops none.
        table = random_table(seed)
        tokens, score = beam_search(markov_step(table), torch.zeros(1, 1), 27, 4, penalty)
        best, best_score = brute_force_best(table, 4, penalty)
        assert tokens == best
        assert math.isclose(score, best_score, rel_tol=1e-9)

    @given(seed=st.integers(0, 2**16), width=st.integers(1, 4))
    def test_score_is_the_sequence_log_prob(self, seed: int, width: int) -> None:
        table = random_table(seed, vocab=5)
        tokens, score = beam_search(markov_step(table), torch.zeros(1, 1), width, 6)
        assert math.isclose(score, sequence_log_prob(table, tokens), rel_tol=1e-9)

    @given(seed=st.integers(0, 2**16))
    def test_width_one_is_greedy(self, seed: int) -> None:
        table = random_table(seed, vocab=5)
        greedy, greedy_score = greedy_decode(markov_step(table), torch.zeros(1, 1), 1, 6)
        tokens, score = beam_search(markov_step(table), torch.zeros(1, 1), 1, 6)
        assert tokens == strip_after_eos(greedy[0].tolist())
        assert math.isclose(score, greedy_score.item(), rel_tol=1e-12)

    def test_length_penalty_prefers_longer_outputs(self) -> None:
        # After BOS: EOS or "a", 0.5 each; after "a": "a" 0.9, EOS 0.1. The empty output
        # [EOS] (p = 0.5) beats the cut-off "a a a a" (0.5 * 0.9^3 = 0.3645) on total
        # log-probability, but per token (log 0.5 = -0.69 vs log(0.3645) / 4 = -0.25) it loses.
        table = torch.full((5, 5), 0.2, dtype=torch.float64)
        table[BOS] = torch.tensor([0.0, 0.0, 0.5, 0.5, 0.0], dtype=torch.float64)
        table[3] = torch.tensor([0.0, 0.0, 0.1, 0.9, 0.0], dtype=torch.float64)
        plain, _ = beam_search(markov_step(table), torch.zeros(1, 1), 2, 4)
        assert plain == [EOS]
        per_token, score = beam_search(markov_step(table), torch.zeros(1, 1), 2, 4, 1.0)
        assert per_token == [3, 3, 3, 3]
        assert math.isclose(score, math.log(0.5 * 0.9**3), rel_tol=1e-12)

    def test_rejects_bad_width(self) -> None:
        with pytest.raises(ValueError, match=r"beam_width must be in \[1, inf\), but got 0"):
            beam_search(markov_step(TRAP), torch.zeros(1, 1), 0, 4)


class TestTrainingTricks:
    def test_scheduled_sampling_mixes_in_the_model_tokens(self) -> None:
        g = torch.Generator().manual_seed(0)
        truth = torch.randint(3, 13, (400, 10), generator=g)
        truth[:, 0] = BOS
        model = torch.randint(3, 13, (400, 10), generator=g)
        assert torch.equal(scheduled_sampling(truth, model, 0.0), truth)  # teacher forcing
        everything = scheduled_sampling(truth, model, 1.0)
        assert torch.equal(everything[:, 1:], model[:, 1:]) and (everything[:, 0] == BOS).all()
        mixed = scheduled_sampling(truth, model, 0.3, generator=g)
        differs = truth[:, 1:] != model[:, 1:]
        share = (mixed[:, 1:] == model[:, 1:])[differs].float().mean().item()
        assert abs(share - 0.3) < 0.02
        assert ((mixed == truth) | (mixed == model)).all()

    def test_copy_distribution_against_a_loop(self) -> None:
        g = torch.Generator().manual_seed(1)
        vocab = torch.softmax(torch.randn(3, 9, generator=g, dtype=torch.float64), -1)
        attention = torch.softmax(torch.randn(3, 5, generator=g, dtype=torch.float64), -1)
        source = torch.tensor([[3, 4, 3, 8, 0], [1, 1, 1, 1, 1], [2, 5, 6, 7, 8]])
        p_gen = torch.tensor([0.2, 0.5, 1.0], dtype=torch.float64)
        got = copy_distribution(vocab, attention, source, p_gen)
        for b in range(3):
            for w in range(9):
                copied = sum(attention[b, s].item() for s in range(5) if source[b, s] == w)
                want = p_gen[b].item() * vocab[b, w].item() + (1 - p_gen[b].item()) * copied
                assert got[b, w].item() == pytest.approx(want, abs=1e-12)
        assert_close(got.sum(-1), torch.ones(3, dtype=torch.float64))
        assert_close(got[2], vocab[2])  # p_gen = 1: generate only

    def test_guided_attention_penalises_off_diagonal_weights(self) -> None:
        T = S = 6
        diagonal = torch.eye(T, dtype=torch.float64)
        assert guided_attention_loss(diagonal).item() == 0.0
        reversed_ = diagonal.flip(1)
        t = torch.arange(T, dtype=torch.float64)
        want = 1 - torch.exp(-((t / T - (S - 1 - t) / S) ** 2) / (2 * 0.2**2))
        assert guided_attention_loss(reversed_).item() == pytest.approx(want.sum().item() / (T * S))
        batch = torch.stack([diagonal, reversed_])
        assert_close(guided_attention_loss(batch), guided_attention_loss(reversed_) / 2)

    def test_rejects_bad_probability(self) -> None:
        x = torch.zeros(2, 3, dtype=torch.int64)
        with pytest.raises(ValueError, match=r"p must be in \[0, 1\], but got 1.5"):
            scheduled_sampling(x, x, 1.5)

    def test_copy_distribution_rejects_what_is_not_a_distribution_or_a_token(self) -> None:
        vocab = torch.full((1, 4), 0.25, dtype=torch.float64)
        attention = torch.tensor([[0.5, 0.5]], dtype=torch.float64)
        p_gen = torch.tensor([0.5], dtype=torch.float64)
        with pytest.raises(ValueError, match=r"source must hold values in \[0, 3\], but got 4"):
            copy_distribution(vocab, attention, torch.tensor([[1, 4]]), p_gen)
        with pytest.raises(ValueError, match="attention must sum to 1 along dim 1, but a sum is 2"):
            copy_distribution(vocab, 2 * attention, torch.tensor([[1, 2]]), p_gen)
        with pytest.raises(
            TypeError, match=r"source must hold integers, but got dtype torch\.float"
        ):
            copy_distribution(vocab, attention, torch.tensor([[1.0, 2.0]]), p_gen)
        with pytest.raises(ValueError, match=r"p_gen must hold values in \[0, 1\], but got 1\.5"):
            copy_distribution(vocab, attention, torch.tensor([[1, 2]]), 3 * p_gen)

    def test_scheduled_sampling_rejects_tokens_of_another_kind(self) -> None:
        ids = torch.zeros(2, 3, dtype=torch.int64)
        with pytest.raises(TypeError, match="target_in must hold integers"):
            scheduled_sampling(ids.float(), ids, 0.5)
        with pytest.raises(TypeError, match=r"predicted must have target_in's dtype torch\.int64"):
            scheduled_sampling(ids, ids.int(), 0.5)
