#!/usr/bin/env bash
# Regenerates the offline query data in .sqlx/ (committed) after a query or migration changes.
# It builds a scratch database from migrations/ with sqlite3 and lets sqlx's macros record every
# query while compiling against it; no sqlx-cli needed. Builds elsewhere use SQLX_OFFLINE=true.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sqlite3 >/dev/null || { echo "需要 sqlite3：apt-get install -y sqlite3" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for m in migrations/*.sql; do sqlite3 "$scratch/prepare.db" < "$m"; done
rm -rf .sqlx && mkdir -p .sqlx
# Touch the sources so the query macros run again rather than coming from the build cache.
find server/src -name '*.rs' -exec touch {} +
DATABASE_URL="sqlite:$scratch/prepare.db" SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$PWD/.sqlx" \
  cargo check -p server --all-targets --quiet
echo "已生成 $(ls .sqlx | wc -l) 个查询描述到 .sqlx/"
