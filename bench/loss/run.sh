#!/usr/bin/env bash
# Conditioned loss end to end: `rcsd loss --preset rcsd` (Go) on a JSONL
# trace file, against the same released RCSD loss written plainly in
# Python (bench/loss/loss.py) parsing the same file.
#
# Usage: bench/loss/run.sh [N]            (N traces, default 2000)
# Env:   TOKENS=512  SEED=20260601  REPS=3  PY=/usr/bin/python3
#        RCSD=prebuilt binary (default: go build ./cmd/rcsd into OUT)
#        OUT=bench/out/loss (generated data and outputs; git ignores bench/out)
#        STAGES=1 also runs bench/loss/main.go (rcsd's per-trace path on one
#        goroutine, core 0) and prints the seconds spent in each stage
#
# Generates OUT/traces.jsonl once (gen.py: N traces x TOKENS positions,
# both sides listing the union of the two top-20s; reused while N, TOKENS,
# SEED and gen.py are unchanged), warms the page cache, then times each
# tool REPS times (the fastest wall time kept, with that run's user+sys CPU
# seconds and the peak RSS over the runs, from GNU time):
#
#   python            loss.py, pinned to core 0 (taskset -c 0)
#   rcsd              rcsd loss --preset rcsd --summary S -o /dev/null: the
#                     per-token records are built and encoded, then discarded;
#                     core 0 with GOMAXPROCS=1, then cores 0-1 with GOMAXPROCS=2
#   rcsd --no-tokens  the same with --no-tokens -o FILE: one short record per
#                     trace (id, loss, valid tokens), compared trace by trace
#
# then checks every rcsd run against Python: the batch loss within 1e-9,
# equal trace / token / clipped-token counts and, for the --no-tokens runs,
# every per-trace loss and their sum within 1e-9. Exits 1 on a disagreement
# (or when a tool fails). rcsd's summary table (standard error) goes to
# OUT/rcsd-*.log.
set -euo pipefail

N=${1:-2000}
TOKENS=${TOKENS:-512}
SEED=${SEED:-20260601}
REPS=${REPS:-3}
PY=${PY:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3)

cd "$(dirname "$0")/../.."
HERE=bench/loss
OUT=${OUT:-bench/out/loss}
mkdir -p "$OUT"
TRACES=$OUT/traces.jsonl
RUNS=$OUT/runs.tsv
: >"$RUNS"
# No stale outputs: the comparison must only ever see this run's files.
rm -f "$OUT"/py-*.json* "$OUT"/rcsd-*.json* "$OUT"/rcsd-*.log

# rcsd: built once (as `make build` builds it), so no timing holds a compilation.
if [ -n "${RCSD:-}" ]; then
	cp "$RCSD" "$OUT/rcsd"
else
	go build -trimpath -o "$OUT/rcsd" ./cmd/rcsd
fi

stamp="traces=$N tokens=$TOKENS seed=$SEED gen=$(sha256sum "$HERE/gen.py" | cut -c1-16)"
if [ ! -f "$TRACES" ] || [ "$(cat "$TRACES.stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "generating $N traces x $TOKENS tokens into $TRACES ..." >&2
	rm -f "$TRACES.stamp"
	"$PY" "$HERE/gen.py" "$TRACES" --traces "$N" --tokens "$TOKENS" --seed "$SEED"
	echo "$stamp" >"$TRACES.stamp"
fi
BYTES=$(stat -c %s "$TRACES")
NTOK=$((N * TOKENS))
cat "$TRACES" >/dev/null # warm the page cache so the first tool timed pays no disk read
echo "input: $TRACES, $N traces x $TOKENS tokens, $BYTES bytes" >&2
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "python: $("$PY" --version 2>&1) ($PY); json C scanner: $("$PY" -c 'import json.decoder as d; print(d.c_scanstring is not None)')" >&2

TIMEOUT=/usr/bin/time
[ -x "$TIMEOUT" ] || TIMEOUT=""

# measure TOOL CORES LOG -- command...: appends the best (lowest wall time)
# of REPS runs to $RUNS, with that run's user+sys CPU seconds and the peak
# RSS over the runs. The command's output goes to LOG. A failing
# command stops the script.
measure() {
	local tool=$1 cores=$2 log=$3
	shift 4
	local best="" bestcpu="" rss=0 i t0 t1 s r cpu rc
	for ((i = 0; i < REPS; i++)); do
		t0=$(date +%s.%N)
		rc=0
		if [ -n "$TIMEOUT" ]; then
			"$TIMEOUT" -f '%M %U %S' -o "$OUT/time.txt" "$@" >"$log" 2>&1 || rc=$?
		else
			"$PY" -c 'import resource,subprocess,sys
rc = subprocess.run(sys.argv[2:]).returncode
u = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%d %.2f %.2f\n" % (u.ru_maxrss, u.ru_utime, u.ru_stime))
sys.exit(rc)' "$OUT/time.txt" "$@" >"$log" 2>&1 || rc=$?
		fi
		t1=$(date +%s.%N)
		if [ "$rc" -ne 0 ]; then
			echo "!! FAIL: $tool exited with status $rc: $*" >&2
			tail -n 20 "$log" >&2
			exit 1
		fi
		read -r r cpu < <(tail -n 1 "$OUT/time.txt" | awk '{print $1, $2 + $3}')
		s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.6f", b-a}')
		if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$s bestcpu=$cpu; fi
		[ "$r" -gt "$rss" ] && rss=$r
		printf '  %-17s %d core(s) run %d: wall %.2f s, cpu %.2f s\n' "$tool" "$cores" $((i + 1)) "$s" "$cpu" >&2
	done
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$cores" "$N" "$NTOK" "$best" "$bestcpu" "$rss" "$BYTES" >>"$RUNS"
}

measure python 1 "$OUT/py.log" -- taskset -c 0 "$PY" "$HERE/loss.py" "$TRACES" \
	--per-trace "$OUT/py-per-trace.jsonl" --summary "$OUT/py-summary.json"

rcsd_loss() { # CORES SUFFIX [--no-tokens]
	local cores=$1 sfx=$2 cpus=0 tool=rcsd out=/dev/null
	shift 2
	[ "$cores" -gt 1 ] && cpus="0-$((cores - 1))"
	if [ "${1:-}" = --no-tokens ]; then
		tool="rcsd --no-tokens" out="$OUT/rcsd-records$sfx.jsonl"
	fi
	measure "$tool" "$cores" "$OUT/rcsd$sfx.log" -- taskset -c "$cpus" env GOMAXPROCS="$cores" \
		"$OUT/rcsd" loss --preset rcsd "$@" --summary "$OUT/rcsd-summary$sfx.json" -o "$out" "$TRACES"
}
ncpu=$(nproc)
rcsd_loss 1 -1c
[ "$ncpu" -ge 2 ] && rcsd_loss 2 -2c
rcsd_loss 1 -nt-1c --no-tokens
[ "$ncpu" -ge 2 ] && rcsd_loss 2 -nt-2c --no-tokens

echo
echo "$N traces x $TOKENS tokens, $(awk -v b="$BYTES" 'BEGIN{printf "%.1f", b/1e6}') MB; best of $REPS runs"
"$PY" "$HERE/report.py" table "$RUNS"
echo
status=0
for sfx in -1c -2c; do
	[ -f "$OUT/rcsd-summary$sfx.json" ] || continue
	"$PY" "$HERE/report.py" compare "$OUT/py-summary.json" "$OUT/py-per-trace.jsonl" "$OUT/rcsd-summary$sfx.json" || status=1
	"$PY" "$HERE/report.py" compare "$OUT/py-summary.json" "$OUT/py-per-trace.jsonl" \
		"$OUT/rcsd-summary-nt$sfx.json" "$OUT/rcsd-records-nt$sfx.jsonl" || status=1
done
grep -h '^[0-9]* trace(s)' "$OUT/rcsd-1c.log" || true
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${STAGES:-}" ]; then
	echo
	echo "stages of rcsd's path on one goroutine (bench/loss/main.go, core 0):"
	go build -o "$OUT/loss-go" ./$HERE
	taskset -c 0 env GOMAXPROCS=1 "$OUT/loss-go" "$TRACES" || { echo "!! FAIL: bench/loss/main.go" >&2; status=1; }
fi
if [ "$status" -ne 0 ]; then
	echo "!! FAIL: rcsd and the Python baseline disagree (see above)" >&2
fi
exit $status
