"""A tiny HigherHRNet-style pose network, standing in for your real training code.

    model.py coco OUT.pth        save a "COCO-trained" checkpoint (17 joints), the way old
                                 training scripts did: {"epoch": ..., "state_dict": ...}, pre-1.6 format
    model.py init OUT.pth        save a freshly initialised CrowdPose model (14 joints)
"""
import sys

import torch
from torch import nn


class PoseNet(nn.Module):
    def __init__(self, joints: int, width: int = 32):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(width)
        # heatmaps + tags, then heatmaps at a higher resolution (like HigherHRNet's final_layers)
        self.final_layers = nn.ModuleList([nn.Conv2d(width, 2 * joints, 1), nn.Conv2d(width, joints, 1)])

    def forward(self, x):
        f = torch.relu(self.bn1(self.conv1(x)))
        return self.final_layers[0](f), self.final_layers[1](f)


if __name__ == "__main__":
    what, out = sys.argv[1], sys.argv[2]
    torch.manual_seed(0 if what == "coco" else 1)
    if what == "coco":
        model = nn.DataParallel(PoseNet(17))  # keys get the "module." prefix, as released checkpoints do
        torch.save({"epoch": 140, "state_dict": model.state_dict()}, out, _use_new_zipfile_serialization=False)
    else:
        torch.save(PoseNet(14).state_dict(), out)
