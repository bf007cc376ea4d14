"""Object detection: boxes, IoU and its losses, non-maximum suppression."""

from reference.detection.boxes import (
    box_area,
    box_iou,
    complete_box_iou,
    complete_box_iou_loss,
    distance_box_iou,
    distance_box_iou_loss,
    generalized_box_iou,
    generalized_box_iou_loss,
)
from reference.detection.nms import batched_nms, nms, soft_nms

__all__ = [
    "batched_nms",
    "box_area",
    "box_iou",
    "complete_box_iou",
    "complete_box_iou_loss",
    "distance_box_iou",
    "distance_box_iou_loss",
    "generalized_box_iou",
    "generalized_box_iou_loss",
    "nms",
    "soft_nms",
]
