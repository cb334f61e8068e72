#!/usr/bin/python3
"""Loads what io_interop wrote (DIR/graft/X.pth with torch.load and its default weights_only, DIR/graft/
X.safetensors with a hand-written parser) and checks every tensor bit-exactly against X.expected. Runs
with PyTorch 1.13 (Debian 12) on the 1.x fixtures and with 2.x (Debian 13: scripts/debian 13) on
tests/data/io/torch2.6 too, whose new dtypes graft writes as 2.x does."""
import json
import os
import struct
import sys

import torch

SAFE = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64", "I8": "int8",
        "I16": "int16", "I32": "int32", "I64": "int64", "U8": "uint8", "BOOL": "bool", "U16": "uint16",
        "U32": "uint32", "U64": "uint64", "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2"}
SIZES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1, "int16": 2, "int32": 4,
         "int64": 8, "uint8": 1, "bool": 1, "uint16": 2, "uint32": 4, "uint64": 8, "float8_e4m3fn": 1,
         "float8_e5m2": 1}


def name_of(dtype):
    return str(dtype).replace("torch.", "")


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dim() == 0:
        t = t.reshape(1)
    return t.view(torch.uint8).numpy().tobytes()


def expected(path):
    out = []
    with open(path) as f:
        for line in f:
            name, dt, shape, hx = line.rstrip("\n").split("\t")
            out.append((name, dt, shape, hx))
    return out


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, "header not padded to 8 bytes"
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = []
    end = 0
    for name, info in header.items():
        b, e = info["data_offsets"]
        assert b == end, f"{name}: hole or overlap"
        end = e
        dt = SAFE[info["dtype"]]
        count = 1
        for s in info["shape"]:
            count *= s
        assert e - b == count * SIZES[dt], f"{name}: size mismatch"
        tensors.append((name, dt, ",".join(str(s) for s in info["shape"]), body[b:e].hex()))
    assert end == len(body), "trailing bytes"
    return tensors, meta


def main():
    d = os.path.join(sys.argv[1], "graft")
    failures, checked = 0, 0
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".expected"):
            continue
        stem = fn[:-len(".expected")]
        want = expected(os.path.join(d, fn))
        for suffix in (".pth", ".z64.pth"):
            sd = torch.load(os.path.join(d, stem + suffix))
            got = [(k, name_of(v.dtype), ",".join(str(s) for s in v.shape), tensor_bytes(v).hex()) for k, v in sd.items()]
            if got != want:
                print(f"{stem}{suffix}: torch.load gives different tensors")
                failures += 1
        st_path = os.path.join(d, stem + ".safetensors")
        if not os.path.exists(st_path) and any(dt not in SIZES for _, dt, _, _ in want):
            print(f"ok {stem} (no .safetensors: safetensors lacks one of its dtypes)")
            checked += 1
            continue
        st, meta = read_safetensors(st_path)
        if st != want or meta != {"source": stem}:
            print(f"{stem}.safetensors: different tensors or metadata")
            failures += 1
        checked += 1
        print(f"ok {stem}")
    if checked == 0:
        print("nothing checked")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
