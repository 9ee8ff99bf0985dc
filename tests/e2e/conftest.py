"""Runs the real `cadenza` binary as separate processes, on SQLite or on PostgreSQL.

CADENZA_BIN names the binary; CADENZA_TEST_DATABASE_URL (a PostgreSQL server) switches every
server started here to a fresh database on that server.
"""
import atexit
import json
import os
import queue
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from urllib.parse import urlparse, urlunparse

import pytest
import requests

from media import make_audio, make_jpeg

BIN = os.environ.get("CADENZA_BIN", os.path.join(os.path.dirname(__file__), "../../.build/debug/cadenza"))
PG_URL = os.environ.get("CADENZA_TEST_DATABASE_URL") or None
ADMIN_PASSWORD = "admin-password-1"
SQLITE_FILE = "cadenza.sqlite"

postgres_only = pytest.mark.skipif(PG_URL is None, reason="needs PostgreSQL (CADENZA_TEST_DATABASE_URL)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_pair():
    """A port whose next port is free too (a SHOUTcast server takes its source on the port above
    the listeners'). Chosen below the kernel's ephemeral range: a free_port()+1 was, in one full
    run, the local port of some outgoing connection by the time icecast2 bound it."""
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    for _ in range(200):
        port = random.randrange(20000, low - 1)
        with socket.socket() as a, socket.socket() as b:
            try:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two free ports in a row")


def pg_database_url(name):
    return urlunparse(urlparse(PG_URL)._replace(path="/" + name))


_migrated = {}


def migrated_template():
    """A database `cadenza migrate` has brought to the newest schema, once per test process: each
    test's database is a copy of it instead of being migrated afresh (on PostgreSQL 0.16 s against
    0.67 s, 337 times in a pass; on SQLite a copied file against 0.3 s). Tests of a first start or
    of migrating are marked `empty_database` and get an empty one. Returns the PostgreSQL
    database's name, or the SQLite file's path."""
    if "template" not in _migrated:
        data = tempfile.mkdtemp(prefix="cadenza-e2e-tmpl-")
        atexit.register(shutil.rmtree, data, True)
        env = {**os.environ, "CADENZA_DATA_DIR": data, "CADENZA_LOG_LEVEL": "warning"}
        env.pop("CADENZA_DATABASE_URL", None)
        if PG_URL:
            name = "cadenza_e2e_tmpl_" + uuid.uuid4().hex[:12]
            subprocess.run(["psql", PG_URL, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
            atexit.register(lambda: subprocess.run(["psql", PG_URL, "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                                                   capture_output=True))
            env["CADENZA_DATABASE_URL"] = pg_database_url(name)
        migrated = subprocess.run([BIN, "migrate"], env=env, capture_output=True, text=True, timeout=120)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        _migrated["template"] = name if PG_URL else os.path.join(data, SQLITE_FILE)
    return _migrated["template"]


def create_pg_database(migrated=False):
    name = "cadenza_e2e_" + uuid.uuid4().hex[:12]
    template = f" TEMPLATE {migrated_template()}" if migrated else ""
    subprocess.run(["psql", PG_URL, "-q", "-c", f"CREATE DATABASE {name}{template}"], check=True, capture_output=True)
    return pg_database_url(name), name


class Deployment:
    """One Cadenza install: a data directory and a database, shared by its processes."""

    def __init__(self, tmp, migrated=False):
        self.data_dir = os.path.join(tmp, "data")
        self.database_url = None
        self.pg_name = None
        if PG_URL:
            self.database_url, self.pg_name = create_pg_database(migrated)
        elif migrated:
            os.makedirs(self.data_dir, mode=0o700)
            shutil.copyfile(migrated_template(), os.path.join(self.data_dir, SQLITE_FILE))
        self.processes = []

    def env(self, **extra):
        env = dict(os.environ)
        env.update({
            "CADENZA_DATA_DIR": self.data_dir,
            "CADENZA_BCRYPT_COST": "4",
            "CADENZA_LOG_LEVEL": "warning",
        })
        env.pop("CADENZA_DATABASE_URL", None)
        if self.database_url:
            env["CADENZA_DATABASE_URL"] = self.database_url
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def run(self, *args, stdin=None, **env):
        return subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, env=self.env(**env), timeout=120)

    def serve(self, roles="api,worker,scheduler", **env):
        port = free_port()
        log = open(os.path.join(os.path.dirname(self.data_dir), f"serve-{port}.log"), "w")
        proc = subprocess.Popen([BIN, "serve", "--port", str(port), "--roles", roles],
                                stdout=log, stderr=subprocess.STDOUT, env=self.env(**env))
        server = Server(proc, port, log)
        self.processes.append(server)
        server.wait_ready()
        return server

    def worker(self, **env):
        log = open(os.path.join(os.path.dirname(self.data_dir), f"worker-{len(self.processes)}.log"), "w")
        proc = subprocess.Popen([BIN, "worker"], stdout=log, stderr=subprocess.STDOUT, env=self.env(**env))
        server = Server(proc, None, log)
        self.processes.append(server)
        return server

    def playout(self, station, node, ready=True, port=None, **env):
        """`cadenza playout --station STATION`: one station aired in a process of its own (`ready`:
        wait for /readyz, which needs the database)."""
        port = port or free_port()
        log = open(os.path.join(os.path.dirname(self.data_dir), f"playout-{node}-{port}.log"), "w")
        proc = subprocess.Popen([BIN, "playout", "--station", station, "--port", str(port), "--node", node, "--live-port", "0"],
                                stdout=log, stderr=subprocess.STDOUT, env=self.env(**env))
        server = Server(proc, port, log)
        self.processes.append(server)
        if ready:
            server.wait_ready()
        return server

    def close(self):
        for p in self.processes:
            p.stop()
        if self.pg_name:
            subprocess.run(["psql", PG_URL, "-q", "-c", f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)"],
                           capture_output=True)


class Server:
    def __init__(self, proc, port, log):
        self.proc, self.port, self.log = proc, port, log
        self.url = f"http://127.0.0.1:{port}" if port else None

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server not ready in time")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def pytest_configure(config):
    config.addinivalue_line("markers", "empty_database: the test's deployment starts on an empty database, not a migrated copy")


@pytest.fixture
def deployment(request):
    with tempfile.TemporaryDirectory(prefix="cadenza-e2e-") as tmp:
        d = Deployment(tmp, migrated=request.node.get_closest_marker("empty_database") is None)
        try:
            yield d
        finally:
            d.close()


def admin_token(deployment, server, username="root"):
    """Creates an admin offline with the CLI, signs in over HTTP, returns a bearer token."""
    created = deployment.run("user", "create", "--admin", username, stdin=ADMIN_PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    return token_for(server, username, ADMIN_PASSWORD)


def token_for(server, username, password):
    s = requests.Session()
    r = s.post(server.url + "/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    r = s.post(server.url + "/api/v1/tokens", json={"name": "e2e"}, headers={"X-CSRF-Token": r.json()["csrfToken"]})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def auth(token):
    return {"Authorization": f"Bearer {token}"}


class SSEClient:
    """Reads a text/event-stream on a thread; events arrive on a queue with their receive time."""

    def __init__(self, url, token, last_event_id=None):
        headers = auth(token) | {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.response = requests.get(url + "/api/v1/events", headers=headers, stream=True, timeout=(5, 60))
        assert self.response.status_code == 200, self.response.text
        self.events = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        event = {}
        try:
            for raw in self.response.iter_lines(chunk_size=1, decode_unicode=True):
                if raw is None:
                    continue
                if raw == "":
                    if "data" in event:
                        self.events.put((time.time(), int(event["id"]), event.get("event"), json.loads(event["data"])))
                    event = {}
                elif not raw.startswith(":") and ":" in raw:
                    key, _, value = raw.partition(":")
                    event[key] = value[1:] if value.startswith(" ") else value
        except Exception:
            pass

    def take(self, n, timeout=30):
        out = []
        deadline = time.time() + timeout
        while len(out) < n and time.time() < deadline:
            try:
                out.append(self.events.get(timeout=max(0.01, deadline - time.time())))
            except queue.Empty:
                break
        return out

    def take_type(self, n, kind, timeout=30):
        """The next n events of type `kind`, passing over others (an admin's stream also carries
        account and notification events)."""
        out = []
        deadline = time.time() + timeout
        while len(out) < n and time.time() < deadline:
            out += [e for e in self.take(1, timeout=max(0.01, deadline - time.time())) if e[2] == kind]
        return out

    def close(self):
        # Shut the socket first: closing alone waits for the reader thread's pending read (up to the next keep-alive ping).
        try:
            self.response.raw.connection.sock.shutdown(socket.SHUT_RDWR)
        except (AttributeError, OSError):
            pass
        self.response.close()


def wait_for(predicate, timeout=30, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


@pytest.fixture
def music(tmp_path):
    root = tmp_path / "music"
    cover = make_jpeg(str(tmp_path / "art.jpg"), color="blue")
    make_audio(str(root / "Kaloven/Glass Echo/01.mp3"), seconds=4, title="Night River", artist="Kaloven",
               album_artist="Kaloven", album="Glass Echo", track="1", date="2004", genre="Rock", cover=cover,
               RELEASETYPE="album")
    make_audio(str(root / "Kaloven/Glass Echo/02.mp3"), seconds=3, frequency=550, title="Paper Static", artist="Kaloven",
               album_artist="Kaloven", album="Glass Echo", track="2", date="2004", genre="Rock")
    make_audio(str(root / "Milo/Orbit/01.flac"), seconds=3, title="Lantern", artist="Milo", album="Orbit", genre="Jazz",
               RELEASETYPE="single")
    return root


@pytest.fixture
def server_with_music(deployment, music):
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    token = admin_token(deployment, server)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 3)
    return server, token


