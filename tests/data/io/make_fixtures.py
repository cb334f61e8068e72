#!/usr/bin/python3
"""Writes graft's checkpoint I/O fixtures with PyTorch (Debian python3-torch 1.13; run /usr/bin/python3).

For every fixture X it writes X and X.expected: one line per tensor graft should find,
"name<TAB>dtype<TAB>shape<TAB>hex of the C-order bytes". The committed copies live in
tests/data/io/; the interop tests run this again at test time into the build folder.

usage: make_fixtures.py [OUT_DIR]
"""
import collections
import os
import struct
import sys
import json

import numpy
import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
os.makedirs(OUT, exist_ok=True)

DTYPES = [torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int8, torch.int16,
          torch.int32, torch.int64, torch.uint8, torch.bool]
NAMES = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16",
         torch.float64: "float64", torch.int8: "int8", torch.int16: "int16", torch.int32: "int32",
         torch.int64: "int64", torch.uint8: "uint8", torch.bool: "bool"}


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def expected(path, tensors):
    with open(path + ".expected", "w") as f:
        for name, t in tensors.items():
            shape = ",".join(str(s) for s in t.shape)
            f.write(f"{name}\t{NAMES[t.dtype]}\t{shape}\t{tensor_bytes(t).hex()}\n")


def values(dtype, n, seed):
    x = torch.arange(n, dtype=torch.float64) * 0.75 - seed
    if dtype == torch.bool:
        return (torch.arange(n) % 3 == seed % 3)
    if dtype == torch.uint8:
        return (torch.arange(n) * 7 + seed).remainder(256).to(torch.uint8)
    if not dtype.is_floating_point:
        return (x * 3).round().to(dtype)
    return x.to(dtype)


def all_kinds():
    sd = collections.OrderedDict()
    for i, dt in enumerate(DTYPES):
        sd[f"t.{NAMES[dt]}"] = values(dt, 6, i).reshape(2, 3)
    base = torch.arange(24, dtype=torch.float32)
    sd["view.offset"] = base[5:11]                       # storage offset 5
    sd["view.transposed"] = base[:12].reshape(3, 4).t()  # non-contiguous strides
    sd["view.strided"] = base.reshape(4, 6)[:, ::2]      # stride 2, shares storage
    sd["view.whole"] = base                              # shares storage with the views
    pair = torch.tensor([1.5, -2.0])
    sd["view.expanded"] = pair.expand(3, 2)              # stride 0: 6 elements over a storage of 2
    sd["view.expanded_again"] = pair[1:].expand(2, 2, 2)  # another expanded view of that storage, offset 1
    sd["scalar"] = torch.tensor(3.5, dtype=torch.float64)
    sd["empty"] = torch.zeros(0, 4)
    sd["conv.weight"] = torch.linspace(-1, 1, 2 * 3 * 2 * 2).reshape(2, 3, 2, 2)
    return sd


def save_both(name, obj, tensors):
    for suffix, zipped in (("zip", True), ("legacy", False)):
        p = os.path.join(OUT, f"{name}_{suffix}.pth")
        torch.save(obj, p, _use_new_zipfile_serialization=zipped)
        expected(p, tensors)


# 1. a plain state dict with every dtype, views, shared storage, 0-d and empty tensors
sd = all_kinds()
save_both("all_kinds", sd, sd)

# 2. a real module's state_dict() (OrderedDict with _metadata, buffers, num_batches_tracked)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 1), torch.nn.BatchNorm2d(3), torch.nn.Linear(3, 2))
msd = model.state_dict()
save_both("module", msd, msd)

# 3. a training checkpoint wrapping the weights, with parameters, optimizer state and python values
wrapped = {
    "epoch": 7,
    "best_acc": 0.625,
    "arch": "pose_hrnet",
    "big": 2 ** 70,
    "neg": -123456789012,
    "flags": [True, False, None],
    "blob": b"\x00\x01\xff",
    "perf": numpy.float64(0.71),
    "state_dict": collections.OrderedDict(
        ("module." + k, v) for k, v in msd.items()),
    "optimizer": {"state": {}, "param_groups": [{"lr": 0.1, "params": [0, 1, 2]}]},
}
save_both("wrapped", wrapped, collections.OrderedDict(("module." + k, v) for k, v in msd.items()))

# 4. nn.Parameter values (pickled through torch._utils._rebuild_parameter)
params = collections.OrderedDict(w=torch.nn.Parameter(torch.arange(4.0)), b=torch.nn.Parameter(torch.ones(2)))
save_both("params", params, params)

# 5. nested: the weights are under "ema.state_dict"
nested = {"meta": {"v": 1}, "ema": {"state_dict": collections.OrderedDict(a=torch.ones(2, dtype=torch.float16))}}
save_both("nested", nested, nested["ema"]["state_dict"])

# 6. TorchScript archive
scripted = torch.jit.script(model)
p = os.path.join(OUT, "module_script.pt")
scripted.save(p)
expected(p, scripted.state_dict())

# 7. safetensors, written by hand per the format spec
SAFE = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
        torch.int8: "I8", torch.int16: "I16", torch.int32: "I32", torch.int64: "I64", torch.uint8: "U8",
        torch.bool: "BOOL"}


def write_safetensors(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = tensor_bytes(t)
        header[name] = {"dtype": SAFE[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


safe = collections.OrderedDict((k, v) for k, v in sd.items() if not k.startswith("view."))
safe["view.transposed"] = sd["view.transposed"].contiguous()
p = os.path.join(OUT, "all_kinds.safetensors")
write_safetensors(p, safe, {"format": "pt", "note": "quote \" and \\u00e9 \u00e9"})
expected(p, safe)

# 8. a zip with a deflated entry (graft must refuse it)
import zipfile
with zipfile.ZipFile(os.path.join(OUT, "compressed.zip"), "w", compression=zipfile.ZIP_DEFLATED) as z:
    z.writestr("archive/data.pkl", b"x" * 100)

# 9. a whole pickled nn.Module (its class is a global graft must refuse, not import)
class TinyNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(1, 1)


torch.save(TinyNet(), os.path.join(OUT, "whole_module.pth"))

# 10. TorchScript with two classes in one source file and a user class (roles come from the source)
class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.full((2,), 0.5))
        self.register_buffer("shift", torch.arange(2.0))

    def forward(self, x):
        return x * self.scale + self.shift


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = torch.nn.Parameter(torch.ones(1))
        self.register_buffer("steps", torch.zeros(1, dtype=torch.int32))

    def forward(self, x):
        return self.block(x) * self.head


scripted = torch.jit.script(Net())
p = os.path.join(OUT, "user_script.pt")
scripted.save(p)
expected(p, scripted.state_dict())
