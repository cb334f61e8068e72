#!/usr/bin/env bash
# Golden outputs of the graft CLI: runs every case of cases.tsv from the source root and compares its
# stdout, stderr and exit status byte for byte with what is stored under expected/.
#   run.sh GRAFT_BINARY SOURCE_ROOT            compare; exit 1 listing every mismatch
#   run.sh GRAFT_BINARY SOURCE_ROOT --regen    rewrite expected/ (and the EXIT column of cases.tsv)
#                                              from what GRAFT_BINARY prints now
# Both arguments default to build/bin/graft and the folder above tests/ (this script's grandparent).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${2:-$(cd "$here/../.." && pwd)}
graft=${1:-$src/build/bin/graft}
regen=0
if [[ "${3:-}" == "--regen" ]]; then regen=1; elif [[ -n "${3:-}" ]]; then
  echo "run.sh: unknown argument '$3' (usage: run.sh GRAFT_BINARY SOURCE_ROOT [--regen])" >&2; exit 2
fi
if [[ ! -x "$graft" ]]; then echo "run.sh: $graft is not an executable" >&2; exit 2; fi
graft=$(cd "$(dirname "$graft")" && pwd)/$(basename "$graft")
cases=$here/cases.tsv
expected=$here/expected
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src" || exit 2
export LC_ALL=C

passed=0
failures=()
changed=()
declare -A known=()

# show_mismatch WHAT EXPECTED_FILE ACTUAL_FILE: a bounded diff, and the bytes around the first
# difference (the JSON outputs are one long line each)
show_mismatch() {
  diff -u --label "expected/$1" --label "actual" "$2" "$3" | cut -c1-300 | head -n 40 | sed 's/^/    /'
  local at
  at=$(cmp "$2" "$3" 2>/dev/null | sed -n 's/.*differ: \(byte\|char\) \([0-9]*\),.*/\2/p')
  if [[ -n "$at" ]]; then
    local from=$((at > 80 ? at - 80 : 1))
    echo "    first difference at byte $at:"
    echo "      expected: $(tail -c +"$from" "$2" | head -c 160 | tr '\n' '|')"
    echo "      actual:   $(tail -c +"$from" "$3" | head -c 160 | tr '\n' '|')"
  fi
}

: >"$tmp/cases.tsv"
while IFS= read -r line || [[ -n "$line" ]]; do
  if [[ -z "$line" || "$line" == \#* ]]; then printf '%s\n' "$line" >>"$tmp/cases.tsv"; continue; fi
  IFS=$'\t' read -r name want argstr <<<"$line"
  if [[ -z "${name:-}" || -z "${want:-}" || -z "${argstr:-}" ]]; then
    echo "run.sh: $cases: malformed line: $line" >&2; exit 2
  fi
  if [[ -n "${known[$name]:-}" ]]; then echo "run.sh: $cases: case '$name' appears twice" >&2; exit 2; fi
  known[$name]=1
  read -r -a args <<<"$argstr"
  "$graft" "${args[@]}" >"$tmp/out" 2>"$tmp/err" </dev/null
  got=$?
  out=$expected/$name.out
  err=$expected/$name.err
  if ((regen)); then
    if ! cmp -s "$tmp/out" "$out" 2>/dev/null || [[ "$got" != "$want" ]]; then changed+=("$name"); fi
    cp "$tmp/out" "$out"
    if [[ -s "$tmp/err" ]]; then
      cmp -s "$tmp/err" "$err" 2>/dev/null || changed+=("$name (stderr)")
      cp "$tmp/err" "$err"
    elif [[ -e "$err" ]]; then
      changed+=("$name (stderr)"); rm -f "$err"
    fi
    printf '%s\t%s\t%s\n' "$name" "$got" "$argstr" >>"$tmp/cases.tsv"
    continue
  fi
  ok=1
  if [[ "$got" != "$want" ]]; then
    echo "FAIL: $name: exit $got, expected $want"; ok=0
  fi
  if [[ ! -e "$out" ]]; then
    echo "FAIL: $name: no expected/$name.out (run with --regen)"; ok=0
  elif ! cmp -s "$out" "$tmp/out"; then
    echo "FAIL: $name: stdout differs from expected/$name.out"; show_mismatch "$name.out" "$out" "$tmp/out"; ok=0
  fi
  want_err=$err
  if [[ ! -e "$err" ]]; then : >"$tmp/no_err"; want_err=$tmp/no_err; fi
  if ! cmp -s "$want_err" "$tmp/err"; then
    echo "FAIL: $name: stderr differs from expected/$name.err (no such file: none expected)"
    show_mismatch "$name.err" "$want_err" "$tmp/err"; ok=0
  fi
  if ((ok)); then passed=$((passed + 1)); else failures+=("$name"); fi
done <"$cases"

# Files under expected/ that no case names
for f in "$expected"/*; do
  [[ -e "$f" ]] || continue
  base=$(basename "$f"); base=${base%.out}; base=${base%.err}
  if [[ -z "${known[$base]:-}" ]]; then
    if ((regen)); then rm -f "$f"; changed+=("removed expected/$(basename "$f")")
    else echo "FAIL: expected/$(basename "$f"): no case named '$base' in cases.tsv"; failures+=("$(basename "$f")"); fi
  fi
done

if ((regen)); then
  cp "$tmp/cases.tsv" "$cases"
  echo "golden: regenerated ${#known[@]} cases; changed: ${#changed[@]}"
  for c in "${changed[@]}"; do echo "  $c"; done
  exit 0
fi
echo "golden: $passed passed, ${#failures[@]} failed"
if ((${#failures[@]})); then
  echo "mismatches: ${failures[*]}"
  echo "(if the change is intended: bash tests/golden/run.sh GRAFT_BINARY SOURCE_ROOT --regen, then review git diff)"
  exit 1
fi
