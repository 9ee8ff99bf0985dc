"""Denial-of-service limits: idle connections are closed, live event streams and transcodes are
capped per user, and what is refused answers at once in the API's error format."""
import socket
import time

import requests

from conftest import SSEClient, admin_token, auth, token_for, wait_for
from media import make_audio


def test_a_half_sent_request_is_closed_after_the_idle_timeout(deployment):
    server = deployment.serve(CADENZA_IDLE_TIMEOUT_SECONDS=2)
    idle = []
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")   # the headers never end
        idle.append(s)
    started = time.time()
    for s in idle:
        s.settimeout(15)
        assert s.recv(1024) == b""   # the server closed it
        s.close()
    assert time.time() - started < 12
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200


def test_event_streams_are_capped_per_user(deployment):
    server = deployment.serve(CADENZA_EVENT_STREAMS_PER_USER=2)
    token = admin_token(deployment, server)
    first, second = SSEClient(server.url, token), SSEClient(server.url, token)
    third = requests.get(server.url + "/api/v1/events", headers=auth(token) | {"Accept": "text/event-stream"}, stream=True, timeout=10)
    assert third.status_code == 429 and third.json()["error"]["code"] == "too_many_streams"
    # Another user has places of their own.
    requests.post(server.url + "/api/v1/users", json={"username": "kim", "password": "password-k"}, headers=auth(token))
    kim = SSEClient(server.url, token_for(server, "kim", "password-k"))
    first.close()

    def reopened():
        r = requests.get(server.url + "/api/v1/events", headers=auth(token) | {"Accept": "text/event-stream"}, stream=True, timeout=10)
        r.close()
        return r.status_code == 200
    assert wait_for(reopened, timeout=40, interval=0.5)   # a closed stream gives its place back
    second.close()
    kim.close()


def test_transcodes_are_capped_per_user_and_the_rest_wait_or_get_503(deployment, tmp_path):
    root = tmp_path / "music"
    make_audio(str(root / "a/long.flac"), seconds=1200, title="Long One", artist="A", album="L")
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(root), CADENZA_TRANSCODES_PER_USER=1, CADENZA_TRANSCODE_CONCURRENCY=4)
    token = admin_token(deployment, server)
    assert wait_for(lambda: requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"])
    file_id = requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"][0]["files"][0]["id"]
    url = f"{server.url}/api/v1/files/{file_id}/audio?format=mp3&maxBitRate=320&timeOffset=1"
    held = requests.get(url, headers=auth(token), stream=True, timeout=30)
    assert held.status_code == 200
    chunks = held.iter_content(1024)   # kept: a dropped generator closes the connection
    next(chunks)   # ffmpeg is running for this user
    started = time.time()
    refused = requests.get(url, headers=auth(token), timeout=30)
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "transcoder_busy"
    assert 9 <= time.time() - started < 20   # it waited in the queue first
    # Another user is not held up by the first one's share.
    requests.post(server.url + "/api/v1/users", json={"username": "lee", "password": "password-l"}, headers=auth(token))
    lee = token_for(server, "lee", "password-l")
    other = requests.get(url, headers=auth(lee), stream=True, timeout=30)
    assert other.status_code == 200   # the instance library "Music" is shared with every user
    other.close()
    # When the first stream ends, its place is free again.
    held.close()
    assert wait_for(lambda: requests.get(url, headers=auth(token), stream=True, timeout=30).status_code == 200, timeout=30)


def test_metrics_answer_local_scrapers_and_the_token_only(deployment):
    server = deployment.serve(CADENZA_METRICS_TOKEN="scrape-secret-1")
    assert requests.get(server.url + "/metrics").status_code == 200   # a Prometheus on this host
    proxied = {"X-Forwarded-For": "203.0.113.9"}                      # what came through the proxy
    refused = requests.get(server.url + "/metrics", headers=proxied)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "metrics_token_required"
    assert requests.get(server.url + "/metrics", headers=proxied | {"Authorization": "Bearer wrong"}).status_code == 401
    ok = requests.get(server.url + "/metrics", headers=proxied | {"Authorization": "Bearer scrape-secret-1"})
    assert ok.status_code == 200 and "cadenza_jobs" in ok.text


def test_trace_logging_never_writes_credentials(deployment):
    server = deployment.serve(CADENZA_LOG_LEVEL="trace")
    token = admin_token(deployment, server)
    requests.get(server.url + "/rest/ping", params={"u": "root", "p": "plain-secret-pw", "f": "json", "v": "1.16.1", "c": "t"})
    requests.get(server.url + "/api/v1/me", headers=auth(token))
    log = open(server.log.name).read()
    assert "plain-secret-pw" not in log and token not in log


def test_the_documented_alerts_name_metrics_the_server_reports(deployment):
    """deploy/prometheus/cadenza-alerts.yml is only worth having if every series it watches exists:
    jobs, deliveries, HTTP requests, a station's dead air (a station with nothing to air) and its relays."""
    import os
    import re
    rules = open(os.path.join(os.path.dirname(__file__), "../../deploy/prometheus/cadenza-alerts.yml")).read()
    named = set(re.findall(r"\b(cadenza_[a-z_]+|http_requests_total)\b", "\n".join(l for l in rules.splitlines() if not l.lstrip().startswith("#"))))
    assert {"cadenza_radio_dead_air_total", "cadenza_jobs_oldest_queued_seconds", "cadenza_deliveries_oldest_waiting_seconds"} <= named
    server = deployment.serve()
    token = admin_token(deployment, server)
    from conftest import free_port
    port = free_port()   # nothing listens there: the relay is down
    r = requests.post(server.url + "/api/v1/stations", headers=auth(token),
                      json={"slug": "empty", "name": "Empty", "pushUrls": [f"icecast://source:pw@127.0.0.1:{port}/empty.mp3"]})
    assert r.status_code == 201, r.text   # no music anywhere: it can only air its fallback

    def reported():
        text = requests.get(server.url + "/metrics").text
        aired = re.search(r'^cadenza_radio_dead_air_total\{station="empty"\} [1-9]', text, re.M)
        return {m for m in named if re.search(rf"^{m}(\{{|\s)", text, re.M)} == named and aired and text
    text = wait_for(reported, timeout=30)
    assert text, named - {m for m in named if re.search(rf"^{m}(\{{|\s)", requests.get(server.url + "/metrics").text, re.M)}
    assert re.search(r'^cadenza_deliveries_oldest_waiting_seconds\{kind="notification"\} 0', text, re.M)
    assert re.search(rf'^cadenza_radio_relay_connected\{{.*relay="icecast://source:\*\*\*@127.0.0.1:{port}/empty.mp3".*\}} 0', text, re.M), text
