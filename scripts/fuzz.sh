#!/usr/bin/env bash
# Runs every Go fuzz target of the module, one after the other:
#
#   go test -run='^$' -fuzz='^NAME$' -fuzztime=$FUZZTIME ./PKG
#
# Targets are found, not listed: every `func FuzzXxx(f *testing.F)` in a
# _test.go file of the tree (outside testdata/) is run, so a target added in
# any package is picked up without editing this script.
#
# Environment:
#   FUZZTIME          time (or Nx iterations) per target; default 2m
#   FUZZ_PARALLEL     fuzzing workers per target; default: go test's (GOMAXPROCS)
#   FUZZMINIMIZETIME  time to minimise a new or failing input; default 5s (go's
#                     60s default stalls short runs on a busy machine)
#   FUZZ_JSON=1       pass -json to go test and write its events to stdout (make
#                     test feeds them to bin/testsummary); the report goes to
#                     stderr either way
#   FUZZ_MATCH        only run targets whose name matches this grep -E pattern
#
# A failing input is written by go test to PKG/testdata/fuzz/NAME/; keep it
# there as a seed once the bug is fixed. Exits 1 if any target failed.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-2m}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-5s}
GO=${GO:-go}

# go test's -timeout counts the whole run; give fuzzing its time plus 10 minutes.
timeout=0
if [[ $FUZZTIME =~ ^([0-9]+)(s|m|h)$ ]]; then
	n=${BASH_REMATCH[1]}
	case ${BASH_REMATCH[2]} in
	s) secs=$n ;;
	m) secs=$((n * 60)) ;;
	h) secs=$((n * 3600)) ;;
	esac
	timeout=$((secs + 600))s
fi

# PKGDIR NAME lines, sorted.
mapfile -t targets < <(
	grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\([A-Za-z_][A-Za-z0-9_]* \*testing\.F\)' . |
		grep -v '/testdata/' |
		sed -E 's|^\./(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*$|\1 \2|; s|^\./[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*$|. \1|' |
		sort -u
)
if [[ -n ${FUZZ_MATCH:-} ]]; then
	mapfile -t targets < <(printf '%s\n' "${targets[@]}" | grep -E " (${FUZZ_MATCH})\$" || true)
fi
if ((${#targets[@]} == 0)); then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

args=(-run='^$' -fuzztime="$FUZZTIME" -fuzzminimizetime="$FUZZMINIMIZETIME" -timeout="$timeout")
if [[ -n ${FUZZ_PARALLEL:-} ]]; then
	args+=(-parallel="$FUZZ_PARALLEL")
fi
if [[ ${FUZZ_JSON:-} == 1 ]]; then
	args+=(-json)
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "fuzz: ${#targets[@]} targets, $FUZZTIME each" >&2
report=()
failed=0
start=$SECONDS
for t in "${targets[@]}"; do
	dir=${t% *} name=${t#* }
	echo "fuzz: $name (./$dir)" >&2
	t0=$SECONDS
	for attempt in 1 2; do
		status=ok
		if [[ ${FUZZ_JSON:-} == 1 ]]; then
			# Without the package's "ok" line: the tests printed it already.
			"$GO" test "${args[@]}" -fuzz="^${name}\$" "./$dir" </dev/null |
				sed '/"Output":"ok  \\t/d' >"$log" || status=FAIL
		else
			"$GO" test "${args[@]}" -fuzz="^${name}\$" "./$dir" </dev/null >"$log" 2>&1 || status=FAIL
		fi
		# On a loaded machine the fuzzing engine itself can time out talking
		# to its workers ("context deadline exceeded") without any input
		# failing: that is run once more; a failing input never is.
		if [[ $status == ok ]] || grep -Eq "testdata/fuzz/${name}/|--- FAIL: ${name}/" "$log" ||
			! grep -q 'context deadline exceeded' "$log"; then
			break
		fi
		echo "fuzz: $name: the fuzzing engine timed out without a failing input; once more" >&2
	done
	# Only the last attempt's output: its events are what the summary counts.
	if [[ ${FUZZ_JSON:-} == 1 ]]; then
		cat "$log"
	else
		cat "$log" >&2
	fi
	execs=$(grep -Eo 'execs: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2 || true)
	if [[ $status == FAIL ]]; then
		failed=$((failed + 1))
		if crasher=$(grep -Eo "testdata/fuzz/${name}/[0-9a-f]+" "$log" | head -n 1); then
			status="FAIL (new input: $dir/$crasher)"
		elif seed=$(grep -Eo -- "--- FAIL: ${name}/[^ ]+" "$log" | head -n 1); then
			status="FAIL (seed ${seed#--- FAIL: })"
		fi
	fi
	report+=("$(printf '%-28s %-26s %12s %5ss  %s' "$name" "./$dir" "${execs:-?}" $((SECONDS - t0)) "$status")")
done

{
	echo
	echo "fuzz summary ($FUZZTIME per target, $((SECONDS - start))s in all):"
	printf '%-28s %-26s %12s %6s  %s\n' target package execs time result
	printf '%s\n' "${report[@]}"
	echo "fuzz: $((${#targets[@]} - failed)) passed, $failed failed"
} >&2
((failed == 0))
