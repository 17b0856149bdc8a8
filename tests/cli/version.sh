#!/bin/sh
# version.sh VERSION PROG...: each PROG prints "NAME VERSION" and exits 0
# for -V and for --version, its only argument.
set -u
version=$1
shift
pass=0 failed=0
for p in "$@"; do
  name=${p##*/}
  for opt in -V --version; do
    out=$("$p" "$opt" 2>&1)
    rc=$?
    if [ "$rc $out" = "0 $name $version" ]; then
      pass=$((pass + 1)); echo "ok   - $name $opt"
    else
      failed=$((failed + 1)); echo "FAIL - $name $opt: exit $rc, '$out'"
    fi
  done
done
echo "version: $pass passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$pass" -gt 0 ]
