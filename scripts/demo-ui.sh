#!/usr/bin/env bash
# The web UI against throwaway local servers, for a first look:
#
#   scripts/demo-ui.sh        (or: make demo-ui)
#
# Builds bin/s3sso, MinIO (scripts/tools.sh, cached after the first run) and
# the IAM Identity Center emulator, starts MinIO and the emulator on
# 127.0.0.1, and under a temporary HOME (your ~/.aws, ~/.config and OS
# keyring are never read or written) saves an SSO account "demo" (no
# ~/.aws/config needed) and a keys account "minio-root", signs "demo" in
# (PKCE through a scripted browser), fills three sample buckets with folders
# and files, and then runs `s3sso ui --account demo`, which prints the URL
# to open (and opens it when $BROWSER or a desktop is there). Ctrl-C stops
# the UI and the servers and removes the temporary files.
#
#   S3SSO_DEMO_UI_PORT=8123   serve the UI on this port (default: a random one)
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/s3sso-demo-ui.XXXXXX")
source scripts/lib.sh
pids=()
cleanup() {
	stop_pids
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The person's own browser, kept for `s3sso ui` (the sign-in below uses a
# scripted one).
user_browser=${BROWSER:-}

say "building s3sso, MinIO and the IAM Identity Center emulator"
make --no-print-directory build
minio="$(scripts/tools.sh minio)/minio"
gocache=$(go env GOCACHE) gomodcache=$(go env GOMODCACHE) gopath=$(go env GOPATH)
export GOCACHE="$gocache" GOMODCACHE="$gomodcache" GOPATH="$gopath"
S3SSO=$root/bin/s3sso

access_key=demo-admin
secret_key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
say "starting MinIO"
start_minio_demo "$minio"
echo "MinIO at $endpoint"
say "starting the IAM Identity Center emulator (role credentials minted by MinIO STS)"
start_ssoemu_demo
echo "emulator at $emu"

isolate_home
# Only the sign-in calls go to the emulator (as AWS_ENDPOINT_URL_SSO does
# for the AWS CLI); S3 goes to MinIO.
export AWS_ENDPOINT_URL_SSO=$emu AWS_ENDPOINT_URL_SSO_OIDC=$emu

say "saving the accounts"
"$S3SSO" account add demo --type sso --start-url https://d-1234567890.awsapps.com/start \
	--sso-region us-east-1 --account-id 111122223333 --role-name Admin \
	--endpoint-url "$endpoint" --region us-east-1
printf '%s\n' "$secret_key" | "$S3SSO" account add minio-root --type keys --access-key-id "$access_key" \
	--secret-access-key - --endpoint-url "$endpoint" --region us-east-1
"$S3SSO" account use demo

say "signing in to demo (PKCE; a scripted browser follows the emulator's sign-in page)"
cat >"$work/browser" <<'EOF'
#!/bin/sh
exec curl -fsSL --noproxy '*' -o /dev/null "$1"
EOF
chmod 700 "$work/browser"
BROWSER=$work/browser "$S3SSO" login --account demo

say "sample buckets"
files=$work/files
mkdir -p "$files/photos/2024/january" "$files/photos/2024/july" "$files/photos/2025" \
	"$files/logs" "$files/docs/guides" "$files/docs/reports"
for m in january july; do
	for i in $(seq -w 1 12); do
		head -c $((40000 + RANDOM * 8)) /dev/urandom >"$files/photos/2024/$m/IMG_$i.jpg"
	done
done
head -c $((3 * 1024 * 1024)) /dev/urandom >"$files/photos/2025/holiday.mov"
echo "Photos from the demo." >"$files/photos/README.txt"
for d in 01 02 03; do
	mkdir -p "$files/logs/app/2026-11-$d"
	for h in $(seq -w 0 23); do
		printf '2026-11-%sT%s:00:00Z INFO request served in %d ms\n' "$d" "$h" $((RANDOM % 200)) >"$files/logs/app/2026-11-$d/$h.log"
	done
done
printf '# Getting started\n\nThis bucket was made by make demo-ui.\n' >"$files/docs/README.md"
printf 'Install, sign in, browse.\n' >"$files/docs/guides/quick-start.md"
printf '{"quarter": "Q3", "objects": 1204}\n' >"$files/docs/reports/q3.json"
head -c 250000 /dev/urandom >"$files/docs/reports/q3.pdf"
for b in photos logs docs; do
	"$S3SSO" --account demo --quiet mb "s3://demo-$b"
	"$S3SSO" --account demo --quiet --no-progress cp -r "$files/$b/" "s3://demo-$b/"
done
"$S3SSO" --account demo ls

say "the web UI (Ctrl-C stops it and the servers)"
args=(ui --account demo)
if [[ -n ${S3SSO_DEMO_UI_PORT:-} ]]; then
	args+=(--port "$S3SSO_DEMO_UI_PORT")
fi
if [[ -n $user_browser ]]; then
	export BROWSER=$user_browser
else
	unset BROWSER
	if [[ -z ${DISPLAY:-}${WAYLAND_DISPLAY:-} && $(uname) == Linux ]]; then
		args+=(--no-browser)
	fi
fi
echo "open the URL below in a browser on this machine (it works once: it becomes a cookie)"
"$S3SSO" "${args[@]}" &
ui_pid=$!
pids=("$ui_pid" "${pids[@]}")
wait "$ui_pid"
