#!/usr/bin/env bash
# IPCRECORD end to end: real brokers (ipcexecd, and ipcserver with
# ipcexec), real ipcdo as uid 4242 running commands as nobody. A recording
# must replay to the bytes the caller saw, stdout and stderr apart; the
# caller's output must be whole even when the recording is capped or the
# disk is full; a directory that is not root's alone refuses the request.
. "$E2E/lib.sh"
. "$E2E/exec-lib.sh"
need_root
setup_users
DO=$(prog ipcdo)
SERVER=$(prog ipcserver)
EXECD=$(prog ipcexecd)
REPLAY=$(prog ipcreplay)
need_ptydrive
chmod 755 "$T_TMP"
R=$T_TMP/rec
mkdir -m 700 "$R"
mkdir -m 770 "$T_TMP/gw"
mkdir -m 700 "$T_TMP/users" && chown 4242 "$T_TMP/users"
ln -s "$R" "$T_TMP/link"
mkdir -m 700 "$T_TMP/full"
mount -t tmpfs -o size=256k,mode=700 ipcrecord-test "$T_TMP/full" || fail "tmpfs for the full disk"
T_FULL=$T_TMP/full
trap 'umount "$T_FULL" 2>/dev/null; t_cleanup' EXIT

rules "4242,65534.sh:allow=\"/bin/sh\",IPCRECORD=\"$R\"
4242,65534.cap:allow=\"/bin/sh\",IPCRECORD=\"$R\",IPCRECORDMAX=\"1M\"
4242,65534.full:allow=\"/bin/sh\",IPCRECORD=\"$T_FULL\"
4242,65534.gw:allow=\"/bin/sh\",IPCRECORD=\"$T_TMP/gw\"
4242,65534.users:allow=\"/bin/sh\",IPCRECORD=\"$T_TMP/users\"
4242,65534.link:allow=\"/bin/sh\",IPCRECORD=\"$T_TMP/link\"
4242,65534.gone:allow=\"/bin/sh\",IPCRECORD=\"$T_TMP/nowhere\"
4242,65534.plain:allow=\"/bin/sh\""

# --- the rules compiler refuses what the broker would ---
for bad in 'rec' '/var/rec/' '/var/../rec' '/var/my rec'; do
  printf '4242,65534.x:allow="/bin/sh",IPCRECORD="%s"\n' "$bad" | "$IPCEXECRULES" "$T_TMP/x.cdb" "$T_TMP/x.tmp" 2>/dev/null &&
    fail "IPCRECORD=\"$bad\" compiled" || pass "IPCRECORD=\"$bad\" refused by ipcexecrules"
done
printf '4242,65534.x:allow="/bin/sh",IPCRECORD="/r",IPCRECORDMAX="100K"\n' |
  "$IPCEXECRULES" "$T_TMP/x.cdb" "$T_TMP/x.tmp" 2>/dev/null && fail "IPCRECORDMAX=100K compiled" ||
  pass "IPCRECORDMAX below 1M refused by ipcexecrules"

# last_end: the last end line of the log; rec_of LINE: its record=
last_end() { grep -a ' end ' "$LOG" | tail -1; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }
# do_as ARGS...: ipcdo as 4242 with stdin from /dev/null unless redirected
do_as() { as 4242 4343 env IPCEXECPATH="$S" "$DO" "$@"; }

broker_tests() {
  local mode=$1 out=$T_TMP/out err=$T_TMP/err line id n

  # --- pipes: stdout and stderr recorded apart, replayed to the same bytes ---
  do_as nobody sh -c 'seq 1 30000; seq 7 9 >&2; printf "no newline"; exit 5' </dev/null >"$out" 2>"$err"
  check "$mode: the exit status passes" 5 "$?"
  check "$mode: the caller's stdout is whole" "$(seq 1 30000; printf 'no newline')" "$(cat "$out")"
  check "$mode: the caller's stderr is whole" "$(seq 7 9)" "$(cat "$err")"
  wait_for 1 " end .*record=" "$LOG"
  line=$(last_end)
  id=$(field "$line" record)
  [ -n "$id" ] && [ -f "$R/$id" ] && pass "$mode: the end line names the recording ($id)" || fail "$mode: end line: $line"
  check "$mode: record_bytes is the file's size" "$(stat -c %s "$R/$id")" "$(field "$line" record_bytes)"
  grep -a " ok .*record=$id " "$LOG" >/dev/null && pass "$mode: the ok line names it too" || fail "$mode: no record= in the ok line"
  check "$mode: the file is root's, 0600" "root 600" "$(stat -c '%U %a' "$R/$id")"
  as 4242 4343 cat "$R/$id" >/dev/null 2>&1 && fail "$mode: the caller read the recording" || pass "$mode: the caller cannot read it"
  as 65534 65534 cat "$R/$id" >/dev/null 2>&1 && fail "$mode: the target read the recording" || pass "$mode: the target cannot read it"
  "$REPLAY" -s 0 "$R/$id" >"$T_TMP/rout" 2>"$T_TMP/rerr"
  cmp -s "$out" "$T_TMP/rout" && pass "$mode: stdout replays byte for byte" || fail "$mode: replayed stdout differs"
  cmp -s "$err" "$T_TMP/rerr" && pass "$mode: stderr replays byte for byte, apart" || fail "$mode: replayed stderr differs"
  line=$("$REPLAY" -l "$R" | grep -F "$id ")
  printf '%s\n' "$line" | grep -q "ipctest(4242) nobody(65534) exit:5 .*/bin/sh -c" &&
    pass "$mode: ipcreplay -l lists who, as whom, status and command" || fail "$mode: -l: $line"

  # --- stdin that is not a terminal is passed as it is ---
  printf 'in-data\n' >"$T_TMP/in"
  chmod 644 "$T_TMP/in"
  check "$mode: a redirected stdin reaches the command" "in-data" "$(do_as nobody sh -c 'cat' <"$T_TMP/in")"
  check "$mode: and stays the caller's own file" "$(stat -L -c %i "$T_TMP/in")" \
    "$(do_as nobody sh -c 'stat -L -c %i /proc/self/fd/0' <"$T_TMP/in")"

  # --- a reader that goes away: the command gets its SIGPIPE, as without a tap ---
  if timeout 20 bash -c '"$@" | head -n 1 >/dev/null' _ setpriv --reuid=4242 --regid=4343 --clear-groups -- env IPCEXECPATH="$S" "$DO" nobody sh -c 'yes' </dev/null; then
    pass "$mode: ipcdo sh -c yes | head -n 1 ends"
  else
    fail "$mode: a recorded command writing to a closed pipe did not end"
  fi

  # --- the cap: the caller gets everything, the recording what fits ---
  head -c 3000000 /dev/zero | tr '\0' 'x' >"$T_TMP/big"
  chmod 644 "$T_TMP/big"
  do_as nobody cap -c "cat $T_TMP/big; echo done" </dev/null >"$out" 2>"$err"
  check "$mode: capped: exit 0" 0 "$?"
  { cat "$T_TMP/big"; echo done; } | cmp -s - "$out" && pass "$mode: capped: the caller's output is whole" ||
    fail "$mode: capped: the caller lost output"
  wait_for 1 " end .*record_truncated=yes" "$LOG"
  line=$(last_end)
  id=$(field "$line" record)
  check "$mode: capped: the end line says truncated" yes "$(field "$line" record_truncated)"
  n=$(stat -c %s "$R/$id")
  [ "$n" -le 1048576 ] && [ "$n" -gt 1000000 ] && pass "$mode: capped: the file stops at the cap ($n bytes)" || fail "$mode: capped file is $n bytes"
  grep -a " record req=.* record=$id record_truncated=yes" "$LOG" >/dev/null &&
    pass "$mode: capped: logged when it happens" || fail "$mode: no record line for the cap"
  "$REPLAY" -s 0 "$R/$id" >"$T_TMP/rout" 2>/dev/null
  n=$(wc -c <"$T_TMP/rout")
  [ "$n" -gt 1000000 ] && cmp -s -n "$n" "$T_TMP/rout" "$T_TMP/big" && pass "$mode: capped: replays what fit ($n bytes)" ||
    fail "$mode: capped replay: $n bytes"
  "$REPLAY" -l "$R" | grep -F "$id " | grep -q truncated && pass "$mode: capped: -l says truncated" || fail "$mode: -l does not say truncated"

  # --- a full disk: logged, the command runs on, nothing hangs ---
  timeout 30 setpriv --reuid=4242 --regid=4343 --clear-groups -- env IPCEXECPATH="$S" "$DO" nobody full -c "cat $T_TMP/big; echo done" </dev/null >"$out" 2>"$err"
  check "$mode: full disk: exit 0, no hang" 0 "$?"
  { cat "$T_TMP/big"; echo done; } | cmp -s - "$out" && pass "$mode: full disk: the caller's output is whole" ||
    fail "$mode: full disk: the caller lost output"
  wait_for 1 " end .*record_error=" "$LOG"
  line=$(last_end)
  check "$mode: full disk: the end line has the error" 'No\x20space\x20left\x20on\x20device' "$(field "$line" record_error)"
  grep -a " record req=.*record_error=No" "$LOG" >/dev/null && pass "$mode: full disk: logged when it happens" || fail "$mode: no record line for ENOSPC"
  rm -f "$T_FULL"/*

  # --- refusals: fail closed, with the reason in the log ---
  local what reason
  for what in 'gw:record dir writable by group or others' 'users:record dir not owned by root' \
    'link:record dir has a symlink' 'gone:record dir not found'; do
    reason=${what#*:}
    what=${what%%:*}
    out=$(do_as nobody "$what" -c 'echo ran' </dev/null 2>/dev/null)
    check "$mode: $what: denied (exit 100)" 100 "$?"
    check "$mode: $what: nothing ran" "" "$out"
    wait_for 1 " deny 4242.4343,65534.$what .*reason=$(printf '%s' "$reason" | sed 's/ /\\\\x20/g')" "$LOG" &&
      pass "$mode: $what: the log says '$reason'" || fail "$mode: $what: no deny line with '$reason'"
  done
  [ -z "$(find "$T_TMP/gw" "$T_TMP/users" -mindepth 1)" ] && pass "$mode: nothing written into a refused dir" || fail "$mode: a refused dir got a file"

  # --- pty mode: both directions of the terminal and its size ---
  python3 "$DRIVE" --log "$T_TMP/screen" --rows 30 --cols 90 'expect=name\?' 'send=alice\r' 'expect=hello alice' \
    'resize=40,120' 'expect=size 40 120' wait -- \
    setpriv --reuid=4242 --regid=4343 --clear-groups -- env IPCEXECPATH="$S" "$DO" nobody sh -c \
    'printf "name? "; read n; echo "hello $n"; trap "echo size \$(stty size)" WINCH; sleep 2 & wait; sleep 0.2' 2>"$T_TMP/drive.err"
  check "$mode: pty: the session ran" 0 "$?"
  wait_for 1 " end 4242.4343,65534.sh .*pty" "$LOG" || true
  id=$(field "$(last_end)" record)
  "$REPLAY" -s 0 "$R/$id" | tr -d '\r' >"$T_TMP/rout"
  grep -qx 'hello alice' "$T_TMP/rout" && pass "$mode: pty: the terminal's output is recorded" || fail "$mode: pty replay: $(cat "$T_TMP/rout")"
  "$REPLAY" -i -s 0 "$R/$id" | tr -d '\r' | grep -q 'alice' && pass "$mode: pty: the input typed is recorded (-i)" ||
    fail "$mode: pty: no input in the recording"
  grep -qx 'size 40 120' "$T_TMP/rout" && pass "$mode: pty: the resized output is there" || fail "$mode: pty: no resize"
  "$REPLAY" -l "$R" | grep -F "$id " | grep -q "/dev/pts/\|nobody" && pass "$mode: pty: listed" || fail "$mode: pty: not listed"

  # --- ipcdo -T from a terminal: its terminal would go unrecorded: denied ---
  python3 "$DRIVE" --log "$T_TMP/screen" 'expect=denied' wait -- \
    setpriv --reuid=4242 --regid=4343 --clear-groups -- env IPCEXECPATH="$S" "$DO" -T nobody sh -c 'echo ran' 2>"$T_TMP/drive.err"
  grep -q ran "$T_TMP/screen" && fail "$mode: -T: the command ran unrecorded" || pass "$mode: -T with a terminal: denied"
  wait_for 1 "reason=a\\\\x20recorded\\\\x20session\\\\x20needs\\\\x20a\\\\x20pty" "$LOG" && pass "$mode: -T: the log says why" ||
    fail "$mode: -T: no reason in the log"

  # --- a rule without IPCRECORD passes descriptors as they are ---
  n=$(ls "$R" | wc -l)
  do_as nobody plain -c 'stat -L -c %i /proc/self/fd/1' </dev/null >"$T_TMP/o1" 2>/dev/null
  check "$mode: unrecorded: stdout is the caller's own file" "$(stat -c %i "$T_TMP/o1")" "$(cat "$T_TMP/o1")"
  check "$mode: unrecorded: no file" "$n" "$(ls "$R" | wc -l)"
}

# --- ipcexecd, the default broker ---
S=$T_TMP/s1
LOG=$T_TMP/log1
"$EXECD" "$S" "$T_TMP/exec.cdb" 2>"$LOG" &
T_PIDS="$T_PIDS $!"
wait_for_socket "$S" || fail "ipcexecd did not start"
broker_tests ipcexecd

# --- ipcserver + ipcexec, the compatible mode ---
S=$T_TMP/s2
LOG=$T_TMP/log2
"$SERVER" "$S" "$IPCEXEC" "$T_TMP/exec.cdb" 2>"$LOG" &
T_PIDS="$T_PIDS $!"
wait_for_socket "$S" || fail "ipcserver did not start"
broker_tests ipcserver

# --- the broker's cap (IPCRECORDMAX in its environment), and a rule's over it ---
S=$T_TMP/s3
LOG=$T_TMP/log3
env IPCRECORDMAX=2M "$EXECD" "$S" "$T_TMP/exec.cdb" 2>"$LOG" &
T_PIDS="$T_PIDS $!"
wait_for_socket "$S" || fail "ipcexecd with IPCRECORDMAX=2M did not start"
for what in 'sh:2097152' 'cap:1048576'; do
  cap=${what#*:}
  what=${what%%:*}
  do_as nobody "$what" -c "cat $T_TMP/big" </dev/null >"$T_TMP/out" 2>/dev/null
  check "broker cap 2M, rule $what: exit 0" 0 "$?"
  wait_for 1 " end 4242.4343,65534.$what .*record_truncated=yes" "$LOG" || true
  id=$(field "$(grep -a " end 4242.4343,65534.$what " "$LOG" | tail -1)" record)
  n=$(stat -c %s "$R/$id" 2>/dev/null || echo 0)
  [ "$n" -le "$cap" ] && [ "$n" -gt $((cap - 100000)) ] &&
    pass "broker cap 2M, rule $what: the recording stops at $cap ($n bytes)" || fail "broker cap 2M, rule $what: $n bytes"
done

# --- a 0.70 request (ipcexec as ipcserver runs it): stdin and stdout on one stream ---
rules "0,65534.sh:allow=\"/bin/sh\",IPCRECORD=\"$R\""
{ req 65534 sh -c 'cat; echo err >&2'; printf 'input-data\n'; } >"$T_TMP/req70"
env -i PATH=/usr/bin:/bin IPCREMOTEEUID=0 IPCREMOTEEGID=0 "$IPCEXEC" "$T_TMP/exec.cdb" <"$T_TMP/req70" >"$T_TMP/out70" 2>"$T_TMP/log70"
check "0.70: exit 0" 0 "$?"
check "0.70: the command's stdin and stdout" "$(printf 'input-data\nerr')" "$(cat "$T_TMP/out70")"
id=$(field "$(grep -a ' end ' "$T_TMP/log70")" record)
check "0.70: replays what it wrote" "$(printf 'input-data\nerr')" "$("$REPLAY" -s 0 "$R/$id" 2>&1)"
check "0.70: stdin is not recorded" "$(printf 'input-data\nerr')" "$("$REPLAY" -i -s 0 "$R/$id" 2>&1)"
t_done
