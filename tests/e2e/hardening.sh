#!/usr/bin/env bash
# Attacks by an unprivileged local user (ipctest, 4242) on what root runs,
# each tried for real, under ipcserver + ipcexec and under ipcexecd:
# a rules tmp file planted before the compiler runs, connection rules root
# does not own alone, connection-rule variables that claim another
# identity or target, a lock file the user holds or redirects, and a broker
# that never answers a client that is told to stop.
. "$E2E/lib.sh"
. "$E2E/exec-lib.sh"
need_root
setup_users
SERVER=$(prog ipcserver)
EXECD=$(prog ipcexecd)
DO=$(prog ipcdo)
RULES=$(prog ipcrules)

stop() {
  local i=0
  kill -TERM "$1" 2>/dev/null
  while kill -0 "$1" 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}

# A world-writable sticky directory, as /tmp is: ipctest may create
# names in it, and nobody may remove another's.
PUB=$T_TMP/pub
mkdir "$PUB"
chmod 1777 "$PUB"

# --- 1. the compilers and a planted tmp ---------------------------------
for c in ipcrules ipcexecrules; do
  comp=$(prog $c)
  rm -f "$PUB/r.cdb" "$PUB/r.tmp"
  as 4242 4343 sh -c "umask 0; : >'$PUB/r.tmp'"
  run_in ':deny
' "$comp" "$PUB/r.cdb" "$PUB/r.tmp"
  check "$c: a tmp someone else created: exit 111" 111 "$RC"
  check "$c: a tmp someone else created: message" "$c: fatal: unable to create $PUB/r.tmp: File exists (left alone: remove it if an interrupted run left it, then run again)" "$ERR"
  check "$c: no cdb published from their file" "" "$(ls "$PUB/r.cdb" 2>/dev/null)"
  check "$c: their tmp left alone, still theirs and empty" "4242 0" "$(stat -c '%u %s' "$PUB/r.tmp")"
  as 4242 4343 rm -f "$PUB/r.tmp"

  as 4242 4343 ln -s "$T_TMP/victim-$c" "$PUB/r.tmp"
  run_in ':deny
' "$comp" "$PUB/r.cdb" "$PUB/r.tmp"
  check "$c: a planted symlink: exit 111" 111 "$RC"
  check "$c: nothing created through the symlink" "" "$(ls "$T_TMP/victim-$c" 2>/dev/null)"
  check "$c: the symlink left alone" "$T_TMP/victim-$c" "$(readlink "$PUB/r.tmp")"
  as 4242 4343 rm -f "$PUB/r.tmp"

  # A stale tmp of our own (an interrupted run): refused the same way.
  : >"$PUB/r.tmp"
  run_in ':deny
' "$comp" "$PUB/r.cdb" "$PUB/r.tmp"
  check "$c: a stale tmp of root's: refused too" 111 "$RC"
  rm -f "$PUB/r.tmp"

  run_in ':deny
' sh -c "umask 077; exec '$comp' '$PUB/r.cdb' '$PUB/r.tmp'"
  check "$c: compiles once the name is free" 0 "$RC"
  check "$c: published cdb is root's, mode 644 whatever the umask" "0 644" "$(stat -c '%u %a' "$PUB/r.cdb")"
  run_in 'x:maybe
' "$comp" "$PUB/r.cdb" "$PUB/r.tmp"
  check "$c: a failed run leaves no tmp behind" "100 " "$RC $(ls "$PUB/r.tmp" 2>/dev/null)"
done

# --- 1. both brokers: untrusted connection rules, rule variables --------
rules '4242,65534.id:allow="/usr/bin/id"
4242,65534.who:allow="/usr/bin/printenv"
0,65534.who:allow="/bin/echo",ROOT="1"
4242,0.id:deny'
CONN=$T_TMP/conn.cdb
crules() { printf '%s\n' "$1" | "$RULES" "$CONN" "$T_TMP/conn.tmp" || fail "connection rules did not compile"; }

# start KIND: the broker on $S with -x $CONN, its log in $LOG.
start() {
  S=$T_TMP/$1.s
  LOG=$T_TMP/$1.log
  rm -f "$S"
  : >"$LOG"
  case $1 in
    server) "$SERVER" -x "$CONN" "$S" "$IPCEXEC" "$T_TMP/exec.cdb" 2>>"$LOG" & ;;
    execd) "$EXECD" -c 2 -x "$CONN" "$S" "$T_TMP/exec.cdb" 2>>"$LOG" & ;;
  esac
  BPID=$!
  T_PIDS="$T_PIDS $BPID"
  wait_for_socket "$S" || fail "$1: broker did not start"
}
do_as() { as 4242 4343 env IPCEXECPATH="$S" timeout 10 "$DO" "$@" </dev/null; }

for kind in server execd; do
  start $kind

  crules '4242:allow'
  run do_as nobody id -u
  check "$kind: root-owned connection rules: allowed" "0 65534" "$RC $OUT"

  chown 4242 "$CONN"
  run do_as nobody id -u
  check "$kind: connection rules owned by a user: refused" "111 " "$RC $OUT"
  wait_for 1 "warning: dropping connection, refusing $CONN: rules not owned by root" "$LOG" \
    && pass "$kind: user-owned connection rules: logged" || fail "$kind: log: $(cat "$LOG")"

  chown 0 "$CONN"
  chmod 664 "$CONN"
  run do_as nobody id -u
  check "$kind: group-writable connection rules: refused" "111 " "$RC $OUT"
  wait_for 1 "warning: dropping connection, refusing $CONN: rules writable by group or others" "$LOG" \
    && pass "$kind: group-writable connection rules: logged" || fail "$kind: log: $(cat "$LOG")"
  chmod 646 "$CONN"
  run do_as nobody id -u
  check "$kind: world-writable connection rules: refused" "111 " "$RC $OUT"

  # Even a root-owned rule cannot hand the exec broker a target.
  crules '4242:allow,IPCUID="0",IPCGID="0"'
  run do_as nobody id -u
  check "$kind: a connection rule's IPCUID=0 is not the target" "0 65534" "$RC $OUT"
  run do_as nobody id -g
  check "$kind: a connection rule's IPCGID=0 is not the target's group" "0 65534" "$RC $OUT"
  grep -q "warning: ignoring IPCUID and IPCGID from the environment: the exec rules alone choose the target" "$LOG" \
    && pass "$kind: ignored IPCUID/IPCGID logged" || fail "$kind: log: $(cat "$LOG")"

  # Nor claim to be someone else: the identity is the kernel's.
  crules '4242:allow,IPCREMOTEEUID="0",IPCREMOTEEGID="0",IPCREMOTEPID="1",IPCLOCALPATH="/fake",IPCREMOTEPATH="/fake",PROTO="X"'
  run do_as nobody who IPCREMOTEEUID IPCREMOTEEGID IPCLOCALPATH IPCREMOTEPATH PROTO
  check "$kind: identity variables from a rule are ignored" "4242
4343
$S

IPC" "$OUT"
  run do_as nobody who IPCREMOTEPID
  [ -n "$OUT" ] && [ "$OUT" != 1 ] && pass "$kind: IPCREMOTEPID is the client's" || fail "$kind: IPCREMOTEPID $OUT"
  for v in IPCREMOTEEUID IPCREMOTEEGID IPCREMOTEPID IPCLOCALPATH IPCREMOTEPATH PROTO; do
    grep -q "warning: ignoring $v from rule \"4242\": the server sets it" "$LOG" \
      && pass "$kind: $v from a rule: warned" || fail "$kind: no warning for $v: $(cat "$LOG")"
  done
  stop "$BPID"
done

# --- 3. ipcexecd -f: the lock file is no longer a file ------------------
crules '4242:allow'
as 4242 4343 sh -c "umask 0; : >'$PUB/lock'"
# setpriv execs flock, so $! is flock, and its child the sleep.
setpriv --reuid=4242 --regid=4343 --clear-groups -- flock "$PUB/lock" sleep 60 >/dev/null 2>&1 &
HOLD=$!
T_PIDS="$T_PIDS $HOLD"
sleep 0.2
S=$T_TMP/lock.s
"$EXECD" -c 2 -f "$PUB/lock" "$S" "$T_TMP/exec.cdb" 2>"$T_TMP/lock.log" &
LPID=$!
T_PIDS="$T_PIDS $LPID"
wait_for_socket "$S" || fail "ipcexecd -f did not start"
run do_as nobody id -u
check "-f: a lock file another user holds stops nothing" "0 65534" "$RC $OUT"
stop "$LPID"
pkill -P "$HOLD" 2>/dev/null
kill "$HOLD" 2>/dev/null

as 4242 4343 ln -s "$T_TMP/nologin" "$PUB/link"
# the first broker's socket must not pass for the second one's
rm -f "$S"
"$EXECD" -c 2 -f "$PUB/link" "$S" "$T_TMP/exec.cdb" 2>"$T_TMP/lock.log" &
LPID=$!
T_PIDS="$T_PIDS $LPID"
wait_for_socket "$S" || fail "ipcexecd -f symlink did not start"
run do_as nobody id -u
check "-f: a planted symlink: still serving" "0 65534" "$RC $OUT"
check "-f: nothing created through the symlink" "" "$(ls "$T_TMP/nologin" 2>/dev/null)"

# The worker in accept holds the lock; the others wait for it. Killing
# the holder must not stop them (the lock is robust).
case $(uname -m) in
  x86_64) ACCEPT='^(43|288) ';;
  aarch64) ACCEPT='^(202|242) ';;
  *) ACCEPT=;;
esac
if [ -n "$ACCEPT" ]; then
  holder=
  for i in $(seq 100); do
    for w in $(pgrep -P "$LPID"); do
      grep -qE "$ACCEPT" "/proc/$w/syscall" 2>/dev/null && holder=$w
    done
    [ -n "$holder" ] && break
    sleep 0.05
  done
  [ -n "$holder" ] && pass "a worker waits in accept, holding the lock" || fail "no worker in accept"
  # The master is held still first, so that no replacement can take the
  # lock afresh: only the worker that was waiting for it can serve.
  kill -STOP "$LPID"
  kill -KILL "${holder:-none}"
  run do_as nobody id -u
  kill -CONT "$LPID"
  check "a worker killed holding the lock: the other still serves" "0 65534" "$RC $OUT"
else
  pass "SKIP robust lock test on $(uname -m)"
fi
stop "$LPID"

# --- 6. ipcdo told to stop while a broker never answers ----------------
# A "broker" that accepts and then neither reads nor answers: sleep runs
# on the connection. It runs as root, so ipcdo trusts it.
F=$T_TMP/fake.s
"$SERVER" "$F" sleep 60 2>/dev/null &
FPID=$!
T_PIDS="$T_PIDS $FPID"
wait_for_socket "$F" || fail "fake broker did not start"
# The signal is sent once ipcdo catches it (SigCgt), not after a fixed
# time: a loaded machine may take longer to get there, and a shell's
# background job starts with SIGINT ignored.
caught() { sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null; }
for sig in TERM:143 INT:130 HUP:129; do
  setpriv --reuid=4242 --regid=4343 --clear-groups -- env IPCEXECPATH="$F" "$DO" nobody true </dev/null 2>/dev/null &
  dp=$!
  n=$(kill -l "${sig%:*}")
  i=0
  while [ $i -lt 1000 ]; do
    m=$(caught "$dp")
    [ -n "$m" ] && [ $(( 0x$m >> (n - 1) & 1 )) = 1 ] && break
    sleep 0.01
    i=$((i + 1))
  done
  sleep 0.1
  kill "-${sig%:*}" "$dp"
  i=0
  while kill -0 "$dp" 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
  kill -KILL "$dp" 2>/dev/null
  wait "$dp"
  check "ipcdo waiting for an answer: SIG${sig%:*} ends it at once, 128+sig" "${sig#*:}" "$?"
done
pkill -P "$FPID" sleep 2>/dev/null
stop "$FPID"

# Once the command runs, a signal is forwarded to it as before: a
# command that traps SIGTERM decides the status.
crules '4242:allow'
rules '4242,65534.sh:allow="/bin/sh"'
for kind in server execd; do
  start $kind
  # setpriv and env exec ipcdo, so $! is ipcdo itself.
  setpriv --reuid=4242 --regid=4343 --clear-groups -- env IPCEXECPATH="$S" "$DO" nobody \
    sh -c 'trap "echo got-term; exit 7" TERM; sleep 33.25 & wait' </dev/null >"$T_TMP/term.out" 2>&1 &
  cl=$!
  i=0
  while ! pgrep -u 65534 -f "sleep 33.25" >/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  sleep 0.3
  kill -TERM "$cl"
  wait "$cl"
  check "$kind: SIGTERM after the command started: forwarded, the command's status returns" 7 "$?"
  check "$kind: SIGTERM after the command started: the command's handler ran" "got-term" "$(cat "$T_TMP/term.out")"
  pkill -u 65534 -f "sleep 33.25" 2>/dev/null
  stop "$BPID"
done

t_done
