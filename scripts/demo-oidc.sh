#!/usr/bin/env bash
# OpenID Connect sign-in, end to end, with real components on 127.0.0.1:
#
#   scripts/demo-oidc.sh
#
# Starts Dex (the OpenID provider: one static user, one public client whose
# redirect is s3sso's loopback callback on a fixed port) and a MinIO that
# trusts Dex in role-policy mode (MINIO_IDENTITY_OPENID_ROLE_POLICY=readwrite;
# MinIO prints the role ARN at start-up). Under a temporary HOME and XDG
# directories (your ~/.aws and ~/.config are never read or written) it shows:
# `s3sso account add lab --type oidc ...`, `s3sso login --account lab`
# through a fake browser that submits Dex's login form
# (internal/testenv/cmd/dexbrowser), S3 work with the temporary credentials
# MinIO's STS hands out for the ID token (AssumeRoleWithWebIdentity),
# `whoami`, `account list`, and `logout`.
#
# Dex and MinIO are built by scripts/tools.sh (cached after the first run).
# S3SSO names the s3sso binary (default bin/s3sso, built when missing). Every
# s3sso command is echoed before it runs; the script stops at the first one
# that fails. Processes and temporary files are removed on exit.
set -euo pipefail

cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/s3sso-demo-oidc.XXXXXX")
source scripts/lib.sh
pids=()
cleanup() {
	stop_pids
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# wait_http NAME URL PID LOG waits until URL answers 2xx. It returns 2 when
# the server exited because its port was taken in the meantime (other
# programs pick ports too; the caller tries again), else prints LOG and exits.
wait_http() {
	for i in $(seq 300); do
		if curl -fsS --noproxy '*' -o /dev/null "$2" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$3" 2>/dev/null || ((i == 300)); then
			forget "$3"
			if grep -qi "already in use" "$4"; then
				return 2
			fi
			echo "$1 did not become ready; its log:" >&2
			cat "$4" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# forget PID waits for an exited server and drops it from pids, so that the
# cleanup never signals a PID the system has reused.
forget() {
	local p keep=()
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	for p in "${pids[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

# retry NAME FUNC runs FUNC (which starts a server) up to 3 times while it
# returns 2 (port taken).
retry() {
	local rc
	for _ in 1 2 3; do
		rc=0
		"$2" || rc=$?
		((rc == 2)) || return "$rc"
	done
	echo "$1 found no free port" >&2
	exit 1
}

S3SSO=${S3SSO:-$PWD/bin/s3sso}
if [[ ! -x $S3SSO ]]; then
	say "building s3sso"
	make --no-print-directory build
fi
say "building Dex, MinIO (cached after the first run) and the fake browser"
tools=$(scripts/tools.sh minio dex)
go build -o "$work/dexbrowser" ./internal/testenv/cmd/dexbrowser

callback_port=$(free_port)
redirect=http://127.0.0.1:$callback_port/callback

start_dex() {
	dex_port=$(free_port)
	issuer=http://127.0.0.1:$dex_port/dex
	say "starting Dex at $issuer (user alice@example.com, public client s3sso)"
	mkdir -p "$work/dex"
	# JSON is YAML. The hash is bcrypt("dex-test-password"), the password of
	# the tests' static user (internal/testenv/dex.go), which dexbrowser types in.
	cat >"$work/dex/config.yaml" <<EOF
{
  "issuer": "$issuer",
  "storage": {"type": "memory"},
  "web": {"http": "127.0.0.1:$dex_port"},
  "oauth2": {"passwordConnector": "local", "skipApprovalScreen": true,
             "grantTypes": ["authorization_code", "refresh_token"], "responseTypes": ["code"]},
  "enablePasswordDB": true,
  "staticPasswords": [{"email": "alice@example.com", "username": "alice",
                       "userID": "08a8684b-db88-4b73-90a9-3cd1661f5466",
                       "hash": "\$2a\$10\$gJZ0PKo4pWdUSis3QMVxl.JD6wQoEKEfYrzqOf9Bp2.9IZtXD1QD."}],
  "staticClients": [{"id": "s3sso", "name": "s3sso", "public": true, "redirectURIs": ["$redirect"]}]
}
EOF
	env -i PATH="$PATH" HOME="$work/dex" TMPDIR="$work/dex" \
		"$tools/dex" serve "$work/dex/config.yaml" >"$work/dex.log" 2>&1 &
	pids+=($!)
	wait_http Dex "$issuer/.well-known/openid-configuration" "${pids[-1]}" "$work/dex.log"
}
retry Dex start_dex

root_secret=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
start_minio() {
	minio_port=$(free_port)
	endpoint=http://127.0.0.1:$minio_port
	say "starting MinIO at $endpoint, trusting Dex (role-policy mode: readwrite)"
	mkdir -p "$work/data" "$work/minio-home"
	# Without --quiet: MinIO prints the role ARN ("IAM Roles: ...") at start-up.
	env -i PATH="$PATH" HOME="$work/minio-home" \
		MINIO_ROOT_USER=demo-oidc-admin MINIO_ROOT_PASSWORD="$root_secret" \
		MINIO_BROWSER=off MINIO_UPDATE=off \
		MINIO_IDENTITY_OPENID_CONFIG_URL="$issuer/.well-known/openid-configuration" \
		MINIO_IDENTITY_OPENID_CLIENT_ID=s3sso \
		MINIO_IDENTITY_OPENID_SCOPES=openid,email,profile \
		MINIO_IDENTITY_OPENID_ROLE_POLICY=readwrite \
		"$tools/minio" server "$work/data" --address "127.0.0.1:$minio_port" \
		--console-address "127.0.0.1:$(free_port)" >"$work/minio.log" 2>&1 &
	pids+=($!)
	wait_http MinIO "$endpoint/minio/health/ready" "${pids[-1]}" "$work/minio.log"
}
retry MinIO start_minio
role_arn=
for _ in $(seq 100); do
	role_arn=$(grep -o 'arn:minio:iam:::role/[A-Za-z0-9_.-]*' "$work/minio.log" | head -n1 || true)
	[[ -n $role_arn ]] && break
	sleep 0.1
done
if [[ -z $role_arn ]]; then
	echo "MinIO announced no IAM role; its log:" >&2
	cat "$work/minio.log" >&2
	exit 1
fi
printf 'MinIO says: %s\n' "$(grep -m1 'IAM Roles:' "$work/minio.log" | sed 's/^[[:space:]]*//')"

# An isolated HOME: no AWS config at all; s3sso keeps the account in
# $XDG_CONFIG_HOME/s3sso and the tokens in $XDG_CACHE_HOME/s3sso/oidc.
export HOME=$work/home
export XDG_CONFIG_HOME=$HOME/.config XDG_CACHE_HOME=$HOME/.cache XDG_STATE_HOME=$HOME/.local/state
export AWS_CONFIG_FILE=$HOME/.aws/config AWS_SHARED_CREDENTIALS_FILE=$HOME/.aws/credentials
export AWS_EC2_METADATA_DISABLED=true S3SSO_KEYRING=off
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
	AWS_REGION AWS_DEFAULT_REGION AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN S3SSO_ACCOUNT
for v in $(compgen -e); do
	case $v in AWS_ENDPOINT_URL*) unset "$v" ;; esac
done
mkdir -p "$HOME"

# The fake browser: s3sso starts $BROWSER with the authorization URL and
# discards its output, so it logs to a file shown after each sign-in.
cat >"$work/browser" <<EOF
#!/bin/sh
exec '$work/dexbrowser' -log '$work/browser.log' "\$1"
EOF
chmod 700 "$work/browser"
export BROWSER=$work/browser
show_browser_log() {
	if [[ -s $work/browser.log ]]; then
		sed 's/^/   /' "$work/browser.log"
		: >"$work/browser.log"
	fi
}

# s3sso ARGS... echoes and runs s3sso (at most 2 minutes, so that a stuck
# sign-in fails the demo instead of hanging it).
s3sso() {
	printf '\n$ s3sso %s\n' "$*"
	local rc=0
	if command -v timeout >/dev/null; then
		timeout --foreground 120 "$S3SSO" "$@" || rc=$?
	else
		"$S3SSO" "$@" || rc=$?
	fi
	show_browser_log
	return "$rc"
}

say "save the OpenID Connect settings as account \"lab\" (no keys anywhere)"
s3sso account add lab --type oidc --issuer "$issuer" --client-id s3sso \
	--scopes openid,offline_access,email,profile --redirect-url "$redirect" \
	--sts-endpoint "$endpoint" --role-arn "$role_arn" \
	--endpoint-url "$endpoint" --region us-east-1 --path-style
s3sso account show lab

say "sign in: authorization code + PKCE at Dex (fake browser), then AssumeRoleWithWebIdentity at MinIO"
s3sso login --account lab
printf '\n$ ls -l %s\n' "\$XDG_CACHE_HOME/s3sso/oidc"
ls -l "$XDG_CACHE_HOME/s3sso/oidc"

say "work with S3 using the sign-in"
bucket=lab-$RANDOM
echo "hello from Dex + MinIO" >"$work/hello.txt"
s3sso --account lab mb "s3://$bucket"
s3sso --account lab cp "$work/hello.txt" "s3://$bucket/hello.txt"
s3sso --account lab ls "s3://$bucket/"
s3sso ls --account lab
s3sso --account lab cat "s3://$bucket/hello.txt"

say "who am I (issuer, subject, token and credential expiry, role), and the account's state"
s3sso whoami --account lab
s3sso account list

say "sign out; without a browser, commands then say which login to run"
s3sso logout --account lab
printf '\n$ s3sso --account lab ls s3://%s/   (no $BROWSER, no terminal)\n' "$bucket"
if BROWSER='' "$S3SSO" --account lab ls "s3://$bucket/" </dev/null 2>"$work/err"; then
	echo "unexpected: ls worked after logout" >&2
	exit 1
fi
cat "$work/err"
echo "(failed as expected)"
