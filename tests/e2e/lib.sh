# Shared by the end-to-end scripts. Source it, call checks, end with t_done.
# Every check prints one line; t_done prints "N passed, N failed" and fails
# the script if anything failed.
set -u
T_PASS=0
T_FAIL=0
T_NAME=$(basename "$0" .sh)
: "${BUILD:?BUILD must name the build directory}"
: "${SRC:?SRC must name the source directory}"

# Where every program of the build is, by name.
prog() {
  for d in rules broker client exec tests/helpers; do
    if [ -x "$BUILD/$d/$1" ]; then echo "$BUILD/$d/$1"; return 0; fi
  done
  echo "$BUILD/missing-program-$1"
}

T_TMP=$(mktemp -d "/tmp/e2e-$T_NAME.XXXXXX")
chmod 755 "$T_TMP"
T_PIDS=
t_cleanup() {
  for p in $T_PIDS; do kill "$p" 2>/dev/null; done
  for p in $T_PIDS; do wait "$p" 2>/dev/null; done
  rm -rf "$T_TMP"
}
trap t_cleanup EXIT

pass() { T_PASS=$((T_PASS + 1)); echo "ok   - $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL - $*"; }

# check NAME EXPECTED ACTUAL
check() {
  if [ "$2" = "$3" ]; then
    pass "$1"
  else
    fail "$1"
    printf '  expected: %s\n  actual:   %s\n' "$(printf '%s' "$2" | od -c | sed -n '1,6p' | tr '\n' '|')" \
      "$(printf '%s' "$3" | od -c | sed -n '1,6p' | tr '\n' '|')"
    printf -- '--- expected\n%s\n--- actual\n%s\n---\n' "$2" "$3"
  fi
}

# run CMD...: sets OUT (stdout), ERR (stderr), RC.
run() {
  "$@" >"$T_TMP/.out" 2>"$T_TMP/.err"
  RC=$?
  OUT=$(cat "$T_TMP/.out")
  ERR=$(cat "$T_TMP/.err")
}

# run_in INPUT CMD...: like run, with INPUT on stdin.
run_in() {
  local input=$1
  shift
  printf '%s' "$input" | "$@" >"$T_TMP/.out" 2>"$T_TMP/.err"
  RC=$?
  OUT=$(cat "$T_TMP/.out")
  ERR=$(cat "$T_TMP/.err")
}

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "FAIL - $T_NAME needs root (it switches users); run the tests as root" >&2
    exit 1
  fi
}

# as UID GID CMD...: run as an unprivileged user with no supplementary groups.
as() {
  local u=$1 g=$2
  shift 2
  setpriv --reuid="$u" --regid="$g" --clear-groups -- "$@"
}

# wait_for_socket PATH: up to 5 s.
wait_for_socket() {
  local i=0
  while [ ! -S "$1" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
  [ -S "$1" ]
}

# wait_for COUNT PATTERN FILE: up to 5 s for COUNT lines matching PATTERN.
wait_for() {
  local i=0
  while [ "$(grep -a -c -E -- "$2" "$3" 2>/dev/null)" -lt "$1" ] && [ $i -lt 500 ]; do
    sleep 0.01
    i=$((i + 1))
  done
  [ "$(grep -a -c -E -- "$2" "$3" 2>/dev/null)" -ge "$1" ]
}

t_done() {
  echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
  [ "$T_FAIL" -eq 0 ]
}
