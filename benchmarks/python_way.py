#!/usr/bin/python3
"""The Python way of moving HigherHRNet COCO weights into a CrowdPose model, as one writes it by hand:
torch.load both checkpoints, copy every same-shaped tensor, index_select the head rows of the 12
shared joints (CrowdPose order) into the template's head tensors, torch.save the result.

Run with /usr/bin/python3 (Debian's python3-torch). usage: python_way.py SRC.pth TEMPLATE.pth OUT.pth
Handles the three HigherHRNet head layouts (dim 0): K heatmaps; K heatmaps + K tags; F features + K
heatmaps + K tags (the deconvolution's input channels). CrowdPose's head and neck keep the template.
"""
import sys

import torch

COCO = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
        "right_knee", "left_ankle", "right_ankle"]
CROWDPOSE = ["left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
             "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "head", "neck"]


def main(src_path, template_path, out_path):
    src = torch.load(src_path, map_location="cpu")
    out = torch.load(template_path, map_location="cpu")
    torch.save(convert(src, out), out_path)


def convert(src, out):
    """Fills the state dict `out` (CrowdPose) from `src` (COCO) in place; returns it."""
    shared = [(d, COCO.index(j)) for d, j in enumerate(CROWDPOSE) if j in COCO]
    ks, kd = len(COCO), len(CROWDPOSE)
    with torch.no_grad():
        for name, t in out.items():
            s = src[name]
            if s.shape == t.shape:
                out[name] = s
                continue
            n = s.shape[0]
            blocks = [(0, 0)] if n == ks else [(0, 0), (ks, kd)] if n == 2 * ks else None
            if blocks is None:  # features, then heatmaps and tags
                f = n - 2 * ks
                t[:f] = s[:f]
                blocks = [(f, f), (f + ks, f + kd)]
            for s0, d0 in blocks:
                rows_d = torch.tensor([d0 + d for d, _ in shared])
                rows_s = torch.tensor([s0 + c for _, c in shared])
                t.index_copy_(0, rows_d, s.index_select(0, rows_s))
    return out


if __name__ == "__main__":
    main(*sys.argv[1:4])
