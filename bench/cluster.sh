#!/usr/bin/env bash
# Throughput of `stemflow run --nats` with 1 and 2 worker processes (issue 13's
# goal: 2 processes >= 1.7x one) for StdDev and ApplyMasks with 16 masks over a
# 1 GiB float32 file of 128x128 frames, (128, 128, 128, 128).
#
# Configurations, each on its own embedded server (`stemflow server --port -1`), all
# started once and idle between runs, so runs alternate between configurations
# without restarting anything:
#   1x1  one worker process, --workers 1, GOMAXPROCS=1       (1 core)
#   2x1  two worker processes, --workers 1 each, GOMAXPROCS=1 (2 cores)
#   1x2  one worker process, --workers 2, GOMAXPROCS=2        (2 cores, for comparison)
# The driver (`stemflow run --nats`, GOMAXPROCS unset) merges on the same machine.
# Every repetition runs every (UDF, configuration) once, the configuration order
# rotating per repetition. Reported: the median wall time of the run's compute pass
# (STEMFLOW_TIMING "pass": tasks queued, computed by the workers, results merged)
# and of the whole driver process (start to exit, outputs written), the pass
# throughput, per configuration the median over repetitions of the ratio of the
# reference's pass time (1x1 with the same binary and flags) to its own in the same
# repetition, and the CPU seconds per run of the worker processes, the server, the
# driver during the pass (STEMFLOW_TIMING "pass-cpu") and the whole driver process:
# unlike wall times these barely depend on the machine's load, and they bound the
# speed-up two cores can give (workers' CPU against workers' + server's + driver's
# pass CPU shared by two cores). The load average is printed before, after, and with
# every repetition.
#
# Files (git-ignored, written if missing by bench/clustergen): bench/data/cluster-1g.npy
# and bench/data/cluster-masks16.npy. Every process the script starts is stopped on
# exit (trap), also on Ctrl-C.
#
# Environment: GO (go binary), N (repetitions, default 5), PARTS (--partitions for
# the driver, default: its automatic choice), BUDGET (seconds; no new repetition
# starts after it, default 240, at least 3 repetitions always run), CONFIGS
# (default "1x1 2x1 1x2"; the first is the reference of the speed-up column). A
# configuration is PxS[@BINARY][:FLAG,FLAG...]: P worker processes of S slots,
# optionally another stemflow binary for its server, workers and driver (to compare
# commits in one session) and more driver flags (e.g. 2x1@bin/old:--io=mmap,--partitions=2).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
N=${N:-5}
BUDGET=${BUDGET:-240}
CONFIGS=(${CONFIGS:-1x1 2x1 1x2})
DATA=bench/data
FILE=$DATA/cluster-1g.npy
MASKS=$DATA/cluster-masks16.npy
mkdir -p "$DATA" bin
"$GO" build -o bin/stemflow ./cmd/stemflow
"$GO" build -o bin/stemflow-server ./cmd/stemflow-server # `stemflow server` runs it
"$GO" build -o bin/clustergen ./bench/clustergen
[ -s "$FILE" ] || bin/clustergen data "$FILE" 128 128 128 128
[ -s "$MASKS" ] || bin/clustergen masks "$MASKS" 16 128 128
FILE=$(realpath "$FILE")
MASKS=$(realpath "$MASKS")

TMP=$(mktemp -d)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load() { cut -d' ' -f1-3 /proc/loadavg; }
now() { local t=${EPOCHREALTIME/./}; echo "$t"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "# bench/cluster.sh at $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, $(date -u +%FT%TZ)"
echo "# load average before: $(load)"
cat "$FILE" >/dev/null # into the page cache

declare -A URL BIN FLAGS SPID WPIDS
idx=0
for c in "${CONFIGS[@]}"; do
	base=${c%%:*} FLAGS[$c]=""
	[[ $c == *:* ]] && FLAGS[$c]=${c#*:}
	BIN[$c]=bin/stemflow
	[[ $base == *@* ]] && BIN[$c]=${base#*@}
	base=${base%%@*}
	procs=${base%x*} slots=${base#*x} idx=$((idx + 1))
	[[ $procs =~ ^[0-9]+$ && $slots =~ ^[0-9]+$ && -x ${BIN[$c]} ]] || { echo "configuration $c: want PxS[@BINARY][:FLAGS] with an executable binary" >&2; exit 2; }
	"${BIN[$c]}" server --port -1 --store "$TMP/store-$idx" >"$TMP/url-$idx" 2>"$TMP/server-$idx.log" &
	PIDS+=($!) SPID[$c]=$! WPIDS[$c]=""
	for _ in $(seq 100); do [ -s "$TMP/url-$idx" ] && break; sleep 0.1; done
	URL[$c]=$(head -n1 "$TMP/url-$idx")
	[ -n "${URL[$c]}" ] || { echo "server for $c did not start:" >&2; cat "$TMP/server-$idx.log" >&2; exit 1; }
	for ((p = 0; p < procs; p++)); do
		GOMAXPROCS=$slots "${BIN[$c]}" worker --nats "${URL[$c]}" --workers "$slots" \
			--data-root "$(dirname "$FILE")" --name "w$idx-$p" 2>"$TMP/worker-$idx-$p.log" &
		PIDS+=($!) WPIDS[$c]+="$! "
	done
done

UDFS=(stddev masks16)
udfflag() { case $1 in stddev) echo "--udf stddev" ;; masks16) echo "--udf masks:file=$MASKS" ;; esac; }

# ticks PID...: CPU time (user + system) of the processes so far, in clock ticks.
ticks() { local p s=0; for p in "$@"; do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$s"; }
# kids: CPU seconds (user + system) of this shell's waited-for children so far, from
# the `times` builtin, which must run in this shell (not in a $(...) subshell).
kids() { tail -n1 "$TMP/times" | tr 'ms' '  ' | awk '{print $1 * 60 + $2 + $3 * 60 + $4}'; }
HZ=$(getconf CLK_TCK)

# runone UDF CONFIG: prints "pass_ms total_ms workers_cpu_s server_cpu_s
# driver_cpu_s workers" (workers: name=tasks,...).
runone() {
	local t0 t1 pass w0 w1 s0 s1 d0 d1
	# shellcheck disable=SC2086
	times >"$TMP/times"
	w0=$(ticks ${WPIDS[$2]}) s0=$(ticks "${SPID[$2]}") d0=$(kids)
	t0=$(now)
	# shellcheck disable=SC2046
	STEMFLOW_TIMING=1 "${BIN[$2]}" run "$FILE" $(udfflag "$1") --nats "${URL[$2]}" \
		${PARTS:+--partitions "$PARTS"} ${FLAGS[$2]//,/ } --out "$TMP/out" >/dev/null 2>"$TMP/run.err" || {
		echo "run $1 on $2 failed:" >&2
		cat "$TMP/run.err" >&2
		exit 1
	}
	t1=$(now)
	# shellcheck disable=SC2086
	times >"$TMP/times"
	w1=$(ticks ${WPIDS[$2]}) s1=$(ticks "${SPID[$2]}") d1=$(kids)
	pass=$(awk '$1 == "timing:" && $2 == "pass" {print $3}' "$TMP/run.err")
	echo "${pass:-nan} $(((t1 - t0) / 1000)) $(awk -v a="$w0" -v b="$w1" -v hz="$HZ" 'BEGIN {print (b - a) / hz}') \
$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" 'BEGIN {print (b - a) / hz}') $(awk -v a="$d0" -v b="$d1" 'BEGIN {print b - a}') \
$(awk '$1 == "timing:" && $2 == "pass-cpu" {c = $3 / 1e3} END {print (c == "" ? "nan" : c)}' "$TMP/run.err") \
$(awk '$1 == "timing:" && $2 == "workers" {print $3}' "$TMP/run.err")"
}

# REF[c]: the first configuration that differs from c at most in PxS (same binary
# and flags): the reference of c's speed-up
declare -A REF
for c in "${CONFIGS[@]}"; do
	for r in "${CONFIGS[@]}"; do
		if [ "${BIN[$r]}|${FLAGS[$r]}" = "${BIN[$c]}|${FLAGS[$c]}" ]; then REF[$c]=$r && break; fi
	done
done

# warm-up: every configuration once (workers connected, page cache, job caches)
for c in "${CONFIGS[@]}"; do runone stddev "$c" >/dev/null; done
echo "# after warm-up: load $(load)"

declare -A PASS TOTAL RATIO WCPU SCPU DCPU PCPU
start=$SECONDS
for ((r = 0; r < N; r++)); do
	if ((r >= 3 && SECONDS - start > BUDGET)); then
		echo "# budget of ${BUDGET}s spent after $r repetitions"
		break
	fi
	line="# rep $((r + 1)) load $(load):"
	for u in "${UDFS[@]}"; do
		declare -A this=()
		for ((k = 0; k < ${#CONFIGS[@]}; k++)); do
			c=${CONFIGS[$(((k + r) % ${#CONFIGS[@]}))]}
			runone "$u" "$c" >"$TMP/res"
			read -r pass total wcpu scpu dcpu pcpu workers <"$TMP/res"
			PASS[$u,$c]+="$pass " TOTAL[$u,$c]+="$total " WCPU[$u,$c]+="$wcpu " SCPU[$u,$c]+="$scpu " DCPU[$u,$c]+="$dcpu " PCPU[$u,$c]+="$pcpu "
			this[$c]=$pass
			line+=" $u/$c ${pass}ms (${workers})"
		done
		for c in "${CONFIGS[@]}"; do
			RATIO[$u,$c]+="$(awk -v a="${this[${REF[$c]}]}" -v b="${this[$c]}" 'BEGIN {printf "%.3f", a / b}') "
		done
		unset this
	done
	echo "$line"
done
echo "# load average after: $(load)"
echo
# cpubound UDF CONFIG: the shortest pass the medians of CPU time allow on this
# machine: the workers' CPU spread over their P*S slots, and everything the pass
# needs (workers, server, driver) spread over all CPUs.
cpubound() {
	local u=$1 c=$2 base=${2%%[@:]*} w s d
	w=$(tr ' ' '\n' <<<"${WCPU[$u,$c]}" | grep . | median)
	s=$(tr ' ' '\n' <<<"${SCPU[$u,$c]}" | grep . | median)
	d=$(tr ' ' '\n' <<<"${PCPU[$u,$c]}" | grep . | median)
	awk -v w="$w" -v s="$s" -v d="$d" -v k=$((${base%x*} * ${base#*x})) -v n="$(nproc)" \
		'BEGIN {a = w / (k < n ? k : n); b = (w + s + (d == "nan" ? 0 : d)) / n; print (a > b ? a : b)}'
}

echo "| UDF | configuration | pass median (s) | pass GB/s | whole process median (s) | pass speed-up (median of per-repetition ratios) | CPU s per run: workers / server / driver in the pass / whole driver (medians) | speed-up the CPU times allow on $(nproc) CPUs | runs |"
echo "|---|---|---|---|---|---|---|---|---|"
for u in "${UDFS[@]}"; do
	for c in "${CONFIGS[@]}"; do
		mp=$(tr ' ' '\n' <<<"${PASS[$u,$c]}" | grep . | median)
		mt=$(tr ' ' '\n' <<<"${TOTAL[$u,$c]}" | grep . | median)
		mr=$(tr ' ' '\n' <<<"${RATIO[$u,$c]}" | grep . | median)
		n=$(wc -w <<<"${PASS[$u,$c]}")
		cpus=$(for k in WCPU SCPU PCPU DCPU; do declare -n arr=$k; tr ' ' '\n' <<<"${arr[$u,$c]}" | grep . | median; done | xargs printf "%.2f / %.2f / %.2f / %.2f")
		cb=$(awk -v a="$(cpubound "$u" "${REF[$c]}")" -v b="$(cpubound "$u" "$c")" 'BEGIN {printf "%.2f", a / b}')
		printf "| %s | %s | %.3f | %.2f | %.3f | %.2f× over %s | %s | %s× | %d |\n" "$u" "$c" \
			"$(awk -v x="$mp" 'BEGIN{print x/1e3}')" \
			"$(awk -v x="$mp" -v b="$(stat -c %s "$FILE")" 'BEGIN{print b/(x/1e3)/1e9}')" \
			"$(awk -v x="$mt" 'BEGIN{print x/1e3}')" "$mr" "${REF[$c]}" "$cpus" "$cb" "$n"
	done
done
