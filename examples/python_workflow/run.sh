#!/usr/bin/env bash
# The Python workflow: train code in Python, conversion once with the graft CLI.
#   run.sh [GRAFT_BINARY]     (exits 77, "skipped", where Debian's python3-torch is missing)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
graft=${1:-graft}
python=/usr/bin/python3
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "python3-torch is not installed: skipping"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$here"
"$python" model.py coco "$work/coco.pth"             # 1. what you downloaded (nested, module.-prefixed, pre-1.6)
"$python" model.py init "$work/crowdpose_init.pth"   # 2. your new model, freshly initialised
"$graft" inspect "$work/coco.pth"
"$graft" apply rules.graft --from "$work/coco.pth" --onto "$work/crowdpose_init.pth" \
  --out "$work/crowdpose_from_coco.pth"               # 3. convert once
"$python" train.py "$work/crowdpose_from_coco.pth" "$work/coco.pth"   # 4. train as usual
