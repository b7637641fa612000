#!/usr/bin/env bash
# Benchmarks; they print numbers and never fail on time. Figures are kept in docs/benchmarks.md.
#   1. server-side sync throughput and latency (cargo bench, release, real SQLite, real HTTP)
#   2. verifying an audit log of 1,000,000 entries
#   3. one browser draining 10,000 queued operations (Playwright, Debian's Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH" SQLX_OFFLINE=true
target_dir=${CARGO_TARGET_DIR:-target}

printf '\n==> 服务器端同步吞吐与延迟\n'
cargo bench -p server --bench sync 2>&1 | grep -E '^(throughput|latency)'

printf '\n==> 审计记录链校验（1,000,000 条）\n'
cargo bench -p server --bench verify 2>&1 | grep -E '^verify:'

printf '\n==> 浏览器清空 10,000 条待同步操作\n'
cargo leptos build --release --split 2>&1 | tail -n 1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bin="$PWD/$target_dir/release/lianfang"
[[ "$target_dir" = /* ]] && bin="$target_dir/release/lianfang"
(cd end2end && LIANFANG_E2E_PORT=$port LIANFANG_E2E_DB="$dir/bench.db" LIANFANG_E2E_BIN="$bin" \
  npx playwright test --config bench.config.ts --reporter=list) 2>&1 | grep -E '^drain:|passed|failed'
