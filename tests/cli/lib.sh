# Helpers shared by the CLI test scripts (sourced): pass/fail counters and checks of one graft run.
# The script sets `graft` (the binary) and `log` (the file each run's output goes to) first.
passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
# run EXPECTED_EXIT NAME ARGS...: runs graft ARGS, its output in $log
run() {
  local want=$1 name=$2
  shift 2
  "$graft" "$@" >"$log" 2>&1
  local got=$?
  if [[ $got -eq $want ]]; then ok; else fail "$name: exit $got, expected $want"; sed 's/^/    /' "$log" | tail -5; fi
}
# contains NAME TEXT: the last run's output holds TEXT
contains() { if grep -qF -- "$2" "$log"; then ok; else fail "$1: output lacks: $2"; sed 's/^/    /' "$log" | tail -5; fi; }
