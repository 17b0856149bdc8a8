#!/bin/sh
# tools/deb.sh [OUTDIR]: builds the Debian binary packages from a clean
# export of HEAD (git archive: what is committed, never the working tree),
# with dpkg-buildpackage -us -uc -b, copies the .deb and .changes files to
# OUTDIR (./deb-out by default) and runs lintian on the .changes: warnings
# are printed, any error fails. Needs the build dependencies of
# debian/control (tools/deps.sh installs them).
set -eu
out=${1:-deb-out}
top=$(git rev-parse --show-toplevel)
mkdir -p "$out"
out=$(cd "$out" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/ucspi-ipc-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM HUP

src=$work/ucspi-ipc
mkdir "$src"
git -C "$top" archive --format=tar HEAD | tar -x -C "$src"

# Unmet build dependencies are reported by dpkg-checkbuilddeps, first.
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
  tail -n 60 "$work/build.log" >&2
  echo "deb: dpkg-buildpackage failed; the log's end is above" >&2
  exit 1
}
# What dh_auto_test ran and skipped, from the build log.
grep -E '^dh_auto_test: skipping|^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped|Timeout): ' "$work/build.log" || true

changes=$(ls "$work"/*.changes)
# dpkg-genchanges lists what the build made: copy exactly those files.
# shellcheck disable=SC2013  # file names, one word each
for f in $(sed -n '/^Files:/,/^[^ ]/s/^ [0-9a-f]* [0-9]* [^ ]* [^ ]* //p' "$changes"); do
  cp "$work/$f" "$out/"
done
cp "$changes" "$out/"
echo "deb: built in $out:"
(cd "$out" && ls -l ./*.deb)

# lintian exits non-zero on errors (its default --fail-on error); the
# warnings it prints do not fail the build.
echo "deb: lintian $(basename "$changes")"
if lintian --display-info --fail-on error "$out/$(basename "$changes")"; then
  echo "deb: lintian: no errors"
else
  echo "deb: lintian found errors" >&2
  exit 1
fi
