#!/usr/bin/python3
"""Runs a command on a new pseudo-terminal of ROWSxCOLS, as a user's terminal would, for tests: copies its
output to stdout; once the output shows MARKER, resizes the terminal to ROWS2xCOLS2 (the kernel sends
SIGWINCH to the foreground process group) and, when INPUT is not empty, types INPUT. Exits with the
command's exit status (128+N when killed by signal N), 124 after TIMEOUT seconds.
Usage: pty-run.py ROWS COLS MARKER ROWS2 COLS2 INPUT TIMEOUT -- COMMAND..."""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

rows, cols, marker, rows2, cols2, typed, timeout = sys.argv[1:8]
command = sys.argv[9:]
pid, master = pty.fork()
if pid == 0:
    os.execvp(command[0], command)
fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", int(rows), int(cols), 0, 0))
deadline = time.monotonic() + float(timeout)
seen = b""
resized = False
out = sys.stdout.buffer
while time.monotonic() < deadline:
    readable, _, _ = select.select([master], [], [], 0.2)
    if not readable:
        continue
    try:
        data = os.read(master, 4096)
    except OSError:  # EIO: the command and everything holding the terminal are gone
        break
    if not data:
        break
    out.write(data)
    out.flush()
    seen += data
    if not resized and marker.encode() in seen:
        resized = True
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", int(rows2), int(cols2), 0, 0))
        if typed:
            os.write(master, typed.encode().decode("unicode_escape").encode())
else:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.exit(124)
_, status = os.waitpid(pid, 0)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
