#!/usr/bin/env bash
# Prints the raw, gzip and brotli sizes of what a browser downloads (after a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
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
