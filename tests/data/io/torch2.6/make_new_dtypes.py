#!/usr/bin/python3
"""Writes the PyTorch 2.x dtype fixtures (run with PyTorch 2.x, e.g. Debian 13's python3-torch 2.6):

  new_dtypes_zip.pth        one tensor of every dtype PyTorch 2.x saves (the new ones through
                            torch._utils._rebuild_tensor_v3 on an UntypedStorage), with values that
                            exercise each: uint64 above 2^63, float8 subnormals, NaN and infinities, complex
  new_dtypes_bigendian.pth  the same archive as a big-endian machine writes it: every storage byte-swapped
                            per element (complex: per part) and `byteorder` "big" (torch.save cannot be told
                            to write one, so it is made from the little-endian file)
  new_dtypes.safetensors    the safetensors dtypes graft reads beyond 1.13's: F8_E4M3, F8_E5M2, U16, U32,
                            U64, by a hand-written writer (the safetensors package may be missing)
  float8_reference.tsv      PyTorch's float8 conversions, for tests/apply/float8.cpp: every byte → float32,
                            float32 inputs (ties, overflow, subnormals, NaN, inf) → bytes, and means of rows
                            computed in float32 and rounded to float8

X.expected: one line per tensor, "name<TAB>dtype<TAB>shape<TAB>hex of the C-order bytes (little-endian)".

usage: make_new_dtypes.py [OUT_DIR]
"""
import json
import os
import struct
import sys
import zipfile

import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
FLOAT8 = ["float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz"]


def raw(t):
    """The C-order bytes of any tensor (little-endian, as this machine stores them)."""
    return t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def name_of(dtype):
    return str(dtype).replace("torch.", "")


def expected(path, tensors):
    with open(path + ".expected", "w") as f:
        for name, t in tensors.items():
            shape = ",".join(str(s) for s in t.shape)
            f.write(f"{name}\t{name_of(t.dtype)}\t{shape}\t{raw(t).hex()}\n")


def values():
    sd = {}
    floats = torch.tensor([0.0, -0.0, 1.0, -1.5, 0.3, 1e-3, 3e-5, 240.0, 448.0, 57344.0, 1e6,
                           float("inf"), float("-inf"), float("nan")])
    for name in FLOAT8:
        sd[name] = floats.to(getattr(torch, name))
    sd["uint16"] = torch.tensor([0, 1, 255, 256, 32768, 65535], dtype=torch.int64).to(torch.uint16)
    sd["uint32"] = torch.tensor([0, 1, 65536, 2**31, 2**32 - 1], dtype=torch.int64).to(torch.uint32)
    sd["uint64"] = torch.tensor([0, 1, 2**32, 2**62, -1, -2**63 + 5], dtype=torch.int64).view(torch.uint64)
    sd["complex32"] = torch.tensor([1 + 2j, -0.5 - 0.25j, 3j], dtype=torch.complex64).to(torch.complex32)
    sd["complex64"] = torch.tensor([[1 + 2j, -0.5 - 0.25j], [3j, 7]], dtype=torch.complex64)
    sd["complex128"] = torch.tensor([1 + 2j, -1e-300 + 1e300j], dtype=torch.complex128)
    sd["bool"] = torch.tensor([True, False, True])
    sd["bfloat16"] = torch.tensor([1.0, -2.5, 3e38], dtype=torch.bfloat16)
    sd["float16"] = torch.tensor([1.0, -2.5, 65504.0], dtype=torch.float16)
    sd["int64"] = torch.tensor([-(2**62), 3], dtype=torch.int64)
    sd["view.uint16"] = torch.arange(12, dtype=torch.int32).to(torch.uint16).reshape(3, 4)[1:, ::2]
    sd["view.float8"] = torch.linspace(-2, 2, 8).to(torch.float8_e4m3fn)[3:]
    return sd


def swap_width(dtype):
    size = torch.empty(0, dtype=dtype).element_size()
    return size // 2 if dtype.is_complex else size


def big_endian_copy(src, dst, sd):
    """Re-zips src with every data/ record byte-swapped per element and byteorder 'big'."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        prefix = zin.namelist()[0].split("/")[0] + "/"
        # Storage keys are handed out in the order tensors are pickled: record i belongs to tensor i's storage,
        # except where storages are shared (none are in this fixture but the views, which come last).
        order = []
        seen = set()
        for t in sd.values():
            p = t.untyped_storage().data_ptr()
            if p not in seen:
                seen.add(p)
                order.append(swap_width(t.dtype))
        for info in zin.infolist():
            data = zin.read(info.filename)
            rel = info.filename[len(prefix):]
            if rel == "byteorder":
                data = b"big"
            elif rel.startswith("data/"):
                w = order[int(rel[len("data/"):])]
                data = b"".join(data[i:i + w][::-1] for i in range(0, len(data), w))
            zout.writestr(info.filename.replace(prefix, "new_dtypes_bigendian/", 1), data)


def write_safetensors(path, tensors):
    names = {torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2", torch.uint16: "U16",
             torch.uint32: "U32", torch.uint64: "U64"}
    header, body = {}, b""
    for name, t in tensors.items():
        b = raw(t)
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [len(body), len(body) + len(b)]}
        body += b
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + body)


def bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def float8_reference(path):
    """Lines: 'decode DTYPE BYTE FLOAT32BITS', 'encode DTYPE FLOAT32BITS BYTE', 'mean DTYPE B1,B2[,B3] BYTE'."""
    inputs = [0.0, -0.0, 1.0, -1.0, 0.1, 1 / 3, 1e-3, 1e-4, 3e-5, 1e-6, 1e-8, 1e-10, 2.0**-9, 2.0**-10, 2.0**-17,
              2.0**-16, 2.0**-18, 1.0625, 1.125, 1.1875, 1.0 + 2.0**-4, 1.0 + 3 * 2.0**-4, 1.125 + 2.0**-4, 240.0,
              244.0, 247.9, 248.0, 250.0, 255.0, 256.0, 448.0, 456.0, 464.0, 465.0, 479.0, 480.0, 500.0, 512.0,
              57344.0, 60000.0, 61439.0, 61440.0, 61441.0, 65535.0, 65536.0, 1e6, 3.4e38, float("inf"),
              float("-inf"), float("nan")]
    inputs += [-x for x in inputs[2:-3]]
    gen = torch.Generator().manual_seed(7)
    randoms = torch.randn(400, generator=gen) * torch.pow(2.0, torch.randint(-20, 18, (400,), generator=gen).float())
    inputs += randoms.tolist()
    x = torch.tensor(inputs, dtype=torch.float32)
    with open(path, "w") as f:
        for name in FLOAT8:
            dt = getattr(torch, name)
            every = torch.arange(256, dtype=torch.int32).to(torch.uint8).view(dt)
            for b, v in zip(range(256), every.float().tolist()):
                f.write(f"decode\t{name}\t{b:02x}\t{bits(v):08x}\n")
            enc = x.to(dt).view(torch.uint8).tolist()
            for xi, e in zip(x.tolist(), enc):
                f.write(f"encode\t{name}\t{bits(xi):08x}\t{e:02x}\n")
            rows = torch.randint(0, 256, (3, 200), generator=gen).to(torch.uint8).view(dt)
            for k in range(200):
                for count in (2, 3):
                    r = rows[:count, k]
                    m = torch.stack([v.float() for v in r]).mean(0).to(dt).view(torch.uint8).item()
                    ins = ",".join(f"{v:02x}" for v in r.view(torch.uint8).tolist())
                    f.write(f"mean\t{name}\t{ins}\t{m:02x}\n")


sd = values()
zip_path = os.path.join(OUT, "new_dtypes_zip.pth")
torch.save(sd, zip_path)
expected(zip_path, sd)
be_path = os.path.join(OUT, "new_dtypes_bigendian.pth")
big_endian_copy(zip_path, be_path, sd)
expected(be_path, sd)
st = {k: sd[k] for k in ["float8_e4m3fn", "float8_e5m2", "uint16", "uint32", "uint64", "view.uint16"]}
st_path = os.path.join(OUT, "new_dtypes.safetensors")
write_safetensors(st_path, st)
expected(st_path, st)
float8_reference(os.path.join(OUT, "float8_reference.tsv"))
# What torch.load makes of the big-endian archive (it swaps typed storages by their dtype; untyped ones,
# read as uint8, it does not swap): printed, for the record.
back = torch.load(be_path)
for k, t in sd.items():
    if raw(back[k]) != raw(t):
        print(f"torch {torch.__version__} misreads big-endian {k} ({name_of(t.dtype)})")
