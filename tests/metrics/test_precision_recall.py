"""TP/FP decisions against pycocotools' COCOeval matching; precision and recall by hand."""

from __future__ import annotations

import contextlib
import io

import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from torch.testing import assert_close

from reference.metrics import binary_counts, match_detections, precision_recall
from tests.detection.conftest import random_boxes


def coco_matches(boxes, scores, gt_boxes, threshold: float) -> tuple[list[int], list[int]]:
    """pycocotools' greedy matching for one image and class: matched gt index per detection."""

    def xywh(b):
        return [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])]

    gt = COCO()
    gt.dataset = {
        "images": [{"id": 1}],
        "categories": [{"id": 1}],
        "annotations": [
            {
                "id": i + 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": xywh(b),
                "area": float((b[2] - b[0]) * (b[3] - b[1])),
                "iscrowd": 0,
            }
            for i, b in enumerate(gt_boxes)
        ],
    }
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
        dt = gt.loadRes(
            [
                {"image_id": 1, "category_id": 1, "bbox": xywh(b), "score": float(s)}
                for b, s in zip(boxes, scores, strict=True)
            ]
        )
        evaluator = COCOeval(gt, dt, "bbox")
        evaluator.params.iouThrs = [threshold]
        evaluator.params.maxDets = [len(boxes)]
        evaluator.params.areaRng, evaluator.params.areaRngLbl = [[0, 1e10]], ["all"]
        evaluator.evaluate()
    result = evaluator.evalImgs[0]
    gt_order = result["gtIds"]  # annotation ids, 1-based position + 1
    return [int(m) - 1 if m > 0 else -1 for m in result["dtMatches"][0]], gt_order


class TestMatchDetections:
    @pytest.mark.parametrize("threshold", [0.3, 0.5, 0.75])
    @pytest.mark.parametrize("seed", range(4))
    def test_matches_cocoeval(self, threshold: float, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        gt_boxes = random_boxes(8, size=60, generator=g)
        boxes = torch.cat(
            [
                gt_boxes + torch.randn(8, 4, generator=g, dtype=torch.float64).abs() * 3,
                random_boxes(6, size=60, generator=g),
            ]
        )  # near-duplicates and stray boxes
        boxes = torch.cat(
            [torch.minimum(boxes[:, :2], boxes[:, 2:]), torch.maximum(boxes[:, :2], boxes[:, 2:])],
            1,
        )
        scores = torch.rand(14, generator=g, dtype=torch.float64)
        is_tp, matched = match_detections(boxes, scores, gt_boxes, threshold)
        expected, _ = coco_matches(boxes, scores, gt_boxes, threshold)
        assert matched.tolist() == expected
        assert is_tp.tolist() == [m >= 0 for m in expected]

    def test_best_score_wins_and_duplicates_are_false_positives(self) -> None:
        gt = torch.tensor([[0.0, 0, 10, 10]])
        boxes = torch.tensor([[0.0, 0, 10, 10], [0.0, 0, 10, 9], [50.0, 50, 60, 60]])
        is_tp, matched = match_detections(boxes, torch.tensor([0.6, 0.9, 0.8]), gt)
        assert is_tp.tolist() == [
            True,
            False,
            False,
        ]  # score order: 0.9 (the duplicate wins), 0.8, 0.6
        assert matched.tolist() == [0, -1, -1]

    def test_equal_ious_go_to_the_last_ground_truth(self) -> None:
        # Regression: COCOeval keeps the last of equally good ground truths; taking the
        # first left the second detection without a match (1 TP instead of 2).
        gt = torch.tensor([[0.0, 0, 10, 10], [10.0, 0, 20, 10]])
        boxes = torch.tensor([[5.0, 0, 15, 10], [0.0, 0, 10, 10]])
        scores = torch.tensor([0.9, 0.8])
        is_tp, matched = match_detections(boxes, scores, gt, 0.3)
        expected, _ = coco_matches(boxes, scores, gt, 0.3)
        assert matched.tolist() == expected == [1, 0]
        assert is_tp.tolist() == [True, True]

    def test_threshold_one_matches_an_exact_box(self) -> None:
        gt = torch.tensor([[0.0, 0, 10, 10]])
        is_tp, _ = match_detections(gt.clone(), torch.tensor([0.5]), gt, 1.0)
        assert is_tp.tolist() == [True] == [m >= 0 for m in coco_matches(gt, [0.5], gt, 1.0)[0]]

    def test_no_ground_truth(self) -> None:
        is_tp, _ = match_detections(
            random_boxes(3), torch.rand(3, dtype=torch.float64), torch.zeros(0, 4)
        )
        assert not is_tp.any()


class TestPrecisionRecall:
    def test_hand_derived(self) -> None:
        precision, recall = precision_recall(
            torch.tensor([True, False, True, True, False]), num_gt=4
        )
        assert_close(precision, torch.tensor([1, 1 / 2, 2 / 3, 3 / 4, 3 / 5], dtype=torch.float64))
        assert_close(recall, torch.tensor([0.25, 0.25, 0.5, 0.75, 0.75], dtype=torch.float64))

    def test_binary_counts(self) -> None:
        pred = torch.tensor([1, 1, 0, 0, 1, 0])
        target = torch.tensor([1, 0, 1, 0, 1, 0])
        assert binary_counts(pred, target) == {"tp": 2, "fp": 1, "fn": 1, "tn": 2}

    def test_rejects_bad_input(self) -> None:
        with pytest.raises(ValueError, match=r"num_gt must be in \[1, inf\), but got 0"):
            precision_recall(torch.tensor([True]), 0)
        with pytest.raises(
            ValueError, match="boxes and scores must have the same length, but got 2 and 3"
        ):
            match_detections(random_boxes(2), torch.rand(3), random_boxes(1))
