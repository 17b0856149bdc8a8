#!/usr/bin/env bash
# ipcserver end to end, as root: options, the environment its programs see,
# connection rules (live swaps included), id switching, the two concurrency
# limits, log lines, signals, zombies and socket activation.
. "$E2E/lib.sh"
need_root

SERVER=$(prog ipcserver)
CLIENT=$(prog ipcclient)
CAT=$(prog ipccat)
RULES=$(prog ipcrules)
cd "$T_TMP" || exit 1
A_UID=4242 A_GID=4343 B_UID=4243

# serve NAME ARGS...: ipcserver ARGS in the background, stderr in NAME.log,
# its pid in SPID; waits for the socket named by the first non-option
# argument's file (SOCK must be set by the caller).
serve() {
  local name=$1
  shift
  "$SERVER" "$@" 2>"$T_TMP/$name.log" &
  SPID=$!
  T_PIDS="$T_PIDS $SPID"
}

# stop PID: SIGTERM, then up to 5 s for it to go; sets STOP_RC.
stop() {
  local i=0
  kill -TERM "$1" 2>/dev/null
  while kill -0 "$1" 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
  if kill -0 "$1" 2>/dev/null; then kill -KILL "$1"; fi
  wait "$1" 2>/dev/null
  STOP_RC=$?
}


# The handlers, as files, so that the server's program is one argument.
cat >env.sh <<'EOF'
#!/bin/sh
env | grep -E '^(PROTO|IPC|LISTEN|SEEN|WHO)' | sort
EOF
cat >ids.sh <<'EOF'
#!/bin/sh
echo "$(id -u) $(id -g) $(id -G)"
EOF
cat >hold.sh <<'EOF'
#!/bin/sh
# Records how many handlers run at once, then holds the connection.
mkdir -p "$1"
touch "$1/$$"
ls "$1" | wc -l >>"$1.max"
sleep "$2"
rm -f "$1/$$"
EOF
chmod 755 env.sh ids.sh hold.sh

# A log without the lines of the start-up sweep (contain_sweep), which
# appear when another broker in this cgroup was killed outright before.
nosweep() {
  grep -v -E '^ipcserver: warning: (removed [0-9]+ cgroups left by supervisors that died|[0-9]+ processes left in ipcexec\.[0-9]+, whose supervisor is gone, killed)$'
}

# --- usage and numbers: every number is checked, none becomes 0
run "$SERVER"
check "no arguments: exit 100" 100 "$RC"
case $ERR in "ipcserver: usage: ipcserver "*) pass "usage message";; *) fail "usage message: $ERR";; esac
for bad in "-c x" "-c 0" "-c 01" "-c -1" "-c 65536" "-c 1x" "-b x" "-b -1" "-b 65536" "-C 0" "-C x" \
    "-u root" "-u -1" "-u 4294967295" "-u 01" "-g x" "-g 4294967295" "-g ''" "-z"; do
  eval "run \"\$SERVER\" $bad \"$T_TMP/never\" true"
  check "bad option $bad: exit 100" 100 "$RC"
done
check "bad options never bind" "" "$(ls never 2>/dev/null)"
run "$SERVER" "$T_TMP/never"
check "no program: exit 100" 100 "$RC"
run env -u UID -u GID "$SERVER" -U "$T_TMP/never" true
check "-U without \$UID/\$GID: exit 100" "100" "$RC"
check "-U message" "ipcserver: fatal: -U needs \$UID and \$GID set to numeric ids" "$ERR"
run env UID=root GID=0 "$SERVER" -U "$T_TMP/never" true
check "-U with a name in \$UID: exit 100" "100" "$RC"

# --- bind errors
LONG=$T_TMP/$(printf 'x%.0s' $(seq 1 120))
run "$SERVER" "$LONG" true
check "path too long: exit 111" 111 "$RC"
check "path too long: message" "ipcserver: fatal: unable to bind $LONG: File name too long" "$ERR"
run "$SERVER" "$T_TMP/no/such/dir/s" true
check "missing directory: exit 111" 111 "$RC"
check "missing directory: message names the path" "ipcserver: fatal: unable to bind $T_TMP/no/such/dir/s: No such file or directory" "$ERR"
: >"$T_TMP/file"
run "$SERVER" "$T_TMP/file" true
check "a regular file at path: refused" "111 ipcserver: fatal: unable to bind $T_TMP/file: Address already in use" "$RC $ERR"
check "a regular file at path: kept" "yes" "$([ -f "$T_TMP/file" ] && echo yes)"

# --- basic service, umask 0, environment as the client sees it
S=$T_TMP/env.s
(umask 077; exec "$SERVER" -v "$S" ./env.sh 2>"$T_TMP/env.log") &
SPID=$!
T_PIDS="$T_PIDS $SPID"
wait_for_socket "$S" || fail "env server did not start"
check "socket bound with umask 0" "srwxrwxrwx root" "$(stat -c '%A %U' "$S")"
OUT=$(as $A_UID $A_GID timeout 5 "$CLIENT" "$S" sh -c 'echo "mypid=$$"; cat <&6')
MYPID=$(printf '%s\n' "$OUT" | sed -n 's/^mypid=//p')
check "environment seen by the server's program" "IPCLOCALPATH=$S
IPCREMOTEEGID=$A_GID
IPCREMOTEEUID=$A_UID
IPCREMOTEGROUPS=$A_GID
IPCREMOTEPATH=
IPCREMOTEPID=$MYPID
PROTO=IPC" "$(printf '%s\n' "$OUT" | grep -v '^mypid=')"
check "IPCREMOTEPATH is set even when empty" "1" \
  "$(timeout 5 "$CAT" "$S" | grep -c '^IPCREMOTEPATH=$')"
OUT=$(timeout 5 "$CLIENT" -p "$T_TMP/cl.s" "$S" sh -c 'cat <&6' | grep IPCREMOTEPATH)
check "IPCREMOTEPATH from a bound client" "IPCREMOTEPATH=$T_TMP/cl.s" "$OUT"
timeout 5 "$CLIENT" -p "$T_TMP/we:i%rd" "$S" sh -c 'cat <&6 >/dev/null'
wait_for 4 '^ipcserver: end ' env.log
grep -q "^ipcserver: pid [0-9]* from $T_TMP/we?i?rd\$" env.log && pass "client path made log-safe" \
  || fail "client path made log-safe: $(grep 'pid' env.log | tail -1)"
grep -q "^ipcserver: ok [0-9]* $S $T_TMP/we?i?rd:0,0\$" env.log && pass "ok line made log-safe" \
  || fail "ok line made log-safe: $(grep ' ok ' env.log | tail -1)"

# --- the verbose log lines, exactly (but for what a server says at start
# when it removes the cgroups of a broker that was killed outright beside
# it, in the same cgroup: contain.sh checks those)
P=$(grep -m1 '^ipcserver: pid ' env.log | cut -d' ' -f3)
check "first log line" "ipcserver: status: 0/40" "$(nosweep <env.log | head -n 1)"
check "log lines of one connection" "ipcserver: pid $P from 
ipcserver: ok $P $S :$A_UID,$A_GID
ipcserver: end $P status 0" "$(grep -E "^ipcserver: (pid|ok|deny|end) $P( |\$)" env.log)"
check "status lines count up and down" "1" "$(grep -c '^ipcserver: status: 1/40$' env.log | awk '{print ($1 >= 4)}')"
check "last status line" "ipcserver: status: 0/40" "$(grep status: env.log | tail -n 1)"
stop "$SPID"
check "SIGTERM: exit 0" 0 "$STOP_RC"

# --- -l, -P, -B, -q/-Q; the server's own IPCREMOTE* and LISTEN_* never leak
S=$T_TMP/opts.s
IPCREMOTEEUID=999 IPCREMOTEPID=1 LISTEN_PID=1 LISTEN_FDS=1 serve opts -P -l named -B 'hello
' "$S" ./env.sh
wait_for_socket "$S" || fail "opts server did not start"
check "-P -l -B: banner then environment without remote ids" "hello
IPCLOCALPATH=named
IPCREMOTEPATH=
PROTO=IPC" "$(as $A_UID $A_GID timeout 5 "$CAT" "$S")"
stop "$SPID"
check "-Q (default) logs nothing on success" "" "$(nosweep <opts.log)"

# --- -D: a used path is an error; -d (default) replaces a stale socket
S=$T_TMP/opts.s
check "stale socket left behind" "yes" "$([ -S "$S" ] && echo yes)"
run "$SERVER" -D "$S" true
check "-D on a used path: exit 111" "111" "$RC"
check "-D on a used path: message" "ipcserver: fatal: unable to bind $S: Address already in use" "$ERR"
serve d -d -b 5 "$S" echo replaced
# The stale socket is already there, so wait_for_socket cannot tell when
# the new server is listening: retry the client until it is (5 s at most).
got=
for i in $(seq 100); do
  got=$(timeout 5 "$CAT" "$S" 2>/dev/null) && [ -n "$got" ] && break
  sleep 0.05
done
check "-d replaces the stale socket" "replaced" "$got"
stop "$SPID"

# --- the program's process state: descriptors, signals, mask
S=$T_TMP/state.s
# Started as make or ninja start their children: signals 32 and 33, which
# the C library reserves and sigaction cannot reach, ignored along with
# ordinary ones; the program must still see every disposition default.
(trap '' INT PIPE HUP; exec "$(prog sig-ignore)" 32 33 -- "$SERVER" "$S" sh -c 'ls /proc/self/fd | tr "\n" " "; grep -E "^Sig(Blk|Ign)" /proc/self/status' 2>state.log) &
SPID=$!
T_PIDS="$T_PIDS $SPID"
wait_for_socket "$S"
# ls sees its own directory on 3; anything more came from the server.
check "only 0 1 2 open, default signals, empty mask" "0 1 2 3 SigBlk:	0000000000000000
SigIgn:	0000000000000000" "$(timeout 5 "$CAT" "$S")"
stop "$SPID"

S=$T_TMP/noexec.s
serve noexec "$S" /nonexistent/prog
wait_for_socket "$S"
timeout 5 "$CAT" "$S"
wait_for 1 'unable to run' noexec.log
check "program that cannot run" "ipcserver: fatal: unable to run /nonexistent/prog: No such file or directory" "$(cat noexec.log)"
stop "$SPID"

# --- connection rules: deny, variables, precedence, live swap, missing cdb
printf '%s\n' "$A_UID:deny" "$B_UID.$A_GID:allow,SEEN=\"euid.egid\",WHO=/b/" "$B_UID:allow,SEEN=\"euid\"" \
  ':allow,SEEN="default"' | "$RULES" rules.cdb rules.tmp
S=$T_TMP/rules.s
serve rules -v -x rules.cdb "$S" ./env.sh
wait_for_socket "$S"
check "deny: connection closed, nothing run" "" "$(as $A_UID $A_GID timeout 5 "$CAT" "$S")"
wait_for 1 '^ipcserver: deny ' rules.log
DP=$(sed -n 's/^ipcserver: deny \([0-9]*\) .*/\1/p' rules.log)
check "deny log line" "ipcserver: deny $DP $S :$A_UID,$A_GID" "$(grep '^ipcserver: deny' rules.log)"
wait_for 1 "^ipcserver: end $DP " rules.log
check "deny: child exits 100" "ipcserver: end $DP status 25600" "$(grep "^ipcserver: end $DP " rules.log)"
check "allow with variables (EUID.EGID first)" "IPCLOCALPATH=$S
IPCREMOTEEGID=$A_GID
IPCREMOTEEUID=$B_UID
IPCREMOTEGROUPS=$A_GID
IPCREMOTEPATH=
PROTO=IPC
SEEN=euid.egid
WHO=b" "$(as $B_UID $A_GID timeout 5 "$CAT" "$S" | grep -v IPCREMOTEPID)"
check "EUID rule" "SEEN=euid" "$(as $B_UID 1 timeout 5 "$CAT" "$S" | grep SEEN)"
check "empty-key rule" "SEEN=default" "$(as 4244 1 timeout 5 "$CAT" "$S" | grep SEEN)"

printf '%s\n' "$A_UID:allow,SEEN=+swapped+" | "$RULES" rules.cdb rules.tmp
check "rules swapped while running" "SEEN=swapped" "$(as $A_UID $A_GID timeout 5 "$CAT" "$S" | grep SEEN)"
check "swapped rules: no key for the other user, allowed" "" "$(as $B_UID 1 timeout 5 "$CAT" "$S" | grep SEEN)"
printf '%s\n' ":deny" | "$RULES" rules.cdb rules.tmp
check "swapped to deny-all" "" "$(as $B_UID 1 timeout 5 "$CAT" "$S")"

rm -f rules.cdb
: >rules.log
check "missing cdb: dropped" "" "$(timeout 5 "$CAT" "$S")"
wait_for 1 'dropping' rules.log
check "missing cdb: warning" "ipcserver: warning: dropping connection, unable to read rules.cdb: No such file or directory" \
  "$(grep -a warning rules.log)"
stop "$SPID"
printf 'not a cdb' >bad.cdb
S=$T_TMP/bad.s
serve bad -x bad.cdb "$S" ./env.sh
wait_for_socket "$S"
check "malformed cdb: dropped" "" "$(timeout 5 "$CAT" "$S")"
wait_for 1 'dropping' bad.log
check "malformed cdb: warning" "ipcserver: warning: dropping connection, unable to read bad.cdb: malformed rules" "$(cat bad.log)"
stop "$SPID"
S=$T_TMP/x.s
serve x -X -x rules.cdb "$S" ./env.sh
wait_for_socket "$S"
check "missing cdb with -X: allowed" "PROTO=IPC" "$(timeout 5 "$CAT" "$S" | grep PROTO)"
stop "$SPID"
S=$T_TMP/q.s
serve q -q -x rules.cdb "$S" ./env.sh
wait_for_socket "$S"
timeout 5 "$CAT" "$S"
stop "$SPID"
check "-q: no warning for a dropped connection" "" "$(cat q.log)"
printf '%s\n' ':deny' | "$RULES" rules.cdb rules.tmp
S=$T_TMP/p.s
serve p -P -x rules.cdb "$S" ./env.sh
wait_for_socket "$S"
printf '%s\n' '0.0:allow,SEEN="server-ids"' ':deny' | "$RULES" rules.cdb rules.tmp
check "-P: rules use the server's own ids" "SEEN=server-ids" "$(as $A_UID $A_GID timeout 5 "$CAT" "$S" | grep SEEN)"
stop "$SPID"

# --- -u / -g / -U really switch, after binding
S=$T_TMP/ids.s
serve ids -u $A_UID -g $A_GID "$S" ./ids.sh
wait_for_socket "$S"
check "-u -g: handler ids" "$A_UID $A_GID $A_GID" "$(timeout 5 "$CAT" "$S")"
check "-u -g: bound before switching" "root" "$(stat -c %U "$S")"
check "-u -g: the server itself switched" "$A_UID $A_UID $A_UID $A_UID" "$(awk '/^Uid:/ {print $2, $3, $4, $5}' /proc/$SPID/status)"
stop "$SPID"
S=$T_TMP/ids2.s
serve ids -u $A_UID "$S" ./ids.sh
wait_for_socket "$S"
check "-u alone: gid kept, root's groups gone" "$A_UID 0 0" "$(timeout 5 "$CAT" "$S")"
stop "$SPID"
S=$T_TMP/ids3.s
setpriv --groups 5,6 -- "$SERVER" -g 0 "$S" ./ids.sh 2>ids.log &
SPID=$!
T_PIDS="$T_PIDS $SPID"
wait_for_socket "$S"
check "-g 0 on purpose: groups reset to 0 only" "0 0 0" "$(timeout 5 "$CAT" "$S")"
stop "$SPID"
S=$T_TMP/ids4.s
env UID=$A_UID GID=$A_GID "$SERVER" -U "$S" ./ids.sh 2>ids.log &
SPID=$!
T_PIDS="$T_PIDS $SPID"
wait_for_socket "$S"
check "-U takes \$UID and \$GID" "$A_UID $A_GID $A_GID" "$(timeout 5 "$CAT" "$S")"
stop "$SPID"
mkdir -m 777 "$T_TMP/u"
run as $A_UID $A_GID "$SERVER" -u 0 "$T_TMP/u/s" true
check "unprivileged -u 0: refused" "111" "$RC"
check "unprivileged -u 0: message" "ipcserver: fatal: unable to setresuid: Operation not permitted" "$ERR"
run as $A_UID $A_GID "$SERVER" -g 0 "$T_TMP/u/s" true
check "unprivileged -g 0: message" "ipcserver: fatal: unable to setgroups: Operation not permitted" "$ERR"

# --- -c: at most n at once, the rest deferred, no busy loop while full
S=$T_TMP/c.s
serve c -c 2 "$S" ./hold.sh "$T_TMP/conc" 0.4
wait_for_socket "$S"
CPIDS=
for i in 1 2 3 4 5 6; do
  timeout 10 "$CAT" "$S" &
  CPIDS="$CPIDS $!"
done
START=$(date +%s%N)
for p in $CPIDS; do wait "$p"; done
ELAPSED=$((($(date +%s%N) - START) / 1000000))
check "-c 2: all six served" "6" "$(wc -l <conc.max | tr -d ' ')"
check "-c 2: never more than two at once" "2" "$(sort -n conc.max | tail -n 1)"
[ "$ELAPSED" -ge 1100 ] && pass "-c 2: six 0.4 s handlers took three rounds (${ELAPSED} ms)" \
  || fail "-c 2: too fast for the limit (${ELAPSED} ms)"
stop "$SPID"

S=$T_TMP/c1.s
serve c1 -c 1 "$S" sleep 1.5
wait_for_socket "$S"
timeout 5 "$CAT" "$S" &
H1=$!
sleep 0.2
timeout 5 "$CAT" "$S" &
H2=$!
T0=$(awk '{print $14 + $15}' /proc/$SPID/stat)
sleep 1
T1=$(awk '{print $14 + $15}' /proc/$SPID/stat)
[ $((T1 - T0)) -le 5 ] && pass "-c 1 at the limit: server sleeps ($((T1 - T0)) ticks in 1 s)" \
  || fail "-c 1 at the limit: busy ($((T1 - T0)) ticks in 1 s)"
wait $H1 $H2
stop "$SPID"

# --- -C: one user's connections cannot starve another
S=$T_TMP/peruid.s
serve peruid -C 2 -c 10 "$S" sh -c 'echo hi; exec cat >/dev/null 2>&1'
mkdir -m 777 held.d
wait_for_socket "$S"
HOLD=
for i in 1 2; do
  as $A_UID $A_GID timeout 5 "$CLIENT" "$S" sh -c 'head -n 1 <&6 >>"$0"; sleep 3' "$T_TMP/held.d/held" &
  HOLD="$HOLD $!"
done
i=0
while [ "$(cat held.d/held 2>/dev/null | wc -l)" -lt 2 ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
check "-C 2: user A holds two connections" "2" "$(cat held.d/held 2>/dev/null | wc -l)"
T0=$(date +%s%N)
OUT=$(as $A_UID $A_GID timeout 5 "$CAT" "$S")
check "-C 2: A's third connection dropped" "" "$OUT"
[ $((($(date +%s%N) - T0) / 1000000)) -lt 1000 ] && pass "-C 2: dropped at once" || fail "-C 2: drop was slow"
check "-C 2: log line" "ipcserver: warning: dropping connection, uid $A_UID has 2 connections (limit 2)" "$(grep -a warning peruid.log)"
check "-C 2: user B still served" "hi" "$(as $B_UID $A_GID timeout 5 "$CLIENT" "$S" sh -c 'head -n 1 <&6')"
for p in $HOLD; do kill "$p" 2>/dev/null; done
wait $HOLD 2>/dev/null
stop "$SPID"

# --- no zombies after many connections
S=$T_TMP/z.s
serve z -v -c 5 "$S" true
wait_for_socket "$S"
for i in $(seq 1 60); do timeout 5 "$CAT" "$S"; done
wait_for 60 '^ipcserver: end ' z.log
zombies() {
  local n=0 p
  for p in /proc/[0-9]*; do
    [ "$(awk '{print $4}' "$p/stat" 2>/dev/null)" = "$SPID" ] || continue
    [ "$(awk '{print $3}' "$p/stat" 2>/dev/null)" = Z ] && n=$((n + 1))
  done
  echo $n
}
check "60 connections: 60 end lines" "60" "$(grep -c '^ipcserver: end ' z.log)"
check "60 connections: no zombie children" "0" "$(zombies)"
check "60 connections: back to 0/5" "ipcserver: status: 0/5" "$(grep status: z.log | tail -n 1)"
stop "$SPID"
check "SIGTERM after load: exit 0" 0 "$STOP_RC"

# --- socket activation
A=$T_TMP/act.s
systemd-socket-activate -l "$A" "$SERVER" -v "$T_TMP/act-name" ./env.sh 2>act.log &
SPID=$!
T_PIDS="$T_PIDS $SPID"
wait_for_socket "$A"
check "activated: serves fd 3, path names IPCLOCALPATH, no LISTEN_*" "IPCLOCALPATH=$T_TMP/act-name
IPCREMOTEEGID=0
IPCREMOTEEUID=0
IPCREMOTEGROUPS=$(t_groups)
IPCREMOTEPATH=
PROTO=IPC" "$(timeout 5 "$CAT" "$A" | grep -v IPCREMOTEPID)"
check "activated: path not bound" "absent" "$([ -e "$T_TMP/act-name" ] && echo present || echo absent)"
check "activated: second connection" "PROTO=IPC" "$(timeout 5 "$CAT" "$A" | grep PROTO)"
stop "$SPID"
LISTEN_PID=1 LISTEN_FDS=1 serve other "$T_TMP/other.s" true
wait_for_socket "$T_TMP/other.s" && pass "LISTEN_PID of another process: binds path itself" \
  || fail "LISTEN_PID of another process: binds path itself"
stop "$SPID"
run sh -c 'exec 3</dev/null; export LISTEN_PID=$$ LISTEN_FDS=1; exec "$0" "$1" true' "$SERVER" "$T_TMP/x.s"
check "LISTEN_FDS=1 but fd 3 is not a socket" "111 ipcserver: fatal: unable to use socket activation: fd 3 is not a listening local socket" "$RC $ERR"
run sh -c 'export LISTEN_PID=$$ LISTEN_FDS=2; exec "$0" "$1" true' "$SERVER" "$T_TMP/x.s"
check "LISTEN_FDS=2 refused" "111 ipcserver: fatal: unable to use socket activation: LISTEN_FDS must be 1" "$RC $ERR"

t_done
