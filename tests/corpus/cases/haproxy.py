"""haproxy (master-worker) in each mode in front of a native nginx: proxies files (wrk's requests/s
recorded), reloads with a new worker on SIGUSR2, stops gracefully on SIGUSR1."""
import signal

from cases.nginx import Nginx
from harness.modes import NATIVE
from harness.web import WebServer, run_web_server

CONFIG = """
global
    maxconn 1000
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend web
    bind 127.0.0.1:{port}
    http-request return status 200 content-type text/plain string "{generation}" if {{ path /generation }}
    default_backend site
backend site
    server nginx 127.0.0.1:{backend_port}
"""


class Haproxy(WebServer):
    program = "haproxy"
    backend_port = None  # set once the native backend runs

    def command(self):
        return ["haproxy", "-W", "-db", "-f", self.config_path]

    def config(self, generation):
        return CONFIG.format(port=self.port, generation=generation, backend_port=self.backend_port)


def main(case):
    case.require_programs("haproxy", "nginx", "wrk")
    case.require_root("the nginx backend's master runs as root, its workers as www-data")
    with Nginx(case, NATIVE) as backend:
        backend.start()
        Haproxy.backend_port = backend.port
        run_web_server(case, Haproxy, reload_signal=signal.SIGUSR2, stop_signal=signal.SIGUSR1)
