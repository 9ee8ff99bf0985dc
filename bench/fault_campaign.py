"""Fault campaign: kill -9 under load, and check that nothing acknowledged was lost.

Usage: python bench/fault_campaign.py --pg postgres://…/postgres [--minutes 3] [--kill-every 5] [--seed N]
                                      [--phases cluster,pgrestart,sqlite,diskfull,pgdiskfull]

1. cluster: nginx (deploy/nginx/cadenza.conf, as tests/e2e/test_cluster.py runs it) in front of two
   api nodes, two workers (each also a scheduler candidate). Load through the proxy: ListenBrainz
   single submits, Subsonic scrobbles and star/unstar, uploads, listening-history imports, scans,
   jukebox votes and reads; each finished import is a notification delivered to a webhook. Every --kill-every seconds a random api node, worker or the scheduler leader gets SIGKILL
   and is restarted a second later. At the end every acknowledged write is compared with the database.
2. pgrestart: a PostgreSQL of our own (scripts/pg.sh) stopped for 5 s under load.
3. sqlite: `cadenza serve` on SQLite killed mid-scan and mid-import; WAL recovery, the jobs finish.
4. diskfull: the SQLite data directory on a 40 MB tmpfs, filled up (needs root to mount).
5. pgdiskfull: PostgreSQL's own data directory on a 200 MB tmpfs, filled up under listen submits
   (needs root); PostgreSQL is started again if the full disk stopped it.

Exits 1 when an invariant fails: an acknowledged write missing or duplicated, an HTTP 500, a job
still `running` after its lease, no scheduler leader within the lease, a damaged SQLite file.
"""
import argparse
import base64
import collections
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests

from common import BIN, free_port, fresh_pg_database, percentile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../tests/e2e"))
from conftest import wait_for  # noqa: E402
from media import make_audio  # noqa: E402
from test_cluster import Nginx  # noqa: E402  (the reference site made to run on loopback)
from test_notifications import Receiver  # noqa: E402  (a webhook receiver on loopback)

JOB_LEASE = 5            # CADENZA_JOB_LEASE_SECONDS in the campaign
SCHEDULER_LEASE = 15     # README: another process takes the scheduler over within 15 s
PASSWORD = "fault-password-1"
FAILURES = []


def fail(message):
    FAILURES.append(message)
    print("FAIL:", message, flush=True)


def psql(url, sql):
    out = subprocess.run(["psql", url, "-At", "-F", "\t", "-c", sql], capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def sqlite(path, sql):
    out = subprocess.run(["sqlite3", "-cmd", ".timeout 5000", path, sql], capture_output=True, text=True).stdout
    return out.strip()


class Proc:
    """One cadenza process we can SIGKILL and start again (same port, same log, appended)."""

    def __init__(self, name, args, env, logdir, port=None):
        self.name, self.args, self.env, self.port = name, args, env, port
        self.log = os.path.join(logdir, name + ".log")
        self.proc = None
        self.url = f"http://127.0.0.1:{port}" if port else None

    def start(self):
        args = [BIN, *self.args] + (["--port", str(self.port)] if self.port else [])
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def ready(self, timeout=60):
        def answered():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log}")
            try:
                return requests.get(self.url + "/readyz", timeout=1).status_code == 200
            except requests.RequestException:
                return False
        return wait_for(answered, timeout, 0.05)

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def cadenza_env(data, db_url=None, **extra):
    env = dict(os.environ, CADENZA_DATA_DIR=data, CADENZA_BCRYPT_COST="4", CADENZA_LOG_LEVEL="warning",
               CADENZA_LOG_FORMAT="json", CADENZA_LISTENS_RATE_LIMIT="100000000", CADENZA_RESCAN_MINUTES="0",
               CADENZA_JOB_LEASE_SECONDS=str(JOB_LEASE))
    env.pop("CADENZA_DATABASE_URL", None)
    if db_url:
        env["CADENZA_DATABASE_URL"] = db_url
    env.update({k: str(v) for k, v in extra.items()})
    return env


def cli(env, *args, stdin=None):
    return subprocess.run([BIN, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120)


def login(url, name, password=PASSWORD, scope=None):
    s = requests.Session()
    r = s.post(url + "/api/v1/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    body = {"name": "fault"} | ({"scope": scope} if scope else {})
    r = s.post(url + "/api/v1/tokens", json=body, headers={"X-CSRF-Token": r.json()["csrfToken"]})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def add_user(url, admin, name):
    r = requests.post(url + "/api/v1/users", json={"username": name, "password": PASSWORD}, headers=bearer(admin))
    assert r.status_code == 201, r.text
    return login(url, name)


class Traffic:
    """Every answer the load clients saw, by kind and status; 500s are kept with their request id."""

    def __init__(self):
        self.lock = threading.Lock()
        self.codes = collections.Counter()
        self.by_kind = collections.defaultdict(collections.Counter)
        self.errors = []
        self.retry_after = collections.Counter()

    def call(self, session, kind, method, url, **kw):
        kw.setdefault("timeout", 10)
        try:
            r = session.request(method, url, **kw)
        except requests.RequestException as e:
            with self.lock:
                self.codes["conn-error"] += 1
                self.by_kind[kind]["conn-error"] += 1
            return None
        with self.lock:
            self.codes[r.status_code] += 1
            self.by_kind[kind][r.status_code] += 1
            if r.status_code == 503:
                self.retry_after["with" if r.headers.get("Retry-After") else "without"] += 1
            if r.status_code == 500:
                self.errors.append((kind, method, url.split("?")[0], r.headers.get("X-Request-ID"), r.text[:200]))
        return r

    def served(self):
        return sum(n for code, n in self.codes.items() if code != "conn-error")


def retried(attempt, tries=20, pause=0.5, stop=None):
    """Runs attempt() until it returns a final answer (not None), as a client that retries for
    ~10 s would; None: never acknowledged. A set `stop` ends the retries (the load is over)."""
    for i in range(tries):
        out = attempt()
        if out is not None:
            return out, i
        if stop is not None and stop.is_set():
            break
        time.sleep(pause)
    return None, tries


def transient(r):
    return r is None or r.status_code >= 500 or r.status_code == 429


# --- load ------------------------------------------------------------------------------------------

class Load:
    def __init__(self, url, traffic, stop, rng):
        self.url, self.t, self.stop, self.rng = url, traffic, stop, rng
        self.acked = collections.defaultdict(set)      # user -> listened_at of acknowledged listens
        self.retried_acks = collections.Counter()      # kind -> acknowledged only after a retry
        self.unacked = collections.Counter()           # kind -> given up
        self.stars, self.star_unsure = {}, set()
        self.uploads, self.upload_dups = [], 0
        self.imports = []
        self.scans = 0
        self.votes, self.vote_unsure, self.votes_acked = {}, set(), 0   # (guest, entry) -> last acknowledged value
        self.ack_times = []
        self.lock = threading.Lock()

    def listenbrainz(self, token, user, base):
        s, i = requests.Session(), 0
        headers = {"Authorization": f"Token {token}"}
        while not self.stop.is_set():
            i += 1
            body = {"listen_type": "single", "payload": [{"listened_at": base + i, "track_metadata": {
                "artist_name": "Fault Artist", "track_name": f"Fault {base + i}", "release_name": "Campaign"}}]}

            def attempt():
                r = self.t.call(s, "listenbrainz", "POST", self.url + "/1/submit-listens", json=body, headers=headers)
                return None if transient(r) else r
            r, tries = retried(attempt, stop=self.stop)
            with self.lock:
                if r is not None and r.status_code == 200:
                    self.acked[user].add(base + i)
                    self.ack_times.append(time.time())
                    self.retried_acks["listenbrainz"] += tries > 0
                else:
                    self.unacked["listenbrainz"] += 1

    def subsonic(self, user, songs, base):
        s, i = requests.Session(), 0
        auth = {"u": user, "p": PASSWORD, "v": "1.16.1", "c": "fault", "f": "json"}
        while not self.stop.is_set():
            i += 1
            song = self.rng.choice(songs)
            if self.rng.random() < 0.6:
                params, kind = auth | {"id": song, "submission": "true", "time": (base + i) * 1000}, "scrobble"
            else:
                kind = self.rng.choice(["star", "unstar"])
                params = auth | {"id": song}

            def attempt():
                r = self.t.call(s, "subsonic", "GET", f"{self.url}/rest/{kind}", params=params)
                if transient(r):
                    return None
                return r.json().get("subsonic-response", {}).get("status") if r.status_code == 200 else "http"
            ok, tries = retried(attempt, tries=1 if kind != "scrobble" else 20, stop=self.stop)
            with self.lock:
                if kind == "scrobble":
                    if ok == "ok":
                        self.acked[user].add(base + i)
                        self.retried_acks["scrobble"] += tries > 0
                    else:
                        self.unacked["scrobble"] += 1
                elif ok == "ok":
                    self.stars[song] = kind
                    self.star_unsure.discard(song)
                else:   # maybe applied, maybe not: this song's final state is not known
                    self.star_unsure.add(song)
                    self.unacked["star"] += 1

    def uploads_loop(self, token, tmp):
        s, i = requests.Session(), 0
        while not self.stop.is_set():
            i += 1
            path = make_audio(f"{tmp}/up/{i}.ogg", seconds=1, frequency=200 + 7 * i, title=f"Upload {i}", artist="Fault Uploader",
                              album="Campaign Uploads")
            data = open(path, "rb").read()

            def attempt():
                r = self.t.call(s, "upload", "POST", self.url + "/api/v1/uploads", headers=bearer(token),
                                files=[("files", (f"{i}.ogg", data, "audio/ogg"))])
                return None if transient(r) else r
            r, tries = retried(attempt, stop=self.stop)
            with self.lock:
                result = r.json()["files"][0] if r is not None and r.status_code == 201 else None
                if result and result["status"] == "pending":
                    self.uploads.append(int(result["fileId"]))
                elif result and result["status"] == "duplicate":
                    self.upload_dups += 1    # an earlier attempt was stored though its answer was lost
                else:
                    self.unacked["upload"] += 1
            self.stop.wait(1.5)

    def imports_loop(self, token, user, base):
        s, n = requests.Session(), 0
        while not self.stop.wait(4):
            stamps = [base + n * 100 + k for k in range(20)]
            n += 1
            data = "\n".join(json.dumps({"listened_at": ts, "track_metadata": {"artist_name": "Imported", "track_name": f"Imp {ts}",
                                                                                "release_name": "History"}}) for ts in stamps)

            def attempt():
                r = self.t.call(s, "import", "POST", self.url + "/api/v1/me/listens/imports", headers=bearer(token),
                                files={"file": ("history.jsonl", data.encode())})
                return None if transient(r) else r
            r, tries = retried(attempt, stop=self.stop)
            with self.lock:
                if r is not None and r.status_code == 202:
                    self.imports.append(r.json()["id"])
                    self.acked[user].update(stamps)
                    self.retried_acks["import"] += tries > 0
                else:
                    self.unacked["import"] += 1

    def votes_loop(self, guests, base, entries):
        """Guests vote +1 or take their vote back (0) on the room's entries; the last acknowledged
        value per guest and entry must be what the room counts."""
        while not self.stop.wait(0.05):
            g = self.rng.randrange(len(guests))
            entry = self.rng.choice(entries)
            value = self.rng.choice([1, 0])
            r = self.t.call(guests[g], "vote", "PUT", f"{base}/entries/{entry}/vote", json={"value": value})
            with self.lock:
                if r is not None and r.status_code == 200:
                    self.votes[(g, entry)] = value
                    self.vote_unsure.discard((g, entry))
                    self.votes_acked += 1
                else:   # maybe counted, maybe not: this guest's vote on this entry is not known
                    self.vote_unsure.add((g, entry))
                    self.unacked["vote"] += 1

    def scans_loop(self, admin, library):
        s = requests.Session()
        while not self.stop.wait(6):
            r = self.t.call(s, "scan", "POST", f"{self.url}/api/v1/libraries/{library}/scan", headers=bearer(admin))
            if r is not None and r.status_code < 300:
                self.scans += 1

    def reads_loop(self, user, token):
        s = requests.Session()
        auth = {"u": user, "p": PASSWORD, "v": "1.16.1", "c": "fault", "f": "json"}
        while not self.stop.wait(0.05):
            if self.rng.random() < 0.5:
                self.t.call(s, "read", "GET", self.url + "/rest/getAlbumList2", params=auth | {"type": "newest"})
            else:
                self.t.call(s, "read", "GET", self.url + "/api/v1/tracks?limit=50", headers=bearer(token))


# --- 1. the cluster under kill -9 -------------------------------------------------------------------

def scheduler_owner(db):
    rows = psql(db, "SELECT owner, expires_at FROM leases WHERE key = 'scheduler'")
    return (rows[0][0], int(rows[0][1])) if rows else (None, 0)


def cluster_campaign(args, tmp):
    print(f"== 1. cluster on PostgreSQL: nginx, 2 api nodes, 2 workers; kill -9 every {args.kill_every} s "
          f"for {args.minutes} min (job lease {JOB_LEASE} s, scheduler lease {SCHEDULER_LEASE} s)", flush=True)
    rng = random.Random(args.seed)
    db = fresh_pg_database(args.pg)
    music, logs = os.path.join(tmp, "music"), os.path.join(tmp, "logs")
    os.makedirs(logs)
    for n in range(6):
        make_audio(f"{music}/Fault Band/Album/{n + 1:02d}.ogg", seconds=2, frequency=300 + 50 * n, title=f"Song {n + 1}",
                   artist="Fault Band", album="Album", track=str(n + 1))
    port = free_port()
    env = cadenza_env(os.path.join(tmp, "data"), db, CADENZA_SECRET_KEY=base64.b64encode(os.urandom(32)).decode(),
                      CADENZA_PUBLIC_URL=f"http://127.0.0.1:{port}", CADENZA_TRUSTED_PROXIES="127.0.0.1",
                      CADENZA_RADIO_PLAYOUT="external", CADENZA_ACCESS_LOG="0",
                      CADENZA_WEBHOOK_PRIVATE_ADDRESSES="1", CADENZA_NOTIFY_RETRY_SECONDS="1")
    hook = Receiver()
    apis = [Proc(f"api{i}", ["serve", "--roles", "api"], env, logs, free_port()).start() for i in range(2)]
    workers = [Proc(f"worker{i}", ["worker"], env, logs).start() for i in range(2)]
    procs = apis + workers
    proxy = None
    try:
        for a in apis:
            assert a.ready(), a.name
        proxy = Nginx(os.path.join(tmp, "nginx"), [a.port for a in apis], port)
        proxy.wait_ready()
        url = proxy.url
        assert cli(env, "user", "create", "--admin", "root", stdin=PASSWORD + "\n").returncode == 0
        admin = login(url, "root")
        r = requests.post(url + "/api/v1/libraries", headers=bearer(admin), json={"name": "Shelf", "kind": "folders", "visibility": "instance"})
        library = r.json()["id"]
        requests.post(f"{url}/api/v1/libraries/{library}/folders", headers=bearer(admin), json={"path": music}).raise_for_status()
        assert wait_for(lambda: len(requests.get(url + "/api/v1/tracks", headers=bearer(admin)).json()["items"]) == 6, 60)
        songs = [t["id"] for t in requests.get(url + "/api/v1/tracks", headers=bearer(admin)).json()["items"]]
        tokens = {name: add_user(url, admin, name) for name in ("lb0", "lb1", "sub", "up", "imp")}
        r = requests.put(url + "/api/v1/me/subsonic-password", headers=bearer(tokens["sub"]),
                         json={"password": PASSWORD, "currentPassword": PASSWORD})
        assert r.status_code == 200, r.text
        # Every finished import is a notification for "imp", delivered to a webhook on loopback.
        r = requests.post(url + "/api/v1/notification-destinations", headers=bearer(tokens["imp"]),
                          json={"kind": "webhook", "name": "Campaign hook", "address": hook.url})
        assert r.status_code == 201, r.text
        destination = r.json()["id"]
        assert wait_for(lambda: len(hook.requests) >= 1, 30)   # its test message
        # Above its default 30 messages an hour a destination holds what comes next (nothing is lost,
        # it waits for the next hour): a campaign's 45 imports would stay held.
        r = requests.patch(f"{url}/api/v1/notification-destinations/{destination}", headers=bearer(tokens["imp"]),
                           json={"ratePerHour": 1000})
        assert r.status_code == 200, r.text
        r = requests.post(url + "/api/v1/notification-rules", headers=bearer(tokens["imp"]),
                          json={"name": "Imports", "tracking": "mentions", "types": ["listens.import.finished"], "includeOwn": True,
                                "destinationIds": [destination]})
        assert r.status_code == 201, r.text
        # A jukebox room with the six songs, and twenty guests who vote on them.
        r = requests.post(url + "/api/v1/rooms", headers=bearer(admin), json={"slug": "fault", "name": "Fault"})
        assert r.status_code == 201, r.text
        code, room = r.json()["joinCode"], url + "/api/v1/rooms/fault"
        for song in songs:
            assert requests.post(room + "/suggestions", headers=bearer(admin), json={"trackId": song}).status_code == 201
        entries = [e["entryId"] for e in requests.get(room, headers=bearer(admin)).json()["queue"]]
        guests = []
        for g in range(20):
            session = requests.Session()
            assert session.post(room + "/join", json={"name": f"Guest {g}", "code": code}).status_code == 200
            guests.append(session)

        traffic, stop = Traffic(), threading.Event()
        load = Load(url, traffic, stop, random.Random(args.seed + 1))
        now = int(time.time())
        threads = [threading.Thread(target=load.listenbrainz, args=(tokens["lb0"], "lb0", now - 10_000_000)),
                   threading.Thread(target=load.listenbrainz, args=(tokens["lb1"], "lb1", now - 10_000_000)),
                   threading.Thread(target=load.subsonic, args=("sub", songs, now - 10_000_000)),
                   threading.Thread(target=load.uploads_loop, args=(tokens["up"], tmp)),
                   threading.Thread(target=load.imports_loop, args=(tokens["imp"], "imp", now - 20_000_000)),
                   threading.Thread(target=load.scans_loop, args=(admin, library)),
                   threading.Thread(target=load.votes_loop, args=(guests, room, entries)),
                   threading.Thread(target=load.reads_loop, args=("sub", tokens["sub"]))]
        for th in threads:
            th.start()

        kills, takeovers, readiness, measurers = collections.Counter(), [], [], []
        started = time.time()
        while time.time() - started < args.minutes * 60:
            time.sleep(args.kill_every)
            owner, _ = scheduler_owner(db)
            leader = next((w for w in workers if owner and w.proc.poll() is None and f":{w.proc.pid}:" in owner), None)
            kind = rng.choice(["api", "worker", "leader"] if leader else ["api", "worker"])
            victim = leader if kind == "leader" else rng.choice(apis if kind == "api" else workers)
            if kind == "worker" and victim is leader:
                kind = "leader"
            killed_at = time.time()
            victim.kill9()
            kills[kind] += 1

            def measure_takeover(old=owner, t0=killed_at):
                got = wait_for(lambda: (lambda o, exp: o and o != old and exp > time.time() * 1000)(*scheduler_owner(db)),
                               SCHEDULER_LEASE * 3, 0.1)
                takeovers.append(time.time() - t0 if got else None)
            if kind == "leader":
                measurers.append(threading.Thread(target=measure_takeover))
                measurers[-1].start()
            time.sleep(1)
            victim.start()
            if victim in apis:
                def measure_ready(p=victim, t0=time.time()):
                    readiness.append(time.time() - t0 if p.ready(60) else None)
                measurers.append(threading.Thread(target=measure_ready))
                measurers[-1].start()
        stop.set()
        for th in threads + measurers:
            th.join()
        print(f"load stopped after {time.time() - started:.0f} s; waiting for the queue to drain", flush=True)

        # Drain: every upload and import finished, nothing queued or running.
        def drained():
            rows = psql(db, "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')")
            return int(rows[0][0]) == 0
        drain_start = time.time()
        ok = wait_for(drained, 180, 0.5)
        drain = time.time() - drain_start
        time.sleep(JOB_LEASE + 1)
        now_ms = int(time.time() * 1000)
        stuck = psql(db, f"SELECT id, kind, lease_owner FROM jobs WHERE state = 'running' AND lease_expires_at < {now_ms}")
        if stuck:
            fail(f"jobs still running after their lease: {stuck}")
        if not ok:
            fail("the queue did not drain in 180 s: " + str(psql(db, "SELECT kind, state, count(*) FROM jobs WHERE state IN ('queued','running') GROUP BY 1, 2")))
        owner, expires = scheduler_owner(db)
        if not owner or expires < now_ms:
            fail("no scheduler leader at the end")

        # Verify listens: each acknowledged one stored exactly once (the key is (user, listened_at, track)).
        users = dict(psql(db, "SELECT username, id FROM users"))
        lost = dup = extra = 0
        for name, stamps in load.acked.items():
            rows = psql(db, f"SELECT listened_at, count(*) FROM listens WHERE user_id = {users[name]} GROUP BY 1")
            stored = {int(ts): int(n) for ts, n in rows}
            lost += sum(1 for ts in stamps if ts not in stored)
            dup += sum(n - 1 for n in stored.values() if n > 1)
            extra += sum(1 for ts in stored if ts not in stamps)
        if lost:
            fail(f"{lost} acknowledged listens missing")
        if dup:
            fail(f"{dup} duplicated listens")
        # Stars: the last acknowledged state, for songs whose later requests were all answered.
        r = requests.get(url + "/rest/getStarred2", params={"u": "sub", "p": PASSWORD, "v": "1.16.1", "c": "fault", "f": "json"})
        starred = {s["id"].removeprefix("tr-") for s in r.json()["subsonic-response"]["starred2"].get("song", [])}
        star_wrong = [song for song, op in load.stars.items() if song not in load.star_unsure and (song in starred) != (op == "star")]
        if star_wrong:
            fail(f"stars differ from the last acknowledged request for {star_wrong}: starred {sorted(starred)}, last {load.stars}")
        # Uploads: imported (or failed with a reason), none lost or pending.
        up_states = collections.Counter()
        if load.uploads:
            for fid, status in psql(db, f"SELECT id, status FROM files WHERE id IN ({','.join(map(str, load.uploads))})"):
                up_states[status] += 1
        up_lost = len(load.uploads) - sum(up_states.values())
        if up_lost or up_states.get("pending"):
            fail(f"uploads: {up_lost} acknowledged uploads missing, states {dict(up_states)}")
        imp_states = collections.Counter(state for (state,) in psql(
            db, f"SELECT state FROM jobs WHERE id IN ({','.join(map(str, load.imports)) or 0})")) if load.imports else {}
        # Votes: each entry's score is its suggester's vote plus the guests' last acknowledged ones
        # (entries with a vote left unsure are not checked).
        scores = {e["entryId"]: e["score"] for e in requests.get(room, headers=bearer(admin)).json()["queue"]}
        unsure_entries = {entry for _, entry in load.vote_unsure}
        vote_wrong = {entry: (scores.get(entry), 1 + sum(v for (g, e), v in load.votes.items() if e == entry))
                      for entry in entries if entry not in unsure_entries}
        vote_wrong = {entry: pair for entry, pair in vote_wrong.items() if pair[0] != pair[1]}
        if vote_wrong:
            fail(f"room scores differ from the acknowledged votes (entry: (score, expected)): {vote_wrong}")
        # Deliveries: every finished import of "imp" became one delivery, and the webhook saw each
        # at least once (a worker killed after sending and before recording it sends it again).
        imp_id = users["imp"]
        finished = {int(e) for (e,) in psql(db, f"SELECT id FROM events WHERE type = 'listens.import.finished' AND audience_user_id = {imp_id}")}
        deliveries = dict((int(e), st) for e, st in psql(db, f"SELECT event_id, status FROM notification_deliveries WHERE destination_id = {destination}"))
        seen = collections.Counter()
        for _, body in hook.requests[1:]:
            for item in json.loads(body).get("data", {}).get("items", []):
                seen[int(item["eventId"])] += 1
        undelivered = sorted(e for e in finished if e not in deliveries)
        unsent = sorted(e for e, st in deliveries.items() if st != "sent")
        unseen = sorted(e for e in deliveries if e not in seen)
        if undelivered or unsent or unseen:
            fail(f"deliveries: events without one {undelivered}, not sent {unsent}, never received {unseen}")
        if traffic.errors:
            fail(f"{len(traffic.errors)} HTTP 500 answers")
        jobs = psql(db, "SELECT kind, state, count(*) FROM jobs GROUP BY 1, 2 ORDER BY 1, 2")
        failed_jobs = psql(db, "SELECT kind, attempts, left(coalesce(last_error, ''), 160) FROM jobs WHERE state = 'failed' LIMIT 5")

        total_acked = sum(len(v) for v in load.acked.values())
        print(f"requests served {traffic.served()} in {args.minutes} min; statuses {dict(sorted(traffic.codes.items(), key=str))}")
        for kind, codes in sorted(traffic.by_kind.items()):
            print(f"  {kind:12s} {dict(sorted(codes.items(), key=str))}")
        print(f"kills {sum(kills.values())}: {dict(kills)}")
        print(f"acknowledged writes: listens {total_acked} (ListenBrainz {len(load.acked['lb0']) + len(load.acked['lb1'])}, "
              f"scrobbles {len(load.acked['sub'])}, imported {len(load.acked['imp'])} in {len(load.imports)} imports), "
              f"star/unstar final states {len(load.stars)} ({len(load.star_unsure)} left unsure), uploads {len(load.uploads)}, "
              f"scans {load.scans}, votes {load.votes_acked} ({len(load.vote_unsure)} guest-entry pairs left unsure)")
        print(f"webhook deliveries: {len(deliveries)} for {len(finished)} finished imports, received {sum(seen.values())} times "
              f"({sum(n - 1 for n in seen.values())} again after a kill: at least once); room scores checked "
              f"{len(entries) - len(unsure_entries)}/{len(entries)} entries, wrong {len(vote_wrong)}")
        print(f"acknowledged only after a retry: {dict(load.retried_acks)}; never acknowledged (client gave up): {dict(load.unacked)}")
        print(f"lost {lost}, duplicated {dup}; stored but not acknowledged {extra}; wrong star states {len(star_wrong)}; "
              f"uploads {dict(up_states)} (lost {up_lost}, 'duplicate' on a retry {load.upload_dups}); imports {dict(imp_states)}")
        print(f"jobs by kind and state {jobs}; failed: {failed_jobs}")
        done = [t for t in takeovers if t is not None]
        print(f"scheduler takeover after killing the leader: {len(done)}/{len(takeovers)} within {SCHEDULER_LEASE * 3} s, "
              f"median {percentile(done, 50):.1f} s, max {max(done, default=float('nan')):.1f} s")
        if len(done) < len(takeovers) or any(t > SCHEDULER_LEASE + 2 for t in done):
            fail(f"scheduler takeover slower than the {SCHEDULER_LEASE} s lease: {takeovers}")
        ready = [t for t in readiness if t is not None]
        print(f"api node ready after restart: {len(ready)}/{len(readiness)}, median {percentile(ready, 50):.2f} s, "
              f"max {max(ready, default=float('nan')):.2f} s; queue drained {drain:.1f} s after the load stopped")
        for e in traffic.errors[:10]:
            print("  500:", e)
        report_logs(procs)
        return traffic.served()
    finally:
        if proxy:
            proxy.stop()
        for p in procs:
            p.stop()
        hook.close()
        subprocess.run(["psql", args.pg, "-q", "-c", f"DROP DATABASE IF EXISTS {db.rsplit('/', 1)[1]} WITH (FORCE)"], capture_output=True)


def report_logs(procs):
    """The distinct error messages the nodes logged (JSON lines at error or critical)."""
    seen = collections.Counter()
    for p in procs:
        with open(p.log, errors="replace") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    if any(w in line.lower() for w in ("fatal", "error", "crash", "panic")):
                        seen[(p.name.rstrip("0123456789"), "raw", line.strip()[:160])] += 1
                    continue
                if rec.get("level") in ("error", "critical"):
                    seen[(p.name.rstrip("0123456789"), rec.get("msg", "")[:100], str(rec.get("error", ""))[:120])] += 1
    print(f"node logs: {sum(seen.values())} error lines, {len(seen)} distinct")
    for (role, msg, err), n in seen.most_common(12):
        print(f"  {n:5d} x {role}: {msg} {err}")


# --- 2. PostgreSQL restarted under load ------------------------------------------------------------

def api_and_worker(server, data, logs, procs, **extra):
    """A fresh database on `server` with one api node and one worker on it (added to `procs`, to be
    stopped whatever happens), and an admin's token."""
    db = fresh_pg_database(server)
    # pg.sh runs with synchronous_commit=off, which may drop the last commits on an immediate
    # stop: durable commits for this database, or a "lost" listen would be the test's doing.
    psql(server, f"ALTER DATABASE {db.rsplit('/', 1)[1]} SET synchronous_commit = on")
    env = cadenza_env(data, db, **extra)
    api = Proc("api", ["serve", "--roles", "api"], env, logs, free_port()).start()
    procs.append(api)
    procs.append(Proc("worker", ["worker"], env, logs).start())
    assert api.ready()
    assert cli(env, "user", "create", "--admin", "root", stdin=PASSWORD + "\n").returncode == 0
    return db, api, login(api.url, "root")


def pg_restart(args, tmp):
    print("== 2. PostgreSQL stopped for 5 s under load (one api node, one worker)", flush=True)
    pgdir = os.path.join(tmp, "pg")
    pgsh = os.path.join(HERE, "../scripts/pg.sh")
    server = subprocess.run([pgsh, "start", pgdir], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    logs = os.path.join(tmp, "logs2")
    os.makedirs(logs)
    procs = []
    try:
        db, api, token = api_and_worker(server, os.path.join(tmp, "data2"), logs, procs, CADENZA_LOG_LEVEL="info")
        traffic, stop = Traffic(), threading.Event()
        load = Load(api.url, traffic, stop, random.Random(args.seed))
        readyz, outage = [], {}

        def poll_ready():
            s = requests.Session()
            while not stop.wait(0.1):
                try:
                    readyz.append((time.time(), s.get(api.url + "/readyz", timeout=2).status_code))
                except requests.RequestException:
                    readyz.append((time.time(), "conn-error"))

        threads = [threading.Thread(target=load.listenbrainz, args=(token, "root", int(time.time()) - 1_000_000 * k)) for k in (1, 2)]
        threads.append(threading.Thread(target=poll_ready))
        for th in threads:
            th.start()
        time.sleep(5)
        with traffic.lock:
            before = collections.Counter(traffic.codes)
        outage["paused"] = time.time()
        subprocess.run([pgsh, "pause", pgdir], check=True)
        time.sleep(5)
        subprocess.run([pgsh, "resume", pgdir], check=True)
        outage["resumed"] = time.time()
        ok = wait_for(lambda: any(t > outage["resumed"] and c == 200 for t, c in readyz), 30)
        with traffic.lock:   # (the load threads add keys meanwhile)
            during = traffic.codes - before
        time.sleep(15)
        stop.set()
        for th in threads:
            th.join()
        not_ready = [t for t, c in readyz if outage["paused"] <= t and c != 200]
        first_ok = next((t for t, c in readyz if t > outage["resumed"] and c == 200), None)
        rows = psql(db, "SELECT listened_at FROM listens")
        stored = {int(r[0]) for r in rows}
        lost = len(load.acked["root"] - stored)
        print(f"from the stop until /readyz said 200 again: {dict(sorted(during.items(), key=str))}")
        print(f"requests {traffic.served()}; statuses over the run {dict(sorted(traffic.codes.items(), key=str))}; "
              f"503s with Retry-After {traffic.retry_after['with']}, without {traffic.retry_after['without']}")
        print(f"/readyz: first non-200 {not_ready[0] - outage['paused']:.1f} s after the stop ({collections.Counter(c for t, c in readyz if outage['paused'] <= t <= outage['resumed'])}); "
              f"200 again {first_ok - outage['resumed']:.1f} s after the restart" if not_ready and first_ok else
              f"/readyz samples {collections.Counter(c for _, c in readyz)}; recovered {ok}")
        windows = [sum(1 for t in load.ack_times if outage["resumed"] + 5 * k <= t < outage["resumed"] + 5 * (k + 1)) for k in range(4)]
        before_rate = sum(1 for t in load.ack_times if t < outage["paused"]) / 5
        print(f"listens acknowledged per second: {before_rate:.0f} before the stop; in each 5 s after the restart "
              f"{[round(w / 5) for w in windows]}")
        if windows[2] == 0:
            fail("PostgreSQL restart: listen submits did not recover (none acknowledged 10-15 s after the restart)")
            for name, call in (("GET /api/v1/me", lambda: requests.get(api.url + "/api/v1/me", headers=bearer(token), timeout=5)),
                               ("POST /1/submit-listens", lambda: requests.post(api.url + "/1/submit-listens", timeout=5, json={
                                   "listen_type": "single", "payload": [{"listened_at": int(time.time()) - 5, "track_metadata": {
                                       "artist_name": "Probe", "track_name": "Probe"}}]}, headers={"Authorization": f"Token {token}"}))):
                try:
                    print(f"  probe {name}: {call().status_code}")
                except requests.RequestException as e:
                    print(f"  probe {name}: no answer in 5 s ({type(e).__name__})")
        print(f"acknowledged listens {len(load.acked['root'])}, lost {lost}; retried {dict(load.retried_acks)}, "
              f"gave up {dict(load.unacked)}; processes alive: {[p.name for p in procs if p.proc.poll() is None]}")
        for e in collections.Counter(e[2] + " " + e[4][:80] for e in traffic.errors).most_common(5):
            print("  500:", e)
        # Ready means ready: once /readyz says 200 again, submits are acknowledged within seconds.
        first_ack = next((t for t in sorted(load.ack_times) if first_ok and t >= first_ok), None)
        if first_ok:
            print(f"first listen acknowledged {first_ack - first_ok:.1f} s after /readyz said 200 again" if first_ack else
                  "no listen acknowledged after /readyz said 200 again")
        if lost:
            fail(f"PostgreSQL restart: {lost} acknowledged listens lost")
        if traffic.errors:
            fail(f"PostgreSQL restart: {len(traffic.errors)} HTTP 500 answers during the outage (expected 503 + Retry-After)")
        if traffic.retry_after["without"]:
            fail(f"PostgreSQL restart: {traffic.retry_after['without']} answers 503 without Retry-After")
        if first_ok and (first_ack is None or first_ack - first_ok > 3):
            fail("PostgreSQL restart: /readyz said ready while submits still failed (none acknowledged within 3 s)")
        if not ok:
            fail("PostgreSQL restart: /readyz did not recover in 30 s")
        if any(p.proc.poll() is not None for p in procs):
            fail("PostgreSQL restart: a process exited")
        if not ok:
            try:
                requests.get(api.url + "/healthz", timeout=3)
                print("the api node still answers /healthz")
            except requests.RequestException as e:
                print(f"the api node (pid {api.proc.pid}, still running: {api.proc.poll() is None}) no longer answers "
                      f"even /healthz: {type(e).__name__}")
            info = [l.strip()[:220] for l in open(api.log) if '"level":"info"' in l or '"level":"notice"' in l
                    or '"level":"critical"' in l]
            print("  last info lines of the api node:", *info[-8:], sep="\n    ")
        report_logs(procs)
    finally:
        for p in procs:
            p.stop()
        subprocess.run([pgsh, "stop", pgdir], capture_output=True)


# --- 3. SQLite: kill -9 mid-scan and mid-import ----------------------------------------------------

def sqlite_kills(args, tmp):
    print("== 3. SQLite: kill -9 during a scan and during an import", flush=True)
    lib = "/tmp/cadenza-bench-libs/lib-20000"
    dirs = sorted(os.path.join(lib, d) for d in os.listdir(lib) if not d.startswith("."))[:30]
    files = sum(1 for d in dirs for _, _, fs in os.walk(d) for f in fs if f.rsplit(".", 1)[-1] in ("mp3", "flac", "ogg", "m4a", "opus"))
    data, logs = os.path.join(tmp, "data3"), os.path.join(tmp, "logs3")
    os.makedirs(logs)
    db = os.path.join(data, "cadenza.sqlite")
    env = cadenza_env(data, CADENZA_MUSIC_DIRS=":".join(dirs))
    node = Proc("serve", ["serve"], env, logs, free_port())
    count = lambda: int(sqlite(db, "SELECT count(*) FROM tracks") or 0)
    try:
        node.start()
        assert node.ready()
        seen = wait_for(lambda: count() > files // 5, 120, 0.02)
        node.kill9()
        at_kill = count()
        t0 = time.time()
        node.start()
        assert node.ready()
        done = wait_for(lambda: count() == files and sqlite(db, "SELECT count(*) FROM jobs WHERE state IN ('queued','running')") == "0", 300, 0.5)
        print(f"scan of {files} files killed at {at_kill} tracks; after restart {count()} tracks "
              f"({'complete' if done else 'INCOMPLETE'}) {time.time() - t0:.1f} s later; jobs {sqlite(db, 'SELECT kind, state, count(*) FROM jobs GROUP BY 1, 2')!r}")
        if not seen or not done:
            fail(f"SQLite scan: {count()} of {files} tracks after the restart")

        assert cli(env, "user", "create", "--admin", "root", stdin=PASSWORD + "\n").returncode == 0
        token = login(node.url, "root")
        n, base = 100_000, int(time.time()) - 50_000_000
        body = "\n".join(json.dumps({"listened_at": base + i * 60, "track_metadata": {"artist_name": f"A{i % 300}", "track_name": f"T{i % 5000}",
                                                                                      "release_name": f"R{i % 900}"}}) for i in range(n))
        r = requests.post(node.url + "/api/v1/me/listens/imports", headers=bearer(token), files={"file": ("big.jsonl", body.encode())})
        assert r.status_code == 202, r.text
        job = r.json()["id"]
        status = lambda: requests.get(f"{node.url}/api/v1/me/listens/imports/{job}", headers=bearer(token)).json()
        wait_for(lambda: int(sqlite(db, "SELECT count(*) FROM listens") or 0) > 0, 120, 0.05)
        node.kill9()
        at_kill = sqlite(db, "SELECT count(*) FROM listens")
        t0 = time.time()
        node.start()
        assert node.ready()
        final = wait_for(lambda: status()["state"] in ("done", "failed") and status(), 300, 0.5)
        stored = int(sqlite(db, "SELECT count(*) FROM listens"))
        print(f"import of {n} listens killed at {at_kill} stored; after restart: {final and {k: final.get(k) for k in ('state', 'imported', 'duplicates', 'skipped')}}, "
              f"{stored} stored, {time.time() - t0:.1f} s later")
        if stored != n or not final or final["state"] != "done":
            fail(f"SQLite import: {stored} of {n} listens, job {final}")
    finally:
        node.stop()
    check = sqlite(db, "PRAGMA integrity_check")
    print(f"PRAGMA integrity_check: {check}")
    if check != "ok":
        fail("SQLite integrity_check: " + check)
    report_logs([node])


# --- 4. the data directory's disk full -------------------------------------------------------------

def small_disk(tmp, name, options):
    """A tmpfs mounted at tmp/name (and a log folder beside it), or None when it cannot be."""
    if os.geteuid() != 0:
        print("skipped: mounting a tmpfs needs root")
        return None
    mnt = os.path.join(tmp, name)
    os.makedirs(mnt)
    os.makedirs(os.path.join(tmp, "logs-" + name))
    if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", mnt], capture_output=True).returncode != 0:
        print("skipped: mount -t tmpfs was refused")
        return None
    return mnt, os.path.join(tmp, "logs-" + name)


def disk_full(args, tmp):
    print("== 4. disk full: SQLite data directory on a 40 MB tmpfs", flush=True)
    mounted = small_disk(tmp, "small", "size=40m")
    if not mounted:
        return
    mnt, logs = mounted
    node = None
    try:
        data = os.path.join(mnt, "data")
        env = cadenza_env(data)
        node = Proc("serve", ["serve"], env, logs, free_port()).start()
        assert node.ready()
        assert cli(env, "user", "create", "--admin", "root", stdin=PASSWORD + "\n").returncode == 0
        token = login(node.url, "root")
        song = open(make_audio(f"{tmp}/full/a.ogg", seconds=3, title="Before", artist="Disk"), "rb").read()
        song2 = open(make_audio(f"{tmp}/full/b.ogg", seconds=3, frequency=880, title="When full", artist="Disk"), "rb").read()
        song3 = open(make_audio(f"{tmp}/full/c.ogg", seconds=3, frequency=990, title="After", artist="Disk"), "rb").read()
        s = requests.Session()

        def listen(ts):
            return s.post(node.url + "/1/submit-listens", headers={"Authorization": f"Token {token}"},
                          json={"listen_type": "single", "payload": [{"listened_at": ts, "track_metadata": {"artist_name": "Disk", "track_name": f"L{ts}"}}]})

        def upload(data, name):
            return s.post(node.url + "/api/v1/uploads", headers=bearer(token), files=[("files", (name, data, "audio/ogg"))])

        ts = int(time.time()) - 100_000
        assert listen(ts).status_code == 200 and upload(song, "a.ogg").status_code == 201
        filler = os.path.join(mnt, "filler")
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
        print(f"filled: {subprocess.run(['df', '-k', mnt], capture_output=True, text=True).stdout.splitlines()[-1]}")
        answers = []
        for i in range(10):
            r = listen(ts + 1 + i)
            answers.append(("listen", r.status_code, r.headers.get("Retry-After"), r.text[:140]))
        for name, audio in (("b.ogg", song2),):
            r = upload(audio, name)
            answers.append(("upload", r.status_code, r.headers.get("Retry-After"), r.text[:200]))
        r = s.post(node.url + "/api/v1/me/listens/imports", headers=bearer(token), files={"file": ("h.jsonl", b'{"listened_at": 1600000000, "track_metadata": {"artist_name": "X", "track_name": "Y"}}')})
        answers.append(("import", r.status_code, r.headers.get("Retry-After"), r.text[:200]))
        for kind, code, retry, text in dict.fromkeys(answers):
            print(f"  while full: {kind} -> {code} Retry-After={retry} {text}")
        if any(code == 500 for _, code, _, _ in answers):
            fail("disk full: HTTP 500 instead of a clear error")
        alive = node.proc.poll() is None
        os.unlink(filler)
        if not alive:
            print("the server exited while the disk was full; restarting it")
            node.start()
            assert node.ready()
        after = listen(ts + 1000).status_code, upload(song3, "c.ogg").status_code
        imported = wait_for(lambda: any(u["status"] == "imported" for u in requests.get(node.url + "/api/v1/uploads", headers=bearer(token)).json()["items"][:1]), 30)
        print(f"after freeing space: listen {after[0]}, upload {after[1]}, last upload imported: {bool(imported)}; server stayed up: {alive}")
        if after != (200, 201):
            fail(f"disk full: the server did not recover after space was freed: {after}")
        node.stop()
        check = sqlite(os.path.join(data, "cadenza.sqlite"), "PRAGMA integrity_check")
        print(f"PRAGMA integrity_check: {check}")
        if check != "ok":
            fail("disk full: integrity_check " + check)
        report_logs([node])
    finally:
        if node:
            node.stop()
        subprocess.run(["umount", mnt], capture_output=True)


# --- 5. PostgreSQL's disk full ---------------------------------------------------------------------

def pg_disk_full(args, tmp):
    print("== 5. disk full: PostgreSQL's data directory on a 200 MB tmpfs, filled up under load", flush=True)
    mounted = small_disk(tmp, "pgsmall", "size=200m,mode=0755")
    if not mounted:
        return
    mnt, logs = mounted
    pgdir, pgsh = os.path.join(mnt, "pg"), os.path.join(HERE, "../scripts/pg.sh")
    filler = os.path.join(mnt, "filler")
    procs = []
    try:
        server = subprocess.run([pgsh, "start", pgdir], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        db, api, token = api_and_worker(server, os.path.join(tmp, "data5"), logs, procs)
        traffic, stop = Traffic(), threading.Event()
        load = Load(api.url, traffic, stop, random.Random(args.seed))
        thread = threading.Thread(target=load.listenbrainz, args=(token, "root", int(time.time()) - 2_000_000))
        thread.start()
        time.sleep(3)
        with traffic.lock:
            before = collections.Counter(traffic.codes)
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
        print(f"filled: {subprocess.run(['df', '-k', mnt], capture_output=True, text=True).stdout.splitlines()[-1]}")
        time.sleep(10)
        with traffic.lock:
            during = traffic.codes - before
        os.unlink(filler)
        freed = time.time()
        # A WAL write that finds no space stops PostgreSQL (PANIC, then a failed crash recovery):
        # an operator frees space and starts it again. Given a few seconds to come back by itself first.
        pg_up = wait_for(lambda: subprocess.run(["pg_isready", "-d", server], capture_output=True).returncode == 0, 5, 0.2)
        pg_ctl = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))[-1]
        if not pg_up and subprocess.run(["runuser", "-u", "postgres", "--", pg_ctl, "status", "-D", os.path.join(pgdir, "data")],
                                        capture_output=True).returncode == 3:
            print("PostgreSQL stopped on the full disk; starting it again after freeing space")
            started = subprocess.run([pgsh, "resume", pgdir], capture_output=True, text=True)
            print(f"  pg.sh resume: exit {started.returncode} {started.stderr.strip()[:200]}")
        recovered = wait_for(lambda: any(t > freed for t in load.ack_times), 60)
        print(f"answers while full: {dict(sorted(during.items(), key=str))}; PostgreSQL answered within 5 s of freeing space: {pg_up}; "
              f"listens acknowledged again {(min((t for t in load.ack_times if t > freed), default=freed) - freed):.1f} s after space was freed")
        time.sleep(3)
        stop.set()
        thread.join()
        stored = {int(r[0]) for r in psql(db, "SELECT listened_at FROM listens")}
        lost = len(load.acked["root"] - stored)
        counted = int(psql(db, "SELECT COALESCE(SUM(count), 0) FROM listen_counts")[0][0])
        print(f"acknowledged listens {len(load.acked['root'])}, lost {lost}; stored {len(stored)}, counter {counted}; "
              f"gave up {dict(load.unacked)}; 503s with Retry-After {traffic.retry_after['with']}, without {traffic.retry_after['without']}")
        if traffic.errors:
            fail(f"PostgreSQL disk full: {len(traffic.errors)} HTTP 500 answers (expected 503 + Retry-After)")
        if lost:
            fail(f"PostgreSQL disk full: {lost} acknowledged listens lost")
        if counted != len(stored):
            fail(f"PostgreSQL disk full: listen counter {counted} for {len(stored)} listens (a half-written batch)")
        if not recovered:
            fail("PostgreSQL disk full: listen submits did not recover within 60 s after space was freed")
        if any(p.proc.poll() is not None for p in procs):
            fail("PostgreSQL disk full: a Cadenza process exited")
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_amcheck"), key=lambda p: int(p.split("/")[4]))
        amcheck = found[-1] if found else shutil.which("pg_amcheck")
        if amcheck:
            # Exit 2: damage found; 1: it could not check (a connection or another error).
            check = subprocess.run([amcheck, "--install-missing", "--heapallindexed", db], capture_output=True, text=True)
            print(f"pg_amcheck --heapallindexed: exit {check.returncode} {check.stdout.strip()[:300]}{check.stderr.strip()[:300]}")
            if check.returncode == 2:
                fail("PostgreSQL disk full: pg_amcheck found damage")
            elif check.returncode != 0:
                fail("PostgreSQL disk full: pg_amcheck could not check the database")
        else:
            print("pg_amcheck: skipped (not installed)")
        report_logs(procs)
    finally:
        for p in procs:
            p.stop()
        subprocess.run([pgsh, "stop", pgdir], capture_output=True)
        subprocess.run(["umount", mnt], capture_output=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", help="a PostgreSQL server URL (…/postgres); phases 1 and 2 need it")
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--kill-every", type=float, default=5)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--phases", default="cluster,pgrestart,sqlite,diskfull,pgdiskfull")
    args = parser.parse_args()
    print(f"== fault campaign (seed {args.seed}, binary {BIN})")
    phases = {"cluster": cluster_campaign, "pgrestart": pg_restart, "sqlite": sqlite_kills, "diskfull": disk_full,
              "pgdiskfull": pg_disk_full}
    for name in args.phases.split(","):
        if name in ("cluster", "pgrestart") and not args.pg:
            print(f"== {name}: skipped (needs --pg)")
            continue
        with tempfile.TemporaryDirectory(prefix="cadenza-fault-") as tmp:
            os.chmod(tmp, 0o755)
            try:
                phases[name](args, tmp)
            except Exception as e:   # a phase that could not even run is a failure too
                fail(f"{name}: {type(e).__name__}: {e}")
    print(f"== {'FAILED: ' + '; '.join(FAILURES) if FAILURES else 'all invariants held'}")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
