#!/usr/bin/env bash
# Installs the Debian packages that tests need and the Go module proxy cannot
# provide:
#
#   scripts/apt.sh [awscli|keyring|fuse|chromium|disk]...
#
#   awscli   the AWS CLI v2 (Debian's awscli package, /usr/bin/aws), a second
#            real peer of the SSO token and role-credential caches; the
#            image's AWS CLI v1 stays first on PATH, tests call v2 by its
#            full path (see internal/testenv: AWSCLIv2)
#   keyring  a real Secret Service for the keyring tests (e2e/keyring_test.go,
#            testenv.StartSecretService): gnome-keyring (the daemon), dbus-x11
#            (dbus-run-session, a private session bus) and libsecret-tools
#            (secret-tool, the tests' independent reader)
#   disk     mkfs.ext4 (e2fsprogs) for the small loop-mounted disk of
#            e2e TestFullDiskFailsBeforeDownloading (tmpfs is not
#            preallocated, so it needs a real file system)
#
# Idempotent and quiet when everything is installed already (one dpkg query
# per package, no apt-get update). Otherwise it runs `apt-get update` once and
# `apt-get install -y` with no prompts, which needs root (CI runs as root with
# no standard input). Progress goes to stderr.
set -euo pipefail

log() { echo "apt: $*" >&2; }

# installed PKG: whether dpkg has PKG installed.
installed() {
	[[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

[[ $# -gt 0 ]] || set -- awscli keyring fuse chromium disk
missing=()
for p in "$@"; do
	case "$p" in
	awscli) installed awscli && [[ -x /usr/bin/aws ]] || missing+=(awscli) ;;
	keyring)
		for k in gnome-keyring dbus-x11 libsecret-tools; do
			installed "$k" || missing+=("$k")
		done
		;;
	fuse) installed fuse3 && command -v fusermount3 >/dev/null || missing+=(fuse3) ;;
	chromium) installed chromium && [[ -x /usr/bin/chromium ]] || missing+=(chromium) ;;
	disk) installed e2fsprogs && command -v mkfs.ext4 >/dev/null || missing+=(e2fsprogs) ;;
	*) log "unknown package $p"; exit 2 ;;
	esac
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
