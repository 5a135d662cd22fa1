"""curl --parallel (16 transfers at once) and wget (a URL list over keep-alive; wget has no parallel
mode) in each mode, downloading 120 files from a native server: every file arrives byte for byte."""
import os

from harness.load import StaticSite, make_site
from harness.process import Failure, run

FILES = {f"file{i:02}.bin": 20000 + 997 * i for i in range(120)}


def expect_downloads(folder, files, done):
    if done.returncode != 0:
        raise Failure(done.describe())
    for name, data in files.items():
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            raise Failure(f"{name} was not downloaded: {done.describe()}")
        with open(path, "rb") as f:
            if f.read() != data:
                raise Failure(f"{name} differs from the file served")


def main(case):
    case.require_programs("curl", "wget")
    files = make_site(case.path("www"), FILES)
    with StaticSite(case.path("www")) as site:
        urls = [f"{site.base}/{name}" for name in files]
        with open(case.path("urls"), "w") as f:
            f.write("\n".join(urls) + "\n")
        for mode in case.modes:
            with case.check("curl-parallel", mode):
                folder = case.path(f"curl-{mode.name}")
                argv = ["curl", "--parallel", "--parallel-max", "16", "--fail", "-sS", "--create-dirs",
                        "--output-dir", folder, "--remote-name-all", *urls]
                expect_downloads(folder, files, run(case.command(mode, argv), timeout=60))
            with case.check("wget", mode):
                folder = case.path(f"wget-{mode.name}")
                argv = ["wget", "-q", "-P", folder, "-i", case.path("urls")]
                expect_downloads(folder, files, run(case.command(mode, argv), timeout=60))
