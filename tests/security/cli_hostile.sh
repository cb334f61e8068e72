#!/usr/bin/env bash
# graft's promises at the command line, on hostile and interrupted runs:
#  - a hostile input file gives exit code 2, no output file, inputs byte-identical, no temp files;
#  - OUT equal to SRC or DST (also through links) is refused;
#  - a `graft apply` killed with SIGKILL at any moment leaves OUT either absent / as it was before,
#    or complete; the only possible leftover of a SIGKILL is a stale `.OUT.tmp-XXXXXX` beside OUT
#    (a normal failure never leaves one).
#   cli_hostile.sh GRAFT_BINARY SOURCE_DIR GRAFT_DEMO_BINARY [--no-kill]
set -u
graft=$(realpath "$1")
src=$(realpath "$2")
demo=$(realpath "$3")
kill_test=1
[[ "${4:-}" == "--no-kill" ]] && kill_test=0
data=$src/tests/data
M=$data/manifests
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh"  # $tmp, ok, bad

# A small valid source/destination pair and rules for it (the DEKR rescoring MLP's shapes).
"$demo" make "$M/dekr_rescore_coco.tsv" "$tmp/coco.pth" 1 >/dev/null
"$demo" make "$M/dekr_rescore_crowdpose.tsv" "$tmp/crowd.pth" 2 >/dev/null
printf 'exclude "l1.weight"\nkeep "l1.weight"\n' >"$tmp/rules.graft"
"$graft" apply "$tmp/rules.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$tmp/ref.safetensors" >/dev/null 2>&1 \
  || bad "setup: a valid apply failed"

# ---- hostile files ----------------------------------------------------------------------------
h=$tmp/hostile
mkdir -p "$h"
head -c 4096 /dev/urandom >"$h/garbage.pth"
: >"$h/empty.pth"
head -c 1000 "$tmp/coco.pth" >"$h/truncated_head.pth"
size=$(stat -c %s "$tmp/coco.pth")
head -c $((size / 2)) "$tmp/coco.pth" >"$h/truncated_half.pth"
head -c $((size - 10)) "$tmp/coco.pth" >"$h/truncated_tail.pth"
cp "$data/io/whole_module.pth" "$h/pickled_module.pth"        # refused global '__main__.TinyNet'
# a legacy-format file whose pickle calls posix.system (magic, protocol 1001, sys_info, payload)
printf '\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.\x80\x02M\xe9\x03.\x80\x02}X\x0d\x00\x00\x00little_endian\x88s.\x80\x02cposix\nsystem\nX\x16\x00\x00\x00touch /tmp/graft-pwned\x85R.' \
  >"$h/system_payload.pth"
printf '\x00\x00\x00\x00\x00\x00\x00\x10{"a":1}' >"$h/huge_header.safetensors"
printf '\xff\xff\xff\xff\xff\xff\xff\x7f{}' >"$h/max_header.safetensors"
printf '\x40\x00\x00\x00\x00\x00\x00\x00{"a":{"dtype":"F32","shape":[1000000000000000],"data_offsets":[0,4000000000000000]}}' \
  >"$h/huge_tensor.safetensors"
mkdir "$h/dir.pth"

before=$(sha256sum "$tmp/coco.pth" "$tmp/crowd.pth" "$tmp/rules.graft")
# apply_refused NAME ARGS...: exit 2, one-line error, no output file, no temp files
apply_refused() {
  local name=$1
  shift
  local out
  for out in "$tmp/outdir/out.pth" "$tmp/outdir/out.safetensors"; do
    rm -rf "$tmp/outdir"
    mkdir -p "$tmp/outdir"
    timeout 60 "$graft" apply "$@" --out "$out" >"$tmp/stdout" 2>"$tmp/stderr"
    local got=$?
    if [[ $got -ne 2 ]]; then bad "$name -> $(basename "$out"): exit $got, expected 2"; sed 's/^/    /' "$tmp/stderr" | head -5; continue; fi
    if [[ -e "$out" ]]; then bad "$name: left an output file"; continue; fi
    if [[ -n "$(ls -A "$tmp/outdir")" ]]; then bad "$name: left files behind: $(ls -A "$tmp/outdir")"; continue; fi
    # one line "graft: ..."; rules-file errors add the offending line and a caret under it
    if [[ $(wc -l <"$tmp/stderr") -gt 3 ]] || [[ "$(head -c 7 "$tmp/stderr")" != "graft: " ]]; then
      bad "$name: not a 'graft: ...' message"; sed 's/^/    /' "$tmp/stderr" | head -5; continue
    fi
    ok
  done
}
for f in "$h"/*; do
  n=$(basename "$f")
  apply_refused "hostile --from $n" "$tmp/rules.graft" --from "$f" --onto "$tmp/crowd.pth"
  apply_refused "hostile --onto $n" "$tmp/rules.graft" --from "$tmp/coco.pth" --onto "$f"
done
# hostile rules files
head -c 2048 /dev/urandom >"$h/garbage.graft"
printf 'use "b.graft"\n' >"$h/a.graft"
printf 'use "a.graft"\n' >"$h/b.graft"
printf 'use "nowhere.graft"\n' >"$h/missing.graft"
printf 'strip "a"\n\0strip "b"\n' >"$h/nul.graft"
head -c 100000 /dev/zero | tr '\0' '[' >"$h/nested.graft"
printf 'use "fifo.pth"\n' >"$h/usefifo.graft"
for r in garbage a missing nul nested usefifo; do
  apply_refused "hostile rules $r.graft" "$h/$r.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth"
done
mkfifo "$h/fifo.pth"
apply_refused "rules file is a FIFO" "$h/fifo.pth" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth"
# A FIFO given as a checkpoint is refused at once (mapped_file opens with O_NONBLOCK, then sees it
# is not a regular file); it used to hang in open(2).
timeout 10 "$graft" inspect "$h/fifo.pth" >/dev/null 2>&1
got=$?
if [[ $got -eq 2 ]]; then ok; else bad "FIFO as checkpoint: exit $got, expected 2 (124 = hung)"; fi
# Patterns that once backtracked exponentially now plan in well under the timeout.
for stem in pattern_star_backtracking pattern_globstar_backtracking; do
  timeout 30 "$graft" plan "$src/tests/security/inputs/$stem.graft" --from "$src/tests/security/inputs/$stem.tsv" \
    --onto "$src/tests/security/inputs/$stem.tsv" --lenient >/dev/null 2>&1
  got=$?
  if [[ $got -eq 0 || $got -eq 1 ]]; then ok; else bad "$stem: exit $got (124 = still backtracking)"; fi
done
rm -f "$h/fifo.pth"
[[ -e /tmp/graft-pwned ]] && bad "a payload ran"
after=$(sha256sum "$tmp/coco.pth" "$tmp/crowd.pth" "$tmp/rules.graft")
[[ "$before" == "$after" ]] && ok || bad "inputs changed by refused runs"

# ---- OUT must not be an input ---------------------------------------------------------------
refuse_out() {
  local name=$1 out=$2
  local b
  b=$(sha256sum "$tmp/coco.pth" "$tmp/crowd.pth")
  "$graft" apply "$tmp/rules.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$out" >"$tmp/stdout" 2>"$tmp/stderr"
  local got=$?
  [[ $got -eq 2 ]] && ok || bad "$name: exit $got, expected 2"
  grep -q "refusing to overwrite" "$tmp/stderr" && ok || bad "$name: no 'refusing to overwrite' message"
  [[ "$b" == "$(sha256sum "$tmp/coco.pth" "$tmp/crowd.pth")" ]] && ok || bad "$name: an input changed"
  ls -A "$tmp" | grep -q '\.tmp-' && bad "$name: temp file left" || ok
}
refuse_out "OUT = SRC" "$tmp/coco.pth"
refuse_out "OUT = DST" "$tmp/crowd.pth"
ln -s "$tmp/coco.pth" "$tmp/src_link.pth"
refuse_out "OUT = link to SRC" "$tmp/src_link.pth"
ln "$tmp/crowd.pth" "$tmp/dst_hardlink.pth"
refuse_out "OUT = hard link to DST" "$tmp/dst_hardlink.pth"
mkdir -p "$tmp/sub"
ln -s "$tmp" "$tmp/sub/up"
refuse_out "OUT = DST through a linked folder" "$tmp/sub/up/crowd.pth"
refuse_out "OUT = DST, relative spelling" "$tmp/sub/../crowd.pth"
ln -s "$tmp/src_link.pth" "$tmp/link_link.pth"
refuse_out "OUT = link to a link to SRC" "$tmp/link_link.pth"
(cd "$tmp" && "$graft" apply rules.graft --from coco.pth --onto crowd.pth --out ./crowd.pth >/dev/null 2>&1)
[[ $? -eq 2 ]] && ok || bad "OUT = ./DST from the inputs' folder"

# Every file graft reads is an input: the rules file, every file it `use`s (transitively), every file
# of a sharded checkpoint. refuse_read NAME OUT INPUT RULES SRC DST: exit 2, a message naming OUT and
# INPUT, INPUT unchanged, no temp file, checked before the plan is printed.
refuse_read() {
  local name=$1 out=$2 input=$3 rules=$4 from=$5 onto=$6
  local b
  b=$(sha256sum "$input")
  "$graft" apply "$rules" --from "$from" --onto "$onto" --out "$out" >"$tmp/stdout" 2>"$tmp/stderr"
  local got=$?
  [[ $got -eq 2 ]] && ok || bad "$name: exit $got, expected 2"
  grep -qF -- "--out '$out' is an input ($input" "$tmp/stderr" && ok || bad "$name: message does not name OUT and $input: $(cat "$tmp/stderr")"
  [[ -s "$tmp/stdout" ]] && bad "$name: the plan was printed before the refusal" || ok
  [[ "$b" == "$(sha256sum "$input")" ]] && ok || bad "$name: $input changed"
  ls -A "$(dirname "$out")" | grep -q '\.tmp-' && bad "$name: temp file left" || ok
}
ln -s "$tmp/rules.graft" "$tmp/rules_link.pth"
refuse_read "OUT = link to RULES" "$tmp/rules_link.pth" "$tmp/rules.graft" "$tmp/rules.graft" "$tmp/coco.pth" "$tmp/crowd.pth"
mkdir -p "$tmp/uses/deeper"
printf 'use "uses/middle.graft"\n' >"$tmp/top.graft"
printf 'use "deeper/base.graft"\n' >"$tmp/uses/middle.graft"
cp "$tmp/rules.graft" "$tmp/uses/deeper/base.graft"
ln -s "$tmp/uses/middle.graft" "$tmp/middle_link.safetensors"
refuse_read "OUT = link to a used file" "$tmp/middle_link.safetensors" "$tmp/uses/middle.graft" "$tmp/top.graft" "$tmp/coco.pth" "$tmp/crowd.pth"
ln "$tmp/uses/deeper/base.graft" "$tmp/base_hardlink.pth"
refuse_read "OUT = hard link to a file used through another" "$tmp/base_hardlink.pth" "$tmp/uses/deeper/base.graft" "$tmp/top.graft" "$tmp/coco.pth" "$tmp/crowd.pth"
mkdir -p "$tmp/sharded"
cp "$tmp/ref.safetensors" "$tmp/sharded/model-00001-of-00001.safetensors"
python3 - "$tmp/sharded/model-00001-of-00001.safetensors" "$tmp/sharded/model.safetensors.index.json" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    names = [k for k in json.loads(f.read(n)) if k != "__metadata__"]
json.dump({"weight_map": {k: "model-00001-of-00001.safetensors" for k in names}}, open(sys.argv[2], "w"))
PY
refuse_read "OUT = a shard of DST's index" "$tmp/sharded/model-00001-of-00001.safetensors" "$tmp/sharded/model-00001-of-00001.safetensors" \
  "$tmp/rules.graft" "$tmp/coco.pth" "$tmp/sharded/model.safetensors.index.json"
refuse_read "OUT = a shard of DST's folder" "$tmp/sharded/./model-00001-of-00001.safetensors" "$tmp/sharded/model-00001-of-00001.safetensors" \
  "$tmp/rules.graft" "$tmp/coco.pth" "$tmp/sharded"

# ---- permissions: an existing OUT keeps its mode, a new one gets 0666 & ~umask (as cp does) ----------
perm_apply() { (umask "$1" && "$graft" apply "$tmp/rules.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$2" >/dev/null 2>&1); }
perm_is() { [[ "$(stat -c %a "$2")" == "$3" ]] && ok || bad "$1: mode $(stat -c %a "$2"), expected $3"; }
perm_apply 077 "$tmp/perm_new.pth" && perm_is "new OUT, umask 077" "$tmp/perm_new.pth" 600
perm_apply 022 "$tmp/perm_new.safetensors" && perm_is "new OUT, umask 022" "$tmp/perm_new.safetensors" 644
perm_apply 002 "$tmp/perm_new2.pth" && perm_is "new OUT, umask 002" "$tmp/perm_new2.pth" 664
printf old >"$tmp/perm_old.pth"
chmod 600 "$tmp/perm_old.pth"
perm_apply 000 "$tmp/perm_old.pth" && perm_is "existing mode-600 OUT, umask 000" "$tmp/perm_old.pth" 600
chmod 640 "$tmp/perm_old.pth"
perm_apply 077 "$tmp/perm_old.pth" && perm_is "existing mode-640 OUT, umask 077" "$tmp/perm_old.pth" 640
[[ "$(stat -c %s "$tmp/perm_old.pth")" -gt 3 ]] && ok || bad "existing OUT was not replaced"

# ---- normal failures leave no temp files ----------------------------------------------------
"$graft" apply "$tmp/rules.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$tmp/no/such/dir/out.pth" >/dev/null 2>&1
[[ $? -eq 2 ]] && ok || bad "OUT in a missing folder: not exit 2"
mkdir -p "$tmp/isdir.pth/x"
"$graft" apply "$tmp/rules.graft" --from "$tmp/coco.pth" --onto "$tmp/crowd.pth" --out "$tmp/isdir.pth" >/dev/null 2>&1
got=$?
[[ $got -ne 0 ]] && ok || bad "OUT a non-empty folder: succeeded"
[[ -d "$tmp/isdir.pth/x" ]] && ok || bad "OUT a folder: the folder was replaced"
ls -A "$tmp" | grep -q '\.tmp-' && bad "normal failures left temp files: $(ls -A "$tmp" | grep '\.tmp-')" || ok

# ---- SIGKILL while writing: nothing half-written ----------------------------------------------
if ((kill_test)); then
  k=$tmp/kill
  mkdir -p "$k"
  rules=$src/rules/pose/higherhrnet_coco_to_crowdpose.graft
  "$demo" make "$M/higherhrnet_w32_512_coco.tsv" "$k/src.pth" 1 >/dev/null
  "$demo" make "$M/higherhrnet_w32_512_crowdpose.tsv" "$k/dst.pth" 2 >/dev/null
  inputs_before=$(sha256sum "$k/src.pth" "$k/dst.pth")
  start=$(date +%s%N)
  "$graft" apply "$rules" --from "$k/src.pth" --onto "$k/dst.pth" --out "$k/full.pth" >/dev/null 2>&1 || bad "kill setup: apply failed"
  full_ms=$((($(date +%s%N) - start) / 1000000))
  full=$(sha256sum <"$k/full.pth")
  cp "$k/dst.pth" "$k/previous.pth"   # an older OUT, different from what apply writes
  previous=$(sha256sum <"$k/previous.pth")
  stale=0
  for pct in 5 15 30 45 60 75 85 95 110; do
    for mode in replace fresh; do
      out=$k/out_$mode.pth
      rm -f "$out" "$k"/.out_*.tmp-*
      [[ $mode == replace ]] && cp "$k/previous.pth" "$out"
      "$graft" apply "$rules" --from "$k/src.pth" --onto "$k/dst.pth" --out "$out" >/dev/null 2>&1 &
      pid=$!
      sleep "$(awk -v ms="$full_ms" -v p="$pct" 'BEGIN { printf "%.3f", ms * p / 100000 }')"
      kill -KILL "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
      if [[ -e "$out" ]]; then
        now=$(sha256sum <"$out")
        if [[ "$now" == "$full" ]]; then ok
        elif [[ $mode == replace && "$now" == "$previous" ]]; then ok
        else bad "SIGKILL at ${pct}% ($mode): OUT is neither the previous file nor the complete output"; fi
      else
        [[ $mode == fresh ]] && ok || bad "SIGKILL at ${pct}% ($mode): the previous OUT vanished"
      fi
      # the only leftover allowed: .out_<mode>.pth.tmp-XXXXXX
      shopt -s nullglob
      for f in "$k"/.[!.]*; do
        case "$(basename "$f")" in
          .out_$mode.pth.tmp-??????) stale=$((stale + 1)) ;;
          *) bad "SIGKILL at ${pct}%: unexpected leftover $(basename "$f")" ;;
        esac
      done
      shopt -u nullglob
    done
  done
  [[ "$inputs_before" == "$(sha256sum "$k/src.pth" "$k/dst.pth")" ]] && ok || bad "SIGKILL runs changed an input"
  echo "kill test: full apply ${full_ms} ms; ${stale} stale temp file(s) left by SIGKILL (expected, documented)"
fi

echo "cli_hostile: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
