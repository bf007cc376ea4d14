"""Average precision: the three interpolations, and COCO's mAP over classes, IoUs and sizes.

``mean_average_precision`` takes torchmetrics' input format and returns its keys; it equals
pycocotools' ``COCOeval`` (bbox) for every key, crowd regions included, down to its -1
where an area range or a class has no ground truth. ``voc_mean_average_precision``
takes the same input and follows py-faster-rcnn's ``voc_eval`` (Pascal VOC's matching).
"""

from __future__ import annotations

# --8<-- [start:imports]
import numpy as np
import torch
from torch import Tensor

from reference.checks import (
    as_floating,
    check_bounds,
    check_finite,
    check_in,
    check_integer,
    check_range,
    check_same_device,
    check_sequence,
    check_shape,
)
from reference.detection.boxes import _columns, _inter_union
from reference.metrics.precision_recall import precision_recall, voc_box_iou, voc_match

# --8<-- [end:imports]

__all__ = ["average_precision", "mean_average_precision", "voc_mean_average_precision"]


# --8<-- [start:average_precision]
def average_precision(recall: Tensor, precision: Tensor, method: str = "coco") -> float:
    """Area under a precision-recall curve given point by point (detections by decreasing score).

    * ``"voc07"``: mean of the interpolated precision at the 11 recalls 0, 0.1, ..., 1;
    * ``"voc"``: exact area under the interpolated curve (all points, VOC 2010 onwards);
    * ``"coco"``: mean at the 101 recalls 0, 0.01, ..., 1.

    The interpolated precision at recall ``r`` is the best precision at any recall ``>= r``
    (precision made monotone from the right); past the last recall reached it is 0.

    Args:
        recall (Tensor[N]): recall after each detection, non-decreasing, in ``[0, 1]``.
        precision (Tensor[N]): precision after each detection, in ``[0, 1]``.
        method: ``"voc07"``, ``"voc"`` or ``"coco"``.

    Returns:
        The average precision, in [0, 1].

    Differs from torchmetrics' ``average_precision``: a different function of the same name,
    the area under a given precision-recall curve, where torchmetrics' takes scores and
    labels (and a ``task``) and computes the curve itself.
    """
    check_shape("recall", recall, ("N",))
    check_shape("precision", precision, (recall.shape[0],), of="recall")
    check_in("method", method, ("voc07", "voc", "coco"))
    check_same_device(("recall", "precision"), recall, precision)
    check_bounds("recall", as_floating("recall", recall), 0.0, 1.0)
    check_bounds("precision", as_floating("precision", precision), 0.0, 1.0)
    if bool((recall.diff() < 0).any()):
        raise ValueError("recall must not decrease (detections sorted by decreasing score)")
    recall, precision = recall.double().cpu(), precision.double().cpu()
    envelope = precision.flip(0).cummax(0).values.flip(0)  # best precision from here on
    if method == "voc":
        r = torch.cat([recall.new_zeros(1), recall])
        return float(((r[1:] - r[:-1]) * envelope).sum())
    if len(recall) == 0:
        return 0.0
    if method == "voc07":  # k / 10: np.arange(0, 1.1, 0.1) would hold 0.30000000000000004
        grid = torch.arange(11, dtype=torch.float64) / 10
    else:  # pycocotools' points to the bit: linspace, whose 0.35 is 0.35000000000000003
        grid = torch.from_numpy(np.linspace(0.0, 1.0, 101))
    index = torch.searchsorted(recall.contiguous(), grid, side="left")  # first recall >= r
    reached = index < len(recall)
    values = torch.where(reached, envelope[index.clamp(max=len(recall) - 1)], 0.0)
    return float(values.mean())


# --8<-- [end:average_precision]


# --8<-- [start:map]
AREAS = {
    "all": (0.0, 1e10),
    "small": (0.0, 32.0**2),
    "medium": (32.0**2, 96.0**2),
    "large": (96.0**2, 1e10),
}
MAX_DETS = (1, 10, 100)


def _match(
    ious: np.ndarray,
    det_count: np.ndarray,
    gt_valid: np.ndarray,
    gt_crowd: np.ndarray,
    gt_ignore: np.ndarray,
    gt_rank: np.ndarray,
    thresholds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """COCO's greedy matching for one class in all images at once, for every (area range, IoU) row.

    Args:
        ious (ndarray[I, D, G]): per image the detections by decreasing score against the
            ground truths, padded; images sorted by decreasing ``det_count``.
        det_count (ndarray[I]): real detections per image.
        gt_valid (ndarray[I, G]): real ground truths.
        gt_crowd (ndarray[I, G]): crowd regions, which any number of detections may match.
        gt_ignore (ndarray[R, I, G]): bool, which ground truths row ``r`` ignores.
        gt_rank (ndarray[R, I, G]): each ground truth's position in COCO's order for that
            row (non-ignored first); among equally good matches COCO keeps the last.
        thresholds (ndarray[R]): IoU threshold of each row.

    Returns:
        (ndarray[R, I, D], ndarray[R, I, D]): matched, and matched to an ignored ground
        truth.
    """
    R, (images, D, G) = len(thresholds), ious.shape
    taken = np.zeros((R, images, G), dtype=bool)
    matched = np.zeros((R, images, D), dtype=bool)
    matched_ignored = np.zeros((R, images, D), dtype=bool)
    floor = np.minimum(thresholds, 1 - 1e-10)[:, None, None]  # [R, 1, 1]
    for d in range(D if G else 0):  # with no ground truth every detection is unmatched
        # The greedy order is within each image: step d handles the d-th detection of every
        # image that has one, a prefix since images are sorted by their number of detections.
        n = int((det_count > d).sum())
        iou = ious[:n, d][None]  # [1, n, G]
        free = ~taken[:, :n] | gt_crowd[:n]  # [R, n, G] a crowd region is never used up
        ok = free & gt_valid[:n] & (iou >= floor)  # free, real, overlapping
        ignore = gt_ignore[:, :n]
        # A non-ignored ground truth beats any ignored one.
        good = ok & ~ignore
        preferred = np.where(good.any(2, keepdims=True), good, ok)
        score = np.where(preferred, iou, -np.inf)
        hit = preferred & (score == score.max(2, keepdims=True))
        choice = np.where(hit, gt_rank[:, :n], -1).argmax(2)  # [R, n], the last in COCO's order
        found = hit.any(2)
        r, i = np.nonzero(found)
        taken[r, i, choice[r, i]] = True
        matched[:, :n, d] = found
        matched_ignored[r, i, d] = ignore[r, i, choice[r, i]]
    return matched, matched_ignored


def _area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def _batched_iou(dt: np.ndarray, gt: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """IoU ndarray[I, D, G] of padded boxes ndarray[I, D, 4] and ndarray[I, G, 4] (IoU core).

    For a crowd region (``crowd``, ndarray[I, G]) COCO divides by the detection's area
    instead of the union: a detection inside the crowd overlaps it fully.
    """
    ax1, ay1, ax2, ay2 = (c[:, :, None] for c in _columns(torch.from_numpy(dt)))  # [I, D, 1]
    bx1, by1, bx2, by2 = (c[:, None, :] for c in _columns(torch.from_numpy(gt)))  # [I, 1, G]
    inter, union = _inter_union((ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2))
    detection_area = (ax2 - ax1) * (ay2 - ay1)  # [I, D, 1]
    union = torch.where(torch.from_numpy(crowd)[:, None, :], detection_area, union)
    return (inter / union).numpy()  # padding gives 0 / 0 = NaN, never read


def _pad(image: np.ndarray, images: np.ndarray, *values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rows grouped by image (``image`` sorted) into ``(len(images), longest group, ...)``
    arrays, zero padded; returns the validity mask first."""
    slot = np.searchsorted(images, image)  # [N] position of each row's image
    start = np.searchsorted(image, images)  # first row of each image
    rank = np.arange(len(image)) - start[slot]  # position within the image
    width = int(rank.max()) + 1 if len(rank) else 0
    valid = np.zeros((len(images), width), dtype=bool)
    valid[slot, rank] = True
    out = []
    for v in values:
        padded = np.zeros((len(images), width, *v.shape[1:]), dtype=v.dtype)
        padded[slot, rank] = v
        out.append(padded)
    return valid, *out


def _check_inputs(
    preds: list[dict], target: list[dict], target_extras: tuple[str, ...]
) -> torch.device:
    """Check the per-image dicts; a key this function does not use is refused, not ignored."""
    if not isinstance(preds, list) or not isinstance(target, list):
        raise TypeError("preds and target must be lists of dicts, one per image")
    if len(preds) != len(target):
        raise ValueError(
            f"preds and target must have the same length, but got {len(preds)} and {len(target)}"
        )
    if not preds:
        raise ValueError("preds and target must hold at least one image, but got none")
    for i, (p, t) in enumerate(zip(preds, target, strict=True)):
        for name, d, keys, extras in (
            ("preds", p, ("boxes", "scores", "labels"), ()),
            ("target", t, ("boxes", "labels"), target_extras),
        ):
            if not isinstance(d, dict):
                raise TypeError(f"{name}[{i}] must be a dict, but got {type(d).__name__}")
            missing = [k for k in keys if k not in d]
            if missing:
                raise ValueError(f"{name}[{i}] must have keys {keys}, but lacks {missing}")
            unknown = sorted(set(d) - set(keys) - set(extras))
            if unknown:
                raise ValueError(
                    f"{name}[{i}] may only have the keys {keys + extras}, but has {unknown}"
                )
            boxes = check_shape(f"{name}[{i}]['boxes']", d["boxes"], ("N", 4))
            check_finite(f"{name}[{i}]['boxes']", boxes)
            bad = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
            if bool(bad.any()):
                raise ValueError(
                    f"{name}[{i}]['boxes'] must satisfy x1 <= x2 and y1 <= y2, but got the "
                    f"box {boxes[bad][0].tolist()}"
                )
            check_shape(f"{name}[{i}]['labels']", d["labels"], (len(boxes),))
            check_integer(f"{name}[{i}]['labels']", d["labels"])
            for extra in extras:
                if extra in d:
                    check_shape(f"{name}[{i}]['{extra}']", d[extra], (len(boxes),))
                    check_bounds(f"{name}[{i}]['{extra}']", d[extra], 0, 1)
        check_shape(f"preds[{i}]['scores']", p["scores"], (len(p["boxes"]),))
        check_finite(f"preds[{i}]['scores']", p["scores"])  # NaN has no place in a ranking
    tensors = [(f"{n}[{i}]['{k}']", v) for n, ds in (("preds", preds), ("target", target))
               for i, d in enumerate(ds) for k, v in d.items()]  # fmt: skip
    check_same_device([name for name, _ in tensors], *(v for _, v in tensors))
    return tensors[0][1].device if tensors else torch.device("cpu")


def mean_average_precision(
    preds: list[dict[str, Tensor]],
    target: list[dict[str, Tensor]],
    *,
    iou_thresholds: list[float] | None = None,
) -> dict[str, Tensor]:
    """COCO-style mAP and mAR, as pycocotools' ``COCOeval`` (bbox) and torchmetrics.

    Args:
        preds: per image ``{"boxes": Tensor[N, 4] xyxy, "scores": Tensor[N], "labels": Tensor[N]}``;
            boxes and scores finite.
        target: per image ``{"boxes": Tensor[M, 4] xyxy, "labels": Tensor[M]}`` and optionally
            ``"iscrowd": Tensor[M]`` (0/1): a crowd region is never an object to find; a
            detection that overlaps it (intersection over the *detection's* area) is ignored,
            and any number of detections may do so.
        iou_thresholds: default 0.50:0.05:0.95.

    Returns:
        ``map, map_50, map_75, map_small, map_medium, map_large, mar_1, mar_10, mar_100,
        mar_small, mar_medium, mar_large``, ``map_per_class`` and ``classes``; -1 where
        nothing could be measured. On the device of the inputs.

    Differs from torchmetrics' ``mean_average_precision``: a key it would ignore (say
    ``"area"``, which COCOeval would use) is refused rather than silently dropped, and so
    are non-finite boxes or scores, which torchmetrics ranks anyway.
    """
    device = _check_inputs(preds, target, ("iscrowd",))
    if iou_thresholds is None:
        thresholds = np.linspace(0.5, 0.95, 10)
    else:
        check_sequence("iou_thresholds", iou_thresholds, "a list of numbers", nonempty=True)
        thresholds = np.array(
            [check_range(f"iou_thresholds[{i}]", t, 0, 1) for i, t in enumerate(iou_thresholds)]
        )
    recall_grid = np.linspace(0.0, 1.0, 101)
    classes = sorted(set().union(*(set(d["labels"].tolist()) for d in [*preds, *target])))
    T, K, A, M = len(thresholds), len(classes), len(AREAS), len(MAX_DETS)
    R = A * T  # one matching row per (area range, threshold): row a * T + t
    ranges = np.array(list(AREAS.values()))  # [A, 2], inclusive at both ends
    low, high = ranges[:, 0, None, None], ranges[:, 1, None, None]  # [A, 1, 1]

    def gather(dicts: list[dict[str, Tensor]], key: str, dtype: torch.dtype) -> np.ndarray:
        empty = torch.zeros((0, 4) if key == "boxes" else (0,), dtype=dtype)
        default = {"iscrowd": lambda d: torch.zeros(len(d["labels"]))}
        columns = (d[key] if key in d else default[key](d) for d in dicts)
        return torch.cat([empty, *(c.to("cpu", dtype) for c in columns)]).numpy()

    # The whole data set as flat arrays, each box tagged with its image.
    dt_boxes, dt_labels = (
        gather(preds, "boxes", torch.float64),
        gather(preds, "labels", torch.int64),
    )
    dt_scores = gather(preds, "scores", torch.float64)
    dt_image = np.repeat(np.arange(len(preds)), [len(p["labels"]) for p in preds])
    gt_boxes, gt_labels = (
        gather(target, "boxes", torch.float64),
        gather(target, "labels", torch.int64),
    )
    gt_crowd = gather(target, "iscrowd", torch.bool)
    gt_image = np.repeat(np.arange(len(target)), [len(t["labels"]) for t in target])
    precision = -np.ones((T, len(recall_grid), K, A, M))
    recall = -np.ones((T, K, A, M))
    for k, cls in enumerate(classes):
        d = np.nonzero(dt_labels == cls)[0]
        d = d[np.argsort(-dt_scores[d], kind="stable")]  # stable: COCO's tie order
        d = d[np.argsort(dt_image[d], kind="stable")]  # by image, then by decreasing score
        g = np.nonzero(gt_labels == cls)[0]
        images = np.union1d(dt_image[d], gt_image[g])  # COCO skips images with neither
        # Only the best 100 per image are scored; later ones cannot take their matches either.
        det_valid, det_boxes, det_scores = (
            x[:, : MAX_DETS[-1]] for x in _pad(dt_image[d], images, dt_boxes[d], dt_scores[d])
        )
        gt_valid, gt, crowd = _pad(gt_image[g], images, gt_boxes[g], gt_crowd[g])
        gt_area = _area(gt)  # [I, G]
        ignore = (gt_area < low) | (gt_area > high) | crowd  # [A, I, G], by area; crowds always
        rank = np.argsort(np.argsort(ignore, axis=2, kind="stable"), axis=2, kind="stable")
        det_count = det_valid.sum(1)
        by_count = np.argsort(-det_count, kind="stable")  # _match works on prefixes
        matched, matched_ignored = _match(
            _batched_iou(det_boxes[by_count], gt[by_count], crowd[by_count]),
            det_count[by_count],
            gt_valid[by_count],
            crowd[by_count],
            ignore[:, by_count].repeat(T, axis=0),
            rank[:, by_count].repeat(T, axis=0),
            np.tile(thresholds, A),
        )
        back = np.argsort(by_count)  # images in data-set order again
        matched, matched_ignored = matched[:, back], matched_ignored[:, back]
        dt_area = _area(det_boxes)  # [I, D]
        outside = ((dt_area < low) | (dt_area > high)).repeat(T, axis=0)  # [R, I, D]
        det_ignored = matched_ignored | (~matched & outside)
        tps = (matched & ~det_ignored).reshape(R, -1)
        fps = (~matched & ~det_ignored).reshape(R, -1)
        n_gt = (~ignore & gt_valid).sum((1, 2))  # [A]
        depth = np.arange(det_valid.shape[1])
        for m, max_det in enumerate(MAX_DETS):
            # Flattening [I, D] keeps image order, then score order: COCO's concatenation.
            keep = (det_valid & (depth < max_det)).ravel()
            order = np.argsort(-det_scores.ravel()[keep], kind="stable")
            tp = np.cumsum(tps[:, keep][:, order], axis=1, dtype=float)  # [R, N]
            fp = np.cumsum(fps[:, keep][:, order], axis=1, dtype=float)
            for a in range(A):
                if n_gt[a] == 0:
                    continue
                for ti in range(T):
                    row = a * T + ti
                    rc = tp[row] / n_gt[a]
                    pr = tp[row] / (fp[row] + tp[row] + np.spacing(1))
                    recall[ti, k, a, m] = rc[-1] if len(rc) else 0
                    envelope = np.maximum.accumulate(pr[::-1])[::-1] if len(pr) else pr
                    index = np.searchsorted(rc, recall_grid, side="left")
                    valid = index < len(pr)
                    q = np.zeros(len(recall_grid))
                    q[valid] = envelope[index[valid]]
                    precision[ti, :, k, a, m] = q

    def mean(values: np.ndarray) -> Tensor:
        kept = values[values > -1]
        return torch.tensor(float(kept.mean()) if kept.size else -1.0, device=device)

    a_all, m_100 = 0, len(MAX_DETS) - 1
    t50, t75 = np.isclose(thresholds, 0.5), np.isclose(thresholds, 0.75)
    result = {
        "map": mean(precision[:, :, :, a_all, m_100]),
        "map_50": mean(precision[t50][:, :, :, a_all, m_100]),  # -1 without that threshold
        "map_75": mean(precision[t75][:, :, :, a_all, m_100]),
        "map_small": mean(precision[:, :, :, 1, m_100]),
        "map_medium": mean(precision[:, :, :, 2, m_100]),
        "map_large": mean(precision[:, :, :, 3, m_100]),
        "mar_1": mean(recall[:, :, a_all, 0]),
        "mar_10": mean(recall[:, :, a_all, 1]),
        "mar_100": mean(recall[:, :, a_all, m_100]),
        "mar_small": mean(recall[:, :, 1, m_100]),
        "mar_medium": mean(recall[:, :, 2, m_100]),
        "mar_large": mean(recall[:, :, 3, m_100]),
    }
    result["map_per_class"] = (
        torch.stack([mean(precision[:, :, k, a_all, m_100]) for k in range(K)])
        if K
        else torch.zeros(0, device=device)
    )
    result["classes"] = torch.tensor(classes, dtype=torch.int64, device=device)
    return result


# --8<-- [end:map]


# --8<-- [start:voc]
def voc_mean_average_precision(
    preds: list[dict[str, Tensor]],
    target: list[dict[str, Tensor]],
    method: str = "voc07",
    iou_threshold: float = 0.5,
) -> dict[str, Tensor]:
    """Pascal VOC's AP per class and its mean, as py-faster-rcnn's ``voc_eval``.

    Matching per image and class follows ``voc_match`` on +1-pixel IoUs. A ground truth
    flagged in the optional ``target[i]["difficult"]`` (bool Tensor[M]) is not counted as an
    object to find, and detections claiming it count neither as TP nor as FP.

    Args:
        preds, target: as for ``mean_average_precision``.
        method: ``"voc07"`` (11 recall points) or ``"voc"`` (all points, VOC 2010 onwards).
        iou_threshold: a detection needs an IoU strictly above this to claim an object.

    Returns:
        ``map``, ``map_per_class`` and ``classes``; -1 for a class without ground truth
        (left out of ``map``).
    """
    device = _check_inputs(preds, target, ("difficult",))
    check_in("method", method, ("voc07", "voc"))
    iou_threshold = check_range("iou_threshold", iou_threshold, 0.0, 1.0)
    classes = sorted(set().union(*(set(d["labels"].tolist()) for d in [*preds, *target])))
    scores, labels, is_tp, counted, objects = [], [], [], [], []
    for p, t in zip(preds, target, strict=True):
        difficult = t.get(
            "difficult", torch.zeros(len(t["labels"]), dtype=torch.bool, device=device)
        )
        order = torch.argsort(p["scores"], descending=True, stable=True)
        overlaps = voc_box_iou(p["boxes"][order], t["boxes"])
        # All classes in one matrix: a ground truth of another class is never the best.
        same_class = p["labels"][order][:, None] == t["labels"][None, :]
        tp, claimed = voc_match(overlaps.masked_fill(~same_class, -1.0), iou_threshold)
        claimable = torch.cat([difficult.bool(), difficult.new_zeros(1, dtype=torch.bool)])
        on_difficult = claimable[claimed]  # index -1 (no claim) lands on the appended False
        scores.append(p["scores"][order].double())
        labels.append(p["labels"][order])
        is_tp.append(tp & ~on_difficult)
        counted.append(~on_difficult)
        objects.append(t["labels"][~difficult.bool()])
    all_scores, all_labels = torch.cat(scores), torch.cat(labels)
    all_tp, all_counted, all_objects = torch.cat(is_tp), torch.cat(counted), torch.cat(objects)
    ap = []
    for c in classes:
        num_gt = int((all_objects == c).sum())
        if num_gt == 0:
            ap.append(-1.0)
            continue
        keep = (all_labels == c) & all_counted
        # One ranking over the whole data set; ties keep image order, then input order.
        order = torch.argsort(all_scores[keep], descending=True, stable=True)
        precision, recall = precision_recall(all_tp[keep][order], num_gt)
        ap.append(average_precision(recall, precision, method))
    per_class = torch.tensor(ap, dtype=torch.float64, device=device)
    valid = per_class[per_class > -1]
    return {
        "map": valid.mean() if len(valid) else per_class.new_tensor(-1.0),
        "map_per_class": per_class,
        "classes": torch.tensor(classes, dtype=torch.int64, device=device),
    }


# --8<-- [end:voc]
