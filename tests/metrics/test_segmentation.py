"""Segmentation IoU against torchmetrics (MulticlassConfusionMatrix, MulticlassJaccardIndex)."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close
from torchmetrics.classification import MulticlassConfusionMatrix, MulticlassJaccardIndex

from reference.metrics import binary_mask_iou, confusion_matrix, iou_per_class, mean_iou


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


class TestBinaryMaskIou:
    @pytest.mark.parametrize("seed", range(3))
    def test_matches_torchmetrics_one_hot_mean_iou(self, seed: int) -> None:
        from torchmetrics.functional.segmentation import mean_iou as tm_mean_iou

        pred, target = maps(seed, shape=(24, 20))  # one image; class 5 only predicted
        k = 7  # class 6 in neither mask
        pred_masks = torch.nn.functional.one_hot(pred, k).movedim(-1, 0)  # [K, H, W]
        target_masks = torch.nn.functional.one_hot(target, k).movedim(-1, 0)
        ours = binary_mask_iou(pred_masks, target_masks)
        theirs = tm_mean_iou(pred_masks[None], target_masks[None], num_classes=k, per_class=True)[0]
        assert theirs[6] == -1 and ours[6] == 0  # absent: torchmetrics marks -1, we give 0
        assert_close(ours[:6], theirs[:6].double())
        # one-hot masks are the index format in another shape
        assert_close(ours, iou_per_class(pred, target, k))

    def test_overlapping_masks_by_hand(self) -> None:
        # Multi-label masks may overlap: class 0 covers pixels 0-2, class 1 pixels 2-3.
        pred = torch.tensor([[1, 1, 1, 0], [0, 0, 1, 1]], dtype=torch.bool)
        true = torch.tensor([[1, 1, 0, 0], [0, 0, 1, 1]], dtype=torch.bool)
        assert binary_mask_iou(pred, true).tolist() == [2 / 3, 1.0]

    def test_rejects_bad_masks(self) -> None:
        with pytest.raises(
            ValueError, match=r"preds must have shape \(K, H, \.\.\.\), but got \(3,\)"
        ):
            binary_mask_iou(torch.zeros(3), torch.zeros(3))
        with pytest.raises(
            ValueError, match=r"target must have shape \(2, 3\) to match preds, but got \(3, 2\)"
        ):
            binary_mask_iou(torch.zeros(2, 3), torch.zeros(3, 2))
        with pytest.raises(ValueError, match="target must hold 0/1 or bool masks"):
            binary_mask_iou(torch.zeros(2, 3), torch.full((2, 3), 2))
