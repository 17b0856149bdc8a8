#!/bin/sh
# The main job on a fresh machine, as root: install the dependencies, build,
# compile sample exec rules, start a broker (ipcserver + ipcexec) on a
# temporary socket, run a few delegated commands as an unprivileged user,
# show their output, exit statuses and the audit log, and stop the broker.
# Each step is checked: the demo exits 1 if any did not do what it shows.
# The demo's user (ipcdemo, uid 4260) is removed afterwards if the demo
# created it, unless DEMO_KEEP_USER=1.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "demo: run me as root: the broker switches users" >&2
  exit 100
fi
sh tools/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

T=$(mktemp -d /tmp/ucspi-ipc-demo.XXXXXX)
chmod 755 "$T"
server=
made_user=
cleanup() {
  set +e
  if [ -n "$server" ]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; fi
  if [ -n "$made_user" ] && [ "${DEMO_KEEP_USER:-0}" != 1 ]; then
    pkill -KILL -U ipcdemo 2>/dev/null
    userdel ipcdemo 2>/dev/null || echo "demo: could not remove user ipcdemo" >&2
    if getent group ipcdemo >/dev/null; then groupdel ipcdemo 2>/dev/null; fi
  fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The programs, where the unprivileged caller can run them whatever the
# checkout's permissions (a clone under /root is mode 0700).
B=$T/bin
mkdir -p "$B"
for p in rules/ipcexecrules exec/ipcexecrulescheck broker/ipcserver exec/ipcexec \
  client/ipcdo client/ipcrun; do
  cp -p "build/$p" "$B/"
done
chmod -R a+rX "$B"

# The unprivileged caller.
if ! getent passwd ipcdemo >/dev/null; then
  getent group ipcdemo >/dev/null || groupadd -g 4260 ipcdemo
  useradd -u 4260 -g 4260 -M -d /nonexistent -s /bin/sh -c "ucspi-ipc demo user" ipcdemo
  made_user=1
fi

failed=0
# expect WHAT STATUS PATTERN...: the last step must have exited STATUS and
# printed a line matching each extended regular expression PATTERN.
expect() {
  what=$1 want=$2 ok=yes
  shift 2
  [ "$RC" = "$want" ] || ok=no
  for pat in "$@"; do
    printf '%s\n' "$OUT" | grep -Eq -- "$pat" || ok=no
  done
  if [ $ok = yes ]; then
    echo "(as expected: $what)"
  else
    echo "(NOT AS EXPECTED: $what; wanted exit $want and lines matching: $*)"
    failed=$((failed + 1))
  fi
}

cat >"$T/rules" <<'RULES'
# ipcdemo (uid 4260) may ask for its identity as nobody,
4260,65534.id:allow="/usr/bin/id"
# may read the kernel version as root, with no capability at all,
4260,0.uname:allow="/bin/uname"
# may run a shell as nobody, which shows what the sandbox leaves it,
4260,65534.sh:allow="/bin/sh",IPCTIMEOUT="10"
# and may not run a root shell; anything else is denied by default.
4260,0.sh:deny
RULES
echo "== exec rules ($T/rules)"
cat "$T/rules"
"$B/ipcexecrules" "$T/rules.cdb" "$T/rules.tmp" <"$T/rules"

echo
echo "== what the rules grant uid 4260 for 'sh' as nobody (ipcexecrulescheck)"
set +e
OUT=$(IPCREMOTEEUID=4260 IPCREMOTEEGID=4260 IPCUID=65534 IPCCOMMAND=sh "$B/ipcexecrulescheck" "$T/rules.cdb" 2>&1)
RC=$?
set -e
printf '%s\n' "$OUT"
expect "the rule allows /bin/sh" 0 '/bin/sh'

"$B/ipcserver" -v "$T/s" "$B/ipcexec" "$T/rules.cdb" 2>"$T/log" &
server=$!
i=0
while [ ! -S "$T/s" ] && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
if [ ! -S "$T/s" ]; then
  echo "demo: the broker did not start:" >&2
  cat "$T/log" >&2
  exit 1
fi

# as_demo COMMAND...: runs it as ipcdemo and shows its output (stdout and
# stderr) and exit status; sets OUT and RC for expect.
as_demo() {
  echo
  echo "== ipcdemo\$ $*"
  set +e
  OUT=$(cd "$T" && setpriv --reuid=4260 --regid=4260 --clear-groups \
    env PATH="$B:/usr/bin:/bin" IPCEXECPATH="$T/s" "$@" 2>&1)
  RC=$?
  set -e
  printf '%s\n' "$OUT"
  echo "(exit status $RC)"
}
as_demo ipcdo nobody id
expect "runs as nobody" 0 '^uid=65534\(nobody\) gid=65534\(nogroup\)'
as_demo ipcrun uname -sr
expect "runs as root" 0 "^$(uname -s) "
as_demo ipcdo nobody sh -c 'grep -E "^(Cap(Eff|Bnd)|NoNewPrivs|Seccomp):" /proc/self/status; echo to stderr >&2; exit 3'
expect "no capability, no_new_privs, seccomp filter; stderr and the status come back" 3 \
  '^CapEff:.0000000000000000$' '^CapBnd:.0000000000000000$' '^NoNewPrivs:.1$' '^Seccomp:.2$' '^to stderr$'
as_demo ipcrun sh -c 'cat /etc/shadow'
expect "denied by its rule" 100 'request denied'
as_demo ipcrun cat /etc/shadow
expect "denied by default" 100 'request denied'

kill "$server"
wait "$server" 2>/dev/null || true
server=
echo
echo "== audit log (ipcserver -v and ipcexec, one line per event)"
cat "$T/log"
OUT=$(cat "$T/log") RC=0
expect "three commands ran to their end, two were denied" 0 \
  'ipcexec: end 4260.4260,65534.id .*status=exit:0' 'ipcexec: end 4260.4260,0.uname .*status=exit:0' \
  'ipcexec: end 4260.4260,65534.sh .*status=exit:3' 'ipcexec: deny 4260.4260,0.sh .*reason=denied\\x20by\\x20rule' \
  'ipcexec: deny 4260.4260,0.cat .*reason=no\\x20matching\\x20rule'

echo
if [ $failed -gt 0 ]; then
  echo "demo: $failed step(s) did not do what they should" >&2
  exit 1
fi
echo "demo: every step did what it should"
