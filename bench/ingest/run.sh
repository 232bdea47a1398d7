#!/usr/bin/env bash
# Ingest + HealthBench scoring benchmark: rcsd (Go) against the same
# scoring written plainly in Python (bench/ingest/score.py).
#
# Usage: bench/ingest/run.sh [N]        (N items, default 100000)
# Env:   PY=/usr/bin/python3  SMALL=10000  REPS=3  SEED=20260601  RCSD=prebuilt binary
#        BOOTSTRAP=0 (rcsd --bootstrap: 0 = off, as in score.py, which has no
#        bootstrap std; 1000 is rcsd's default and costs far more than the
#        scoring itself)
#
# Generates bench/out/items.jsonl (N rows, 12 criteria, labels given; reused
# when N and SEED match), times each tool REPS times (best kept) on a warm
# page cache: Python pinned to core 0, rcsd pinned to core 0 with
# GOMAXPROCS=1, then rcsd on cores 0,1 with GOMAXPROCS=2. Peak RSS is also
# measured on the first SMALL rows, to show memory does not grow with N.
# rcsd runs with -q --no-progress --overwrite (--overwrite: rcsd refuses to
# write over an earlier run's -o file, so repetitions 2.. would fail).
# Exits non-zero when the tools' scores differ by more than 1e-9.
# Wall time is the headline; user+sys CPU seconds are shown too, because
# on a busy machine they are the steadier measure of one core's work.
set -euo pipefail

N=${1:-100000}
SMALL=${SMALL:-10000}
REPS=${REPS:-3}
BOOTSTRAP=${BOOTSTRAP:-0}
SEED=${SEED:-20260601}
PY=${PY:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3)

cd "$(dirname "$0")/../.."
HERE=bench/ingest
OUT=bench/out
mkdir -p "$OUT"
ITEMS=$OUT/items.jsonl
SMALLITEMS=$OUT/items-small.jsonl
RUNS=$OUT/runs.tsv
: >"$RUNS"
# No stale outputs: the comparison must only ever see this run's files.
rm -f "$OUT"/py*.jsonl "$OUT"/py-summary*.json "$OUT"/go*.jsonl "$OUT"/summary*.json

if [ "$SMALL" -ge "$N" ]; then SMALL=$(( N / 10 > 0 ? N / 10 : 1 )); fi

stamp="n=$N seed=$SEED"
if [ ! -f "$ITEMS" ] || [ "$(cat "$ITEMS.stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "generating $N items into $ITEMS ..." >&2
	"$PY" "$HERE/gen.py" "$N" "$ITEMS" --seed "$SEED"
	echo "$stamp" >"$ITEMS.stamp"
fi
head -n "$SMALL" "$ITEMS" >"$SMALLITEMS"
cat "$ITEMS" >/dev/null # warm the page cache so the first tool timed pays no disk read
echo "python: $("$PY" --version 2>&1) ($PY); json C scanner: $("$PY" -c 'import json.decoder as d; print(d.c_scanstring is not None)')" >&2

TIMEOUT=/usr/bin/time
[ -x "$TIMEOUT" ] || TIMEOUT=""

# measure TOOL CORES ITEMS INPUT -- command...: appends the best (lowest
# wall time) of REPS runs to $RUNS, with that run's user+sys CPU seconds
# and the peak RSS over the runs. A failing command stops the script.
measure() {
	local tool=$1 cores=$2 items=$3 input=$4
	shift 5
	local best="" bestcpu="" rss=0 i t0 t1 s r cpu rc
	for ((i = 0; i < REPS; i++)); do
		t0=$(date +%s.%N)
		rc=0
		if [ -n "$TIMEOUT" ]; then
			"$TIMEOUT" -f '%M %U %S' -o "$OUT/rss.txt" "$@" || rc=$?
		else
			"$PY" -c 'import resource,subprocess,sys
rc = subprocess.run(sys.argv[2:]).returncode
u = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%d %.2f %.2f\n" % (u.ru_maxrss, u.ru_utime, u.ru_stime))
sys.exit(rc)' "$OUT/rss.txt" "$@" || rc=$?
		fi
		t1=$(date +%s.%N)
		if [ "$rc" -ne 0 ]; then
			echo "!! FAIL: $tool exited with status $rc: $*" >&2
			exit 1
		fi
		read -r r cpu < <(tail -n 1 "$OUT/rss.txt" | awk '{print $1, $2 + $3}')
		s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.6f", b-a}')
		if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$s bestcpu=$cpu; fi
		[ "$r" -gt "$rss" ] && rss=$r
	done
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$cores" "$items" "$best" "$bestcpu" "$rss" "$(stat -c %s "$input")" >>"$RUNS"
}

# Python baseline (single-threaded by nature; pinned so it cannot migrate).
measure python 1 "$SMALL" "$SMALLITEMS" -- taskset -c 0 "$PY" "$HERE/score.py" "$SMALLITEMS" \
	-o "$OUT/py-small.jsonl" --summary "$OUT/py-summary-small.json"
measure python 1 "$N" "$ITEMS" -- taskset -c 0 "$PY" "$HERE/score.py" "$ITEMS" \
	-o "$OUT/py.jsonl" --summary "$OUT/py-summary.json"

# rcsd: build once, so the timings hold no compilation (go run would).
# RCSD=/path/to/rcsd uses a prebuilt binary instead.
status=0
if [ -n "${RCSD:-}" ]; then
	cp "$RCSD" "$OUT/rcsd"
elif ! go build -o "$OUT/rcsd" ./cmd/rcsd; then
	echo "!! go build ./cmd/rcsd failed: only the Python rows below" >&2
	"$PY" "$HERE/report.py" table "$RUNS"
	exit 1
fi
rcsd_eval() { # CORES INPUT SUFFIX
	local cores=$1 in=$2 sfx=$3 cpus=0
	[ "$cores" -gt 1 ] && cpus="0-$((cores - 1))"
	local n=$N
	[ "$in" = "$SMALLITEMS" ] && n=$SMALL
	measure rcsd "$cores" "$n" "$in" -- taskset -c "$cpus" env GOMAXPROCS="$cores" \
		"$OUT/rcsd" eval --judge labels --scoring healthbench --bootstrap "$BOOTSTRAP" \
		-q --no-progress --overwrite \
		-o "$OUT/go$sfx.jsonl" --summary "$OUT/summary$sfx.json" "$in"
}
ncpu=$(nproc)
rcsd_eval 1 "$SMALLITEMS" -small
rcsd_eval 1 "$ITEMS" ""
if [ "$ncpu" -ge 2 ]; then
	rcsd_eval 2 "$ITEMS" -2cores
fi

echo
"$PY" "$HERE/report.py" table "$RUNS"
echo
"$PY" "$HERE/report.py" compare "$OUT/py-summary-small.json" "$OUT/py-small.jsonl" "$OUT/summary-small.json" "$OUT/go-small.jsonl" || status=1
"$PY" "$HERE/report.py" compare "$OUT/py-summary.json" "$OUT/py.jsonl" "$OUT/summary.json" "$OUT/go.jsonl" || status=1
if [ "$ncpu" -ge 2 ]; then
	"$PY" "$HERE/report.py" compare "$OUT/py-summary.json" "$OUT/py.jsonl" "$OUT/summary-2cores.json" "$OUT/go-2cores.jsonl" || status=1
fi
if [ "$status" -ne 0 ]; then
	echo "!! FAIL: rcsd and the Python baseline disagree (see above)" >&2
fi
exit $status
