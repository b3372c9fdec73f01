#!/usr/bin/env bash
# bench/pairs.sh: the pair streams of bench/compare.sh, alone (PARTS=pairs
# bench/compare.sh; see there for what they are and the environment). compare.sh
# sources this file for the part's functions: pairs_build, pairs_cases, pairs_tools,
# pairs_run, pairs_table, pairs_chart.
# shellcheck disable=SC2034,SC2154
# (Checked on its own, it cannot see the globals it shares with compare.sh, which
# sets and reads them: `shellcheck -x bench/compare.sh` checks it in place.)
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	PARTS=pairs BENCH_PROG=pairs.sh exec "$(dirname "${BASH_SOURCE[0]}")/compare.sh" "$@"
fi

pairs_tools_all=(nng mangos raw raw-batched chan sp) # the table's columns
pairs_stream_tools=(nng mangos raw raw-batched sp)   # over tcp and ipc, in a round's order
pairs_inproc_tools=(chan sp)                         # over inproc: one spperf process
pairs_transports=(tcp ipc inproc)
pairs_thr_sizes=(64 1024 65536)
pairs_lat_sizes=(64 1024)

# Message counts: sized so each run takes about a second or less here. inproc moves
# 5 to 20 times as many messages a second as tcp, so it gets 5 times the counts: at
# the tcp ones a bare channel's run would last some 20 ms, no longer than a hiccup of
# the scheduler (sp's inproc_thr adds a fixed second of draining after the clock).
pairs_thr_count() { # SIZE TRANSPORT
	local n
	case "$1" in
	64) n=200000 ;;
	1024) n=100000 ;;
	*) n=10000 ;;
	esac
	if [ "$2" = inproc ]; then n=$((n * 5)); fi
	n=$((n / scale))
	echo $((n < 1 ? 1 : n))
}
pairs_lat_count() { # TRANSPORT
	local n=20000
	# inproc round trips take 0.5-1.2 us: at 20 times the tcp count a bare channel's
	# run still lasts only a quarter of a second, and shorter runs measured the VM's
	# hiccups as much as the channel (0.23-0.38 us from round to round at 5 times).
	if [ "$1" = inproc ]; then n=$((n * 20)); fi
	n=$((n / scale))
	echo $((n < 1 ? 1 : n))
}

# pairs_build: nngperf (on the shared peers' libnng 1.12, or with NNG_PERF=system or
# without the peers on the system's -lnng), mangosshapes, rawperf; spperf is built.
pairs_nng="" # which libnng nngperf runs on, for the table
pairs_build() {
	tool_ok pairs chan sp
	if [ ! -f "$shared/nngperf.c" ]; then
		tool_missing pairs nng "no nngperf.c in $shared (set SHARED_BENCH)"
	else
		local built=0
		if [ "$nng_perf" = 1.12 ]; then
			if ! load_peers; then
				log "$prog: pairs: $peers_why: nngperf falls back to the system's libnng"
			elif cc_nng nngperf "$shared/nngperf.c"; then
				built=1 pairs_nng="libnng 1.12.0 (static, the shared peers')"
			else
				log "$prog: pairs: building nngperf on libnng 1.12 failed ($(why nngperf)): it falls back to the system's libnng"
			fi
		fi
		if [ "$built" = 0 ]; then
			if "$cc" -O2 -o "$bin/nngperf" "$shared/nngperf.c" -lnng 2>"$tmp/nngperf.err"; then
				built=1 pairs_nng="the system's libnng $(nng_header_version)"
			else
				tool_missing pairs nng "building nngperf failed (apt-get install libnng-dev?): $(why nngperf)"
			fi
		fi
		if [ "$built" = 1 ]; then tool_ok pairs nng; fi
	fi
	if build_mangos; then tool_ok pairs mangos; else tool_missing pairs mangos "$mangos_why"; fi
	if [ ! -d "$shared/rawperf" ]; then
		tool_missing pairs raw "no rawperf/ in $shared (set SHARED_BENCH)"
		tool_missing pairs raw-batched "no rawperf/ in $shared"
	elif build_go rawperf "$shared/rawperf"; then
		tool_ok pairs raw raw-batched
	else
		tool_missing pairs raw "building rawperf failed: $(why rawperf)"
		tool_missing pairs raw-batched "building rawperf failed"
	fi
}
# nng_header_version -> the version the system's nng.h says, e.g. "1.5.2".
nng_header_version() {
	awk '/#define NNG_(MAJOR|MINOR|PATCH)_VERSION/ { v = v (v == "" ? "" : ".") $3 } END { print v }' \
		/usr/include/nng/nng.h 2>/dev/null
}

pairs_bin() {
	case "$1" in
	nng) echo "$bin/nngperf" ;;
	mangos) echo "$bin/mangosshapes" ;;
	raw | raw-batched) echo "$bin/rawperf" ;;
	sp | chan) echo "$bin/spperf" ;;
	esac
}

# pairs_cases: "KIND TRANSPORT SIZE MODE" (MODE pinned or unpinned for the tcp and ipc
# latency runs, - otherwise), in a round's order.
pairs_cases() {
	local tr s m
	cases=()
	for tr in "${pairs_transports[@]}"; do
		for s in "${pairs_thr_sizes[@]}"; do cases+=("thr $tr $s -"); done
		if [ "$tr" = inproc ]; then
			for s in "${pairs_lat_sizes[@]}"; do cases+=("lat $tr $s -"); done
		else
			for m in "${lat_modes[@]}"; do
				for s in "${pairs_lat_sizes[@]}"; do cases+=("lat $tr $s $m"); done
			done
		fi
	done
}
pairs_tools() { # CASE -> its tools, in a round's order
	local kind tr
	read -r kind tr _ <<<"$1"
	if [ "$tr" = inproc ]; then
		available pairs "${pairs_inproc_tools[@]}"
	else
		available pairs "${pairs_stream_tools[@]}"
	fi
}
pairs_csv_header="kind,transport,size,tool,count,msgs_per_s,mbits_per_s,latency_us,pinned"

# pairs_run TOOL CASE: one run; sets record and say (or fails).
pairs_run() {
	local tool="$1" kind tr size mode n pinned=0
	read -r kind tr size mode <<<"$2"
	if [ "$mode" = pinned ]; then pinned=1; fi
	if [ "$kind" = thr ]; then n="$(pairs_thr_count "$size" "$tr")"; else n="$(pairs_lat_count "$tr")"; fi
	if [ "$tr" = inproc ]; then
		pairs_inproc "$tool" "$kind" "$size" "$n" || return 1
	else
		pairs_pair "$tool" "$kind" "$tr" "$size" "$n" "$pinned" || return 1
	fi
	record="$kind,$tr,$size,$tool,$n,$msgs,$mbits,$lat,$pinned"
	if [ "$kind" = thr ]; then
		say="thr $tr $size B $tool: $msgs msg/s, $mbits Mb/s"
	else
		say="lat $tr $size B $tool: $lat us"
		if [ "$mode" != - ]; then say="lat $tr $size B $mode $tool: $lat us"; fi
	fi
}

# pairs_pair TOOL KIND(thr|lat) TRANSPORT SIZE COUNT PINNED: the local end, then the
# remote end; sets msgs, mbits, lat (or fails).
pairs_pair() {
	local tool="$1" kind="$2" tr="$3" size="$4" count="$5" b batch i lpid
	local lout="$tmp/local.out" rout="$tmp/remote.out" err="$tmp/err"
	local -a run
	runner_for "$6"
	b="$(pairs_bin "$tool")"
	batch=0
	if [ "$tool" = raw-batched ]; then batch=1; fi
	msgs="" mbits="" lat=""
	new_url "$tr"
	: >"$err"
	RAWPERF_BATCH="$batch" "${run[@]}" timeout "$run_timeout" "$b" "local_$kind" "$url" "$size" "$count" >"$lout" 2>>"$err" &
	lpid=$!
	pids=("$lpid")
	wait_listening "$tr" "$addr" "$lpid"
	# The remote dials once and fails if nobody listens yet: retry while the local lives.
	for ((i = 0; ; i++)); do
		if RAWPERF_BATCH="$batch" "${run[@]}" timeout "$run_timeout" "$b" "remote_$kind" "$url" "$size" "$count" >"$rout" 2>>"$err"; then
			break
		fi
		if [ "$i" -ge 20 ] || ! kill -0 "$lpid" 2>/dev/null; then
			stop "$lpid"
			pids=()
			log "  $tool $kind $url $size: remote failed: $(tail -n 2 "$err" | tr '\n' ' ')"
			return 1
		fi
		sleep 0.1
	done
	if ! wait "$lpid"; then
		pids=()
		log "  $tool $kind $url $size: local failed: $(tail -n 2 "$err" | tr '\n' ' ')"
		return 1
	fi
	pids=()
	if [ "$tr" = ipc ]; then rm -f "$addr"; fi
	pairs_parse "$tool" "$kind" "$url" "$size" "$lout" "$rout"
}

# pairs_parse TOOL KIND WHERE SIZE THR_OUT LAT_OUT: sets msgs and mbits from the
# throughput lines of THR_OUT, or lat from the latency line of LAT_OUT (or fails).
pairs_parse() {
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

# pairs_inproc TOOL KIND(thr|lat) SIZE COUNT: spperf inproc_KIND (sp over inproc://)
# or, for chan, spperf chan_KIND (the same work over a bare Go channel), both ends in
# one process; sets msgs, mbits, lat (or fails).
pairs_inproc() {
	local tool="$1" kind="$2" size="$3" count="$4" mode out1="$tmp/inproc.out" err="$tmp/err"
	mode="inproc_$kind"
	if [ "$tool" = chan ]; then mode="chan_$kind"; fi
	msgs="" mbits="" lat=""
	if ! "${runner[@]}" timeout "$run_timeout" "$(pairs_bin "$tool")" "$mode" "$size" "$count" >"$out1" 2>"$err"; then
		log "  $tool $mode $size: failed: $(tail -n 2 "$err" | tr '\n' ' ')"
		return 1
	fi
	pairs_parse "$tool" "$kind" "$mode" "$size" "$out1" "$out1"
}

# ---- the table -----------------------------------------------------------------
# The goal of the unpinned latency rows: sp below nng and mangos, within this of raw.
pairs_goal_raw=1.30

pairs_row_stats() { # TOOL, with kind, tr, size, pinned of the row
	local col=msgs_per_s
	if [ "$kind" = lat ]; then col=latency_us; fi
	stats "$csv" "$col" kind="$kind" transport="$tr" size="$size" tool="$1" pinned="$pinned"
}

pairs_table() {
	local c kind tr size mode pinned what unit cells tool goal="" lo spread
	local -A med=()
	echo "Pair streams (pair v1): throughput (higher is better) in msg/s at 64 B and MB/s (10^6 bytes/s) above; latency is one-way, in µs (lower is better). Medians of $(rounds_of "$rounds"); counts divided by $scale."
	echo "nng is nngperf on $pairs_nng; mangos is mangos v3.4.2 (bench/shapes/mangos); raw is rawperf (the SP framing over a bare net.Conn, no library: the floor), raw-batched the same with a buffering sender."
	if [[ " ${lat_modes[*]} " == *" pinned "* ]]; then
		echo "Latency, pinned: both ends of the tcp and ipc runs pinned to CPU $lat_cpus (taskset), so that the hypervisor's cross-CPU wake-ups do not decide them; unpinned: wherever the scheduler puts them. Throughput and inproc runs are not pinned."
	fi
	echo "Ratios are sp's median over the other's. Spread: the widest (max−min)/median of a row's tools over the rounds."
	echo "inproc rows: chan is the same work over a bare Go channel, no library (spperf chan_thr/chan_lat); the goal (issue #6) is sp/chan ≥ 0.50× in throughput and ≤ 2.00× in latency."
	lo="$(left_out_of pairs)"
	if [ -n "$lo" ]; then echo "Left out of this run: $lo."; fi
	echo
	echo "| test | transport | size | unit | nng | mangos | raw | raw-batched | chan | sp | sp/nng | sp/mangos | sp/raw | sp/raw-batched | sp/chan | spread |"
	echo "|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
	for c in "${cases[@]}"; do
		read -r kind tr size mode <<<"$c"
		pinned=0
		if [ "$mode" = pinned ]; then pinned=1; fi
		if [ "$kind" = thr ]; then
			what="throughput"
			if [ "$size" = 64 ]; then unit="msg/s"; else unit="MB/s"; fi
		else
			what="latency"
			if [ "$mode" != - ]; then what="latency, $mode"; fi
			unit="µs"
		fi
		med=()
		collect_row pairs_row_stats "${pairs_tools_all[@]}"
		cells=""
		for tool in "${pairs_tools_all[@]}"; do
			cells+=" $(fmt_val "$kind" "$size" "${med[$tool]}") |"
		done
		for tool in nng mangos raw raw-batched chan; do
			cells+=" $(ratio "${med[sp]}" "${med[$tool]}") |"
		done
		echo "| $what | $tr | $(human_size "$size") | $unit |$cells $spread |"
		if [ "$mode" = unpinned ]; then
			goal+="${goal:+; }$tr $(human_size "$size") $(pairs_goal "${med[sp]}" "${med[nng]}" "${med[mangos]}" "${med[raw]}")"
		fi
	done
	if [ -n "$goal" ]; then
		echo
		echo "Goal: unpinned one-way latency, tcp and ipc, 64 B and 1 KiB: sp below nng and mangos and within ${pairs_goal_raw}× of raw. $goal."
	fi
}

# pairs_goal SP NNG MANGOS RAW -> "met" or "not met (why)" for one unpinned row.
pairs_goal() {
	awk -v sp="$1" -v nng="$2" -v ma="$3" -v raw="$4" -v lim="$pairs_goal_raw" 'BEGIN {
		if (sp == "") { print "not measured"; exit }
		why = ""; missing = ""
		if (nng == "") missing = missing ", no nng"; else if (sp >= nng) why = why sprintf(", %.2f× nng", sp / nng)
		if (ma == "") missing = missing ", no mangos"; else if (sp >= ma) why = why sprintf(", %.2f× mangos", sp / ma)
		if (raw == "") missing = missing ", no raw"; else if (sp > raw * lim) why = why sprintf(", %.2f× raw", sp / raw)
		if (why != "") print "not met (" substr(why missing, 3) ")"
		else if (missing != "") print "not judged (" substr(missing, 3) ")"
		else printf "met (%.2f× raw)\n", sp / raw
	}'
}

# pairs_chart: bench/chart (its own Go module) draws $csv into throughput.png,
# latency.png (pinned) and latency-unpinned.png beside it.
pairs_chart() {
	local d f charts=""
	d="$(dirname "$csv")"
	rm -f "$d/throughput.png" "$d/latency.png" "$d/latency-unpinned.png"
	if go -C "$here/chart" run . -in "$csv" -out "$d" >&2; then
		for f in "$d"/throughput.png "$d"/latency.png "$d"/latency-unpinned.png; do
			if [ -f "$f" ]; then charts+="${charts:+, }$f"; fi
		done
		log "charts: $charts"
	else
		log "$prog: the charts failed (NO_CHART=1 skips them)"
		return 1
	fi
}
