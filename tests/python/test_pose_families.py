"""The three families on real-shaped checkpoints (names and shapes of the repositories' w32 models):
COCO -> CrowdPose through the module equals `graft apply` bit for bit, loads strictly into a module
with the CrowdPose model's state dict, and for HigherHRNet equals an independent hand-written
conversion (benchmarks/python_way.py: index_select of the 12 shared joints)."""
import importlib.util

import pytest
import torch

import graft
from conftest import SOURCE_DIR, ManifestModule, assert_same_tensors, manifest, run_cli, state_dict_of

FAMILIES = [
    ("higherhrnet", "higherhrnet_w32_512_coco", "higherhrnet_w32_512_crowdpose"),
    ("swahr", "swahr_w32_512_coco", "swahr_w32_512_crowdpose"),
    ("dekr", "dekr_w32_coco_dataparallel", "dekr_w32_crowdpose"),
]


@pytest.fixture(params=FAMILIES, ids=[f[0] for f in FAMILIES])
def family(request, tmp_path):
    name, coco, crowdpose = request.param
    src = tmp_path / (coco + ".pth")
    torch.save(state_dict_of(graft.read(manifest(coco)), seed=7), src)
    model = ManifestModule(graft.read(manifest(crowdpose)), seed=8)
    rules = SOURCE_DIR / "rules" / "pose" / (name + "_coco_to_crowdpose.graft")
    return name, rules, src, model, tmp_path


def test_module_equals_cli_and_loads_strictly(family):
    name, rules, src, model, tmp = family
    plan = graft.plan(rules, src, model)
    assert plan.ok, str(plan)
    assert plan.counts["mapped"] > 0 and plan.counts["copied"] > 1000
    template = tmp / "template.pth"
    torch.save(model.state_dict(), template)
    out = tmp / "cli.pth"
    done = run_cli("apply", rules, "--from", src, "--onto", template, "--out", out)
    assert done.returncode == 0, done.stderr
    shown = run_cli("plan", rules, "--from", src, "--onto", template)
    assert shown.returncode == 0 and shown.stdout == str(plan)  # the module's report is `graft plan`'s
    shown = run_cli("plan", "--json", rules, "--from", src, "--onto", template)
    assert shown.returncode == 0 and shown.stdout == plan.json()
    converted = plan.apply()
    assert_same_tensors(converted, torch.load(out))
    model.load_state_dict(converted, strict=True)
    assert_same_tensors(model.state_dict(), converted)


def test_higherhrnet_equals_the_python_way(tmp_path):
    spec = importlib.util.spec_from_file_location("python_way", SOURCE_DIR / "benchmarks" / "python_way.py")
    python_way = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(python_way)
    src, template, out = tmp_path / "coco.pth", tmp_path / "template.pth", tmp_path / "python_way.pth"
    torch.save(state_dict_of(graft.read(manifest("higherhrnet_w32_512_coco")), seed=3), src)
    torch.save(state_dict_of(graft.read(manifest("higherhrnet_w32_512_crowdpose")), seed=4), template)
    python_way.main(src, template, out)
    plan = graft.plan(SOURCE_DIR / "rules" / "pose" / "higherhrnet_coco_to_crowdpose.graft", src, template)
    assert_same_tensors(plan.apply(), torch.load(out))
