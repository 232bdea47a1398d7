#!/usr/bin/env bash
# Distillation loss: core/distill (bench/distill/main.go) against the same
# formulas in PyTorch (bench/distill/torch_bench.py, written as TRL's GKD and
# RCSD write them), both on one core: taskset -c 0, GOMAXPROCS=1,
# torch.set_num_threads(1).
#
# Usage: bench/distill/run.sh
# Env:   PY=/usr/bin/python3 (with python3-torch)  RUNS=2 (process runs per
#        configuration and side, the best kept)  REPS=7 (timed repetitions
#        inside each run, the best kept)  SPARSE_T="1024 16384 262144"
#        DENSE_V=151936 DENSE_T=8  SMALL_V=4096 SMALL_T=256  MEM_T=64
#        F32=1 (also time PyTorch in float32)  REF_SPARSE=5.5e6
#
# 1. Checks that both compute the same values on one shared input:
#    torch_bench.py check writes bench/out/distill-check.json (a top-20
#    sparse input and a dense V=1000 input, in float64, with torch's losses
#    and gradients, cross-checked against torch_reference.py's formulas);
#    main.go check recomputes them through the entry points the benchmarks
#    time and fails on a relative difference above 1e-9. Exits 1 then.
# 2. Times every configuration in separate processes (so each peak RSS is
#    its own) and appends the key=value lines to bench/out/distill-results.txt.
# 3. Prints the side-by-side table (report.py).
set -euo pipefail

PY=${PY:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3)
RUNS=${RUNS:-2}
REPS=${REPS:-7}
SPARSE_T=${SPARSE_T:-"1024 16384 262144"}
DENSE_V=${DENSE_V:-151936}
DENSE_T=${DENSE_T:-8}
SMALL_V=${SMALL_V:-4096}
SMALL_T=${SMALL_T:-256}
MEM_T=${MEM_T:-64}
F32=${F32:-1}
REF_SPARSE=${REF_SPARSE:-5.5e6}

cd "$(dirname "$0")/../.."
export PATH="/usr/local/go/bin:$PATH"
HERE=bench/distill
OUT=bench/out
mkdir -p "$OUT"
GOBIN=$OUT/distill-go
RES=$OUT/distill-results.txt

if ! "$PY" -c 'import torch' 2>/dev/null; then
	echo "PyTorch is missing for $PY: apt-get install -y python3-torch python3-numpy" >&2
	exit 2
fi
go build -o "$GOBIN" ./bench/distill

pin() { # the command, on core 0 with one Go thread
	if command -v taskset >/dev/null; then taskset -c 0 env GOMAXPROCS=1 "$@"; else env GOMAXPROCS=1 "$@"; fi
}

echo "go: $(go version | cut -d' ' -f3); python: $("$PY" --version 2>&1); torch: $("$PY" -c 'import torch; print(torch.__version__)')" \
	"threads: $("$PY" -c 'import torch; torch.set_num_threads(1); print(torch.get_num_threads())'); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores;" \
	"load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"

# 1. The same values on the same input.
pin "$PY" "$HERE/torch_bench.py" check "$OUT/distill-check.json" >/dev/null
if ! pin "$GOBIN" check "$OUT/distill-check.json"; then
	echo "!! FAIL: core/distill and PyTorch disagree on the shared input" >&2
	exit 1
fi

# 2. Timings. Each configuration runs RUNS times per side, alternating sides.
: >"$RES"
both() { # go-args... -- torch-args...
	local goargs=() pyargs=() seen=0
	for a in "$@"; do
		if [ "$a" = "--" ]; then seen=1; elif [ $seen = 0 ]; then goargs+=("$a"); else pyargs+=("$a"); fi
	done
	for _ in $(seq "$RUNS"); do
		pin "$GOBIN" "${goargs[@]}" -reps "$REPS" | tee -a "$RES" >&2
		pin "$PY" "$HERE/torch_bench.py" "${pyargs[@]}" --reps "$REPS" | tee -a "$RES" >&2
		if [ "$F32" = 1 ]; then
			pin "$PY" "$HERE/torch_bench.py" "${pyargs[@]}" --reps "$REPS" --dtype float32 | tee -a "$RES" >&2
		fi
	done
}
for t in $SPARSE_T; do
	both sparse "$t" -- sparse "$t"
done
for div in forward reverse jsd; do
	for g in "" "-grad"; do
		pg=${g:+--grad}
		both dense "$div" "$DENSE_T" "$DENSE_V" $g -- dense "$div" "$DENSE_T" "$DENSE_V" $pg
		both dense "$div" "$SMALL_T" "$SMALL_V" $g -- dense "$div" "$SMALL_T" "$SMALL_V" $pg
	done
done
# Memory against sequence length: forward with the gradient at MEM_T rows
# (both sides hold MEM_T distinct rows), and Go streaming 16 x MEM_T
# positions through DENSE_T distinct rows.
both dense forward "$MEM_T" "$DENSE_V" -grad -- dense forward "$MEM_T" "$DENSE_V" --grad
for _ in $(seq "$RUNS"); do
	pin "$GOBIN" dense forward $((16 * MEM_T)) "$DENSE_V" -grad -pool "$DENSE_T" -reps 3 | tee -a "$RES" >&2
done

# 3. The table.
echo
"$PY" "$HERE/report.py" "$RES" "$REF_SPARSE"
