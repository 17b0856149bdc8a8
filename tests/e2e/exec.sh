#!/usr/bin/env bash
# ipcexec end to end: decisions from exec rules (allowed, denied,
# unmatched), the five keys, the target identity, hostile request bytes
# straight into ipcexec, and the audit line for each.
. "$E2E/lib.sh"
. "$E2E/exec-lib.sh"
need_root

setup_users

rules '4242.4343,65534.echo:allow,WHICH="euid.egid"
4242,65534.printenv:allow="/usr/bin/printenv",WHICH="euid"
.4343,65534.printenv:allow="/usr/bin/printenv",WHICH="egid"
,65534.printenv:allow="/usr/bin/printenv",WHICH="any"
4242,0.sh:deny
4242,65534.id:allow="/usr/bin/id"
4242,0.id:allow="/usr/bin/id"
4242,65534.cat:allow
4242,65534.rel:allow="bin/true"
4242,65534./bin/echo:allow
4242,65534.bin/echo:allow
4242,65534.nothere:allow
4242,65534.err:allow="/bin/sh"
4242,65534.noerr:allow="/bin/sh",IPCERROUT="0"
4242,65534.asuid:allow="/usr/bin/id",IPCUID="4242"'
# ipcexecrules refuses IPCUID="-1": the broker's own check is tried on a raw record.
rules_raw 4242,65534.badrec '=/usr/bin/id\0+IPCUID=-1\0'

# --- decisions and the five keys
run_req 4242 4343 65534 echo hello world
check "allow: command output on the socket" "hello world" "$OUT"
check "allow: exit 0" 0 "$RC"
has "$ERR" "ipcexec: ok 4242.4343,65534.echo req=" && pass "0.70 log prefix kept" || fail "0.70 log prefix: $ERR"
has "$ERR" "decision=allow mode=0.70 caller_uid=4242 caller_gid=4343 caller_pid=4321 caller=ipctest target_uid=65534 target_gid=65534 target=nobody rule=4242.4343,65534.echo exec=PATH seccomp=default caps=0 argv=echo\x00hello\x00world" \
  && pass "audit line names caller, target, rule, argv" || fail "audit line: $ERR"
has "$ERR" "ipcexec: end 4242.4343,65534.echo req=" && has "$ERR" "status=exit:0 duration_ms=" \
  && pass "end line with status and duration" || fail "end line: $ERR"

run_req 4242 4343 65534 printenv WHICH
check "key 2 (EUID,UID.CMD) over keys 3-5" "euid" "$OUT"
run_req 4243 4343 65534 printenv WHICH
check "key 3 (.EGID,UID.CMD)" "egid" "$OUT"
run_req 4243 4300 65534 printenv WHICH
check "key 4 (,UID.CMD)" "any" "$OUT"

run_req 4242 4343 0 sh -c 'echo pwned'
check "deny rule: exit 100" 100 "$RC"
check "deny rule: nothing ran" "" "$OUT"
has "$ERR" "ipcexec: deny 4242.4343,0.sh" && has "$ERR" "decision=deny" && has "$ERR" "reason=denied\x20by\x20rule" \
  && pass "deny audited" || fail "deny audited: $ERR"

run_req 4242 4343 65534 ls /
check "no rule: denied (fail closed)" 100 "$RC"
has "$ERR" "rule=none" && has "$ERR" "reason=no\x20matching\x20rule" && pass "no-rule deny audited" || fail "no-rule audit: $ERR"

rules ':allow'
run_req 4242 4343 65534 echo via-empty-key
check "key 5 (empty) applies when nothing else matches" "via-empty-key" "$OUT"

rules '4242,65534.id:allow="/usr/bin/id"
4242,0.id:allow="/usr/bin/id"
4242,65534.cat:allow
4242,65534.rel:allow="bin/true"
4242,65534./bin/echo:allow
4242,65534.bin/echo:allow
4242,65534.nothere:allow
4242,65534.err:allow="/bin/sh"
4242,65534.noerr:allow="/bin/sh",IPCERROUT="0"
4242,65534.asuid:allow="/usr/bin/id",IPCUID="4242"'
# ipcexecrules refuses IPCUID="-1": the broker's own check is tried on a raw record.
rules_raw 4242,65534.badrec '=/usr/bin/id\0+IPCUID=-1\0'

# --- identity
run_req 4242 4343 65534 id
check "runs as the target with its groups" "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)" "$OUT"
run_req 4242 4343 0 id
check "uid 0 is a target like any other" "uid=0(root) gid=0(root) groups=0(root)" "$OUT"
run_req 4242 4343 65534 asuid
check "IPCUID in a rule overrides the target" "uid=4242(ipctest) gid=4343(ipctestg) groups=4343(ipctestg),4344(ipctest2)" "$OUT"
run_req 4242 4343 65534 badrec
check "invalid IPCUID in a rule denies" 100 "$RC"

run_req 4242 4343 99999 id
check "unknown target uid refused" 111 "$RC"
has "$ERR" "unknown uid" && pass "unknown uid message" || fail "unknown uid message: $ERR"

# --- command paths
printf 'from stdin\n' >"$T_TMP/in"
{ req 65534 cat; cat "$T_TMP/in"; } >"$T_TMP/cat.req"
xexec 4242 4343 "$T_TMP/cat.req"
check "bare name found in the fixed PATH; rest of stream is stdin" "from stdin" "$OUT"
run_req 4242 4343 65534 rel
check "relative allow= path refused" 100 "$RC"
run_req 4242 4343 65534 /bin/echo abs
check "absolute command path runs" "abs" "$OUT"
run_req 4242 4343 65534 bin/echo rel
check "relative command path refused" 100 "$RC"
run_req 4242 4343 65534 nothere
check "missing command: 111" 111 "$RC"
has "$ERR" "ipcexec: fail " && pass "exec failure logged" || fail "exec failure logged: $ERR"
mkdir -p "$T_TMP/evil"
printf '#!/bin/sh\necho evil\n' >"$T_TMP/evil/nothere"
chmod 755 "$T_TMP/evil/nothere"
req 65534 nothere >"$T_TMP/p.req"
env -i PATH="$T_TMP/evil:/bin" IPCREMOTEEUID=4242 IPCREMOTEEGID=4343 "$IPCEXEC" "$T_TMP/exec.cdb" <"$T_TMP/p.req" >"$T_TMP/p.out" 2>/dev/null
check "the server's PATH is never searched" "" "$(cat "$T_TMP/p.out")"

# --- IPCERROUT
run_req 4242 4343 65534 err -c 'echo out; echo err >&2'
check "IPCERROUT default: stderr joins stdout" "out
err" "$OUT"
run_req 4242 4343 65534 noerr -c 'echo out; echo err >&2'
check "IPCERROUT=0: stderr stays on the log" "out" "$OUT"
has "$ERR" "err" && pass "IPCERROUT=0: stderr in the log" || fail "stderr in the log: $ERR"
req 65534 id >"$T_TMP/id.req"
env -i IPCREMOTEEUID=4242 IPCREMOTEEGID=4343 IPCERROUT=0 IPCUID=4242 IPCGID=0 "$IPCEXEC" "$T_TMP/exec.cdb" <"$T_TMP/id.req" >"$T_TMP/id.out" 2>"$T_TMP/id.err"
check "IPCUID/IPCGID from the environment are not honoured (0.70 did)" "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)" "$(cat "$T_TMP/id.out")"
check "IPCUID/IPCGID from the environment: a warning" "ipcexec: warning: ignoring IPCUID and IPCGID from the environment: the exec rules alone choose the target" "$(grep -a IPCUID "$T_TMP/id.err")"

# --- the caller's identity comes from ipcserver only
env -i "$IPCEXEC" "$T_TMP/exec.cdb" <"$T_TMP/id.req" >/dev/null 2>"$T_TMP/noid.err"
check "no IPCREMOTEEUID: refused" 111 "$?"
env -i IPCREMOTEEUID=01 IPCREMOTEEGID=1 "$IPCEXEC" "$T_TMP/exec.cdb" <"$T_TMP/id.req" >/dev/null 2>&1
check "non-canonical IPCREMOTEEUID: refused" 111 "$?"

# --- rules file ownership
cp "$T_TMP/exec.cdb" "$T_TMP/ww.cdb"
chmod 666 "$T_TMP/ww.cdb"
env -i IPCREMOTEEUID=4242 IPCREMOTEEGID=4343 "$IPCEXEC" "$T_TMP/ww.cdb" <"$T_TMP/id.req" >"$T_TMP/ww.out" 2>"$T_TMP/ww.err"
check "world-writable rules refused" "111" "$?"
check "world-writable rules: nothing ran" "" "$(cat "$T_TMP/ww.out")"
chmod 644 "$T_TMP/ww.cdb"
chown 4242 "$T_TMP/ww.cdb"
env -i IPCREMOTEEUID=4242 IPCREMOTEEGID=4343 "$IPCEXEC" "$T_TMP/ww.cdb" <"$T_TMP/id.req" >/dev/null 2>&1
check "rules not owned by root refused" "111" "$?"

# --- hostile requests: each refused cleanly, nothing runs, audit says why
hostile() {
  local name=$1 bytes=$2 why=$3
  printf "$bytes" >"$T_TMP/h.req"
  xexec 4242 4343 "$T_TMP/h.req"
  check "hostile: $name refused" 111 "$RC"
  check "hostile: $name ran nothing" "" "$OUT"
  has "$ERR" "$why" && pass "hostile: $name says '$why'" || fail "hostile: $name message: $ERR"
}
hostile "uid -1 (CVE-2019-14287)" '10:4294967295,1:1,3:id\0,' "bad uid"
hostile "uid with sign" '2:-1,1:1,3:id\0,' "bad uid"
hostile "uid with leading zero" '2:00,1:1,3:id\0,' "bad uid"
hostile "uid overflow" '20:18446744073709551616,1:1,3:id\0,' "netstring length out of range"
hostile "argc 0 (PwnKit)" '5:65534,1:0,0:,' "argc is 0"
hostile "empty argv[0]" '5:65534,1:1,1:\0,' "argc does not match the arguments"
hostile "argc larger than NULs" '5:65534,1:3,3:id\0,' "argc does not match"
hostile "argc smaller than NULs" '5:65534,1:1,6:id\0-u\0,' "argc does not match the arguments"
hostile "missing final NUL" '5:65534,1:1,2:id,' "last argument not NUL-terminated"
hostile "missing terminator" '5:65534,1:1,3:id\0;' "missing netstring terminator"
hostile "huge argc" '5:65534,6:999999,3:id\0,' "bad argc"
hostile "huge length" '5:65534,1:1,9999999999:' "netstring length too long"
hostile "args over the limit" '5:65534,1:1,999999:' "arguments too long"
hostile "length with leading zero" '5:65534,1:1,03:id\0,' "bad netstring length"
hostile "not a netstring" 'GET / HTTP/1.0\r\n\r\n' "bad netstring length"
hostile "truncated" '5:65534,1:1,3:i' "request truncated"
hostile "empty" '' "request truncated"

# A peer that sends half a request and stalls is dropped at the deadline.
rm -f "$T_TMP/fifo"; mkfifo "$T_TMP/fifo"
( printf '5:65534,1:1,' ; sleep 4 ) >"$T_TMP/fifo" &
T_PIDS="$T_PIDS $!"
start=$(date +%s%N)
env -i IPCREMOTEEUID=4242 IPCREMOTEEGID=4343 "$IPCEXEC" -t 1 "$T_TMP/exec.cdb" <"$T_TMP/fifo" >/dev/null 2>"$T_TMP/slow.err"
rc=$?
el=$(( ($(date +%s%N) - start) / 1000000 ))
check "stalled request dropped" 111 "$rc"
[ "$el" -lt 3000 ] && pass "deadline -t 1 honoured (${el} ms)" || fail "deadline took ${el} ms"
has "$(cat "$T_TMP/slow.err")" "timed out reading request" && pass "timeout message" || fail "timeout message: $(cat "$T_TMP/slow.err")"

# Usage
run "$IPCEXEC"
check "usage exit" 100 "$RC"
check "usage message" "ipcexec: usage: ipcexec [ -t seconds ] rules.cdb" "$ERR"
run "$IPCEXEC" -t 0 x
check "bad -t is a usage error" 100 "$RC"

t_done
