#!/usr/bin/python3
"""Writes new_dtypes_zip.pth: one tensor of each dtype that only PyTorch 2.x saves (run with 2.x).

usage: make_new_dtypes.py [OUT_DIR]
"""
import os
import sys

import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
names = ["uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
         "complex64", "complex128"]
sd = {name: torch.zeros(3, dtype=getattr(torch, name)) for name in names if hasattr(torch, name)}
torch.save(sd, os.path.join(OUT, "new_dtypes_zip.pth"))
