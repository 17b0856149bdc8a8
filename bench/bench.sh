#!/bin/bash
# bench/bench.sh: side-by-side latency of "run /bin/true as nobody" through
# our broker, sudo, doas and s6-sudo, against `setpriv` (root becoming
# nobody directly) measured in the same run. See bench/README.md.
#
#   bench/bench.sh [--quick] [--rounds N] [--runs N] [--build DIR]
#                  [--no-build] [--no-install] [--keep-user] [--no-readme]
#
# Runs as root. Installs what is missing with apt-get, creates the bench
# user, configures every contender on temporary sockets and files, and
# undoes all of it at exit, Ctrl-C included. Not a test: never run it from
# the test suite, its figures depend on the machine.
set -euo pipefail

PROG=bench
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=10
RUNS=200
# The targets, as ratios of medians measured in the same run: the
# default deployment (ipcexecd) against setpriv, sudo and doas, and the
# 0.70-compatible ipcserver + ipcexec against setpriv.
GOAL=1.00 STRETCH=0.90 GOAL_SUDO=0.30 GOAL_DOAS=0.40 GOAL_COMPAT=1.40
README_MD=   # set by default for full runs: the table goes into README.md

# Fixed names, so that a run killed with SIGKILL is repaired by the next.
SUDOERS_DROPIN=/etc/sudoers.d/zz-ipcbench
DOAS_CONF=/etc/doas.conf
DOAS_SAVED=/etc/doas.conf.ipcbench-saved
DOAS_MARK="# written by ucspi-ipc bench/bench.sh, restored when it exits"

usage() {
  cat >&2 <<EOF
usage: bench/bench.sh [--quick] [--rounds N] [--runs N] [--build DIR] [--no-build] [--no-install] [--keep-user] [--no-readme]
  --quick       3 rounds of 30 runs (a smoke run; figures are rough)
  --rounds N    rounds, each runs every contender once, order rotated (default $ROUNDS)
  --runs N      runs of each contender per round (default $RUNS)
  --build DIR   meson build directory to use, set up if missing (default build-bench)
  --no-build    use DIR as it is
  --no-install  never call apt-get; contenders that are missing are skipped
  --keep-user   keep the bench user if this run created it
  --no-readme   leave README.md alone (a full run writes its table there;
                --quick never does)
EOF
  exit 100
}

while [ $# -gt 0 ]; do
  case $1 in
    --quick) ROUNDS=3; RUNS=30; README_MD=no ;;
    --rounds) posarg $# "${2-}" || usage; ROUNDS=$2; shift ;;
    --runs) posarg $# "${2-}" || usage; RUNS=$2; shift ;;
    --build) [ $# -ge 2 ] || usage; BUILD=$(realpath -m -- "$2"); shift ;;
    --no-build) DO_BUILD=0 ;;
    --no-install) DO_INSTALL=0 ;;
    --keep-user) KEEP_USER=1 ;;
    --no-readme) README_MD=no ;;
    *) usage ;;
  esac
  shift
done

[ "$(id -u)" = 0 ] || die "run me as root: I configure sudo, doas and root servers"

DOAS_TOUCHED=0
restore_system() {
  rm -f "$SUDOERS_DROPIN"
  if [ "$DOAS_TOUCHED" = 1 ]; then
    if [ -e "$DOAS_SAVED" ]; then mv -f "$DOAS_SAVED" "$DOAS_CONF"; else rm -f "$DOAS_CONF"; fi
  fi
}
CLEANUP_HOOKS+=(restore_system)
lib_traps

# Leftovers of a run that could not clean up (SIGKILL, power cut).
rm -f "$SUDOERS_DROPIN"
if [ -e "$DOAS_SAVED" ]; then
  say "restoring $DOAS_CONF left by an earlier run"
  mv -f "$DOAS_SAVED" "$DOAS_CONF"
elif [ -e "$DOAS_CONF" ] && grep -qxF "$DOAS_MARK" "$DOAS_CONF"; then
  rm -f "$DOAS_CONF"
fi

lib_tmp

# ---------------------------------------------------------------- packages

SKIPPED=()
skip() {   # skip NAME REASON: never silently
  SKIPPED+=("$1: $2")
  say "SKIP $1: $2"
}

HAVE_SUDO=0 HAVE_DOAS=0 HAVE_S6=0
# The competitors, through the project's one install script.
if [ "$DO_INSTALL" = 1 ] && ! sh "$REPO/tools/deps.sh" bench >"$TMP/deps.log" 2>&1; then
  sed 's/^/  deps: /' "$TMP/deps.log" | tail -n 3 >&2
  say "warning: tools/deps.sh bench failed; what is missing is skipped"
fi
[ -x /usr/bin/sudo ] && HAVE_SUDO=1
[ -x /usr/bin/doas ] && HAVE_DOAS=1
command -v s6-ipcserver >/dev/null && command -v s6-sudod >/dev/null && HAVE_S6=1
[ "$HAVE_SUDO" = 1 ] || skip sudo "not installed and not installable"
[ "$HAVE_DOAS" = 1 ] || skip doas "neither opendoas nor doas installed or installable"
[ "$HAVE_S6" = 1 ] || skip s6-sudo "s6 not installed and not installable"
command -v setpriv >/dev/null || apt_install util-linux || die "no setpriv: the baseline is required"

lib_build
lib_driver
lib_user

# ---------------------------------------------------------------- contenders
#
# Each contender: a name, a kind (floor, baseline, ours, competitor), who
# runs it (root or the bench user), extra environment, and the command,
# kept as a quoted string and restored with eval.

C_NAME=() C_KIND=() C_AS=() C_ENV=() C_CMD=()
candidate() {   # candidate NAME KIND AS ENV CMD...: probe once, then keep
  local name=$1 kind=$2 as=$3 envs=$4 err why
  shift 4
  if ! err=$(run_driver "$as" "$envs" 1 0 "$@" 2>&1 >/dev/null); then
    # The driver hides the command's own words; run it once more to show them.
    why=$(diagnose "$as" "$envs" "$@")
    skip "$name" "does not work here: ${err:-failed}${why:+ ($why)}"
    return 1
  fi
  C_NAME+=("$name") C_KIND+=("$kind") C_AS+=("$as") C_ENV+=("$envs")
  C_CMD+=("$(printf '%q ' "$@")")
}

last_mode() { sed -n 's/^ipcexec: ok .* mode=\([^ ]*\) .*/\1/p' "$1" | tail -n 1; }

candidate "true (floor)" floor user "" /bin/true || die "the bench user cannot even run /bin/true"
candidate "setpriv (baseline)" baseline root "" \
  "$(command -v setpriv)" --reuid="$TARGET_UID" --regid="$TARGET_UID" --clear-groups /bin/true \
  || die "the setpriv baseline does not work"

# Our broker, every default defence on: the rule says allow and nothing else.
IPCLOG=$TMP/ipcexec.log
# /usr/bin/true (the same program on a merged /usr) is the recorded rule's.
mkdir -m 700 "$TMP/rec"
compile_rules exec "$BENCH_UID,$TARGET_UID./bin/true:allow" \
  "$BENCH_UID,$TARGET_UID./usr/bin/true:allow,IPCRECORD=\"$TMP/rec\""
# The default deployment (ipcexec-config, the systemd unit): ipcexecd,
# a fresh fork of a preloaded broker per request. The headline.
IPCEXECD=
for p in "$BUILD"/broker/ipcexecd "$BUILD"/exec/ipcexecd; do
  [ -x "$p" ] && IPCEXECD=$p && break
done
if [ -n "$IPCEXECD" ]; then
  DLOG=$TMP/ipcexecd.log
  DSOCK=$TMP/ipcexecd.sock
  if start_server "$DLOG" "$DSOCK" "$IPCEXECD" "$DSOCK" "$TMP/exec.cdb"; then
    candidate "ipcdo $TARGET_UID via ipcexecd (default)" ours user "IPCEXECPATH=$DSOCK" "$BUILD/client/ipcdo" "$TARGET_UID" /bin/true || true
    # What features add (kind "feature": not compared with competitors).
    # A recording (IPCRECORD): pipes through the supervisor, a file
    # created, written and synced per request.
    [ -x /usr/bin/true ] && candidate "ipcdo via ipcexecd, recorded (IPCRECORD)" feature user "IPCEXECPATH=$DSOCK" \
      "$BUILD/client/ipcdo" "$TARGET_UID" /usr/bin/true || true
    # Pty mode needs a terminal: both rows run under script(1), which
    # gives ipcdo one; -T is the same request without the pty.
    if SCRIPT=$(command -v script); then
      candidate "script + ipcdo -T (terminal, no pty)" feature user "IPCEXECPATH=$DSOCK" \
        "$SCRIPT" -qec "$BUILD/client/ipcdo -T $TARGET_UID /bin/true" /dev/null || true
      candidate "script + ipcdo (pty mode)" feature user "IPCEXECPATH=$DSOCK" \
        "$SCRIPT" -qec "$BUILD/client/ipcdo $TARGET_UID /bin/true" /dev/null || true
    fi
  else
    skip "ipcexecd" "did not start as 'ipcexecd SOCKET RULES.cdb': $( ("$IPCEXECD" 2>&1 || true) | head -n 1)"
  fi
  # -R: workers reused from request to request; the difference is what a
  # fresh process per request costs.
  RSOCK=$TMP/ipcexecd-r.sock
  if start_server "$DLOG" "$RSOCK" "$IPCEXECD" -R "$RSOCK" "$TMP/exec.cdb"; then
    candidate "ipcdo $TARGET_UID via ipcexecd -R" ours user "IPCEXECPATH=$RSOCK" "$BUILD/client/ipcdo" "$TARGET_UID" /bin/true || true
  else
    skip "ipcexecd -R" "did not start as 'ipcexecd -R SOCKET RULES.cdb'"
  fi
else
  skip "ipcexecd" "no preforked broker in this build (looked for broker/ipcexecd, exec/ipcexecd)"
fi

# The 0.70-compatible deployment: ipcserver forks and execs ipcexec per
# request.
IPCSOCK=$TMP/ipcexec.sock
if start_server "$IPCLOG" "$IPCSOCK" "$BUILD/broker/ipcserver" "$IPCSOCK" "$BUILD/exec/ipcexec" "$TMP/exec.cdb"; then
  if candidate "ipcdo $TARGET_UID" ours user "IPCEXECPATH=$IPCSOCK" "$BUILD/client/ipcdo" "$TARGET_UID" /bin/true; then
    mode=$(last_mode "$IPCLOG")
    C_NAME[${#C_NAME[@]}-1]="ipcdo $TARGET_UID (${mode:-?})"
    candidate "ipcdo $TARGET_NAME (${mode:-?})" ours user "IPCEXECPATH=$IPCSOCK" "$BUILD/client/ipcdo" "$TARGET_NAME" /bin/true || true
  fi
  # -o asks for the 0.70 byte stream where attached mode is the default.
  if candidate "ipcdo -o $TARGET_UID" ours user "IPCEXECPATH=$IPCSOCK" "$BUILD/client/ipcdo" -o "$TARGET_UID" /bin/true; then
    mode=$(last_mode "$IPCLOG")
    C_NAME[${#C_NAME[@]}-1]="ipcdo -o $TARGET_UID (${mode:-?})"
  fi
else
  skip "ipcdo" "ipcserver did not start: $(tail -n 2 "$IPCLOG" | tr '\n' ' ')"
fi

if [ "$HAVE_SUDO" = 1 ]; then
  printf '%s ALL=(%s) NOPASSWD: /bin/true\n' "$BENCH_USER" "$TARGET_NAME" >"$TMP/sudoers"
  if visudo -cqf "$TMP/sudoers" >/dev/null 2>&1; then
    install -m 0440 -o root -g root "$TMP/sudoers" "$SUDOERS_DROPIN"
    if visudo -cq >/dev/null 2>&1; then
      candidate "sudo -u $TARGET_NAME" competitor user "" /usr/bin/sudo -u "$TARGET_NAME" /bin/true || true
    else
      rm -f "$SUDOERS_DROPIN"
      skip sudo "the system sudoers does not check with the drop-in"
    fi
  else
    skip sudo "visudo rejects the drop-in"
  fi
fi

if [ "$HAVE_DOAS" = 1 ]; then
  [ -e "$DOAS_CONF" ] && cp -p "$DOAS_CONF" "$DOAS_SAVED"
  DOAS_TOUCHED=1
  {
    printf '%s\n' "$DOAS_MARK"
    printf 'permit nopass %s as %s cmd /bin/true\n' "$BENCH_USER" "$TARGET_NAME"
  } >"$TMP/doas.conf"
  install -m 0400 -o root -g root "$TMP/doas.conf" "$DOAS_CONF"
  candidate "doas -u $TARGET_NAME" competitor user "" /usr/bin/doas -u "$TARGET_NAME" /bin/true || true
fi

if [ "$HAVE_S6" = 1 ]; then
  S6LOG=$TMP/s6.log
  S6SOCK=$TMP/s6-sudod.sock
  if start_server "$S6LOG" "$S6SOCK" s6-ipcserver "$S6SOCK" s6-sudod s6-setuidgid "$TARGET_NAME"; then
    candidate "s6-sudo" competitor user "" "$(command -v s6-sudo)" "$S6SOCK" /bin/true || true
  else
    skip s6-sudo "s6-ipcserver did not start"
  fi
  # The same with access control, as a deployment would have it (ours
  # always looks its rules up; without this any user may run as nobody).
  mkdir -p "$TMP/s6-access/uid/$BENCH_UID"
  : >"$TMP/s6-access/uid/$BENCH_UID/allow"
  S6ASOCK=$TMP/s6-sudod-access.sock
  if s6-accessrules-cdb-from-fs "$TMP/s6-access.cdb" "$TMP/s6-access" \
      && start_server "$S6LOG" "$S6ASOCK" s6-ipcserver "$S6ASOCK" \
        s6-ipcserver-access -v0 -x "$TMP/s6-access.cdb" s6-sudod s6-setuidgid "$TARGET_NAME"; then
    candidate "s6-sudo +access" competitor user "" "$(command -v s6-sudo)" "$S6ASOCK" /bin/true || true
  else
    skip "s6-sudo +access" "s6-ipcserver with s6-ipcserver-access did not start"
  fi
fi

# ---------------------------------------------------------------- measure

N=${#C_NAME[@]}
WARM=$(( RUNS / 20 > 2 ? RUNS / 20 : 2 ))
COMMIT=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
say "$N contenders, $ROUNDS rounds x $RUNS runs (+$WARM warm-up), commit $COMMIT, load $LOAD"
case $LOAD in 0.[0-4]*) ;; *) say "warning: load average $LOAD: other work is running, expect noise" ;; esac

ROUNDS_TSV=$TMP/rounds.tsv
run_rounds "$ROUNDS_TSV" "$ROUNDS" "$RUNS" "$WARM"
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# Our brokers' own logs must show every request allowed and ended with
# status 0: a fast broker that refused would be no result.
DEFENCES=
for log in "$IPCLOG" "${DLOG:-}"; do
  [ -n "$log" ] && [ -f "$log" ] || continue
  oks=$(grep -c '^ipcexec: ok ' "$log" || true)
  ends=$(grep -c '^ipcexec: end .* status=exit:0 ' "$log" || true)
  bad=$(grep -vc -e '^ipcexec: ok ' -e '^ipcexec: end .* status=exit:0 ' "$log" || true)
  ptys=$(grep -c '^ipcexec: ok .* pty=yes ' "$log" || true)
  recs=$(grep -c '^ipcexec: end .* record_bytes=' "$log" || true)
  say "${log##*/}: $oks allowed, $ends ended with status 0 ($ptys on a pty, $recs recorded), $bad other lines"
  if [ "$bad" != 0 ]; then
    grep -v -e '^ipcexec: ok ' -e '^ipcexec: end .* status=exit:0 ' "$log" | head -n 5 >&2
    say "warning: unexpected lines in the broker's log"
  fi
  DEFENCES="$DEFENCES$(sed -n 's/^ipcexec: ok .* seccomp=\([^ ]*\) caps=\([^ ]*\).*/seccomp=\1 caps=\2/p' "$log" | sort -u | tr '\n' ' ')"
done
[ -n "$DEFENCES" ] && say "defences as logged: $DEFENCES"

# ---------------------------------------------------------------- report

mkdir -p "$RESULTS"
OUT=$RESULTS/$STAMP.tsv
KINDS=$TMP/kinds.tsv
: >"$KINDS"
for (( i = 0; i < N; i++ )); do printf '%s\t%s\n' "${C_NAME[i]}" "${C_KIND[i]}" >>"$KINDS"; done

{
  printf '# ucspi-ipc bench: run /bin/true as %s (uid %s) from uid %s\n' "$TARGET_NAME" "$TARGET_UID" "$BENCH_UID"
  printf '# date %s  commit %s  build %s (%s)\n' "$STAMP" "$COMMIT" "$BUILD" "${BUILDTYPE:-?}"
  printf '# host %s  kernel %s  cpus %s  cpu %s  load %s -> %s\n' "$(hostname)" "$(uname -r)" "$(nproc)" "$CPU" "$LOAD" "$LOAD_END"
  printf '# rounds %s  runs %s  warmup %s\n' "$ROUNDS" "$RUNS" "$WARM"
  for s in "${SKIPPED[@]}"; do printf '# skipped %s\n' "$s"; done
  awk -F'\t' -v kinds="$KINDS" -f "$BENCHDIR/summary.awk" "$ROUNDS_TSV"
} >"$OUT"
cp "$ROUNDS_TSV" "$RESULTS/$STAMP.rounds.tsv"
cp "$OUT" "$RESULTS/latest.tsv"
cp "$ROUNDS_TSV" "$RESULTS/latest.rounds.tsv"

echo
echo "run /bin/true as $TARGET_NAME, from uid $BENCH_UID; $ROUNDS rounds x $RUNS runs; $(nproc) cpus; load $LOAD -> $LOAD_END; commit $COMMIT"
echo "median = median over rounds of the round's mean; min = fastest round mean; best = fastest single run"
echo
awk -F'\t' -v goal="$GOAL" -v stretch="$STRETCH" -v goal_sudo="$GOAL_SUDO" -v goal_doas="$GOAL_DOAS" \
  -v goal_compat="$GOAL_COMPAT" -f "$BENCHDIR/table.awk" "$OUT"
# What pty mode and a recording add, from the feature rows.
awk -F'\t' '
  /^#/ || $1 == "contender" { next }
  { med[$1] = $4 }
  END {
    d = ""; for (c in med) if (c ~ /\(default\)$/) d = c
    r = "ipcdo via ipcexecd, recorded (IPCRECORD)"
    t = "script + ipcdo -T (terminal, no pty)"; p = "script + ipcdo (pty mode)"
    if (d != "" && (r in med)) printf "recording adds %+.3f ms per request (%.2f x the default)\n", med[r] - med[d], med[r] / med[d]
    if ((t in med) && (p in med)) printf "pty mode adds %+.3f ms per request (%.2f x the same request from a terminal without a pty)\n", med[p] - med[t], med[p] / med[t]
  }' "$OUT"
if [ "${#SKIPPED[@]}" -gt 0 ]; then
  echo
  for s in "${SKIPPED[@]}"; do echo "skipped: $s"; done
fi

# The README's table, from this run: replaced between its markers through
# a temporary file, so an interrupted run leaves the old one whole.
if [ "$README_MD" != no ]; then
  MD=$REPO/README.md
  BEGIN_MARK='<!-- bench.sh results: begin -->'
  END_MARK='<!-- bench.sh results: end -->'
  if grep -qxF "$BEGIN_MARK" "$MD" && grep -qxF "$END_MARK" "$MD"; then
    head_line="Measured by \`bench/bench.sh\` on $(date -u -d "${STAMP:0:8} ${STAMP:9:2}:${STAMP:11:2}" +%Y-%m-%d 2>/dev/null || echo "$STAMP"): $(nproc) cpus ($CPU), kernel $(uname -r), $ROUNDS rounds x $RUNS runs, load $LOAD -> $LOAD_END, commit $COMMIT."
    awk -F'\t' -v head="$head_line" -f "$BENCHDIR/readme.awk" "$OUT" >"$TMP/table.md"
    awk -v b="$BEGIN_MARK" -v e="$END_MARK" -v t="$TMP/table.md" '
      $0 == b { print; while ((getline l < t) > 0) print l; skip = 1; next }
      $0 == e { skip = 0 }
      !skip { print }' "$MD" >"$TMP/README.md"
    cat "$TMP/README.md" >"$MD.bench-tmp" && mv -f "$MD.bench-tmp" "$MD"
    echo
    echo "README.md: the table under Cost now shows this run"
  else
    say "warning: README.md has no bench.sh markers; its table is left as it is"
  fi
fi
echo
echo "results: $OUT (also latest.tsv; per round: $STAMP.rounds.tsv)"
