#!/usr/bin/env bash
# ipchandle as its users get it: `meson install` into a scratch root, the
# two examples of the installed ipchandle(3) built with nothing but the
# installed header, libraries and pkg-config files (handler API and the
# 0.70 server() entry), run, and talked to. Also: only the documented
# symbols are exported, a program's own die() links, and a handler that
# changes the environment has its connection dropped and its worker
# replaced. No root needed: it runs for every user (suite install).
. "$E2E/lib.sh"
CAT=$(prog ipccat)
CONNECT=$(prog ipcconnect)
CC=${CC:-cc}
command -v "$CC" >/dev/null || { echo "SKIP - no C compiler"; exit 77; }
command -v pkg-config >/dev/null || { echo "SKIP - no pkg-config"; exit 77; }
cd "$T_TMP" || exit 1

DEST=$T_TMP/dest
meson install -C "$BUILD" --destdir "$DEST" --no-rebuild --quiet >install.log 2>&1
check "meson install --destdir" "0" "$?"
PC=$(find "$DEST" -name ipchandle.pc | head -n 1)
PCDIR=$(dirname "$PC")
LIBDIR=$(dirname "$PCDIR")
MAN3=$(find "$DEST" -name ipchandle.3 | head -n 1)
check "installed: both pkg-config files, the header, the page" "yes yes yes yes" \
  "$([ -f "$PCDIR/ipchandle.pc" ] && echo yes) $([ -f "$PCDIR/ipchandle-server.pc" ] && echo yes) $([ -n "$(find "$DEST" -name ipchandle.h)" ] && echo yes) $([ -f "$MAN3" ] && echo yes)"
check "installed: shared library with soname, dev symlink, archive" \
  "libipchandle.so.1 libipchandle.so.1 yes" \
  "$(readelf -d "$LIBDIR/libipchandle.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p') $(readlink "$LIBDIR/libipchandle.so" | sed 's/\.so\.1\..*/.so.1/') $([ -f "$LIBDIR/libipchandle.a" ] && echo yes)"
# Only the installed header directory: nothing else of the project.
INCDIR=$(dirname "$(find "$DEST" -name ipchandle.h | head -n 1)")
check "installed: the header directory holds only ipchandle.h of ours" "ipchandle.h" "$(ls "$INCDIR" | grep -E 'ipc|die|scan|server|peer|rules|fd\.h|buf\.h')"

export PKG_CONFIG_PATH=$PCDIR PKG_CONFIG_SYSROOT_DIR=$DEST
CFLAGS_W="-Wall -Wextra -Werror"
# A sanitizer build's library needs its runtime in the programs, first.
if nm -D "$LIBDIR/libipchandle.so" | grep -q ' U __asan_'; then
  CFLAGS_W="$CFLAGS_W -fsanitize=address,undefined"
fi

# The exported symbols: what ipchandle.h declares, nothing else.
SYMS="ipchandle_main
ipchandle_parse
ipchandle_serve"
check "libipchandle.so exports only the documented functions" "$SYMS" \
  "$(nm -D --defined-only "$LIBDIR/libipchandle.so" | awk '$2 ~ /^[TDBRW]$/ {sub(/@.*/, "", $3); print $3}' | sort)"
check "libipchandle.a exports only the documented functions" "$SYMS" \
  "$(nm -g --defined-only "$LIBDIR/libipchandle.a" | awk 'NF == 3 {print $3}' | sort)"

# example NAME: the example program NAME from the installed page.
example() {
  awk -v name="$1" '$0 == ".\\\" BEGIN " name {on = 1; next} $0 == ".\\\" END" {on = 0} on && !/^\.(Bd|Ed)/' "$MAN3" |
    sed -e 's/\\e/\\/g' -e 's/\\&//g'
}
example hello.c >hello.c
example old.c >old.c
check "the page has both examples" "yes yes" "$(grep -q ipchandle_main hello.c && echo yes) $(grep -q 'void server' old.c && echo yes)"

# shellcheck disable=SC2046,SC2086
"$CC" $CFLAGS_W -o hello hello.c $(pkg-config --cflags --libs ipchandle) 2>cc-hello.log
check "hello.c builds with pkg-config ipchandle" "0" "$?"
# shellcheck disable=SC2046,SC2086
"$CC" $CFLAGS_W -o old old.c $(pkg-config --cflags --libs ipchandle-server) 2>cc-old.log
check "old.c builds with pkg-config ipchandle-server" "0" "$?"
cat cc-hello.log cc-old.log
# The same example on the static archive.
# shellcheck disable=SC2046,SC2086
"$CC" $CFLAGS_W -o hello-static hello.c $(pkg-config --cflags ipchandle) "$LIBDIR/libipchandle.a" $(pkg-config --libs libcdb) 2>cc-static.log
check "hello.c builds on libipchandle.a" "0" "$?"
check "hello is linked to libipchandle.so.1, hello-static is not" "1 0" \
  "$(readelf -d hello | grep -c 'libipchandle.so.1') $(readelf -d hello-static | grep -c 'libipchandle')"

export LD_LIBRARY_PATH=$LIBDIR

# stop PID: SIGTERM, then up to 5 s; sets STOP_RC.
stop() {
  local i=0
  kill -TERM "$1" 2>/dev/null
  while kill -0 "$1" 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
  if kill -0 "$1" 2>/dev/null; then kill -KILL "$1"; STOP_RC=KILLED; wait "$1" 2>/dev/null; return; fi
  wait "$1" 2>/dev/null
  STOP_RC=$?
}

UID_NOW=$(id -u)
for h in hello hello-static; do
  ./$h -c 1 "$T_TMP/$h.s" 2>"$h.log" &
  PID=$!
  T_PIDS="$T_PIDS $PID"
  wait_for_socket "$T_TMP/$h.s" || fail "$h did not start"
  A=$(timeout 5 "$CAT" "$T_TMP/$h.s")
  B=$(timeout 5 "$CAT" "$T_TMP/$h.s")
  check "$h: one worker greets and counts" "hello, uid $UID_NOW, call 1
hello, uid $UID_NOW, call 2" "$A
$B"
  run ./$h -c 1
  check "$h: bad usage, named after argv[0]" "100 $h: usage: hello [ options ] path" "$RC $ERR"
  stop "$PID"
  check "$h: SIGTERM stops it with 0" "0" "$STOP_RC"
done

./old -c 2 "$T_TMP/old.s" '>>' 2>old.log &
PID=$!
T_PIDS="$T_PIDS $PID"
wait_for_socket "$T_TMP/old.s" || fail "old did not start"
run_in 'ping
pong
' timeout 5 "$CONNECT" "$T_TMP/old.s"
check "old: server() on fd 0 and 1, its argument, the environment" "0 uid $UID_NOW
>> ping
>> pong" "$RC $OUT"
run_in 'again
' timeout 5 "$CONNECT" "$T_TMP/old.s"
check "old: the next connection starts clean" "0 uid $UID_NOW
>> again" "$RC $OUT"
stop "$PID"
check "old: SIGTERM stops it with 0" "0" "$STOP_RC"
run ./old -c 2
check "old: bad usage names the program" "100" "$RC"
case $ERR in "old: usage: old [ "*"path [ arg ... ]") pass "old: usage line";; *) fail "old usage: $ERR";; esac

# A program with its own die(), scan_u64() and say(), names the
# library uses inside: they must not meet ours, statically or shared.
cat >collide.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <ipchandle.h>

void die(void);
int scan_u64(void);
void say(const char *s);
void die(void) { abort(); }
int scan_u64(void) { abort(); }
void say(const char *s) { (void)s; abort(); }

static int ok(void *ctx, int fd, const struct ipchandle_conn *c)
{
  (void)ctx; (void)c;
  return write(fd, "ok\n", 3) == 3 ? 0 : 111;
}

int main(int argc, char **argv)
{
  char **rest;
  return ipchandle_main(argc, argv, "collide [ options ] path", 0, &rest, ok, 0);
}
EOF
# shellcheck disable=SC2046,SC2086
"$CC" $CFLAGS_W -o collide collide.c $(pkg-config --cflags --libs ipchandle) 2>cc-collide.log
check "own die(), scan_u64(), say(): links with the shared library" "0" "$?"
# shellcheck disable=SC2046,SC2086
"$CC" $CFLAGS_W -o collide-static collide.c $(pkg-config --cflags ipchandle) "$LIBDIR/libipchandle.a" $(pkg-config --libs libcdb) 2>>cc-collide.log
check "own die(), scan_u64(), say(): links with the archive" "0" "$?"
cat cc-collide.log
for c in collide collide-static; do
  # -v logs through the library's own say(): the program's must not run.
  ./$c -v -c 1 "$T_TMP/$c.s" 2>"$c.log" &
  PID=$!
  T_PIDS="$T_PIDS $PID"
  wait_for_socket "$T_TMP/$c.s" || fail "$c did not start"
  check "$c: serves, the library's log lines are its own" "ok" "$(timeout 5 "$CAT" "$T_TMP/$c.s")"
  stop "$PID"
  check "$c: stops with 0" "0" "$STOP_RC"
  grep -q "^$c: status: 1/1" "$c.log" && pass "$c: the library logs as $c" || fail "$c log: $(cat "$c.log")"
done

# A handler that leaves the environment changed: the connection is
# dropped with a warning and the worker replaced (0.70's check).
cat >envbad.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ipchandle.h>

static int handler(void *ctx, int fd, const struct ipchandle_conn *c)
{
  char line[64];
  int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
  (void)ctx;
  if (write(fd, line, (size_t)n) != n) return 111;
  if (c->remotepath[0] == 0 && getenv("ENVBAD_MODE")) {
    const char *m = getenv("ENVBAD_MODE");
    if (!strcmp(m, "set")) setenv("LEFTOVER", "1", 1);
    else if (!strcmp(m, "unset")) unsetenv("IPCREMOTEPATH");
    else if (!strcmp(m, "put")) putenv((char *)"PROTO=changed");
  }
  return 0;
}

int main(int argc, char **argv)
{
  char **rest;
  return ipchandle_main(argc, argv, "envbad [ options ] path", 0, &rest, handler, 0);
}
EOF
# shellcheck disable=SC2046,SC2086
"$CC" $CFLAGS_W -o envbad envbad.c $(pkg-config --cflags --libs ipchandle) 2>cc-envbad.log
check "envbad.c builds" "0" "$?"
for mode in none set unset put; do
  ENVBAD_MODE=$mode ./envbad -c 1 "$T_TMP/envbad-$mode.s" 2>"envbad-$mode.log" &
  PID=$!
  T_PIDS="$T_PIDS $PID"
  wait_for_socket "$T_TMP/envbad-$mode.s" || fail "envbad $mode did not start"
  P1=$(timeout 5 "$CAT" "$T_TMP/envbad-$mode.s")
  P2=$(timeout 5 "$CAT" "$T_TMP/envbad-$mode.s")
  if [ "$mode" = none ]; then
    check "environment left alone: one worker serves both" "$P1" "$P2"
    check "environment left alone: no warning" "" "$(grep environ "envbad-$mode.log")"
  else
    [ -n "$P1" ] && [ -n "$P2" ] && [ "$P1" != "$P2" ] && pass "${mode}env in the handler: the worker is replaced" ||
      fail "${mode}env: workers $P1 $P2"
    check "${mode}env in the handler: the warning" "envbad: warning: dropping connection, environ changed" \
      "$(grep -m 1 environ "envbad-$mode.log")"
  fi
  stop "$PID"
done

t_done
