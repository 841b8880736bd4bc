# shellcheck shell=bash
# Helpers shared by the demo scripts. Source it after `cd` to the repository
# root and after setting $work (the script's temporary directory). A script
# keeps the PIDs of the servers it starts in the array pids; stop_pids stops
# them on exit.

# say prints a section heading.
say() { printf '\n== %s\n' "$*"; }

# free_port prints a TCP port on 127.0.0.1 that nothing listens on and that
# this script has not handed out before (recorded in $work/ports; a callback
# port stays unbound until login). It picks below the kernel's range of
# ephemeral ports, so that no outgoing connection takes it in the meantime.
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 12000))
		if grep -qx "$p" "$work/ports" 2>/dev/null; then
			continue
		fi
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p" >>"$work/ports"
			echo "$p"
			return 0
		fi
	done
	echo "no free port found" >&2
	return 1
}

# stop_pids stops every process in pids: SIGTERM, up to 10 s to exit (MinIO
# takes about 3 s), then SIGKILL.
stop_pids() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 100); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# start_minio_demo BIN starts MinIO BIN with its data under $work on a free
# port, with root keys $access_key / $secret_key (the caller sets them),
# adds its PID to pids, waits until it is ready and sets $endpoint.
start_minio_demo() {
	local bin=$1 port i
	port=$(free_port)
	endpoint=http://127.0.0.1:$port
	mkdir -p "$work/data" "$work/minio-home"
	env -i PATH="$PATH" HOME="$work/minio-home" MINIO_ROOT_USER="$access_key" MINIO_ROOT_PASSWORD="$secret_key" \
		MINIO_BROWSER=off MINIO_UPDATE=off "$bin" server "$work/data" --address "127.0.0.1:$port" \
		--console-address "127.0.0.1:$(free_port)" --quiet >"$work/minio.log" 2>&1 &
	pids+=($!)
	for i in $(seq 300); do
		curl -fsS --noproxy '*' -o /dev/null "$endpoint/minio/health/ready" 2>/dev/null && return 0
		if ! kill -0 "${pids[-1]}" 2>/dev/null || ((i == 300)); then
			echo "MinIO did not become ready; its log:" >&2
			cat "$work/minio.log" >&2
			return 1
		fi
		sleep 0.1
	done
}

# start_ssoemu_demo starts the IAM Identity Center emulator (built into
# $work/ssoemu) minting role credentials on MinIO at $endpoint, adds its PID
# to pids and sets $emu to its URL.
start_ssoemu_demo() {
	go build -o "$work/ssoemu" ./internal/sso/ssotest/cmd/ssoemu
	MINIO_ROOT_USER=$access_key MINIO_ROOT_PASSWORD=$secret_key \
		"$work/ssoemu" -minio "$endpoint" -accounts "111122223333=dev:ReadOnly,Admin" >"$work/emu.url" 2>"$work/emu.log" &
	pids+=($!)
	for _ in $(seq 100); do
		[[ -s $work/emu.url ]] && break
		sleep 0.1
	done
	emu=$(head -n1 "$work/emu.url")
	[[ -n $emu ]] || { echo "the emulator did not start; its log:" >&2; cat "$work/emu.log" >&2; return 1; }
}

# isolate_home points HOME, the XDG directories and the AWS files into
# $work/home and unsets what would select other profiles, credentials or
# endpoints, so that nothing of the user's own ~/.aws or keyring is used.
isolate_home() {
	export HOME=$work/home
	export XDG_CONFIG_HOME=$HOME/.config XDG_CACHE_HOME=$HOME/.cache XDG_STATE_HOME=$HOME/.local/state
	export AWS_CONFIG_FILE=$HOME/.aws/config AWS_SHARED_CREDENTIALS_FILE=$HOME/.aws/credentials
	export AWS_EC2_METADATA_DISABLED=true S3SSO_KEYRING=off
	unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
		AWS_REGION AWS_DEFAULT_REGION AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN
	local v
	for v in $(compgen -e); do
		case $v in AWS_ENDPOINT_URL* | S3SSO_*) [[ $v == S3SSO_KEYRING ]] || unset "$v" ;; esac
	done
	mkdir -p "$HOME/.aws"
}
