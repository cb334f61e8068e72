"""Dtypes cross both ways without copies and without change: float16, bfloat16 and the rest, from a
dict and from a file, and dtype conversion where source and destination differ."""
import pytest
import torch

import graft

@pytest.fixture
def rules(tmp_path):
    path = tmp_path / "same.graft"
    path.write_text("# no rules: every name pairs with itself\n")
    return path


DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int8, torch.uint8, torch.int16,
          torch.int32, torch.int64, torch.bool, torch.complex64]


@pytest.mark.parametrize("dtype", DTYPES, ids=[str(d)[6:] for d in DTYPES])
def test_dtype_round_trip_zero_copy(rules, tmp_path, dtype):
    torch.manual_seed(0)
    t = (torch.randn(6, 5) * 50).to(dtype)
    src = {"w": t, "b": t[2:, 1:]}  # a view too
    plan = graft.plan(rules, src, {"w": torch.zeros_like(t), "b": torch.zeros_like(t[2:, 1:])})
    assert plan.ok, str(plan)
    out = plan.apply()
    assert out["w"].dtype == dtype and torch.equal(out["w"], t)
    assert torch.equal(out["b"], t[2:, 1:])
    assert out["w"].data_ptr() == t.data_ptr()
    path = tmp_path / "x.pth"
    torch.save(src, path)
    from_file = graft.plan(rules, path, src).apply()
    assert from_file["w"].dtype == dtype and torch.equal(from_file["w"], t) and torch.equal(from_file["b"], t[2:, 1:])


def test_half_precision_file_into_a_float32_model_is_cast(tmp_path):
    rules = tmp_path / "r.graft"
    rules.write_text("# no rules: every name pairs with itself\n")
    src = {"w": torch.randn(4, 3).to(torch.bfloat16), "h": torch.randn(5).half()}
    path = tmp_path / "half.pth"
    torch.save(src, path)
    dst = {"w": torch.zeros(4, 3), "h": torch.zeros(5)}
    plan = graft.plan(rules, path, dst)
    assert plan.ok, str(plan)  # widening casts are reported, not refused (docs/rules-language.md)
    out = plan.apply()
    assert out["w"].dtype == torch.float32 and torch.equal(out["w"], src["w"].float())
    assert torch.equal(out["h"], src["h"].float())
