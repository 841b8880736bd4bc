#!/usr/bin/env bash
# IAM Identity Center sign-in, end to end, without long-term keys:
#
#   scripts/demo-sso.sh
#
# Starts the IAM Identity Center emulator (internal/sso/ssotest/cmd/ssoemu)
# in front of MinIO, and under a temporary HOME (your ~/.aws, ~/.config and
# OS keyring are never read or written) shows: `s3sso login` through a fake
# browser (BROWSER=a script that follows the sign-in URL), `s3sso ls` / `cp`,
# `aws s3 ls --profile dev` using the same login, `s3sso whoami`, and
# `s3sso logout`. Then saved accounts: an SSO account without any
# ~/.aws/config (`account add work --type sso`, `login --account work`), a
# second account of keys for MinIO, `account list`, switching the default
# with `account use`, and `--account`.
#
# To reuse a running MinIO (scripts/demo.sh does), set
#   S3SSO_DEMO_MINIO_ENDPOINT, S3SSO_DEMO_MINIO_ACCESS_KEY, S3SSO_DEMO_MINIO_SECRET_KEY
# otherwise a throwaway MinIO is started. S3SSO names the s3sso binary
# (default bin/s3sso, built with `make build` when missing).
set -euo pipefail

cd "$(dirname "$0")/.."
run() {
	if [[ $1 == "${S3SSO:-}" ]]; then
		printf '$ s3sso %s\n' "${*:2}"
	else
		printf '$ %s\n' "$*"
	fi
	"$@"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/s3sso-demo-sso.XXXXXX")
source scripts/lib.sh
pids=()
cleanup() {
	stop_pids
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


S3SSO=${S3SSO:-$PWD/bin/s3sso}
if [[ ! -x $S3SSO ]]; then
	say "building s3sso"
	make --no-print-directory build
fi
say "building the IAM Identity Center emulator"
go build -o "$work/ssoemu" ./internal/sso/ssotest/cmd/ssoemu

if [[ -n ${S3SSO_DEMO_MINIO_ENDPOINT:-} ]]; then
	endpoint=$S3SSO_DEMO_MINIO_ENDPOINT
	access_key=$S3SSO_DEMO_MINIO_ACCESS_KEY
	secret_key=$S3SSO_DEMO_MINIO_SECRET_KEY
else
	minio="$(scripts/tools.sh minio)/minio"
	port=$(free_port)
	access_key=demo-admin
	secret_key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	endpoint=http://127.0.0.1:$port
	say "starting MinIO on $endpoint"
	mkdir -p "$work/data" "$work/minio-home"
	env -i PATH="$PATH" HOME="$work/minio-home" MINIO_ROOT_USER="$access_key" MINIO_ROOT_PASSWORD="$secret_key" \
		MINIO_BROWSER=off MINIO_UPDATE=off "$minio" server "$work/data" --address "127.0.0.1:$port" \
		--console-address "127.0.0.1:$(free_port)" --quiet >"$work/minio.log" 2>&1 &
	pids+=($!)
	for i in $(seq 300); do
		curl -fsS --noproxy '*' -o /dev/null "$endpoint/minio/health/ready" 2>/dev/null && break
		if ! kill -0 "${pids[-1]}" 2>/dev/null || ((i == 300)); then
			echo "MinIO did not become ready; its log:" >&2
			cat "$work/minio.log" >&2
			exit 1
		fi
		sleep 0.1
	done
fi

say "starting the IAM Identity Center emulator (role credentials minted by MinIO STS)"
MINIO_ROOT_USER=$access_key MINIO_ROOT_PASSWORD=$secret_key \
	"$work/ssoemu" -minio "$endpoint" -accounts "111122223333=dev:ReadOnly,Admin" >"$work/emu.url" 2>"$work/emu.log" &
pids+=($!)
for _ in $(seq 100); do
	[[ -s $work/emu.url ]] && break
	sleep 0.1
done
emu=$(head -n1 "$work/emu.url")
echo "emulator at $emu"

# An isolated HOME: the config `aws configure sso` would write, plus a
# services section sending S3/STS to MinIO and the sign-in calls to the
# emulator.
export HOME=$work/home
export XDG_CONFIG_HOME=$HOME/.config XDG_CACHE_HOME=$HOME/.cache XDG_STATE_HOME=$HOME/.local/state S3SSO_KEYRING=off
export AWS_CONFIG_FILE=$HOME/.aws/config AWS_SHARED_CREDENTIALS_FILE=$HOME/.aws/credentials
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ENDPOINT_URL S3SSO_ACCOUNT
export AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME/.aws"
cat >"$AWS_CONFIG_FILE" <<EOF
[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = us-east-1
services = demo

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[services demo]
s3 =
  endpoint_url = $endpoint
sts =
  endpoint_url = $endpoint
sso =
  endpoint_url = $emu
sso_oidc =
  endpoint_url = $emu
EOF
# The fake browser: "signs in" by following the URL (the emulator redirects
# back to s3sso's listener on 127.0.0.1).
cat >"$work/browser" <<'EOF'
#!/bin/sh
echo "   (fake browser opens $1)" >&2
exec curl -fsSL -o /dev/null "$1"
EOF
chmod 700 "$work/browser"
export BROWSER=$work/browser
echo "config: $AWS_CONFIG_FILE"
sed 's/^/  | /' "$AWS_CONFIG_FILE"

say "sign in (authorization code + PKCE through the fake browser)"
run "$S3SSO" login --profile dev
run ls -l "$HOME/.aws/sso/cache"

say "work with S3 on MinIO using the sign-in: no access keys anywhere"
bucket=demo-sso-$RANDOM
echo "hello from IAM Identity Center" >"$work/hello.txt"
run "$S3SSO" mb "s3://$bucket" --profile dev
run "$S3SSO" cp "$work/hello.txt" "s3://$bucket/hello.txt" --profile dev
run "$S3SSO" ls "s3://$bucket/" --profile dev

if command -v aws >/dev/null; then
	say "the AWS CLI uses the same login (same ~/.aws/sso/cache file)"
	run aws s3 ls "s3://$bucket/" --profile dev
fi

say "who am I"
run "$S3SSO" whoami --profile dev

say "sign out; commands then say which login to run"
run "$S3SSO" logout --profile dev
if "$S3SSO" ls "s3://$bucket/" --profile dev; then
	echo "unexpected: ls worked after logout" >&2
	exit 1
fi
echo "(failed as expected)"

say "saved accounts: an SSO account needs no ~/.aws/config"
# Only the sign-in endpoints point at the emulator, as AWS_ENDPOINT_URL_SSO
# and AWS_ENDPOINT_URL_SSO_OIDC do for the AWS CLI; S3 goes to MinIO.
export AWS_ENDPOINT_URL_SSO=$emu AWS_ENDPOINT_URL_SSO_OIDC=$emu
mv "$AWS_CONFIG_FILE" "$work/config.dev"
echo "AWS_ENDPOINT_URL_SSO=AWS_ENDPOINT_URL_SSO_OIDC=$emu; no $AWS_CONFIG_FILE"
run "$S3SSO" account add work --type sso --start-url https://d-1234567890.awsapps.com/start \
	--sso-region us-east-1 --account-id 111122223333 --role-name ReadOnly \
	--endpoint-url "$endpoint" --region us-east-1
run "$S3SSO" login --account work
echo "(its token is in the AWS CLI's legacy cache file: sha1 of the start URL; sso-session files are never touched)"
if command -v sha1sum >/dev/null; then sha1() { sha1sum; }; else sha1() { shasum -a 1; }; fi
run ls -l "$HOME/.aws/sso/cache/$(printf %s https://d-1234567890.awsapps.com/start | sha1 | cut -c1-40).json"
run "$S3SSO" ls --account work "s3://$bucket/"

say "a second account: an access key for MinIO (secret from stdin, never in accounts.json)"
printf '$ printf "%%s\\n" "$SECRET" | s3sso account add minio --type keys --access-key-id %s --secret-access-key - --endpoint-url %s --region us-east-1\n' \
	"$access_key" "$endpoint"
printf '%s\n' "$secret_key" | "$S3SSO" account add minio --type keys --access-key-id "$access_key" \
	--secret-access-key - --endpoint-url "$endpoint" --region us-east-1
run "$S3SSO" account list

say "switching between the two accounts"
run "$S3SSO" account use minio
run "$S3SSO" account list
run "$S3SSO" ls
run "$S3SSO" account use work
run "$S3SSO" account list
run "$S3SSO" ls "s3://$bucket/"
echo "(--account overrides the default for one command)"
run "$S3SSO" ls --account minio "s3://$bucket/"
run "$S3SSO" whoami --account work
run "$S3SSO" logout --account work
run "$S3SSO" account list
