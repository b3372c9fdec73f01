#!/usr/bin/env bash
# Fuzzes every FuzzXxx target of the module for a set time each, one after
# the other, and says which found something. Usage:
#
#   test/fuzz.sh            # 5 minutes per target
#   FUZZTIME=30s test/fuzz.sh
#   test/fuzz.sh FuzzReadFrame FuzzFrames   # only these targets
#
# A failing input is written by go test under the package's
# testdata/fuzz/<target>/; commit it with the fix, so it runs in every
# go test from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-5m}
failed=0
while read -r file target; do
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$target"; then
		continue
	fi
	pkg=./$(dirname "$file")
	printf '%-24s %-22s ' "$target" "$pkg"
	if out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
		echo "ok"
	else
		echo "FAILED"
		printf '%s\n' "$out" | tail -20
		failed=1
	fi
done < <(grep -rHoE --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)' . | sed -E 's|^\./||; s|:func | |' | sort -k2)
exit $failed
