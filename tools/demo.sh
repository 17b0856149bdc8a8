#!/bin/sh
# The main job on a fresh machine, as root: install the dependencies, build,
# compile sample exec rules, start a broker (ipcserver + ipcexec) on a
# temporary socket, run a few delegated commands as an unprivileged user,
# show their output, exit statuses and the audit log, and stop the broker.
set -eu
cd "$(dirname "$0")/.."
sh tools/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
B=$(pwd)/build

if [ "$(id -u)" != 0 ]; then
  echo "demo: run me as root: the broker switches users" >&2
  exit 100
fi

# The unprivileged caller.
getent group ipcdemo >/dev/null || groupadd -g 4260 ipcdemo
getent passwd ipcdemo >/dev/null || useradd -u 4260 -g 4260 -M -d /nonexistent -s /bin/sh ipcdemo

T=$(mktemp -d /tmp/ucspi-ipc-demo.XXXXXX)
chmod 755 "$T"
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

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
"$B/rules/ipcexecrules" "$T/rules.cdb" "$T/rules.tmp" <"$T/rules"

echo
echo "== what the rules grant uid 4260 for 'sh' as nobody (ipcexecrulescheck)"
IPCREMOTEEUID=4260 IPCREMOTEEGID=4260 IPCUID=65534 IPCCOMMAND=sh "$B/exec/ipcexecrulescheck" "$T/rules.cdb"

"$B/broker/ipcserver" -v "$T/s" "$B/exec/ipcexec" "$T/rules.cdb" 2>"$T/log" &
server=$!
i=0
while [ ! -S "$T/s" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done

as_demo() {
  echo
  echo "== ipcdemo\$ $*"
  set +e
  setpriv --reuid=4260 --regid=4260 --clear-groups env IPCEXECPATH="$T/s" "$@"
  echo "(exit status $?)"
  set -e
}
as_demo "$B/client/ipcdo" nobody id
as_demo "$B/client/ipcrun" uname -sr
as_demo "$B/client/ipcdo" nobody sh -c 'grep -E "^(Cap(Eff|Bnd)|NoNewPrivs|Seccomp):" /proc/self/status; echo to stderr >&2; exit 3'
as_demo "$B/client/ipcrun" sh -c 'cat /etc/shadow'
as_demo "$B/client/ipcrun" cat /etc/shadow

kill "$server"
wait "$server" 2>/dev/null || true
server=
echo
echo "== audit log (ipcserver -v and ipcexec, one line per event)"
cat "$T/log"
