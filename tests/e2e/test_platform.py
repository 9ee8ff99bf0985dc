"""The foundation as a user and an operator meet it: real processes, real HTTP, real signals."""
import json
import os
import re
import threading
import time

import pytest
import requests
import websocket

from conftest import SSEClient, admin_token, auth, postgres_only, token_for, wait_for


def test_first_run_prints_a_setup_link_that_creates_the_admin(deployment):
    server = deployment.serve()
    log = open(server.log.name).read()
    assert "/setup#token=" in log
    token = log.split("/setup#token=")[1].split()[0]
    page = requests.get(server.url + "/setup")
    assert page.status_code == 200 and "Create the first administrator" in page.text
    assert "script-src" not in page.headers["Content-Security-Policy"] or "unsafe-inline" not in page.headers["Content-Security-Policy"]
    r = requests.post(server.url + "/api/v1/setup", json={"token": token, "username": "root", "password": "password-1"})
    assert r.status_code == 201, r.text
    assert r.json()["user"]["role"] == "admin"
    again = requests.post(server.url + "/api/v1/setup", json={"token": token, "username": "evil", "password": "password-1"})
    assert again.status_code == 409


@pytest.mark.empty_database
def test_a_first_start_is_short_and_json_logs_are_one_object_per_line(deployment):
    # Text at info: migrations are one line, not two per migration, before the setup link.
    server = deployment.serve(CADENZA_LOG_LEVEL="info")
    server.stop()
    text = open(server.log.name).read()
    before_link = [l for l in text.split("/setup#token=")[0].splitlines() if l.strip()]
    assert len(before_link) <= 3, before_link
    # The summary names the newest migration (features migrate in their own order).
    root = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "CadenzaServer")
    newest = max((f[:-len(".swift")] for d in os.listdir(root) if os.path.isdir(os.path.join(root, d, "Migrations"))
                  for f in os.listdir(os.path.join(root, d, "Migrations")) if re.match(r"M\d+_", f)), key=lambda n: int(n[1:].split("_")[0]))
    assert any("Database migrated:" in l and l.rstrip().endswith("now at CadenzaServer." + newest) for l in before_link), (newest, before_link)
    assert not any("[Migrator]" in l for l in text.splitlines())

    # JSON, with the access log: every log line is an object with a time, level and message.
    server = deployment.serve(CADENZA_LOG_LEVEL="info", CADENZA_LOG_FORMAT="json", CADENZA_ACCESS_LOG="1")
    requests.get(server.url + "/rest/ping", params={"u": "ann", "p": "hunter2-secret", "v": "1.16.1", "c": "t"},
                 headers={"X-Request-ID": "trace-7"})
    server.stop()
    lines = [l for l in open(server.log.name).read().splitlines() if l.startswith("{")]
    records = [json.loads(l) for l in lines]
    assert records and all({"ts", "level", "logger", "msg"} <= set(r) for r in records)
    ping = [r for r in records if r["msg"] == "request" and r["path"] == "/rest/ping"]
    assert len(ping) == 1 and ping[0]["status"] == 200 and ping[0]["method"] == "GET" and ping[0]["request-id"] == "trace-7"
    assert isinstance(ping[0]["ms"], (int, float)) and ping[0]["client"] == "127.0.0.1"
    assert "hunter2-secret" not in open(server.log.name).read()   # the query (Subsonic credentials) is never logged


@postgres_only
@pytest.mark.empty_database
def test_nodes_starting_at_once_on_an_empty_database_migrate_it_once(deployment):
    import subprocess
    from conftest import BIN
    procs = [subprocess.Popen([BIN, "migrate"], env=deployment.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(4)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outputs
    listing = subprocess.run(["psql", deployment.database_url, "-At", "-c", "SELECT name, COUNT(*) FROM _fluent_migrations GROUP BY name"],
                             capture_output=True, text=True, check=True).stdout.split()
    assert listing and all(row.endswith("|1") for row in listing)
    server = deployment.serve()   # and the result serves
    assert requests.get(server.url + "/readyz").status_code == 200
    # A node waiting for another's migration says so (here the lock is held by a psql session).
    holder = subprocess.Popen(["psql", deployment.database_url, "-q", "-At"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        holder.stdin.write(f"SELECT pg_advisory_lock({0x6d696772617465});\n\\echo locked\n")
        holder.stdin.flush()
        while holder.stdout.readline().strip() != "locked":   # printed once the lock is held
            pass
        waiting = subprocess.Popen([BIN, "migrate"], env=deployment.env(CADENZA_LOG_LEVEL="info"), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        lines = []
        threading.Thread(target=lambda: lines.extend(waiting.stdout), daemon=True).start()
        assert wait_for(lambda: any("Another node is migrating the database" in l for l in lines), timeout=30), lines
        assert waiting.poll() is None   # still waiting
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    assert waiting.wait(timeout=60) == 0, lines


@postgres_only
def test_nodes_with_their_own_data_directories_share_one_media_directory(deployment, tmp_path):
    """Machines of a cluster keep their own data directory (caches, keys, playout state) and mount
    one media directory: an upload through one node is imported by a worker on another machine
    and streamed, cover included, by a third."""
    from media import make_audio, make_jpeg
    media = tmp_path / "shared-media"
    shared = {"CADENZA_MEDIA_DIR": str(media), "CADENZA_SECRET_KEY": "q1Bz6G2m3mAfqzlqQ0m3Y3V5V2xYb2JzZWNyZXQxMjM="}
    a = deployment.serve(roles="api", CADENZA_DATA_DIR=str(tmp_path / "node-a"), **shared)
    b = deployment.serve(roles="api", CADENZA_DATA_DIR=str(tmp_path / "node-b"), **shared)
    deployment.worker(CADENZA_DATA_DIR=str(tmp_path / "node-w"), **shared)
    token = admin_token(deployment, a)
    song = make_audio(str(tmp_path / "up" / "song.mp3"), seconds=1, cover=make_jpeg(str(tmp_path / "cover.jpg")),
                      title="Shared Song", artist="Nodes", album="Mounted")
    data = open(song, "rb").read()
    r = requests.post(a.url + "/api/v1/uploads", headers=auth(token), files=[("f", ("song.mp3", data, "audio/mpeg"))])
    assert r.status_code == 201, r.text
    assert wait_for(lambda: requests.get(b.url + "/api/v1/uploads", headers=auth(token)).json()["items"][0]["status"] == "imported")
    track = requests.get(b.url + "/api/v1/tracks", headers=auth(token)).json()["items"][0]
    assert any(f.endswith(".mp3") for _, _, fs in os.walk(media / "uploads") for f in fs)
    audio = requests.get(f"{b.url}/api/v1/files/{track['files'][0]['id']}/audio", headers=auth(token))
    assert audio.status_code == 200 and audio.content == data
    assert track["artworkId"]
    cover = requests.get(f"{b.url}/api/v1/artwork/{track['artworkId']}", headers=auth(token))
    assert cover.status_code == 200 and cover.headers["Content-Type"].startswith("image/")
    # Nothing of it went into a node's own data directory.
    for node in ("node-a", "node-b", "node-w"):
        assert not (tmp_path / node / "uploads").exists() and not (tmp_path / node / "artwork").exists()


def test_a_job_queued_by_a_request_is_logged_under_that_requests_id(deployment):
    """Trace ids across request → job: the worker's lines for a job name the X-Request-ID of the
    request that queued it, and the job says which request that was."""
    server = deployment.serve(CADENZA_LOG_LEVEL="debug", CADENZA_LOG_FORMAT="json")
    token = admin_token(deployment, server)
    r = requests.post(server.url + "/api/v1/jobs/ping", json={"count": 2}, headers=auth(token) | {"X-Request-ID": "trace-ping-7"})
    assert r.status_code == 202
    ids = set(r.json()["jobIds"])
    def succeeded():
        done = [j for j in requests.get(server.url + "/api/v1/jobs?state=succeeded", headers=auth(token)).json() if j["id"] in ids]
        return done if len(done) == 2 else None
    jobs = wait_for(succeeded)
    assert jobs and len(jobs) == 2 and all(j["traceId"] == "trace-ping-7" for j in jobs), jobs
    server.stop()
    records = [json.loads(l) for l in open(server.log.name).read().splitlines() if l.startswith("{")]
    done = [r for r in records if r["msg"] == "job succeeded" and str(r.get("job-id")) in ids]
    assert len(done) == 2 and all(r["request-id"] == "trace-ping-7" for r in done), done
    # A job nobody asked for (the scheduler's) carries no request id.
    assert all("request-id" not in r for r in records if r["msg"] == "job succeeded" and str(r.get("job-id")) not in ids)


def test_responses_carry_a_request_id_and_errors_are_json(deployment):
    server = deployment.serve()
    r = requests.get(server.url + "/healthz", headers={"X-Request-ID": "trace-42"})
    assert r.headers["X-Request-ID"] == "trace-42"
    assert requests.get(server.url + "/healthz").headers["X-Request-ID"]
    r = requests.post(server.url + "/api/v1/auth/login", data=b"\x00\xff not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert set(r.json()["error"]) == {"code", "message"}


def test_an_acknowledged_write_survives_kill_9(deployment):
    server = deployment.serve()
    token = admin_token(deployment, server)
    r = requests.post(server.url + "/api/v1/users", json={"username": "dora", "password": "password-9"}, headers=auth(token))
    assert r.status_code == 201
    server.kill9()
    server = deployment.serve()
    names = [u["username"] for u in requests.get(server.url + "/api/v1/users", headers=auth(token)).json()]
    assert "dora" in names
    token_for(server, "dora", "password-9")


def test_sse_resumes_with_last_event_id_without_loss_or_repeats(deployment):
    server = deployment.serve()
    token = admin_token(deployment, server)
    client = SSEClient(server.url, token)
    r = requests.post(server.url + "/api/v1/jobs/ping", json={"count": 5}, headers=auth(token))
    assert r.status_code == 202
    first = client.take_type(5, "system.pong")
    assert len(first) == 5
    client.close()

    # Written while the client is away.
    r = requests.post(server.url + "/api/v1/jobs/ping", json={"count": 7}, headers=auth(token))
    missed_jobs = set(r.json()["jobIds"])
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/jobs?state=succeeded&limit=500",
                                             headers=auth(token)).json()) >= 12)

    resumed = SSEClient(server.url, token, last_event_id=first[-1][1])
    got = resumed.take_type(7, "system.pong")
    assert {e[3]["payload"]["jobId"] for e in got} == missed_jobs
    ids = [e[1] for e in got]
    assert ids == sorted(ids) and min(ids) > first[-1][1]
    assert resumed.take_type(1, "system.pong", timeout=1) == []
    resumed.close()


def test_live_events_respect_visibility(deployment):
    server = deployment.serve()
    admin = admin_token(deployment, server)
    requests.post(server.url + "/api/v1/users", json={"username": "guest", "password": "password-2"}, headers=auth(admin))
    guest = token_for(server, "guest", "password-2")
    guest_stream = SSEClient(server.url, guest, last_event_id=0)
    admin_stream = SSEClient(server.url, admin)
    requests.post(server.url + "/api/v1/jobs/ping", json={"count": 2}, headers=auth(admin))
    assert len(admin_stream.take(2)) == 2
    # Pongs are for administrators only.
    assert guest_stream.take(1, timeout=1.5) == []
    guest_stream.close()
    admin_stream.close()
    assert requests.get(server.url + "/api/v1/events").status_code == 401


def test_websocket_delivers_events(deployment):
    server = deployment.serve()
    token = admin_token(deployment, server)
    ws = websocket.create_connection(server.url.replace("http", "ws") + "/api/v1/events/ws",
                                     header=[f"Authorization: Bearer {token}"], timeout=20)
    requests.post(server.url + "/api/v1/jobs/ping", json={"count": 1, "note": "over ws"}, headers=auth(token))
    event = json.loads(ws.recv())
    while event["type"] != "system.pong":   # an admin also hears of accounts made a moment ago
        event = json.loads(ws.recv())
    assert event["payload"]["note"] == "over ws"
    ws.close()


def test_a_worker_killed_mid_job_loses_nothing(deployment):
    lease = {"CADENZA_JOB_LEASE_SECONDS": 2, "CADENZA_JOB_POLL_SECONDS": 0.2}
    api = deployment.serve(roles="api", **lease)
    token = admin_token(deployment, api)
    doomed = deployment.worker(**lease)
    r = requests.post(api.url + "/api/v1/jobs/ping", json={"count": 1, "delayMillis": 4000}, headers=auth(token))
    job_id = r.json()["jobIds"][0]
    job = lambda: requests.get(f"{api.url}/api/v1/jobs/{job_id}", headers=auth(token)).json()
    assert wait_for(lambda: job()["state"] == "running", timeout=20)
    doomed.kill9()
    rescuer = deployment.worker(**lease)
    assert wait_for(lambda: job()["state"] == "succeeded", timeout=40), job()
    assert job()["attempts"] == 2
    stream = SSEClient(api.url, token, last_event_id=0)
    pongs = [e for e in stream.take_type(5, "system.pong", timeout=2) if e[3]["payload"]["jobId"] == job_id]
    assert len(pongs) == 1
    stream.close()
    rescuer.stop()


def test_a_worker_answers_metrics_and_health_on_its_own_port_and_nothing_else(deployment):
    from conftest import free_port
    api = deployment.serve(roles="api")
    token = admin_token(deployment, api)
    port = free_port()
    worker = deployment.worker(CADENZA_WORKER_PORT=port)
    url = f"http://127.0.0.1:{port}"
    def healthy():
        try:
            return requests.get(url + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False
    assert wait_for(healthy, timeout=20)
    assert requests.get(url + "/readyz").status_code == 200
    # The jobs it ran are in its own figures (the api node runs none).
    r = requests.post(api.url + "/api/v1/jobs/ping", json={"count": 3}, headers=auth(token))
    ids = r.json()["jobIds"]
    assert wait_for(lambda: all(requests.get(f"{api.url}/api/v1/jobs/{i}", headers=auth(token)).json()["state"] == "succeeded"
                                for i in ids), timeout=20)
    metrics = requests.get(url + "/metrics").text
    assert re.search(r'cadenza_job_duration_seconds_count\{[^}]*kind="system.ping"[^}]*\} 3', metrics), metrics[:2000]
    assert "cadenza_jobs{" in metrics
    # Nothing else: not the API, not the web app.
    for path in ("/api/v1/me", "/", "/rest/ping.view"):
        r = requests.get(url + path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (path, r.text)
    assert requests.post(url + "/metrics").status_code == 404
    worker.stop()


@postgres_only
def test_two_worker_processes_run_1000_jobs_exactly_once(deployment):
    api = deployment.serve(roles="api")
    token = admin_token(deployment, api)
    workers = [deployment.worker(CADENZA_WORKER_CONCURRENCY=4) for _ in range(2)]
    stream = SSEClient(api.url, token, last_event_id=0)
    r = requests.post(api.url + "/api/v1/jobs/ping", json={"count": 1000}, headers=auth(token))
    job_ids = r.json()["jobIds"]
    assert len(job_ids) == 1000
    pongs = stream.take_type(1000, "system.pong", timeout=120)
    ran = [e[3]["payload"]["jobId"] for e in pongs]
    assert len(ran) == 1000
    assert sorted(ran) == sorted(job_ids)          # each job ran, and none twice
    assert len({e[3]["payload"]["worker"] for e in pongs}) == 2   # both processes took work
    assert stream.take_type(1, "system.pong", timeout=1) == []
    failed = requests.get(api.url + "/api/v1/jobs?state=failed", headers=auth(token)).json()
    assert failed == []
    stream.close()
    for w in workers:
        w.stop()


@postgres_only
def test_an_event_written_through_one_api_node_reaches_a_client_of_another(deployment):
    writer = deployment.serve(roles="api,worker")
    token = admin_token(deployment, writer)
    reader = deployment.serve(roles="api")
    stream = SSEClient(reader.url, token)
    time.sleep(0.3)
    latencies = []
    for i in range(5):
        sent = time.time()
        requests.post(writer.url + "/api/v1/jobs/ping", json={"count": 1, "note": f"n{i}"}, headers=auth(token))
        got = stream.take(1, timeout=5)
        assert got and got[0][3]["payload"]["note"] == f"n{i}"
        latencies.append(got[0][0] - sent)
    print("cross-node delivery seconds (request to receipt, incl. job run):", [round(x, 3) for x in latencies])
    assert max(latencies) < 1.0
    stream.close()


def test_cli_manages_users_and_jobs(deployment):
    r = deployment.run("user", "create", "ann", stdin="password-ann\n")
    assert r.returncode == 0, r.stderr
    r = deployment.run("user", "create", "ann", stdin="password-ann\n")
    assert r.returncode != 0 and "taken" in (r.stderr + r.stdout)
    assert "ann" in deployment.run("user", "list").stdout
    assert deployment.run("user", "passwd", "ann", stdin="password-new\n").returncode == 0
    assert deployment.run("jobs", "retry", "12345").returncode != 0
    assert deployment.run("jobs", "list", "--state", "bogus").returncode != 0
    assert deployment.run("user", "delete", "ann").returncode == 0
    bad = deployment.run("serve", "--port", "99999", CADENZA_ROLES="api,dj")
    assert bad.returncode != 0
    assert "CADENZA_PORT" in bad.stderr and "dj" in bad.stderr


def test_invite_links_create_one_account_each_with_the_invited_role(deployment):
    server = deployment.serve()
    token = admin_token(deployment, server)
    r = requests.post(server.url + "/api/v1/invites", json={"role": "user", "hours": 2}, headers=auth(token))
    assert r.status_code == 201, r.text
    invite = r.json()
    assert invite["url"].endswith("/#/join/" + invite["token"]) and invite["role"] == "user"
    assert [i["id"] for i in requests.get(server.url + "/api/v1/invites", headers=auth(token)).json()] == [invite["id"]]
    assert "token" not in requests.get(server.url + "/api/v1/invites", headers=auth(token)).json()[0]

    check = requests.post(server.url + "/api/v1/invites/check", json={"token": invite["token"]})
    assert check.status_code == 200 and check.json()["role"] == "user"
    bad = requests.post(server.url + "/api/v1/invites/check", json={"token": "nope"})
    assert bad.status_code == 404 and bad.json()["error"]["code"] == "invalid_invite"

    # Invalid input is refused before the invite is spent.
    short = requests.post(server.url + "/api/v1/invites/accept", json={"token": invite["token"], "username": "ana", "password": "short"})
    # A cross-site form cannot send JSON; a text/plain body that happens to be JSON is refused.
    plain = requests.post(server.url + "/api/v1/invites/accept", headers={"Content-Type": "text/plain"},
                          data=json.dumps({"token": invite["token"], "username": "ana", "password": "password-ana"}))
    assert plain.status_code == 415 and plain.json()["error"]["code"] == "unsupported_media_type"
    assert short.status_code == 422
    taken = requests.post(server.url + "/api/v1/invites/accept", json={"token": invite["token"], "username": "root", "password": "password-ana"})
    assert taken.status_code == 409

    s = requests.Session()
    r = s.post(server.url + "/api/v1/invites/accept", json={"token": invite["token"], "username": "ana", "password": "password-ana"})
    assert r.status_code == 201, r.text
    assert r.json()["user"]["username"] == "ana" and r.json()["user"]["role"] == "user"
    assert s.get(server.url + "/api/v1/me").json()["username"] == "ana"   # signed in by the cookie
    again = requests.post(server.url + "/api/v1/invites/accept", json={"token": invite["token"], "username": "bob", "password": "password-bob"})
    assert again.status_code == 404 and again.json()["error"]["code"] == "invalid_invite"
    assert requests.get(server.url + "/api/v1/invites", headers=auth(token)).json() == []

    # Only administrators hand out invites; an admin invite makes an admin; revoked invites are dead.
    ana = token_for(server, "ana", "password-ana")
    assert requests.post(server.url + "/api/v1/invites", json={}, headers=auth(ana)).status_code == 403
    assert requests.post(server.url + "/api/v1/invites", json={"hours": 0}, headers=auth(token)).status_code == 422
    admin_invite = requests.post(server.url + "/api/v1/invites", json={"role": "admin"}, headers=auth(token)).json()
    revoked = requests.post(server.url + "/api/v1/invites", json={}, headers=auth(token)).json()
    assert requests.delete(server.url + f"/api/v1/invites/{revoked['id']}", headers=auth(token)).status_code == 204
    assert requests.post(server.url + "/api/v1/invites/accept",
                         json={"token": revoked["token"], "username": "eve", "password": "password-eve"}).status_code == 404
    r = requests.post(server.url + "/api/v1/invites/accept", json={"token": admin_invite["token"], "username": "cy", "password": "password-cy"})
    assert r.status_code == 201 and r.json()["user"]["role"] == "admin"
    users = {u["username"]: u["role"] for u in requests.get(server.url + "/api/v1/users", headers=auth(token)).json()}
    assert users == {"root": "admin", "ana": "user", "cy": "admin"}


def test_a_new_event_stream_is_told_its_position_so_a_reconnect_misses_nothing(deployment):
    server = deployment.serve()
    token = admin_token(deployment, server)
    watcher = SSEClient(server.url, token)
    assert requests.post(server.url + "/api/v1/jobs/ping", json={"count": 2}, headers=auth(token)).status_code == 202
    delivered = watcher.take_type(2, "system.pong")   # this node has fanned these out (an admin's stream carries other events too)
    watcher.close()
    # A browser's EventSource takes the opening block's id as its Last-Event-ID (the block has no data: no event).
    with requests.get(server.url + "/api/v1/events", headers=auth(token), stream=True, timeout=(5, 10)) as r:
        opening = []
        for line in r.iter_lines(chunk_size=1, decode_unicode=True):   # byte by byte: the stream stays open
            if line == "":
                break
            opening.append(line)
    position = int(next(l for l in opening if l.startswith("id:")).split(":", 1)[1])
    assert not any(l.startswith("data:") for l in opening)
    assert position >= max(e[1] for e in delivered)   # the newest event this node had fanned out when the stream opened
    # Events written while that client was away reach it when it comes back with the position.
    r = requests.post(server.url + "/api/v1/jobs/ping", json={"count": 3}, headers=auth(token))
    missed = set(r.json()["jobIds"])
    assert wait_for(lambda: missed <= {j["id"] for j in requests.get(server.url + "/api/v1/jobs?state=succeeded", headers=auth(token)).json()})
    resumed = SSEClient(server.url, token, last_event_id=position)
    got = resumed.take_type(3, "system.pong", timeout=10)   # every pong after the position, none before it
    ids = [e[1] for e in got]
    assert ids == sorted(ids) and min(ids) > position
    assert {e[3]["payload"]["jobId"] for e in got} == missed
    assert resumed.take_type(1, "system.pong", timeout=1) == []
    resumed.close()


SPAN_SERVER, SPAN_CONSUMER = 2, 5  # OTLP Span.SpanKind


def test_a_scan_is_one_trace_from_the_request_through_its_job_to_the_event_consumers(deployment, music):
    """OpenTelemetry: a request's span is the parent of the job it queues, whose span is the parent
    of the event consumers' spans for the events it writes, all exported to a real OTLP/HTTP
    receiver; the request id is the trace id, and log lines name the trace."""
    from otlp import Collector
    collector = Collector()
    try:
        server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_OTLP_ENDPOINT=collector.url,
                                  CADENZA_LOG_FORMAT="json", CADENZA_ACCESS_LOG="1", CADENZA_LOG_LEVEL="info")
        token = admin_token(deployment, server)
        assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 3)
        r = requests.post(server.url + "/api/v1/libraries/1/scan", headers=auth(token), json={"full": True})
        assert r.status_code == 202, r.text
        trace = r.headers["X-Request-ID"]
        assert len(trace) == 32 and int(trace, 16) > 0, trace
        job_ids = set(r.json()["jobIds"])

        def finished():
            jobs = requests.get(server.url + "/api/v1/jobs?state=succeeded", headers=auth(token)).json()
            return [j for j in jobs if j["id"] in job_ids] or None
        jobs = wait_for(finished)
        assert jobs and all(j["traceId"] == trace for j in jobs), jobs
        time.sleep(1)  # the consumers read the scan's events
        server.stop()  # a graceful stop exports what is still batched

        spans = [s for s in collector.spans if s["trace"] == trace]
        assert collector.requests and all(p == "/v1/traces" and t == "application/x-protobuf" for p, t in collector.requests)
        request = [s for s in spans if s["kind"] == SPAN_SERVER and s["parent"] == ""]
        assert len(request) == 1, spans
        request = request[0]
        assert request["attributes"]["http.request.method"].string_value == "POST"
        assert request["attributes"]["http.response.status_code"].int_value == 202
        assert request["service"]["service.name"] == "cadenza"
        job = [s for s in spans if s["name"].startswith("job library.scan")]
        assert job and all(s["parent"] == request["id"] and s["kind"] == SPAN_CONSUMER for s in job), spans
        # The scan's events (scan started, finished) reach the consumers in a span of their own,
        # a child of the job's span that wrote them.
        consumers = [s for s in spans if s["name"].startswith("events ")]
        assert consumers and all(s["parent"] in {j["id"] for j in job} for s in consumers), spans

        records = [json.loads(l) for l in open(server.log.name).read().splitlines() if l.startswith("{")]
        access = [r for r in records if r["msg"] == "request" and r.get("path") == "/api/v1/libraries/1/scan"]
        assert len(access) == 1 and access[0]["request-id"] == trace and access[0]["trace_id"] == trace, access
    finally:
        collector.close()


@postgres_only
def test_a_trace_crosses_from_the_api_node_to_the_worker_process_that_runs_its_job(deployment, music):
    """The trace of a request made on an api node goes on in the worker process that runs the job
    it queued (the context travels with the job in the database): one trace, two processes."""
    from otlp import Collector
    collector = Collector()
    try:
        common = dict(CADENZA_MUSIC_DIRS=str(music), CADENZA_OTLP_ENDPOINT=collector.url)
        api = deployment.serve(roles="api", **common)
        worker = deployment.worker(**common)
        token = admin_token(deployment, api)
        assert wait_for(lambda: len(requests.get(api.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 3, timeout=60)

        def scan():
            # While the first scan is still finishing, a request joins it (no job of its own): again.
            r = requests.post(api.url + "/api/v1/libraries/1/scan", headers=auth(token), json={"full": True})
            assert r.status_code == 202, r.text
            return r if r.json()["jobIds"] else None
        r = wait_for(scan, timeout=30)
        assert r, "every scan request joined one already under way"
        trace, job_ids = r.headers["X-Request-ID"], set(r.json()["jobIds"])

        def finished():
            jobs = requests.get(api.url + "/api/v1/jobs?state=succeeded", headers=auth(token)).json()
            return [j for j in jobs if j["id"] in job_ids] or None
        assert wait_for(finished, timeout=60)
        time.sleep(1)
        api.stop()     # graceful stops export what is still batched
        worker.stop()
        spans = [s for s in collector.spans if s["trace"] == trace]
        request = [s for s in spans if s["kind"] == SPAN_SERVER and s["parent"] == ""]
        assert len(request) == 1, spans
        assert request[0]["service"]["service.instance.id"].endswith(f":{api.port}"), request
        job = [s for s in spans if s["name"].startswith("job library.scan")]
        assert job and all(s["parent"] == request[0]["id"] for s in job), spans
        # Exported by the other process.
        assert all(s["service"]["service.instance.id"] != request[0]["service"]["service.instance.id"] for s in job), job
    finally:
        collector.close()
