# A Python threading workload (threading.Lock/Condition/Semaphore, queue.Queue, thread-local
# data, socketpairs) whose output depends only on the data. Run with and without the shim.
import queue
import socket
import threading

N = 8
ROUNDS = 200
results = {}
lock = threading.Lock()
local = threading.local()
work = queue.Queue(maxsize=4)
sem = threading.Semaphore(3)


def echo_pair(i):
    a, b = socket.socketpair()
    local.name = f"t{i}"
    total = 0
    for r in range(ROUNDS):
        with sem:
            a.sendall(f"{i}:{r};".encode())
            data = b""
            while not data.endswith(b";"):
                data += b.recv(64)
            total += int(data[:-1].split(b":")[1])
        assert local.name == f"t{i}"
    a.close()
    b.close()
    with lock:
        results[i] = total


def consumer(out):
    s = 0
    while True:
        item = work.get()
        if item is None:
            break
        s += item
    out.append(s)


threads = [threading.Thread(target=echo_pair, args=(i,)) for i in range(N)]
sums = []
consumers = [threading.Thread(target=consumer, args=(sums,)) for _ in range(3)]
for t in threads + consumers:
    t.start()
for v in range(5000):
    work.put(v)
for _ in consumers:
    work.put(None)
for t in threads + consumers:
    t.join()
print("echo totals:", [results[i] for i in range(N)])
print("queue sum:", sum(sums))
