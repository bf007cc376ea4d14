"""mean_average_precision against pycocotools' COCOeval on generated data sets; AP by hand."""

from __future__ import annotations

import pytest
import torch

from reference.metrics import average_precision, mean_average_precision
from tests.metrics.coco import run_cocoeval, to_coco

KEYS = [
    "map",
    "map_50",
    "map_75",
    "map_small",
    "map_medium",
    "map_large",
    "mar_1",
    "mar_10",
    "mar_100",
    "mar_small",
    "mar_medium",
    "mar_large",
]


def make_dataset(seed: int, images: int = 12, classes: int = 3) -> tuple[list[dict], list[dict]]:
    """Objects of all three COCO sizes, noisy and duplicated detections, empty images."""
    g = torch.Generator().manual_seed(seed)
    preds, targets = [], []
    for i in range(images):
        n = int(torch.randint(0, 6, (1,), generator=g)) if i % 5 else 0  # every 5th image is empty
        size = torch.tensor([12.0, 50.0, 150.0])[
            torch.randint(3, (n,), generator=g)
        ]  # small/medium/large
        xy = torch.rand(n, 2, generator=g) * 300
        wh = size[:, None] * (0.6 + 0.8 * torch.rand(n, 2, generator=g))
        gt = torch.cat([xy, xy + wh], 1)
        labels = torch.randint(classes, (n,), generator=g)
        keep = torch.rand(n, generator=g) < 0.8  # some objects are missed
        noise = torch.randn(n, 4, generator=g) * size[:, None] * 0.15
        det = (gt + noise)[keep]
        det_labels = labels[keep]
        dup = det[:2] + 2.0  # duplicates of found objects
        extra = torch.rand(2, 2, generator=g) * 300
        stray = torch.cat([extra, extra + 30], 1)  # false positives on background
        boxes = (
            torch.cat([det, dup, stray]) if i % 7 else torch.zeros(0, 4)
        )  # every 7th: no predictions
        boxes = torch.cat(
            [torch.minimum(boxes[:, :2], boxes[:, 2:]), torch.maximum(boxes[:, :2], boxes[:, 2:])],
            1,
        )
        lab = (
            torch.cat([det_labels, det_labels[:2], torch.randint(classes, (2,), generator=g)])
            if i % 7
            else torch.zeros(0, dtype=torch.int64)
        )
        scores = torch.rand(len(boxes), generator=g)
        preds.append({"boxes": boxes.double(), "scores": scores.double(), "labels": lab})
        targets.append({"boxes": gt.double(), "labels": labels})
    return preds, targets


def cocoeval(preds, targets) -> dict[str, float]:
    return dict(zip(KEYS, run_cocoeval(*to_coco(preds, targets)), strict=True))


class TestMeanAveragePrecision:
    @pytest.mark.parametrize("seed", range(4))
    def test_matches_cocoeval(self, seed: int) -> None:
        preds, targets = make_dataset(seed)
        ours = mean_average_precision(preds, targets)
        expected = cocoeval(preds, targets)
        for key in KEYS:
            assert ours[key].item() == pytest.approx(expected[key], abs=1e-7), key

    def test_more_than_100_detections_in_an_image(self) -> None:
        # COCOeval keeps the 100 best-scored detections of each image and class.
        preds, targets = make_dataset(6)
        g = torch.Generator().manual_seed(6)
        xy = torch.rand(150, 2, generator=g, dtype=torch.float64) * 300
        wh = 20 + torch.rand(150, 2, generator=g, dtype=torch.float64) * 100
        preds[1] = {
            "boxes": torch.cat([xy, xy + wh], 1),
            "scores": torch.rand(150, generator=g, dtype=torch.float64),
            "labels": torch.zeros(150, dtype=torch.int64),
        }
        ours = mean_average_precision(preds, targets)
        expected = cocoeval(preds, targets)
        for key in KEYS:
            assert ours[key].item() == pytest.approx(expected[key], abs=1e-7), key

    @pytest.mark.parametrize("seed", [0, 2, 3])
    def test_crowd_regions_match_cocoeval(self, seed: int) -> None:
        # Regression: "iscrowd" was silently ignored. A crowd region is no object to find,
        # any number of detections inside it are ignored, and its IoU divides by the
        # detection's area only.
        preds, targets = make_dataset(seed)
        g = torch.Generator().manual_seed(seed)
        for p, t in zip(preds, targets, strict=True):
            crowd = torch.rand(len(t["labels"]), generator=g) < 0.4
            t["iscrowd"] = crowd.long()
            inside = t["boxes"][crowd][:, :2] + 2.0  # several small detections in each crowd
            boxes = torch.cat([inside, inside + 8.0], 1).repeat(2, 1)
            p["boxes"] = torch.cat([p["boxes"], boxes])
            p["scores"] = torch.cat([p["scores"], torch.rand(len(boxes), generator=g).double()])
            p["labels"] = torch.cat([p["labels"], t["labels"][crowd].repeat(2)])
        assert sum(int(t["iscrowd"].sum()) for t in targets) >= 3
        ours = mean_average_precision(preds, targets)
        expected = cocoeval(preds, targets)
        for key in KEYS:
            assert ours[key].item() == pytest.approx(expected[key], abs=1e-7), key

    def test_perfect_detections(self) -> None:
        _, targets = make_dataset(5)
        preds = [
            {
                "boxes": t["boxes"],
                "scores": torch.ones(len(t["boxes"]), dtype=torch.float64),
                "labels": t["labels"],
            }
            for t in targets
        ]
        result = mean_average_precision(preds, targets)
        assert result["map"].item() == pytest.approx(1.0)
        assert result["mar_100"].item() == pytest.approx(1.0)

    def test_no_ground_truth_gives_minus_one(self) -> None:
        preds = [
            {
                "boxes": torch.tensor([[0.0, 0, 10, 10]]),
                "scores": torch.tensor([0.5]),
                "labels": torch.tensor([0]),
            }
        ]
        targets = [{"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}]
        assert mean_average_precision(preds, targets)["map"].item() == -1.0

    def test_rejects_nan_scores(self) -> None:
        # Regression: a NaN score once gave map 1.0.
        boxes, scores = torch.tensor([[0.0, 0, 10, 10], [20.0, 20, 30, 30]]), torch.zeros(2)
        scores[0] = float("nan")
        preds = [{"boxes": boxes, "scores": scores, "labels": torch.tensor([0, 0])}]
        targets = [{"boxes": torch.tensor([[0.0, 0, 10, 10]]), "labels": torch.tensor([0])}]
        with pytest.raises(ValueError, match=r"preds\[0\]\['scores'\] must be finite"):
            mean_average_precision(preds, targets)

    def test_rejects_keys_it_would_ignore(self) -> None:
        good = {"boxes": torch.zeros(1, 4), "labels": torch.zeros(1, dtype=torch.int64)}
        pred = {**good, "scores": torch.zeros(1)}
        with pytest.raises(ValueError, match=r"target\[0\] may only have the keys .* \['area'\]"):
            mean_average_precision([pred], [{**good, "area": torch.ones(1)}])

    def test_rejects_bad_input(self) -> None:
        good = {
            "boxes": torch.zeros(1, 4),
            "scores": torch.zeros(1),
            "labels": torch.zeros(1, dtype=torch.int64),
        }
        with pytest.raises(
            ValueError, match="preds and target must have the same length, but got 1 and 2"
        ):
            mean_average_precision([good], [good, good])
        with pytest.raises(
            ValueError, match=r"preds\[0\]\['boxes'\] must have shape \(N, 4\), but got \(1, 5\)"
        ):
            mean_average_precision([{**good, "boxes": torch.zeros(1, 5)}], [good])
        with pytest.raises(TypeError, match=r"target\[0\]\['labels'\] must hold integers"):
            mean_average_precision([good], [{"boxes": torch.zeros(1, 4), "labels": torch.zeros(1)}])


class TestAveragePrecision:
    def test_three_interpolations_by_hand(self) -> None:
        # TP, FP, TP, FP with 2 ground truths: recall .5 .5 1 1, precision 1 .5 .667 .5
        recall = torch.tensor([0.5, 0.5, 1.0, 1.0], dtype=torch.float64)
        precision = torch.tensor([1.0, 0.5, 2 / 3, 0.5], dtype=torch.float64)
        # envelope: 1 up to recall .5, 2/3 up to recall 1
        assert average_precision(recall, precision, "voc") == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
        assert average_precision(recall, precision, "voc07") == pytest.approx(
            (6 * 1 + 5 * 2 / 3) / 11
        )
        assert average_precision(recall, precision, "coco") == pytest.approx(
            (51 * 1 + 50 * 2 / 3) / 101
        )

    def test_zero_past_the_last_recall(self) -> None:
        recall = torch.tensor([0.25, 0.5], dtype=torch.float64)
        precision = torch.tensor([1.0, 1.0], dtype=torch.float64)
        assert average_precision(recall, precision, "coco") == pytest.approx(51 / 101)
        assert average_precision(recall, precision, "voc07") == pytest.approx(6 / 11)

    def test_coco_recall_points_are_pycocotools_linspace(self) -> None:
        # Regression: arange(101) / 100 gives 0.35 where np.linspace gives
        # 0.35000000000000003; a recall of exactly 7 / 20 then reads a different precision.
        # Data: 20 objects; 7 found, a false positive, the other 13 found.
        truth = torch.tensor([[30.0 * i, 0, 30 * i + 20, 20] for i in range(20)])
        stray = torch.tensor([[0.0, 100, 20, 120]])
        boxes = torch.cat([truth[:7], stray, truth[7:]]).double()
        scores = torch.linspace(1.0, 0.1, 21, dtype=torch.float64)
        preds = [{"boxes": boxes, "scores": scores, "labels": torch.zeros(21, dtype=torch.int64)}]
        targets = [{"boxes": truth.double(), "labels": torch.zeros(20, dtype=torch.int64)}]
        ap50 = run_cocoeval(*to_coco(preds, targets))[1]
        hits = torch.tensor([True] * 7 + [False] + [True] * 13)
        tp = hits.double().cumsum(0)
        recall, precision = tp / 20, tp / torch.arange(1, 22)
        assert recall[6].item() == 7 / 20
        assert average_precision(recall, precision, "coco") == pytest.approx(ap50, abs=1e-12)
        assert average_precision(recall, precision, "coco") != pytest.approx(
            float(torch.where(recall[None] >= torch.arange(101)[:, None] / 100,
                              precision.flip(0).cummax(0).values.flip(0), 0.0).amax(1).mean())
        )  # fmt: skip

    def test_rejects_unknown_method(self) -> None:
        with pytest.raises(
            ValueError, match="method must be one of 'voc07', 'voc', 'coco', but got 'all'"
        ):
            average_precision(torch.ones(2), torch.ones(2), "all")
