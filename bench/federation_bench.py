"""Federation figures, on loopback: inbound signed POSTs verified and stored per second, one
activity delivered to 1,000 remote inboxes (stub receivers that check every signature and
digest), and the first byte of a remote track played through a second instance.

Targets (issue #18): 1,000 inboxes in < 10 s on 2 cores; inbound ≥ 500 signed POSTs/s; remote
first byte < 300 ms.

The 1,000 remote actors live on 10 aiohttp servers (10 domains, 100 actors each, no shared
inbox, so each gets its own delivery) and share one RSA key (each has its own keyId and actor
document), so the stubs' own cost stays small next to the server's.

Usage: python bench/federation_bench.py [--actors 1000] [--posts 3000] [--pg URL]
"""
import argparse
import asyncio
import base64
import email.utils
import hashlib
import json
import os
import sys
import threading
import time
import uuid

import aiohttp
import requests
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/e2e"))
from common import Instance, free_port, percentile  # noqa: E402
from media import make_audio  # noqa: E402

FED_ENV = {"CADENZA_FEDERATION_ALLOW_HTTP": "1", "CADENZA_FEDERATION_PRIVATE_ADDRESSES": "1", "CADENZA_FEDERATION_RETRY_SECONDS": "1"}
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def digest(body):
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def signed_headers(key_id, method, url, body=None):
    from urllib.parse import urlparse
    parts = urlparse(url)
    target = parts.path + (("?" + parts.query) if parts.query else "")
    headers = {"host": parts.netloc, "date": email.utils.formatdate(usegmt=True)}
    covered = ["(request-target)", "host", "date"]
    if body is not None:
        headers["digest"] = digest(body)
        headers["content-type"] = "application/activity+json"
        covered += ["digest", "content-type"]
    text = "\n".join(f"(request-target): {method.lower()} {target}" if h == "(request-target)" else f"{h}: {headers[h]}" for h in covered)
    sig = base64.b64encode(KEY.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    headers["signature"] = f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(covered)}",signature="{sig}"'
    return headers


class Stubs:
    """10 domains × N actors: actor documents, and inboxes that verify what arrives."""

    def __init__(self, actors, domains=10):
        self.ports = [free_port() for _ in range(domains)]
        self.per = actors // domains
        self.received = {}  # activity id -> set of inbox paths
        self.bad = 0
        self.first = None
        self.last = None
        self.keys = {}
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait(30)

    def actors(self):
        return [f"http://127.0.0.1:{p}/actors/a{i}" for p in self.ports for i in range(self.per)]

    def _verify(self, request, body):
        h = {k.lower(): v for k, v in request.headers.items()}
        fields = dict(part.split("=", 1) for part in h["signature"].split(","))
        fields = {k.strip(): v.strip().strip('"') for k, v in fields.items()}
        covered = fields["headers"].split()
        if "digest" not in covered or h.get("digest") != digest(body) or h.get("host") != request.host:
            return False
        text = "\n".join(f"(request-target): {request.method.lower()} {request.path_qs}" if c == "(request-target)" else f"{c}: {h[c]}"
                         for c in covered)
        key_id = fields["keyId"]
        pem = self.keys.get(key_id)
        if pem is None:
            pem = requests.get(key_id.split("#")[0], headers={"Accept": "application/activity+json"}, timeout=10).json()["publicKey"]["publicKeyPem"]
            self.keys[key_id] = pem
        try:
            serialization.load_pem_public_key(pem.encode()).verify(
                base64.b64decode(fields["signature"]), text.encode(), padding.PKCS1v15(), hashes.SHA256())
            return True
        except Exception:  # noqa: BLE001
            return False

    def _app(self, port):
        async def actor(request):
            name = request.match_info["name"]
            aid = f"http://127.0.0.1:{port}/actors/{name}"
            return web.json_response({"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                                      "id": aid, "type": "Person", "preferredUsername": name, "inbox": aid + "/inbox",
                                      "publicKey": {"id": aid + "#main-key", "owner": aid, "publicKeyPem": PEM}},
                                     content_type="application/activity+json")

        async def inbox(request):
            body = await request.read()
            ok = await asyncio.get_running_loop().run_in_executor(None, self._verify, request, body)
            activity = json.loads(body)
            with self.lock:
                if not ok:
                    self.bad += 1
                self.received.setdefault(activity["id"], set()).add(request.host + request.path)
                now = time.perf_counter()
                self.first = self.first or now
                self.last = now
            return web.Response(status=202 if ok else 401)

        app = web.Application()
        app.router.add_get("/actors/{name}", actor)
        app.router.add_post("/actors/{name}/inbox", inbox)
        return app

    def _run(self):
        asyncio.set_event_loop(self.loop)

        async def start():
            for port in self.ports:
                runner = web.AppRunner(self._app(port), access_log=None)
                await runner.setup()
                await web.TCPSite(runner, "127.0.0.1", port).start()
            self.ready.set()
        self.loop.run_until_complete(start())
        self.loop.run_forever()

    def count(self, activity_id):
        with self.lock:
            return len(self.received.get(activity_id, ()))

    def of_type(self, kind):
        return [k for k in self.received if kind in k]


async def post_all(posts, concurrency):
    """Sends (url, headers, body) triples, `concurrency` at a time; returns statuses and seconds."""
    statuses = []
    queue = asyncio.Queue()
    for p in posts:
        queue.put_nowait(p)
    async with aiohttp.ClientSession() as session:
        async def worker():
            while not queue.empty():
                url, headers, body = queue.get_nowait()
                async with session.post(url, data=body, headers=headers) as r:
                    statuses.append(r.status)
        started = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(concurrency)])
        return statuses, time.perf_counter() - started


def bench_inbound_and_fanout(args):
    inst = Instance(args.pg)
    try:
        proc, url, _ = inst.serve(**FED_ENV, CADENZA_LOG_LEVEL="error")
        token = inst.admin_token(url)
        user = "bench"
        assert requests.put(url + "/api/v1/me/listen-settings", json={"visibility": "public"},
                            headers={"Authorization": f"Bearer {token}"}).status_code == 200
        stubs = Stubs(args.actors)
        actors = stubs.actors()
        inbox = url + "/federation/inbox"
        target = f"{url}/federation/actors/{user}"
        # Inbound, first contact: every Follow makes the server fetch its signer (1,000 actor fetches).
        posts = []
        for a in actors:
            body = json.dumps({"@context": "https://www.w3.org/ns/activitystreams", "id": f"{a}/follows/{uuid.uuid4()}", "type": "Follow",
                               "actor": a, "object": target}).encode()
            posts.append((inbox, signed_headers(a + "#main-key", "POST", inbox, body), body))
        statuses, seconds = asyncio.run(post_all(posts, 16))
        assert statuses.count(202) == len(posts), {s: statuses.count(s) for s in set(statuses)}
        print(f"inbound Follows, first contact (key fetched): {len(posts)} in {seconds:.2f} s = {len(posts) / seconds:.0f}/s")
        # Inbound, known signers: Likes (verified, stored, queued, worked).
        posts = []
        for i in range(args.posts):
            a = actors[i % len(actors)]
            body = json.dumps({"@context": "https://www.w3.org/ns/activitystreams", "id": f"{a}/likes/{uuid.uuid4()}", "type": "Like",
                               "actor": a, "object": target}).encode()
            posts.append((inbox, signed_headers(a + "#main-key", "POST", inbox, body), body))
        statuses, seconds = asyncio.run(post_all(posts, 16))
        assert statuses.count(202) == len(posts), {s: statuses.count(s) for s in set(statuses)}
        print(f"inbound signed POSTs, known signers: {len(posts)} in {seconds:.2f} s = {len(posts) / seconds:.0f}/s (target ≥ 500/s)")
        # The Accepts (one activity each) reach every follower; then one listen goes to all of them.
        deadline = time.time() + 120
        while sum(1 for k in list(stubs.received) if "/federation/activities/" in k) < len(actors) and time.time() < deadline:
            time.sleep(0.2)
        accepts = sum(1 for k in list(stubs.received) if "/federation/activities/" in k)
        print(f"Accepts delivered: {accepts}/{len(actors)}, bad signatures seen: {stubs.bad}")
        before = set(stubs.received)
        doc = {"listen_type": "single", "payload": [{"listened_at": int(time.time()), "track_metadata": {"track_name": "Fan-out", "artist_name": "Bench"}}]}
        started = time.perf_counter()
        assert requests.post(url + "/1/submit-listens", data=json.dumps(doc), headers={"Authorization": f"Token {token}"}).status_code == 200
        activity = None
        deadline = time.time() + 120
        while time.time() < deadline:
            new = [k for k in list(stubs.received) if k not in before]
            if new:
                activity = new[0]
                if stubs.count(activity) >= len(actors):
                    break
            time.sleep(0.05)
        elapsed = (stubs.last or started) - started
        got = stubs.count(activity) if activity else 0
        print(f"one activity to {len(actors)} inboxes: {got} received, all signatures verified: {stubs.bad == 0}, "
              f"{elapsed:.2f} s from the listen to the last inbox (target < 10 s)")
        inst.stop(proc)
    finally:
        inst.close()


def bench_remote_first_byte(args, tmp):
    a_inst, b_inst = Instance(args.pg), Instance(args.pg)
    try:
        music = os.path.join(tmp, "music")
        for i in range(args.tracks):
            make_audio(os.path.join(music, f"Artist/Album/{i:02d}.mp3"), seconds=20, frequency=300 + i * 10, title=f"T{i}", artist="Artist",
                       album="Album", track=str(i + 1))
        a_proc, a_url, _ = a_inst.serve(**FED_ENV, CADENZA_LOG_LEVEL="error")
        b_proc, b_url, _ = b_inst.serve(**FED_ENV, CADENZA_LOG_LEVEL="error")
        a_token, b_token = a_inst.admin_token(a_url), b_inst.admin_token(b_url)
        ah, bh = {"Authorization": f"Bearer {a_token}"}, {"Authorization": f"Bearer {b_token}"}
        lib = requests.post(a_url + "/api/v1/libraries", json={"name": "Shared", "visibility": "public", "kind": "folders"}, headers=ah).json()["id"]
        assert requests.post(f"{a_url}/api/v1/libraries/{lib}/folders", json={"path": music}, headers=ah).status_code == 201
        while len(requests.get(a_url + "/api/v1/tracks", headers=ah).json()["items"]) < args.tracks:
            time.sleep(0.2)
        assert requests.post(b_url + "/api/v1/federation/follows", json={"target": f"{a_url}/federation/libraries/{lib}"}, headers=bh).status_code == 201
        deadline = time.time() + 60
        while time.time() < deadline and len(requests.get(b_url + "/api/v1/tracks", headers=bh, params={"limit": 100}).json()["items"]) < args.tracks:
            time.sleep(0.2)
        tracks = requests.get(b_url + "/api/v1/tracks", headers=bh, params={"limit": 100}).json()["items"]
        first, cached = [], []
        for t in tracks:
            audio = f"{b_url}/api/v1/files/{t['files'][0]['id']}/audio"
            for into in (first, cached):
                started = time.perf_counter()
                with requests.get(audio, headers=bh, stream=True) as r:
                    next(r.iter_content(1))
                    into.append((time.perf_counter() - started) * 1000)
                    for _ in r.iter_content(65536):
                        pass
                time.sleep(0.05)  # the copy is renamed into place once the whole file passed
        print(f"remote first byte over loopback, {len(first)} tracks: first play p50 {percentile(first, 50):.1f} ms, "
              f"p95 {percentile(first, 95):.1f} ms (target < 300 ms); from the copy p50 {percentile(cached, 50):.1f} ms")
        a_inst.stop(a_proc)
        b_inst.stop(b_proc)
    finally:
        a_inst.close()
        b_inst.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--actors", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--tracks", type=int, default=12)
    parser.add_argument("--pg", default=None)
    args = parser.parse_args()
    import tempfile
    for pg in ([None, args.pg] if args.pg else [None]):
        args_db = argparse.Namespace(**{**vars(args), "pg": pg})
        print(f"== federation on {'PostgreSQL' if pg else 'SQLite'}")
        bench_inbound_and_fanout(args_db)
        with tempfile.TemporaryDirectory() as tmp:
            bench_remote_first_byte(args_db, tmp)


if __name__ == "__main__":
    main()
