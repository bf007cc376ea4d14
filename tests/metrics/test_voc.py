"""VOC matching and AP against a straightforward port of py-faster-rcnn's ``voc_eval``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reference.metrics import (
    match_detections,
    voc_box_iou,
    voc_match,
    voc_mean_average_precision,
)


# The oracle: py-faster-rcnn's voc_eval/voc_ap logic rewritten with plain loops in numpy.
# Two deliberate changes: detections are ranked with a stable sort (the original's quicksort
# leaves equal scores in an unspecified order), and the 11 VOC07 recall points are k / 10
# (the original's np.arange(0., 1.1, 0.1) gives 0.30000000000000004 and friends).
def oracle_overlaps(bb: np.ndarray, gt: np.ndarray) -> np.ndarray:
    ixmin = np.maximum(gt[:, 0], bb[0])
    iymin = np.maximum(gt[:, 1], bb[1])
    ixmax = np.minimum(gt[:, 2], bb[2])
    iymax = np.minimum(gt[:, 3], bb[3])
    iw = np.maximum(ixmax - ixmin + 1.0, 0.0)
    ih = np.maximum(iymax - iymin + 1.0, 0.0)
    inters = iw * ih
    union = (
        (bb[2] - bb[0] + 1.0) * (bb[3] - bb[1] + 1.0)
        + (gt[:, 2] - gt[:, 0] + 1.0) * (gt[:, 3] - gt[:, 1] + 1.0)
        - inters
    )
    return inters / union


def oracle_ap(rec: np.ndarray, prec: np.ndarray, use_07_metric: bool) -> float:
    if use_07_metric:
        ap = 0.0
        for t in [k / 10 for k in range(11)]:
            p = np.max(prec[rec >= t]) if np.sum(rec >= t) > 0 else 0.0
            ap += p / 11.0
        return ap
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = max(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def oracle_voc_eval(preds, targets, cls, ovthresh=0.5, use_07_metric=True, events=None):
    """AP of one class; ``events`` counts exact-threshold ties and refused fall-backs."""
    recs, npos = {}, 0
    for i, t in enumerate(targets):
        mask = (t["labels"] == cls).numpy()
        difficult = t.get("difficult", torch.zeros(len(mask), dtype=torch.bool)).numpy()[mask]
        recs[i] = {
            "bbox": t["boxes"].numpy()[mask].astype(float),
            "difficult": difficult,
            "det": [False] * int(mask.sum()),
        }
        npos += int((~difficult).sum())
    image_ids, confidence, boxes = [], [], []
    for i, p in enumerate(preds):
        for b, s, c in zip(
            p["boxes"].tolist(), p["scores"].tolist(), p["labels"].tolist(), strict=True
        ):
            if c == cls:
                image_ids.append(i)
                confidence.append(s)
                boxes.append(b)
    order = np.argsort(-np.array(confidence), kind="stable")
    nd = len(order)
    tp, fp = np.zeros(nd), np.zeros(nd)
    for d in range(nd):
        r = recs[image_ids[order[d]]]
        bb = np.array(boxes[order[d]], dtype=float)
        ovmax, jmax = -np.inf, -1
        if r["bbox"].size > 0:
            overlaps = oracle_overlaps(bb, r["bbox"])
            ovmax, jmax = np.max(overlaps), int(np.argmax(overlaps))
            if events is not None:
                events["tie"] += int(ovmax == ovthresh)
                free = ~np.array(r["det"]) & (overlaps > ovthresh)
                events["no_fallback"] += int(ovmax > ovthresh and r["det"][jmax] and free.any())
        if ovmax > ovthresh:
            if not r["difficult"][jmax]:
                if not r["det"][jmax]:
                    tp[d] = 1.0
                    r["det"][jmax] = True
                else:
                    fp[d] = 1.0
        else:
            fp[d] = 1.0
    fp, tp = np.cumsum(fp), np.cumsum(tp)
    rec = tp / float(npos)
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    return oracle_ap(rec, prec, use_07_metric)


def make_voc_dataset(seed: int, images: int = 20, classes: int = 3):
    """Integer pixel boxes with overlapping objects of one class, duplicates, detections
    whose +1-pixel IoU is exactly 0.5, difficult objects, empty images, images without
    predictions and tied scores."""
    rng = np.random.default_rng(seed)
    preds, targets = [], []
    for i in range(images):
        n = 0 if i % 6 == 0 else int(rng.integers(1, 5))
        w = 2 * rng.integers(4, 40, n)  # even, so that half a box is a whole number of pixels
        h = rng.integers(8, 80, n)
        x1, y1 = rng.integers(0, 300, n), rng.integers(0, 300, n)
        gt = np.stack([x1, y1, x1 + w - 1, y1 + h - 1], 1)
        labels = rng.integers(classes, size=n)
        # A same-class neighbour shifted by a quarter width: +1 IoU 0.6 with the first.
        neighbour = gt + np.stack([w // 4, 0 * w, w // 4, 0 * w], 1)
        twin = rng.random(n) < 0.5
        between = ((gt + neighbour) // 2)[twin]  # near both members of a pair
        gt, labels = np.concatenate([gt, neighbour[twin]]), np.concatenate([labels, labels[twin]])
        difficult = rng.random(len(gt)) < 0.1
        size = np.maximum(gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1])[:, None]
        noisy = gt + np.round(rng.normal(size=gt.shape) * 0.12 * size)
        half = gt.copy()
        half[:, 2] = gt[:, 0] + (gt[:, 2] - gt[:, 0] + 1) // 2 - 1  # +1 IoU exactly 0.5
        stray_xy = rng.integers(0, 300, (2, 2))
        stray = np.concatenate([stray_xy, stray_xy + 25], 1)
        det = np.concatenate([noisy, noisy[:2] + 1, half[: n // 2 + 1], between, stray])
        det_labels = np.concatenate(
            [
                labels,
                labels[:2],
                labels[: n // 2 + 1],
                labels[:n][twin],
                rng.integers(classes, size=2),
            ]
        )
        det = np.concatenate(
            [np.minimum(det[:, :2], det[:, 2:]), np.maximum(det[:, :2], det[:, 2:])], 1
        )
        scores = np.round(rng.random(len(det)), 1)  # coarse: many equal scores
        if i % 7 == 3:
            det, det_labels, scores = det[:0], det_labels[:0], scores[:0]
        preds.append(
            {
                "boxes": torch.from_numpy(det.astype(np.float64)),
                "scores": torch.from_numpy(scores),
                "labels": torch.from_numpy(det_labels.astype(np.int64)),
            }
        )
        targets.append(
            {
                "boxes": torch.from_numpy(gt.astype(np.float64)),
                "labels": torch.from_numpy(labels.astype(np.int64)),
                "difficult": torch.from_numpy(difficult),
            }
        )
    return preds, targets


class TestVocMeanAveragePrecision:
    @pytest.mark.parametrize("method", ["voc07", "voc"])
    @pytest.mark.parametrize("seed", range(6))
    def test_matches_voc_eval_port(self, seed: int, method: str) -> None:
        preds, targets = make_voc_dataset(seed)
        result = voc_mean_average_precision(preds, targets, method=method)
        expected = [
            oracle_voc_eval(preds, targets, int(c), use_07_metric=method == "voc07")
            for c in result["classes"]
        ]
        assert result["map_per_class"].tolist() == pytest.approx(expected, abs=1e-12)
        assert result["map"].item() == pytest.approx(np.mean(expected), abs=1e-12)

    def test_data_sets_exercise_the_voc_rules(self) -> None:
        events = {"tie": 0, "no_fallback": 0}
        for seed in range(6):
            preds, targets = make_voc_dataset(seed)
            for c in range(3):
                oracle_voc_eval(preds, targets, c, events=events)
        assert events["tie"] >= 50, events  # IoU exactly 0.5: not a match
        assert events["no_fallback"] >= 20, events  # best object taken, another one free

    def test_without_difficult_flags(self) -> None:
        preds, targets = make_voc_dataset(7)
        targets = [{"boxes": t["boxes"], "labels": t["labels"]} for t in targets]
        result = voc_mean_average_precision(preds, targets, method="voc")
        expected = [oracle_voc_eval(preds, targets, c, use_07_metric=False) for c in range(3)]
        assert result["map_per_class"].tolist() == pytest.approx(expected, abs=1e-12)

    def test_voc07_recall_points_do_not_drift(self) -> None:
        # 10 objects; ranking TP TP TP FP FP TP: recall reaches exactly 0.3 at precision 1.
        gt = torch.tensor([[20.0 * k, 0, 20 * k + 9, 9] for k in range(10)])
        boxes = torch.cat([gt[[0, 1, 2]], torch.tensor([[500.0, 500, 509, 509]] * 2), gt[[3]]])
        preds = [{"boxes": boxes, "scores": torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5, 0.4]),
                  "labels": torch.zeros(6, dtype=torch.int64)}]  # fmt: skip
        targets = [{"boxes": gt, "labels": torch.zeros(10, dtype=torch.int64)}]
        ap = voc_mean_average_precision(preds, targets, method="voc07")["map"].item()
        # points 0, .1, .2, .3 read precision 1 and .4 reads 4/6; a grid point of
        # 0.30000000000000004 would read 4/6 at .3 as well.
        assert ap == pytest.approx((4 + 4 / 6) / 11, abs=1e-15)

    def test_difficult_objects_count_neither_way(self) -> None:
        gt = torch.tensor([[0.0, 0, 9, 9], [50, 50, 59, 59]])
        boxes = torch.tensor([[50.0, 50, 59, 59], [50, 50, 59, 58], [0, 0, 9, 9]])
        preds = [{"boxes": boxes, "scores": torch.tensor([0.9, 0.8, 0.7]),
                  "labels": torch.zeros(3, dtype=torch.int64)}]  # fmt: skip
        targets = [{"boxes": gt, "labels": torch.zeros(2, dtype=torch.int64),
                    "difficult": torch.tensor([False, True])}]  # fmt: skip
        assert voc_mean_average_precision(preds, targets, method="voc")["map"].item() == 1.0
        del targets[0]["difficult"]  # now the duplicate on the second object is a FP
        ap = voc_mean_average_precision(preds, targets, method="voc")["map"].item()
        assert ap == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)

    def test_class_without_ground_truth(self) -> None:
        preds = [{"boxes": torch.tensor([[0.0, 0, 9, 9]]), "scores": torch.tensor([0.5]),
                  "labels": torch.tensor([1])}]  # fmt: skip
        targets = [{"boxes": torch.tensor([[0.0, 0, 9, 9]]), "labels": torch.tensor([0])}]
        result = voc_mean_average_precision(preds, targets)
        assert result["map_per_class"].tolist() == [0.0, -1.0]
        assert result["map"].item() == 0.0

    def test_rejects_bad_input(self) -> None:
        good = {"boxes": torch.zeros(1, 4), "scores": torch.zeros(1),
                "labels": torch.zeros(1, dtype=torch.int64)}  # fmt: skip
        target = {"boxes": torch.zeros(1, 4), "labels": torch.zeros(1, dtype=torch.int64)}
        with pytest.raises(
            ValueError, match="method must be one of 'voc07', 'voc', but got 'coco'"
        ):
            voc_mean_average_precision([good], [target], method="coco")
        with pytest.raises(
            ValueError, match=r"target\[0\]\['difficult'\] must have shape \(1,\), but got \(2,\)"
        ):
            voc_mean_average_precision(
                [good], [{**target, "difficult": torch.zeros(2, dtype=torch.bool)}]
            )
        with pytest.raises(ValueError, match="preds and target must have the same length"):
            voc_mean_average_precision([good], [])
        with pytest.raises(ValueError, match=r"target\[0\] may only have the keys"):
            voc_mean_average_precision([good], [good])  # a stray "scores" is not ignored


class TestVocMatching:
    @pytest.mark.parametrize("seed", range(6))
    def test_matches_voc_eval_port_per_image(self, seed: int) -> None:
        preds, targets = make_voc_dataset(seed)
        for p, t in zip(preds, targets, strict=True):
            for c in range(3):
                boxes, scores = p["boxes"][p["labels"] == c], p["scores"][p["labels"] == c]
                gt = t["boxes"][t["labels"] == c].numpy()
                is_tp, matched = match_detections(
                    boxes, scores, torch.from_numpy(gt), convention="voc"
                )
                taken = [False] * len(gt)
                expected = []
                for i in np.argsort(-scores.numpy(), kind="stable"):
                    j = -1
                    if len(gt):
                        overlaps = oracle_overlaps(boxes[i].numpy(), gt)
                        best = int(np.argmax(overlaps))
                        if overlaps[best] > 0.5 and not taken[best]:
                            j, taken[best] = best, True
                    expected.append(j)
                assert matched.tolist() == expected
                assert is_tp.tolist() == [j >= 0 for j in expected]

    def test_iou_of_exactly_one_half_is_not_a_match(self) -> None:
        gt = torch.tensor([[0.0, 0, 9, 9]])  # 10 x 10 pixels
        box = torch.tensor([[0.0, 0, 9, 4]])  # 10 x 5 pixels inside it
        assert voc_box_iou(box, gt).item() == 0.5
        assert not match_detections(box, torch.ones(1), gt, convention="voc")[0].item()
        assert match_detections(box, torch.ones(1), gt, 0.49, convention="voc")[0].item()

    def test_no_fall_back_to_the_second_best_object(self) -> None:
        gt = torch.tensor([[0.0, 0, 9, 9], [5, 0, 14, 9]])
        boxes = torch.tensor([[0.0, 0, 9, 9], [2, 0, 11, 9]])  # the second: IoU 2/3 and 7/13
        scores = torch.tensor([0.9, 0.8])
        assert voc_box_iou(boxes[1:], gt)[0].tolist() == pytest.approx([80 / 120, 70 / 130])
        assert match_detections(boxes, scores, gt, convention="voc")[1].tolist() == [0, -1]
        # COCO falls back to the free object (IoU exactly 0.5 there, which suffices: >=).
        assert match_detections(boxes, scores, gt, convention="coco")[1].tolist() == [0, 1]

    def test_voc_match_reports_claims(self) -> None:
        overlaps = torch.tensor([[0.9, 0.6], [0.8, 0.7], [0.5, 0.2], [0.1, 0.7]])
        is_tp, claimed = voc_match(overlaps)
        assert is_tp.tolist() == [True, False, False, True]
        assert claimed.tolist() == [0, 0, -1, 1]

    def test_rejects_unknown_convention(self) -> None:
        with pytest.raises(
            ValueError, match="convention must be one of 'coco', 'voc', but got 'VOC'"
        ):
            match_detections(torch.zeros(1, 4), torch.ones(1), torch.zeros(1, 4), convention="VOC")
