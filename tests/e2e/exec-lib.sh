# shellcheck shell=bash disable=SC2034  # sets variables for the scripts that source it
# Helpers for the ipcexec tests. Source after lib.sh.
export LC_ALL=C
IPCEXEC=$(prog ipcexec)
IPCEXECRULES=$(prog ipcexecrules)
TRY=$(prog try-syscall)

# req UID ARG...: the 0.70 request bytes on stdout.
req() {
  local uid=$1 len=0 a
  shift
  for a in "$@"; do len=$((len + ${#a} + 1)); done
  printf '%s:%s,%s:%s,%s:' "${#uid}" "$uid" "${##}" "$#" "$len"
  for a in "$@"; do printf '%s\0' "$a"; done
  printf ','
}

# rules TEXT: compiles exec rules into $T_TMP/exec.cdb.
rules() {
  printf '%s\n' "$1" | "$IPCEXECRULES" "$T_TMP/exec.cdb" "$T_TMP/exec.tmp" || fail "rules did not compile"
}

# xexec EUID EGID REQUEST-FILE: ipcexec straight from a file, as ipcserver
# would run it for a client with those ids. Sets OUT, ERR, RC.
xexec() {
  local euid=$1 egid=$2 in=$3
  env -i PATH=/usr/bin:/bin IPCREMOTEEUID="$euid" IPCREMOTEEGID="$egid" IPCREMOTEPID=4321 \
    PROTO=IPC IPCLOCALPATH=/run/test/s IPCREMOTEPATH= \
    "$IPCEXEC" "$T_TMP/exec.cdb" <"$in" >"$T_TMP/.out" 2>"$T_TMP/.err"
  RC=$?
  OUT=$(cat "$T_TMP/.out")
  ERR=$(cat "$T_TMP/.err")
}

# run_req EUID EGID UID ARG...: build the request and run it.
run_req() {
  local euid=$1 egid=$2
  shift 2
  req "$@" >"$T_TMP/.req"
  xexec "$euid" "$egid" "$T_TMP/.req"
}

# has TEXT PATTERN: grep -q with a fixed string.
has() { printf '%s' "$1" | grep -qF -- "$2"; }

# The test users: ipctest (4242), primary group ipctestg (4343), also in
# ipctest2 (4344). Removed after the suite if it created them (lib.sh).
setup_users() {
  t_group ipctestg 4343
  t_group ipctest2 4344
  t_user ipctest 4242 4343 ipctest2
}

# rules_raw KEY RECORD [KEY RECORD]...: adds records to $T_TMP/exec.cdb
# with the cdb tool, past ipcexecrules, which refuses a value the broker
# would refuse: for the tests of the broker's own refusal. RECORD is
# printf text, such as '=/bin/sh\0+IPCCAPS=cap_nonsense\0'.
rules_raw() {
  local db=$T_TMP/exec.cdb
  {
    cdb -d "$db" | sed '/^$/d'
    while [ $# -ge 2 ]; do
      # shellcheck disable=SC2059  # the record is printf text on purpose
      printf '+%d,%d:%s->' "${#1}" "$(printf "$2" | wc -c)" "$1"
      # shellcheck disable=SC2059
      printf "$2"
      printf '\n'
      shift 2
    done
    echo
  } >"$T_TMP/raw.in" && cdb -c "$db.raw" <"$T_TMP/raw.in" && chmod 644 "$db.raw" && mv "$db.raw" "$db" ||
    fail "raw records not added"
}

# need_ptydrive: sets DRIVE, the terminal driver the pty and recording
# tests type through. python3 is a test dependency (tools/deps.sh): without
# it the suite fails rather than skip checks of what a terminal may do.
need_ptydrive() {
  DRIVE="$E2E/ptydrive.py"
  if ! command -v python3 >/dev/null; then
    echo "FAIL - $T_NAME needs python3 for its terminal driver: run tools/deps.sh"
    exit 1
  fi
}
