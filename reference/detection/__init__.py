"""Object detection: boxes, IoU and its losses, NMS and its variants, feature pyramids and SPP,
anchors and SSD's priors, YOLOv3, Faster R-CNN's RPN, and mosaic augmentation."""

from reference.detection.anchors import (
    cell_anchors,
    grid_anchors,
    hard_negative_mining,
    kmeans_anchors,
    ssd_loss,
    ssd_prior_boxes,
    ssd_scales,
    wh_iou,
)
from reference.detection.augmentation import mosaic
from reference.detection.boxes import (
    box_area,
    box_iou,
    box_iou_simple,
    complete_box_iou,
    complete_box_iou_loss,
    distance_box_iou,
    distance_box_iou_loss,
    generalized_box_iou,
    generalized_box_iou_loss,
)
from reference.detection.nms import batched_nms, diou_nms, nms, nms_simple, soft_nms
from reference.detection.pyramids import (
    FeaturePyramidNetwork,
    fpn_level,
    spatial_pyramid_pool,
    spp_block,
    sppf,
    top_down_merge,
)
from reference.detection.rpn import (
    assign_anchors,
    decode_boxes,
    encode_boxes,
    rpn_anchors,
    sample_anchors,
)
from reference.detection.softer_nms import kl_box_loss, variance_voting
from reference.detection.yolo import yolo_decode, yolo_encode, yolo_loss, yolov1_loss

__all__ = [
    "FeaturePyramidNetwork",
    "assign_anchors",
    "batched_nms",
    "box_area",
    "box_iou",
    "box_iou_simple",
    "cell_anchors",
    "complete_box_iou",
    "complete_box_iou_loss",
    "decode_boxes",
    "diou_nms",
    "distance_box_iou",
    "distance_box_iou_loss",
    "encode_boxes",
    "fpn_level",
    "generalized_box_iou",
    "generalized_box_iou_loss",
    "grid_anchors",
    "hard_negative_mining",
    "kl_box_loss",
    "kmeans_anchors",
    "mosaic",
    "nms",
    "nms_simple",
    "rpn_anchors",
    "sample_anchors",
    "soft_nms",
    "spatial_pyramid_pool",
    "spp_block",
    "sppf",
    "ssd_loss",
    "ssd_prior_boxes",
    "ssd_scales",
    "top_down_merge",
    "variance_voting",
    "wh_iou",
    "yolo_decode",
    "yolo_encode",
    "yolo_loss",
    "yolov1_loss",
]
