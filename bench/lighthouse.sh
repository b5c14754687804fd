#!/usr/bin/env bash
# Lighthouse (mobile, its default form factor) on the home page, a product
# page, the plans and a cart with one item, against a fresh sandbox shop.
# Run by hand (it takes a few minutes): bench/lighthouse.sh [out-dir]
# Lighthouse slows the CPU 4× to stand for a mid-range phone; on a machine
# already slower than its reference (the benchmark index column, ~1000+ on
# a quiet desktop) LH_CPU_SLOWDOWN=1 calibrates that away, as Lighthouse's
# throttling docs advise.
# It installs Lighthouse (pinned) into .bin/lighthouse with npm on first
# use and drives Debian's Chromium, kept off the network like the e2e suite.
set -euo pipefail
cd "$(dirname "$0")/.."
LIGHTHOUSE_VERSION=13.5.0
OUT=${1:-bench/out/lighthouse}
CHROME=${CHROME_PATH:-/usr/bin/chromium}
LH=.bin/lighthouse/node_modules/.bin/lighthouse
if [ ! -x "$LH" ] || ! grep -q "\"version\": \"$LIGHTHOUSE_VERSION\"" .bin/lighthouse/node_modules/lighthouse/package.json 2>/dev/null; then
	mkdir -p .bin/lighthouse
	npm install --prefix .bin/lighthouse --no-audit --no-fund --loglevel=error "lighthouse@$LIGHTHOUSE_VERSION"
fi
mkdir -p "$OUT"
data=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
go build -o "$data/vendo" .
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
(cd "$data" && exec ./vendo -data "$data/data" -addr "127.0.0.1:$port" >"$data/vendo.log" 2>&1) &
pid=$!
for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done

# A cart with one item: the anonymous cookie and its token from the
# product page, then the add-to-cart form, as a browser would.
jar="$data/cookies"
page=$(curl -fs -c "$jar" "$base/products/cafe-budget-planner")
token=$(grep -o 'name="_csrf" value="[^"]*"' <<<"$page" | head -1 | sed 's/.*value="//; s/"$//')
product=$(grep -o 'name="product" value="[^"]*"' <<<"$page" | head -1 | sed 's/.*value="//; s/"$//')
curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "_csrf=$token" --data-urlencode "product=$product" --data-urlencode quantity=1 "$base/cart/items"
cookie=$(awk '{ sub(/^#HttpOnly_/, "") } !/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep="; " }' "$jar")

flags="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-dev-shm-usage"
printf '| Page | Performance | Accessibility | Best practices | SEO | CPU benchmark index |\n| --- | ---: | ---: | ---: | ---: | ---: |\n'
for spec in "home:/" "product:/products/cafe-budget-planner" "plans:/plans" "cart:/cart"; do
	name=${spec%%:*}; path=${spec#*:}
	extra=()
	if [ "$name" = cart ]; then extra=(--extra-headers "{\"Cookie\": \"$cookie\"}"); fi
	if [ -n "${LH_CPU_SLOWDOWN:-}" ]; then extra+=(--throttling.cpuSlowdownMultiplier="$LH_CPU_SLOWDOWN"); fi
	CHROME_PATH=$CHROME "$LH" "$base$path" --quiet --chrome-flags="$flags" --output=json --output-path="$OUT/$name.json" \
		--only-categories=performance,accessibility,best-practices,seo "${extra[@]}" >/dev/null 2>"$OUT/$name.log" || { cat "$OUT/$name.log"; exit 1; }
	node -e '
const r = require(process.argv[1]); const c = r.categories;
const s = k => Math.round(c[k].score * 100);
console.log(`| ${process.argv[2]} | ${s("performance")} | ${s("accessibility")} | ${s("best-practices")} | ${s("seo")} | ${Math.round(r.environment.benchmarkIndex)} |`);
' "$(realpath "$OUT/$name.json")" "$name ($path)"
done
