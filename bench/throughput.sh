#!/bin/bash
# bench/throughput.sh: requests per second with C concurrent clients, each
# running /bin/true as nobody, through the default broker (ipcexecd) and
# through ipcserver + ipcexec, against root running `setpriv` in a loop
# with the same concurrency, measured side by side in one run.
#
#   bench/throughput.sh [--quick] [--rounds N] [--runs N] [--clients "2 16"]
#                       [--build DIR] [--no-build] [--keep-user]
#
# Runs as root; creates the bench user and undoes everything at exit. Not
# a test: never run it from the test suite, its figures depend on the
# machine. Prints, for each concurrency, each contender's median requests
# per second over the rounds and its ratio to setpriv.
set -euo pipefail

PROG=throughput
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=5
RUNS=400            # per client, per round
CLIENTS="2 16"
GOAL=0.90           # at least this many times setpriv's rate
GOALS=()

usage() {
  cat >&2 <<EOF
usage: bench/throughput.sh [--quick] [--rounds N] [--runs N] [--clients "C ..."] [--build DIR] [--no-build] [--keep-user]
  --quick        2 rounds of 50 runs per client (a smoke run)
  --rounds N     rounds, contenders interleaved (default $ROUNDS)
  --runs N       runs per client per round (default $RUNS)
  --clients LIST concurrency levels (default "$CLIENTS")
EOF
  exit 100
}

while [ $# -gt 0 ]; do
  case $1 in
    --quick) ROUNDS=2; RUNS=50 ;;
    --rounds) posarg $# "${2-}" || usage; ROUNDS=$2; shift ;;
    --runs) posarg $# "${2-}" || usage; RUNS=$2; shift ;;
    --clients) [ $# -ge 2 ] || usage; CLIENTS=$2; shift ;;
    --build) [ $# -ge 2 ] || usage; BUILD=$(realpath -m -- "$2"); shift ;;
    --no-build) DO_BUILD=0 ;;
    --keep-user) KEEP_USER=1 ;;
    *) usage ;;
  esac
  shift
done
for c in $CLIENTS; do posint "$c" || usage; done

[ "$(id -u)" = 0 ] || die "run me as root: I start root brokers"
lib_traps
lib_tmp
lib_build
lib_driver
lib_user

compile_rules exec "$BENCH_UID,$TARGET_UID./bin/true:allow"
DSOCK=$TMP/ipcexecd.sock SSOCK=$TMP/ipcserver.sock
start_server "$TMP/ipcexecd.log" "$DSOCK" "$BUILD/broker/ipcexecd" -c 40 "$DSOCK" "$TMP/exec.cdb" \
  || die "ipcexecd did not start"
start_server "$TMP/ipcserver.log" "$SSOCK" "$BUILD/broker/ipcserver" -c 40 "$SSOCK" "$BUILD/exec/ipcexec" "$TMP/exec.cdb" \
  || die "ipcserver did not start"

NAMES=("setpriv" "ipcexecd (default)" "ipcserver + ipcexec")
AS=(root user user)
ENVS=("" "IPCEXECPATH=$DSOCK" "IPCEXECPATH=$SSOCK")
CMDS=("$(printf '%q ' "$(command -v setpriv)" --reuid="$TARGET_UID" --regid="$TARGET_UID" --clear-groups /bin/true)"
  "$(printf '%q ' "$BUILD/client/ipcdo" "$TARGET_UID" /bin/true)"
  "$(printf '%q ' "$BUILD/client/ipcdo" "$TARGET_UID" /bin/true)")

# rate I C: C drivers at once, each RUNS runs of contender I; prints
# requests per second over the wall time of the whole batch.
rate() {
  local i=$1 c=$2 k t0 t1 pids=()
  eval "set -- ${CMDS[i]}"
  t0=$(date +%s%N)
  for (( k = 0; k < c; k++ )); do
    run_driver "${AS[i]}" "${ENVS[i]}" "$RUNS" 0 "$@" >/dev/null &
    pids+=($!)
  done
  for k in "${pids[@]}"; do wait "$k" || die "${NAMES[i]} failed with $c clients"; done
  t1=$(date +%s%N)
  awk -v n=$((c * RUNS)) -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f\n", n / (ns / 1e9) }'
}

say "$ROUNDS rounds, $RUNS runs per client, clients: $CLIENTS, load $(cut -d' ' -f1-3 /proc/loadavg)"
OUTF=$TMP/rates.tsv
: >"$OUTF"
for c in $CLIENTS; do
  for (( r = 0; r < ROUNDS; r++ )); do
    for (( k = 0; k < ${#NAMES[@]}; k++ )); do
      i=$(( (k + r) % ${#NAMES[@]} ))
      printf '%s\t%s\t%s\n' "$c" "${NAMES[i]}" "$(rate "$i" "$c")" >>"$OUTF"
    done
  done
done

# Every request allowed and ended with status 0, or no result.
for l in "$TMP/ipcexecd.log" "$TMP/ipcserver.log"; do
  bad=$(grep -vc -e '^ipcexec: ok ' -e '^ipcexec: end .* status=exit:0 ' "$l" || true)
  [ "$bad" = 0 ] || { grep -v -e '^ipcexec: ok ' -e '^ipcexec: end .* status=exit:0 ' "$l" | head -n 3 >&2; die "unexpected lines in $l"; }
done

printf '\n| clients | contender | requests/s (median) | x setpriv |\n|---:|---|---:|---:|\n'
for c in $CLIENTS; do
  base=
  for n in "${NAMES[@]}"; do
    med=$(awk -F'\t' -v c="$c" -v n="$n" '$1 == c && $2 == n { print $3 }' "$OUTF" | sort -n |
      awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    [ -z "$base" ] && base=$med
    printf '| %s | %s | %.0f | %.2f |\n' "$c" "$n" "$med" "$(awk -v a="$med" -v b="$base" 'BEGIN { print a / b }')"
    if [ "$n" = "ipcexecd (default)" ]; then
      ok=$(awk -v a="$med" -v b="$base" -v g="$GOAL" 'BEGIN { print (a / b >= g) ? "met" : "NOT met" }')
      GOALS+=("goal: ipcexecd with $c clients >= $GOAL x setpriv: $ok")
    fi
  done
done
printf '\n'
for g in "${GOALS[@]}"; do say "$g"; done
