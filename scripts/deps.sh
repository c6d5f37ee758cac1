#!/usr/bin/env bash
# Installs what the project needs and the machine lacks: Debian packages with
# apt-get, npm packages pinned in package-lock.json with npm ci.  Idempotent
# and quiet when everything is there.  Needs root for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

# build: compiler, pkg-config, clang for libFuzzer targets and its runtime
# libraries: FastCGI, PostgreSQL client, JSON, crypto, JWT, TOTP, QR codes,
#            argon2id (libsodium), unit tests (cmocka)
# services:  PostgreSQL server, nginx
# tests:     Chromium for the browser tests, WebKitGTK's WebDriver under Xvfb
#            for the till in the iPad's engine, wrk for the benchmarks, node/npm
# demo:      oathtool, the TOTP codes of the demo logins that make run prints
pkgs=(
	gcc make pkg-config clang libclang-rt-14-dev
	libfcgi-dev libpq-dev libjansson-dev libssl-dev libjwt-dev liboath-dev
	libqrencode-dev libsodium-dev libcmocka-dev
	postgresql postgresql-contrib nginx
	chromium webkit2gtk-driver xvfb xauth wrk curl ca-certificates procps
	oathtool
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's nginx and postgresql packages may start system-wide services on
# install; the project runs its own instances and needs neither.

# npm packages (playwright-core drives Debian's /usr/bin/chromium; it never
# downloads a browser of its own).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	echo "deps: npm ci"
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
