# Client for ThreadingHttpServerServesConcurrentClients: 16 threads x 10 GETs of two files from
# http.server on 127.0.0.1:PORT serving ROOT; prints how many requests ran and how many bodies
# differed from the files.   usage: http_clients.py PORT ROOT
import sys
import threading
import urllib.request

port, root = int(sys.argv[1]), sys.argv[2]
want = {name: open(f"{root}/{name}", "rb").read() for name in ("big.bin", "small.txt")}
bad = []
done = [0]
lock = threading.Lock()


def fetch(i):
    for r in range(10):
        name = "big.bin" if (i + r) % 2 else "small.txt"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{name}", timeout=30) as resp:
            body = resp.read()
        with lock:
            done[0] += 1
            if body != want[name]:
                bad.append(name)


threads = [threading.Thread(target=fetch, args=(i,)) for i in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("requests", done[0], "bad", len(bad))
