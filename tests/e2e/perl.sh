#!/usr/bin/env bash
# ipcperl end to end: a worker's Perl state across requests, exit and a
# fresh worker, %ENV per request, die, STDIN isolation, XS modules, the
# start-up failures (missing sub, false file, syntax error, missing file)
# and SIGTERM. Clients run as test users, so the server sees other ids.
. "$E2E/lib.sh"
need_root
PERL=$(prog ipcperl)
CONNECT=$(prog ipcconnect)
[ -x "$PERL" ] || { echo "SKIP - ipcperl is not built (meson option perl, libperl-dev)"; exit 77; }
cd "$T_TMP" || exit 1

# stop PID: SIGTERM, then up to 5 s; sets STOP_RC.
stop() {
  local i=0
  kill -TERM "$1" 2>/dev/null
  while kill -0 "$1" 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
  if kill -0 "$1" 2>/dev/null; then kill -KILL "$1"; STOP_RC=KILLED; wait "$1" 2>/dev/null; return; fi
  wait "$1" 2>/dev/null
  STOP_RC=$?
}
workers() { pgrep -P "$1" | sort; }
wait_workers() {
  local i=0
  while [ "$(workers "$1" | wc -l)" -ne "$2" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
  [ "$(workers "$1" | wc -l)" -eq "$2" ]
}
# talk INPUT [UID GID]: one connection to $S, as a test user; sets OUT, RC.
talk() {
  run_in "$1" as "${2:-4242}" "${3:-4343}" timeout 5 "$CONNECT" "$S"
}

cat >handler.pl <<'EOF'
package Embedded::test;
use strict;
use warnings;
use POSIX ();
use Socket ();

my $count = 0;

sub server {
  my @args = @_;
  my $line = <STDIN>;
  $line = '' unless defined $line;
  chomp $line;
  $count++;
  if ($line eq 'exit') { print "bye\n"; exit 0 }
  die "boom on request $count\n" if $line eq 'die';
  if ($line eq 'env') {
    print join(' ', map { "$_=" . (defined $ENV{$_} ? $ENV{$_} : 'unset') }
      qw(PROTO IPCREMOTEEUID IPCREMOTEEGID LEFT)), "\n";
    $ENV{LEFT} = 'over';
    return;
  }
  if ($line eq 'xs') {
    print 'floor=', POSIX::floor(2.5), ' unix=', (Socket::AF_UNIX() == 1 ? 'yes' : 'no'), "\n";
    return;
  }
  if ($line eq 'args') { print "args=@args\n"; return }
  if ($line eq 'pid') { print "pid=$$\n"; return }
  print "count=$count\n";
}

1;
EOF

# --- usage and start-up failures: one clear fatal error, exit 111
run "$PERL"
check "no arguments: exit 100" 100 "$RC"
case $ERR in "ipcperl: usage: ipcperl "*"path file sub [ arg ... ]") pass "usage line";; *) fail "usage: $ERR";; esac
run "$PERL" "$T_TMP/never.s" handler.pl
check "no sub: exit 100" 100 "$RC"

printf 'sub server { print "x\\n" }\n0;\n' >false.pl
run timeout 10 "$PERL" "$T_TMP/false.s" false.pl server
check "a file that returns false: one fatal error" "111 ipcperl: fatal: false.pl: did not return a true value" "$RC $ERR"
printf 'sub server {\n' >syntax.pl
run timeout 10 "$PERL" "$T_TMP/syntax.s" syntax.pl server
check "a file that does not compile: exit 111" 111 "$RC"
case $ERR in "ipcperl: fatal: syntax.pl: "*"Missing right curly"*) pass "a file that does not compile: Perl's message";; *) fail "syntax message: $ERR";; esac
check "a file that does not compile: one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
run timeout 10 "$PERL" "$T_TMP/absent.s" absent.pl server
check "a missing file: exit 111 and why" "111 ipcperl: fatal: absent.pl: unable to read: No such file or directory" "$RC $ERR"
run timeout 10 "$PERL" "$T_TMP/nosub.s" handler.pl Embedded::test::nosuch
check "a missing sub: exit 111 at start-up" "111 ipcperl: fatal: handler.pl: no subroutine Embedded::test::nosuch" "$RC $ERR"
printf 'die "bad start\\n";\n' >dies.pl
run timeout 10 "$PERL" "$T_TMP/dies.s" dies.pl server
check "a file that dies: exit 111 with its message" "111 ipcperl: fatal: dies.pl: bad start" "$RC $ERR"

# --- -u/-g: the file runs with the workers' ids, at start-up too
cp handler.pl private.pl
chmod 600 private.pl
run timeout 10 "$PERL" -u 4242 -g 4343 "$T_TMP/private.s" private.pl Embedded::test::server
check "-u: a file only root can read is refused at start-up" \
  "111 ipcperl: fatal: private.pl: unable to read: Permission denied" "$RC $ERR"
printf 'sub ids { print "$< $>\n" }\n1;\n' >ids.pl
chmod 644 ids.pl
S=$T_TMP/ids.s
"$PERL" -u 4242 -g 4343 -c 1 "$S" ids.pl ids 2>ids.log &
SPID=$!
T_PIDS="$T_PIDS $SPID"
wait_for_socket "$S" || fail "ipcperl -u did not start"
talk ''
check "-u: the sub runs as the given user" "4242 4242" "$OUT"
stop "$SPID"

# --- one worker: state across requests, exit, a fresh worker
S=$T_TMP/perl.s
"$PERL" -v -c 1 "$S" handler.pl Embedded::test::server one two 2>perl.log &
SPID=$!
T_PIDS="$T_PIDS $SPID"
wait_for_socket "$S" || fail "ipcperl did not start"
wait_workers "$SPID" 1 || fail "no worker"
W1=$(workers "$SPID")
talk 'count
'
check "first request: count 1" "0 count=1" "$RC $OUT"
talk 'count
'
check "second request, same worker: count 2" "0 count=2" "$RC $OUT"
talk 'exit
'
check "the sub exits: its output still reaches the client" "bye" "$OUT"
wait_for 1 "worker $W1 ended with status 0, replacing it" perl.log && pass "exit ends the worker, which is replaced" ||
  fail "log: $(cat perl.log)"
wait_workers "$SPID" 1
W2=$(workers "$SPID")
[ -n "$W2" ] && [ "$W2" != "$W1" ] && pass "a fresh worker" || fail "workers $W1 $W2"
talk 'count
'
check "the fresh worker starts from its own file run: count 1" "0 count=1" "$RC $OUT"

# --- %ENV per request, and what the sub does to %ENV stays in Perl
talk 'env
' 4242 4343
check "%ENV: this request's ids" "PROTO=IPC IPCREMOTEEUID=4242 IPCREMOTEEGID=4343 LEFT=unset" "$OUT"
talk 'env
' 4344 4344
check "%ENV: the next request's ids, not the first one's; its changes are gone" \
  "PROTO=IPC IPCREMOTEEUID=4344 IPCREMOTEEGID=4344 LEFT=unset" "$OUT"
check "changing %ENV is not an environ change" "" "$(grep 'environ changed' perl.log)"
talk 'args
'
check "the extra arguments reach the sub" "args=one two" "$OUT"
talk 'xs
'
check "XS modules (POSIX, Socket) load and work" "floor=2 unix=yes" "$OUT"

# --- STDIN: what one client left unread never reaches the next
talk 'count
left over
'
talk 'args
'
check "unread input stays with its connection" "0 args=one two" "$RC $OUT"
talk 'pid
'
P1=$OUT

# --- die: logged, that connection ends, the worker goes on
talk 'die
'
check "die: the connection ends with nothing sent" "" "$OUT"
wait_for 1 "ipcperl: warning: handler.pl: Embedded::test::server died: boom on request" perl.log &&
  pass "die: logged with its message" || fail "die log: $(cat perl.log)"
talk 'pid
'
check "die: the same worker serves the next request" "$P1" "$OUT"
stop "$SPID"
check "SIGTERM: exit 0" 0 "$STOP_RC"

# --- several workers: SIGTERM stops every one
S=$T_TMP/perl3.s
"$PERL" -c 3 "$S" handler.pl Embedded::test::server 2>perl3.log &
SPID=$!
T_PIDS="$T_PIDS $SPID"
wait_for_socket "$S" || fail "ipcperl -c 3 did not start"
wait_workers "$SPID" 3 && pass "three workers, each with its interpreter" || fail "workers: $(workers "$SPID" | tr '\n' ' ')"
WS=$(workers "$SPID")
talk 'count
'
check "-c 3 serves" "0 count=1" "$RC $OUT"
stop "$SPID"
check "SIGTERM with three workers: exit 0" 0 "$STOP_RC"
left=
for w in $WS; do kill -0 "$w" 2>/dev/null && left="$left $w"; done
check "SIGTERM: no worker is left" "" "$left"
check "no errors logged" "" "$(cat perl3.log)"

# --- the sample handler in contrib/
S=$T_TMP/counter.s
"$PERL" -c 1 "$S" "$SRC/contrib/ipcperl/counter.pl" Counter::serve hi 2>counter.log &
SPID=$!
T_PIDS="$T_PIDS $SPID"
wait_for_socket "$S" || fail "the sample did not start"
talk 'abc
'
case $OUT in "hi uid 4242, request 1 of worker "*": cba") pass "contrib/ipcperl/counter.pl: first request";; *) fail "sample: $OUT";; esac
talk 'xyz
'
case $OUT in "hi uid 4242, request 2 of worker "*": zyx") pass "contrib/ipcperl/counter.pl: its counter";; *) fail "sample: $OUT";; esac
stop "$SPID"
check "contrib/ipcperl/counter.pl: stops with 0, nothing logged" "0 " "$STOP_RC $(cat counter.log)"

t_done
