#!/usr/bin/env bash
# `graft apply` and a source .pth whose storage record fails its CRC-32 (one byte of the first tensor,
# a backbone tensor the rules copy, flipped after it was written). The kernel copies that record whole
# into a .pth output unread (docs/security.md, "Copies by the kernel"), so by default the output
# carries the record's declared CRC-32 and stays detectably corrupt: Python's zipfile (testzip) names
# the entry, and graft refuses it as a source under --verify. `--verify` checks every source record
# first: exit 2 naming the file and the entry, nothing written. A .safetensors output has no CRCs: the
# record is checked before it is copied, refused without --verify. An honest source gives the same
# bytes with and without --verify. A HigherHRNet-W4 model (benchmarks/scale_manifest), ~3 MB.
# Where the kernel cannot copy files in WORK_DIR (copy_file_range declines), the record is read and
# refused as the bytes stream, and the test checks that instead, saying so.
#   corrupt_source.sh GRAFT_BINARY SOURCE_DIR MAKE_CHECKPOINT_BINARY WORK_DIR
set -u
graft=$1 src=$2 make=$3 work=$4
py=$(command -v python3 || echo /usr/bin/python3)  # the standard library's zipfile and os only
rm -rf "$work" && mkdir -p "$work" || exit 1
trap 'rm -rf "$work"' EXIT
log=$work/log
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
absent() { if [[ ! -e $2 ]]; then ok; else fail "$1: $2 exists"; fi; }
no_temporaries() {
  if ls -A "$work/out" | grep -q '\.tmp-'; then fail "$1: a temporary file was left: $(ls -A "$work/out")"; else ok; fi
}
# The entries of a zip whose bytes fail their CRC-32 (zipfile's testzip), one per line; "" when none.
bad_entries() {
  "$py" - "$1" <<'EOF'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for info in z.infolist():
    try:
        z.read(info.filename)
    except zipfile.BadZipFile:
        print(info.filename)
EOF
}

M=$src/tests/data/manifests
"$src/benchmarks/scale_manifest" "$M/higherhrnet_w32_512_coco.tsv" 4 >"$work/coco.tsv"
"$src/benchmarks/scale_manifest" "$M/higherhrnet_w32_512_crowdpose.tsv" 4 >"$work/crowdpose.tsv"
"$make" make "$work/coco.tsv" "$work/coco.pth" 1 >/dev/null || { echo "cannot make the source"; exit 1; }
"$make" make "$work/crowdpose.tsv" "$work/crowdpose.pth" 2 >/dev/null || { echo "cannot make the template"; exit 1; }
rules=$src/rules/pose/higherhrnet_coco_to_crowdpose.graft
mkdir -p "$work/out"

# The corrupt copy: one byte of entry .../data/0 (conv1.weight, which the rules copy) flipped.
entry=$("$py" - "$work/coco.pth" "$work/bad.pth" <<'EOF'
import struct, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
info = next(i for i in z.infolist() if i.filename.endswith("/data/0"))
data = bytearray(open(sys.argv[1], "rb").read())
name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
data[info.header_offset + 30 + name_len + extra_len + 100] ^= 0xFF
open(sys.argv[2], "wb").write(data)
print(info.filename)
EOF
) || { echo "cannot make the corrupt source"; exit 1; }
refusal="$work/bad.pth: zip: entry '$entry' fails its CRC-32 check"

# Whether the kernel copies files here (copy_file_range), as graft's writers ask it to.
if "$py" -c 'import os, sys
i = os.open(sys.argv[1], os.O_RDONLY); o = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT, 0o644)
sys.exit(0 if os.copy_file_range(i, o, 8, 0, 0) == 8 else 1)' "$work/coco.pth" "$work/probe" 2>/dev/null; then
  kernel=yes
else
  kernel=no
  echo "the kernel does not copy files in $work: checking the streamed CRC check instead"
fi
rm -f "$work/probe"

apply=(apply "$rules" --onto "$work/crowdpose.pth")
if [[ $kernel == yes ]]; then
  # By default: written, the corrupt record carried under its own CRC-32, so the output fails the
  # same check in any zip reader that makes it, and in graft under --verify.
  run 0 "corrupt source, no --verify" "${apply[@]}" --from "$work/bad.pth" --out "$work/out/carried.pth"
  got=$(bad_entries "$work/out/carried.pth")
  if [[ $got == */data/0 && $(echo "$got" | wc -l) -eq 1 ]]; then ok; else
    fail "the output's entries that fail their CRC-32: '$got', expected one, data/0"
  fi
  printf 'include "**"\n' >"$work/all.graft"  # every tensor copied as it is
  run 2 "the carried output as a source, --verify" apply "$work/all.graft" --from "$work/out/carried.pth" \
    --onto "$work/out/carried.pth" --verify --out "$work/out/again.pth"
  contains "the carried output as a source, --verify" "$work/out/carried.pth: zip: entry '"
  contains "the carried output as a source, --verify" "' fails its CRC-32 check"
  absent "the carried output as a source, --verify" "$work/out/again.pth"
else
  run 2 "corrupt source, no --verify (streamed check)" "${apply[@]}" --from "$work/bad.pth" --out "$work/out/carried.pth"
  contains "corrupt source, no --verify (streamed check)" "$refusal"
  absent "corrupt source, no --verify (streamed check)" "$work/out/carried.pth"
fi

# --verify: refused before anything is written.
for ext in pth safetensors; do
  run 2 "corrupt source, --verify, .$ext" "${apply[@]}" --from "$work/bad.pth" --verify --out "$work/out/verified.$ext"
  contains "corrupt source, --verify, .$ext" "$refusal"
  absent "corrupt source, --verify, .$ext" "$work/out/verified.$ext"
done
# A format without CRCs: checked as it is copied, refused without --verify too.
run 2 "corrupt source into .safetensors" "${apply[@]}" --from "$work/bad.pth" --out "$work/out/bad.safetensors"
contains "corrupt source into .safetensors" "$refusal"
absent "corrupt source into .safetensors" "$work/out/bad.safetensors"
no_temporaries "after the refusals"

# An honest source: the same bytes with and without --verify, every CRC-32 true.
for ext in pth safetensors; do
  run 0 "honest source, .$ext" "${apply[@]}" --from "$work/coco.pth" --out "$work/out/plain.$ext"
  run 0 "honest source, --verify, .$ext" "${apply[@]}" --from "$work/coco.pth" --verify --out "$work/out/verified.$ext"
  if cmp -s "$work/out/plain.$ext" "$work/out/verified.$ext"; then ok; else fail ".$ext: --verify changed the output"; fi
done
got=$(bad_entries "$work/out/plain.pth")
if [[ -z $got ]]; then ok; else fail "an honest source's output has entries failing their CRC-32: $got"; fi

echo "corrupt_source: $passed passed, $failed failed"
((failed == 0))
