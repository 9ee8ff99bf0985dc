"""Shared helpers for the benchmarks: run the release binary as a real server on loopback."""
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from urllib.parse import urlparse, urlunparse

import requests

BIN = os.environ.get("CADENZA_BIN", os.path.join(os.path.dirname(__file__), "../.build/release/cadenza"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_pg_database(server_url):
    name = "cadenza_bench_" + uuid.uuid4().hex[:10]
    subprocess.run(["psql", server_url, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return urlunparse(urlparse(server_url)._replace(path="/" + name))


class Instance:
    """A data directory (and optionally a PostgreSQL database) and the processes using them."""

    def __init__(self, pg_server=None):
        self.tmp = tempfile.TemporaryDirectory(prefix="cadenza-bench-")
        self.data = os.path.join(self.tmp.name, "data")
        self.db_url = fresh_pg_database(pg_server) if pg_server else None
        self.procs = []

    def env(self, **extra):
        env = dict(os.environ, CADENZA_DATA_DIR=self.data, CADENZA_LOG_LEVEL="error", CADENZA_BCRYPT_COST="4")
        env.pop("CADENZA_DATABASE_URL", None)
        if self.db_url:
            env["CADENZA_DATABASE_URL"] = self.db_url
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def run(self, *args, stdin=None, **env):
        return subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, env=self.env(**env), check=True)

    def serve(self, roles="api,worker,scheduler", **env):
        port = free_port()
        started = time.perf_counter()
        proc = subprocess.Popen([BIN, "serve", "--port", str(port), "--roles", roles], env=self.env(**env),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                if requests.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                if proc.poll() is not None:
                    raise RuntimeError("server exited")
            time.sleep(0.005)
        self.procs.append(proc)
        return proc, url, time.perf_counter() - started

    def worker(self, **env):
        proc = subprocess.Popen([BIN, "worker"], env=self.env(**env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def admin_token(self, url):
        self.run("user", "create", "--admin", "bench", stdin="bench-password\n")
        s = requests.Session()
        r = s.post(url + "/api/v1/auth/login", json={"username": "bench", "password": "bench-password"})
        r = s.post(url + "/api/v1/tokens", json={"name": "bench"}, headers={"X-CSRF-Token": r.json()["csrfToken"]})
        return r.json()["token"]

    def stop(self, proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.remove(proc)

    def close(self):
        for p in list(self.procs):
            self.stop(p)
        if self.db_url:
            server = urlunparse(urlparse(self.db_url)._replace(path="/postgres"))
            name = urlparse(self.db_url).path[1:]
            subprocess.run(["psql", server, "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)
        self.tmp.cleanup()


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)
