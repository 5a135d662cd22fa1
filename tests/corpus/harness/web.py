"""Web servers under test (nginx, lighttpd, haproxy): the same four checks in every mode.

serve   start it (every mode's at once, each on its own port), fetch every file byte for byte
load    wrk's requests/s, the modes taking turns (recorded against native's)
reload  rewrite its configuration (generation 2), send the reload signal, wait until /generation
        answers 2, fetch again
stop    send the stop signal: it exits with status 0 in time
A server class supplies its command line and its configuration for a generation number.
"""
import contextlib
import os

from .chain import Chain
from .load import expect_body, http_get, make_site, wrk
from .process import Failure, family, wait_until
from .server import Server, free_port

SITE = {"index.html": 612, "64k.bin": 65536}


class WebServer:
    program = None  # the executable; subclasses set it

    def __init__(self, case, mode):
        self.case, self.mode = case, mode
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.dir = case.path(f"{self.program}-{mode.name}")
        os.makedirs(self.dir)
        self.config_path = os.path.join(self.dir, f"{self.program}.conf")
        self.server = None

    def command(self):
        raise NotImplementedError

    def config(self, generation):
        """The configuration text; generation g serves root(g)."""
        raise NotImplementedError

    def root(self, generation):
        return self.case.path(f"www{generation}")

    def write_config(self, generation):
        with open(self.config_path, "w") as f:
            f.write(self.config(generation))

    def start(self):
        self.write_config(1)
        self.server = Server(self.case.command(self.mode, self.command()), os.path.join(self.dir, "log"),
                             name=self.program)
        self.server.wait_listening(self.port)

    def generation(self):
        try:
            return http_get(f"{self.base}/generation", timeout=2)
        except Failure:
            return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.server:
            self.server.close()


def site(case):
    """Two document roots with the same files and a /generation file each: {name: bytes}."""
    files = {}
    for generation in (1, 2):
        root = case.path(f"www{generation}")
        files = make_site(root, SITE)
        with open(os.path.join(root, "generation"), "w") as f:
            f.write(str(generation))
    return files


def run_web_server(case, server_class, reload_signal, stop_signal):
    files = site(case)
    with contextlib.ExitStack() as servers:
        webs = {mode.name: servers.enter_context(server_class(case, mode)) for mode in case.modes}

        def serve(cell, mode):
            web = webs[mode.name]
            web.start()
            for name, data in files.items():
                expect_body(f"{web.base}/{name}", data)

        def reload(cell, mode):
            web = webs[mode.name]
            processes = len(family(web.server.pid))
            web.write_config(2)
            web.server.send(reload_signal)
            if not wait_until(lambda: web.generation() == b"2", timeout=15):
                raise Failure(f"answers {web.generation()!r} 15 s after {reload_signal.name}: "
                              f"{web.server.log_tail()}")
            # Done when the old workers have left (a stop signal during the hand-over can be lost natively).
            if not wait_until(lambda: len(family(web.server.pid)) == processes, timeout=15):
                raise Failure(f"{len(family(web.server.pid))} processes 15 s after {reload_signal.name}, "
                              f"{processes} before: {web.server.log_tail()}")
            expect_body(f"{web.base}/64k.bin", files["64k.bin"])

        chain = Chain(case)
        chain.each("serve", serve)
        chain.measure("load", "requests/s", lambda mode: wrk(f"{webs[mode.name].base}/index.html"))
        chain.each(f"reload-{reload_signal.name[3:]}", reload)
        chain.each(f"stop-{stop_signal.name[3:]}", lambda cell, mode: webs[mode.name].server.stop(stop_signal))
