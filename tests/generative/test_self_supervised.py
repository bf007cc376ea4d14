"""InfoNCE against an F.cross_entropy formulation and hand-derived values; the rotation
and masking pretext tasks against torch.rot90 and counts."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from reference.generative import info_nce, mask_patches, rotation_pretext
from tests.conftest import tol


class TestInfoNCE:
    @given(st.integers(1, 16), st.integers(1, 8), st.floats(0.05, 2.0), st.integers(0, 2**31 - 1))
    def test_matches_cross_entropy(self, B: int, d: int, t: float, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        q = torch.randn(B, d, generator=g, dtype=torch.float64)
        k = torch.randn(B, d, generator=g, dtype=torch.float64)
        logits = F.cosine_similarity(q[:, None], k[None], dim=2) / t  # [B, B]
        expected = F.cross_entropy(logits, torch.arange(B))
        torch.testing.assert_close(info_nce(q, k, t), expected, **tol(torch.float64))

    def test_hand_derived_orthogonal_keys(self) -> None:
        # q = k = I: s_ii = 1, s_ij = 0, so each row's loss is -log(e / (e + B - 1))
        B = 5
        eye = torch.eye(B, dtype=torch.float64)
        expected = -math.log(math.e / (math.e + B - 1))
        assert info_nce(eye, eye, 1.0).item() == pytest.approx(expected, rel=1e-12)

    def test_uninformative_embeddings_cost_log_b(self) -> None:
        same = torch.ones(8, 3, dtype=torch.float64)
        assert info_nce(same, same).item() == pytest.approx(math.log(8), rel=1e-12)

    def test_random_embeddings_cost_log_b_only_at_a_high_temperature(self) -> None:
        # Cosines of random 32-d vectors spread about 1/sqrt(32): divided by 0.1 they are
        # no longer small, and the loss is well above log B (as the docstring says).
        g = torch.Generator().manual_seed(0)
        q, k = torch.randn(2, 256, 32, generator=g, dtype=torch.float64)
        assert info_nce(q, k, 1.0).item() == pytest.approx(math.log(256), abs=0.05)
        assert info_nce(q, k, 0.1).item() > math.log(256) + 1.0

    def test_gradcheck(self) -> None:
        q = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
        k = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda a, b: info_nce(a, b, 0.5), (q, k))

    def test_rejects_bad_temperature_and_shape(self) -> None:
        with pytest.raises(ValueError, match="temperature must be in"):
            info_nce(torch.randn(2, 3), torch.randn(2, 3), 0.0)
        with pytest.raises(ValueError, match="key must have shape"):
            info_nce(torch.randn(2, 3), torch.randn(3, 3))


class TestRotationPretext:
    def test_matches_rot90_and_labels(self) -> None:
        images = torch.randn(3, 2, 5, 5)
        rotated, labels = rotation_pretext(images)
        assert torch.equal(labels, torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]))
        for i, k in enumerate(labels.tolist()):
            assert torch.equal(rotated[i], torch.rot90(images[i % 3], k, dims=(1, 2)))

    def test_quarter_turn_is_counter_clockwise(self) -> None:
        image = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        rotated, _ = rotation_pretext(image)
        assert rotated[1, 0].tolist() == [[2.0, 4.0], [1.0, 3.0]]

    def test_rejects_non_square(self) -> None:
        with pytest.raises(ValueError, match="images must be square"):
            rotation_pretext(torch.zeros(1, 1, 2, 3))


class TestMaskPatches:
    def test_hides_the_stated_share_of_patches(self) -> None:
        images = torch.rand(4, 3, 16, 16) + 1  # never 0, so zeros mark hidden pixels
        masked, mask = mask_patches(images, 4, 0.75, generator=torch.Generator().manual_seed(0))
        per_patch = mask[:, 0].unfold(1, 4, 4).unfold(2, 4, 4)  # [B, 4, 4, 4, 4]
        whole = per_patch.all(dim=(3, 4))
        assert torch.equal(whole, per_patch.any(dim=(3, 4)))  # patches are hidden whole
        assert whole.sum(dim=(1, 2)).tolist() == [12, 12, 12, 12]
        assert torch.equal(masked == 0, mask.expand_as(images))
        assert torch.equal(masked[~mask.expand_as(images)], images[~mask.expand_as(images)])

    def test_rejects_indivisible_size(self) -> None:
        with pytest.raises(ValueError, match="multiples of patch=4"):
            mask_patches(torch.zeros(1, 1, 6, 8), 4, 0.5)
