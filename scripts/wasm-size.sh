#!/usr/bin/env bash
# Prints what a browser downloads on the first load of each route (after a release build with
# --split): the app's core (JS, the wasm loader, the core wasm, CSS) and the wasm chunks of the
# route's group of pages, raw, gzip and brotli. Records anyone may read (the public notice, a
# handbook, a verification page) are sent without wasm.
# With --budget KB, fails when the brotli size of the wasm a route needs on first load exceeds
# KB kilobytes for any route: size is a budget that a change should have to raise on purpose,
# not drift past.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=
if [ "${1:-}" = --budget ]; then budget=$2; fi
pkg=target/site/pkg
[ -f "$pkg/lianfang.wasm" ] || { echo "先运行 cargo leptos build --release --split" >&2; exit 1; }
exec python3 - "$pkg" "$budget" <<'PY'
import gzip, json, os, subprocess, sys

pkg, budget = sys.argv[1], sys.argv[2]

# Each route and the group of pages it is loaded with (app/src/routes.rs); None: no wasm.
ROUTES = [
    ("/login", "sign_in"), ("/check", "self_check"), ("/", "work"), ("/posts/{id}", "work"),
    ("/units/{id}/meeting", "work"), ("/units/{id}/import", "administration"),
    ("/units/{id}/commitments", "work"), ("/units/{id}/posts", "work"),
    ("/commitments/{id}", "work"), ("/account", "work"),
    ("/admin/accounts", "administration"), ("/admin/org", "administration"),
    ("/admin/org/import", "administration"), ("/settings", "administration"),
    ("/admin/audit", "administration"), ("/commitment-template", "administration"),
    ("/rounds", "administration"), ("/rounds/{id}", "administration"),
    ("/warnings", "records"), ("/warnings/{id}", "records"), ("/notifications", "records"),
    ("/measures", "records"), ("/education", "records"), ("/catalogue", "records"), ("/dashboard", "records"), ("/people/{username}", "records"),
    ("/public", None), ("/public/units/{id}", None), ("/units/{id}/handbook", None),
    ("/verify/{token}", None), ("/transparency", None),
]

sizes = {}
def size(name):
    if name not in sizes:
        data = open(os.path.join(pkg, name), "rb").read()
        br = subprocess.run(["brotli", "-q", "11", "-c"], input=data, capture_output=True, check=True).stdout
        sizes[name] = (len(data), len(gzip.compress(data, 9)), len(br))
    return sizes[name]

manifest_path = os.path.join(pkg, "__wasm_split_manifest.json")
manifest = json.load(open(manifest_path)) if os.path.exists(manifest_path) else {}
loader = [f for f in os.listdir(pkg) if f.startswith("__wasm_split") and f.endswith(".js")]
core_js = ["lianfang.js"] + loader
core_wasm = ["lianfang.wasm"]
css = ["lianfang.css"]

def group_files(group):
    """The split module of a group and the chunks it needs, as the loader fetches them."""
    keys = [k for k in manifest if k.lstrip("_").startswith(group + "_")]
    files = []
    for key in keys:
        for name in ["split_" + key + ".wasm"] + [c + ".wasm" for c in manifest[key]]:
            if os.path.exists(os.path.join(pkg, name)) and name not in files:
                files.append(name)
    return files

def total(names):
    return [sum(size(n)[i] for n in names) for i in range(3)]

def kb(n):
    return f"{n / 1024:,.1f}"

print(f"core: {', '.join(core_js + core_wasm + css)}")
for label, names in [("JS", core_js), ("core wasm", core_wasm), ("CSS", css)]:
    raw, gz, br = total(names)
    print(f"  {label:<10} raw {kb(raw):>8} KB  gzip {kb(gz):>7} KB  brotli {kb(br):>7} KB")
print()
print(f"{'route':<26}{'group':<16}{'files':>6}{'wasm br KB':>12}{'all br KB':>11}{'all raw KB':>12}")
worst = (0, "")
for route, group in ROUTES:
    if group is None:
        names = css + ["../print.js"] if os.path.exists(os.path.join(pkg, "../print.js")) else css
        wasm = []
    else:
        wasm = core_wasm + group_files(group)
        names = core_js + wasm + css
    wasm_br = total(wasm)[2]
    raw, _, br = total(names)
    print(f"{route:<26}{group or '（无 wasm）':<16}{len(names):>6}{kb(wasm_br):>12}{kb(br):>11}{kb(raw):>12}")
    if wasm_br > worst[0]:
        worst = (wasm_br, route)

if budget:
    limit = int(budget) * 1024
    if worst[0] > limit:
        print(f"首次加载 {worst[1]} 需要的 wasm（brotli）{worst[0] // 1024} KB 超出预算 {budget} KB", file=sys.stderr)
        sys.exit(1)
    print(f"各页面首次加载的 wasm（brotli）最多 {worst[0] // 1024} KB（{worst[1]}），在预算 {budget} KB 之内")
PY
