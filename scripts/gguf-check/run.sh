#!/usr/bin/env bash
# End-to-end check of `herd export gguf` against llama.cpp itself (node-llama-cpp's prebuilt CPU binaries):
# builds Herd, makes small random Llama 3.1 models (full tokenizer; tied and untied embeddings), exports each as
# f32, f16 and q8_0 GGUF, then checks that
#   1. llama.cpp tokenizes a multilingual text (special token included) exactly as `herd tokenize` does, and
#   2. llama.cpp's greedy continuation of a chat prompt's token ids equals `herd generate --chat` token for token
#      (required for f32 and f16; q8_0 quantises the weights, so its agreement is only reported).
# Needs node >= 20 and npm (the registry, once: node-llama-cpp is installed into $GGUF_CHECK_CACHE).
# Exit status 0 when every required comparison is equal.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${GGUF_CHECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herd-gguf-check}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
N="${GGUF_CHECK_TOKENS:-32}"
TEXT='Hello, world! Grüße aus München — ¿Qué tal? Привет, мир. 你好，世界。こんにちは 🌍 <|eot_id|> x=3.14; if (a<b) {return;}'
PROMPT='Write a haiku about the sea, please. Ünïcödé 日本語'

mkdir -p "$CACHE"
cp "$HERE/package.json" "$HERE/check.mjs" "$CACHE/"
if [ ! -d "$CACHE/node_modules/node-llama-cpp" ] || [ "$HERE/package.json" -nt "$CACHE/node_modules/.package-lock.json" ]; then
  echo "installing node-llama-cpp into $CACHE ..." >&2
  (cd "$CACHE" && npm install --no-audit --no-fund --loglevel=error >&2)
fi
check() { (cd "$CACHE" && node check.mjs "$@"); }
json() { node -e "const o=JSON.parse(require('fs').readFileSync(0,'utf8')); console.log($1)"; }

HERD="$ROOT/herd"
"$HERD" --version >/dev/null   # the launcher builds Herd first when the jar is missing or older than the sources
fail=0
for tie in untied tied; do
  flags=(--hidden 64 --layers 2 --heads 4 --kv-heads 2 --intermediate 128 --seed 7)
  [ "$tie" = tied ] && flags+=(--tie-embeddings)
  model="$WORK/$tie"
  "$HERD" init-model --tokenizer "$ROOT/data/llama3.1-tokenizer" "${flags[@]}" --out "$model" >/dev/null
  herd_text="$("$HERD" tokenize --model "$model" --text "$TEXT" | json 'o.ids.join(",")')"
  gen="$("$HERD" generate --model "$model" --chat --prompt "$PROMPT" --max-new-tokens "$N" --json 2>/dev/null)"
  prompt_ids="$(echo "$gen" | json 'o.prompt_ids.join(",")')"
  herd_gen="$(echo "$gen" | json 'o.ids.join(",")')"
  n_gen="$(echo "$gen" | json 'o.ids.length')"
  for dtype in f32 f16 q8_0; do
    gguf="$WORK/$tie-$dtype.gguf"
    "$HERD" export gguf --model "$model" --out "$gguf" --dtype "$dtype" >/dev/null
    out="$(check --model "$gguf" --text "$TEXT" --ids "$prompt_ids" --n "$n_gen")"
    cpp_text="$(echo "$out" | json 'o.text_ids.join(",")')"
    cpp_gen="$(echo "$out" | json 'o.generated.join(",")')"
    same_prefix="$(node -e "const a='$herd_gen'.split(','),b='$cpp_gen'.split(',');let i=0;while(i<a.length&&a[i]===b[i])i++;console.log(i)")"
    tok=$([ "$herd_text" = "$cpp_text" ] && echo equal || echo DIFFERENT)
    gen_ok=$([ "$herd_gen" = "$cpp_gen" ] && echo equal || echo DIFFERENT)
    printf '%-6s %-5s tokenization (%s tokens): %-9s greedy (%s prompt + %s tokens): %-9s (%s/%s agree)\n' \
      "$tie" "$dtype" "$(echo "$herd_text" | tr ',' '\n' | wc -l)" "$tok" "$(echo "$prompt_ids" | tr ',' '\n' | wc -l)" \
      "$n_gen" "$gen_ok" "$same_prefix" "$n_gen"
    if [ "$tok" != equal ]; then
      echo "  herd:      $herd_text"; echo "  llama.cpp: $cpp_text"; fail=1
    fi
    if [ "$gen_ok" != equal ]; then
      echo "  herd:      $herd_gen"; echo "  llama.cpp: $cpp_gen"
      [ "$dtype" != q8_0 ] && fail=1
    fi
  done
done
[ "$fail" = 0 ] && echo "gguf-check: OK" || echo "gguf-check: FAILED"
exit "$fail"
