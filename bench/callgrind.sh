#!/usr/bin/env bash
# callgrind.sh counts the instructions spperf spends per message, which do
# not vary from run to run as times do on a shared VM: it runs spperf under
# valgrind's callgrind with GOMAXPROCS=1 at two message counts and prints
# the difference per hop (latency tests: two hops per round trip) or per
# message (throughput tests), then the functions that make it up.
#
#   bench/callgrind.sh [TEST [SIZE]]     TEST: inproc_lat (default), inproc_thr,
#                                        chan_lat, chan_thr; SIZE: 64 (default)
#   TOP=40 bench/callgrind.sh ...        how many functions to list (default 30)
#
# Needs valgrind (Debian: valgrind) and python3; async preemption is turned
# off (GODEBUG), as its signals upset callgrind. Under valgrind the program
# runs ~50x slower: the counts are small on purpose.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
test=${1:-inproc_lat}
size=${2:-64}
top=${TOP:-30}
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
case $test in
*_lat) small=20000 big=60000 per=hop units=$(((big - small) * 2)) ;;
*_thr) small=40000 big=120000 per=message units=$((big - small)) ;;
*) echo "callgrind.sh: unknown test '$test'" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/spperf" ./cmd/spperf)
for n in $small $big; do
	GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind \
		--callgrind-out-file="$tmp/$n.out" "$tmp/spperf" "$test" "$size" "$n" >/dev/null 2>&1
	callgrind_annotate --threshold=100 "$tmp/$n.out" >"$tmp/$n.txt" 2>/dev/null
done
python3 - "$tmp/$small.txt" "$tmp/$big.txt" "$units" "$per" "$top" "$test" "$size" <<'PY'
import re, sys
def load(path):
    total, fns = 0, {}
    for line in open(path):
        m = re.match(r'\s*([\d,]+)\s+\([^)]*\)\s+(\S+)', line)
        if not m:
            continue
        n, name = int(m.group(1).replace(',', '')), m.group(2)
        if name == 'PROGRAM':
            total = n
        elif ':' in name:
            fn = name.split(':', 1)[1].replace("'2", '')
            fns[fn] = fns.get(fn, 0) + n
    return total, fns
(ta, a), (tb, b) = load(sys.argv[1]), load(sys.argv[2])
units, per, top = float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
print(f"{sys.argv[6]} {sys.argv[7]} B: {(tb - ta) / units:.0f} instructions per {per}")
rows = sorted(((b.get(k, 0) - a.get(k, 0)) / units, k) for k in set(a) | set(b))
for v, k in reversed(rows[-top:]):
    print(f"{v:8.1f}  {k}")
PY
