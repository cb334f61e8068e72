"""Builds the manifests of torchvision models (names, dtypes, shapes, param|buffer of state_dict()).

    /usr/bin/python3 tests/data/manifests/make_torchvision_manifests.py tests/data/manifests

Needs Debian's python3-torchvision (0.14.1; only to regenerate these files, not to build or test
graft). No weights are downloaded: every model is built with weights=None, so the names and shapes
are torchvision's own, the values are never read.

- keypointrcnn_resnet50_fpn_coco.tsv / _crowdpose.tsv: keypointrcnn_resnet50_fpn(weights=None,
  weights_backbone=None, num_keypoints=17 / 14). Built this way the backbone uses nn.BatchNorm2d
  (weight and bias are parameters, num_batches_tracked a scalar buffer).
- keypointrcnn_resnet50_fpn_coco_frozenbn.tsv: the same COCO model with the backbone torchvision
  builds whenever weights or weights_backbone is given, FrozenBatchNorm2d (four buffers, no
  num_batches_tracked): the names of the published COCO checkpoint
  (keypointrcnn_resnet50_fpn_coco-fc266e95.pth) and of a model made for fine-tuning with
  weights_backbone=ResNet50_Weights.IMAGENET1K_V1.
- resnet18_imagenet1k.tsv / resnet18_10class.tsv: resnet18(weights=None) and
  resnet18(weights=None, num_classes=10).
"""
import sys

import torch
import torchvision
from torchvision.models import resnet18, resnet50
from torchvision.models.detection import keypointrcnn_resnet50_fpn
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.models.detection.keypoint_rcnn import KeypointRCNN
from torchvision.ops import misc as misc_nn_ops

here = sys.argv[1] if len(sys.argv) > 1 else "."
dtypes = {torch.float32: "float32", torch.int64: "int64"}


def write(file, model, how):
    params = {name for name, _ in model.named_parameters()}
    out = [f"# torchvision {torchvision.__version__}: {how} (make_torchvision_manifests.py)"]
    for name, t in model.state_dict().items():
        shape = ",".join(str(s) for s in t.shape)
        out.append(f"{name}\t{dtypes[t.dtype]}\t{shape}\t{'param' if name in params else 'buffer'}")
    open(f"{here}/{file}", "w").write("\n".join(out) + "\n")


for k, dataset in ((17, "coco"), (14, "crowdpose")):
    write(f"keypointrcnn_resnet50_fpn_{dataset}.tsv",
          keypointrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_keypoints=k),
          f"keypointrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_keypoints={k})")

# What keypointrcnn_resnet50_fpn builds when weights are given (is_trained: FrozenBatchNorm2d, 3
# trainable layers), without downloading them.
frozen = KeypointRCNN(_resnet_fpn_extractor(resnet50(norm_layer=misc_nn_ops.FrozenBatchNorm2d), 3),
                      num_classes=2, num_keypoints=17)
write("keypointrcnn_resnet50_fpn_coco_frozenbn.tsv", frozen,
      "keypointrcnn_resnet50_fpn as built with weights (FrozenBatchNorm2d backbone), num_keypoints=17")

write("resnet18_imagenet1k.tsv", resnet18(weights=None), "resnet18(weights=None)")
write("resnet18_10class.tsv", resnet18(weights=None, num_classes=10), "resnet18(weights=None, num_classes=10)")
