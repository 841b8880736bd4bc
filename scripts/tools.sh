#!/usr/bin/env bash
# Builds the pinned external tools that tests, the demo and benchmarks need,
# from the Go module proxy, into a cache directory reused between runs.
#
#   scripts/tools.sh [minio|staticcheck|golangci-lint|s5cmd|rclone|mc|dex|all]...
#
# Prints nothing but progress on stderr; the tool directory is
# ${S3SSO_TOOLS_DIR:-$HOME/.cache/s3sso/tools}. Each binary is named NAME-VERSION
# with a NAME symlink, so a version bump rebuilds and an unchanged one is free.
set -euo pipefail

TOOLS_DIR="${S3SSO_TOOLS_DIR:-$HOME/.cache/s3sso/tools}"
mkdir -p "$TOOLS_DIR"

# Pinned versions (see ../shared/docs/infra.md for why each recipe looks as it does).
MINIO_MOD=github.com/minio/minio
MINIO_VER=v0.0.0-20260212201848-7aac2a2c5b7c
STATICCHECK_MOD=honnef.co/go/tools
STATICCHECK_VER=v0.8.2
GOLANGCI_MOD=github.com/golangci/golangci-lint/v2
GOLANGCI_VER=v2.15.0
S5CMD_MOD=github.com/peak/s5cmd/v2
S5CMD_VER=v2.3.0
RCLONE_MOD=github.com/rclone/rclone
RCLONE_VER=v1.76.0
MC_MOD=github.com/minio/mc
MC_VER=v0.0.0-20250313080218-cf909e1063a9
DEX_MOD=github.com/dexidp/dex
DEX_VER=v0.0.0-20260303133905-11d2eeb52b42 # v2.45.1

log() { echo "tools: $*" >&2; }

# heartbeat NAME: every 30 s, says that NAME is still building (cold builds
# take minutes on small machines). It sleeps in 1 s steps so that once killed
# nothing of it holds the caller's stderr open for long.
heartbeat() {
	local start n=0
	start=$(date +%s)
	while sleep 1; do
		n=$((n + 1))
		if ((n % 30 == 0)); then
			log "still building $1 ($(($(date +%s) - start))s so far)"
		fi
	done
}

# build NAME MODULE VERSION PKG [go build flags...]
# Downloads MODULE@VERSION, copies it to a writable temp dir and builds PKG
# with -mod=mod (the proxy refuses some version lists, so `go install` fails).
build() {
	local name=$1 mod=$2 ver=$3 pkg=$4
	shift 4
	local bin="$TOOLS_DIR/$name-$ver"
	if [[ -x "$bin" ]]; then
		ln -sf "$(basename "$bin")" "$TOOLS_DIR/$name"
		return 0
	fi
	log "building $name $ver (cached afterwards in $TOOLS_DIR)"
	local dir
	dir=$(go mod download -json "$mod@$ver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -n "$dir" ]] || { log "cannot download $mod@$ver"; return 1; }
	local tmp
	tmp=$(mktemp -d)
	cp -r "$dir/." "$tmp/"
	chmod -R u+w "$tmp"
	rm -rf "$tmp/vendor"
	# An optional per-tool step run in the copy before building (BUILD_PREP).
	if [[ -n "${BUILD_PREP:-}" ]]; then (cd "$tmp" && "$BUILD_PREP"); fi
	heartbeat "$name" >/dev/null &
	local hb=$! rc=0
	(cd "$tmp" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" "$@" -o "$bin.tmp.$$" "$pkg") || rc=$?
	kill "$hb" 2>/dev/null || true
	wait "$hb" 2>/dev/null || true
	rm -rf "$tmp"
	if [[ $rc -ne 0 ]]; then
		rm -f "$bin.tmp.$$"
		log "building $name $ver failed"
		return "$rc"
	fi
	mv "$bin.tmp.$$" "$bin"
	ln -sf "$(basename "$bin")" "$TOOLS_DIR/$name"
	log "built $bin"
}

# dex_prep: Dex's go.mod replaces its api/v2 module with a local directory
# that its module zip lacks; use the published api/v2 module instead.
dex_prep() {
	go mod edit -dropreplace github.com/dexidp/dex/api/v2
	go mod download github.com/dexidp/dex/api/v2
}

want() {
	case "$1" in
	minio) build minio "$MINIO_MOD" "$MINIO_VER" . ;;
	staticcheck) build staticcheck "$STATICCHECK_MOD" "$STATICCHECK_VER" ./cmd/staticcheck ;;
	golangci-lint) build golangci-lint "$GOLANGCI_MOD" "$GOLANGCI_VER" ./cmd/golangci-lint ;;
	s5cmd) build s5cmd "$S5CMD_MOD" "$S5CMD_VER" . ;;
	rclone) build rclone "$RCLONE_MOD" "$RCLONE_VER" . ;;
	mc) build mc "$MC_MOD" "$MC_VER" . ;;
	dex) BUILD_PREP=dex_prep build dex "$DEX_MOD" "$DEX_VER" ./cmd/dex ;;
	all) for t in minio golangci-lint dex; do want "$t"; done ;;
	*) log "unknown tool $1"; return 2 ;;
	esac
}

[[ $# -gt 0 ]] || set -- all
for t in "$@"; do want "$t"; done
echo "$TOOLS_DIR"
