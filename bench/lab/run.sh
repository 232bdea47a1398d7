#!/usr/bin/env bash
# The lab model's pretraining step, Go (bench/lab/main.go, core/lab/model)
# beside PyTorch on CPU (bench/lab/torch_step.py), the same shape and the
# same step, the same thread count, run one after the other.
#
# Usage: bench/lab/run.sh   Env: PY=/usr/bin/python3  THREADS=2  STEPS=10
set -euo pipefail
PY=${PY:-/usr/bin/python3}
THREADS=${THREADS:-2}
STEPS=${STEPS:-10}
cd "$(dirname "$0")/../.."
mkdir -p bench/out
go build -o bench/out/lab-go ./bench/lab
echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
GOMAXPROCS=$THREADS bench/out/lab-go -workers "$THREADS" -steps "$STEPS"
"$PY" bench/lab/torch_step.py --threads "$THREADS" --steps "$STEPS"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
