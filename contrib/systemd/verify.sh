#!/bin/sh
# verify.sh SYSTEMD-ANALYZE UNITS-DIR BINDIR SBINDIR RULES-CDB IPCEXECD SOCKET
#
# Checks the units meson generated in UNITS-DIR: that they name the
# installed broker (ipcexecd in SBINDIR), the configured RULES-CDB and
# SOCKET, that they keep what the broker needs, and that systemd-analyze
# verify accepts them without a single message. verify checks that
# ExecStart is executable, so it runs on a copy whose program path points
# to this build's IPCEXECD.
set -u
# shellcheck disable=SC2034  # bindir: the interface names it; the unit runs sbin programs only
analyze=$1 units=$2 bindir=$3 sbindir=$4 rules=$5 ipcexecd=$6 socket=$7
pass=0
failed=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
ko() { failed=$((failed + 1)); echo "FAIL - $*"; }

t=$(mktemp -d /tmp/units-verify.XXXXXX) || exit 1
trap 'rm -rf "$t"' EXIT

# has FILE LINE: FILE holds exactly LINE.
has() { grep -qxF -- "$2" "$1"; }

# subst FROM TO < in > out: literal replacement of every FROM.
subst() {
  while IFS= read -r line; do
    out=
    while :; do
      case $line in
        *"$1"*) out=$out${line%%"$1"*}$2; line=${line#*"$1"} ;;
        *) break ;;
      esac
    done
    printf '%s\n' "$out$line"
  done
}

svc=$units/ipcexec.service
sock=$units/ipcexec.socket
for f in "$svc" "$sock"; do
  [ -f "$f" ] || { echo "FAIL - $f was not generated"; exit 1; }
done

exec_start="ExecStart=$sbindir/ipcexecd -v -c 40 -C 5 $socket $rules"
has "$svc" "$exec_start" && ok "ExecStart runs the installed ipcexecd on $socket with $rules" \
  || ko "ExecStart: expected '$exec_start', got '$(grep ^ExecStart= "$svc")'"
has "$sock" "ListenStream=$socket" && ok "the socket is the configured one" || ko "ListenStream"
has "$sock" "SocketMode=0666" && ok "any user may connect (access is by identity)" || ko "SocketMode"
has "$sock" "RemoveOnStop=yes" && ok "no stale socket after stop" || ko "RemoveOnStop"
has "$svc" "Requires=ipcexec.socket" && ok "the service requires its socket" || ko "Requires"
has "$svc" "StandardError=journal" && ok "the audit lines go to the journal" || ko "StandardError"
has "$svc" "PrivateTmp=no" && ok "commands share /tmp with their users" || ko "PrivateTmp"
case $socket in
  /run/?*/*)
    d=${socket#/run/}; d=${d%/*}
    has "$svc" "RuntimeDirectory=$d" && has "$svc" "RuntimeDirectoryPreserve=yes" \
      && ok "the service makes the socket's directory and keeps it on stop" || ko "RuntimeDirectory"
    ;;
esac
has "$svc" "Delegate=yes" && ok "the service delegates its cgroup subtree (each command's cgroup)" || ko "Delegate"
grep -q '@[A-Z_]*@' "$svc" "$sock" && ko "a placeholder was left unsubstituted" || ok "every placeholder substituted"

# What would stop ipcexec from switching to any user, keeping the
# capabilities a rule grants, or dropping the bounding set.
for bad in '^NoNewPrivileges=' '^CapabilityBoundingSet=' '^AmbientCapabilities=' \
    '^User=' '^Group=' '^DynamicUser=' '^SecureBits=' '^ProtectSystem=\(yes\|full\|strict\)' \
    '^SystemCallFilter=' '^RestrictNamespaces=' '^PrivateUsers='; do
  grep -q -- "$bad" "$svc" && ko "the service must not set $bad" || ok "not set: $bad"
done

subst "$sbindir/ipcexecd " "$ipcexecd " <"$svc" >"$t/ipcexec.service"
cp "$sock" "$t/ipcexec.socket"
has "$t/ipcexec.service" "ExecStart=$ipcexecd -v -c 40 -C 5 $socket $rules" \
  && ok "the copy runs this build's programs" || ko "the copy's ExecStart: $(grep ^ExecStart= "$t/ipcexec.service")"

# --man=no: the pages are not installed where man would look.
out=$("$analyze" verify --man=no "$t/ipcexec.socket" "$t/ipcexec.service" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then
  ok "systemd-analyze verify: no message"
else
  ko "systemd-analyze verify (exit $rc):"
  printf '%s\n' "$out"
fi

echo "systemd-units: $pass passed, $failed failed"
[ $failed -eq 0 ]
