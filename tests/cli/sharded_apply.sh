#!/usr/bin/env bash
# `graft apply` to sharded safetensors (--out NAME.safetensors.index.json): --max-shard-size, one run
# per worker (--shard K/N) or per shard (--only-shard FILE) byte-identical to a whole run, the index only
# from the run that completes the shards, and PyTorch's launcher spreading the work:
# `torchrun --no_python --nproc_per_node 2`, each rank writing its shards (skipped, saying so, where
# /usr/bin/torchrun is missing). A HigherHRNet-W4 model (benchmarks/scale_manifest), ~3 MB.
#   sharded_apply.sh GRAFT_BINARY SOURCE_DIR MAKE_CHECKPOINT_BINARY
set -u
graft=$1 src=$2 make=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log=$tmp/out
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
same_tree() { if diff -r "$2" "$3" >"$tmp/diff" 2>&1; then ok; else fail "$1: $2 and $3 differ"; head -5 "$tmp/diff"; fi; }

M=$src/tests/data/manifests
"$src/benchmarks/scale_manifest" "$M/higherhrnet_w32_512_coco.tsv" 4 >"$tmp/coco.tsv"
"$src/benchmarks/scale_manifest" "$M/higherhrnet_w32_512_crowdpose.tsv" 4 >"$tmp/crowdpose.tsv"
"$make" make "$tmp/coco.tsv" "$tmp/coco.pth" 1 >/dev/null
"$make" make "$tmp/crowdpose.tsv" "$tmp/crowdpose.pth" 2 >/dev/null
rules=$src/rules/pose/higherhrnet_coco_to_crowdpose.graft
apply=(apply "$rules" --from "$tmp/coco.pth" --onto "$tmp/crowdpose.pth")
mkdir -p "$tmp/whole" "$tmp/split" "$tmp/one" "$tmp/ranks"

# A whole run: shards of at most 256 KB and the index.
run 0 "whole run" "${apply[@]}" --out "$tmp/whole/model.safetensors.index.json" --max-shard-size 256KB
contains "whole run" "shards and the index $tmp/whole/model.safetensors.index.json: 1810 tensors"
shards=$(ls "$tmp/whole" | grep -c '^model-.*-of-.*\.safetensors$')
if ((shards >= 8)); then ok; else fail "whole run: only $shards shards"; fi
run 0 "inspect the index" inspect "$tmp/whole/model.safetensors.index.json"
contains "inspect the index" "safetensors-sharded"
# Its tensors are those of a single-file run: both read back through graft, written by one rules file.
empty=$tmp/identity.graft
echo "# every name onto itself" >"$empty"
run 0 "single file" "${apply[@]}" --out "$tmp/single.safetensors"
run 0 "single, rewritten" apply "$empty" --from "$tmp/single.safetensors" --onto "$tmp/single.safetensors" --out "$tmp/a.safetensors"
run 0 "sharded, rewritten" apply "$empty" --from "$tmp/whole/model.safetensors.index.json" --onto "$tmp/single.safetensors" --out "$tmp/b.safetensors"
if cmp -s "$tmp/a.safetensors" "$tmp/b.safetensors"; then ok; else fail "the sharded output's tensors differ from the single file's"; fi

# Worker 2 of 2 first: its shards, no index; then worker 1: the rest and the index. Same bytes.
run 0 "worker 2 of 2" "${apply[@]}" --out "$tmp/split/model.safetensors.index.json" --max-shard-size 256KB --shard 2/2
contains "worker 2 of 2" "the index $tmp/split/model.safetensors.index.json is written by the run that completes them"
if [[ ! -e $tmp/split/model.safetensors.index.json ]]; then ok; else fail "worker 2 of 2 wrote the index"; fi
run 0 "worker 1 of 2" "${apply[@]}" --out "$tmp/split/model.safetensors.index.json" --max-shard-size 256KB --shard 1/2
contains "worker 1 of 2" "and the index"
same_tree "two workers" "$tmp/whole" "$tmp/split"

# One shard by name.
third=$(ls "$tmp/whole" | grep '^model-00003-of-')
run 0 "one shard" "${apply[@]}" --out "$tmp/one/model.safetensors.index.json" --max-shard-size 256KB --only-shard "$third"
if [[ $(ls "$tmp/one") == "$third" ]] && cmp -s "$tmp/one/$third" "$tmp/whole/$third"; then ok; else fail "--only-shard: $(ls "$tmp/one")"; fi

# Refusals: exit 2, the cause named, nothing written.
mkdir -p "$tmp/bad"
refuse() {  # refuse OPTIONS MESSAGE
  # shellcheck disable=SC2086
  run 2 "refused: $1" "${apply[@]}" --out "$tmp/bad/model.safetensors.index.json" $1
  contains "refused: $1" "$2"
}
refuse "--shard 0/2" "--shard must be K/N with 1 <= K <= N"
refuse "--shard 3/2" "--shard must be K/N with 1 <= K <= N"
refuse "--shard two" "--shard must be K/N"
refuse "--max-shard-size 5XB" "--max-shard-size must be a number of bytes"
refuse "--max-shard-size 0" "more than 0 bytes"
refuse "--only-shard model-00099-of-00099.safetensors" "no shard 'model-00099-of-00099.safetensors' in this layout"
refuse "--shard 1/2 --only-shard $third" "--shard and --only-shard cannot be combined"
# shellcheck disable=SC2086
for bad in "--shard 1/2" "--max-shard-size 1GB" "--only-shard $third"; do
  run 2 "needs a sharded out: $bad" "${apply[@]}" --out "$tmp/bad/x.safetensors" $bad
  contains "needs a sharded out: $bad" "need a sharded --out"
done
if [[ -z $(ls "$tmp/bad") ]]; then ok; else fail "a refused run wrote $(ls "$tmp/bad")"; fi

# torchrun --no_python: two ranks, each converting its shards (RANK, WORLD_SIZE from the launcher).
if [[ -x /usr/bin/torchrun ]]; then
  # --redirects 1 --tee 1: Debian 12's torchrun (PyTorch 1.13 on Python 3.11) cannot parse the defaults,
  # "0" (Std.from_str iterates an IntFlag, which skips its 0 member on Python 3.11).
  # The rendezvous goes through a FileStore in $tmp, not --standalone's TCPStore: Debian 13's PyTorch
  # 2.6 is built without libuv, which its rendezvous TCPStore asks for whatever USE_LIBUV says, and a
  # file needs no network. TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1 stops 2.6 from starting a TCPStore for
  # the workers (--no_python workers never use one); USE_LIBUV=0 covers any other store it makes.
  mkdir -p "$tmp/rendezvous"
  OMP_NUM_THREADS=1 TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1 USE_LIBUV=0 \
    /usr/bin/torchrun --nnodes 1 --nproc_per_node 2 --rdzv_backend c10d --rdzv_id graft \
    --rdzv_endpoint "$tmp/rendezvous/store" --rdzv_conf store_type=file --redirects 1 --tee 1 --no_python \
    bash -c 'exec "$0" "$@" --shard $((RANK + 1))/$WORLD_SIZE' "$graft" "${apply[@]}" \
    --out "$tmp/ranks/model.safetensors.index.json" --max-shard-size 256KB >"$tmp/torchrun.log" 2>&1
  rc=$?
  if [[ $rc -eq 0 ]]; then ok; else fail "torchrun: exit $rc"; tail -20 "$tmp/torchrun.log"; fi
  same_tree "torchrun, 2 ranks" "$tmp/whole" "$tmp/ranks"
else
  echo "skipped: torchrun part (/usr/bin/torchrun is missing: Debian's python3-torch)"
fi

echo "sharded_apply: $passed passed, $failed failed"
((failed == 0))
