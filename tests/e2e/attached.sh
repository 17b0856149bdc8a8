#!/usr/bin/env bash
# Attached mode end to end, as root with an unprivileged caller: the
# caller's own descriptors, exit status, signals, terminals, client death,
# refusing untrusted brokers, and old requests on the same broker.
. "$E2E/lib.sh"
. "$E2E/exec-lib.sh"
need_root
setup_users
DO=$(prog ipcdo)
RUN=$(prog ipcrun)
CLIENT=$(prog ipcclient)
COMMAND=$(prog ipccommand)
SERVER=$(prog ipcserver)

rules '4242,65534.sh:allow="/bin/sh"
4242,65534.sleep:allow="/bin/sleep"
4242,65534.env:allow="/usr/bin/env",IPCKEEPENV="TERM,LANG"
4242,0.sh:deny'
S=$T_TMP/s
env -u TERM -u LANG "$SERVER" "$S" "$IPCEXEC" "$T_TMP/exec.cdb" 2>"$T_TMP/log" &
T_PIDS="$T_PIDS $!"
wait_for_socket "$S" || fail "broker did not start"

# do_as ARGS...: ipcdo as uid 4242 against the test broker.
do_as() { as 4242 4343 env IPCEXECPATH="$S" "$DO" "$@"; }
# bg_do ARGS...: the same in the background; $! is ipcdo itself (setpriv
# and env exec it), so signals sent to $! reach ipcdo.
bg_do() {
  setpriv --reuid=4242 --regid=4343 --clear-groups -- env IPCEXECPATH="$S" "$DO" "$@" </dev/null &
}

run do_as nobody sh -c 'echo out; echo err >&2; exit 3' </dev/null
check "stdout is the caller's stdout" "out" "$OUT"
check "stderr is the caller's stderr" "err" "$ERR"
check "exit status 3 comes back" 3 "$RC"
for st in 0 1 255; do
  run do_as nobody sh -c "exit $st" </dev/null
  check "exit status $st comes back" "$st" "$RC"
done
run do_as nobody sh -c 'kill -KILL $$' </dev/null
check "death by SIGKILL: 128+9" 137 "$RC"
run do_as nobody sh -c 'kill -TERM $$' </dev/null
check "death by SIGTERM: 128+15" 143 "$RC"

run_in 'piped
' do_as nobody sh -c 'cat; echo done'
check "stdin from a pipe" "piped
done" "$OUT"
printf 'from a file\n' >"$T_TMP/in.txt"
chmod 644 "$T_TMP/in.txt"
run do_as nobody sh -c 'cat' <"$T_TMP/in.txt"
check "stdin from a file the target could not open itself" "from a file" "$OUT"

run do_as nobody sh -c 'ls -l /proc/self/fd/ | grep -c socket' </dev/null
check "the command holds no socket to the broker" "0" "$OUT"

# A terminal with -T: script gives the caller a pty on 0, 1 and 2, and
# without a pty of its own (pty.sh tests that mode) the command gets it.
out=$(script -qec "setpriv --reuid=4242 --regid=4343 --clear-groups env IPCEXECPATH=$S $DO -T nobody sh -c 'test -t 0 && test -t 1 && test -t 2 && echo tty-ok; ps -o tty= -p \$\$'" /dev/null </dev/null | tr -d '\r')
check "-T: a terminal passes through, without becoming the controlling terminal" "tty-ok
?" "$out"

# Environment the client offers: only what IPCKEEPENV names, values checked.
run env TERM=xterm-256color LANG=C.UTF-8 FOO=bar LC_ALL=C \
  setpriv --reuid=4242 --regid=4343 --clear-groups env IPCEXECPATH="$S" "$DO" nobody env </dev/null
check "TERM, LANG and LC_ALL admitted, others not" "LANG=C.UTF-8
LC_ALL=C
TERM=xterm-256color" "$(echo "$OUT" | grep -E '^(TERM|LANG|FOO|LC_ALL)=' | sort)"
run env TERM=../../../tmp/evil setpriv --reuid=4242 --regid=4343 --clear-groups \
  env IPCEXECPATH="$S" "$DO" nobody env </dev/null
check "a TERM with a slash is refused" "" "$(echo "$OUT" | grep '^TERM=')"
run env TERM=xterm setpriv --reuid=4242 --regid=4343 --clear-groups \
  env IPCEXECPATH="$S" "$DO" nobody sh -c 'echo "${TERM-unset}"' </dev/null
check "TERM comes by default, without IPCKEEPENV" "xterm" "$OUT"

# wait_gone PATTERN SECONDS: until no process of nobody matches.
wait_gone() {
  local i=0
  while pgrep -u 65534 -f "$1" >/dev/null && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
  ! pgrep -u 65534 -f "$1" >/dev/null
}
wait_there() {
  local i=0
  while ! pgrep -u 65534 -f "$1" >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  pgrep -u 65534 -f "$1" >/dev/null
}

# Signals sent to ipcdo reach the command.
bg_do nobody sleep 31.25 >/dev/null 2>&1
cl=$!
wait_there "sleep 31.25" && pass "command started" || fail "command started"
kill -TERM "$cl"
wait "$cl"
check "SIGTERM to ipcdo: the command dies of it" 143 "$?"
wait_gone "sleep 31.25" 3 && pass "SIGTERM: nothing left running" || fail "SIGTERM: command still running"

bg_do nobody sh -c 'trap "echo got-usr1; exit 7" USR1; sleep 31.5 & wait' >"$T_TMP/usr1.out" 2>&1
cl=$!
wait_there "sleep 31.5" || fail "usr1 command started"
kill -USR1 "$cl"
wait "$cl"
check "SIGUSR1 forwarded, the command's own exit status returns" 7 "$?"
check "SIGUSR1 handler ran" "got-usr1" "$(cat "$T_TMP/usr1.out")"

bg_do nobody sleep 31.75 >/dev/null 2>&1
cl=$!
wait_there "sleep 31.75" || fail "int command started"
kill -INT "$cl"
wait "$cl"
check "SIGINT forwarded: 128+2" 130 "$?"

# The client dies: the command must not keep running on its descriptors.
bg_do nobody sleep 32.5 >/dev/null 2>&1
cl=$!
wait_there "sleep 32.5" || fail "orphan command started"
kill -KILL "$cl"
wait "$cl" 2>/dev/null
wait_gone "sleep 32.5" 8 && pass "client killed: the command's session is killed" || fail "client killed: command still running"
sleep 0.2
grep -q "status=signal:15" "$T_TMP/log" && pass "audit shows the command killed by SIGTERM" || fail "audit: no signal:15 status"

# What the command leaves behind ends with it: a background process in its
# session, and one that left the session (setsid) as well.
run do_as nobody sh -c 'sleep 33.7 & setsid sleep 33.8 & exit 0' </dev/null
check "background command: ipcdo returns the command's status" 0 "$RC"
wait_gone "sleep 33.7" 3 && pass "a background process in the session is killed" || fail "session leftover still running"
wait_gone "sleep 33.8" 3 && pass "a process that left the session is killed too" || fail "setsid leftover still running"
run do_as -o nobody sh -c 'sleep 33.9 & echo started' </dev/null
check "0.70 mode: the client is not held open by a leftover" "started" "$OUT"
wait_gone "sleep 33.9" 3 && pass "0.70 mode: leftovers killed too" || fail "0.70 leftover still running"

# Denied and failing requests.
run do_as root sh -c 'id' </dev/null
check "denied: exit 100" 100 "$RC"
check "denied: one clear line, nothing about policy" "ipcdo: fatal: request denied" "$ERR"
run do_as nobody no-such-rule </dev/null
check "no rule: denied" 100 "$RC"
run as 4242 4343 env IPCEXECPATH="$S" "$RUN" sh -c 'id' </dev/null
check "ipcrun is ipcdo root: denied here" 100 "$RC"

# Old requests keep working on the same broker.
run_in 'old-in
' as 4242 4343 "$CLIENT" "$S" "$COMMAND" 65534 sh -c 'cat; echo old-out'
check "ipccommand (0.70) on the same broker" "old-in
old-out" "$OUT"
run do_as -o nobody sh -c 'echo o; echo e >&2; exit 3' </dev/null
check "ipcdo -o: 0.70 semantics, stderr mixed into stdout" "o
e" "$OUT"
check "ipcdo -o: 0.70 semantics, no status" 0 "$RC"
grep -q "mode=attached" "$T_TMP/log" && grep -q "mode=0.70" "$T_TMP/log" && pass "audit names both modes" || fail "audit modes"
grep -q "status=exit:3" "$T_TMP/log" && grep -q "status=signal:9" "$T_TMP/log" && pass "audit shows exit and signal statuses" || fail "audit statuses"

# A socket planted by another user receives nothing.
mkdir -m 777 "$T_TMP/fake"
setpriv --reuid=4242 --regid=4343 --clear-groups -- "$SERVER" "$T_TMP/fake/s" sh -c "cat >>$T_TMP/fake/got" 2>/dev/null &
T_PIDS="$T_PIDS $!"
wait_for_socket "$T_TMP/fake/s" || fail "fake server did not start"
run as 4242 4343 env IPCEXECPATH="$T_TMP/fake/s" "$DO" nobody id </dev/null
check "a non-root broker is refused" 111 "$RC"
has "$ERR" "refusing $T_TMP/fake/s: the broker runs as uid 4242, not 0" && pass "refusal names the owner" || fail "refusal message: $ERR"
sleep 0.2
check "the planted socket received nothing" "" "$(cat "$T_TMP/fake/got" 2>/dev/null)"
run as 4242 4343 env IPCEXECPATH="$T_TMP/fake/s" "$DO" -o nobody id </dev/null
check "0.70 mode checks the broker too" 111 "$RC"
run as 4242 4343 env IPCEXECPATH="$T_TMP/fake/s" IPCEXECUID=4242 "$DO" -o nobody id </dev/null
check "IPCEXECUID names the trusted owner for test setups" 0 "$RC"

# A 0.70 broker drops the attached request after its first byte.
"$SERVER" "$T_TMP/old.s" sh -c 'head -c 1 >/dev/null' 2>/dev/null &
T_PIDS="$T_PIDS $!"
wait_for_socket "$T_TMP/old.s" || fail "old-style server did not start"
run as 4242 4343 env IPCEXECPATH="$T_TMP/old.s" "$DO" nobody sh -c 'echo ran' </dev/null
check "old broker: clear failure" 111 "$RC"
has "$ERR" "closed the connection without a status" && pass "old broker: message suggests -o" || fail "old broker message: $ERR"
check "old broker: nothing ran on the caller's descriptors" "" "$OUT"

t_done
