"""Errors are Python exceptions with graft's messages and the CLI's exit codes; hostile and corrupt
files are refused without running anything."""
import os
import pickle
import zipfile

import pytest
import torch

import graft


class RunsCommand:
    """Unpickling this runs a shell command (what a hostile checkpoint does to torch.load)."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_classes_and_exit_codes():
    for cls in (graft.RulesError, graft.PlanError, graft.CheckpointError, graft.UsageError):
        assert issubclass(cls, graft.Error) and cls.__module__ == "graft"
    assert issubclass(graft.Error, Exception)
    assert graft.PlanError.exit_code == 1  # `graft plan` exits 1 for a plan with errors
    assert graft.RulesError.exit_code == graft.CheckpointError.exit_code == graft.UsageError.exit_code == 2


def test_rules_error_says_where(tiny, tmp_path):
    _, path, _, dst = tiny
    bad = tmp_path / "bad.graft"
    bad.write_text('strip "module."\nreshape "x" { dim 0 = coco -> }\n')
    with pytest.raises(graft.RulesError) as e:
        graft.plan(bad, path, dst)
    assert str(e.value).startswith(str(bad) + ":2:")
    assert (e.value.file, e.value.line) == (str(bad), 2) and e.value.column > 1
    assert e.value.exit_code == 2


def test_failing_plan_reports_and_refuses_to_apply(tiny):
    rules, path, _, dst = tiny
    dst = dict(dst, extra=torch.zeros(3))
    plan = graft.plan(rules, path, dst)
    assert not plan.ok and any("extra" in e for e in plan.errors)
    assert "error" in str(plan)
    with pytest.raises(graft.PlanError, match="refusing to apply a plan with errors: .*extra") as e:
        plan.apply()
    assert e.value.exit_code == 1
    assert graft.plan(rules, path, dst, lenient=True).ok


def test_hostile_pickles_refused_and_not_run(tiny, tmp_path):
    rules, _, _, dst = tiny
    marker = tmp_path / "ran"
    evil = {"state_dict": {"w": torch.zeros(2)}, "x": RunsCommand("touch " + str(marker))}
    zip_file, legacy_file, raw_file = tmp_path / "evil.pth", tmp_path / "evil_legacy.pth", tmp_path / "evil.pkl"
    torch.save(evil, zip_file)
    torch.save(evil, legacy_file, _use_new_zipfile_serialization=False)
    raw_file.write_bytes(pickle.dumps(evil["x"], protocol=2))
    for path in (zip_file, legacy_file):
        with pytest.raises(graft.CheckpointError, match="system"):  # names the global it refuses
            graft.plan(rules, path, dst)
    for path in (zip_file, legacy_file, raw_file):
        with pytest.raises(graft.CheckpointError):
            graft.read(path)
    assert not marker.exists()


def test_corrupt_record_refused_when_its_bytes_are_used(tiny, tmp_path):
    rules, path, src, dst = tiny
    good = tmp_path / "good.pth"
    torch.save(src, good)
    bad = tmp_path / "bad.pth"
    with zipfile.ZipFile(good) as z:
        data = z.read(next(n for n in z.namelist() if n.endswith("/data/0")))
    blob = bytearray(good.read_bytes())
    at = blob.find(data)
    blob[at] ^= 0xFF  # one flipped byte in a stored tensor record: its CRC-32 no longer matches
    bad.write_bytes(bytes(blob))
    plan = graft.plan(rules, bad, dst)  # planning reads headers only
    with pytest.raises(graft.CheckpointError, match="CRC-32"):
        plan.apply()


def test_truncated_and_missing_files(tiny, tmp_path):
    rules, path, _, dst = tiny
    cut = tmp_path / "cut.pth"
    cut.write_bytes(path.read_bytes()[:100])
    with pytest.raises(graft.CheckpointError):
        graft.plan(rules, cut, dst)
    with pytest.raises(graft.Error):
        graft.plan(rules, tmp_path / "missing.pth", dst)
    with pytest.raises(graft.Error):
        graft.plan(tmp_path / "missing.graft", path, dst)


def test_bad_arguments(tiny, tmp_path):
    rules, path, src, dst = tiny
    with pytest.raises(graft.UsageError, match="must be a path, a dict of tensors or a torch.nn.Module"):
        graft.plan(rules, 42, dst)
    with pytest.raises(graft.UsageError, match="must be a path"):
        graft.plan(3.5, path, dst)
    plan = graft.plan(rules, path, dst)
    with pytest.raises(graft.UsageError, match="is an input"):
        plan.write(path)
    with pytest.raises(graft.UsageError, match=r"\.pth, \.pt, \.safetensors or \.safetensors\.index\.json"):
        plan.write(tmp_path / "out.bin")
    assert not (tmp_path / "out.bin").exists()
    with pytest.raises(graft.UsageError, match="sparse"):
        graft.plan(rules, dict(src, **{"module.conv1.bias": src["module.conv1.bias"].to_sparse()}), dst)
