#!/bin/sh
# Installs what building and testing need, from Debian's packages.
# Idempotent; runs as root (or through sudo). With "bench", also what
# bench/bench.sh and bench/profile.sh compare with or profile by (sudo,
# doas, perf, strace): never needed by the tests.
set -eu
# build: meson ninja-build pkg-config gcc, musl-tools (ipcdo and ipcrun,
# static with musl); fuzz and sanitizers: clang
# libclang-rt-14-dev; libraries: libcdb-dev libseccomp-dev libcap-ng-dev
# libcriterion-dev libperl-dev (ipcperl); the tests, the demo and the service directory: tinycdb
# util-linux procps passwd systemd make s6 (s6-log, the log service's
# logger), python3 (the pty tests' terminal driver); man pages: mandoc groff-base man-db bsdextrautils; the Debian
# package and the fresh-root CI: build-essential debhelper dpkg-dev fakeroot lintian
# debootstrap git; shell lint: shellcheck.
PKGS="meson ninja-build pkg-config gcc musl-tools clang libclang-rt-14-dev
libcdb-dev tinycdb libseccomp-dev libcap-ng-dev libcriterion-dev libperl-dev
util-linux procps python3 mandoc groff-base man-db bsdextrautils systemd passwd
make s6 git build-essential debhelper dpkg-dev fakeroot lintian debootstrap shellcheck"
BENCH_PKGS="sudo opendoas linux-perf strace"
[ "${1:-}" = bench ] && PKGS="$PKGS $BENCH_PKGS"
missing=
for p in $PKGS; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps: need root to install:$missing" >&2
  exit 111
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
