#!/usr/bin/env bash
# The Python workflow: training code in Python, the conversion in it with `import graft` (or once,
# with the graft CLI).
#   run.sh [GRAFT_BINARY [PYTHON_PACKAGE_DIR]]   (exits 77, "skipped", where Debian's python3-torch is
#   missing; PYTHON_PACKAGE_DIR: the folder holding the graft package, e.g. build/python)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
graft=${1:-graft}
if [[ -n "${2:-}" ]]; then export PYTHONPATH=$2${PYTHONPATH:+:$PYTHONPATH}; fi
python=/usr/bin/python3
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "python3-torch is not installed: skipping"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$here"
"$python" model.py coco "$work/coco.pth"      # 1. what you downloaded (nested, module.-prefixed, pre-1.6)
"$python" train.py "$work/coco.pth"           # 2. convert in the training script and train
# The same with the CLI: a template of the new model, one conversion, then train from the file.
"$python" model.py init "$work/crowdpose_init.pth"
"$graft" inspect "$work/coco.pth"
"$graft" apply rules.graft --from "$work/coco.pth" --onto "$work/crowdpose_init.pth" \
  --out "$work/crowdpose_from_coco.pth"
"$python" train.py "$work/coco.pth" "$work/crowdpose_from_coco.pth"
