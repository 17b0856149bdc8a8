#!/bin/bash
# bench/profile.sh: where the time of one `ipcdo 65534 /bin/true` goes.
#
#   bench/profile.sh [--rounds N] [--runs N] [--build DIR] [--no-build]
#                    [--no-install] [--keep-user] [--no-perf] [--no-strace]
#
# 1. Stages, by subtraction: the same request against brokers that stop
#    earlier or skip one step, measured in interleaved rounds like
#    bench.sh. The variants that skip a defence (no seccomp, no group
#    list) exist only here, to price that step; bench.sh never uses them.
# 2. Name-service cost in a fresh process, as ipcexec looks names up.
# 3. Where the CPU goes (perf record -a over the full path), by process
#    and by kind of work, when perf is installed.
# 4. System calls per request on the server side (strace -f -c), when
#    strace is installed.
# Runs as root; cleans up like bench.sh. A diagnostic, not a test.
set -euo pipefail

PROG=profile
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=6
RUNS=300
DO_PERF=1
DO_STRACE=1

usage() {
  cat >&2 <<EOF
usage: bench/profile.sh [--rounds N] [--runs N] [--build DIR] [--no-build] [--no-install] [--keep-user] [--no-perf] [--no-strace]
EOF
  exit 100
}

while [ $# -gt 0 ]; do
  case $1 in
    --rounds) posarg $# "${2-}" || usage; ROUNDS=$2; shift ;;
    --runs) posarg $# "${2-}" || usage; RUNS=$2; shift ;;
    --build) [ $# -ge 2 ] || usage; BUILD=$(realpath -m -- "$2"); shift ;;
    --no-build) DO_BUILD=0 ;;
    --no-install) DO_INSTALL=0 ;;
    --keep-user) KEEP_USER=1 ;;
    --no-perf) DO_PERF=0 ;;
    --no-strace) DO_STRACE=0 ;;
    *) usage ;;
  esac
  shift
done

[ "$(id -u)" = 0 ] || die "run me as root: I start root servers"
lib_traps
lib_tmp
lib_build
lib_driver
lib_user
WARM=$(( RUNS / 20 > 2 ? RUNS / 20 : 2 ))
IPCDO=$BUILD/client/ipcdo
REPORT=$TMP/report.txt
exec 3>&1
exec > >(tee "$REPORT" >&3)

# ---------------------------------------------------------------- servers

B=$BUILD
compile_rules full "$BENCH_UID,$TARGET_UID./bin/true:allow"
compile_rules deny "$BENCH_UID,$TARGET_UID./bin/false:allow"
compile_rules nogroups "$BENCH_UID,$TARGET_UID./bin/true:allow,IPCGID=\"$TARGET_UID\""
compile_rules noseccomp "$BENCH_UID,$TARGET_UID./bin/true:allow,IPCSECCOMP=\"none\""
start_server "$TMP/handler.log" "$TMP/handler.sock" "$B/broker/ipcserver" "$TMP/handler.sock" /bin/true || die "ipcserver did not start"
for v in full deny nogroups noseccomp; do
  start_server "$TMP/$v.log" "$TMP/$v.sock" "$B/broker/ipcserver" "$TMP/$v.sock" "$B/exec/ipcexec" "$TMP/$v.cdb" \
    || die "ipcserver for $v did not start"
  [ "$v" = full ] && FULL_PID=$SERVER_PID
done
# The full request again, with the broker seeing an nsswitch.conf that
# lists only "files" for passwd and group: bound over the real one in a
# private mount namespace, so the system itself is not touched.
NSSFILES=0
sed -E 's/^(passwd|group|shadow|gshadow):.*/\1: files/' /etc/nsswitch.conf >"$TMP/nsswitch.files"
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
  # shellcheck disable=SC2016  # expanded by the inner shell
  start_server "$TMP/nssfiles.log" "$TMP/nssfiles.sock" unshare -m --propagation private sh -c \
    'mount --bind "$1" /etc/nsswitch.conf && shift && exec "$@"' sh "$TMP/nsswitch.files" \
    "$B/broker/ipcserver" "$TMP/nssfiles.sock" "$B/exec/ipcexec" "$TMP/full.cdb" && NSSFILES=1
fi
[ "$NSSFILES" = 1 ] || say "no private mount namespace here: skipping the files-only nsswitch variant"

C_NAME=() C_AS=() C_ENV=() C_CMD=()
stage() {  # stage NAME AS ENV CMD...
  local name=$1 as=$2 envs=$3 err
  shift 3
  err=$(run_driver "$as" "$envs" 1 0 "$@" 2>&1 >/dev/null) || die "stage '$name' does not work: $err ($(diagnose "$as" "$envs" "$@"))"
  C_NAME+=("$name") C_AS+=("$as") C_ENV+=("$envs") C_CMD+=("$(printf '%q ' "$@")")
}
stage floor user "" /bin/true
stage client user-any "" "$IPCDO"
stage handler user-any "IPCEXECPATH=$TMP/handler.sock" "$IPCDO" "$TARGET_UID" /bin/true
stage deny user-any "IPCEXECPATH=$TMP/deny.sock" "$IPCDO" "$TARGET_UID" /bin/true
stage nogroups user "IPCEXECPATH=$TMP/nogroups.sock" "$IPCDO" "$TARGET_UID" /bin/true
stage noseccomp user "IPCEXECPATH=$TMP/noseccomp.sock" "$IPCDO" "$TARGET_UID" /bin/true
stage full user "IPCEXECPATH=$TMP/full.sock" "$IPCDO" "$TARGET_UID" /bin/true
[ "$NSSFILES" = 1 ] && stage nssfiles user "IPCEXECPATH=$TMP/nssfiles.sock" "$IPCDO" "$TARGET_UID" /bin/true
stage setpriv root "" "$(command -v setpriv)" --reuid="$TARGET_UID" --regid="$TARGET_UID" --clear-groups /bin/true

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
say "stages: $ROUNDS rounds x $RUNS runs, load $LOAD"
run_rounds "$TMP/stages.tsv" "$ROUNDS" "$RUNS" "$WARM"

MODE=$(sed -n 's/^ipcexec: ok .* mode=\([^ ]*\) .*/\1/p' "$TMP/full.log" | tail -n 1)
echo "== 1. stages of 'ipcdo $TARGET_UID /bin/true', ${MODE:-?} mode (ms, median over $ROUNDS rounds of $RUNS; load $LOAD -> $(cut -d' ' -f1-3 /proc/loadavg))"
awk -F'\t' '
  function med(c,    m, i, j, x, a) {
    m = n[c]
    for (i = 1; i <= m; i++) a[i] = v[c, i]
    for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    return (m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2) / 1000
  }
  NR > 1 { n[$2]++; v[$2, n[$2]] = $4 }
  END {
    f = med("floor"); c = med("client"); h = med("handler"); d = med("deny")
    g = med("nogroups"); s = med("noseccomp"); t = med("full"); p = med("setpriv")
    printf "  %-58s %7.3f\n", "exec of /bin/true alone (the floor)", f
    printf "  %-58s %7.3f\n", "setpriv baseline", p
    printf "  %-58s %7.3f\n", "full request, every defence on", t
    print  "  step by step (each line: what the next variant adds):"
    printf "  %-58s %7.3f\n", "client: ipcdo start-up and exit", c
    printf "  %-58s %+7.3f\n", "connect; ipcserver accepts, forks, execs a handler", h - c
    printf "  %-58s %+7.3f\n", "ipcexec start-up, request, passwd lookups, cdb, audit", d - h
    printf "  %-58s %+7.3f\n", "allow: groups, env, fork, sandbox, exec target, wait", t - d
    printf "  %-58s %+7.3f\n", "  of which the group-list lookup (IPCGID set skips it)", t - g
    printf "  %-58s %+7.3f\n", "  of which loading the seccomp filters", t - s
    if (n["nssfiles"]) printf "  %-58s %+7.3f\n", "broker with nsswitch \"files\" only, instead of the system'"'"'s", med("nssfiles") - t
    printf "  %-58s %7.2f\n", "full / setpriv", t / p
  }' "$TMP/stages.tsv"

# ---------------------------------------------------------------- NSS

echo
echo "== 2. name-service lookups in a fresh process, as ipcexec makes them (us, mean of 300)"
cc -O2 -o "$TMP/nssprobe" "$BENCHDIR/nssprobe.c" || die "unable to build nssprobe"
nss_probe() {
  for _ in $(seq 300); do "$@" "$TMP/nssprobe" "$BENCH_UID" "$TARGET_UID"; done | awk -F'\t' '
  { a += $1; b += $2; c += $3; d += $4 }
  END {
    printf "  %-58s %7.1f\n", "getpwuid(caller), the first call", a / NR
    printf "  %-58s %7.1f\n", "getpwuid(target)", b / NR
    printf "  %-58s %7.1f\n", "getpwuid(target) again", c / NR
    printf "  %-58s %7.1f\n", "getgrouplist(target)", d / NR
    printf "  %-58s %7.1f\n", "total", (a + b + c + d) / NR
  }'
}
echo "  with this system's nsswitch.conf: $(grep -E '^(passwd|group):' /etc/nsswitch.conf | tr -s ' \t' ' ' | paste -sd ';' -)"
nss_probe
if [ "$NSSFILES" = 1 ]; then
  echo "  with \"files\" only (private mount namespace):"
  # shellcheck disable=SC2016
  nss_probe unshare -m --propagation private sh -c 'mount --bind "$1" /etc/nsswitch.conf && shift && exec "$@"' sh "$TMP/nsswitch.files"
fi

# ---------------------------------------------------------------- perf

if [ "$DO_PERF" = 1 ] && { command -v perf >/dev/null || apt_install linux-perf; } && command -v perf >/dev/null; then
  PN=$(( RUNS * 4 ))
  FREQ=1999
  echo
  echo "== 3. CPU per request by process and kind of work (perf record -a -F $FREQ, $PN requests; us per request)"
  if perf record -q -F "$FREQ" -a -o "$TMP/perf.data" -- \
      env -i IPCEXECPATH="$TMP/full.sock" "$DRIVER" -u "$BENCH_UID" -g "$BENCH_GID" -n "$PN" -- "$IPCDO" "$TARGET_UID" /bin/true \
      >/dev/null 2>"$TMP/perf.err"; then
    perf report -i "$TMP/perf.data" --comms ipcdo,ipcserver,ipcexec,true,benchrun -F sample,comm,dso,sym -t '|' --stdio 2>/dev/null \
      | grep -v '^#' | grep -v '^$' >"$TMP/perf.txt" || true
    awk -F'|' -v hz="$FREQ" -v n="$PN" '
      function kind(dso, sym) {
        if (sym ~ /handle_amd|handle_intel|init_cpu_features|get_common_indices|update_active|intel_check_word|init_cacheinfo|_dl_x86_init_cpu/) return "glibc start-up: CPU feature probing (cpuid, trapped by the hypervisor)"
        if (sym ~ /do_lookup_x|_dl_relocate_object|check_match|_dl_map_object|_dl_lookup_symbol|_dl_start|_dl_new_object|_dl_catch|_dl_sysdep|_dl_init_paths|_dl_cache/) return "dynamic linking: symbol lookup, relocation, mapping"
        if (sym ~ /seccomp|do_jit|bpf_convert_filter|bpf_prepare_filter|bpf_int_jit|bpf_jit|bpf_prog_(alloc|select|pack|fill|store)/) return "seccomp: filter JIT (its attach shows as irq-off below)"
        if (sym ~ /copy_page_range|copy_process|dup_mm|dup_mmap|anon_vma_fork|copy_pte|copy_p[mu]d/) return "fork: copying the address space"
        if (sym ~ /_raw_spin_unlock_irq|finish_task_switch|__schedule|schedule/) return "irq-off sections (seccomp attach, wakeups), scheduler"
        if (sym !~ /\[k\]/) return "user, other"
        if (sym ~ /page_fault|handle_mm_fault|do_fault|filemap_map_pages|next_uptodate_folio|set_pte_range|wp_page|do_anonymous_page|copy_mc|clear_page|folio_add|filemap_fault|lock_vma|do_read_fault|set_ptes|pte_offset|vm_normal_page|xas_/) return "kernel: page faults (mapping binaries and libraries, CoW)"
        if (sym ~ /unmap_page_range|unmap_vmas|exit_mmap|free_pages|release_pages|zap_|tlb|free_pgtables|mmput|folio_remove_rmap|free_unref|free_pcppages|__free_/) return "kernel: address-space teardown (exit, exec)"
        if (sym ~ /mas_|vma_|mmap_region|do_mmap|mprotect|mt_find|vm_area|anon_vma|perf_event_mmap|split_vma|mmap/) return "kernel: mmap and VMA bookkeeping"
        if (sym ~ /kmem_cache|memcg|slab|lruvec|alloc_pages|get_page_from_freelist|pcpu_alloc|kmalloc|kfree|rcu/) return "kernel: allocators and cgroup accounting"
        if (sym ~ /load_elf|begin_new_exec|bprm|execve|link_path_walk|d_lookup|path_|strnlen_user|copy_strings|prepend_path|d_path|lookup_fast|walk_component|inode_permission|do_open|open_/) return "kernel: exec and path lookup"
        if (sym ~ /creds|security_task_prctl|cap_|prctl/) return "kernel: credentials (id changes, capability drops)"
        return "kernel, other (syscall entry, sockets, signals, ...)"
      }
      {
        s = $1 + 0; gsub(/ +$/, "", $2); gsub(/^ +| +$/, "", $4)
        comm[$2] += s; cat[kind($3, $4)] += s; tot += s
      }
      END {
        f = 1e6 / hz / n
        print "  by process (ipcexec includes its child up to the exec of the target):"
        for (c in comm) printf "    %7.1f  %s\n", comm[c] * f, c | "sort -nr"
        close("sort -nr")
        print "  by kind of work:"
        for (k in cat) printf "    %7.1f  %s\n", cat[k] * f, k | "sort -nr"
        close("sort -nr")
        printf "    %7.1f  %s\n", tot * f, "total CPU per request"
      }' "$TMP/perf.txt"
    echo "  top symbols:"
    awk -F'|' -v hz="$FREQ" -v n="$PN" 'NR <= 15 { gsub(/ +$/, "", $2); gsub(/^ +| +$/, "", $4); printf "    %7.1f  %-10s %s\n", $1 * 1e6 / hz / n, $2, $4 }' "$TMP/perf.txt"
  else
    echo "  perf record failed: $(head -n 2 "$TMP/perf.err" | tr '\n' ' ')"
  fi
else
  echo
  echo "== 3. skipped: perf not available (--no-perf, or linux-perf not installable)"
fi

# ---------------------------------------------------------------- strace

if [ "$DO_STRACE" = 1 ] && { command -v strace >/dev/null || apt_install strace; } && command -v strace >/dev/null; then
  SN=100
  echo
  echo "== 4. system calls per request on the server side (strace -f -c on ipcserver and its children, $SN requests)"
  strace -f -c -o "$TMP/strace.txt" -p "$FULL_PID" 2>/dev/null &
  ST=$!
  PIDS+=("$ST")
  sleep 0.5
  run_driver user "IPCEXECPATH=$TMP/full.sock" "$SN" 0 "$IPCDO" "$TARGET_UID" /bin/true >/dev/null
  sleep 0.3
  kill -INT "$ST" 2>/dev/null || true
  wait "$ST" 2>/dev/null || true
  awk -v n="$SN" '
    $1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { c[$NF] = $4; t += $4 }
    END {
      printf "    %7.1f  %s\n", t / n, "total"
      for (s in c) printf "    %7.1f  %s\n", c[s] / n, s | "sort -nr | head -n 12"
    }' "$TMP/strace.txt"
else
  echo
  echo "== 4. skipped: strace not available"
fi

mkdir -p "$RESULTS"
cp "$REPORT" "$RESULTS/profile-latest.txt"
echo
echo "report: $RESULTS/profile-latest.txt"
