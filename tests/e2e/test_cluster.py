"""A cluster on one PostgreSQL, as deploy/ describes it, on loopback: Debian's nginx running the
reference site (deploy/nginx/cadenza.conf, made plain HTTP on a free port) in front of two
`cadenza serve --roles api` nodes, with two `cadenza worker` processes behind them. nginx
balances round-robin, so consecutive requests land on alternate nodes: every answer below may
come from either one, and the access logs show that both took part.

The clients are the ones the other suites use (py-sonic, liblistenbrainz, requests as the web
app, the SSE reader): a representative part of the Subsonic, listens and web app suites through
the proxy, live events that cross from one node to a client of the other, and the proxy's own
duties (the client's address, unbuffered event streams, WebSocket upgrades, the 503 retry that
finds the node playing the jukebox streams)."""
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from urllib.parse import urljoin

import libsonic
import pytest
import requests
import websocket
from liblistenbrainz import Listen, ListenBrainz

from conftest import ADMIN_PASSWORD, Deployment, SSEClient, auth, free_port, postgres_only, token_for, wait_for
from media import duration, make_audio

pytestmark = postgres_only

SITE = os.path.join(os.path.dirname(__file__), "../../deploy/nginx/cadenza.conf")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
METRICS_TOKEN = "metrics-" + uuid.uuid4().hex
CLIENT_A, CLIENT_B = "203.0.113.7", "198.51.100.23"   # documentation addresses (RFC 5737)
LOGIN_LIMIT = 3


# --- the proxy -----------------------------------------------------------------------------------

def top_level_parts(text):
    """The top of an nginx file without comments, in order: ("", "directive;") for a simple
    directive, (head, body) for each `head { body }`."""
    parts, depth, start, head_start = [], 0, 0, 0
    for i, ch in enumerate(text):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                parts.append((text[head_start:start].strip(), text[start + 1:i]))
                head_start = i + 1
        elif ch == ";" and depth == 0:
            parts.append(("", text[head_start:i + 1].strip()))
            head_start = i + 1
    assert depth == 0 and not text[head_start:].strip(), "unbalanced braces in the site"
    return parts


def loopback_site(site_text, api_ports, listen_port, tls=None, playout_ports=None):
    """The reference site for this machine: its upstreams name the test's api nodes, the https
    server listens in plain HTTP on `listen_port` (the certificate lines go, the redirecting
    port-80 server too), and Host carries the port, as the site's comment says to do off 443.
    Every location, header, buffering and timeout stays as written. Each change is checked, so a
    reworded site fails here rather than quietly testing something else.
    With `tls` (certificate, key, http port) the https server keeps TLS, HTTP/2 and every ssl_
    line but the certificate paths, and the redirecting server listens on the http port."""
    text = re.sub(r"(?m)#.*$", "", site_text)
    out = []
    upstreams, servers = {}, []
    for head, body in top_level_parts(text):
        if not head:
            out.append(body + "\n")   # http-level directives (zones and the like) stay
        elif head.startswith("upstream "):
            name = head.split()[1]
            lines = re.findall(r"(?m)^\s*server\s+\S+([^;]*);", body)
            assert lines, f"upstream {name} has no servers"
            params = lines[0]
            # The playouts' upstream: the test's playout processes, or the api nodes standing in (with
            # CADENZA_RADIO_PLAYOUT=external they answer /listen/ and /hls/ with 503, as a playout
            # not airing the station does).
            ports = playout_ports if name == "cadenza_playout" and playout_ports else api_ports
            ours = "".join(f"    server 127.0.0.1:{port}{params};\n" for port in ports)
            rest = re.sub(r"(?m)^\s*server\s+\S+[^;]*;\n?", "", body)
            upstreams[name] = params
            out.append(f"{head} {{\n{ours}{rest}}}\n")
        elif head == "server":
            servers.append(body)
        else:
            out.append(f"{head} {{{body}}}\n")
    assert set(upstreams) == {"cadenza_api", "cadenza_api_rooms", "cadenza_playout"}, upstreams
    redirects = [b for b in servers if "return 301" in b]
    sites = [b for b in servers if "return 301" not in b]
    assert len(redirects) == 1 and len(sites) == 1, "expected the http redirect and the https site"
    body = sites[0]
    body, listens = re.subn(r"(?m)^\s*listen\s+[^;]*443[^;]*;\n?", "", body)
    assert listens >= 1
    if tls:
        cert, key, http_port = tls
        body, ssl = re.subn(r"(?m)^(\s*ssl_certificate\s+)[^;]*;", rf"\g<1>{cert};", body)
        body, ssl_keys = re.subn(r"(?m)^(\s*ssl_certificate_key\s+)[^;]*;", rf"\g<1>{key};", body)
        assert ssl == 1 and ssl_keys == 1
        redirect = re.sub(r"(?m)^\s*listen\s[^;]*;\n?", "", redirects[0])
        redirect, logs = re.subn(r"(?m)^\s*access_log\s+\S+\s+cadenza_noquery;\n?", "", redirect)
        redirect, names = re.subn(r"(?m)^(\s*)server_name\s[^;]*;", r"\1server_name 127.0.0.1;", redirect)
        assert logs == 1 and names == 1 and "return 301 https://" in redirect
        out.append(f"server {{\n    listen 127.0.0.1:{http_port};\n{redirect}}}\n")
    else:
        body, ssl = re.subn(r"(?m)^\s*ssl_\w+\s[^;]*;\n?", "", body)
        assert ssl >= 2
    body, names = re.subn(r"(?m)^(\s*)server_name\s[^;]*;", r"\1server_name 127.0.0.1;", body)
    assert names == 1
    if not tls:
        body, hosts = re.subn(r"(?m)^(\s*proxy_set_header\s+Host\s+)\$host;", r"\1$host:$server_port;", body)
        assert hosts >= 1
    # The site logs paths without their query (Subsonic credentials are in it); here the test's own
    # log (at the http level) takes its place.
    formats = re.findall(r"log_format\s+cadenza_noquery\s+((?:'[^']*'\s*)+);", site_text)
    assert formats and not re.search(r"\$request\b(?!_)|\$request_uri|\$args|\$query_string", formats[0]), formats
    body, logs = re.subn(r"(?m)^\s*access_log\s+\S+\s+cadenza_noquery;\n?", "", body)
    assert logs == 1
    # (As the site has it: "listen 443 ssl http2;", the form nginx 1.22 knows.)
    out.append(f"server {{\n    listen 127.0.0.1:{listen_port}{' ssl http2' if tls else ''};\n{body}}}\n")
    return "".join(out)


def nginx_conf(prefix, site_path):
    """nginx.conf as Debian's, for a process of our own: everything under `prefix`, one worker
    (round-robin counters are per worker process), and root's workers as root (the default
    `nobody` could not reach the temporary folders under a private prefix)."""
    temp = {kind: os.path.join(prefix, "temp", kind) for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        os.makedirs(path, exist_ok=True)
    mime = "include /etc/nginx/mime.types;" if os.path.exists("/etc/nginx/mime.types") else ""
    user = "user root root;" if os.geteuid() == 0 else ""
    return f"""{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log notice;
events {{ worker_connections 1024; }}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    {mime}
    default_type application/octet-stream;
    gzip on;
    log_format cluster '$remote_addr "$request" $status upstream=$upstream_addr status=$upstream_status rid=$request_id';
    access_log {prefix}/access.log cluster;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {site_path};
}}
"""


class Nginx:
    """nginx in the foreground (`daemon off;`), everything it writes under `prefix`."""

    def __init__(self, prefix, api_ports, port, tls=None, playout_ports=None):
        self.prefix, self.port = prefix, port
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        os.makedirs(prefix, exist_ok=True)
        site = os.path.join(prefix, "cadenza.conf")
        with open(SITE) as f, open(site, "w") as out:
            out.write(loopback_site(f.read(), api_ports, port, tls, playout_ports))
        conf = os.path.join(prefix, "nginx.conf")
        with open(conf, "w") as out:
            out.write(nginx_conf(prefix, site))
        self.error_log = os.path.join(prefix, "error.log")
        assert os.path.exists(NGINX), "nginx is not installed (scripts/install-deps.sh test installs it)"
        args = [NGINX, "-p", prefix, "-c", conf, "-e", self.error_log]
        check = subprocess.run(args + ["-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.out = open(os.path.join(prefix, "nginx.out"), "w")
        self.proc = subprocess.Popen(args + ["-g", "daemon off;"], stdout=self.out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, open(self.error_log).read()
            try:
                if requests.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError("nginx did not answer in time; see " + self.error_log)

    def access_log(self):
        with open(os.path.join(self.prefix, "access.log")) as f:
            return f.read().splitlines()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)   # a fast shutdown: open streams are cut
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


# --- the cluster ---------------------------------------------------------------------------------

class Cluster:
    """The parts by name: `url` (the proxy's address), `nodes` (the two api nodes, conftest
    `Server`s with their own `url`), `proxy` (the `Nginx`), `admin` (root's bearer token),
    `music` (the library's folder), `library` (its id), `shared` (every process's settings),
    `playout_ports` (where the proxy looks for radio playouts: none runs until a test starts them)."""

    def __init__(self, deployment, nodes, workers, proxy, music, shared=None, playout_ports=()):
        self.deployment, self.nodes, self.workers, self.proxy, self.music = deployment, nodes, workers, proxy, music
        self.shared, self.playout_ports = shared or {}, list(playout_ports)
        self.url = proxy.url
        self.admin = None
        self.library = None

    def records(self, node):
        """The node's log, as the JSON objects it wrote one per line."""
        out = []
        with open(node.log.name) as f:
            for line in f:
                if line.startswith("{"):
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
        return out

    def requests_logged(self, node, path=None):
        return [r for r in self.records(node) if r.get("msg") == "request" and (path is None or r.get("path") == path)]

    def served_by(self, request_ids):
        """For each X-Request-ID nginx gave a request, the index of the node whose access log has it."""
        def find():
            logged = [{r.get("request-id") for r in self.requests_logged(node)} for node in self.nodes]
            found = [[i for i, ids in enumerate(logged) if rid in ids] for rid in request_ids]
            return found if all(len(f) == 1 for f in found) else None
        found = wait_for(find, timeout=5)
        assert found, f"requests not logged by exactly one node: {request_ids}"
        return [f[0] for f in found]

    def add_user(self, name, password=None):
        password = password or f"password-{name}"
        r = requests.post(self.url + "/api/v1/users", json={"username": name, "password": password}, headers=auth(self.admin))
        assert r.status_code == 201, r.text
        return token_for(self, name, password)

    def tracks(self, token=None):
        r = requests.get(self.url + "/api/v1/tracks?limit=500", headers=auth(token or self.admin))
        assert r.status_code == 200, r.text
        return r.json()["items"]


@pytest.fixture(scope="module")
def cluster():
    with tempfile.TemporaryDirectory(prefix="cadenza-cluster-") as tmp:
        music = os.path.join(tmp, "music")
        make_audio(f"{music}/Kaloven/Glass Echo/01.mp3", seconds=4, title="Night River", artist="Kaloven",
                   album_artist="Kaloven", album="Glass Echo", track="1", date="2004", genre="Rock")
        make_audio(f"{music}/Kaloven/Glass Echo/02.mp3", seconds=3, frequency=550, title="Paper Static", artist="Kaloven",
                   album_artist="Kaloven", album="Glass Echo", track="2", date="2004", genre="Rock")
        make_audio(f"{music}/Milo/Orbit/01.flac", seconds=3, title="Lantern", artist="Milo", album="Orbit", genre="Jazz")
        deployment = Deployment(tmp)
        proxy = None
        try:
            port = free_port()
            # The settings file every process shares (deploy/systemd/cadenza.env.example), with the
            # test's own: cheap hashing (Deployment's), a low sign-in limit, no listens limit.
            shared = {
                "CADENZA_SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
                "CADENZA_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "CADENZA_TRUSTED_PROXIES": "127.0.0.1",
                "CADENZA_RADIO_PLAYOUT": "external",
                "CADENZA_METRICS_TOKEN": METRICS_TOKEN,
                "CADENZA_LOG_LEVEL": "info",
                "CADENZA_LOG_FORMAT": "json",
                "CADENZA_ACCESS_LOG": "1",
                "CADENZA_LOGIN_LIMIT_PER_IP": LOGIN_LIMIT,
                "CADENZA_LISTENS_RATE_LIMIT": 1000000,
                "CADENZA_RESCAN_MINUTES": 0,
                "CADENZA_MEDIA_DIR": os.path.join(tmp, "media"),   # shared; each process its own data directory
            }
            nodes = [deployment.serve(roles="api", CADENZA_DATA_DIR=os.path.join(tmp, f"api-{i}"), **shared) for i in range(2)]
            workers = [deployment.worker(CADENZA_DATA_DIR=os.path.join(tmp, f"worker-{i}"), **shared) for i in range(2)]
            playout_ports = [free_port(), free_port()]
            proxy = Nginx(os.path.join(tmp, "nginx"), [n.port for n in nodes], port, playout_ports=playout_ports)
            proxy.wait_ready()
            c = Cluster(deployment, nodes, workers, proxy, music, shared, playout_ports)
            created = deployment.run("user", "create", "--admin", "root", stdin=ADMIN_PASSWORD + "\n", **shared)
            assert created.returncode == 0, created.stderr
            c.admin = token_for(c, "root", ADMIN_PASSWORD)
            # The library, made through the proxy; a worker scans it.
            r = requests.post(c.url + "/api/v1/libraries", headers=auth(c.admin),
                              json={"name": "Shelf", "kind": "folders", "visibility": "instance"})
            assert r.status_code == 201, r.text
            c.library = r.json()["id"]
            r = requests.post(f"{c.url}/api/v1/libraries/{c.library}/folders", headers=auth(c.admin), json={"path": music})
            assert r.status_code == 201, r.text
            assert wait_for(lambda: len(c.tracks()) == 3, timeout=60), c.tracks()
            yield c
        finally:
            if proxy is not None:
                proxy.stop()
            deployment.close()


# --- the proxy's part ------------------------------------------------------------------------------

def test_requests_reach_both_nodes_and_each_logs_the_real_client(cluster):
    c = cluster
    rids = []
    for _ in range(6):
        r = requests.get(c.url + "/healthz", headers={"X-Forwarded-For": CLIENT_A})
        assert r.status_code == 200
        rids.append(r.headers["X-Request-ID"])
    # nginx names each request ($request_id) and the node logs that name and sends it back.
    assert len(set(rids)) == 6 and all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in rids), rids
    nodes = c.served_by(rids)
    assert sorted(nodes) == [0, 0, 0, 1, 1, 1], nodes   # round-robin: each node took half
    logged = {r["request-id"]: r for node in c.nodes for r in c.requests_logged(node, "/healthz")}
    # The client as the node logs it: the right-most X-Forwarded-For address that is not a trusted
    # proxy (nginx appended 127.0.0.1, its peer, to what the client sent).
    assert {logged[rid]["client"] for rid in rids} == {CLIENT_A}
    assert all(logged[rid]["status"] == 200 for rid in rids)

    # Addresses further left are whatever the client wrote: the right-most untrusted one counts.
    r = requests.get(c.url + "/healthz", headers={"X-Forwarded-For": f"192.0.2.99, {CLIENT_B}"})
    c.served_by([r.headers["X-Request-ID"]])
    assert {x["client"] for x in c.requests_logged(c.nodes[0]) + c.requests_logged(c.nodes[1])
            if x.get("request-id") == r.headers["X-Request-ID"]} == {CLIENT_B}
    # A client that sends none is itself, here loopback, not "unknown" or the proxy's header.
    r = requests.get(c.url + "/healthz")
    c.served_by([r.headers["X-Request-ID"]])
    assert {x["client"] for x in c.requests_logged(c.nodes[0]) + c.requests_logged(c.nodes[1])
            if x.get("request-id") == r.headers["X-Request-ID"]} == {"127.0.0.1"}

    # /metrics: through the proxy only with the token; a scraper on the node's own host without.
    for _ in range(2):
        assert requests.get(c.url + "/metrics").status_code == 401
        r = requests.get(c.url + "/metrics", headers=auth(METRICS_TOKEN))
        assert r.status_code == 200 and "# TYPE" in r.text
    assert requests.get(c.nodes[0].url + "/metrics").status_code == 200


# --- Subsonic --------------------------------------------------------------------------------------

SUBSONIC_PASSWORD = "subsonic-pass-1"


def subsonic(c, name, password=SUBSONIC_PASSWORD, token=None):
    """py-sonic on the proxy for `name`, once they have set their app password (through the
    proxy: sealed by one node, opened by the other on the next request)."""
    r = requests.put(c.url + "/api/v1/me/subsonic-password", headers=auth(token),
                     json={"password": password, "currentPassword": ADMIN_PASSWORD if name == "root" else f"password-{name}"})
    assert r.status_code == 200, r.text
    return libsonic.Connection("http://127.0.0.1", name, password, port=c.proxy.port, appName="cadenza-cluster")


def test_subsonic_through_the_proxy_sees_every_change_on_the_next_request(cluster):
    c = cluster
    sam = c.add_user("sam")
    s = subsonic(c, "sam", token=sam)
    # Token authentication (t, s): every node opens the app password another node sealed.
    for _ in range(4):
        assert s.ping()

    for _ in range(2):
        artists = [a for ix in s.getArtists()["artists"]["index"] for a in ix["artist"]]
        assert sorted(a["name"] for a in artists) == ["Kaloven", "Milo"]
    kaloven = next(a for a in artists if a["name"] == "Kaloven")
    album_id = s.getArtist(kaloven["id"])["artist"]["album"][0]["id"]
    for _ in range(2):
        album = s.getAlbum(album_id)["album"]
        assert album["name"] == "Glass Echo" and [x["title"] for x in album["song"]] == ["Night River", "Paper Static"]
    songs = album["song"]

    # Streams go through the unbuffered audio location, from either node, byte for byte.
    with open(f"{c.music}/Kaloven/Glass Echo/01.mp3", "rb") as f:
        original = f.read()
    for _ in range(2):
        assert s.stream(songs[0]["id"]).read() == original
    transcoded = s.stream(songs[1]["id"], tformat="mp3", maxBitRate=96).read()
    assert abs(duration(transcoded) - 3.0) < 0.3

    # Stars: both nodes have read the user's (empty) stars, then one takes the star; every next
    # read, from either node, has it, and so with the unstar.
    starred = lambda: [x["id"] for x in s.getStarred2()["starred2"].get("song", [])]
    for _ in range(4):
        assert starred() == []
    s.star(sids=[songs[0]["id"]])
    assert [starred() for _ in range(6)] == [[songs[0]["id"]]] * 6
    s.unstar(sids=[songs[0]["id"]])
    assert [starred() for _ in range(6)] == [[]] * 6

    # Scrobbles: now playing, then a play, on every node's next answer.
    plays = lambda: [s.getSong(songs[1]["id"])["song"].get("playCount", 0) for _ in range(4)]
    assert plays() == [0] * 4
    s.scrobble(songs[1]["id"], submission=False)
    for _ in range(4):
        playing = s.getNowPlaying()["nowPlaying"].get("entry", [])
        assert [(e["id"], e["username"]) for e in playing] == [(songs[1]["id"], "sam")]
    s.scrobble(songs[1]["id"], submission=True)
    assert plays() == [1] * 4
    assert [e for _ in range(2) for e in s.getNowPlaying()["nowPlaying"].get("entry", [])] == []

    # A new file, a scan started through Subsonic (an administrator's): once it is in, every
    # node's next answer has it, though both had the old catalog cached.
    root = subsonic(c, "root", token=c.admin)
    found = lambda: [x["title"] for x in s.search3("Ember")["searchResult3"].get("song", [])]
    for _ in range(2):
        assert found() == [] and s.getAlbum(songs[0]["albumId"])["album"]["songCount"] == 2
    make_audio(f"{c.music}/Kaloven/Glass Echo/03.mp3", seconds=3, frequency=660, title="Ember", artist="Kaloven",
               album_artist="Kaloven", album="Glass Echo", track="3", date="2004", genre="Rock")
    assert "scanStatus" in root.startScan()
    assert wait_for(lambda: found() == ["Ember"], timeout=30)
    for _ in range(4):
        assert found() == ["Ember"]
        assert [x["title"] for x in s.getAlbum(album_id)["album"]["song"]] == ["Night River", "Paper Static", "Ember"]
    assert wait_for(lambda: root.getScanStatus()["scanStatus"]["scanning"] is False, timeout=30)

    # Both nodes answered /rest: the reads above really were spread.
    assert all(c.requests_logged(node, "/rest/getStarred2.view") for node in c.nodes)
    assert all(c.requests_logged(node, "/rest/stream.view") for node in c.nodes)


# --- listens ---------------------------------------------------------------------------------------

def listens_token(c, session_token):
    r = requests.post(c.url + "/api/v1/tokens", json={"name": "scrobbler", "scope": "listens"}, headers=auth(session_token))
    assert r.status_code == 201, r.text
    return r.json()["token"]


def test_a_token_revoked_through_one_node_is_refused_by_the_other_at_once(cluster):
    """Each node caches verified scrobbler tokens for a few seconds; a revocation is told to every
    node (NOTIFY), so a scrobbler whose token was revoked cannot go on submitting to the other."""
    c = cluster
    owner = c.add_user("rhea")
    token = listens_token(c, owner)
    a, b = c.nodes

    def submit(node, n):
        return requests.post(node.url + "/1/submit-listens", headers={"Authorization": f"Token {token}"}, json={
            "listen_type": "single", "payload": [{"listened_at": 1_700_000_000 + n, "track_metadata": {"artist_name": "R", "track_name": f"T{n}"}}]})
    assert submit(b, 0).status_code == 200   # node B has now verified (and cached) the token
    listed = requests.get(a.url + "/api/v1/tokens", headers=auth(owner)).json()
    scrobbler = next(t for t in listed if t["name"] == "scrobbler")
    assert requests.delete(f"{a.url}/api/v1/tokens/{scrobbler['id']}", headers=auth(owner)).status_code == 204
    revoked = time.monotonic()
    statuses = []
    while time.monotonic() - revoked < 3:
        statuses.append(submit(b, len(statuses) + 1).status_code)
        if statuses[-1] == 401:
            break
        time.sleep(0.05)
    # Refused within a moment of the revocation, not when the 5 s cache entry would have run out.
    assert statuses[-1] == 401 and time.monotonic() - revoked < 2, statuses


def md5(text):
    import hashlib
    return hashlib.md5(text.encode()).hexdigest()


def test_listens_through_the_proxy_with_liblistenbrainz(cluster):
    c = cluster
    lena = c.add_user("lena")
    token = listens_token(c, lena)
    # The token, checked by each node in turn (set_auth_token asks /1/validate-token).
    for url in [c.url, c.url] + [n.url for n in c.nodes]:
        ListenBrainz(api_base_url=url).set_auth_token(token)

    lb = ListenBrainz(api_base_url=c.url)
    lb.set_auth_token(token)
    now = int(time.time())
    lb.submit_multiple_listens([Listen(track_name=f"Song {i}", artist_name="Artist B", release_name="Album B",
                                       listened_at=now - 1000 - i * 300) for i in range(3)])
    lb.submit_single_listen(Listen(track_name="Song A", artist_name="Artist A", listened_at=now - 200))
    expected = [("Song A", now - 200), ("Song 0", now - 1000), ("Song 1", now - 1300), ("Song 2", now - 1600)]
    for _ in range(4):
        assert [(x.track_name, x.listened_at) for x in lb.get_listens("lena")] == expected
        assert lb.get_user_listen_count("lena") == 4
    # Stats are current the moment a listen is stored, on every node.
    for _ in range(2):
        artists = lb.get_user_artists("lena")["payload"]["artists"]
        assert [(a["artist_name"], a["listen_count"]) for a in artists] == [("Artist B", 3), ("Artist A", 1)]

    lb.submit_playing_now(Listen(track_name="Now", artist_name="Artist A"))
    for _ in range(4):
        playing = lb.get_playing_now("lena")
        assert playing is not None and playing.track_name == "Now"

    # A deletion is immediate everywhere.
    lb.delete_listen(lb.get_listens("lena")[-1])
    for _ in range(4):
        assert [x.track_name for x in lb.get_listens("lena")] == ["Song A", "Song 0", "Song 1"]

    # The token scrobbles straight to either node as well.
    for i, node in enumerate(c.nodes):
        direct = ListenBrainz(api_base_url=node.url)
        direct.set_auth_token(token)
        direct.submit_single_listen(Listen(track_name=f"Direct {i}", artist_name="Artist C", listened_at=now - 100 + i))
    for _ in range(2):
        assert lb.get_user_listen_count("lena") == 5

    # AudioScrobbler 1.2: the handshake names the proxy's address (nginx forwards the Host the
    # client used) and its session works on whichever node takes the next request.
    pw = "lena-app-pass"
    subsonic(c, "lena", password=pw, token=lena)
    t = int(time.time())
    answer = requests.get(c.url + "/scrobbler/", params={"hs": "true", "p": "1.2", "c": "tst", "v": "1.0", "u": "lena",
                                                          "t": t, "a": md5(md5(pw) + str(t))}).text.split("\n")
    assert answer[0] == "OK", answer
    sid, np_url, submit_url = answer[1:4]
    assert np_url == c.url + "/scrobbler/np_1.2" and submit_url == c.url + "/scrobbler/protocol_1.2"
    for title in ("AS one", "AS two"):   # one after the other: one on each node
        r = requests.post(np_url, data={"s": sid, "a": "Artist D", "t": title, "b": "", "l": "240", "n": "", "m": ""})
        assert r.text == "OK\n"
    assert [lb.get_playing_now("lena").track_name for _ in range(2)] == ["AS two", "AS two"]
    ts = int(time.time()) - 60
    form = {"s": sid, "a[0]": "Artist D", "t[0]": "AS played", "i[0]": str(ts), "o[0]": "P", "r[0]": "", "l[0]": "240",
            "b[0]": "", "n[0]": "", "m[0]": ""}
    assert requests.post(submit_url, data=form).text == "OK\n"
    for _ in range(2):
        assert lb.get_listens("lena", count=1)[0].track_name == "AS played"
    assert all(c.requests_logged(node, "/1/user/lena/listens") for node in c.nodes)
    assert all(c.requests_logged(node, "/scrobbler/np_1.2") for node in c.nodes)


# --- live events -----------------------------------------------------------------------------------

def live(stream, kinds=("listen", "playing_now"), n=1, timeout=10):
    """The next n events of these kinds on an SSEClient: (type, payload, seconds since asked, id)."""
    out, start = [], time.time()
    while len(out) < n and time.time() - start < timeout:
        for at, event_id, kind, data in stream.take(1, timeout=max(0.05, start + timeout - time.time())):
            if kind in kinds:
                out.append((kind, data["payload"], at - start, event_id))
    return out


def test_live_events_cross_nodes_and_pass_nginx_unbuffered(cluster):
    c = cluster
    a, b = c.nodes
    ann, bob = c.add_user("ann"), c.add_user("bob")
    ann_lb = listens_token(c, ann)
    on_b = ListenBrainz(api_base_url=b.url)
    on_b.set_auth_token(ann_lb)
    streams = {}
    try:
        # Ann's stream on node A, Bob's too; Bob follows Ann through node B after his stream opened.
        streams["ann"] = SSEClient(a.url, ann)
        streams["bob"] = SSEClient(a.url, bob)
        time.sleep(0.3)
        assert requests.put(b.url + "/api/v1/follows/ann", headers=auth(bob)).status_code in (200, 201, 204)

        # A listen and playing-now written through node B reach both clients of node A.
        on_b.submit_single_listen(Listen(track_name="Across", artist_name="Artist", listened_at=int(time.time()) - 60))
        for name in ("ann", "bob"):
            got = live(streams[name])
            assert [(k, p["user_name"], p["track_metadata"]["track_name"]) for k, p, _, _ in got] == [("listen", "ann", "Across")], name
            assert got[0][2] < 5, got
        on_b.submit_playing_now(Listen(track_name="Playing", artist_name="Artist"))
        for name in ("ann", "bob"):
            assert [(k, p["track_metadata"]["track_name"]) for k, p, _, _ in live(streams[name])] == [("playing_now", "Playing")], name

        # A Subsonic scrobble through node B is a listen too.
        subsonic(c, "ann", token=ann)
        song = c.tracks(ann)[0]
        sub = {"u": "ann", "p": SUBSONIC_PASSWORD, "v": "1.16.1", "c": "tests", "f": "json"}
        r = requests.get(b.url + "/rest/scrobble", params=sub | {"id": song["id"], "submission": "true"})
        assert r.json()["subsonic-response"]["status"] == "ok", r.text
        for name in ("ann", "bob"):
            got = live(streams[name], kinds=("listen",))
            assert [p["track_metadata"]["track_name"] for _, p, _, _ in got] == [song["title"]], name

        # Bob unfollows through node B: Ann's next listen no longer reaches his stream on node A.
        assert requests.delete(b.url + "/api/v1/follows/ann", headers=auth(bob)).status_code in (200, 204)
        on_b.submit_single_listen(Listen(track_name="Alone", artist_name="Artist", listened_at=int(time.time()) - 30))
        assert [p["track_metadata"]["track_name"] for _, p, _, _ in live(streams["ann"])] == ["Alone"]
        assert live(streams["bob"], timeout=1.5) == []

        # Through nginx: the event arrives while the stream is open, not when a buffer fills.
        streams["proxied"] = SSEClient(c.url, ann)
        assert streams["proxied"].response.headers["Content-Type"].startswith("text/event-stream")
        time.sleep(0.3)
        via = ListenBrainz(api_base_url=c.url)
        via.set_auth_token(ann_lb)
        via.submit_single_listen(Listen(track_name="Proxied", artist_name="Artist", listened_at=int(time.time()) - 10))
        got = live(streams["proxied"], timeout=10)
        assert [p["track_metadata"]["track_name"] for _, p, _, _ in got] == ["Proxied"]
        assert got[0][2] < 3, f"the event took {got[0][2]:.1f} s through nginx"

        # And over WebSocket through nginx (the site's upgrade headers).
        ws = websocket.create_connection(c.url.replace("http", "ws") + "/api/v1/events/ws",
                                         header=[f"Authorization: Bearer {ann}"], timeout=10)
        try:
            via.submit_single_listen(Listen(track_name="Socket", artist_name="Artist", listened_at=int(time.time()) - 5))
            event = json.loads(ws.recv())
            while event["type"] != "listen":
                event = json.loads(ws.recv())
            assert event["payload"]["track_metadata"]["track_name"] == "Socket"
        finally:
            ws.close()

        # A client that loses its stream comes back through the proxy, on whichever node, with
        # Last-Event-ID: it gets what it missed, written through both nodes, once each.
        seen = streams["proxied"].take_type(1, "listen", timeout=5)
        assert [e[3]["payload"]["track_metadata"]["track_name"] for e in seen] == ["Socket"], (got, seen)   # once each
        streams.pop("proxied").close()
        for i in range(3):
            via.submit_single_listen(Listen(track_name=f"Missed {i}", artist_name="Artist", listened_at=int(time.time()) - 3 + i))
        for attempt in range(2):   # round-robin: the two reconnects land on different nodes
            streams["resumed"] = SSEClient(c.url, ann, last_event_id=seen[0][1])
            got = streams["resumed"].take_type(3, "listen", timeout=10)
            assert [e[3]["payload"]["track_metadata"]["track_name"] for e in got] == ["Missed 0", "Missed 1", "Missed 2"], attempt
            assert streams["resumed"].take_type(1, "listen", timeout=1) == []
            streams.pop("resumed").close()
    finally:
        for s in streams.values():
            s.close()


# --- the web app -----------------------------------------------------------------------------------

CONTENT_TYPES = {"js": "javascript", "css": "text/css", "svg": "image/svg+xml", "png": "image/png",
                 "webmanifest": "manifest+json", "json": "json", "html": "text/html"}


def test_the_web_app_loads_and_its_session_works_on_every_node(cluster):
    c = cluster
    page = requests.get(c.url + "/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<script type="module" src="/app/main.js">' in page.text
    # Everything the page links, and every module main.js imports (what a browser fetches).
    todo = [urljoin(c.url + "/", p) for p in re.findall(r'(?:href|src)="(/app/[^"#?]+)', page.text)]
    seen = {}
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        r = requests.get(url)
        seen[url] = r
        assert r.status_code == 200, url
        ext = url.rsplit(".", 1)[-1]
        assert CONTENT_TYPES.get(ext, "") in r.headers.get("Content-Type", ""), (url, r.headers.get("Content-Type"))
        if ext == "js":
            for spec in re.findall(r'(?:\bfrom\s*|\bimport\s*\(?\s*)["\'](\.{1,2}/[^"\']+|/app/[^"\']+)["\']', r.text):
                todo.append(urljoin(url, spec))
    assert any(u.endswith("/app/main.js") for u in seen) and any(u.endswith("/app/style.css") for u in seen)
    assert len([u for u in seen if u.endswith(".js")]) > 3, sorted(seen)
    # The same ETag from both nodes: a browser's revalidation is a 304 wherever it lands.
    for path in ("/app/main.js", "/app/style.css"):
        etag = seen[c.url + path].headers["ETag"]
        rids = []
        for _ in range(2):
            r = requests.get(c.url + path, headers={"If-None-Match": etag})
            assert r.status_code == 304, (path, r.status_code)
            rids.append(r.headers["X-Request-ID"])
        assert sorted(c.served_by(rids)) == [0, 1]

    # Sign in through the proxy; the cookie one node made works on both.
    s = requests.Session()
    r = s.post(c.url + "/api/v1/auth/login", json={"username": "root", "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    csrf = r.json()["csrfToken"]
    rids = []
    for _ in range(6):
        r = s.get(c.url + "/api/v1/me")
        assert r.status_code == 200 and r.json()["username"] == "root", r.text
        rids.append(r.headers["X-Request-ID"])
    assert sorted(c.served_by(rids)) == [0, 0, 0, 1, 1, 1]
    # Writes with the CSRF token, on both nodes; each next read has the last one.
    for zone in ("Europe/Paris", "America/New_York"):
        current = s.get(c.url + "/api/v1/me/listen-settings").json()
        r = s.put(c.url + "/api/v1/me/listen-settings", json=current | {"timeZone": zone}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        assert [s.get(c.url + "/api/v1/me/listen-settings").json()["timeZone"] for _ in range(2)] == [zone, zone]
    # An upload as the web app sends it (multipart, the CSRF token), larger than the site's 12 MB
    # default: the uploads location takes it to a node, a worker imports it, every node lists it.
    big = os.path.join(os.path.dirname(c.deployment.data_dir), "noise.flac")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                    "anoisesrc=d=70:c=white:r=96000", "-sample_fmt", "s16", "-c:a", "flac", "-metadata", "title=Big Noise",
                    "-metadata", "artist=Static", big], check=True)
    assert os.path.getsize(big) > 12 * 1024 * 1024
    with open(big, "rb") as f:
        r = s.post(c.url + "/api/v1/uploads", files=[("files", ("noise.flac", f, "audio/flac"))], headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    assert [x["status"] for x in r.json()["files"]] == ["pending"]
    assert wait_for(lambda: [u["status"] for u in s.get(c.url + "/api/v1/uploads").json()["items"]] == ["imported"], timeout=60)
    for _ in range(2):
        assert "Big Noise" in [t["title"] for t in s.get(c.url + "/api/v1/tracks?limit=500").json()["items"]]

    # Signing out through one node ends the session on both.
    cookie = s.cookies.get("cadenza_session")
    r = s.post(c.url + "/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    for _ in range(4):
        assert requests.get(c.url + "/api/v1/me", cookies={"cadenza_session": cookie}).status_code == 401


# --- rate limits -----------------------------------------------------------------------------------

def test_sign_in_limits_count_each_client_not_the_proxy(cluster):
    c = cluster
    c.add_user("rita")
    window = 300   # CADENZA_RATE_WINDOW_SECONDS: fixed windows; keep the attempts inside one
    if time.time() % window > window - 10:
        time.sleep(window - time.time() % window + 0.5)
    guesser, owner = "192.0.2.10", "192.0.2.11"

    def attempt(client, password):
        return requests.post(c.url + "/api/v1/auth/login", json={"username": "rita", "password": password},
                             headers={"X-Forwarded-For": client})

    answers = [attempt(guesser, f"wrong-{i}") for i in range(LOGIN_LIMIT + 2)]
    assert [r.status_code for r in answers] == [401] * LOGIN_LIMIT + [429, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    # The failures alternated between the nodes: the count is the database's, not each node's.
    assert sorted(set(c.served_by([r.headers["X-Request-ID"] for r in answers]))) == [0, 1]
    # Even the right password waits now, from the guesser's address...
    assert attempt(guesser, "password-rita").status_code == 429
    # ... while the owner, elsewhere, is not limited: a mistake, then the right password, on both nodes.
    assert attempt(owner, "wrong").status_code == 401
    assert [attempt(owner, "password-rita").status_code for _ in range(2)] == [200, 200]
    # And a client straight on a node, with no proxy header, is its own bucket too.
    assert requests.post(c.nodes[0].url + "/api/v1/auth/login", json={"username": "rita", "password": "password-rita"}).status_code == 200


# --- the jukebox's streams -------------------------------------------------------------------------

def test_a_room_stream_is_found_on_the_node_that_plays_it(cluster):
    """Only the node holding the jukebox lease plays the rooms' streams; the other answers 503 and
    nginx, in the rooms' upstream, asks the next node. Whichever node a player lands on, it hears
    the room."""
    c = cluster
    r = requests.post(c.url + "/api/v1/rooms", headers=auth(c.admin),
                      json={"slug": "loud", "name": "Loud", "playback": "stream", "autoplay": False})
    assert r.status_code == 201, r.text
    stream_url = r.json()["streamUrl"]
    assert stream_url.startswith(c.url + "/api/v1/rooms/loud/stream.mp3?code="), stream_url   # the proxy's address
    for _ in range(2):   # round-robin: one of the two starts at the node that does not play it
        with requests.get(stream_url, stream=True, timeout=(5, 30)) as r:
            assert r.status_code == 200 and r.headers["Content-Type"] == "audio/mpeg"
            data = next(r.iter_content(4096))
            assert re.search(rb"\xff[\xe0-\xff]", data), data[:16]   # MPEG audio frames (joined mid-stream)
    lines = lambda: [l for l in c.proxy.access_log() if "/api/v1/rooms/loud/stream.mp3" in l]
    assert wait_for(lambda: len(lines()) == 2, timeout=10), lines()
    # nginx's log: one request answered 503 by the node that does not play the rooms, then 200.
    lines = lines()
    assert any("status=503, 200" in l for l in lines), lines


def icy_title(url, seconds=4):
    """What a player hears at `url`: the MP3 bytes and the ICY titles among them."""
    with requests.get(url, headers={"Icy-MetaData": "1"}, stream=True, timeout=(5, 10)) as r:
        assert r.status_code == 200 and r.headers["Content-Type"] == "audio/mpeg", (r.status_code, r.text[:200])
        metaint, audio, titles, pending = int(r.headers["icy-metaint"]), bytearray(), [], bytearray()
        deadline = time.time() + seconds
        for chunk in r.iter_content(4096):
            pending += chunk
            while len(pending) > metaint and len(pending) > metaint + pending[metaint] * 16:
                audio += pending[:metaint]
                block = bytes(pending[metaint + 1:metaint + 1 + pending[metaint] * 16]).rstrip(b"\0").decode()
                del pending[:metaint + 1 + pending[metaint] * 16]
                if block.startswith("StreamTitle='"):
                    titles.append(block[len("StreamTitle='"):block.index("';")])
            if time.time() > deadline:
                break
        return bytes(audio), titles


def test_a_station_airs_from_two_playout_processes_behind_the_proxy_through_a_kill(cluster):
    """The radio part of the cluster: two `cadenza playout --station main` processes (one airs, one
    stands by) in the proxy's playout upstream, as deploy/nginx/cadenza.conf has them. Listeners
    reach the airing one through nginx, the api nodes say what it airs, and after kill -9 of it the
    same address plays again from the other."""
    c = cluster
    r = requests.post(c.url + "/api/v1/stations", headers=auth(c.admin), json={"slug": "main", "name": "Main Street Radio"})
    assert r.status_code == 201, r.text
    titles = {f"{t['artist']} - {t['title']}" for t in c.tracks()}
    playouts = [c.deployment.playout("main", node=f"radio{i}", port=port, CADENZA_DATA_DIR=os.path.join(os.path.dirname(c.music), f"radio{i}"),
                                     **c.shared)
                for i, port in enumerate(c.playout_ports)]
    try:
        listen = c.url + "/listen/main/radio.mp3"

        def up(url):
            try:
                with requests.get(url, stream=True, timeout=5) as r:
                    return r.status_code == 200
            except requests.RequestException:
                return False
        assert wait_for(lambda: up(listen), timeout=20)
        audio, heard = icy_title(listen)
        assert len(audio) > 2 * 16000 and heard and set(heard) <= titles, heard
        # Both api nodes answer from what the airing playout announced.
        np = lambda node: requests.get(node.url + "/api/v1/stations/main/now-playing").json()
        for node in c.nodes:
            assert wait_for(lambda: (np(node).get("nowPlaying") or {}).get("song", {}).get("text") in titles, timeout=10), np(node)
        airing = [p for p in playouts if up(p.url + "/listen/main/radio.mp3")]
        assert len(airing) == 1, "exactly one playout airs the station"
        airing[0].kill9()
        killed = time.time()
        assert wait_for(lambda: up(listen), timeout=15, interval=0.2)
        print(f"the proxy's mount played again {time.time() - killed:.1f} s after kill -9 of the airing playout")
        audio, heard = icy_title(listen)
        assert len(audio) > 2 * 16000 and heard and set(heard) <= titles, heard
        # nginx's log: requests the standby answered 503 (or the dead one refused) went on to the airing one.
        lines = [l for l in c.proxy.access_log() if "/listen/main/radio.mp3" in l and "status=" in l]
        assert any(re.search(r"status=(503|502), 200", l) for l in lines), lines
    finally:
        for playout in playouts:
            playout.stop()


def test_the_reference_site_serves_https_with_http2_and_sends_http_to_it(deployment, tmp_path):
    """The site as written, TLS included: nginx accepts its certificate lines and ssl_ settings
    (only the paths are the test's), offers HTTP/2 by ALPN, proxies over TLS, and its port-80
    server sends plain HTTP to https."""
    import socket
    import ssl
    import trustme
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    chain, key, ca_file = (str(tmp_path / name) for name in ("fullchain.pem", "privkey.pem", "ca.pem"))
    cert.cert_chain_pems[0].write_to_path(chain)
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(chain, append=True)
    cert.private_key_pem.write_to_path(key)
    ca.cert_pem.write_to_path(ca_file)
    node = deployment.serve(roles="api")
    https_port, http_port = free_port(), free_port()
    proxy = Nginx(str(tmp_path / "nginx"), [node.port], https_port, tls=(chain, key, http_port))
    try:
        deadline = time.time() + 20
        while True:
            try:
                r = requests.get(proxy.url + "/readyz", verify=ca_file, timeout=2)
                break
            except requests.ConnectionError:
                assert time.time() < deadline and proxy.proc.poll() is None, open(proxy.error_log).read()
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["status"] == "ok", r.text
        # Subsonic through it, over TLS.
        r = requests.get(proxy.url + "/rest/ping.view", params={"f": "json", "u": "x", "p": "y", "v": "1.16.1", "c": "t"}, verify=ca_file)
        assert r.json()["subsonic-response"]["status"] == "failed"   # (wrong credentials, but Cadenza answered)
        # HTTP/2 is what a browser is offered.
        context = ssl.create_default_context(cafile=ca_file)
        context.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection(("127.0.0.1", https_port)) as raw, context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.selected_alpn_protocol() == "h2"
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
        # Plain HTTP is sent to https, path and query kept.
        r = requests.get(f"http://127.0.0.1:{http_port}/rest/ping.view?f=json", allow_redirects=False)
        assert r.status_code == 301 and r.headers["Location"] == "https://127.0.0.1/rest/ping.view?f=json", r.headers
    finally:
        proxy.stop()


def test_the_reference_systemd_units_verify(tmp_path):
    """`systemd-analyze verify` reads the reference units as systemd would: every directive known
    and every value parsed (it exits 0 even when it ignores one, so its words are what counts). A
    copy with two broken values is the control that the check can fail."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (apt-get install systemd)"
    binary = os.path.abspath(os.environ.get("CADENZA_BIN", ".build/debug/cadenza"))
    units = os.path.join(os.path.dirname(__file__), "../../deploy/systemd")

    def verify(directory, names, edit=lambda text: text):
        for name in names:
            # The binary where the unit expects it is this build (verify checks it is executable).
            text = open(os.path.join(units, name.replace("@main", "@"))).read().replace("/opt/cadenza/cadenza", binary)
            (directory / name).write_text(edit(text))
        return subprocess.run([analyze, "verify", *names], cwd=directory, capture_output=True, text=True)

    names = ["cadenza-api.service", "cadenza-worker.service", "cadenza-playout@main.service"]
    good = tmp_path / "good"
    good.mkdir()
    checked = verify(good, names)
    assert checked.returncode == 0 and checked.stderr.strip() == "" and checked.stdout.strip() == "", checked
    broken = tmp_path / "broken"
    broken.mkdir()
    control = verify(broken, names[:1], lambda text: re.sub(r"(?m)^Restart=.*$", "Restart=sometimes", text).replace("LimitNOFILE=", "LimitNOFILE=x"))
    assert "Restart" in control.stderr or "restart" in control.stderr, control
    assert "resource value" in control.stderr, control
