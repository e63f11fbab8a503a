"""A web page that counts its visitors in Redis, with nothing but Python's standard library.

Every request sends Redis the command INCR hits, which adds one to the counter and returns
its new value. Redis speaks RESP, a simple text protocol over TCP, so a socket is enough:
no client library to install, and the app works offline.
"""

import os
import signal
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REDIS_HOST = os.environ.get("REDIS_HOST", "redis")
REDIS_PORT = int(os.environ.get("REDIS_PORT", "6379"))
PORT = int(os.environ.get("PORT", "8000"))


def redis_command(*words):
    """Send one command to Redis and return its reply (an integer or a string)."""
    request = f"*{len(words)}\r\n".encode()
    for word in words:
        data = str(word).encode()
        request += b"$%d\r\n%s\r\n" % (len(data), data)
    with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=2) as conn:
        conn.sendall(request)
        reply = conn.makefile("rb").readline().decode().rstrip("\r\n")
    kind, value = reply[:1], reply[1:]
    if kind == ":":
        return int(value)
    if kind == "-":
        raise RuntimeError(f"Redis said: {value}")
    return value


def count_hit():
    """Add one to the counter, retrying a few times while Redis starts."""
    for attempt in range(5):
        try:
            return redis_command("INCR", "hits")
        except OSError:
            if attempt == 4:
                raise
            time.sleep(0.5)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/":
            self.send_error(404)
            return
        try:
            hits = count_hit()
            times = "time" if hits == 1 else "times"
            body = f"Hello from {socket.gethostname()}! This page has been seen {hits} {times}.\n"
            status = 200
        except (OSError, RuntimeError) as err:
            body = f"Cannot reach Redis at {REDIS_HOST}:{REDIS_PORT}: {err}\n"
            status = 503
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        print(f"{socket.gethostname()} {self.address_string()} {fmt % args}", flush=True)


if __name__ == "__main__":
    # As process 1 of its container, Python would ignore the SIGTERM of `docker stop` and be
    # killed 10 s later: quit at once instead.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    print(f"Listening on port {PORT}, counting hits in Redis at {REDIS_HOST}:{REDIS_PORT}", flush=True)
    ThreadingHTTPServer(("", PORT), Handler).serve_forever()
