"""Live DJs: a source client (ffmpeg, as BUTT or Mixxx would) connects to the station's live
input with the DJ's own credentials; the station fades over to them, announces them, and
hands back to the rotation when they disconnect."""
import base64
import socket
import subprocess
import time

import requests

from conftest import ADMIN_PASSWORD, auth, free_port, token_for, wait_for
from test_radio import dominant_hz, listen
from test_radio_schedule import at, tone


def source(port, user, password, slug, seconds, hz=1000):
    return subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-f", "lavfi", "-i", f"sine=frequency={hz}:duration={seconds}",
         "-c:a", "libmp3lame", "-b:a", "128k", "-content_type", "audio/mpeg", "-f", "mp3",
         f"icecast://{user}:{password}@127.0.0.1:{port}/live/{slug}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def raw_source(port, user, password, slug):
    """The status line a legacy SOURCE request gets."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
        s.sendall(f"SOURCE /live/{slug} HTTP/1.0\r\nAuthorization: Basic {credentials}\r\nContent-Type: audio/mpeg\r\n\r\n".encode())
        return s.recv(200).decode(errors="replace").split("\r\n")[0]


def test_a_dj_goes_live_and_hands_back(deployment, tmp_path):
    from conftest import admin_token
    music = tmp_path / "music"
    music.mkdir()
    tone(music / "r1.flac", 60, 440, "Rotation One")
    tone(music / "r2.flac", 60, 440, "Rotation Two")
    live_port = free_port()
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_RADIO_LIVE_PORT=str(live_port))
    token = admin_token(deployment, server)
    h = auth(token)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) == 2)
    assert requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "club", "name": "Club"}).status_code == 201
    base = server.url + "/api/v1/stations/club"
    np = lambda: requests.get(base + "/now-playing").json()
    assert wait_for(lambda: (np().get("nowPlaying") or {}).get("source") == "autodj", timeout=15)
    # Wrong credentials, a user who is no DJ of the station, an unknown station: refused, as Icecast does.
    assert raw_source(live_port, "root", "wrong", "club").startswith("HTTP/1.0 401")
    assert deployment.run("user", "create", "dj", stdin="dj-password-1\n").returncode == 0
    assert raw_source(live_port, "dj", "dj-password-1", "club").startswith("HTTP/1.0 403")
    assert raw_source(live_port, "root", ADMIN_PASSWORD, "nowhere").startswith("HTTP/1.0 404")
    # The owner makes them a DJ; now their client goes live.
    r = requests.put(base + "/djs", headers=h, json={"usernames": ["dj"]})
    assert r.status_code == 200 and r.json()["usernames"] == ["dj"], r.text
    assert requests.put(base + "/djs", headers=auth(token_for(server, "dj", "dj-password-1")), json={"usernames": []}).status_code == 403
    assert requests.put(base + "/djs", headers=h, json={"usernames": ["nobody-here"]}).status_code == 422
    started = time.time()
    dj = source(live_port, "dj", "dj-password-1", "club", 14)
    assert wait_for(lambda: (np().get("nowPlaying") or {}).get("source") == "live", timeout=10), (np(), dj.poll())
    print(f"live on air {time.time() - started:.2f} s after the source connected")
    assert np()["nowPlaying"]["song"]["title"] == "Live: dj"
    # A second source while one is live is turned away; the first stays on air.
    assert raw_source(live_port, "root", ADMIN_PASSWORD, "club").startswith("HTTP/1.0 403")
    # Listeners hear the DJ's tone, and the title the DJ's client sends.
    time.sleep(1.5)
    # (The mount's burst-on-connect is the last 4 s before it: the newest audio is measured.)
    audio, titles, _ = listen(server.url + "/listen/club/radio.mp3", 5)
    assert 950 < dominant_hz(audio[-32000:], tmp_path) < 1050
    update = requests.get(f"http://127.0.0.1:{live_port}/admin/metadata", params={"mount": "/live/club", "mode": "updinfo", "song": "DJ Set - Track A"},
                          auth=("dj", "dj-password-1"), timeout=10)
    assert update.status_code == 200 and "successful" in update.text, update.text
    assert wait_for(lambda: np()["nowPlaying"]["song"]["title"] == "DJ Set - Track A", timeout=5)
    _, titles, _ = listen(server.url + "/listen/club/radio.mp3", 2)
    assert "DJ Set - Track A" in [t for _, t in titles], titles
    # The DJ leaves: the rotation is back within seconds, and the as-run log has the live set.
    assert dj.wait(timeout=30) == 0, dj.stderr.read()
    left = time.time()
    assert wait_for(lambda: (np().get("nowPlaying") or {}).get("source") == "autodj", timeout=10), np()
    print(f"rotation back {time.time() - left:.2f} s after the source left")
    time.sleep(2)
    audio, _, _ = listen(server.url + "/listen/club/radio.mp3", 5, icy=False)
    assert 400 < dominant_hz(audio[-32000:], tmp_path) < 480
    history = requests.get(base + "/history", headers=h).json()
    live = [e for e in history if e["source"] == "live"]
    assert len(live) == 1 and live[0]["title"] == "Live: dj" and 10_000 <= live[0]["durationMs"] <= 18_000, history


def live_server(deployment, tmp_path):
    """A server with a one-track library and a live port: (server, admin headers, live port)."""
    from conftest import admin_token
    music = tmp_path / "music"
    music.mkdir()
    tone(music / "r1.flac", 60, 440, "Rotation One")
    live_port = free_port()
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_RADIO_LIVE_PORT=str(live_port))
    h = auth(admin_token(deployment, server))
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) == 1)
    return server, h, live_port


def test_a_stalled_or_skipped_source_lets_the_air_go_and_guessing_is_slowed(deployment, tmp_path):
    server, h, live_port = live_server(deployment, tmp_path)
    assert requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "club", "name": "Club"}).status_code == 201
    base = server.url + "/api/v1/stations/club"
    np = lambda: (requests.get(base + "/now-playing").json().get("nowPlaying") or {}).get("source")
    assert wait_for(lambda: np() == "autodj", timeout=15)
    # A source whose network drops (it sends a few seconds, then nothing, and never closes):
    # after ten silent seconds the station lets it go.
    mp3 = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi", "-i", "sine=frequency=1000:duration=4",
                          "-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3", "-"], capture_output=True, check=True).stdout
    stalled = socket.create_connection(("127.0.0.1", live_port), timeout=10)
    credentials = base64.b64encode(f"root:{ADMIN_PASSWORD}".encode()).decode()
    stalled.sendall(f"SOURCE /live/club HTTP/1.0\r\nAuthorization: Basic {credentials}\r\n\r\n".encode())
    assert stalled.recv(100).startswith(b"HTTP/1.0 200")
    stalled.sendall(mp3)
    assert wait_for(lambda: np() == "live", timeout=10)
    gone = time.time()
    assert wait_for(lambda: np() == "autodj", timeout=30, interval=0.5)
    assert time.time() - gone < 25
    stalled.close()
    # A manager's skip ends a live set: the source is let go, and the air is free again.
    dj = source(live_port, "root", ADMIN_PASSWORD, "club", 60)
    assert wait_for(lambda: np() == "live", timeout=10)
    assert requests.post(base + "/skip", headers=h).status_code == 202
    assert wait_for(lambda: np() == "autodj", timeout=10)
    assert dj.wait(timeout=20) is not None
    again = source(live_port, "root", ADMIN_PASSWORD, "club", 3)
    assert wait_for(lambda: np() == "live", timeout=10)
    assert again.wait(timeout=30) == 0
    assert wait_for(lambda: np() == "autodj", timeout=10)
    # Guessing passwords: after ten failures in a minute from one address, refused unchecked.
    answers = [raw_source(live_port, "root", f"guess-{i}", "club") for i in range(11)]
    assert all(a.startswith("HTTP/1.0 401") for a in answers[:10]) and answers[10].startswith("HTTP/1.0 429"), answers
    # A source that never finishes its head is closed.
    slow = socket.create_connection(("127.0.0.1", live_port), timeout=20)
    slow.sendall(b"SOURCE /live/club HTTP/1.0\r\n")
    started = time.time()
    assert slow.recv(100) == b"" and time.time() - started < 15


def test_a_recorded_live_set_lands_in_the_owners_library(deployment, tmp_path):
    """With recordLive on, a DJ's set is kept as the client sent it, tagged, and scanned into the
    library "STATION – live sets" when they disconnect; with it off, nothing is kept."""
    server, h, live_port = live_server(deployment, tmp_path)
    r = requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "rec", "name": "Rec FM", "recordLive": True})
    assert r.status_code == 201 and r.json()["recordLive"] is True, r.text
    np = lambda: requests.get(server.url + "/api/v1/stations/rec/now-playing").json()
    assert wait_for(lambda: np().get("nowPlaying"), timeout=15)
    dj = source(live_port, "root", ADMIN_PASSWORD, "rec", 8, hz=660)
    assert wait_for(lambda: (np().get("nowPlaying") or {}).get("source") == "live", timeout=10), dj.poll()
    assert dj.wait(timeout=30) == 0, dj.stderr.read()
    sets = lambda: [t for t in requests.get(server.url + "/api/v1/tracks", headers=h, params={"limit": 50}).json()["items"]
                    if t["title"].startswith("Live set")]
    assert wait_for(sets, timeout=30), requests.get(server.url + "/api/v1/libraries", headers=h).json()
    recorded = sets()[0]
    assert recorded["artist"] == "root" and 7_000 <= recorded["durationMs"] <= 9_000, recorded
    libraries = requests.get(server.url + "/api/v1/libraries", headers=h).json()
    names = [lib["name"] for lib in (libraries["items"] if isinstance(libraries, dict) else libraries)]
    assert "Rec FM – live sets" in names, names
    # The recording is the set itself: its tone, not the rotation's.
    detail = requests.get(server.url + f"/api/v1/tracks/{recorded['id']}", headers=h).json()
    audio = requests.get(server.url + f"/api/v1/files/{detail['files'][0]['id']}/audio", headers=h).content
    assert 620 < dominant_hz(audio, tmp_path) < 700
    # Off: the next set is not kept.
    assert requests.patch(server.url + "/api/v1/stations/rec", headers=h, json={"recordLive": False}).json()["recordLive"] is False
    dj = source(live_port, "root", ADMIN_PASSWORD, "rec", 4, hz=660)
    assert dj.wait(timeout=30) == 0
    time.sleep(3)
    assert len(sets()) == 1
