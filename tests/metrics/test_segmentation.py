"""Segmentation IoU against torchmetrics (MulticlassConfusionMatrix, MulticlassJaccardIndex)."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close
from torchmetrics.classification import MulticlassConfusionMatrix, MulticlassJaccardIndex

from reference.metrics import confusion_matrix, iou_per_class, mean_iou


def maps(seed: int, classes: int = 6, shape=(3, 24, 20)) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    target = torch.randint(classes - 1, shape, generator=g)  # the last class never occurs in target
    pred = torch.where(
        torch.rand(shape, generator=g) < 0.6, target, torch.randint(classes, shape, generator=g)
    )
    return pred, target


class TestSegmentationIou:
    @pytest.mark.parametrize("ignore_index", [None, 0, 2])
    @pytest.mark.parametrize("seed", range(3))
    def test_matches_torchmetrics(self, ignore_index, seed: int) -> None:
        pred, target = maps(seed)
        k = 7  # class 6 appears in neither: IoU 0, excluded from the mean
        expected_matrix = MulticlassConfusionMatrix(k, ignore_index=ignore_index)(pred, target)
        assert torch.equal(
            confusion_matrix(pred, target, k, ignore_index=ignore_index), expected_matrix
        )
        per_class = MulticlassJaccardIndex(k, average="none", ignore_index=ignore_index)(
            pred, target
        )
        macro = MulticlassJaccardIndex(k, average="macro", ignore_index=ignore_index)(pred, target)
        assert_close(
            iou_per_class(pred, target, k, ignore_index=ignore_index).float(),
            per_class,
            atol=1e-6,
            rtol=0,
        )
        assert_close(
            mean_iou(pred, target, k, ignore_index=ignore_index).float(), macro, atol=1e-6, rtol=0
        )

    def test_hand_derived(self) -> None:
        pred = torch.tensor([0, 0, 1, 1, 2, 2])
        target = torch.tensor([0, 1, 1, 1, 2, 0])
        # class 0: TP 1, FP 1, FN 1 -> 1/3; class 1: TP 2, FN 1 -> 2/3; class 2: TP 1, FP 1 -> 1/2
        assert_close(
            iou_per_class(pred, target, 4),
            torch.tensor([1 / 3, 2 / 3, 1 / 2, 0.0], dtype=torch.float64),
        )
        assert mean_iou(pred, target, 4).item() == pytest.approx(0.5)  # class 3 absent: left out

    def test_perfect_prediction(self) -> None:
        _, target = maps(0)
        assert mean_iou(target, target, 6).item() == 1.0

    def test_rejects_bad_input(self) -> None:
        with pytest.raises(
            ValueError, match=r"target must have shape \(2, 2\) to match preds, but got \(4,\)"
        ):
            mean_iou(torch.zeros(2, 2, dtype=torch.long), torch.zeros(4, dtype=torch.long), 3)
        with pytest.raises(
            ValueError, match=r"preds and target must be in \[0, 3\), but got values in \[0, 5\]"
        ):
            mean_iou(torch.tensor([0, 5]), torch.tensor([0, 1]), 3)
        with pytest.raises(
            TypeError, match=r"preds must hold integers, but got dtype torch\.float32"
        ):
            mean_iou(torch.zeros(3), torch.zeros(3, dtype=torch.long), 3)
