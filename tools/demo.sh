#!/bin/sh
# The main job on a fresh machine: install dependencies, build, compile
# sample rules and show what they decide.
set -eu
cd "$(dirname "$0")/.."
sh tools/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
B=build/rules
T=$(mktemp -d /tmp/ucspi-ipc-demo.XXXXXX)
trap 'rm -rf "$T"' EXIT
cat > "$T/exec.rules" <<'RULES'
# user 4242 may run id and cat as nobody; nothing else
4242,65534.id:allow="/usr/bin/id"
4242,65534.cat:allow
4242,0.sh:deny
RULES
echo "== exec rules"; cat "$T/exec.rules"
build/rules/ipcexecrules "$T/exec.cdb" "$T/exec.tmp" < "$T/exec.rules"
for c in id cat sh; do
  for u in 65534 0; do
    echo "== uid 4242 asks to run $c as $u"
    IPCREMOTEEUID=4242 IPCREMOTEEGID=4242 IPCUID=$u IPCCOMMAND=$c "$B/ipcexecrulescheck" "$T/exec.cdb"
  done
done
