#!/usr/bin/env bash
# The rules toolchain end to end: ipcrules, ipcexecrules and their checkers.
. "$E2E/lib.sh"
IPCRULES=$(prog ipcrules)
IPCEXECRULES=$(prog ipcexecrules)
CHECK=$(prog ipcrulescheck)
ECHECK=$(prog ipcexecrulescheck)
cd "$T_TMP"

run_in '1000.100:allow,A="x y",B=/z/
1000:deny
:allow
' "$IPCRULES" r.cdb r.tmp
check "ipcrules compiles" "0" "$RC"
check "ipcrules leaves no tmp" "" "$(ls r.tmp 2>/dev/null)"

IPCREMOTEEUID=1000 IPCREMOTEEGID=100 run "$CHECK" r.cdb
check "check euid.egid" "rule 1000.100:
set environment variable A=x y
set environment variable B=z
allow connection" "$OUT"

IPCREMOTEEUID=1000 IPCREMOTEEGID=7 run "$CHECK" r.cdb
check "check euid deny" "rule 1000:
deny connection" "$OUT"

run_in 'x:maybe
' "$IPCRULES" r.cdb r.tmp
check "bad line exit" "100" "$RC"
check "bad line message" "ipcrules: fatal: unable to parse this line: x:maybe" "$ERR"
check "bad line keeps old cdb" "rule 1000:
deny connection" "$(IPCREMOTEEUID=1000 "$CHECK" r.cdb)"

run_in ',0.ls:allow="/bin/ls"
' "$IPCEXECRULES" e.cdb e.tmp
check "ipcexecrules compiles" "0" "$RC"
IPCREMOTEEUID=5 IPCCOMMAND=ls run "$ECHECK" e.cdb
check "exec check" "rule ,0.ls:
execute /bin/ls
allow connection" "$OUT"
IPCREMOTEEUID=5 IPCCOMMAND=rm run "$ECHECK" e.cdb
check "exec default denies" "default:
deny connection" "$OUT"

t_done
