# summary.awk: per-round results (bench.sh's rounds.tsv) -> one line per
# contender. Run with -F'\t' -v kinds=FILE (lines "name<TAB>kind", in the
# order to report). Output, tab-separated, times in ms:
#   contender kind rounds median_ms min_ms best_ms cv_pct
#   x_setpriv x_setpriv_lo x_setpriv_hi over_floor_ms
# median_ms: median over rounds of the round's mean; min_ms: the fastest
# round mean; best_ms: the fastest single run; cv_pct: spread of the round
# means (stdev / mean); x_setpriv: median_ms / the baseline's median_ms;
# _lo/_hi: the lowest and highest per-round ratio (same round, so drift
# of the machine cancels); over_floor_ms: median_ms - the floor's.

function sort(a, n,    i, j, v) {
  for (i = 2; i <= n; i++) {
    v = a[i]
    for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]
    a[j + 1] = v
  }
}
function median(a, n) {
  sort(a, n)
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

BEGIN {
  while ((getline line < kinds) > 0) {
    split(line, f, "\t")
    order[++nc] = f[1]
    kind[f[1]] = f[2]
    if (f[2] == "baseline") base = f[1]
    if (f[2] == "floor") flr = f[1]
  }
}
NR == 1 { next }
{
  c = $2; r = $1
  n[c]++
  mean[c, n[c]] = $4 / 1000
  byround[c, r] = $4 / 1000
  if (!(c in best) || $5 / 1000 < best[c]) best[c] = $5 / 1000
  if (r > maxr) maxr = r
}
END {
  for (k = 1; k <= nc; k++) {
    c = order[k]
    m = n[c]
    s = 0; ss = 0
    delete a
    for (i = 1; i <= m; i++) { a[i] = mean[c, i]; s += a[i]; ss += a[i] * a[i] }
    med[c] = median(a, m)
    mn[c] = a[1]
    avg = s / m
    var = ss / m - avg * avg
    cv[c] = avg > 0 && var > 0 ? 100 * sqrt(var) / avg : 0
  }
  printf "contender\tkind\trounds\tmedian_ms\tmin_ms\tbest_ms\tcv_pct\tx_setpriv\tx_setpriv_lo\tx_setpriv_hi\tover_floor_ms\n"
  for (k = 1; k <= nc; k++) {
    c = order[k]
    lo = ""; hi = ""
    for (r = 1; r <= maxr; r++) {
      if (!((c, r) in byround) || !((base, r) in byround)) continue
      q = byround[c, r] / byround[base, r]
      if (lo == "" || q < lo) lo = q
      if (hi == "" || q > hi) hi = q
    }
    printf "%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.1f\t%.3f\t%.3f\t%.3f\t%.3f\n", c, kind[c], n[c],
      med[c], mn[c], best[c], cv[c], med[c] / med[base], lo, hi, med[c] - med[flr]
  }
}
