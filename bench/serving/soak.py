"""Soak of `ember serve` under hostile clients (bench/serving/soak.sh runs it).

  soak.py EMBER MODEL_DIR ABSURD_MODEL_DIR SECONDS

For SECONDS, at once: good clients sending valid requests on keep-alive connections and
counting that each gets exactly one 200; clients that send and never read; clients sending
large bodies without the API key; 200 pipelined requests then a malformed one (all 201
replies must arrive); too-large bodies still being sent (the 413 must arrive); huge deadline
headers; and reloads every 2 s alternating a good model and one whose saved schema declares a
vector[1000000000] (refused; the old model keeps serving). Prints the counts, the resident
size idle, at its peak and after the burst, and exits 1 on any lost or extra reply.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ember, model, absurd, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
work = tempfile.mkdtemp()
key_file = os.path.join(work, "key")
with open(key_file, "w") as f:
    f.write("s3cret\n")
served = os.path.join(work, "model")
shutil.copytree(model, served)
proc = subprocess.Popen([ember, "--threads", "2", "serve", served, "--port", "0", "--api-key-file", key_file,
                         "--max-in-flight", "64", "--write-timeout-ms", "1000", "--max-body-bytes", "1000000"],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
port = int(proc.stdout.readline().strip().rsplit(":", 1)[1])
BODY = b'{"x0": 0.37, "x1": -4.2, "x2": 118.5, "s0": "a3", "s1": "b1", "s2": "c7", "s3": "d2"}'
GOOD = (b"POST /predict HTTP/1.1\r\nHost: x\r\nX-API-Key: s3cret\r\nContent-Length: %d\r\n\r\n" % len(BODY)) + BODY
stop = time.time() + seconds
counts = {"good_sent": 0, "good_200": 0, "good_other": 0, "lost": 0, "pipelined_ok": 0, "pipelined_bad": 0,
          "big_413": 0, "big_lost": 0, "unauth_401": 0, "stalled": 0, "reloads": 0}
lock = threading.Lock()


def add(k, n=1):
    with lock:
        counts[k] += n


def read_replies(sock, n, timeout=10.0):
    """Reads n Content-Length framed replies; returns their statuses (fewer if the stream ends)."""
    sock.settimeout(timeout)
    buf, out = b"", []
    while len(out) < n:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = buf[:end].decode("latin1")
            length = 0
            for line in head.split("\r\n")[1:]:
                k, _, v = line.partition(":")
                if k.lower() == "content-length":
                    length = int(v)
            if len(buf) >= end + 4 + length:
                out.append(int(head.split(" ")[1]))
                buf = buf[end + 4 + length:]
                continue
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ConnectionError):
            break
        if not chunk:
            break
        buf += chunk
    return out


def good():
    while time.time() < stop:
        s = socket.create_connection(("127.0.0.1", port))
        for _ in range(100):
            s.sendall(GOOD)
            add("good_sent")
            r = read_replies(s, 1)
            if not r:
                add("lost")
                break
            add("good_200" if r[0] == 200 else "good_other")
        s.close()


def stalled():
    while time.time() < stop:
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            for _ in range(2000):
                s.sendall(GOOD)
        except OSError:
            pass
        add("stalled")
        s.close()


def pipelined():
    while time.time() < stop:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(GOOD * 200 + b"GARBAGE\r\n\r\n")
        r = read_replies(s, 201)
        add("pipelined_ok" if r == [200] * 200 + [400] else "pipelined_bad")
        s.close()
        time.sleep(0.05)


def hostile_bodies():
    while time.time() < stop:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST /predict HTTP/1.1\r\nX-API-Key: s3cret\r\nContent-Length: 50000000\r\n\r\n" + b" " * 300000)
        r = read_replies(s, 1)
        add("big_413" if r == [413] else "big_lost")
        s.close()
        s = socket.create_connection(("127.0.0.1", port))
        try:
            s.sendall(b"POST /predict HTTP/1.1\r\nContent-Length: 900000\r\n\r\n" + b"{" * 900000)
        except OSError:
            pass
        r = read_replies(s, 1)
        if r == [401]:
            add("unauth_401")
        s.close()
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(GOOD.replace(b"Host: x\r\n", b"Host: x\r\nX-Ember-Deadline-Ms: 99999999999999999999\r\n"))
        r = read_replies(s, 1)
        add("good_200" if r == [200] else "good_other")
        add("good_sent")
        s.close()


def rss_mb():
    with open(f"/proc/{proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


time.sleep(0.5)
idle = rss_mb()
threads = [threading.Thread(target=f) for f in [good, good, stalled, pipelined, hostile_bodies]]
for t in threads:
    t.start()
peak, flip = idle, False
while time.time() < stop:
    time.sleep(2)
    peak = max(peak, rss_mb())
    flip = not flip
    shutil.rmtree(served)
    shutil.copytree(absurd if flip else model, served)
    proc.send_signal(signal.SIGHUP)
    add("reloads")
for t in threads:
    t.join()
time.sleep(2)
after = rss_mb()
# A burst of large accepted requests (30 at once, 900 kB each, max body 1 MB): memory comes
# back after it (connections keep 1 MiB of buffers at most; the allocator is asked to return
# the rest).
LARGE = BODY + b" " * 900000
LARGE_REQ = (b"POST /predict HTTP/1.1\r\nX-API-Key: s3cret\r\nContent-Length: %d\r\n\r\n" % len(LARGE)) + LARGE


def large():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(LARGE_REQ)
    r = read_replies(s, 1)
    add("good_sent")
    add("good_200" if r == [200] else "good_other")
    s.close()


large_peak = 0.0
for _ in range(5):
    burst = [threading.Thread(target=large) for _ in range(30)]
    for t in burst:
        t.start()
    for t in burst:
        t.join()
    large_peak = max(large_peak, rss_mb())
time.sleep(1.5)
after_large = rss_mb()
proc.send_signal(signal.SIGTERM)
code = proc.wait(timeout=60)
shutil.rmtree(work)
print(" ".join(f"{k}={v}" for k, v in counts.items()))
print(f"rss_mb idle={idle:.0f} peak={peak:.0f} after={after:.0f}; large-body bursts: "
      f"peak={large_peak:.0f} after={after_large:.0f}; exit={code}")
bad = (counts["lost"] or counts["good_other"] or counts["pipelined_bad"] or counts["big_lost"] or code != 0
       or after_large > idle + 100)
sys.exit(1 if bad else 0)
