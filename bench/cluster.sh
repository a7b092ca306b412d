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
# throughput, and per configuration the median over repetitions of the ratio of the
# 1x1 pass time to its pass time in the same repetition. The load average is
# printed before, after, and with every repetition.
#
# Files (git-ignored, written if missing by bench/clustergen): bench/data/cluster-1g.npy
# and bench/data/cluster-masks16.npy. Every process the script starts is stopped on
# exit (trap), also on Ctrl-C.
#
# Environment: GO (go binary), N (repetitions, default 5), PARTS (--partitions for
# the driver, default: its automatic choice), BUDGET (seconds; no new repetition
# starts after it, default 240, at least 3 repetitions always run), CONFIGS
# (default "1x1 2x1 1x2").
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

declare -A URL
for c in "${CONFIGS[@]}"; do
	procs=${c%x*} slots=${c#*x}
	bin/stemflow server --port -1 --store "$TMP/store-$c" >"$TMP/url-$c" 2>"$TMP/server-$c.log" &
	PIDS+=($!)
	for _ in $(seq 100); do [ -s "$TMP/url-$c" ] && break; sleep 0.1; done
	URL[$c]=$(head -n1 "$TMP/url-$c")
	[ -n "${URL[$c]}" ] || { echo "server for $c did not start:" >&2; cat "$TMP/server-$c.log" >&2; exit 1; }
	for ((p = 0; p < procs; p++)); do
		GOMAXPROCS=$slots bin/stemflow worker --nats "${URL[$c]}" --workers "$slots" \
			--data-root "$(dirname "$FILE")" --name "w$c-$p" 2>"$TMP/worker-$c-$p.log" &
		PIDS+=($!)
	done
done

UDFS=(stddev masks16)
udfflag() { case $1 in stddev) echo "--udf stddev" ;; masks16) echo "--udf masks:file=$MASKS" ;; esac; }

# runone UDF CONFIG: prints "pass_ms total_ms workers" (workers: name=tasks,...).
runone() {
	local t0 t1 pass
	t0=$(now)
	# shellcheck disable=SC2046
	STEMFLOW_TIMING=1 bin/stemflow run "$FILE" $(udfflag "$1") --nats "${URL[$2]}" \
		${PARTS:+--partitions "$PARTS"} --out "$TMP/out" >/dev/null 2>"$TMP/run.err" || {
		echo "run $1 on $2 failed:" >&2
		cat "$TMP/run.err" >&2
		exit 1
	}
	t1=$(now)
	pass=$(awk '$1 == "timing:" && $2 == "pass" {print $3}' "$TMP/run.err")
	echo "${pass:-nan} $(((t1 - t0) / 1000)) $(awk '$1 == "timing:" && $2 == "workers" {print $3}' "$TMP/run.err")"
}

# warm-up: every configuration once (workers connected, page cache, job caches)
for c in "${CONFIGS[@]}"; do runone stddev "$c" >/dev/null; done
echo "# after warm-up: load $(load)"

declare -A PASS TOTAL RATIO
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
			read -r pass total workers <"$TMP/res"
			PASS[$u,$c]+="$pass " TOTAL[$u,$c]+="$total "
			this[$c]=$pass
			line+=" $u/$c ${pass}ms (${workers})"
		done
		for c in "${CONFIGS[@]}"; do
			RATIO[$u,$c]+="$(awk -v a="${this[${CONFIGS[0]}]}" -v b="${this[$c]}" 'BEGIN {printf "%.3f", a / b}') "
		done
		unset this
	done
	echo "$line"
done
echo "# load average after: $(load)"
echo
echo "| UDF | configuration | pass median (s) | pass GB/s | whole process median (s) | speed-up over ${CONFIGS[0]} (median of per-repetition ratios) | runs |"
echo "|---|---|---|---|---|---|---|"
for u in "${UDFS[@]}"; do
	for c in "${CONFIGS[@]}"; do
		mp=$(tr ' ' '\n' <<<"${PASS[$u,$c]}" | grep . | median)
		mt=$(tr ' ' '\n' <<<"${TOTAL[$u,$c]}" | grep . | median)
		mr=$(tr ' ' '\n' <<<"${RATIO[$u,$c]}" | grep . | median)
		n=$(wc -w <<<"${PASS[$u,$c]}")
		printf "| %s | %s | %.3f | %.2f | %.3f | %.2f× | %d |\n" "$u" "$c" \
			"$(awk -v x="$mp" 'BEGIN{print x/1e3}')" \
			"$(awk -v x="$mp" -v b="$(stat -c %s "$FILE")" 'BEGIN{print b/(x/1e3)/1e9}')" \
			"$(awk -v x="$mt" 'BEGIN{print x/1e3}')" "$mr" "$n"
	done
done
