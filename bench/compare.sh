#!/usr/bin/env bash
# bench/compare.sh: sp side by side with nng, mangos and the no-library floors, on one
# machine, in one run, with one report. Two parts (PARTS):
#
#   pairs   (bench/pairs.sh) pair v1 streams over tcp, ipc and inproc: throughput at
#           64 B, 1 KiB and 64 KiB, read from the listening end (local_thr), and
#           one-way latency at 64 B and 1 KiB, read from the dialing end (remote_lat),
#           for spperf beside nngperf (../shared/bench/nngperf.c on libnng 1.12, the
#           shared peers'), mangos v3.4.2 (bench/shapes/mangos) and rawperf
#           (../shared/bench/rawperf: the SP framing over a bare net.Conn, the floor;
#           raw-batched, RAWPERF_BATCH=1: a buffering sender, the ceiling a batching
#           library can approach). The tcp and ipc latency runs are made twice in each
#           round: pinned (both ends on LAT_CPUS) and unpinned. Over inproc, spperf
#           beside a bare Go channel doing the same work (spperf chan_thr/chan_lat: the
#           baseline of issue #6, sp at least 50% of its throughput, within 2× of its
#           latency).
#   shapes  (bench/shapes.sh) the service shapes of issue #17, over loopback tcp, for
#           spperf beside bench/shapes/nngshapes.c (libnng 1.12: contexts and aio, as
#           nng's demo/async) and mangos v3.4.2 (contexts):
#             rpc     1 rep socket (64 contexts, or a rep.Server answering 64 at once)
#                     <- 8 req sockets, 8 requesters on each (64 in flight), 64 B echo:
#                     req/s, p50 and p99 round trip; beside rawrpc
#                     (../shared/bench/rawrpc: no library, the floor); run unpinned,
#                     and pinned to LAT_CPUS too when LAT_MODES has pinned
#             survey  1 surveyor, 50 respondents (a socket and a connection each),
#                     64 B; a survey ends when all 50 have answered: surveys/s;
#                     beside rawsurvey (bench/shapes/rawsurvey: the floor)
#             fanout  1 pub -> 100 subs (a socket and a connection each), 64 B, the
#                     pub publishing at will: messages delivered per second, all subs
#             fanin   16 push (a socket and a connection each) -> 1 pull, 64 B: msgs/s
#           Every tool has spperf's subcommands (cmd/spperf/shapes.go): a server (the
#           one socket, listening) and a client (the many, dialing), in two
#           processes; the end that measures prints one line after a 250 ms warm-up
#           and SECONDS_PER_RUN of measuring, and the other is then stopped. sp
#           runs twice in rpc and survey: as rep.Server and respondent.Server come
#           (sp), and with Server.Inline (sp inline: spperf -inline).
#
# Each part builds its tools, then runs every case with each tool in turn, round after
# round (nng, mangos, raw, raw-batched, sp, nng, ...; chan, sp, chan, sp for inproc: a
# slow spell of the machine hits every tool alike), with a fresh port or ipc path for
# every run and every process under `timeout`; an interrupted run leaves no process or
# socket behind. A tool that cannot be built (no peers, no module proxy and no archive,
# no libnng) is left out with a message, and the tables say so; its cells show "—".
# The report, both parts' tables of medians and ratios, is printed and written to
# $OUT/report.md; besides it:
#   $OUT/results.csv, $OUT/table.md    the pairs (tool "chan" for the baseline; column
#                                      pinned: 1 for a pinned latency run)
#   $OUT/throughput.png, $OUT/latency.png, $OUT/latency-unpinned.png
#                                      the pairs' charts (bench/chart, its own module)
#   $OUT/shapes/results.csv, $OUT/shapes/table.md   the shapes
#
#   bench/compare.sh                            # both parts, 3 rounds: about 9 min here
#   ROUNDS=5 bench/compare.sh                   # medians of 5 (the goals' measure): about 15 min
#   PARTS=pairs bench/compare.sh                # the pair streams alone (= bench/pairs.sh): about 6 min
#   PARTS=shapes bench/compare.sh               # the shapes alone (= bench/shapes.sh): about 3 min
#   LAT_MODES=pinned bench/compare.sh           # latency pinned only, as the runs before
#   SCALE=20 SECONDS_PER_RUN=1 ROUNDS=1 bench/compare.sh   # a quick smoke run: about 1 min
#
# (Times: estimates for the 2-core VM this was written on, from the wall times of the
# single runs, which the log shows, taken while other work loaded it (load average
# 4-5): a round of the pairs is 80 runs, about 110 s (30 throughput runs about 40 s,
# 40 tcp and ipc latency runs about 70 s, 10 inproc runs a few); a round of the shapes
# is 17 runs of SECONDS_PER_RUN + 0.4 s, about 60 s; building takes 10-20 s.)
#
# Environment:
#   PARTS            the parts to run, in order (default "pairs shapes")
#   ROUNDS           rounds of every case (default 3)
#   LAT_MODES        how the tcp and ipc latency runs are made: "pinned", "unpinned" or
#                    both (default "pinned unpinned"; "unpinned" when LAT_CPUS=all).
#                    pinned also adds the shapes' pinned rpc run.
#   LAT_CPUS         CPUs (taskset's list) both ends of a pinned run are pinned to
#                    (default 0; "all" pins nothing: LAT_MODES=unpinned). On the 2-core VM
#                    this was written on, a wake-up from one vCPU to the other costs
#                    30-130 µs, so an unpinned latency run measures where the scheduler
#                    happened to put the two processes (7 µs together, 50-80 apart, for
#                    every tool) as much as the tools; pinned, each tool's rounds agree.
#   SCALE            pairs: divide every message count by this (default 1)
#   NNG_PERF         pairs: the libnng nngperf runs on: 1.12 (default: the shared
#                    peers', as the shapes'; the system's -lnng when they cannot be had)
#                    or system (Debian's libnng-dev, 1.5.2 on Debian 12)
#   NO_CHART=1       pairs: skip the charts
#   SECONDS_PER_RUN  shapes: seconds each run measures, after its warm-up (default 3)
#   SHAPES           shapes: the shapes to run (default "rpc survey fanout fanin")
#   SHARED_BENCH     where nngperf.c, rawperf/ and rawrpc/ live (default:
#                    ../shared/bench beside the repo)
#   PEERS_ENV        the env.sh of the shared peers/build.sh, which says where libnng
#                    1.12 is (default: $HOME/.cache/sp-peers/env.sh; if missing, the
#                    script runs $SHARED_BENCH/../peers/build.sh to make it there)
#   MANGOS_ARCHIVE   mangos-3.4.2.tar.gz, used only when the Go module proxy does not
#                    serve go.nanomsg.org/mangos/v3 (default:
#                    $SHARED_BENCH/../peers/mangos-3.4.2.tar.gz, extracted under
#                    $HOME/.cache/sp-peers/mangos-src)
#   RUN_TIMEOUT      seconds one run (one end) may take before it is killed (default 60)
#   OUT              output directory (default bench/out)
#   NICE             run the tools under `nice -n NICE` (e.g. -10, as root) when other
#                    work shares the machine; unset: as they are
#   CC               the C compiler (default cc)
#
# Needs: Go, coreutils' timeout, util-linux's taskset (for pinned runs); for nng, a C
# compiler and the shared peers (cmake, ninja-build, libmbedtls-dev to build them) or
# libnng-dev. ss (iproute2) is used to see a tcp listener come up when present.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
prog="${BENCH_PROG:-compare.sh}" # the name in messages: pairs.sh and shapes.sh set it
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

shared="${SHARED_BENCH:-$root/../shared/bench}"
if [ -d "$shared" ]; then shared="$(cd "$shared" && pwd)"; fi
peers_env="${PEERS_ENV:-$HOME/.cache/sp-peers/env.sh}"
mangos_archive="${MANGOS_ARCHIVE:-$shared/../peers/mangos-3.4.2.tar.gz}"
rounds="${ROUNDS:-3}"
scale="${SCALE:-1}"
secs="${SECONDS_PER_RUN:-3}"
run_timeout="${RUN_TIMEOUT:-60}"
out="${OUT:-$here/out}"
nng_perf="${NNG_PERF:-1.12}"
lat_cpus="${LAT_CPUS:-0}"
read -r -a parts <<<"${PARTS:-pairs shapes}"
read -r -a shapes <<<"${SHAPES:-rpc survey fanout fanin}"
default_modes="pinned unpinned"
if [ "$lat_cpus" = all ]; then default_modes=unpinned; fi
read -r -a lat_modes <<<"${LAT_MODES:-$default_modes}"

need_int rounds scale secs run_timeout
[ "${#parts[@]}" -gt 0 ] || die "PARTS is empty"
for p in "${parts[@]}"; do
	case "$p" in pairs | shapes) ;; *) die "unknown part '$p' in PARTS (pairs, shapes)" ;; esac
done
for s in "${shapes[@]}"; do
	case "$s" in rpc | survey | fanout | fanin) ;; *) die "unknown shape '$s' in SHAPES" ;; esac
done
[ "${#lat_modes[@]}" -gt 0 ] || die "LAT_MODES is empty"
for m in "${lat_modes[@]}"; do
	case "$m" in pinned | unpinned) ;; *) die "unknown latency mode '$m' in LAT_MODES (pinned, unpinned)" ;; esac
done
case "$nng_perf" in 1.12 | system) ;; *) die "NNG_PERF must be 1.12 or system, not '$nng_perf'" ;; esac
if [[ " ${lat_modes[*]} " == *" pinned "* ]]; then
	[ "$lat_cpus" != all ] || die "LAT_MODES has pinned but LAT_CPUS=all pins nothing"
	[[ "$lat_cpus" =~ ^[0-9,-]+$ ]] || die "LAT_CPUS must be a CPU list for taskset or all, not '$lat_cpus'"
	command -v taskset >/dev/null || die "taskset (util-linux) is needed, or LAT_MODES=unpinned"
fi
command -v timeout >/dev/null || die "timeout (coreutils) is needed"
command -v go >/dev/null || die "go is needed"
cc="${CC:-cc}"
runner=()
if [ -n "${NICE:-}" ]; then
	[[ "$NICE" =~ ^-?[0-9]+$ ]] || die "NICE must be an integer, not '$NICE'"
	runner=(nice -n "$NICE")
fi
have_ss=0
if command -v ss >/dev/null; then
	have_ss=1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/spbench.XXXXXX")"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- build ----------------------------------------------------------------------
bin="$tmp/bin"
mkdir -p "$bin" "$out"
log "building the tools of ${parts[*]}..."
build_go spperf "$root" ./cmd/spperf || die "building spperf failed: $(why spperf)"
for p in "${parts[@]}"; do
	case "$p" in
	pairs) # shellcheck source=bench/pairs.sh
		. "$here/pairs.sh" ;;
	shapes) # shellcheck source=bench/shapes.sh
		. "$here/shapes.sh" ;;
	esac
	"${p}_build"
done

# part_csv PART / part_table PART -> where its raw data and its table go.
part_csv() { if [ "$1" = pairs ]; then echo "$out/results.csv"; else echo "$out/$1/results.csv"; fi; }
part_table() { if [ "$1" = pairs ]; then echo "$out/table.md"; else echo "$out/$1/table.md"; fi; }

# ---- the rounds ----------------------------------------------------------------
date_start="$(date -u '+%Y-%m-%d %H:%M UTC')"
load_before="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
if ! git -C "$root" diff --quiet HEAD 2>/dev/null; then commit+=" (with changes not committed)"; fi
failures=0
declare -A took=()
started_all=$SECONDS
for p in "${parts[@]}"; do
	csv="$(part_csv "$p")"
	mkdir -p "$(dirname "$csv")"
	header="${p}_csv_header"
	echo "round,${!header}" >"$csv"
	"${p}_cases"
	started=$SECONDS
	run_rounds "$p"
	took[$p]=$((SECONDS - started))
done
elapsed=$((SECONDS - started_all))

# ---- the report ----------------------------------------------------------------
command_line="${NICE:+NICE=$NICE }PARTS=\"${parts[*]}\" ROUNDS=$rounds"
if [[ " ${parts[*]} " == *" pairs "* ]]; then command_line+=" SCALE=$scale NNG_PERF=$nng_perf"; fi
if [[ " ${parts[*]} " == *" shapes "* ]]; then command_line+=" SECONDS_PER_RUN=$secs"; fi
command_line+=" LAT_MODES=\"${lat_modes[*]}\" LAT_CPUS=$lat_cpus bench/compare.sh"
about() { # [PART] -> the run's lines
	echo "Measured $date_start on $(machine), load average before the run: $load_before."
	if [ -n "${1:-}" ]; then
		echo "Command: \`$command_line\` at $commit; $1 part: ${took[$1]} s of $elapsed s."
	else
		echo "Command: \`$command_line\` at $commit; $elapsed s."
	fi
}
report="$out/report.md"
about >"$report"
for p in "${parts[@]}"; do
	csv="$(part_csv "$p")"
	"${p}_cases"
	table="$("${p}_table")"
	printf '%s\n%s\n' "$(about "$p")" "$table" >"$(part_table "$p")"
	printf '\n## %s (%s s)\n\n%s\n' "$p" "${took[$p]}" "$table" >>"$report"
done
cat "$report"
log ""
for p in "${parts[@]}"; do
	log "$p: raw data $(part_csv "$p"), table $(part_table "$p")"
done
log "report: $report"

if [[ " ${parts[*]} " == *" pairs "* ]] && [ "${NO_CHART:-0}" != 1 ]; then
	csv="$(part_csv pairs)"
	pairs_chart || failures=$((failures + 1))
fi

if [ "${#left_out[@]}" -gt 0 ]; then
	log "$prog: left out of this run (their cells show —):"
	for l in "${left_out[@]}"; do log "  $l"; done
fi
if [ "$failures" -gt 0 ]; then
	die "$failures run(s) failed; their cells are missing from the table"
fi
