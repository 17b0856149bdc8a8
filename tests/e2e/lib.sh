# shellcheck shell=bash disable=SC2034  # sets variables for the scripts that source it
# Shared by the end-to-end scripts. Source it, call checks, end with t_done.
# Every check prints one line; t_done prints "N passed, N failed" and fails
# the script if anything failed.
set -u
T_PASS=0
T_FAIL=0
T_NAME=$(basename "$0" .sh)
: "${BUILD:?BUILD must name the build directory}"
: "${SRC:?SRC must name the source directory}"

T_TMP=$(mktemp -d "/tmp/e2e-$T_NAME.XXXXXX")
chmod 755 "$T_TMP"
T_PIDS=
t_cleanup() {
  for p in $T_PIDS; do kill "$p" 2>/dev/null; done
  for p in $T_PIDS; do wait "$p" 2>/dev/null; done
  t_users_release
  rm -rf "$T_TMP"
}
trap t_cleanup EXIT

# The build's programs, copied into the world-readable $T_TMP/bin with the
# build's layout: the test users must be able to run them, and the build
# tree may sit in a directory only root can enter (a clone under /root).
T_BIN=$T_TMP/bin
T_DIRS="rules broker client exec tests/helpers"
for d in $T_DIRS; do
  mkdir -p "$T_BIN/$d"
  for f in "$BUILD/$d"/*; do
    if [ -f "$f" ] && [ -x "$f" ]; then cp -p "$f" "$T_BIN/$d/" || exit 1; fi
  done
done
chmod -R a+rX "$T_BIN"

# prog NAME: where a program of the build is (its staged copy).
prog() {
  for d in $T_DIRS; do
    if [ -x "$T_BIN/$d/$1" ]; then echo "$T_BIN/$d/$1"; return 0; fi
  done
  echo "$BUILD/missing-program-$1"
}

T_SKIP=0
pass() { T_PASS=$((T_PASS + 1)); echo "ok   - $*"; }
# root_only WHAT: true as root; otherwise says WHAT is skipped and why.
root_only() {
  [ "$(id -u)" = 0 ] && return 0
  T_SKIP=$((T_SKIP + 1))
  echo "skip - $* (needs root to switch users)"
  return 1
}
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

# need_root: the script switches users; without root it is skipped (77, the
# status meson reports as SKIP), saying why.
need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "SKIP - $T_NAME needs root: it starts root brokers and switches users (run the tests as root)"
    exit 77
  fi
}

# Test users and groups are shared by the scripts, which may run at once:
# each script registers as a holder in T_REG; a user or group the suite
# had to create is listed there and removed by the last holder to leave.
# One that existed before the suite is never touched.
T_REG=/run/ucspi-ipc-tests
T_HOLDING=
t_reg_lock() {
  mkdir -p "$T_REG/holders" && chmod 700 "$T_REG" && exec 9>"$T_REG/lock" && flock 9
}
t_reg_unlock() { exec 9>&-; }
t_hold() {
  [ -n "$T_HOLDING" ] && return 0
  t_reg_lock || { echo "FAIL - cannot lock $T_REG" >&2; exit 1; }
  : >"$T_REG/holders/$$"
  T_HOLDING=1
  t_reg_unlock
}
# t_group NAME GID / t_user NAME UID GID [SUPPLEMENTARY]: make sure it exists.
t_group() {
  t_hold
  t_reg_lock
  if ! getent group "$1" >/dev/null; then
    groupadd -g "$2" "$1" && echo "group $1" >>"$T_REG/created"
  fi
  t_reg_unlock
}
t_user() {
  t_hold
  t_reg_lock
  if ! getent passwd "$1" >/dev/null; then
    useradd -u "$2" -g "$3" ${4:+-G "$4"} -M -d /nonexistent -s /bin/sh -c "ucspi-ipc test user" "$1" &&
      echo "user $1" >>"$T_REG/created"
  elif [ -n "${4:-}" ] && ! id -Gn "$1" | tr ' ' '\n' | grep -qx "$4"; then
    usermod -a -G "$4" "$1"
  fi
  t_reg_unlock
}
t_users_release() {
  [ -n "$T_HOLDING" ] || return 0
  T_HOLDING=
  t_reg_lock || return 0
  rm -f "$T_REG/holders/$$"
  local h kind name
  for h in "$T_REG"/holders/*; do
    [ -e "$h" ] || continue
    kill -0 "${h##*/}" 2>/dev/null || rm -f "$h"
  done
  if [ -z "$(ls -A "$T_REG/holders")" ] && [ -f "$T_REG/created" ]; then
    # Users first (a user's primary group cannot go before it), then groups;
    # what a test left running as a test user goes with it.
    while read -r kind name; do
      [ "$kind" = user ] || continue
      pkill -KILL -U "$name" 2>/dev/null
      userdel "$name" 2>/dev/null || echo "warning: could not remove test user $name" >&2
    done <"$T_REG/created"
    while read -r kind name; do
      [ "$kind" = group ] || continue
      groupdel "$name" 2>/dev/null || echo "warning: could not remove test group $name" >&2
    done <"$T_REG/created"
    rm -f "$T_REG/created"
  fi
  t_reg_unlock
}

# t_groups: this process's groups as a server gives them in
# $IPCREMOTEGROUPS (egid and supplementary, ascending, comma-separated).
t_groups() { id -G | tr ' ' '\n' | sort -n -u | paste -sd, -; }

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
  if [ "$T_SKIP" -gt 0 ]; then
    echo "$T_NAME: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
  else
    echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
  fi
  [ "$T_FAIL" -eq 0 ]
}
