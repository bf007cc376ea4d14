"""Object detection: boxes, IoU and its losses, NMS, Soft-NMS and Softer-NMS, YOLOv3,
Faster R-CNN's RPN and mosaic augmentation."""

from reference.detection.augmentation import mosaic
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
from reference.detection.rpn import (
    assign_anchors,
    decode_boxes,
    encode_boxes,
    rpn_anchors,
    sample_anchors,
)
from reference.detection.softer_nms import kl_box_loss, variance_voting
from reference.detection.yolo import shape_iou, yolo_decode, yolo_encode, yolo_loss

__all__ = [
    "assign_anchors",
    "batched_nms",
    "box_area",
    "box_iou",
    "complete_box_iou",
    "complete_box_iou_loss",
    "decode_boxes",
    "distance_box_iou",
    "distance_box_iou_loss",
    "encode_boxes",
    "generalized_box_iou",
    "generalized_box_iou_loss",
    "kl_box_loss",
    "mosaic",
    "nms",
    "rpn_anchors",
    "sample_anchors",
    "shape_iou",
    "soft_nms",
    "variance_voting",
    "yolo_decode",
    "yolo_encode",
    "yolo_loss",
]
