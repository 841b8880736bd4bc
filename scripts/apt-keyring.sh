#!/usr/bin/env bash
# Installs the Debian packages of a real Secret Service for the keyring tests
# (e2e/keyring_test.go, testenv.StartSecretService): gnome-keyring (the
# daemon), dbus-x11 (with dbus-run-session, a private session bus) and
# libsecret-tools (secret-tool, the tests' independent reader).
#
#   scripts/apt-keyring.sh
#
# Idempotent and quiet when everything is installed already (one dpkg query
# per package, no apt-get update). Otherwise it runs `apt-get update` once and
# `apt-get install -y` with no prompts, which needs root (CI runs as root with
# no standard input). Progress goes to stderr. (Once scripts/apt.sh exists,
# this becomes its `keyring` entry.)
set -euo pipefail

log() { echo "apt: $*" >&2; }

# installed PKG: whether dpkg has PKG installed.
installed() {
	[[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing=()
for p in gnome-keyring dbus-x11 libsecret-tools; do
	installed "$p" || missing+=("$p")
done
[[ ${#missing[@]} -gt 0 ]] || exit 0

if [[ $(id -u) -ne 0 ]]; then
	log "need root to install ${missing[*]} (run: sudo apt-get install -y ${missing[*]})"
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log "installing ${missing[*]} (apt-get update, then apt-get install)"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Output is shown only when a step fails.
if ! apt-get update -qq </dev/null >"$out" 2>&1 ||
	! apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >"$out" 2>&1; then
	cat "$out" >&2
	log "installing ${missing[*]} failed"
	exit 1
fi
log "installed ${missing[*]}"
