"""lighttpd in each mode: serves files (wrk's requests/s recorded), restarts gracefully with its new
configuration on SIGUSR1, stops gracefully on SIGINT."""
import signal

from harness.web import WebServer, run_web_server

CONFIG = """
server.document-root = "{root}"
server.bind = "127.0.0.1"
server.port = {port}
server.username = "www-data"
server.groupname = "www-data"
"""


class Lighttpd(WebServer):
    program = "lighttpd"

    def command(self):
        return ["lighttpd", "-D", "-f", self.config_path]

    def config(self, generation):
        return CONFIG.format(port=self.port, root=self.root(generation))


def main(case):
    case.require_programs("lighttpd", "wrk")
    case.require_root("lighttpd drops from root to www-data")
    run_web_server(case, Lighttpd, reload_signal=signal.SIGUSR1, stop_signal=signal.SIGINT)
