# readme.awk: bench.sh's summary TSV -> the Markdown table bench.sh puts
# into README.md between its markers. Run with -F'\t' -v head="LINE", the
# line that says where and when it was measured.

/^#/ { next }
$1 == "contender" { next }
$2 == "floor" { next }
{ order[++n] = $1; med[$1] = $4; x[$1] = $8; kind[$1] = $2 }
END {
  print head
  print ""
  print "| contender | median ms | x setpriv |"
  print "|---|---:|---:|"
  for (i = 1; i <= n; i++) {
    c = order[i]
    name = c
    gsub(/\|/, "\\|", name)
    if (kind[c] == "ours") name = "`" name "`"
    printf "| %s | %.2f | %.2f |\n", name, med[c], x[c]
  }
}
