# Sourced by the CLI security scripts (cli_hostile.sh, cli_output.sh): a scratch folder $tmp, removed
# at exit, and the pass/fail counters with ok and bad MESSAGE.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
