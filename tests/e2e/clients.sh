#!/usr/bin/env bash
# The clients end to end: ipcclient, ipccat, ipcconnect, and the exec
# clients ipccommand, ipcdo and ipcrun against fake brokers that show the
# request bytes they receive.
. "$E2E/lib.sh"
need_root

SERVER=$(prog ipcserver)
CLIENT=$(prog ipcclient)
CAT=$(prog ipccat)
CONNECT=$(prog ipcconnect)
COMMAND=$(prog ipccommand)
DO=$(prog ipcdo)
RUN=$(prog ipcrun)
cd "$T_TMP" || exit 1

# serve NAME SOCKET PROG...: a server in the background, stderr in NAME.log.
serve() {
  local name=$1 sock=$2
  shift 2
  "$SERVER" "$sock" "$@" 2>"$T_TMP/$name.log" &
  T_PIDS="$T_PIDS $!"
  wait_for_socket "$sock" || fail "server $name did not start"
}

# bytes STRING: od -c of printf STRING, as the fake broker prints requests.
bytes() {
  printf "$1" | od -c
}

serve echo "$T_TMP/echo.s" cat
serve line "$T_TMP/line.s" head -n 1
serve env "$T_TMP/env.s" sh -c 'env | grep -E "^(PROTO|IPC)" | sort'
serve hello "$T_TMP/hello.s" echo world
"$SERVER" -B 'hello
' "$T_TMP/banner.s" echo world 2>banner.log &
T_PIDS="$T_PIDS $!"
wait_for_socket "$T_TMP/banner.s"
# The fake broker: shows the bytes it got, request and stdin, until EOF.
serve od "$T_TMP/od.s" od -c
# Skips a 0.70 request for "65534 cat" (19 bytes) and echoes the rest.
serve skip "$T_TMP/skip.s" sh -c 'dd bs=1 count=19 of=/dev/null 2>/dev/null; exec cat'

# --- ipcclient
run "$CLIENT"
check "ipcclient: no arguments" "100" "$RC"
case $ERR in "ipcclient: usage: ipcclient "*) pass "ipcclient: usage message";; *) fail "ipcclient usage: $ERR";; esac
run "$CLIENT" "$T_TMP/echo.s"
check "ipcclient: no program" "100" "$RC"
run "$CLIENT" -z "$T_TMP/echo.s" true
check "ipcclient: unknown option" "100" "$RC"
run "$CLIENT" "$T_TMP/absent.s" true
check "ipcclient: no server" "111 ipcclient: fatal: unable to connect to $T_TMP/absent.s: No such file or directory" "$RC $ERR"
run "$CLIENT" -q "$T_TMP/absent.s" true
check "ipcclient -q: no message" "111 " "$RC $ERR"
LONG=$T_TMP/$(printf 'x%.0s' $(seq 1 120))
run "$CLIENT" "$LONG" true
check "ipcclient: path too long" "111 ipcclient: fatal: unable to connect to $LONG: File name too long" "$RC $ERR"
run "$CLIENT" /nonexistent-dir/s true
check "ipcclient: connect error exit" "111" "$RC"
run "$CLIENT" -v "$T_TMP/hello.s" sh -c 'cat <&6'
check "ipcclient -v: message" "ipcclient: connected to $T_TMP/hello.s" "$ERR"
check "ipcclient: fd 6 reads the server" "world" "$OUT"
run timeout 5 "$CLIENT" "$T_TMP/line.s" sh -c 'echo ping >&7; cat <&6'
check "ipcclient: fd 7 writes to the server" "0 ping" "$RC $OUT"
run "$CLIENT" "$T_TMP/hello.s" "$T_TMP/nonexistent-prog"
check "ipcclient: program that cannot run" "111 ipcclient: fatal: unable to run $T_TMP/nonexistent-prog: No such file or directory" "$RC $ERR"

# Descriptors the test runner passed down are not ours to judge; the
# socket must be on 6 and 7 and nowhere else.
run timeout 5 "$CLIENT" "$T_TMP/hello.s" sh -c 'env | grep -E "^(PROTO|IPC)" | sort
for f in /proc/$$/fd/*; do l=$(readlink "$f"); case $l in socket:*) echo "${f##*/} $l";; esac; done'
SOCK6=$(printf '%s\n' "$OUT" | sed -n 's/^6 //p')
check "ipcclient: environment and descriptors of the program" "IPCLOCALPATH=
PROTO=IPC
6 $SOCK6
7 $SOCK6" "$OUT"
run timeout 5 "$CLIENT" -p "$T_TMP/mine.s" "$T_TMP/env.s" sh -c 'echo "$IPCLOCALPATH"; cat <&6'
check "ipcclient -p: local path on both sides" "$T_TMP/mine.s
IPCLOCALPATH=$T_TMP/env.s
IPCREMOTEEGID=0
IPCREMOTEEUID=0
IPCREMOTEGROUPS=$(t_groups)
IPCREMOTEPATH=$T_TMP/mine.s" "$(printf '%s\n' "$OUT" | grep -v -E 'IPCREMOTEPID|PROTO')"
# A client never deletes a file it was only told to bind: 0.70 refuses.
# (a mode no bind makes marks the original file)
ino() { stat -c '%i %a %F' "$1"; }
chmod 701 "$T_TMP/mine.s"
INO=$(ino "$T_TMP/mine.s")
run timeout 5 "$CLIENT" -p "$T_TMP/mine.s" "$T_TMP/env.s" true
check "ipcclient -p: an existing socket is refused, not replaced" \
  "111 ipcclient: fatal: unable to bind: Address already in use" "$RC $ERR"
check "ipcclient -p: the existing socket is still there" "$INO" "$(ino "$T_TMP/mine.s")"
run timeout 5 "$CLIENT" -q -p "$T_TMP/mine.s" "$T_TMP/env.s" true
check "ipcclient -q -p: refused without a message" "111 " "$RC $ERR"
echo keep >"$T_TMP/plain"
run timeout 5 "$CLIENT" -p "$T_TMP/plain" "$T_TMP/env.s" true
check "ipcclient -p: an existing file is refused and kept" \
  "111 ipcclient: fatal: unable to bind: Address already in use keep" "$RC $ERR $(cat "$T_TMP/plain")"
run timeout 5 "$CLIENT" -l label "$T_TMP/hello.s" sh -c 'echo "$IPCLOCALPATH"'
check "ipcclient -l" "label" "$OUT"
run timeout 5 env IPCLOCALPATH=stale PROTO=x "$CLIENT" "$T_TMP/hello.s" sh -c 'echo "$PROTO [$IPCLOCALPATH]"'
check "ipcclient: overrides inherited values" "IPC []" "$OUT"
as 4242 4343 timeout 5 "$CLIENT" "$T_TMP/env.s" sh -c 'cat <&6' >as.out
check "ipcclient as another user: the server sees its ids" "IPCREMOTEEGID=4343
IPCREMOTEEUID=4242" "$(grep -E 'EUID|EGID' as.out)"

# --- ipcconnect
run_in 'x
' timeout 5 "$CONNECT" "$T_TMP/echo.s"
check "ipcconnect: echo x returns x and exits" "0 x" "$RC $OUT"
head -c 3000000 /dev/urandom >big
timeout 20 "$CONNECT" "$T_TMP/echo.s" <big >big.out
check "ipcconnect: 3 MB both ways at once, unchanged" "0 $(md5sum <big)" "$? $(md5sum <big.out)"
START=$(date +%s%N)
run timeout 5 "$CONNECT" "$T_TMP/hello.s" < <(sleep 3)
ELAPSED=$((($(date +%s%N) - START) / 1000000))
check "ipcconnect: ends when the server closes" "0 world" "$RC $OUT"
[ $ELAPSED -lt 2000 ] && pass "ipcconnect: did not wait for stdin (${ELAPSED} ms)" || fail "ipcconnect waited for stdin (${ELAPSED} ms)"
run_in '' timeout 5 "$CONNECT" "$T_TMP/od.s"
check "ipcconnect: empty stdin is an immediate EOF" "0 0000000" "$RC $OUT"
run "$CONNECT"
check "ipcconnect: usage" "100 ipcconnect: usage: ipcconnect path" "$RC $ERR"
run "$CONNECT" "$T_TMP/absent.s"
check "ipcconnect: no server" "111 ipcconnect: fatal: unable to connect to $T_TMP/absent.s: No such file or directory" "$RC $ERR"
run sh -c 'echo x | "$0" "$1" >/dev/full' "$CONNECT" "$T_TMP/hello.s"
check "ipcconnect: output error" "111 ipcconnect: fatal: unable to write output: No space left on device" "$RC $ERR"

# --- ipccat
run timeout 5 "$CAT" "$T_TMP/banner.s"
check "ipccat: banner then output" "0 hello
world" "$RC $OUT"
run "$CAT"
check "ipccat: usage" "100 ipccat: usage: ipccat path" "$RC $ERR"
run "$CAT" "$T_TMP/absent.s"
check "ipccat: no server" "111 ipccat: fatal: unable to connect to $T_TMP/absent.s: No such file or directory" "$RC $ERR"
run_in 'never sent' timeout 5 "$CAT" "$T_TMP/line.s"
check "ipccat: sends nothing, keeps the write side open" "124 " "$RC $OUT"

# --- ipccommand: the exact 0.70 request bytes, then stdin, then EOF
run timeout 5 "$CLIENT" "$T_TMP/od.s" "$COMMAND" 0 echo hereur </dev/null
check "ipccommand 0 echo hereur: request bytes" "$(bytes '1:0,1:2,12:echo\0hereur\0,')" "$OUT"
check "ipccommand: exit 0" "0" "$RC"
run_in 'data
' timeout 5 "$CLIENT" "$T_TMP/od.s" "$COMMAND" 65534 cat
check "ipccommand: stdin follows the request" "$(bytes '5:65534,1:1,4:cat\0,data\n')" "$OUT"
run_in 'data
' timeout 5 "$CLIENT" "$T_TMP/skip.s" "$COMMAND" 65534 cat
check "echo data | ipcclient S ipccommand 65534 cat" "0 data" "$RC $OUT"
run timeout 5 "$CLIENT" "$T_TMP/od.s" "$COMMAND" 4294967294 'a b' '' c </dev/null
check "ipccommand: spaces and empty arguments kept" "$(bytes '10:4294967294,1:3,7:a b\0\0c\0,')" "$OUT"
for bad in root 01 -1 ' 0' 4294967295 ''; do
  run "$COMMAND" "$bad" x
  check "ipccommand uid '$bad': usage" "100 ipccommand: usage: ipccommand uid prog" "$RC $ERR"
done
run "$COMMAND" 0
check "ipccommand: no program" "100" "$RC"
run "$COMMAND" 0 ''
check "ipccommand: empty program" "100" "$RC"
run "$COMMAND" 0 true
check "ipccommand: not under ipcclient" "111 ipccommand: fatal: unable to write to server: Bad file descriptor" "$RC $ERR"
run "$CLIENT" "$T_TMP/od.s" "$COMMAND" 0 $(seq 1 4096) </dev/null
check "ipccommand: 4096 arguments (minus argv[0]) fit" "0" "$RC"
run "$CLIENT" "$T_TMP/od.s" "$COMMAND" 0 x $(seq 1 4096) </dev/null
check "ipccommand: over the argument limit" "100 ipccommand: fatal: too many arguments" "$RC $ERR"

# --- ipcdo and ipcrun against a fake broker named by $IPCEXECPATH
export IPCEXECPATH=$T_TMP/od.s
run timeout 5 "$DO" -o nobody echo hi </dev/null
check "ipcdo by name" "0 $(bytes '5:65534,1:2,8:echo\0hi\0,')" "$RC $OUT"
run timeout 5 "$DO" -o 4242 id </dev/null
check "ipcdo by number (no passwd entry needed)" "$(bytes '4:4242,1:1,3:id\0,')" "$OUT"
run timeout 5 "$DO" -o 99999 id </dev/null
check "ipcdo by a number nobody has" "$(bytes '5:99999,1:1,3:id\0,')" "$OUT"
run timeout 5 "$DO" -o root id </dev/null
check "ipcdo root" "$(bytes '1:0,1:1,3:id\0,')" "$OUT"
N0=$(grep -c . od.log)
run timeout 5 "$DO" -o no-such-user-here id
check "ipcdo unknown user" "100 ipcdo: fatal: unknown user: no-such-user-here" "$RC $ERR"
run timeout 5 "$DO" -o 0123 id
check "ipcdo non-canonical number is a name, unknown" "100 ipcdo: fatal: unknown user: 0123" "$RC $ERR"
run timeout 5 "$DO" -o -1 id
check "ipcdo -1 is unknown" "100" "$RC"
check "unknown users never reached the broker" "$N0" "$(grep -c . od.log)"
run_in 'in
' timeout 5 "$DO" -o nobody cat
check "ipcdo: stdin after the request, then EOF" "$(bytes '5:65534,1:1,4:cat\0,in\n')" "$OUT"
run_in 'relayed
' timeout 5 env IPCEXECPATH="$T_TMP/skip.s" "$DO" -o nobody cat
check "ipcdo: relays the answer" "0 relayed" "$RC $OUT"
run "$DO" nobody
check "ipcdo: usage" "100 ipcdo: usage: ipcdo [ -hnostT ] [ -u user | user ] prog [ arg ... ]" "$RC $ERR"
run "$DO"
check "ipcdo: no arguments" "100" "$RC"
run env IPCEXECPATH="$T_TMP/absent.s" "$DO" nobody id
check "ipcdo: no broker" "111 ipcdo: fatal: unable to connect to $T_TMP/absent.s: No such file or directory" "$RC $ERR"
DEFAULT=$(sed -n 's/^#define IPCEXEC_PATH "\(.*\)"$/\1/p' "$BUILD/config.h")
if [ -n "$DEFAULT" ] && [ ! -e "$DEFAULT" ]; then
  run env -u IPCEXECPATH "$DO" nobody id
  check "ipcdo: default socket from the build" "111 ipcdo: fatal: unable to connect to $DEFAULT: No such file or directory" "$RC $ERR"
  run env IPCEXECPATH= "$RUN" id
  check "ipcrun: empty \$IPCEXECPATH means the default" "111 ipcrun: fatal: unable to connect to $DEFAULT: No such file or directory" "$RC $ERR"
else
  pass "ipcdo: default socket $DEFAULT exists here, not probed"
fi

run timeout 5 "$RUN" -o echo x </dev/null
check "ipcrun = ipcdo root" "0 $(bytes '1:0,1:2,7:echo\0x\0,')" "$RC $OUT"
run "$RUN"
check "ipcrun: usage" "100 ipcrun: usage: ipcrun [ -hnostT ] prog [ arg ... ]" "$RC $ERR"
run "$RUN" ''
check "ipcrun: empty program" "100" "$RC"

t_done
