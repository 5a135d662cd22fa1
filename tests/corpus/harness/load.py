"""Load generators and client checks shared by the server cases (always run natively)."""
import functools
import hashlib
import http.server
import os
import re
import threading
import urllib.request

from .process import Failure, run

LOAD_SECONDS = int(os.environ.get("CORPUS_LOAD_SECONDS", "1"))  # one measuring run
LOAD_ROUNDS = int(os.environ.get("CORPUS_LOAD_ROUNDS", "3"))  # of which the best is recorded (chain.py)


def http_get(url, timeout=10):
    """The body of a 200 response; anything else raises Failure naming what came back."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except OSError as e:  # URLError, HTTPError, timeouts, resets
        raise Failure(f"GET {url}: {e}") from None


def expect_body(url, expected):
    body = http_get(url)
    if body != expected:
        raise Failure(f"GET {url}: {len(body)} bytes (sha256 {sha256(body)[:12]}), "
                      f"expected {len(expected)} (sha256 {sha256(expected)[:12]})")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def make_site(root, files):
    """Writes {name: size} files of fixed pseudo-random bytes under root; returns {name: bytes}."""
    os.makedirs(root, exist_ok=True)
    contents = {}
    for name, size in files.items():
        data = (hashlib.sha256(name.encode()).digest() * (size // 32 + 1))[:size]
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
        contents[name] = data
    return contents


def wrk(url, connections=32, seconds=None):
    """wrk's requests/s for `url`; errors of any kind (non-2xx, socket errors) raise Failure."""
    seconds = seconds or LOAD_SECONDS
    done = run(["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", url], timeout=seconds + 30)
    if done.returncode != 0:
        raise Failure(f"wrk: {done.describe()}")
    errors = re.search(r"Socket errors: (.*)", done.output)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", done.output)
    if errors or bad:
        raise Failure(f"wrk against {url}: {(errors or bad).group(0)}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.output)
    if not rate or float(rate.group(1)) == 0:
        raise Failure(f"wrk against {url}: no requests served: {done.describe()}")
    return float(rate.group(1))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class StaticSite:
    """A native HTTP server inside the driver (a thread per request) serving `root` on a free port."""

    def __init__(self, root):
        handler = functools.partial(QuietHandler, directory=root)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
