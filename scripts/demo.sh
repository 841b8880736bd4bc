#!/usr/bin/env bash
# A scripted tour of s3sso against a throwaway MinIO on 127.0.0.1.
#
#   scripts/demo.sh        (or: make demo)
#
# First it signs in through IAM Identity Center (the project's local emulator
# of its OIDC and portal APIs, scripts/demo-sso.sh) with a fake browser, works
# with S3 on MinIO using the temporary role credentials, and shows the AWS CLI
# using the same login; then saved accounts: an SSO account without any
# ~/.aws/config, a second account of keys, and switching between them. Next
# it signs in with OpenID Connect at a real Dex in front of a second MinIO
# (scripts/demo-oidc.sh). Then it tours every command with a profile of keys.
#
# It builds bin/s3sso, MinIO and Dex (scripts/tools.sh, cached after the first
# run), starts MinIO with a temporary data directory, and runs s3sso under a
# temporary HOME (and XDG directories) whose ~/.aws holds a "demo" profile
# pointing at it. Your real ~/.aws, ~/.config and OS keyring are never read or
# written. Every s3sso command is echoed before it runs; the demo stops at the
# first one that fails. MinIO, Dex, the emulator and the temporary files are
# removed on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
source scripts/lib.sh

say "building s3sso, MinIO and Dex"
make --no-print-directory build
tools=$(scripts/tools.sh minio dex)
minio="$tools/minio"
# The Go caches and the tools stay where they are when HOME changes below
# (the demo scripts build small helpers with go build).
gocache=$(go env GOCACHE) gomodcache=$(go env GOMODCACHE) gopath=$(go env GOPATH)

work=$(mktemp -d "${TMPDIR:-/tmp}/s3sso-demo.XXXXXX")
minio_pid=
pids=()
cleanup() {
	if [[ -n $minio_pid ]]; then
		pids=("$minio_pid")
		stop_pids
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# http_status PORT PATH prints the HTTP status code of GET PATH on 127.0.0.1.
http_status() {
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$2" "$1" >&3
	read -r -t 2 line <&3 || true
	exec 3<&-
	line=${line#* }
	echo "${line%% *}"
}

access_key=demo-admin
secret_key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

# start_minio starts MinIO on fresh free ports and waits until it is ready;
# it returns 2 when a port was taken in the meantime (other programs may
# pick ports too), so that the caller can try again.
start_minio() {
	port=$(free_port)
	console_port=$(free_port)
	say "starting MinIO on 127.0.0.1:$port (data in $work/data)"
	mkdir -p "$work/data" "$work/minio-home"
	env -i PATH="$PATH" HOME="$work/minio-home" \
		MINIO_ROOT_USER="$access_key" MINIO_ROOT_PASSWORD="$secret_key" \
		MINIO_BROWSER=off MINIO_UPDATE=off \
		"$minio" server "$work/data" --address "127.0.0.1:$port" \
		--console-address "127.0.0.1:$console_port" --quiet >"$work/minio.log" 2>&1 &
	minio_pid=$!
	for i in $(seq 300); do
		if [[ $(http_status "$port" /minio/health/ready 2>/dev/null) == 200 ]]; then
			return 0
		fi
		if ! kill -0 "$minio_pid" 2>/dev/null || ((i == 300)); then
			wait "$minio_pid" 2>/dev/null || true
			if grep -q "port is already in use" "$work/minio.log"; then
				return 2
			fi
			echo "MinIO did not become ready; its log:" >&2
			cat "$work/minio.log" >&2
			exit 1
		fi
		sleep 0.1
	done
}
for attempt in 1 2 3; do
	rc=0
	start_minio || rc=$?
	((rc == 0)) && break
	if ((attempt == 3)); then
		echo "MinIO found no free port; its log:" >&2
		cat "$work/minio.log" >&2
		exit 1
	fi
done

# A private HOME: s3sso sees only the demo profile below, whatever is in the
# environment or in your own ~/.aws.
export HOME="$work/home"
export XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache" XDG_STATE_HOME="$HOME/.local/state"
export AWS_CONFIG_FILE="$HOME/.aws/config" AWS_SHARED_CREDENTIALS_FILE="$HOME/.aws/credentials"
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
	AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN
for v in $(compgen -e); do
	case $v in AWS_ENDPOINT_URL* | S3SSO_*) unset "$v" ;; esac
done
# Secrets of saved accounts go to a 0600 file in the temporary HOME, never
# into your OS keyring.
export S3SSO_KEYRING=off S3SSO_TOOLS_DIR="$tools"
export GOCACHE="$gocache" GOMODCACHE="$gomodcache" GOPATH="$gopath"
mkdir -p "$HOME/.aws"
cat >"$AWS_CONFIG_FILE" <<EOF
[profile demo]
region = us-east-1
services = demo-minio

[services demo-minio]
s3 =
  endpoint_url = http://127.0.0.1:$port
EOF
cat >"$AWS_SHARED_CREDENTIALS_FILE" <<EOF
[demo]
aws_access_key_id = $access_key
aws_secret_access_key = $secret_key
EOF
chmod 600 "$AWS_CONFIG_FILE" "$AWS_SHARED_CREDENTIALS_FILE"
say "demo profile in $AWS_CONFIG_FILE:"
cat "$AWS_CONFIG_FILE"

say "signing in without keys: IAM Identity Center (emulated locally), then S3 work and the AWS CLI on the same login"
S3SSO="$root/bin/s3sso" S3SSO_DEMO_MINIO_ENDPOINT="http://127.0.0.1:$port" \
	S3SSO_DEMO_MINIO_ACCESS_KEY="$access_key" S3SSO_DEMO_MINIO_SECRET_KEY="$secret_key" \
	"$root/scripts/demo-sso.sh"

say "signing in without keys: any OpenID Connect provider (a real Dex) in front of a second MinIO"
S3SSO="$root/bin/s3sso" "$root/scripts/demo-oidc.sh"

say "the full command tour, with the demo profile (static keys, as S3-compatible storage often uses)"

# Some local files to work with.
files="$work/files"
mkdir -p "$files/site/css" "$files/site/img"
echo "Hello from s3sso ($(date -u +%Y-%m-%dT%H:%M:%SZ))" >"$files/hello.txt"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$files/big.bin"
echo "<h1>demo</h1>" >"$files/site/index.html"
echo "h1 { color: teal }" >"$files/site/css/style.css"
head -c 200000 /dev/urandom >"$files/site/img/logo.bin"

# s3sso ARGS... echoes and runs bin/s3sso --profile demo ARGS...
s3sso() {
	printf '\n$ s3sso --profile demo %s\n' "$*"
	"$root/bin/s3sso" --profile demo "$@"
}

s3sso version
s3sso mb s3://demo-bucket
s3sso cp "$files/hello.txt" s3://demo-bucket/hello.txt
s3sso cp "$files/big.bin" s3://demo-bucket/big.bin
s3sso ls s3://demo-bucket
s3sso cp -r "$files/site" s3://demo-bucket/site/
s3sso ls -r --human s3://demo-bucket

say "changing one file and adding another locally, then syncing"
echo "<h1>demo, updated</h1>" >"$files/site/index.html"
echo "<p>new</p>" >"$files/site/about.html"
s3sso sync "$files/site" s3://demo-bucket/site/
s3sso ls -r --human s3://demo-bucket/site/

s3sso stat s3://demo-bucket/hello.txt
s3sso cat s3://demo-bucket/hello.txt
s3sso presign s3://demo-bucket/hello.txt | tee "$work/presigned"
url=$(tail -n 1 "$work/presigned")
if command -v curl >/dev/null; then
	printf '\n$ curl -fsS <the presigned URL>\n'
	curl -fsS --noproxy '*' "$url"
fi

s3sso cp -r s3://demo-bucket/site/ "$work/download/"
printf '\n$ diff -r <local site> <downloaded site>\n'
diff -r "$files/site" "$work/download"
echo "identical"

s3sso rm -r s3://demo-bucket/site/
s3sso ls -r s3://demo-bucket
s3sso rb --force s3://demo-bucket

say "demo finished"
