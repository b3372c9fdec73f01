#!/usr/bin/env bash
# bench/compare.sh: spperf side by side with nngperf (libnng) and rawperf (SP framing
# over a bare net.Conn: the floor; RAWPERF_BATCH=1 for a buffering sender, the
# ceiling a batching library can approach) over tcp and ipc; and, over inproc, spperf
# beside a bare Go channel doing the same work (spperf chan_thr/chan_lat: the
# baseline of issue #6, sp at least 50% of its throughput, within 2× of its latency).
#
# Builds the three tools, runs every case with each tool in turn, round after round
# (nng, raw, raw-batched, sp, nng, raw, ...; chan, sp, chan, sp, ... for inproc: A B A
# B, so a slow spell of the machine hits every tool alike), and prints one Markdown
# table of medians and ratios. The raw numbers go to bench/out/results.csv (tool
# "chan" for the baseline, transport "inproc"); bench/chart (its own Go module) turns
# them into bench/out/throughput.png and bench/out/latency.png.
#
#   bench/compare.sh                       # full run: 3 rounds, under ~5 min on 2 cores
#   ROUNDS=5 bench/compare.sh              # more rounds
#   SCALE=10 ROUNDS=1 bench/compare.sh     # a quick smoke run: counts divided by 10
#
# Environment:
#   SHARED_BENCH  where nngperf.c and rawperf/ live (default: ../shared/bench beside the repo)
#   ROUNDS        rounds of every case (default 3)
#   SCALE         divide every message count by this (default 1)
#   RUN_TIMEOUT   seconds one run (one end) may take before it is killed (default 60)
#   OUT           output directory (default bench/out)
#   NICE          run the tools under `nice -n NICE` (e.g. -10, as root) when other work
#                 shares the machine; unset: as they are
#   LAT_CPUS      CPUs (taskset's list) both ends of a tcp or ipc latency run are pinned
#                 to; default 0; "all" pins nothing. On the 2-core VM this was written
#                 on, a wake-up from one vCPU to the other costs 30-130 µs, so an
#                 unpinned run's latency depends on where the scheduler happened to put
#                 the two processes (7 µs when together, 50-80 when apart, for every
#                 tool), not on the tools; pinned, each tool's rounds agree.
#   NO_CHART=1    skip the charts
#
# Needs: a C compiler and libnng-dev, Go, coreutils' timeout, util-linux's taskset
# (unless LAT_CPUS=all); ss (iproute2) is used to see a tcp listener come up when
# present.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
shared="${SHARED_BENCH:-$root/../shared/bench}"
rounds="${ROUNDS:-3}"
scale="${SCALE:-1}"
run_timeout="${RUN_TIMEOUT:-60}"
out="${OUT:-$here/out}"

tools=(nng raw raw-batched sp) # over tcp and ipc
inproc_tools=(chan sp)         # over inproc: both ends in one spperf process
all_tools=(nng raw raw-batched chan sp)
transports=(tcp ipc inproc)
thr_sizes=(64 1024 65536)
lat_sizes=(64 1024)

# tools_for TRANSPORT -> the tools of its cases, in the order of a round.
tools_for() {
	if [ "$1" = inproc ]; then echo "${inproc_tools[@]}"; else echo "${tools[@]}"; fi
}

# Message counts: sized so each run takes about a second or less here. inproc moves
# 5 to 20 times as many messages a second as tcp, so it gets 5 times the counts: at
# the tcp ones a bare channel's run would last some 20 ms, no longer than a hiccup of
# the scheduler (sp's inproc_thr adds a fixed second of draining after the clock).
thr_count() { # SIZE TRANSPORT
	local n
	case "$1" in
	64) n=200000 ;;
	1024) n=100000 ;;
	*) n=10000 ;;
	esac
	if [ "$2" = inproc ]; then n=$((n * 5)); fi
	echo $((n / scale))
}
lat_count() { # TRANSPORT
	local n=20000
	# inproc round trips take 0.5-1.2 us: at 20 times the tcp count a bare channel's
	# run still lasts only a quarter of a second, and shorter runs measured the VM's
	# hiccups as much as the channel (0.23-0.38 us from round to round at 5 times).
	if [ "$1" = inproc ]; then n=$((n * 20)); fi
	echo $((n / scale))
}

log() { printf '%s\n' "$*" >&2; }
die() {
	log "compare.sh: $*"
	exit 1
}

for v in rounds scale run_timeout; do
	[[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
[ -f "$shared/nngperf.c" ] || die "no nngperf.c in $shared (set SHARED_BENCH)"
[ -d "$shared/rawperf" ] || die "no rawperf/ in $shared (set SHARED_BENCH)"
command -v timeout >/dev/null || die "timeout (coreutils) is needed"
command -v go >/dev/null || die "go is needed"
cc="${CC:-cc}"
command -v "$cc" >/dev/null || die "a C compiler is needed ($cc)"
runner=()
if [ -n "${NICE:-}" ]; then
	[[ "$NICE" =~ ^-?[0-9]+$ ]] || die "NICE must be an integer, not '$NICE'"
	runner=(nice -n "$NICE")
fi
lat_cpus="${LAT_CPUS:-0}"
lat_runner=("${runner[@]}")
if [ "$lat_cpus" != all ]; then
	command -v taskset >/dev/null || die "taskset (util-linux) is needed, or LAT_CPUS=all"
	[[ "$lat_cpus" =~ ^[0-9,-]+$ ]] || die "LAT_CPUS must be a CPU list for taskset or all, not '$lat_cpus'"
	lat_runner=(taskset -c "$lat_cpus" "${runner[@]}")
fi
have_ss=0
if command -v ss >/dev/null; then
	have_ss=1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/spbench.XXXXXX")"
local_pid=""
cleanup() {
	local rc=$?
	if [ -n "$local_pid" ] && kill -0 "$local_pid" 2>/dev/null; then
		kill "$local_pid" 2>/dev/null || true
		wait "$local_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- build ----------------------------------------------------------------------
bin="$tmp/bin"
mkdir -p "$bin" "$out"
log "building nngperf, rawperf, spperf..."
"$cc" -O2 -o "$bin/nngperf" "$shared/nngperf.c" -lnng || die "building nngperf failed (apt-get install libnng-dev?)"
# rawperf's directory may be read-only: build from it, write the binary here.
go -C "$shared/rawperf" build -o "$bin/rawperf" . || die "building rawperf failed"
go -C "$root" build -o "$bin/spperf" ./cmd/spperf || die "building spperf failed"

tool_bin() {
	case "$1" in
	nng) echo "$bin/nngperf" ;;
	raw | raw-batched) echo "$bin/rawperf" ;;
	sp | chan) echo "$bin/spperf" ;;
	esac
}
tool_batch() {
	if [ "$1" = raw-batched ]; then echo 1; else echo 0; fi
}

# ---- endpoints: a fresh port or ipc path for every run ----------------------------
next_port=$((20000 + $$ % 20000))
seq_no=0
port_busy() {
	[ "$have_ss" = 1 ] && [ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ]
}
new_url() { # transport -> sets url, addr
	seq_no=$((seq_no + 1))
	if [ "$1" = tcp ]; then
		while port_busy "$next_port"; do
			next_port=$((next_port + 1))
		done
		addr="127.0.0.1:$next_port"
		next_port=$((next_port + 1))
		if [ "$next_port" -ge 60000 ]; then next_port=20000; fi
		url="tcp://$addr"
	else
		addr="$tmp/$seq_no.ipc"
		url="ipc://$addr"
	fi
}

listening() { # transport addr
	if [ "$1" = tcp ]; then
		if [ "$have_ss" = 1 ]; then
			[ -n "$(ss -Htln "sport = :${2##*:}" 2>/dev/null)" ]
		else
			return 0 # no way to look: the remote's retries cover it
		fi
	else
		[ -S "$2" ]
	fi
}

# ---- one pair: local end, then remote end -----------------------------------------
# run_pair TOOL KIND(thr|lat) TRANSPORT SIZE COUNT: sets msgs, mbits, lat (or fails).
run_pair() {
	local tool="$1" kind="$2" tr="$3" size="$4" count="$5"
	local b batch lout="$tmp/local.out" rout="$tmp/remote.out" err="$tmp/err" i
	local run=("${runner[@]}")
	if [ "$kind" = lat ]; then run=("${lat_runner[@]}"); fi
	b="$(tool_bin "$tool")"
	batch="$(tool_batch "$tool")"
	msgs="" mbits="" lat=""
	new_url "$tr"
	: >"$err"
	RAWPERF_BATCH="$batch" "${run[@]}" timeout "$run_timeout" "$b" "local_$kind" "$url" "$size" "$count" >"$lout" 2>>"$err" &
	local_pid=$!
	# Wait until it listens (at most 5 s).
	for ((i = 0; i < 100; i++)); do
		listening "$tr" "$addr" && break
		kill -0 "$local_pid" 2>/dev/null || break
		sleep 0.05
	done
	# The remote dials once and fails if nobody listens yet: retry while the local lives.
	for ((i = 0; ; i++)); do
		if RAWPERF_BATCH="$batch" "${run[@]}" timeout "$run_timeout" "$b" "remote_$kind" "$url" "$size" "$count" >"$rout" 2>>"$err"; then
			break
		fi
		if [ "$i" -ge 20 ] || ! kill -0 "$local_pid" 2>/dev/null; then
			kill "$local_pid" 2>/dev/null || true
			wait "$local_pid" 2>/dev/null || true
			local_pid=""
			log "  $tool $kind $url $size: remote failed: $(tail -n 2 "$err" | tr '\n' ' ')"
			return 1
		fi
		sleep 0.1
	done
	if ! wait "$local_pid"; then
		local_pid=""
		log "  $tool $kind $url $size: local failed: $(tail -n 2 "$err" | tr '\n' ' ')"
		return 1
	fi
	local_pid=""
	if [ "$tr" = ipc ]; then rm -f "$addr"; fi
	parse_out "$tool" "$kind" "$url" "$size" "$lout" "$rout"
}

# parse_out TOOL KIND WHERE SIZE THR_OUT LAT_OUT: sets msgs and mbits from the
# throughput lines of THR_OUT, or lat from the latency line of LAT_OUT (or fails).
parse_out() {
	local tool="$1" kind="$2" where="$3" size="$4"
	if [ "$kind" = thr ]; then
		msgs="$(awk '/^throughput: .*\[msg\/s\]/ {print $2}' "$5")"
		mbits="$(awk '/^throughput: .*\[Mb\/s\]/ {print $2}' "$5")"
		if [ -z "$msgs" ] || [ -z "$mbits" ]; then
			log "  $tool thr $where $size: no throughput line"
			return 1
		fi
	else
		lat="$(awk '/^average latency: / {print $3}' "$6")"
		if [ -z "$lat" ]; then
			log "  $tool lat $where $size: no latency line"
			return 1
		fi
	fi
}

# ---- one inproc run: both ends in one process ---------------------------------------
# run_inproc TOOL KIND(thr|lat) SIZE COUNT: spperf inproc_KIND (sp over inproc://) or,
# for chan, spperf chan_KIND (the same work over a bare Go channel); sets msgs, mbits,
# lat (or fails).
run_inproc() {
	local tool="$1" kind="$2" size="$3" count="$4" mode out1="$tmp/inproc.out" err="$tmp/err"
	mode="inproc_$kind"
	if [ "$tool" = chan ]; then mode="chan_$kind"; fi
	msgs="" mbits="" lat=""
	if ! "${runner[@]}" timeout "$run_timeout" "$(tool_bin "$tool")" "$mode" "$size" "$count" >"$out1" 2>"$err"; then
		log "  $tool $mode $size: failed: $(tail -n 2 "$err" | tr '\n' ' ')"
		return 1
	fi
	parse_out "$tool" "$kind" "$mode" "$size" "$out1" "$out1"
}

# ---- the rounds ----------------------------------------------------------------
date_start="$(date -u '+%Y-%m-%d %H:%M UTC')"
load_before="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
csv="$out/results.csv"
echo "round,kind,transport,size,tool,count,msgs_per_s,mbits_per_s,latency_us" >"$csv"
failures=0
started=$SECONDS
cases=()
for tr in "${transports[@]}"; do
	for s in "${thr_sizes[@]}"; do cases+=("thr $tr $s"); done
	for s in "${lat_sizes[@]}"; do cases+=("lat $tr $s"); done
done
for ((r = 1; r <= rounds; r++)); do
	for c in "${cases[@]}"; do
		read -r kind tr size <<<"$c"
		if [ "$kind" = thr ]; then n="$(thr_count "$size" "$tr")"; else n="$(lat_count "$tr")"; fi
		[ "$n" -ge 1 ] || n=1
		read -r -a case_tools <<<"$(tools_for "$tr")"
		for tool in "${case_tools[@]}"; do
			if [ "$tr" = inproc ]; then
				run_inproc "$tool" "$kind" "$size" "$n" && ok=1 || ok=0
			else
				run_pair "$tool" "$kind" "$tr" "$size" "$n" && ok=1 || ok=0
			fi
			if [ "$ok" = 1 ]; then
				echo "$r,$kind,$tr,$size,$tool,$n,$msgs,$mbits,$lat" >>"$csv"
				if [ "$kind" = thr ]; then
					log "[round $r/$rounds] thr $tr $size B $tool: $msgs msg/s, $mbits Mb/s"
				else
					log "[round $r/$rounds] lat $tr $size B $tool: $lat us"
				fi
			else
				failures=$((failures + 1))
			fi
		done
	done
done
elapsed=$((SECONDS - started))

# ---- the table -----------------------------------------------------------------
# stats KIND TRANSPORT SIZE TOOL -> "median min max n" (of msg/s or latency), or "".
stats() {
	local col=7
	if [ "$1" = lat ]; then col=9; fi
	awk -F, -v k="$1" -v t="$2" -v s="$3" -v tool="$4" -v col="$col" \
		'NR > 1 && $2 == k && $3 == t && $4 == s && $5 == tool { print $col }' "$csv" |
		sort -g |
		awk '{ v[NR] = $1 }
		END {
			if (NR == 0) exit
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR], NR
		}'
}

fmt_val() { # kind size value -> shown value
	awk -v k="$1" -v s="$2" -v v="$3" 'BEGIN {
		if (v == "") { print "—"; exit }
		if (k == "lat" && v < 1) printf "%.3f", v # inproc: tenths would hide the ratio
		else if (k == "lat") printf "%.1f", v
		else if (s == 64) printf "%.0f", v
		else printf "%.1f", v * s / 1e6
	}'
}
ratio() { # a b -> a/b
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "—"; else printf "%.2f×", a / b }'
}
human_size() {
	case "$1" in
	64) echo "64 B" ;;
	1024) echo "1 KiB" ;;
	65536) echo "64 KiB" ;;
	*) echo "$1 B" ;;
	esac
}

table="$out/table.md"
{
	echo "Measured $date_start on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || echo unknown)), load average before the run: $load_before."
	echo "Command: \`${NICE:+NICE=$NICE }ROUNDS=$rounds SCALE=$scale LAT_CPUS=$lat_cpus bench/compare.sh\` at $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'); $elapsed s; medians of $rounds rounds."
	echo "Throughput (higher is better) in msg/s at 64 B and MB/s (10^6 bytes/s) above; latency is one-way, in µs (lower is better)."
	if [ "$lat_cpus" != all ]; then
		echo "tcp and ipc latency runs: both ends pinned to CPU $lat_cpus (taskset), so that the hypervisor's cross-CPU wake-ups do not decide them; throughput and inproc runs are not pinned."
	fi
	echo "Ratios are sp's median over the other's. Spread: the widest (max−min)/median of a row's tools over the rounds."
	echo "inproc rows: chan is the same work over a bare Go channel, no library (spperf chan_thr/chan_lat); the goal (issue #6) is sp/chan ≥ 0.50× in throughput and ≤ 2.00× in latency."
	echo
	echo "| test | transport | size | unit | nng | raw | raw-batched | chan | sp | sp/nng | sp/raw | sp/raw-batched | sp/chan | spread |"
	echo "|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
	for c in "${cases[@]}"; do
		read -r kind tr size <<<"$c"
		if [ "$kind" = thr ]; then
			what="throughput"
			if [ "$size" = 64 ]; then unit="msg/s"; else unit="MB/s"; fi
		else
			what="latency"
			unit="µs"
		fi
		declare -A med=()
		cells=""
		spread=0
		spread_tool=""
		for tool in "${all_tools[@]}"; do
			read -r m lo hi _ <<<"$(stats "$kind" "$tr" "$size" "$tool")" || true
			med[$tool]="${m:-}"
			cells+=" $(fmt_val "$kind" "$size" "${m:-}") |"
			if [ -n "${m:-}" ]; then
				sp_=$(awk -v m="$m" -v lo="$lo" -v hi="$hi" 'BEGIN { printf "%.0f", (hi - lo) / m * 100 }')
				if [ "$sp_" -ge "$spread" ]; then
					spread="$sp_"
					spread_tool="$tool"
				fi
			fi
			m="" lo="" hi=""
		done
		echo "| $what | $tr | $(human_size "$size") | $unit |$cells $(ratio "${med[sp]}" "${med[nng]}") | $(ratio "${med[sp]}" "${med[raw]}") | $(ratio "${med[sp]}" "${med[raw-batched]}") | $(ratio "${med[sp]}" "${med[chan]}") | $spread% ($spread_tool) |"
		unset med
	done
} >"$table"
cat "$table"
log ""
log "raw data: $csv; table: $table"

# ---- the charts ----------------------------------------------------------------
if [ "${NO_CHART:-0}" != 1 ]; then
	if go -C "$here/chart" run . -in "$csv" -out "$out" >&2; then
		log "charts: $out/throughput.png, $out/latency.png"
	else
		log "compare.sh: the charts failed (NO_CHART=1 skips them)"
		failures=$((failures + 1))
	fi
fi

if [ "$failures" -gt 0 ]; then
	die "$failures run(s) failed; their cells are missing from the table"
fi
