#!/usr/bin/env bash
# Proves the README's commands on a fresh machine: builds a minimal Debian
# root with debootstrap (from the mirror this machine's apt uses), copies a
# clean clone of the current commit into it under /root (mode 0700, where a
# root user clones), and runs inside it, with no terminal:
#   1. the README's test command as root, then the demo command;
#   2. that no test or demo user was left behind;
#   3. the test command as an unprivileged user from a clone of its own
#      (unit tests run, the root-only end-to-end tests are skipped);
#   4. the Debian package build (tools/deb.sh, lintian included), then the
#      package installed into a second fresh root with apt-get and one
#      delegated command served by the packaged broker (tools/deb-smoke.sh).
# Exits non-zero on any failure and unmounts everything on every exit path.
#
# The debootstrap result is cached as a tarball holding only what
# debootstrap installed (FRESH_CACHE, default /var/cache/ucspi-ipc-ci);
# each run unpacks a new copy. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
SUITE=${FRESH_SUITE:-bookworm}
CACHE=${FRESH_CACHE:-/var/cache/ucspi-ipc-ci}
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

say() { printf 'fresh-root: %s\n' "$*"; }
die() { printf 'fresh-root: fatal: %s\n' "$*" >&2; exit 111; }

[ "$(id -u)" = 0 ] || die "run me as root (debootstrap, chroot and mounts need it)"
# Everything below runs in a mount namespace of its own, private: no mount
# or unmount made for the roots can propagate to the machine's (whose /sys
# and /dev may be shared mounts), and whatever is left mounted goes with
# the namespace when we exit.
if [ "${FRESH_ROOT_NS:-}" != 1 ]; then
  exec env FRESH_ROOT_NS=1 unshare --mount --propagation private -- bash "$0" "$@"
fi
sh tools/deps.sh

# The mirror the machine's apt uses for the suite (deb822 or one-line form).
mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk -v s="$SUITE" '
      /^[ \t]*$/ { if (u != "" && ok) { print u; exit } u = ""; ok = 0; next }
      tolower($1) == "uris:" { u = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
      END { if (u != "" && ok) print u }' "$f" | head -n 1)
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk -v s="$SUITE" '$1 == "deb" && $0 !~ /^#/ {
      for (i = 2; i < NF; i++) if ($i !~ /^\[/ && $(i + 1) == s) { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  echo http://deb.debian.org/debian
}
MIRROR=$(mirror)

# The pristine root: debootstrap's own result and nothing else, made once.
TARBALL=$CACHE/$SUITE-minbase.tar
if [ ! -s "$TARBALL" ]; then
  say "debootstrap --variant=minbase $SUITE from $MIRROR (cached in $TARBALL)"
  mkdir -p "$CACHE"
  chmod 700 "$CACHE"
  boot=$(mktemp -d /var/tmp/ucspi-ipc-debootstrap.XXXXXX)
  if ! debootstrap --variant=minbase "$SUITE" "$boot" "$MIRROR" >"$boot.log" 2>&1; then
    tail -n 30 "$boot.log" >&2
    rm -rf "$boot" "$boot.log"
    die "debootstrap failed"
  fi
  chmod 755 "$boot"
  tar -C "$boot" -cf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL"
  rm -rf "$boot" "$boot.log"
fi

ROOTS=
# fresh NAME: unpacks a new root, mounts what the tests need; sets NEW.
fresh() {
  local r
  r=$(mktemp -d "/var/tmp/ucspi-ipc-$1.XXXXXX")
  ROOTS="$ROOTS $r"
  NEW=$r
  tar -C "$r" -xf "$TARBALL"
  chmod 755 "$r"   # mktemp made it 0700; a root directory is 0755
  # How this machine reaches its mirror: name service and local apt
  # settings (files no package owns), never the packages themselves.
  cp /etc/resolv.conf "$r/etc/resolv.conf"
  local f
  for f in /etc/apt/apt.conf.d/*; do
    [ -f "$f" ] && ! dpkg -S "$f" >/dev/null 2>&1 && cp "$f" "$r/etc/apt/apt.conf.d/"
  done
  mount -t proc proc "$r/proc"
  mount --rbind --make-rslave /sys "$r/sys"
  mount --rbind --make-rslave /dev "$r/dev"
  mount -t tmpfs -o mode=755 tmpfs "$r/run"
}

# Every exit path: stop what still runs in a root, unmount it, and delete
# it only once nothing is mounted below it.
cleanup() {
  local r p left
  set +e
  for r in $ROOTS; do
    for p in /proc/[0-9]*; do
      [ "$(readlink "$p/root" 2>/dev/null)" = "$r" ] && kill -KILL "${p#/proc/}" 2>/dev/null
    done
    sleep 0.2
    for m in run dev sys proc; do
      # Code run as root in the root may have made this a symlink: never
      # follow it out of the root.
      if [ -L "$r/$m" ]; then
        echo "fresh-root: $r/$m is a symlink, not unmounted" >&2
        continue
      fi
      mountpoint -q "$r/$m" && { umount -R "$r/$m" 2>/dev/null || umount -R -l "$r/$m"; }
    done
    left=$(awk -v r="$r/" 'index($2 "/", r) == 1' /proc/self/mounts)
    if [ -n "$left" ]; then
      printf 'fresh-root: still mounted, %s kept:\n%s\n' "$r" "$left" >&2
    else
      rm -rf --one-file-system "$r"
    fi
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# inroot ROOT COMMAND: runs a shell command in the root as root, with no
# terminal and a clean environment.
inroot() {
  local r=$1
  shift
  chroot "$r" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive setsid -w sh -ec "$*" </dev/null &
  # In the background so that a signal to us runs the traps at once.
  wait $!
}

REV=$(git -C "$SRC" rev-parse HEAD)
fresh test
R=$NEW
say "root $R: clone of $REV in /root/ucspi-ipc"
git clone -q --no-hardlinks "$SRC" "$R/root/ucspi-ipc"
git -C "$R/root/ucspi-ipc" checkout -q "$REV"
[ "$(stat -c %a "$R/root")" = 700 ] || die "/root in the fresh root is not mode 0700"

say "1. as root: sh tools/test.sh, then sh tools/demo.sh"
inroot "$R" 'cd /root/ucspi-ipc && sh tools/test.sh && sh tools/demo.sh'

say "2. no test or demo user or group left"
left=$(inroot "$R" 'for u in 4242 4245 4260 ipctest ipctest2 ipctest3 ipcdemo; do getent passwd $u || true; done
  for g in 4343 4344 4346 4260 ipctestg ipctest2 ipctest3 ipcdemo; do getent group $g || true; done')
[ -z "$left" ] || die "left behind: $left"

say "3. as an unprivileged user: sh tools/test.sh (root-only tests skipped)"
inroot "$R" 'useradd -m -s /bin/sh civ && git clone -q /root/ucspi-ipc /home/civ/ucspi-ipc && chown -R civ: /home/civ/ucspi-ipc'
out=$(inroot "$R" 'cd /home/civ/ucspi-ipc && setpriv --reuid=civ --regid=civ --init-groups env HOME=/home/civ sh tools/test.sh' 2>&1) ||
  { printf '%s\n' "$out"; die "the test command failed as an unprivileged user"; }
printf '%s\n' "$out" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped):'
printf '%s\n' "$out" | grep -Eq '^Skipped: +[1-9]' || die "no test was skipped as non-root"
# Every end-to-end suite starts root brokers and skips, except e2e-rules,
# which runs the compilers and checkers only (its checks that switch users
# say "skip").
if printf '%s\n' "$out" | grep -E '^ *[0-9]+/[0-9]+ .*e2e' | grep -v 'e2e-rules ' | grep -vq ' SKIP '; then
  die "an end-to-end test that needs root did not skip as non-root"
fi
printf '%s\n' "$out" | grep -E '^ *[0-9]+/[0-9]+ ' | grep 'unit' | grep -q ' OK ' || die "no unit test ran as non-root"

say "4. the Debian package: build and lintian, then install into a new fresh root"
inroot "$R" 'cd /root/ucspi-ipc && sh tools/deb.sh /root/deb-out'
fresh pkg
P=$NEW
mkdir -p "$P/root/deb"
cp "$R"/root/deb-out/*.deb "$P/root/deb/"
cp "$SRC/tools/deb-smoke.sh" "$P/root/deb-smoke.sh"
inroot "$P" 'sh /root/deb-smoke.sh /root/deb'

say "all steps passed"
