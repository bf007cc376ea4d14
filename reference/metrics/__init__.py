"""Evaluation metrics: precision and recall, TP/FP for detections, segmentation IoU."""

from reference.metrics.precision_recall import binary_counts, match_detections, precision_recall
from reference.metrics.segmentation import confusion_matrix, iou_per_class, mean_iou

__all__ = [
    "binary_counts",
    "confusion_matrix",
    "iou_per_class",
    "match_detections",
    "mean_iou",
    "precision_recall",
]
