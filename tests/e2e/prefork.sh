#!/usr/bin/env bash
# The preforked servers end to end, as root with an unprivileged caller:
# ipcexecd (the broker without an exec per request) in both request
# modes, its sandbox, environment, audit and log lines, connection rules,
# environment isolation between connections on one worker, bad requests,
# worker replacement and shutdown; and ipcprint, the library's example.
. "$E2E/lib.sh"
. "$E2E/exec-lib.sh"
need_root
setup_users
EXECD=$(prog ipcexecd)
PRINT=$(prog ipcprint)
DO=$(prog ipcdo)
CLIENT=$(prog ipcclient)
COMMAND=$(prog ipccommand)
CONNECT=$(prog ipcconnect)
CAT=$(prog ipccat)
RULES=$(prog ipcrules)

# stop PID: SIGTERM, then up to 5 s for it to go; sets STOP_RC (KILLED if
# it had to be killed).
stop() {
  local i=0
  kill -TERM "$1" 2>/dev/null
  while kill -0 "$1" 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
  if kill -0 "$1" 2>/dev/null; then
    kill -KILL "$1"
    wait "$1" 2>/dev/null
    STOP_RC=KILLED
    return
  fi
  wait "$1" 2>/dev/null
  STOP_RC=$?
}


# workers PID: the server's children, one per line.
workers() { pgrep -P "$1" | sort; }
# wait_workers PID N: up to 5 s for exactly N workers.
wait_workers() {
  local i=0
  while [ "$(workers "$1" | wc -l)" -ne "$2" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
  [ "$(workers "$1" | wc -l)" -eq "$2" ]
}

# crules TEXT: connection rules into $T_TMP/conn.cdb.
crules() {
  printf '%s\n' "$1" | "$RULES" "$T_TMP/conn.cdb" "$T_TMP/conn.tmp" || fail "connection rules did not compile"
}

rules '4242,65534.sh:allow="/bin/sh"
4242,65534.env:allow="/usr/bin/env"
4242,65534.id:allow="/usr/bin/id"
4242,0.sh:deny
0,65534.sh:allow="/bin/sh"'
crules '4243:deny
4242:allow,IPCERROUT="0"'

# --- usage, numbers, bind failure: nothing is served
run "$EXECD"
check "ipcexecd: no arguments: exit 100" 100 "$RC"
check "ipcexecd: usage line" "ipcexecd: usage: ipcexecd [ -qQvdDUXpP1R ] [ -c limit ] [ -C peruid ] [ -x rules.cdb ] [ -B banner ] [ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] [ -f lockfile ] path rules.cdb" "$ERR"
run "$EXECD" "$T_TMP/never"
check "ipcexecd: no rules operand: exit 100" 100 "$RC"
run "$EXECD" "$T_TMP/never" "$T_TMP/exec.cdb" extra
check "ipcexecd: extra operand: exit 100" 100 "$RC"
for bad in "-C 0" "-C x" "-c 0" "-c abc" "-c -1" "-c 1001" "-b x" "-u x"; do
  eval "run \"\$EXECD\" $bad \"$T_TMP/never\" \"$T_TMP/exec.cdb\""
  check "ipcexecd: bad number $bad: exit 100" 100 "$RC"
done
check "bad options never bind" "" "$(ls "$T_TMP/never" 2>/dev/null)"
run "$EXECD" "$T_TMP/no/such/dir/s" "$T_TMP/exec.cdb"
check "ipcexecd: bind failure: exit 111" 111 "$RC"
has "$ERR" "ipcexecd: fatal: unable to bind" && pass "bind failure message" || fail "bind failure message: $ERR"
run "$PRINT"
check "ipcprint: no arguments: exit 100" 100 "$RC"
case $ERR in "ipcprint: usage: ipcprint "*) pass "ipcprint: usage line";; *) fail "ipcprint usage: $ERR";; esac
run "$PRINT" -c 0 "$T_TMP/never"
check "ipcprint: -c 0: exit 100" 100 "$RC"

# --- ipcexecd with three workers; LD_PRELOAD and FOO in its environment
S=$T_TMP/s
# -R: workers that serve request after request (the default is a fresh
# worker per request, tested below).
env LD_PRELOAD=/nonexistent.so FOO=bar "$EXECD" -R -v -c 3 -x "$T_TMP/conn.cdb" "$S" "$T_TMP/exec.cdb" 2>"$T_TMP/log" &
SPID=$!
T_PIDS="$T_PIDS $SPID"
wait_for_socket "$S" || fail "ipcexecd did not start"
wait_workers "$SPID" 3 && pass "three workers forked" || fail "workers: $(workers "$SPID" | tr '\n' ' ')"
wait_for 1 '^ipcexecd: status: 3/3$' "$T_TMP/log" && pass "status line 3/3" || fail "status line: $(cat "$T_TMP/log")"

do_as() { as 4242 4343 env IPCEXECPATH="$S" "$DO" "$@"; }

run do_as nobody sh -c 'echo out; echo err >&2; exit 3' </dev/null
check "attached: stdout" "out" "$OUT"
check "attached: separate stderr" "err" "$ERR"
check "attached: exit status" 3 "$RC"
run do_as nobody id </dev/null
check "the command runs as the target" "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)" "$OUT"
run do_as nobody sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status' </dev/null
check "sandbox from inside: no capabilities, no_new_privs, seccomp filter" "CapEff:	0000000000000000
CapBnd:	0000000000000000
NoNewPrivs:	1
Seccomp:	2" "$OUT"
# The caller's environment: only a checked TERM and LANG of it pass.
run as 4242 4343 env -i TERM=vt100 LANG=C.UTF-8 FOO=bar IPCEXECPATH="$S" "$DO" nobody env </dev/null
check "clean environment: the allow-list only" "HOME=/nonexistent
IPCLOCALPATH=$S
IPCREMOTEEGID=4343
IPCREMOTEEUID=4242
IPCREMOTEPATH=
IPCREMOTEUSER=ipctest
LANG=C.UTF-8
LOGNAME=nobody
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PROTO=IPC
SHELL=/usr/sbin/nologin
TERM=vt100
USER=nobody" "$(printf '%s\n' "$OUT" | grep -v '^IPCREMOTEPID=' | sort)"
has "$OUT" "IPCREMOTEPID=" && pass "IPCREMOTEPID passed to the command" || fail "no IPCREMOTEPID: $OUT"
has "$OUT" "LD_PRELOAD" || has "$OUT" "FOO=" && fail "the server's LD_PRELOAD/FOO reached the command" \
  || pass "the server's LD_PRELOAD and FOO do not reach the command"

run do_as root sh -c 'id' </dev/null
check "denied: exit 100" 100 "$RC"
check "denied: one clear line" "ipcdo: fatal: request denied" "$ERR"
check "denied: nothing ran" "" "$OUT"
run do_as nobody no-such-rule </dev/null
check "unmatched: denied, exit 100" 100 "$RC"
check "unmatched: the same line" "ipcdo: fatal: request denied" "$ERR"

# 0.70 mode. The -x rule gives uid 4242 IPCERROUT="0": stderr stays in
# the server's log, escaped on a line of its own, instead of joining the
# output.
run do_as -o nobody sh -c 'echo o; echo e-070 >&2; exit 3' </dev/null
check "ipcdo -o: output" "o" "$OUT"
check "ipcdo -o: no status" 0 "$RC"
wait_for 1 '^ipcexec: stderr req=[0-9.]+ text=e-070$' "$T_TMP/log" && pass "-x rule IPCERROUT=0: stderr in the server's log" || fail "e-070 not in the log"
run_in 'old-in
' as 4242 4343 "$CLIENT" "$S" "$COMMAND" 65534 sh -c 'cat; echo old-out'
check "ipcclient + ipccommand (0.70)" "old-in
old-out" "$OUT"
check "ipcclient + ipccommand: exit 0" 0 "$RC"
# The same worker pool next serves root, for whom no rule sets IPCERROUT:
# the default (stderr joins stdout) is back.
for i in 1 2 3 4; do
  run env IPCEXECPATH="$S" IPCEXECUID=0 "$DO" -o nobody sh -c 'echo o; echo e-root >&2' </dev/null
  check "root after 4242 ($i): IPCERROUT of the earlier rule is gone" "o
e-root" "$OUT"
done

# Connection rules: uid 4243 is denied, the connection dropped.
run setpriv --reuid=4243 --regid=4343 --clear-groups env IPCEXECPATH="$S" "$DO" nobody id </dev/null
check "-x deny: client fails" 111 "$RC"
check "-x deny: nothing ran" "" "$OUT"
wait_for 1 "^ipcexecd: deny [0-9]+ $S :4243,4343\$" "$T_TMP/log" && pass "-x deny logged" || fail "deny line: $(grep deny "$T_TMP/log")"

# A malformed request: answered with a log line; the workers go on.
run_in 'GET / HTTP/1.0

' as 4242 4343 "$CONNECT" "$S"
check "malformed request: nothing comes back" "" "$OUT"
wait_for 1 'ipcexecd: warning: bad ipc request' "$T_TMP/log" && pass "malformed request logged" \
  || fail "malformed request: $(tail -3 "$T_TMP/log")"
grep -q 'decision=error .*reason=' "$T_TMP/log" && pass "malformed request audited" || fail "no error audit"
run do_as nobody sh -c 'echo after-garbage' </dev/null
check "next request served after a malformed one" "after-garbage" "$OUT"

# Verbose lines: pid/ok/end per connection, from the workers.
W=$(workers "$SPID" | tr '\n' ' ')
grep -E '^ipcexecd: (pid|ok|end) ' "$T_TMP/log" | awk '{print $3}' | sort -u >"$T_TMP/logpids"
ok=1
for p in $(cat "$T_TMP/logpids"); do case " $W " in *" $p "*) ;; *) ok=0;; esac; done
[ $ok = 1 ] && [ -s "$T_TMP/logpids" ] && pass "pid/ok/end lines name the workers" || fail "log pids $(cat "$T_TMP/logpids") vs workers $W"
grep -qE "^ipcexecd: ok [0-9]+ $S :4242,4343\$" "$T_TMP/log" && pass "ok line" || fail "ok line"
grep -qE '^ipcexecd: end [0-9]+ status 768$' "$T_TMP/log" && pass "end line carries the status (exit 3)" || fail "end line"
grep -qE '^ipcexecd: pid [0-9]+ from $' "$T_TMP/log" && pass "pid line" || fail "pid line"

# Request ids: req=PID.SEQ, one per request, counting up per worker.
grep -aoE '^ipcexec: (ok|deny) .* req=[0-9]+\.[0-9]+' "$T_TMP/log" | sed 's/.* req=//' >"$T_TMP/reqs"
n=$(wc -l <"$T_TMP/reqs")
[ "$n" -ge 10 ] && pass "request ids in the audit ($n)" || fail "only $n request ids"
check "request ids are distinct" "$n" "$(sort -u "$T_TMP/reqs" | wc -l)"
seqok=$(awk -F. '{ if ($2 != last[$1] + 1) bad = 1; last[$1] = $2 } END { print bad ? "no" : "yes" }' "$T_TMP/reqs")
check "request ids count up by one per worker" yes "$seqok"
ok=1
for p in $(cut -d. -f1 "$T_TMP/reqs" | sort -u); do case " $W " in *" $p "*) ;; *) ok=0;; esac; done
[ $ok = 1 ] && pass "request ids name the workers" || fail "request pids vs workers $W"
grep -aE '^ipcexec: end ' "$T_TMP/log" | grep -qE 'req=[0-9]+\.[0-9]+ ' && pass "end audit lines carry the request id" || fail "end audit req"

# A worker killed is replaced, and requests still work.
before=$(workers "$SPID")
victim=$(printf '%s\n' "$before" | head -1)
kill -KILL "$victim"
i=0
while { [ "$(workers "$SPID" | wc -l)" -ne 3 ] || workers "$SPID" | grep -qx "$victim"; } && [ $i -lt 500 ]; do
  sleep 0.01; i=$((i + 1))
done
after=$(workers "$SPID")
check "killed worker replaced: still three" 3 "$(printf '%s\n' "$after" | wc -l)"
printf '%s\n' "$after" | grep -qx "$victim" && fail "victim still listed" || pass "the killed worker is gone"
wait_for 1 "ipcexecd: warning: worker $victim ended with status 9, replacing it" "$T_TMP/log" \
  && pass "replacement logged" || fail "replacement: $(grep worker "$T_TMP/log")"
for i in 1 2 3 4; do
  run do_as nobody sh -c 'echo still' </dev/null
  check "request $i after the replacement" "still" "$OUT"
done

# SIGTERM: the server and every worker exit, status 0.
after=$(workers "$SPID")
stop "$SPID"
check "SIGTERM: ipcexecd exits 0" 0 "$STOP_RC"
left=
for p in $after; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
check "SIGTERM: no worker left" "" "$left"

# --- the default: every request decided and supervised in a fresh fork of
# the master, which never serves one; different callers never share a
# process
S0=$T_TMP/s0
"$EXECD" -v -c 2 -x "$T_TMP/conn.cdb" "$S0" "$T_TMP/exec.cdb" 2>"$T_TMP/log0" &
SPID0=$!
T_PIDS="$T_PIDS $SPID0"
wait_for_socket "$S0" || fail "ipcexecd (default) did not start"
wait_workers "$SPID0" 2 || fail "ipcexecd (default): workers: $(workers "$SPID0")"
first=$(workers "$SPID0" | tr '\n' ' ')
for i in 1 2 3; do
  run as 4242 4343 env IPCEXECPATH="$S0" "$DO" nobody sh -c 'echo "sup=$PPID"' </dev/null
  check "fresh worker: request $i served" "0" "$RC"
  printf '%s\n' "$OUT" | sed -n 's/^sup=//p' >>"$T_TMP/sups"
  # root's request, while it runs: how many descriptors its supervisor
  # holds, seen from here (the same for every request if nothing leaks)
  # (a loaded machine may take a while to start it: the command waits 2 s
  # for the count, this waits up to 30 s, by the clock, for the command)
  env IPCEXECPATH="$S0" IPCEXECUID=0 "$DO" nobody sh -c 'echo "sup=$PPID"; sleep 2' </dev/null >"$T_TMP/r.out" &
  rp=$!
  until=$((SECONDS + 30))
  while ! grep -q '^sup=[0-9]' "$T_TMP/r.out" && [ $SECONDS -lt $until ]; do sleep 0.01; done
  sup=$(sed -n 's/^sup=//p' "$T_TMP/r.out")
  [ -n "$sup" ] || echo "# root's request $i: no output from its command after 30 s"
  ls "/proc/$sup/fd" 2>/dev/null | wc -l >>"$T_TMP/supfds"
  wait "$rp"
  check "fresh worker: root's request $i served" "0" "$?"
  echo "$sup" >>"$T_TMP/sups"
done
reqs=$(grep -aoE '^ipcexec: ok .* req=[0-9.]+' "$T_TMP/log0" | sed 's/.* req=//')
check "fresh worker: six requests, six deciding processes" 6 "$(printf '%s\n' "$reqs" | cut -d. -f1 | sort -u | wc -l)"
check "fresh worker: each process decided one request (req=PID.1)" 6 "$(printf '%s\n' "$reqs" | grep -c '\.1$')"
check "fresh worker: the supervisor is the process that decided" "$(printf '%s\n' "$reqs" | cut -d. -f1 | tr '\n' ' ')" \
  "$(tr '\n' ' ' <"$T_TMP/sups")"
printf '%s\n' "$reqs" | cut -d. -f1 | grep -qx "$SPID0" && fail "the master served a request" \
  || pass "fresh worker: the master never served one"
check "fresh worker: no descriptor piles up from one request to the next" 1 "$(sort -u "$T_TMP/supfds" | wc -l)"
[ "$(head -1 "$T_TMP/supfds")" -gt 2 ] && pass "... (the supervisor's descriptors were seen)" || fail "supervisor fds: $(cat "$T_TMP/supfds")"
for p in $first; do kill -0 "$p" 2>/dev/null && fail "fresh worker: a first worker $p still runs after serving" ; done
pass "fresh worker: the workers that served are gone"
check "fresh worker: a worker that served its request is replaced silently" "" "$(grep -a 'replacing it' "$T_TMP/log0")"
wait_workers "$SPID0" 2 && pass "fresh worker: still two waiting" || fail "fresh worker: workers $(workers "$SPID0")"
stop "$SPID0"
check "fresh worker: SIGTERM exit 0" 0 "$STOP_RC"

# --- -R -c 1: one worker serves sequential requests; environment isolation
S1=$T_TMP/s1
"$EXECD" -R -v -c 1 -x "$T_TMP/conn.cdb" "$S1" "$T_TMP/exec.cdb" 2>"$T_TMP/log1" &
SPID1=$!
T_PIDS="$T_PIDS $SPID1"
wait_for_socket "$S1" || fail "ipcexecd -c 1 did not start"
wait_workers "$SPID1" 1 && pass "-c 1: one worker" || fail "-c 1 workers: $(workers "$SPID1")"
w1=$(workers "$SPID1")
for i in 1 2 3; do
  run as 4242 4343 env IPCEXECPATH="$S1" "$DO" nobody sh -c "echo seq$i" </dev/null
  check "-c 1: sequential request $i" "seq$i" "$OUT"
  run env IPCEXECPATH="$S1" IPCEXECUID=0 "$DO" -o nobody sh -c "echo r$i; echo e$i >&2" </dev/null
  check "-c 1: root after 4242 on the same worker sees no IPCERROUT ($i)" "r$i
e$i" "$OUT"
done
check "-c 1: requests ids $w1.1 to $w1.6" "$w1.1 $w1.2 $w1.3 $w1.4 $w1.5 $w1.6" \
  "$(grep -aoE '^ipcexec: ok .* req=[0-9.]+' "$T_TMP/log1" | sed 's/.* req=//' | tr '\n' ' ' | sed 's/ $//')"
stop "$SPID1"
check "-c 1: SIGTERM exit 0" 0 "$STOP_RC"

# --- -P: no peer ids, nobody to decide for
S2=$T_TMP/s2
"$EXECD" -P -c 1 "$S2" "$T_TMP/exec.cdb" 2>"$T_TMP/log2" &
SPID2=$!
T_PIDS="$T_PIDS $SPID2"
wait_for_socket "$S2" || fail "ipcexecd -P did not start"
run as 4242 4343 env IPCEXECPATH="$S2" "$DO" nobody sh -c 'echo ran' </dev/null
check "-P: request refused" "111 " "$RC $OUT"
wait_for 1 'refusing a request without peer ids' "$T_TMP/log2" && pass "-P: refusal logged" || fail "-P log: $(cat "$T_TMP/log2")"
stop "$SPID2"

# --- socket activation: the workers serve the inherited descriptor 3
if command -v systemd-socket-activate >/dev/null; then
  SA=$T_TMP/sa
  systemd-socket-activate -l "$SA" "$EXECD" -c 2 "$SA" "$T_TMP/exec.cdb" 2>"$T_TMP/salog" &
  SAPID=$!
  T_PIDS="$T_PIDS $SAPID"
  wait_for_socket "$SA" || fail "socket-activated ipcexecd: no socket"
  chmod 666 "$SA"
  run as 4242 4343 env IPCEXECPATH="$SA" "$DO" nobody sh -c 'echo activated' </dev/null
  check "socket activation: served on fd 3" "0 activated" "$RC $OUT"
  wait_workers "$SAPID" 2 && pass "socket activation: two workers" || fail "socket activation workers"
  stop "$SAPID"
  check "socket activation: SIGTERM exit 0" 0 "$STOP_RC"
fi


# --- -C: one user holding idle connections cannot occupy every worker
SC=$T_TMP/c.s
"$EXECD" -v -c 3 -C 1 "$SC" "$T_TMP/exec.cdb" 2>"$T_TMP/c.log" &
T_PIDS="$T_PIDS $!"
wait_for_socket "$SC" || fail "ipcexecd -C did not start"
# uid 4242 opens a connection and sends nothing: it holds a worker until
# the request deadline. The second one is made only once a worker has
# taken the first (its "pid ... from" line), however slow the machine.
(sleep 4 | setpriv --reuid=4242 --regid=4343 --clear-groups -- "$(prog ipcconnect)" "$SC" >/dev/null 2>&1) &
hold=$!
wait_for 1 '^ipcexecd: pid [0-9]+ from' "$T_TMP/c.log" || fail "-C 1: the first connection was not taken"
run setpriv --reuid=4242 --regid=4343 --clear-groups -- env IPCEXECPATH="$SC" "$DO" nobody sh -c 'echo second' </dev/null
check "-C 1: a second connection from the same uid is dropped" 111 "$RC"
grep -q "dropping connection, uid 4242 has 1 connections (limit 1)" "$T_TMP/c.log" && pass "-C drop is logged" || fail "-C drop log: $(cat "$T_TMP/c.log")"
run env IPCEXECPATH="$SC" "$DO" nobody sh -c 'echo root-served' </dev/null
check "-C 1: another user is still served" "root-served" "$OUT"
wait "$hold" 2>/dev/null

# --- ipcprint
crules '4242:allow,SEEN="yes",PROTO="spoofed"'
P=$T_TMP/p
"$PRINT" -c 1 -x "$T_TMP/conn.cdb" "$P" 2>"$T_TMP/plog" &
PPID1=$!
T_PIDS="$T_PIDS $PPID1"
wait_for_socket "$P" || fail "ipcprint did not start"
run as 4242 4343 "$CAT" "$P"
check "ipcprint: the UCSPI environment of a 4242 client, PROTO not the rule's" "PROTO=IPC
IPCLOCALPATH=$P
IPCREMOTEPATH=
IPCREMOTEEUID=4242
IPCREMOTEEGID=4343" "$(printf '%s\n' "$OUT" | head -5)"
check "ipcprint: the rule's PROTO is ignored with a warning" 'ipcprint: warning: ignoring PROTO from rule "4242": the server sets it' "$(grep -a PROTO "$T_TMP/plog")"
case $(printf '%s\n' "$OUT" | sed -n 6p) in
  IPCREMOTEPID=[1-9]*) pass "ipcprint: IPCREMOTEPID";;
  *) fail "ipcprint: IPCREMOTEPID: $OUT";;
esac
run as 4244 4345 "$CAT" "$P"
check "ipcprint: another uid on the same worker sees its own, unspoofed environment" "PROTO=IPC
IPCLOCALPATH=$P
IPCREMOTEPATH=
IPCREMOTEEUID=4244
IPCREMOTEEGID=4345" "$(printf '%s\n' "$OUT" | head -5)"
check "ipcprint: one worker served both" 1 "$(workers "$PPID1" | wc -l)"
stop "$PPID1"
check "ipcprint: SIGTERM exit 0" 0 "$STOP_RC"

P2=$T_TMP/p2
"$PRINT" -P -c 1 -l named "$P2" 2>/dev/null &
PPID2=$!
T_PIDS="$T_PIDS $PPID2"
wait_for_socket "$P2" || fail "ipcprint -P did not start"
run as 4242 4343 "$CAT" "$P2"
check "ipcprint -P: ids unset, -l names the local path" "PROTO=IPC
IPCLOCALPATH=named
IPCREMOTEPATH=
IPCREMOTEEUID=(unset)
IPCREMOTEEGID=(unset)
IPCREMOTEPID=(unset)" "$OUT"
stop "$PPID2"

# A client that hangs up early costs a failed write, not the worker. The
# worker is stopped while clients connect and go, so that it writes to
# connections whose other end is already closed.
P3=$T_TMP/p3
"$PRINT" -c 1 "$P3" 2>"$T_TMP/plog3" &
PPID3=$!
T_PIDS="$T_PIDS $PPID3"
wait_for_socket "$P3" || fail "ipcprint (hang-ups) did not start"
wait_workers "$PPID3" 1 || fail "ipcprint (hang-ups): no worker"
w3=$(workers "$PPID3")
kill -STOP "$w3"
for i in 1 2 3; do timeout 0.1 "$CAT" "$P3" >/dev/null 2>&1; done
kill -CONT "$w3"
sleep 0.3
check "early hang-ups: the worker survives" "$w3" "$(workers "$PPID3")"
check "early hang-ups: no worker replaced" "" "$(grep -a 'replacing it' "$T_TMP/plog3")"
check "early hang-ups: the worker still serves" "PROTO=IPC" "$("$CAT" "$P3" | head -1)"
stop "$PPID3"

# Back to back from four callers at once, each request in a fresh worker:
# a served worker is replaced at once, and the master's clean-up after it
# must never take the replacement's request for its own (which would log
# it as lost and kill its cgroup).
S4=$T_TMP/s4
"$EXECD" -c 2 "$S4" "$T_TMP/exec.cdb" 2>"$T_TMP/log4" &
SPID4=$!
T_PIDS="$T_PIDS $SPID4"
wait_for_socket "$S4" || fail "ipcexecd (back to back) did not start"
b2b=
for c in 1 2 3 4; do
  ( for i in $(seq 30); do
      as 4242 4343 env IPCEXECPATH="$S4" "$DO" nobody sh -c 'exit 0' </dev/null >/dev/null 2>&1 || echo "rc=$?"
    done ) >"$T_TMP/b2b.$c" &
  b2b="$b2b $!"
done
for p in $b2b; do wait "$p"; done
check "back to back: every request succeeds" "" "$(cat "$T_TMP"/b2b.*)"
stop "$SPID4"
check "back to back: 120 ended with status 0" 120 "$(grep -a -c -E '^ipcexec: end .* status=exit:0 ' "$T_TMP/log4")"
check "back to back: no request logged as lost" "" "$(grep -a 'status=lost' "$T_TMP/log4")"

# Under a sanitizer build, the servers' own reports land in their logs.
check "no sanitizer reports in the server logs" "" \
  "$(grep -aE 'Sanitizer|runtime error' "$T_TMP/log" "$T_TMP/log1" "$T_TMP/log2" "$T_TMP/plog" "$T_TMP/plog3" "$T_TMP/log4" 2>/dev/null)"

t_done
