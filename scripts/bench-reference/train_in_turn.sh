#!/bin/bash
# Herd's training steps and PyTorch eager's on the same shapes, stepped in turn: after each step of
# `herd bench decoder --in-turn` the reference (torch_train.py --in-turn) takes one, through two named pipes, so
# both meet the same load of the machine; run one after the other, each process meets the machine's drift instead.
# Prints both medians and the median of the step pairs' speed ratios (Herd over PyTorch) with its 95% interval.
#
#   PYTHONPATH=/tmp/torch scripts/bench-reference/train_in_turn.sh models/m5-4096 m5 40
#   PYTHONPATH=/tmp/torch scripts/bench-reference/train_in_turn.sh models/m100 m100 12 4 512
#
# MODEL is a Herd model folder of the shape CONFIG names in torch_decode.py (m5: 256 dim, 4 layers, 8/2 heads, ffn
# 768, vocab 4096; m100: 768 dim, 12 layers, 12/4 heads, ffn 2048, vocab 32768, tied embeddings); STEPS timed
# steps (default 40) after Herd's warm-up step, of BATCH rows of SEQ_LEN tokens (default 8 × 256) on both sides.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
model=${1:?usage: train_in_turn.sh MODEL CONFIG [STEPS [BATCH SEQ_LEN]]}
config=${2:?usage: train_in_turn.sh MODEL CONFIG [STEPS [BATCH SEQ_LEN]]}
steps=${3:-40}
batch=${4:-8}
seq_len=${5:-256}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT                     # the pipes and outputs this script made, nothing else
mkfifo "$dir/turn-out" "$dir/turn-in"
PYTHONPATH="$here:${PYTHONPATH:-}" python3.11 "$here/torch_train.py" --config "$config" --batch "$batch" --seq-len "$seq_len" --in-turn "$dir" > "$dir/torch.out" &
"$root/herd" bench decoder --model "$model" --steps "$steps" --batch "$batch" --seq-len "$seq_len" --in-turn "$dir" | tee "$dir/herd.out" | grep -v "^training steps"
wait
python3 - "$dir/herd.out" "$dir/torch.out" <<'PY'
import statistics, sys

def steps(path):
    for line in open(path):
        if line.startswith("training steps"):
            return [float(x) for x in line.split(":", 1)[1].split()]
    sys.exit(f"{path}: no step times")

herd = steps(sys.argv[1])            # Herd's steps after its warm-up step
torch = steps(sys.argv[2])[1:]       # every PyTorch step: its first, the warm-up, dropped as on Herd's side
n = min(len(herd), len(torch))
herd, torch = herd[:n], torch[:n]
ratios = sorted(t / h for h, t in zip(herd, torch))   # speed of Herd over PyTorch, step pair by step pair
# the distribution-free 95% interval of the median: order statistics k and n-1-k, k the largest with
# P(Binomial(n, 1/2) <= k) <= 2.5%
p, below, k = 0.5 ** n, 0.0, -1
for j in range(n):
    below += p
    if below > 0.025:
        break
    k, p = j, p * (n - j) / (j + 1)
k = max(k, 0)
hm, tm = statistics.median(herd), statistics.median(torch)
print(f"in turn, {n} step pairs: Herd {hm:.3f} s/step, PyTorch {tm:.3f} s/step: {tm / hm:.3f}x; per pair "
      f"{ratios[n // 2]:.3f}x, 95% CI [{ratios[k]:.3f}x, {ratios[n - 1 - k]:.3f}x]")
PY
