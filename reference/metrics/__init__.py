"""Evaluation metrics: precision/recall, TP/FP for detections, AP and mAP, segmentation IoU."""

from reference.metrics.average_precision import (
    average_precision,
    class_average_precision,
    mean_average_precision,
    voc_mean_average_precision,
)
from reference.metrics.precision_recall import (
    binary_counts,
    match_detections,
    precision_recall,
    voc_box_iou,
    voc_match,
)
from reference.metrics.segmentation import (
    binary_mask_iou,
    confusion_matrix,
    iou_per_class,
    mean_iou,
)

__all__ = [
    "average_precision",
    "binary_counts",
    "binary_mask_iou",
    "class_average_precision",
    "confusion_matrix",
    "iou_per_class",
    "match_detections",
    "mean_average_precision",
    "mean_iou",
    "precision_recall",
    "voc_box_iou",
    "voc_match",
    "voc_mean_average_precision",
]
