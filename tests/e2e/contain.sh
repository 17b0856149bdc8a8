#!/usr/bin/env bash
# Containment and supervision under faults, for both brokers (ipcserver +
# ipcexec, and ipcexecd): what a command leaves behind in other sessions
# ends with the request; the command's stderr cannot forge log lines;
# every allowed request ends with exactly one end or fail line and a
# status to the client, whatever is killed or starved on the way; a
# refusal reaches the client even with its request unread.
. "$E2E/lib.sh"
. "$E2E/exec-lib.sh"
need_root
setup_users
DO=$(prog ipcdo)
CLIENT=$(prog ipcclient)
SERVER=$(prog ipcserver)
EXECD=$(prog ipcexecd)

# A marker no other test uses, in the argv of everything the commands here
# start, so that "nothing of it runs" can be checked by name.
M=contain$$
# chain.sh N DIR SLEEPER: N nested sessions, each waiting on the next; the
# deepest one says so in DIR and becomes SLEEPER.
cat >"$T_TMP/chain.sh" <<'EOF'
n=$1
if [ "$n" -gt 0 ]; then
  setsid /bin/sh "$0" $((n - 1)) "$2" "$3" &
  wait
else
  : >"$2/deep"
  exec "$3" 300
fi
EOF
cat >"$T_TMP/nocg.sh" <<'EOF'
# Each cgroup2 mount made private first, so that unmounting it here cannot
# propagate to the mount namespace we came from.
for m in $(awk '/ - cgroup2 /{print $5}' /proc/self/mountinfo); do
  mount --make-private "$m" && umount -l "$m" || exit 111
done
exec "$@"
EOF
cp /bin/sleep "$T_TMP/sleep-$M"
chmod 755 "$T_TMP/chain.sh" "$T_TMP/sleep-$M"
mkdir -m 1777 "$T_TMP/flags"

rules '4242,65534.chain:allow="/bin/sh"
4242,65534.tchain:allow="/bin/sh",IPCTIMEOUT="2"
4242,65534.noerr:allow="/bin/sh",IPCERROUT="0"
4242,65534.sh:allow="/bin/sh"
4242,65534.cat:allow="/bin/cat"
4242,65534.catnone:allow="/bin/cat",IPCSECCOMP="none"
4242,65534.catstrict:allow="/bin/cat",IPCSECCOMP="strict"
4242,0.sh:deny
4242,0.rootsh:allow="/bin/sh"
4242,65534.capsh:allow="/bin/sh",IPCCAPS="cap_kill"'

# Can a cgroup be created where the brokers started here will be? If not,
# containment is the walk, and a dead worker's command cannot be found.
CG=no
cgmnt=$(awk '/ - cgroup2 /{print $5; exit}' /proc/self/mountinfo)
cgown=$(sed -n 's/^0:://p' /proc/self/cgroup)
if [ -n "$cgmnt" ] && mkdir "$cgmnt${cgown%/}/e2e-probe.$$" 2>/dev/null; then
  rmdir "$cgmnt${cgown%/}/e2e-probe.$$"
  CG=yes
fi
echo "# cgroup2 writable here: $CG"
# The brokers here run in a cgroup of this test's own, so that what is
# checked at the end is what they left, not what other tests (or earlier
# runs) left beside them. Moved back out and removed at exit.
if [ $CG = yes ]; then
  CGT=$cgmnt${cgown%/}/e2e-contain.$$
  mkdir "$CGT" && echo $$ >"$CGT/cgroup.procs" || { echo "cannot enter $CGT"; exit 1; }
  leave_cgroup() {
    local d
    echo $$ >"$cgmnt${cgown%/}/cgroup.procs"
    for d in "$CGT"/*/; do
      [ -d "$d" ] || continue
      echo 1 >"$d/cgroup.kill"
      rmdir "$d" || sleep 0.5; rmdir "$d"
    done
    rmdir "$CGT"
  }
  trap 'leave_cgroup 2>/dev/null; t_cleanup' EXIT
fi

running() { pgrep -u 65534 -f -- "$M" | wc -l; }
wait_gone() {
  local i=0
  while [ "$(running)" -gt 0 ] && [ $i -lt $(($1 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
  [ "$(running)" -eq 0 ]
}
wait_running() {
  local i=0
  while [ "$(running)" -lt "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  [ "$(running)" -ge "$1" ]
}
# ended REQ: the number of end and fail lines for request REQ.
ended() { grep -a -c -E "^ipcexec: (end|fail) .* req=$1( |$)" "$T_LOG"; }
# reqs_of CMD: the request ids of the ok lines for command CMD.
reqs_of() { grep -a -E "^ipcexec: ok 4242\.4343,65534\.$1 " "$T_LOG" | sed 's/.* req=\([0-9.]*\) .*/\1/'; }
# accounted NAME CMD: every allowed CMD request has exactly one end or fail.
accounted() {
  local r bad="" n=0 i
  for r in $(reqs_of "$2"); do
    n=$((n + 1))
    # The client has its status before the supervisor writes the end
    # line: give the line a moment (a second or two on a loaded machine).
    i=0
    while [ "$(ended "$r")" -eq 0 ] && [ $i -lt 200 ]; do sleep 0.01; i=$((i + 1)); done
    [ "$(ended "$r")" -eq 1 ] || bad="$bad $r:$(ended "$r")"
  done
  [ $n -gt 0 ] && [ -z "$bad" ] && pass "$1: $n allowed, each with one end or fail line" \
    || fail "$1: $n allowed, unaccounted:$bad"
}
chain_cmd() {
  local f=$T_TMP/flags/$1
  printf '/bin/sh %s 150 %s %s & i=0; while [ ! -e %s/deep ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done; %s' \
    "$T_TMP/chain.sh" "$f" "$T_TMP/sleep-$M" "$f" "$2"
}

# start_broker NAME [FDLIMIT [nocgroup]]: nocgroup runs it in a mount
# namespace without any cgroup2 mount, where containment falls back to
# the walk. (Not --propagation private, which remounts /: in a chroot /
# is no mount point.)
start_broker() {
  local pre=
  T_LOG=$T_TMP/log.$1.${3:-cg}
  S=$T_TMP/s.$1
  [ "${3:-}" = nocgroup ] && pre="unshare -m --propagation unchanged sh $T_TMP/nocg.sh"
  case $1 in
    ipcserver) ( ulimit -n "${2:-1024}"; exec $pre "$SERVER" "$S" "${PROG:-$IPCEXEC}" "$T_TMP/exec.cdb" ) 2>"$T_LOG" & ;;
    ipcexecd) ( ulimit -n "${2:-1024}"; exec $pre "$EXECD" -c 4 "$S" "$T_TMP/exec.cdb" ) 2>"$T_LOG" & ;;
  esac
  BPID=$!
  T_PIDS="$T_PIDS $BPID"
  wait_for_socket "$S" || fail "$1 did not start"
}
stop_broker() {
  kill -TERM "$BPID" 2>/dev/null
  wait "$BPID" 2>/dev/null
  rm -f "$S"
}
do_as() { as 4242 4343 env IPCEXECPATH="$S" "$DO" "$@"; }
bg_do() { setpriv --reuid=4242 --regid=4343 --clear-groups -- env IPCEXECPATH="$S" "$DO" "$@" </dev/null; }
# supervised WHAT: nobody's command sleeping 30 s through the broker, in
# the background: its client's pid in cl, the command's in cmdpid, its
# supervisor's in sup.
supervised() {
  bg_do nobody sh -c "exec $T_TMP/sleep-$M 30" >/dev/null 2>&1 &
  cl=$!
  wait_running 1 || fail "$1: the command started"
  cmdpid=$(pgrep -u 65534 -f -- "sleep-$M" | head -1)
  sup=$(ps -o ppid= -p "$cmdpid" | tr -d " ")
}

for B in ipcserver ipcexecd; do
  start_broker "$B"

  # --- 2: leftovers in 150 nested sessions, after the command exited
  mkdir -m 1777 "$T_TMP/flags/$B.1"
  run do_as nobody chain -c "$(chain_cmd "$B.1" 'exit 0')" </dev/null
  check "$B: the command's status comes back" 0 "$RC"
  [ -e "$T_TMP/flags/$B.1/deep" ] && pass "$B: the chain was 150 deep" || fail "$B: the chain never got deep"
  check "$B: nothing of the chain runs once ipcdo returns" 0 "$(running)"
  wait_gone 5 || pkill -KILL -u 65534 -f -- "$M"
  line=$(grep -a -E '^ipcexec: end 4242\.4343,65534\.chain ' "$T_LOG" | tail -1)
  n=$(printf '%s' "$line" | sed -n 's/.* leftovers=\([0-9]*\).*/\1/p')
  [ -n "$n" ] && [ "$n" -gt 0 ] && pass "$B: end line counts the leftovers ($n)" || fail "$B: end line: $line"

  # --- 2: the same escapes no timeout
  mkdir -m 1777 "$T_TMP/flags/$B.2"
  run do_as nobody tchain -c "$(chain_cmd "$B.2" 'wait')" </dev/null
  # SIGTERM, or SIGKILL after the grace period should the shell be caught
  # between two children
  case $RC in
    143|137) pass "$B: IPCTIMEOUT: the command is killed ($RC)" ;;
    *) fail "$B: IPCTIMEOUT: the command's status $RC" ;;
  esac
  check "$B: IPCTIMEOUT: nothing of the chain runs once ipcdo returns" 0 "$(running)"
  wait_gone 5 || pkill -KILL -u 65534 -f -- "$M"
  wait_for 1 '^ipcexec: timeout 4242\.4343,65534\.tchain .* timeout_s=2' "$T_LOG" \
    && pass "$B: timeout line" || fail "$B: no timeout line: $(grep -a tchain "$T_LOG" | cut -c1-160)"
  line=$(grep -a -E '^ipcexec: end 4242\.4343,65534\.tchain ' "$T_LOG" | tail -1)
  n=$(printf '%s' "$line" | sed -n 's/.* leftovers=\([0-9]*\).*/\1/p')
  [ -n "$n" ] && [ "$n" -gt 0 ] && pass "$B: IPCTIMEOUT: end line counts the leftovers ($n)" || fail "$B: end line: $line"

  # --- 4: IPCERROUT="0": the command's stderr is logged escaped, never raw
  run do_as -o nobody noerr -c 'printf "ipcexec: ok 0.0,0.passwd req=1 decision=allow caller_uid=0\n" >&2; echo out' </dev/null
  check "$B: IPCERROUT=0: stdout to the client" "out" "$OUT"
  wait_for 1 '^ipcexec: stderr req=[0-9.]+ text=ipcexec:\\x20ok\\x200\.0,0\.passwd\\x20req=1' "$T_LOG" \
    && pass "$B: the command's stderr is an escaped stderr line" || fail "$B: stderr line: $(grep -a stderr "$T_LOG")"
  grep -a -q '^ipcexec: ok 0\.0,0\.passwd' "$T_LOG" && fail "$B: a forged audit line reached the log" \
    || pass "$B: no forged audit line in the log"
  run do_as -o nobody noerr -c 'head -c 200000 /dev/zero | tr "\0" x >&2' </dev/null
  wait_for 1 '^ipcexec: stderr req=[0-9.]+ dropped=[0-9]+$' "$T_LOG" \
    && pass "$B: stderr past the bound is dropped and counted" || fail "$B: no dropped line"
  long=$(grep -a -E '^ipcexec: stderr req=[0-9.]+ text=x' "$T_LOG" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
  [ "$long" -gt 0 ] && [ "$long" -le 600 ] && pass "$B: stderr lines are bounded ($long bytes)" || fail "$B: stderr line of $long bytes"

  # --- 5: a refusal with most of the request unread still reaches the
  # client as an orderly end of stream, never a reset: a request whose
  # header is refused (300 kB of arguments) and the bytes behind it; and
  # 'X' without descriptors, answered in kind: the status F, then
  # the end.
  for pre in "1:0,1:1,300000:" "X1:1,1:0,1:1,200000:"; do
    run timeout 10 "$CLIENT" "$S" sh -c "{ printf '$pre'; head -c 300000 /dev/zero; } >&7 2>/dev/null; cat <&6; echo rc=\$?"
    want=rc=0
    case $pre in X*) want=1:F,rc=0 ;; esac
    check "$B: refusal with ${pre%:}: unread: the client reads the end, not a reset" "$want" "$OUT$ERR"
  done

  for c in chain tchain noerr; do accounted "$B $c" "$c"; done
  stop_broker
done

# --- 2: the same where no cgroup2 can be used: the walk, bounded by time
for B in ipcserver ipcexecd; do
  start_broker "$B" 1024 nocgroup
  mkdir -m 1777 "$T_TMP/flags/$B.3"
  run do_as nobody chain -c "$(chain_cmd "$B.3" 'exit 0')" </dev/null
  check "$B without cgroup2: the command's status comes back" 0 "$RC"
  [ -e "$T_TMP/flags/$B.3/deep" ] && pass "$B without cgroup2: the chain was 150 deep" || fail "$B without cgroup2: the chain never got deep"
  check "$B without cgroup2: nothing of the chain runs once ipcdo returns" 0 "$(running)"
  wait_gone 5 || pkill -KILL -u 65534 -f -- "$M"
  line=$(grep -a -E '^ipcexec: end 4242\.4343,65534\.chain ' "$T_LOG" | tail -1)
  n=$(printf '%s' "$line" | sed -n 's/.* leftovers=\([0-9]*\).*/\1/p')
  [ -n "$n" ] && [ "$n" -gt 0 ] && pass "$B without cgroup2: end line counts the leftovers ($n)" || fail "$B without cgroup2: end line: $line"
  stop_broker
done

# --- 2: what the command orphans is reaped as it dies, not at the end:
# 300 short-lived orphans must not stay as zombies of the supervisor
for B in ipcserver ipcexecd; do
  start_broker "$B"
  bg_do nobody sh -c "i=0; while [ \$i -lt 300 ]; do ( /bin/true & ); i=\$((i + 1)); done; exec $T_TMP/sleep-$M 20" \
    >/dev/null 2>&1 &
  cl=$!
  wait_running 1 || fail "$B: the orphaning command started"
  sleep 0.5
  cmdpid=$(pgrep -u 65534 -f -- "sleep-$M" | head -1)
  sup=$(ps -o ppid= -p "$cmdpid" | tr -d " ")
  z=$(ps -eo stat=,ppid= | awk -v p="$sup" '$1 ~ /^Z/ && $2 == p' | wc -l)
  check "$B: no zombie piles up under the supervisor" 0 "$z"
  pkill -KILL -u 65534 -f -- "$M"
  wait "$cl"
  stop_broker
done

# --- 5: SIGKILL of the worker supervising a command
start_broker ipcexecd
supervised "worker killed"
if [ $CG = yes ]; then
  # the pool's, which its worker entered before the request came
  cg=$(grep '^0::' "/proc/$sup/cgroup")
  case $cg in */ipcexec.$BPID.[1-9]*) ;; *) cg="not a cgroup of the pool: $cg" ;; esac
  check "the command runs in the cgroup of its request" "$cg" "$(grep '^0::' "/proc/$cmdpid/cgroup")"
fi
kill -KILL "$sup"
wait "$cl"
check "worker killed: the client learns the broker failed" 111 "$?"
if [ $CG = yes ]; then
  wait_gone 5 && pass "worker killed: the command is killed with it" || fail "worker killed: the command runs on"
  left=1
else
  left=unknown
fi
pkill -KILL -u 65534 -f -- "$M"
wait_for 1 "^ipcexec: end 4242\.4343,65534\.sh req=$sup\.[0-9]+ pid=[0-9]+ status=lost duration_ms=[0-9.]+ leftovers=$left\$" "$T_LOG" \
  && pass "worker killed: the master writes the end line" || fail "worker killed: end line: $(grep -a end "$T_LOG")"
accounted "worker killed" "sh"

# --- 5: SIGTERM with three requests in flight
for i in 1 2 3; do
  bg_do nobody sh -c "exec $T_TMP/sleep-$M 30$i" >"$T_TMP/term.$i" 2>&1 &
  eval "cl$i=\$!"
done
wait_running 3 || fail "three commands started"
kill -TERM "$BPID"
wait "$BPID"
check "SIGTERM: ipcexecd exits 0" 0 "$?"
check "SIGTERM: no command runs on" 0 "$(running)"
for i in 1 2 3; do
  eval "wait \$cl$i"
  check "SIGTERM: client $i gets the command's status (SIGTERM)" 143 "$?"
done
check "SIGTERM: three end lines" 3 "$(grep -a -c -E '^ipcexec: end 4242\.4343,65534\.sh .* status=signal:15 ' "$T_LOG")"
accounted "SIGTERM" "sh"
pkill -KILL -u 65534 -f -- "$M"

# --- 5: SIGTERM to ipcexec, the supervisor under ipcserver
start_broker ipcserver
bg_do nobody sh -c "exec $T_TMP/sleep-$M 40" >/dev/null 2>&1 &
cl=$!
wait_running 1 || fail "the command started"
sup=$(ps -o ppid= -p "$(pgrep -u 65534 -f -- "sleep-$M" | head -1)" | tr -d " ")
kill -TERM "$sup"
wait "$cl"
check "SIGTERM to ipcexec: the client gets the command's status" 143 "$?"
check "SIGTERM to ipcexec: no command runs on" 0 "$(running)"
check "SIGTERM to ipcexec: the end line" 1 "$(grep -a -c -E '^ipcexec: end 4242\.4343,65534\.sh .* status=signal:15 ' "$T_LOG")"
accounted "SIGTERM to ipcexec" "sh"
pkill -KILL -u 65534 -f -- "$M"
stop_broker

# --- 5: SIGKILL of ipcexec, the supervisor under ipcserver: ipcserver
# kills what it left in its cgroup
if [ $CG = yes ]; then
  start_broker ipcserver
  bg_do nobody sh -c "exec $T_TMP/sleep-$M 50" >/dev/null 2>&1 &
  cl=$!
  wait_running 1 || fail "the command started"
  sup=$(ps -o ppid= -p "$(pgrep -u 65534 -f -- "sleep-$M" | head -1)" | tr -d " ")
  kill -KILL "$sup"
  wait "$cl"
  check "ipcexec killed: the client learns the broker failed" 111 "$?"
  wait_gone 5 && pass "ipcexec killed: ipcserver kills its command" || fail "ipcexec killed: the command runs on"
  wait_for 1 "^ipcserver: warning: lost $sup: killed by signal 9, 1 left in its cgroup killed\$" "$T_LOG" \
    && pass "ipcexec killed: ipcserver says so" || fail "ipcexec killed: log: $(cat "$T_LOG")"
  pkill -KILL -u 65534 -f -- "$M"
  stop_broker
fi

# --- 5: out of descriptors after the decision, under both brokers
for B in ipcserver:8 ipcexecd:10; do
  start_broker "${B%:*}" "${B#*:}"
  for mode in attached 0.70; do
    opt=
    [ $mode = 0.70 ] && opt=-o
    run do_as $opt nobody sh -c 'echo ran' </dev/null
    case $ERR in
      *"without a status"*) fail "${B%:*} ulimit -n ${B#*:}, $mode: no status: $ERR" ;;
      *) pass "${B%:*} ulimit -n ${B#*:}, $mode: the client is answered (rc $RC)" ;;
    esac
  done
  accounted "${B%:*} ulimit -n ${B#*:}" "sh"
  grep -a -q 'worker .* ended' "$T_LOG" && fail "${B%:*}: a worker died: $(grep -a worker "$T_LOG")" \
    || pass "${B%:*} ulimit -n ${B#*:}: no worker died"
  stop_broker
done

# --- 5: a passwd lookup that fails is not "unknown uid". Where the
# descriptors run out first depends on what the broker holds: starve it
# to each of a few limits; at one of them the lookup is what fails, and
# at none may nobody be called unknown. Under ipcserver with a copy of
# ipcexec, which it execs, so that each ipcexec loads its NSS modules
# (with our own ipcexec it runs the code in its child, and like ipcexecd's
# master loads them once, which leaves too narrow a window).
cp "$IPCEXEC" "$T_TMP/bin/ipcexec-copy"
nss_failed=no
for lim in 6 7 8 9 10 11; do
  PROG=$T_TMP/bin/ipcexec-copy start_broker ipcserver "$lim"
  run do_as nobody sh -c 'echo ran' </dev/null
  if grep -a -q -E '^ipcexec: deny 4242\.4343,65534\.sh .* reason=user\\x20lookup\\x20failed' "$T_LOG"; then
    nss_failed=yes
    check "NSS failure (ulimit -n $lim): the request fails" 111 "$RC"
  fi
  grep -a -q 'reason=unknown\\x20uid' "$T_LOG" && fail "ulimit -n $lim: nobody called an unknown uid: $(grep -a deny "$T_LOG")"
  stop_broker
done
check "NSS failure: reason=user lookup failed at some limit" yes "$nss_failed"
start_broker ipcexecd
run do_as 3999999 sh -c 'echo ran' </dev/null
grep -a -q -E '^ipcexec: deny 4242\.4343,3999999\.sh .* reason=unknown\\x20uid' "$T_LOG" \
  && pass "no such user: reason=unknown uid" || fail "unknown uid: $(grep -a deny "$T_LOG")"
stop_broker

# --- 6: a broker killed outright (SIGKILL, which it cannot handle):
# its idle workers end with it, and so does what they would have served;
# the next broker removes the cgroups they waited in, and kills a command
# whose supervisor went too.
if [ $CG = yes ]; then
  start_broker ipcexecd
  i=0
  while [ "$(find "$CGT" -mindepth 1 -maxdepth 1 -name 'ipcexec.*' | wc -l)" -lt 4 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  supervised "killed outright"
  idle=$(pgrep -P "$BPID" | grep -v -x "$sup" | tr '\n' ' ')
  # The master held still, so that it cannot reap the supervisor and
  # clean up after it: both are gone before anyone could.
  kill -STOP "$BPID"
  kill -KILL "$sup"
  kill -KILL "$BPID"
  wait "$BPID" 2>/dev/null
  rm -f "$S"   # else a client may find the dead master's socket file first
  dead=$BPID
  wait "$cl"
  alive() { local p; for p in $1; do kill -0 "$p" 2>/dev/null && echo "$p"; done; }
  i=0
  while [ -n "$(alive "$idle")" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  [ -n "$idle" ] && check "killed outright: its idle workers ($idle) end with it" "" "$(alive "$idle")" \
    || fail "killed outright: no idle worker seen"
  check "killed outright: the command, without a supervisor, runs on until a broker starts" 1 "$(running)"
  # A starting broker leaves alone what is younger than CONTAIN_SWEEP_AGE_S.
  sleep 2.5
  start_broker ipcexecd
  wait_for 1 "^ipcexecd: warning: removed [0-9]+ cgroups left by supervisors that died\$" "$T_LOG" \
    && pass "the next broker says it removed the cgroups left" || fail "no sweep: $(cat "$T_LOG")"
  check "the next broker removed the dead workers' cgroups" "" \
    "$(find "$CGT" -mindepth 1 -maxdepth 1 -name "ipcexec.$dead.*" -printf '%f ')"
  wait_for 1 "^ipcexecd: warning: 1 processes left in ipcexec\.$dead\.[0-9]+, whose supervisor is gone, killed\$" "$T_LOG" \
    && pass "the next broker kills the unsupervised command, and says so" || fail "unsupervised command: $(cat "$T_LOG")"
  wait_gone 5 && pass "the unsupervised command is gone" || fail "the unsupervised command runs on"
  run do_as nobody sh -c 'echo ran' </dev/null
  check "the next broker serves" "0 ran" "$RC $OUT"
  stop_broker
  pkill -KILL -u 65534 -f -- "$M"
fi

# --- 6: the same, but the worker supervising a command outlives its
# master: it ends its request on the SIGTERM its master's death sends it.
# Held stopped meanwhile, it is still there when the next broker sweeps,
# whichever broker that is: the sweep leaves its cgroup to it, and the
# worker, once it runs again, ends the request as on any SIGTERM and
# removes its cgroup itself.
if [ $CG = yes ]; then
  for next in ipcexecd ipcserver; do
    start_broker ipcexecd
    supervised "orphaned worker, then $next"
    supcg=$(sed -n 's|^0::.*/||p' "/proc/$sup/cgroup")
    # the worker writes on to the file it has open, under another name
    oldlog=$T_LOG.orphan
    mv "$T_LOG" "$oldlog"
    kill -STOP "$sup"
    kill -KILL "$BPID"
    wait "$BPID" 2>/dev/null
    # The dead master's socket file, whose listening socket the stopped
    # worker still holds: a client that connected there before the next
    # broker binds anew would wait on a queue nobody accepts from.
    rm -f "$S"
    case $supcg in ipcexec.$BPID.[1-9]*) ;; *) fail "orphaned worker: not in a cgroup of the pool: $supcg" ;; esac
    sleep 2.5
    start_broker "$next"
    # served: the sweep, done before or beside the first request, is over
    run do_as nobody sh -c 'echo ran' </dev/null
    check "orphaned worker, then $next: the next broker serves" "0 ran" "$RC $OUT"
    [ "$(awk '{print $3}' "/proc/$sup/stat" 2>/dev/null)" = T ] \
      && pass "orphaned worker, then $next: the sweep leaves the worker alone" \
      || fail "orphaned worker, then $next: the sweep killed the worker"
    check "orphaned worker, then $next: and its command" 1 "$(running)"
    [ -d "$CGT/$supcg" ] && pass "orphaned worker, then $next: and its cgroup" \
      || fail "orphaned worker, then $next: its cgroup $supcg went"
    kill -CONT "$sup"
    wait "$cl"
    check "orphaned worker, then $next: the client gets the command's status (SIGTERM)" 143 "$?"
    wait_gone 5 && pass "orphaned worker, then $next: the command ends with the request" \
      || fail "orphaned worker, then $next: the command runs on"
    wait_for 1 "^ipcexec: end 4242\.4343,65534\.sh .* status=signal:15 " "$oldlog" \
      && pass "orphaned worker, then $next: its end line" || fail "orphaned worker, then $next: end line: $(cat "$oldlog")"
    i=0
    while [ -d "$CGT/$supcg" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    [ -d "$CGT/$supcg" ] && fail "orphaned worker, then $next: its cgroup $supcg is left" \
      || pass "orphaned worker, then $next: the worker removed its cgroup"
    stop_broker
    pkill -KILL -u 65534 -f -- "$M"
  done
fi

# --- 7: ipcserver runs its own ipcexec's code in the connection's child,
# without an exec; a copy of ipcexec elsewhere, or ipcexec changed since
# the server started, is exec'd. The supervisor (the command's parent)
# says which by its executable.
# A wrapper put where ipcexec was (a diversion, a newer or older ipcexec
# than the server) is not the server's own code: it is run, not bypassed.
mkdir -p "$T_TMP/wrap/broker" "$T_TMP/wrap/exec"
cp -p "$SERVER" "$T_TMP/wrap/broker/ipcserver"
printf '#!/bin/sh\nexec %s "$@"\n' "$IPCEXEC" >"$T_TMP/wrap/exec/ipcexec"
chmod 755 "$T_TMP/wrap/exec/ipcexec"
for how in builtin copy changed wrapper; do
  case $how in
    wrapper) SERVER=$T_TMP/wrap/broker/ipcserver PROG=$T_TMP/wrap/exec/ipcexec start_broker ipcserver
      want=$(readlink -f "$IPCEXEC") ;;
    copy) PROG=$T_TMP/bin/ipcexec-copy start_broker ipcserver; want=$T_TMP/bin/ipcexec-copy ;;
    builtin) start_broker ipcserver; want=$(readlink -f "$SERVER") ;;
    changed) start_broker ipcserver; touch "$IPCEXEC"; want=$(readlink -f "$IPCEXEC") ;;
  esac
  supervised "ipcserver, $how"
  check "ipcserver, $how: the supervisor runs $want" "$want" "$(readlink "/proc/$sup/exe")"
  [ $how = builtin ] && check "ipcserver, builtin: the supervisor is called ipcexec" ipcexec "$(cat "/proc/$sup/comm")"
  pkill -KILL -u 65534 -f -- "$M"
  wait "$cl"
  run do_as nobody sh -c 'echo ran' </dev/null
  check "ipcserver, $how: a request is served" "0 ran" "$RC $OUT"
  grep -a -q -E '^ipcexec: end 4242\.4343,65534\.sh .* status=exit:0 ' "$T_LOG" \
    && pass "ipcserver, $how: the end line" || fail "ipcserver, $how: no end line: $(cat "$T_LOG")"
  stop_broker
done

# --- 8: ipcexecd's idle workers make the command's process ahead, its
# signals reset, its cgroup namespace made and the default filter loaded.
# Whatever way the command starts, what it runs in is the same; a rule
# with another filter must not inherit the one made ahead.
start_broker ipcexecd
st='^(Seccomp|Seccomp_filters|NoNewPrivs|CapEff|CapBnd|SigBlk|SigIgn|SigCgt|Uid):'
want_st="Uid:	65534	65534	65534	65534
CapEff:	0000000000000000
CapBnd:	0000000000000000
NoNewPrivs:	1
Seccomp:	2
Seccomp_filters:	1"
want_sig="SigBlk:	0000000000000000
SigIgn:	0000000000000000
SigCgt:	0000000000000000"
for i in 1 2 3; do
  run do_as nobody cat /proc/self/status </dev/null
  check "ipcexecd, request $i: ids, capabilities, nnp, one filter" "$want_st" \
    "$(printf '%s\n' "$OUT" | grep -E "$st" | grep -v '^Sig')"
  check "ipcexecd, request $i: no signal blocked, ignored or caught" "$want_sig" \
    "$(printf '%s\n' "$OUT" | grep -E '^Sig(Blk|Ign|Cgt):')"
  if [ $CG = yes ]; then
    run do_as nobody cat /proc/self/cgroup </dev/null
    check "ipcexecd, request $i: rooted in its own cgroup" "0::/" "$(printf '%s\n' "$OUT" | grep '^0::')"
  fi
done
run do_as nobody catnone /proc/self/status </dev/null
check "ipcexecd, IPCSECCOMP=none: no filter at all" "Seccomp:	0
Seccomp_filters:	0" "$(printf '%s\n' "$OUT" | grep -E '^Seccomp')"
run do_as nobody catstrict /proc/self/status </dev/null
check "ipcexecd, IPCSECCOMP=strict: its filter alone" "Seccomp:	2
Seccomp_filters:	1" "$(printf '%s\n' "$OUT" | grep -E '^Seccomp')"
run do_as nobody catstrict /proc/self/cgroup </dev/null
[ $CG = yes ] && check "ipcexecd, IPCSECCOMP=strict: rooted in its own cgroup" "0::/" "$(printf '%s\n' "$OUT" | grep '^0::')"
# The idle workers' processes made ahead: filtered, in their worker's
# cgroup; none outlives its worker, used or not (a refused request).
# (A sanitizer build forks per command instead, and makes nothing ahead.)
if nm "$EXECD" 2>/dev/null | grep -q '__asan_init'; then
  echo "# sanitizer build: ipcexecd forks each command, nothing is made ahead"
elif [ $CG = yes ]; then
  i=0 made=0
  while [ $i -lt 100 ]; do
    made=0
    for w in $(pgrep -P "$BPID"); do
      for c in $(pgrep -P "$w"); do
        grep -q '^Seccomp:	2$' "/proc/$c/status" 2>/dev/null &&
          [ "$(grep '^0::' "/proc/$c/cgroup")" = "$(grep '^0::' "/proc/$w/cgroup")" ] && made=$((made + 1))
      done
    done
    [ $made -ge 4 ] && break
    sleep 0.05; i=$((i + 1))
  done
  check "ipcexecd: every idle worker has its process made ahead, filtered, in its cgroup" 4 "$made"
fi
run do_as 0 sh -c 'echo ran' </dev/null
check "ipcexecd: a refused request" "100 " "$RC $OUT"
stop_broker
sleep 0.2
check "no process made ahead outlives its broker" "" \
  "$(ps -eo pid=,args= | awk -v p="$EXECD" '$2 == p { print $1 }')"

# --- 9: ipcexecd's pool of cgroups: each used again by a later request
# once it is as empty as new, never after a uid-0 command or one that kept
# a capability, which could have changed its files, nor after a worker
# killed; the master removes its pool when it stops.
if [ $CG = yes ]; then
  start_broker ipcexecd
  pooled() { find "$CGT" -mindepth 1 -maxdepth 1 -name "ipcexec.$BPID.*" -printf '%f\n' | sort; }
  for i in 1 2 3 4 5 6 7 8 9 10; do
    run do_as nobody sh -c "$T_TMP/sleep-$M 30 & echo left" </dev/null
    [ "$RC $OUT" = "0 left" ] || fail "pool: request $i: $RC $OUT"
    run do_as nobody sh -c 'echo ran' </dev/null
    [ "$RC $OUT" = "0 ran" ] || fail "pool: request $i: $RC $OUT"
  done
  wait_gone 5 && pass "pool: what 10 requests left behind was killed" || fail "pool: leftovers run on"
  top=$(pooled | sed 's/.*\.//' | sort -n | tail -1)
  [ -n "$top" ] && [ "$top" -le 5 ] && pass "pool: 20 requests with 4 workers used cgroups 1 to $top" \
    || fail "pool: 20 requests made cgroups up to ${top:-none}"
  # A request in a cgroup used before: nothing but its own processes.
  for i in 1 2 3; do
    supervised "pool"
    cg=$(sed -n 's/^0:://p' "/proc/$cmdpid/cgroup")
    check "pool, request $i: the cgroup ${cg##*/} holds its worker and its command alone" \
      "$(printf '%s\n' "$sup" "$cmdpid" | sort -n)" "$(sort -n "$cgmnt$cg/cgroup.procs")"
    pkill -KILL -u 65534 -f -- "$M"
    wait "$cl"
  done
  # A uid-0 command's cgroup is gone once its request has ended.
  bg_do 0 rootsh -c "exec $T_TMP/sleep-$M 31" >/dev/null 2>&1 &
  cl=$!
  i=0
  while ! pgrep -u 0 -f -- "sleep-$M 31" >/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  cmdpid=$(pgrep -u 0 -f -- "sleep-$M 31" | head -1)
  cg=$(sed -n 's/^0:://p' "/proc/$cmdpid/cgroup" 2>/dev/null)
  case $cg in */ipcexec.$BPID.[1-9]*) pass "pool: the uid-0 command runs in a cgroup of the pool" ;;
    *) fail "pool: the uid-0 command's cgroup: ${cg:-none}" ;; esac
  kill -KILL "$cmdpid"
  wait "$cl"
  check "pool: the uid-0 request ended" 137 "$?"
  [ -n "$cg" ] && [ ! -d "$cgmnt$cg" ] && pass "pool: the uid-0 command's cgroup is not used again" \
    || fail "pool: ${cg##*/} is still there, for the next request"
  # Nor is the cgroup of a command that keeps a capability.
  bg_do nobody capsh -c "exec $T_TMP/sleep-$M 32" >/dev/null 2>&1 &
  cl=$!
  wait_running 1 || fail "pool: the command with a capability started"
  cmdpid=$(pgrep -u 65534 -f -- "sleep-$M 32" | head -1)
  cg=$(sed -n 's/^0:://p' "/proc/$cmdpid/cgroup" 2>/dev/null)
  case $cg in */ipcexec.$BPID.[1-9]*) pass "pool: the command with a capability runs in a cgroup of the pool" ;;
    *) fail "pool: the command with a capability: its cgroup ${cg:-none}" ;; esac
  kill -KILL "$cmdpid"
  wait "$cl"
  [ -n "$cg" ] && [ ! -d "$cgmnt$cg" ] && pass "pool: a cgroup whose command kept a capability is not used again" \
    || fail "pool: ${cg##*/} (IPCCAPS) is still there, for the next request"
  # Nor that of an idle worker killed by a signal: only its wait status
  # says so, once its process made ahead (none in a sanitizer build) has
  # been killed first and has left the cgroup, which then looks as empty
  # as new when the master reaps the worker.
  # (one that has entered its cgroup: a worker forked a moment ago may not
  # have yet)
  i=0 w='' cg=''
  while [ $i -lt 100 ]; do
    for w in $(pgrep -P "$BPID"); do
      cg=$(sed -n 's/^0:://p' "/proc/$w/cgroup" 2>/dev/null)
      case $cg in */ipcexec.$BPID.[1-9]*) break 2 ;; esac
    done
    cg=
    sleep 0.05; i=$((i + 1))
  done
  [ -n "$cg" ] || fail "pool: no idle worker in a cgroup of the pool"
  for p in $(pgrep -P "$w"); do kill -KILL "$p"; done
  i=0
  while [ "$(cat "$cgmnt$cg/cgroup.procs")" != "$w" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  check "pool: the idle worker alone in its cgroup" "$w" "$(cat "$cgmnt$cg/cgroup.procs")"
  kill -KILL "$w"
  i=0
  while [ -d "$cgmnt$cg" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  [ ! -d "$cgmnt$cg" ] && pass "pool: the cgroup of a worker killed while idle is removed" \
    || fail "pool: ${cg##*/} of a killed worker is kept"
  run do_as nobody sh -c 'echo ran' </dev/null
  check "pool: the broker serves after it" "0 ran" "$RC $OUT"
  stopped=$BPID
  stop_broker
  check "pool: the master removes its pool when it stops" "" \
    "$(find "$CGT" -mindepth 1 -maxdepth 1 -name "ipcexec.$stopped.*" -printf '%f ')"
  # A connection refused before any request is read (a connection rule)
  # leaves its worker's cgroup as it found it: the cgroup goes back to the
  # pool, and 20 refusals need no cgroup beyond the first few.
  printf '%s\n' '4242:deny' | "$(prog ipcrules)" "$T_TMP/conn.cdb" "$T_TMP/conn.tmp" \
    || fail "pool: connection rules did not compile"
  S=$T_TMP/s.refuse
  "$EXECD" -c 4 -x "$T_TMP/conn.cdb" "$S" "$T_TMP/exec.cdb" 2>"$T_TMP/log.refuse" &
  BPID=$!
  T_PIDS="$T_PIDS $BPID"
  wait_for_socket "$S" || fail "pool: ipcexecd -x did not start"
  for i in $(seq 1 20); do
    run do_as nobody sh -c 'echo ran' </dev/null
    [ "$RC" = 111 ] || fail "pool: refused connection $i: $RC $OUT"
  done
  top=$(pooled | sed 's/.*\.//' | sort -n | tail -1)
  [ -n "$top" ] && [ "$top" -le 5 ] && pass "pool: 20 refused connections with 4 workers used cgroups 1 to $top" \
    || fail "pool: 20 refused connections made cgroups up to ${top:-none}"
  stop_broker
fi

# Whatever failed on the way (descriptors starved, supervisors killed), no
# request's cgroup outlives its supervisor.
if [ $CG = yes ]; then
  stale=
  for d in "$CGT"/ipcexec.*; do
    [ -d "$d" ] || continue
    p=${d##*/ipcexec.}
    kill -0 "${p%%.*}" 2>/dev/null || stale="$stale ${d##*/}"
  done
  check "no request cgroup is left behind" "" "$stale"
fi

t_done
