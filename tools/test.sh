#!/bin/sh
# Sets up and runs every test: installs the build dependencies, builds with
# warnings as errors into build/, and runs the whole suite (unit, end-to-end,
# fuzz smoke). The end-to-end tests switch users, so run this as root.
# Pass a build directory and extra meson options to build elsewhere, e.g.
#   tools/test.sh build-asan -Db_sanitize=address,undefined
set -eu
cd "$(dirname "$0")/.."
sh tools/deps.sh
dir=${1:-build}
[ $# -gt 0 ] && shift
if [ -d "$dir" ]; then
  meson setup --reconfigure --werror "$dir" "$@" >/dev/null
else
  meson setup --werror "$dir" "$@" >/dev/null
fi
ninja -C "$dir"
meson test -C "$dir" --print-errorlogs --num-processes 2
