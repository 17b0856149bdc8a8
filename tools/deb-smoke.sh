#!/bin/sh
# tools/deb-smoke.sh DEBDIR: installs the packages in DEBDIR on this
# machine (meant for a fresh Debian 12 root, without the build tree) and
# proves that the packaged broker serves a request: it checks that
# installing enabled and started nothing and that the installed rules deny
# everything; starts the broker with the service unit's own ExecStart;
# allows one command for a temporary unprivileged user, runs it through
# the packaged ipcdo as that user, and checks its output, its exit status
# and the broker's audit lines. On every exit it stops the broker, removes
# the user and puts /etc/ipcexec back as it was. Exits 0 when every check
# passed, 1 otherwise. Run as root.
# shellcheck disable=SC2015  # ok and ko always succeed
set -u
[ $# -eq 1 ] || { echo "usage: tools/deb-smoke.sh DEBDIR" >&2; exit 100; }
[ "$(id -u)" = 0 ] || { echo "deb-smoke: must be run as root" >&2; exit 100; }
debdir=$(cd "$1" && pwd) || exit 100
ls "$debdir"/*.deb >/dev/null 2>&1 || { echo "deb-smoke: no .deb in $debdir" >&2; exit 100; }

pass=0 failed=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
ko() { failed=$((failed + 1)); echo "FAIL - $*"; }
# check NAME EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then ok "$1"; else ko "$1: expected '$2', got '$3'"; fi; }

unit=/lib/systemd/system/ipcexec.service
sock_unit=/lib/systemd/system/ipcexec.socket
user=ipcsmoke$$
t=$(mktemp -d /tmp/deb-smoke.XXXXXX) || exit 111
chmod 0755 "$t"
broker=
saved=
cleanup() {
  if [ -n "$broker" ]; then
    kill -TERM "$broker" 2>/dev/null
    wait "$broker" 2>/dev/null
  fi
  if [ -n "$saved" ]; then
    rm -rf /etc/ipcexec
    cp -a "$t/etc-ipcexec" /etc/ipcexec
  fi
  if id "$user" >/dev/null 2>&1; then userdel "$user"; fi
  getent group "$user" >/dev/null && groupdel "$user"
  [ -n "${socket:-}" ] && [ -n "${socket_was_absent:-}" ] && rm -f "$socket"
  rm -rf "$t"
}
trap 'cleanup' EXIT
trap 'exit 111' INT TERM HUP

# --- install

export DEBIAN_FRONTEND=noninteractive
# A fresh root has no package lists yet: without them apt cannot add the
# recommended make (the package itself needs nothing that is not there).
if ! find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' 2>/dev/null | grep -q .; then
  apt-get update -q >"$t/apt-update.log" 2>&1 || echo "deb-smoke: apt-get update failed; installing without it"
fi
if (cd "$debdir" && apt-get install -y -q ./*.deb) >"$t/apt.log" 2>&1; then
  ok "apt-get install ./*.deb"
else
  tail -n 30 "$t/apt.log"
  ko "apt-get install ./*.deb"
  exit 1
fi
for p in ipcserver ipcdo ipcrun ipcexecrules ipcexecrulescheck; do
  check "$p in /usr/bin" "/usr/bin/$p" "$(command -v $p)"
done
for p in ipcexec ipcexecd ipcexec-config; do
  [ -x "/usr/sbin/$p" ] && ok "$p in /usr/sbin" || ko "$p in /usr/sbin"
done
check "ipcdo --version" "ipcdo $(dpkg-query -W -f='${Version}' ucspi-ipc | sed 's/-[^-]*$//')" "$(ipcdo --version)"
for m in ipcdo.1 ipcexec.8 ipcexecd.8 ipcexec-config.8 ipcexec-rules.5; do
  s=${m##*.}
  [ -f "/usr/share/man/man$s/$m.gz" ] && ok "man page $m" || ko "man page $m"
done
[ -f /usr/share/doc/ucspi-ipc/examples/rules.example ] && ok "rules.example in the docs" || ko "rules.example"
[ -f /usr/lib/tmpfiles.d/ipcexec.conf ] && ok "the tmpfiles.d entry" || ko "tmpfiles.d entry"
# The library and ipcperl packages; ucspi-ipc itself never needs libperl.
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
for f in "/usr/lib/$ma/libipchandle.so.1" "/usr/lib/$ma/libipchandle.so" "/usr/lib/$ma/libipchandle.a" \
    "/usr/lib/$ma/pkgconfig/ipchandle.pc" "/usr/lib/$ma/pkgconfig/ipchandle-server.pc" /usr/include/ipchandle.h \
    /usr/share/man/man3/ipchandle.3.gz /usr/share/man/man1/ipcperl.1.gz; do
  [ -e "$f" ] && ok "$f" || ko "$f missing"
done
check "ipcperl --version" "ipcperl $(dpkg-query -W -f='${Version}' ipcperl | sed 's/-[^-]*$//')" "$(ipcperl --version)"
case $(dpkg-query -W -f='${Depends}' ucspi-ipc) in
  *perl*) ko "ucspi-ipc depends on perl: $(dpkg-query -W -f='${Depends}' ucspi-ipc)" ;;
  *) ok "ucspi-ipc does not depend on libperl" ;;
esac
[ -d /run/ipcexec ] && ok "/run/ipcexec exists after install" || ko "/run/ipcexec missing"

# Installing must not open a root socket nobody asked for.
[ -f "$unit" ] && [ -f "$sock_unit" ] && ok "the units are installed" || ko "units missing"
enabled=$(find /etc/systemd/system -name 'ipcexec.*' 2>/dev/null)
check "no unit enabled" "" "$enabled"
# /proc rather than ps: a minimal root has no procps. By the programs'
# paths: in a chroot, /proc also shows the host's processes.
running=
for e in /proc/[0-9]*/exe; do
  case $(readlink "$e" 2>/dev/null) in
    /usr/bin/ipcserver | /usr/sbin/ipcexecd | /usr/sbin/ipcexec) running="$running ${e%/exe}" ;;
  esac
done
check "no packaged broker running after install" "" "$running"
[ -e /run/ipcexec/s ] && ko "a socket at /run/ipcexec/s after install" || ok "no socket at /run/ipcexec/s after install"

# The installed rules, compiled by postinst, deny everything.
check "rules.cdb: root's, mode 644" "root 644" "$(stat -c '%U %a' /etc/ipcexec/rules.cdb 2>&1)"
dpkg-query -W -f='${Conffiles}\n' ucspi-ipc | grep -q '^ /etc/ipcexec/rules ' \
  && ok "/etc/ipcexec/rules is a conffile" || ko "/etc/ipcexec/rules is not a conffile"
check "the installed rules deny" "deny connection" \
  "$(IPCREMOTEEUID=1000 IPCREMOTEEGID=1000 IPCUID=0 IPCCOMMAND=id ipcexecrulescheck /etc/ipcexec/rules.cdb | tail -n 1)"

# --- an allow rule for a temporary user

cp -a /etc/ipcexec "$t/etc-ipcexec" || exit 111
saved=yes
orig=$(cd /etc/ipcexec && cat rules rules.cdb | cksum)
useradd -M -N -g nogroup -d /nonexistent -s /usr/sbin/nologin "$user" || { ko "useradd $user"; exit 1; }
uid=$(id -u "$user")
gid=$(id -g "$user")
{
  echo "$uid,65534.id:allow=\"/usr/bin/id\""
  cat "$t/etc-ipcexec/rules"
} >/etc/ipcexec/rules
ipcexecrules /etc/ipcexec/rules.cdb /etc/ipcexec/rules.tmp </etc/ipcexec/rules \
  && ok "the allow rule compiles" || ko "ipcexecrules"

# --- the broker, as the unit starts it (ipcexecd binds the socket
# itself when systemd passes none)

cmd=$(sed -n 's/^ExecStart=//p' "$unit" | head -n 1)
case $cmd in
  /usr/sbin/ipcexecd\ *) ok "ExecStart: $cmd" ;;
  *) ko "ExecStart: unexpected '$cmd'" ;;
esac
socket=$(sed -n 's/^ListenStream=//p' "$sock_unit")
check "the socket unit's path is the clients' default" "/run/ipcexec/s" "$socket"
[ -e "$socket" ] || socket_was_absent=yes
# The unit's line as words: it holds no quotes or variables.
# shellcheck disable=SC2086
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $cmd 2>"$t/broker.log" &
broker=$!
i=0
while [ ! -S "$socket" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$socket" ] && ok "the broker listens on $socket" || { ko "no socket at $socket"; cat "$t/broker.log"; exit 1; }

# --- one delegated command through the packaged ipcdo

out=$(cd / && setpriv --reuid="$uid" --regid="$gid" --clear-groups -- ipcdo nobody id -un 2>"$t/ipcdo.err")
rc=$?
check "ipcdo nobody id -un, as $user: exit 0" 0 "$rc"
check "... prints nobody" "nobody" "$out"
check "... nothing on stderr" "" "$(cat "$t/ipcdo.err")"
out=$(cd / && setpriv --reuid="$uid" --regid="$gid" --clear-groups -- ipcdo root id -un 2>"$t/ipcdo.err")
rc=$?
check "ipcdo root id, not allowed: exit 100" 100 "$rc"
check "... runs nothing" "" "$out"

sleep 0.3
grep -q "^ipcexec: ok $uid\.$gid,65534\.id .*decision=allow" "$t/broker.log" \
  && ok "audit: the allowed request" || ko "audit: no ok line for $uid.$gid,65534.id"
grep -q "^ipcexec: end $uid\.$gid,65534\.id .*status=exit:0" "$t/broker.log" \
  && ok "audit: its end, exit 0" || ko "audit: no end line"
grep -q "^ipcexec: deny $uid\.$gid,0\.id " "$t/broker.log" \
  && ok "audit: the denied request" || ko "audit: no deny line"
[ $failed -eq 0 ] || { echo "--- broker log"; cat "$t/broker.log"; }

# --- restored on exit; checked here
cleanup
trap - EXIT
id "$user" >/dev/null 2>&1 && ko "$user still exists" || ok "$user removed"
check "/etc/ipcexec restored: rules and rules.cdb as before" "$orig" "$(cd /etc/ipcexec && cat rules rules.cdb | cksum)"
check "... nothing else in it" "rules rules.cdb" "$(find /etc/ipcexec -mindepth 1 -printf '%P\n' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
check "the restored rules still deny" "deny connection" \
  "$(IPCREMOTEEUID="$uid" IPCREMOTEEGID="$gid" IPCUID=65534 IPCCOMMAND=id ipcexecrulescheck /etc/ipcexec/rules.cdb | tail -n 1)"

echo "deb-smoke: $pass passed, $failed failed"
[ $failed -eq 0 ]
