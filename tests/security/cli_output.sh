#!/usr/bin/env bash
# graft's output is safe to print: tensor names with terminal control bytes (ESC ] 0; ... BEL, a line
# break that fakes "plan ok") or bytes that are not UTF-8 are shown as \xNN by `inspect`, `plan`,
# `explain` and in error messages; every `--json` output is well-formed UTF-8 JSON; `use` reads rules
# files (*.graft) only, so no other file (/proc/self/environ) is echoed in an error.
#   cli_output.sh GRAFT_BINARY SOURCE_DIR
set -u
graft=$(realpath "$1")
src=$(realpath "$2")
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh"  # $tmp, ok, bad
py=/usr/bin/python3

# hostile.safetensors: names "a ESC]0;pwned BEL .w", "b LF plan ok (0 errors, 0 warnings)", "c CSI(C1) 31m.w";
# ctrl.tsv: a manifest name with ESC [2J (clear screen); latin1.tsv: a name that is not UTF-8 ("caf\xe9.w"),
# which every reader refuses (names must be UTF-8), quoting it escaped.
"$py" - "$tmp/hostile.safetensors" <<'PY'
import json, struct, sys
names = ["a\x1b]0;pwned\x07.w", "b\nplan ok (0 errors, 0 warnings)", "c\x9b31m.w"]
header = {n: {"dtype": "F32", "shape": [1], "data_offsets": [4 * i, 4 * i + 4]} for i, n in enumerate(names)}
h = json.dumps(header).encode()
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"\0" * (4 * len(names)))
PY
printf 'd\x1b[2J.w\tfloat32\t2\n' >"$tmp/ctrl.tsv"
printf 'caf\xe9.w\tfloat32\t2\nd\x1b[2J.w\tfloat32\t2\n' >"$tmp/latin1.tsv"
printf 'keep "**"\n' >"$tmp/keep.graft"

# safe FILE: no control byte but line breaks, well-formed UTF-8, no C1 CSI, no fake verdict line
safe() {
  "$py" - "$1" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
text = data.decode("utf-8")  # raises on bytes that are not UTF-8
bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f]
verdicts = [l for l in text.split("\n") if l.startswith("plan ok") or l.startswith("plan FAILED")]
sys.exit(1 if bad or len(verdicts) > 1 else 0)
PY
}
# json_ok FILE: parses as JSON from strict UTF-8
json_ok() { "$py" -c 'import json,sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$1"; }
# expect NAME EXIT_WANTED COMMAND...: runs it into $tmp/out and $tmp/err
expect() {
  local name=$1 want=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [[ $got -ne $want ]]; then bad "$name: exit $got, expected $want"; sed 's/^/    /' "$tmp/err" | head -5; return 1; fi
  return 0
}
check_safe() {  # NAME FILE
  if safe "$2"; then ok; else bad "$1: unsafe bytes in the output"; cat -v "$2" | head -20 | sed 's/^/    /'; fi
}

for input in "$tmp/hostile.safetensors" "$tmp/ctrl.tsv"; do
  n=$(basename "$input")
  if expect "inspect $n" 0 "$graft" inspect "$input"; then check_safe "inspect $n" "$tmp/out"; fi
  if expect "inspect --json $n" 0 "$graft" inspect --json "$input"; then
    if json_ok "$tmp/out"; then ok; else bad "inspect --json $n: not UTF-8 JSON"; fi
  fi
  if expect "plan $n" 0 "$graft" plan "$tmp/keep.graft" --from "$input" --onto "$input"; then
    check_safe "plan $n" "$tmp/out"
  fi
  if expect "plan --json $n" 0 "$graft" plan --json "$tmp/keep.graft" --from "$input" --onto "$input"; then
    if json_ok "$tmp/out"; then ok; else bad "plan --json $n: not UTF-8 JSON"; fi
  fi
done
grep -qF 'a\x1b]0;pwned\x07.w' <("$graft" inspect "$tmp/hostile.safetensors") && ok || bad "inspect: ESC not shown as \\x1b"
grep -qF 'd\x1b[2J.w' <("$graft" inspect "$tmp/ctrl.tsv") && ok || bad "inspect: ESC in a manifest not shown as \\x1b"
if expect "inspect latin1.tsv" 2 "$graft" inspect "$tmp/latin1.tsv"; then
  check_safe "inspect latin1.tsv (stderr)" "$tmp/err"
  grep -qF "tensor name 'caf\xe9.w' is not valid UTF-8" "$tmp/err" && ok || bad "inspect latin1.tsv: no escaped UTF-8 error"
fi
# The names survive the JSON round trip (the ones that are UTF-8 exactly).
"$graft" plan --json "$tmp/keep.graft" --from "$tmp/hostile.safetensors" --onto "$tmp/hostile.safetensors" >"$tmp/plan.json"
"$py" -c '
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
def strings(x):
    if isinstance(x, str): yield x
    elif isinstance(x, dict): yield from (s for k, v in x.items() for s in [k, *strings(v)])
    elif isinstance(x, list): yield from (s for v in x for s in strings(v))
found = set(strings(d))
assert "a\x1b]0;pwned\x07.w" in found and "b\nplan ok (0 errors, 0 warnings)" in found, sorted(found)[:20]
' "$tmp/plan.json" && ok || bad "plan --json: the names did not round-trip"

# explain: the name's report and a name that is not there (the error quotes it escaped)
if expect "explain ESC" 0 "$graft" explain "$tmp/keep.graft" --from "$tmp/hostile.safetensors" \
  --onto "$tmp/hostile.safetensors" $'a\e]0;pwned\a.w'; then check_safe "explain ESC" "$tmp/out"; fi
if expect "explain newline" 0 "$graft" explain "$tmp/keep.graft" --from "$tmp/hostile.safetensors" \
  --onto "$tmp/hostile.safetensors" $'b\nplan ok (0 errors, 0 warnings)'; then check_safe "explain newline" "$tmp/out"; fi
if expect "explain missing" 2 "$graft" explain "$tmp/keep.graft" --from "$tmp/ctrl.tsv" --onto "$tmp/ctrl.tsv" \
  $'zz\e[2J\nplan ok'; then
  check_safe "explain missing (stderr)" "$tmp/err"
  [[ $(wc -l <"$tmp/err") -eq 1 ]] && ok || bad "explain missing: the error is not one line"
fi

# use reads rules files only: /proc/self/environ (a regular file to stat) and a link named *.graft
# to a file that is not are refused before a byte is read; the environment is never echoed.
export GRAFT_OUTPUT_TEST_SECRET=hunter2
printf 'SECRET_TOKEN=hunter2\n' >"$tmp/secret.txt"
ln -s "$tmp/secret.txt" "$tmp/secret.graft"
for target in /proc/self/environ secret.txt secret.graft; do
  printf 'use "%s"\n' "$target" >"$tmp/use.graft"
  expect "use $target" 2 "$graft" check "$tmp/use.graft"
  if grep -q hunter2 "$tmp/out" "$tmp/err"; then bad "use $target: the file's contents were echoed"; else ok; fi
  grep -q '\*\.graft' "$tmp/err" && ok || { bad "use $target: the error does not say why"; cat "$tmp/err"; }
done

# The shipped rules and examples (all *.graft) still load.
mapfile -t shipped < <(find "$src/rules" "$src/examples" -name '*.graft' | sort)
for i in "${!shipped[@]}"; do  # a library file naming a set its user declares: checked as used (cli_test.sh)
  if needs=$(sed -n 's/^# graft-needs: labels \([A-Za-z_][A-Za-z0-9_]*\)$/\1/p' "${shipped[$i]}") && [[ -n $needs ]]; then
    printf 'labels %s = [tench]\nuse "%s"\n' "$needs" "$(realpath "${shipped[$i]}")" > "$tmp/needs_$i.graft"
    shipped[$i]=$tmp/needs_$i.graft
  fi
done
if expect "check shipped rules" 0 "$graft" check "${shipped[@]}"; then ok; fi

echo "cli_output: $passed passed, $failed failed"
((failed == 0))
