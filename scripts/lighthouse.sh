#!/usr/bin/env bash
# Lighthouse (mobile: Moto G power, slow 4G, 4x CPU slowdown, simulated) on /login, /check and
# /public in Debian's Chromium, against the release build and the demo district. Prints each
# page's performance and accessibility scores with the metrics behind them; it never fails on a
# score. Figures are kept in docs/benchmarks.md.
#   ./scripts/lighthouse.sh            builds first (cargo leptos, --split)
#   ./scripts/lighthouse.sh --no-build uses the build that is there
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH" SQLX_OFFLINE=true CARGO_INCREMENTAL=0
target_dir=${CARGO_TARGET_DIR:-target}
bin="$PWD/$target_dir/release/lianfang"
[[ "$target_dir" = /* ]] && bin="$target_dir/release/lianfang"

if [[ "${1:-}" != "--no-build" ]]; then
  ./scripts/setup.sh >/dev/null
  cargo leptos build --release --split 2>&1 | tail -n 1
fi

# Lighthouse is a measuring tool, not part of the app: kept in a cache folder of its own, from
# the npm registry, at a fixed version.
tools=${XDG_CACHE_HOME:-$HOME/.cache}/lianfang/lighthouse
if [[ ! -x "$tools/node_modules/.bin/lighthouse" ]]; then
  mkdir -p "$tools"
  (cd "$tools" && npm init -y >/dev/null && npm install --no-audit --no-fund lighthouse@12.8.2 >/dev/null)
fi

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LIANFANG_DATABASE="$dir/lh.db" LIANFANG_ADDR="127.0.0.1:$port" LIANFANG_LOG=warn "$bin" serve --seed-demo >/dev/null &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 120); do curl -fsS "$base/api/health" >/dev/null 2>&1 && break; sleep 0.5; done

# /check is measured signed in (a post holder), as the person who opens it is.
curl -fsS -c "$dir/jar" -H "Origin: $base" -H 'Content-Type: application/json' \
  -d '{"username":"lina","password":"lianfang2026"}' "$base/api/login" >/dev/null
cookie=$(awk '$6 == "lianfang_session" { print $6 "=" $7 }' "$dir/jar")

printf '%-10s %6s %6s %8s %8s %8s %8s %8s\n' page perf a11y 'FCP s' 'LCP s' 'TBT ms' CLS 'SI s'
for path in /login /check /public; do
  headers='{}'
  [[ "$path" = /check ]] && headers="{\"Cookie\":\"$cookie\"}"
  CHROME_PATH=/usr/bin/chromium "$tools/node_modules/.bin/lighthouse" "$base$path" \
    --quiet --output=json --output-path="$dir/report.json" \
    --only-categories=performance,accessibility --form-factor=mobile \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu" \
    --extra-headers="$headers" >/dev/null 2>&1 || { echo "$path: lighthouse failed"; continue; }
  python3 - "$path" "$dir/report.json" <<'EOF'
import json, sys
path, file = sys.argv[1], sys.argv[2]
r = json.load(open(file))
c, a = r["categories"], r["audits"]
def v(k): return a[k].get("numericValue", 0)
print(f"{path:<10} {c['performance']['score']*100:6.0f} {c['accessibility']['score']*100:6.0f} "
      f"{v('first-contentful-paint')/1000:8.2f} {v('largest-contentful-paint')/1000:8.2f} "
      f"{v('total-blocking-time'):8.0f} {v('cumulative-layout-shift'):8.3f} {v('speed-index')/1000:8.2f}")
EOF
done
