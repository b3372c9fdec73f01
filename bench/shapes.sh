#!/usr/bin/env bash
# bench/shapes.sh: the service shapes of issue #17, sp side by side with nng 1.12
# (bench/shapes/nngshapes.c: contexts and aio callbacks, as nng's demo/async) and
# mangos v3.4.2 (bench/shapes/mangos: contexts), all over loopback tcp, in one run:
#
#   rpc     1 rep socket (64 contexts, or a rep.Server answering 64 at once) <- 8 req
#           sockets, 8 requesters on each (64 in flight), 64 B echo: req/s, p50 and
#           p99 round trip; beside rawrpc (../shared/bench/rawrpc: the same framing
#           over a bare net.Conn, no library: the floor)
#   survey  1 surveyor, 50 respondents (a socket and a connection each), 64 B; a
#           survey ends when all 50 have answered: surveys/s
#   fanout  1 pub -> 100 subs (a socket and a connection each), 64 B, the pub
#           publishing at will: messages delivered per second, over all subs
#   fanin   16 push (a socket and a connection each) -> 1 pull, 64 B: msgs/s
#
# Every tool has the same subcommands (spperf's, cmd/spperf/shapes.go): a server
# (the one socket, listening) and a client (the many sockets, dialing), in two
# processes; the end that measures prints one line after a 250 ms warm-up and
# SECONDS of measuring, and the other is then killed. Each shape is run with each
# tool in turn, round after round (nng, mangos, raw, sp, nng, ...: a slow spell of
# the machine hits every tool alike), and one Markdown table of medians and ratios
# is printed. The rpc shape runs twice a round: unpinned (throughput, latency) and
# with both processes pinned to LAT_CPUS (latency: see compare.sh for why).
#
#   bench/shapes.sh                        # full run: 3 rounds, about 6 min on 2 cores
#   ROUNDS=5 bench/shapes.sh               # more rounds
#   SECONDS_PER_RUN=1 ROUNDS=1 bench/shapes.sh   # a quick smoke run
#
# Environment:
#   SHARED_BENCH     where rawrpc/ lives (default: ../shared/bench beside the repo)
#   PEERS_ENV        the env.sh of the shared peers/build.sh, which says where libnng
#                    1.12 is (default: $HOME/.cache/sp-peers/env.sh; if missing, the
#                    script runs $SHARED_BENCH/../peers/build.sh to make it)
#   MANGOS_ARCHIVE   mangos-3.4.2.tar.gz, used only when the Go module proxy does not
#                    serve go.nanomsg.org/mangos/v3 (default:
#                    $SHARED_BENCH/../peers/mangos-3.4.2.tar.gz, extracted under
#                    $HOME/.cache/sp-peers/mangos-src)
#   ROUNDS           rounds of every shape (default 3)
#   SECONDS_PER_RUN  seconds each run measures, after its warm-up (default 3)
#   SHAPES           the shapes to run (default "rpc survey fanout fanin")
#   RUN_TIMEOUT      seconds one run (one end) may take before it is killed (default 60)
#   OUT              output directory (default bench/out/shapes)
#   NICE             run the tools under `nice -n NICE` (e.g. -10, as root) when other
#                    work shares the machine; unset: as they are
#   LAT_CPUS         CPUs (taskset's list) both ends of the pinned rpc runs are pinned
#                    to; default 0; "all" makes no pinned runs
#
# Needs: a C compiler, libmbedtls (for the static libnng), Go, coreutils' timeout,
# util-linux's taskset (unless LAT_CPUS=all); ss (iproute2) is used to see a
# listener come up when present.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
shared="${SHARED_BENCH:-$root/../shared/bench}"
peers_env="${PEERS_ENV:-$HOME/.cache/sp-peers/env.sh}"
mangos_archive="${MANGOS_ARCHIVE:-$shared/../peers/mangos-3.4.2.tar.gz}"
rounds="${ROUNDS:-3}"
secs="${SECONDS_PER_RUN:-3}"
run_timeout="${RUN_TIMEOUT:-60}"
out="${OUT:-$here/out/shapes}"
read -r -a shapes <<<"${SHAPES:-rpc survey fanout fanin}"

# The shapes' sizes, those of issue #17.
rpc_conns=8 rpc_per_conn=8 size=64
survey_n=50 fanout_n=100 fanin_n=16

log() { printf '%s\n' "$*" >&2; }
die() {
	log "shapes.sh: $*"
	exit 1
}

for v in rounds secs run_timeout; do
	[[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
for s in "${shapes[@]}"; do
	case "$s" in rpc | survey | fanout | fanin) ;; *) die "unknown shape '$s'" ;; esac
done
[ -d "$shared/rawrpc" ] || die "no rawrpc/ in $shared (set SHARED_BENCH)"
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
if [ "$lat_cpus" != all ]; then
	command -v taskset >/dev/null || die "taskset (util-linux) is needed, or LAT_CPUS=all"
	[[ "$lat_cpus" =~ ^[0-9,-]+$ ]] || die "LAT_CPUS must be a CPU list for taskset or all, not '$lat_cpus'"
fi
have_ss=0
if command -v ss >/dev/null; then
	have_ss=1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/spshapes.XXXXXX")"
pids=()
cleanup() {
	local rc=$? p
	for p in "${pids[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- build ----------------------------------------------------------------------
bin="$tmp/bin"
mkdir -p "$bin" "$out"
log "building spperf, nngshapes, mangosshapes, rawrpc..."
go -C "$root" build -o "$bin/spperf" ./cmd/spperf || die "building spperf failed"
if [ ! -f "$peers_env" ] && [ -x "$shared/../peers/build.sh" ]; then
	log "no $peers_env: building the peers with $shared/../peers/build.sh"
	"$shared/../peers/build.sh" >&2 || die "building the peers failed"
fi
[ -f "$peers_env" ] || die "no $peers_env (run the shared peers/build.sh, or set PEERS_ENV)"
# shellcheck disable=SC1090
. "$peers_env"
[ -f "${NNG112:-}/lib/libnng.a" ] || die "no libnng.a under NNG112=${NNG112:-} (from $peers_env)"
# shellcheck disable=SC2086 # NNG_LIBS is a list of flags
"$cc" -O2 -o "$bin/nngshapes" "$here/shapes/nngshapes.c" -I"$NNG112/include" "$NNG112/lib/libnng.a" $NNG_LIBS ||
	die "building nngshapes failed"
if ! go -C "$here/shapes/mangos" build -o "$bin/mangosshapes" . 2>"$tmp/mangos.err"; then
	# No module proxy: build against the archive's source instead.
	log "building mangosshapes from the module proxy failed ($(tail -n 1 "$tmp/mangos.err")); using $mangos_archive"
	[ -f "$mangos_archive" ] || die "no $mangos_archive (set MANGOS_ARCHIVE)"
	src="$HOME/.cache/sp-peers/mangos-src"
	if [ ! -f "$src/mangos-3.4.2/go.mod" ]; then
		mkdir -p "$src"
		tar xzf "$mangos_archive" -C "$src" || die "extracting $mangos_archive failed"
	fi
	cp "$here/shapes/mangos/go.mod" "$here/shapes/mangos/go.sum" "$tmp/"
	go -C "$here/shapes/mangos" mod edit -modfile="$tmp/go.mod" -replace "go.nanomsg.org/mangos/v3=$src/mangos-3.4.2"
	GOFLAGS=-mod=mod go -C "$here/shapes/mangos" build -modfile="$tmp/go.mod" -o "$bin/mangosshapes" . ||
		die "building mangosshapes failed"
fi
# rawrpc's directory may be read-only: build from it, write the binary here.
go -C "$shared/rawrpc" build -o "$bin/rawrpc" . || die "building rawrpc failed"

tool_bin() {
	case "$1" in
	sp) echo "$bin/spperf" ;;
	nng) echo "$bin/nngshapes" ;;
	mangos) echo "$bin/mangosshapes" ;;
	raw) echo "$bin/rawrpc" ;;
	esac
}
tools_for() { # shape -> its tools, in the order of a round
	if [ "$1" = rpc ]; then echo nng mangos raw sp; else echo nng mangos sp; fi
}

# ---- endpoints: a fresh port for every run --------------------------------------
next_port=$((20000 + $$ % 20000))
port_busy() {
	[ "$have_ss" = 1 ] && [ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ]
}
new_addr() { # -> sets addr, url
	while port_busy "$next_port"; do
		next_port=$((next_port + 1))
	done
	addr="127.0.0.1:$next_port"
	url="tcp://$addr"
	next_port=$((next_port + 1))
	if [ "$next_port" -ge 60000 ]; then next_port=20000; fi
}
listening() { # port
	if [ "$have_ss" = 1 ]; then
		[ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
	else
		sleep 0.3 # no way to look: give it time (the dialers reconnect anyway)
	fi
}

# stop PID: ends a run's other end (timeout passes the signal on to the tool).
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# ---- one run: server, then client; the end that measures prints the line -------
# run_shape TOOL SHAPE PINNED(0|1): sets val, p50, p99 (or fails).
run_shape() {
	local tool="$1" shape="$2" pinned="$3" b sargs cargs measurer i
	local sout="$tmp/server.out" cout="$tmp/client.out" err="$tmp/err" line
	local run=("${runner[@]}")
	if [ "$pinned" = 1 ]; then run=(taskset -c "$lat_cpus" "${runner[@]}"); fi
	b="$(tool_bin "$tool")"
	val="" p50="" p99=""
	new_addr
	case "$shape" in
	rpc)
		if [ "$tool" = raw ]; then
			sargs=(server "$addr") cargs=(client "$addr" "$secs")
		else
			sargs=(rpc_server "$url") cargs=(rpc_client "$url" "$rpc_conns" "$rpc_per_conn" "$secs" "$size")
		fi
		measurer=client
		;;
	survey)
		sargs=(survey_server "$url" "$survey_n" "$secs" "$size") cargs=(survey_client "$url" "$survey_n")
		measurer=server
		;;
	fanout)
		sargs=(fanout_server "$url" "$fanout_n" "$size") cargs=(fanout_client "$url" "$fanout_n" "$secs")
		measurer=client
		;;
	fanin)
		sargs=(fanin_server "$url" "$fanin_n" "$secs") cargs=(fanin_client "$url" "$fanin_n" "$size")
		measurer=server
		;;
	esac
	: >"$err"
	"${run[@]}" timeout "$run_timeout" "$b" "${sargs[@]}" >"$sout" 2>>"$err" &
	local spid=$!
	pids+=("$spid")
	for ((i = 0; i < 100; i++)); do # wait until it listens (at most 5 s)
		listening "${addr##*:}" && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.05
	done
	"${run[@]}" timeout "$run_timeout" "$b" "${cargs[@]}" >"$cout" 2>>"$err" &
	local cpid=$!
	pids+=("$cpid")
	local mpid="$cpid" opid="$spid" mout="$cout"
	if [ "$measurer" = server ]; then mpid="$spid" opid="$cpid" mout="$sout"; fi
	local rc=0
	wait "$mpid" || rc=$?
	stop "$opid"
	pids=()
	if [ "$rc" != 0 ]; then
		log "  $tool $shape: the measuring end failed (exit $rc): $(tail -n 2 "$err" | tr '\n' ' ')"
		return 1
	fi
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
}

# ---- the rounds ----------------------------------------------------------------
date_start="$(date -u '+%Y-%m-%d %H:%M UTC')"
load_before="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
csv="$out/results.csv"
echo "round,shape,pinned,tool,value,p50_us,p99_us" >"$csv"
cases=()
for s in "${shapes[@]}"; do
	cases+=("$s 0")
	if [ "$s" = rpc ] && [ "$lat_cpus" != all ]; then cases+=("rpc 1"); fi
done
failures=0
started=$SECONDS
for ((r = 1; r <= rounds; r++)); do
	for c in "${cases[@]}"; do
		read -r shape pinned <<<"$c"
		read -r -a case_tools <<<"$(tools_for "$shape")"
		for tool in "${case_tools[@]}"; do
			if run_shape "$tool" "$shape" "$pinned"; then
				echo "$r,$shape,$pinned,$tool,$val,$p50,$p99" >>"$csv"
				where=""
				if [ "$pinned" = 1 ]; then where=" (pinned to CPU $lat_cpus)"; fi
				if [ "$shape" = rpc ]; then
					log "[round $r/$rounds] rpc$where $tool: $val req/s, p50 $p50 us, p99 $p99 us"
				else
					log "[round $r/$rounds] $shape $tool: $val"
				fi
			else
				failures=$((failures + 1))
			fi
		done
	done
done
elapsed=$((SECONDS - started))

# ---- the table -----------------------------------------------------------------
# stats SHAPE PINNED TOOL COLUMN -> "median min max n", or "".
stats() {
	awk -F, -v s="$1" -v p="$2" -v tool="$3" -v col="$4" \
		'NR > 1 && $2 == s && $3 == p && $4 == tool && $col != "" { print $col }' "$csv" |
		sort -g |
		awk '{ v[NR] = $1 }
		END {
			if (NR == 0) exit
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR], NR
		}'
}
fmt_val() { awk -v v="$1" 'BEGIN { if (v == "") print "—"; else printf "%.0f", v }'; }
ratio() { # a b -> a/b
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "—"; else printf "%.2f×", a / b }'
}

table="$out/table.md"
{
	echo "Measured $date_start on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || echo unknown)), load average before the run: $load_before."
	echo "Command: \`${NICE:+NICE=$NICE }ROUNDS=$rounds SECONDS_PER_RUN=$secs LAT_CPUS=$lat_cpus bench/shapes.sh\` at $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'); $elapsed s; medians of $rounds rounds, each run measuring $secs s after a 250 ms warm-up."
	echo "nng is libnng 1.12.0 (static, contexts and aio), mangos is v3.4.2 (contexts), rawrpc is ../shared/bench/rawrpc (no library: the floor for rpc), all over loopback tcp."
	echo "Ratios are sp's median over the other's: above 1 is sp ahead for rates, below 1 is sp ahead for latencies. Spread: the widest (max−min)/median of a row's tools over the rounds."
	echo
	echo "| shape | measure | nng | mangos | rawrpc | sp | sp/nng | sp/mangos | sp/rawrpc | spread |"
	echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"
	for c in "${cases[@]}"; do
		read -r shape pinned <<<"$c"
		case "$shape" in
		rpc)
			name="rpc: 64 requesters on 8 conns → 1 rep, 64 B"
			if [ "$pinned" = 1 ]; then
				name="rpc, both ends pinned to CPU $lat_cpus"
			fi
			rows=("5 req/s" "6 p50 µs" "7 p99 µs")
			;;
		survey) name="survey: 1 surveyor, $survey_n respondents, 64 B" rows=("5 surveys/s") ;;
		fanout) name="fan-out: 1 pub → $fanout_n subs, 64 B" rows=("5 delivered msgs/s") ;;
		fanin) name="fan-in: $fanin_n push → 1 pull, 64 B" rows=("5 msgs/s") ;;
		esac
		for row in "${rows[@]}"; do
			read -r col what <<<"$row"
			declare -A med=()
			cells=""
			spread=0
			spread_tool=""
			for tool in nng mangos raw sp; do
				m="" lo="" hi=""
				read -r m lo hi _ <<<"$(stats "$shape" "$pinned" "$tool" "$col")" || true
				med[$tool]="${m:-}"
				cells+=" $(fmt_val "${m:-}") |"
				if [ -n "${m:-}" ]; then
					sp_=$(awk -v m="$m" -v lo="$lo" -v hi="$hi" 'BEGIN { if (m == 0) print 0; else printf "%.0f", (hi - lo) / m * 100 }')
					if [ "$sp_" -ge "$spread" ]; then
						spread="$sp_"
						spread_tool="$tool"
					fi
				fi
			done
			echo "| $name | $what |$cells $(ratio "${med[sp]}" "${med[nng]}") | $(ratio "${med[sp]}" "${med[mangos]}") | $(ratio "${med[sp]}" "${med[raw]}") | $spread% ($spread_tool) |"
			unset med
		done
	done
} >"$table"
cat "$table"
log ""
log "raw data: $csv; table: $table"

if [ "$failures" -gt 0 ]; then
	die "$failures run(s) failed; their cells are missing from the table"
fi
