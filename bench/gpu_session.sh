#!/usr/bin/env bash
# The GPU steps of bench/README.md in one run of the device tool, for a session with about
# 15 minutes of device time: the GPU-against-CPU check, then the conv VAE benchmark (30 epochs,
# the end-to-end bar), then the MLP VAE benchmark (EPOCHS_MLP epochs: its bar is a ratio of
# seconds per epoch). Each step has its own time limit, so a slow step cannot take the others'
# results with it. Results go to bench/results/ (merged with the runs there for the same GPU;
# VARIANTS limits which variants run) and are copied to $OUT.
#
#     bash bench/gpu_session.sh                                   # everything (about 6 minutes on an H200)
#     VARIANTS="cuda-graph compile+cuda-graph" bash bench/gpu_session.sh   # only these, kept with the rest
set -u
OUT=${OUT:-/tmp/vae-course-gpu}
EPOCHS_MLP=${EPOCHS_MLP:-10}
read -r -a variants <<< "${VARIANTS:-}"
variant_args=()
if [ ${#variants[@]} -gt 0 ]; then variant_args=(--variants "${variants[@]}"); fi
mkdir -p /tmp/fm/FashionMNIST/raw "$OUT"
for f in .fmnist/*.gz; do gunzip -c "$f" > "/tmp/fm/FashionMNIST/raw/$(basename "$f" .gz)"; done
export VAE_COURSE_DATA=/tmp/fm PYTHONUNBUFFERED=1
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
start=$SECONDS
timeout -k 5 "${LIMIT_CHECK:-150}" python3 bench/check_gpu_matches_cpu.py --epochs 1 --json "$OUT/check.json" 2>&1 | tee "$OUT/check.log"
echo "check: $((SECONDS - start)) s"
timeout -k 5 "${LIMIT_CONV:-280}" python3 bench/bench_gpu.py --models conv_vae "${variant_args[@]}" 2>&1 | tee "$OUT/bench-conv.log"
echo "check + conv: $((SECONDS - start)) s"
timeout -k 5 "${LIMIT_MLP:-140}" python3 bench/bench_gpu.py --models mlp_vae --epochs "$EPOCHS_MLP" "${variant_args[@]}" 2>&1 | tee "$OUT/bench-mlp.log"
echo "all: $((SECONDS - start)) s"
cp bench/results/gpu-* "$OUT/"
