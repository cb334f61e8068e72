"""Your training script: start the CrowdPose model from the COCO checkpoint with graft's Python module,
then train as usual.

    train.py COCO.pth                 convert in the script (import graft)
    train.py COCO.pth CONVERTED.pth   load a file `graft apply` wrote instead
"""
import pathlib
import sys

import torch

import graft
from model import PoseNet

COCO = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
        "right_knee", "left_ankle", "right_ankle"]
CROWDPOSE = ["left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
             "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "head", "neck"]
RULES = pathlib.Path(__file__).with_name("rules.graft")

coco_path = sys.argv[1]
model = PoseNet(14)  # freshly initialised: head and neck keep these values
if len(sys.argv) > 2:
    model.load_state_dict(torch.load(sys.argv[2]), strict=True)  # every name and shape matches
else:
    plan = graft.plan(RULES, coco_path, model)  # reads the checkpoint itself: no pickle is run
    print(plan)
    model.load_state_dict(plan.apply(), strict=True)

with torch.no_grad():  # the check reads COCO's head with torch.load: the example's own file, trusted
    coco_head = torch.load(coco_path)["state_dict"]["module.final_layers.1.weight"]
    for d, joint in enumerate(CROWDPOSE):
        if joint in COCO:
            assert torch.equal(model.final_layers[1].weight[d], coco_head[COCO.index(joint)]), joint
print("loaded with strict=True; the 12 shared joints carry the COCO weights")

optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
heatmaps, _ = model(torch.randn(2, 3, 32, 32))[::-1]
loss = heatmaps.pow(2).mean()
loss.backward()
optimizer.step()
print(f"one training step done (loss {loss.item():.4f})")
