#!/usr/bin/env bash
# Peak RSS of `graft apply` does not grow with the checkpoint: HigherHRNet COCO -> CrowdPose at two
# widths (benchmarks/scale_manifest), ~130 MiB and ~1 GiB of float32 per checkpoint, each converted to a
# .pth and to a .safetensors; the peak RSS of the 1 GiB runs (`/usr/bin/time -f %M`) must be within
# 32 MiB of the 130 MiB runs' and under 300 MB (docs/performance.md, "Memory"). Without
# write_options::release_read_pages the mapped pages of both inputs stay resident: ~2 GiB at 1 GiB.
# At ~1 GiB (over the progress line's 1 GB threshold) it also checks `apply`'s progress: one line redrawn
# with \r on stderr when it is a terminal (run under script(1)), nothing when stderr is a file, with
# --json, or with --quiet (which prints nothing at all on success).
# Needs ~4 GiB of disk in WORK_DIR (removed at the end) and /usr/bin/time (scripts/deps installs it).
#   bounded_rss.sh GRAFT_BINARY SOURCE_DIR MAKE_CHECKPOINT_BINARY WORK_DIR
set -u
graft=$1 src=$2 make=$3 work=$4
if [[ ! -x /usr/bin/time ]]; then echo "bounded_rss: /usr/bin/time is missing (scripts/deps installs it)"; exit 1; fi
rm -rf "$work" && mkdir -p "$work" || exit 1
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

M=$src/tests/data/manifests
rules=$src/rules/pose/higherhrnet_coco_to_crowdpose.graft
declare -A rss
for width in 35 98; do
  "$src/benchmarks/scale_manifest" "$M/higherhrnet_w32_512_coco.tsv" $width >"$work/coco.tsv"
  "$src/benchmarks/scale_manifest" "$M/higherhrnet_w32_512_crowdpose.tsv" $width >"$work/crowdpose.tsv"
  "$make" make "$work/coco.tsv" "$work/coco.pth" 1 >/dev/null || { fail "w$width: cannot make the source"; continue; }
  "$make" make "$work/crowdpose.tsv" "$work/crowdpose.pth" 2 >/dev/null || { fail "w$width: cannot make the template"; continue; }
  size=$(stat -c %s "$work/coco.pth")
  for ext in pth safetensors; do
    out=$work/out.$ext
    if /usr/bin/time -f %M -o "$work/rss" "$graft" apply "$rules" --from "$work/coco.pth" --onto "$work/crowdpose.pth" \
      --out "$out" >"$work/log" 2>&1; then
      ok
    else
      fail "w$width .$ext: graft apply failed"
      tail -5 "$work/log"
    fi
    rss[$width.$ext]=$(tail -1 "$work/rss")
    out_size=$(stat -c %s "$out" 2>/dev/null || echo 0)
    if ((out_size > size / 2)); then ok; else fail "w$width .$ext: output of $out_size bytes for a $size-byte source"; fi
    echo "w$width .$ext: source $((size >> 20)) MiB, output $((out_size >> 20)) MiB, peak RSS $((rss[$width.$ext] >> 10)) MiB"
    if ((width == 98)); then
      if grep -q $'\r' "$work/log"; then fail "w$width .$ext: a progress line on a stderr that is not a terminal"; else ok; fi
    fi
    rm -f "$out"
  done
  ((width == 98)) || continue
  # stderr a terminal: script(1) runs the command on a pseudo-terminal and copies what it printed;
  # only where one can be made (a chroot needs /dev/pts mounted: scripts/debian does it)
  if ! script -qec true /dev/null >/dev/null 2>&1 </dev/null; then
    echo "not checked here: the progress line (script(1) cannot make a pseudo-terminal)"
    continue
  fi
  args="apply $rules --from $work/coco.pth --onto $work/crowdpose.pth --out $work/tty.safetensors"
  script -qec "$graft $args" /dev/null >"$work/tty.log" 2>&1 </dev/null
  if grep -qa $'\rgraft: [0-9.]* GB of [0-9.]* GB ([0-9]*%)' "$work/tty.log" && grep -qa '(100%)' "$work/tty.log" &&
    grep -qa $'\r\033\[K' "$work/tty.log"; then ok; else
    fail "w$width: no progress line on a terminal"; cat -v "$work/tty.log" | tail -5
  fi
  if grep -qa '^wrote \|tty.safetensors: ' "$work/tty.log"; then ok; else fail "w$width: no summary after the progress line"; fi
  rm -f "$work/tty.safetensors"
  for flag in --json --quiet; do
    script -qec "$graft $args $flag" /dev/null >"$work/tty.log" 2>&1 </dev/null
    if grep -qa 'GB of' "$work/tty.log"; then fail "w$width: a progress line with $flag"; else ok; fi
    if [[ -s $work/tty.safetensors ]]; then ok; else fail "w$width: $flag wrote no output"; fi
    if [[ $flag == --quiet && -s $work/tty.log ]]; then fail "w$width: --quiet printed: $(head -c 200 "$work/tty.log")"; fi
    rm -f "$work/tty.safetensors"
  done
done

for ext in pth safetensors; do
  small=${rss[35.$ext]:-0} big=${rss[98.$ext]:-0}
  if ((small > 0 && big > 0 && big <= small + 32 * 1024)); then ok; else
    fail ".$ext: peak RSS $((big >> 10)) MiB at 1 GiB vs $((small >> 10)) MiB at 130 MiB: it grows with the checkpoint"
  fi
  if ((big > 0 && big < 300 * 1000)); then ok; else fail ".$ext: peak RSS $((big >> 10)) MiB at 1 GiB (the bound is 300 MB)"; fi
done

echo "bounded_rss: $passed passed, $failed failed"
((failed == 0))
