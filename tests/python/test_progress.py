"""Plan.write(path, progress=callable): the same reports `graft apply`'s progress line draws — bytes
written of the total after each piece, files committed of all — and a callback that raises ends the write
with nothing committed."""
import pytest

import graft


def test_progress_reports_bytes_and_files(tiny, tmp_path):
    rules, path, _, dst = tiny
    plan = graft.plan(rules, path, dst)
    total = sum(t.numel() * t.element_size() for t in plan.apply().values())
    for name, size in (("out.pth", None), ("out.safetensors", None), ("sharded/model.safetensors.index.json", "1KB")):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        calls = []
        plan.write(tmp_path / name, max_shard_size=size, progress=lambda *a: calls.append(a))
        assert calls, name
        files = calls[-1][3]
        assert calls[-1] == (total, total, files, files), name
        assert (files > 2) if size else (files == 1), name
        for before, after in zip(calls, calls[1:]):  # never backwards, totals fixed
            assert before[0] <= after[0] and before[2] <= after[2] and before[1::2] == after[1::2], name
        assert all(c[0] <= c[1] and c[2] <= c[3] for c in calls), name


def test_raising_callback_ends_the_write(tiny, tmp_path):
    rules, path, _, dst = tiny
    plan = graft.plan(rules, path, dst)

    def stop(done, total, files_done, files_total):
        raise KeyboardInterrupt("stop here")

    for name in ("out.pth", "out.safetensors", "model.safetensors.index.json"):
        with pytest.raises(KeyboardInterrupt, match="stop here"):
            plan.write(tmp_path / name, progress=stop)
    assert list(tmp_path.iterdir()) == [tmp_path / "coco.pth"]  # no output, no temporary file left
    with pytest.raises(graft.UsageError, match="progress must be callable"):
        plan.write(tmp_path / "out.pth", progress=3)
