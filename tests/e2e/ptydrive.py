#!/usr/bin/env python3
"""Runs a command on a fresh pseudo-terminal, as a user at a terminal would.

usage: ptydrive.py [--info FILE] [--log FILE] [--rows R --cols C] STEP... -- CMD...

The command starts as the leader of a new session whose controlling
terminal is the pty. The steps run in order:

  expect=REGEX    wait (10 s at most) until the output, with CRs removed,
                  matches REGEX since the last match
  send=TEXT       type TEXT (Python escapes: \\x03 is ^C, \\r is Enter)
  sleep=SECONDS
  resize=R,C      set the pty's window size (the kernel sends SIGWINCH to
                  the terminal's foreground process group)
  kill=SIGNAME    send the signal to the command
  stty=NAME       record `stty -g` of the terminal in the info file as
                  NAME=VALUE (the ones before any other step are taken
                  before the command starts)
  tty=NAME        record the terminal's name and device (major:minor in
                  hex, as stat -c %t:%T prints it) as NAME=PATH DEV
  wait            wait for the command to end; records exit=N (128+N for
                  signal N)

Everything the terminal shows goes to the log file. Exit 0 when every
step succeeded, 1 (saying which step failed) otherwise. The driver is a
test tool: it never reads anything but the pty and its own arguments.
"""
import codecs
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time


def main(argv):
    info = log = None
    rows, cols = 24, 80
    steps = []
    i = 1
    while i < len(argv) and argv[i] != '--':
        a = argv[i]
        if a in ('--info', '--log', '--rows', '--cols'):
            i += 1
            if a == '--info':
                info = argv[i]
            elif a == '--log':
                log = argv[i]
            elif a == '--rows':
                rows = int(argv[i])
            else:
                cols = int(argv[i])
        else:
            steps.append(a)
        i += 1
    cmd = argv[i + 1:]
    if not cmd:
        sys.exit('usage: ptydrive.py [--info FILE] [--log FILE] STEP... -- CMD...')

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))

    def child_setup():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    infof = open(info, 'a') if info else None
    logf = open(log, 'ab') if log else None
    # The stty steps before any other are taken before the command starts:
    # once it runs, it may change the terminal at any moment.
    while steps and steps[0].startswith('stty='):
        g = subprocess.run(['stty', '-g'], stdin=slave, capture_output=True, text=True)
        if infof:
            infof.write('%s=%s\n' % (steps.pop(0)[5:], g.stdout.strip()))
            infof.flush()
        else:
            steps.pop(0)
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave,
                            preexec_fn=child_setup, close_fds=True)
    out = b''
    pos = 0
    status = None

    def record(line):
        if infof:
            infof.write(line + '\n')
            infof.flush()

    def pump(timeout):
        nonlocal out
        r, _, _ = select.select([master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b''
        if not data:
            return None
        out += data
        if logf:
            logf.write(data)
            logf.flush()
        return True

    def fail(step, why):
        sys.stderr.write('ptydrive: step %r failed: %s\n' % (step, why))
        sys.stderr.write('ptydrive: output so far: %r\n' % out.replace(b'\r', b''))
        try:
            proc.kill()
        except OSError:
            pass
        sys.exit(1)

    for step in steps:
        name, _, arg = step.partition('=')
        if name == 'expect':
            rx = re.compile(arg.encode(), re.S)
            deadline = time.time() + 10
            while True:
                text = out.replace(b'\r', b'')
                m = rx.search(text, pos)
                if m:
                    pos = m.end()
                    break
                left = deadline - time.time()
                if left <= 0:
                    fail(step, 'timed out')
                if pump(min(left, 0.2)) is None:
                    # the pty closed: nothing more can match
                    if not rx.search(out.replace(b'\r', b''), pos):
                        fail(step, 'the terminal closed')
        elif name == 'send':
            os.write(master, codecs.decode(arg, 'unicode_escape').encode('latin-1'))
        elif name == 'sleep':
            deadline = time.time() + float(arg)
            while time.time() < deadline:
                pump(max(0, min(0.1, deadline - time.time())))
        elif name == 'resize':
            r, c = arg.split(',')
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack('HHHH', int(r), int(c), 0, 0))
        elif name == 'kill':
            proc.send_signal(getattr(signal, arg))
        elif name == 'stty':
            # read outside the terminal's session: a plain tcgetattr
            g = subprocess.run(['stty', '-g'], stdin=slave, capture_output=True, text=True)
            record('%s=%s' % (arg, g.stdout.strip()))
        elif name == 'tty':
            st = os.fstat(slave)
            record('%s=%s %x:%x' % (arg, os.ttyname(slave), os.major(st.st_rdev), os.minor(st.st_rdev)))
        elif name == 'wait':
            deadline = time.time() + 15
            while proc.poll() is None:
                if time.time() > deadline:
                    fail(step, 'the command did not end')
                pump(0.05)
            # what is left on the terminal
            while pump(0.1):
                pass
            status = proc.returncode
            record('exit=%d' % (status if status >= 0 else 128 - status))
        else:
            fail(step, 'unknown step')
    if status is None:
        try:
            proc.kill()
        except OSError:
            pass
        proc.wait()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
