"""nginx, a master and two workers, in each mode: serves files (wrk's requests/s recorded), reloads
its configuration on SIGHUP (new workers serve the new document root), stops gracefully on SIGQUIT."""
import signal

from harness.web import WebServer, run_web_server

CONFIG = """
daemon off;
master_process on;
worker_processes 2;
user www-data;
pid {dir}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


class Nginx(WebServer):
    program = "nginx"

    def command(self):
        return ["nginx", "-p", self.dir, "-c", self.config_path, "-e", "stderr"]

    def config(self, generation):
        return CONFIG.format(dir=self.dir, port=self.port, root=self.root(generation))


def main(case):
    case.require_programs("nginx", "wrk")
    case.require_root("nginx's master runs as root, its workers as www-data")
    run_web_server(case, Nginx, reload_signal=signal.SIGHUP, stop_signal=signal.SIGQUIT)
