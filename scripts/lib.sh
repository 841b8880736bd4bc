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
