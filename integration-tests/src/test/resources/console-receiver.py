#!/usr/bin/python3
"""The engine's side of runc's console socket, for tests: listen on a unix stream socket, accept one
connection, take the pty master it carries (SCM_RIGHTS), print the message's data as 'name=...', then
copy the master's output to stdout until no process holds the terminal (EIO) or the timeout passes.
Writes 'listening' to READY_FILE once the socket accepts connections."""
import os
import select
import socket
import sys
import time

path, ready_file, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
os.chmod(path, 0o666)  # a rootless launcher connects too
server.listen(1)
with open(ready_file, "w") as ready:
    ready.write("listening\n")
server.settimeout(timeout)
connection, _ = server.accept()
message, fds, _, _ = socket.recv_fds(connection, 4096, 4)
print("name=" + message.decode(), flush=True)
print("fds=%d" % len(fds), flush=True)
if len(fds) != 1:
    sys.exit(2)
master = fds[0]
deadline = time.monotonic() + timeout
out = sys.stdout.buffer
while time.monotonic() < deadline:
    readable, _, _ = select.select([master], [], [], 0.2)
    if not readable:
        continue
    try:
        data = os.read(master, 4096)
    except OSError:  # EIO: the terminal's last holder is gone
        break
    if not data:
        break
    out.write(data)
    out.flush()
