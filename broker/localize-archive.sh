#!/bin/sh
# localize-archive.sh OUT.a IN.a LD OBJCOPY AR: the static libipchandle.
# Links IN.a's objects into one relocatable object and makes every hidden
# symbol local, so the archive exports what ipchandle.h declares and
# nothing else, like the shared library's version script.
set -eu
out=$1 in=$2 ld=$3 objcopy=$4 ar=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$ld" -r -o "$tmp/ipchandle.o" --whole-archive "$in"
"$objcopy" --localize-hidden "$tmp/ipchandle.o"
rm -f "$out"
"$ar" rcs "$out" "$tmp/ipchandle.o"
