#!/usr/bin/env bash
# bench/shapes.sh: the service shapes of bench/compare.sh, alone (PARTS=shapes
# bench/compare.sh; see there for what they are and the environment):
#
#   bench/shapes.sh                               # 3 rounds: about 3 min
#   SECONDS_PER_RUN=1 ROUNDS=1 bench/shapes.sh    # a quick smoke run
#   SHAPES="rpc survey" LAT_MODES=unpinned bench/shapes.sh   # some shapes, no pinned rpc
#
# compare.sh sources this file for the part's functions: shapes_build, shapes_cases,
# shapes_tools, shapes_run, shapes_table.
# shellcheck disable=SC2034,SC2154
# (Checked on its own, it cannot see the globals it shares with compare.sh, which
# sets and reads them: `shellcheck -x bench/compare.sh` checks it in place.)
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	PARTS=shapes BENCH_PROG=shapes.sh exec "$(dirname "${BASH_SOURCE[0]}")/compare.sh" "$@"
fi

# The shapes' sizes, those of issue #17.
shapes_rpc_conns=8 shapes_rpc_per_conn=8 shapes_size=64
shapes_survey_n=50 shapes_fanout_n=100 shapes_fanin_n=16
shapes_tools_all=(nng mangos raw sp spi) # the table's columns; spi: sp answering inline

# shapes_build: nngshapes (on the shared peers' libnng 1.12), mangosshapes, rawrpc,
# rawsurvey (bench/shapes/rawsurvey); spperf is built. "raw" is the floor of a shape:
# rawrpc for rpc, rawsurvey for survey (none for fan-out and fan-in).
shapes_build() {
	tool_ok shapes sp spi
	if ! load_peers; then
		tool_missing shapes nng "$peers_why"
	elif cc_nng nngshapes "$here/shapes/nngshapes.c"; then
		tool_ok shapes nng
	else
		tool_missing shapes nng "building nngshapes failed: $(why nngshapes)"
	fi
	if build_mangos; then tool_ok shapes mangos; else tool_missing shapes mangos "$mangos_why"; fi
	if [ ! -d "$shared/rawrpc" ]; then
		tool_missing shapes raw "no rawrpc/ in $shared (set SHARED_BENCH)"
	elif build_go rawrpc "$shared/rawrpc"; then
		tool_ok shapes raw
	else
		tool_missing shapes raw "building rawrpc failed: $(why rawrpc)"
	fi
	if build_go rawsurvey "$root" ./bench/shapes/rawsurvey; then
		tool_ok shapes rawsurvey
	else
		tool_missing shapes rawsurvey "building rawsurvey failed: $(why rawsurvey)"
	fi
}

shapes_bin() { # TOOL SHAPE
	case "$1" in
	sp | spi) echo "$bin/spperf" ;;
	nng) echo "$bin/nngshapes" ;;
	mangos) echo "$bin/mangosshapes" ;;
	raw) if [ "$2" = survey ]; then echo "$bin/rawsurvey"; else echo "$bin/rawrpc"; fi ;;
	esac
}

# shapes_cases: "SHAPE PINNED": rpc unpinned (throughput and latency), and pinned to
# LAT_CPUS when LAT_MODES has pinned; the other shapes unpinned.
shapes_cases() {
	local s
	cases=()
	for s in "${shapes[@]}"; do
		cases+=("$s 0")
		if [ "$s" = rpc ] && [[ " ${lat_modes[*]} " == *" pinned "* ]]; then cases+=("rpc 1"); fi
	done
}
shapes_tools() { # CASE -> its tools, in a round's order
	if [ "${1%% *}" = rpc ]; then
		available shapes nng mangos raw sp spi
	elif [ "${1%% *}" = survey ]; then
		local t
		t="$(available shapes nng mangos rawsurvey sp spi)"
		echo "${t/rawsurvey/raw}"
	else
		available shapes nng mangos sp
	fi
}
shapes_csv_header="shape,pinned,tool,value,p50_us,p99_us"

# shapes_run TOOL CASE: the server, then the client; the end that measures prints the
# line, and the other is then stopped. Sets record and say (or fails).
shapes_run() {
	local tool="$1" shape pinned b measurer spid cpid mpid opid mout rc=0 line
	local sout="$tmp/server.out" cout="$tmp/client.out" err="$tmp/err"
	local -a run sargs cargs
	read -r shape pinned <<<"$2"
	runner_for "$pinned"
	b="$(shapes_bin "$tool" "$shape")"
	new_url tcp
	case "$shape" in
	rpc)
		if [ "$tool" = raw ]; then
			sargs=(server "$addr") cargs=(client "$addr" "$secs")
		else
			sargs=(rpc_server "$url")
			cargs=(rpc_client "$url" "$shapes_rpc_conns" "$shapes_rpc_per_conn" "$secs" "$shapes_size")
		fi
		measurer=client
		;;
	survey)
		if [ "$tool" = raw ]; then
			sargs=(server "$addr" "$shapes_survey_n" "$secs" "$shapes_size") cargs=(client "$addr" "$shapes_survey_n")
		else
			sargs=(survey_server "$url" "$shapes_survey_n" "$secs" "$shapes_size") cargs=(survey_client "$url" "$shapes_survey_n")
		fi
		measurer=server
		;;
	fanout)
		sargs=(fanout_server "$url" "$shapes_fanout_n" "$shapes_size") cargs=(fanout_client "$url" "$shapes_fanout_n" "$secs")
		measurer=client
		;;
	fanin)
		sargs=(fanin_server "$url" "$shapes_fanin_n" "$secs") cargs=(fanin_client "$url" "$shapes_fanin_n" "$shapes_size")
		measurer=server
		;;
	esac
	if [ "$tool" = spi ]; then sargs=(-inline "${sargs[@]}") cargs=(-inline "${cargs[@]}"); fi
	: >"$err"
	"${run[@]}" timeout "$run_timeout" "$b" "${sargs[@]}" >"$sout" 2>>"$err" &
	spid=$!
	pids=("$spid")
	wait_listening tcp "$addr" "$spid"
	"${run[@]}" timeout "$run_timeout" "$b" "${cargs[@]}" >"$cout" 2>>"$err" &
	cpid=$!
	pids+=("$cpid")
	mpid="$cpid" opid="$spid" mout="$cout"
	if [ "$measurer" = server ]; then mpid="$spid" opid="$cpid" mout="$sout"; fi
	wait "$mpid" || rc=$?
	stop "$opid"
	pids=()
	if [ "$rc" != 0 ]; then
		log "  $tool $shape: the measuring end failed (exit $rc): $(tail -n 2 "$err" | tr '\n' ' ')"
		return 1
	fi
	local val="" p50="" p99=""
	case "$shape" in
	rpc) line="$(awk '/^req\/s [0-9.]+ p50 [0-9.]+ us p99 [0-9.]+ us$/ { print $2, $4, $7 }' "$mout")" ;;
	survey) line="$(awk '/^surveys\/s [0-9.]+$/ { print $2 }' "$mout")" ;;
	*) line="$(awk '/^msgs\/s [0-9.]+$/ { print $2 }' "$mout")" ;;
	esac
	read -r val p50 p99 <<<"$line" || true
	if [ -z "$val" ]; then
		log "  $tool $shape: no result line in: $(tr '\n' ' ' <"$mout")"
		return 1
	fi
	record="$shape,$pinned,$tool,$val,$p50,$p99"
	if [ "$shape" = rpc ]; then
		local where=""
		if [ "$pinned" = 1 ]; then where=" (pinned to CPU $lat_cpus)"; fi
		say="rpc$where $tool: $val req/s, p50 $p50 us, p99 $p99 us"
	else
		say="$shape $tool: $val"
	fi
}

# ---- the table -----------------------------------------------------------------
shapes_row_stats() { # TOOL, with shape, pinned, col of the row
	stats "$csv" "$col" shape="$shape" pinned="$pinned" tool="$1"
}

shapes_table() {
	local c shape pinned name row col what cells tool lo spread
	local -a rows
	local -A med=()
	echo "Service shapes (issue #17), all over loopback tcp: each run measures $secs s after a 250 ms warm-up; medians of $(rounds_of "$rounds")."
	echo "nng is bench/shapes/nngshapes.c on libnng 1.12.0 (static, contexts and aio), mangos is v3.4.2 (contexts), raw is the floor, no library: ../shared/bench/rawrpc for rpc, bench/shapes/rawsurvey for survey (the framing over bare net.Conn: the surveying goroutine writes to each connection in turn, a reader goroutine per connection)."
	echo "Ratios are sp's median over the other's: above 1 is sp ahead for rates, below 1 is sp ahead for latencies. Spread: the widest (max−min)/median of a row's tools over the rounds."
	lo="$(left_out_of shapes)"
	if [ -n "$lo" ]; then echo "Left out of this run: $lo."; fi
	echo
	echo "sp answers with rep.Server and respondent.Server as they come; sp inline sets Server.Inline (spperf -inline: the handler runs on the goroutine that read the request). Ratios of both columns: sp's, then sp inline's."
	echo
	echo "| shape | measure | nng | mangos | raw | sp | sp inline | sp/nng | sp/mangos | sp/raw | sp inline/nng | sp inline/mangos | sp inline/raw | spread |"
	echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
	for c in "${cases[@]}"; do
		read -r shape pinned <<<"$c"
		case "$shape" in
		rpc)
			name="rpc: 64 requesters on 8 conns → 1 rep, 64 B"
			if [ "$pinned" = 1 ]; then
				name="rpc, both ends pinned to CPU $lat_cpus"
			fi
			rows=("value req/s" "p50_us p50 µs" "p99_us p99 µs")
			;;
		survey) name="survey: 1 surveyor, $shapes_survey_n respondents, 64 B" rows=("value surveys/s") ;;
		fanout) name="fan-out: 1 pub → $shapes_fanout_n subs, 64 B" rows=("value delivered msgs/s") ;;
		fanin) name="fan-in: $shapes_fanin_n push → 1 pull, 64 B" rows=("value msgs/s") ;;
		esac
		for row in "${rows[@]}"; do
			read -r col what <<<"$row"
			med=()
			collect_row shapes_row_stats "${shapes_tools_all[@]}"
			cells=""
			for tool in "${shapes_tools_all[@]}"; do
				cells+=" $(fmt_val n "$shapes_size" "${med[$tool]}") |"
			done
			for tool in nng mangos raw; do
				cells+=" $(ratio "${med[sp]}" "${med[$tool]}") |"
			done
			for tool in nng mangos raw; do
				cells+=" $(ratio "${med[spi]}" "${med[$tool]}") |"
			done
			echo "| $name | $what |$cells $spread |"
		done
	done
}
