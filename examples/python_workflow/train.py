"""Your training script: load graft's output with strict=True and train as usual.

    train.py CONVERTED.pth COCO.pth
"""
import sys

import torch

from model import PoseNet

COCO = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
        "right_knee", "left_ankle", "right_ankle"]
CROWDPOSE = ["left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
             "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "head", "neck"]

model = PoseNet(14)
model.load_state_dict(torch.load(sys.argv[1]), strict=True)  # every name and shape matches

coco = torch.load(sys.argv[2])["state_dict"]
for d, joint in enumerate(CROWDPOSE):
    if joint in COCO:
        s = COCO.index(joint)
        assert torch.equal(model.final_layers[1].weight[d], coco["module.final_layers.1.weight"][s]), joint
print("loaded with strict=True; the 12 shared joints carry the COCO weights")

optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
heatmaps, _ = model(torch.randn(2, 3, 32, 32))[::-1]
loss = heatmaps.pow(2).mean()
loss.backward()
optimizer.step()
print(f"one training step done (loss {loss.item():.4f})")
