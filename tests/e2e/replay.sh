#!/usr/bin/env bash
# Session recordings: written by the broker's writer (through the
# record-write test program), played back byte for byte by ipcreplay,
# listed with every field escaped, and any malformed file refused with the
# offset where it goes wrong.
. "$E2E/lib.sh"
need_root
REPLAY=$(prog ipcreplay)
WRITE=$(prog record-write)
R=$T_TMP/rec
mkdir -m 700 "$R"

# --- a session played back exactly ---
head -c 50000 /dev/urandom >"$T_TMP/in"
printf '\033[1mbold\033[0m\n' >"$T_TMP/ttyout"
cat "$T_TMP/in" "$T_TMP/ttyout" >"$T_TMP/want"
run "$WRITE" -t -x 512 -e "$(printf 'warn: x\n\033[31mred')" -n "$(printf 'al\033]0;x\007ice')" \
  "$R" 1000.1 sh -c "$(printf 'echo a\nb')" <"$T_TMP/in"
check "record-write: exit 0" 0 "$RC"
"$REPLAY" -s 0 "$R/1000.1" >"$T_TMP/out" 2>"$T_TMP/err"
check "ipcreplay -s 0: exit 0" 0 "$?"
if cmp -s "$T_TMP/want" "$T_TMP/out"; then pass "stdout and terminal output replayed byte for byte"
else fail "replayed output differs: $(cmp "$T_TMP/want" "$T_TMP/out" 2>&1)"; fi
check "stderr replayed as recorded, escapes kept" "$(printf 'warn: x\n\033[31mred')" "$(cat "$T_TMP/err")"
"$REPLAY" -i -s 0 "$R/1000.1" >"$T_TMP/out" 2>/dev/null
{ cat "$T_TMP/in"; printf q; cat "$T_TMP/ttyout"; } >"$T_TMP/want-i"
if cmp -s "$T_TMP/want-i" "$T_TMP/out"; then pass "-i: the input in its place"
else fail "-i output differs"; fi
run "$REPLAY" -s 0 -m 0.5 "$T_TMP/../$(basename "$T_TMP")/rec/1000.1"
check "a path through .. is fine on the command line" 0 "$RC"

# --- timing: the recorded gaps, divided by -s, capped by -m ---
{ printf 'one\n'; sleep 0.4; printf 'two\n'; } | "$WRITE" -d 0 "$R/" 1000.2 >/dev/null
elapsed() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
ms=$(elapsed "$REPLAY" "$R/1000.2")
[ "$ms" -ge 350 ] && pass "the recorded pause is kept (${ms} ms)" || fail "the pause was not kept: ${ms} ms"
ms=$(elapsed "$REPLAY" -s 2 "$R/1000.2")
[ "$ms" -ge 170 ] && pass "-s 2 halves it (${ms} ms)" || fail "-s 2: ${ms} ms"
ms=$(elapsed "$REPLAY" -m 0.05 "$R/1000.2")
[ "$ms" -lt 300 ] && pass "-m 0.05 caps the pause (${ms} ms)" || fail "-m 0.05: ${ms} ms"
check "the output of a timed replay" "$(printf 'one\ntwo')" "$("$REPLAY" -m 0 "$R/1000.2")"

# --- status, truncation, running, cut short ---
printf 'x\n' | "$WRITE" -x 9 "$R" 1000.3 kill-me >/dev/null
head -c 5000 /dev/zero | "$WRITE" -c 600 "$R" 1000.4 cat >/dev/null
"$REPLAY" -s 0 "$R/1000.4" >"$T_TMP/out"
n=$(wc -c <"$T_TMP/out")
[ "$n" -gt 0 ] && [ "$n" -lt 600 ] && cmp -s -n "$n" "$T_TMP/out" /dev/zero &&
  pass "a capped recording replays what fit ($n bytes)" || fail "capped replay: $n bytes"
printf 'busy\n' | "$WRITE" -w 30 "$R" 1000.5 sleep 30 >/dev/null &
busy=$!
T_PIDS="$T_PIDS $busy"
i=0
while [ ! -s "$R/1000.5" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
sleep 0.1
run "$REPLAY" -l "$R"
check "ipcreplay -l: exit 0" 0 "$RC"
check "ipcreplay -l: one line per recording" 5 "$(printf '%s\n' "$OUT" | wc -l)"
check "ipcreplay -l: nothing on stderr" "" "$ERR"
line1=$(printf '%s\n' "$OUT" | grep '^1000\.1 ')
re='^1000\.1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z '
[[ $line1 =~ $re ]] && pass "-l: id and start time in ISO 8601 UTC" || fail "-l: $line1"
check "-l: caller, target, status, flag and command, every control byte escaped" \
  "al\\x1b]0;x\\x07ice(0) root(0) exit:2 - sh -c echo\\x20a\\x0ab" "$(echo "$line1" | cut -d' ' -f3-)"
check "-l: a killed command" "0 root(0) signal:9 - kill-me" "$(printf '%s\n' "$OUT" | grep '^1000\.3 ' | cut -d' ' -f3-)"
check "-l: the cap reached" "0 root(0) exit:0 truncated cat" "$(printf '%s\n' "$OUT" | grep '^1000\.4 ' | cut -d' ' -f3-)"
check "-l: a recording still being written" "0 root(0) running - sleep 30" "$(printf '%s\n' "$OUT" | grep '^1000\.5 ' | cut -d' ' -f3-)"
check "-l: oldest first" "1000.1 1000.2 1000.3 1000.4 1000.5" "$(printf '%s\n' "$OUT" | cut -d' ' -f1 | paste -sd' ')"
kill "$busy" 2>/dev/null
wait "$busy" 2>/dev/null
check "-l: a writer gone before the end" "0 root(0) cut-short - sleep 30" \
  "$("$REPLAY" -l "$R" | grep '^1000\.5 ' | cut -d' ' -f3-)"
check "a recording cut short still replays" "busy" "$("$REPLAY" -s 0 "$R/1000.5")"

# --- malformed files: the offset, exit 111 ---
bad() {   # bad NAME OFFSET WHY: the file $T_TMP/NAME is refused so
  run "$REPLAY" -s 0 "$T_TMP/$1"
  check "$1: exit 111" 111 "$RC"
  check "$1: the message" "ipcreplay: $T_TMP/$1: malformed recording at offset $2: $3" "$ERR"
}
printf 'IPCRE' >"$T_TMP/short"
bad short 5 "not a recording: too short"
printf '#!/bin/sh\necho hi\n' >"$T_TMP/script"
bad script 0 "not a recording: bad magic"
printf 'IPCREC9\n' >"$T_TMP/future"
bad future 6 "unsupported version"
printf 'IPCREC1\nH\0\0\0\377\377\377\377\0\0\0\0\0\0\0\0' >"$T_TMP/huge"
bad huge 8 "header record too long"
# A good header, then a record of a type that does not exist: the offset
# is where that record starts, after the output before it was played.
"$WRITE" "$R" empty </dev/null >/dev/null
size=$(stat -c %s "$R/empty")
head -c $((size - 28)) "$R/empty" >"$T_TMP/badtype"
printf 'D\1\0\0\3\0\0\0\0\0\0\0\0\0\0\0abcX\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' >>"$T_TMP/badtype"
bad badtype $((size - 28 + 19)) "unknown record type"
check "the output before the bad record was played" "abc" "$OUT"
cp "$R/1000.3" "$T_TMP/badend"
printf '\1' | dd of="$T_TMP/badend" bs=1 seek=$(($(stat -c %s "$T_TMP/badend") - 8)) conv=notrunc 2>/dev/null
bad badend $(($(stat -c %s "$T_TMP/badend") - 12 + 4)) "end signal does not match the status"
cp "$T_TMP/badtype" "$R/1000.9"
run "$REPLAY" -l "$R"
check "-l with a malformed file: exit 111" 111 "$RC"
check "-l: says which file and where" "ipcreplay: $R/1000.9: malformed recording at offset $((size - 28 + 19)): unknown record type" "$ERR"
check "-l: the others are still listed" 6 "$(printf '%s\n' "$OUT" | wc -l)"
rm "$R/1000.9"
ln -s "$R/1000.1" "$R/link"
mkfifo "$R/fifo"
mkdir "$R/sub"
run "$REPLAY" -l "$R"
check "-l: symlinks, FIFOs and directories are not recordings" "0 6" "$RC $(printf '%s\n' "$OUT" | wc -l)"

# --- usage and system errors ---
U='ipcreplay: usage: ipcreplay [ -i ] [ -s factor ] [ -m maxdelay ] file'
for args in "" "-s" "-s abc x" "-s -1 x" "-s 1e3 x" "-s .5 x" "-s 1. x" "-m 0.1234567 x" "-x x" "a b"; do
  # shellcheck disable=SC2086  # the words are the arguments
  run "$REPLAY" $args
  check "usage: ipcreplay $args: 100" "100 $U" "$RC $ERR"
done
run "$REPLAY" -l
check "usage: ipcreplay -l" "100 ipcreplay: usage: ipcreplay -l dir" "$RC $ERR"
run "$REPLAY" -h
check "-h: exit 0, the usage first" "0 usage: ipcreplay [ -i ] [ -s factor ] [ -m maxdelay ] file" "$RC $(echo "$OUT" | head -1)"
run "$REPLAY" "$T_TMP/nonexistent"
check "a missing file: 111" "111 ipcreplay: fatal: unable to open $T_TMP/nonexistent: No such file or directory" "$RC $ERR"
run "$REPLAY" /dev/null
check "not a regular file: 111" "111 ipcreplay: fatal: unable to read /dev/null: not a regular file" "$RC $ERR"
run "$REPLAY" -l "$T_TMP/nonexistent"
check "a missing dir: 111" 111 "$RC"
t_done
