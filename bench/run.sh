#!/usr/bin/env bash
# Built-in UDF benchmarks (make bench): writes the (64,64,128,128) float32 and uint16
# raw files under bench/data/ (git-ignored) if they are missing, runs
# BenchmarkBuiltins (every built-in × {memory, raw file} × {inline, 2 workers} ×
# {float32, uint16}; every iteration also times the plain-loop limit, the same
# summation kernel over the same bytes on 2 goroutines) and prints the median GB/s,
# µs/frame and percentage of the limit per case.
#
# Environment: GO (go binary), BENCH (benchmark regexp), BENCHTIME (default 5x),
# COUNT (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
DATA=bench/data
mkdir -p "$DATA"
"$GO" test ./udfs -run '^TestGenerateBenchData$' -count 1 -args -benchgen -benchdata "$PWD/$DATA" >/dev/null
out="$DATA/builtins.txt"
"$GO" test ./udfs -run '^$' -bench "${BENCH:-BenchmarkBuiltins}" -benchmem \
	-benchtime "${BENCHTIME:-5x}" -count "${COUNT:-5}" -args -benchdata "$PWD/$DATA" | tee "$out"
echo
echo "medians (GB/s of stored input, us/frame):"
awk '
/^BenchmarkBuiltins\// {
	name = $1; sub(/-[0-9]+$/, "", name); sub(/^BenchmarkBuiltins\//, "", name)
	for (i = 2; i <= NF; i++) {
		if ($i == "GB/s") g[name] = g[name] " " $(i-1)
		if ($i == "us/frame") u[name] = u[name] " " $(i-1)
		if ($i == "pct-of-limit") p[name] = p[name] " " $(i-1)
	}
	if (!(name in seen)) { seen[name] = 1; order[++n] = name }
}
function median(s,   a, k, i, j, t) {
	k = split(s, a, " ")
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	if (k % 2) return a[(k + 1) / 2]
	return (a[k / 2] + a[k / 2 + 1]) / 2
}
END {
	for (i = 1; i <= n; i++) {
		k = order[i]
		if (k in p) printf "%-40s %8.2f GB/s %8.2f us/frame %6.1f %% of limit\n", k, median(g[k]), median(u[k]), median(p[k])
		else printf "%-40s %8.2f GB/s %8.2f us/frame\n", k, median(g[k]), median(u[k])
	}
}
' "$out"
