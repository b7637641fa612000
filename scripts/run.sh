#!/usr/bin/env bash
# Builds Lianfang (server and wasm, release) and serves it on 127.0.0.1:3000 with the demo
# district seeded into data/lianfang.db, printing the demo accounts. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH" SQLX_OFFLINE=true

printf '\n==> 构建服务器与 wasm（发布模式；首次约 10 分钟，之后约 1 分钟）\n'
cargo leptos build --release --split

target_dir=${CARGO_TARGET_DIR:-target}
printf '\n==> 启动：http://127.0.0.1:3000\n'
export LIANFANG_DATABASE=${LIANFANG_DATABASE:-data/lianfang.db}
exec "$target_dir/release/lianfang" serve --seed-demo "$@"
