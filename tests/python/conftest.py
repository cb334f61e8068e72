"""Shared fixtures of the Python module's tests (run by ctest with /usr/bin/python3 -m pytest).

ctest sets PYTHONPATH to the build tree's python/ folder (the `graft` package), GRAFT_CLI to the graft
binary and GRAFT_SOURCE_DIR to the source tree. Checkpoints are made from the manifests of
tests/data/manifests (real HigherHRNet, SWAHR and DEKR names and shapes) with distinct values per tensor.
"""
import os
import pathlib
import subprocess

import pytest
import torch

import graft
from manifest_model import ManifestModule, state_dict_of  # noqa: F401 (the tests import them from here)

SOURCE_DIR = pathlib.Path(os.environ.get("GRAFT_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
MANIFESTS = SOURCE_DIR / "tests" / "data" / "manifests"
RULES = SOURCE_DIR / "rules"


def manifest(name):
    """The path of tests/data/manifests/NAME.tsv."""
    return MANIFESTS / (name + ".tsv")


def cli():
    """The graft binary ctest names (GRAFT_CLI), or 'graft' on PATH."""
    return os.environ.get("GRAFT_CLI", "graft")


def run_cli(*args):
    """Runs the graft CLI; returns the CompletedProcess (never raises on a non-zero exit)."""
    return subprocess.run([cli(), *map(str, args)], capture_output=True, text=True)


def assert_same_tensors(got, want):
    """Same names in the same order, same dtypes, shapes and bytes."""
    assert list(got) == list(want)
    for name in want:
        assert got[name].dtype == want[name].dtype, name
        assert got[name].shape == want[name].shape, name
        assert torch.equal(got[name], want[name]), name


@pytest.fixture
def tiny(tmp_path):
    """A small COCO-like source (wrapped in a training checkpoint, DataParallel names) and the rules of
    examples/python_workflow: (rules path, source path, source state dict, destination state dict)."""
    torch.manual_seed(0)
    src = {
        "module.conv1.weight": torch.randn(8, 3, 3, 3),
        "module.conv1.bias": torch.randn(8),
        "module.bn1.weight": torch.randn(8),
        "module.bn1.bias": torch.randn(8),
        "module.bn1.running_mean": torch.randn(8),
        "module.bn1.running_var": torch.rand(8),
        "module.bn1.num_batches_tracked": torch.tensor(7),
        "module.final_layers.0.weight": torch.randn(34, 8, 1, 1),
        "module.final_layers.0.bias": torch.randn(34),
        "module.final_layers.1.weight": torch.randn(17, 8, 1, 1),
        "module.final_layers.1.bias": torch.randn(17),
    }
    dst = {k[len("module."):]: torch.zeros_like(v) for k, v in src.items()}
    for k in ("final_layers.0.weight", "final_layers.0.bias"):
        dst[k] = torch.full((28,) + tuple(src["module." + k].shape[1:]), -1.0)
    for k in ("final_layers.1.weight", "final_layers.1.bias"):
        dst[k] = torch.full((14,) + tuple(src["module." + k].shape[1:]), -1.0)
    path = tmp_path / "coco.pth"
    torch.save({"epoch": 3, "state_dict": src}, path)
    return SOURCE_DIR / "examples" / "python_workflow" / "rules.graft", path, src, dst


COCO = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
        "right_knee", "left_ankle", "right_ankle"]
CROWDPOSE = ["left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
             "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "head", "neck"]
#: (CrowdPose index, COCO index) of the 12 shared joints.
SHARED = [(d, COCO.index(j)) for d, j in enumerate(CROWDPOSE) if j in COCO]
