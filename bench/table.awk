# table.awk: bench.sh's summary TSV -> the tables printed on stdout.
# Run with -F'\t' -v goal=R -v stretch=R -v goal_sudo=R -v goal_doas=R
# -v goal_compat=R: the targets, as ratios of medians (see bench.sh).

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
  # The goals: the default deployment (ipcexecd) against setpriv, sudo
  # and doas; the 0.70-compatible ipcserver + ipcexec against setpriv.
  for (i = 1; i <= nours; i++) {
    c = ours[i]
    if (!head && c ~ /\(default\)/) head = c
    if (!compat && c !~ /via/ && c !~ / -o / && c ~ /\(attached\)/) compat = c
  }
  for (j = 1; j <= ncomp; j++) {
    if (!sudo && comp[j] ~ /^sudo/) sudo = comp[j]
    if (!doas && comp[j] ~ /^doas/) doas = comp[j]
  }
  if (head) {
    goal_line("default " head, x[head], "setpriv", goal, stretch)
    if (sudo) goal_line("default", med[head] / med[sudo], sudo, goal_sudo, 0)
    if (doas) goal_line("default", med[head] / med[doas], doas, goal_doas, 0)
  } else print "goal default: NOT measured (no ipcexecd contender)"
  if (compat) goal_line("compatible " compat, x[compat], "setpriv", goal_compat, 0)
  else print "goal compatible: NOT measured (no ipcserver + ipcexec contender)"
  for (i = 1; i <= nours; i++) {
    c = ours[i]
    slower = ""
    for (j = 1; j <= ncomp; j++)
      if (med[c] >= med[comp[j]]) slower = slower " " comp[j] ","
    if (!ncomp) continue
    line = c (slower == "" ? ": faster than every competitor" : ": NOT faster than" slower)
    sub(/,$/, "", line)
    print line
  }
}
function goal_line(who, r, than, target, stretch,    v) {
  v = r <= target ? "met" : "NOT met"
  if (stretch && r <= stretch) v = v ", stretch met"
  else if (stretch) v = v ", stretch (<= " sprintf("%.2f", stretch) ") not met"
  printf "goal %s: %.2f x %s (target <= %.2f) %s\n", who, r, than, target, v
}
