#!/usr/bin/env bash
# End-to-end tests of the graft command-line tool: exit codes, messages, outputs.
#   cli_test.sh GRAFT_BINARY SOURCE_DIR GRAFT_DEMO_BINARY
set -u
graft=$1
src=$2
demo=$3
rules=$src/rules
data=$src/tests/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# run EXPECTED_EXIT NAME -- ARGS...   (stdout+stderr in $tmp/out)
run() {
  local want=$1 name=$2
  shift 3
  "$graft" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  cat "$tmp/err" >>"$tmp/out"
  if [[ $got -ne $want ]]; then
    echo "FAIL: $name: exit $got, expected $want"; sed 's/^/    /' "$tmp/out" | head -20
    failed=$((failed + 1)); return 1
  fi
  passed=$((passed + 1))
}
# contains NAME TEXT: the last run's output contains TEXT
contains() {
  if grep -qF -- "$2" "$tmp/out"; then passed=$((passed + 1)); else
    echo "FAIL: $1: output lacks: $2"; sed 's/^/    /' "$tmp/out" | head -20; failed=$((failed + 1)); fi
}

M=$data/manifests
# check
for f in $(find "$rules" -name '*.graft' | sort); do
  target=$f
  # A library file that names a label set its user declares says so ("# graft-needs: labels NAME"):
  # it is checked as used by a file that declares a stand-in set of that name.
  if needs=$(sed -n 's/^# graft-needs: labels \([A-Za-z_][A-Za-z0-9_]*\)$/\1/p' "$f") && [[ -n $needs ]]; then
    target=$tmp/needs_$needs.graft
    printf 'labels %s = [tench]\nuse "%s"\n' "$needs" "$(realpath "$f")" > "$target"
  fi
  run 0 "check $f" -- check "$target" && contains "check $f" ": ok: "
done
run 2 "check malformed" -- check "$data/malformed/missing_arrow.graft"
contains "malformed message" "missing_arrow.graft:1:22: expected '->', saw \"\$1\""
contains "malformed caret" "                     ^"
run 2 "check missing file" -- check "$tmp/nope.graft"
contains "missing file" "no such rules file"
run 2 "check misspelled use" -- check "$src/tests/golden/mistakes/misspelled_use.graft"
contains "misspelled use" 'misspelled_use.graft:3:5: cannot find "joints/cocco.graft" (did you mean "joints/coco.graft"?)'
run 2 "check without files" -- check
run 2 "unknown command" -- frobnicate
run 0 "help" -- --help
run 0 "version" -- --version

# plan
run 0 "plan higherhrnet" -- plan "$rules/pose/higherhrnet_coco_to_crowdpose.graft" --from "$M/higherhrnet_w32_512_coco.tsv" --onto "$M/higherhrnet_w32_512_crowdpose.tsv"
contains "plan report" "plan ok (0 errors, 0 warnings)"
contains "plan mapped" "final_layers.0.weight"
run 0 "plan json" -- plan "$rules/pose/dekr_coco_to_crowdpose.graft" --from "$M/dekr_w32_coco.tsv" --onto "$M/dekr_w32_crowdpose.tsv" --json
contains "json schema" '"schema":"graft-plan/1"'
contains "json ok" '"ok":true'
run 1 "plan strict failure" -- plan "$rules/pose/higherhrnet_coco_to_crowdpose.graft" --from "$M/dekr_w32_coco.tsv" --onto "$M/dekr_w32_crowdpose.tsv"
contains "strict failure" "plan FAILED"
run 1 "plan conflicts stay errors with --lenient" -- plan "$rules/pose/higherhrnet_coco_to_crowdpose.graft" --from "$M/dekr_w32_coco.tsv" --onto "$M/dekr_w32_crowdpose.tsv" --lenient
contains "lenient conflict" "conflict on 'head_heatmap.1.weight'"
printf 'exclude "l1.weight"  # the rescore MLP input depends on the joint and link counts\n' >"$tmp/empty.graft"
run 0 "plan lenient" -- plan "$tmp/empty.graft" --from "$M/dekr_rescore_coco.tsv" --onto "$M/dekr_rescore_crowdpose.tsv" --lenient
contains "lenient warning" "warning: destination tensor 'l1.weight' [256, 59] float32 gets no source"
run 1 "plan strict" -- plan "$tmp/empty.graft" --from "$M/dekr_rescore_coco.tsv" --onto "$M/dekr_rescore_crowdpose.tsv"
contains "strict error" "error: destination tensor 'l1.weight' [256, 59] float32 gets no source (keep it, or plan with --lenient)"
printf 'exclude "nothing"\n' >"$tmp/unused_rule.graft"
run 0 "unused rule warns" -- plan "$tmp/unused_rule.graft" --from "$M/higherhrnet_w32_512_crowdpose.tsv" --onto "$M/higherhrnet_w32_512_crowdpose.tsv"
contains "unused rule" 'warning: '"$tmp"'/unused_rule.graft:1:9: exclude "nothing" matches no tensor'
run 1 "unused rule with --strict-rules" -- plan "$tmp/unused_rule.graft" --from "$M/higherhrnet_w32_512_crowdpose.tsv" --onto "$M/higherhrnet_w32_512_crowdpose.tsv" --strict-rules
run 2 "plan missing source" -- plan "$rules/pose/higherhrnet_coco_to_crowdpose.graft" --from "$tmp/nope.tsv" --onto "$M/higherhrnet_w32_512_crowdpose.tsv"
printf 'a\tfloat33\t1\tparam\n' >"$tmp/bad.tsv"
run 2 "plan bad manifest" -- plan "$rules/pose/higherhrnet_coco_to_crowdpose.graft" --from "$tmp/bad.tsv" --onto "$M/higherhrnet_w32_512_crowdpose.tsv"
contains "bad manifest" "bad.tsv:1: unknown dtype 'float33' for 'a'"
run 2 "plan malformed rules" -- plan "$data/malformed/unknown_joint.graft" --from "$M/higherhrnet_w32_512_coco.tsv" --onto "$M/higherhrnet_w32_512_crowdpose.tsv"
run 2 "plan without --onto" -- plan "$rules/pose/higherhrnet_coco_to_crowdpose.graft" --from "$M/higherhrnet_w32_512_coco.tsv"

# explain
run 0 "explain mapped" -- explain "$rules/pose/dekr_coco_to_crowdpose.graft" --from "$M/dekr_w32_coco.tsv" --onto "$M/dekr_w32_crowdpose.tsv" head_heatmap.1.weight
contains "explain reshape" 'reshape "head_heatmap.1.{weight,bias}"'
contains "explain rows" "source rows:      [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]"
contains "explain kept" "kept (destination) rows: [12, 13]"
run 0 "explain renamed" -- explain "$rules/pose/dekr_coco_to_crowdpose.graft" --from "$M/dekr_w32_coco.tsv" --onto "$M/dekr_w32_crowdpose.tsv" offset_final_layer.5.weight
contains "explain rename" "'offset_final_layer.5.weight' -> 'offset_final_layer.0.weight'"
contains "explain strip" 'strip "module." ('
run 0 "explain dropped" -- explain "$rules/pose/dekr_coco_to_crowdpose.graft" --from "$M/dekr_w32_coco.tsv" --onto "$M/dekr_w32_crowdpose.tsv" offset_final_layer.0.bias
contains "explain drop" "joint 'nose' of coco has no counterpart in crowdpose"
run 2 "explain unknown name" -- explain "$rules/pose/dekr_coco_to_crowdpose.graft" --from "$M/dekr_w32_coco.tsv" --onto "$M/dekr_w32_crowdpose.tsv" head_heatmap.1.weigth
contains "explain did you mean" "did you mean 'head_heatmap.1.weight'?"

# inspect and apply, on small real checkpoints (the DEKR rescoring MLP's shapes)
"$demo" make "$M/dekr_rescore_coco.tsv" "$tmp/coco.pth" 1 >/dev/null
"$demo" make "$M/dekr_rescore_crowdpose.tsv" "$tmp/crowd.pth" 2 >/dev/null
run 0 "inspect pth" -- inspect "$tmp/coco.pth"
contains "inspect format" "format:     pth-zip"
contains "inspect tensors" "l1.weight  [256, 74]"
run 0 "inspect json" -- inspect "$tmp/coco.pth" --json
contains "inspect json" '"tensor_count":6'
run 0 "inspect manifest" -- inspect "$M/dekr_w32_coco.tsv"
contains "inspect folded" "1716  float32 1430, int64 286  21 shapes from [] to [256, 256, 3, 3]"

# inspect on a flat state dict of many tensors: a bounded top-level line, folding, --all, --manifest
for i in $(seq 0 59); do printf 'layer%s.weight\tfloat32\t2,3\tparam\nlayer%s.count\tint64\t\tbuffer\n' "$i" "$i"; done >"$tmp/flat.tsv"
"$demo" make "$tmp/flat.tsv" "$tmp/flat.pth" 1 >/dev/null
run 0 "inspect flat" -- inspect "$tmp/flat.pth"
contains "inspect flat top level" "top level:  120 keys, the state dict itself: layer0.weight, layer0.count, layer1.weight, layer1.count, layer2.weight, ... and 115 more"
contains "inspect flat folded" "layer{0..59}.*  120  float32 60, int64 60  60 x [2, 3], 60 x []"
if (($(wc -L <"$tmp/out") <= 200)); then passed=$((passed + 1)); else
  echo "FAIL: inspect flat: a line of $(wc -L <"$tmp/out") characters"; failed=$((failed + 1)); fi
run 0 "inspect all" -- inspect "$tmp/flat.pth" --all
contains "inspect all scalar" "layer59.count   []      int64"
if (($(grep -c '^  layer' "$tmp/out") == 120)); then passed=$((passed + 1)); else
  echo "FAIL: inspect --all: $(grep -c '^  layer' "$tmp/out") tensor lines, expected 120"; failed=$((failed + 1)); fi
run 0 "inspect manifest out" -- inspect "$tmp/flat.pth" --manifest "$tmp/flat_out.tsv"
contains "inspect manifest wrote" "wrote $tmp/flat_out.tsv: 120 tensors"
if diff <(cut -f1-3 "$tmp/flat.tsv") <(grep -v '^#' "$tmp/flat_out.tsv") >/dev/null; then passed=$((passed + 1)); else
  echo "FAIL: inspect --manifest: the manifest differs from the one the checkpoint was made from"; failed=$((failed + 1)); fi
run 0 "inspect manifest of a manifest" -- inspect "$tmp/flat.tsv" --manifest - --key ignored
if diff "$tmp/flat.tsv" <(grep -v '^#' "$tmp/out") >/dev/null; then passed=$((passed + 1)); else
  echo "FAIL: inspect --manifest -: roles or lines lost"; failed=$((failed + 1)); fi
before=$(sha256sum "$tmp/flat.tsv" "$tmp/flat.pth")
run 2 "inspect manifest over its input" -- inspect "$tmp/flat.tsv" --manifest "$tmp/flat.tsv"
contains "inspect manifest refused" "is an input ($tmp/flat.tsv): refusing to overwrite it"
ln -s "$tmp/flat.tsv" "$tmp/link.tsv"
run 2 "inspect manifest over its input, linked" -- inspect "$tmp/flat.tsv" --manifest "$tmp/link.tsv"
run 2 "inspect manifest not .tsv" -- inspect "$tmp/flat.pth" --manifest "$tmp/flat.pth"
contains "inspect manifest extension" "--manifest must end in .tsv"
run 2 "inspect manifest missing folder" -- inspect "$tmp/flat.pth" --manifest "$tmp/nope/out.tsv"
run 2 "inspect manifest - with --json" -- inspect "$tmp/flat.pth" --manifest - --json
if [[ "$(sha256sum "$tmp/flat.tsv" "$tmp/flat.pth")" == "$before" ]]; then passed=$((passed + 1)); else
  echo "FAIL: inspect --manifest changed an input"; failed=$((failed + 1)); fi
run 2 "inspect missing" -- inspect "$tmp/nope.pth"
printf 'garbage' >"$tmp/garbage.pth"
run 2 "inspect garbage" -- inspect "$tmp/garbage.pth"

printf 'exclude "l1.weight"  # depends on the joint and link counts\nkeep "l1.weight"\n' >"$tmp/rescore.graft"
before=$(sha256sum "$tmp/coco.pth" "$tmp/crowd.pth")
run 0 "apply pth" -- apply "$tmp/rescore.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$tmp/out.pth"
contains "apply wrote" "wrote $tmp/out.pth: 6 tensors"
"$graft" apply "$tmp/rescore.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$tmp/json_out.pth" --json >"$tmp/plan.json" 2>/dev/null
if python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["ok"]' "$tmp/plan.json"; then
  passed=$((passed + 1)); else echo "FAIL: apply --json does not print pure JSON on stdout"; failed=$((failed + 1)); fi
run 0 "apply safetensors" -- apply "$tmp/rescore.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$tmp/out.safetensors"
run 0 "inspect safetensors" -- inspect "$tmp/out.safetensors"
contains "safetensors format" "format:     safetensors"
# PyTorch 2.x dtypes: written as 2.x writes them, and the report says so; safetensors lacks complex
N=$data/io/torch2.6/new_dtypes_zip.pth
: >"$tmp/same.graft"
run 0 "apply PyTorch 2.x dtypes" -- apply "$tmp/same.graft" --from "$N" --onto "$N" --out "$tmp/new.pth"
contains "v3 note" "note: 2 tensors (first 'uint16') are uint16, written as PyTorch 2.x writes it (torch._utils._rebuild_tensor_v3): loads in PyTorch >= 2.3, not in 1.x"
contains "float8 note" "note: 2 tensors (first 'float8_e4m3fn') are float8_e4m3fn"
run 2 "apply a dtype safetensors lacks" -- apply "$tmp/same.graft" --from "$N" --onto "$N" --out "$tmp/new.safetensors"
contains "names file and tensor" "$tmp/new.safetensors: tensor 'float8_e4m3fnuz' is float8_e4m3fnuz, which safetensors has no dtype for"
run 1 "apply failing plan" -- apply "$tmp/empty.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$tmp/fail.pth"
if [[ -e "$tmp/fail.pth" ]]; then echo "FAIL: a failed apply left its output"; failed=$((failed + 1)); else passed=$((passed + 1)); fi
run 2 "apply onto an input" -- apply "$tmp/rescore.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$tmp/coco.pth"
contains "refuses input" "refusing to overwrite it"
ln -s "$tmp/crowd.pth" "$tmp/link.pth"
run 2 "apply onto an input through a link" -- apply "$tmp/rescore.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$tmp/link.pth"
run 2 "apply bad extension" -- apply "$tmp/rescore.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$tmp/out.bin"
run 2 "apply manifest" -- apply "$tmp/rescore.graft" --from "$M/dekr_rescore_coco.tsv" --onto "$tmp/crowd.pth" --out "$tmp/x.pth"
run 2 "apply bad device" -- apply "$tmp/rescore.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$tmp/y.pth" --device tpu
# --device cuda: `graft` (no LibTorch) hands the command to the graft-torch beside it, which needs a CUDA
# LibTorch build and a GPU; without them the refusal comes from graft-torch and names the reason.
"$graft" apply "$tmp/rescore.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$tmp/cuda.pth" \
  --device cuda >"$tmp/out" 2>&1
got=$?
if [[ $got -eq 0 ]] && grep -qF "wrote $tmp/cuda.pth" "$tmp/out"; then passed=$((passed + 1))
elif [[ $got -eq 2 ]] && grep -qF "this LibTorch build has no CUDA" "$tmp/out" && ! grep -qF "plan ok" "$tmp/out"; then
  passed=$((passed + 1))  # refused before reading or planning anything
elif [[ $got -eq 2 ]] && grep -qF "graft-torch (the graft CLI built with LibTorch) is not installed" "$tmp/out" &&
  ! grep -qF "plan ok" "$tmp/out" && [[ ! -e "$(dirname "$graft")/graft-torch" ]]; then
  passed=$((passed + 1))  # a build without LibTorch: no graft-torch beside graft
else echo "FAIL: apply --device cuda: exit $got"; sed 's/^/    /' "$tmp/out" | head; failed=$((failed + 1)); fi
if [[ $("$graft" --version) != *LibTorch* ]]; then
  mkdir -p "$tmp/alone" && cp "$graft" "$tmp/alone/graft"
  graft_saved=$graft graft=$tmp/alone/graft
  run 2 "apply --device cuda without graft-torch" -- apply "$tmp/rescore.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$tmp/z.pth" --device cuda:1
  contains "names the missing helper" "--device cuda:1 needs LibTorch: $tmp/alone/graft-torch (the graft CLI built with LibTorch) is not installed"
  graft=$graft_saved
fi
after=$(sha256sum "$tmp/coco.pth" "$tmp/crowd.pth")
if [[ "$before" == "$after" ]]; then passed=$((passed + 1)); else echo "FAIL: inputs changed"; failed=$((failed + 1)); fi
if ls -a "$tmp" | grep -q '\.tmp-'; then echo "FAIL: temporary files left behind"; failed=$((failed + 1)); else passed=$((passed + 1)); fi
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 - "$tmp/out.pth" "$tmp/coco.pth" "$tmp/crowd.pth" <<'PY' && passed=$((passed + 1)) || { echo "FAIL: python check"; failed=$((failed + 1)); }
import sys, torch
out, src, dst = (torch.load(p) for p in sys.argv[1:])
assert list(out.keys()) == list(dst.keys())
assert torch.equal(out["l1.weight"], dst["l1.weight"])
for k in ("l1.bias", "l2.weight", "l3.bias"):
    assert torch.equal(out[k], src[k]), k
model = torch.nn.Sequential()
model.l1, model.l2, model.l3 = torch.nn.Linear(59, 256), torch.nn.Linear(256, 256), torch.nn.Linear(256, 1)
model.load_state_dict(out, strict=True)
PY
fi

echo "cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
