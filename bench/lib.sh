# shellcheck shell=bash disable=SC2034  # settings for the scripts that source this
# bench/lib.sh: what bench.sh and profile.sh share. Sourced, never run.
#
# Conventions: PROG names the script in messages; everything started or
# changed is recorded (PIDS, TMP, CREATED_*, CLEANUP_HOOKS) and undone by
# lib_cleanup, which lib_traps installs for EXIT, INT, TERM and HUP.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCHDIR=$REPO/bench
RESULTS=$BENCHDIR/results

BENCH_USER=ipcbench
BENCH_UID=4250
TARGET_UID=65534     # nobody on Debian
BUILD=$REPO/build-bench
DO_BUILD=1
DO_INSTALL=1
KEEP_USER=0

TMP=
PIDS=()
CREATED_USER=0
CREATED_GROUP=0
CLEANUP_HOOKS=()     # functions run first at exit

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: fatal: %s\n' "$PROG" "$*" >&2; exit 111; }
posint() { [[ $1 =~ ^[1-9][0-9]{0,6}$ ]]; }
posarg() { [ "$1" -ge 2 ] && posint "$2"; }   # posarg $# "${2-}": an option's number

lib_cleanup() {
  local rc=$? pid hook
  trap - EXIT INT TERM HUP
  set +e
  for hook in "${CLEANUP_HOOKS[@]}"; do "$hook"; done
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  [ -n "$TMP" ] && rm -rf "$TMP"
  if [ "$KEEP_USER" = 0 ]; then
    [ "$CREATED_USER" = 1 ] && userdel "$BENCH_USER" 2>/dev/null
    [ "$CREATED_GROUP" = 1 ] && groupdel "$BENCH_USER" 2>/dev/null
  fi
  exit "$rc"
}

lib_traps() {
  trap lib_cleanup EXIT
  trap 'say "interrupted, cleaning up"; exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
}

lib_tmp() {
  TMP=$(mktemp -d /tmp/ipcbench.XXXXXX)
  chmod 755 "$TMP"    # the bench user must reach the sockets in it
}

installed() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

APT_UPDATED=0
apt_install() {   # apt_install PKG: 0 when installed afterwards
  installed "$1" && return 0
  [ "$DO_INSTALL" = 1 ] || return 1
  if [ "$APT_UPDATED" = 0 ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 || true
    APT_UPDATED=1
  fi
  say "installing $1"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" \
    >"$TMP/apt.log" 2>&1 || { sed 's/^/  apt: /' "$TMP/apt.log" | tail -n 3 >&2; return 1; }
}

# Builds the project into $BUILD (release, no tests) unless --no-build,
# then checks the programs we need and notes the build type.
lib_build() {
  local p
  if [ "$DO_BUILD" = 1 ]; then
    if [ "$DO_INSTALL" = 1 ]; then sh "$REPO/tools/deps.sh" >&2 || die "unable to install build dependencies"; fi
    if [ ! -f "$BUILD/build.ninja" ]; then
      say "setting up $BUILD"
      meson setup "$BUILD" "$REPO" -Dbuildtype=release -Dtests=disabled -Dfuzz=disabled >"$TMP/meson.log" 2>&1 \
        || { tail -n 20 "$TMP/meson.log" >&2; die "meson setup failed"; }
    fi
    say "building $BUILD"
    ninja -C "$BUILD" >"$TMP/ninja.log" 2>&1 || { tail -n 30 "$TMP/ninja.log" >&2; die "build failed"; }
  fi
  for p in broker/ipcserver exec/ipcexec client/ipcdo rules/ipcexecrules; do
    [ -x "$BUILD/$p" ] || die "$BUILD/$p missing: build first, or pass --build DIR"
  done
  BUILDTYPE=$(meson introspect --buildoptions "$BUILD" 2>/dev/null \
    | grep -o '"name": "buildtype", "value": "[a-z]*"' | sed 's/.*"value": "//; s/"$//' || true)
  [ "$BUILDTYPE" = release ] || say "warning: $BUILD has buildtype '${BUILDTYPE:-unknown}', not release"
}

# The timing driver, compiled fresh: it is tiny and must match this libc.
lib_driver() {
  command -v cc >/dev/null || apt_install gcc || die "no C compiler for the timing driver"
  DRIVER=$TMP/benchrun
  cc -O2 -Wall -Wextra -o "$DRIVER" "$BENCHDIR/benchrun.c" || die "unable to build the timing driver"
}

lib_user() {
  if ! getent group "$BENCH_USER" >/dev/null; then
    if getent group "$BENCH_UID" >/dev/null; then groupadd "$BENCH_USER"; else groupadd -g "$BENCH_UID" "$BENCH_USER"; fi
    CREATED_GROUP=1
  fi
  if ! getent passwd "$BENCH_USER" >/dev/null; then
    getent passwd "$BENCH_UID" >/dev/null && die "uid $BENCH_UID is taken by another user"
    useradd -u "$BENCH_UID" -g "$BENCH_USER" -M -d /nonexistent -s /usr/sbin/nologin "$BENCH_USER"
    CREATED_USER=1
  fi
  BENCH_UID=$(id -u "$BENCH_USER")
  BENCH_GID=$(id -g "$BENCH_USER")
  TARGET_NAME=$(getent passwd "$TARGET_UID" | cut -d: -f1)
  [ -n "$TARGET_NAME" ] || die "uid $TARGET_UID has no passwd entry"
}

run_driver() {  # run_driver AS ENV RUNS WARMUP CMD...: one result line
  local as=$1 envs=$2 runs=$3 warm=$4 ids=()
  shift 4
  case $as in
    user) ids=(-u "$BENCH_UID" -g "$BENCH_GID") ;;
    user-any) ids=(-a -u "$BENCH_UID" -g "$BENCH_GID") ;;
  esac
  # shellcheck disable=SC2086  # ENV is a list of NAME=value words
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $envs \
    "$DRIVER" "${ids[@]}" -n "$runs" -w "$warm" -- "$@"
}

diagnose() {  # diagnose AS ENV CMD...: the first line the command says on stderr
  local as=$1 envs=$2 wrap=()
  shift 2
  [ "$as" != root ] && wrap=(setpriv --reuid="$BENCH_UID" --regid="$BENCH_GID" --clear-groups --)
  # shellcheck disable=SC2086
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $envs "${wrap[@]}" "$@" 2>&1 >/dev/null </dev/null | head -n 1
}

wait_socket() {  # wait_socket PATH PID
  local i
  for i in $(seq 1 100); do
    [ -S "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

start_server() {  # start_server LOG SOCKET CMD...: the pid goes to PIDS
  local log=$1 sock=$2 pid
  shift 2
  "$@" 2>>"$log" </dev/null >/dev/null &
  pid=$!
  PIDS+=("$pid")
  SERVER_PID=$pid
  wait_socket "$sock" "$pid"
}

# Exec rules for the broker: every line as given, compiled by the build's
# own ipcexecrules. compile_rules NAME LINE...: $TMP/NAME.cdb
compile_rules() {
  local name=$1
  shift
  printf '%s\n' "$@" >"$TMP/$name.rules"
  "$BUILD/rules/ipcexecrules" "$TMP/$name.cdb" "$TMP/$name.tmp" <"$TMP/$name.rules" \
    || die "ipcexecrules failed on $TMP/$name.rules"
}

# Interleaved rounds over the contenders in C_NAME/C_AS/C_ENV/C_CMD: each
# round runs all of them once, the order rotated every round and reversed
# every other one, so that no contender always follows the same one.
# Appends "round<TAB>name<TAB>driver line" to $1.
run_rounds() {  # run_rounds OUT ROUNDS RUNS WARMUP
  local out=$1 rounds=$2 runs=$3 warm=$4 n=${#C_NAME[@]} r k i line order rev
  printf 'round\tcontender\truns\tmean_us\tmin_us\tmedian_us\tmax_us\n' >"$out"
  for (( r = 0; r < rounds; r++ )); do
    order=()
    for (( k = 0; k < n; k++ )); do order+=($(( (k + r) % n ))); done
    if (( r % 2 )); then
      rev=()
      for (( k = n - 1; k >= 0; k-- )); do rev+=("${order[k]}"); done
      order=("${rev[@]}")
    fi
    for i in "${order[@]}"; do
      eval "set -- ${C_CMD[i]}"
      line=$(run_driver "${C_AS[i]}" "${C_ENV[i]}" "$runs" "$warm" "$@") \
        || die "${C_NAME[i]} failed in round $((r + 1))"
      printf '%d\t%s\t%s\n' "$((r + 1))" "${C_NAME[i]}" "$line" >>"$out"
    done
    printf '%s: round %d/%d done\n' "$PROG" "$((r + 1))" "$rounds" >&2
  done
}
