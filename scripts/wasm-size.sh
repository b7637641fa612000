#!/usr/bin/env bash
# Prints the raw, gzip and brotli sizes of what a browser downloads (after a release build).
# With --budget KB, fails when the wasm's brotli size exceeds KB kilobytes: size is a budget
# that a change should have to raise on purpose, not drift past.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=
if [ "${1:-}" = --budget ]; then budget=$2; fi
pkg=target/site/pkg
[ -f "$pkg/lianfang.wasm" ] || { echo "先运行 cargo leptos build --release" >&2; exit 1; }
printf '%-22s %10s %10s %10s\n' file raw gzip brotli
for f in "$pkg/lianfang.wasm" "$pkg/lianfang.js" "$pkg/lianfang.css"; do
  [ -f "$f" ] || continue
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  br=$(brotli -q 11 -c "$f" | wc -c)
  printf '%-22s %10s %10s %10s\n' "$(basename "$f")" "$raw" "$gz" "$br"
done

if [ -n "$budget" ]; then
  wasm_br=$(brotli -q 11 -c "$pkg/lianfang.wasm" | wc -c)
  if [ "$wasm_br" -gt $((budget * 1024)) ]; then
    echo "wasm 的 brotli 体积 $((wasm_br / 1024)) KB 超出预算 ${budget} KB" >&2
    exit 1
  fi
  echo "wasm 的 brotli 体积 $((wasm_br / 1024)) KB，在预算 ${budget} KB 之内"
fi
