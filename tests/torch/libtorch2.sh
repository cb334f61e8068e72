#!/usr/bin/env bash
# torch_libtorch2: builds tests/torch/libtorch2_check.cpp against Debian 13's LibTorch 2.x (scripts/debian 13)
# and runs it on tests/data/io/torch2.6/new_dtypes_zip.pth: every PyTorch 2.x dtype maps to LibTorch and back.
#   libtorch2.sh SOURCE_DIR WORK_DIR
# Exit 77 (ctest: skipped, with the reason) only where that LibTorch cannot be reached: no Debian 13 root
# with libtorch-dev, not root (chroot), or WORK_DIR outside SOURCE_DIR (scripts/debian binds only the tree).
set -euo pipefail
src=$(cd "$1" && pwd) work=$2
root=${GRAFT_DEBIAN_CACHE:-/var/cache/graft}/debian13
skip() { echo "SKIP: $*"; exit 77; }
[[ -e $root/usr/include/torch/csrc/api/include/torch/version.h ]] ||
  skip "no Debian 13 root with LibTorch at $root (make it with scripts/debian 13 true)"
[[ $(id -u) -eq 0 ]] || skip "scripts/debian needs root"
mkdir -p "$work"
work=$(cd "$work" && pwd)
case "$work" in "$src"/*) ;; *) skip "$work is outside $src, which is all scripts/debian binds" ;; esac
in=/src/${work#"$src"/}
"$src"/scripts/debian 13 bash -c "set -e; cd '$in'
  g++ -std=c++17 -Wall -Wextra -Werror -I/src/include -I/usr/include/torch/csrc/api/include \
    /src/tests/torch/libtorch2_check.cpp -o libtorch2_check -ltorch -ltorch_cpu -lc10
  ./libtorch2_check /src/tests/data/io/torch2.6/new_dtypes_zip.pth"
