# table.awk: bench.sh's summary TSV -> the tables printed on stdout.
# Run with -F'\t' -v goal=RATIO (our target: at most RATIO x setpriv).

/^#/ { next }
$1 == "contender" { next }
{
  c = $1
  order[++n] = c
  kind[c] = $2; med[c] = $4; mn[c] = $5; best[c] = $6; cv[c] = $7
  x[c] = $8; lo[c] = $9; hi[c] = $10; over[c] = $11
  if ($2 == "baseline") base = c
  if ($2 == "competitor") comp[++ncomp] = c
  if ($2 == "ours") ours[++nours] = c
  if (length(c) > w) w = length(c)
}
END {
  if (w < 9) w = 9
  printf "%-" w "s  %-10s %9s %9s %9s %6s  %-21s %10s\n", "contender", "kind", "median ms", "min ms",
    "best ms", "cv %", "x setpriv [rounds]", "over true"
  for (i = 1; i <= n; i++) {
    c = order[i]
    printf "%-" w "s  %-10s %9.3f %9.3f %9.3f %6.1f  %5.2f [%5.2f-%5.2f]  %+10.3f\n", c, kind[c], med[c], mn[c],
      best[c], cv[c], x[c], lo[c], hi[c], over[c]
  }
  if (!nours) exit
  print ""
  print "ours / theirs (median over median; below 1.00 means ours is faster):"
  printf "%-" w "s  %9s", "", "setpriv"
  for (j = 1; j <= ncomp; j++) printf "  %15s", comp[j]
  printf "\n"
  for (i = 1; i <= nours; i++) {
    c = ours[i]
    printf "%-" w "s  %9.2f", c, med[c] / med[base]
    for (j = 1; j <= ncomp; j++) printf "  %15.2f", med[c] / med[comp[j]]
    printf "\n"
  }
  print ""
  for (i = 1; i <= nours; i++) {
    c = ours[i]
    verdict = x[c] <= goal ? "met" : "NOT met"
    line = sprintf("goal %s: %.2f x setpriv (target <= %.2f) %s", c, x[c], goal, verdict)
    slower = ""
    for (j = 1; j <= ncomp; j++)
      if (med[c] >= med[comp[j]]) slower = slower " " comp[j] ","
    if (ncomp) line = line (slower == "" ? "; faster than every competitor" : "; NOT faster than" slower)
    sub(/,$/, "", line)
    print line
  }
}
