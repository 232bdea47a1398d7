#!/usr/bin/env bash
# Rules judge end to end: core/judge's rules judge (bench/rules/main.go)
# against the same checks written plainly in Python (bench/rules/rules.py),
# both on one core.
#
# Usage: bench/rules/run.sh [N]          (N responses, default 20000)
# Env:   PY=/usr/bin/python3  RUBRICS=200  CHARS=2000  SEED=1  PASSES=5
#
# Generates bench/out/rules-N.json (N ~CHARS-character science answers,
# RUBRICS rubrics of 6 criteria / 8 checks: contains, any, all, none,
# regex, \boxed{} answer, number; reused when the arguments match), builds
# the Go runner once, then runs Python pinned to core 0 and Go pinned to
# core 0 with GOMAXPROCS=1. Each tool makes PASSES timed passes over the
# data (rubric compilation included, JSON loading not) and reports its best
# wall time and its least user+sys CPU time per pass.
#
# Exits non-zero when the two implementations disagree on any verdict: both
# print "items=… verdicts=… met=… sha256=…" over the verdict bits in input
# order, and the lines must be identical.
set -euo pipefail

N=${1:-20000}
RUBRICS=${RUBRICS:-200}
CHARS=${CHARS:-2000}
SEED=${SEED:-1}
PASSES=${PASSES:-5}
PY=${PY:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3)

cd "$(dirname "$0")/../.."
HERE=bench/rules
OUT=bench/out
mkdir -p "$OUT"
DATA=$OUT/rules-$N-r$RUBRICS-c$CHARS-s$SEED.json
if [ ! -s "$DATA" ]; then
	echo "generating $N responses into $DATA ..." >&2
	"$PY" "$HERE/gen.py" -n "$N" -r "$RUBRICS" -s "$SEED" -c "$CHARS" "$DATA.tmp"
	mv "$DATA.tmp" "$DATA"
fi
go build -o "$OUT/rules-go" ./bench/rules

pin() { # CPU LIST, then the command
	local cpus=$1
	shift
	if command -v taskset >/dev/null; then taskset -c "$cpus" "$@"; else "$@"; fi
}

echo "python: $("$PY" --version 2>&1) ($PY); go: $(go version | cut -d' ' -f3); data: $DATA ($(stat -c %s "$DATA") bytes)" >&2
pyout=$(pin 0 "$PY" "$HERE/rules.py" --passes "$PASSES" "$DATA")
goout=$(pin 0 env GOMAXPROCS=1 "$OUT/rules-go" -passes "$PASSES" "$DATA")
echo "$pyout"
echo "$goout"

# field LINE KEY: the value of key=value in LINE.
field() { tr ' ' '\n' <<<"$1" | sed -n "s|^$2=||p"; }
pysum=$(head -n 1 <<<"$pyout" | cut -d' ' -f2-)
gosum=$(head -n 1 <<<"$goout" | cut -d' ' -f2-)
status=0
if [ "$pysum" = "$gosum" ]; then
	echo "agree: $gosum"
else
	echo "!! FAIL: the verdicts differ: python $pysum / go $gosum" >&2
	status=1
fi
pyt=$(tail -n 1 <<<"$pyout")
got=$(tail -n 1 <<<"$goout")
awk -v pw="$(field "$pyt" seconds)" -v gw="$(field "$got" seconds)" \
	-v pc="$(field "$pyt" cpu_seconds)" -v gc="$(field "$got" cpu_seconds)" \
	-v pr="$(field "$pyt" responses/s)" -v gr="$(field "$got" responses/s)" 'BEGIN {
	printf "speed-up on one core: %.1fx wall (%s vs %s responses/s), %.1fx CPU (user+sys %.3f s vs %.3f s per pass); target >= 10x\n",
		pw / gw, gr, pr, pc / gc, gc, pc
}'
exit $status
