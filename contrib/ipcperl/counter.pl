# A sample ipcperl handler: run as
#   ipcperl -c 4 /run/counter.s counter.pl Counter::serve greeting
# Each worker runs this file once; Counter::serve is called per connection
# with STDIN and STDOUT on the client and %ENV holding the connection's
# variables. Reads one line and answers with the client's uid, how many
# requests this worker has served, the argument, and the line reversed.
package Counter;
use strict;
use warnings;
use POSIX ();

my $served = 0;   # kept across the requests one worker serves

sub serve {
  my ($greeting) = @_;
  $greeting = 'hello' unless defined $greeting;
  my $line = <STDIN>;
  die "no request\n" unless defined $line;   # logged; the worker goes on
  chomp $line;
  $served++;
  printf "%s uid %s, request %d of worker %d at %s: %s\n",
    $greeting, $ENV{IPCREMOTEEUID} // '?', $served, $$,
    POSIX::strftime('%H:%M:%S', localtime), scalar reverse $line;
  return;
}

1;   # the file must end with a true value
