#!/usr/bin/env bash
# Runs every test: domain unit tests, server tests (real SQLite files, real HTTP on random ports),
# the release build with its wasm size, and the Playwright tests in Debian's Chromium (desktop and
# 360 px phone). Installs what is missing first. Ends with one "Summary: N passed, M failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH" SQLX_OFFLINE=true
# No incremental compilation data: a run from a fresh clone cannot reuse it (its paths differ),
# and it took tens of gigabytes of the shared build cache.
export CARGO_INCREMENTAL=0
target_dir=${CARGO_TARGET_DIR:-target}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

printf '\n==> 代码格式与 clippy（警告即失败）\n'
cargo fmt --all --check
cargo clippy --workspace --exclude frontend --all-targets --quiet -- -D warnings

printf '\n==> Rust 测试：domain 规则、app、server（真实 SQLite 文件与随机端口上的 HTTP）\n'
# frontend is the wasm entry point: it is built (and exercised) by cargo leptos and Playwright.
# SQLX_OFFLINE=true builds from the committed .sqlx/ data, so a query that no longer matches it
# fails to compile here.
cargo test --workspace --exclude frontend 2>&1 | tee "$logs/cargo.log"

printf '\n==> 风险库归并：标注集上的准确率与召回率（domain/src/catalogue/labelled.tsv）\n'
cargo test -q -p domain --lib catalogue::tests::the_labelled_set -- --nocapture 2>&1 | grep '风险库归并'

printf '\n==> 发布构建：服务器与 wasm（cargo leptos，一次构建两者）\n'
cargo leptos build --release --split 2>&1 | tail -n 5

printf "\n==> 浏览器下载体积（各页面首次加载的 wasm，brotli 预算 632 KB）\n"
./scripts/wasm-size.sh --budget 632

printf '\n==> Playwright：Debian Chromium，桌面与 360 px 手机视口\n'
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
e2e_db=$(mktemp -d)
export LIANFANG_E2E_PORT=$port LIANFANG_E2E_DB="$e2e_db/e2e.db" LIANFANG_E2E_BIN="$PWD/$target_dir/release/lianfang"
[[ "$target_dir" = /* ]] && LIANFANG_E2E_BIN="$target_dir/release/lianfang"
(cd end2end && npx playwright test --reporter=list) 2>&1 | tee "$logs/e2e.log"
rm -rf "$e2e_db"

rust_passed=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) if ($i == "passed;") s += $(i-1) } END { print s + 0 }' "$logs/cargo.log")
rust_failed=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) if ($i == "failed;") s += $(i-1) } END { print s + 0 }' "$logs/cargo.log")
e2e_passed=$(sed -n 's/^ *\([0-9][0-9]*\) passed.*/\1/p' "$logs/e2e.log" | tail -n 1)
e2e_failed=$(sed -n 's/^ *\([0-9][0-9]*\) failed.*/\1/p' "$logs/e2e.log" | tail -n 1)
echo
echo "Summary: $((rust_passed + ${e2e_passed:-0})) passed, $((rust_failed + ${e2e_failed:-0})) failed"
