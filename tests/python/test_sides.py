"""What graft.plan takes: sources (a path in each format, a dict, a training checkpoint holding one,
DataParallel-prefixed names, an explicit key) and destinations (a module, a state dict, a path, a
manifest), and where the applied tensors live."""
import pytest
import torch

import graft
from conftest import SHARED, assert_same_tensors


def check_converted(out, src, dst):
    """The tiny fixture's conversion: backbone copied, 12 shared joints mapped, head and neck kept."""
    assert list(out) == list(dst)
    assert torch.equal(out["conv1.weight"], src["module.conv1.weight"])
    assert out["bn1.num_batches_tracked"].item() == 7
    w1, s1 = out["final_layers.1.weight"], src["module.final_layers.1.weight"]
    for d, c in SHARED:
        assert torch.equal(w1[d], s1[c])
    assert torch.equal(w1[12:], dst["final_layers.1.weight"][12:])  # head, neck: the destination's
    w0, s0 = out["final_layers.0.weight"], src["module.final_layers.0.weight"]
    for d, c in SHARED:  # heatmaps, then tags
        assert torch.equal(w0[d], s0[c]) and torch.equal(w0[14 + d], s0[17 + c])


def test_path_source_state_dict_destination(tiny):
    rules, path, src, dst = tiny
    plan = graft.plan(rules, path, dst)
    assert plan.ok
    check_converted(plan.apply(), src, dst)


def test_dict_sources_wrapped_prefixed_and_keyed(tiny):
    rules, _, src, dst = tiny
    check_converted(graft.plan(rules, src, dst).apply(), src, dst)
    check_converted(graft.plan(rules, {"epoch": 1, "state_dict": src}, dst).apply(), src, dst)
    check_converted(graft.plan(rules, {"model": {"state_dict": src}}, dst).apply(), src, dst)
    check_converted(graft.plan(rules, {"a": 1, "ema": {}, "mine": src}, dst, key="mine").apply(), src, dst)
    check_converted(graft.plan(rules, {"outer": {"inner": src}}, dst, key="outer.inner").apply(), src, dst)
    with pytest.raises(graft.UsageError, match="cannot tell which entry"):
        graft.plan(rules, {"a": src, "b": src}, dst)
    with pytest.raises(graft.UsageError, match="no dict at key 'nope'"):
        graft.plan(rules, {"state_dict": src}, dst, key="nope")


def test_file_formats_round_trip(tiny, tmp_path):
    rules, path, src, dst = tiny
    plan = graft.plan(rules, path, dst)
    expected = plan.apply()
    for name in ("out.pth", "out.safetensors"):
        plan.write(tmp_path / name)
        # the written file as a destination: every destination tensor is there, with the output's values
        assert_same_tensors(graft.plan(rules, path, tmp_path / name).apply(), expected)
    sharded = tmp_path / "sharded" / "model.safetensors.index.json"
    sharded.parent.mkdir()
    plan.write(sharded, max_shard_size="1KB")
    assert len(list(sharded.parent.glob("model-*-of-*.safetensors"))) > 2
    assert_same_tensors(graft.plan(rules, path, sharded).apply(), expected)
    with pytest.raises(graft.UsageError, match="max_shard_size needs a sharded output"):
        plan.write(tmp_path / "x.safetensors", max_shard_size="1KB")
    pre16 = tmp_path / "pre16.pth"
    torch.save({"state_dict": src}, pre16, _use_new_zipfile_serialization=False)
    assert_same_tensors(graft.plan(rules, pre16, dst).apply(), expected)
    assert_same_tensors(torch.load(tmp_path / "out.pth"), expected)
    assert [m[0] for m in graft.read(tmp_path / "out.safetensors")] == list(dst)


def test_module_destination_loads_strictly(tiny):
    rules, path, src, dst = tiny

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 8, 3)
            self.bn1 = torch.nn.BatchNorm2d(8)
            self.final_layers = torch.nn.ModuleList([torch.nn.Conv2d(8, 28, 1), torch.nn.Conv2d(8, 14, 1)])

    model = Net()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    plan = graft.plan(rules, path, model)
    assert plan.ok
    model.load_state_dict(plan.apply(), strict=True)
    check_converted(model.state_dict(), src, before)


def test_manifest_sides_plan_but_do_not_apply(tiny, tmp_path):
    rules, path, src, dst = tiny
    tsv = tmp_path / "dst.tsv"
    tsv.write_text("".join("%s\tfloat32\t%s\n" % (k, ",".join(map(str, v.shape))) for k, v in dst.items()
                           if k != "bn1.num_batches_tracked") + "bn1.num_batches_tracked\tint64\t\n")
    plan = graft.plan(rules, path, tsv)
    assert plan.ok, str(plan)
    with pytest.raises(graft.UsageError, match="manifest") as e:
        plan.apply()
    assert e.value.exit_code == 2


def test_copied_tensors_share_the_source_memory(tiny):
    rules, _, src, dst = tiny
    out = graft.plan(rules, src, dst).apply()
    assert out["conv1.weight"].data_ptr() == src["module.conv1.weight"].data_ptr()  # no copy
    out["conv1.weight"][0, 0, 0, 0] = 42.0
    assert src["module.conv1.weight"][0, 0, 0, 0].item() == 42.0  # it is the source's memory


def test_views_and_non_contiguous_sources(tiny):
    rules, _, src, dst = tiny
    big = torch.randn(2, 8, 3, 3, 3)
    src = dict(src)
    src["module.conv1.weight"] = big[1]                              # a view at an offset
    src["module.final_layers.1.weight"] = torch.randn(8, 17, 1, 1).transpose(0, 1)  # non-contiguous
    out = graft.plan(rules, src, dst).apply()
    assert torch.equal(out["conv1.weight"], big[1])
    for d, c in SHARED:
        assert torch.equal(out["final_layers.1.weight"][d], src["module.final_layers.1.weight"][c])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_gpu_destination_gets_gpu_tensors(tiny):
    rules, path, src, dst = tiny
    dst = {k: v.cuda() for k, v in dst.items()}
    out = graft.plan(rules, path, dst).apply()
    assert all(t.is_cuda for t in out.values())
    check_converted({k: v.cpu() for k, v in out.items()}, src, {k: v.cpu() for k, v in dst.items()})
