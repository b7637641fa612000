#!/usr/bin/env bash
# Installs what building and testing Lianfang needs, idempotently: every step first checks whether
# its tool is already there and says what it does. Works on a fresh Debian machine with rustup,
# Node.js and npm, reaching only crates.io, the npm registry and Debian's apt.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"

step "Rust 的 wasm32 目标（编译浏览器端 wasm）"
if [[ "$(rustup target list --installed)" == *wasm32-unknown-unknown* ]]; then
  echo "已安装，跳过"
else
  rustup target add wasm32-unknown-unknown
fi

step "Rust 组件 clippy 与 rustfmt（代码检查与格式）"
missing_components=()
cargo clippy --version >/dev/null 2>&1 || missing_components+=(clippy)
cargo fmt --version >/dev/null 2>&1 || missing_components+=(rustfmt)
if [ ${#missing_components[@]} -eq 0 ]; then
  echo "已安装，跳过"
else
  rustup component add "${missing_components[@]}"
fi

step "Debian 软件包：chromium、chromium-driver（浏览器测试）、sqlite3、brotli（体积统计）"
missing=()
for pair in chromium:chromium chromedriver:chromium-driver sqlite3:sqlite3 brotli:brotli; do
  have "${pair%%:*}" || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "已安装，跳过"
else
  echo "安装：${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

step "cargo-leptos 0.3.10（同时构建服务器与 wasm；0.3.11 需要更新的 rustc）"
if have cargo-leptos && [[ "$(cargo leptos --version 2>/dev/null)" == *" 0.3.10"* ]]; then
  echo "已安装，跳过"
else
  echo "从 crates.io 编译安装，双核机器约 15–25 分钟，仅首次需要"
  cargo install cargo-leptos --version 0.3.10 --locked
fi

step "wasm-bindgen-cli（版本须与 Cargo.lock 中的 wasm-bindgen 完全一致）"
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if have wasm-bindgen && [[ "$(wasm-bindgen --version)" == "wasm-bindgen $wb_version" ]]; then
  echo "已安装 $wb_version，跳过"
else
  echo "编译安装 wasm-bindgen-cli $wb_version，约 4 分钟"
  # Not --locked: its lock file names a crate the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$wb_version" --force
fi

step "npm 包：Playwright（浏览器测试）与 binaryen 的 wasm-opt（发布构建优化 wasm）"
if [ -x end2end/node_modules/.bin/playwright ] && [ -x end2end/node_modules/.bin/wasm-opt ] \
   && [ end2end/node_modules/.package-lock.json -nt end2end/package-lock.json ]; then
  echo "已安装，跳过"
else
  # Playwright's own browser download is never used: tests run Debian's Chromium.
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

echo
echo "环境就绪。"
