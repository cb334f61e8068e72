#!/usr/bin/env bash
# io_interop_torch2: graft reads tests/data/io/torch2.6 (PyTorch 2.6's files, the new dtypes and a big-endian
# archive among them) bit-exactly and writes each back as .pth and .safetensors; then Debian 13's PyTorch 2.6
# (scripts/debian 13) loads graft's files with torch.load's defaults (weights_only=True) and checks every
# tensor bit-exactly (check_interop.py).
#   interop_torch2.sh IO_INTEROP SOURCE_DIR WORK_DIR
# Exit 77 (ctest: skipped, with the reason) only where that PyTorch cannot be run: no Debian 13 root with
# python3-torch, not root (chroot), or WORK_DIR outside SOURCE_DIR (scripts/debian binds only the tree).
set -euo pipefail
interop=$1 src=$(cd "$2" && pwd) work=$3
root=${GRAFT_DEBIAN_CACHE:-/var/cache/graft}/debian13
skip() { echo "SKIP: $*"; exit 77; }
[[ -x $root/usr/bin/python3 && -d $root/usr/lib/python3/dist-packages/torch ]] ||
  skip "no Debian 13 root with PyTorch 2.x at $root (make it with scripts/debian 13 true)"
[[ $(id -u) -eq 0 ]] || skip "scripts/debian needs root"
mkdir -p "$work"
work=$(cd "$work" && pwd)
case "$work" in "$src"/*) ;; *) skip "$work is outside $src, which is all scripts/debian binds" ;; esac
rm -rf "$work"
mkdir -p "$work"
cp "$src"/tests/data/io/torch2.6/*.{pth,pt,safetensors,expected} "$work"/
"$interop" "$work"
"$src"/scripts/debian 13 python3 /src/tests/io/check_interop.py "/src/${work#"$src"/}"
