"""Object detection: boxes, IoU and its losses, NMS, Soft-NMS and Softer-NMS."""

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
from reference.detection.softer_nms import kl_box_loss, variance_voting

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
    "kl_box_loss",
    "nms",
    "soft_nms",
    "variance_voting",
]
