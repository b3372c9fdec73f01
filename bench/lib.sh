# shellcheck shell=bash disable=SC2034,SC2154
# (Checked on its own, it cannot see the globals it shares with compare.sh, which
# sets and reads them: `shellcheck -x bench/compare.sh` checks it in place.)
# bench/lib.sh: the helpers shared by bench/compare.sh and its parts (bench/pairs.sh,
# bench/shapes.sh): messages, the run's temporary directory and its cleanup, ports and
# ipc paths, waiting for a listener, building the tools that more than one part runs
# (spperf, mangosshapes, the shared peers' libnng 1.12), the round-robin runner, and
# the medians, ratios and cells of the tables. Sourced, never run; it only defines
# functions and reads no environment of its own (compare.sh sets what it uses: prog,
# root, here, shared, tmp, bin, rounds, runner, lat_cpus, have_ss, run_timeout,
# peers_env, mangos_archive).

log() { printf '%s\n' "$*" >&2; }
die() {
	log "${prog:-bench}: $*"
	exit 1
}

# need_int NAME...: each variable must hold a positive integer.
need_int() {
	local v
	for v in "$@"; do
		[[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
	done
}

# ---- processes: every one started in the background is in pids ---------------------
pids=()
# stop PID: ends a process of the run (timeout passes the signal on to the tool).
stop() {
	if kill -0 "$1" 2>/dev/null; then
		kill "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}
cleanup() {
	local rc=$? p
	for p in "${pids[@]}"; do
		stop "$p"
	done
	if [ -n "${tmp:-}" ]; then rm -rf "$tmp"; fi
	exit "$rc"
}

# ---- tools: which of each part's tools this run has -------------------------------
declare -A have=()  # have[part/tool]=1 for a tool that was built
left_out=()         # "part tool: why", one for each tool that was not
# tool_ok PART TOOL... / tool_missing PART TOOL WHY: record what was built, or not.
tool_ok() {
	local t p="$1"
	shift
	for t in "$@"; do have[$p/$t]=1; done
}
tool_missing() {
	log "$prog: $1: leaving $2 out: $3"
	left_out+=("$1 $2: $3")
}
# available PART TOOL... -> those of the TOOLs that PART has, in order.
available() {
	local t p="$1" got=()
	shift
	for t in "$@"; do
		if [ -n "${have[$p/$t]:-}" ]; then got+=("$t"); fi
	done
	echo "${got[*]}"
}
# left_out_of PART -> "tool: why; tool: why" of PART's tools left out, or "".
left_out_of() {
	local l s=""
	for l in "${left_out[@]}"; do
		if [ "${l%% *}" = "$1" ]; then s+="${s:+; }${l#* }"; fi
	done
	echo "$s"
}

# ---- building what more than one part runs ----------------------------------------
# build_go OUT DIR [PACKAGE]: go build DIR's PACKAGE (default .) into $bin/OUT, the
# errors in $tmp/OUT.err; DIR may be read-only.
build_go() {
	go -C "$2" build -o "$bin/$1" "${3:-.}" 2>"$tmp/$1.err"
}
# why NAME -> the first line that says something of what building NAME printed.
why() {
	awk 'NF && !/^#/ { sub(/^[ \t]+/, ""); print; exit }' "$tmp/$1.err" 2>/dev/null
}
# rounds_of N -> "N round(s)".
rounds_of() { if [ "$1" = 1 ]; then echo "1 round"; else echo "$1 rounds"; fi; }

# build_mangos: mangosshapes (bench/shapes/mangos, a module of its own: the shapes and
# the pair tests on mangos v3.4.2) into $bin, from the Go module proxy, or else from
# $mangos_archive through a replace. Fails (with the reason in mangos_why) if neither
# builds it.
mangos_state=""
mangos_why=""
build_mangos() {
	if [ -n "$mangos_state" ]; then [ "$mangos_state" = ok ]; return; fi
	mangos_state=failed
	if build_go mangosshapes "$here/shapes/mangos"; then
		mangos_state=ok
		return 0
	fi
	local proxy_why
	proxy_why="$(why mangosshapes)"
	log "$prog: building mangosshapes from the module proxy failed ($proxy_why); using $mangos_archive"
	if [ ! -f "$mangos_archive" ]; then
		mangos_why="building mangosshapes from the module proxy failed ($proxy_why), and there is no $mangos_archive (set MANGOS_ARCHIVE)"
		return 1
	fi
	local src="$HOME/.cache/sp-peers/mangos-src"
	if [ ! -f "$src/mangos-3.4.2/go.mod" ]; then
		mkdir -p "$src"
		if ! tar xzf "$mangos_archive" -C "$src"; then
			mangos_why="extracting $mangos_archive failed"
			return 1
		fi
	fi
	cp "$here/shapes/mangos/go.mod" "$here/shapes/mangos/go.sum" "$tmp/"
	if go -C "$here/shapes/mangos" mod edit -modfile="$tmp/go.mod" -replace "go.nanomsg.org/mangos/v3=$src/mangos-3.4.2" &&
		GOFLAGS=-mod=mod go -C "$here/shapes/mangos" build -modfile="$tmp/go.mod" -o "$bin/mangosshapes" . 2>"$tmp/mangosshapes.err"; then
		mangos_state=ok
		return 0
	fi
	mangos_why="building mangosshapes failed, from the module proxy ($proxy_why) and from $mangos_archive ($(why mangosshapes))"
	return 1
}

# load_peers: the shared peers' env.sh ($peers_env: NNG112, NNG_LIBS), made with
# $shared/../peers/build.sh when missing. Fails (with the reason in peers_why) when
# there is no static libnng 1.12 to link.
peers_state=""
peers_why=""
load_peers() {
	if [ -n "$peers_state" ]; then [ "$peers_state" = ok ]; return; fi
	peers_state=failed
	local build="$shared/../peers/build.sh"
	if [ ! -f "$peers_env" ] && [ -x "$build" ]; then
		log "$prog: no $peers_env: building the peers with $build (under a minute)"
		if ! "$build" "$(dirname "$peers_env")" >&2; then
			peers_why="building the peers with $build failed"
			return 1
		fi
	fi
	if [ ! -f "$peers_env" ]; then
		peers_why="no $peers_env (run the shared peers/build.sh, or set PEERS_ENV)"
		return 1
	fi
	# shellcheck disable=SC1090
	. "$peers_env"
	if [ ! -f "${NNG112:-}/lib/libnng.a" ]; then
		peers_why="no libnng.a under NNG112=${NNG112:-} (from $peers_env)"
		return 1
	fi
	peers_state=ok
}

# cc_nng OUT SOURCE: compiles SOURCE against the peers' static libnng 1.12 into $bin/OUT.
cc_nng() {
	# shellcheck disable=SC2086 # NNG_LIBS is a list of flags
	"$cc" -O2 -o "$bin/$1" "$2" -I"$NNG112/include" "$NNG112/lib/libnng.a" $NNG_LIBS 2>"$tmp/$1.err"
}

# ---- endpoints: a fresh port or ipc path for every run ----------------------------
next_port=$((20000 + $$ % 20000))
seq_no=0
port_busy() {
	[ "$have_ss" = 1 ] && [ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ]
}
# new_url TRANSPORT(tcp|ipc) -> sets url and addr (host:port, or the ipc path).
new_url() {
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
# listening TRANSPORT ADDR: whether something listens there.
listening() {
	if [ "$1" = tcp ]; then
		if [ "$have_ss" = 1 ]; then
			[ -n "$(ss -Htln "sport = :${2##*:}" 2>/dev/null)" ]
		else
			sleep 0.3 # no way to look: give it time (dialers retry or reconnect anyway)
		fi
	else
		[ -S "$2" ]
	fi
}
# wait_listening TRANSPORT ADDR PID: until PID listens at ADDR, or dies (at most 5 s).
wait_listening() {
	local i
	for ((i = 0; i < 100; i++)); do
		listening "$1" "$2" && return 0
		kill -0 "$3" 2>/dev/null || return 0
		sleep 0.05
	done
}
# runner_for PINNED(0|1) -> sets run: how to start a tool (nice, taskset).
runner_for() {
	run=("${runner[@]}")
	if [ "$1" = 1 ]; then run=(taskset -c "$lat_cpus" "${runner[@]}"); fi
}

# ---- the rounds ----------------------------------------------------------------
# run_rounds PART: every case of cases (an array), with each of "PART_tools CASE"'s
# tools in turn, round after round (A B C, A B C, ...: a slow spell of the machine
# hits every tool alike). "PART_run TOOL CASE" runs one and, when it succeeds, sets
# record (its CSV fields after the round) and say (what to log, with the run's wall
# time); each record goes to $csv. Counts the failures in failures.
run_rounds() {
	local part="$1" r c tool t0
	local -a case_tools
	for ((r = 1; r <= rounds; r++)); do
		for c in "${cases[@]}"; do
			read -r -a case_tools <<<"$("${part}_tools" "$c")"
			for tool in "${case_tools[@]}"; do
				record="" say=""
				t0="$EPOCHREALTIME"
				if "${part}_run" "$tool" "$c"; then
					echo "$r,$record" >>"$csv"
					log "[$part, round $r/$rounds] $say ($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s)"
				else
					failures=$((failures + 1))
				fi
			done
		done
	done
}

# ---- the tables ----------------------------------------------------------------
# stats CSV COLUMN [NAME=VALUE...] -> "median min max n" of COLUMN (named as in the
# CSV's header) over the rows whose NAME columns hold VALUE, or "" when there are none.
stats() {
	local csv="$1" col="$2"
	shift 2
	awk -F, -v col="$col" -v conds="$*" '
		NR == 1 {
			for (i = 1; i <= NF; i++) idx[$i] = i
			nc = split(conds, c, " ")
			for (j = 1; j <= nc; j++) {
				split(c[j], kv, "=")
				if (!(kv[1] in idx)) { print "stats: no column " kv[1] > "/dev/stderr"; exit 1 }
				ci[j] = idx[kv[1]]; cv[j] = kv[2]
			}
			if (!(col in idx)) { print "stats: no column " col > "/dev/stderr"; exit 1 }
			vc = idx[col]
			next
		}
		{
			for (j = 1; j <= nc; j++) if ($(ci[j]) != cv[j]) next
			if ($vc != "") print $vc
		}' "$csv" |
		sort -g |
		awk '{ v[NR] = $1 }
		END {
			if (NR == 0) exit
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR], NR
		}'
}

# collect_row FN TOOL...: for each TOOL, "FN TOOL" prints its stats; sets med[TOOL]
# (an associative array the caller declares) to the median, or "", and spread to the
# widest (max-min)/median of the TOOLs, as "N% (tool)".
collect_row() {
	local fn="$1" tool m lo hi w widest=-1 who=""
	shift
	for tool in "$@"; do
		m="" lo="" hi=""
		read -r m lo hi _ <<<"$("$fn" "$tool")" || true
		# shellcheck disable=SC2004 # med is associative: the key is the tool's name
		med[$tool]="${m:-}"
		if [ -n "${m:-}" ]; then
			w=$(awk -v m="$m" -v lo="$lo" -v hi="$hi" 'BEGIN { if (m == 0) print 0; else printf "%.0f", (hi - lo) / m * 100 }')
			if [ "$w" -ge "$widest" ]; then
				widest="$w"
				who="$tool"
			fi
		fi
	done
	if [ -n "$who" ]; then spread="$widest% ($who)"; else spread="—"; fi
}

# fmt_val KIND SIZE VALUE -> the cell: thr (msg/s at 64 B, else MB/s from msg/s),
# lat (µs), n (a count or a rate, whole); "—" for no value.
fmt_val() {
	awk -v k="$1" -v s="$2" -v v="$3" 'BEGIN {
		if (v == "") { print "—"; exit }
		if (k == "lat" && v < 1) printf "%.3f", v # inproc: tenths would hide the ratio
		else if (k == "lat") printf "%.1f", v
		else if (k == "thr" && s != 64) printf "%.1f", v * s / 1e6
		else printf "%.0f", v
	}'
}
# ratio A B -> A/B, as "1.23×", or "—".
ratio() {
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
# machine -> "N cores (model)".
machine() {
	echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || echo unknown))"
}
