#!/usr/bin/env bash
# Rebuilds this folder's tokenizer: Meta's Llama 3.1 tokenizer pruned to the demo's synthetic task family.
#   recipes/tokenizers/llama3.1-synth/build.sh [FULL_TOKENIZER_DIR]   (default data/llama3.1-tokenizer)
# Run it again whenever recipes/src/main/java/dev/herd/recipes/synth/TaskFamily.java changes.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
FULL="$(cd "${1:-$ROOT/data/llama3.1-tokenizer}" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

# The task family's vocabulary: ten seeds, far more items than the demo draws.
for seed in 0 1 2 3 4 5 6 7 8 9; do
  ./herd synth --out "$WORK/synth-$seed" --seed "$seed" --sft 20000 --prompts 5000 --preferences 10000 --eval 2000
done
# Every number as a response may write it: all 1-3 digit strings (Llama 3 splits numbers into 1-3 digit
# pieces, leading zeros included), bare and after a space, one JSON string per line.
for n in $(seq 0 999); do
  for s in "$n" "$(printf '%02d' "$n")" "$(printf '%03d' "$n")"; do
    printf '"%s"\n" %s"\n' "$s" "$s"
  done
done | sort -u > "$WORK/numbers.jsonl"

# init-model prunes (and checks the pruned tokenizer against the full one on every text); the model is thrown away.
./herd init-model --out "$WORK/model" --hidden 8 --layers 1 --heads 1 --kv-heads 1 --intermediate 8 \
  --tokenizer "$FULL" --vocab-from "$WORK"/synth-*/*.jsonl "$WORK/numbers.jsonl"
for f in tokenizer.json tokenizer_config.json special_tokens_map.json; do
  if [ -f "$WORK/model/$f" ]; then cp "$WORK/model/$f" "$HERE/$f"; fi
done
echo "wrote $HERE"
