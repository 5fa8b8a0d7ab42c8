#!/usr/bin/env bash
# The GPU row of the README's speed table, run on a GPU machine that has
# no Go: a GPT-2-small-shaped model (12 layers, width 768, 12 heads, 512
# tokens, vocabulary 50,257, batch 8) trained and run forward by w2s on XLA's
# CUDA plugin (the test binary built elsewhere: go test -c ./w2s/train) and by
# PyTorch eager on the same card (float32, then TF32, which XLA's GPU backend
# uses for float32 matrix products by default). Writes JSON lines to $1.
#
#   w2s/train/testdata/bench_gpu.sh OUT.jsonl [TEST_BINARY]
set -uo pipefail
out=$1
bin=${2:-./train.test}
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
model='"Model":"gpt2-small","Vocab":50257,"Layers":12,"Width":768,"Heads":12,"Batch":8,"T":512'
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/# gpu: /' >> "$out"
for mode in train infer; do
  steps=20; [ "$mode" = infer ] && steps=50
  W2S_SPEED_CHILD="{\"Impl\":\"xla-gpu\",\"Mode\":\"$mode\",$model,\"Steps\":$steps}" \
    timeout 400 "$bin" -test.run '^TestSpeedChild$' -test.v 2>&1 | grep '^SPEED ' | sed 's/^SPEED //' >> "$out" ||
    echo "{\"impl\":\"xla-gpu\",\"mode\":\"$mode\",\"error\":\"failed or timed out\"}" >> "$out"
  for tf32 in 0 1; do
    W2S_BENCH_DEVICE=cuda W2S_BENCH_TF32=$tf32 timeout 200 "$py" "$here/bench_torch.py" $mode 50257 12 768 12 8 512 $steps >> "$out" 2>>"$out.err" ||
      echo "{\"impl\":\"torch\",\"mode\":\"$mode\",\"tf32\":$tf32,\"error\":\"failed\"}" >> "$out"
  done
done
